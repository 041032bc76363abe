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

/// A workbook like the template with `typed` (indicator → text) in the this-period column,
/// as a person would fill it in another program.
pub fn filled(name: &str, template: &[(u32, u32, String)], typed: &[(&str, &str)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(name).expect("a valid sheet name");
    let value_column = template
        .iter()
        .find(|(r, _, t)| *r == 4 && t == "this_period")
        .map(|(_, c, _)| *c)
        .expect("the key row names the column");
    for (row, col, text) in template {
        sheet
            .write_string(*row, *col as u16, text)
            .expect("a cell in range");
    }
    for (indicator, value) in typed {
        let row = template
            .iter()
            .find(|(_, c, t)| *c == 0 && t == &format!("{indicator}|"))
            .map(|(r, _, _)| *r)
            .expect("a row for the indicator");
        match value.parse::<f64>() {
            Ok(number) => sheet
                .write_number(row, value_column as u16, number)
                .expect("a cell in range"),
            Err(_) => sheet
                .write_string(row, value_column as u16, *value)
                .expect("a cell in range"),
        };
    }
    book.save_to_buffer().expect("the workbook written")
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
