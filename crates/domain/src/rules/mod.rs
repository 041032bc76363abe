//! Validation rules and formulas: the language regime managers write checks in, its parser,
//! checker and evaluator. The same code checks a draft on save, a submission, an import and a
//! rule an author is still writing.
//!
//! # The language
//! The grammar is `grammar.pest` beside this file. An expression combines:
//! - numbers (`0.9`, `100`), `true`, `false`;
//! - cell references `[CODE]`, `[CODE.option]`, `[CODE.option.option]`, `[CODE:column]`:
//!   the indicator's row in the regime's form that has it; options pick a disaggregation
//!   (`[CT01.female]`; `.total` or none is the total over every category); the column is
//!   `this_period` unless written (`[HC02:year_to_date]`);
//! - arithmetic `+ - * /`, comparisons `= == != <> < <= > >=`, logic `and or not`
//!   (also `&& || !`), parentheses; precedence from loosest: `or`, `and`, comparisons,
//!   `+ -`, `* /`, unary `- not`;
//! - functions `sum(x, …)`, `min(x, …)`, `max(x, …)`, `abs(x)`, `if(condition, a, b)`,
//!   `is_blank(x)`; `prev(x, n)` reads `x` n periods earlier (n = 1 if left out),
//!   `same_period_last_year(x)` (or `last_year(x)`) a year earlier, and `children_sum(x)` the
//!   sum of the agency's direct subordinates' accepted values — these three read accepted
//!   data values, which keep the `this_period` column only.
//!
//! # Blanks
//! A rule must not fire on a report that simply has not been filled yet, nor stay silent on a
//! total left empty beside filled parts. So, as DHIS2's "skip if all values are missing": an
//! operation whose operands are all blank is blank; one blank beside a number counts as 0;
//! `sum`, `min`, `max` skip blanks; a rule that comes out blank does not apply, nor does one
//! that divides by zero or reads a number of an earlier period or of a subordinate that was
//! never reported (there is nothing to compare with). `and`/`or` ignore a blank side. Equality allows for rounding (a relative
//! 1e-9), so `0.1 + 0.2 = 0.3` holds.
//!
//! # Outcome
//! A validation rule must be a true/false condition; false breaks it. An `error` blocks
//! submission; a `warning` asks for a written explanation. A formula (derived indicator)
//! must be a number.

mod compile;
mod evaluate;
mod syntax;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub use compile::{Expr, Function, Lookup, RuleContext, Scope, Type};
pub use evaluate::{Evaluated, evaluate};
pub use syntax::{Node, Span, parse};

use crate::regime::{Severity, ValidationRule};
use crate::report::{CellAddress, ReportContent};
use crate::value::OptionCombo;

/// Why a rule or formula cannot be used. Positions count characters from 0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("{message_en}")]
    Syntax {
        position: usize,
        message: String,
        message_en: String,
    },
    /// It parses, but means nothing: an unknown indicator or function, a wrong type.
    #[error("{message_en}")]
    Invalid {
        position: usize,
        message: String,
        message_en: String,
    },
}

impl RuleError {
    fn empty() -> Self {
        Self::Syntax {
            position: 0,
            message: "Biểu thức trống.".into(),
            message_en: "The expression is empty.".into(),
        }
    }
    pub fn position(&self) -> usize {
        match self {
            Self::Syntax { position, .. } | Self::Invalid { position, .. } => *position,
        }
    }
    pub fn message(&self) -> &str {
        match self {
            Self::Syntax { message, .. } | Self::Invalid { message, .. } => message,
        }
    }
    pub fn message_en(&self) -> &str {
        match self {
            Self::Syntax { message_en, .. } | Self::Invalid { message_en, .. } => message_en,
        }
    }
}

/// Parses and checks a validation rule: it must be a true/false condition.
pub fn compile_condition(text: &str, context: &RuleContext) -> Result<Expr, RuleError> {
    compile_as(text, context, Type::Boolean)
}

/// Parses and checks a formula: it must be a number.
pub fn compile_formula(text: &str, context: &RuleContext) -> Result<Expr, RuleError> {
    compile_as(text, context, Type::Number)
}

fn compile_as(text: &str, context: &RuleContext, wanted: Type) -> Result<Expr, RuleError> {
    let node = parse(text)?;
    let (expr, found) = context.compile(&node)?;
    if found != wanted {
        let (vi, en) = match wanted {
            Type::Boolean => (
                "Quy tắc phải là một điều kiện đúng/sai, ví dụ [A] <= [B].",
                "A rule must be a true/false condition, e.g. [A] <= [B].",
            ),
            Type::Number => (
                "Công thức phải cho ra một số.",
                "A formula must give a number.",
            ),
        };
        return Err(RuleError::Invalid {
            position: 0,
            message: vi.into(),
            message_en: en.into(),
        });
    }
    Ok(expr)
}

/// Where rules read numbers. The report's own cells come from the draft; earlier periods and
/// subordinates' sums from accepted data, gathered by the caller beforehand (see
/// [`CheckedRule::lookups`]) so that evaluation stays pure and fast.
pub trait RuleData {
    fn number(&self, lookup: &Lookup) -> Option<f64>;
}

/// Numbers by lookup: a report's cells plus whatever history the caller fetched.
#[derive(Debug, Default, Clone)]
pub struct RuleInputs {
    numbers: HashMap<Lookup, f64>,
}

impl RuleInputs {
    /// The numeric cells of a report, as this period's own values.
    pub fn from_report(content: &ReportContent) -> Self {
        let numbers = content
            .values
            .iter()
            .filter_map(|cell| {
                let number: f64 = cell.value.parse().ok()?;
                Some((
                    Lookup {
                        cell: cell.address.clone(),
                        periods_back: 0,
                        years_back: 0,
                        scope: Scope::Own,
                    },
                    number,
                ))
            })
            .collect();
        Self { numbers }
    }
    pub fn insert(&mut self, lookup: Lookup, number: f64) {
        self.numbers.insert(lookup, number);
    }
}

impl RuleData for RuleInputs {
    fn number(&self, lookup: &Lookup) -> Option<f64> {
        self.numbers.get(lookup).copied()
    }
}

/// A regime's validation rule, checked and ready to run.
#[derive(Debug, Clone)]
pub struct CheckedRule {
    /// `R1`, `R2`, … in the regime's order: what violations and explanations name.
    pub id: String,
    pub rule: ValidationRule,
    expr: Expr,
}

impl CheckedRule {
    /// Every number the rule reads.
    pub fn lookups(&self) -> Vec<Lookup> {
        self.expr.lookups()
    }

    /// The violation, if the data breaks the rule.
    pub fn check(&self, data: &dyn RuleData) -> Option<Violation> {
        if evaluate(&self.expr, data) != Evaluated::Boolean(false) {
            return None;
        }
        let message_en = if self.rule.message_en.trim().is_empty() {
            format!("Rule {} does not hold: {}", self.id, self.rule.expression)
        } else {
            self.rule.message_en.clone()
        };
        Some(Violation {
            rule: self.id.clone(),
            severity: self.rule.severity,
            expression: self.rule.expression.clone(),
            message: self.rule.message_vi.clone(),
            message_en,
            cells: self
                .lookups()
                .into_iter()
                .filter(Lookup::is_in_report)
                .map(|l| l.cell)
                .collect(),
        })
    }
}

impl Expr {
    /// Every number the expression reads, each once, in order.
    pub fn lookups(&self) -> Vec<Lookup> {
        fn collect(expr: &Expr, into: &mut Vec<Lookup>) {
            match expr {
                Expr::Number(_) | Expr::Boolean(_) => {}
                Expr::Read(lookup) => into.push(lookup.clone()),
                Expr::Unary(_, operand) => collect(operand, into),
                Expr::Binary(_, left, right) => {
                    collect(left, into);
                    collect(right, into);
                }
                Expr::Call(_, arguments) => arguments.iter().for_each(|a| collect(a, into)),
            }
        }
        let mut lookups = Vec::new();
        collect(self, &mut lookups);
        lookups.sort();
        lookups.dedup();
        lookups
    }
}

/// A rule the data breaks, with the cells of the report it reads (to highlight them).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Violation {
    pub rule: String,
    pub severity: Severity,
    pub expression: String,
    pub message: String,
    pub message_en: String,
    pub cells: Vec<CellAddress>,
}

/// A reporter's written reason why a warning is not a mistake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Explanation {
    pub rule: String,
    pub text: String,
}

/// The rules of one regime, checked against its forms and the catalogue.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<CheckedRule>,
    /// Stored rules that no longer compile (the catalogue changed under them), with why; they
    /// are reported to the regime's managers and never silently pass as checked.
    pub broken: Vec<(String, RuleError)>,
}

impl RuleSet {
    pub fn compile(context: &RuleContext) -> Self {
        let mut set = Self::default();
        for (index, rule) in context.regime.rules.iter().enumerate() {
            let id = format!("R{}", index + 1);
            match compile_condition(&rule.expression, context) {
                Ok(expr) => set.rules.push(CheckedRule {
                    id,
                    rule: rule.clone(),
                    expr,
                }),
                Err(error) => set.broken.push((id, error)),
            }
        }
        set
    }

    /// Every number any rule reads.
    pub fn lookups(&self) -> Vec<Lookup> {
        let mut lookups: Vec<Lookup> = self.rules.iter().flat_map(|r| r.lookups()).collect();
        lookups.sort();
        lookups.dedup();
        lookups
    }

    pub fn check(&self, data: &dyn RuleData) -> Vec<Violation> {
        self.rules.iter().filter_map(|r| r.check(data)).collect()
    }

    /// [`check`](Self::check) within each of `combinations` of the regime's attribute
    /// categories (see [`ReportContent::attribute_combinations`]): a reference reads that
    /// combination's cells, and a violation names them.
    pub fn check_within(
        &self,
        combinations: &[OptionCombo],
        data: &dyn RuleData,
    ) -> Vec<Violation> {
        let mut found = Vec::new();
        for attributes in combinations {
            let within = Within { data, attributes };
            for mut violation in self.check(&within) {
                for cell in &mut violation.cells {
                    cell.options = cell.options.with(attributes);
                }
                found.push(violation);
            }
        }
        found
    }
}

/// A report's numbers as seen from one attribute combination.
struct Within<'a> {
    data: &'a dyn RuleData,
    attributes: &'a OptionCombo,
}

impl RuleData for Within<'_> {
    fn number(&self, lookup: &Lookup) -> Option<f64> {
        self.data.number(&lookup.within(self.attributes))
    }
}

/// The rows marked required whose total in the first measure column (`this_period` where the
/// form has it) is empty — within each attribute combination the report has — an error each,
/// named `REQ:{indicator}`.
pub fn missing_required(
    regime: &crate::regime::RegimeContent,
    content: &ReportContent,
) -> Vec<Violation> {
    let mut missing = Vec::new();
    for attributes in content.attribute_combinations(regime) {
        for form in &regime.forms {
            let column = form.first_measure_column();
            for row in form.rows.iter().filter(|r| r.cells.required) {
                let address = CellAddress {
                    form: form.code.clone(),
                    row: row.indicator.clone(),
                    column,
                    options: attributes.clone(),
                };
                if !content.values.iter().any(|c| c.address == address) {
                    missing.push(Violation {
                        rule: format!("REQ:{}", row.indicator),
                        severity: Severity::Error,
                        expression: String::new(),
                        message: format!(
                            "Chưa điền chỉ tiêu bắt buộc {} (biểu {}).",
                            row.indicator, form.code
                        ),
                        message_en: format!(
                            "Required indicator {} (form {}) is empty.",
                            row.indicator, form.code
                        ),
                        cells: vec![address],
                    });
                }
            }
        }
    }
    missing
}

/// What keeps a submission back: errors, or warnings nobody explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocker {
    Errors,
    UnexplainedWarnings,
}

/// Whether these violations, with these explanations, let a report be submitted.
pub fn blocker(violations: &[Violation], explanations: &[Explanation]) -> Option<Blocker> {
    if violations.iter().any(|v| v.severity == Severity::Error) {
        return Some(Blocker::Errors);
    }
    let unexplained = violations.iter().any(|v| {
        !explanations
            .iter()
            .any(|e| e.rule == v.rule && !e.text.trim().is_empty())
    });
    unexplained.then_some(Blocker::UnexplainedWarnings)
}
