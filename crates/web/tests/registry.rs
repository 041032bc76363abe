//! Authoring regimes over the API, the standardisation report and duplicate detection — on
//! SQLite and PostgreSQL.

use axum::http::{Method, StatusCode};
use baocao_test_support::{TestApp, app_tests};
use serde_json::{Value, json};

async fn base(app: &TestApp, token: &str) -> Value {
    let mut regime = app.get("/api/v1/regimes/BC-KSTTHC-Q", token).await.json();
    let object = regime.as_object_mut().unwrap();
    object.remove("version");
    object.remove("status");
    regime
}

async fn post(app: &TestApp, token: &str, body: &Value) -> baocao_test_support::Answer {
    app.call(Method::POST, "/api/v1/regimes", Some(token), Some(body))
        .await
}

async fn a_posted_regime_is_a_draft_and_read_back_alike(app: TestApp) {
    let admin = app.login("admin").await;
    let mut copy = base(&app, &admin).await;
    copy["code"] = json!("BC-MOI-Q");
    copy["status"] = json!("published");
    let created = post(&app, &admin, &copy).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let read = app.get("/api/v1/regimes/BC-MOI-Q", &admin).await.json();
    assert_eq!(read["status"], "draft");
    assert_eq!(read["forms"], copy["forms"]);
    assert_eq!(read["rules"], copy["rules"]);

    let again = post(&app, &admin, &copy).await;
    assert_eq!(
        (again.status, again.json()["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("regime_exists"))
    );

    let mut bad_rule = copy.clone();
    bad_rule["code"] = json!("BC-SAI-Q");
    bad_rule["rules"] =
        json!([{"expression": "[HC02] >= ) 3", "severity": "error", "message_vi": "x"}]);
    let refused = post(&app, &admin, &bad_rule).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    assert_eq!(
        (
            refused.json()["error"]["code"].as_str(),
            refused.json()["error"]["position"].as_u64()
        ),
        (Some("rule_syntax"), Some(10))
    );

    let mut unknown = copy.clone();
    unknown["code"] = json!("BC-LA-Q");
    unknown["forms"][0]["rows"][0]["indicator"] = json!("ZZ99");
    assert_eq!(
        post(&app, &admin, &unknown).await.json()["error"]["code"],
        "unknown_indicator"
    );
    assert_eq!(
        app.get("/api/v1/regimes/BC-SAI-Q", &admin).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/regimes/BC-LA-Q", &admin).await.status,
        StatusCode::NOT_FOUND
    );

    let reporter = app.login("hanoi").await;
    let mut theirs = copy.clone();
    theirs["code"] = json!("BC-CUA-TINH");
    assert_eq!(
        post(&app, &reporter, &theirs).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn the_standardisation_report_flags_what_is_missing_or_wrong(app: TestApp) {
    let admin = app.login("admin").await;
    let mut missing = base(&app, &admin).await;
    missing["code"] = json!("BC-THIEU-Q");
    missing["cutoff"] = Value::Null;
    missing["outline"] = json!([]);
    assert_eq!(
        post(&app, &admin, &missing).await.status,
        StatusCode::CREATED
    );
    let mut early = base(&app, &admin).await;
    early["code"] = json!("BC-SOM-Q");
    // Due on the 5th of the quarter's last month: before the cut-off end (the 14th).
    early["deadline"] = json!({"kind": "day_of_month", "day": 5, "months_after_period_end": 0});
    assert_eq!(post(&app, &admin, &early).await.status, StatusCode::CREATED);

    let report = app
        .get("/api/v1/regimes/standardisation", &admin)
        .await
        .json();
    let entries = report["items"].as_array().unwrap();
    let codes_of = |regime: &str| -> Vec<String> {
        entries
            .iter()
            .find(|e| e["regime"] == regime)
            .map(|e| {
                e["problems"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|p| p["severity"] == "error")
                    .map(|p| p["code"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        codes_of("BC-THIEU-Q"),
        ["missing_element", "missing_element"]
    );
    assert_eq!(codes_of("BC-SOM-Q"), ["deadline_before_cutoff_end"]);
    let message = &entries
        .iter()
        .find(|e| e["regime"] == "BC-THIEU-Q")
        .unwrap()["problems"][0]["message"];
    assert!(
        message.as_str().unwrap().contains("Thời gian chốt số liệu"),
        "{message}"
    );
    // The demo catalogue has no definitions yet: a warning, once per regime, naming them.
    let warning = entries
        .iter()
        .find(|e| e["regime"] == "BC-KSTTHC-Q")
        .unwrap()["problems"][0]
        .clone();
    assert_eq!(
        (warning["code"].as_str(), warning["severity"].as_str()),
        (Some("indicator_without_definition"), Some("warning"))
    );
    assert!(
        warning["message"].as_str().unwrap().contains("HC01, HC02"),
        "{warning}"
    );
    // Every demo regime is listed, the flagged ones first.
    assert_eq!(
        entries.len(),
        app.get("/api/v1/regimes", &admin).await.json()["total"]
            .as_u64()
            .unwrap() as usize
    );
    let first_clean = entries
        .iter()
        .position(|e| e["problems"].as_array().unwrap().is_empty())
        .unwrap_or(entries.len());
    assert!(
        entries[first_clean..]
            .iter()
            .all(|e| e["problems"].as_array().unwrap().is_empty())
    );
}

async fn a_planted_duplicate_tops_the_list(app: TestApp) {
    let admin = app.login("admin").await;
    let mut copy = base(&app, &admin).await;
    copy["code"] = json!("BC-TTHC-KS-Q");
    copy["name"] = json!("Báo cáo kết quả kiểm soát thủ tục hành chính quý");
    assert_eq!(post(&app, &admin, &copy).await.status, StatusCode::CREATED);
    let pairs = app.get("/api/v1/regimes/duplicates", &admin).await.json()["items"]
        .as_array()
        .cloned()
        .unwrap();
    let top = &pairs[0];
    let mut names = [top["a"].as_str().unwrap(), top["b"].as_str().unwrap()];
    names.sort();
    assert_eq!(names, ["BC-KSTTHC-Q", "BC-TTHC-KS-Q"]);
    assert_eq!(top["score"], 1.0);
    assert_eq!(top["shared"].as_array().unwrap().len(), 6);
    assert!(
        pairs
            .windows(2)
            .all(|w| w[0]["score"].as_f64() >= w[1]["score"].as_f64())
    );
}

async fn deadlines_in_working_days_skip_weekends_and_tet(app: TestApp) {
    let admin = app.login("admin").await;
    let mut regime = base(&app, &admin).await;
    regime["code"] = json!("BC-NGAY-LV-T");
    regime["frequency"] = json!("monthly");
    regime["deadline"] = json!({"kind": "days_after_cutoff", "days": 2, "working_days": true});
    assert_eq!(
        post(&app, &admin, &regime).await.status,
        StatusCode::CREATED
    );
    let due = |period: &str| {
        let path = format!("/api/v1/regimes/BC-NGAY-LV-T/periods/{period}");
        let app = &app;
        let admin = admin.clone();
        async move {
            app.get(&path, &admin).await.json()["deadline"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    // November 2026's window ends Saturday the 14th: Monday 16, Tuesday 17.
    assert_eq!(due("202611").await, "2026-11-17");
    // February 2026's ends Saturday the 14th, then Tết from the 16th to the 20th.
    assert_eq!(due("202602").await, "2026-02-24");
    let page = app.get("/api/v1/regimes/BC-NGAY-LV-T", &admin).await.json();
    assert_eq!(page["deadline"]["working_days"], true);
}

app_tests!(
    deadlines_in_working_days_skip_weekends_and_tet,
    a_posted_regime_is_a_draft_and_read_back_alike,
    the_standardisation_report_flags_what_is_missing_or_wrong,
    a_planted_duplicate_tops_the_list,
);
