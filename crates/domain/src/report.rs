//! The content of a report: the cells of its forms and the text of its outline's sections,
//! checked against the regime and the indicator catalogue by the same code for every channel
//! (UI, API, import).
//!
//! A cell is addressed by (form, row indicator, column, option combination). Edits merge into
//! a draft: a cell with a value is set, a cell with an empty value is cleared, and a section
//! with text replaces that section's text. The content serialises canonically (cells and
//! sections sorted), so its SHA-256 is stable for signing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::indicator::{Category, Indicator, IndicatorCode};
use crate::regime::{FormColumn, RegimeContent};
use crate::value::{OptionCombo, Value, ValueError};

/// Where a cell sits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CellAddress {
    pub form: String,
    pub row: IndicatorCode,
    pub column: FormColumn,
    #[serde(default)]
    pub options: OptionCombo,
}

/// A cell as a client sends it: the value may be a JSON number or a string in plain
/// notation; `null` or `""` clears the cell.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CellInput {
    #[serde(flatten)]
    pub address: CellAddress,
    pub value: Option<serde_json::Value>,
    /// A note on the value (DHIS2's data value comment): absent keeps the cell's note, `""`
    /// removes it; a cleared cell loses its note.
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SectionInput {
    pub index: usize,
    pub text: String,
}

/// One cell that could not be taken, and why (Vietnamese and English).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellProblem {
    pub form: String,
    pub row: String,
    pub column: String,
    /// The cell's option combination (`sex=female`), empty for a total or a section.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub options: String,
    pub message: String,
    pub message_en: String,
}

/// A stored cell: its address and value in canonical text (plain notation for numbers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cell {
    #[serde(flatten)]
    pub address: CellAddress,
    pub value: String,
    /// The reporter's note on the value, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// The longest note on one value, in characters.
pub const MAX_COMMENT_CHARS: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Section {
    pub index: usize,
    pub text: String,
}

/// What a report says: cells and sections, each sorted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportContent {
    pub values: Vec<Cell>,
    pub sections: Vec<Section>,
}

/// The regime and catalogue a report's content is checked against.
pub struct ReportShape<'a> {
    pub regime: &'a RegimeContent,
    pub indicators: &'a [Indicator],
    pub categories: &'a [Category],
}

fn problem(address: &CellAddress, message: String, message_en: String) -> CellProblem {
    CellProblem {
        options: address.options.key(),
        form: address.form.clone(),
        row: address.row.to_string(),
        column: address.column.as_str().to_string(),
        message,
        message_en,
    }
}

/// Plain notation: integers without a decimal point, others as Rust prints them (shortest
/// round-trip), never with an exponent for the magnitudes reports hold.
pub fn canonical_number(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        format!("{}", number as i64)
    } else {
        format!("{number}")
    }
}

/// A cell's note as given (trimmed; `""` removes it): at most [`MAX_COMMENT_CHARS`]
/// characters, nothing invisible.
#[allow(clippy::result_large_err)]
fn check_comment(
    address: &CellAddress,
    comment: Option<&str>,
) -> Result<Option<String>, CellProblem> {
    let Some(comment) = comment.map(str::trim) else {
        return Ok(None);
    };
    if comment.chars().count() > MAX_COMMENT_CHARS || !crate::text::check_long_text(comment) {
        return Err(problem(
            address,
            format!("Ghi chú của ô dài quá {MAX_COMMENT_CHARS} ký tự hoặc có ký tự ẩn."),
            format!(
                "The cell's note is over {MAX_COMMENT_CHARS} characters or has invisible characters."
            ),
        ));
    }
    Ok(Some(comment.to_string()))
}

impl ReportShape<'_> {
    /// Checks one cell and answers its canonical value (`None` to clear it).
    // A refusal names its cell in full (six texts); it is the rare path and is collected into a
    // list, so boxing it would only add an allocation to every caller.
    #[allow(clippy::result_large_err)]
    pub fn check_cell(
        &self,
        input: &CellInput,
    ) -> Result<(CellAddress, Option<String>), CellProblem> {
        let address = &input.address;
        let form = self.regime.form(&address.form).ok_or_else(|| {
            problem(
                address,
                format!("Không có biểu mẫu {}.", address.form),
                format!("No form {}.", address.form),
            )
        })?;
        let Some(form_row) = form.rows.iter().find(|r| r.indicator == address.row) else {
            return Err(problem(
                address,
                format!("Biểu {} không có chỉ tiêu {}.", form.code, address.row),
                format!("Form {} has no row {}.", form.code, address.row),
            ));
        };
        if !form.columns.contains(&address.column) {
            return Err(problem(
                address,
                format!("Biểu {} không có cột {}.", form.code, address.column),
                format!("Form {} has no column {}.", form.code, address.column),
            ));
        }
        let indicator = self
            .indicators
            .iter()
            .find(|i| i.code() == &address.row)
            .ok_or_else(|| {
                problem(
                    address,
                    format!("Chỉ tiêu {} không có trong danh mục.", address.row),
                    format!("Indicator {} is not in the catalogue.", address.row),
                )
            })?;
        let (attributes, own) = address
            .options
            .split(|category| self.regime.is_attribute(category));
        let attributes = self.check_attributes(address, attributes)?;
        let options = OptionCombo::new(own.into_map(), indicator, self.categories)
            .map_err(|error| match error {
                ValueError::UnknownCategory { category, .. } => problem(
                    address,
                    format!("Chỉ tiêu {} không phân tổ theo {category}.", address.row),
                    format!(
                        "Indicator {} is not disaggregated by {category}.",
                        address.row
                    ),
                ),
                other => problem(
                    address,
                    format!("Phân tổ không hợp lệ: {other}."),
                    format!("Invalid disaggregation: {other}."),
                ),
            })?
            .with(&attributes);
        let text = match &input.value {
            None | Some(serde_json::Value::Null) => {
                return Ok((
                    CellAddress {
                        options,
                        ..address.clone()
                    },
                    None,
                ));
            }
            Some(serde_json::Value::String(text)) if text.trim().is_empty() => {
                return Ok((
                    CellAddress {
                        options,
                        ..address.clone()
                    },
                    None,
                ));
            }
            Some(serde_json::Value::String(text)) => text.trim().to_string(),
            Some(serde_json::Value::Number(number)) => number.to_string(),
            Some(serde_json::Value::Bool(flag)) => flag.to_string(),
            Some(other) => other.to_string(),
        };
        let value = Value::parse(indicator.value_type(), &text).map_err(|error| {
            let shown = crate::value::quote(&text);
            match error {
                ValueError::OutOfRange { .. } => problem(
                    address,
                    format!(
                        "Giá trị {shown:?} của chỉ tiêu {} vượt giới hạn ±999.999.999.999.999.",
                        address.row
                    ),
                    format!(
                        "{shown:?} for {} is out of range (±999,999,999,999,999).",
                        address.row
                    ),
                ),
                ValueError::TextTooLong { length } => problem(
                    address,
                    format!(
                        "Nội dung của chỉ tiêu {} dài {length} ký tự, vượt giới hạn {}.",
                        address.row,
                        crate::value::MAX_TEXT_CHARS
                    ),
                    format!(
                        "The text of {} is {length} characters long, over the {} allowed.",
                        address.row,
                        crate::value::MAX_TEXT_CHARS
                    ),
                ),
                _ => problem(
                    address,
                    format!(
                        "Giá trị {shown:?} không hợp lệ cho chỉ tiêu {} (kiểu {}; số viết dạng 1234.5).",
                        address.row,
                        indicator.value_type()
                    ),
                    format!(
                        "{shown:?} is not a valid {} value for {} (write numbers as 1234.5).",
                        indicator.value_type(),
                        address.row
                    ),
                ),
            }
        })?;
        if let Some((message, message_en)) = form_row.cells.check(&text, value.as_number()) {
            return Err(problem(
                address,
                format!("{}: {message}", address.row),
                format!("{}: {message_en}", address.row),
            ));
        }
        let canonical = match value {
            Value::Number(n) => canonical_number(n),
            Value::Bool(b) => b.to_string(),
            Value::Text(t) => t,
        };
        Ok((
            CellAddress {
                options,
                ..address.clone()
            },
            Some(canonical),
        ))
    }

    /// A cell's attribute options: one option of each attribute category the regime declares,
    /// each an option the catalogue has.
    #[allow(clippy::result_large_err)]
    fn check_attributes(
        &self,
        address: &CellAddress,
        attributes: OptionCombo,
    ) -> Result<OptionCombo, CellProblem> {
        for category in &self.regime.attribute_categories {
            let Some(option) = attributes.option(category) else {
                return Err(problem(
                    address,
                    format!(
                        "Chế độ báo cáo {} chia số liệu theo {category}: ô phải nêu một lựa chọn của {category}.",
                        self.regime.code
                    ),
                    format!(
                        "Regime {} splits its figures by {category}: the cell must name one option of {category}.",
                        self.regime.code
                    ),
                ));
            };
            let known = self
                .categories
                .iter()
                .find(|c| c.code() == category)
                .is_some_and(|c| c.has_option(option));
            if !known {
                return Err(problem(
                    address,
                    format!("Phân tổ {category} không có lựa chọn {option}."),
                    format!("Category {category} has no option {option}."),
                ));
            }
        }
        Ok(attributes)
    }

    /// Merges edits into `content`; all or nothing — any bad cell or section rejects the
    /// whole edit and lists every problem.
    pub fn merge(
        &self,
        content: &ReportContent,
        cells: &[CellInput],
        sections: &[SectionInput],
    ) -> Result<ReportContent, Vec<CellProblem>> {
        let mut values: BTreeMap<CellAddress, (String, Option<String>)> = content
            .values
            .iter()
            .map(|c| (c.address.clone(), (c.value.clone(), c.comment.clone())))
            .collect();
        let mut problems = Vec::new();
        for input in cells {
            let checked = match self.check_cell(input) {
                Ok((address, value)) => check_comment(&address, input.comment.as_deref())
                    .map(|comment| (address, value, comment)),
                Err(problem) => Err(problem),
            };
            match checked {
                Ok((address, Some(value), comment)) => {
                    let kept = values.remove(&address).and_then(|(_, comment)| comment);
                    let comment = match comment {
                        None => kept,
                        Some(text) => Some(text).filter(|t| !t.is_empty()),
                    };
                    values.insert(address, (value, comment));
                }
                Ok((address, None, _)) => {
                    values.remove(&address);
                }
                Err(problem) => problems.push(problem),
            }
        }
        let mut texts: BTreeMap<usize, String> = content
            .sections
            .iter()
            .map(|s| (s.index, s.text.clone()))
            .collect();
        for section in sections {
            if section.index >= self.regime.outline.len() {
                problems.push(CellProblem {
                    form: String::new(),
                    row: String::new(),
                    column: String::new(),
                    options: String::new(),
                    message: format!("Đề cương không có mục số {} (đếm từ 0).", section.index),
                    message_en: format!(
                        "The outline has no section {} (counting from 0).",
                        section.index
                    ),
                });
            } else if section.text.trim().is_empty() {
                texts.remove(&section.index);
            } else {
                texts.insert(section.index, section.text.clone());
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(ReportContent {
            values: values
                .into_iter()
                .map(|(address, (value, comment))| Cell {
                    address,
                    value,
                    comment,
                })
                .collect(),
            sections: texts
                .into_iter()
                .map(|(index, text)| Section { index, text })
                .collect(),
        })
    }
}

/// Accepted "this period" numbers of earlier periods, from which the columns that stored data
/// determines are filled — never asked of the reporter a second time.
#[derive(Debug, Default, Clone)]
pub struct EarlierNumbers {
    /// The same period a year before.
    pub last_year: BTreeMap<(IndicatorCode, OptionCombo), f64>,
    /// The period before.
    pub previous: BTreeMap<(IndicatorCode, OptionCombo), f64>,
    /// Every earlier period of the same year, added up.
    pub earlier_this_year: BTreeMap<(IndicatorCode, OptionCombo), f64>,
}

/// Whether a column of a row is filled from stored data rather than typed: the same period
/// last year and the previous period always; year to date where the indicator adds up over
/// time (`sum`) or is a stock (`last`).
/// The most option combinations one indicator's rows spread into on a form's grid.
pub const MAX_COMBINATIONS: usize = 48;

/// Every combination of the options of an indicator's categories (a cross product, in their
/// order), at most `limit` of them; the total (no options) is not among them.
pub fn option_combinations(
    indicator: &Indicator,
    categories: &[crate::indicator::Category],
    limit: usize,
) -> Vec<OptionCombo> {
    OptionCombo::every(&indicator.disaggregation, categories, limit)
        .into_iter()
        .filter(|c| !c.is_total())
        .collect()
}

/// The cells of a regime's forms in the order a grid or a workbook shows them: form by form,
/// row by row, for each attribute combination (see `attribute_categories`) the total then each
/// option combination, column by column; each with its
/// form's index and whether it is a part (a combination) rather than the row's total.
pub fn cell_layout(
    regime: &RegimeContent,
    indicators: &[Indicator],
    categories: &[crate::indicator::Category],
    limit: usize,
) -> Vec<(usize, CellAddress, bool)> {
    let mut addresses = Vec::new();
    let attribute_combinations = regime.attribute_combinations(categories);
    for (form_index, form) in regime.forms.iter().enumerate() {
        for row in &form.rows {
            let Some(indicator) = indicators.iter().find(|i| i.code() == &row.indicator) else {
                continue;
            };
            let parts = option_combinations(indicator, categories, limit);
            let mut combos = Vec::new();
            for attributes in &attribute_combinations {
                combos.push((attributes.clone(), false));
                combos.extend(parts.iter().map(|c| (c.with(attributes), true)));
            }
            for (combo, is_part) in combos {
                for column in &form.columns {
                    addresses.push((
                        form_index,
                        CellAddress {
                            form: form.code.clone(),
                            row: row.indicator.clone(),
                            column: *column,
                            options: combo.clone(),
                        },
                        is_part,
                    ));
                }
            }
        }
    }
    addresses
}

pub fn is_derived(column: FormColumn, indicator: &Indicator) -> bool {
    use crate::indicator::Aggregation;
    match column {
        FormColumn::SamePeriodLastYear | FormColumn::PreviousPeriod => true,
        FormColumn::YearToDate => {
            matches!(
                indicator.aggregation(),
                Aggregation::Sum | Aggregation::Last
            ) && indicator.value_type().is_numeric()
        }
        FormColumn::ThisPeriod | FormColumn::Plan => false,
    }
}

/// One cell that differs between two versions (`None` where the cell is empty).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CellChange {
    #[serde(flatten)]
    pub address: CellAddress,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// One outline section that differs between two versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SectionChange {
    pub index: usize,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// What changed from one content to another, cell by cell and section by section.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContentDiff {
    pub cells: Vec<CellChange>,
    pub sections: Vec<SectionChange>,
}

impl ReportContent {
    /// Whether every row of every form has its total filled in the first measure column
    /// (`this_period` where the form has it): an empty report sent on time is not complete.
    pub fn fills_every_row(&self, regime: &RegimeContent) -> bool {
        self.filled_rows(regime) == regime.forms.iter().map(|f| f.rows.len()).sum::<usize>()
    }

    /// The combinations of the regime's attribute categories its cells name, in order; the
    /// total alone where the regime declares none or no cell names one.
    pub fn attribute_combinations(&self, regime: &RegimeContent) -> Vec<OptionCombo> {
        let mut found: Vec<OptionCombo> = self
            .values
            .iter()
            .map(|c| {
                c.address
                    .options
                    .split(|category| regime.is_attribute(category))
                    .0
            })
            .collect();
        found.sort();
        found.dedup();
        if found.is_empty() {
            found.push(OptionCombo::TOTAL);
        }
        found
    }

    /// How many rows of the regime's forms have their total filled in the first measure
    /// column.
    pub fn filled_rows(&self, regime: &RegimeContent) -> usize {
        regime
            .forms
            .iter()
            .flat_map(|form| form.rows.iter().map(move |row| (form, row)))
            .filter(|(form, row)| {
                self.values.iter().any(|c| {
                    c.address.form == form.code
                        && c.address.row == row.indicator
                        && c.address.column == form.first_measure_column()
                        && regime.own_options(&c.address.options).is_total()
                })
            })
            .count()
    }

    /// Fills the derived columns of every form (see [`is_derived`]) from this period's cells
    /// and `earlier`, replacing whatever they held: a derived cell with nothing to derive it
    /// from is left empty.
    pub fn fill_derived_columns(&mut self, shape: &ReportShape, earlier: &EarlierNumbers) {
        use crate::indicator::Aggregation;
        let this_period: BTreeMap<(String, IndicatorCode, OptionCombo), f64> = self
            .values
            .iter()
            .filter(|c| c.address.column == FormColumn::ThisPeriod)
            .filter_map(|c| {
                let a = &c.address;
                Some((
                    (a.form.clone(), a.row.clone(), a.options.clone()),
                    c.value.parse().ok()?,
                ))
            })
            .collect();
        let mut derived_combos: Vec<(CellAddress, Option<f64>)> = Vec::new();
        for form in &shape.regime.forms {
            for row in &form.rows {
                let Some(indicator) = shape.indicators.iter().find(|i| i.code() == &row.indicator)
                else {
                    continue;
                };
                for column in form.columns.iter().filter(|c| is_derived(**c, indicator)) {
                    // Every combination that has a number now or had one before.
                    let mut combos: Vec<OptionCombo> = this_period
                        .keys()
                        .filter(|(f, r, _)| f == &form.code && r == &row.indicator)
                        .map(|(_, _, o)| o.clone())
                        .chain(
                            [
                                &earlier.last_year,
                                &earlier.previous,
                                &earlier.earlier_this_year,
                            ]
                            .into_iter()
                            .flat_map(|m| m.keys())
                            .filter(|(r, _)| r == &row.indicator)
                            .map(|(_, o)| o.clone()),
                        )
                        .collect();
                    combos.sort();
                    combos.dedup();
                    for options in combos {
                        let key = (row.indicator.clone(), options.clone());
                        let now = this_period
                            .get(&(form.code.clone(), row.indicator.clone(), options.clone()))
                            .copied();
                        let value = match column {
                            FormColumn::SamePeriodLastYear => earlier.last_year.get(&key).copied(),
                            FormColumn::PreviousPeriod => earlier.previous.get(&key).copied(),
                            _ if indicator.aggregation() == Aggregation::Last => now,
                            _ => now.map(|n| {
                                n + earlier.earlier_this_year.get(&key).copied().unwrap_or(0.0)
                            }),
                        };
                        derived_combos.push((
                            CellAddress {
                                form: form.code.clone(),
                                row: row.indicator.clone(),
                                column: *column,
                                options,
                            },
                            value,
                        ));
                    }
                }
            }
        }
        let derived: std::collections::BTreeSet<(&str, &IndicatorCode, FormColumn)> = shape
            .regime
            .forms
            .iter()
            .flat_map(|f| f.rows.iter().map(move |r| (f, r)))
            .flat_map(|(f, r)| {
                let indicator = shape.indicators.iter().find(|i| i.code() == &r.indicator);
                f.columns
                    .iter()
                    .filter(move |c| indicator.is_some_and(|i| is_derived(**c, i)))
                    .map(move |c| (f.code.as_str(), &r.indicator, *c))
            })
            .collect();
        let mut cells: BTreeMap<CellAddress, Cell> = self
            .values
            .iter()
            .filter(|c| {
                !derived.contains(&(c.address.form.as_str(), &c.address.row, c.address.column))
            })
            .map(|c| (c.address.clone(), c.clone()))
            .collect();
        for (address, value) in derived_combos {
            if let Some(value) = value {
                let cell = Cell {
                    address: address.clone(),
                    value: canonical_number(value),
                    comment: None,
                };
                cells.insert(address, cell);
            }
        }
        self.values = cells.into_values().collect();
    }

    /// The cells and sections that differ from `before` to `self`, in address order.
    pub fn changes_since(&self, before: &ReportContent) -> ContentDiff {
        let old: BTreeMap<&CellAddress, &String> = before
            .values
            .iter()
            .map(|c| (&c.address, &c.value))
            .collect();
        let new: BTreeMap<&CellAddress, &String> =
            self.values.iter().map(|c| (&c.address, &c.value)).collect();
        let mut addresses: Vec<&CellAddress> = old.keys().chain(new.keys()).copied().collect();
        addresses.sort();
        addresses.dedup();
        let cells = addresses
            .into_iter()
            .filter(|a| old.get(a) != new.get(a))
            .map(|a| CellChange {
                address: a.clone(),
                before: old.get(a).map(|v| (*v).clone()),
                after: new.get(a).map(|v| (*v).clone()),
            })
            .collect();
        let old_text: BTreeMap<usize, &String> =
            before.sections.iter().map(|s| (s.index, &s.text)).collect();
        let new_text: BTreeMap<usize, &String> =
            self.sections.iter().map(|s| (s.index, &s.text)).collect();
        let mut indexes: Vec<usize> = old_text.keys().chain(new_text.keys()).copied().collect();
        indexes.sort_unstable();
        indexes.dedup();
        let sections = indexes
            .into_iter()
            .filter(|i| old_text.get(i) != new_text.get(i))
            .map(|index| SectionChange {
                index,
                before: old_text.get(&index).map(|t| (*t).clone()),
                after: new_text.get(&index).map(|t| (*t).clone()),
            })
            .collect();
        ContentDiff { cells, sections }
    }

    /// The data values this content gives when accepted: its "this period" cells, each
    /// with its indicator's value type (numbers where the text is a number), from `source`.
    pub fn data_values(
        &self,
        agency: &crate::agency::AgencyCode,
        period: crate::period::PeriodId,
        indicators: &[Indicator],
        source: &str,
    ) -> Vec<crate::value::DataValue> {
        self.values
            .iter()
            .filter(|cell| cell.address.column == FormColumn::ThisPeriod)
            .filter_map(|cell| {
                let indicator = indicators.iter().find(|i| i.code() == &cell.address.row)?;
                let value = Value::parse(indicator.value_type(), &cell.value).ok()?;
                Some(crate::value::DataValue {
                    indicator: cell.address.row.clone(),
                    options: cell.address.options.clone(),
                    agency: agency.clone(),
                    period,
                    value,
                    channel: crate::value::Channel::Web,
                    source: source.to_string(),
                })
            })
            .collect()
    }

    /// The canonical JSON that is hashed and signed: object keys sorted, no whitespace, cells
    /// and sections in their sorted order — reproducible by any verifier from the content.
    pub fn canonical_json(&self) -> String {
        // serde_json's map keeps keys sorted; going through a Value sorts every object.
        serde_json::to_value(self)
            .map(|v| v.to_string())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::{Aggregation, CategoryOption, ValueType};

    fn shape_parts() -> (RegimeContent, Vec<Indicator>, Vec<Category>) {
        let regime = crate::regime::tests::monthly_socioeconomic();
        let indicator = |code: &str, value_type, disaggregation: Vec<String>| {
            Indicator::new(
                IndicatorCode::new(code).unwrap(),
                code.into(),
                code.into(),
                "%".into(),
                "%".into(),
                value_type,
                Aggregation::Sum,
                None,
                disaggregation,
                String::new(),
                String::new(),
            )
            .unwrap()
        };
        let sex = Category::new(
            "sex".into(),
            "Giới tính".into(),
            "Sex".into(),
            ["male", "female"]
                .map(|c| CategoryOption {
                    code: c.into(),
                    name_vi: c.into(),
                    name_en: c.into(),
                })
                .to_vec(),
        )
        .unwrap();
        (
            regime,
            vec![
                indicator("KT03", ValueType::Decimal, vec![]),
                indicator("KT04", ValueType::Integer, vec!["sex".into()]),
            ],
            vec![sex],
        )
    }

    fn cell(row: &str, options: &[(&str, &str)], value: serde_json::Value) -> CellInput {
        serde_json::from_value(serde_json::json!({
            "form": "Biểu 01/KTXH-T", "row": row, "column": "this_period",
            "options": options.iter().map(|(c, o)| (c.to_string(), o.to_string())).collect::<BTreeMap<_, _>>(),
            "value": value,
        }))
        .unwrap()
    }

    #[test]
    fn columns_that_stored_data_determines_are_filled_from_it() {
        let (mut regime, indicators, categories) = shape_parts();
        regime.forms[0].columns = vec![
            FormColumn::ThisPeriod,
            FormColumn::SamePeriodLastYear,
            FormColumn::YearToDate,
        ];
        let shape = ReportShape {
            regime: &regime,
            indicators: &indicators,
            categories: &categories,
        };
        let mut content = shape
            .merge(
                &ReportContent::default(),
                &[
                    cell("KT04", &[], "10".into()),
                    // A typed value in a derived column is replaced.
                    serde_json::from_value(
                        serde_json::json!({"form": "Biểu 01/KTXH-T", "row": "KT04",
                        "column": "year_to_date", "options": {}, "value": "999"}),
                    )
                    .unwrap(),
                ],
                &[],
            )
            .unwrap();
        let code = IndicatorCode::new("KT04").unwrap();
        let earlier = EarlierNumbers {
            last_year: BTreeMap::from([((code.clone(), OptionCombo::TOTAL), 8.0)]),
            previous: BTreeMap::new(),
            earlier_this_year: BTreeMap::from([((code.clone(), OptionCombo::TOTAL), 90.0)]),
        };
        content.fill_derived_columns(&shape, &earlier);
        let cells: Vec<(&str, &str)> = content
            .values
            .iter()
            .map(|c| (c.address.column.as_str(), c.value.as_str()))
            .collect();
        assert_eq!(
            cells,
            [
                ("this_period", "10"),
                ("same_period_last_year", "8"),
                ("year_to_date", "100")
            ]
        );
        assert!(is_derived(FormColumn::PreviousPeriod, &indicators[0]));
        assert!(!is_derived(FormColumn::Plan, &indicators[0]));
    }

    #[test]
    fn two_versions_differ_cell_by_cell() {
        let (regime, indicators, categories) = shape_parts();
        let shape = ReportShape {
            regime: &regime,
            indicators: &indicators,
            categories: &categories,
        };
        let first = shape
            .merge(
                &ReportContent::default(),
                &[
                    cell("KT03", &[], "107.9".into()),
                    cell("KT04", &[("sex", "male")], "10".into()),
                ],
                &[SectionInput {
                    index: 0,
                    text: "A".into(),
                }],
            )
            .unwrap();
        let second = shape
            .merge(
                &first,
                &[
                    cell("KT03", &[], "108".into()),
                    cell("KT04", &[("sex", "male")], "".into()),
                    cell("KT04", &[("sex", "female")], "7".into()),
                ],
                &[],
            )
            .unwrap();
        let diff = second.changes_since(&first);
        let rows: Vec<(String, Option<&str>, Option<&str>)> = diff
            .cells
            .iter()
            .map(|c| {
                (
                    format!("{}{}", c.address.row, c.address.options.key()),
                    c.before.as_deref(),
                    c.after.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("KT03".to_string(), Some("107.9"), Some("108")),
                ("KT04sex=female".to_string(), None, Some("7")),
                ("KT04sex=male".to_string(), Some("10"), None),
            ]
        );
        assert!(diff.sections.is_empty());
        assert_eq!(
            first.changes_since(&ReportContent::default()).sections[0]
                .after
                .as_deref(),
            Some("A")
        );
        assert_eq!(second.changes_since(&second), ContentDiff::default());
    }

    #[test]
    fn cell_rules_refuse_what_the_row_does_not_allow() {
        let (mut regime, indicators, categories) = shape_parts();
        regime.forms[0].rows[0].cells = crate::regime::CellRules {
            min: Some(50.0),
            max: Some(200.0),
            decimals: Some(1),
            non_negative: true,
            ..Default::default()
        };
        let shape = ReportShape {
            regime: &regime,
            indicators: &indicators,
            categories: &categories,
        };
        let refused = |value: serde_json::Value| {
            shape
                .merge(&ReportContent::default(), &[cell("KT03", &[], value)], &[])
                .unwrap_err()[0]
                .message_en
                .clone()
        };
        assert!(refused("-1".into()).contains("must not be negative"));
        assert!(refused("49.9".into()).contains("below the minimum 50"));
        assert!(refused("200.5".into()).contains("above the maximum 200"));
        assert!(refused("107.95".into()).contains("more than 1 decimal places"));
        assert!(
            shape
                .merge(
                    &ReportContent::default(),
                    &[cell("KT03", &[], "107.9".into())],
                    &[]
                )
                .is_ok()
        );
        regime.forms[0].rows[0].cells = crate::regime::CellRules {
            allowed: vec!["100".into(), "200".into()],
            ..Default::default()
        };
        let shape = ReportShape {
            regime: &regime,
            indicators: &indicators,
            categories: &categories,
        };
        assert!(
            shape
                .merge(
                    &ReportContent::default(),
                    &[cell("KT03", &[], "150".into())],
                    &[]
                )
                .unwrap_err()[0]
                .message_en
                .contains("allowed values")
        );
    }

    #[test]
    fn edits_merge_into_a_canonical_draft() {
        let (regime, indicators, categories) = shape_parts();
        let shape = ReportShape {
            regime: &regime,
            indicators: &indicators,
            categories: &categories,
        };
        let first = shape
            .merge(
                &ReportContent::default(),
                &[
                    cell("KT04", &[("sex", "female")], "2650".into()),
                    cell("KT03", &[], 107.9.into()),
                ],
                &[SectionInput {
                    index: 0,
                    text: "Kinh tế phục hồi.".into(),
                }],
            )
            .unwrap();
        assert_eq!(
            first
                .values
                .iter()
                .map(|c| (c.address.row.as_str(), c.value.as_str()))
                .collect::<Vec<_>>(),
            [("KT03", "107.9"), ("KT04", "2650")]
        );
        let second = shape
            .merge(&first, &[cell("KT03", &[], serde_json::Value::Null)], &[])
            .unwrap();
        assert_eq!(second.values.len(), 1, "null clears a cell");
        assert_eq!(
            second.sections, first.sections,
            "sections not sent are kept"
        );
        assert_eq!(
            first.canonical_json(),
            shape
                .merge(
                    &ReportContent::default(),
                    &[
                        cell("KT03", &[], "107.9".into()),
                        cell("KT04", &[("sex", "female")], 2650.into())
                    ],
                    &[SectionInput {
                        index: 0,
                        text: "Kinh tế phục hồi.".into()
                    }]
                )
                .unwrap()
                .canonical_json(),
            "the same content in another order hashes the same"
        );
    }

    #[test]
    fn every_bad_cell_is_reported_and_nothing_is_taken() {
        let (regime, indicators, categories) = shape_parts();
        let shape = ReportShape {
            regime: &regime,
            indicators: &indicators,
            categories: &categories,
        };
        let problems = shape
            .merge(
                &ReportContent::default(),
                &[
                    cell("KT03", &[], "1.234,5".into()),
                    cell("KT04", &[], "3.5".into()),
                    cell("KT04", &[("area", "urban")], "1".into()),
                    cell("KT99", &[], "1".into()),
                    cell("KT03", &[], "12".into()),
                ],
                &[SectionInput {
                    index: 9,
                    text: "x".into(),
                }],
            )
            .unwrap_err();
        assert_eq!(problems.len(), 5);
        assert!(
            problems
                .iter()
                .all(|p| !p.message.is_empty() && !p.message_en.is_empty())
        );
    }

    /// A regime that splits its figures by funding mechanism: every cell names one, the rows'
    /// totals are filled per mechanism, and the grid repeats each row for each mechanism.
    #[test]
    fn attribute_categories_split_every_cell() {
        let (mut regime, indicators, mut categories) = shape_parts();
        categories.push(
            Category::new(
                "mechanism".into(),
                "Cơ chế".into(),
                "Mechanism".into(),
                ["pepfar", "gov"]
                    .map(|c| CategoryOption {
                        code: c.into(),
                        name_vi: c.into(),
                        name_en: c.into(),
                    })
                    .to_vec(),
            )
            .unwrap(),
        );
        regime.attribute_categories = vec!["mechanism".into()];
        let shape = ReportShape {
            regime: &regime,
            indicators: &indicators,
            categories: &categories,
        };
        let refused = shape
            .merge(
                &ReportContent::default(),
                &[
                    cell("KT03", &[], "1".into()),
                    cell("KT03", &[("mechanism", "usaid")], "1".into()),
                ],
                &[],
            )
            .unwrap_err();
        assert_eq!(refused.len(), 2);
        assert!(
            refused[0]
                .message_en
                .contains("must name one option of mechanism")
        );
        assert!(refused[1].message_en.contains("no option usaid"));
        let content = shape
            .merge(
                &ReportContent::default(),
                &[
                    cell("KT03", &[("mechanism", "pepfar")], "1".into()),
                    cell("KT04", &[("mechanism", "gov")], "5".into()),
                    cell(
                        "KT04",
                        &[("mechanism", "pepfar"), ("sex", "male")],
                        "2".into(),
                    ),
                ],
                &[],
            )
            .unwrap();
        let keys: Vec<String> = content
            .values
            .iter()
            .map(|c| c.address.options.key())
            .collect();
        assert_eq!(
            keys,
            [
                "mechanism=pepfar",
                "mechanism=gov",
                "mechanism=pepfar;sex=male"
            ]
        );
        // KT04 is filled for one mechanism (a total within it); its male part does not count.
        assert_eq!(content.filled_rows(&regime), 2);
        let layout = cell_layout(&regime, &indicators, &categories, MAX_COMBINATIONS);
        let kt04: Vec<(String, bool)> = layout
            .iter()
            .filter(|(_, a, _)| a.row.as_str() == "KT04")
            .map(|(_, a, part)| (a.options.key(), *part))
            .collect();
        assert_eq!(
            kt04,
            [
                ("mechanism=pepfar".to_string(), false),
                ("mechanism=pepfar;sex=male".to_string(), true),
                ("mechanism=pepfar;sex=female".to_string(), true),
                ("mechanism=gov".to_string(), false),
                ("mechanism=gov;sex=male".to_string(), true),
                ("mechanism=gov;sex=female".to_string(), true),
            ]
        );
    }
}
