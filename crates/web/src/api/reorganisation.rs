//! `POST /api/v1/agencies/events`: a reorganisation — merge, split, rename, re-parent,
//! dissolve — recorded on its date; the domain plans it against the hierarchy of the day
//! before ([`baocao_domain::reorganisation`]), the store applies it with the work that passes
//! on. `?dry_run=true` answers the plan and changes nothing. `GET` lists the recorded events.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use baocao_domain::permission::Action;
use baocao_domain::reorganisation::{AgencyEvent, Plan, ReorganisationError, plan};
use baocao_store::reorganisation::{EventRecord, Outcome};
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

/// The event's error in Vietnamese and English.
fn refused(error: &ReorganisationError) -> ApiError {
    use ReorganisationError::*;
    let vi = match error {
        Unknown(code) => format!("Cơ quan {code} không tồn tại vào ngày trước sự kiện."),
        ChangesLater(code) => format!(
            "Cơ quan {code} đã có thay đổi từ ngày này trở về sau; hãy ghi các sự kiện theo đúng thứ tự thời gian."
        ),
        CodeInUse(code) => format!("Mã {code} đang được một cơ quan khác tiếp tục sử dụng."),
        DuplicateCode(code) => format!("Mã {code} được đặt cho hai cơ quan mới."),
        MergeTooSmall => "Hợp nhất cần ít nhất hai cơ quan, mỗi cơ quan một lần.".to_string(),
        SplitTooSmall => "Chia tách cần ít nhất hai cơ quan kế thừa.".to_string(),
        UnknownParent(code) => format!("Cơ quan cấp trên {code} không tồn tại vào ngày sự kiện."),
        Cycle(code) => {
            format!("Không thể đặt cơ quan {code} dưới chính nó hoặc đơn vị trực thuộc của nó.")
        }
        Orphans(code) => {
            format!("Cơ quan {code} còn đơn vị trực thuộc; hãy chỉ rõ cơ quan tiếp nhận (into).")
        }
        BadChildMapping {
            child,
            predecessor,
            successor,
        } => format!(
            "{child} không trực thuộc {predecessor}, hoặc {successor} không phải cơ quan kế thừa."
        ),
    };
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_event",
        vi,
        error.to_string(),
    )
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
    // Reorganising the country's agencies is the system administrator's work.
    caller.require(Action::ManageUsers {
        agency: &super::national(),
    })?;
    let standings = state.store.standings_before(event.date()).await?;
    let plan = plan(&event, &standings).map_err(|e| refused(&e))?;
    if flag(options.dry_run.as_deref())? {
        return Ok((
            StatusCode::OK,
            Json(EventAnswer {
                id: None,
                dry_run: true,
                event,
                plan,
                outcome: None,
            }),
        ));
    }
    let (id, outcome) = state
        .store
        .apply_reorganisation(
            &event,
            &plan,
            caller.principal.username.as_str(),
            &state.now_text(),
        )
        .await?;
    tracing::info!(id, kind = event.kind(), date = %event.date(), "agency event recorded");
    Ok((
        StatusCode::CREATED,
        Json(EventAnswer {
            id: Some(id),
            dry_run: false,
            event,
            plan,
            outcome: Some(outcome),
        }),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EventList {
    items: Vec<serde_json::Value>,
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
    caller.require(Action::ReadCatalogue)?;
    let items = state
        .store
        .agency_events()
        .await?
        .into_iter()
        .map(|record: EventRecord| {
            let parse = |text: &str| serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
            serde_json::json!({
                "id": record.id, "date": record.date, "kind": record.kind,
                "event": parse(&record.event), "outcome": parse(&record.outcome),
                "recorded_by": record.recorded_by, "recorded_at": record.recorded_at,
            })
        })
        .collect();
    Ok(Json(EventList { items }))
}
