//! Outliers on a report slot: a number far from the agency's accepted history and from last
//! year is flagged with its reasons; thresholds are set per indicator — on SQLite and
//! PostgreSQL.

use axum::http::{Method, StatusCode};
use baocao_domain::agency::AgencyCode;
use baocao_domain::indicator::IndicatorCode;
use baocao_domain::period::PeriodId;
use baocao_domain::value::{Channel, DataValue, OptionCombo, Value as Number};
use baocao_test_support::{TestApp, app_tests};
use serde_json::{Value, json};

const SLOT: &str = "/api/v1/reports/BC-KTXH-T/01/202611";

fn kt04(agency: &str, period: PeriodId, value: f64) -> DataValue {
    DataValue {
        indicator: IndicatorCode::new("KT04").unwrap(),
        options: OptionCombo::TOTAL,
        agency: AgencyCode::new(agency).unwrap(),
        period,
        value: Number::Number(value),
        channel: Channel::Web,
        source: "regime:BC-KTXH-T".into(),
    }
}

async fn save(app: &TestApp, token: &str, value: &str) -> Value {
    let version = app.get(SLOT, token).await.json()["version"]
        .as_i64()
        .unwrap_or(0);
    let answer = app
        .call(Method::PUT, &format!("{SLOT}/draft"), Some(token), Some(&json!({"version": version,
            "values": [{"form": "Biểu 01/KTXH-T", "row": "KT04", "column": "this_period", "options": {}, "value": value}]})))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.json()
}

fn kinds(slot: &Value) -> Vec<String> {
    slot["outliers"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|o| o["reasons"].as_array().cloned().unwrap_or_default())
        .map(|r| r["kind"].as_str().unwrap().to_string())
        .collect()
}

async fn a_wild_number_is_flagged_against_history_last_year_and_peers(app: TestApp) {
    // Two years of Hà Nội's retail sales around 60,000, and ten provinces around 20,000 now.
    let mut values = Vec::new();
    let mut period = PeriodId::parse("202411").unwrap();
    for step in 0..24 {
        values.push(kt04("01", period, 60_000.0 + f64::from(step % 5) * 500.0));
        period = period.next();
    }
    let now = PeriodId::parse("202611").unwrap();
    for (n, agency) in ["04", "08", "12", "15", "19", "20", "22", "24", "25", "31"]
        .iter()
        .enumerate()
    {
        values.push(kt04(agency, now, 20_000.0 + n as f64 * 300.0));
    }
    let hanoi = app.login("hanoi").await;
    // Checked once before the history exists: what that check kept must not outlive it.
    assert_eq!(
        kinds(&save(&app, &hanoi, "61000").await),
        Vec::<String>::new(),
        "nothing to compare with yet"
    );
    app.db
        .store
        .upsert_values(&values, "2026-11-26T08:00:00Z")
        .await
        .unwrap();

    assert_eq!(
        kinds(&save(&app, &hanoi, "61000").await),
        ["peers"],
        "in line with its history, far above its peers"
    );
    let wild = save(&app, &hanoi, "610000").await;
    assert_eq!(kinds(&wild), ["history", "year_on_year", "peers"]);
    let reason = &wild["outliers"][0]["reasons"][1];
    assert!(
        reason["message"]
            .as_str()
            .unwrap()
            .contains("cùng kỳ năm trước"),
        "{reason}"
    );
    assert_eq!(wild["outliers"][0]["cell"]["row"], "KT04");

    // A regime manager widens the thresholds for KT04: only the history check still fires.
    let admin = app.login("admin").await;
    let path = "/api/v1/indicators/KT04/outlier-settings";
    assert_eq!(app.get(path, &admin).await.json()["z_threshold"], 3.5);
    let set = app
        .call(
            Method::PUT,
            path,
            Some(&admin),
            Some(&json!({"z_threshold": 600.0, "year_on_year": 20.0, "min_points": 6})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(kinds(&app.get(SLOT, &hanoi).await.json()), ["history"]);
    let refused = app
        .call(
            Method::PUT,
            path,
            Some(&hanoi),
            Some(&json!({"z_threshold": 1.0, "year_on_year": 1.0, "min_points": 6})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let bad = app
        .call(
            Method::PUT,
            path,
            Some(&admin),
            Some(&json!({"z_threshold": -1.0, "year_on_year": 1.0, "min_points": 6})),
        )
        .await;
    assert_eq!(bad.json()["error"]["code"], "invalid_settings");
}

async fn two_sources_that_disagree_are_listed_and_one_can_be_trusted(app: TestApp) {
    let october = PeriodId::parse("202610").unwrap();
    let mut feed = kt04("01", october, 120.0);
    feed.source = "import:bct-feed".into();
    let mut agreeing = kt04("79", october, 50.0);
    agreeing.source = "import:bct-feed".into();
    app.db
        .store
        .upsert_values(
            &[
                kt04("01", october, 100.0),
                feed,
                kt04("79", october, 50.0),
                agreeing,
            ],
            "2026-11-26T08:00:00Z",
        )
        .await
        .unwrap();
    let admin = app.login("admin").await;
    let list = app
        .get("/api/v1/quality/discrepancies?indicator=KT04", &admin)
        .await
        .json();
    assert_eq!(
        list["total"], 1,
        "agreeing sources are no discrepancy: {list}"
    );
    let item = &list["items"][0];
    assert_eq!(
        (
            item["agency"].as_str(),
            item["period"].as_str(),
            item["difference"].as_f64()
        ),
        (Some("01"), Some("202610"), Some(20.0))
    );
    let sources: Vec<&str> = item["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["import:bct-feed", "regime:BC-KTXH-T"]);

    let figure = "/api/v1/analytics?indicator=KT04&agency=01&period=202610";
    assert_eq!(
        app.get(figure, &admin).await.json()["rows"][0]["value"],
        100.0,
        "the regime's report answers by default"
    );
    let mark = json!({"agency": "01", "period": "202610", "indicator": "KT04", "options": {}, "source": "import:bct-feed"});
    let hanoi = app.login("hanoi").await;
    let path = "/api/v1/quality/discrepancies/authoritative";
    assert_eq!(
        app.call(Method::POST, path, Some(&hanoi), Some(&mark))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let marked = app
        .call(Method::POST, path, Some(&admin), Some(&mark))
        .await;
    assert_eq!(marked.status, StatusCode::OK, "{}", marked.text);
    assert_eq!(
        app.get(figure, &admin).await.json()["rows"][0]["value"],
        120.0,
        "the trusted source answers"
    );
    assert_eq!(
        app.get("/api/v1/quality/discrepancies?agency=01", &admin)
            .await
            .json()["items"][0]["authoritative"],
        "import:bct-feed"
    );
    let unknown = json!({"agency": "01", "period": "202610", "indicator": "KT04", "options": {}, "source": "import:nobody"});
    assert_eq!(
        app.call(Method::POST, path, Some(&admin), Some(&unknown))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/quality/discrepancies", &hanoi)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/quality/discrepancies?agency=01", &hanoi)
            .await
            .status,
        StatusCode::OK
    );
}

/// Hà Nội sends a complete report with an explained warning; TP. Hồ Chí Minh one cell of three.
pub async fn two_reports_of_different_quality(app: &TestApp) {
    let slot = |agency: &str| format!("/api/v1/reports/BC-VBDT-Q/{agency}/2026Q3");
    for (agency, reporter, lead, cells) in [
        (
            "01",
            "hanoi",
            "hanoi-lead",
            vec![("VB01", "100"), ("VB02", "90"), ("VB03", "130")],
        ),
        ("79", "hcm", "hcm-lead", vec![("VB01", "40")]),
    ] {
        let (reporter, lead) = (app.login(reporter).await, app.login(lead).await);
        let values: Vec<Value> = cells
            .iter()
            .map(|(row, value)| json!({"form": "Biểu 01/VBĐT", "row": row, "column": "this_period", "options": {}, "value": value}))
            .collect();
        let saved = app
            .call(
                Method::PUT,
                &format!("{}/draft", slot(agency)),
                Some(&reporter),
                Some(&json!({"version": 0, "values": values})),
            )
            .await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
        let sent = app
            .call(
                Method::POST,
                &format!("{}/submit", slot(agency)),
                Some(&lead),
                Some(&json!({"explanations": [{"rule": "R1", "text": "Gồm văn bản nội bộ."}]})),
            )
            .await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    }
}

async fn the_quality_dashboard_measures_every_report(app: TestApp) {
    two_reports_of_different_quality(&app).await;
    let vpcp = app.login("vpcp").await;
    let answer = app
        .get("/api/v1/quality?regime=BC-VBDT-Q&period=2026Q3", &vpcp)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let rows = answer.json()["items"].as_array().cloned().unwrap();
    let row = |agency: &str| {
        rows.iter()
            .find(|r| r["agency"] == agency)
            .cloned()
            .unwrap()
    };
    let hanoi = row("01");
    assert_eq!(
        (
            hanoi["status"].as_str(),
            hanoi["cells_filled"].as_u64(),
            hanoi["cells_total"].as_u64(),
            hanoi["completeness"].as_f64()
        ),
        (Some("submitted"), Some(3), Some(3), Some(1.0))
    );
    assert_eq!(
        (
            hanoi["errors"].as_u64(),
            hanoi["warnings"].as_u64(),
            hanoi["warnings_explained"].as_u64()
        ),
        (Some(0), Some(1), Some(1))
    );
    assert_eq!(
        hanoi["late"], true,
        "sent on 26 November, after the 25 September deadline"
    );
    let hcm = row("79");
    assert_eq!(
        (hcm["cells_filled"].as_u64(), hcm["warnings"].as_u64()),
        (Some(1), Some(0))
    );
    let silent = row("04");
    assert_eq!(
        (silent["status"].as_str(), silent["completeness"].as_f64()),
        (Some("not_started"), None)
    );
    assert!(
        rows.len() >= 34,
        "every province assigned is listed for the receiver"
    );

    let own = app
        .get(
            "/api/v1/quality?regime=BC-VBDT-Q&period=2026Q3",
            &app.login("hanoi").await,
        )
        .await
        .json();
    let agencies: Vec<&str> = own["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["agency"].as_str().unwrap())
        .collect();
    assert_eq!(agencies, ["01"], "a province sees its own report only");
}

app_tests!(
    the_quality_dashboard_measures_every_report,
    a_wild_number_is_flagged_against_history_last_year_and_peers,
    two_sources_that_disagree_are_listed_and_one_can_be_trusted,
);
