//! `GET /api/v1/schedule?agency=&from=&to=`: an agency's reporting calendar. For every
//! published regime assigned to it, each period whose cut-off window opens by `to` and whose
//! deadline is not before `from`: the open date, the cut-off window, the deadline (on the
//! deployment's holiday calendar, with its time of day), what happens after it, and where the
//! report stands now. What is expected comes from the history of assignments, as compliance
//! does; answered by [`baocao_service::calendar::schedule`].

use axum::Json;
use axum::extract::State;
use baocao_service::calendar::{self, ScheduleAnswer};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{ApiQuery, Caller};
use crate::error::ApiError;

#[derive(Deserialize, Default)]
pub struct ScheduleQuery {
    /// The reporting agency (default: the caller's own).
    pub(crate) agency: Option<String>,
    /// First day of the range (default: 31 days before today).
    pub(crate) from: Option<String>,
    /// Last day of the range (default: 92 days after today).
    pub(crate) to: Option<String>,
    /// Without `from`: reach back (up to 270 days) to every report still overdue or returned,
    /// as the schedule page does.
    #[serde(default)]
    pub(crate) overdue: bool,
}

#[utoipa::path(
    get,
    path = "/api/v1/schedule",
    tag = "Compliance",
    operation_id = "get_api_v1_schedule",
    summary = "An agency's reporting calendar: every expected report with its open date, cut-off window, deadline and status now.",
    params(
        ("agency" = Option<String>, Query, pattern = r"^([^\s?#/\x00-\x1f\x7f-\x9f]{1,64})?$", description = "An agency's code; empty or absent: the caller's own."),
        ("from" = Option<String>, Query, pattern = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$", description = "A day, YYYY-MM-DD; empty: the default. The range is at most 366 days."),
        ("to" = Option<String>, Query, pattern = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$", description = "A day, YYYY-MM-DD; empty: the default. The range is at most 366 days."),
        ("overdue" = Option<bool>, Query, description = "Without `from`: start early enough (up to 270 days back) to list every report still overdue or returned; older reports that were sent are left out."),
    ),
    responses(
        (status = 200, description = "OK", body = ScheduleAnswer),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ScheduleQuery>,
) -> Result<Json<ScheduleAnswer>, ApiError> {
    Ok(Json(
        calendar::schedule(
            &state,
            &caller,
            query.agency.as_deref(),
            query.from.as_deref(),
            query.to.as_deref(),
            query.overdue,
        )
        .await?,
    ))
}
