//! A user's sessions and tokens (the user, or a manager of the user's agency): when each began,
//! was last used and ends, with a button to revoke one or all — the page beside
//! `GET/DELETE /api/v1/users/{username}/tokens`.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::{PageContext, PageError};
use crate::AppState;
use crate::error::ApiError;

pub async fn page(
    State(state): State<AppState>,
    page: PageContext,
    Path(username): Path<String>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let fail = |error: ApiError| PageError::from_api(error, lang);
    let caller = page.logged_in()?;
    let tokens = baocao_service::sessions::tokens(&state, caller, &username)
        .await
        .map_err(|e| fail(e.into()))?;
    page.render(
        "sessions.html",
        json!({ "username": username, "tokens": tokens }),
    )
}

/// `POST /users/{username}/sessions/revoke`: the token named `id`, or every one when `id` is
/// empty; then back to the list.
pub async fn revoke(
    State(state): State<AppState>,
    page: PageContext,
    Path(username): Path<String>,
    axum::Form(fields): axum::Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let fail = |error: ApiError| PageError::from_api(error, lang);
    let caller = page.posted(fields.get("csrf").map(String::as_str))?;
    let id = fields
        .get("id")
        .map(String::as_str)
        .filter(|id| !id.is_empty());
    baocao_service::sessions::revoke(&state, caller, &username, id)
        .await
        .map_err(|e| fail(e.into()))?;
    Ok(Redirect::to(&format!("/users/{}/sessions", super::urlencode(&username))).into_response())
}
