//! Catalogue imports from CSV or an Excel workbook (its first sheet), all or nothing, every line's problem reported at once, and
//! `?dry_run=true` to see what would happen without writing:
//! - `POST /api/v1/indicators/import`: the columns of [`IndicatorRecord`] (the demo
//!   catalogue's own). New codes are created; known ones get their names, units, frequency,
//!   group and definition rewritten, but never their meaning (value type, aggregation,
//!   disaggregation), which stored numbers depend on.
//! - `POST /api/v1/regimes/import`: one regime a row ([`RegimeRecord`]), stored as drafts —
//!   a ministry's list of regimes, ready for the standardisation check and duplicate search.
//!   Each draft's missing elements are reported; a known code is refused.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use baocao_domain::indicator::IndicatorError;
use baocao_formats::catalogue::{self, LineProblem};
use baocao_service::imports::{self, LineIssue, Problem};
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

/// 200 for an import (or dry run) without problems; 422 when nothing was imported.
fn status_of(problems: &[LineIssue]) -> StatusCode {
    if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// A line's problem in Vietnamese and English.
fn line_error(issue: LineIssue) -> LineError {
    let code = issue.code;
    let (vi, en) = match issue.problem {
        Problem::Line(LineProblem::NoCodeColumn) => (
            "Dòng tiêu đề thiếu cột code.".to_string(),
            "The header line lacks a code column.".to_string(),
        ),
        Problem::Line(LineProblem::DuplicateCode(code)) => (
            format!("Mã {code} xuất hiện hai lần trong tệp."),
            format!("Code {code} appears twice in the file."),
        ),
        Problem::Line(LineProblem::Unreadable(detail)) => (
            format!("Dòng không đọc được: {detail}."),
            format!("Unreadable line: {detail}."),
        ),
        Problem::Indicator(error) => (describe(&error), error.to_string()),
        Problem::MeaningChanges(changes) => (
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
        ),
        Problem::RegimeExists => (
            format!("Đã có chế độ báo cáo mã {code}."),
            format!("Regime {code} already exists."),
        ),
        Problem::Column(error) => (
            format!("Cột {}: {:?} không hợp lệ.", error.column, error.value),
            error.to_string(),
        ),
        Problem::Regime(error) => {
            let error = super::registry::invalid(&error);
            (error.message, error.message_en)
        }
        Problem::Registry(error) => {
            let error = ApiError::from(error);
            (error.message, error.message_en)
        }
    };
    LineError {
        line: issue.line,
        code,
        message: vi,
        message_en: en,
    }
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
    imports::authoring(&caller)?;
    let table = table_text(&headers, &body, &state.config.limits)?;
    let dry_run = flag(options.dry_run.as_deref())?;
    let done = imports::indicators(&state, &caller, &table, dry_run).await?;
    let status = status_of(&done.problems);
    Ok((
        status,
        Json(ImportReport {
            dry_run,
            imported: done.imported,
            created: done.created,
            updated: done.updated,
            unchanged: done.unchanged,
            errors: done.problems.into_iter().map(line_error).collect(),
        }),
    ))
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
    imports::authoring(&caller)?;
    let table = table_text(&headers, &body, &state.config.limits)?;
    let dry_run = flag(options.dry_run.as_deref())?;
    let done = imports::regimes(&state, &caller, &table, dry_run).await?;
    let status = status_of(&done.problems);
    Ok((
        status,
        Json(RegimeImportReport {
            dry_run,
            imported: done.imported,
            created: done
                .created
                .into_iter()
                .map(|draft| RegimeLine {
                    line: draft.line,
                    code: draft.code,
                    missing_elements: draft.missing_elements,
                })
                .collect(),
            errors: done.problems.into_iter().map(line_error).collect(),
        }),
    ))
}
