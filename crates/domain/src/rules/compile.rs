//! From a syntax tree to a checked expression: every reference resolved to a cell of the
//! regime's forms (indicator, disaggregation options, column), every function known with
//! the right number of arguments, every operand of the right type. Errors carry the position
//! of the node at fault.

use crate::indicator::{Category, Indicator};
use crate::regime::{FormColumn, RegimeContent};
use crate::report::CellAddress;
use crate::value::OptionCombo;

use super::RuleError;
use super::syntax::{BinaryOp, Node, RawReference, Span, Syntax, UnaryOp};

/// What an expression yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Number,
    Boolean,
}

/// Whose value a reference reads: the reporting agency's, or the sum of its subordinates'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Own,
    Children,
}

/// Where a number is read: a cell, how far back in time, and whose.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lookup {
    pub cell: CellAddress,
    /// Periods of the regime's frequency before the report's period (`prev(x, n)`).
    pub periods_back: u16,
    /// Years before (`same_period_last_year(x)`).
    pub years_back: u16,
    pub scope: Scope,
}

impl Lookup {
    /// Whether the report being written holds this number itself (its own cells, this period).
    pub fn is_in_report(&self) -> bool {
        self.periods_back == 0 && self.years_back == 0 && self.scope == Scope::Own
    }

    /// The same number within an attribute combination (the regime's attribute options added
    /// to the cell's own).
    pub fn within(&self, attributes: &crate::value::OptionCombo) -> Lookup {
        let mut lookup = self.clone();
        lookup.cell.options = lookup.cell.options.with(attributes);
        lookup
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Sum,
    Min,
    Max,
    Abs,
    If,
    IsBlank,
    Prev,
    SamePeriodLastYear,
    ChildrenSum,
}

/// A checked expression, ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    Boolean(bool),
    Read(Lookup),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Call(Function, Vec<Expr>),
}

/// Where rules look up the forms and the catalogue.
#[derive(Clone, Copy)]
pub struct RuleContext<'a> {
    pub regime: &'a RegimeContent,
    pub indicators: &'a [Indicator],
    pub categories: &'a [Category],
}

/// The time shift and scope that a reference inherits from the functions around it.
#[derive(Clone, Copy)]
struct Frame {
    periods_back: u16,
    years_back: u16,
    scope: Scope,
}

impl Frame {
    fn is_history(self) -> bool {
        self.periods_back > 0 || self.years_back > 0 || self.scope == Scope::Children
    }
}

fn invalid(span: Span, message: String, message_en: String) -> RuleError {
    RuleError::Invalid {
        position: span.start,
        message,
        message_en,
    }
}

fn type_name(t: Type) -> (&'static str, &'static str) {
    match t {
        Type::Number => ("một số", "a number"),
        Type::Boolean => ("một điều kiện đúng/sai", "a true/false condition"),
    }
}

fn expect(node: &Node, found: Type, wanted: Type) -> Result<(), RuleError> {
    if found == wanted {
        return Ok(());
    }
    let (want_vi, want_en) = type_name(wanted);
    let (found_vi, found_en) = type_name(found);
    Err(invalid(
        node.span,
        format!(
            "Ở vị trí {}: cần {want_vi}, nhưng đây là {found_vi}.",
            node.span.start
        ),
        format!(
            "At position {}: expected {want_en}, found {found_en}.",
            node.span.start
        ),
    ))
}

impl RuleContext<'_> {
    /// Checks `node` and answers the expression with its type.
    pub fn compile(&self, node: &Node) -> Result<(Expr, Type), RuleError> {
        self.compile_in(
            node,
            Frame {
                periods_back: 0,
                years_back: 0,
                scope: Scope::Own,
            },
        )
    }

    fn compile_in(&self, node: &Node, frame: Frame) -> Result<(Expr, Type), RuleError> {
        match &node.syntax {
            Syntax::Number(n) => Ok((Expr::Number(*n), Type::Number)),
            Syntax::Boolean(b) => Ok((Expr::Boolean(*b), Type::Boolean)),
            Syntax::Reference(reference) => Ok((
                Expr::Read(self.resolve(reference, node.span, frame)?),
                Type::Number,
            )),
            Syntax::Unary(op, operand) => {
                let (expr, found) = self.compile_in(operand, frame)?;
                let wanted = match op {
                    UnaryOp::Negate => Type::Number,
                    UnaryOp::Not => Type::Boolean,
                };
                expect(operand, found, wanted)?;
                Ok((Expr::Unary(*op, Box::new(expr)), wanted))
            }
            Syntax::Binary(op, left, right) => {
                let (l, lt) = self.compile_in(left, frame)?;
                let (r, rt) = self.compile_in(right, frame)?;
                let result = if op.is_logical() {
                    expect(left, lt, Type::Boolean)?;
                    expect(right, rt, Type::Boolean)?;
                    Type::Boolean
                } else if op.is_comparison() {
                    if matches!(op, BinaryOp::Eq | BinaryOp::Ne) {
                        expect(right, rt, lt)?;
                    } else {
                        expect(left, lt, Type::Number)?;
                        expect(right, rt, Type::Number)?;
                    }
                    Type::Boolean
                } else {
                    expect(left, lt, Type::Number)?;
                    expect(right, rt, Type::Number)?;
                    Type::Number
                };
                Ok((Expr::Binary(*op, Box::new(l), Box::new(r)), result))
            }
            Syntax::Call(name, arguments) => self.compile_call(node, name, arguments, frame),
        }
    }

    fn compile_call(
        &self,
        node: &Node,
        name: &str,
        arguments: &[Node],
        frame: Frame,
    ) -> Result<(Expr, Type), RuleError> {
        let function = match name {
            "sum" => Function::Sum,
            "min" => Function::Min,
            "max" => Function::Max,
            "abs" => Function::Abs,
            "if" => Function::If,
            "is_blank" => Function::IsBlank,
            "prev" => Function::Prev,
            "same_period_last_year" | "last_year" => Function::SamePeriodLastYear,
            "children_sum" => Function::ChildrenSum,
            _ => {
                return Err(invalid(
                    node.span,
                    format!(
                        "Không có hàm {name} (các hàm: sum, min, max, abs, if, is_blank, prev, same_period_last_year, children_sum)."
                    ),
                    format!(
                        "No function {name} (functions: sum, min, max, abs, if, is_blank, prev, same_period_last_year, children_sum)."
                    ),
                ));
            }
        };
        let arity_ok = match function {
            Function::Sum | Function::Min | Function::Max => !arguments.is_empty(),
            Function::Abs
            | Function::IsBlank
            | Function::SamePeriodLastYear
            | Function::ChildrenSum => arguments.len() == 1,
            Function::Prev => matches!(arguments.len(), 1 | 2),
            Function::If => arguments.len() == 3,
        };
        if !arity_ok {
            return Err(invalid(
                node.span,
                format!("Hàm {name} nhận sai số đối số ({}).", arguments.len()),
                format!(
                    "Function {name} got the wrong number of arguments ({}).",
                    arguments.len()
                ),
            ));
        }
        let mut inner = frame;
        match function {
            Function::Prev => {
                let back = match arguments.get(1) {
                    None => 1,
                    Some(Node {
                        syntax: Syntax::Number(n),
                        ..
                    }) if n.fract() == 0.0 && (1.0..=400.0).contains(n) => *n as u16,
                    Some(other) => {
                        return Err(invalid(
                            other.span,
                            "Số kỳ lùi lại của prev phải là số nguyên từ 1 đến 400.".into(),
                            "prev's number of periods back must be a whole number from 1 to 400."
                                .into(),
                        ));
                    }
                };
                inner.periods_back = inner.periods_back.saturating_add(back);
            }
            Function::SamePeriodLastYear => inner.years_back = inner.years_back.saturating_add(1),
            Function::ChildrenSum => inner.scope = Scope::Children,
            _ => {}
        }
        let mut compiled = Vec::with_capacity(arguments.len());
        for (index, argument) in arguments.iter().enumerate() {
            if function == Function::Prev && index == 1 {
                break;
            }
            let (expr, found) = self.compile_in(argument, inner)?;
            let wanted = match (function, index) {
                (Function::If, 0) => Type::Boolean,
                (Function::If, _) => compiled.get(1).map(|(_, t)| *t).unwrap_or(found),
                _ => Type::Number,
            };
            expect(argument, found, wanted)?;
            compiled.push((expr, found));
        }
        let result = match function {
            Function::IsBlank => Type::Boolean,
            Function::If => compiled.get(1).map_or(Type::Number, |(_, t)| *t),
            _ => Type::Number,
        };
        Ok((
            Expr::Call(function, compiled.into_iter().map(|(e, _)| e).collect()),
            result,
        ))
    }

    /// Resolves `[CODE.option:column]` to a cell of one of the regime's forms.
    fn resolve(
        &self,
        reference: &RawReference,
        span: Span,
        frame: Frame,
    ) -> Result<Lookup, RuleError> {
        let code = &reference.code;
        let form = self
            .regime
            .forms
            .iter()
            .find(|form| form.rows.iter().any(|row| row.indicator.as_str() == code))
            .ok_or_else(|| {
                invalid(
                    span,
                    format!("Chỉ tiêu {code} không có trong các biểu của chế độ báo cáo."),
                    format!("Indicator {code} is in none of the regime's forms."),
                )
            })?;
        let indicator = self
            .indicators
            .iter()
            .find(|i| i.code().as_str() == code)
            .ok_or_else(|| {
                invalid(
                    span,
                    format!("Chỉ tiêu {code} không có trong danh mục."),
                    format!("Indicator {code} is not in the catalogue."),
                )
            })?;
        let column = match &reference.column {
            Some(text) => {
                let column: FormColumn = text.parse().map_err(|_| {
                    invalid(
                        span,
                        format!("Không có cột {text}."),
                        format!("No column {text}."),
                    )
                })?;
                if !form.columns.contains(&column) {
                    return Err(invalid(
                        span,
                        format!("Biểu {} không có cột {text}.", form.code),
                        format!("Form {} has no column {text}.", form.code),
                    ));
                }
                column
            }
            None => form.first_measure_column(),
        };
        if frame.is_history() && column != FormColumn::ThisPeriod {
            return Err(invalid(
                span,
                "Kỳ trước và số liệu đơn vị cấp dưới chỉ có cột this_period (số liệu đã tiếp nhận)."
                    .into(),
                "Earlier periods and subordinates' data keep only the this_period column (accepted data values)."
                    .into(),
            ));
        }
        let mut options = std::collections::BTreeMap::new();
        for option in &reference.options {
            if option == "total" {
                continue;
            }
            let category = indicator
                .disaggregation
                .iter()
                .filter_map(|c| self.categories.iter().find(|k| k.code() == c))
                .find(|c| c.has_option(option))
                .ok_or_else(|| {
                    invalid(
                        span,
                        format!("Chỉ tiêu {code} không có phân tổ {option}."),
                        format!("Indicator {code} has no disaggregation option {option}."),
                    )
                })?;
            if options
                .insert(category.code().to_string(), option.clone())
                .is_some()
            {
                return Err(invalid(
                    span,
                    format!(
                        "Hai phân tổ cùng nhóm {} trong một tham chiếu.",
                        category.code()
                    ),
                    format!("Two options of {} in one reference.", category.code()),
                ));
            }
        }
        Ok(Lookup {
            cell: CellAddress {
                form: form.code.clone(),
                row: indicator.code().clone(),
                column,
                options: OptionCombo::from_stored(options),
            },
            periods_back: frame.periods_back,
            years_back: frame.years_back,
            scope: frame.scope,
        })
    }
}
