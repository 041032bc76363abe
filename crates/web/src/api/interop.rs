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
use baocao_service::pull::{self, PeriodsAsked, PullSelection, Pulled};
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

/// What a pull asks, as DHIS2's `GET /api/dataValueSets` takes it: `dataSet`, `period` and
/// `orgUnit` each repeatable (or joined by commas), `startDate`/`endDate` instead of periods,
/// `children` (or DHIS2's older `includeDescendants`), `format`, DHIS2's paging, and DHIS2's
/// id schemes (codes are the identifiers here, so `CODE` and `UID` both name them). Any other
/// parameter is refused by name.
pub struct ExportQuery {
    data_sets: Vec<String>,
    periods: Vec<String>,
    span: Option<(jiff::civil::Date, jiff::civil::Date)>,
    org_units: Vec<String>,
    children: bool,
    /// `json` (default), `csv`, `xml` or `adx`; or ask by `Accept`.
    format: Option<String>,
    page: Option<usize>,
    page_size: Option<usize>,
}

/// DHIS2's id schemes: codes are the identifiers here, so `CODE` and `UID` both name them;
/// `NAME` and attribute schemes are refused by name.
pub(crate) fn id_scheme(name: &str, value: &str) -> Result<(), ApiError> {
    if value.eq_ignore_ascii_case("code") || value.eq_ignore_ascii_case("uid") {
        Ok(())
    } else {
        Err(ApiError::invalid_parameter(
            name,
            value,
            "CODE or UID: codes are the identifiers here",
        ))
    }
}

/// Whether `name` is one of DHIS2's id scheme parameters.
pub(crate) fn is_id_scheme(name: &str) -> bool {
    name == "idScheme" || name.ends_with("IdScheme")
}

impl ExportQuery {
    fn parse(pairs: Vec<(String, String)>) -> Result<Self, ApiError> {
        let mut query = ExportQuery {
            data_sets: Vec::new(),
            periods: Vec::new(),
            span: None,
            org_units: Vec::new(),
            children: false,
            format: None,
            page: None,
            page_size: None,
        };
        let (mut start, mut end) = (None, None);
        let many = |value: &str| -> Vec<String> {
            value
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(String::from)
                .collect()
        };
        let count = |name: &str, value: &str| {
            value
                .parse::<usize>()
                .map_err(|_| ApiError::invalid_parameter(name, value, "a count"))
        };
        let date = |name: &str, value: &str| {
            value
                .parse::<jiff::civil::Date>()
                .map_err(|_| ApiError::invalid_parameter(name, value, "a date YYYY-MM-DD"))
        };
        for (name, value) in pairs {
            match name.as_str() {
                "dataSet" => query.data_sets.extend(many(&value)),
                "period" => query.periods.extend(many(&value)),
                "orgUnit" => query.org_units.extend(many(&value)),
                "startDate" => start = Some(date(&name, &value)?),
                "endDate" => end = Some(date(&name, &value)?),
                "children" | "includeDescendants" => {
                    query.children |= flag(Some(&value))?;
                }
                "format" => query.format = Some(value),
                "page" => query.page = Some(count(&name, &value)?),
                "pageSize" => query.page_size = Some(count(&name, &value)?),
                "paging" if !flag(Some(&value))? => query.page_size = None,
                "paging" => {}
                _ if is_id_scheme(&name) => id_scheme(&name, &value)?,
                _ => {
                    return Err(ApiError::unknown_parameter(&name));
                }
            }
        }
        let missing = |name: &str| {
            ApiError::bad_request(
                "missing_parameter",
                format!("Thiếu tham số {name}."),
                format!("Parameter {name} is required."),
            )
        };
        if query.data_sets.is_empty() {
            return Err(missing("dataSet"));
        }
        if query.org_units.is_empty() {
            return Err(missing("orgUnit"));
        }
        match (start, end, query.periods.is_empty()) {
            (Some(start), Some(end), true) if start <= end => query.span = Some((start, end)),
            (Some(_), Some(_), true) => {
                return Err(ApiError::invalid_parameter(
                    "endDate",
                    "",
                    "not before startDate",
                ));
            }
            (None, None, false) => {}
            (None, None, true) => return Err(missing("period (or startDate and endDate)")),
            _ => {
                return Err(ApiError::bad_request(
                    "invalid_parameter",
                    "Dùng period, hoặc cả startDate và endDate — không dùng lẫn.".to_string(),
                    "Give period, or both startDate and endDate — not a mix.".to_string(),
                ));
            }
        }
        Ok(query)
    }

    /// The one value of a list that holds exactly one.
    fn only(list: &[String]) -> Option<&str> {
        match list {
            [one] => Some(one),
            _ => None,
        }
    }
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
    /// Where every value shares it.
    #[schema(value_type = Option<doc::RegimeCode>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    data_set: Option<&'a str>,
    #[schema(value_type = Option<doc::PeriodId>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<&'a str>,
    #[schema(value_type = Option<doc::AgencyCode>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    org_unit: Option<&'a str>,
    /// When the asked agency's latest version was submitted (one report asked).
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
    /// The options of the regime's attribute categories (`mechanism=PEPFAR`); absent where
    /// the regime declares none.
    #[serde(skip_serializing_if = "str::is_empty")]
    attribute_option_combo: &'a str,
    /// A number, a text or a yes/no.
    value: &'a serde_json::Value,
    /// The reporter's note on the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'a str>,
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
    summary = "Reports' values as a DHIS2 data value set: one slot, or several regimes, periods (or a span of dates) and agencies at once.",
    params(
        ("dataSet" = Vec<doc::RegimeCode>, Query, style = Form, explode, description = "One or more regimes (repeated, or joined by commas)."),
        ("period" = Option<Vec<doc::PeriodId>>, Query, style = Form, explode, description = "One or more periods (repeated, or joined by commas); or startDate and endDate."),
        ("startDate" = Option<jiff::civil::Date>, Query, description = "With endDate: every period of each regime's frequency that overlaps the days."),
        ("endDate" = Option<jiff::civil::Date>, Query),
        ("orgUnit" = Vec<doc::AgencyCode>, Query, style = Form, explode, description = "One or more agencies (repeated, or joined by commas)."),
        ("children" = Option<bool>, Query, description = "The agencies' subordinates too (DHIS2's older includeDescendants is read the same)."),
        ("includeDescendants" = Option<bool>, Query),
        ("idScheme" = Option<String>, Query, pattern = r"^(?i)(code|uid)$", description = "DHIS2's id scheme (and dataElementIdScheme, orgUnitIdScheme, …): codes are the identifiers here, so CODE and UID both name them."),
        ("paging" = Option<bool>, Query),
        ("format" = Option<doc::ValueSetFormat>, Query),
        ("If-None-Match" = Option<String>, Header),
        ("page" = Option<u32>, Query, description = "Page number from 1 (with pageSize).", minimum = 1, maximum = 1000000),
        ("pageSize" = Option<u32>, Query, description = "Values a page, 1 to 50,000; the JSON answer then carries a pager.", minimum = 1, maximum = 50000),
    ),
    responses(
        (status = 200, description = "OK", content((DataValueSet = "application/json"), (String = "text/csv"), (String = "application/xml"), (String = "application/adx+xml"))),
        (status = 304, description = "Not modified since the ETag given"),
    ),
)]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let query = ExportQuery::parse(pairs)?;
    let selection = PullSelection {
        data_sets: query.data_sets.clone(),
        periods: match query.span {
            Some((start, end)) => PeriodsAsked::Between(start, end),
            None => PeriodsAsked::Named(query.periods.clone()),
        },
        org_units: query.org_units.clone(),
        children: query.children,
    };
    let Pulled {
        mut values,
        complete_date,
    } = pull::pull_selection(&state, &caller, &selection).await?;
    let shared = datavalues::SetFields {
        data_set: ExportQuery::only(&query.data_sets),
        period: ExportQuery::only(&query.periods),
        org_unit: ExportQuery::only(&query.org_units),
        complete_date: complete_date.as_deref(),
    };
    let complete_json = shared
        .complete_date
        .map_or(serde_json::Value::Null, |date| {
            serde_json::Value::String(date.to_string())
        });
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
                data_set: shared.data_set,
                period: shared.period,
                org_unit: shared.org_unit,
                complete_date: complete_json,
                data_values: values
                    .iter()
                    .map(|value| DataValue {
                        data_element: &value.data_element,
                        period: &value.period,
                        org_unit: &value.org_unit,
                        category_option_combo: value.combo_or_default(),
                        attribute_option_combo: &value.attributes,
                        value: &value.value,
                        comment: value.comment.as_deref(),
                    })
                    .collect(),
                pager,
            };
            ("application/json", json!(set).to_string())
        }
        "csv" => ("text/csv; charset=utf-8", datavalues::write_csv(&values)?),
        "xml" => (
            "application/xml",
            datavalues::write_dhis2_xml(shared, &values)?,
        ),
        "adx" => ("application/adx+xml", datavalues::write_adx(&values)?),
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
