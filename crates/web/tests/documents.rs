//! Reports as administrative documents (issue 23): a submitted version as a PDF laid out as
//! Decree 30/2020/NĐ-CP prescribes, read back by poppler; numbered from the issuing agency's
//! yearly register; for those who may read the version only. On SQLite and PostgreSQL.

use axum::http::{Method, StatusCode};
use baocao_documents::{Block, Document, Row, SignatureBlock, Table, render_pdf};
use baocao_test_support::documents::{docx_text, pdf_text, poppler, submit_monthly_report};
use baocao_test_support::{TestApp, app_tests};
use serde_json::{Value, json};

const SLOT: &str = "/api/v1/reports/BC-KTXH-T/01/202611";

async fn a_submitted_version_reads_as_an_administrative_document(app: TestApp) {
    submit_monthly_report(&app, "hanoi", "hanoi-lead", SLOT).await;
    let vpcp = app.login("vpcp").await;
    let document = app
        .get(&format!("{SLOT}/versions/1/document?format=pdf"), &vpcp)
        .await;
    assert_eq!(document.status, StatusCode::OK, "{}", document.text);
    assert_eq!(document.headers["content-type"], "application/pdf");
    assert!(document.bytes.starts_with(b"%PDF-"));

    let Some(text) = pdf_text(&document.bytes) else {
        return;
    };
    for expected in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI",
        // The first report of the year in Hà Nội's register.
        "Số: 01/BC-UBND",
        "Hà Nội, ngày 26 tháng 11 năm 2026",
        "BÁO CÁO",
        "Báo cáo tình hình kinh tế - xã hội hằng tháng",
        "I. Tình hình kinh tế - xã hội trong tháng",
        "Thừa Thiên Huế và Đắk Lắk",
        "IV. Kiến nghị, đề xuất",
        "Biểu 01/KTXH-T: Một số chỉ tiêu kinh tế - xã hội chủ yếu hằng tháng",
        "60.123,4",
        "2.650",
        "Số liệu sơ bộ của Cục Thống kê.",
        "Nơi nhận:",
        "- Văn phòng Chính phủ;",
        "- Lưu: VT.",
        "Lãnh đạo Thành phố Hà Nội",
        // The head of the People's Committee signs for it.
        "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} is not in the document:\n{text}"
        );
    }
}

/// A signer's position is set by those who manage their agency's users; a deputy signs for
/// the head ("KT. CHỦ TỊCH") above the position.
async fn a_deputy_signs_for_the_head_with_the_position_an_administrator_set(app: TestApp) {
    let admin = app.login("admin").await;
    let set = |token: String, user: &'static str, position: Value| {
        let app = &app;
        async move {
            app.call(
                Method::PUT,
                &format!("/api/v1/users/{user}/position"),
                Some(&token),
                Some(&json!({ "position": position })),
            )
            .await
        }
    };
    let deputy = set(admin.clone(), "hanoi-lead", json!("Phó Chủ tịch")).await;
    assert_eq!(deputy.status, StatusCode::OK, "{}", deputy.text);
    assert_eq!(deputy.json()["position"], "Phó Chủ tịch");
    let reporter = app.login("hanoi").await;
    let forbidden = set(reporter, "hanoi-lead", json!("Chủ tịch")).await;
    assert_eq!(
        forbidden.status,
        StatusCode::FORBIDDEN,
        "{}",
        forbidden.text
    );
    let invisible = set(admin.clone(), "hanoi-lead", json!("Phó\u{200b}Chủ tịch")).await;
    assert_eq!(
        invisible.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        invisible.text
    );
    assert_eq!(invisible.json()["error"]["code"], "invalid_position");
    let nobody = set(admin.clone(), "no-such-user", json!("Chủ tịch")).await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND, "{}", nobody.text);

    submit_monthly_report(&app, "hanoi", "hanoi-lead", SLOT).await;
    let vpcp = app.login("vpcp").await;
    let document = app
        .get(&format!("{SLOT}/versions/1/document?format=pdf"), &vpcp)
        .await;
    assert_eq!(document.status, StatusCode::OK, "{}", document.text);
    let Some(text) = pdf_text(&document.bytes) else {
        return;
    };
    assert!(
        text.contains("TM. ỦY BAN NHÂN DÂN KT. CHỦ TỊCH PHÓ CHỦ TỊCH"),
        "{text}"
    );
}

async fn agencies_that_edit_get_the_same_document_as_docx(app: TestApp) {
    submit_monthly_report(&app, "hanoi", "hanoi-lead", SLOT).await;
    let vpcp = app.login("vpcp").await;
    let document = app
        .get(&format!("{SLOT}/versions/1/document?format=docx"), &vpcp)
        .await;
    assert_eq!(document.status, StatusCode::OK, "{}", document.text);
    assert_eq!(
        document.headers["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert!(
        document.headers["content-disposition"]
            .to_str()
            .unwrap()
            .ends_with("_v1.docx\""),
        "{:?}",
        document.headers
    );
    let Some(text) = docx_text(&document.bytes) else {
        return;
    };
    for expected in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI",
        "Số: 01/BC-UBND",
        "Hà Nội, ngày 26 tháng 11 năm 2026",
        "I. Tình hình kinh tế - xã hội trong tháng",
        "Thừa Thiên Huế và Đắk Lắk",
        "60.123,4",
        "Nơi nhận:",
        "- Văn phòng Chính phủ;",
        "Lãnh đạo Thành phố Hà Nội",
        "PAGE 210 x 297 mm, margins 20 20 30 15 mm",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} is not in the DOCX:\n{text}"
        );
    }
}

async fn each_agency_numbers_its_reports_from_one_each_year(app: TestApp) {
    submit_monthly_report(&app, "hanoi", "hanoi-lead", SLOT).await;
    // Returned and sent again: the second version is the register's second document.
    let vpcp = app.login("vpcp").await;
    let returned = app
        .call(
            Method::POST,
            &format!("{SLOT}/return"),
            Some(&vpcp),
            Some(&json!({"reason": "Bổ sung số liệu."})),
        )
        .await;
    assert_eq!(returned.status, StatusCode::OK, "{}", returned.text);
    let lead = app.login("hanoi-lead").await;
    let again = app
        .call(
            Method::POST,
            &format!("{SLOT}/submit"),
            Some(&lead),
            Some(&json!({})),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    // Another province starts its own register.
    submit_monthly_report(
        &app,
        "hcm",
        "hcm-lead",
        "/api/v1/reports/BC-KTXH-T/79/202611",
    )
    .await;

    let numbers = app
        .db
        .raw_texts(
            "SELECT s.agency_id || ':' || v.number || ':' || v.document_year || ':' || v.document_number \
             FROM submission_versions v JOIN submissions s ON s.id = v.submission_id \
             ORDER BY v.id",
        )
        .await;
    let agencies: Vec<&str> = numbers
        .iter()
        .map(|n| n.split(':').next().unwrap())
        .collect();
    assert_eq!(numbers.len(), 3, "{numbers:?}");
    assert_eq!(agencies[0], agencies[1]);
    assert_ne!(agencies[0], agencies[2]);
    let tails: Vec<String> = numbers
        .iter()
        .map(|n| n.split(':').skip(1).collect::<Vec<_>>().join(":"))
        .collect();
    assert_eq!(tails, ["1:2026:1", "2:2026:2", "1:2026:1"]);

    let second = app.get(&format!("{SLOT}/versions/2/document"), &vpcp).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    if let Some(text) = pdf_text(&second.bytes) {
        assert!(text.contains("Số: 02/BC-UBND"), "{text}");
    }
}

async fn a_document_is_only_for_those_who_may_read_the_version(app: TestApp) {
    submit_monthly_report(&app, "hanoi", "hanoi-lead", SLOT).await;
    let path = format!("{SLOT}/versions/1/document");
    let hcm = app.login("hcm").await;
    let refused = app.get(&path, &hcm).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let hanoi = app.login("hanoi").await;
    let missing = app
        .get(&format!("{SLOT}/versions/9/document"), &hanoi)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
    let word = app.get(&format!("{path}?format=odt"), &hanoi).await;
    assert_eq!(word.status, StatusCode::BAD_REQUEST, "{}", word.text);
    assert_eq!(word.json()["error"]["code"], "unsupported_format");
    assert!(
        word.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Văn bản")),
        "{}",
        word.text
    );
}

fn document(rows: usize) -> Document {
    Document {
        superior_agency: Some("Ủy ban nhân dân thành phố Huế".into()),
        issuing_agency: "Sở Giao thông vận tải".into(),
        number: "15/BC-SGTVT".into(),
        place_and_date: "Thừa Thiên Huế, ngày 05 tháng 12 năm 2026".into(),
        kind: "Báo cáo".into(),
        summary: "Tình hình trật tự, an toàn giao thông tháng 11 năm 2026".into(),
        body: vec![
            Block::Heading("1. Kết quả thực hiện".into()),
            Block::Paragraph(
                "Trên các tuyến đường của Đắk Lắk và Thừa Thiên Huế, lực lượng chức năng đã tăng cường tuần tra.".into(),
            ),
            Block::Table(Table {
                title: "Biểu 01/TTATGT: Tai nạn giao thông".into(),
                unit_note: Some("Đơn vị tính: vụ".into()),
                header: vec!["Chỉ tiêu".into(), "Kỳ báo cáo".into()],
                widths: vec![4.0, 2.0],
                numeric: vec![false, true],
                rows: (0..rows)
                    .map(|n| Row {
                        cells: vec![format!("Số vụ tai nạn đường bộ ({n})"), "1.234".into()],
                        strong: false,
                    })
                    .collect(),
                notes: vec![],
            }),
        ],
        recipients: vec!["Bộ Công an".into(), "Lưu: VT".into()],
        signature: SignatureBlock {
            authority: vec!["KT. Giám đốc".into()],
            position: Some("Phó Giám đốc".into()),
            name: "Trần Thị Hường".into(),
            mark: vec!["Ký số: Trần Thị Hường".into()],
        },
        keywords: vec!["BC-TTATGT-T".into()],
    }
}

/// The renderer alone: stacked diacritics come back as written, from fonts embedded and
/// subset, on A4 pages numbered from the second.
#[test]
fn poppler_reads_back_the_vietnamese_text_from_an_embedded_font_on_a4() {
    let pdf = render_pdf(&document(80)).unwrap();
    let Some(text) = pdf_text(&pdf) else {
        return;
    };
    for expected in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "SỞ GIAO THÔNG VẬN TẢI",
        "Số: 15/BC-SGTVT",
        "Thừa Thiên Huế, ngày 05 tháng 12 năm 2026",
        "Đắk Lắk",
        "Số vụ tai nạn đường bộ (79)",
        "- Bộ Công an;",
        "PHÓ GIÁM ĐỐC",
        "Trần Thị Hường",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }

    let fonts = poppler("pdffonts", &[], &pdf).unwrap();
    let serif: Vec<&str> = fonts
        .lines()
        .filter(|l| l.contains("LiberationSerif"))
        .collect();
    assert!(serif.len() >= 3, "{fonts}");
    // Columns: name, type, encoding, emb, sub, uni, object ID.
    for line in serif {
        let columns: Vec<&str> = line.split_whitespace().collect();
        let n = columns.len();
        assert_eq!(columns[n - 5..n - 2], ["yes", "yes", "yes"], "{line}");
    }

    let info = poppler("pdfinfo", &[], &pdf).unwrap();
    assert!(info.contains("595.276 x 841.89 pts (A4)"), "{info}");
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|p| p.trim().parse().ok())
        .unwrap();
    assert!(pages >= 2, "{info}");
    assert!(info.contains("Tình hình trật tự"), "{info}");
}

app_tests!(
    a_submitted_version_reads_as_an_administrative_document,
    a_deputy_signs_for_the_head_with_the_position_an_administrator_set,
    agencies_that_edit_get_the_same_document_as_docx,
    each_agency_numbers_its_reports_from_one_each_year,
    a_document_is_only_for_those_who_may_read_the_version,
);
