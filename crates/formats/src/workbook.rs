//! A report as an Excel workbook, for agencies that fill their numbers in a spreadsheet, both
//! ways: [`write`] lays the regime's forms out one sheet each (headers in Vietnamese, the
//! current content filled in, input cells unlocked on a protected sheet and checked by Excel's
//! data validation: numbers, and the row's minimum and maximum); [`read`] takes a filled
//! workbook back as cell inputs, checked by the domain's report shape, or names every refused
//! cell by its sheet and address.
//!
//! Each sheet carries its keys for the way back: row 5 (hidden) holds the form code and the
//! column codes, column A (hidden) each row's indicator and option combination.

use baocao_domain::indicator::IndicatorCode;
use baocao_domain::regime::{FormColumn, RegimeContent};
use baocao_domain::report::{
    CellAddress, CellInput, MAX_COMBINATIONS, ReportShape, cell_layout, is_derived,
};
use baocao_domain::value::OptionCombo;
use rust_xlsxwriter::{DataValidation, DataValidationRule, Format, Workbook};

use crate::Limits;
use crate::formula::{self, FormulaError};
use crate::table::WriteError;
use crate::xlsx::{Data, Sheet, WorkbookError};

/// The hidden row of keys, and the first row of cells (0-based).
const KEY_ROW: u32 = 4;
const FIRST_ROW: u32 = 5;
/// The first column of values (A key, B code, C name, D unit, E disaggregation).
const FIRST_VALUE_COLUMN: u16 = 5;

/// What a workbook to fill is made of.
pub struct Blank<'a> {
    /// The report's shape: the regime in force, the catalogue.
    pub shape: &'a ReportShape<'a>,
    /// The title's name when the regime has none.
    pub regime_code: &'a str,
    pub agency: &'a str,
    pub period: &'a str,
    /// The deadline as shown.
    pub deadline: &'a str,
    /// The cells already filled, with their values as stored.
    pub filled: &'a [(CellAddress, serde_json::Value)],
    /// A row's disaggregation in Vietnamese.
    pub combo_label: &'a dyn Fn(&OptionCombo) -> String,
}

/// The workbook to fill, one sheet a form.
pub fn write(blank: &Blank<'_>) -> Result<Vec<u8>, WriteError> {
    let content: &RegimeContent = blank.shape.regime;
    let indicators = blank.shape.indicators;
    let layout = cell_layout(
        content,
        indicators,
        blank.shape.categories,
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
        sheet.set_name(format!("Biểu {}", form_index + 1))?;
        let title = format!(
            "{} — {} {}",
            content.name.as_deref().unwrap_or(blank.regime_code),
            form.code,
            form.title_vi
        );
        sheet.write_string_with_format(0, 1, &title, &bold)?;
        sheet.write_string(
            1,
            1,
            format!(
                "Đơn vị báo cáo: {} · Kỳ: {} · Hạn gửi: {}",
                blank.agency, blank.period, blank.deadline
            ),
        )?;
        sheet.write_string(
            2,
            1,
            "Nhập số liệu vào các ô nền vàng; ô nền xám được tính tự động.",
        )?;
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
            sheet.write_string_with_format(3, col as u16, *label, &header)?;
        }
        sheet.write_string(KEY_ROW, 0, &form.code)?;
        for (offset, column) in form.columns.iter().enumerate() {
            let col = FIRST_VALUE_COLUMN + offset as u16;
            sheet.write_string_with_format(3, col, column.heading_vi(), &header)?;
            sheet.write_string(KEY_ROW, col, column.as_str())?;
            sheet.set_column_width(col, 16)?;
        }
        sheet.set_row_hidden(KEY_ROW)?;
        sheet.set_column_hidden(0)?;
        sheet.set_column_width(2, 48)?;
        sheet.set_column_width(4, 22)?;
        let mut row = FIRST_ROW;
        let cells: Vec<&(usize, CellAddress, bool)> =
            layout.iter().filter(|(f, _, _)| *f == form_index).collect();
        for chunk in cells.chunks(form.columns.len().max(1)) {
            let address = &chunk[0].1;
            let Some(indicator) = indicators.iter().find(|i| i.code() == &address.row) else {
                continue;
            };
            let key = format!("{}|{}", address.row, address.options.key());
            sheet.write_string(row, 0, &key)?;
            sheet.write_string(row, 1, address.row.as_str())?;
            sheet.write_string(row, 2, &indicator.name_vi)?;
            sheet.write_string(row, 3, &indicator.unit_vi)?;
            let combo = if address.options.is_total() {
                "Tổng số".to_string()
            } else {
                (blank.combo_label)(&address.options)
            };
            sheet.write_string(row, 4, combo)?;
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
                let value = blank
                    .filled
                    .iter()
                    .find(|(a, _)| a == cell)
                    .map(|(_, v)| v.clone());
                match value
                    .as_ref()
                    .and_then(|v| v.as_str())
                    .map(|t| (t, t.parse::<f64>()))
                {
                    Some((_, Ok(number))) => {
                        sheet.write_number_with_format(row, col, number, format)?;
                    }
                    Some((text, Err(_))) => {
                        sheet.write_string_with_format(row, col, text, format)?;
                    }
                    None => {
                        sheet.write_blank(row, col, format)?;
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
                        .set_error_message(format!("Nhập một số từ {min} đến {max}."))?;
                    sheet.add_data_validation(row, col, row, col, &validation)?;
                }
            }
            row += 1;
        }
        sheet.set_freeze_panes(FIRST_ROW, FIRST_VALUE_COLUMN)?;
        sheet.protect();
    }
    Ok(workbook.save_to_buffer()?)
}

/// A cell the workbook could not give, by where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct RefusedCell {
    pub sheet: String,
    /// `A1`-style reference.
    pub cell: String,
    pub row: String,
    pub column: String,
    pub message: String,
    pub message_en: String,
}

/// Why a filled workbook was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Workbook(#[from] WorkbookError),
    /// A sheet keyed with a form the regime does not have.
    #[error("sheet {sheet} is of form {form:?}, which the regime does not have")]
    UnknownForm { sheet: String, form: String },
    /// Cells that break the report's shape; nothing of the workbook is taken.
    #[error("{} cells are not valid", .0.len())]
    Refused(Vec<RefusedCell>),
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

fn text_of(cell: &Data) -> Option<String> {
    match cell {
        Data::Empty => None,
        Data::Float(number) => Some(baocao_domain::report::canonical_number(*number)),
        Data::Int(number) => Some(number.to_string()),
        other => Some(other.to_string().trim().to_string()).filter(|t| !t.is_empty()),
    }
}

/// A sheet's cells as a formula reads them: a stored number, or a formula without a stored
/// result evaluated in turn (at most [`MAX_FORMULA_DEPTH`] formulas deep).
struct SheetCells<'a> {
    sheet: &'a Sheet,
    depth: std::cell::Cell<usize>,
}

/// How deep formulas may refer to formulas (a loop ends here too).
const MAX_FORMULA_DEPTH: usize = 64;

impl formula::Cells for SheetCells<'_> {
    fn number(&self, row: u32, column: u32) -> Result<Option<f64>, FormulaError> {
        if let Some(text) = self.sheet.formula(row, column) {
            if self.depth.get() >= MAX_FORMULA_DEPTH {
                return Err(FormulaError(
                    "its formulas refer to each other in a loop".into(),
                ));
            }
            self.depth.set(self.depth.get() + 1);
            let value = formula::evaluate(text, self);
            self.depth.set(self.depth.get() - 1);
            match (value, self.sheet.get(row, column)) {
                (Ok(value), _) => return Ok(Some(value)),
                (Err(error), None | Some(Data::Empty)) => return Err(error),
                (Err(_), Some(_)) => {} // the stored result, below
            }
        }
        match self.sheet.get(row, column) {
            Some(Data::Float(n)) => Ok(Some(*n)),
            Some(Data::Int(n)) => Ok(Some(*n as f64)),
            Some(Data::Empty) | None => Ok(None),
            Some(Data::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Data::String(text)) => {
                text.trim().parse::<f64>().map(Some).map_err(|_| {
                    FormulaError(format!("{} holds text", reference(row, column as u16)))
                })
            }
            Some(other) => Err(FormulaError(format!(
                "{} holds {other}, not a number",
                reference(row, column as u16)
            ))),
        }
    }
}

/// A cell's content as text. A formula is computed here — a workbook written by a script
/// carries none of its results (openpyxl) or a placeholder 0 (many writers) — and only one
/// that cannot be computed here falls back on the result stored beside it; `Err` says why a
/// formula with no stored result gives nothing.
fn content(sheet: &Sheet, row: u32, column: u32) -> Result<Option<String>, String> {
    let Some(text) = sheet.formula(row, column) else {
        return Ok(sheet.get(row, column).and_then(text_of));
    };
    let cells = SheetCells {
        sheet,
        depth: std::cell::Cell::new(0),
    };
    match formula::evaluate(text, &cells) {
        Ok(value) => Ok(Some(baocao_domain::report::canonical_number(value))),
        Err(error) => match sheet.get(row, column).and_then(text_of) {
            Some(stored) => Ok(Some(stored)),
            None => Err(format!("={}: {error}", text.trim_start_matches('='))),
        },
    }
}

/// Whether two cell texts say the same: equal, or the same number.
fn same(left: Option<&str>, right: Option<&str>) -> bool {
    match (left, right) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a == b || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if x == y)
        }
        _ => false,
    }
}

/// A filled workbook's input cells, each checked against `shape`; all of them, or every
/// refused one. Derived (computed, locked) cells are the server's: one that differs from
/// `current` — the report's cells as the workbook was given — is refused, never ignored.
pub fn read(
    bytes: &[u8],
    limits: &Limits,
    shape: &ReportShape<'_>,
    current: &dyn Fn(&CellAddress) -> Option<String>,
) -> Result<Vec<CellInput>, ReadError> {
    let sheets = crate::xlsx::read(bytes, limits)?;
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for sheet in &sheets {
        let name = &sheet.name;
        let at = |row: u32, col: u32| sheet.get(row, col).and_then(text_of);
        let Some(form_code) = at(KEY_ROW, 0) else {
            continue;
        };
        let Some(form) = shape.regime.form(&form_code) else {
            return Err(ReadError::UnknownForm {
                sheet: name.clone(),
                form: form_code,
            });
        };
        let columns: Vec<(u16, FormColumn)> = (0..form.columns.len() as u16)
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
            let Ok(indicator_code) = IndicatorCode::new(indicator) else {
                continue;
            };
            let Ok(options) = OptionCombo::from_key(combo) else {
                continue;
            };
            let derived_row = shape
                .indicators
                .iter()
                .find(|i| i.code() == &indicator_code);
            for (col, column) in &columns {
                let refuse = |message: String, message_en: String| RefusedCell {
                    sheet: name.clone(),
                    cell: reference(row, *col),
                    row: indicator.to_string(),
                    column: column.as_str().to_string(),
                    message,
                    message_en,
                };
                let address = CellAddress {
                    form: form.code.clone(),
                    row: indicator_code.clone(),
                    column: *column,
                    options: options.clone(),
                };
                let value = match content(sheet, row, u32::from(*col)) {
                    Ok(value) => value,
                    Err(why) => {
                        errors.push(refuse(
                            format!("Không tính được công thức {why}; hãy mở và lưu lại tệp bằng Excel hoặc LibreOffice, hoặc nhập số."),
                            format!("The formula {why} cannot be computed; open and save the file in Excel or LibreOffice, or type the number."),
                        ));
                        continue;
                    }
                };
                if derived_row.is_some_and(|i| is_derived(*column, i)) {
                    let stored = current(&address);
                    if !same(value.as_deref(), stored.as_deref()) {
                        let value = value.unwrap_or_default();
                        let stored = stored.unwrap_or_default();
                        errors.push(refuse(
                            format!(
                                "Ô được tính tự động (khóa) đã bị sửa thành {value:?}; giá trị do hệ thống tính là {stored:?}."
                            ),
                            format!(
                                "A computed (locked) cell was changed to {value:?}; the server computes {stored:?}."
                            ),
                        ));
                    }
                    continue;
                }
                let input = CellInput {
                    address,
                    value: value.map(serde_json::Value::String),
                    comment: None,
                };
                match shape.check_cell(&input) {
                    Ok(_) => inputs.push(input),
                    Err(problem) => errors.push(refuse(problem.message, problem.message_en)),
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(inputs)
    } else {
        Err(ReadError::Refused(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::reference;

    #[test]
    fn references_count_columns_in_letters_from_a() {
        assert_eq!(reference(0, 0), "A1");
        assert_eq!(reference(5, 25), "Z6");
        assert_eq!(reference(9, 26), "AA10");
        assert_eq!(reference(0, 16383), "XFD1");
    }
}
