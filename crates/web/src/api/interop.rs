//! DHIS2 data value sets over the API: `POST /api/v1/dataValueSets` (also at DHIS2's own
//! `/api/dataValueSets`) takes DHIS2's JSON, DHIS2's CSV or IHE ADX XML
//! ([`super::payload`]) and answers DHIS2's import summary; `GET` answers
//! a slot's values in the same shape. Pushed values land in the report drafts of their
//! (regime = `dataSet`, agency = `orgUnit`, period) through the very code the UI and the
//! draft API use, so the same cell rules, permissions and optimistic locks hold.
//!
//! Codes are the id scheme: `dataElement` is an indicator code, `orgUnit` an agency code,
//! `categoryOptionCombo` an option combination written `sex=female;area=urban` (absent or
//! `default` for the total). Values go to the `this_period` column of the form that has the
//! row.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use baocao_domain::report::{CellAddress, CellInput, ReportShape};
use baocao_domain::value::OptionCombo;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::catalogue::load_regime;
use super::reports::{ActionBody, DraftEdit, draft_of, perform, read_slot, write_draft};
use crate::AppState;
use crate::auth::{ApiBytes, ApiQuery, Caller};
use crate::error::ApiError;
use crate::validation::Catalogue;
use baocao_domain::submission::SubmissionAction;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataValueSet {
    pub(crate) data_set: Option<String>,
    pub(crate) period: Option<String>,
    pub(crate) org_unit: Option<String>,
    #[serde(default)]
    pub(crate) data_values: Vec<DataValueIn>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct DataValueIn {
    pub(crate) data_element: String,
    pub(crate) period: Option<String>,
    pub(crate) org_unit: Option<String>,
    pub(crate) category_option_combo: Option<String>,
    pub(crate) value: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ImportOptions {
    #[serde(default)]
    dry_run: Option<String>,
    #[serde(default)]
    import_strategy: Option<String>,
    #[serde(default)]
    atomic_mode: Option<String>,
    /// The regime of a CSV payload (JSON and ADX name it inside).
    #[serde(default)]
    data_set: Option<String>,
}

#[derive(Debug, Serialize, Default)]
pub struct ImportCount {
    imported: usize,
    updated: usize,
    ignored: usize,
    deleted: usize,
}

#[derive(Debug, Serialize)]
pub struct Conflict {
    object: String,
    value: String,
    /// The reason in English (DHIS2 clients show `value`); Vietnamese beside it.
    value_vi: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    response_type: &'static str,
    status: &'static str,
    description: String,
    import_count: ImportCount,
    conflicts: Vec<Conflict>,
    dry_run: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Strategy {
    Create,
    Update,
    CreateAndUpdate,
    Delete,
}

pub(crate) fn flag(text: Option<&str>) -> bool {
    matches!(text, Some("true") | Some("1"))
}

fn conflict(object: &str, vi: String, en: String) -> Conflict {
    Conflict {
        object: object.to_string(),
        value: en,
        value_vi: vi,
    }
}

/// A slot of the pushed regime: (orgUnit, period).
type SlotOf = (String, String);

/// One slot's share of the payload, checked: what to send to the draft, and the counts.
struct SlotPlan {
    path: (String, String, String),
    slot: super::reports::Slot,
    version: i32,
    cells: Vec<CellInput>,
    count: ImportCount,
}

pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(options): ApiQuery<ImportOptions>,
    headers: axum::http::HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<Response, ApiError> {
    let set = super::payload::read(&headers, &body, options.data_set.as_deref())?;
    let strategy = match options
        .import_strategy
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("CREATE_AND_UPDATE") | Some("NEW_AND_UPDATES") => Strategy::CreateAndUpdate,
        Some("CREATE") | Some("NEW") => Strategy::Create,
        Some("UPDATE") | Some("UPDATES") => Strategy::Update,
        Some("DELETE") | Some("DELETES") => Strategy::Delete,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_import_strategy",
                format!(
                    "importStrategy {other:?} không hợp lệ (CREATE, UPDATE, CREATE_AND_UPDATE, DELETE)."
                ),
                format!(
                    "Unknown importStrategy {other:?} (CREATE, UPDATE, CREATE_AND_UPDATE, DELETE)."
                ),
            ));
        }
    };
    let atomic = !matches!(
        options
            .atomic_mode
            .as_deref()
            .map(str::to_ascii_uppercase)
            .as_deref(),
        Some("NONE")
    );
    let dry_run = flag(options.dry_run.as_deref());
    let regime_code = set.data_set.clone().ok_or_else(|| {
        ApiError::bad_request(
            "data_set_required",
            "Cần dataSet (mã chế độ báo cáo).",
            "dataSet (the regime's code) is required.",
        )
    })?;
    caller.require_scope(true, &regime_code)?;
    let regime = load_regime(&state, &regime_code).await?;
    let catalogue = Catalogue::load(&state).await?;
    let shape = ReportShape {
        regime: regime.content(),
        indicators: &catalogue.indicators,
        categories: &catalogue.categories,
    };

    // Group the values by slot, keeping their order.
    let mut groups: Vec<(SlotOf, Vec<(usize, DataValueIn)>)> = Vec::new();
    let mut conflicts = Vec::new();
    for (index, value) in set.data_values.iter().enumerate() {
        let org_unit = value.org_unit.clone().or_else(|| set.org_unit.clone());
        let period = value.period.clone().or_else(|| set.period.clone());
        let (Some(org_unit), Some(period)) = (org_unit, period) else {
            conflicts.push(conflict(
                &value.data_element,
                format!("Giá trị số {index} thiếu orgUnit hoặc period."),
                format!("Value {index} lacks an orgUnit or a period."),
            ));
            continue;
        };
        match groups
            .iter_mut()
            .find(|(key, _)| key == &(org_unit.clone(), period.clone()))
        {
            Some((_, list)) => list.push((index, value.clone())),
            None => groups.push(((org_unit, period), vec![(index, value.clone())])),
        }
    }

    let mut plans = Vec::new();
    for ((org_unit, period), values) in groups {
        let path = (regime_code.clone(), org_unit.clone(), period.clone());
        let slot = match draft_of(&state, &caller, &path).await {
            Ok(slot) => slot,
            Err(error) => {
                for (_, value) in &values {
                    conflicts.push(conflict(
                        &format!("{org_unit}/{period}/{}", value.data_element),
                        error.message.clone(),
                        error.message_en.clone(),
                    ));
                }
                continue;
            }
        };
        if !slot.editable {
            for (_, value) in &values {
                conflicts.push(conflict(
                    &format!("{org_unit}/{period}/{}", value.data_element),
                    format!("Không được sửa báo cáo {regime_code} của {org_unit} kỳ {period} (trạng thái {}).", slot.status),
                    format!("Report {regime_code} of {org_unit} for {period} cannot be changed (status {}).", slot.status),
                ));
            }
            continue;
        }
        let current: HashMap<CellAddress, String> = slot
            .values
            .into_iter()
            .map(|cell| (cell.address, cell.value))
            .collect();
        let mut plan = SlotPlan {
            path,
            slot: slot.slot,
            version: slot.version,
            cells: Vec::new(),
            count: ImportCount::default(),
        };
        for (index, value) in values {
            let object = format!("{org_unit}/{period}/{}", value.data_element);
            let Some(form) = regime.content().forms.iter().find(|f| {
                f.rows
                    .iter()
                    .any(|r| r.indicator.as_str() == value.data_element)
            }) else {
                conflicts.push(conflict(
                    &object,
                    format!(
                        "Chỉ tiêu {} không có trong các biểu của {regime_code}.",
                        value.data_element
                    ),
                    format!(
                        "Data element {} is in no form of {regime_code}.",
                        value.data_element
                    ),
                ));
                continue;
            };
            let options =
                match OptionCombo::from_key(value.category_option_combo.as_deref().unwrap_or("")) {
                    Ok(options) => options,
                    Err(error) => {
                        conflicts.push(conflict(
                            &object,
                            format!("categoryOptionCombo không hợp lệ: {error}."),
                            format!("Invalid categoryOptionCombo: {error}."),
                        ));
                        continue;
                    }
                };
            let raw = json!({
                "form": form.code, "row": value.data_element, "column": form.first_measure_column(),
                "options": options,
                "value": if strategy == Strategy::Delete { serde_json::Value::Null } else { value.value.clone().unwrap_or(serde_json::Value::Null) },
            });
            let input: CellInput = match serde_json::from_value(raw) {
                Ok(input) => input,
                Err(error) => {
                    conflicts.push(conflict(
                        &object,
                        format!("Giá trị số {index} không hợp lệ: {error}."),
                        format!("Value {index} is invalid: {error}."),
                    ));
                    continue;
                }
            };
            match shape.check_cell(&input) {
                Err(problem) => {
                    conflicts.push(conflict(&object, problem.message, problem.message_en))
                }
                Ok((address, new)) => {
                    let old = current.get(&address);
                    let counted = match (strategy, old, &new) {
                        (Strategy::Delete, Some(_), _) => Some(&mut plan.count.deleted),
                        (Strategy::Delete, None, _) => None,
                        (_, None, None) => None,
                        (_, Some(old), Some(new)) if old == new => None,
                        (Strategy::Create, Some(_), _) => None,
                        (Strategy::Update, None, _) => None,
                        (_, None, Some(_)) => Some(&mut plan.count.imported),
                        (_, Some(_), None) => Some(&mut plan.count.deleted),
                        (_, Some(_), Some(_)) => Some(&mut plan.count.updated),
                    };
                    match counted {
                        Some(count) => {
                            *count += 1;
                            plan.cells.push(input);
                        }
                        None => plan.count.ignored += 1,
                    }
                }
            }
        }
        plans.push(plan);
    }

    let refused = atomic && !conflicts.is_empty();
    let mut total = ImportCount::default();
    if !refused {
        for plan in &plans {
            total.imported += plan.count.imported;
            total.updated += plan.count.updated;
            total.ignored += plan.count.ignored;
            total.deleted += plan.count.deleted;
        }
    } else {
        total.ignored = set.data_values.len();
    }
    if !refused && !dry_run {
        let submits = caller.client.as_ref().is_some_and(|c| c.can_submit);
        for plan in plans.into_iter().filter(|p| !p.cells.is_empty()) {
            write_draft(
                &state,
                &caller,
                plan.slot,
                DraftEdit {
                    version: plan.version,
                    values: plan.cells,
                    sections: Vec::new(),
                },
                &catalogue,
            )
            .await?;
            // A client granted submission sends the report on; if the rules stop it, the
            // values stay in the draft and the summary says why.
            if submits
                && let Err(error) = perform(
                    &state,
                    &caller,
                    &plan.path,
                    SubmissionAction::Submit,
                    ActionBody::default(),
                )
                .await
            {
                conflicts.push(conflict(
                    &format!("{}/{}", plan.path.1, plan.path.2),
                    format!("Đã lưu bản nháp nhưng chưa gửi được: {}", error.message),
                    format!("Saved as a draft but not submitted: {}", error.message_en),
                ));
            }
        }
    }
    let status = if refused {
        "ERROR"
    } else if conflicts.is_empty() {
        "SUCCESS"
    } else {
        "WARNING"
    };
    let summary = ImportSummary {
        response_type: "ImportSummary",
        status,
        description: if refused {
            "Import refused: at least one value is in conflict and atomicMode is ALL; nothing was imported.".into()
        } else if dry_run {
            "Dry run: nothing was written.".into()
        } else {
            "Import process completed.".into()
        },
        import_count: total,
        conflicts,
        dry_run,
    };
    let code = if refused {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    Ok((code, Json(summary)).into_response())
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
}

/// One value read back: (orgUnit, dataElement, option combination key, value).
type ValueOut = (String, String, String, serde_json::Value);

/// `GET /api/v1/dataValueSets?dataSet=&period=&orgUnit=&children=`: the slots' "this period"
/// values (the draft for its editors, the latest sent version for its receivers) as DHIS2
/// JSON, DHIS2 CSV or IHE ADX (by `format=` or `Accept`), with an ETag: a client that sends
/// it back in `If-None-Match` gets `304 Not Modified` while nothing changed.
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    caller.require_scope(false, &query.data_set)?;
    let mut org_units = vec![query.org_unit.clone()];
    let children = flag(query.children.as_deref());
    if children {
        let period = super::catalogue::parse_period(&query.period)?;
        let parent = super::catalogue::agency_code(&query.org_unit)?;
        let filter = baocao_store::agencies::AgencyFilter {
            parent: Some(parent),
            ..Default::default()
        };
        org_units.extend(
            state
                .store
                .agencies_as_of(period.end(), &filter)
                .await?
                .into_iter()
                .map(|a| a.code.to_string()),
        );
    }
    let mut values: Vec<ValueOut> = Vec::new();
    let mut complete_date = serde_json::Value::Null;
    for (index, org_unit) in org_units.iter().enumerate() {
        let path = (
            query.data_set.clone(),
            org_unit.clone(),
            query.period.clone(),
        );
        let slot = match read_slot(&state, &caller, &path).await {
            Ok(view) => serde_json::to_value(view).unwrap_or_default(),
            // The asked orgUnit must answer (unless its subordinates are what is asked); a
            // subordinate not assigned the regime, or not readable by the caller, is left out.
            Err(error) if index == 0 && !children => return Err(error),
            Err(_) => continue,
        };
        if index == 0 {
            complete_date = slot["versions"]
                .as_array()
                .and_then(|v| v.last())
                .map(|v| v["submitted_at"].clone())
                .unwrap_or_default();
        }
        for cell in slot["values"].as_array().into_iter().flatten() {
            if cell["column"] != "this_period" {
                continue;
            }
            let combo = serde_json::from_value::<OptionCombo>(cell["options"].clone())
                .map(|o| o.key())
                .unwrap_or_default();
            values.push((
                org_unit.clone(),
                cell["row"].as_str().unwrap_or_default().to_string(),
                combo,
                cell["value"].clone(),
            ));
        }
    }
    let accept = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let format = match query.format.as_deref() {
        Some(format) => format.to_ascii_lowercase(),
        None if accept.contains("adx") => "adx".into(),
        None if accept.contains("text/csv") => "csv".into(),
        None => "json".into(),
    };
    let (content_type, body) = match format.as_str() {
        "json" => ("application/json", json!({
            "dataSet": query.data_set, "period": query.period, "orgUnit": query.org_unit,
            "completeDate": complete_date,
            "dataValues": values.iter().map(|(org_unit, element, combo, value)| json!({
                "dataElement": element, "period": query.period, "orgUnit": org_unit,
                "categoryOptionCombo": if combo.is_empty() { "default" } else { combo.as_str() },
                "value": value,
            })).collect::<Vec<_>>(),
        }).to_string()),
        "csv" => ("text/csv; charset=utf-8", values_csv(&query.period, &values)?),
        "adx" => ("application/adx+xml", values_adx(&query, &values)?),
        other => {
            return Err(ApiError::bad_request(
                "invalid_format",
                format!("Định dạng {other:?} không hỗ trợ (json, csv, adx)."),
                format!("Format {other:?} is not offered (json, csv, adx)."),
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

fn text_of(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// DHIS2's data value CSV.
fn values_csv(period: &str, values: &[ValueOut]) -> Result<String, ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let row = |w: &mut csv::Writer<Vec<u8>>, cells: [&str; 6]| {
        w.write_record(cells).map_err(|_| ApiError::internal())
    };
    row(
        &mut writer,
        [
            "dataelement",
            "period",
            "orgunit",
            "catoptcombo",
            "attroptcombo",
            "value",
        ],
    )?;
    for (org_unit, element, combo, value) in values {
        let combo = if combo.is_empty() {
            "default"
        } else {
            combo.as_str()
        };
        row(
            &mut writer,
            [element, period, org_unit, combo, "", &text_of(value)],
        )?;
    }
    let bytes = writer.into_inner().map_err(|_| ApiError::internal())?;
    String::from_utf8(bytes).map_err(|_| ApiError::internal())
}

/// IHE ADX: one group per orgUnit, disaggregations as attributes.
fn values_adx(query: &ExportQuery, values: &[ValueOut]) -> Result<String, ApiError> {
    use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, Event};
    let period = super::catalogue::parse_period(&query.period)?.to_interval();
    let mut writer = quick_xml::Writer::new_with_indent(Vec::new(), b' ', 2);
    let fail = |_| ApiError::internal();
    writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(fail)?;
    let mut root = BytesStart::new("adx");
    root.push_attribute(("xmlns", "urn:ihe:qrph:adx:2015"));
    writer.write_event(Event::Start(root)).map_err(fail)?;
    let mut org_units: Vec<&String> = values.iter().map(|v| &v.0).collect();
    org_units.dedup();
    for org_unit in org_units {
        let mut group = BytesStart::new("group");
        group.push_attribute(("orgUnit", org_unit.as_str()));
        group.push_attribute(("period", period.as_str()));
        group.push_attribute(("dataSet", query.data_set.as_str()));
        writer.write_event(Event::Start(group)).map_err(fail)?;
        for (_, element, combo, value) in values.iter().filter(|v| &v.0 == org_unit) {
            let mut data_value = BytesStart::new("dataValue");
            data_value.push_attribute(("dataElement", element.as_str()));
            for pair in combo.split(';').filter(|p| !p.is_empty()) {
                if let Some((category, option)) = pair.split_once('=') {
                    data_value.push_attribute((category, option));
                }
            }
            data_value.push_attribute(("value", text_of(value).as_str()));
            writer.write_event(Event::Empty(data_value)).map_err(fail)?;
        }
        writer
            .write_event(Event::End(BytesEnd::new("group")))
            .map_err(fail)?;
    }
    writer
        .write_event(Event::End(BytesEnd::new("adx")))
        .map_err(fail)?;
    String::from_utf8(writer.into_inner()).map_err(|_| ApiError::internal())
}
