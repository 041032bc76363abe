//! Pivots of the live analytics ([`baocao_service::pivot`]): `GET`/`POST /api/v1/pivot`, and
//! the values behind one number, `GET /api/v1/analytics/sources`.

use axum::Json;
use axum::extract::State;
use baocao_service::pivot::{self, PivotRequest, PivotView, SourcesAnswer};

use super::doc;
use crate::AppState;
use crate::auth::{ApiJson, ApiQuery, Caller};
use crate::error::ApiError;

#[utoipa::path(
    get,
    path = "/api/v1/pivot",
    tag = "Analytics",
    operation_id = "get_api_v1_pivot",
    summary = "An analytics question laid out on rows and columns (indicator, agency, period or a category), with totals by each indicator's rule and a link to the sources of every number.",
    params(
        doc::AnalyticsSelection,
        doc::PivotLayout,
    ),
    responses(
        (status = 200, description = "OK", body = PivotView),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> Result<Json<PivotView>, ApiError> {
    let request = PivotRequest::from_pairs(pairs, &[])?;
    Ok(Json(pivot::build(&state, &caller, request).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/pivot",
    tag = "Analytics",
    operation_id = "post_api_v1_pivot",
    summary = "The same pivot with the question as JSON (the analytics fields plus rows, columns, lang).",
    request_body(content = PivotRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = PivotView),
    ),
)]
pub async fn post(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<PivotRequest>,
) -> Result<Json<PivotView>, ApiError> {
    Ok(Json(pivot::build(&state, &caller, request).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/analytics/sources",
    tag = "Analytics",
    operation_id = "get_api_v1_analytics_sources",
    summary = "The values behind one aggregated number (indicator, agency, period, options=category=option;…), each with its source and report.",
    params(
        doc::AnalyticsSelection,
        ("options" = Option<String>, Query, pattern = r#"^(sex=(male|female)|area=(urban|rural))(;area=(urban|rural))?$"#),
    ),
    responses(
        (status = 200, description = "OK", body = SourcesAnswer),
    ),
)]
pub async fn sources_api(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> Result<Json<SourcesAnswer>, ApiError> {
    Ok(Json(pivot::sources_of(&state, &caller, pairs).await?))
}
