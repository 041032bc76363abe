//! Row ids kept in memory once read: a period's row and a regime's row are never deleted
//! or renumbered, so the code → id answer of a committed row holds for the life of the
//! database, and a write need not look it up again (the deadline hour asks the same few
//! thousand times a second).

use std::collections::HashMap;
use std::sync::Mutex;

use baocao_domain::period::PeriodId;
use baocao_domain::regime::RegimeCode;

/// Ids of committed rows only: a row made inside a transaction that may still roll back is
/// never kept.
#[derive(Debug, Default)]
pub(crate) struct KnownIds {
    periods: Mutex<HashMap<PeriodId, i32>>,
    regimes: Mutex<HashMap<RegimeCode, i32>>,
}

fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Each change is one insert: a panic elsewhere cannot leave a map half-written.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl KnownIds {
    pub fn period(&self, period: PeriodId) -> Option<i32> {
        locked(&self.periods).get(&period).copied()
    }

    pub fn keep_period(&self, period: PeriodId, id: i32) {
        locked(&self.periods).insert(period, id);
    }

    pub fn regime(&self, code: &RegimeCode) -> Option<i32> {
        locked(&self.regimes).get(code).copied()
    }

    pub fn keep_regime(&self, code: &RegimeCode, id: i32) {
        locked(&self.regimes).insert(code.clone(), id);
    }
}
