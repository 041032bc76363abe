//! Benchmark: does the size of the registry slow the analytics down? The same warm question
//! (`GET /api/v1/analytics`, through the real router) is timed on the demo's registry (six
//! regimes) — the baseline — and again after 1,200 regimes (copies of BC-KTXH-T, forms and
//! rules included) were added, as a national registry holds. The ratio should stay near 1: the
//! regimes analytics need (those defining derived indicators) are kept between questions.
//! Run with `cargo bench -p baocao-web --bench registry` (`BAOCAO_BENCH_BACKEND=postgres` for
//! PostgreSQL).

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use baocao_domain::regime::{Regime, RegimeCode};
use baocao_test_support::{Backend, TestApp};

const REGIMES: usize = 1_200;
const QUESTION: &str = "/api/v1/analytics?indicator=KT04&period=2025Q4&agency=VN&level=province";

/// The median of `rounds` warm answers (one unmeasured answer first fills the caches).
async fn warm_median(app: &TestApp, token: &str, rounds: usize) -> Duration {
    let first = app.get(QUESTION, token).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        let answer = app.get(QUESTION, token).await;
        times.push(start.elapsed());
        assert_eq!(answer.status, StatusCode::OK);
    }
    times.sort();
    times[rounds / 2]
}

#[tokio::main]
async fn main() {
    let backend = match std::env::var("BAOCAO_BENCH_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let Some(app) = TestApp::demo(backend).await else {
        eprintln!("no database for {backend:?}");
        return;
    };
    let token = app.login("admin").await;
    let small = app.db.store.regimes(None).await.unwrap().len();
    let baseline = warm_median(&app, &token, 21).await;

    let template = app
        .db
        .store
        .regime(&RegimeCode::new("BC-KTXH-T").unwrap())
        .await
        .unwrap()
        .expect("the demo has BC-KTXH-T");
    let copies: Vec<Regime> = (0..REGIMES)
        .map(|n| {
            let mut content = template.content().clone();
            content.code = RegimeCode::new(format!("BC-BENCH-{n:04}")).unwrap();
            Regime::draft(content).unwrap()
        })
        .collect();
    app.db
        .store
        .create_regimes(
            &copies,
            &baocao_test_support::by_system("2026-11-26T08:00:00Z"),
        )
        .await
        .unwrap();
    let large = app.db.store.regimes(None).await.unwrap().len();
    let national = warm_median(&app, &token, 21).await;

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("backend: {backend:?}");
    println!(
        "warm analytics question, registry of {small} regimes (baseline): {:.2} ms",
        ms(baseline)
    );
    println!(
        "the same, registry of {large} regimes: {:.2} ms",
        ms(national)
    );
    println!(
        "ratio: {:.2} (aim: at most 1.5)",
        national.as_secs_f64() / baseline.as_secs_f64()
    );
}
