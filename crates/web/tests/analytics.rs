//! The analytics API over accepted values: sums over the hierarchy and over time, indicators
//! that are not summed, the hierarchy of a date across the 2025 merger, disaggregations, and
//! freshness after an acceptance — on SQLite and PostgreSQL.

use axum::http::{Method, StatusCode};
use baocao_domain::indicator::IndicatorCode;
use baocao_domain::period::PeriodId;
use baocao_test_support::{TestApp, app_tests};
use serde_json::{Value, json};

use baocao_test_support::reported_value as value;

async fn analytics(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let answer = app.get(&format!("/api/v1/analytics?{query}"), token).await;
    assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.text);
    answer.json()["rows"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn single(rows: &[Value]) -> Option<f64> {
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows[0]["value"].as_f64()
}

async fn sums_follow_the_hierarchy_and_time_and_the_merger(app: TestApp) {
    let mut values = Vec::new();
    // Before the merger: old 79, 74, 77 (TP. Hồ Chí Minh, Bình Dương, Bà Rịa - Vũng Tàu) and 01.
    for (agency, base) in [("79", 100.0), ("74", 10.0), ("77", 1.0), ("01", 1000.0)] {
        for (month, factor) in [("202410", 1.0), ("202411", 2.0), ("202412", 3.0)] {
            values.push(value("KT04", agency, month, &[], base * factor));
        }
        values.push(value("KT07", agency, "202412", &[], 103.0));
    }
    // After: the new 79 and 01.
    values.push(value("KT04", "79", "202510", &[], 500.0));
    values.push(value("KT04", "01", "202510", &[], 700.0));
    app.db
        .store
        .upsert_values(&values, "2026-11-26T08:00:00Z")
        .await
        .unwrap();
    let admin = app.login("admin").await;

    // A quarter over monthly data adds the months; the nation adds its provinces.
    assert_eq!(
        single(&analytics(&app, &admin, "indicator=KT04&agency=01&period=2024Q4").await),
        Some(6000.0)
    );
    assert_eq!(
        single(&analytics(&app, &admin, "indicator=KT04&agency=VN&period=2024Q4").await),
        Some(6000.0 + 666.0)
    );
    // Today's TP. Hồ Chí Minh carries its predecessors' 2024 series; 2024's hierarchy does not.
    assert_eq!(
        single(&analytics(&app, &admin, "indicator=KT04&agency=79&period=2024").await),
        Some(666.0)
    );
    assert_eq!(
        single(
            &analytics(
                &app,
                &admin,
                "indicator=KT04&agency=79&period=2024&as_of=2024-12-31"
            )
            .await
        ),
        Some(600.0)
    );
    assert_eq!(
        single(
            &analytics(
                &app,
                &admin,
                "indicator=KT04&agency=74&period=2024&as_of=2024-12-31"
            )
            .await
        ),
        Some(60.0)
    );
    assert_eq!(
        single(&analytics(&app, &admin, "indicator=KT04&agency=79&period=2025").await),
        Some(500.0)
    );

    let provinces = analytics(
        &app,
        &admin,
        "indicator=KT04&agency=VN&level=province&period=2024Q4",
    )
    .await;
    assert_eq!(
        provinces.len(),
        34,
        "every province of today, with null where nothing was reported"
    );
    let reported: Vec<(&str, f64)> = provinces
        .iter()
        .filter_map(|r| Some((r["agency"].as_str()?, r["value"].as_f64()?)))
        .collect();
    assert_eq!(reported, [("01", 6000.0), ("79", 666.0)]);
    let old = analytics(
        &app,
        &admin,
        "indicator=KT04&agency=VN&level=province&period=2024Q4&as_of=2024-12-31",
    )
    .await;
    assert_eq!(old.len(), 63);

    // CPI is never aggregated: the nation has no CPI unless reported for it.
    assert_eq!(
        single(&analytics(&app, &admin, "indicator=KT07&agency=VN&period=202412").await),
        None
    );
    assert_eq!(
        single(&analytics(&app, &admin, "indicator=KT07&agency=01&period=202412").await),
        Some(103.0)
    );
    assert_eq!(
        single(&analytics(&app, &admin, "indicator=KT07&agency=01&period=2024Q4").await),
        None
    );

    // Repeated parameters, several indicators and periods.
    let many = analytics(
        &app,
        &admin,
        "indicator=KT04&indicator=KT07&agency=01&period=202410&period=202412",
    )
    .await;
    assert_eq!(many.len(), 4);
    let posted = app
        .call(
            Method::POST,
            "/api/v1/analytics",
            Some(&admin),
            Some(&json!({"indicator": ["KT04"], "agency": "01", "period": ["2024Q4"]})),
        )
        .await;
    assert_eq!(
        single(posted.json()["rows"].as_array().unwrap()),
        Some(6000.0)
    );
}

async fn disaggregations_split_without_double_counting(app: TestApp) {
    let values = [
        value("XH01", "01", "2025", &[], 9.0),
        value("XH01", "01", "2025", &[("sex", "male")], 4.0),
        value("XH01", "01", "2025", &[("sex", "female")], 5.0),
        value("XH01", "79", "2025", &[("sex", "male")], 2.0),
        value("XH01", "79", "2025", &[("sex", "female")], 3.0),
    ];
    let admin = app.login("admin").await;
    let known = app
        .db
        .store
        .indicator(&IndicatorCode::new("XH01").unwrap())
        .await
        .unwrap()
        .unwrap();
    if !known.disaggregation.contains(&"sex".to_string()) {
        // The catalogue decides which indicators are split by sex; pick one that is.
        panic!(
            "XH01 should be disaggregated by sex in the demo catalogue: {:?}",
            known.disaggregation
        );
    }
    app.db
        .store
        .upsert_values(&values, "2026-11-26T08:00:00Z")
        .await
        .unwrap();
    assert_eq!(
        single(&analytics(&app, &admin, "indicator=XH01&agency=VN&period=2025").await),
        Some(14.0)
    );
    let split = analytics(
        &app,
        &admin,
        "indicator=XH01&agency=VN&period=2025&disaggregate=sex",
    )
    .await;
    let pairs: Vec<(String, f64)> = split
        .iter()
        .map(|r| {
            (
                r["options"]["sex"].as_str().unwrap().to_string(),
                r["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [("female".to_string(), 8.0), ("male".to_string(), 6.0)]
    );
}

async fn bad_questions_get_clear_errors(app: TestApp) {
    let admin = app.login("admin").await;
    for (query, code) in [
        ("indicator=KT04&period=2026Q5", "invalid_period"),
        ("indicator=NOPE&period=2026", "not_found"),
        ("period=2026", "invalid_query"),
        ("indicator=KT04&period=2026&level=galaxy", "invalid_level"),
        ("indicator=KT04&period=2026&as_of=yesterday", "invalid_date"),
        ("indicator=KT04&period=2026&agency=74", "not_found"),
        ("indicator=KT04&period=2026&colour=red", "invalid_query"),
    ] {
        let answer = app.get(&format!("/api/v1/analytics?{query}"), &admin).await;
        assert_eq!(
            answer.json()["error"]["code"],
            code,
            "{query}: {}",
            answer.text
        );
        assert!(answer.status.is_client_error());
    }
    // A province's reporter reads its own province, not the nation.
    let hanoi = app.login("hanoi").await;
    assert_eq!(
        app.get(
            "/api/v1/analytics?indicator=KT04&period=2026&agency=01",
            &hanoi
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(
            "/api/v1/analytics?indicator=KT04&period=2026&agency=VN",
            &hanoi
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

async fn an_accepted_report_is_in_the_national_figure_at_once(app: TestApp) {
    let (hanoi, lead, vpcp, admin) = (
        app.login("hanoi").await,
        app.login("hanoi-lead").await,
        app.login("vpcp").await,
        app.login("admin").await,
    );
    let slot = "/api/v1/reports/BC-KTXH-T/01/202610";
    let national = "indicator=KT04&agency=VN&period=202610";
    assert_eq!(single(&analytics(&app, &admin, national).await), None);
    let cells = json!([{"form": "Biểu 01/KTXH-T", "row": "KT04", "column": "this_period", "options": {}, "value": "77777.5"}]);
    let saved = app
        .call(
            Method::PUT,
            &format!("{slot}/draft"),
            Some(&hanoi),
            Some(&json!({"version": 0, "values": cells})),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert_eq!(
        app.call(
            Method::POST,
            &format!("{slot}/submit"),
            Some(&lead),
            Some(&json!({}))
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        single(&analytics(&app, &admin, national).await),
        None,
        "submitted is not yet accepted"
    );
    assert_eq!(
        app.call(
            Method::POST,
            &format!("{slot}/accept"),
            Some(&vpcp),
            Some(&json!({}))
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        single(&analytics(&app, &admin, national).await),
        Some(77777.5)
    );
    assert_eq!(
        single(&analytics(&app, &admin, "indicator=KT04&agency=VN&period=2026").await),
        Some(77777.5)
    );
    let reopened = app
        .call(
            Method::POST,
            &format!("{slot}/reopen"),
            Some(&vpcp),
            Some(&json!({"reason": "Kiểm tra lại"})),
        )
        .await;
    assert_eq!(reopened.status, StatusCode::OK, "{}", reopened.text);
    assert_eq!(
        single(&analytics(&app, &admin, national).await),
        None,
        "a reopened report leaves the aggregates"
    );
}

async fn every_value_streams_out_as_csv_page_by_page(app: TestApp) {
    // 34 provinces × 24 months × 18 indicators = 14,688 rows: three pages of 5,000.
    let provinces = [
        "01", "04", "08", "11", "12", "14", "15", "19", "20", "22", "24", "25", "31", "33", "37",
        "38", "40", "42", "44", "46", "48", "51", "52", "56", "66", "68", "75", "79", "80", "82",
        "86", "91", "92", "96",
    ];
    let mut values = Vec::new();
    let numeric: Vec<String> = app
        .db
        .store
        .indicators(None)
        .await
        .unwrap()
        .iter()
        .filter(|i| i.value_type().is_numeric())
        .take(18)
        .map(|i| i.code().to_string())
        .collect();
    assert_eq!(numeric.len(), 18);
    let mut period = PeriodId::parse("202507").unwrap();
    for _ in 0..24 {
        for agency in provinces {
            for indicator in &numeric {
                values.push(value(indicator, agency, &period.to_string(), &[], 1234.5));
            }
        }
        period = period.next();
    }
    app.db
        .store
        .upsert_values(&values, "2026-11-26T08:00:00Z")
        .await
        .unwrap();
    let admin = app.login("admin").await;
    let answer = app
        .get("/api/v1/data-values.csv?from=202507&to=202706", &admin)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["content-type"], "text/csv; charset=utf-8");
    let lines: Vec<&str> = answer.text.lines().collect();
    assert_eq!(
        lines[0],
        "agency,period,indicator,options,source,value,updated_at"
    );
    assert_eq!(
        lines.len() - 1,
        values.len(),
        "every value exactly once across the pages"
    );
    let mut keys: Vec<&str> = lines[1..]
        .iter()
        .map(|l| &l[..l.find(",regime").unwrap()])
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), values.len());
    assert!(lines.contains(&"01,202507,KT04,,regime:BC-KTXH-T,1234.5,2026-11-26T08:00:00Z"));
    let one = app
        .get("/api/v1/data-values.csv?indicator=KT04&from=2025Q3", &admin)
        .await;
    assert_eq!(one.text.lines().count() - 1, 34 * 3);
    let bad = app.get("/api/v1/data-values.csv?from=2025Q5", &admin).await;
    assert_eq!(
        (bad.status, bad.json()["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_period"))
    );
    let hanoi = app.login("hanoi").await;
    assert_eq!(
        app.get("/api/v1/data-values.csv?from=2025", &hanoi)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

/// Saves a regime's amended draft.
async fn save_draft(app: &TestApp, token: &str, code: &str, regime: &Value) {
    let saved = app
        .call(
            Method::PUT,
            &format!("/api/v1/regimes/{code}/draft"),
            Some(token),
            Some(regime),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
}

/// Publishes a regime's draft from `effective_from`.
async fn publish(app: &TestApp, token: &str, code: &str, effective_from: &str) {
    let published = app
        .call(
            Method::POST,
            &format!("/api/v1/regimes/{code}/publish"),
            Some(token),
            Some(&json!({"effective_from": effective_from})),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text);
}

async fn a_derived_indicator_is_a_ratio_of_aggregates(app: TestApp) {
    // XH04 = 100 * [XH05] / [XH06] (BC-DSHN-N): poor households per hundred households.
    let values = [
        value("XH05", "01", "2025", &[], 50.0),
        value("XH06", "01", "2025", &[], 1000.0),
        value("XH05", "79", "2025", &[], 30.0),
        value("XH06", "79", "2025", &[], 3000.0),
        value("XH06", "04", "2025", &[], 500.0),
    ];
    app.db
        .store
        .upsert_values(&values, "2026-11-26T08:00:00Z")
        .await
        .unwrap();
    let admin = app.login("admin").await;
    assert_eq!(
        single(&analytics(&app, &admin, "indicator=XH04&agency=01&period=2025").await),
        Some(5.0)
    );
    assert_eq!(
        single(&analytics(&app, &admin, "indicator=XH04&agency=79&period=2025").await),
        Some(1.0)
    );
    // The nation: 100 × 80 / 4,500 — the ratio of the sums, not the average of the ratios.
    let nation =
        single(&analytics(&app, &admin, "indicator=XH04&agency=VN&period=2025").await).unwrap();
    assert!((nation - 100.0 * 80.0 / 4500.0).abs() < 1e-9, "{nation}");
    // A province with households but no count of the poor has no rate, not a zero.
    assert_eq!(
        single(&analytics(&app, &admin, "indicator=XH04&agency=04&period=2025").await),
        None
    );

    // The regimes read for their formulas are kept between questions, until a regime changes:
    // a new formula answers at once.
    let mut regime = app.get("/api/v1/regimes/BC-DSHN-N", &admin).await.json();
    let derived = regime["derived"].as_array_mut().unwrap();
    let xh04 = derived.iter_mut().find(|d| d["code"] == "XH04").unwrap();
    xh04["formula"] = serde_json::json!("1000 * [XH05] / [XH06]");
    save_draft(&app, &admin, "BC-DSHN-N", &regime).await;
    // A draft amendment does not replace the version in force…
    assert_eq!(
        single(&analytics(&app, &admin, "indicator=XH04&agency=01&period=2025").await),
        Some(5.0)
    );
    publish(&app, &admin, "BC-DSHN-N", "2026-12-01").await;
    // …its publication does.
    assert_eq!(
        single(&analytics(&app, &admin, "indicator=XH04&agency=01&period=2025").await),
        Some(50.0)
    );

    // Computed for each reporting agency, then added: a sum of ratios (01: 50, 79: 10; 04
    // has no count of the poor and adds nothing).
    let mut regime = app.get("/api/v1/regimes/BC-DSHN-N", &admin).await.json();
    let derived = regime["derived"].as_array_mut().unwrap();
    let xh04 = derived.iter_mut().find(|d| d["code"] == "XH04").unwrap();
    assert_eq!(
        xh04.get("order"),
        None,
        "the default order is not written out"
    );
    xh04["order"] = serde_json::json!("compute_then_add");
    save_draft(&app, &admin, "BC-DSHN-N", &regime).await;
    publish(&app, &admin, "BC-DSHN-N", "2026-12-02").await;
    assert_eq!(
        single(&analytics(&app, &admin, "indicator=XH04&agency=VN&period=2025").await),
        Some(60.0)
    );
    assert_eq!(
        single(&analytics(&app, &admin, "indicator=XH04&agency=01&period=2025").await),
        Some(50.0)
    );
    assert_eq!(
        single(&analytics(&app, &admin, "indicator=XH04&agency=04&period=2025").await),
        None
    );
}

async fn a_compiled_total_that_differs_from_the_provinces_is_listed(app: TestApp) {
    app.db
        .store
        .upsert_values(
            &[
                value("KT04", "VN", "202605", &[], 1000.0),
                value("KT04", "01", "202605", &[], 100.0),
                value("KT04", "79", "202605", &[], 10.0),
                value("KT07", "VN", "202605", &[], 104.0),
                value("KT07", "01", "202605", &[], 103.0),
            ],
            "2026-11-26T08:00:00Z",
        )
        .await
        .unwrap();
    let admin = app.login("admin").await;
    // The national report's total is the national figure…
    assert_eq!(
        single(&analytics(&app, &admin, "indicator=KT04&agency=VN&period=202605").await),
        Some(1000.0)
    );
    // …and its difference from the provinces' sum is listed.
    let answer = app
        .get(
            "/api/v1/analytics/discrepancies?indicator=KT04&indicator=KT07&agency=VN&period=202605",
            &admin,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let found = answer.json()["discrepancies"].as_array().cloned().unwrap();
    assert_eq!(found.len(), 1, "an index is never summed: {found:?}");
    assert_eq!(found[0]["agency"], "VN");
    assert_eq!(found[0]["reported"], 1000.0);
    assert_eq!(found[0]["subordinates"], 110.0);
    assert_eq!(found[0]["difference"], 890.0);
    // A province's reader sees none of the nation's.
    let hanoi = app.login("hanoi-lead").await;
    let own = app
        .get(
            "/api/v1/analytics/discrepancies?indicator=KT04&agency=01&period=202605",
            &hanoi,
        )
        .await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.json()["discrepancies"].as_array().unwrap().is_empty());
}

/// Communes' values summed per province in the database (roll-ups) answer what every value
/// answers: where a province's communes report plainly its sums stand in, where a cell has
/// two sources or the province sends a compiled total they do not — and the answers are the
/// sums this test computes from the values it wrote, before and after a change, and after the
/// answers kept in memory are forgotten (as after a restart).
async fn province_figures_from_roll_ups_are_the_communes_sums(app: TestApp) {
    let store = &app.db.store;
    let today = jiff::civil::date(2026, 11, 26);
    let communes_of = |province: &'static str| async move {
        let filter = baocao_store::agencies::AgencyFilter {
            parent: Some(baocao_domain::agency::AgencyCode::new(province).unwrap()),
            ..Default::default()
        };
        let found = store.agencies_as_of(today, &filter).await.unwrap();
        found
            .into_iter()
            .map(|a| a.code.to_string())
            .take(6)
            .collect::<Vec<_>>()
    };
    let (hanoi, saigon, danang) = (
        communes_of("01").await,
        communes_of("79").await,
        communes_of("48").await,
    );
    assert!(hanoi.len() == 6 && saigon.len() == 6 && danang.len() == 6);
    let months = ["202601", "202602", "202603"];
    let mut values = Vec::new();
    let mut expected: std::collections::BTreeMap<String, f64> = Default::default();
    let mut by_commune: std::collections::BTreeMap<String, f64> = Default::default();
    for (province, communes, base) in [
        ("01", &hanoi, 1.0),
        ("79", &saigon, 100.0),
        ("48", &danang, 10_000.0),
    ] {
        for (c, commune) in communes.iter().enumerate() {
            for (m, month) in months.iter().enumerate() {
                let number = base * (1 + c + 10 * m) as f64;
                values.push(value("KT04", commune, month, &[], number));
                *expected.entry(province.to_string()).or_default() += number;
                *by_commune.entry(commune.clone()).or_default() += number;
            }
        }
    }
    // A second source for one of TP. Hồ Chí Minh's cells: the report's number still counts.
    let mut imported = value("KT04", &saigon[0], "202601", &[], 5.0);
    imported.source = "import:so-lieu".into();
    values.push(imported);
    // Đà Nẵng sends a compiled total of its own: it stands for its communes.
    values.push(value("KT04", "48", "202602", &[], 7.0));
    values.push(value("KT04", "48", "202601", &[], 3.0));
    values.push(value("KT04", "48", "202603", &[], 2.0));
    expected.insert("48".into(), 12.0);
    store
        .upsert_values(&values, "2026-11-26T08:00:00Z")
        .await
        .unwrap();
    // The background upkeep sums every period on its first round, before anyone asks.
    let mut upkeep = baocao_service::rollups::UpkeepState::default();
    let first = baocao_service::rollups::upkeep(&app.state, &mut upkeep)
        .await
        .unwrap();
    assert!(first.rebuilt >= 3, "{first:?}");
    let admin = app.login("admin").await;
    let by_province = "indicator=KT04&agency=VN&level=province&period=2026Q1";
    let figures = |rows: Vec<Value>| {
        rows.into_iter()
            .filter_map(|r| Some((r["agency"].as_str()?.to_string(), r["value"].as_f64()?)))
            .collect::<std::collections::BTreeMap<String, f64>>()
    };
    let answered = figures(analytics(&app, &admin, by_province).await);
    for (province, sum) in &expected {
        assert_eq!(
            answered.get(province),
            Some(sum),
            "{province}: {answered:?}"
        );
    }
    let national: f64 = answered.values().sum();
    assert_eq!(
        single(&analytics(&app, &admin, "indicator=KT04&agency=VN&period=2026Q1").await),
        Some(national)
    );
    // The communes' own figures, from their values.
    let communes = figures(
        analytics(
            &app,
            &admin,
            "indicator=KT04&agency=01&level=commune&period=2026Q1",
        )
        .await,
    );
    for commune in &hanoi {
        assert_eq!(communes.get(commune), by_commune.get(commune), "{commune}");
    }
    // The sums were kept in the database, one per month, under today's hierarchy.
    let edition = store.hierarchy_edition(today).await.unwrap();
    let kt04 = IndicatorCode::new("KT04").unwrap();
    let quarter = PeriodId::parse("2026Q1").unwrap();
    let builds = store
        .rollup_builds(edition, &kt04, quarter.start(), quarter.end())
        .await
        .unwrap();
    assert_eq!(builds.len(), 3, "{builds:?}");
    let cells = store
        .rollup_cells(edition, &kt04, quarter.start(), quarter.end())
        .await
        .unwrap();
    assert!(
        cells
            .iter()
            .any(|c| c.kind == baocao_domain::rollup::RollupKind::Collected && c.values == 6)
    );

    // A changed number is in the next answer; forgotten answers come back the same.
    store
        .upsert_values(
            &[value("KT04", &hanoi[0], "202603", &[], 1000.0)],
            "2026-11-26T09:00:00Z",
        )
        .await
        .unwrap();
    // The upkeep sees the change, then sums the period once it stays quiet for a round.
    let seen = baocao_service::rollups::upkeep(&app.state, &mut upkeep)
        .await
        .unwrap();
    assert_eq!((seen.changed, seen.rebuilt), (1, 0));
    let quiet = baocao_service::rollups::upkeep(&app.state, &mut upkeep)
        .await
        .unwrap();
    assert_eq!((quiet.changed, quiet.rebuilt), (0, 1));
    let hanoi_now = expected["01"] - 21.0 + 1000.0;
    let changed = figures(analytics(&app, &admin, by_province).await);
    assert_eq!(changed.get("01"), Some(&hanoi_now));
    app.state.aggregates.forget_answers();
    assert_eq!(figures(analytics(&app, &admin, by_province).await), changed);

    // A second server on the same database, with a memory of its own, sees the first one's
    // writes on its next question.
    let second = baocao_service::Context::new(
        store.clone(),
        std::sync::Arc::new(baocao_web::FixedClock(baocao_test_support::test_now())),
    );
    let hanoi_on_second = || async {
        let query = baocao_service::analytics::AnalyticsQuery::from_pairs(vec![
            ("indicator".into(), "KT04".into()),
            ("agency".into(), "01".into()),
            ("period".into(), "2026Q1".into()),
        ])
        .unwrap();
        let plan = baocao_service::analytics::plan(&second, None, query)
            .await
            .unwrap();
        plan.rows(&second).await.unwrap()[0].value
    };
    assert_eq!(hanoi_on_second().await, Some(hanoi_now));
    store
        .upsert_values(
            &[value("KT04", &hanoi[0], "202603", &[], 2000.0)],
            "2026-11-26T10:00:00Z",
        )
        .await
        .unwrap();
    assert_eq!(hanoi_on_second().await, Some(hanoi_now + 1000.0));
}

app_tests!(
    province_figures_from_roll_ups_are_the_communes_sums,
    a_compiled_total_that_differs_from_the_provinces_is_listed,
    a_derived_indicator_is_a_ratio_of_aggregates,
    every_value_streams_out_as_csv_page_by_page,
    sums_follow_the_hierarchy_and_time_and_the_merger,
    disaggregations_split_without_double_counting,
    bad_questions_get_clear_errors,
    an_accepted_report_is_in_the_national_figure_at_once,
);
