//! Reading analytics and exports from a PostgreSQL hot standby (`--read-database-url`), and
//! from the primary whenever the standby is further behind than the deployment allows: a
//! number can be older than the primary's by at most that lag, never more.
//!
//! A question reads everything it needs — the change counters, the hierarchy, the roll-ups,
//! the values — from one database, so what it keeps in memory is kept under counters as old
//! as its data. A roll-up the standby holds stale is not rebuilt there (it cannot write): the
//! question reads the values instead.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use baocao_store::Store;

/// How often the standby's lag is measured at most.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// A hot standby and how far behind it may be.
pub struct Replica {
    store: Store,
    max_lag: Duration,
    /// When the lag was last measured, and whether it was within `max_lag`.
    checked: Mutex<Option<(Instant, bool)>>,
    served: AtomicU64,
    fell_back: AtomicU64,
}

/// Reads that went to the standby, and to the primary because it was too far behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaReads {
    pub served: u64,
    pub fell_back: u64,
}

impl Replica {
    pub fn new(store: Store, max_lag: Duration) -> Self {
        Self {
            store,
            max_lag,
            checked: Mutex::new(None),
            served: AtomicU64::new(0),
            fell_back: AtomicU64::new(0),
        }
    }

    pub fn reads(&self) -> ReplicaReads {
        ReplicaReads {
            served: self.served.load(Ordering::Relaxed),
            fell_back: self.fell_back.load(Ordering::Relaxed),
        }
    }

    /// Whether the standby is within the allowed lag, measured at most every second.
    async fn fresh(&self, primary: &Store) -> bool {
        let kept = *self.checked.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, fresh)) = kept
            && at.elapsed() < CHECK_EVERY.min(self.max_lag / 2)
        {
            return fresh;
        }
        let fresh = match self.store.replication_lag(primary).await {
            Ok(Some(lag)) => lag <= self.max_lag,
            Ok(None) => {
                tracing::warn!("the read database is not a standby of the primary");
                false
            }
            Err(error) => {
                tracing::warn!(%error, "the standby's lag could not be measured");
                false
            }
        };
        *self.checked.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), fresh));
        fresh
    }

    /// The standby if it is fresh enough, else `primary`; whether it was the standby.
    pub(crate) async fn reader(&self, primary: &Store) -> (Store, bool) {
        if self.fresh(primary).await {
            self.served.fetch_add(1, Ordering::Relaxed);
            (self.store.clone(), true)
        } else {
            self.fell_back.fetch_add(1, Ordering::Relaxed);
            (primary.clone(), false)
        }
    }
}
