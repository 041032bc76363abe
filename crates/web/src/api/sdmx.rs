//! SDMX's REST interface over indicator tables, so SDMX tools (sdmx1, pysdmx, pandaSDMX, .Stat)
//! read baocao like any statistics office.
//!
//! `GET /api/v1/sdmx/data/{flow}/{key}`: a table as a data message. The flow is a table's
//! code (or SDMX's flow reference `BAOCAO,TM-01,1.0`); the key selects series by dimension in
//! SDMX's notation — values separated by `+`, dimensions by `.`, an empty position or `all`
//! for everything (`KT04+KT05.01+79`). Series dimensions are INDICATOR, REF_AREA and one per
//! disaggregation the table splits by (`_T` for the total); observations run along
//! TIME_PERIOD in SDMX's period notation (`2026-01`, `2026-Q1`, `2026-S1`, `2026`).
//! `startPeriod`/`endPeriod` (any SDMX period form, compared as time), `firstNObservations`,
//! `lastNObservations`, `detail` and `dimensionAtObservation` (`TIME_PERIOD` or
//! `AllDimensions`) as SDMX defines them; `lang=en` names things in English. The answer is
//! SDMX-JSON 1.0 unless `Accept` (or `format`) asks for SDMX-JSON 2.0, SDMX-CSV 1.0/2.0 or
//! SDMX-ML 2.1 generic or structure-specific data; anything else is a 406.
//!
//! `GET /api/v1/sdmx/dataflow/…` and `/datastructure/…`: the structures, as SDMX-ML 2.1
//! (default) or SDMX-JSON.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use baocao_formats::sdmx::{self, AGENCY, Detail, Representation, WriteOptions, structure};
use baocao_service::sdmx::{DataQuery, data_message, structures};

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
    summary = "An indicator table (its code is the flow) as an SDMX data message: series by INDICATOR, REF_AREA and each disaggregation, observations along TIME_PERIOD. SDMX-JSON 1.0 by default; SDMX-JSON 2.0, SDMX-CSV 1.0/2.0 and SDMX-ML 2.1 (generic, structure-specific) by Accept.",
    params(
        ("flow" = String, Path, description = "A table's code, or SDMX's flow reference AGENCY,ID,VERSION.", max_length = 200),
        DataParams,
    ),
    responses(
        (status = 200, description = "A data message", content((serde_json::Value = "application/vnd.sdmx.data+json"), (String = "application/vnd.sdmx.data+csv"), (String = "application/vnd.sdmx.genericdata+xml"), (String = "application/vnd.sdmx.structurespecificdata+xml"))),
        (status = 406, description = "No representation the Accept header allows", body = doc::ErrorBody),
    ),
)]
pub async fn data_all(
    state: State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(flow): ApiPath<String>,
    query: ApiQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    message(state, caller, headers, flow, "all".into(), query).await
}

#[utoipa::path(
    get,
    path = "/api/v1/sdmx/data/{flow}/{key}",
    tag = "Interoperability",
    operation_id = "get_api_v1_sdmx_data_flow_key",
    summary = "The same, for the series a key selects (values joined by +, dimensions by ., empty or all for any).",
    params(
        ("flow" = String, Path, description = "A table's code, or SDMX's flow reference AGENCY,ID,VERSION.", max_length = 200),
        ("key" = String, Path, max_length = 200, pattern = r#"^[^\s?#/\x00-\x1f\x7f-\x9f]{1,200}$"#),
        DataParams,
    ),
    responses(
        (status = 200, description = "A data message", content((serde_json::Value = "application/vnd.sdmx.data+json"), (String = "application/vnd.sdmx.data+csv"), (String = "application/vnd.sdmx.genericdata+xml"), (String = "application/vnd.sdmx.structurespecificdata+xml"))),
        (status = 406, description = "No representation the Accept header allows", body = doc::ErrorBody),
    ),
)]
pub async fn data(
    state: State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath((flow, key)): ApiPath<(String, String)>,
    query: ApiQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    message(state, caller, headers, flow, key, query).await
}

/// The query parameters of a data message, as the document lists them.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct DataParams {
    /// The first period wanted, in any SDMX form (2026, 2026-S1, 2026-Q1, 2026-01, 2026-W01,
    /// 2026-01-31) or baocao's (202601, 2026Q1): observations whose period ends on or after
    /// its first day.
    #[param(rename = "startPeriod", max_length = 40)]
    start_period: Option<String>,
    /// The last period wanted (same forms): observations whose period starts on or before
    /// its last day.
    #[param(rename = "endPeriod", max_length = 40)]
    end_period: Option<String>,
    /// The first this many observations of each series.
    #[param(rename = "firstNObservations", minimum = 1, maximum = 1000000)]
    first_n_observations: Option<u32>,
    /// The last this many observations of each series.
    #[param(rename = "lastNObservations", minimum = 1, maximum = 1000000)]
    last_n_observations: Option<u32>,
    /// `full` (default), `dataonly`, `serieskeysonly` or `nodata`.
    #[param(pattern = r"^(?i)(full|dataonly|serieskeysonly|nodata)$")]
    detail: Option<String>,
    /// `TIME_PERIOD` (default) or `AllDimensions`.
    #[param(
        rename = "dimensionAtObservation",
        pattern = r"^(TIME_PERIOD|AllDimensions)$"
    )]
    dimension_at_observation: Option<String>,
    /// The representation, where `Accept` cannot say it: `jsondata`, `sdmx-json-2.0.0`,
    /// `csv`, `sdmx-csv-2.0.0`, `genericdata` or `structurespecificdata`.
    #[param(max_length = 40)]
    format: Option<String>,
    /// The day the table's hierarchy and periods are read as of.
    as_of: Option<jiff::civil::Date>,
    lang: Option<doc::Language>,
}

fn not_acceptable(asked: &str, offered: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_ACCEPTABLE,
        "not_acceptable",
        format!("Không có định dạng nào khớp với {asked:?}; có: {offered}."),
        format!("No representation matches {asked:?}; offered: {offered}."),
    )
}

/// The table's code in a flow reference `AGENCY,ID,VERSION` (or the code itself).
fn flow_id(flow: &str) -> String {
    let parts: Vec<&str> = flow.split(',').collect();
    match parts.as_slice() {
        [_, id] | [_, id, _] => id.to_string(),
        _ => flow.to_string(),
    }
}

async fn message(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
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
    let count = |name: &str| -> Result<Option<usize>, ApiError> {
        find(name)
            .map(|text| {
                text.parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| ApiError::invalid_parameter(name, &text, "a count from 1"))
            })
            .transpose()
    };
    let representation = match find("format") {
        Some(format) => Representation::of_format(&format).ok_or_else(|| {
            ApiError::invalid_parameter(
                "format",
                &format,
                "jsondata, sdmx-json-2.0.0, csv, sdmx-csv-2.0.0, genericdata, structurespecificdata",
            )
        })?,
        None => {
            let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
            Representation::negotiate(accept).ok_or_else(|| {
                not_acceptable(
                    accept.unwrap_or_default(),
                    "application/vnd.sdmx.data+json;version=1.0.0|2.0.0, application/vnd.sdmx.data+csv;version=1.0.0|2.0.0, application/vnd.sdmx.genericdata+xml;version=2.1, application/vnd.sdmx.structurespecificdata+xml;version=2.1",
                )
            })?
        }
    };
    let detail = match find("detail") {
        Some(text) => Detail::parse(&text).ok_or_else(|| {
            ApiError::invalid_parameter("detail", &text, "full, dataonly, serieskeysonly, nodata")
        })?,
        None => Detail::Full,
    };
    let all_dimensions = match find("dimensionAtObservation").as_deref() {
        None | Some("TIME_PERIOD") => false,
        Some("AllDimensions") => true,
        Some(other) => {
            return Err(ApiError::invalid_parameter(
                "dimensionAtObservation",
                other,
                "TIME_PERIOD or AllDimensions",
            ));
        }
    };
    let query = DataQuery {
        start: find("startPeriod"),
        end: find("endPeriod"),
        as_of: find("as_of"),
        lang: find("lang"),
        first_n: count("firstNObservations")?,
        last_n: count("lastNObservations")?,
    };
    let message = data_message(&state, &caller, &flow_id(&flow), &key, query).await?;
    let options = WriteOptions {
        detail,
        all_dimensions,
    };
    let body = sdmx::write(&message, representation, options).map_err(|_| ApiError::internal())?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(representation.media_type()),
        )],
        body,
    )
        .into_response())
}

/// Structure routes' path: agency, flow and version, each optional.
#[derive(Default)]
struct StructurePath {
    agency: Option<String>,
    flow: Option<String>,
    version: Option<String>,
}

impl StructurePath {
    fn of(params: &axum::extract::RawPathParams) -> Self {
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        Self {
            agency: get("agency"),
            flow: get("flow"),
            version: get("version"),
        }
    }
}

/// `GET /api/v1/sdmx/dataflow[/{agency}[/{flow}[/{version}]]]`.
#[utoipa::path(
    get,
    path = "/api/v1/sdmx/dataflow/{agency}/{flow}/{version}",
    tag = "Interoperability",
    operation_id = "get_api_v1_sdmx_dataflow",
    summary = "The dataflows (one per indicator table) as an SDMX-ML 2.1 structure message, or SDMX-JSON by Accept; with references=children|descendants|all|datastructure their data structures, codelists and concepts too. Also at /dataflow, /dataflow/{agency} and /dataflow/{agency}/{flow}.",
    params(
        ("agency" = String, Path, description = "BAOCAO, all or *."),
        ("flow" = String, Path, description = "A table's code, all or *."),
        ("version" = String, Path, description = "1.0, latest, all or *."),
        ("references" = Option<String>, Query, pattern = r"^(none|parents|parentsandsiblings|children|descendants|all|datastructure|codelist|conceptscheme)$"),
        ("lang" = Option<doc::Language>, Query),
    ),
    responses(
        (status = 200, description = "A structure message", content((String = "application/vnd.sdmx.structure+xml"), (serde_json::Value = "application/vnd.sdmx.structure+json"))),
        (status = 406, description = "No representation the Accept header allows", body = doc::ErrorBody),
    ),
)]
pub async fn dataflow(
    state: State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    params: axum::extract::RawPathParams,
    query: ApiQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let path = StructurePath::of(&params);
    structure_message(state, caller, headers, path, query, false).await
}

/// `GET /api/v1/sdmx/datastructure[/{agency}[/{flow}[/{version}]]]`.
#[utoipa::path(
    get,
    path = "/api/v1/sdmx/datastructure/{agency}/{flow}/{version}",
    tag = "Interoperability",
    operation_id = "get_api_v1_sdmx_datastructure",
    summary = "The data structure of each indicator table (its dimensions with their codelists, TIME_PERIOD, OBS_VALUE) as an SDMX-ML 2.1 structure message, or SDMX-JSON by Accept. Also at /datastructure, /datastructure/{agency} and /datastructure/{agency}/{flow}.",
    params(
        ("agency" = String, Path, description = "BAOCAO, all or *."),
        ("flow" = String, Path, description = "A table's code, all or *."),
        ("version" = String, Path, description = "1.0, latest, all or *."),
        ("references" = Option<String>, Query, pattern = r"^(none|parents|parentsandsiblings|children|descendants|all|dataflow|codelist|conceptscheme)$"),
        ("lang" = Option<doc::Language>, Query),
    ),
    responses(
        (status = 200, description = "A structure message", content((String = "application/vnd.sdmx.structure+xml"), (serde_json::Value = "application/vnd.sdmx.structure+json"))),
        (status = 406, description = "No representation the Accept header allows", body = doc::ErrorBody),
    ),
)]
pub async fn datastructure(
    state: State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    params: axum::extract::RawPathParams,
    query: ApiQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let path = StructurePath::of(&params);
    structure_message(state, caller, headers, path, query, true).await
}

/// Whether a structure query asks for SDMX-JSON (`Some(true)`), SDMX-ML (`Some(false)`) or
/// something neither (`None`).
fn structure_json(accept: Option<&str>, format: Option<&str>) -> Option<bool> {
    if let Some(format) = format {
        return match format.to_ascii_lowercase().as_str() {
            "sdmx-json" | "json" | "structure+json" => Some(true),
            "sdmx-ml" | "xml" | "structure" => Some(false),
            _ => None,
        };
    }
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
        return Some(false);
    };
    accept.split(',').find_map(|range| {
        let kind = range
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match kind.as_str() {
            "application/vnd.sdmx.structure+xml"
            | "application/xml"
            | "text/xml"
            | "*/*"
            | "application/*" => Some(false),
            "application/vnd.sdmx.structure+json" => {
                let version = range
                    .split(';')
                    .filter_map(|p| p.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("version"))
                    .map(|(_, v)| v.trim().to_string());
                version.is_none_or(|v| v.starts_with('2')).then_some(true)
            }
            "application/json" => Some(true),
            _ => None,
        }
    })
}

async fn structure_message(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    path: StructurePath,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
    asked_structure: bool,
) -> Result<Response, ApiError> {
    let find = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let any = |part: &Option<String>| {
        part.as_deref()
            .is_none_or(|p| matches!(p, "all" | "*" | "latest" | "+" | "~"))
    };
    if !any(&path.agency) && path.agency.as_deref() != Some(AGENCY) {
        let agency = path.agency.unwrap_or_default();
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_agency",
            format!("Cơ quan duy trì {agency:?} không có ở đây (chỉ {AGENCY})."),
            format!("No maintenance agency {agency:?} here (only {AGENCY})."),
        ));
    }
    if !any(&path.version) && path.version.as_deref() != Some(sdmx::VERSION) {
        let version = path.version.unwrap_or_default();
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_version",
            format!("Không có phiên bản {version:?} (chỉ {}).", sdmx::VERSION),
            format!("No version {version:?} (only {}).", sdmx::VERSION),
        ));
    }
    let flow = path.flow.filter(|f| !any(&Some(f.clone())));
    let references = find("references").unwrap_or_else(|| "none".into());
    let with_structures = asked_structure
        || matches!(
            references.to_ascii_lowercase().as_str(),
            "children" | "descendants" | "all" | "datastructure" | "codelist" | "conceptscheme"
        );
    let json = structure_json(
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()),
        find("format").as_deref(),
    )
    .ok_or_else(|| {
        not_acceptable(
            headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default(),
            "application/vnd.sdmx.structure+xml;version=2.1, application/vnd.sdmx.structure+json;version=2.0.0",
        )
    })?;
    let mut answer = structures(
        &state,
        &caller,
        flow.as_deref(),
        with_structures,
        find("lang"),
    )
    .await?;
    answer.dataflows = !asked_structure
        || matches!(
            references.to_ascii_lowercase().as_str(),
            "parents" | "parentsandsiblings" | "all" | "dataflow"
        );
    let (body, media_type) = if json {
        (structure::write_json(&answer), structure::JSON_MEDIA_TYPE)
    } else {
        (
            structure::write_xml(&answer).map_err(|_| ApiError::internal())?,
            structure::XML_MEDIA_TYPE,
        )
    };
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static(media_type))],
        body,
    )
        .into_response())
}
