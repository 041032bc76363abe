//! Regimes (chế độ báo cáo): the standing order to report, with the ten elements Decree
//! 09/2019 requires, their forms (biểu mẫu) and outline (đề cương), versions and status.
//!
//! A draft may lack elements — real regimes do, and the registry must show what is missing
//! rather than refuse to store it — but [`Regime::publish`] refuses a regime without all ten,
//! and a published or retired regime can only be built with all ten. The JSON shape of
//! [`Regime`] is the API's (`GET /api/v1/regimes/{code}`), so that a client can send back what
//! it read.

use std::collections::HashSet;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::agency::{AgencyCode, AgencyLevel};
use crate::indicator::{Category, IndicatorCode};
use crate::period::Frequency;
use crate::text::check_code;
use crate::value::OptionCombo;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegimeError {
    #[error("invalid regime code {0:?}")]
    InvalidCode(String),
    #[error("invalid form code {0:?}")]
    InvalidFormCode(String),
    #[error("the {0} is too long or holds invisible characters")]
    InvalidText(&'static str),
    #[error("form code {0} is used twice in the regime")]
    DuplicateForm(String),
    #[error("form {0} has no rows or no columns")]
    EmptyForm(String),
    #[error("form {form}: indicator {indicator} appears twice")]
    DuplicateRow { form: String, indicator: String },
    #[error("form {form}, row {indicator}: the minimum is above the maximum")]
    CellRange { form: String, indicator: String },
    #[error("{0}")]
    Calendar(String),
    #[error("deadline day {0} is not a day of a month (1 to 31)")]
    DeadlineDay(u8),
    #[error("the regime lacks {}", .0.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", "))]
    MissingElements(Vec<Element>),
    #[error("a regime in status {from} cannot become {to}")]
    StatusChange {
        from: RegimeStatus,
        to: RegimeStatus,
    },
    #[error("an amendment keeps the regime's code {expected}, not {given}")]
    CodeChanged { expected: String, given: String },
    #[error(
        "an amendment takes effect after the version it replaces (from {previous}), not on {given}"
    )]
    EffectiveTooEarly { previous: Date, given: Date },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegimeCode(String);

impl RegimeCode {
    pub fn new(code: impl Into<String>) -> Result<Self, RegimeError> {
        let code = code.into();
        if check_code(&code, false) && !code.contains(char::is_whitespace) {
            Ok(Self(code))
        } else {
            Err(RegimeError::InvalidCode(code))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for RegimeCode {
    type Error = RegimeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}
impl From<RegimeCode> for String {
    fn from(code: RegimeCode) -> String {
        code.0
    }
}
impl std::fmt::Display for RegimeCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

string_enum!(
    /// The ten mandatory elements of a regime (Decree 09/2019, Article 7).
    Element, {
    Name => "name",
    ContentRequirements => "content_requirements",
    ReportingAgencies => "reporting_agencies",
    ReceivingAgency => "receiving_agency",
    Methods => "methods",
    Deadline => "deadline",
    Frequency => "frequency",
    Cutoff => "cutoff",
    Outline => "outline",
    Forms => "forms",
});

impl Element {
    /// The element's name as Decree 09/2019 writes it, and in English.
    pub fn labels(self) -> (&'static str, &'static str) {
        match self {
            Element::Name => ("Tên báo cáo", "Report name"),
            Element::ContentRequirements => ("Nội dung yêu cầu báo cáo", "Content requirements"),
            Element::ReportingAgencies => ("Đối tượng thực hiện báo cáo", "Reporting agencies"),
            Element::ReceivingAgency => ("Cơ quan nhận báo cáo", "Receiving agency"),
            Element::Methods => (
                "Phương thức gửi, nhận báo cáo",
                "Methods of sending and receiving",
            ),
            Element::Deadline => ("Thời hạn gửi báo cáo", "Submission deadline"),
            Element::Frequency => ("Tần suất thực hiện báo cáo", "Reporting frequency"),
            Element::Cutoff => ("Thời gian chốt số liệu báo cáo", "Data cut-off period"),
            Element::Outline => ("Mẫu đề cương báo cáo", "Outline template"),
            Element::Forms => ("Biểu mẫu số liệu báo cáo", "Data form templates"),
        }
    }
}

string_enum!(
    /// Periodic, thematic or ad hoc (Decree 09/2019, Article 3).
    RegimeKind, {
    Periodic => "periodic",
    Thematic => "thematic",
    AdHoc => "ad_hoc",
});

string_enum!(
    /// Where a regime stands in its life.
    RegimeStatus, {
    Draft => "draft",
    Published => "published",
    Retired => "retired",
});

string_enum!(
    /// Methods of sending and receiving reports (Decree 09/2019, Article 9).
    Method, {
    ReportingSystem => "reporting_system",
    ElectronicDocumentSigned => "electronic_document_signed",
    ElectronicDocument => "electronic_document",
    Paper => "paper",
    Post => "post",
    Fax => "fax",
    Email => "email",
    Other => "other",
});

string_enum!(
    /// What the rows of a form are: the agency's compiled total for its whole territory
    /// (standing instead of its subordinates' sum) or its own activity (added to theirs).
    RowValues, {
    CompiledTotal => "compiled_total",
    Own => "own",
});

string_enum!(
    /// Measures a form's columns may ask for.
    FormColumn, {
    ThisPeriod => "this_period",
    SamePeriodLastYear => "same_period_last_year",
    YearToDate => "year_to_date",
    PreviousPeriod => "previous_period",
    Plan => "plan",
});

impl FormColumn {
    /// The column's heading on a form in Vietnamese.
    pub fn heading_vi(self) -> &'static str {
        match self {
            FormColumn::ThisPeriod => "Kỳ báo cáo",
            FormColumn::SamePeriodLastYear => "Cùng kỳ năm trước",
            FormColumn::YearToDate => "Lũy kế từ đầu năm",
            FormColumn::PreviousPeriod => "Kỳ trước",
            FormColumn::Plan => "Kế hoạch",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LegalBasis {
    pub document: String,
    pub issuer: String,
    pub date: Option<Date>,
}

/// Which agencies must report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AgencySelector {
    /// Every agency of these levels valid in the period.
    Levels { levels: Vec<AgencyLevel> },
    /// Exactly these agencies.
    Agencies { codes: Vec<AgencyCode> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportingAgencies {
    pub description_vi: String,
    pub selector: AgencySelector,
}

/// Who receives the reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReceivingAgency {
    Agency {
        code: AgencyCode,
    },
    /// Each reporting agency's parent (a commune's province).
    Parent,
}

/// When a report is due, relative to its period. The calendar work extends the kinds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeadlineRule {
    /// Day `day` of the month `months_after_period_end` months after the period's last month.
    DayOfMonth {
        day: u8,
        months_after_period_end: u8,
    },
    /// `days` (working days if `working_days`, Vietnam's public holidays skipped) after the
    /// cut-off window ends.
    DaysAfterCutoff { days: u16, working_days: bool },
    /// A fixed day of the year `years_after_period_end` years after the period's year
    /// ("15 January of the next year").
    FixedDate {
        month: u8,
        day: u8,
        years_after_period_end: u8,
    },
}

/// Which dates a period's data covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CutoffRule {
    /// The windows of Decree 09/2019 Article 12 (15th of the previous month to the 14th…).
    Decree09,
    /// The calendar period itself.
    Calendar,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutlineSection {
    pub heading_vi: String,
    #[serde(default)]
    pub heading_en: String,
    #[serde(default)]
    pub guidance_vi: String,
    #[serde(default)]
    pub guidance_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FormRow {
    pub indicator: IndicatorCode,
    /// What a cell of this row may hold, beyond its indicator's value type.
    #[serde(default, skip_serializing_if = "CellRules::is_empty")]
    pub cells: CellRules,
}

impl FormRow {
    pub fn new(indicator: IndicatorCode) -> Self {
        Self {
            indicator,
            cells: CellRules::default(),
        }
    }
}

/// Rules on the cells of a form row, checked wherever a cell is written (the UI, the API,
/// imports) by [`crate::report::ReportShape`]; `required` is checked when the report is
/// submitted, since a draft may be saved half-filled.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CellRules {
    /// The row's total in the first measure column must be filled before submission.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// At most this many digits after the decimal point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(maximum = 255))]
    pub decimals: Option<u8>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub non_negative: bool,
    /// The only values allowed (as written), where the row is a choice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<String>,
}

impl CellRules {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// Why `text` (already of the indicator's type; `number` where numeric) breaks the rules,
    /// in Vietnamese and English.
    pub fn check(&self, text: &str, number: Option<f64>) -> Option<(String, String)> {
        if !self.allowed.is_empty() && !self.allowed.iter().any(|a| a == text) {
            let list = self.allowed.join(", ");
            return Some((
                format!("Giá trị {text:?} không nằm trong danh sách cho phép ({list})."),
                format!("{text:?} is not one of the allowed values ({list})."),
            ));
        }
        let number = number?;
        if self.non_negative && number < 0.0 {
            return Some((
                format!("Giá trị {text} không được âm."),
                format!("{text} must not be negative."),
            ));
        }
        if let Some(min) = self.min
            && number < min
        {
            return Some((
                format!("Giá trị {text} nhỏ hơn mức tối thiểu {min}."),
                format!("{text} is below the minimum {min}."),
            ));
        }
        if let Some(max) = self.max
            && number > max
        {
            return Some((
                format!("Giá trị {text} lớn hơn mức tối đa {max}."),
                format!("{text} is above the maximum {max}."),
            ));
        }
        if let Some(decimals) = self.decimals {
            let written = text
                .split_once('.')
                .map_or(0, |(_, fraction)| fraction.len());
            if written > usize::from(decimals) {
                return Some((
                    format!("Giá trị {text} có quá {decimals} chữ số thập phân."),
                    format!("{text} has more than {decimals} decimal places."),
                ));
            }
        }
        None
    }
}

/// A data form (biểu mẫu): rows of indicators by columns of measures. Each row's values are
/// kept per combination of its indicator's disaggregation options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Form {
    pub code: String,
    pub title_vi: String,
    #[serde(default)]
    pub title_en: String,
    pub values: RowValues,
    pub columns: Vec<FormColumn>,
    pub rows: Vec<FormRow>,
}

impl Form {
    /// The column a row's own figure is written in: `this_period` where the form has it,
    /// else its first column. Completeness and required rows look there.
    pub fn first_measure_column(&self) -> FormColumn {
        if self.columns.contains(&FormColumn::ThisPeriod) {
            FormColumn::ThisPeriod
        } else {
            self.columns[0]
        }
    }
}

string_enum!(
    /// Whether a broken rule blocks submission or asks for an explanation.
    Severity, {
    Error => "error",
    Warning => "warning",
});

/// A validation rule as authored; the data-quality work parses and evaluates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValidationRule {
    pub expression: String,
    pub severity: Severity,
    pub message_vi: String,
    #[serde(default)]
    pub message_en: String,
}

/// An indicator computed from others ("100 * [XH05] / [XH06]").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DerivedIndicator {
    pub code: IndicatorCode,
    pub formula: String,
    /// Whether the formula runs on the aggregated inputs (a ratio of sums, the default) or
    /// for each reporting agency, the results then added.
    #[serde(default, skip_serializing_if = "DerivedOrder::is_default")]
    pub order: DerivedOrder,
}

/// When a derived indicator's formula runs, against aggregation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DerivedOrder {
    /// Each input aggregated by its own rule for the agency and period, then the formula: a
    /// ratio of sums.
    #[default]
    AggregateThenCompute,
    /// The formula for each agency holding the lowest-level numbers under the one asked,
    /// each on its own inputs (aggregated over time only), then the results added: a sum of
    /// ratios, as some of DHIS2's users ask for.
    ComputeThenAdd,
}

impl DerivedOrder {
    pub fn is_default(&self) -> bool {
        *self == Self::AggregateThenCompute
    }
}

/// What a regime says: its code, legal basis, kind and the ten elements. Elements are
/// optional here because a draft may lack them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegimeContent {
    pub code: RegimeCode,
    pub name: Option<String>,
    #[serde(default)]
    pub name_en: String,
    pub kind: RegimeKind,
    pub legal_basis: Option<LegalBasis>,
    pub content_requirements: Option<String>,
    pub reporting_agencies: Option<ReportingAgencies>,
    pub receiving_agency: Option<ReceivingAgency>,
    #[serde(default)]
    pub methods: Vec<Method>,
    pub deadline: Option<DeadlineRule>,
    /// The time of day (Vietnam time) the deadline falls at; without one, the whole deadline
    /// day counts. A report sent a minute after it is late.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,9})?)?$")
    )]
    pub deadline_time: Option<jiff::civil::Time>,
    pub frequency: Option<Frequency>,
    pub cutoff: Option<CutoffRule>,
    #[serde(default)]
    pub outline: Vec<OutlineSection>,
    #[serde(default)]
    pub forms: Vec<Form>,
    /// Catalogue categories that split the whole report rather than one indicator — DHIS2's
    /// attribute categories, such as the funding mechanism a figure was reported under. Every
    /// cell names one option of each; a row's figure over them is their sum.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attribute_categories: Vec<String>,
    #[serde(default)]
    pub rules: Vec<ValidationRule>,
    #[serde(default)]
    pub derived: Vec<DerivedIndicator>,
    /// What happens after the deadline — two separate settings, where DHIS2's "timely days"
    /// and "expiry days" are easily confused.
    #[serde(default)]
    pub after_deadline: AfterDeadline,
}

/// A form with more cells than a regime may ask for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OversizedForm {
    pub form: String,
    pub cells: u64,
    pub limit: u64,
    /// The row with the most cells: where to cut disaggregations first.
    pub widest_row: Option<String>,
}

/// The most cells one form may have (rows × columns × option combinations).
pub const MAX_FORM_CELLS: u64 = 20_000;

/// After the deadline: whether a report may still be submitted (it is then marked late), and
/// whether — and how many days after the deadline — the report locks, so that nothing more
/// can be typed or sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AfterDeadline {
    /// Late reports are accepted and marked late (the default, as the demo regimes do).
    #[serde(default = "accepted_by_default")]
    pub late_accepted: bool,
    /// The report locks at the end of this many days after the deadline (never if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(maximum = 65535))]
    pub lock_after_days: Option<u16>,
}

fn accepted_by_default() -> bool {
    true
}

impl Default for AfterDeadline {
    fn default() -> Self {
        Self {
            late_accepted: true,
            lock_after_days: None,
        }
    }
}

impl AfterDeadline {
    /// The last day a report of a period due on `deadline` can be edited or sent, if it locks.
    pub fn last_open_day(&self, deadline: jiff::civil::Date) -> Option<jiff::civil::Date> {
        self.lock_after_days.map(|days| {
            deadline
                .checked_add(jiff::Span::new().days(i64::from(days)))
                .unwrap_or(deadline)
        })
    }
}

impl RegimeContent {
    /// The cells of each form, and the first form over `limit`: a row holds one cell per
    /// column and per combination of its indicator's disaggregation options, totals included —
    /// a product that explodes quickly (five categories of ten options: 161,051 cells a row).
    pub fn oversized_form(
        &self,
        indicators: &[crate::indicator::Indicator],
        categories: &[crate::indicator::Category],
        limit: u64,
    ) -> Option<OversizedForm> {
        let attribute_combinations =
            self.attribute_categories
                .iter()
                .fold(1u64, |product, code| {
                    let options = categories
                        .iter()
                        .find(|c| c.code() == code)
                        .map_or(1, |c| c.options().len() as u64);
                    product.saturating_mul(options)
                });
        for form in &self.forms {
            let mut cells: u64 = 0;
            let mut widest: Option<(&FormRow, u64)> = None;
            for row in &form.rows {
                let combinations = indicators
                    .iter()
                    .find(|i| i.code() == &row.indicator)
                    .map_or(1u64, |indicator| {
                        indicator.disaggregation.iter().fold(1u64, |product, code| {
                            let options = categories
                                .iter()
                                .find(|c| c.code() == code)
                                .map_or(0, |c| c.options().len() as u64);
                            product.saturating_mul(options + 1)
                        })
                    });
                let row_cells = combinations
                    .saturating_mul(attribute_combinations)
                    .saturating_mul(form.columns.len() as u64);
                cells = cells.saturating_add(row_cells);
                if widest.is_none_or(|(_, most)| row_cells > most) {
                    widest = Some((row, row_cells));
                }
            }
            if cells > limit {
                return Some(OversizedForm {
                    form: form.code.clone(),
                    cells,
                    limit,
                    widest_row: widest.map(|(row, _)| row.indicator.to_string()),
                });
            }
        }
        None
    }

    /// Checks what must hold even in a draft: codes, unique forms, sensible deadline days.
    pub fn check(&self) -> Result<(), RegimeError> {
        use crate::text::{check_long_text, check_name};
        let names = [
            ("name", self.name.as_deref().unwrap_or("")),
            ("English name", self.name_en.as_str()),
        ];
        let texts = [(
            "content requirements",
            self.content_requirements.as_deref().unwrap_or(""),
        )];
        let headings = self.outline.iter().flat_map(|section| {
            [
                ("outline heading", section.heading_vi.as_str()),
                ("outline heading", section.heading_en.as_str()),
            ]
        });
        let guidance = self.outline.iter().flat_map(|section| {
            [
                ("outline guidance", section.guidance_vi.as_str()),
                ("outline guidance", section.guidance_en.as_str()),
            ]
        });
        for (what, text) in names.into_iter().chain(headings) {
            if !check_name(text) {
                return Err(RegimeError::InvalidText(what));
            }
        }
        for (what, text) in texts.into_iter().chain(guidance) {
            if !check_long_text(text) {
                return Err(RegimeError::InvalidText(what));
            }
        }
        let mut form_codes = HashSet::new();
        for form in &self.forms {
            if !check_code(&form.code, true) {
                return Err(RegimeError::InvalidFormCode(form.code.clone()));
            }
            if !form_codes.insert(form.code.as_str()) {
                return Err(RegimeError::DuplicateForm(form.code.clone()));
            }
            if form.rows.is_empty() || form.columns.is_empty() {
                return Err(RegimeError::EmptyForm(form.code.clone()));
            }
            let mut indicators = HashSet::new();
            for row in &form.rows {
                if let (Some(min), Some(max)) = (row.cells.min, row.cells.max)
                    && min > max
                {
                    return Err(RegimeError::CellRange {
                        form: form.code.clone(),
                        indicator: row.indicator.to_string(),
                    });
                }
                if !indicators.insert(&row.indicator) {
                    return Err(RegimeError::DuplicateRow {
                        form: form.code.clone(),
                        indicator: row.indicator.to_string(),
                    });
                }
            }
        }
        match self.deadline {
            Some(DeadlineRule::DayOfMonth { day, .. }) if !(1..=31).contains(&day) => {
                return Err(RegimeError::DeadlineDay(day));
            }
            Some(DeadlineRule::FixedDate { month, day, .. })
                if jiff::civil::Date::new(2024, month as i8, day as i8).is_err() =>
            {
                return Err(RegimeError::DeadlineDay(day));
            }
            _ => {}
        }
        Ok(())
    }

    /// The deadline of a report of `period`, if the regime has a deadline rule, with working
    /// days counted on `holidays`.
    pub fn deadline_of(
        &self,
        period: crate::period::PeriodId,
        holidays: &crate::holidays::HolidayCalendar,
    ) -> Option<crate::calendar::Due> {
        self.deadline.as_ref().map(|rule| crate::calendar::Due {
            day: crate::calendar::deadline(rule, self.cutoff.as_ref(), period, holidays),
            time: self.deadline_time,
        })
    }

    /// The mandatory elements this content lacks, in the decree's order.
    pub fn missing_elements(&self) -> Vec<Element> {
        let blank = |text: &Option<String>| text.as_deref().is_none_or(|t| t.trim().is_empty());
        let missing = [
            (Element::Name, blank(&self.name)),
            (
                Element::ContentRequirements,
                blank(&self.content_requirements),
            ),
            (
                Element::ReportingAgencies,
                self.reporting_agencies.is_none(),
            ),
            (Element::ReceivingAgency, self.receiving_agency.is_none()),
            (Element::Methods, self.methods.is_empty()),
            (Element::Deadline, self.deadline.is_none()),
            (
                Element::Frequency,
                self.frequency.is_none() && self.kind == RegimeKind::Periodic,
            ),
            (Element::Cutoff, self.cutoff.is_none()),
            (Element::Outline, self.outline.is_empty()),
            (Element::Forms, self.forms.is_empty()),
        ];
        missing
            .into_iter()
            .filter(|(_, is_missing)| *is_missing)
            .map(|(e, _)| e)
            .collect()
    }

    /// Every indicator the forms ask for.
    pub fn indicators(&self) -> impl Iterator<Item = &IndicatorCode> {
        self.forms
            .iter()
            .flat_map(|f| f.rows.iter().map(|r| &r.indicator))
    }

    pub fn form(&self, code: &str) -> Option<&Form> {
        self.forms.iter().find(|f| f.code == code)
    }

    /// Whether `category` splits the whole report (see `attribute_categories`).
    pub fn is_attribute(&self, category: &str) -> bool {
        self.attribute_categories.iter().any(|c| c == category)
    }

    /// A cell's options without the attribute categories': what it says within one
    /// attribute combination (the total where it names nothing else).
    pub fn own_options(&self, options: &OptionCombo) -> OptionCombo {
        options.split(|category| self.is_attribute(category)).1
    }

    /// Every combination of one option of each attribute category, in the catalogue's order;
    /// the total alone where the regime declares none.
    pub fn attribute_combinations(&self, categories: &[Category]) -> Vec<OptionCombo> {
        OptionCombo::every(&self.attribute_categories, categories, usize::MAX)
    }
}

/// One version of a regime with its status.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Regime {
    version: u32,
    status: RegimeStatus,
    /// The first day whose periods this version governs; set on publication.
    effective_from: Option<Date>,
    #[serde(flatten)]
    content: RegimeContent,
}

impl Regime {
    /// A new regime, version 1, in draft.
    pub fn draft(content: RegimeContent) -> Result<Self, RegimeError> {
        content.check()?;
        Ok(Self {
            version: 1,
            status: RegimeStatus::Draft,
            effective_from: None,
            content,
        })
    }

    /// A regime read back from storage; the same invariants as when it was made.
    pub fn restore(
        content: RegimeContent,
        version: u32,
        status: RegimeStatus,
        effective_from: Option<Date>,
    ) -> Result<Self, RegimeError> {
        content.check()?;
        if status != RegimeStatus::Draft {
            let missing = content.missing_elements();
            if !missing.is_empty() {
                return Err(RegimeError::MissingElements(missing));
            }
        }
        Ok(Self {
            version,
            status,
            effective_from,
            content,
        })
    }

    /// Publishes a draft with all ten elements, governing periods from `effective_from`.
    pub fn publish(mut self, effective_from: Date) -> Result<Self, RegimeError> {
        if self.status != RegimeStatus::Draft {
            return Err(RegimeError::StatusChange {
                from: self.status,
                to: RegimeStatus::Published,
            });
        }
        let missing = self.content.missing_elements();
        if !missing.is_empty() {
            return Err(RegimeError::MissingElements(missing));
        }
        // A deadline must leave the cut-off window time to close (checked over a year).
        if let (Some(frequency), Some(rule), Some(cutoff)) = (
            self.content.frequency,
            &self.content.deadline,
            &self.content.cutoff,
        ) {
            crate::calendar::check_deadline(frequency, cutoff, rule, effective_from.year())
                .map_err(|error| RegimeError::Calendar(error.to_string()))?;
        }
        self.status = RegimeStatus::Published;
        self.effective_from = Some(effective_from);
        Ok(self)
    }

    /// A new version of this published regime, in draft, with `content` (same code). Reports
    /// of periods before the new version takes effect keep this one.
    pub fn amend(&self, content: RegimeContent) -> Result<Self, RegimeError> {
        if self.status != RegimeStatus::Published {
            return Err(RegimeError::StatusChange {
                from: self.status,
                to: RegimeStatus::Draft,
            });
        }
        if content.code != self.content.code {
            return Err(RegimeError::CodeChanged {
                expected: self.content.code.to_string(),
                given: content.code.to_string(),
            });
        }
        content.check()?;
        Ok(Self {
            version: self.version + 1,
            status: RegimeStatus::Draft,
            effective_from: None,
            content,
        })
    }

    /// Publishes an amendment: like [`Regime::publish`], and it must take effect after
    /// `previous` (the version it replaces) did.
    pub fn publish_after(
        self,
        previous: &Regime,
        effective_from: Date,
    ) -> Result<Self, RegimeError> {
        if let Some(earlier) = previous.effective_from
            && effective_from <= earlier
        {
            return Err(RegimeError::EffectiveTooEarly {
                previous: earlier,
                given: effective_from,
            });
        }
        self.publish(effective_from)
    }

    pub fn retire(mut self) -> Result<Self, RegimeError> {
        if self.status != RegimeStatus::Published {
            return Err(RegimeError::StatusChange {
                from: self.status,
                to: RegimeStatus::Retired,
            });
        }
        self.status = RegimeStatus::Retired;
        Ok(self)
    }

    pub fn version(&self) -> u32 {
        self.version
    }
    pub fn status(&self) -> RegimeStatus {
        self.status
    }
    pub fn effective_from(&self) -> Option<Date> {
        self.effective_from
    }
    pub fn content(&self) -> &RegimeContent {
        &self.content
    }
    pub fn code(&self) -> &RegimeCode {
        &self.content.code
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use jiff::civil::date;

    pub(crate) fn monthly_socioeconomic() -> RegimeContent {
        serde_json::from_value(serde_json::json!({
            "code": "BC-KTXH-T",
            "name": "Báo cáo tình hình kinh tế - xã hội hằng tháng",
            "kind": "periodic",
            "legal_basis": {"document": "QĐ minh họa", "issuer": "Thủ tướng Chính phủ", "date": "2021-03-01"},
            "content_requirements": "Tình hình, kết quả thực hiện các chỉ tiêu kinh tế - xã hội chủ yếu.",
            "reporting_agencies": {"description_vi": "Ủy ban nhân dân cấp tỉnh", "selector": {"kind": "levels", "levels": ["province"]}},
            "receiving_agency": {"kind": "agency", "code": "VPCP"},
            "methods": ["reporting_system"],
            "deadline": {"kind": "day_of_month", "day": 20, "months_after_period_end": 0},
            "frequency": "monthly",
            "cutoff": {"kind": "decree09"},
            "outline": [{"heading_vi": "I. Tình hình kinh tế - xã hội trong tháng"}],
            "forms": [{"code": "Biểu 01/KTXH-T", "title_vi": "Chỉ tiêu chủ yếu", "values": "compiled_total",
                       "columns": ["this_period"], "rows": [{"indicator": "KT03"}, {"indicator": "KT04"}]}]
        }))
        .unwrap()
    }

    #[test]
    fn an_amendment_is_a_new_draft_version_that_takes_effect_later() {
        let first = Regime::draft(monthly_socioeconomic())
            .unwrap()
            .publish(date(2026, 1, 1))
            .unwrap();
        let mut changed = monthly_socioeconomic();
        changed.deadline = Some(DeadlineRule::DayOfMonth {
            day: 25,
            months_after_period_end: 0,
        });
        let amendment = first.amend(changed.clone()).unwrap();
        assert_eq!(
            (amendment.version(), amendment.status()),
            (2, RegimeStatus::Draft)
        );
        assert_eq!(
            amendment.clone().publish_after(&first, date(2026, 1, 1)),
            Err(RegimeError::EffectiveTooEarly {
                previous: date(2026, 1, 1),
                given: date(2026, 1, 1)
            })
        );
        let second = amendment.publish_after(&first, date(2027, 1, 1)).unwrap();
        assert_eq!(second.effective_from(), Some(date(2027, 1, 1)));
        let mut renamed = changed;
        renamed.code = RegimeCode::new("BC-KHAC").unwrap();
        assert!(matches!(
            first.amend(renamed),
            Err(RegimeError::CodeChanged { .. })
        ));
        let draft = Regime::draft(monthly_socioeconomic()).unwrap();
        assert!(matches!(
            draft.amend(monthly_socioeconomic()),
            Err(RegimeError::StatusChange { .. })
        ));
    }

    #[test]
    fn a_form_whose_disaggregations_explode_is_named_with_its_widest_row() {
        use crate::indicator::{
            Aggregation, Category, CategoryOption, Indicator, IndicatorCode, ValueType,
        };
        let category = |code: &str, options: usize| {
            Category::new(
                code.into(),
                code.into(),
                code.into(),
                (0..options)
                    .map(|n| CategoryOption {
                        code: format!("O{n}"),
                        name_vi: format!("Lựa chọn {n}"),
                        name_en: format!("Option {n}"),
                    })
                    .collect(),
            )
            .unwrap()
        };
        let categories = vec![
            category("TINH", 34),
            category("TUOI", 20),
            category("GIOI", 2),
        ];
        let indicator = |code: &str, disaggregation: &[&str]| {
            Indicator::new(
                IndicatorCode::new(code).unwrap(),
                code.into(),
                code.into(),
                "người".into(),
                "people".into(),
                ValueType::Integer,
                Aggregation::Sum,
                None,
                disaggregation.iter().map(|d| d.to_string()).collect(),
                String::new(),
                String::new(),
            )
            .unwrap()
        };
        let indicators = vec![
            indicator("KT03", &["GIOI"]),
            indicator("KT04", &["TINH", "TUOI", "GIOI"]),
        ];
        let content = monthly_socioeconomic();
        // KT03: 1 column × 3 (two options and the total); KT04: 35 × 21 × 3 = 2,205.
        assert_eq!(
            content.oversized_form(&indicators, &categories, 2_208),
            None
        );
        let over = content
            .oversized_form(&indicators, &categories, 2_207)
            .unwrap();
        assert_eq!(
            (over.cells, over.widest_row.as_deref()),
            (2_208, Some("KT04"))
        );
    }

    #[test]
    fn a_complete_draft_publishes() {
        let regime = Regime::draft(monthly_socioeconomic())
            .unwrap()
            .publish(date(2026, 1, 1))
            .unwrap();
        assert_eq!(regime.status(), RegimeStatus::Published);
        assert_eq!(regime.effective_from(), Some(date(2026, 1, 1)));
    }

    #[test]
    fn a_regime_without_all_ten_elements_cannot_be_published() {
        let mut content = monthly_socioeconomic();
        content.cutoff = None;
        content.outline.clear();
        let draft = Regime::draft(content.clone()).unwrap();
        assert_eq!(
            draft.content().missing_elements(),
            vec![Element::Cutoff, Element::Outline]
        );
        assert_eq!(
            draft.publish(date(2026, 1, 1)).unwrap_err(),
            RegimeError::MissingElements(vec![Element::Cutoff, Element::Outline])
        );
        assert!(Regime::restore(content, 1, RegimeStatus::Published, None).is_err());
    }

    #[test]
    fn a_deadline_before_the_cutoff_end_cannot_be_published() {
        let mut content = monthly_socioeconomic();
        content.deadline = Some(DeadlineRule::DayOfMonth {
            day: 5,
            months_after_period_end: 0,
        });
        let refused = Regime::draft(content)
            .unwrap()
            .publish(date(2026, 1, 1))
            .unwrap_err();
        assert!(
            matches!(refused, RegimeError::Calendar(ref text) if text.contains("before the cut-off window ends")),
            "{refused}"
        );
    }

    #[test]
    fn a_blank_name_is_a_missing_element() {
        let mut content = monthly_socioeconomic();
        content.name = Some("  ".into());
        assert_eq!(content.missing_elements(), vec![Element::Name]);
    }

    #[test]
    fn form_codes_are_unique_within_a_regime() {
        let mut content = monthly_socioeconomic();
        content.forms.push(content.forms[0].clone());
        assert_eq!(
            Regime::draft(content).unwrap_err(),
            RegimeError::DuplicateForm("Biểu 01/KTXH-T".into())
        );
    }

    #[test]
    fn only_a_published_regime_retires_and_only_a_draft_publishes() {
        let draft = Regime::draft(monthly_socioeconomic()).unwrap();
        assert!(draft.clone().retire().is_err());
        let retired = draft.publish(date(2026, 1, 1)).unwrap().retire().unwrap();
        assert_eq!(retired.status(), RegimeStatus::Retired);
        assert!(retired.publish(date(2026, 2, 1)).is_err());
    }

    #[test]
    fn the_json_shape_round_trips() {
        let regime = Regime::draft(monthly_socioeconomic()).unwrap();
        let json = serde_json::to_value(&regime).unwrap();
        assert_eq!(json["status"], "draft");
        assert_eq!(json["version"], 1);
        assert_eq!(json["deadline"]["day"], 20);
        let back: RegimeContent = serde_json::from_value(json).unwrap();
        assert_eq!(&back, regime.content());
    }

    #[test]
    fn a_deadline_day_must_exist_in_some_month() {
        let mut content = monthly_socioeconomic();
        content.deadline = Some(DeadlineRule::DayOfMonth {
            day: 32,
            months_after_period_end: 0,
        });
        assert_eq!(
            Regime::draft(content).unwrap_err(),
            RegimeError::DeadlineDay(32)
        );
    }
}
