//! DHIS2 data value sets read back over the API: `GET /api/v1/dataValueSets` (also at DHIS2's
//! own `/api/dataValueSets`) answers reports' values ([`baocao_service::pull`]) as DHIS2's
//! JSON, DHIS2's CSV or IHE ADX XML, a page at a time if asked.
//! The push side is [`super::push`]; the payload readers [`super::payload`].
//!
//! Codes are the id scheme: `dataElement` is an indicator code, `orgUnit` an agency code,
//! `categoryOptionCombo` an option combination written `sex=female;area=urban` (absent or
//! `default` for the total). Values are the `this_period` column of the form that has the
//! row.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use baocao_formats::datavalues;
use baocao_service::pull::{self, PullQuery, Pulled};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::doc;
use crate::AppState;
use crate::auth::{ApiQuery, Caller};
use crate::error::ApiError;

/// One value as pushed, as the API document describes it (read by
/// [`baocao_formats::datavalues::DataValueIn`]): codes are the id scheme; a value with
/// `deleted: true` removes the cell. Period and agency default to the set's. Any field not
/// listed here is a conflict naming it, never dropped.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // read by the codec; here for the document only
pub struct DataValueDocument {
    /// The indicator.
    #[schema(value_type = doc::IndicatorCode)]
    data_element: String,
    /// Any DHIS2 period id; one of a type the regime is not reported in is a conflict.
    period: Option<String>,
    #[schema(value_type = Option<doc::AgencyCode>)]
    org_unit: Option<String>,
    /// `default` (the total) or a disaggregation such as `sex=female;area=rural`.
    #[schema(
        pattern = r"^(default|(sex=(male|female)|area=(urban|rural))(;area=(urban|rural))?)?$"
    )]
    category_option_combo: Option<String>,
    /// A number, a text, a yes/no, or null to clear the cell.
    value: Option<serde_json::Value>,
    #[serde(default)]
    deleted: Option<bool>,
    /// Only `default` (or DHIS2's default id): any other is a conflict.
    attribute_option_combo: Option<String>,
    /// Values carry no comment here: a non-empty one is a conflict.
    comment: Option<String>,
    /// `true` is a conflict (the mark is not kept).
    followup: Option<bool>,
    /// Read and not kept: the server records who pushed the value and when.
    stored_by: Option<String>,
    /// Read and not kept.
    created: Option<String>,
    /// Read and not kept.
    last_updated: Option<String>,
}

/// A yes/no query parameter: `true`/`1`, `false`/`0`, or absent (no); anything else is a
/// clear 400 rather than a silent "no".
pub(crate) fn flag(text: Option<&str>) -> Result<bool, ApiError> {
    match text {
        None | Some("") | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(other) => Err(ApiError::bad_request(
            "invalid_flag",
            format!("Giá trị {other:?} không hợp lệ: dùng true hoặc false."),
            format!("{other:?} is not a yes/no value: use true or false."),
        )),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportQuery {
    data_set: String,
    period: String,
    org_unit: String,
    /// `true`: the orgUnit's subordinates too (as they stood at the period's end).
    #[serde(default)]
    children: Option<String>,
    /// `json` (default), `csv` or `adx`; or ask by `Accept`.
    #[serde(default)]
    format: Option<String>,
    /// DHIS2's paging: `pageSize` values a page (at most 50,000), `page` from 1; without
    /// `pageSize`, every value.
    #[serde(default)]
    page: Option<usize>,
    #[serde(default)]
    page_size: Option<usize>,
}

/// Values a page at most.
const MAX_PAGE_SIZE: usize = 50_000;

/// `GET /api/v1/dataValueSets?dataSet=&period=&orgUnit=&children=`: the slots' "this period"
/// values (the draft for its editors, the latest sent version for its receivers) as DHIS2
/// JSON, DHIS2 CSV or IHE ADX (by `format=` or `Accept`), with an ETag: a client that sends
/// it back in `If-None-Match` gets `304 Not Modified` while nothing changed.
/// A data value set as pulled in JSON, in DHIS2's shape.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataValueSet<'a> {
    #[schema(value_type = doc::RegimeCode)]
    data_set: &'a str,
    #[schema(value_type = doc::PeriodId)]
    period: &'a str,
    #[schema(value_type = doc::AgencyCode)]
    org_unit: &'a str,
    /// When the asked agency's latest version was submitted.
    #[schema(value_type = Option<String>)]
    complete_date: serde_json::Value,
    data_values: Vec<DataValue<'a>>,
    /// With `pageSize`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pager: Option<Pager>,
}

/// One value pulled.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataValue<'a> {
    #[schema(value_type = doc::IndicatorCode)]
    data_element: &'a str,
    #[schema(value_type = doc::PeriodId)]
    period: &'a str,
    #[schema(value_type = doc::AgencyCode)]
    org_unit: &'a str,
    /// `default` for the total, else the disaggregation (`sex=female;area=rural`).
    category_option_combo: &'a str,
    /// A number, a text or a yes/no.
    value: &'a serde_json::Value,
}

/// DHIS2's pager.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pager {
    page: usize,
    page_size: usize,
    total: usize,
    page_count: usize,
}

#[utoipa::path(
    get,
    path = "/api/v1/dataValueSets",
    tag = "Interoperability",
    operation_id = "get_api_v1_dataValueSets",
    summary = "A slot's values as a DHIS2 data value set.",
    params(
        ("dataSet" = doc::RegimeCode, Query),
        ("period" = doc::PeriodId, Query),
        ("orgUnit" = doc::AgencyCode, Query),
        ("children" = Option<bool>, Query),
        ("format" = Option<doc::ValueSetFormat>, Query),
        ("If-None-Match" = Option<String>, Header),
        ("page" = Option<u32>, Query, description = "Page number from 1 (with pageSize).", minimum = 1, maximum = 1000000),
        ("pageSize" = Option<u32>, Query, description = "Values a page, 1 to 50,000; the JSON answer then carries a pager.", minimum = 1, maximum = 50000),
    ),
    responses(
        (status = 200, description = "OK", content((DataValueSet = "application/json"), (String = "text/csv"), (String = "application/adx+xml"))),
        (status = 304, description = "Not modified since the ETag given"),
    ),
)]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let pull = PullQuery {
        data_set: query.data_set.clone(),
        period: query.period.clone(),
        org_unit: query.org_unit.clone(),
        children: flag(query.children.as_deref())?,
    };
    let Pulled {
        mut values,
        complete_date,
    } = pull::pull(&state, &caller, &pull).await?;
    let complete_date = complete_date.map_or(serde_json::Value::Null, serde_json::Value::String);
    let total = values.len();
    let pager = match query.page_size {
        None => None,
        Some(size) if (1..=MAX_PAGE_SIZE).contains(&size) && query.page != Some(0) => {
            let page = query.page.unwrap_or(1);
            values = values
                .into_iter()
                .skip((page - 1) * size)
                .take(size)
                .collect();
            Some(Pager {
                page,
                page_size: size,
                total,
                page_count: total.div_ceil(size).max(1),
            })
        }
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_page",
                format!("page từ 1, pageSize từ 1 đến {MAX_PAGE_SIZE}."),
                format!("page counts from 1; pageSize is 1 to {MAX_PAGE_SIZE}."),
            ));
        }
    };
    let accept = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let format = match query.format.as_deref() {
        Some(format) => format.to_ascii_lowercase(),
        None if accept.contains("adx") => "adx".into(),
        None if accept.contains("text/csv") => "csv".into(),
        None if accept.contains("application/xml") || accept.contains("text/xml") => "xml".into(),
        None => "json".into(),
    };
    let (content_type, body) = match format.as_str() {
        "json" => {
            let set = DataValueSet {
                data_set: &query.data_set,
                period: &query.period,
                org_unit: &query.org_unit,
                complete_date,
                data_values: values
                    .iter()
                    .map(|value| DataValue {
                        data_element: &value.data_element,
                        period: &query.period,
                        org_unit: &value.org_unit,
                        category_option_combo: value.combo_or_default(),
                        value: &value.value,
                    })
                    .collect(),
                pager,
            };
            ("application/json", json!(set).to_string())
        }
        "csv" => (
            "text/csv; charset=utf-8",
            datavalues::write_csv(&query.period, &values)?,
        ),
        "xml" => (
            "application/xml",
            datavalues::write_dhis2_xml(
                &query.data_set,
                &query.period,
                complete_date.as_str(),
                &values,
            )?,
        ),
        "adx" => {
            let period = crate::extract::parse_period(&query.period)?;
            (
                "application/adx+xml",
                datavalues::write_adx(&query.data_set, period, &values)?,
            )
        }
        other => {
            return Err(ApiError::bad_request(
                "invalid_format",
                format!("Định dạng {other:?} không hỗ trợ (json, csv, xml, adx)."),
                format!("Format {other:?} is not offered (json, csv, xml, adx)."),
            ));
        }
    };
    let etag = format!("\"{}\"", baocao_domain::signature::digest_hex(&body));
    let fresh = headers
        .get(axum::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|given| given.split(',').any(|tag| tag.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(axum::http::header::CONTENT_TYPE, content_type)], body).into_response()
    };
    if let Ok(value) = axum::http::HeaderValue::from_str(&etag) {
        response
            .headers_mut()
            .insert(axum::http::header::ETAG, value);
    }
    Ok(response)
}
