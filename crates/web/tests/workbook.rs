//! A report as an Excel workbook: downloaded with the draft filled in and its keys, filled
//! in elsewhere, uploaded back into the draft through the web form's checks — every refused
//! cell named by its address, nothing half-saved; on SQLite and PostgreSQL.

use axum::http::{Method, StatusCode};
use baocao_test_support::workbook::{cells, filled};

async fn download(app: &TestApp, token: &str) -> Vec<u8> {
    baocao_test_support::workbook::download(app, token, SLOT).await
}
use baocao_test_support::{Answer, TestApp, app_tests};
use serde_json::json;

const SLOT: &str = "/api/v1/reports/BC-KTXH-T/01/202611";

async fn upload(app: &TestApp, token: &str, body: Vec<u8>) -> Answer {
    upload_with(app, token, "", body).await
}

async fn upload_with(app: &TestApp, token: &str, query: &str, body: Vec<u8>) -> Answer {
    let path = format!("{SLOT}/workbook{query}");
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    app.post_as(&path, token, xlsx, body).await
}

async fn stored(app: &TestApp, token: &str, row: &str) -> Option<String> {
    app.this_period_totals(SLOT, token)
        .await
        .into_iter()
        .find(|(r, _)| r == row)
        .map(|(_, value)| value)
}

async fn a_report_goes_out_as_a_workbook_and_comes_back_into_the_draft(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let saved = app
        .call(
            Method::PUT,
            &format!("{SLOT}/draft"),
            Some(&hanoi),
            Some(&json!({"version": 0, "values": [{"form": "Biểu 01/KTXH-T", "row": "KT04", "column": "this_period", "options": {}, "value": "60123.4"}]})),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);

    let template = download(&app, &hanoi).await;
    let (name, template_cells) = cells(&template);
    assert_eq!(name, "Biểu 1");
    let text = |row: u32, col: u32| {
        template_cells
            .iter()
            .find(|(r, c, _)| *r == row && *c == col)
            .map(|(_, _, t)| t.as_str())
    };
    assert!(
        text(0, 1).unwrap().contains("Biểu 01/KTXH-T"),
        "the title names the form"
    );
    assert_eq!(text(3, 2), Some("Tên chỉ tiêu"), "headers in Vietnamese");
    assert_eq!(text(4, 0), Some("Biểu 01/KTXH-T"), "the hidden key row");
    let kt04 = template_cells
        .iter()
        .find(|(_, c, t)| *c == 0 && t == "KT04|")
        .map(|(r, _, _)| *r)
        .unwrap();
    assert_eq!(text(kt04, 5), Some("60123.4"), "the draft is filled in");

    // A word where a number belongs: refused by its address, nothing saved.
    let bad = filled(
        &name,
        &template_cells,
        &[("KT03", "107.9"), ("KT05", "nhiều")],
    );
    let refused = upload(&app, &hanoi, bad).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    let report = refused.json();
    assert_eq!(report["error"]["code"], "workbook_refused");
    let cell = &report["cells"][0];
    assert_eq!(
        (&cell["sheet"], &cell["row"]),
        (&json!("Biểu 1"), &json!("KT05"))
    );
    assert!(cell["cell"].as_str().unwrap().starts_with('F'), "{cell}");
    assert_eq!(
        stored(&app, &hanoi, "KT03").await,
        None,
        "nothing of a refused workbook is saved"
    );

    let good = filled(
        &name,
        &template_cells,
        &[("KT03", "107.9"), ("KT04", "70000")],
    );
    let accepted = upload(&app, &hanoi, good).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    assert_eq!(stored(&app, &hanoi, "KT03").await.as_deref(), Some("107.9"));
    assert_eq!(stored(&app, &hanoi, "KT04").await.as_deref(), Some("70000"));
    // The audit trail records the typed save through the API and the workbook as an import.
    let admin = app.login("admin").await;
    let saves = app
        .get("/api/v1/audit?kind=report.save&limit=2", &admin)
        .await
        .json();
    let channels: Vec<&str> = saves["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["channel"].as_str())
        .collect();
    assert_eq!(channels, ["import", "api"], "{saves}");

    let broken = upload(&app, &hanoi, b"not a workbook".to_vec()).await;
    assert_eq!(broken.json()["error"]["code"], "invalid_workbook");
    let stranger = app.login("hcm").await;
    assert_eq!(
        upload(&app, &stranger, template).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn formulas_blank_cells_and_locked_cells_are_never_silent(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let saved = app
        .call(
            Method::PUT,
            &format!("{SLOT}/draft"),
            Some(&hanoi),
            Some(&json!({"version": 0, "values": [
                {"form": "Biểu 01/KTXH-T", "row": "KT04", "column": "this_period", "options": {}, "value": "60123.4"},
                {"form": "Biểu 01/KTXH-T", "row": "KT09", "column": "this_period", "options": {}, "value": "37000"},
            ]})),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let template = download(&app, &hanoi).await;
    let (name, template_cells) = cells(&template);
    let row_of = |indicator: &str| {
        template_cells
            .iter()
            .find(|(_, c, t)| *c == 0 && t == &format!("{indicator}|"))
            .map(|(r, _, _)| *r + 1)
            .unwrap()
    };

    // Formulas written without their results (as openpyxl writes them) are computed, one
    // referring to another; none is read as blank.
    let kt04 = format!("=F{}*2", row_of("KT03"));
    let formulas = filled(
        &name,
        &template_cells,
        &[
            ("KT03", "=100+7.9"),
            ("KT05", &kt04),
            ("KT06", "=SUM(F1:F2)+2388"),
        ],
    );
    let accepted = upload(&app, &hanoi, formulas).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    assert_eq!(stored(&app, &hanoi, "KT03").await.as_deref(), Some("107.9"));
    assert_eq!(stored(&app, &hanoi, "KT05").await.as_deref(), Some("215.8"));
    assert_eq!(stored(&app, &hanoi, "KT06").await.as_deref(), Some("2388"));
    assert_eq!(
        stored(&app, &hanoi, "KT04").await.as_deref(),
        Some("60123.4"),
        "the template's own values come back unchanged"
    );

    // A formula that cannot be computed here is a refused cell, named with its formula.
    let template = download(&app, &hanoi).await;
    let (name, template_cells) = cells(&template);
    let lookup = filled(&name, &template_cells, &[("KT07", "=VLOOKUP(1,A1:B2,2)")]);
    let refused = upload(&app, &hanoi, lookup).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    let cell = &refused.json()["cells"][0];
    assert_eq!(cell["row"], "KT07");
    assert!(
        cell["message_en"].as_str().unwrap().contains("VLOOKUP"),
        "{cell}"
    );

    // A changed computed (locked) cell is refused, not ignored.
    let locked = filled(
        &name,
        &template_cells,
        &[("KT04:same_period_last_year", "1")],
    );
    let refused = upload(&app, &hanoi, locked).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    let cell = &refused.json()["cells"][0];
    assert_eq!(
        (cell["row"].as_str(), cell["column"].as_str()),
        (Some("KT04"), Some("same_period_last_year"))
    );

    // Blank cells over saved values: refused unless asked, then cleared.
    let blank = filled(&name, &template_cells, &[("KT09", "")]);
    let guarded = upload(&app, &hanoi, blank.clone()).await;
    assert_eq!(
        (guarded.status, guarded.json()["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("would_clear_values")),
        "{}",
        guarded.text
    );
    assert_eq!(stored(&app, &hanoi, "KT09").await.as_deref(), Some("37000"));
    let cleared = upload_with(&app, &hanoi, "?clear_missing=true", blank).await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.text);
    assert_eq!(stored(&app, &hanoi, "KT09").await, None);

    // Spreadsheets of other programs are named, not "Zip error".
    let xls = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0].to_vec();
    let refused = upload(&app, &hanoi, xls).await;
    assert!(
        refused.json()["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains(".xls"),
        "{}",
        refused.text
    );
    let mut ods = b"PK\x03\x04".to_vec();
    ods.extend([0u8; 26]);
    ods.extend(b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet");
    let refused = upload(&app, &hanoi, ods).await;
    assert!(
        refused.json()["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains(".ods"),
        "{}",
        refused.text
    );
}

app_tests!(
    a_report_goes_out_as_a_workbook_and_comes_back_into_the_draft,
    formulas_blank_cells_and_locked_cells_are_never_silent,
);
