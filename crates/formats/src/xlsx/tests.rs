use std::io::Write;

use super::*;

/// A real workbook: one sheet with a few cells.
fn workbook() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Biểu 01").unwrap();
    sheet.write_string(0, 0, "KT04|").unwrap();
    sheet.write_number(0, 1, 107.5).unwrap();
    sheet.write_string(2, 3, "Hà Nội").unwrap();
    book.save_to_buffer().unwrap()
}

/// `original` rewritten: each file through `edit`, then `extra` files added.
fn rezip(
    original: &[u8],
    edit: impl Fn(&str, Vec<u8>) -> Vec<u8>,
    extra: &[(&str, Vec<u8>)],
) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(original)).unwrap();
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).unwrap();
        let name = entry.name().to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        writer.start_file(name.clone(), options).unwrap();
        writer.write_all(&edit(&name, content)).unwrap();
    }
    for (name, content) in extra {
        writer.start_file(name.to_string(), options).unwrap();
        writer.write_all(content).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// The first sheet's XML with `cells` inserted at the end of its sheetData.
fn with_sheet_data(extra: &str) -> impl Fn(&str, Vec<u8>) -> Vec<u8> + '_ {
    move |name, content| {
        if name == "xl/worksheets/sheet1.xml" {
            String::from_utf8(content)
                .unwrap()
                .replace("</sheetData>", &format!("{extra}</sheetData>"))
                .into_bytes()
        } else {
            content
        }
    }
}

fn refused_by(result: Result<Vec<Sheet>, WorkbookError>) -> &'static str {
    match result {
        Err(WorkbookError::Limit(limit)) => limit.setting,
        other => panic!("expected a limit, got {other:?}"),
    }
}

#[test]
fn a_real_workbook_reads_its_cells_by_position() {
    let sheets = read(&workbook(), &Limits::default()).unwrap();
    assert_eq!(sheets.len(), 1);
    assert_eq!(sheets[0].name, "Biểu 01");
    assert_eq!(sheets[0].get(0, 1), Some(&Data::Float(107.5)));
    assert_eq!(sheets[0].get(2, 3), Some(&Data::String("Hà Nội".into())));
    assert_eq!(sheets[0].rows().collect::<Vec<_>>(), vec![0, 2]);
    assert_eq!(sheets[0].table(2)[1], vec![Data::Empty, Data::Empty]);
}

#[test]
fn one_cell_at_the_last_address_is_read_without_laying_out_the_sheet() {
    let bomb = rezip(
        &workbook(),
        with_sheet_data(r#"<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#),
        &[],
    );
    let sheets = read(&bomb, &Limits::default()).unwrap();
    assert_eq!(sheets[0].get(1_048_575, 16_383), Some(&Data::Float(1.0)));
    assert_eq!(sheets[0].cell_count(), 4);
}

#[test]
fn a_zip_bomb_is_refused_by_its_compression_ratio() {
    let spaces = "<x/>".repeat(5 << 20);
    let bomb = rezip(&workbook(), with_sheet_data(&spaces), &[]);
    assert!(bomb.len() < 200_000, "{}", bomb.len());
    assert_eq!(
        refused_by(read(&bomb, &Limits::default())),
        "max_compression_ratio"
    );
}

#[test]
fn a_workbook_inflating_past_the_total_is_refused() {
    let limits = Limits {
        max_workbook_inflated_bytes: 64 * 1024,
        ..Limits::default()
    };
    let big: Vec<u8> = (0..200_000u32).flat_map(|n| n.to_le_bytes()).collect();
    let padded = rezip(
        &workbook(),
        |_, content| content,
        &[("xl/media/a.bin", big)],
    );
    assert_eq!(
        refused_by(read(&padded, &limits)),
        "max_workbook_inflated_bytes"
    );
}

#[test]
fn too_many_cells_are_refused_before_they_are_held() {
    let limits = Limits {
        max_workbook_cells: 1_000,
        ..Limits::default()
    };
    let rows: String = (10..2_010)
        .map(|row| format!(r#"<row r="{row}"><c r="A{row}"><v>{row}</v></c></row>"#))
        .collect();
    let many = rezip(&workbook(), with_sheet_data(&rows), &[]);
    assert_eq!(refused_by(read(&many, &limits)), "max_workbook_cells");
    assert!(read(&many, &Limits::default()).is_ok());
}

#[test]
fn an_element_with_thousands_of_attributes_is_refused_without_checking_them_pairwise() {
    let attributes: String = (0..40_000).map(|n| format!(" a{n}=\"1\"")).collect();
    let crowded = rezip(
        &workbook(),
        with_sheet_data(&format!(
            r#"<row r="9"><c r="A9"{attributes}><v>1</v></c></row>"#
        )),
        &[],
    );
    let started = std::time::Instant::now();
    let setting = refused_by(read(&crowded, &Limits::default()));
    assert!(["max_xml_attributes", "max_token_bytes"].contains(&setting));
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    let few: String = (0..100).map(|n| format!(" a{n}=\"1\"")).collect();
    let crowded = rezip(
        &workbook(),
        with_sheet_data(&format!(r#"<row r="9"><c r="A9"{few}><v>1</v></c></row>"#)),
        &[],
    );
    assert_eq!(
        refused_by(read(&crowded, &Limits::default())),
        "max_xml_attributes"
    );
}

#[test]
fn deep_nesting_and_long_tokens_are_refused() {
    let deep = format!("{}{}", "<x>".repeat(100), "</x>".repeat(100));
    let nested = rezip(&workbook(), |_, c| c, &[("xl/deep.xml", deep.into_bytes())]);
    assert_eq!(
        refused_by(read(&nested, &Limits::default())),
        "max_xml_depth"
    );
    let long = format!("<x>{}</x>", "y".repeat(100_000));
    let long = rezip(&workbook(), |_, c| c, &[("xl/long.xml", long.into_bytes())]);
    assert_eq!(
        refused_by(read(&long, &Limits::default())),
        "max_token_bytes"
    );
}

#[test]
fn too_many_files_and_doctypes_are_refused() {
    let limits = Limits {
        max_workbook_entries: 20,
        ..Limits::default()
    };
    let files: Vec<(String, Vec<u8>)> = (0..30).map(|n| (format!("x/{n}"), vec![1])).collect();
    let extra: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, c)| (n.as_str(), c.clone())).collect();
    let crowded = rezip(&workbook(), |_, c| c, &extra);
    assert_eq!(refused_by(read(&crowded, &limits)), "max_workbook_entries");
    let doctype = rezip(
        &workbook(),
        |name, content| {
            if name == "xl/workbook.xml" {
                let text = String::from_utf8(content).unwrap();
                text.replacen("?>", "?><!DOCTYPE x [<!ENTITY a \"b\">]>", 1)
                    .into_bytes()
            } else {
                content
            }
        },
        &[],
    );
    assert!(matches!(
        read(&doctype, &Limits::default()),
        Err(WorkbookError::Unreadable(message)) if message.contains("DOCTYPE")
    ));
}

#[test]
fn a_cell_naming_a_shared_string_that_is_not_there_is_unreadable_not_a_panic() {
    let crafted = rezip(
        &workbook(),
        with_sheet_data(r#"<row r="9"><c r="A9" t="s"><v>999999</v></c></row>"#),
        &[],
    );
    assert!(matches!(
        read(&crafted, &Limits::default()),
        Err(WorkbookError::Unreadable(message)) if message.contains("damaged")
    ));
}

#[test]
fn what_is_not_a_workbook_is_unreadable_not_a_panic() {
    for bytes in [
        &b""[..],
        b"PK\x03\x04",
        b"not a zip at all",
        &workbook()[..100],
    ] {
        assert!(matches!(
            read(bytes, &Limits::default()),
            Err(WorkbookError::Unreadable(_))
        ));
    }
}

mod fuzz {
    use proptest::prelude::*;

    use super::*;

    /// 200 cases in the test suite; `tools/fuzz` sets `PROPTEST_CASES` for a longer run.
    fn cases() -> u32 {
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(200)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases()))]

        /// Any bytes: an answer (sheets or an error), never a panic or a hang.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let _ = read(&bytes, &Limits::default());
        }

        /// A real workbook with bytes flipped: still an answer.
        #[test]
        fn a_damaged_workbook_never_panics(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..20)) {
            let mut bytes = workbook();
            for (at, byte) in flips {
                let at = at.index(bytes.len());
                bytes[at] = byte;
            }
            let _ = read(&bytes, &Limits::default());
        }

        /// Any text inside a sheet: an answer within the limits.
        #[test]
        fn arbitrary_sheet_xml_never_panics(extra in "[<>a-z0-9=\" /]{0,400}") {
            let bytes = rezip(&workbook(), with_sheet_data(&extra), &[]);
            let _ = read(&bytes, &Limits::default());
        }
    }
}
