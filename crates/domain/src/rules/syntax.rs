//! From text to a syntax tree: the pest parser generated from `grammar.pest`, operator
//! precedence by pest's Pratt parser, and syntax errors with the character position an author
//! needs to find the mistake.

use pest::Parser as _;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::OnceLock;

use super::RuleError;

#[derive(pest_derive::Parser)]
#[grammar = "rules/grammar.pest"]
struct Grammar;

/// Where a node sits in the rule's text, in characters from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Subtract,
    Multiply,
    Divide,
}

impl BinaryOp {
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            Self::Eq | Self::Ne | Self::Lt | Self::Le | Self::Gt | Self::Ge
        )
    }
    pub fn is_logical(self) -> bool {
        matches!(self, Self::Or | Self::And)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Negate,
    Not,
}

/// A cell reference as written: `[CT01.male:year_to_date]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawReference {
    pub code: String,
    pub options: Vec<String>,
    pub column: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Syntax {
    Number(f64),
    Boolean(bool),
    Reference(RawReference),
    Unary(UnaryOp, Box<Node>),
    Binary(BinaryOp, Box<Node>, Box<Node>),
    Call(String, Vec<Node>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub syntax: Syntax,
    pub span: Span,
}

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::or, Assoc::Left))
            .op(Op::infix(Rule::and, Assoc::Left))
            .op(Op::infix(Rule::eq, Assoc::Left)
                | Op::infix(Rule::ne, Assoc::Left)
                | Op::infix(Rule::lt, Assoc::Left)
                | Op::infix(Rule::le, Assoc::Left)
                | Op::infix(Rule::gt, Assoc::Left)
                | Op::infix(Rule::ge, Assoc::Left))
            .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::subtract, Assoc::Left))
            .op(Op::infix(Rule::multiply, Assoc::Left) | Op::infix(Rule::divide, Assoc::Left))
            .op(Op::prefix(Rule::negate) | Op::prefix(Rule::not))
    })
}

/// Converts pest's byte offsets to the character positions authors count.
struct Positions<'a> {
    text: &'a str,
}

impl Positions<'_> {
    fn char_at(&self, byte: usize) -> usize {
        self.text
            .get(..byte)
            .map_or(byte, |prefix| prefix.chars().count())
    }
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let span = pair.as_span();
        Span {
            start: self.char_at(span.start()),
            end: self.char_at(span.end()),
        }
    }
}

/// What the parser expected, in the author's words.
fn describe(expected: &Rule) -> (&'static str, &'static str) {
    match expected {
        Rule::number => ("một số", "a number"),
        Rule::boolean => ("true/false", "true/false"),
        Rule::call | Rule::function => ("một hàm", "a function"),
        Rule::reference => ("một tham chiếu ô [MÃ]", "a cell reference [CODE]"),
        Rule::code => ("mã chỉ tiêu", "an indicator code"),
        Rule::option => ("mã phân tổ", "a disaggregation option"),
        Rule::column => ("mã cột", "a column code"),
        Rule::close => ("dấu ]", "]"),
        Rule::EOI => ("hết biểu thức", "the end of the expression"),
        Rule::expression => ("một biểu thức", "an expression"),
        Rule::negate | Rule::not => ("một toán hạng", "an operand"),
        _ => ("một toán tử", "an operator"),
    }
}

/// Parses a rule or formula into its syntax tree.
pub fn parse(text: &str) -> Result<Node, RuleError> {
    let positions = Positions { text };
    let mut pairs = Grammar::parse(Rule::rule, text).map_err(|error| {
        let byte = match error.location {
            pest::error::InputLocation::Pos(p) => p,
            pest::error::InputLocation::Span((start, _)) => start,
        };
        let position = positions.char_at(byte);
        let (mut vi, mut en): (Vec<&str>, Vec<&str>) = match &error.variant {
            pest::error::ErrorVariant::ParsingError { positives, .. } => {
                positives.iter().map(describe).unzip()
            }
            pest::error::ErrorVariant::CustomError { .. } => (Vec::new(), Vec::new()),
        };
        vi.dedup();
        en.dedup();
        let found = text
            .get(byte..)
            .and_then(|rest| rest.chars().next())
            .map_or_else(|| "end".to_string(), |c| format!("{c:?}"));
        let found_vi = if found == "end" {
            "hết biểu thức".to_string()
        } else {
            found.clone()
        };
        RuleError::Syntax {
            position,
            message: if vi.is_empty() {
                format!("Lỗi cú pháp ở vị trí {position}: gặp {found_vi}.")
            } else {
                format!(
                    "Lỗi cú pháp ở vị trí {position}: cần {}, gặp {found_vi}.",
                    vi.join(" hoặc ")
                )
            },
            message_en: if en.is_empty() {
                format!("Syntax error at position {position}: found {found}.")
            } else {
                format!(
                    "Syntax error at position {position}: expected {}, found {found}.",
                    en.join(" or ")
                )
            },
        }
    })?;
    let whole = pairs.next().ok_or_else(RuleError::empty)?;
    let expression = whole.into_inner().next().ok_or_else(RuleError::empty)?;
    Ok(expression_node(expression.into_inner(), &positions))
}

fn expression_node(pairs: Pairs<Rule>, positions: &Positions) -> Node {
    pratt()
        .map_primary(|primary| primary_node(primary, positions))
        .map_prefix(|op, operand| {
            let start = positions.span(&op).start;
            let span = Span {
                start,
                end: operand.span.end,
            };
            let op = if op.as_rule() == Rule::negate {
                UnaryOp::Negate
            } else {
                UnaryOp::Not
            };
            Node {
                syntax: Syntax::Unary(op, Box::new(operand)),
                span,
            }
        })
        .map_infix(|left, op, right| {
            let op = match op.as_rule() {
                Rule::or => BinaryOp::Or,
                Rule::and => BinaryOp::And,
                Rule::eq => BinaryOp::Eq,
                Rule::ne => BinaryOp::Ne,
                Rule::lt => BinaryOp::Lt,
                Rule::le => BinaryOp::Le,
                Rule::gt => BinaryOp::Gt,
                Rule::ge => BinaryOp::Ge,
                Rule::add => BinaryOp::Add,
                Rule::subtract => BinaryOp::Subtract,
                Rule::multiply => BinaryOp::Multiply,
                _ => BinaryOp::Divide,
            };
            let span = Span {
                start: left.span.start,
                end: right.span.end,
            };
            Node {
                syntax: Syntax::Binary(op, Box::new(left), Box::new(right)),
                span,
            }
        })
        .parse(pairs)
}

fn primary_node(pair: Pair<Rule>, positions: &Positions) -> Node {
    let span = positions.span(&pair);
    let syntax = match pair.as_rule() {
        // The grammar admits only digits with an optional fraction: always a valid f64.
        Rule::number => Syntax::Number(pair.as_str().parse().unwrap_or(0.0)),
        Rule::boolean => Syntax::Boolean(pair.as_str().eq_ignore_ascii_case("true")),
        Rule::reference => {
            let mut reference = RawReference {
                code: String::new(),
                options: Vec::new(),
                column: None,
            };
            for part in pair.into_inner() {
                match part.as_rule() {
                    Rule::code => reference.code = part.as_str().to_string(),
                    Rule::option => reference.options.push(part.as_str().to_string()),
                    Rule::column => reference.column = Some(part.as_str().to_string()),
                    _ => {}
                }
            }
            Syntax::Reference(reference)
        }
        Rule::call => {
            let mut parts = pair.into_inner();
            let name = parts
                .next()
                .map(|p| p.as_str().to_ascii_lowercase())
                .unwrap_or_default();
            let arguments = parts
                .map(|argument| expression_node(argument.into_inner(), positions))
                .collect();
            Syntax::Call(name, arguments)
        }
        // A parenthesised expression.
        _ => return expression_node(pair.into_inner(), positions),
    };
    Node { syntax, span }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position(text: &str) -> usize {
        match parse(text) {
            Err(RuleError::Syntax { position, .. }) => position,
            other => panic!("{text:?} should not parse: {other:?}"),
        }
    }

    #[test]
    fn precedence_and_associativity() {
        let node = parse("1 + 2 * 3 - 4 <= 5 and not true or false").unwrap();
        let Syntax::Binary(BinaryOp::Or, left, _) = node.syntax else {
            panic!("or binds loosest: {node:?}")
        };
        let Syntax::Binary(BinaryOp::And, comparison, negation) = left.syntax else {
            panic!("and binds looser than comparison")
        };
        assert!(matches!(negation.syntax, Syntax::Unary(UnaryOp::Not, _)));
        let Syntax::Binary(BinaryOp::Le, sum, _) = comparison.syntax else {
            panic!("comparison binds looser than arithmetic")
        };
        let Syntax::Binary(BinaryOp::Subtract, plus, _) = sum.syntax else {
            panic!("left associative")
        };
        assert!(matches!(
            plus.syntax,
            Syntax::Binary(BinaryOp::Add, _, ref times) if matches!(times.syntax, Syntax::Binary(BinaryOp::Multiply, _, _))
        ));
    }

    #[test]
    fn references_with_options_and_columns() {
        let node = parse("[CT01.male.urban:year_to_date]").unwrap();
        assert_eq!(
            node.syntax,
            Syntax::Reference(RawReference {
                code: "CT01".into(),
                options: vec!["male".into(), "urban".into()],
                column: Some("year_to_date".into()),
            })
        );
        assert_eq!(node.span, Span { start: 0, end: 30 });
    }

    #[test]
    fn calls_and_spans_count_characters() {
        let node = parse("  sum([A], [B]) >= prev([A], 12)").unwrap();
        let Syntax::Binary(BinaryOp::Ge, left, right) = node.syntax else {
            panic!()
        };
        assert_eq!(left.span, Span { start: 2, end: 15 });
        assert!(
            matches!(&right.syntax, Syntax::Call(name, args) if name == "prev" && args.len() == 2)
        );
        // Vietnamese text before an error moves the position by characters, not bytes.
        assert_eq!(position("[A] + \u{a0}đ"), 7);
    }

    #[test]
    fn syntax_errors_point_at_the_mistake() {
        assert_eq!(position("[HC02] >= ) 3"), 10);
        assert_eq!(position("1 +* 2"), 3);
        assert_eq!(position("[HC02] + "), 9);
        assert_eq!(position("sum([HC02]"), 10);
        assert_eq!(position("[HC02] <= [HC0"), 14);
        assert_eq!(position(""), 0);
        assert_eq!(position("[A] [B]"), 4);
        assert_eq!(position("[A] =< [B]"), 5);
    }

    #[test]
    fn keywords_need_a_word_boundary() {
        assert!(parse("[A] > 1 and [B] < 2").is_ok());
        assert!(parse("[A] > 1 AND [B] < 2").is_ok());
        assert_eq!(position("[A] > 1 andx [B] < 2"), 8);
        assert!(parse("[A] != 1 && ![B] > 2 || true").is_ok());
    }
}
