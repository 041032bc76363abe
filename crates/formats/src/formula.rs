//! The spreadsheet formulas a filled workbook may hold without their computed result (what
//! openpyxl and many scripts write: the formula, no cached value), evaluated as a spreadsheet
//! would: numbers, references to cells of the same sheet (`B7`, `$B$7`), `+ - * /`, brackets,
//! and `SUM`, `MIN`, `MAX`, `AVERAGE`, `ROUND`, `ABS` over numbers, cells and ranges (`B5:B9`).
//! An empty cell counts as 0. Anything else — another sheet, text, a function not listed — is
//! an [`FormulaError`] naming it, so the cell is refused rather than read as blank.

/// Why a formula was not evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct FormulaError(pub String);

fn error(message: impl Into<String>) -> FormulaError {
    FormulaError(message.into())
}

/// What a formula reads of its sheet: a cell's number (`Ok(None)` for an empty cell), or why
/// the cell gives none (text, a formula that cannot be evaluated).
pub trait Cells {
    fn number(&self, row: u32, column: u32) -> Result<Option<f64>, FormulaError>;
}

/// The value of `formula` (with or without its leading `=`).
pub fn evaluate(formula: &str, cells: &dyn Cells) -> Result<f64, FormulaError> {
    let text = formula.trim().trim_start_matches('=');
    let mut parser = Parser {
        chars: text.chars().filter(|c| !c.is_whitespace()).collect(),
        at: 0,
        cells,
    };
    let value = parser.expression()?;
    if parser.at < parser.chars.len() {
        let rest: String = parser.chars[parser.at..].iter().collect();
        return Err(error(format!("cannot read {rest:?}")));
    }
    if value.is_finite() {
        Ok(value)
    } else {
        Err(error(
            "the result is not a finite number (a division by zero?)",
        ))
    }
}

/// A cell reference `$B$7` as (row, column) from 0.
pub fn parse_reference(text: &str) -> Option<(u32, u32)> {
    let text = text.replace('$', "");
    let split = text.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = text.split_at(split);
    if letters.is_empty() || letters.len() > 3 || !letters.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return None;
    }
    let column = letters.bytes().fold(0u32, |n, b| {
        n * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1
    });
    let row: u32 = digits.parse().ok().filter(|r| *r >= 1)?;
    Some((row - 1, column - 1))
}

struct Parser<'a> {
    chars: Vec<char>,
    at: usize,
    cells: &'a dyn Cells,
}

/// An argument of a function: one number, or a range's numbers.
enum Argument {
    One(f64),
    Many(Vec<f64>),
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn expression(&mut self) -> Result<f64, FormulaError> {
        let mut value = self.term()?;
        while let Some(op @ ('+' | '-')) = self.peek() {
            self.at += 1;
            let right = self.term()?;
            value = if op == '+' {
                value + right
            } else {
                value - right
            };
        }
        Ok(value)
    }

    fn term(&mut self) -> Result<f64, FormulaError> {
        let mut value = self.factor()?;
        while let Some(op @ ('*' | '/')) = self.peek() {
            self.at += 1;
            let right = self.factor()?;
            value = if op == '*' {
                value * right
            } else {
                value / right
            };
        }
        Ok(value)
    }

    fn factor(&mut self) -> Result<f64, FormulaError> {
        match self.peek() {
            Some('-') => {
                self.at += 1;
                Ok(-self.factor()?)
            }
            Some('+') => {
                self.at += 1;
                self.factor()
            }
            Some('(') => {
                self.at += 1;
                let value = self.expression()?;
                self.expect(')')?;
                Ok(value)
            }
            Some(c) if c.is_ascii_digit() || c == '.' => self.number(),
            Some(c) if c.is_ascii_alphabetic() || c == '$' => {
                let word = self.word();
                if self.peek() == Some('(') {
                    self.at += 1;
                    return self.function(&word);
                }
                if self.peek() == Some('!') {
                    return Err(error("it refers to another sheet"));
                }
                let (row, column) = parse_reference(&word)
                    .ok_or_else(|| error(format!("{word:?} is not a cell")))?;
                Ok(self.cells.number(row, column)?.unwrap_or(0.0))
            }
            Some('\'') => Err(error("it refers to another sheet")),
            Some('"') => Err(error("it holds text")),
            Some(other) => Err(error(format!("cannot read {other:?}"))),
            None => Err(error("it ends too early")),
        }
    }

    fn expect(&mut self, wanted: char) -> Result<(), FormulaError> {
        if self.peek() == Some(wanted) {
            self.at += 1;
            Ok(())
        } else {
            Err(error(format!("{wanted:?} expected")))
        }
    }

    fn number(&mut self) -> Result<f64, FormulaError> {
        let start = self.at;
        while let Some(c) = self.peek() {
            let exponent_sign = matches!(c, '+' | '-')
                && matches!(self.chars.get(self.at.wrapping_sub(1)), Some('e' | 'E'));
            if c.is_ascii_digit() || c == '.' || c == 'e' || c == 'E' || exponent_sign {
                self.at += 1;
            } else {
                break;
            }
        }
        let text: String = self.chars[start..self.at].iter().collect();
        text.parse()
            .map_err(|_| error(format!("{text:?} is not a number")))
    }

    fn word(&mut self) -> String {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '$' || c == '.' || c == '_')
        {
            self.at += 1;
        }
        self.chars[start..self.at].iter().collect()
    }

    fn argument(&mut self) -> Result<Argument, FormulaError> {
        let start = self.at;
        if self
            .peek()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
        {
            let first = self.word();
            if self.peek() == Some(':') {
                self.at += 1;
                let last = self.word();
                let (Some(from), Some(to)) = (parse_reference(&first), parse_reference(&last))
                else {
                    return Err(error(format!("{first}:{last} is not a range")));
                };
                let mut numbers = Vec::new();
                for row in from.0.min(to.0)..=from.0.max(to.0) {
                    for column in from.1.min(to.1)..=from.1.max(to.1) {
                        if let Some(number) = self.cells.number(row, column)? {
                            numbers.push(number);
                        }
                    }
                }
                return Ok(Argument::Many(numbers));
            }
            self.at = start;
        }
        Ok(Argument::One(self.expression()?))
    }

    fn function(&mut self, name: &str) -> Result<f64, FormulaError> {
        let mut numbers = Vec::new();
        let mut arguments = 0;
        if self.peek() != Some(')') {
            loop {
                arguments += 1;
                match self.argument()? {
                    Argument::One(n) => numbers.push(n),
                    Argument::Many(list) => numbers.extend(list),
                }
                match self.peek() {
                    Some(',') | Some(';') => self.at += 1,
                    _ => break,
                }
            }
        }
        self.expect(')')?;
        match name.to_ascii_uppercase().as_str() {
            "SUM" => Ok(numbers.iter().sum()),
            // A spreadsheet's MIN and MAX of no numbers are 0.
            "MIN" => Ok(numbers.iter().copied().reduce(f64::min).unwrap_or(0.0)),
            "MAX" => Ok(numbers.iter().copied().reduce(f64::max).unwrap_or(0.0)),
            "AVERAGE" if !numbers.is_empty() => {
                Ok(numbers.iter().sum::<f64>() / numbers.len() as f64)
            }
            "AVERAGE" => Err(error("AVERAGE of no numbers")),
            "ABS" if arguments == 1 => Ok(numbers[0].abs()),
            "ROUND" if arguments == 2 && numbers.len() == 2 => {
                let scale = 10f64.powi(numbers[1] as i32);
                Ok((numbers[0] * scale).round() / scale)
            }
            other => Err(error(format!("the function {other} is not evaluated here"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct Grid(HashMap<(u32, u32), f64>);

    impl Cells for Grid {
        fn number(&self, row: u32, column: u32) -> Result<Option<f64>, FormulaError> {
            Ok(self.0.get(&(row, column)).copied())
        }
    }

    fn grid() -> Grid {
        // B2 = 10, B3 = 20.5, B4 = -3 (rows and columns from 0).
        Grid(HashMap::from([
            ((1, 1), 10.0),
            ((2, 1), 20.5),
            ((3, 1), -3.0),
        ]))
    }

    #[test]
    fn arithmetic_references_and_functions() {
        let at = |f: &str| evaluate(f, &grid());
        assert_eq!(at("=B2+B3"), Ok(30.5));
        assert_eq!(at("=$B$2*2-B4/3"), Ok(21.0));
        assert_eq!(at("=SUM(B2:B4)"), Ok(27.5));
        assert_eq!(at("=sum(B2:B4, 2.5)"), Ok(30.0));
        assert_eq!(at("=AVERAGE(B2:B3)"), Ok(15.25));
        assert_eq!(at("=MAX(B2:B4)-MIN(B2:B4)"), Ok(23.5));
        assert_eq!(at("=ROUND(B3/3,2)"), Ok(6.83));
        assert_eq!(at("=-(B2+1)*(2)"), Ok(-22.0));
        assert_eq!(at("=B9+1"), Ok(1.0), "an empty cell counts as 0");
        assert_eq!(at("=1.5e3"), Ok(1500.0));
    }

    #[test]
    fn what_cannot_be_evaluated_says_why() {
        let at = |f: &str| evaluate(f, &grid()).unwrap_err().0;
        assert!(at("='Biểu 2'!B2").contains("another sheet"));
        assert!(at("=Sheet2!B2").contains("another sheet"));
        assert!(at("=VLOOKUP(B2,B2:B4,1)").contains("VLOOKUP"));
        assert!(at("=\"x\"").contains("text"));
        assert!(at("=B2/0").contains("finite"));
        assert!(at("=(B2").contains("expected"));
    }

    #[test]
    fn references_read_as_rows_and_columns() {
        assert_eq!(parse_reference("A1"), Some((0, 0)));
        assert_eq!(parse_reference("$F$6"), Some((5, 5)));
        assert_eq!(parse_reference("AA10"), Some((9, 26)));
        assert_eq!(parse_reference("A0"), None);
        assert_eq!(parse_reference("ABCD1"), None);
    }
}
