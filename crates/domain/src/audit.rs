//! The audit trail's rules: what an event says (when, who, through which channel, which
//! object, what changed), its canonical encoding and its place in the hash chain, the signed
//! checkpoints over the chain, and the state the events re-derive (data values, report
//! statuses, grants, regime versions), compared with what the tables hold.
//!
//! Each event's hash is the SHA-256 of the previous event's hash and of its own canonical
//! encoding, its sequence number included: altering, removing, inserting or reordering an
//! event breaks a link. A checkpoint signs the hash of one event with the server's Ed25519
//! key, so even a rewritten chain cannot pass for the one the server signed.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

string_enum!(
    /// The way a change came in.
    Channel, {
        Web => "web",
        Api => "api",
        Import => "import",
        Connector => "connector",
        Demo => "demo",
        CommandLine => "command_line",
        System => "system",
    }
);

/// The previous hash of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who made a change, when and how: the part of an event every change of one request shares.
/// Personal data is limited to ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub at: String,
    pub user: Option<i32>,
    pub client: Option<i32>,
    pub channel: Channel,
    pub request: Option<String>,
}

impl Provenance {
    /// A change the server makes on its own (a schedule, a start-up step).
    pub fn system(at: &str, channel: Channel) -> Self {
        Self {
            at: at.to_string(),
            user: None,
            client: None,
            channel,
            request: None,
        }
    }
}

/// One change as the application records it, before it takes its place in the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    #[serde(flatten)]
    pub by: Provenance,
    /// What happened, as `object.verb` (`report.submit`, `values.replace`, `user.create`).
    pub kind: String,
    /// The object changed, for people and filters (`report 7/12/3`, `regime BC01`).
    pub object: String,
    /// The agency whose subtree may see the event.
    pub agency: Option<i32>,
    /// The change, as JSON text (canonical: `serde_json` writes keys in order).
    pub change: String,
}

impl Record {
    pub fn new(
        by: &Provenance,
        kind: &str,
        object: String,
        agency: Option<i32>,
        change: Json,
    ) -> Self {
        Self {
            by: by.clone(),
            kind: kind.to_string(),
            object,
            agency,
            change: change.to_string(),
        }
    }
}

/// An event in the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: i64,
    #[serde(flatten)]
    pub record: Record,
    pub prev_hash: String,
    pub hash: String,
}

/// The canonical encoding of event `seq` carrying `record`: a JSON array in a fixed order.
pub fn canonical(seq: i64, record: &Record) -> String {
    json!([
        seq,
        record.by.at,
        record.by.user,
        record.by.client,
        record.by.channel.as_str(),
        record.by.request,
        record.kind,
        record.object,
        record.agency,
        record.change,
    ])
    .to_string()
}

/// The hash of event `seq` carrying `record` after an event whose hash is `prev_hash`.
pub fn link(prev_hash: &str, seq: i64, record: &Record) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical(seq, record).as_bytes());
    hex::encode(hasher.finalize())
}

/// Chains `records` after the event (`seq`, `hash`) (`(0, GENESIS)` for an empty chain).
pub fn chain(after: (i64, &str), records: Vec<Record>) -> Vec<Event> {
    let (mut seq, mut prev) = (after.0, after.1.to_string());
    records
        .into_iter()
        .map(|record| {
            seq += 1;
            let hash = link(&prev, seq, &record);
            Event {
                seq,
                record,
                prev_hash: std::mem::replace(&mut prev, hash.clone()),
                hash,
            }
        })
        .collect()
}

/// A signed statement that the chain up to event `seq` ends in `hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at: String,
    pub public_key: String,
    pub signature: String,
}

/// What a checkpoint's key signs.
pub fn checkpoint_message(seq: i64, hash: &str, at: &str) -> String {
    format!("baocao audit checkpoint\n{seq}\n{hash}\n{at}")
}

impl Checkpoint {
    /// Signs the chain's state at event (`seq`, `hash`) with `keys`.
    pub fn sign(keys: &crate::signature::KeyPair, seq: i64, hash: &str, at: &str) -> Option<Self> {
        let (_, signature) = keys.sign(&checkpoint_message(seq, hash, at))?;
        Some(Self {
            seq,
            hash: hash.to_string(),
            at: at.to_string(),
            public_key: keys.public_hex.clone(),
            signature,
        })
    }

    /// Whether the signature is its key's over its statement.
    pub fn signed(&self) -> bool {
        let digest =
            crate::signature::digest_hex(&checkpoint_message(self.seq, &self.hash, &self.at));
        crate::signature::verify(&self.public_key, &digest, &self.signature)
    }
}

/// One thing verification found wrong, naming the event or row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum Finding {
    /// Events with these numbers are missing from the chain (deleted).
    Missing { from: i64, to: i64 },
    /// The event's content no longer matches its hash (altered).
    Altered { seq: i64 },
    /// The event does not follow the one before it (inserted, or one before it replaced).
    Unlinked { seq: i64 },
    /// An event out of sequence: a number already passed, or a first event that is not 1.
    OutOfSequence { seq: i64, expected: i64 },
    /// A checkpoint whose signature fails, or that is signed by a key not the server's.
    BadCheckpoint { seq: i64, reason: String },
    /// A checkpoint signs an event that is missing or differs (deleted or rewritten chain).
    CheckpointBroken { seq: i64, reason: String },
    /// A row of a table differs from what the events say it is.
    RowDiffers {
        table: String,
        key: String,
        chain: Option<String>,
        database: Option<String>,
    },
    /// An event whose change cannot be read.
    Unreadable { seq: i64, reason: String },
    /// More rows of a table differ than the `named` ones before this finding.
    MoreRowsDiffer { table: String, named: usize },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |side: &Option<String>| side.clone().unwrap_or_else(|| "(none)".into());
        match self {
            Finding::Missing { from, to } if from == to => {
                write!(f, "sự kiện {from} đã bị xoá / event {from} was deleted")
            }
            Finding::Missing { from, to } => write!(
                f,
                "các sự kiện {from}–{to} đã bị xoá / events {from} to {to} were deleted"
            ),
            Finding::Altered { seq } => write!(
                f,
                "sự kiện {seq} đã bị sửa: nội dung không khớp mã băm / event {seq} was altered: its content does not match its hash"
            ),
            Finding::Unlinked { seq } => write!(
                f,
                "sự kiện {seq} không nối tiếp sự kiện trước (bị chèn hoặc thay) / event {seq} does not follow the event before it (inserted or replaced)"
            ),
            Finding::OutOfSequence { seq, expected } => write!(
                f,
                "sự kiện {seq} sai thứ tự, cần {expected} (bị chèn) / event {seq} is out of sequence where {expected} was expected (inserted)"
            ),
            Finding::BadCheckpoint { seq, reason } => write!(
                f,
                "điểm kiểm tại sự kiện {seq} không hợp lệ / the checkpoint at event {seq} is invalid: {reason}"
            ),
            Finding::CheckpointBroken { seq, reason } => write!(
                f,
                "điểm kiểm tại sự kiện {seq} không khớp chuỗi / the checkpoint at event {seq} does not match the chain: {reason}"
            ),
            Finding::RowDiffers {
                table,
                key,
                chain,
                database,
            } => write!(
                f,
                "bảng {table}, dòng {key}: theo chuỗi {} nhưng cơ sở dữ liệu có {} / table {table}, row {key}: the chain says {} but the database holds {}",
                shown(chain),
                shown(database),
                shown(chain),
                shown(database)
            ),
            Finding::MoreRowsDiffer { table, named } => write!(
                f,
                "bảng {table}: còn những dòng khác cũng sai lệch, chỉ nêu {named} dòng đầu / table {table}: more rows differ than the first {named} named"
            ),
            Finding::Unreadable { seq, reason } => write!(
                f,
                "không đọc được thay đổi của sự kiện {seq} / the change of event {seq} cannot be read: {reason}"
            ),
        }
    }
}

/// Walks a chain event by event in order, in constant memory, checking every link; and the
/// checkpoints against the events they sign.
#[derive(Debug)]
pub struct ChainWalk {
    last: (i64, String),
    /// Whether the last event was sound: the link after a broken event is not named again.
    last_sound: bool,
    /// Checkpoints by the event they sign, still to meet.
    checkpoints: BTreeMap<i64, Checkpoint>,
    pub findings: Vec<Finding>,
    pub events: u64,
}

impl ChainWalk {
    /// A walk from the start, checking `checkpoints` (each signed by one of `keys`).
    pub fn new(checkpoints: Vec<Checkpoint>, keys: &[String]) -> Self {
        Self::after((0, GENESIS), checkpoints, keys)
    }

    /// A walk from the event after (`seq`, `hash`): a bundle's part of the chain.
    pub fn after(anchor: (i64, &str), checkpoints: Vec<Checkpoint>, keys: &[String]) -> Self {
        let mut findings = Vec::new();
        let mut kept = BTreeMap::new();
        for checkpoint in checkpoints {
            if !keys.contains(&checkpoint.public_key) {
                findings.push(Finding::BadCheckpoint {
                    seq: checkpoint.seq,
                    reason: "signed by a key that is not the server's".into(),
                });
            } else if !checkpoint.signed() {
                findings.push(Finding::BadCheckpoint {
                    seq: checkpoint.seq,
                    reason: "its signature does not match".into(),
                });
            } else {
                kept.insert(checkpoint.seq, checkpoint);
            }
        }
        Self {
            last: (anchor.0, anchor.1.to_string()),
            last_sound: true,
            checkpoints: kept,
            findings,
            events: 0,
        }
    }

    /// Checks the next event (by sequence number); answers whether it is sound.
    pub fn step(&mut self, event: &Event) -> bool {
        self.events += 1;
        let expected = self.last.0 + 1;
        let mut sound = true;
        if event.seq > expected {
            self.findings.push(Finding::Missing {
                from: expected,
                to: event.seq - 1,
            });
            sound = false;
        } else if event.seq < expected {
            self.findings.push(Finding::OutOfSequence {
                seq: event.seq,
                expected,
            });
            return false;
        }
        if link(&event.prev_hash, event.seq, &event.record) != event.hash {
            self.findings.push(Finding::Altered { seq: event.seq });
            sound = false;
        } else if event.prev_hash != self.last.1 && event.seq == expected && self.last_sound {
            self.findings.push(Finding::Unlinked { seq: event.seq });
            sound = false;
        }
        if let Some(checkpoint) = self.checkpoints.remove(&event.seq)
            && checkpoint.hash != event.hash
        {
            self.findings.push(Finding::CheckpointBroken {
                seq: event.seq,
                reason: "the event's hash is not the one signed".into(),
            });
        }
        self.last = (event.seq, event.hash.clone());
        self.last_sound = sound;
        sound
    }

    /// Ends the walk: checkpoints past the last event mean events were removed from the end.
    pub fn finish(mut self) -> (Vec<Finding>, i64) {
        for (seq, _) in std::mem::take(&mut self.checkpoints) {
            self.findings.push(Finding::CheckpointBroken {
                seq,
                reason: format!(
                    "the chain ends at event {}: the events after it were deleted",
                    self.last.0
                ),
            });
        }
        (self.findings, self.last.0)
    }
}

/// The format a bundle's first line names.
pub const BUNDLE_FORMAT: &str = "baocao-audit-bundle/1";

/// A bundle's first line: the part of the chain it holds and the keys that signed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleHeader {
    pub format: String,
    /// The first and last events it holds.
    pub first: i64,
    pub last: i64,
    /// The hash of the event before the first (the genesis hash for a bundle from the start).
    pub anchor: String,
    pub public_keys: Vec<String>,
    pub exported_at: String,
}

/// One line of a bundle (JSON Lines): the header, then the checkpoints, then the events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BundleLine {
    Header(BundleHeader),
    Checkpoint(Checkpoint),
    Event(Event),
}

/// What a sound bundle holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleCheck {
    pub first: i64,
    pub last: i64,
    pub events: u64,
    pub checkpoints: usize,
    pub public_keys: Vec<String>,
}

/// Why a bundle is refused: the first line (and event) that fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("dòng {line}{}: {reason} / line {line}{}: {reason}", seq.map(|s| format!(", sự kiện {s}")).unwrap_or_default(), seq.map(|s| format!(", event {s}")).unwrap_or_default())]
pub struct BundleRefusal {
    pub line: usize,
    pub seq: Option<i64>,
    pub reason: String,
}

/// Checks a bundle line by line, in memory bounded by its checkpoints: every link from its
/// anchor, every checkpoint's signature by a trusted key (`trusted`, or the bundle's own keys
/// when none are given), and that its last event is signed (a truncated bundle is not).
pub fn check_bundle<I>(lines: I, trusted: Option<&[String]>) -> Result<BundleCheck, BundleRefusal>
where
    I: IntoIterator<Item = Result<String, String>>,
{
    let refuse =
        |line: usize, seq: Option<i64>, reason: String| BundleRefusal { line, seq, reason };
    let mut header: Option<BundleHeader> = None;
    let mut checkpoints = Vec::new();
    let mut walk: Option<ChainWalk> = None;
    let mut signed = BTreeSet::new();
    let mut number = 0;
    for line in lines {
        number += 1;
        let line = line.map_err(|e| refuse(number, None, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: BundleLine = serde_json::from_str(&line)
            .map_err(|e| refuse(number, None, format!("not a bundle line: {e}")))?;
        match (parsed, &header) {
            (BundleLine::Header(read), None) => {
                if read.format != BUNDLE_FORMAT {
                    return Err(refuse(
                        number,
                        None,
                        format!("unknown format {}", read.format),
                    ));
                }
                if let Some(trusted) = trusted
                    && let Some(key) = read.public_keys.iter().find(|k| !trusted.contains(k))
                {
                    return Err(refuse(
                        number,
                        None,
                        format!("key {key} is not a trusted key"),
                    ));
                }
                header = Some(read);
            }
            (BundleLine::Header(_), Some(_)) | (_, None) => {
                return Err(refuse(
                    number,
                    None,
                    "the header must come first, once".into(),
                ));
            }
            (BundleLine::Checkpoint(checkpoint), Some(_)) if walk.is_none() => {
                signed.insert(checkpoint.seq);
                checkpoints.push(checkpoint);
            }
            (BundleLine::Checkpoint(checkpoint), Some(_)) => {
                return Err(refuse(
                    number,
                    Some(checkpoint.seq),
                    "checkpoints must come before the events".into(),
                ));
            }
            (BundleLine::Event(event), Some(read)) => {
                let walk = walk.get_or_insert_with(|| {
                    let keys = trusted
                        .map(<[String]>::to_vec)
                        .unwrap_or(read.public_keys.clone());
                    ChainWalk::after(
                        (read.first - 1, &read.anchor),
                        std::mem::take(&mut checkpoints),
                        &keys,
                    )
                });
                if let Some(finding) = walk.findings.first() {
                    return Err(refuse(number, None, finding.to_string()));
                }
                if event.seq > read.last {
                    return Err(refuse(
                        number,
                        Some(event.seq),
                        "past the bundle's last event".into(),
                    ));
                }
                walk.step(&event);
                if let Some(finding) = walk.findings.first() {
                    return Err(refuse(number, Some(event.seq), finding.to_string()));
                }
            }
        }
    }
    let Some(header) = header else {
        return Err(refuse(number, None, "an empty bundle".into()));
    };
    let Some(walk) = walk else {
        return Err(refuse(number, None, "a bundle without events".into()));
    };
    let events = walk.events;
    let (findings, last) = walk.finish();
    if let Some(finding) = findings.first() {
        return Err(refuse(number, Some(last), finding.to_string()));
    }
    if last != header.last {
        return Err(refuse(
            number,
            Some(last),
            format!(
                "truncated: it ends at event {last}, its header says {}",
                header.last
            ),
        ));
    }
    if !signed.contains(&last) {
        return Err(refuse(
            number,
            Some(last),
            "its last event is not signed by a checkpoint (truncated)".into(),
        ));
    }
    Ok(BundleCheck {
        first: header.first,
        last,
        events,
        checkpoints: signed.len(),
        public_keys: header.public_keys,
    })
}

/// One change of a cell, as the events tell it: a value written by a source, or the source's
/// value removed (a report reopened or resubmitted without it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellChange {
    pub seq: i64,
    pub at: String,
    pub user: Option<i32>,
    pub client: Option<i32>,
    pub channel: Channel,
    pub kind: String,
    pub source: String,
    /// The value written; `None`: removed.
    pub value: Option<Json>,
}

/// The history of one cell (agency ids that carried it, period, indicator, combination)
/// across sources, from `events` in order.
pub fn cell_history(
    events: &[Event],
    agencies: &[i32],
    period: &str,
    indicator: &str,
    combo: &str,
) -> Vec<CellChange> {
    let mut held: BTreeSet<(i32, String)> = BTreeSet::new();
    let mut changes = Vec::new();
    for event in events {
        let Ok(change) = serde_json::from_str::<Json>(&event.record.change) else {
            continue;
        };
        let mut note = |source: String, value: Option<Json>| {
            changes.push(CellChange {
                seq: event.seq,
                at: event.record.by.at.clone(),
                user: event.record.by.user,
                client: event.record.by.client,
                channel: event.record.by.channel,
                kind: event.record.kind.clone(),
                source,
                value,
            })
        };
        let mut written = BTreeSet::new();
        for entry in change
            .get("write")
            .and_then(Json::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            if let Some((key, value)) = value_of(entry)
                && agencies.contains(&key.0)
                && key.1 == period
                && key.2 == indicator
                && key.3 == combo
            {
                written.insert((key.0, key.4.clone()));
                note(key.4.clone(), Some(value));
            }
        }
        if let Some(clear) = change.get("clear").filter(|c| !c.is_null()) {
            let agency = clear
                .get(0)
                .and_then(Json::as_i64)
                .and_then(|a| i32::try_from(a).ok());
            let source = clear.get(2).and_then(Json::as_str).map(str::to_string);
            if let (Some(agency), Some(source)) = (agency, source)
                && clear.get(1).and_then(Json::as_str) == Some(period)
                && held.contains(&(agency, source.clone()))
                && !written.contains(&(agency, source.clone()))
            {
                held.remove(&(agency, source.clone()));
                note(source, None);
            }
        }
        held.extend(written);
    }
    changes
}

/// A data value's cell: agency id, period, indicator, option combination, source.
pub type ValueKey = (i32, String, String, String, String);

/// A submission: regime id, agency id, period id.
pub type ReportKey = (i32, i32, i32);

/// A grant: user id, role, agency id, subtree.
pub type GrantKey = (i32, String, i32, bool);

/// What events re-derive and tables hold: the same shape on both sides, compared.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct State {
    pub values: BTreeMap<ValueKey, Json>,
    pub reports: BTreeMap<ReportKey, String>,
    pub grants: BTreeSet<GrantKey>,
    /// Regime code and version: status, effective from, SHA-256 of the content.
    pub regime_versions: BTreeMap<(String, i32), (String, Option<String>, String)>,
}

/// A data value as an event writes it: `[agency, period, indicator, combo, source, value]`.
pub fn value_entry(key: &ValueKey, value: Json) -> Json {
    json!([key.0, key.1, key.2, key.3, key.4, value])
}

fn value_of(entry: &Json) -> Option<(ValueKey, Json)> {
    let text = |i: usize| entry.get(i)?.as_str().map(str::to_string);
    Some((
        (
            i32::try_from(entry.get(0)?.as_i64()?).ok()?,
            text(1)?,
            text(2)?,
            text(3)?,
            text(4)?,
        ),
        entry.get(5)?.clone(),
    ))
}

fn report_of(change: &Json) -> Option<ReportKey> {
    let key = change.get("report")?;
    let id = |i: usize| i32::try_from(key.get(i)?.as_i64()?).ok();
    Some((id(0)?, id(1)?, id(2)?))
}

fn grant_of(user: i32, entry: &Json) -> Option<GrantKey> {
    Some((
        user,
        entry.get(0)?.as_str()?.to_string(),
        i32::try_from(entry.get(1)?.as_i64()?).ok()?,
        entry.get(2)?.as_bool()?,
    ))
}

fn int(change: &Json, field: &str) -> Option<i32> {
    i32::try_from(change.get(field)?.as_i64()?).ok()
}

/// One change an event makes to the state the tables hold; an event's changes apply in order.
#[derive(Debug, Clone, PartialEq)]
pub enum StateChange {
    /// Every value of one agency, period and source is withdrawn (a report's values replaced).
    ClearValues {
        agency: i32,
        period: String,
        source: String,
    },
    PutValue(ValueKey, Json),
    SetReport(ReportKey, String),
    /// A report moves to the agency that succeeded its own, keeping its status.
    MoveReport {
        from: ReportKey,
        agency: i32,
    },
    /// A user's grants are replaced by these.
    SetGrants {
        user: i32,
        grants: Vec<GrantKey>,
    },
    /// Every grant on agency `from` moves to agency `to`.
    MoveGrants {
        from: i32,
        to: i32,
    },
    PutRegimeVersion {
        regime: String,
        version: i32,
        status: String,
        effective_from: Option<String>,
        content_sha256: String,
    },
}

/// What one event changes in the state the tables hold; an event of a kind that derives
/// nothing changes nothing.
pub fn state_changes(event: &Event) -> Result<Vec<StateChange>, Finding> {
    let unreadable = |reason: &str| Finding::Unreadable {
        seq: event.seq,
        reason: reason.to_string(),
    };
    let change: Json =
        serde_json::from_str(&event.record.change).map_err(|e| unreadable(&e.to_string()))?;
    let kind = event.record.kind.as_str();
    let mut changes = Vec::new();
    match kind {
        "values.write" | "values.replace" => {
            if let Some(clear) = change.get("clear").filter(|c| !c.is_null()) {
                let agency = clear
                    .get(0)
                    .and_then(Json::as_i64)
                    .and_then(|a| i32::try_from(a).ok());
                let period = clear.get(1).and_then(Json::as_str);
                let source = clear.get(2).and_then(Json::as_str);
                let (Some(agency), Some(period), Some(source)) = (agency, period, source) else {
                    return Err(unreadable("a clear without agency, period and source"));
                };
                changes.push(StateChange::ClearValues {
                    agency,
                    period: period.to_string(),
                    source: source.to_string(),
                });
            }
            for entry in change
                .get("write")
                .and_then(Json::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                let (key, value) =
                    value_of(entry).ok_or_else(|| unreadable("a value without its cell"))?;
                changes.push(StateChange::PutValue(key, value));
            }
        }
        "report.move" => {
            let from = report_of(&change).ok_or_else(|| unreadable("no report"))?;
            let agency = int(&change, "agency").ok_or_else(|| unreadable("no agency"))?;
            changes.push(StateChange::MoveReport { from, agency });
        }
        _ if kind.starts_with("report.") => {
            let key = report_of(&change).ok_or_else(|| unreadable("no report"))?;
            let status = change
                .get("status")
                .and_then(Json::as_str)
                .ok_or_else(|| unreadable("no status"))?;
            changes.push(StateChange::SetReport(key, status.to_string()));
        }
        "user.create" | "grants.set" => {
            let user = int(&change, "user").ok_or_else(|| unreadable("no user"))?;
            let grants = change
                .get("grants")
                .and_then(Json::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|entry| grant_of(user, entry).ok_or_else(|| unreadable("a grant")))
                .collect::<Result<_, _>>()?;
            changes.push(StateChange::SetGrants { user, grants });
        }
        "grants.move" => {
            let from = int(&change, "from").ok_or_else(|| unreadable("no agency"))?;
            let to = int(&change, "to").ok_or_else(|| unreadable("no agency"))?;
            changes.push(StateChange::MoveGrants { from, to });
        }
        "regime.version" => {
            let text = |field: &str| change.get(field).and_then(Json::as_str).map(str::to_string);
            let (Some(regime), Some(version), Some(status), Some(content_sha256)) = (
                text("regime"),
                int(&change, "version"),
                text("status"),
                text("content_sha256"),
            ) else {
                return Err(unreadable("a regime version without its fields"));
            };
            changes.push(StateChange::PutRegimeVersion {
                regime,
                version,
                status,
                effective_from: text("effective_from"),
                content_sha256,
            });
        }
        _ => {}
    }
    Ok(changes)
}

/// The part of the state that is configuration — grants and regime versions, bounded by the
/// users and regimes, not by the events — kept in memory by any holder of the state.
pub fn apply_to_configuration(
    change: StateChange,
    grants: &mut BTreeSet<GrantKey>,
    regime_versions: &mut BTreeMap<(String, i32), (String, Option<String>, String)>,
) {
    match change {
        StateChange::SetGrants { user, grants: set } => {
            grants.retain(|grant| grant.0 != user);
            grants.extend(set);
        }
        StateChange::MoveGrants { from, to } => {
            let moved: Vec<GrantKey> = grants
                .iter()
                .filter(|grant| grant.2 == from)
                .cloned()
                .collect();
            for grant in moved {
                grants.remove(&grant);
                grants.insert((grant.0, grant.1, to, grant.3));
            }
        }
        StateChange::PutRegimeVersion {
            regime,
            version,
            status,
            effective_from,
            content_sha256,
        } => {
            regime_versions.insert((regime, version), (status, effective_from, content_sha256));
        }
        _ => {}
    }
}

impl State {
    /// Applies one event's changes; an unreadable event changes nothing.
    pub fn apply(&mut self, event: &Event) -> Result<(), Finding> {
        for change in state_changes(event)? {
            self.apply_change(change);
        }
        Ok(())
    }

    pub fn apply_change(&mut self, change: StateChange) {
        match change {
            StateChange::ClearValues {
                agency,
                period,
                source,
            } => self
                .values
                .retain(|key, _| !(key.0 == agency && key.1 == period && key.4 == source)),
            StateChange::PutValue(key, value) => {
                self.values.insert(key, value);
            }
            StateChange::SetReport(key, status) => {
                self.reports.insert(key, status);
            }
            StateChange::MoveReport { from, agency } => {
                if let Some(status) = self.reports.remove(&from) {
                    self.reports.insert((from.0, agency, from.2), status);
                }
            }
            configuration => {
                apply_to_configuration(configuration, &mut self.grants, &mut self.regime_versions)
            }
        }
    }

    /// Each row where the tables (`database`) differ from what the events say (`self`).
    pub fn differences(&self, database: &State) -> Vec<Finding> {
        let mut findings = Vec::new();
        compare(
            "data_values",
            &self.values,
            &database.values,
            value_row_name,
            |value| value.to_string(),
            &mut findings,
        );
        compare(
            "submissions",
            &self.reports,
            &database.reports,
            report_row_name,
            Clone::clone,
            &mut findings,
        );
        let grants = |set: &BTreeSet<GrantKey>| -> BTreeMap<GrantKey, ()> {
            set.iter().map(|grant| (grant.clone(), ())).collect()
        };
        compare(
            "role_grants",
            &grants(&self.grants),
            &grants(&database.grants),
            |(user, role, agency, subtree)| {
                format!("user {user} role {role} agency {agency} subtree {subtree}")
            },
            |_| "granted".to_string(),
            &mut findings,
        );
        compare(
            "regime_versions",
            &self.regime_versions,
            &database.regime_versions,
            |(regime, version)| format!("regime {regime} version {version}"),
            |(status, from, digest)| {
                format!(
                    "{status} from {} content {digest}",
                    from.as_deref().unwrap_or("-")
                )
            },
            &mut findings,
        );
        findings
    }
}

/// How a finding names a data value's row.
pub fn value_row_name((agency, period, indicator, combo, source): &ValueKey) -> String {
    format!("agency {agency} period {period} indicator {indicator} combo [{combo}] source {source}")
}

/// How a finding names a submission's row.
pub fn report_row_name((regime, agency, period): &ReportKey) -> String {
    format!("regime {regime} agency {agency} period {period}")
}

fn compare<K: Ord, V: PartialEq>(
    table: &str,
    chain: &BTreeMap<K, V>,
    database: &BTreeMap<K, V>,
    name: impl Fn(&K) -> String,
    show: impl Fn(&V) -> String,
    findings: &mut Vec<Finding>,
) {
    let keys: BTreeSet<&K> = chain.keys().chain(database.keys()).collect();
    for key in keys {
        let (said, held) = (chain.get(key), database.get(key));
        if said != held {
            findings.push(Finding::RowDiffers {
                table: table.to_string(),
                key: name(key),
                chain: said.map(&show),
                database: held.map(&show),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::KeyPair;

    fn record(kind: &str, change: Json) -> Record {
        Record::new(
            &Provenance {
                at: "2026-12-06T08:00:00Z".into(),
                user: Some(3),
                client: None,
                channel: Channel::Api,
                request: Some("r-1".into()),
            },
            kind,
            "report 1/2/3".into(),
            Some(2),
            change,
        )
    }

    fn events() -> Vec<Event> {
        chain(
            (0, GENESIS),
            vec![
                record(
                    "report.save",
                    json!({"report": [1, 2, 3], "status": "draft"}),
                ),
                record(
                    "report.submit",
                    json!({"report": [1, 2, 3], "status": "submitted"}),
                ),
                record(
                    "values.replace",
                    json!({"clear": [2, "202611", "regime:BC01"], "write": [[2, "202611", "XH11", "", "regime:BC01", 3.5]]}),
                ),
            ],
        )
    }

    fn walk(events: &[Event], checkpoints: Vec<Checkpoint>, keys: &[String]) -> Vec<Finding> {
        let mut walk = ChainWalk::new(checkpoints, keys);
        for event in events {
            walk.step(event);
        }
        walk.finish().0
    }

    #[test]
    fn a_sound_chain_passes_and_each_tampering_is_named() {
        let events = events();
        assert_eq!(events[0].prev_hash, GENESIS);
        assert_eq!(events[1].prev_hash, events[0].hash);
        assert!(walk(&events, vec![], &[]).is_empty());

        let mut altered = events.clone();
        altered[1].record.change = json!({"report": [1, 2, 3], "status": "accepted"}).to_string();
        assert_eq!(
            walk(&altered, vec![], &[]),
            vec![Finding::Altered { seq: 2 }]
        );

        let deleted = [events[0].clone(), events[2].clone()];
        assert_eq!(
            walk(&deleted, vec![], &[]),
            vec![Finding::Missing { from: 2, to: 2 }]
        );

        // A forged event with a correct hash of its own still does not follow its predecessor.
        let mut forged = events.clone();
        forged[1] = chain((1, GENESIS), vec![record("report.accept", json!({}))]).remove(0);
        assert_eq!(
            walk(&forged, vec![], &[]),
            vec![Finding::Unlinked { seq: 2 }]
        );
    }

    #[test]
    fn checkpoints_catch_a_truncated_or_rewritten_chain() {
        let keys = KeyPair::from_secret([9; 32]);
        let events = events();
        let signed = Checkpoint::sign(&keys, 3, &events[2].hash, "2026-12-06T08:01:00Z").unwrap();
        let public = [keys.public_hex.clone()];
        assert!(walk(&events, vec![signed.clone()], &public).is_empty());
        // The last event deleted: the chain is sound but ends before what was signed.
        let found = walk(&events[..2], vec![signed.clone()], &public);
        assert!(
            matches!(found[..], [Finding::CheckpointBroken { seq: 3, .. }]),
            "{found:?}"
        );
        // Signed by another key, or with its hash changed.
        let other = KeyPair::from_secret([1; 32]);
        let found = walk(&events, vec![signed.clone()], &[other.public_hex]);
        assert!(matches!(found[..], [Finding::BadCheckpoint { seq: 3, .. }]));
        let mut changed = signed;
        changed.hash = events[1].hash.clone();
        let found = walk(&events, vec![changed], &public);
        assert!(matches!(found[..], [Finding::BadCheckpoint { seq: 3, .. }]));
    }

    #[test]
    fn events_re_derive_the_state_and_differences_name_rows() {
        let mut state = State::default();
        for event in events() {
            state.apply(&event).unwrap();
        }
        assert_eq!(state.reports[&(1, 2, 3)], "submitted");
        let key: ValueKey = (
            2,
            "202611".into(),
            "XH11".into(),
            "".into(),
            "regime:BC01".into(),
        );
        assert_eq!(state.values[&key], json!(3.5));
        assert!(state.differences(&state.clone()).is_empty());

        let mut database = state.clone();
        database.values.insert(key, json!(4.0));
        database.grants.insert((5, "admin".into(), 1, true));
        let found = state.differences(&database);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].to_string().contains("XH11"));
        assert!(found[1].to_string().contains("user 5 role admin"));
    }

    fn bundle(keys: &KeyPair, events: &[Event]) -> Vec<String> {
        let last = events.last().unwrap();
        let signed = Checkpoint::sign(keys, last.seq, &last.hash, "2026-12-06T09:00:00Z").unwrap();
        let mut lines = vec![BundleLine::Header(BundleHeader {
            format: BUNDLE_FORMAT.into(),
            first: events[0].seq,
            last: last.seq,
            anchor: events[0].prev_hash.clone(),
            public_keys: vec![keys.public_hex.clone()],
            exported_at: "2026-12-06T09:00:00Z".into(),
        })];
        lines.push(BundleLine::Checkpoint(signed));
        lines.extend(events.iter().cloned().map(BundleLine::Event));
        lines
            .iter()
            .map(|l| serde_json::to_string(l).unwrap())
            .collect()
    }

    fn check(lines: &[String], trusted: Option<&[String]>) -> Result<BundleCheck, BundleRefusal> {
        check_bundle(lines.iter().cloned().map(Ok), trusted)
    }

    #[test]
    fn a_bundle_verifies_alone_and_is_refused_once_edited() {
        let keys = KeyPair::from_secret([4; 32]);
        let events = events();
        let lines = bundle(&keys, &events);
        let checked = check(&lines, None).unwrap();
        assert_eq!((checked.first, checked.last, checked.events), (1, 3, 3));
        // A part of the chain, anchored on the event before it.
        assert_eq!(check(&bundle(&keys, &events[1..]), None).unwrap().first, 2);

        // One character of an event changed: refused at that event.
        let mut edited = lines.clone();
        edited[3] = edited[3].replace("submitted", "accepted");
        let refusal = check(&edited, None).unwrap_err();
        assert_eq!((refusal.line, refusal.seq), (4, Some(2)), "{refusal}");

        // The last event cut off.
        let refusal = check(&lines[..4], None).unwrap_err();
        assert!(refusal.reason.contains("deleted"), "{refusal}");

        // Signed by another key than the one trusted.
        let other = KeyPair::from_secret([5; 32]);
        let refusal = check(
            &bundle(&other, &events),
            Some(std::slice::from_ref(&keys.public_hex)),
        )
        .unwrap_err();
        assert_eq!(refusal.line, 1, "{refusal}");
        // A checkpoint re-signed by another key under the trusted key's name.
        let mut forged = lines.clone();
        let resigned = Checkpoint {
            public_key: keys.public_hex.clone(),
            ..Checkpoint::sign(&other, 3, &events[2].hash, "2026-12-06T09:00:00Z").unwrap()
        };
        forged[1] = serde_json::to_string(&BundleLine::Checkpoint(resigned)).unwrap();
        assert!(check(&forged, None).is_err());
    }

    #[test]
    fn a_cells_history_runs_across_sources_and_removals() {
        let write = |source: &str, value: f64| json!([2, "202611", "XH11", "", source, value]);
        let events = chain(
            (0, GENESIS),
            vec![
                record(
                    "values.replace",
                    json!({"clear": [2, "202611", "regime:BC01"], "write": [write("regime:BC01", 5.0)]}),
                ),
                record(
                    "values.write",
                    json!({"clear": null, "write": [write("connector:C", 7.0), [2, "202611", "XH12", "", "connector:C", 1.0]]}),
                ),
                record(
                    "values.replace",
                    json!({"clear": [2, "202611", "regime:BC01"], "write": []}),
                ),
                record(
                    "values.replace",
                    json!({"clear": [3, "202611", "regime:BC01"], "write": [[3, "202611", "XH11", "", "regime:BC01", 9.0]]}),
                ),
            ],
        );
        let history = cell_history(&events, &[2], "202611", "XH11", "");
        let told: Vec<(i64, &str, Option<Json>)> = history
            .iter()
            .map(|c| (c.seq, c.source.as_str(), c.value.clone()))
            .collect();
        assert_eq!(
            told,
            vec![
                (1, "regime:BC01", Some(json!(5.0))),
                (2, "connector:C", Some(json!(7.0))),
                (3, "regime:BC01", None),
            ]
        );
    }
}
