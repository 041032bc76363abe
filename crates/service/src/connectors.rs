//! Running connectors: fetch a peer's records over HTTP(S) with its credentials, map each with
//! the connector's declarative mapping ([`baocao_domain::connector`]), store the values as
//! coming from the connector (`source = connector:CODE`, channel `connector`) and log the run
//! with its counts and first errors. A run that cannot fetch or read the peer fails and is
//! retried with back-off (1, 2, 4 … minutes); records the mapping refuses are counted and
//! listed, the others stored.
//!
//! [`run_due`] is what the server's scheduler calls every half minute; a due connector is
//! claimed first, so several servers share the schedule without running a connector twice.

use baocao_domain::audit::{Channel as AuditChannel, Provenance};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use baocao_domain::Date;
use baocao_domain::connector::{ConnectorSpec, PeerAuth, PeerFormat};
use baocao_domain::value::{Channel, DataValue};
use baocao_store::connectors::{ConnectorRecord, RunRecord};
use serde_json::json;

use baocao_domain::permission::Action;
use baocao_store::StoreError;
use serde::Serialize;

use crate::catalogue::Catalogue;
use crate::{Caller, Context};

/// The largest answer read from a peer.
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;
/// Refused records listed in a run's log (the count covers them all).
const ERRORS_KEPT: usize = 50;
/// How long a claimed run may take before another server may take the connector.
const LEASE_MINUTES: i64 = 15;

/// The source stored with a connector's values.
pub fn source_of(code: &str) -> String {
    format!("connector:{code}")
}

/// Runs every due connector; answers the runs made.
pub async fn run_due(state: &Context) -> Result<Vec<(String, RunRecord)>, StoreError> {
    let now = state.now_text();
    let mut runs = Vec::new();
    for connector in state.store.due_connectors(&now).await? {
        let lease = baocao_store::timestamp_text(
            state.clock.now() + jiff::SignedDuration::from_mins(LEASE_MINUTES),
        );
        if !state
            .store
            .claim_connector(&connector.code, &connector.next_run_at, &lease)
            .await?
        {
            continue;
        }
        let run = run(state, &connector).await?;
        runs.push((connector.code, run));
    }
    Ok(runs)
}

/// Runs one connector now, logs the run and sets its next one.
pub async fn run(state: &Context, connector: &ConnectorRecord) -> Result<RunRecord, StoreError> {
    let started_at = state.now_text();
    let attempt = connector.failures + 1;
    let outcome = match fetch(&connector.spec).await {
        Ok(body) => store(state, connector, &body).await?,
        Err(reason) => Err(reason),
    };
    let succeeded = outcome.is_ok();
    let counts = outcome.as_ref().ok();
    let (fetched, stored, rejected) =
        counts.map_or((0, 0, 0), |c| (c.fetched, c.stored, c.rejected));
    let run = RunRecord {
        started_at,
        finished_at: state.now_text(),
        succeeded,
        attempt,
        fetched,
        stored,
        rejected,
        message: match &outcome {
            Ok(_) => format!(
                "{fetched} bản ghi đọc được, {stored} giá trị lưu, {rejected} bị từ chối / {fetched} records read, {stored} values stored, {rejected} refused"
            ),
            Err(reason) => reason.clone(),
        },
        errors: json!(counts.map_or(&Vec::new(), |c| &c.errors)).to_string(),
    };
    // Failures in a row, behind the back-off: this attempt's, or none after a success.
    let failures = if succeeded { 0 } else { attempt };
    let wait = connector
        .spec
        .next_run_after(u32::try_from(failures).unwrap_or(0));
    let next_run_at = baocao_store::timestamp_text(state.clock.now() + wait);
    state
        .store
        .record_connector_run(
            &connector.code,
            &run,
            &next_run_at,
            failures,
            &Provenance::system(&state.now_text(), AuditChannel::Connector),
        )
        .await?;
    Ok(run)
}

/// The peer's answer, or why it could not be had (Vietnamese / English).
async fn fetch(spec: &ConnectorSpec) -> Result<Vec<u8>, String> {
    let failed = |e: &dyn std::fmt::Display| {
        format!(
            "Không lấy được dữ liệu từ {} / cannot fetch {}: {e}",
            spec.url, spec.url
        )
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| failed(&e))?;
    let mut request = client.get(&spec.url);
    request = match &spec.auth {
        PeerAuth::None => request,
        PeerAuth::Bearer { token } => request.bearer_auth(token),
        PeerAuth::Basic { username, password } => request.basic_auth(username, Some(password)),
        PeerAuth::Header { name, value } => request.header(name.as_str(), value.as_str()),
    };
    let mut response = request.send().await.map_err(|e| failed(&e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!(
            "Hệ thống nguồn trả lời {status} / the peer answered {status} ({})",
            spec.url
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| failed(&e))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ANSWER_BYTES {
            return Err(format!(
                "Câu trả lời vượt {MAX_ANSWER_BYTES} byte / the answer is over {MAX_ANSWER_BYTES} bytes"
            ));
        }
    }
    Ok(body)
}

/// The records of an answer, each as its fields' texts.
fn records(spec: &ConnectorSpec, body: &[u8]) -> Result<Vec<BTreeMap<String, String>>, String> {
    let records = match spec.format {
        PeerFormat::Json => baocao_formats::records::json_records(body, &spec.mapping.records),
        PeerFormat::Csv => baocao_formats::records::csv_records(body),
    };
    records.map_err(|error| error.to_string())
}

struct Counts {
    fetched: i32,
    stored: i32,
    /// Records refused, all counted.
    rejected: i32,
    /// The first [`ERRORS_KEPT`] refusals with their reasons.
    errors: Vec<serde_json::Value>,
}

/// Maps and stores an answer's records; `Err` when the answer cannot be read at all.
async fn store(
    state: &Context,
    connector: &ConnectorRecord,
    body: &[u8],
) -> Result<Result<Counts, String>, StoreError> {
    let records = match records(&connector.spec, body) {
        Ok(records) => records,
        Err(reason) => return Ok(Err(reason)),
    };
    let catalogue = Catalogue::load(&state.store).await?;
    let source = source_of(&connector.code);
    let mut counts = Counts {
        fetched: records.len() as i32,
        stored: 0,
        rejected: 0,
        errors: Vec::new(),
    };
    let mut refuse = |index: usize, reason_vi: String, reason_en: String| {
        counts.rejected += 1;
        if counts.errors.len() < ERRORS_KEPT {
            counts
                .errors
                .push(json!({"record": index, "message": reason_vi, "message_en": reason_en}));
        }
    };
    let mut values = Vec::new();
    let mut graphs: HashMap<Date, std::sync::Arc<baocao_domain::aggregation::AgencyGraph>> =
        HashMap::new();
    for (index, record) in records.iter().enumerate() {
        let mapped = connector.spec.mapping.apply(
            |name| record.get(name).cloned(),
            &catalogue.indicators,
            &catalogue.categories,
        );
        let mapped = match mapped {
            Ok(mapped) => mapped,
            Err(error) => {
                refuse(
                    index,
                    format!("Bản ghi {index} không ánh xạ được: {error}"),
                    format!("Record {index} cannot be mapped: {error}"),
                );
                continue;
            }
        };
        let on = mapped.period.end();
        let graph = match graphs.get(&on) {
            Some(graph) => graph.clone(),
            None => {
                let (graph, _) = crate::aggregates::agency_graph(state, on).await?;
                graphs.insert(on, graph.clone());
                graph
            }
        };
        if graph.find(&mapped.agency).is_none() {
            refuse(
                index,
                format!(
                    "Bản ghi {index}: không có cơ quan {} vào cuối kỳ {}",
                    mapped.agency, mapped.period
                ),
                format!(
                    "Record {index}: no agency {} at the end of {}",
                    mapped.agency, mapped.period
                ),
            );
            continue;
        }
        values.push(DataValue {
            indicator: mapped.indicator,
            options: mapped.options,
            agency: mapped.agency,
            period: mapped.period,
            value: mapped.value,
            channel: Channel::Connector,
            source: source.clone(),
        });
    }
    counts.stored = values.len() as i32;
    state
        .store
        .upsert_values_by(
            &values,
            &Provenance::system(&state.now_text(), AuditChannel::Connector),
        )
        .await?;
    Ok(Ok(counts))
}

/// Why a connector use case did not run.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorsError {
    #[error("connector {0} not found")]
    UnknownConnector(String),
    #[error("forbidden")]
    Forbidden,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ConnectorsError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownConnector(_) => "not_found",
            Self::Forbidden => "forbidden",
            Self::Store(_) => "store",
        }
    }
}

/// Connectors are the system administrators' (a manager of the whole country's users).
pub fn may_manage(caller: &Caller) -> bool {
    caller.may(Action::ManageUsers {
        agency: &crate::national(),
    })
}

fn require_admin(caller: &Caller) -> Result<(), ConnectorsError> {
    if may_manage(caller) {
        Ok(())
    } else {
        Err(ConnectorsError::Forbidden)
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectorView {
    code: String,
    name: String,
    url: String,
    format: baocao_domain::connector::PeerFormat,
    /// `none`, `bearer`, `basic` or `header`: the credentials themselves are not shown.
    auth: &'static str,
    every_minutes: u32,
    mapping: baocao_domain::connector::Mapping,
    enabled: bool,
    next_run_at: String,
    failures: i32,
    source: String,
    updated_by: String,
    updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    runs: Option<Vec<RunRecord>>,
}

pub fn view(record: ConnectorRecord, runs: Option<Vec<RunRecord>>) -> ConnectorView {
    ConnectorView {
        auth: record.spec.auth.kind(),
        source: source_of(&record.code),
        code: record.code,
        name: record.spec.name,
        url: record.spec.url,
        format: record.spec.format,
        every_minutes: record.spec.every_minutes,
        mapping: record.spec.mapping,
        enabled: record.enabled,
        next_run_at: record.next_run_at,
        failures: record.failures,
        updated_by: record.updated_by,
        updated_at: record.updated_at,
        runs,
    }
}

/// A connector by its code.
pub async fn find(state: &Context, code: &str) -> Result<ConnectorRecord, ConnectorsError> {
    state
        .store
        .connector(code)
        .await?
        .ok_or_else(|| ConnectorsError::UnknownConnector(code.to_string()))
}

/// Every connector, each with its last `runs` runs (none: no run log).
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username))]
pub async fn listing(
    state: &Context,
    caller: &Caller,
    runs: i64,
) -> Result<Vec<ConnectorView>, ConnectorsError> {
    require_admin(caller)?;
    let mut views = Vec::new();
    for record in state.store.connectors().await? {
        let log = if runs > 0 {
            Some(state.store.connector_runs(&record.code, runs).await?)
        } else {
            None
        };
        views.push(view(record, log));
    }
    Ok(views)
}

/// Runs a connector now (the API's and the page's "run now").
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, code))]
pub async fn run_now(
    state: &Context,
    caller: &Caller,
    code: &str,
) -> Result<RunRecord, ConnectorsError> {
    require_admin(caller)?;
    let record = find(state, code).await?;
    Ok(run(state, &record).await?)
}
