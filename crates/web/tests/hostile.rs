//! What a hostile sender tries, kept as regression tests (issue 16): workbooks and payloads
//! built to exhaust memory or time are refused with the limit they broke, quickly, and leave
//! the draft as it was; on SQLite and PostgreSQL.

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use baocao_test_support::workbook::{append_to_first_sheet, download, rezip};
use baocao_test_support::{Answer, TestApp, app_tests};
use serde_json::json;

const SLOT: &str = "/api/v1/reports/BC-KTXH-T/01/202611";

async fn post(app: &TestApp, token: &str, uri: &str, content_type: &str, body: Vec<u8>) -> Answer {
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(axum::body::Body::from(body))
        .unwrap();
    app.send(request).await
}

async fn upload(app: &TestApp, token: &str, body: Vec<u8>) -> Answer {
    post(
        app,
        token,
        &format!("{SLOT}/workbook"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        body,
    )
    .await
}

fn refused_by(answer: &Answer) -> String {
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.text
    );
    let error = &answer.json()["error"];
    assert_eq!(error["code"], "limit_exceeded");
    assert!(error["message"].as_str().unwrap().contains("giới hạn"));
    error["limit"].as_str().unwrap().to_string()
}

async fn a_cell_at_the_last_address_of_a_sheet_is_read_without_laying_the_sheet_out(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let template = download(&app, &hanoi, SLOT).await;
    let crafted = rezip(
        &template,
        append_to_first_sheet(r#"<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#),
    );
    assert!(crafted.len() < 64 * 1024);
    let answer = upload(&app, &hanoi, crafted).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(app.get(SLOT, &hanoi).await.status, StatusCode::OK);
}

async fn a_zip_bomb_is_refused_by_its_ratio_and_changes_nothing(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let before = app.get(SLOT, &hanoi).await.json()["version"].clone();
    let template = download(&app, &hanoi, SLOT).await;
    let rows = "<row/>".repeat(4 << 20);
    let bomb = rezip(&template, append_to_first_sheet(&rows));
    assert!(bomb.len() < 256 * 1024, "{} bytes", bomb.len());
    let started = Instant::now();
    let answer = upload(&app, &hanoi, bomb).await;
    assert_eq!(refused_by(&answer), "max_compression_ratio");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(app.get(SLOT, &hanoi).await.json()["version"], before);
}

async fn thousands_of_attributes_on_one_element_are_refused_at_once(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let attributes: String = (0..80_000).map(|n| format!(" a{n}=\"1\"")).collect();
    let adx = format!(
        r#"<adx xmlns="urn:ihe:qrph:adx:2015"><group orgUnit="01" period="2026-11-01/P1M" dataSet="BC-KTXH-T"{attributes}><dataValue dataElement="KT04" value="1"/></group></adx>"#
    );
    let started = Instant::now();
    let answer = post(
        &app,
        &hanoi,
        "/api/v1/dataValueSets",
        "application/adx+xml",
        adx.into_bytes(),
    )
    .await;
    assert_eq!(refused_by(&answer), "max_token_bytes");
    let few: String = (0..100).map(|n| format!(" a{n}=\"1\"")).collect();
    let adx = format!(
        r#"<adx xmlns="urn:ihe:qrph:adx:2015"><group orgUnit="01" period="2026-11-01/P1M" dataSet="BC-KTXH-T"{few}><dataValue dataElement="KT04" value="1"/></group></adx>"#
    );
    let answer = post(
        &app,
        &hanoi,
        "/api/v1/dataValueSets",
        "application/adx+xml",
        adx.into_bytes(),
    )
    .await;
    assert_eq!(refused_by(&answer), "max_xml_attributes");
    assert!(started.elapsed() < Duration::from_secs(3));
}

async fn a_huge_value_is_refused_without_being_held_or_echoed(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let value = "9".repeat(8 << 20);
    let body = json!({"dataSet": "BC-KTXH-T", "period": "202611", "orgUnit": "01", "dataValues": [
        {"dataElement": "KT04", "value": value}
    ]});
    for query in ["", "?dryRun=true"] {
        let answer = post(
            &app,
            &hanoi,
            &format!("/api/v1/dataValueSets{query}"),
            "application/json",
            body.to_string().into_bytes(),
        )
        .await;
        assert_eq!(refused_by(&answer), "max_token_bytes");
        assert!(
            answer.text.len() < 2_000,
            "{} bytes echoed",
            answer.text.len()
        );
    }
    let csv = format!("KT04,202611,01,,,{}\n", "9".repeat(1 << 20));
    let answer = post(
        &app,
        &hanoi,
        "/api/v1/dataValueSets?dataSet=BC-KTXH-T",
        "text/csv",
        csv.into_bytes(),
    )
    .await;
    assert_eq!(refused_by(&answer), "max_token_bytes");
}

app_tests!(
    a_cell_at_the_last_address_of_a_sheet_is_read_without_laying_the_sheet_out,
    a_zip_bomb_is_refused_by_its_ratio_and_changes_nothing,
    thousands_of_attributes_on_one_element_are_refused_at_once,
    a_huge_value_is_refused_without_being_held_or_echoed,
);
