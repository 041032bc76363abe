//! Benchmark: the compliance matrix of the commune regime (BC-TTATGT-T) for 5,000 agencies —
//! every commune of the demo (3,321) and 1,679 more reporting units made for the benchmark —
//! over 12 months, 60,000 expected reports of which four in five were sent, some late —
//! answered through the real router, against a baseline of the three store reads it needs
//! alone. Run with `cargo bench -p baocao-web --bench compliance`.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use baocao_domain::agency::AgencyCode;
use baocao_domain::period::PeriodId;
use baocao_domain::regime::RegimeCode;
use baocao_domain::report::ReportContent;
use baocao_domain::submission::{
    Circumstances, Rights, SubmissionAction, SubmissionStatus, Transition, decide,
};
use baocao_store::reports::{Event, NewVersion, ReportKey};
use baocao_test_support::{Backend, TestApp};

/// What the setup writes, decided as for someone with every right on an open report.
fn decided(status: Option<SubmissionStatus>, action: SubmissionAction) -> Transition {
    let everyone = Rights {
        edit: true,
        submit: true,
        review: true,
    };
    let open = Circumstances {
        published: true,
        locked: false,
        late_refused: false,
    };
    decide(status, action, everyone, open).expect("an open report allows it")
}

fn peak_memory_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn best_of<F, Fut>(rounds: usize, mut run: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut best = Duration::MAX;
    for _ in 0..rounds {
        let start = Instant::now();
        run().await;
        best = best.min(start.elapsed());
    }
    best
}

/// Adds reporting units (without a parent, reporting to VN) until `total` agencies are
/// assigned `regime`.
async fn add_reporting_units(store: &baocao_store::Store, regime: &RegimeCode, total: usize) {
    use baocao_domain::agency::{Agency, AgencyDirectory, AgencyKind, AgencyState, Validity};
    use baocao_domain::assignment::Assignment;
    let assigned = store.assignment_spans(regime).await.unwrap().len();
    let since = jiff::civil::date(2025, 7, 1);
    let units: Vec<Agency> = (assigned..total)
        .map(|n| {
            Agency::new(
                AgencyCode::new(format!("BENCH{n:05}")).unwrap(),
                AgencyState {
                    name_vi: format!("Đơn vị thử {n}"),
                    name_en: format!("Bench unit {n}"),
                    kind: AgencyKind::Department,
                    parent: None,
                    validity: Validity::new(Some(since), None).unwrap(),
                },
            )
            .unwrap()
        })
        .collect();
    let assignments: Vec<Assignment> = units
        .iter()
        .map(|unit| {
            Assignment::new(
                regime.clone(),
                unit.code().clone(),
                AgencyCode::new("VN").unwrap(),
                Validity::new(Some(since), None).unwrap(),
            )
            .unwrap()
        })
        .collect();
    store
        .insert_agencies(
            &AgencyDirectory::new(units).unwrap(),
            &[],
            &baocao_test_support::by_system("2026-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
    store
        .insert_assignments(
            &assignments,
            &baocao_test_support::by_system("2026-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let app = TestApp::demo(Backend::Sqlite)
        .await
        .expect("SQLite is always there");
    let store = &app.db.store;
    let regime = RegimeCode::new("BC-TTATGT-T").unwrap();
    add_reporting_units(store, &regime, 5_000).await;
    let spans = store.assignment_spans(&regime).await.unwrap();
    let mut communes: Vec<String> = spans.iter().map(|s| s.agency.clone()).collect();
    communes.sort();
    communes.dedup();
    let first = PeriodId::parse("202507").unwrap();
    let periods: Vec<PeriodId> = std::iter::successors(Some(first), |p| Some(p.next()))
        .take(12)
        .collect();
    let content: ReportContent = serde_json::from_value(serde_json::json!({"values": [
        {"form": "Biểu 01/TTATGT", "row": "XH11", "column": "this_period", "options": {}, "value": "3"}],
        "sections": []})).unwrap_or_default();

    let start = Instant::now();
    let mut sent = 0usize;
    for (n, commune) in communes.iter().enumerate() {
        for (m, period) in periods.iter().enumerate() {
            // Four in five sent; one in seven of those late (deterministic).
            if (n * 7 + m * 3) % 5 == 0 {
                continue;
            }
            let key = ReportKey {
                regime: regime.clone(),
                agency: AgencyCode::new(commune.as_str()).unwrap(),
                period: *period,
            };
            let Some(receiver) = store.assigned_receiver(&key).await.unwrap() else {
                continue;
            };
            store
                .save_draft(
                    &key,
                    &receiver,
                    decided(None, SubmissionAction::Save),
                    0,
                    &content,
                    &baocao_test_support::by_system("2026-01-01T00:00:00Z"),
                )
                .await
                .unwrap();
            let version = NewVersion {
                content: content.canonical_json(),
                content_sha256: String::new(),
                signature: String::new(),
                public_key: String::new(),
                late: (n + m) % 7 == 0,
                warnings: "[]".into(),
                document_year: 2026,
            };
            let event = Event {
                action: "submit",
                actor: "bench",
                at: "2026-01-01T00:00:00Z",
                reason: None,
            };
            let report = store.report_record(&key).await.unwrap().unwrap();
            let submit = decided(Some(SubmissionStatus::Draft), SubmissionAction::Submit);
            let mut tx = store
                .begin(&baocao_test_support::by_system("2026-01-01T00:00:00Z"))
                .await
                .unwrap();
            tx.move_report(report.id, report.lock_version, &submit, event.at)
                .await
                .unwrap();
            tx.record_version(report.id, &version, &event)
                .await
                .unwrap();
            tx.record_event(report.id, &event).await.unwrap();
            tx.commit().await.unwrap();
            sent += 1;
        }
    }
    println!(
        "compliance benchmark: {} agencies × {} months; {sent} reports sent (setup {:.1} s)",
        communes.len(),
        periods.len(),
        start.elapsed().as_secs_f64()
    );

    let token = app.login("admin").await;
    let path = format!(
        "/api/v1/compliance?regime=BC-TTATGT-T&from={}&to={}",
        periods[0], periods[11]
    );
    let answer = app.get(&path, &token).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let json = answer.json();
    let expected = json["total"]["expected"].as_u64().unwrap();
    assert_eq!(
        json["total"]["submitted"].as_u64().unwrap() as usize,
        sent,
        "every sent report is counted"
    );

    let whole = best_of(3, || async {
        assert_eq!(app.get(&path, &token).await.status, StatusCode::OK);
    })
    .await;
    let (start_date, end_date) = (periods[0].start(), periods[11].end());
    let reads = best_of(3, || async {
        store.assignment_spans(&regime).await.unwrap();
        store.assigned_kinds(&regime).await.unwrap();
        store
            .report_facts(&regime, start_date, end_date, None)
            .await
            .unwrap();
    })
    .await;
    println!("  expected reports:          {expected}");
    println!(
        "  whole request (best of 3): {:>8.1} ms",
        whole.as_secs_f64() * 1e3
    );
    println!(
        "  store reads alone:         {:>8.1} ms",
        reads.as_secs_f64() * 1e3
    );
    println!(
        "  ratio request/reads:       {:>8.2}×",
        whole.as_secs_f64() / reads.as_secs_f64()
    );
    println!("  peak memory:               {:>8.0} MB", peak_memory_mb());
}
