//! The audit trail's use cases: signing checkpoints with the server's key, verifying the
//! chain and re-deriving from it the state of the tables, exporting a self-contained bundle,
//! and reading events under the permission policy (an agency's subtree; auditors and
//! administrators).
//!
//! Retention: events are never deleted in place. A deployment archives by exporting bundles
//! (`baocao audit export`), which verify on their own.

use std::io::Write;

use futures_util::TryStreamExt;

use baocao_domain::agency::AgencyCode;
use baocao_domain::audit::{
    BUNDLE_FORMAT, BundleHeader, BundleLine, ChainWalk, Checkpoint, Event, Finding, state_changes,
};
use baocao_domain::permission::Action;
use baocao_domain::signature::KeyPair;
use baocao_store::audit::AuditFilter;
use baocao_store::derived::DerivedState;
use baocao_store::{Store, StoreError};

use crate::{Caller, Context};

/// Rows of one table that differ from the chain, named one by one before "and more".
const ROWS_NAMED: usize = 10_000;
/// When the server signs a checkpoint on its own: once `events` events follow the last one,
/// or once the last one is `seconds` old and events follow it (settings
/// `audit_checkpoint_events` and `audit_checkpoint_seconds`). Events after the last checkpoint
/// are protected by their links only, so these bound what a rewrite could go unnoticed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointPolicy {
    pub events: i64,
    pub seconds: i64,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        Self {
            events: 1_000,
            seconds: 60,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("forbidden")]
    Forbidden,
    #[error("invalid filter: {0}")]
    InvalidFilter(String),
    #[error("agency {0} not found")]
    UnknownAgency(String),
    #[error("the audit chain is empty")]
    Empty,
    #[error("cannot sign: {0}")]
    Signing(String),
    #[error("cannot write the bundle: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuditError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Forbidden => "forbidden",
            Self::InvalidFilter(_) => "invalid_filter",
            Self::UnknownAgency(_) => "not_found",
            Self::Empty => "empty",
            Self::Signing(_) => "signing",
            Self::Io(_) => "io",
            Self::Store(_) => "store",
        }
    }
}

/// The server's audit key, made on first use and kept sealed.
async fn server_key(store: &Store, now: &str) -> Result<KeyPair, AuditError> {
    if let Some((secret_hex, public_hex)) = store.audit_key().await? {
        return Ok(KeyPair {
            secret_hex,
            public_hex,
        });
    }
    let keys = crate::fresh_key_pair();
    store
        .add_audit_key(&keys.secret_hex, &keys.public_hex, now)
        .await?;
    Ok(keys)
}

/// Signs a checkpoint at the chain's last event, unless one is there already; answers it.
pub async fn checkpoint(store: &Store, now: &str) -> Result<Option<Checkpoint>, AuditError> {
    let (seq, hash) = store.audit_head().await?;
    if seq == 0 {
        return Ok(None);
    }
    let last = store.last_audit_checkpoint().await?;
    if last.as_ref().is_some_and(|c| c.seq >= seq) {
        return Ok(None);
    }
    let keys = server_key(store, now).await?;
    let signed = Checkpoint::sign(&keys, seq, &hash, now)
        .ok_or_else(|| AuditError::Signing("the server's audit key is not a key".into()))?;
    store.add_audit_checkpoint(&signed).await?;
    Ok(Some(signed))
}

/// Signs a checkpoint if `policy` says one is due (the server's schedule calls this).
pub async fn checkpoint_if_due(
    store: &Store,
    now: jiff::Timestamp,
    policy: CheckpointPolicy,
) -> Result<Option<Checkpoint>, AuditError> {
    let (seq, _) = store.audit_head().await?;
    let last = store.last_audit_checkpoint().await?;
    let due = match &last {
        None => seq > 0,
        Some(last) if last.seq >= seq => false,
        Some(last) => {
            let old = last
                .at
                .parse::<jiff::Timestamp>()
                .map(|at| now.duration_since(at).as_secs() >= policy.seconds)
                .unwrap_or(true);
            old || seq - last.seq >= policy.events
        }
    };
    if !due {
        return Ok(None);
    }
    checkpoint(store, &baocao_store::timestamp_text(now)).await
}

/// What verifying the database found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Verification {
    pub events: u64,
    pub last: i64,
    pub checkpoints: usize,
    /// The last event a checkpoint signs (events after it are checked by their links only).
    pub signed_through: i64,
    pub findings: Vec<Finding>,
}

impl Verification {
    pub fn sound(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Walks the whole chain, checking every link and checkpoint, re-derives the state of data
/// values, report statuses, grants and regime versions from the events and compares it with
/// the tables. Memory stays bounded however long the chain: events are read one at a time
/// from one statement, and the re-derived values and reports are kept in a scratch file in
/// the system's temporary directory (`TMPDIR`), removed afterwards.
pub async fn verify(store: &Store) -> Result<Verification, AuditError> {
    verify_reporting(store, &|_, _| ()).await
}

/// [`verify`], telling `progress` the events walked so far and the chain's length (every few
/// thousand events, and at the end).
pub async fn verify_reporting(
    store: &Store,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Verification, AuditError> {
    const EVERY: u64 = 4096;
    let total = store
        .audit_span(None, None)
        .await?
        .map_or(0, |(_, last)| u64::try_from(last).unwrap_or(0));
    let checkpoints = store.audit_checkpoints().await?;
    let signed_through = checkpoints.iter().map(|c| c.seq).max().unwrap_or(0);
    let count = checkpoints.len();
    let keys = store.audit_public_keys().await?;
    let mut walk = ChainWalk::new(checkpoints, &keys);
    let mut derived = DerivedState::create(&std::env::temp_dir()).await?;
    let mut unreadable = Vec::new();
    let mut events = store.audit_events_streamed(0);
    let mut walked = 0u64;
    while let Some(event) = events.try_next().await? {
        walk.step(&event);
        match state_changes(&event) {
            Ok(changes) => derived.apply(changes).await?,
            Err(finding) => unreadable.push(finding),
        }
        walked += 1;
        if walked.is_multiple_of(EVERY) {
            progress(walked, total.max(walked));
        }
    }
    drop(events);
    progress(walked, total.max(walked));
    let events = walk.events;
    let (mut findings, last) = walk.finish();
    findings.extend(unreadable);
    findings.extend(store.audit_differences(derived, ROWS_NAMED).await?);
    Ok(Verification {
        events,
        last,
        checkpoints: count,
        signed_through,
        findings,
    })
}

/// What an export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exported {
    pub first: i64,
    pub last: i64,
    pub events: u64,
    pub checkpoints: usize,
}

/// Writes the events stamped from `from` (inclusive) to `to` (exclusive) — extended to the
/// next signed checkpoint, signing one at the chain's end if needed, so the bundle's last
/// event is signed — with their checkpoints and the server's public keys, as JSON Lines.
pub async fn export(
    store: &Store,
    from: Option<&str>,
    to: Option<&str>,
    now: &str,
    out: &mut impl Write,
) -> Result<Exported, AuditError> {
    checkpoint(store, now).await?;
    let (first, chosen_last) = store.audit_span(from, to).await?.ok_or(AuditError::Empty)?;
    let checkpoints: Vec<Checkpoint> = store.audit_checkpoints().await?;
    let last = checkpoints
        .iter()
        .map(|c| c.seq)
        .find(|seq| *seq >= chosen_last)
        .ok_or(AuditError::Empty)?;
    let anchor = if first == 1 {
        baocao_domain::audit::GENESIS.to_string()
    } else {
        store
            .audit_events_after(first - 1, 1)
            .await?
            .first()
            .map(|e| e.prev_hash.clone())
            .ok_or(AuditError::Empty)?
    };
    let line = |out: &mut dyn Write, line: &BundleLine| -> Result<(), AuditError> {
        serde_json::to_writer(&mut *out, line).map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
        Ok(())
    };
    line(
        out,
        &BundleLine::Header(BundleHeader {
            format: BUNDLE_FORMAT.to_string(),
            first,
            last,
            anchor,
            public_keys: store.audit_public_keys().await?,
            exported_at: now.to_string(),
        }),
    )?;
    let mut count = 0;
    for checkpoint in checkpoints
        .into_iter()
        .filter(|c| (first..=last).contains(&c.seq))
    {
        line(out, &BundleLine::Checkpoint(checkpoint))?;
        count += 1;
    }
    let mut events = 0;
    let mut stream = store.audit_events_streamed(first - 1);
    while let Some(event) = stream.try_next().await? {
        if event.seq > last {
            break;
        }
        line(out, &BundleLine::Event(event))?;
        events += 1;
    }
    out.flush()?;
    Ok(Exported {
        first,
        last,
        events,
        checkpoints: count,
    })
}

/// The history of one cell — an agency's number of `indicator` (option combination
/// `combo`, empty for the total) for `period` — across the sources that gave it: each write
/// and removal with when, who and how. Read under the audit policy.
pub async fn cell_history(
    ctx: &Context,
    caller: &Caller,
    agency: &str,
    period: &str,
    indicator: &str,
    combo: &str,
) -> Result<Vec<baocao_domain::audit::CellChange>, AuditError> {
    let period = baocao_domain::period::PeriodId::parse(period)
        .map_err(|_| AuditError::InvalidFilter(format!("period {period}")))?
        .to_string();
    let (graph, _) = crate::aggregates::agency_graph(ctx, ctx.today()).await?;
    let code = AgencyCode::new(agency).map_err(|_| AuditError::UnknownAgency(agency.into()))?;
    let key = graph
        .find(&code)
        .ok_or_else(|| AuditError::UnknownAgency(agency.into()))?;
    if !caller.may(Action::ReadAudit {
        agency: &graph.lineage_codes(&code),
    }) {
        return Err(AuditError::Forbidden);
    }
    let agencies: Vec<i32> = graph
        .represented_by(key)
        .into_iter()
        .chain([key])
        .filter_map(|key| i32::try_from(key).ok())
        .collect();
    let events = ctx.store.audit_value_events(&agencies, &period).await?;
    Ok(baocao_domain::audit::cell_history(
        &events, &agencies, &period, indicator, combo,
    ))
}

/// What a page of the audit asks for, as the API and pages take it.
#[derive(Debug, Default, Clone)]
pub struct AuditQuery {
    pub object: Option<String>,
    /// The acting user's name.
    pub actor: Option<String>,
    /// An agency code: its subtree's events.
    pub agency: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub kind: Option<String>,
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

/// A page of events, newest first, within what the caller may read: a system administrator
/// or an auditor of the root reads everything; others read the subtree of an agency they
/// audit.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username))]
pub async fn events(
    ctx: &Context,
    caller: &Caller,
    query: &AuditQuery,
) -> Result<AuditPage, AuditError> {
    let (graph, _) = crate::aggregates::agency_graph(ctx, ctx.today()).await?;
    let unknown = |code: &str| AuditError::UnknownAgency(code.to_string());
    let code = match &query.agency {
        Some(code) => AgencyCode::new(code.as_str()).map_err(|_| unknown(code))?,
        None => caller.principal.agency.clone(),
    };
    let key = graph.find(&code).ok_or_else(|| unknown(code.as_str()))?;
    let lineage = graph.lineage_codes(&code);
    if !caller.may(Action::ReadAudit { agency: &lineage }) {
        return Err(AuditError::Forbidden);
    }
    // The root's reader, asking for no agency, reads every event (those of no agency too).
    let everything = lineage.len() == 1 && query.agency.is_none();
    let agencies = (!everything).then(|| {
        graph
            .subtree(key)
            .into_iter()
            .flat_map(|key| graph.represented_by(key).into_iter().chain([key]))
            .filter_map(|key| i32::try_from(key).ok())
            .collect()
    });
    let actor = match &query.actor {
        Some(name) => match ctx.store.user_id(name).await? {
            Some(id) => Some(id),
            // Nobody of that name changed anything.
            None => return Ok(AuditPage::default()),
        },
        None => None,
    };
    let limit = query.limit.unwrap_or(100);
    if !(1..=10_000).contains(&limit) {
        return Err(AuditError::InvalidFilter(format!("limit {limit}")));
    }
    for (name, value) in [("from", &query.from), ("to", &query.to)] {
        if let Some(value) = value
            && value.parse::<jiff::civil::Date>().is_err()
            && value.parse::<jiff::Timestamp>().is_err()
        {
            return Err(AuditError::InvalidFilter(format!("{name}={value}")));
        }
    }
    let events = ctx
        .store
        .audit_page(&AuditFilter {
            object: query.object.clone(),
            actor,
            agencies,
            from: query.from.clone(),
            to: query.to.clone(),
            kind: query.kind.clone(),
            before: query.before,
            limit,
        })
        .await?;
    // A full page may have a next one, which starts below its last event.
    let next_before = (events.len() as i64 == limit)
        .then(|| events.last().map(|e| e.seq))
        .flatten();
    Ok(AuditPage {
        events,
        next_before,
    })
}

/// A page of the audit trail, newest first.
#[derive(Debug, Default, Clone)]
pub struct AuditPage {
    pub events: Vec<Event>,
    /// The `before` of the next page, when there may be one.
    pub next_before: Option<i64>,
}
