//! Operations (issue 24, item 3): readiness at `/readyz` (the database answers and carries
//! this build's schema) and Prometheus metrics at `/metrics` behind a token — on SQLite and
//! PostgreSQL. Where the peer clients are installed (`BAOCAO_PEER_PYTHON`), the metrics are
//! read with Prometheus's own Python client's text-format parsers.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use baocao_test_support::app::test_now;
use baocao_test_support::{Answer, TestApp, app_tests};
use baocao_web::{AppState, FixedClock, WebConfig};

async fn readiness_follows_the_database_and_its_schema(app: TestApp) {
    let ready = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
    assert_eq!(ready.json()["status"], "ready");
    // A migration of this build not applied yet (as during an upgrade): not ready.
    app.db
        .raw_execute("DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)")
        .await;
    let pending = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(pending.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(pending.json()["error"]["code"], "not_ready");
    assert!(pending.headers.contains_key(header::RETRY_AFTER));
    // Liveness is another question: the server still serves.
    let alive = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(alive.status, StatusCode::OK);
}

async fn send(router: &axum::Router, path: &str, authorization: Option<&str>) -> Answer {
    send_body(router, Method::GET, path, authorization, None).await
}

async fn send_body(
    router: &axum::Router,
    method: Method,
    path: &str,
    authorization: Option<&str>,
    json: Option<&serde_json::Value>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    let body = match json {
        Some(json) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    let response = tower::ServiceExt::oneshot(router.clone(), request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
        bytes: bytes.to_vec(),
    }
}

async fn metrics_count_requests_by_route_for_whoever_holds_the_token(app: TestApp) {
    let hidden = app.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(
        hidden.status,
        StatusCode::NOT_FOUND,
        "no token set: not served"
    );

    let state = AppState::new(
        app.state.store.clone(),
        Arc::new(FixedClock(test_now())),
        WebConfig {
            metrics_token: Some("scrape-me".into()),
            ..WebConfig::default()
        },
    );
    let router = baocao_web::router(state);
    let token = app.login("hanoi").await;
    let bearer = format!("Bearer {token}");
    for _ in 0..2 {
        assert_eq!(send(&router, "/healthz", None).await.status, StatusCode::OK);
    }
    for period in ["2026Q3", "2026Q2"] {
        let path = format!("/api/v1/reports/BC-KSTTHC-Q/01/{period}");
        assert_eq!(
            send(&router, &path, Some(&bearer)).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        send(&router, "/api/v1/regimes/NOPE", Some(&bearer))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A push: its values counted by outcome, the push by status.
    let pushed = send_body(
        &router,
        Method::POST,
        "/api/dataValueSets",
        Some(&bearer),
        Some(&serde_json::json!({
            "dataSet": "BC-KTXH-T", "period": "202611", "orgUnit": "01",
            "dataValues": [{"dataElement": "KT09", "value": "37000.1"}, {"dataElement": "KT03", "value": "12"}],
        })),
    )
    .await;
    assert_eq!(pushed.status, StatusCode::OK, "{}", pushed.text);
    // The same analytics question twice: a miss, then a hit.
    for _ in 0..2 {
        let asked = send(
            &router,
            "/api/v1/analytics?indicator=KT04&period=2026&agency=01",
            Some(&bearer),
        )
        .await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.text);
    }
    // A connector run from the API is counted as one on schedule is (its peer is down here:
    // a failed run).
    let admin = format!("Bearer {}", app.login("admin").await);
    let spec = serde_json::json!({
        "name": "Nguồn đã tắt",
        "url": "http://127.0.0.1:9/off",
        "format": "json",
        "every_minutes": 60,
        "mapping": {
            "indicator": {"field": "ma"}, "agency": {"field": "tinh"},
            "period": {"field": "ky"}, "value": {"field": "so"}
        }
    });
    let saved = send_body(
        &router,
        Method::PUT,
        "/api/v1/connectors/da-tat",
        Some(&admin),
        Some(&spec),
    )
    .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text);
    let ran = send_body(
        &router,
        Method::POST,
        "/api/v1/connectors/da-tat/run",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(ran.status, StatusCode::OK, "{}", ran.text);
    assert_eq!(ran.json()["succeeded"], false, "{}", ran.text);
    assert_eq!(
        send(&router, "/metrics", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&router, "/metrics", Some("Bearer guess")).await.status,
        StatusCode::UNAUTHORIZED
    );
    let scraped = send(&router, "/metrics", Some("Bearer scrape-me")).await;
    assert_eq!(scraped.status, StatusCode::OK);
    assert!(
        scraped.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = &scraped.text;
    assert!(
        text.contains(
            r#"baocao_http_requests_total{method="GET",route="/healthz",status="200"} 2"#
        ),
        "{text}"
    );
    // A report's address is counted under its route's pattern, not as a series of its own.
    assert!(
        text.contains(r#"baocao_http_requests_total{method="GET",route="/api/v1/reports/{regime}/{agency}/{period}",status="200"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"route="/api/v1/regimes/{code}",status="404"} 1"#),
        "{text}"
    );
    assert!(!text.contains("2026Q3"));
    assert!(text.contains("baocao_http_request_duration_seconds_bucket{"));
    assert!(text.contains(r#"baocao_database_connections{state="idle"}"#));
    assert!(text.contains("baocao_reminder_emails_sent_total 0"));
    let sample = |series: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{series} ")))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {series}: {text}"))
    };
    assert_eq!(
        sample(r#"baocao_import_values_total{outcome="imported"}"#)
            + sample(r#"baocao_import_values_total{outcome="updated"}"#),
        2
    );
    assert_eq!(sample(r#"baocao_imports_total{outcome="success"}"#), 1);
    assert_eq!(
        sample(r#"baocao_connector_runs_total{outcome="failed"}"#),
        1
    );
    assert_eq!(sample("baocao_write_queue_depth"), 0);
    assert!(sample(r#"baocao_analytics_cache_lookups{outcome="hit"}"#) >= 1);
    assert!(sample(r#"baocao_analytics_cache_lookups{outcome="miss"}"#) >= 1);
    assert!(text.trim_end().ends_with("# EOF"));

    let Some(python) = std::env::var_os("BAOCAO_PEER_PYTHON") else {
        assert!(
            std::env::var_os("BAOCAO_REQUIRE_PEERS").is_none(),
            "BAOCAO_REQUIRE_PEERS is set but BAOCAO_PEER_PYTHON names no Python"
        );
        return;
    };
    // Both of Prometheus's parsers read it: the classic text format and OpenMetrics.
    let script = r#"
import sys
from prometheus_client.parser import text_string_to_metric_families as classic
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
text = sys.stdin.read()
names = sorted({f.name for f in openmetrics(text)})
samples = {s.name for f in classic(text) for s in f.samples}
assert "baocao_http_requests_total" in samples, samples
print(",".join(names))
"#;
    let body = text.clone();
    let output = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = std::process::Command::new(python)
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run Python");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let families = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for family in [
        "baocao_http_requests",
        "baocao_http_request_duration_seconds",
        "baocao_database_connections",
        "baocao_import_values",
        "baocao_write_queue_depth",
    ] {
        assert!(
            families.split(',').any(|f| f.trim() == family),
            "{families}"
        );
    }
}

app_tests!(
    readiness_follows_the_database_and_its_schema,
    metrics_count_requests_by_route_for_whoever_holds_the_token,
);
