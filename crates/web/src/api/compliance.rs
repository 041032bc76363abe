//! `GET /api/v1/compliance?regime=&from=&to=`: who was expected to report each period of a
//! range, who did, on time or late, complete or not — per agency, per kind, in all — answered
//! by [`baocao_service::compliance`].

use axum::Json;
use axum::extract::State;
use baocao_service::compliance::{self, ComplianceAnswer};
use serde::Deserialize;

use super::doc;
use crate::AppState;
use crate::auth::{ApiQuery, Caller};
use crate::error::ApiError;

#[derive(Deserialize)]
pub struct ComplianceQuery {
    pub(crate) regime: String,
    pub(crate) from: String,
    pub(crate) to: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/compliance",
    tag = "Compliance",
    operation_id = "get_api_v1_compliance",
    summary = "Expected, submitted, on time, late, missing, complete per agency over a range of periods.",
    params(
        ("regime" = doc::RegimeCode, Query),
        ("from" = doc::PeriodId, Query),
        ("to" = Option<doc::PeriodId>, Query),
    ),
    responses(
        (status = 200, description = "OK", body = ComplianceAnswer),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ComplianceQuery>,
) -> Result<Json<ComplianceAnswer>, ApiError> {
    Ok(Json(
        compliance::compliance(
            &state,
            &caller,
            &query.regime,
            &query.from,
            query.to.as_deref(),
        )
        .await?,
    ))
}
