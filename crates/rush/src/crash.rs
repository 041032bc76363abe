//! The crash harness (`rush --scenarios crash --kills N`): clients save, submit, accept and
//! push while the server is killed with SIGKILL at a random moment, round after round; after
//! each restart every acknowledged write must be there as it was sent and no report may stand
//! beyond what was asked of it; at the end the audit chain must verify (which re-derives every
//! value, status and grant from its events and compares them with the tables, so nothing
//! half-applied can hide) and SQLite's integrity check must pass.
//!
//! Each round takes communes of its own (a later month once all have been used), and each
//! commune goes through one sequence — save (or a push of the same numbers), submit, accept —
//! stopping at the first step that is not acknowledged. A step sent but not answered may or
//! may not have happened; one answered 2xx must have.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde_json::{Value, json};

use crate::server::Server;
use crate::{COMMUNE_REGIME, Load, commune_edit, month_after, report_path};

/// Communes a round drives.
const PER_ROUND: usize = 24;
/// Clients at once within a round.
const CLIENTS: usize = 8;

/// How far one commune's sequence got: steps sent, steps acknowledged (0 none, 1 saved or
/// pushed, 2 submitted, 3 accepted).
#[derive(Debug, Clone, Default)]
struct Progress {
    agency: String,
    period: String,
    seed: usize,
    pushed: bool,
    sent: u8,
    acknowledged: u8,
}

/// What the harness found.
#[derive(Debug, Default)]
pub struct CrashReport {
    pub kills: usize,
    pub acknowledged: [usize; 3],
    pub lost: usize,
    pub beyond: usize,
    pub audit: String,
    pub integrity: String,
}

/// A small deterministic generator (no dependency for it): the kill moments of a run are
/// the same for the same seed.
struct Moments(u64);

impl Moments {
    fn next_millis(&mut self, low: u64, high: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        low + (self.0 >> 33) % (high - low).max(1)
    }
}

fn status_rank(status: &Value) -> u8 {
    match status.as_str() {
        Some("accepted") => 3,
        Some("submitted") => 2,
        Some("draft" | "returned") => 1,
        _ => 0,
    }
}

async fn sequence(load: Arc<Load>, mut progress: Progress) -> Progress {
    let path = report_path(COMMUNE_REGIME, &progress.agency, &progress.period);
    progress.sent = 1;
    let saved = if progress.pushed {
        // The same numbers a save sends (`commune_edit`).
        let accidents = 1 + progress.seed % 7;
        let rows = [
            ("XH11", accidents),
            ("XH12", accidents / 2),
            ("XH13", progress.seed % 3),
        ];
        let values: Vec<Value> = rows
            .iter()
            .map(|(row, value)| json!({"dataElement": row, "orgUnit": progress.agency, "value": value.to_string()}))
            .collect();
        let set =
            json!({"dataSet": COMMUNE_REGIME, "period": progress.period, "dataValues": values});
        let answer = load.post("crash-push", "/api/dataValueSets", &set).await;
        answer.ok() && answer.body["status"] != "ERROR"
    } else {
        load.put(
            "crash-save",
            &format!("{path}/draft"),
            &commune_edit(0, progress.seed),
        )
        .await
        .ok()
    };
    if !saved {
        return progress;
    }
    progress.acknowledged = 1;
    progress.sent = 2;
    if !crate::submit(&load, "crash-submit", &path).await {
        return progress;
    }
    progress.acknowledged = 2;
    progress.sent = 3;
    if load
        .post("crash-accept", &format!("{path}/accept"), &json!({}))
        .await
        .ok()
    {
        progress.acknowledged = 3;
    }
    progress
}

/// Checks one commune after a restart: answers (lost, beyond).
async fn check(load: &Load, progress: &Progress) -> (bool, bool) {
    let answer = load
        .get(
            "crash-read",
            &report_path(COMMUNE_REGIME, &progress.agency, &progress.period),
        )
        .await;
    let rank = status_rank(&answer.body["status"]);
    let value = crate::accidents_in(&answer.body);
    let expected = (1 + progress.seed % 7) as f64;
    let lost = progress.acknowledged > 0
        && (!answer.ok() || rank < progress.acknowledged || value != Some(expected));
    let beyond = rank > progress.sent;
    (lost, beyond)
}

/// Runs `kills` rounds on `server` (restarted after each kill).
pub async fn run(
    load: &Arc<Load>,
    server: &mut Server,
    communes: &[(String, String)],
    period: &str,
    kills: usize,
) -> Result<CrashReport> {
    if communes.is_empty() {
        bail!("no commune is assigned {COMMUNE_REGIME}");
    }
    let mut report = CrashReport::default();
    let mut moments = Moments(0x5EED_0FBA_0CA0);
    let started = Instant::now();
    for round in 0..kills {
        let first = round * PER_ROUND;
        let months = 3 + (first / communes.len()) as i32;
        let round_period = month_after(period, months)?;
        let mine: Vec<Progress> = (first..first + PER_ROUND)
            .map(|n| Progress {
                agency: communes[n % communes.len()].0.clone(),
                period: round_period.clone(),
                seed: n,
                pushed: n % 4 == 3,
                ..Progress::default()
            })
            .collect();
        let queue = Arc::new(std::sync::Mutex::new(mine));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..CLIENTS {
            let (queue, load) = (queue.clone(), load.clone());
            tasks.spawn(async move {
                let mut done = Vec::new();
                loop {
                    let next = queue.lock().expect("queue").pop();
                    let Some(progress) = next else { break };
                    done.push(sequence(load.clone(), progress).await);
                }
                done
            });
        }
        tokio::time::sleep(Duration::from_millis(moments.next_millis(30, 600))).await;
        server.kill()?;
        report.kills += 1;
        let mut finished = Vec::new();
        while let Some(done) = tasks.join_next().await {
            finished.extend(done?);
        }
        server.relaunch().await?;
        for progress in &finished {
            for step in 1..=3u8 {
                if progress.acknowledged >= step {
                    report.acknowledged[usize::from(step) - 1] += 1;
                }
            }
            let (lost, beyond) = check(load, progress).await;
            report.lost += usize::from(lost);
            report.beyond += usize::from(beyond);
            if lost || beyond {
                eprintln!("rush crash: round {round}: {progress:?} is not as acknowledged");
            }
        }
        if (round + 1) % 10 == 0 || round + 1 == kills {
            println!(
                "rush crash: {} kills in {:.0} s; acknowledged {:?}; lost {}",
                report.kills,
                started.elapsed().as_secs_f64(),
                report.acknowledged,
                report.lost
            );
        }
    }
    // The chain and the tables, with the server down so that nothing moves meanwhile.
    server.kill()?;
    let (sound, said) = server.command(&["audit", "verify", "--database", &server.database])?;
    report.audit = if sound {
        // Its summary line ("N events, last …: sound"), not a log line beside it.
        said.lines()
            .rfind(|line| line.contains(" events, "))
            .unwrap_or("sound")
            .to_string()
    } else {
        format!("NOT SOUND: {said}")
    };
    report.integrity = integrity(&server.database).await?;
    server.relaunch().await?;
    Ok(report)
}

/// SQLite's own check of the file ("ok"); PostgreSQL keeps its own consistency.
async fn integrity(database: &str) -> Result<String> {
    if !database.starts_with("sqlite://") {
        return Ok("n/a (PostgreSQL)".into());
    }
    use sqlx::Connection;
    let mut connection = sqlx::SqliteConnection::connect(database).await?;
    let answer: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut connection)
        .await?;
    connection.close().await?;
    Ok(answer)
}
