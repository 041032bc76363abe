//! Workbooks as a person fills them in another program: the cells of a downloaded template,
//! and a filled copy written back, for tests of the workbook round trip.

use calamine::{Data, Reader};

use crate::app::TestApp;

/// The workbook of the slot at `slot` (`/api/v1/reports/{regime}/{agency}/{period}`), as the API
/// hands it to `token`'s holder: an xlsx file.
pub async fn download(app: &TestApp, token: &str, slot: &str) -> Vec<u8> {
    let request = axum::http::Request::builder()
        .uri(format!("{slot}/workbook"))
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .expect("a request");
    let response = tower::ServiceExt::oneshot(baocao_web::router(app.state.clone()), request)
        .await
        .expect("an answer");
    assert_eq!(response.status(), axum::http::StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("the workbook")
        .to_vec()
}

/// The template's first sheet as (row, column, text) cells.
pub fn cells(workbook: &[u8]) -> (String, Vec<(u32, u32, String)>) {
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(workbook.to_vec()))
            .expect("an xlsx workbook");
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).expect("a readable first sheet");
    let mut out = Vec::new();
    for (row, col, value) in range.used_cells() {
        let (start_row, start_col) = range.start().expect("a sheet with cells");
        let text = match value {
            Data::Float(f) => format!("{f}"),
            other => other.to_string(),
        };
        out.push((start_row + row as u32, start_col + col as u32, text));
    }
    (name, out)
}

/// A workbook like the template with `typed` (indicator → text) in the this-period column (or
/// the column a key `KT04:year_to_date` names), as a person would fill it in another program;
/// a text starting with `=` is a formula written without its result, as openpyxl writes one.
pub fn filled(name: &str, template: &[(u32, u32, String)], typed: &[(&str, &str)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(name).expect("a valid sheet name");
    let column_of = |key: &str| {
        template
            .iter()
            .find(|(r, _, t)| *r == 4 && t == key)
            .map(|(_, c, _)| *c)
            .expect("the key row names the column")
    };
    let place = |typed_key: &str| {
        let (indicator, column) = typed_key
            .split_once(':')
            .unwrap_or((typed_key, "this_period"));
        let row = template
            .iter()
            .find(|(_, c, t)| *c == 0 && t == &format!("{indicator}|"))
            .map(|(r, _, _)| *r)
            .expect("a row for the indicator");
        (row, column_of(column))
    };
    let typed_cells: Vec<(u32, u32)> = typed.iter().map(|(key, _)| place(key)).collect();
    for (row, col, text) in template {
        if !typed_cells.contains(&(*row, *col)) {
            sheet
                .write_string(*row, *col as u16, text)
                .expect("a cell in range");
        }
    }
    for ((row, value_column), (_, value)) in typed_cells.into_iter().zip(typed) {
        if value.is_empty() {
            continue;
        }
        if value.starts_with('=') {
            sheet
                .write_formula(
                    row,
                    value_column as u16,
                    rust_xlsxwriter::Formula::new(*value).set_result(""),
                )
                .expect("a cell in range");
            continue;
        }
        match value.parse::<f64>() {
            Ok(number) => sheet
                .write_number(row, value_column as u16, number)
                .expect("a cell in range"),
            Err(_) => sheet
                .write_string(row, value_column as u16, *value)
                .expect("a cell in range"),
        };
    }
    let written = book.save_to_buffer().expect("the workbook written");
    // rust_xlsxwriter stores 0 as every formula's result; openpyxl stores none.
    rezip(&written, |name, content| {
        if name.starts_with("xl/worksheets/") {
            String::from_utf8(content)
                .expect("a sheet is text")
                .replace("</f><v>0</v>", "</f>")
                .into_bytes()
        } else {
            content
        }
    })
}

/// `original` (an xlsx) rewritten file by file through `edit` (name, content → content), as an
/// attacker would hand-craft one: for tests of what the server refuses.
pub fn rezip(original: &[u8], edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(original)).expect("an xlsx is a zip");
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).expect("an entry");
        let name = entry.name().to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).expect("an entry's bytes");
        writer
            .start_file(name.clone(), options)
            .expect("a new entry");
        writer
            .write_all(&edit(&name, content))
            .expect("the entry written");
    }
    writer.finish().expect("a zip").into_inner()
}

/// An edit for [`rezip`]: `extra` added at the end of the first sheet's data.
pub fn append_to_first_sheet(extra: &str) -> impl Fn(&str, Vec<u8>) -> Vec<u8> + '_ {
    move |name, content| {
        if name == "xl/worksheets/sheet1.xml" {
            String::from_utf8(content)
                .expect("XML text")
                .replace("</sheetData>", &format!("{extra}</sheetData>"))
                .into_bytes()
        } else {
            content
        }
    }
}
