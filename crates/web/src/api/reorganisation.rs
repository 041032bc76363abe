//! `POST /api/v1/agencies/events`: a reorganisation — merge, split, rename, re-parent,
//! dissolve — recorded on its date; the domain plans it against the hierarchy of the day
//! before ([`baocao_domain::reorganisation`]), the store applies it with the work that passes
//! on. `?dry_run=true` answers the plan and changes nothing. `GET` lists the recorded events.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use baocao_domain::reorganisation::{AgencyEvent, Plan};
use baocao_service::reorganisation::{self, Recorded, RecordedEvent};
use baocao_store::reorganisation::Outcome;
use serde::{Deserialize, Serialize};

use super::interop::flag;
use crate::AppState;
use crate::auth::{ApiJson, ApiQuery, Caller};
use crate::error::ApiError;

#[derive(Deserialize, Default)]
pub struct EventOptions {
    dry_run: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EventAnswer {
    /// The recorded event's id (absent in a dry run).
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i32>,
    dry_run: bool,
    event: AgencyEvent,
    plan: Plan,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<Outcome>,
}

#[utoipa::path(
    post,
    path = "/api/v1/agencies/events",
    tag = "Agencies",
    operation_id = "post_api_v1_agencies_events",
    summary = "Record a reorganisation on its date: {\"event\": \"merge\"|\"split\"|\"rename\"|\"reparent\"|\"dissolve\", \"date\", …}. Assignments, users and open drafts of ended agencies pass to their successors. ?dry_run=true answers the plan only.",
    params(
        ("dry_run" = Option<bool>, Query),
    ),
    request_body(content = AgencyEvent, content_type = "application/json"),
    responses(
        (status = 200, description = "Dry run: the plan", body = EventAnswer),
        (status = 201, description = "Recorded", body = EventAnswer),
    ),
)]
pub async fn record(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(options): ApiQuery<EventOptions>,
    ApiJson(event): ApiJson<AgencyEvent>,
) -> Result<(StatusCode, Json<EventAnswer>), ApiError> {
    let dry_run = flag(options.dry_run.as_deref())?;
    let Recorded {
        id,
        event,
        plan,
        outcome,
    } = reorganisation::record(&state, &caller, event, dry_run).await?;
    let status = if dry_run {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(EventAnswer {
            id,
            dry_run,
            event,
            plan,
            outcome,
        }),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EventList {
    items: Vec<RecordedEvent>,
}

#[utoipa::path(
    get,
    path = "/api/v1/agencies/events",
    tag = "Agencies",
    operation_id = "get_api_v1_agencies_events",
    summary = "The recorded reorganisation events, newest first, with what each moved.",
    responses(
        (status = 200, description = "OK", body = EventList),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<EventList>, ApiError> {
    let items = reorganisation::events(&state, &caller).await?;
    Ok(Json(EventList { items }))
}
