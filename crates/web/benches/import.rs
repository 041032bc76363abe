//! Benchmark: bulk import of data values through the push API (`POST /api/dataValueSets`),
//! DHIS2 JSON and CSV, on SQLite and PostgreSQL, against the ceiling of the same number of rows
//! inserted raw with the same driver in the same run (one transaction, one prepared INSERT a
//! row). The payload: the commune regime (three indicators a commune) for every commune of a
//! month — 3,321 reports, 9,963 values. Run with `cargo bench -p baocao-web --bench import`.

use std::time::Instant;

use axum::http::{Method, StatusCode};
use baocao_test_support::{Backend, TestApp};
use serde_json::json;

async fn communes(app: &TestApp) -> Vec<String> {
    let spans = app
        .state
        .store
        .assignment_spans(&baocao_domain::regime::RegimeCode::new("BC-TTATGT-T").unwrap())
        .await
        .unwrap();
    let mut codes: Vec<String> = spans.into_iter().map(|s| s.agency).collect();
    codes.sort();
    codes.dedup();
    codes
}

async fn push(app: &TestApp, token: &str, content_type: &str, query: &str, body: String) -> f64 {
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri(format!("/api/dataValueSets{query}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(axum::body::Body::from(body))
        .unwrap();
    let start = Instant::now();
    let answer = app.send(request).await;
    let elapsed = start.elapsed().as_secs_f64();
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "{}",
        &answer.text[..answer.text.len().min(400)]
    );
    assert_eq!(answer.json()["status"], "SUCCESS");
    elapsed
}

async fn run(backend: Backend) {
    let Some(app) = TestApp::demo(backend).await else {
        println!("{}: not available", backend.name());
        return;
    };
    // The pushes need a body limit above axum's default: the whole country's month is ~1 MB.
    let admin = app.login("admin").await;
    let codes = communes(&app).await;
    let rows = ["XH11", "XH12", "XH13"];
    let values = codes.len() * rows.len();

    let json_values: Vec<serde_json::Value> = codes
        .iter()
        .flat_map(|c| {
            rows.iter().map(
                move |r| json!({"dataElement": r, "period": "202611", "orgUnit": c, "value": "3"}),
            )
        })
        .collect();
    let json_body = json!({"dataSet": "BC-TTATGT-T", "dataValues": json_values}).to_string();
    let json_seconds = push(&app, &admin, "application/json", "", json_body).await;

    let mut csv_body = String::from("dataelement,period,orgunit,catoptcombo,attroptcombo,value\n");
    for code in &codes {
        for row in rows {
            csv_body.push_str(&format!("{row},202610,{code},,,4\n"));
        }
    }
    let csv_seconds = push(&app, &admin, "text/csv", "?dataSet=BC-TTATGT-T", csv_body).await;

    // The ceiling: the same number of rows inserted raw, one transaction.
    let raw_seconds = app.state.store.bench_raw_inserts(values).await.unwrap();

    println!(
        "import benchmark on {}: {values} values ({} reports) a push",
        backend.name(),
        codes.len()
    );
    for (label, seconds) in [
        ("JSON push", json_seconds),
        ("CSV push", csv_seconds),
        ("raw INSERT ceiling", raw_seconds),
    ] {
        println!(
            "  {label:<20} {:>9.0} values/s  ({:.2} s)",
            values as f64 / seconds,
            seconds
        );
    }
    println!("  ratio JSON/ceiling   {:>9.3}", raw_seconds / json_seconds);
    println!("  ratio CSV/ceiling    {:>9.3}", raw_seconds / csv_seconds);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    run(Backend::Sqlite).await;
    run(Backend::Postgres).await;
}
