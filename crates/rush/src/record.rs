//! What a run measured: per request kind, the latency histogram, the answers by status and
//! the wall time the kind was driven for.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;

/// One request kind's measurements.
pub struct Kind {
    /// Microseconds, 1 µs to 10 min, three significant figures.
    latencies: Histogram<u64>,
    /// Answers by HTTP status (0: no answer — connection refused, reset or timed out).
    statuses: BTreeMap<u16, u64>,
    /// Error codes of 4xx/5xx answers (`error.code` of the JSON body).
    codes: BTreeMap<String, u64>,
}

impl Kind {
    fn new() -> Self {
        Self {
            latencies: Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds"),
            statuses: BTreeMap::new(),
            codes: BTreeMap::new(),
        }
    }

    pub fn count(&self) -> u64 {
        self.latencies.len()
    }

    /// The latency at `quantile`, in milliseconds.
    pub fn millis(&self, quantile: f64) -> f64 {
        self.latencies.value_at_quantile(quantile) as f64 / 1000.0
    }

    pub fn ok(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(status, _)| (200..300).contains(*status))
            .map(|(_, n)| n)
            .sum()
    }

    pub fn statuses(&self) -> &BTreeMap<u16, u64> {
        &self.statuses
    }

    pub fn codes(&self) -> &BTreeMap<String, u64> {
        &self.codes
    }
}

/// Every kind's measurements of one run, shared by its clients.
#[derive(Default)]
pub struct Recorder {
    kinds: Mutex<BTreeMap<&'static str, Kind>>,
}

impl Recorder {
    pub fn record(&self, kind: &'static str, took: Duration, status: u16, code: Option<String>) {
        let mut kinds = self.kinds.lock().expect("recorder lock");
        let entry = kinds.entry(kind).or_insert_with(Kind::new);
        let micros = (took.as_micros() as u64).clamp(1, 600_000_000);
        entry
            .latencies
            .record(micros)
            .expect("latency within bounds");
        *entry.statuses.entry(status).or_default() += 1;
        if let Some(code) = code {
            *entry.codes.entry(code).or_default() += 1;
        }
    }

    /// Runs `read` over one kind's measurements, if any were made.
    pub fn with<T>(&self, kind: &str, read: impl FnOnce(&Kind) -> T) -> Option<T> {
        self.kinds
            .lock()
            .expect("recorder lock")
            .get(kind)
            .map(read)
    }

    pub fn kinds(&self) -> Vec<&'static str> {
        self.kinds
            .lock()
            .expect("recorder lock")
            .keys()
            .copied()
            .collect()
    }
}
