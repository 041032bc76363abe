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
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri(format!("{SLOT}/workbook"))
        .header("authorization", format!("Bearer {token}"))
        .header(
            "content-type",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .body(axum::body::Body::from(body))
        .unwrap();
    app.send(request).await
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

app_tests!(a_report_goes_out_as_a_workbook_and_comes_back_into_the_draft,);
