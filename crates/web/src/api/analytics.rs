//! `GET /api/v1/analytics` (and `POST` for a query too long for a URL): aggregated values
//! of indicators for agencies and periods, computed live ([`baocao_service::analytics`]);
//! `GET /api/v1/analytics/discrepancies`: compiled totals that differ from their
//! subordinates'.

use axum::Json;
use axum::extract::State;
use baocao_service::analytics::{self, AnalyticsAnswer, AnalyticsQuery, DiscrepancyAnswer};

use super::doc;
use crate::AppState;
use crate::auth::{ApiJson, ApiQuery, Caller};
use crate::error::ApiError;

#[utoipa::path(
    get,
    path = "/api/v1/analytics",
    tag = "Analytics",
    operation_id = "get_api_v1_analytics",
    summary = "Aggregated values of indicators for agencies and periods (live).",
    params(
        doc::AnalyticsSelection,
    ),
    responses(
        (status = 200, description = "OK", body = AnalyticsAnswer),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> Result<Json<AnalyticsAnswer>, ApiError> {
    let query = AnalyticsQuery::from_pairs(pairs)?;
    Ok(Json(analytics::answer(&state, &caller, query).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/analytics",
    tag = "Analytics",
    operation_id = "post_api_v1_analytics",
    summary = "The same question as JSON, for queries too long for a URL.",
    request_body(content = AnalyticsQuery, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = AnalyticsAnswer),
    ),
)]
pub async fn post(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(query): ApiJson<AnalyticsQuery>,
) -> Result<Json<AnalyticsAnswer>, ApiError> {
    Ok(Json(analytics::answer(&state, &caller, query).await?))
}

/// `GET /api/v1/analytics/discrepancies` (the analytics parameters): every agency within the
/// one asked (or its descendants at `level`, and theirs) whose compiled total differs from its
/// subordinates' values combined, per indicator, period and option group — the totals stand
/// in the aggregates, the differences are for a reviewer to explain.
#[utoipa::path(
    get,
    path = "/api/v1/analytics/discrepancies",
    tag = "Analytics",
    operation_id = "get_api_v1_analytics_discrepancies",
    summary = "Compiled totals that differ from their subordinates' combined values (the agency asked and everything below it, or below its descendants at level): reported, subordinates, difference.",
    params(
        doc::AnalyticsSelection,
    ),
    responses(
        (status = 200, description = "OK", body = DiscrepancyAnswer),
    ),
)]
pub async fn discrepancies(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> Result<Json<DiscrepancyAnswer>, ApiError> {
    let query = AnalyticsQuery::from_pairs(pairs)?;
    Ok(Json(
        analytics::discrepancies(&state, &caller, query).await?,
    ))
}
