//! Catalogue tables as uploaded (indicators, regimes): CSV, or an xlsx workbook's first sheet,
//! read into records with their line numbers so that every line's problem can be reported at
//! once.

use std::collections::HashSet;

use crate::Limits;
use crate::xlsx::WorkbookError;

/// What is wrong with one line of a table (the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineProblem {
    /// The header has no `code` column: the table is not a catalogue.
    NoCodeColumn,
    /// The code was already on an earlier line.
    DuplicateCode(String),
    /// The line does not fit the record (a missing column, a wrong type).
    Unreadable(String),
}

/// A problem and its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    /// The line's code, when it was read.
    pub code: String,
    pub problem: LineProblem,
}

/// The table's rows as records with their line numbers and codes; unreadable lines and codes
/// given twice are the second list.
pub fn read_records<T: serde::de::DeserializeOwned>(
    table: &[u8],
    code_of: impl Fn(&T) -> String,
) -> (Vec<(usize, String, T)>, Vec<LineError>) {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_reader(table);
    let mut seen = HashSet::new();
    let mut records = Vec::new();
    let mut errors = Vec::new();
    // A table without a code column is not one of ours, even with no rows to complain about.
    let headers = reader.headers().cloned().unwrap_or_default();
    if !headers.iter().any(|h| h == "code") {
        errors.push(LineError {
            line: 1,
            code: String::new(),
            problem: LineProblem::NoCodeColumn,
        });
        return (records, errors);
    }
    for (index, row) in reader.deserialize::<T>().enumerate() {
        let line = index + 2;
        match row {
            Ok(record) => {
                let code = code_of(&record).trim().to_string();
                if seen.insert(code.clone()) {
                    records.push((line, code, record));
                } else {
                    errors.push(LineError {
                        line,
                        code: code.clone(),
                        problem: LineProblem::DuplicateCode(code),
                    });
                }
            }
            Err(error) => errors.push(LineError {
                line,
                code: String::new(),
                problem: LineProblem::Unreadable(error.to_string()),
            }),
        }
    }
    (records, errors)
}

/// A workbook's first sheet (its first row the header) as CSV, so that both kinds of upload
/// go through [`read_records`]. Rows with nothing in them are left out; a catalogue has a
/// dozen columns, and what lies past the 64th is not read.
pub fn first_sheet_as_csv(workbook: &[u8], limits: &Limits) -> Result<Vec<u8>, WorkbookError> {
    let sheets = crate::xlsx::read(workbook, limits)?;
    let sheet = sheets
        .first()
        .ok_or_else(|| WorkbookError::Unreadable("no sheet".into()))?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in sheet.table(sheet.width().min(64)) {
        let cells: Vec<String> = row.iter().map(ToString::to_string).collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        writer
            .write_record(&cells)
            .map_err(|e| WorkbookError::Unreadable(e.to_string()))?;
    }
    writer
        .into_inner()
        .map_err(|e| WorkbookError::Unreadable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Row {
        code: String,
        name: String,
    }

    #[test]
    fn every_line_problem_is_reported_with_its_line() {
        let table = b"code,name\nA1,one\nA1,again\nB2\nC3,three\n";
        let (records, errors) = read_records::<Row>(table, |r| r.code.clone());
        let read: Vec<_> = records
            .iter()
            .map(|(l, c, r)| (*l, c.as_str(), r.name.as_str()))
            .collect();
        assert_eq!(read, vec![(2, "A1", "one"), (5, "C3", "three")]);
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].line, 3);
        assert_eq!(errors[0].problem, LineProblem::DuplicateCode("A1".into()));
        assert_eq!(errors[1].line, 4);
        assert!(matches!(errors[1].problem, LineProblem::Unreadable(_)));
    }

    #[test]
    fn a_table_without_a_code_column_is_refused_whole() {
        let (records, errors) = read_records::<Row>(b"name\nx\n", |r| r.code.clone());
        assert!(records.is_empty());
        assert_eq!(errors[0].problem, LineProblem::NoCodeColumn);
    }
}
