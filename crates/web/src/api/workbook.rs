//! A report as an Excel workbook, for agencies that fill their numbers in a spreadsheet:
//! `GET /api/v1/reports/{regime}/{agency}/{period}/workbook` answers the slot's forms, one
//! sheet each, headers in Vietnamese, the current draft filled in, the input cells unlocked
//! on a protected sheet and checked by Excel's data validation (numbers, and the row's
//! minimum and maximum); `POST` of the filled workbook writes it into the draft through the
//! same checks as the web form, or answers every refused cell by its sheet and address and
//! writes nothing.
//!
//! Each sheet carries its keys for the way back: row 5 (hidden) holds the form code and the
//! column codes, column A (hidden) each row's indicator and option combination.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use baocao_domain::report::{
    CellAddress, CellInput, MAX_COMBINATIONS, ReportShape, cell_layout, is_derived,
};
use baocao_domain::value::OptionCombo;
use rust_xlsxwriter::{DataValidation, DataValidationRule, Format, Workbook, XlsxError};
use serde::Serialize;

use super::catalogue::{load_regime_for, parse_period};
use super::doc;
use super::reports::{DraftEdit, edit_draft, read_slot};
use crate::AppState;
use crate::auth::{ApiBytes, Caller};
use crate::error::ApiError;
use crate::validation::Catalogue;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The hidden row of keys, and the first row of cells (0-based).
const KEY_ROW: u32 = 4;
const FIRST_ROW: u32 = 5;
/// The first column of values (A key, B code, C name, D unit, E disaggregation).
const FIRST_VALUE_COLUMN: u16 = 5;

type SlotPath = (String, String, String);

fn column_label(column: baocao_domain::regime::FormColumn) -> &'static str {
    use baocao_domain::regime::FormColumn::*;
    match column {
        ThisPeriod => "Kỳ báo cáo",
        SamePeriodLastYear => "Cùng kỳ năm trước",
        YearToDate => "Lũy kế từ đầu năm",
        PreviousPeriod => "Kỳ trước",
        Plan => "Kế hoạch",
    }
}

/// The row's disaggregation in Vietnamese: "Tổng số" for the total.
fn combo_label(combo: &OptionCombo, catalogue: &Catalogue) -> String {
    if combo.is_total() {
        return "Tổng số".to_string();
    }
    crate::i18n::combo_label(combo, &catalogue.categories, crate::i18n::Lang::Vi)
}

fn xlsx_failed(_: XlsxError) -> ApiError {
    ApiError::internal()
}

/// `GET …/workbook`: the slot as a workbook to fill.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{regime}/{agency}/{period}/workbook",
    tag = "Reports",
    operation_id = "get_api_v1_reports_workbook",
    summary = "The report as an xlsx workbook to fill: one sheet a form, Vietnamese headers, the draft filled in, input cells unlocked on a protected sheet with data validation.",
    params(
        doc::ReportPath,
    ),
    responses(
        (status = 200, description = "The workbook", body = doc::Binary, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ),
)]
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<SlotPath>,
) -> Result<Response, ApiError> {
    let view = serde_json::to_value(read_slot(&state, &caller, &path).await?).unwrap_or_default();
    let period = parse_period(&path.2)?;
    let regime = load_regime_for(&state, &path.0, period.start()).await?;
    let catalogue = Catalogue::load(&state).await?;
    let content = regime.content();
    let stored: Vec<(CellAddress, serde_json::Value)> = view["values"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|cell| {
            let address: CellAddress = serde_json::from_value(cell.clone()).ok()?;
            Some((address, cell["value"].clone()))
        })
        .collect();
    let layout = cell_layout(
        content,
        &catalogue.indicators,
        &catalogue.categories,
        MAX_COMBINATIONS,
    );

    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_background_color("#DDE6F0")
        .set_text_wrap();
    let input = Format::new().set_unlocked().set_background_color("#FFFDE7");
    let derived = Format::new().set_background_color("#EEEEEE");
    for (form_index, form) in content.forms.iter().enumerate() {
        let sheet = workbook.add_worksheet();
        sheet
            .set_name(format!("Biểu {}", form_index + 1))
            .map_err(xlsx_failed)?;
        let title = format!(
            "{} — {} {}",
            content.name.as_deref().unwrap_or(regime.code().as_str()),
            form.code,
            form.title_vi
        );
        sheet
            .write_string_with_format(0, 1, &title, &bold)
            .map_err(xlsx_failed)?;
        let deadline = view["deadline"].as_str().unwrap_or("");
        sheet
            .write_string(
                1,
                1,
                format!(
                    "Đơn vị báo cáo: {} · Kỳ: {} · Hạn gửi: {deadline}",
                    path.1, path.2
                ),
            )
            .map_err(xlsx_failed)?;
        sheet
            .write_string(
                2,
                1,
                "Nhập số liệu vào các ô nền vàng; ô nền xám được tính tự động.",
            )
            .map_err(xlsx_failed)?;
        for (col, label) in [
            "Khóa",
            "Mã chỉ tiêu",
            "Tên chỉ tiêu",
            "Đơn vị tính",
            "Phân tổ",
        ]
        .iter()
        .enumerate()
        {
            sheet
                .write_string_with_format(3, col as u16, *label, &header)
                .map_err(xlsx_failed)?;
        }
        sheet
            .write_string(KEY_ROW, 0, &form.code)
            .map_err(xlsx_failed)?;
        for (offset, column) in form.columns.iter().enumerate() {
            let col = FIRST_VALUE_COLUMN + offset as u16;
            sheet
                .write_string_with_format(3, col, column_label(*column), &header)
                .map_err(xlsx_failed)?;
            sheet
                .write_string(KEY_ROW, col, column.as_str())
                .map_err(xlsx_failed)?;
            sheet.set_column_width(col, 16).map_err(xlsx_failed)?;
        }
        sheet.set_row_hidden(KEY_ROW).map_err(xlsx_failed)?;
        sheet.set_column_hidden(0).map_err(xlsx_failed)?;
        sheet.set_column_width(2, 48).map_err(xlsx_failed)?;
        sheet.set_column_width(4, 22).map_err(xlsx_failed)?;
        let mut row = FIRST_ROW;
        let cells: Vec<&(usize, CellAddress, bool)> =
            layout.iter().filter(|(f, _, _)| *f == form_index).collect();
        for chunk in cells.chunks(form.columns.len().max(1)) {
            let address = &chunk[0].1;
            let Some(indicator) = catalogue
                .indicators
                .iter()
                .find(|i| i.code() == &address.row)
            else {
                continue;
            };
            let key = format!("{}|{}", address.row, address.options.key());
            sheet.write_string(row, 0, &key).map_err(xlsx_failed)?;
            sheet
                .write_string(row, 1, address.row.as_str())
                .map_err(xlsx_failed)?;
            sheet
                .write_string(row, 2, &indicator.name_vi)
                .map_err(xlsx_failed)?;
            sheet
                .write_string(row, 3, &indicator.unit_vi)
                .map_err(xlsx_failed)?;
            sheet
                .write_string(row, 4, combo_label(&address.options, &catalogue))
                .map_err(xlsx_failed)?;
            let rules = form
                .rows
                .iter()
                .find(|r| r.indicator == address.row)
                .map(|r| &r.cells);
            for (offset, (_, cell, _)) in chunk.iter().enumerate() {
                let col = FIRST_VALUE_COLUMN + offset as u16;
                let format = if is_derived(cell.column, indicator) {
                    &derived
                } else {
                    &input
                };
                let value = stored
                    .iter()
                    .find(|(a, _)| a == cell)
                    .map(|(_, v)| v.clone());
                match value
                    .as_ref()
                    .and_then(|v| v.as_str())
                    .map(|t| (t, t.parse::<f64>()))
                {
                    Some((_, Ok(number))) => {
                        sheet
                            .write_number_with_format(row, col, number, format)
                            .map_err(xlsx_failed)?;
                    }
                    Some((text, Err(_))) => {
                        sheet
                            .write_string_with_format(row, col, text, format)
                            .map_err(xlsx_failed)?;
                    }
                    None => {
                        sheet.write_blank(row, col, format).map_err(xlsx_failed)?;
                    }
                }
                if !is_derived(cell.column, indicator) && indicator.value_type().is_numeric() {
                    let min = rules.and_then(|r| r.min).unwrap_or(
                        if rules.is_some_and(|r| r.non_negative) {
                            0.0
                        } else {
                            -1e15
                        },
                    );
                    let max = rules.and_then(|r| r.max).unwrap_or(1e15);
                    let validation = DataValidation::new()
                        .allow_decimal_number(DataValidationRule::Between(min, max))
                        .set_error_message(format!("Nhập một số từ {min} đến {max}."))
                        .map_err(xlsx_failed)?;
                    sheet
                        .add_data_validation(row, col, row, col, &validation)
                        .map_err(xlsx_failed)?;
                }
            }
            row += 1;
        }
        sheet
            .set_freeze_panes(FIRST_ROW, FIRST_VALUE_COLUMN)
            .map_err(xlsx_failed)?;
        sheet.protect();
    }
    let bytes = workbook.save_to_buffer().map_err(xlsx_failed)?;
    let name = format!("{}_{}_{}.xlsx", path.0, path.1, path.2);
    Ok((
        [
            (header::CONTENT_TYPE, XLSX.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A refused workbook: the error, and every cell that could not be taken.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RefusedWorkbook {
    #[schema(value_type = doc::ErrorDetail)]
    error: serde_json::Value,
    cells: Vec<CellError>,
}

/// A cell the workbook could not give, by where it is.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CellError {
    sheet: String,
    cell: String,
    row: String,
    column: String,
    message: String,
    message_en: String,
}

/// `A1`-style reference of a 0-based cell.
fn reference(row: u32, col: u16) -> String {
    let mut letters = String::new();
    let mut n = u32::from(col) + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.insert(0, (b'A' + rem as u8) as char);
        n = (n - 1) / 26;
    }
    format!("{letters}{}", row + 1)
}

fn text_of(cell: &baocao_formats::xlsx::Data) -> Option<String> {
    use baocao_formats::xlsx::Data;
    match cell {
        Data::Empty => None,
        Data::Float(number) => Some(baocao_domain::report::canonical_number(*number)),
        Data::Int(number) => Some(number.to_string()),
        other => Some(other.to_string().trim().to_string()).filter(|t| !t.is_empty()),
    }
}

/// `POST …/workbook`: the filled workbook into the draft, all or nothing.
#[utoipa::path(
    post,
    path = "/api/v1/reports/{regime}/{agency}/{period}/workbook",
    tag = "Reports",
    operation_id = "post_api_v1_reports_workbook",
    summary = "A filled workbook into the draft, all or nothing; 422 names every refused cell by sheet and address.",
    params(
        doc::ReportPath,
    ),
    request_body(content((doc::Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (doc::Binary = "application/octet-stream"))),
    responses(
        (status = 200, description = "The draft", body = super::reports::SlotView),
        (status = 422, description = "Refused cells", body = RefusedWorkbook),
    ),
)]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<SlotPath>,
    ApiBytes(body): ApiBytes,
) -> Result<Response, ApiError> {
    let view = serde_json::to_value(read_slot(&state, &caller, &path).await?).unwrap_or_default();
    let period = parse_period(&path.2)?;
    let regime = load_regime_for(&state, &path.0, period.start()).await?;
    let catalogue = Catalogue::load(&state).await?;
    let shape = ReportShape {
        regime: regime.content(),
        indicators: &catalogue.indicators,
        categories: &catalogue.categories,
    };
    let unreadable = |detail: String| {
        ApiError::bad_request(
            "invalid_workbook",
            format!("Không đọc được tệp Excel: {detail}."),
            format!("The workbook cannot be read: {detail}."),
        )
    };
    let limits = state.config.limits;
    let sheets = tokio::task::spawn_blocking(move || baocao_formats::xlsx::read(&body, &limits))
        .await
        .map_err(|_| ApiError::internal())??;
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for sheet in &sheets {
        let name = &sheet.name;
        let at = |row: u32, col: u32| sheet.get(row, col).and_then(text_of);
        let Some(form_code) = at(KEY_ROW, 0) else {
            continue;
        };
        let Some(form) = regime.content().form(&form_code) else {
            return Err(unreadable(format!(
                "sheet {name} is of form {:?}, which the regime does not have",
                crate::error::shortened(&form_code, 80)
            )));
        };
        let columns: Vec<(u16, baocao_domain::regime::FormColumn)> = (0..form.columns.len() as u16)
            .filter_map(|offset| {
                let col = FIRST_VALUE_COLUMN + offset;
                at(KEY_ROW, u32::from(col))?.parse().ok().map(|c| (col, c))
            })
            .collect();
        for row in sheet.rows().filter(|row| *row >= FIRST_ROW) {
            let Some(key) = at(row, 0) else { continue };
            let Some((indicator, combo)) = key.split_once('|') else {
                continue;
            };
            let Ok(indicator_code) = baocao_domain::indicator::IndicatorCode::new(indicator) else {
                continue;
            };
            let Ok(options) = OptionCombo::from_key(combo) else {
                continue;
            };
            let derived_row = catalogue
                .indicators
                .iter()
                .find(|i| i.code() == &indicator_code);
            for (col, column) in &columns {
                if derived_row.is_some_and(|i| is_derived(*column, i)) {
                    continue;
                }
                let input = CellInput {
                    address: CellAddress {
                        form: form.code.clone(),
                        row: indicator_code.clone(),
                        column: *column,
                        options: options.clone(),
                    },
                    value: at(row, u32::from(*col)).map(serde_json::Value::String),
                };
                match shape.check_cell(&input) {
                    Ok(_) => inputs.push(input),
                    Err(problem) => errors.push(CellError {
                        sheet: name.clone(),
                        cell: reference(row, *col),
                        row: indicator.to_string(),
                        column: column.as_str().to_string(),
                        message: problem.message,
                        message_en: problem.message_en,
                    }),
                }
            }
        }
    }
    if !errors.is_empty() {
        let body = RefusedWorkbook {
            error: serde_json::json!({
                "code": "workbook_refused",
                "message": format!("{} ô không hợp lệ; chưa lưu gì.", errors.len()),
                "message_en": format!("{} cells are not valid; nothing was saved.", errors.len()),
            }),
            cells: errors,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response());
    }
    let version = view["version"].as_i64().unwrap_or(0) as i32;
    let saved = edit_draft(
        &state,
        &caller,
        &path,
        DraftEdit {
            version,
            values: inputs,
            sections: Vec::new(),
        },
    )
    .await?;
    Ok(axum::Json(saved).into_response())
}
