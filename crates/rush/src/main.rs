//! `rush`: the national deadline hour as a load, over HTTP, against a baocao server process
//! it starts (the release binary, on SQLite or PostgreSQL, demo data loaded).
//!
//! Scenarios, in the order a deadline hour brings them (each drives `--clients` clients at
//! once; every request is timed into a histogram of its kind):
//! - `ceiling`: an authenticated cheap GET (`/api/v1/me`) — what the same client and server
//!   reach when there is nothing to do; the other figures are read as ratios to it;
//! - `communes`: every commune assigned the commune regime saves its report (three cells and
//!   an outline section) and submits it;
//! - `provinces`: every agency assigned the monthly socio-economic report (provinces,
//!   ministries) saves it with its outline and submits it;
//! - `accept`: the receivers accept the communes' submissions in bulk, a hundred a request;
//! - `push`: connected systems push data value sets, one province's communes each;
//! - `overload`: four times the server's capacity (`--capacity`, passed to the server as
//!   `--max-in-flight`) saving at once, while a prober reads `/healthz`; every answer but
//!   503 is counted as an error, and every acknowledged save is read back afterwards;
//! - `crash` (run alone): the crash harness ([`crash`]) — `--kills` rounds of writes cut by
//!   SIGKILL, every acknowledged write checked after each restart, the audit chain at the end;
//! - `soak` (run alone): a mixed load at half `--capacity` for `--minutes`, the server's memory
//!   and file descriptors sampled ([`soak`]).
//!
//! Run: `cargo build --release -p baocao -p baocao-rush`, then
//! `target/release/rush --backend sqlite` (or `postgres`).

mod crash;
mod record;
mod server;
mod soak;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde_json::{Value, json};

use record::Recorder;
use server::{Backend, Launch, Server};

const COMMUNE_REGIME: &str = "BC-TTATGT-T";
const PROVINCE_REGIME: &str = "BC-KTXH-T";

#[derive(Parser)]
#[command(
    name = "rush",
    about = "The deadline hour as a load against a baocao server"
)]
struct Args {
    /// The database the server runs on.
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
    /// The server binary [default: `baocao` beside this program].
    #[arg(long)]
    server: Option<std::path::PathBuf>,
    /// A PostgreSQL server on which the run makes (and drops) a database of its own.
    #[arg(
        long,
        env = "BAOCAO_TEST_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    postgres_url: String,
    /// Clients at once.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Requests of the cheap GET that measures the ceiling.
    #[arg(long, default_value_t = 20_000)]
    ceiling_requests: usize,
    /// The server's concurrency limit (`--max-in-flight`); the overload runs four times as
    /// many clients.
    #[arg(long, default_value_t = 64)]
    capacity: usize,
    /// Scenarios to run, comma-separated [default: all].
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "ceiling,communes,provinces,accept,push,overload"
    )]
    scenarios: Vec<String>,
    /// The reporting month (YYYYMM) [default: this month in Vietnam]; pushes use the next
    /// month, the overload the one after, the crash harness those after it.
    #[arg(long)]
    period: Option<String>,
    /// How long the soak run lasts (`--scenarios soak`), in minutes.
    #[arg(long, default_value_t = 60.0)]
    minutes: f64,
    /// Kills of the crash harness (`--scenarios crash`).
    #[arg(long, default_value_t = 100)]
    kills: usize,
    /// The demo history's last day (YYYY-MM-DD) [default: the server's, yesterday]; an early
    /// day makes the server start in seconds.
    #[arg(long)]
    history_until: Option<String>,
}

/// What every client shares: the HTTP client, the server, the token, the recorder.
struct Load {
    http: reqwest::Client,
    base: String,
    token: String,
    recorder: Recorder,
}

/// An answer: status (0 when none came) and JSON body (`Null` when not JSON).
struct Answer {
    status: u16,
    body: Value,
    retry_after: Option<u64>,
}

impl Answer {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl Load {
    async fn call(
        &self,
        kind: &'static str,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let started = Instant::now();
        let answer = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok());
                let bytes = response.bytes().await.unwrap_or_default();
                Answer {
                    status,
                    body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                    retry_after,
                }
            }
            Err(_) => Answer {
                status: 0,
                body: Value::Null,
                retry_after: None,
            },
        };
        let code = (!answer.ok()).then(|| {
            answer.body["error"]["code"]
                .as_str()
                .map_or_else(|| format!("http_{}", answer.status), str::to_string)
        });
        self.recorder
            .record(kind, started.elapsed(), answer.status, code);
        answer
    }

    async fn get(&self, kind: &'static str, path: &str) -> Answer {
        self.call(kind, reqwest::Method::GET, path, None).await
    }

    async fn post(&self, kind: &'static str, path: &str, body: &Value) -> Answer {
        self.call(kind, reqwest::Method::POST, path, Some(body))
            .await
    }

    async fn put(&self, kind: &'static str, path: &str, body: &Value) -> Answer {
        self.call(kind, reqwest::Method::PUT, path, Some(body))
            .await
    }
}

/// Runs `work` over `items` with `clients` at once; answers the wall time.
async fn drive<T, F, Fut>(load: &Arc<Load>, clients: usize, items: Vec<T>, work: F) -> Duration
where
    T: Send + 'static,
    F: Fn(Arc<Load>, T) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let queue = Arc::new(std::sync::Mutex::new(items));
    let work = Arc::new(work);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients.max(1) {
        let (queue, work, load) = (queue.clone(), work.clone(), load.clone());
        tasks.spawn(async move {
            loop {
                let Some(item) = queue.lock().expect("queue lock").pop() else {
                    break;
                };
                work(load.clone(), item).await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    started.elapsed()
}

fn report_path(regime: &str, agency: &str, period: &str) -> String {
    format!("/api/v1/reports/{regime}/{agency}/{period}")
}

/// Who reports `regime`, each with its receiver.
async fn assignments(load: &Load, regime: &str) -> Result<Vec<(String, String)>> {
    let answer = load
        .get("setup", &format!("/api/v1/regimes/{regime}/assignments"))
        .await;
    if !answer.ok() {
        bail!("assignments of {regime}: {} {}", answer.status, answer.body);
    }
    let mut pairs: Vec<(String, String)> = answer.body["items"]
        .as_array()
        .context("assignments list")?
        .iter()
        .filter(|a| a["valid_to"].is_null())
        .filter_map(|a| {
            Some((
                a["reporting_agency"].as_str()?.to_string(),
                a["receiving_agency"].as_str()?.to_string(),
            ))
        })
        .collect();
    pairs.sort();
    pairs.dedup();
    Ok(pairs)
}

/// Submits, explaining each warning once if only warnings stand in the way.
async fn submit(load: &Load, kind: &'static str, path: &str) -> bool {
    let answer = load.post(kind, &format!("{path}/submit"), &json!({})).await;
    if answer.ok() {
        return true;
    }
    let violations = answer.body["error"]["violations"].as_array();
    if answer.body["error"]["code"] == "explanation_required"
        && let Some(violations) = violations
    {
        let explanations: Vec<Value> = violations
            .iter()
            .map(|v| json!({"rule": v["rule"], "text": "Đã kiểm tra, số liệu đúng."}))
            .collect();
        return load
            .post(
                kind,
                &format!("{path}/submit"),
                &json!({"explanations": explanations}),
            )
            .await
            .ok();
    }
    false
}

/// The accidents (`XH11`) a commune's report holds, as a number.
fn accidents_in(report: &Value) -> Option<f64> {
    report["values"]
        .as_array()
        .and_then(|cells| cells.iter().find(|c| c["row"] == "XH11"))
        .and_then(|c| {
            c["value"]
                .as_f64()
                .or_else(|| c["value"].as_str().and_then(|t| t.parse().ok()))
        })
}

fn commune_edit(version: i64, seed: usize) -> Value {
    let accidents = 1 + seed % 7;
    json!({
        "version": version,
        "values": [
            {"form": "Biểu 01/TTATGT", "row": "XH11", "column": "this_period", "value": accidents},
            {"form": "Biểu 01/TTATGT", "row": "XH12", "column": "this_period", "value": accidents / 2},
            {"form": "Biểu 01/TTATGT", "row": "XH13", "column": "this_period", "value": seed % 3},
        ],
        "sections": [{"index": 0, "text": "Tình hình trật tự an toàn giao thông ổn định trong tháng."}],
    })
}

fn province_edit(seed: usize) -> Value {
    let rows = [
        "KT03", "KT04", "KT05", "KT06", "KT07", "KT08", "KT09", "KT11",
    ];
    let values: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            json!({"form": "Biểu 01/KTXH-T", "row": row, "column": "this_period",
                   "value": 100 + (seed * 13 + i * 7) % 900})
        })
        .collect();
    let sections: Vec<Value> = (0..5)
        .map(|index| json!({"index": index, "text": format!("Nội dung mục {} của báo cáo tháng.", index + 1)}))
        .collect();
    json!({"version": 0, "values": values, "sections": sections})
}

/// A period `months` after `period` (YYYYMM).
fn month_after(period: &str, months: i32) -> Result<String> {
    let year: i32 = period[..4].parse()?;
    let month: i32 = period[4..].parse()?;
    let index = year * 12 + (month - 1) + months;
    Ok(format!("{}{:02}", index / 12, index % 12 + 1))
}

/// Agencies that each save a regime's report for the period and submit it.
struct Reporters<E> {
    scenario: &'static str,
    regime: &'static str,
    agencies: Vec<String>,
    /// The draft edit of the n-th agency.
    edit: E,
    /// The request kinds of the save and of the submission.
    kinds: (&'static str, &'static str),
}

/// Every reporter saves its report and submits it, `clients` at once; a report counts when
/// both were accepted.
async fn save_and_submit<E>(
    load: &Arc<Load>,
    clients: usize,
    period: &str,
    reporters: Reporters<E>,
) -> Scenario
where
    E: Fn(usize) -> Value + Send + Sync + 'static,
{
    let done = Arc::new(AtomicU64::new(0));
    let counter = done.clone();
    let (regime, period, edit) = (
        reporters.regime,
        period.to_string(),
        Arc::new(reporters.edit),
    );
    let (save_kind, submit_kind) = reporters.kinds;
    let items: Vec<(usize, String)> = reporters.agencies.into_iter().enumerate().collect();
    let seconds = drive(load, clients, items, move |load, (seed, agency)| {
        let (counter, period, edit) = (counter.clone(), period.clone(), edit.clone());
        async move {
            let path = report_path(regime, &agency, &period);
            let saved = load
                .put(save_kind, &format!("{path}/draft"), &edit(seed))
                .await;
            if saved.ok() && submit(&load, submit_kind, &path).await {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }
    })
    .await;
    Scenario {
        name: reporters.scenario,
        unit: "reports saved+submitted",
        done: done.load(Ordering::Relaxed),
        seconds: seconds.as_secs_f64(),
    }
}

struct Scenario {
    name: &'static str,
    unit: &'static str,
    done: u64,
    seconds: f64,
}

impl Scenario {
    fn rate(&self) -> f64 {
        self.done as f64 / self.seconds.max(1e-9)
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    let args = Args::parse();
    let binary = match &args.server {
        Some(path) => path.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("the program's folder")?
            .join("baocao"),
    };
    let period = match &args.period {
        Some(period) => period.clone(),
        None => jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(7)))
            .strftime("%Y%m")
            .to_string(),
    };
    let extra = vec!["--max-in-flight".to_string(), args.capacity.to_string()];
    println!(
        "rush: starting {} on {:?} (demo data) …",
        binary.display(),
        args.backend
    );
    let started = Instant::now();
    let mut server = Server::start(&Launch {
        binary: &binary,
        backend: args.backend,
        postgres_url: &args.postgres_url,
        extra: &extra,
        history_until: args.history_until.as_deref(),
    })
    .await?;
    println!(
        "rush: server ready in {:.1} s at {}",
        started.elapsed().as_secs_f64(),
        server.base
    );
    let outcome = if args.scenarios == ["crash"] {
        run_crash(&args, &mut server, &period).await
    } else if args.scenarios == ["soak"] {
        run_soak(&args, &server, &period).await
    } else {
        run(&args, &server, &period).await
    };
    server.stop().await?;
    outcome
}

async fn run_crash(args: &Args, server: &mut Server, period: &str) -> Result<()> {
    let load = connect(args, server).await?;
    let communes = assignments(&load, COMMUNE_REGIME).await?;
    let report = crash::run(&load, server, &communes, period, args.kills).await?;
    println!();
    println!("rush crash on {:?}:", args.backend);
    println!("  kills                 {}", report.kills);
    println!(
        "  acknowledged writes   {} saved or pushed, {} submitted, {} accepted",
        report.acknowledged[0], report.acknowledged[1], report.acknowledged[2]
    );
    println!("  lost                  {}", report.lost);
    println!("  beyond what was sent  {}", report.beyond);
    println!("  audit verify          {}", report.audit);
    println!("  integrity check       {}", report.integrity);
    if report.lost > 0 || report.beyond > 0 || report.audit.starts_with("NOT SOUND") {
        bail!("the crash harness found writes not as acknowledged, or an unsound chain");
    }
    if !matches!(report.integrity.as_str(), "ok" | "n/a (PostgreSQL)") {
        bail!("the integrity check failed: {}", report.integrity);
    }
    Ok(())
}

async fn run_soak(args: &Args, server: &Server, period: &str) -> Result<()> {
    let load = connect(args, server).await?;
    let communes = assignments(&load, COMMUNE_REGIME).await?;
    let clients = (args.capacity / 2).max(1);
    let report = soak::run(&load, server, &communes, period, args.minutes, clients).await?;
    println!();
    println!(
        "rush soak on {:?}: {:.1} minutes, {clients} clients",
        args.backend, args.minutes
    );
    println!("  seconds  resident MiB  file descriptors");
    for (seconds, resident, descriptors) in &report.samples {
        println!("  {seconds:>7.0}  {resident:>12.1}  {descriptors:>16}");
    }
    println!(
        "  requests {}, failed {}; after the warm-up {:.1} MiB / {} fds, at most {:.1} MiB / {} fds later (bound: +25 % + 32 MiB, +32 fds)",
        report.requests,
        report.failures,
        report.warm.0,
        report.warm.1,
        report.peak_after.0,
        report.peak_after.1
    );
    print_report(args, &load.recorder, &[], None, server);
    if !report.within_bounds() {
        bail!("the server's footprint grew beyond the bound");
    }
    Ok(())
}

/// The clients' shared state, logged in as the demo's administrator.
async fn connect(args: &Args, server: &Server) -> Result<Arc<Load>> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(4 * args.capacity.max(args.clients))
        .timeout(Duration::from_secs(120))
        .build()?;
    let login: Value = serde_json::from_slice(
        &http
            .post(format!("{}/api/v1/auth/token", server.base))
            .header("content-type", "application/json")
            .body(json!({"username": "admin", "password": "demo"}).to_string())
            .send()
            .await?
            .bytes()
            .await?,
    )?;
    let token = login["token"].as_str().context("admin token")?.to_string();
    Ok(Arc::new(Load {
        http,
        base: server.base.clone(),
        token,
        recorder: Recorder::default(),
    }))
}

async fn run(args: &Args, server: &Server, period: &str) -> Result<()> {
    let load = connect(args, server).await?;
    let wanted = |name: &str| args.scenarios.iter().any(|s| s == name);
    let mut scenarios = Vec::new();
    let communes = assignments(&load, COMMUNE_REGIME).await?;

    if wanted("ceiling") {
        // Cold: the first request after the start.
        let cold = Instant::now();
        load.get("first-get", "/api/v1/me").await;
        println!(
            "rush: first GET after start {:.1} ms",
            cold.elapsed().as_secs_f64() * 1e3
        );
        let seconds = drive(
            &load,
            args.clients,
            vec![(); args.ceiling_requests],
            |load, ()| async move {
                load.get("cheap-get", "/api/v1/me").await;
            },
        )
        .await;
        scenarios.push(Scenario {
            name: "ceiling",
            unit: "GETs",
            done: load.recorder.with("cheap-get", |k| k.ok()).unwrap_or(0),
            seconds: seconds.as_secs_f64(),
        });
    }

    if wanted("communes") {
        let agencies = communes.iter().map(|(agency, _)| agency.clone()).collect();
        let edit = |seed| commune_edit(0, seed);
        scenarios.push(
            save_and_submit(
                &load,
                args.clients,
                period,
                Reporters {
                    scenario: "communes",
                    regime: COMMUNE_REGIME,
                    agencies,
                    edit,
                    kinds: ("commune-save", "commune-submit"),
                },
            )
            .await,
        );
    }

    if wanted("provinces") {
        let agencies = assignments(&load, PROVINCE_REGIME)
            .await?
            .into_iter()
            .map(|(agency, _)| agency)
            .collect();
        scenarios.push(
            save_and_submit(
                &load,
                args.clients,
                period,
                Reporters {
                    scenario: "provinces",
                    regime: PROVINCE_REGIME,
                    agencies,
                    edit: province_edit,
                    kinds: ("province-save", "province-submit"),
                },
            )
            .await,
        );
    }

    if wanted("accept") && wanted("communes") {
        let mut by_receiver: std::collections::BTreeMap<&str, Vec<Value>> = Default::default();
        for (agency, receiver) in &communes {
            by_receiver
                .entry(receiver)
                .or_default()
                .push(json!({"regime": COMMUNE_REGIME, "agency": agency, "period": period}));
        }
        let batches: Vec<Vec<Value>> = by_receiver
            .into_values()
            .flat_map(|all| all.chunks(100).map(<[Value]>::to_vec).collect::<Vec<_>>())
            .collect();
        let done = Arc::new(AtomicU64::new(0));
        let counter = done.clone();
        let seconds = drive(&load, args.clients, batches, move |load, batch| {
            let counter = counter.clone();
            async move {
                let answer = load
                    .post(
                        "accept-bulk",
                        "/api/v1/reports/accept",
                        &json!({"reports": batch}),
                    )
                    .await;
                if answer.ok() {
                    counter.fetch_add(batch.len() as u64, Ordering::Relaxed);
                }
            }
        })
        .await;
        scenarios.push(Scenario {
            name: "accept",
            unit: "reports accepted",
            done: done.load(Ordering::Relaxed),
            seconds: seconds.as_secs_f64(),
        });
    }

    if wanted("push") {
        let push_period = month_after(period, 1)?;
        let mut by_receiver: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        for (agency, receiver) in &communes {
            by_receiver.entry(receiver).or_default().push(agency);
        }
        let sets: Vec<Value> = by_receiver
            .values()
            .map(|agencies| {
                let values: Vec<Value> = agencies
                    .iter()
                    .flat_map(|agency| {
                        ["XH11", "XH12", "XH13"].iter().map(
                            move |row| json!({"dataElement": row, "orgUnit": agency, "value": "2"}),
                        )
                    })
                    .collect();
                json!({"dataSet": COMMUNE_REGIME, "period": push_period, "dataValues": values})
            })
            .collect();
        let done = Arc::new(AtomicU64::new(0));
        let counter = done.clone();
        let seconds = drive(&load, args.clients, sets, move |load, set| {
            let counter = counter.clone();
            async move {
                let values = set["dataValues"].as_array().map_or(0, Vec::len) as u64;
                let answer = load.post("push", "/api/dataValueSets", &set).await;
                if answer.ok() && answer.body["status"] != "ERROR" {
                    counter.fetch_add(values, Ordering::Relaxed);
                }
            }
        })
        .await;
        scenarios.push(Scenario {
            name: "push",
            unit: "values pushed",
            done: done.load(Ordering::Relaxed),
            seconds: seconds.as_secs_f64(),
        });
    }

    let mut lost = None;
    if wanted("overload") {
        let overload_period = month_after(period, 2)?;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let prober = {
            let (load, stop) = (load.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    load.get("healthz", "/healthz").await;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        };
        let acknowledged = Arc::new(std::sync::Mutex::new(Vec::new()));
        let acks = acknowledged.clone();
        let items: Vec<(usize, String)> = communes
            .iter()
            .map(|(agency, _)| agency.clone())
            .enumerate()
            .collect();
        let period_of_overload = overload_period.clone();
        let seconds = drive(
            &load,
            4 * args.capacity,
            items,
            move |load, (seed, agency)| {
                let (acks, period) = (acks.clone(), period_of_overload.clone());
                async move {
                    let path = report_path(COMMUNE_REGIME, &agency, &period);
                    let edit = commune_edit(0, seed);
                    for _ in 0..30 {
                        let answer = load
                            .put("overload-save", &format!("{path}/draft"), &edit)
                            .await;
                        if answer.ok() {
                            let version = answer.body["version"].as_i64().unwrap_or(0);
                            acks.lock().expect("acks").push((agency, seed, version));
                            return;
                        }
                        if answer.status != 503 {
                            return;
                        }
                        let wait = answer.retry_after.unwrap_or(1).clamp(1, 5);
                        tokio::time::sleep(Duration::from_secs(wait)).await;
                    }
                }
            },
        )
        .await;
        stop.store(true, Ordering::Relaxed);
        prober.await?;
        // Every acknowledged save must be there, as it was sent.
        let acknowledged = std::mem::take(&mut *acknowledged.lock().expect("acks"));
        let mut missing = 0;
        for (agency, seed, version) in &acknowledged {
            let answer = load
                .get(
                    "read-back",
                    &report_path(COMMUNE_REGIME, agency, &overload_period),
                )
                .await;
            let expected = 1 + seed % 7;
            let stored = accidents_in(&answer.body);
            let fine = answer.ok()
                && answer.body["version"].as_i64().unwrap_or(0) >= *version
                && stored == Some(expected as f64);
            if !fine {
                missing += 1;
            }
        }
        lost = Some((acknowledged.len(), missing));
        scenarios.push(Scenario {
            name: "overload",
            unit: "saves acknowledged",
            done: acknowledged.len() as u64,
            seconds: seconds.as_secs_f64(),
        });
    }

    print_report(args, &load.recorder, &scenarios, lost, server);
    Ok(())
}

fn print_report(
    args: &Args,
    recorder: &Recorder,
    scenarios: &[Scenario],
    lost: Option<(usize, usize)>,
    server: &Server,
) {
    println!();
    println!(
        "rush on {:?}: {} clients, capacity {} (overload: {} clients)",
        args.backend,
        args.clients,
        args.capacity,
        4 * args.capacity
    );
    println!(
        "  {:<16} {:>8} {:>8} {:>9} {:>9} {:>9}  answers / error codes",
        "request", "count", "ok", "p50 ms", "p95 ms", "p99 ms"
    );
    for kind in recorder.kinds() {
        recorder.with(kind, |k| {
            let statuses: Vec<String> = k
                .statuses()
                .iter()
                .map(|(s, n)| format!("{s}×{n}"))
                .collect();
            let codes: Vec<String> = k.codes().iter().map(|(c, n)| format!("{c}×{n}")).collect();
            println!(
                "  {kind:<16} {:>8} {:>8} {:>9.1} {:>9.1} {:>9.1}  {} {}",
                k.count(),
                k.ok(),
                k.millis(0.50),
                k.millis(0.95),
                k.millis(0.99),
                statuses.join(" "),
                codes.join(" ")
            );
        });
    }
    let ceiling = scenarios
        .iter()
        .find(|s| s.name == "ceiling")
        .map(Scenario::rate);
    for scenario in scenarios {
        let ratio = match ceiling {
            Some(ceiling) if scenario.name != "ceiling" => {
                format!(
                    "  ratio to the cheap-GET ceiling {:.4}",
                    scenario.rate() / ceiling
                )
            }
            _ => String::new(),
        };
        println!(
            "  {:<10} {:>7} {} in {:.2} s: {:.1}/s{ratio}",
            scenario.name,
            scenario.done,
            scenario.unit,
            scenario.seconds,
            scenario.rate()
        );
    }
    if let Some((acknowledged, missing)) = lost {
        println!(
            "  overload: {acknowledged} saves acknowledged, {missing} not found as sent afterwards"
        );
    }
    if let Some(peak) = server.peak_memory_mib() {
        println!("  server peak memory {peak:.0} MiB");
    }
}
