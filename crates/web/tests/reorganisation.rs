//! Reorganisations over the API: a merger recorded on its date ends the merged provinces, forms
//! the new one, moves their communes, assignments, users and open drafts, and their data
//! continues under the successor — on SQLite and PostgreSQL, with the clock at 2026-11-26.

use axum::http::{Method, StatusCode};
use baocao_test_support::{TestApp, app_tests};
use serde_json::{Value, json};

fn codes(answer: &Value) -> Vec<String> {
    answer["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["code"].as_str().unwrap().to_string())
        .collect()
}

fn usernames(answer: &Value) -> Vec<String> {
    answer["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_string())
        .collect()
}

/// Huế (46) and Đà Nẵng (48) merge into a new Đà Nẵng (48) on 1 November 2026.
fn merger() -> Value {
    json!({"event": "merge", "date": "2026-11-01", "predecessors": ["46", "48"],
           "successor": {"code": "48", "name_vi": "Thành phố Đà Nẵng", "name_en": "Da Nang City",
                         "kind": "city", "parent": "VN"}})
}

async fn value(app: &TestApp, token: &str, query: &str) -> f64 {
    let answer = app.get(&format!("/api/v1/analytics?{query}"), token).await;
    assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.text);
    answer.json()["rows"][0]["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("a value for {query}: {}", answer.text))
}

async fn a_merger_moves_the_hierarchy_the_work_and_the_series(app: TestApp) {
    let admin = app.login("admin").await;
    let hue_staff = usernames(
        &app.get("/api/v1/agencies/46/users?limit=1000", &admin)
            .await
            .json(),
    );
    assert!(!hue_staff.is_empty());

    let hue_communes = codes(
        &app.get(
            "/api/v1/agencies?as_of=2026-10-31&parent=46&level=commune&limit=10000",
            &admin,
        )
        .await
        .json(),
    );
    assert!(!hue_communes.is_empty());
    // Accepted numbers of both provinces in 2025.
    let number = |agency: &str, period: &str, number: f64| baocao_domain::value::DataValue {
        indicator: baocao_domain::indicator::IndicatorCode::new("KT04").unwrap(),
        options: baocao_domain::value::OptionCombo::TOTAL,
        agency: baocao_domain::agency::AgencyCode::new(agency).unwrap(),
        period: baocao_domain::period::PeriodId::parse(period).unwrap(),
        value: baocao_domain::value::Value::Number(number),
        channel: baocao_domain::value::Channel::Web,
        source: "regime:BC-KTXH-T".into(),
    };
    app.db
        .store
        .upsert_values(
            &[
                number("46", "202503", 100.0),
                number("46", "202510", 200.0),
                number("48", "202503", 1000.0),
                number("48", "202510", 2000.0),
            ],
            "2026-11-26T08:00:00Z",
        )
        .await
        .unwrap();
    let before_2025 = value(
        &app,
        &admin,
        "indicator=KT04&agency=46&period=2025&as_of=2025-12-31",
    )
    .await
        + value(
            &app,
            &admin,
            "indicator=KT04&agency=48&period=2025&as_of=2025-12-31",
        )
        .await;
    assert_eq!(before_2025, 3300.0);

    // Huế's reporter starts the November report before the event is recorded.
    let reporter = hue_staff.iter().find(|u| !u.ends_with("-lead")).unwrap();
    let token = app.login(reporter).await;
    let draft = json!({"version": 0, "values": [{"form": "Biểu 01/KTXH-T", "row": "KT04", "column": "this_period", "options": {}, "value": "4321"}]});
    let saved = app
        .call(
            Method::PUT,
            "/api/v1/reports/BC-KTXH-T/46/202611/draft",
            Some(&token),
            Some(&draft),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);

    // Only an administrator records events; a dry run changes nothing.
    let refused = app
        .call(
            Method::POST,
            "/api/v1/agencies/events",
            Some(&token),
            Some(&merger()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let dry = app
        .call(
            Method::POST,
            "/api/v1/agencies/events?dry_run=true",
            Some(&admin),
            Some(&merger()),
        )
        .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.text);
    assert_eq!(dry.json()["plan"]["ended"], json!(["46", "48"]));
    assert!(
        codes(
            &app.get(
                "/api/v1/agencies?as_of=2026-11-01&level=province&limit=100",
                &admin
            )
            .await
            .json()
        )
        .contains(&"46".to_string()),
        "a dry run changes nothing"
    );

    let recorded = app
        .call(
            Method::POST,
            "/api/v1/agencies/events",
            Some(&admin),
            Some(&merger()),
        )
        .await;
    assert_eq!(recorded.status, StatusCode::CREATED, "{}", recorded.text);
    let outcome = recorded.json()["outcome"].clone();
    assert_eq!(outcome["agencies_ended"], 2);
    assert_eq!(outcome["agencies_created"], 1);
    assert_eq!(outcome["drafts_moved"], 1);
    assert!(outcome["users_moved"].as_u64().unwrap() >= hue_staff.len() as u64);
    assert!(outcome["assignments_created"].as_u64().unwrap() > 0);

    // The tree: 34 provinces the day before, 33 on the day; Huế's communes under Đà Nẵng.
    let provinces = |date: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            codes(
                &app.get(
                    &format!("/api/v1/agencies?as_of={date}&level=province&limit=100"),
                    &admin,
                )
                .await
                .json(),
            )
        }
    };
    let (before, after) = (provinces("2026-10-31").await, provinces("2026-11-01").await);
    assert_eq!((before.len(), after.len()), (34, 33));
    assert!(before.contains(&"46".to_string()) && !after.contains(&"46".to_string()));
    let under_da_nang = codes(
        &app.get(
            "/api/v1/agencies?as_of=2026-11-01&parent=48&level=commune&limit=10000",
            &admin,
        )
        .await
        .json(),
    );
    assert!(hue_communes.iter().all(|c| under_da_nang.contains(c)));

    // The people and the draft moved to the successor, with the numbers typed.
    let moved = usernames(
        &app.get("/api/v1/agencies/48/users?limit=1000", &admin)
            .await
            .json(),
    );
    assert!(hue_staff.iter().all(|u| moved.contains(u)), "{moved:?}");
    let token = app.login(reporter).await;
    let slot = app.get("/api/v1/reports/BC-KTXH-T/48/202611", &token).await;
    assert_eq!(slot.status, StatusCode::OK, "{}", slot.text);
    assert!(
        slot.json()["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["row"] == "KT04" && v["value"] == "4321")
    );

    // The series continues: the new Đà Nẵng's 2025 is the sum of its predecessors'.
    let merged = value(
        &app,
        &admin,
        "indicator=KT04&agency=48&period=2025&as_of=2026-11-01",
    )
    .await;
    assert!(
        (merged - before_2025).abs() < 1e-6 * before_2025.max(1.0),
        "{merged} vs {before_2025}"
    );

    // Compliance: Huế was expected for October, not for November.
    let compliance = app
        .get(
            "/api/v1/compliance?regime=BC-KTXH-T&from=202610&to=202611",
            &admin,
        )
        .await
        .json();
    let hue = compliance["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["agency"] == "46")
        .expect("Huế is expected for October");
    assert_eq!(
        hue["periods"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["202610"]
    );

    // The event is on record; the same merger cannot happen twice.
    let events = app.get("/api/v1/agencies/events", &admin).await.json();
    assert_eq!(events["items"][0]["kind"], "merge");
    assert_eq!(events["items"][0]["outcome"]["drafts_moved"], 1);
    let again = app
        .call(
            Method::POST,
            "/api/v1/agencies/events",
            Some(&admin),
            Some(&merger()),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.json()["error"]["code"], "invalid_event");
}

async fn renames_reparents_and_bad_events(app: TestApp) {
    let admin = app.login("admin").await;
    let rename = json!({"event": "rename", "date": "2027-01-01", "code": "01",
                        "name_vi": "Thủ đô Hà Nội", "name_en": "Hanoi Capital"});
    let answer = app
        .call(
            Method::POST,
            "/api/v1/agencies/events",
            Some(&admin),
            Some(&rename),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let name_on = |date: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.get(&format!("/api/v1/agencies/01?as_of={date}"), &admin)
                .await
                .json()["name_vi"]
                .clone()
        }
    };
    assert_eq!(name_on("2026-12-31").await, "Thành phố Hà Nội");
    assert_eq!(name_on("2027-01-01").await, "Thủ đô Hà Nội");

    for (event, status, code) in [
        (
            json!({"event": "merge", "date": "2027-01-01", "predecessors": ["46"], "successor": {"code": "49", "name_vi": "X", "kind": "city"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_event",
        ),
        (
            json!({"event": "dissolve", "date": "2027-01-01", "code": "99"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_event",
        ),
        (
            json!({"event": "dissolve", "date": "2027-01-01", "code": "46"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_event",
        ),
        (
            json!({"event": "teleport", "date": "2027-01-01"}),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
    ] {
        let answer = app
            .call(
                Method::POST,
                "/api/v1/agencies/events",
                Some(&admin),
                Some(&event),
            )
            .await;
        assert_eq!(answer.status, status, "{event}: {}", answer.text);
        let body = answer.json();
        assert_eq!(body["error"]["code"], code);
        assert!(!body["error"]["message"].as_str().unwrap_or("").is_empty());
    }
    // Nothing of the refused events was recorded.
    let events = app.get("/api/v1/agencies/events", &admin).await.json();
    assert_eq!(events["items"].as_array().unwrap().len(), 1);
}

app_tests!(
    a_merger_moves_the_hierarchy_the_work_and_the_series,
    renames_reparents_and_bad_events,
);
