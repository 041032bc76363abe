//! Connectors pull from a peer system — here a fake one on 127.0.0.1 — on their schedule, map
//! its JSON or CSV records to indicators, agencies and periods, store the values as coming
//! from the connector, log every run, and back off after failures; on SQLite and PostgreSQL.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::{HeaderMap, Method, StatusCode};
use baocao_domain::agency::AgencyCode;
use baocao_domain::period::PeriodId;
use baocao_test_support::{TestApp, app_tests};
use serde_json::{Value, json};

/// The peer: `/json` wants a bearer token, `/csv` HTTP Basic, `/flaky` fails while its
/// counter lasts.
async fn peer(failures: Arc<AtomicUsize>) -> String {
    use axum::routing::get;
    let json_answer = |headers: HeaderMap| async move {
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer peer-secret")
        {
            return (StatusCode::UNAUTHORIZED, "no").into_response();
        }
        axum::Json(json!({"data": [
            {"chi_tieu": "BANLE", "tinh": "01", "ky": "202610", "so": 60123.4},
            {"chi_tieu": "BANLE", "tinh": "79", "ky": "202610", "so": "120456.5"},
            {"chi_tieu": "KHAC", "tinh": "01", "ky": "202610", "so": 1},
            {"chi_tieu": "BANLE", "tinh": "99", "ky": "202610", "so": 2},
        ]}))
        .into_response()
    };
    let csv_answer = |headers: HeaderMap| async move {
        // "peer:pass" in base64.
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Basic cGVlcjpwYXNz")
        {
            return (StatusCode::UNAUTHORIZED, "no").into_response();
        }
        "ma,tinh,quy,gioi,so\nXH03,01,2026Q3,Nam,1200\nXH03,01,2026Q3,Nu,1350\nXH03,01,2026Q3,X,5\n"
            .into_response()
    };
    let flaky = move || {
        let failures = failures.clone();
        async move {
            if failures
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response()
            } else {
                axum::Json(json!([{"ma": "KT04", "tinh": "01", "ky": "202609", "so": "1"}]))
                    .into_response()
            }
        }
    };
    use axum::response::IntoResponse;
    let router = axum::Router::new()
        .route("/json", get(json_answer))
        .route("/csv", get(csv_answer))
        .route("/flaky", get(flaky));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

fn json_connector(base: &str) -> Value {
    json!({
        "name": "Hệ thống thống kê thương mại",
        "url": format!("{base}/json"),
        "format": "json",
        "auth": {"kind": "bearer", "token": "peer-secret"},
        "every_minutes": 60,
        "mapping": {
            "records": "/data",
            "indicator": {"field": "chi_tieu", "codes": {"BANLE": "KT04"}},
            "agency": {"field": "tinh"},
            "period": {"field": "ky"},
            "value": {"field": "so"}
        }
    })
}

async fn stored(app: &TestApp, agency: &str, period: &str) -> Vec<(String, String, String)> {
    let mut values: Vec<(String, String, String)> = app
        .state
        .store
        .values_of(
            &AgencyCode::new(agency).unwrap(),
            PeriodId::parse(period).unwrap(),
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|v| v.source.starts_with("connector:"))
        .map(|v| {
            (
                format!(
                    "{}{}",
                    v.indicator,
                    if v.options.is_total() {
                        String::new()
                    } else {
                        format!("[{}]", v.options.key())
                    }
                ),
                serde_json::to_string(&v.value).unwrap(),
                v.source,
            )
        })
        .collect();
    values.sort();
    values
}

async fn a_connector_pulls_maps_and_logs_json_and_csv(app: TestApp) {
    let base = peer(Arc::new(AtomicUsize::new(0))).await;
    let admin = app.login("admin").await;
    let hanoi = app.login("hanoi").await;

    let refused = app
        .call(
            Method::PUT,
            "/api/v1/connectors/thuong-mai",
            Some(&hanoi),
            Some(&json_connector(&base)),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "only the system administrator"
    );
    let mut bad = json_connector(&base);
    bad["url"] = json!("ftp://peer");
    let invalid = app
        .call(
            Method::PUT,
            "/api/v1/connectors/thuong-mai",
            Some(&admin),
            Some(&bad),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid.json()["error"]["code"], "invalid_connector");
    bad["url"] = json!("http://[::1");
    let unreadable = app
        .call(
            Method::PUT,
            "/api/v1/connectors/thuong-mai",
            Some(&admin),
            Some(&bad),
        )
        .await;
    assert_eq!(
        unreadable.json()["error"]["code"],
        "invalid_connector",
        "{}",
        unreadable.text
    );

    let created = app
        .call(
            Method::PUT,
            "/api/v1/connectors/thuong-mai",
            Some(&admin),
            Some(&json_connector(&base)),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.json()["auth"], "bearer");
    assert!(
        !created.text.contains("peer-secret"),
        "credentials are never shown"
    );

    let run = app
        .call(
            Method::POST,
            "/api/v1/connectors/thuong-mai/run",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.text);
    let run = run.json();
    assert_eq!(run["succeeded"], true);
    assert_eq!(
        (
            run["fetched"].as_i64(),
            run["stored"].as_i64(),
            run["rejected"].as_i64()
        ),
        (Some(4), Some(2), Some(2))
    );
    let errors: Vec<Value> = serde_json::from_str(run["errors"].as_str().unwrap()).unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0]["message_en"].as_str().unwrap().contains("KHAC"),
        "{errors:?}"
    );
    assert!(
        errors[1]["message_en"]
            .as_str()
            .unwrap()
            .contains("no agency 99"),
        "{errors:?}"
    );
    assert_eq!(
        stored(&app, "01", "202610").await,
        [(
            "KT04".to_string(),
            "60123.4".to_string(),
            "connector:thuong-mai".to_string()
        )]
    );
    assert_eq!(stored(&app, "79", "202610").await[0].1, "120456.5");

    // Pulled again, the same records change nothing and add nothing.
    app.call(
        Method::POST,
        "/api/v1/connectors/thuong-mai/run",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(stored(&app, "01", "202610").await.len(), 1);
    let logged = app
        .get("/api/v1/connectors/thuong-mai", &admin)
        .await
        .json();
    assert_eq!(logged["runs"].as_array().unwrap().len(), 2);
    assert_eq!(logged["failures"], 0);

    // CSV with HTTP Basic, a disaggregation through a code list.
    let csv = json!({
        "name": "Hệ thống lao động",
        "url": format!("{base}/csv"),
        "format": "csv",
        "auth": {"kind": "basic", "username": "peer", "password": "pass"},
        "every_minutes": 1440,
        "mapping": {
            "indicator": {"field": "ma"},
            "agency": {"field": "tinh"},
            "period": {"field": "quy"},
            "value": {"field": "so"},
            "options": {"sex": {"field": "gioi", "codes": {"Nam": "male", "Nu": "female"}}}
        }
    });
    let saved = app
        .call(
            Method::PUT,
            "/api/v1/connectors/lao-dong",
            Some(&admin),
            Some(&csv),
        )
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text);
    let run = app
        .call(
            Method::POST,
            "/api/v1/connectors/lao-dong/run",
            Some(&admin),
            None,
        )
        .await
        .json();
    assert_eq!(
        (run["stored"].as_i64(), run["rejected"].as_i64()),
        (Some(2), Some(1)),
        "{run}"
    );
    let values = stored(&app, "01", "2026Q3").await;
    assert_eq!(
        values
            .iter()
            .map(|v| (v.0.as_str(), v.1.as_str()))
            .collect::<Vec<_>>(),
        [("XH03[sex=female]", "1350.0"), ("XH03[sex=male]", "1200.0")]
    );

    let list = app.get("/api/v1/connectors", &admin).await.json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let gone = app
        .call(
            Method::DELETE,
            "/api/v1/connectors/lao-dong",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let missing = app.get("/api/v1/connectors/lao-dong/runs", &admin).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

async fn a_failing_peer_is_retried_with_back_off_on_schedule(app: TestApp) {
    let failures = Arc::new(AtomicUsize::new(2));
    let base = peer(failures.clone()).await;
    let admin = app.login("admin").await;
    let spec = json!({
        "name": "Nguồn chập chờn",
        "url": format!("{base}/flaky"),
        "format": "json",
        "every_minutes": 60,
        "mapping": {
            "indicator": {"field": "ma"}, "agency": {"field": "tinh"},
            "period": {"field": "ky"}, "value": {"field": "so"}
        }
    });
    let saved = app
        .call(
            Method::PUT,
            "/api/v1/connectors/flaky",
            Some(&admin),
            Some(&spec),
        )
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text);

    // The scheduler at a given moment: a server whose clock says `at`.
    let at = |minutes: i64| {
        baocao_web::AppState::new(
            app.state.store.clone(),
            Arc::new(baocao_web::FixedClock(
                baocao_test_support::app::test_now() + jiff::SignedDuration::from_mins(minutes),
            )),
            baocao_web::WebConfig::default(),
        )
    };
    let first = baocao_web::connectors::run_due(&at(0)).await.unwrap();
    assert_eq!(first.len(), 1, "a new connector is due at once");
    assert!(!first[0].1.succeeded);
    assert!(first[0].1.message.contains("503"), "{}", first[0].1.message);
    // Failed once: the retry waits a minute, not the hour of the schedule.
    assert!(
        baocao_web::connectors::run_due(&at(0))
            .await
            .unwrap()
            .is_empty()
    );
    let second = baocao_web::connectors::run_due(&at(1)).await.unwrap();
    assert_eq!(
        (second.len(), second[0].1.attempt, second[0].1.succeeded),
        (1, 2, false)
    );
    // Failed twice: two minutes.
    assert!(
        baocao_web::connectors::run_due(&at(2))
            .await
            .unwrap()
            .is_empty()
    );
    let third = baocao_web::connectors::run_due(&at(3)).await.unwrap();
    assert_eq!(
        (third[0].1.attempt, third[0].1.succeeded, third[0].1.stored),
        (3, true, 1)
    );
    // Back on schedule: the next run an hour later.
    assert!(
        baocao_web::connectors::run_due(&at(62))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        baocao_web::connectors::run_due(&at(63))
            .await
            .unwrap()
            .len(),
        1
    );
    let runs = app
        .get("/api/v1/connectors/flaky/runs", &admin)
        .await
        .json();
    let outcomes: Vec<bool> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["succeeded"].as_bool().unwrap())
        .collect();
    assert_eq!(outcomes, [true, true, false, false], "newest first");
    assert_eq!(stored(&app, "01", "202609").await.len(), 1);
}

app_tests!(
    a_connector_pulls_maps_and_logs_json_and_csv,
    a_failing_peer_is_retried_with_back_off_on_schedule,
);
