//! Catalogue imports from CSV or an Excel workbook (its first sheet), all or nothing, every line's problem reported at once, and
//! `?dry_run=true` to see what would happen without writing:
//! - `POST /api/v1/indicators/import`: the columns of [`IndicatorRecord`] (the demo
//!   catalogue's own). New codes are created; known ones get their names, units, frequency,
//!   group and definition rewritten, but never their meaning (value type, aggregation,
//!   disaggregation), which stored numbers depend on.
//! - `POST /api/v1/regimes/import`: one regime a row ([`RegimeRecord`]), stored as drafts —
//!   a ministry's list of regimes, ready for the standardisation check and duplicate search.
//!   Each draft's missing elements are reported; a known code is refused.

use std::collections::{HashMap, HashSet};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use baocao_domain::indicator::{Indicator, IndicatorError, IndicatorRecord};
use baocao_domain::permission::Action;
use baocao_domain::regime::Regime;
use baocao_domain::regime_record::RegimeRecord;
use baocao_formats::catalogue::{self, LineProblem};
use serde::{Deserialize, Serialize};

use super::doc;
use super::interop::flag;
use crate::AppState;
use crate::auth::{ApiBytes, ApiQuery, Caller};
use crate::error::ApiError;

#[derive(Deserialize, Default)]
pub struct ImportOptions {
    dry_run: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LineError {
    /// The line of the file (the header is line 1).
    line: usize,
    code: String,
    message: String,
    message_en: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    dry_run: bool,
    /// Whether the catalogue was changed.
    imported: bool,
    created: Vec<String>,
    updated: Vec<String>,
    unchanged: Vec<String>,
    errors: Vec<LineError>,
}

fn line_error(line: usize, code: &str, vi: String, en: String) -> LineError {
    LineError {
        line,
        code: code.to_string(),
        message: vi,
        message_en: en,
    }
}

/// The table's rows as records with their line numbers (the header is line 1) and codes;
/// unreadable lines and codes given twice go to `errors`.
fn read_records<T: serde::de::DeserializeOwned>(
    table: &[u8],
    code_of: impl Fn(&T) -> String,
    errors: &mut Vec<LineError>,
) -> Vec<(usize, String, T)> {
    let (records, problems) = catalogue::read_records(table, code_of);
    errors.extend(problems.into_iter().map(|error| {
        let (vi, en) = match &error.problem {
            LineProblem::NoCodeColumn => (
                "Dòng tiêu đề thiếu cột code.".to_string(),
                "The header line lacks a code column.".to_string(),
            ),
            LineProblem::DuplicateCode(code) => (
                format!("Mã {code} xuất hiện hai lần trong tệp."),
                format!("Code {code} appears twice in the file."),
            ),
            LineProblem::Unreadable(detail) => (
                format!("Dòng không đọc được: {detail}."),
                format!("Unreadable line: {detail}."),
            ),
        };
        line_error(error.line, &error.code, vi, en)
    }));
    records
}

fn describe(error: &IndicatorError) -> String {
    match error {
        IndicatorError::InvalidCode(code) => format!(
            "Mã không hợp lệ {:?}.",
            crate::error::shortened(code, 80)
        ),
        IndicatorError::InvalidText(_) => {
            "Tên, đơn vị hoặc nhóm dài quá 500 ký tự, định nghĩa quá 100.000 ký tự, hoặc có ký tự ẩn."
                .to_string()
        }
        IndicatorError::MissingNameOrUnit(_) => {
            "Thiếu tên tiếng Việt hoặc đơn vị tính.".to_string()
        }
        IndicatorError::AggregationNotForType {
            value_type,
            aggregation,
            ..
        } => format!("Giá trị kiểu {value_type} không tổng hợp theo {aggregation} được."),
        IndicatorError::BadOptions(code) => format!("Phân tổ {code} không hợp lệ."),
        IndicatorError::UnknownValue { field, value, .. } => {
            let field = match *field {
                "category" => "phân tổ",
                "value type" => "kiểu giá trị",
                "aggregation" => "cách tổng hợp",
                "frequency" => "tần suất",
                other => other,
            };
            format!(
                "Không có {field} {:?}.",
                crate::error::shortened(value, 80)
            )
        }
    }
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The uploaded table as CSV text: CSV as sent, or the first sheet of an xlsx workbook (its
/// first row the header) written out as CSV, so both go through one reader.
fn table_text(
    headers: &HeaderMap,
    body: &Bytes,
    limits: &baocao_formats::Limits,
) -> Result<Vec<u8>, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("text/csv") {
        return Ok(body.to_vec());
    }
    if !content_type.starts_with(XLSX) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Tệp nhập danh mục phải là CSV (text/csv) hoặc Excel (.xlsx).",
            "A catalogue import must be CSV (text/csv) or an Excel workbook (.xlsx).",
        ));
    }
    Ok(catalogue::first_sheet_as_csv(body, limits)?)
}

#[utoipa::path(
    post,
    path = "/api/v1/indicators/import",
    tag = "Catalogue",
    operation_id = "post_api_v1_indicators_import",
    summary = "Import indicators from CSV or an xlsx workbook (first sheet) (code,name_vi,name_en,unit_vi,unit_en,value_type,aggregation,frequency,disaggregation,group[,definition_vi]), all or nothing; ?dry_run=true writes nothing. 422 lists every line's problem.",
    params(
        ("dry_run" = Option<bool>, Query),
    ),
    request_body(content((String = "text/csv"), (doc::Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses(
        (status = 200, description = "Imported (or the dry run's answer)", body = ImportReport),
        (status = 422, description = "Nothing imported: every line's problem", body = ImportReport),
    ),
)]
pub async fn indicators(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(options): ApiQuery<ImportOptions>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, Json<ImportReport>), ApiError> {
    caller.require(Action::AuthorRegimes)?;
    let table = table_text(&headers, &body, &state.config.limits)?;
    let dry_run = flag(options.dry_run.as_deref())?;
    let categories = state.store.categories().await?;
    let existing: HashMap<String, Indicator> = state
        .store
        .indicators(None)
        .await?
        .into_iter()
        .map(|i| (i.code().to_string(), i))
        .collect();
    let mut report = ImportReport {
        dry_run,
        imported: false,
        created: Vec::new(),
        updated: Vec::new(),
        unchanged: Vec::new(),
        errors: Vec::new(),
    };
    let (mut created, mut updated) = (Vec::new(), Vec::new());
    let records = read_records(
        &table,
        |r: &IndicatorRecord| r.code.clone(),
        &mut report.errors,
    );
    for (line, code, record) in records {
        let indicator = match record.into_indicator(&categories) {
            Ok(indicator) => indicator,
            Err(error) => {
                report
                    .errors
                    .push(line_error(line, &code, describe(&error), error.to_string()));
                continue;
            }
        };
        match existing.get(&code) {
            None => {
                report.created.push(code);
                created.push(indicator);
            }
            Some(known) if known == &indicator => report.unchanged.push(code),
            Some(known) => {
                let changes = known.meaning_changes(&indicator);
                if changes.is_empty() {
                    report.updated.push(code);
                    updated.push(indicator);
                } else {
                    report.errors.push(line_error(
                        line,
                        &code,
                        format!(
                            "Chỉ tiêu {code} đã có số liệu theo định nghĩa cũ: không đổi {} được; hãy tạo chỉ tiêu mới.",
                            changes
                                .iter()
                                .map(|c| match *c {
                                    "value_type" => "kiểu giá trị",
                                    "aggregation" => "cách tổng hợp",
                                    _ => "phân tổ",
                                })
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        format!(
                            "Indicator {code} keeps data by its current definition: its {} cannot change; create a new indicator.",
                            changes.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    if !report.errors.is_empty() {
        report.errors.sort_by_key(|e| e.line);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(report)));
    }
    if !dry_run && (!created.is_empty() || !updated.is_empty()) {
        state.store.import_indicators(&created, &updated).await?;
        report.imported = true;
    }
    Ok((StatusCode::OK, Json(report)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RegimeLine {
    line: usize,
    code: String,
    /// The mandatory elements the draft lacks (for the standardisation review).
    missing_elements: Vec<&'static str>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RegimeImportReport {
    dry_run: bool,
    imported: bool,
    created: Vec<RegimeLine>,
    errors: Vec<LineError>,
}

#[utoipa::path(
    post,
    path = "/api/v1/regimes/import",
    tag = "Regimes",
    operation_id = "post_api_v1_regimes_import",
    summary = "Import regimes as drafts from CSV or an xlsx workbook (first sheet), one a row (code,name_vi,name_en,kind,legal_document,legal_issuer,legal_date,content_requirements,reporting_levels,receiving_agency,methods,frequency,cutoff,deadline,deadline_time,outline,indicators), all or nothing; ?dry_run=true writes nothing.",
    params(
        ("dry_run" = Option<bool>, Query),
    ),
    request_body(content((String = "text/csv"), (doc::Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses(
        (status = 200, description = "Imported (or the dry run's answer)", body = RegimeImportReport),
        (status = 422, description = "Nothing imported: every line's problem", body = RegimeImportReport),
    ),
)]
pub async fn regimes(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(options): ApiQuery<ImportOptions>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, Json<RegimeImportReport>), ApiError> {
    caller.require(Action::AuthorRegimes)?;
    let table = table_text(&headers, &body, &state.config.limits)?;
    let dry_run = flag(options.dry_run.as_deref())?;
    let catalogue = baocao_service::catalogue::Catalogue::load(&state.store).await?;
    let known: HashSet<String> = state
        .store
        .regimes(None)
        .await?
        .iter()
        .map(|r| r.code().to_string())
        .collect();
    let mut report = RegimeImportReport {
        dry_run,
        imported: false,
        created: Vec::new(),
        errors: Vec::new(),
    };
    let mut drafts: Vec<Regime> = Vec::new();
    let records = read_records(
        &table,
        |r: &RegimeRecord| r.code.clone(),
        &mut report.errors,
    );
    for (line, code, record) in records {
        if known.contains(&code) {
            report.errors.push(line_error(
                line,
                &code,
                format!("Đã có chế độ báo cáo mã {code}."),
                format!("Regime {code} already exists."),
            ));
            continue;
        }
        let checked = record
            .into_content()
            .map_err(|e| {
                (
                    format!("Cột {}: {:?} không hợp lệ.", e.column, e.value),
                    e.to_string(),
                )
            })
            .and_then(|content| {
                Regime::draft(content).map_err(|e| {
                    let error = super::registry::invalid(&e);
                    (error.message, error.message_en)
                })
            })
            .and_then(|regime| {
                baocao_service::registry::check_with(&catalogue, regime.content())
                    .map(|()| regime)
                    .map_err(|e| {
                        let error = ApiError::from(e);
                        (error.message, error.message_en)
                    })
            });
        match checked {
            Ok(regime) => {
                report.created.push(RegimeLine {
                    line,
                    code,
                    missing_elements: regime
                        .content()
                        .missing_elements()
                        .iter()
                        .map(|e| e.as_str())
                        .collect(),
                });
                drafts.push(regime);
            }
            Err((vi, en)) => report.errors.push(line_error(line, &code, vi, en)),
        }
    }
    if !report.errors.is_empty() {
        report.errors.sort_by_key(|e| e.line);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(report)));
    }
    if !dry_run && !drafts.is_empty() {
        state
            .store
            .create_regimes(&drafts, &state.now_text())
            .await?;
        report.imported = true;
    }
    Ok((StatusCode::OK, Json(report)))
}
