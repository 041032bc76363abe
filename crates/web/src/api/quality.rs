//! Cross-source discrepancies: `GET /api/v1/quality/discrepancies` lists every cell that two
//! sources (a province's report and a ministry's feed, say) give differently, with both
//! numbers, their sources and the difference; `POST …/authoritative` marks the source to
//! trust, which every aggregate then takes.

use axum::Json;
use axum::extract::State;
use baocao_service::quality::{self, QualityRow};
use baocao_service::sources::{self, Discrepancy, Mark, MarkedAuthoritative};
use serde::Deserialize;

use super::doc;
use super::{Listing, Page};
use crate::AppState;
use crate::auth::{ApiJson, ApiQuery, Caller};
use crate::error::ApiError;

#[derive(Deserialize)]
pub struct DiscrepancyQuery {
    indicator: Option<String>,
    agency: Option<String>,
    period: Option<String>,
    #[serde(flatten)]
    page: Page,
}

#[utoipa::path(
    get,
    path = "/api/v1/quality/discrepancies",
    tag = "Data quality",
    operation_id = "get_api_v1_quality_discrepancies",
    summary = "Cells that two sources give differently.",
    params(
        ("indicator" = Option<doc::IndicatorCode>, Query),
        ("agency" = Option<doc::AgencyCode>, Query),
        ("period" = Option<doc::PeriodId>, Query),
    ),
    responses(
        (status = 200, description = "OK", body = Listing<Discrepancy>),
    ),
)]
pub async fn discrepancies(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<DiscrepancyQuery>,
) -> Result<Json<Listing<Discrepancy>>, ApiError> {
    let found = sources::discrepancies(
        &state,
        &caller,
        query.indicator.as_deref(),
        query.agency.as_deref(),
        query.period.as_deref(),
    )
    .await?;
    Ok(Json(Listing::page(found, &query.page)))
}

/// `POST /api/v1/quality/discrepancies/authoritative`: a reviewer above the agency marks the
/// source to trust for one cell.
#[utoipa::path(
    post,
    path = "/api/v1/quality/discrepancies/authoritative",
    tag = "Data quality",
    operation_id = "post_api_v1_quality_discrepancies_authoritative",
    summary = "Mark the source to trust for a cell.",
    request_body(content = Mark, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = MarkedAuthoritative),
    ),
)]
pub async fn mark_authoritative(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(mark): ApiJson<Mark>,
) -> Result<Json<MarkedAuthoritative>, ApiError> {
    Ok(Json(
        sources::mark_authoritative(&state, &caller, mark).await?,
    ))
}

#[derive(Deserialize)]
pub struct DashboardQuery {
    pub(crate) regime: String,
    pub(crate) period: String,
}

/// `GET /api/v1/quality?regime=&period=`: per reporting agency, the completeness of cells,
/// rules broken, warnings explained, outliers, discrepancies and timeliness.
#[utoipa::path(
    get,
    path = "/api/v1/quality",
    tag = "Data quality",
    operation_id = "get_api_v1_quality",
    summary = "Per reporting agency: cells filled, rules, outliers, discrepancies, timeliness.",
    params(
        ("regime" = doc::RegimeCode, Query),
        ("period" = doc::PeriodId, Query),
    ),
    responses(
        (status = 200, description = "OK", body = Listing<QualityRow>),
    ),
)]
pub async fn dashboard(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<DashboardQuery>,
) -> Result<Json<Listing<QualityRow>>, ApiError> {
    let rows = quality::quality_rows(&state, &caller, &query.regime, &query.period).await?;
    Ok(Json(Listing::page(rows, &Page::default())))
}
