//! The soak run (`rush --scenarios soak --minutes N`): a mixed load at half the server's
//! capacity for a bounded time — reports read and saved (each save on the version just
//! read), analytics asked, the cheap GET — while the server's resident memory and open file
//! descriptors are sampled every few seconds. What it holds to: after the first fifth of the
//! run (caches filled, pools opened), memory grows by at most a quarter plus 32 MiB and file
//! descriptors by at most 32; a leak of a few bytes a request shows well before an hour.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::server::Server;
use crate::{COMMUNE_REGIME, Load, commune_edit, month_after, report_path};
use anyhow::{Result, bail};

/// How often the server's footprint is read.
const SAMPLE_EVERY: Duration = Duration::from_secs(5);

pub struct SoakReport {
    pub requests: usize,
    pub failures: usize,
    /// (seconds since the start, resident MiB, file descriptors).
    pub samples: Vec<(f64, f64, usize)>,
    /// The footprint at the end of the warm-up, and the most seen after it.
    pub warm: (f64, usize),
    pub peak_after: (f64, usize),
}

impl SoakReport {
    pub fn within_bounds(&self) -> bool {
        self.peak_after.0 <= self.warm.0 * 1.25 + 32.0 && self.peak_after.1 <= self.warm.1 + 32
    }
}

pub async fn run(
    load: &Arc<Load>,
    server: &Server,
    communes: &[(String, String)],
    period: &str,
    minutes: f64,
    clients: usize,
) -> Result<SoakReport> {
    if communes.is_empty() {
        bail!("no commune is assigned {COMMUNE_REGIME}");
    }
    let soak_period = month_after(period, 4)?;
    let length = Duration::from_secs_f64(minutes * 60.0);
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(AtomicUsize::new(0));
    let communes: Arc<Vec<String>> = Arc::new(communes.iter().map(|(a, _)| a.clone()).collect());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients.max(1) {
        let (load, stop, next, failures, communes, soak_period) = (
            load.clone(),
            stop.clone(),
            next.clone(),
            failures.clone(),
            communes.clone(),
            soak_period.clone(),
        );
        tasks.spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let agency = &communes[n % communes.len()];
                let path = report_path(COMMUNE_REGIME, agency, &soak_period);
                let fine = match n % 4 {
                    0 => load.get("soak-read", &path).await.ok(),
                    1 => {
                        let read = load.get("soak-read", &path).await;
                        let version = read.body["version"].as_i64().unwrap_or(0);
                        let saved = load
                            .put("soak-save", &format!("{path}/draft"), &commune_edit(version, n))
                            .await;
                        // Two clients on one report: the optimistic lock refuses the later.
                        saved.ok() || saved.status == 409
                    }
                    2 => load
                        .get(
                            "soak-analytics",
                            &format!("/api/v1/analytics?indicator=XH11&period={soak_period}&agency={agency}"),
                        )
                        .await
                        .ok(),
                    _ => load.get("soak-me", "/api/v1/me").await.ok(),
                };
                if !fine {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    let mut samples = Vec::new();
    while started.elapsed() < length {
        if let Some((resident, descriptors)) = server.footprint() {
            samples.push((started.elapsed().as_secs_f64(), resident, descriptors));
        }
        tokio::time::sleep(SAMPLE_EVERY.min(length.saturating_sub(started.elapsed()))).await;
    }
    stop.store(true, Ordering::Relaxed);
    while tasks.join_next().await.is_some() {}
    if let Some((resident, descriptors)) = server.footprint() {
        samples.push((started.elapsed().as_secs_f64(), resident, descriptors));
    }
    let warm_up = length.as_secs_f64() / 5.0;
    let warm = samples
        .iter()
        .filter(|(t, _, _)| *t <= warm_up)
        .fold((0.0_f64, 0_usize), |(m, f), (_, r, d)| {
            (m.max(*r), f.max(*d))
        });
    let peak_after = samples
        .iter()
        .filter(|(t, _, _)| *t > warm_up)
        .fold((0.0_f64, 0_usize), |(m, f), (_, r, d)| {
            (m.max(*r), f.max(*d))
        });
    Ok(SoakReport {
        requests: next.load(Ordering::Relaxed),
        failures: failures.load(Ordering::Relaxed),
        samples,
        warm,
        peak_after,
    })
}
