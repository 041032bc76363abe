//! Tables written out as files: rows of text and numbers as CSV or as an xlsx sheet (a pivot
//! as shown, a long export, the raw data values). Streamed exports write a batch of rows at a
//! time; the xlsx writer keeps one row in memory (rust_xlsxwriter's constant-memory mode).

use baocao_domain::report::canonical_number;

/// The rows an xlsx sheet holds below its header.
pub const XLSX_MAX_ROWS: usize = 1_048_575;

/// One field of an exported row.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Text(String),
    Number(Option<f64>),
}

/// Why a table could not be written.
#[derive(Debug, thiserror::Error)]
#[error("the table could not be written: {0}")]
pub struct WriteError(String);

impl From<rust_xlsxwriter::XlsxError> for WriteError {
    fn from(error: rust_xlsxwriter::XlsxError) -> Self {
        Self(error.to_string())
    }
}

/// Rows of text as CSV lines (a header is just the first row).
pub fn csv_records<R, S>(rows: impl IntoIterator<Item = R>) -> Vec<u8>
where
    R: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        // Writing into memory fails only on a record of another width, which csv allows
        // here (`flexible` is off but every caller writes one width per file).
        let _ = writer.write_record(row);
    }
    writer.into_inner().unwrap_or_default()
}

fn field_text(field: &Field) -> String {
    match field {
        Field::Text(text) => text.clone(),
        Field::Number(value) => value.map(canonical_number).unwrap_or_default(),
    }
}

/// Rows of fields as CSV lines, numbers in their canonical form.
pub fn csv_bytes(lines: &[Vec<Field>]) -> Vec<u8> {
    csv_records(lines.iter().map(|line| line.iter().map(field_text)))
}

/// A small table as one xlsx sheet: text bold (headers and labels), numbers grouped.
pub fn xlsx_bytes(lines: &[Vec<Field>]) -> Result<Vec<u8>, WriteError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let numeric = rust_xlsxwriter::Format::new().set_num_format("#,##0.##");
    for (r, line) in lines.iter().enumerate() {
        for (c, field) in line.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match field {
                Field::Text(text) => {
                    sheet.write_string_with_format(r, c, text, &bold)?;
                }
                Field::Number(Some(v)) => {
                    sheet.write_number_with_format(r, c, *v, &numeric)?;
                }
                Field::Number(None) => {}
            }
        }
    }
    sheet.set_column_width(0, 40)?;
    Ok(book.save_to_buffer()?)
}

/// A long table as one xlsx sheet, written batch by batch as `batches` yields them (a channel
/// fed by the computation): constant-memory mode keeps only the current row, the rest goes to
/// a temporary file until the workbook is zipped. At most [`XLSX_MAX_ROWS`] rows fit; the
/// caller checks before it starts.
pub fn xlsx_streamed(
    batches: impl IntoIterator<Item = Vec<Vec<Field>>>,
) -> Result<Vec<u8>, WriteError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory();
    let mut next_row: u32 = 0;
    for rows in batches {
        for row in &rows {
            for (column, field) in row.iter().enumerate() {
                let column = column as u16;
                match field {
                    Field::Text(text) => {
                        sheet.write_string(next_row, column, text)?;
                    }
                    Field::Number(Some(v)) => {
                        sheet.write_number(next_row, column, *v)?;
                    }
                    Field::Number(None) => {}
                }
            }
            next_row += 1;
        }
    }
    Ok(book.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it_and_writes_numbers_canonically() {
        let lines = vec![
            vec![
                Field::Text("Tỉnh, thành".into()),
                Field::Text("giá trị".into()),
            ],
            vec![Field::Text("Hà Nội".into()), Field::Number(Some(1250.5))],
            vec![Field::Text("Huế".into()), Field::Number(None)],
        ];
        let text = String::from_utf8(csv_bytes(&lines)).unwrap();
        assert_eq!(text, "\"Tỉnh, thành\",giá trị\nHà Nội,1250.5\nHuế,\n");
    }

    #[test]
    fn streamed_xlsx_reads_back_every_row() {
        let batch = |from: i32| -> Vec<Vec<Field>> {
            (from..from + 3)
                .map(|n| vec![Field::Text(format!("r{n}")), Field::Number(Some(n.into()))])
                .collect()
        };
        let bytes = xlsx_streamed([batch(0), batch(3)]).unwrap();
        let sheets = crate::xlsx::read(&bytes, &crate::Limits::default()).unwrap();
        assert_eq!(sheets[0].rows().count(), 6);
        assert_eq!(sheets[0].get(5, 1), Some(&crate::xlsx::Data::Float(5.0)));
    }
}
