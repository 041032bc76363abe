//! The audit trail over HTTP: `GET /api/v1/audit` (who changed what, when, through which
//! channel; filtered, paged newest first, JSON or CSV) and `GET /api/v1/audit/keys` (the
//! public keys checkpoints are signed with, to check an exported bundle against).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use baocao_domain::audit::Event;
use baocao_service::audit::{AuditError, AuditQuery};
use serde::{Deserialize, Serialize};

use super::doc;
use crate::AppState;
use crate::auth::{ApiPath, ApiQuery, Caller};
use crate::error::ApiError;

/// Filters of the audit trail.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Events whose object starts with this (`report 3/120/45`, `regime BC01`, `user 7`).
    object: Option<String>,
    /// The acting user's name.
    actor: Option<String>,
    /// An agency code: the events of its subtree (default: the caller's agency; everything
    /// for the root's auditors and administrators).
    agency: Option<String>,
    /// From this date or instant (UTC, included).
    from: Option<String>,
    /// Up to this date or instant (UTC, excluded).
    to: Option<String>,
    /// Events whose kind starts with this (`report.`, `report.submit`, `values.`).
    kind: Option<String>,
    /// The next page: events numbered below this one.
    before: Option<i64>,
    /// Events per page (1–10000, default 100).
    limit: Option<i64>,
    /// `csv` for a CSV file instead of JSON.
    format: Option<String>,
}

/// A page of the audit trail, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    #[schema(value_type = Vec<Object>)]
    items: Vec<Event>,
    total: usize,
    /// The `before` of the next page, when there may be one.
    next_before: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "Audit",
    operation_id = "get_audit",
    summary = "The audit trail: each change with when, who, channel, request id, object and change, in its hash chain.",
    params(AuditParams),
    responses(
        (status = 200, description = "OK", body = AuditPage),
        (status = 200, description = "format=csv", body = String, content_type = "text/csv"),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Response, ApiError> {
    let query = AuditQuery {
        object: params.object,
        actor: params.actor,
        agency: params.agency,
        from: params.from,
        to: params.to,
        kind: params.kind,
        before: params.before,
        limit: params.limit,
    };
    let page = baocao_service::audit::events(&state.services, &caller, &query).await?;
    match params.format.as_deref() {
        Some("csv") => Ok(csv(&page.events)),
        None | Some("json") => Ok(Json(AuditPage {
            total: page.events.len(),
            items: page.events,
            next_before: page.next_before,
        })
        .into_response()),
        Some(other) => Err(ApiError::bad_request(
            "invalid_format",
            format!("Định dạng {other:?} không được hỗ trợ (json hoặc csv)."),
            format!("Format {other:?} is not supported (json or csv)."),
        )),
    }
}

fn csv(events: &[Event]) -> Response {
    let text = |value: Option<String>| value.unwrap_or_default();
    let header = [
        "seq",
        "at",
        "user",
        "client",
        "channel",
        "request",
        "kind",
        "object",
        "agency",
        "change",
        "prev_hash",
        "hash",
    ]
    .map(str::to_string)
    .to_vec();
    let rows = events.iter().map(|event| {
        let record = &event.record;
        vec![
            event.seq.to_string(),
            record.by.at.clone(),
            text(record.by.user.map(|id| id.to_string())),
            text(record.by.client.map(|id| id.to_string())),
            record.by.channel.as_str().to_string(),
            text(record.by.request.clone()),
            record.kind.clone(),
            record.object.clone(),
            text(record.agency.map(|id| id.to_string())),
            record.change.clone(),
            event.prev_hash.clone(),
            event.hash.clone(),
        ]
    });
    let bytes = baocao_formats::table::csv_records(std::iter::once(header).chain(rows));
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"audit.csv\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Which combination of a cell.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CellParams {
    /// The option combination's key (`area=urban;sex=female`); empty or absent for the total.
    options: Option<String>,
}

/// A cell's history, oldest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CellHistory {
    #[schema(value_type = Vec<Object>)]
    items: Vec<baocao_domain::audit::CellChange>,
    total: usize,
}

#[utoipa::path(
    get,
    path = "/api/v1/audit/cells/{agency}/{period}/{indicator}",
    tag = "Audit",
    operation_id = "get_audit_cell",
    summary = "A cell's history across report versions and sources: each value written or removed, when, by whom, through which channel.",
    params(
        ("agency" = doc::AgencyCode, Path),
        ("period" = doc::PeriodId, Path),
        ("indicator" = doc::IndicatorCode, Path),
        CellParams,
    ),
    responses((status = 200, description = "OK", body = CellHistory)),
)]
pub async fn cell(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((agency, period, indicator)): ApiPath<(String, String, String)>,
    ApiQuery(params): ApiQuery<CellParams>,
) -> Result<Json<CellHistory>, ApiError> {
    let items = baocao_service::audit::cell_history(
        &state.services,
        &caller,
        &agency,
        &period,
        &indicator,
        params.options.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Json(CellHistory {
        total: items.len(),
        items,
    }))
}

/// The server's audit keys.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditKeys {
    /// Ed25519 public keys (hex), oldest first.
    public_keys: Vec<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/audit/keys",
    tag = "Audit",
    operation_id = "get_audit_keys",
    summary = "The public keys the server signs audit checkpoints with.",
    responses((status = 200, description = "OK", body = AuditKeys)),
)]
pub async fn keys(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<AuditKeys>, ApiError> {
    Ok(Json(AuditKeys {
        public_keys: state.store.audit_public_keys().await?,
    }))
}

impl From<AuditError> for ApiError {
    fn from(error: AuditError) -> Self {
        match error {
            AuditError::Forbidden => ApiError::forbidden(),
            AuditError::UnknownAgency(code) => {
                ApiError::not_found(&format!("cơ quan {code}"), &format!("agency {code}"))
            }
            AuditError::InvalidFilter(what) => ApiError::bad_request(
                "invalid_filter",
                format!("Bộ lọc không hợp lệ: {what}."),
                format!("Invalid filter: {what}."),
            ),
            AuditError::Store(error) => error.into(),
            other => {
                tracing::error!(%other, "audit");
                ApiError::internal()
            }
        }
    }
}
