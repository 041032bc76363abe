//! The three shapes a data value set arrives in, read into one [`DataValueSet`]: DHIS2's JSON
//! (`application/json`), DHIS2's CSV (`text/csv`: `dataelement, period, orgunit, catoptcombo,
//! attroptcombo, value, …`, the header line optional; the regime from `?dataSet=`) and IHE ADX
//! (`application/adx+xml`: `<group dataSet orgUnit period="2026-11-01/P1M">` holding
//! `<dataValue dataElement value sex="female"/>`, disaggregations as attributes).
//!
//! XML is read by quick-xml, which expands no DTD: an entity other than the five predefined
//! ones (an "entity bomb", an external entity) is an error, never fetched nor expanded.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use baocao_domain::period::PeriodId;
use quick_xml::events::Event;

use super::interop::{DataValueIn, DataValueSet};
use crate::error::ApiError;

fn malformed(kind: &str, detail: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(
        "malformed_payload",
        format!("Dữ liệu {kind} không đọc được: {detail}."),
        format!("The {kind} payload cannot be read: {detail}."),
    )
}

/// Reads the body by its content type.
pub fn read(
    headers: &HeaderMap,
    body: &Bytes,
    data_set: Option<&str>,
) -> Result<DataValueSet, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let mut set = match essence {
        "application/json" | "" => serde_json::from_slice::<DataValueSet>(body).map_err(|e| {
            ApiError::bad_request(
                "invalid_json",
                format!("JSON không hợp lệ: {e}."),
                format!("Invalid JSON: {e}."),
            )
        })?,
        "text/csv" | "application/csv" => csv(body)?,
        "application/adx+xml" | "application/xml" | "text/xml" => adx(body)?,
        other => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "Không nhận kiểu dữ liệu {other:?}: dùng application/json, text/csv hoặc application/adx+xml."
                ),
                format!(
                    "Content type {other:?} is not accepted: use application/json, text/csv or application/adx+xml."
                ),
            ));
        }
    };
    if set.data_set.is_none() {
        set.data_set = data_set.map(str::to_string);
    }
    Ok(set)
}

/// DHIS2's data value CSV.
fn csv(body: &[u8]) -> Result<DataValueSet, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    let mut values = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| malformed("CSV", e))?;
        let cell = |n: usize| record.get(n).map(str::to_string).filter(|c| !c.is_empty());
        if index == 0
            && record
                .get(0)
                .is_some_and(|c| c.eq_ignore_ascii_case("dataelement"))
        {
            continue;
        }
        if record.len() < 6 {
            return Err(malformed(
                "CSV",
                format!(
                    "line {} has {} columns, not at least 6 (dataelement, period, orgunit, catoptcombo, attroptcombo, value)",
                    index + 1,
                    record.len()
                ),
            ));
        }
        let deleted = cell(10).is_some_and(|d| d.eq_ignore_ascii_case("true"));
        values.push(DataValueIn {
            data_element: cell(0).unwrap_or_default(),
            period: cell(1),
            org_unit: cell(2),
            category_option_combo: cell(3),
            value: if deleted {
                None
            } else {
                cell(5).map(serde_json::Value::String)
            },
        });
    }
    Ok(DataValueSet {
        data_set: None,
        period: None,
        org_unit: None,
        data_values: values,
    })
}

/// IHE ADX: every group's values, with the group's orgUnit and period on each; one dataSet.
fn adx(body: &[u8]) -> Result<DataValueSet, ApiError> {
    let mut reader = quick_xml::Reader::from_reader(body);
    reader.config_mut().trim_text(true);
    let mut buffer = Vec::new();
    let mut data_set: Option<String> = None;
    let mut group: Option<(String, String)> = None;
    let mut values = Vec::new();
    let mut saw_root = false;
    loop {
        let event = reader
            .read_event_into(&mut buffer)
            .map_err(|e| malformed("ADX", e))?;
        match event {
            Event::DocType(_) => {
                return Err(malformed(
                    "ADX",
                    "a DOCTYPE (entities and external references are refused)",
                ));
            }
            Event::Start(element) | Event::Empty(element) => {
                let mut attributes = Vec::new();
                for attribute in element.attributes() {
                    let attribute = attribute.map_err(|e| malformed("ADX", e))?;
                    let key =
                        String::from_utf8_lossy(attribute.key.local_name().as_ref()).to_string();
                    let value = attribute
                        .decode_and_unescape_value(reader.decoder())
                        .map_err(|e| malformed("ADX", e))?
                        .to_string();
                    attributes.push((key, value));
                }
                let attribute = |name: &str| {
                    attributes
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.clone())
                };
                match element.local_name().as_ref() {
                    b"adx" => saw_root = true,
                    b"group" => {
                        let set = attribute("dataSet")
                            .ok_or_else(|| malformed("ADX", "a group without dataSet"))?;
                        if data_set.as_ref().is_some_and(|known| known != &set) {
                            return Err(malformed(
                                "ADX",
                                "groups of different dataSets (send one regime a payload)",
                            ));
                        }
                        data_set = Some(set);
                        let interval = attribute("period")
                            .ok_or_else(|| malformed("ADX", "a group without period"))?;
                        let period = PeriodId::from_interval(&interval).map_err(|e| {
                            malformed("ADX", format!("period {interval:?}: {}", e.reason))
                        })?;
                        let org_unit = attribute("orgUnit")
                            .ok_or_else(|| malformed("ADX", "a group without orgUnit"))?;
                        group = Some((org_unit, period.to_string()));
                    }
                    b"dataValue" => {
                        let (org_unit, period) = group
                            .clone()
                            .ok_or_else(|| malformed("ADX", "a dataValue outside a group"))?;
                        let data_element = attribute("dataElement")
                            .ok_or_else(|| malformed("ADX", "a dataValue without dataElement"))?;
                        // Every other attribute is a disaggregation: category = option.
                        let mut combo: Vec<String> = attributes
                            .iter()
                            .filter(|(k, _)| k != "dataElement" && k != "value")
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect();
                        combo.sort();
                        values.push(DataValueIn {
                            data_element,
                            period: Some(period),
                            org_unit: Some(org_unit),
                            category_option_combo: (!combo.is_empty()).then(|| combo.join(";")),
                            value: attribute("value").map(serde_json::Value::String),
                        });
                    }
                    _ => {}
                }
            }
            Event::End(element) if element.local_name().as_ref() == b"group" => group = None,
            Event::Eof => break,
            _ => {}
        }
        buffer.clear();
    }
    if !saw_root {
        return Err(malformed("ADX", "no <adx> root element"));
    }
    Ok(DataValueSet {
        data_set,
        period: None,
        org_unit: None,
        data_values: values,
    })
}
