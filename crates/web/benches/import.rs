//! Benchmark: bulk import of data values through the push API (`POST /api/dataValueSets`),
//! DHIS2 JSON and CSV, on SQLite and PostgreSQL, against the ceiling of the same number of rows
//! inserted raw with the same driver in the same run (one transaction, one prepared INSERT a
//! row). The payload: the commune regime (three indicators a commune) for every commune of a
//! month — 3,321 reports, 9,963 values. Then a streamed push of a million values (the same
//! month a hundred times over, each round changing every value), generated as it is sent, with
//! the process's peak memory during the push against the payload's size. Run with
//! `cargo bench -p baocao-web --bench import` (`BAOCAO_BENCH_MILLION=0` skips the million).

use std::time::Instant;

use axum::http::{Method, StatusCode};
use baocao_test_support::{Backend, TestApp};
use serde_json::json;

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
    assert_eq!(answer.json()["status"], "OK");
    elapsed
}

async fn run(backend: Backend) {
    let Some(app) = TestApp::demo(backend).await else {
        println!("{}: not available", backend.name());
        return;
    };
    // The pushes need a body limit above axum's default: the whole country's month is ~1 MB.
    let admin = app.login("admin").await;
    let codes = baocao_test_support::commune_codes(&app.state.store).await;
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

    if std::env::var("BAOCAO_BENCH_MILLION").as_deref() != Ok("0") {
        // A tenth first: memory bounded by the chunk grows no more for ten times the payload.
        streamed(&app, &admin, &codes, &rows, 10).await;
        streamed(&app, &admin, &codes, &rows, 100).await;
    }
}

/// The month's values `rounds` times over (a hundred: a million values) streamed in one push,
/// never held whole by the sender either.
async fn streamed(app: &TestApp, token: &str, codes: &[String], rows: &[&str], rounds: usize) {
    let per_round = codes.len() * rows.len();
    let values = per_round * rounds;
    let codes = codes.to_vec();
    let rows: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = sent.clone();
    let pieces = (0..=rounds * codes.len() + 1).map(move |n| {
        let piece = if n == 0 {
            r#"{"dataSet": "BC-TTATGT-T", "period": "202611", "dataValues": ["#.to_string()
        } else if n == rounds * codes.len() + 1 {
            "]}".to_string()
        } else {
            let (round, code) = ((n - 1) / codes.len(), &codes[(n - 1) % codes.len()]);
            rows.iter()
                .enumerate()
                .map(|(i, row)| {
                    let comma = if n == 1 && i == 0 { "" } else { "," };
                    format!(
                        r#"{comma}{{"dataElement":"{row}","orgUnit":"{code}","value":"{}"}}"#,
                        round + 1
                    )
                })
                .collect()
        };
        counter.fetch_add(piece.len(), std::sync::atomic::Ordering::Relaxed);
        Ok::<_, std::io::Error>(axum::body::Bytes::from(piece))
    });
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/dataValueSets?atomicMode=NONE")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from_stream(tokio_stream::iter(pieces)))
        .unwrap();
    // Forget the peak so far (the demo load), so the peak read after is the push's.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let (before, _) = baocao_test_support::memory_mib();
    let start = Instant::now();
    let answer = app.send(request).await;
    let seconds = start.elapsed().as_secs_f64();
    let (_, peak) = baocao_test_support::memory_mib();
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "{}",
        &answer.text[..answer.text.len().min(400)]
    );
    let count = &answer.json()["importCount"];
    let bytes = sent.load(std::sync::atomic::Ordering::Relaxed) as f64 / (1024.0 * 1024.0);
    println!(
        "  streamed push        {values} values ({bytes:.0} MiB of JSON) in {seconds:.1} s: {:>7.0} values/s; imported {}, updated {}, ignored {}",
        values as f64 / seconds,
        count["imported"],
        count["updated"],
        count["ignored"]
    );
    println!(
        "  memory               {before:.0} MiB before, peak {peak:.0} MiB during: +{:.0} MiB for a {bytes:.0} MiB payload",
        peak - before
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    run(Backend::Sqlite).await;
    run(Backend::Postgres).await;
}
