//! The connectors page (system administrator): every connector with its peer, schedule, next
//! run, failures in a row and its last runs' counts and errors; "run now" per connector.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::{PageContext, PageError};
use crate::AppState;
use crate::connectors::run_now;
use crate::error::ApiError;
use baocao_service::connectors::listing;

/// Runs shown per connector.
const RUNS_SHOWN: i64 = 5;

pub async fn page(State(state): State<AppState>, page: PageContext) -> Result<Response, PageError> {
    let lang = page.lang;
    let fail = |error: ApiError| PageError::from_api(error, lang);
    let caller = page.logged_in()?;
    let connectors = listing(&state, caller, RUNS_SHOWN)
        .await
        .map_err(|e| fail(e.into()))?;
    page.render("connectors.html", json!({ "connectors": connectors }))
}

/// `POST /connectors/{code}/run`: runs it now, then back to its row.
pub async fn run(
    State(state): State<AppState>,
    page: PageContext,
    Path(code): Path<String>,
    axum::Form(fields): axum::Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let fail = |error: ApiError| PageError::from_api(error, lang);
    let caller = page.posted(fields.get("csrf").map(String::as_str))?;
    run_now(&state, caller, &code)
        .await
        .map_err(|e| fail(e.into()))?;
    Ok(Redirect::to(&format!("/connectors#connector-{code}")).into_response())
}
