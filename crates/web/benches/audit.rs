//! Benchmark: `audit verify` on a long chain, on SQLite and PostgreSQL — its time per event
//! and its peak memory as the chain grows, against the same walk re-deriving the state in
//! memory (the way verification worked before) at the smallest size, in the same run.
//!
//! The chain grows from the demo's: a quarter of its events' worth of data values written by
//! the application in batches of a thousand (each batch one `values.write` event naming every
//! value, so the values are re-derived and compared row by row), and the rest login-like
//! `token.create` events. Sizes are event counts,
//! `BAOCAO_BENCH_AUDIT_EVENTS=200000,1000000` by default; the 10 M is
//! `BAOCAO_BENCH_AUDIT_EVENTS=1000000,10000000` (SQLite: ~6 GB of disk, tens of minutes).
//! `BAOCAO_BENCH_AUDIT_BACKENDS=sqlite` skips PostgreSQL.
//! Run with `cargo bench -p baocao-web --bench audit`.

use std::time::Instant;

use baocao_domain::agency::AgencyCode;
use baocao_domain::audit::{Channel as Via, Provenance, Record, State};
use baocao_domain::indicator::IndicatorCode;
use baocao_domain::period::PeriodId;
use baocao_domain::value::{Channel, DataValue, OptionCombo, Value};
use baocao_store::Store;
use baocao_test_support::{Backend, TestApp};

/// Runs one measured step in a process of its own — this benchmark run again with
/// `BAOCAO_BENCH_AUDIT_STEP` — so that its peak resident memory is its own, not memory the
/// allocator kept from building the chain; answers the child's report line.
fn measured(step: &str, db: &baocao_test_support::TestDb) -> String {
    let (url, schema) = db.address();
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .env("BAOCAO_BENCH_AUDIT_STEP", step)
        .env("BAOCAO_BENCH_AUDIT_URL", url)
        .env("BAOCAO_BENCH_AUDIT_SCHEMA", schema.unwrap_or_default())
        .output()
        .expect("the measured step runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// The child's side: `verify` (the command's own code) or `memory` (the chain's state
/// re-derived in memory, as verification did before); prints events, values, seconds and
/// the process's peak resident memory in MiB.
async fn step(step: &str) {
    let url = std::env::var("BAOCAO_BENCH_AUDIT_URL").unwrap();
    let schema = std::env::var("BAOCAO_BENCH_AUDIT_SCHEMA").unwrap_or_default();
    let store =
        baocao_test_support::TestDb::reach(&url, Some(schema.as_str()).filter(|s| !s.is_empty()))
            .await;
    let start = Instant::now();
    let (events, values) = match step {
        "verify" => {
            let verified = baocao_service::audit::verify(&store).await.unwrap();
            assert!(
                verified.sound(),
                "{:?}",
                &verified.findings[..verified.findings.len().min(5)]
            );
            (verified.events, 0)
        }
        _ => in_memory(&store).await,
    };
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{events} {values} {seconds:.2} {:.1}",
        baocao_test_support::memory_mib().1
    );
}

/// Grows the chain to `events` events, a quarter of them's worth of values.
struct Grower {
    communes: Vec<String>,
    values: usize,
    month: usize,
}

impl Grower {
    const BATCH: usize = 1_000;
    const ROWS: [&str; 3] = ["XH11", "XH12", "XH13"];

    async fn grow(&mut self, store: &Store, events: i64) {
        let by = Provenance::system("2026-12-06T08:00:00Z", Via::Api);
        let wanted_values = usize::try_from(events / 4).unwrap();
        let mut batch = Vec::with_capacity(Self::BATCH);
        while self.values < wanted_values {
            let year = 2026 + self.month / 12;
            let period = PeriodId::parse(&format!("{year}{:02}", self.month % 12 + 1)).unwrap();
            for commune in &self.communes {
                for row in Self::ROWS {
                    batch.push(DataValue {
                        indicator: IndicatorCode::new(row).unwrap(),
                        options: OptionCombo::TOTAL,
                        agency: AgencyCode::new(commune).unwrap(),
                        period,
                        value: Value::Number((self.values % 997) as f64),
                        channel: Channel::Api,
                        source: "bench:audit".into(),
                    });
                    self.values += 1;
                    if batch.len() == Self::BATCH {
                        store.upsert_values_by(&batch, &by).await.unwrap();
                        batch.clear();
                    }
                }
            }
            self.month += 1;
        }
        if !batch.is_empty() {
            store.upsert_values_by(&batch, &by).await.unwrap();
        }
        let (mut seq, _) = store.audit_head().await.unwrap();
        while seq < events {
            let records = (seq..events.min(seq + 10_000))
                .map(|n| {
                    Record::new(
                        &by,
                        "token.create",
                        format!("token {n:016x}"),
                        Some(1),
                        serde_json::json!({ "user": n % 5_000, "prefix": format!("{n:016x}"), "kind": "session" }),
                    )
                })
                .collect();
            store.record_events(&by, records).await.unwrap();
            seq = store.audit_head().await.unwrap().0;
        }
    }
}

/// The chain side of verification as it was: every event's state held in memory.
async fn in_memory(store: &Store) -> (u64, usize) {
    let mut state = State::default();
    let mut events = 0;
    let mut after = 0;
    loop {
        let page = store.audit_events_after(after, 5_000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        for event in &page {
            events += 1;
            let _ = state.apply(event);
        }
    }
    (events, state.values.len())
}

async fn run(backend: Backend, sizes: &[i64]) {
    let Some(app) = TestApp::demo(backend).await else {
        println!("{}: not available", backend.name());
        return;
    };
    let store = app.state.store.clone();
    let mut grower = Grower {
        communes: baocao_test_support::commune_codes(&store).await,
        values: 0,
        month: 0,
    };
    let parse = |line: &str| -> (f64, f64, f64) {
        let fields: Vec<f64> = line.split(' ').map(|f| f.parse().unwrap()).collect();
        (fields[0], fields[2], fields[3])
    };
    let mut first: Option<(f64, f64)> = None;
    for &size in sizes {
        let start = Instant::now();
        grower.grow(&store, size).await;
        let built = start.elapsed().as_secs_f64();
        let (events, seconds, peak) = parse(&measured("verify", &app.db));
        let per_million = seconds / events * 1e6;
        println!(
            "{} {events:>10} events ({} values): verify {seconds:.1} s ({per_million:.1} s per million events), peak memory {peak:.1} MiB (built in {built:.0} s)",
            backend.name(),
            grower.values,
        );
        let (_, seconds, in_memory) = parse(&measured("memory", &app.db));
        println!(
            "{}   the chain's state re-derived in memory alone: {seconds:.1} s, peak memory {in_memory:.1} MiB (verify's peak ×{:.2} of it)",
            backend.name(),
            peak / in_memory
        );
        match first {
            None => first = Some((per_million, peak)),
            Some((base_time, base_memory)) => println!(
                "{}   against the first size: time per event ×{:.2}, verify's peak memory ×{:.2}",
                backend.name(),
                per_million / base_time,
                peak / base_memory
            ),
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Ok(name) = std::env::var("BAOCAO_BENCH_AUDIT_STEP") {
        return step(&name).await;
    }
    let sizes: Vec<i64> = std::env::var("BAOCAO_BENCH_AUDIT_EVENTS")
        .unwrap_or_else(|_| "200000,1000000".into())
        .split(',')
        .map(|n| n.trim().parse().expect("event counts"))
        .collect();
    let backends = std::env::var("BAOCAO_BENCH_AUDIT_BACKENDS").unwrap_or_default();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if backends.is_empty() || backends.contains(backend.name()) {
            run(backend, &sizes).await;
        }
    }
}
