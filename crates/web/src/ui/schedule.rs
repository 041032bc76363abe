//! The schedule page: an agency's expected reports in a date range with their windows,
//! deadlines and status, and the year's days off on the deployment's calendar — which regime
//! managers and administrators change here (a bridge day, a Saturday worked).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use baocao_domain::holidays::DayKind;
use baocao_domain::permission::Action;
use serde::Deserialize;
use serde_json::json;

use super::{PageContext, PageError};
use crate::AppState;
use crate::error::ApiError;
use baocao_service::calendar::{DayChange, change_day, holidays_of, remove_day, schedule};

#[derive(Deserialize)]
pub struct SchedulePageQuery {
    agency: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    page: PageContext,
    Query(query): Query<SchedulePageQuery>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let fail = |error: baocao_service::calendar::CalendarError| {
        PageError::from_api(ApiError::from(error), lang)
    };
    let caller = page.logged_in()?;
    let answer = schedule(
        &state,
        caller,
        query.agency.as_deref(),
        query.from.as_deref(),
        query.to.as_deref(),
        true,
    )
    .await
    .map_err(fail)?;
    let year = answer.from.year();
    let holidays = holidays_of(&state, Some(year as usize))
        .await
        .map_err(fail)?;
    page.render(
        "schedule.html",
        json!({
            "answer": answer,
            "holidays": holidays,
            "may_change_calendar": caller.may(Action::AuthorRegimes),
        }),
    )
}

/// `POST /schedule/calendar`: sets (`kind` = holiday or working_day) or clears a day.
pub async fn change_calendar(
    State(state): State<AppState>,
    page: PageContext,
    axum::Form(fields): axum::Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let fail = |error: baocao_service::calendar::CalendarError| {
        PageError::from_api(ApiError::from(error), lang)
    };
    let caller = page.posted(fields.get("csrf").map(String::as_str))?;
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let day = field("date");
    match field("kind").as_str() {
        "clear" => remove_day(&state, caller, &day).await.map_err(fail)?,
        kind => {
            let kind = match kind {
                "working_day" => DayKind::WorkingDay,
                _ => DayKind::Holiday,
            };
            let change = DayChange {
                kind,
                name_vi: field("name_vi"),
                name_en: field("name_en"),
            };
            change_day(&state, caller, &day, change)
                .await
                .map_err(fail)?;
        }
    }
    let from = format!("{}-01-01", day.get(..4).unwrap_or("2026"));
    Ok(Redirect::to(&format!("/schedule?from={from}#calendar")).into_response())
}
