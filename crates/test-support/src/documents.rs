//! Documents as their readers read them: PDFs by poppler (Debian's `poppler-utils`) — text,
//! fonts, page size — and DOCX files by python-docx (PyPI, in the peers' environment named by
//! BAOCAO_PEER_PYTHON). Without a reader a test says so and skips those checks, unless
//! BAOCAO_REQUIRE_PEERS=1 (CI installs both).

use std::process::Command;

/// What `tool` prints for `pdf` (written to a file of its own), or `None` when poppler is not
/// installed and not required.
pub fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> Option<String> {
    let path = std::env::temp_dir().join(format!(
        "baocao-{}-{}.pdf",
        std::process::id(),
        PDF_FILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::write(&path, pdf).expect("write the PDF");
    let mut command = Command::new(tool);
    command.args(args).arg(&path);
    if tool == "pdftotext" {
        command.arg("-");
    }
    let output = command.output();
    let _ = std::fs::remove_file(&path);
    match output {
        Ok(output) => {
            assert!(
                output.status.success(),
                "{tool}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            Some(String::from_utf8_lossy(&output.stdout).into_owned())
        }
        Err(_) => {
            let required = std::env::var("BAOCAO_REQUIRE_PEERS").is_ok_and(|v| v == "1");
            assert!(!required, "{tool} (poppler-utils) is required");
            eprintln!("{tool} (poppler-utils) is not installed; skipping its checks");
            None
        }
    }
}

static PDF_FILES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The text of a PDF in poppler's reading order, every run of white space (line ends too) as
/// one space: a phrase the layout wrapped reads whole.
pub fn pdf_text(pdf: &[u8]) -> Option<String> {
    let text = poppler("pdftotext", &[], pdf)?;
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// What python-docx reads in a DOCX file: every paragraph and table cell's text (white space
/// runs as one space), and the first section's page and margins in millimetres.
pub fn docx_text(docx: &[u8]) -> Option<String> {
    let Some(python) = std::env::var_os("BAOCAO_PEER_PYTHON") else {
        let required = std::env::var("BAOCAO_REQUIRE_PEERS").is_ok_and(|v| v == "1");
        assert!(!required, "python-docx is required (BAOCAO_PEER_PYTHON)");
        eprintln!("no python-docx (BAOCAO_PEER_PYTHON); skipping its checks");
        return None;
    };
    let path = std::env::temp_dir().join(format!(
        "baocao-{}-{}.docx",
        std::process::id(),
        PDF_FILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::write(&path, docx).expect("write the DOCX");
    let script = r#"
import sys, docx
document = docx.Document(sys.argv[1])
parts = [p.text for p in document.paragraphs]
for table in document.tables:
    for row in table.rows:
        for cell in row.cells:
            parts.append(cell.text)
section = document.sections[0]
parts.append("PAGE %d x %d mm, margins %d %d %d %d mm" % (
    round(section.page_width.mm), round(section.page_height.mm), round(section.top_margin.mm),
    round(section.bottom_margin.mm), round(section.left_margin.mm), round(section.right_margin.mm)))
print(" ".join(" ".join(parts).split()))
"#;
    let output = Command::new(python)
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("run Python");
    let _ = std::fs::remove_file(&path);
    assert!(
        output.status.success(),
        "python-docx: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// The demo's monthly socio-economic report (BC-KTXH-T) at `slot` saved by `reporter` with two
/// numbers, a note and two outline sections (stacked Vietnamese diacritics among them), then
/// signed and submitted by `approver`.
pub async fn submit_monthly_report(
    app: &crate::TestApp,
    reporter: &str,
    approver: &str,
    slot: &str,
) {
    use axum::http::{Method, StatusCode};
    use serde_json::json;
    let draft = json!({
        "version": 0,
        "values": [
            {"form": "Biểu 01/KTXH-T", "row": "KT04", "column": "this_period", "value": "60123.4",
             "comment": "Số liệu sơ bộ của Cục Thống kê."},
            {"form": "Biểu 01/KTXH-T", "row": "KT11", "column": "this_period", "value": 2650},
        ],
        "sections": [
            {"index": 0, "text": "Kinh tế tiếp tục phục hồi; sản xuất công nghiệp ở Thừa Thiên Huế và Đắk Lắk tăng khá."},
            {"index": 3, "text": "Đề nghị hỗ trợ vốn cho các dự án giao thông trọng điểm."},
        ],
    });
    let reporter = app.login(reporter).await;
    let saved = app
        .call(
            Method::PUT,
            &format!("{slot}/draft"),
            Some(&reporter),
            Some(&draft),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let approver = app.login(approver).await;
    let sent = app
        .call(
            Method::POST,
            &format!("{slot}/submit"),
            Some(&approver),
            Some(&json!({})),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
}
