//! The connector job ([`baocao_service::connectors`]) as the edge runs it — on schedule, from
//! the API and from the connectors page — every run counted in `/metrics`.

use baocao_service::Caller;
use baocao_service::connectors::ConnectorsError;
use baocao_store::StoreError;
use baocao_store::connectors::RunRecord;

pub use baocao_service::connectors::{run, source_of};

use crate::AppState;

fn counted(state: &AppState, run: &RunRecord) {
    state
        .metrics
        .connector_ran(run.succeeded, run.stored, run.rejected);
}

/// Runs the connectors that are due (the server's half-minute tick), counting each run.
pub async fn run_due(state: &AppState) -> Result<Vec<(String, RunRecord)>, StoreError> {
    let runs = baocao_service::connectors::run_due(state).await?;
    for (_, run) in &runs {
        counted(state, run);
    }
    Ok(runs)
}

/// Runs one connector now for an administrator, counting the run.
pub async fn run_now(
    state: &AppState,
    caller: &Caller,
    code: &str,
) -> Result<RunRecord, ConnectorsError> {
    let run = baocao_service::connectors::run_now(state, caller, code).await?;
    counted(state, &run);
    Ok(run)
}
