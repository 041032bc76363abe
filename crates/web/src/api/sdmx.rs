//! `GET /api/v1/sdmx/data/{flow}/{key}`: an indicator table published as an SDMX-JSON 1.0
//! data message, so SDMX tools (sdmx1, pandaSDMX, .Stat) read baocao like any statistics
//! office. The flow is a table's code; the key selects series by dimension in SDMX's
//! notation — values separated by `+`, dimensions by `.`, an empty position or `all` for
//! everything (`KT04+KT05.01+79`). Series dimensions are INDICATOR, REF_AREA and one per
//! disaggregation the table splits by (`_T` for the total); observations run along
//! TIME_PERIOD in SDMX's period notation (`2026-01`, `2026-Q1`, `2026-S1`, `2026`).
//! `startPeriod`/`endPeriod` narrow the periods; `lang=en` names things in English.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use baocao_formats::sdmx::{MEDIA_TYPE, write};
use baocao_service::sdmx::{DataQuery, data_message};

use super::doc;
use crate::AppState;
use crate::auth::{ApiPath, ApiQuery, Caller};
use crate::error::ApiError;

/// `GET /api/v1/sdmx/data/{flow}`: the whole flow.
#[utoipa::path(
    get,
    path = "/api/v1/sdmx/data/{flow}",
    tag = "Interoperability",
    operation_id = "get_api_v1_sdmx_data_flow",
    summary = "An indicator table (its code is the flow) as an SDMX-JSON 1.0 data message: series by INDICATOR, REF_AREA and each disaggregation, observations along TIME_PERIOD.",
    params(
        ("flow" = doc::Code, Path),
        ("startPeriod" = Option<doc::PeriodId>, Query),
        ("endPeriod" = Option<doc::PeriodId>, Query),
        ("as_of" = Option<jiff::civil::Date>, Query),
        ("lang" = Option<doc::Language>, Query),
    ),
    responses(
        (status = 200, description = "An SDMX-JSON 1.0 data message", body = serde_json::Value, content_type = "application/vnd.sdmx.data+json"),
    ),
)]
pub async fn data_all(
    state: State<AppState>,
    caller: Caller,
    ApiPath(flow): ApiPath<String>,
    query: ApiQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    message(state, caller, flow, "all".into(), query).await
}

#[utoipa::path(
    get,
    path = "/api/v1/sdmx/data/{flow}/{key}",
    tag = "Interoperability",
    operation_id = "get_api_v1_sdmx_data_flow_key",
    summary = "The same, for the series a key selects (values joined by +, dimensions by ., empty or all for any).",
    params(
        ("flow" = doc::Code, Path),
        ("key" = String, Path, max_length = 200, pattern = r#"^[^\s?#/\x00-\x1f\x7f-\x9f]{1,200}$"#),
        ("startPeriod" = Option<doc::PeriodId>, Query),
        ("endPeriod" = Option<doc::PeriodId>, Query),
        ("as_of" = Option<jiff::civil::Date>, Query),
        ("lang" = Option<doc::Language>, Query),
    ),
    responses(
        (status = 200, description = "An SDMX-JSON 1.0 data message", body = serde_json::Value, content_type = "application/vnd.sdmx.data+json"),
    ),
)]
pub async fn data(
    state: State<AppState>,
    caller: Caller,
    ApiPath((flow, key)): ApiPath<(String, String)>,
    query: ApiQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    message(state, caller, flow, key, query).await
}

async fn message(
    State(state): State<AppState>,
    caller: Caller,
    flow: String,
    key: String,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let find = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let query = DataQuery {
        start: find("startPeriod"),
        end: find("endPeriod"),
        as_of: find("as_of"),
        lang: find("lang"),
    };
    let message = data_message(&state, &caller, &flow, &key, query).await?;
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE))],
        write(&message),
    )
        .into_response())
}
