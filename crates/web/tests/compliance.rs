//! Compliance over the API: expected reports from the history of assignments and agencies,
//! submitted, on time, late, missing, complete, with each report's status now — on SQLite and
//! PostgreSQL, with the clock at 2026-11-26.

use axum::http::{Method, StatusCode};
use baocao_test_support::{TestApp, app_tests, compliance_agencies};
use serde_json::{Value, json};

async fn send(
    app: &TestApp,
    agency: &str,
    period: &str,
    reporter: &str,
    lead: &str,
    rows: &[&str],
) {
    let slot = format!("/api/v1/reports/BC-KSTTHC-Q/{agency}/{period}");
    let (reporter, lead) = (app.login(reporter).await, app.login(lead).await);
    let values: Vec<Value> = rows
        .iter()
        // HC02 (received) at least HC03 + HC04 (settled), as rule R1 asks.
        .map(|row| {
            json!({"form": "Biểu 01/KSTTHC", "row": row, "column": "this_period", "options": {},
                          "value": if *row == "HC02" { "5" } else { "1" }})
        })
        .collect();
    let saved = app
        .call(
            Method::PUT,
            &format!("{slot}/draft"),
            Some(&reporter),
            Some(&json!({"version": 0, "values": values})),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let sent = app
        .call(
            Method::POST,
            &format!("{slot}/submit"),
            Some(&lead),
            Some(&json!({})),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
}

fn agency<'a>(answer: &'a Value, code: &str) -> &'a Value {
    answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["agency"] == code)
        .unwrap_or_else(|| panic!("no row {code}"))
}

fn counts(row: &Value) -> [u64; 6] {
    [
        "expected",
        "submitted",
        "on_time",
        "late",
        "missing",
        "complete",
    ]
    .map(|k| row[k].as_u64().unwrap())
}

async fn the_matrix_says_who_reported_on_time_late_or_not_at_all(app: TestApp) {
    let all = ["HC01", "HC02", "HC03", "HC04", "HC05", "HC06"];
    // Hà Nội: 2026Q3 complete but after its 20 September deadline; 2026Q4 on time, two rows only.
    send(&app, "01", "2026Q3", "hanoi", "hanoi-lead", &all).await;
    send(
        &app,
        "01",
        "2026Q4",
        "hanoi",
        "hanoi-lead",
        &["HC01", "HC02"],
    )
    .await;
    // TP. Hồ Chí Minh: 2026Q4 complete, on time, accepted.
    send(&app, "79", "2026Q4", "hcm", "hcm-lead", &all).await;
    let vpcp = app.login("vpcp").await;
    let accepted = app
        .call(
            Method::POST,
            "/api/v1/reports/BC-KSTTHC-Q/79/2026Q4/accept",
            Some(&vpcp),
            Some(&json!({})),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK);

    let admin = app.login("admin").await;
    let answer = app
        .get(
            "/api/v1/compliance?regime=BC-KSTTHC-Q&from=2026Q3&to=2026Q4",
            &admin,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let answer = answer.json();
    assert_eq!(answer["periods"], json!(["2026Q3", "2026Q4"]));
    let hanoi = agency(&answer, "01");
    assert_eq!(counts(hanoi), [2, 2, 1, 1, 0, 1]);
    assert_eq!(
        hanoi["periods"],
        json!({"2026Q3": "submitted_late", "2026Q4": "submitted_on_time"})
    );
    assert_eq!(
        agency(&answer, "79")["periods"],
        json!({"2026Q3": "overdue", "2026Q4": "accepted"})
    );
    // 2026Q4 is still open (due 20 December): shown as such, not counted missing (issue 21).
    assert_eq!(counts(agency(&answer, "04")), [1, 0, 0, 0, 1, 0]);
    assert_eq!(agency(&answer, "04")["pending"], 1);
    assert_eq!(agency(&answer, "04")["completeness"], 0.0);
    assert_eq!(agency(&answer, "04")["periods"]["2026Q4"], "open");

    let provinces: u64 = answer["by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["kind"] == "province" || k["kind"] == "city")
        .map(|k| k["agencies"].as_u64().unwrap())
        .sum();
    assert_eq!(provinces, 34, "the provinces of today, none merged away");
    let total = &answer["total"];
    assert_eq!(
        (
            total["submitted"].as_u64(),
            total["on_time"].as_u64(),
            total["late"].as_u64()
        ),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!(
        total["expected"].as_u64().unwrap(),
        total["submitted"].as_u64().unwrap() + total["missing"].as_u64().unwrap()
    );
    assert!(answer["completeness"].as_f64().unwrap() <= 1.0);
    let summary = answer["summary"].as_str().unwrap();
    assert!(summary.contains("2/34 tỉnh, thành phố"), "{summary}");
}

async fn a_province_merged_away_is_expected_before_and_not_after(app: TestApp) {
    let admin = app.login("admin").await;
    let answer = app
        .get(
            "/api/v1/compliance?regime=BC-KSTTHC-Q&from=2025Q2&to=2025Q3",
            &admin,
        )
        .await
        .json();
    // Hà Giang (02) joined Tuyên Quang on 1 July 2025: expected for the second quarter only.
    assert_eq!(agency(&answer, "02")["expected"], 1);
    assert_eq!(
        agency(&answer, "02")["periods"],
        json!({"2025Q2": "overdue"})
    );
    assert_eq!(agency(&answer, "01")["expected"], 2);
    // A province that no longer exists says until when it did (issue 21: no two "Lào Cai").
    assert_eq!(agency(&answer, "02")["name"], "Tỉnh Hà Giang");
    assert_eq!(agency(&answer, "02")["valid_to"], "2025-06-30");
    assert_eq!(agency(&answer, "01")["name"], "Thành phố Hà Nội");
    assert!(agency(&answer, "01")["valid_to"].is_null());
    let provinces: u64 = answer["by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["kind"] == "province" || k["kind"] == "city")
        .map(|k| k["agencies"].as_u64().unwrap())
        .sum();
    assert!(
        provinces >= 63,
        "every province expected at least once: {provinces}"
    );
}

async fn bad_questions_and_strangers_are_refused(app: TestApp) {
    let admin = app.login("admin").await;
    for (query, code) in [
        (
            "regime=BC-KSTTHC-Q&from=202601",
            "period_frequency_mismatch",
        ),
        ("regime=BC-KSTTHC-Q&from=2026Q5", "invalid_period"),
        ("regime=NOPE&from=2026Q1", "not_found"),
    ] {
        let answer = app
            .get(&format!("/api/v1/compliance?{query}"), &admin)
            .await;
        assert_eq!(answer.json()["error"]["code"], code, "{query}");
    }
    // A province reads its own row, never another's (issue 21: its own scope, not a 403).
    let hanoi = app.login("hanoi").await;
    assert_eq!(
        compliance_agencies(&app, "regime=BC-KSTTHC-Q&from=2026Q1", &hanoi).await,
        ["01"]
    );
    let stranger = app
        .send(
            axum::http::Request::get("/api/v1/compliance?regime=BC-KSTTHC-Q&from=2026Q1")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(stranger.status, StatusCode::UNAUTHORIZED);
}

app_tests!(
    the_matrix_says_who_reported_on_time_late_or_not_at_all,
    a_province_merged_away_is_expected_before_and_not_after,
    bad_questions_and_strangers_are_refused,
);
