//! Evaluating a checked expression over numbers, with the blank semantics of the module docs.

use super::RuleData;
use super::compile::{Expr, Function};
use super::syntax::{BinaryOp, UnaryOp};

/// What an expression comes to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Evaluated {
    Blank,
    /// No value can be given (a division by zero, a number never reported in an earlier
    /// period or by a subordinate): the rule does not apply.
    Undefined,
    Number(f64),
    Boolean(bool),
}

use Evaluated::{Blank, Boolean, Number, Undefined};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn number_or_zero(value: Evaluated) -> f64 {
    match value {
        Number(n) => n,
        _ => 0.0,
    }
}

pub fn evaluate(expr: &Expr, data: &dyn RuleData) -> Evaluated {
    match expr {
        Expr::Number(n) => Number(*n),
        Expr::Boolean(b) => Boolean(*b),
        // An empty cell of the report is the reporter's to fill; a number never reported in
        // an earlier period or by a subordinate leaves nothing to compare with.
        Expr::Read(lookup) => data.number(lookup).map_or(
            if lookup.is_in_report() {
                Blank
            } else {
                Undefined
            },
            Number,
        ),
        Expr::Unary(UnaryOp::Negate, operand) => match evaluate(operand, data) {
            Number(n) => Number(-n),
            other => other,
        },
        Expr::Unary(UnaryOp::Not, operand) => match evaluate(operand, data) {
            Boolean(b) => Boolean(!b),
            other => other,
        },
        Expr::Binary(op, left, right) => binary(*op, left, right, data),
        Expr::Call(function, arguments) => call(*function, arguments, data),
    }
}

fn binary(op: BinaryOp, left: &Expr, right: &Expr, data: &dyn RuleData) -> Evaluated {
    let l = evaluate(left, data);
    if op.is_logical() {
        // A blank side has no say; `and` and `or` short-circuit on a decided left side.
        match (op, l) {
            (BinaryOp::And, Boolean(false)) => return Boolean(false),
            (BinaryOp::Or, Boolean(true)) => return Boolean(true),
            _ => {}
        }
        let r = evaluate(right, data);
        return match (l, r) {
            (Boolean(_), Boolean(b)) => Boolean(b),
            (Blank | Undefined, other) | (other, Blank | Undefined) => other,
            _ => Blank,
        };
    }
    let r = evaluate(right, data);
    if l == Undefined || r == Undefined {
        return Undefined;
    }
    if let (Boolean(a), Boolean(b)) = (l, r) {
        return match op {
            BinaryOp::Eq => Boolean(a == b),
            BinaryOp::Ne => Boolean(a != b),
            _ => Blank,
        };
    }
    if l == Blank && r == Blank {
        return Blank;
    }
    let (a, b) = (number_or_zero(l), number_or_zero(r));
    match op {
        BinaryOp::Add => Number(a + b),
        BinaryOp::Subtract => Number(a - b),
        BinaryOp::Multiply => Number(a * b),
        BinaryOp::Divide if b == 0.0 => Undefined,
        BinaryOp::Divide => Number(a / b),
        BinaryOp::Eq => Boolean(close(a, b)),
        BinaryOp::Ne => Boolean(!close(a, b)),
        BinaryOp::Lt => Boolean(a < b && !close(a, b)),
        BinaryOp::Le => Boolean(a < b || close(a, b)),
        BinaryOp::Gt => Boolean(a > b && !close(a, b)),
        BinaryOp::Ge => Boolean(a > b || close(a, b)),
        BinaryOp::And | BinaryOp::Or => Blank,
    }
}

fn call(function: Function, arguments: &[Expr], data: &dyn RuleData) -> Evaluated {
    let numbers = || {
        arguments.iter().filter_map(|a| match evaluate(a, data) {
            Number(n) => Some(n),
            _ => None,
        })
    };
    let fold = |f: fn(f64, f64) -> f64| numbers().reduce(f).map_or(Blank, Number);
    match function {
        Function::Sum => fold(|a, b| a + b),
        Function::Min => fold(f64::min),
        Function::Max => fold(f64::max),
        Function::Abs => match evaluate(&arguments[0], data) {
            Number(n) => Number(n.abs()),
            other => other,
        },
        Function::IsBlank => Boolean(matches!(evaluate(&arguments[0], data), Blank | Undefined)),
        Function::If => match evaluate(&arguments[0], data) {
            Boolean(true) => evaluate(&arguments[1], data),
            Boolean(false) => evaluate(&arguments[2], data),
            other => other,
        },
        // The shift and scope were folded into the references when the rule was compiled.
        Function::Prev | Function::SamePeriodLastYear | Function::ChildrenSum => {
            evaluate(&arguments[0], data)
        }
    }
}
