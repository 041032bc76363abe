//! Benchmark: analytics at national scale against DuckDB on the same data, in one run.
//!
//! A deterministic generator makes the data set: the demo's 34 provinces, 3,321 communes and
//! the ministries of today, `BAOCAO_BENCH_INDICATORS` indicators (24 by default; the issue's
//! full size is 200) each split by sex × area, 24 months (July 2025 – June 2027), a value for
//! every commune and ministry, indicator, month and option combination — 24 indicators make
//! 7.7 million values, 200 make 64 million. The values are written through the store (the
//! same multi-row path reports use) and to a CSV file that DuckDB (the Python package, two
//! threads) turns into Parquet before its clock starts.
//!
//! Questions, answered by the analytics API (HTTP routing and JSON included) and by DuckDB:
//! (a) one indicator by province × month, 24 months; (b) every indicator for one province and
//! one quarter; (c) every indicator for the communes of one province, one month; (d) the
//! time from writing a commune's values to their effect in (a); and (e) a pivot of every
//! province × 12 months × 10 indicators. After the load, the roll-ups' upkeep runs as the
//! server would run it in the background (its time is reported beside the load's); then the
//! answers kept in memory are forgotten, so "cold" is what a restarted server answers from
//! the database alone, and "warm" is the median of five asks after.
//!
//! Run: `pip install duckdb` once, then `cargo bench -p baocao-web --bench national`
//! (`BAOCAO_BENCH_BACKEND=postgres` for PostgreSQL; without duckdb the comparison is skipped).

use std::io::Write;
use std::time::Instant;

use axum::http::StatusCode;
use baocao_domain::agency::{AgencyCode, AgencyLevel};
use baocao_domain::indicator::{Aggregation, Indicator, IndicatorCode, ValueType};
use baocao_domain::period::{Frequency, PeriodId};
use baocao_domain::value::{Channel, DataValue, OptionCombo, Value};
use baocao_test_support::{Backend, TestApp};

const COMBOS: [(&str, &str); 4] = [
    ("male", "urban"),
    ("male", "rural"),
    ("female", "urban"),
    ("female", "rural"),
];

fn number(indicator: usize, agency: usize, month: usize, combo: usize) -> f64 {
    ((indicator * 31 + agency * 17 + month * 7 + combo * 3) % 1000) as f64 / 10.0 + 1.0
}

struct Timing {
    cold: f64,
    warm: f64,
}

async fn ask(app: &TestApp, token: &str, query: &str) -> (f64, serde_json::Value) {
    let start = Instant::now();
    let answer = app.get(&format!("/api/v1/analytics?{query}"), token).await;
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "{query}: {}",
        &answer.text[..answer.text.len().min(300)]
    );
    (seconds, answer.json())
}

async fn timed(app: &TestApp, token: &str, query: &str) -> (Timing, serde_json::Value) {
    let (cold, first) = ask(app, token, query).await;
    let mut warm = Vec::new();
    for _ in 0..5 {
        warm.push(ask(app, token, query).await.0);
    }
    warm.sort_by(f64::total_cmp);
    (
        Timing {
            cold,
            warm: warm[2],
        },
        first,
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `BAOCAO_BENCH_LOG=sqlx::query=debug` shows every statement and its time, on stderr.
    if let Ok(filter) = std::env::var("BAOCAO_BENCH_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .init();
    }
    let indicators: usize = std::env::var("BAOCAO_BENCH_INDICATORS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let backend = match std::env::var("BAOCAO_BENCH_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let Some(app) = TestApp::demo(backend).await else {
        println!("{}: not available", backend.name());
        return;
    };
    let store = &app.state.store;

    // The indicators: sums, split by sex and area.
    let codes: Vec<IndicatorCode> = (1..=indicators)
        .map(|n| IndicatorCode::new(format!("BM{n:03}")).unwrap())
        .collect();
    let catalogue: Vec<Indicator> = codes
        .iter()
        .map(|code| {
            Indicator::new(
                code.clone(),
                format!("Chỉ tiêu thử {code}"),
                format!("Benchmark indicator {code}"),
                "đơn vị".into(),
                "unit".into(),
                ValueType::Decimal,
                Aggregation::Sum,
                Some(Frequency::Monthly),
                vec!["sex".into(), "area".into()],
                "Thử tải".into(),
                String::new(),
            )
            .unwrap()
        })
        .collect();
    store
        .insert_indicators(
            &catalogue,
            &baocao_test_support::by_system("2026-01-01T00:00:00Z"),
        )
        .await
        .unwrap();

    let today = jiff::civil::date(2026, 1, 1);
    let mut reporters: Vec<(AgencyCode, String, &str)> = Vec::new();
    for (level, name) in [
        (AgencyLevel::Commune, "commune"),
        (AgencyLevel::Ministry, "ministry"),
    ] {
        let filter = baocao_store::agencies::AgencyFilter {
            level: Some(level),
            ..Default::default()
        };
        for agency in store.agencies_as_of(today, &filter).await.unwrap() {
            let province = agency.parent.map(|p| p.to_string()).unwrap_or_default();
            reporters.push((agency.code, province, name));
        }
    }
    let mut months = vec![PeriodId::parse("202507").unwrap()];
    while months.len() < 24 {
        months.push(months[months.len() - 1].next());
    }
    let combos: Vec<OptionCombo> = COMBOS
        .iter()
        .map(|(sex, area)| {
            OptionCombo::from_stored(
                [
                    ("sex".to_string(), sex.to_string()),
                    ("area".to_string(), area.to_string()),
                ]
                .into(),
            )
        })
        .collect();

    let dir = std::env::temp_dir().join(format!("baocao-national-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv_path = dir.join("values.csv");
    let mut csv = std::io::BufWriter::new(std::fs::File::create(&csv_path).unwrap());
    writeln!(csv, "agency,province,level,period,indicator,sex,area,value").unwrap();
    let load = Instant::now();
    let mut written = 0usize;
    for (m, month) in months.iter().enumerate() {
        let mut values = Vec::with_capacity(reporters.len() * codes.len() * 4);
        for (a, (agency, province, level)) in reporters.iter().enumerate() {
            for (i, code) in codes.iter().enumerate() {
                for (k, combo) in combos.iter().enumerate() {
                    let v = number(i, a, m, k);
                    writeln!(
                        csv,
                        "{agency},{province},{level},{month},{code},{},{},{v}",
                        COMBOS[k].0, COMBOS[k].1
                    )
                    .unwrap();
                    values.push(DataValue {
                        indicator: code.clone(),
                        options: combo.clone(),
                        agency: agency.clone(),
                        period: *month,
                        value: Value::Number(v),
                        channel: Channel::Api,
                        source: "regime:BENCH".into(),
                    });
                }
            }
        }
        written += values.len();
        store
            .upsert_values(&values, "2027-07-01T00:00:00Z")
            .await
            .unwrap();
    }
    csv.flush().unwrap();
    drop(csv);
    let load_seconds = load.elapsed().as_secs_f64();
    println!(
        "national analytics on {} — {} indicators × {} reporters × 24 months × 4 combinations = {written} values, loaded in {load_seconds:.0} s ({:.0} values/s)",
        backend.name(),
        codes.len(),
        reporters.len(),
        written as f64 / load_seconds
    );

    // The roll-ups' upkeep, as the server runs it in the background after an import: its
    // first round sums every period; the rounds after find nothing left.
    let upkeep_started = Instant::now();
    let mut upkeep = baocao_service::rollups::UpkeepState::default();
    let mut rebuilt = 0;
    loop {
        let round = baocao_service::rollups::upkeep(&app.state, &mut upkeep)
            .await
            .unwrap();
        rebuilt += round.rebuilt;
        if round.rebuilt == 0 && round.changed == 0 {
            break;
        }
    }
    let upkeep_seconds = upkeep_started.elapsed().as_secs_f64();
    println!(
        "roll-ups: {rebuilt} (indicator, month) sums built in {upkeep_seconds:.1} s — {:.0} % of the load's time",
        100.0 * upkeep_seconds / load_seconds
    );
    // Cold means what a restarted server has: the database with the planner's statistics it
    // gathers at start, and the hierarchy it reads at start (its table warming does), no
    // answer in memory.
    app.state.aggregates.forget_answers();
    store.refresh_statistics().await.unwrap();
    let started = Instant::now();
    baocao_service::aggregates::agency_graph(&app.state, app.state.today())
        .await
        .unwrap();
    println!(
        "the hierarchy read at start in {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );

    let admin = app.login("admin").await;
    if std::env::var("BAOCAO_BENCH_PROFILE").is_ok() {
        let start = Instant::now();
        let read = store
            .observations(&codes[0], months[23].start(), months[23].end())
            .await
            .unwrap();
        println!(
            "profile: {} observations of one month read in {:.1} ms",
            read.len(),
            start.elapsed().as_secs_f64() * 1000.0
        );
        let (agencies, successions) = store.agency_graph(today).await.unwrap();
        let graph = baocao_domain::aggregation::AgencyGraph::new(today, agencies, &successions);
        let start = Instant::now();
        let gathered = baocao_domain::aggregation::Gathered::new(&graph, &read);
        let question = baocao_domain::aggregation::Question {
            aggregation: Aggregation::Sum,
            period: months[23],
            disaggregate: &[],
        };
        let every = baocao_domain::aggregation::aggregate_every_node(&graph, &gathered, &question);
        println!(
            "profile: every node ({}) computed in {:.1} ms",
            every.len(),
            start.elapsed().as_secs_f64() * 1000.0
        );
    }
    let all_months: Vec<String> = months.iter().map(ToString::to_string).collect();
    let all_indicators: Vec<String> = codes.iter().map(ToString::to_string).collect();
    let last = all_months.last().unwrap().clone();
    let query_a = format!(
        "indicator=BM001&agency=VN&level=province&period={}",
        all_months.join(",")
    );
    let query_b = format!(
        "indicator={}&agency=01&period=2026Q1",
        all_indicators.join(",")
    );
    let query_c = format!(
        "indicator={}&agency=01&level=commune&period={last}",
        all_indicators.join(",")
    );
    // A pivot a leader would make: every province × 12 months × 10 indicators.
    let query_pivot = format!(
        "indicator={}&agency=VN&level=province&period={}",
        all_indicators[..all_indicators.len().min(10)].join(","),
        all_months[12..].join(",")
    );
    eprintln!("— the questions —");
    let (a, answer_a) = timed(&app, &admin, &query_a).await;
    let (pivot, answer_pivot) = timed(&app, &admin, &query_pivot).await;
    assert_eq!(
        answer_pivot["rows"].as_array().unwrap().len(),
        34 * 12 * all_indicators.len().min(10)
    );
    let (b, _) = timed(&app, &admin, &query_b).await;
    let (c, answer_c) = timed(&app, &admin, &query_c).await;
    assert_eq!(answer_a["rows"].as_array().unwrap().len(), 34 * 24);
    let hanoi_commune_rows = answer_c["rows"].as_array().unwrap().len();

    // (d): a commune of Hà Nội sends new numbers for the last month; how long until (a) has them.
    let hanoi_last = |answer: &serde_json::Value| {
        answer["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["agency"] == "01" && r["period"] == last.as_str())
            .and_then(|r| r["value"].as_f64())
            .unwrap_or_default()
    };
    let before = hanoi_last(&answer_a);
    let commune = reporters
        .iter()
        .find(|(_, province, _)| province == "01")
        .map(|(code, _, _)| code.clone())
        .unwrap();
    let changed: Vec<DataValue> = combos
        .iter()
        .map(|combo| DataValue {
            indicator: codes[0].clone(),
            options: combo.clone(),
            agency: commune.clone(),
            period: *months.last().unwrap(),
            value: Value::Number(1_000_000.0),
            channel: Channel::Api,
            source: "regime:BENCH".into(),
        })
        .collect();
    let accepted = Instant::now();
    store
        .upsert_values(&changed, "2027-07-02T00:00:00Z")
        .await
        .unwrap();
    let (_, after) = ask(&app, &admin, &query_a).await;
    let effect = accepted.elapsed().as_secs_f64();
    assert!(
        hanoi_last(&after) > before + 3_000_000.0,
        "the new numbers are in (a)"
    );

    let cache = app.state.aggregates.size();
    let memory = baocao_test_support::memory_mib().1;

    // DuckDB on the same data.
    let params = serde_json::json!({
        "indicator": "BM001", "province": "01", "quarter": ["202601", "202602", "202603"],
        "month": last,
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/duckdb_compare.py");
    let duck = std::process::Command::new("python3")
        .arg(script)
        .arg(&csv_path)
        .arg(params.to_string())
        .output();
    let duck: Option<serde_json::Value> = match duck {
        Ok(out) if out.status.success() => serde_json::from_slice(&out.stdout).ok(),
        Ok(out) => {
            println!(
                "DuckDB comparison skipped: {}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            );
            None
        }
        Err(error) => {
            println!("DuckDB comparison skipped: {error}");
            None
        }
    };
    let _ = std::fs::remove_dir_all(&dir);

    println!();
    println!(
        "| question | baocao cold | baocao warm | DuckDB | DuckDB ÷ baocao warm | DuckDB ÷ baocao cold |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (name, key, timing) in [
        ("(a) 1 indicator, province × month, 24 months", "a", &a),
        ("(b) every indicator, one province, one quarter", "b", &b),
        (
            "(c) every indicator, communes of one province, one month",
            "c",
            &c,
        ),
    ] {
        let duck_seconds = duck.as_ref().and_then(|d| d[key].as_f64());
        let ratio =
            |ours: f64| duck_seconds.map_or("—".to_string(), |d| format!("{:.1}×", d / ours));
        println!(
            "| {name} | {:.1} ms | {:.2} ms | {} | {} | {} |",
            timing.cold * 1000.0,
            timing.warm * 1000.0,
            duck_seconds.map_or("—".to_string(), |d| format!("{:.1} ms", d * 1000.0)),
            ratio(timing.warm),
            ratio(timing.cold),
        );
    }
    println!(
        "| (e) pivot: every province × 12 months × 10 indicators | {:.1} ms | {:.2} ms | | | |",
        pivot.cold * 1000.0,
        pivot.warm * 1000.0
    );
    println!(
        "| (d) values written → in (a) | {:.1} ms | | | | |",
        effect * 1000.0
    );
    println!();
    println!(
        "(c) answered {hanoi_commune_rows} rows; cache: {} questions, {} answers; peak memory of the benchmark process (generator included): {memory:.0} MiB",
        cache.questions, cache.answers
    );
    if let Some(d) = &duck {
        println!(
            "DuckDB {}: Parquet written in {:.1} s, {} threads",
            d["version"],
            d["prepare"].as_f64().unwrap_or_default(),
            d["threads"]
        );
    }
}
