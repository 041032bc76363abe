//! The store's write transaction, which a use case holds across the steps of one change: "move
//! the report, record its version, replace its data values, record the event" is one
//! [`Transaction`], committed once, rolled back if dropped. It also saves the drafts of many
//! reports of one regime and period, reading their state in one statement and saving each
//! under its own optimistic lock: a push in "all or nothing" mode keeps one transaction open
//! for its whole payload, so a refused payload leaves nothing behind.
//!
//! Reports are named by row ids (the report's, or agency and period ids as the agency graph and
//! [`Store::period_id`] know them): a push resolves thousands of reports and must not look each
//! code up again. A status is only ever written from a domain [`Transition`], so the store
//! writes nothing the domain's decision did not allow.

use std::collections::HashMap;

use baocao_domain::agency::AgencyCode;
use baocao_domain::audit::{Provenance, Record, ValueKey, value_entry};
use baocao_domain::indicator::IndicatorCode;
use baocao_domain::period::PeriodId;
use baocao_domain::report::ReportContent;
use baocao_domain::submission::Transition;
use baocao_domain::value::{DataValue, Value};
use sqlx::Postgres;

use crate::reports::{Event, NewVersion, ReportRecord};
use crate::statement_list::StatementList;
use crate::values::{code_id, write_values};
use crate::{Db, Store, StoreError};
use sqlx::Row;

macro_rules! insert_draft {
    () => {
        "INSERT INTO submissions (regime_id, agency_id, period_id, receiving_agency_id, status, lock_version, draft, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $7)
         ON CONFLICT (regime_id, agency_id, period_id) DO NOTHING
         RETURNING lock_version"
    };
}
macro_rules! update_draft {
    () => {
        "UPDATE submissions SET draft = $1, status = $2, lock_version = lock_version + 1, updated_at = $3
         WHERE regime_id = $4 AND agency_id = $5 AND period_id = $6 AND lock_version = $7
         RETURNING lock_version"
    };
}
const INSERT_DRAFT: &str = insert_draft!();
const UPDATE_DRAFT: &str = update_draft!();
/// The two saves answering, with the lock, which write of a list they are (`$8`): many saves
/// sent as one query answer only for those that were saved.
const INSERT_DRAFT_OF_LIST: &str = concat!(insert_draft!(), ", $8");
const UPDATE_DRAFT_OF_LIST: &str = concat!(update_draft!(), ", $8");
const MOVE_REPORT: &str =
    "UPDATE submissions SET status = $1, lock_version = lock_version + 1, updated_at = $2
     WHERE id = $3 AND status = $4 AND lock_version = $5
     RETURNING lock_version, regime_id, agency_id, period_id";
const RAISE_REGISTER: &str = "INSERT INTO document_registers (agency_id, year, last_number)
     SELECT agency_id, $2, 1 FROM submissions WHERE id = $1
     ON CONFLICT (agency_id, year) DO UPDATE SET last_number = document_registers.last_number + 1
     RETURNING last_number";
/// A submitted version, numbered after the report's last, its document number `$number`.
macro_rules! insert_version {
    ($number:literal) => {
        concat!(
            "INSERT INTO submission_versions (submission_id, number, content, content_sha256, signature, public_key, signed_by, submitted_at, late, warnings, document_year, document_number)
             VALUES ($1, (SELECT COALESCE(MAX(number), 0) + 1 FROM submission_versions WHERE submission_id = $1), $2, $3, $4, $5, $6, $7, $8, $9, $10, ",
            $number,
            ")"
        )
    };
}
const INSERT_VERSION: &str = insert_version!("$11");
/// [`INSERT_VERSION`] numbered by the register [`RAISE_REGISTER`] just raised (SQLite, where
/// both run in one query and the number is not read back in between).
const INSERT_VERSION_NUMBERED: &str = insert_version!(
    "(SELECT r.last_number FROM document_registers r JOIN submissions s ON s.agency_id = r.agency_id WHERE s.id = $1 AND r.year = $10)"
);
const INSERT_SIGNING_KEY: &str = "INSERT INTO agency_keys (agency_id, public_key, secret_key, created_at) VALUES ($1, $2, $3, $4)";
const INSERT_EVENT: &str = "INSERT INTO submission_events (submission_id, action, actor, at, reason) VALUES ($1, $2, $3, $4, $5)";

/// Clears what one source said for one agency and period (`$1` agency id, `$2` period code,
/// `$3` source code).
const CLEAR_VALUES: &str = "DELETE FROM data_values WHERE agency_id = $1
     AND period_id = (SELECT id FROM periods WHERE code = $2)
     AND source_id = (SELECT id FROM sources WHERE code = $3)";

/// Ids per `IN (…)` list: well under SQLite's 32,766 bound parameters.
const IDS_PER_QUERY: usize = 500;

pub(crate) enum Tx {
    /// A turn in SQLite's shared write transaction ([`crate::group_commit`]).
    Sqlite(crate::group_commit::Lease),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// An open write transaction; dropped without [`commit`](Self::commit), it rolls back.
pub struct Transaction {
    pub(crate) tx: Tx,
    /// Who makes the change: every event the transaction records says so.
    by: Provenance,
    /// The audit events of the change, appended to the chain at commit.
    pending: Vec<Record>,
    /// The transaction's turn (the store's `turns`, PostgreSQL), held until it ends (declared
    /// after `tx`, so it is let go after the transaction is).
    _turn: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// Runs `$body` with `$conn` bound to the open transaction's connection (one backend's).
macro_rules! on_tx {
    ($self:expr, $conn:ident => $body:expr) => {
        match &mut $self.tx {
            $crate::transaction::Tx::Sqlite(tx) => {
                tx.ready().await?;
                let $conn = &mut **tx;
                $body
            }
            $crate::transaction::Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}
pub(crate) use on_tx;

/// One draft to save, by the save the domain decided.
pub struct DraftWrite<'a> {
    pub agency: i32,
    pub receiving_agency: i32,
    pub save: Transition,
    /// The lock read with the report (0 for a report never saved).
    pub expected_lock: i32,
    pub draft: &'a ReportContent,
}

#[derive(sqlx::FromRow)]
struct BulkReportRow {
    agency_id: i32,
    #[sqlx(flatten)]
    slot: crate::reports::ReportStateRow,
}

impl Store {
    /// Opens a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a transaction that read first could not write later if another had
    /// written in between. Its audit events say the change is `by`'s.
    pub async fn begin(&self, by: &Provenance) -> Result<Transaction, StoreError> {
        let (tx, turn) = match &self.db {
            Db::Sqlite(pool) => (Tx::Sqlite(self.group.join(pool).await?), None),
            Db::Postgres(pool) => {
                let waiting = self.group.wait_turn();
                let turn = self
                    .turns
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("the turns are never closed");
                drop(waiting);
                (Tx::Postgres(pool.begin().await?), Some(turn))
            }
        };
        Ok(Transaction {
            tx,
            by: by.clone(),
            pending: Vec::new(),
            _turn: turn,
        })
    }
}

impl Transaction {
    /// Who the transaction's change is by.
    pub fn by(&self) -> &Provenance {
        &self.by
    }

    /// Records an audit event of this change; it is chained and written at commit, with the
    /// change or not at all.
    pub fn audit(&mut self, record: Record) {
        self.pending.push(record);
    }

    /// An event of this change, by the transaction's author.
    pub(crate) fn note(
        &mut self,
        kind: &str,
        object: String,
        agency: Option<i32>,
        change: serde_json::Value,
    ) {
        let record = Record::new(&self.by, kind, object, agency, change);
        self.pending.push(record);
    }

    /// The id of a period's row, created on first use.
    pub async fn period_id(&mut self, period: PeriodId) -> Result<i32, StoreError> {
        on_tx!(self, conn => {
            sqlx::query(crate::reports::INSERT_PERIOD)
                .bind(period.to_string())
                .bind(period.frequency().as_str())
                .bind(period.start().to_string())
                .bind(period.end().to_string())
                .execute(&mut *conn)
                .await?;
            Ok(sqlx::query_scalar(crate::reports::PERIOD_ID)
                .bind(period.to_string())
                .fetch_one(conn)
                .await?)
        })
    }

    /// The saved reports among `agencies` for one regime and period, by agency id.
    pub async fn reports(
        &mut self,
        regime: i32,
        period: i32,
        agencies: &[i32],
    ) -> Result<HashMap<i32, ReportRecord>, StoreError> {
        let mut found = HashMap::new();
        for part in agencies.chunks(IDS_PER_QUERY) {
            let list = part
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            // The ids are integers this code formatted, never caller text.
            let sql = format!(
                "SELECT s.agency_id, s.id, s.status, s.lock_version, s.draft, rec.code AS receiving_agency, s.updated_at
                 FROM submissions s JOIN agencies rec ON rec.id = s.receiving_agency_id
                 WHERE s.regime_id = $1 AND s.period_id = $2 AND s.agency_id IN ({list})"
            );
            let rows: Vec<BulkReportRow> = on_tx!(self, conn => sqlx::query_as(&sql)
                .bind(regime)
                .bind(period)
                .fetch_all(conn)
                .await?);
            for row in rows {
                found.insert(row.agency_id, ReportRecord::try_from(row.slot)?);
            }
        }
        Ok(found)
    }

    /// Saves each draft whose report's lock is still its `expected_lock`; answers, per write,
    /// whether it was saved (`false`: someone else saved that report in between).
    pub async fn save_drafts(
        &mut self,
        regime: i32,
        period: i32,
        writes: &[DraftWrite<'_>],
        now: &str,
    ) -> Result<Vec<bool>, StoreError> {
        let contents: Vec<String> = writes.iter().map(|w| w.draft.canonical_json()).collect();
        let locks: Vec<Option<i32>> = match &mut self.tx {
            Tx::Sqlite(lease) => {
                // One query for every draft: a push's thousands of reports are one hand-off.
                let mut list = StatementList::default();
                for (index, (write, content)) in writes.iter().zip(&contents).enumerate() {
                    let status = write.save.to().as_str();
                    let index = i64::try_from(index).unwrap_or(i64::MAX);
                    if write.expected_lock == 0 {
                        list.push(INSERT_DRAFT_OF_LIST, |args| {
                            args.add(regime)
                                .add(write.agency)
                                .add(period)
                                .add(write.receiving_agency)
                                .add(status)
                                .add(content.clone())
                                .add(now.to_string())
                                .add(index);
                        });
                    } else {
                        list.push(UPDATE_DRAFT_OF_LIST, |args| {
                            args.add(content.clone())
                                .add(status)
                                .add(now.to_string())
                                .add(regime)
                                .add(write.agency)
                                .add(period)
                                .add(write.expected_lock)
                                .add(index);
                        });
                    }
                }
                let mut locks = vec![None; writes.len()];
                for row in lease.fetch_all(list).await? {
                    let (lock, index): (i32, i64) = (row.try_get(0)?, row.try_get(1)?);
                    if let Some(slot) = usize::try_from(index).ok().and_then(|i| locks.get_mut(i)) {
                        *slot = Some(lock);
                    }
                }
                locks
            }
            Tx::Postgres(tx) => {
                let mut locks = Vec::with_capacity(writes.len());
                for (write, content) in writes.iter().zip(&contents) {
                    let status = write.save.to().as_str();
                    let lock = if write.expected_lock == 0 {
                        sqlx::query_scalar(INSERT_DRAFT)
                            .bind(regime)
                            .bind(write.agency)
                            .bind(period)
                            .bind(write.receiving_agency)
                            .bind(status)
                            .bind(content)
                            .bind(now)
                            .fetch_optional(&mut **tx)
                            .await?
                    } else {
                        sqlx::query_scalar(UPDATE_DRAFT)
                            .bind(content)
                            .bind(status)
                            .bind(now)
                            .bind(regime)
                            .bind(write.agency)
                            .bind(period)
                            .bind(write.expected_lock)
                            .fetch_optional(&mut **tx)
                            .await?
                    };
                    locks.push(lock);
                }
                locks
            }
        };
        for ((write, content), lock) in writes.iter().zip(&contents).zip(&locks) {
            if let Some(lock) = lock {
                self.note(
                    "report.save",
                    format!("report {regime}/{}/{period}", write.agency),
                    Some(write.agency),
                    serde_json::json!({
                        "report": [regime, write.agency, period],
                        "status": write.save.to().as_str(),
                        "lock": lock,
                        "draft_sha256": baocao_domain::signature::digest_hex(content),
                    }),
                );
            }
        }
        Ok(locks.iter().map(Option::is_some).collect())
    }

    /// Moves report `report` along `transition`, answering its new lock. If the report is no
    /// longer in the transition's starting status at `expected_lock` (someone acted or saved
    /// first), nothing changes and the answer is a conflict.
    pub async fn move_report(
        &mut self,
        report: i32,
        expected_lock: i32,
        transition: &Transition,
        at: &str,
    ) -> Result<i32, StoreError> {
        let from = transition
            .from()
            .ok_or_else(|| StoreError::Conflict(format!("report {report} was never saved")))?;
        let (to, from_status) = (transition.to().as_str(), from.as_str());
        let moved: Option<(i32, i32, i32, i32)> = match &mut self.tx {
            Tx::Sqlite(lease) => {
                let mut list = StatementList::default();
                list.push(MOVE_REPORT, |args| {
                    args.add(to)
                        .add(at.to_string())
                        .add(report)
                        .add(from_status)
                        .add(expected_lock);
                });
                match lease.fetch_optional(list).await? {
                    Some(row) => Some(sqlx::FromRow::from_row(&row)?),
                    None => None,
                }
            }
            Tx::Postgres(tx) => {
                sqlx::query_as(MOVE_REPORT)
                    .bind(to)
                    .bind(at)
                    .bind(report)
                    .bind(from_status)
                    .bind(expected_lock)
                    .fetch_optional(&mut **tx)
                    .await?
            }
        };
        let (lock, regime, agency, period) = moved.ok_or_else(|| {
            StoreError::Conflict(format!(
                "report {report} is no longer {from} at lock {expected_lock}"
            ))
        })?;
        self.note(
            &format!("report.{}", transition.action().as_str()),
            format!("report {regime}/{agency}/{period}"),
            Some(agency),
            serde_json::json!({
                "report": [regime, agency, period],
                "from": from.as_str(),
                "status": transition.to().as_str(),
                "lock": lock,
            }),
        );
        Ok(lock)
    }

    /// Records a submitted version of report `report`, numbered after its last.
    pub async fn record_version(
        &mut self,
        report: i32,
        version: &NewVersion,
        event: &Event<'_>,
    ) -> Result<(), StoreError> {
        // The next number of the agency's register for the year: one row per agency and year,
        // raised in this transaction (concurrent submissions of one agency wait for each other
        // here, no one else's).
        let year = i32::from(version.document_year);
        match &mut self.tx {
            Tx::Sqlite(lease) => {
                lease.defer(RAISE_REGISTER, |args| {
                    args.add(report).add(year);
                });
                lease.defer(INSERT_VERSION_NUMBERED, |args| {
                    args.add(report)
                        .add(version.content.clone())
                        .add(version.content_sha256.clone())
                        .add(version.signature.clone())
                        .add(version.public_key.clone())
                        .add(event.actor.to_string())
                        .add(event.at.to_string())
                        .add(version.late)
                        .add(version.warnings.clone())
                        .add(year);
                });
            }
            Tx::Postgres(tx) => {
                let number: i32 = sqlx::query_scalar(RAISE_REGISTER)
                    .bind(report)
                    .bind(year)
                    .fetch_one(&mut **tx)
                    .await?;
                sqlx::query(INSERT_VERSION)
                    .bind(report)
                    .bind(&version.content)
                    .bind(&version.content_sha256)
                    .bind(&version.signature)
                    .bind(&version.public_key)
                    .bind(event.actor)
                    .bind(event.at)
                    .bind(version.late)
                    .bind(&version.warnings)
                    .bind(year)
                    .bind(number)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    /// Stores an agency's signing key: with the submission it is first made for, so a key is
    /// kept exactly when a version signed with it is.
    pub async fn add_signing_key(
        &mut self,
        key: &crate::reports::NewSigningKey,
        now: &str,
    ) -> Result<(), StoreError> {
        match &mut self.tx {
            Tx::Sqlite(lease) => {
                lease.defer(INSERT_SIGNING_KEY, |args| {
                    args.add(key.agency_id)
                        .add(key.public_hex.clone())
                        .add(key.sealed_secret.clone())
                        .add(now.to_string());
                });
            }
            Tx::Postgres(tx) => {
                sqlx::query(INSERT_SIGNING_KEY)
                    .bind(key.agency_id)
                    .bind(&key.public_hex)
                    .bind(&key.sealed_secret)
                    .bind(now)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    /// Records one event of report `report`'s workflow.
    pub async fn record_event(&mut self, report: i32, event: &Event<'_>) -> Result<(), StoreError> {
        match &mut self.tx {
            Tx::Sqlite(lease) => {
                lease.defer(INSERT_EVENT, |args| {
                    args.add(report)
                        .add(event.action.to_string())
                        .add(event.actor.to_string())
                        .add(event.at.to_string())
                        .add(event.reason.map(str::to_string));
                });
            }
            Tx::Postgres(tx) => {
                sqlx::query(INSERT_EVENT)
                    .bind(report)
                    .bind(event.action)
                    .bind(event.actor)
                    .bind(event.at)
                    .bind(event.reason)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    /// Replaces what `source` said for one agency and period with `values` (none: what it said
    /// leaves the data), and raises the period's change counter so cached aggregates over it
    /// are computed again. A cell emptied in a resubmission leaves the data too.
    pub async fn replace_values(
        &mut self,
        agency: &ValueAgencies,
        period: PeriodId,
        source: &str,
        values: &[DataValue],
        at: &str,
    ) -> Result<(), StoreError> {
        let (agency_id, agency_ids) = (agency.agency, &agency.of_values);
        let known_rows = match &self.tx {
            Tx::Sqlite(_) => agency.codes.rows(values, agency_ids),
            Tx::Postgres(_) => None,
        };
        if let (Tx::Sqlite(lease), Some(rows)) = (&mut self.tx, known_rows) {
            // Every code known: the whole replacement runs with the member's commit.
            lease.defer(CLEAR_VALUES, |args| {
                args.add(agency_id)
                    .add(period.to_string())
                    .add(source.to_string());
            });
            lease.defer(crate::analytics::NOTE_PERIOD_CHANGE_BY_CODE, |args| {
                args.add(period.to_string());
            });
            let changed: std::collections::BTreeSet<i32> =
                rows.iter().map(|(key, ..)| key.1).collect();
            for chunk in rows.chunks(crate::values::ROWS_PER_INSERT) {
                lease.defer(&crate::values::insert_rows_sql(chunk.len()), |args| {
                    for (key, number, text, channel) in chunk {
                        args.add(key.0)
                            .add(key.1)
                            .add(key.2)
                            .add(key.3)
                            .add(key.4)
                            .add(*number)
                            .add(text.clone())
                            .add(*channel)
                            .add(at.to_string());
                    }
                });
            }
            for period_id in changed {
                lease.defer(crate::analytics::NOTE_PERIOD_CHANGE, |args| {
                    args.add(period_id);
                });
            }
        } else {
            on_tx!(self, tx => {
                sqlx::query(CLEAR_VALUES)
                    .bind(agency_id)
                    .bind(period.to_string())
                    .bind(source)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(crate::analytics::NOTE_PERIOD_CHANGE_BY_CODE)
                    .bind(period.to_string())
                    .execute(&mut *tx)
                    .await?;
                write_values!(tx, values, agency_ids, at, &agency.codes);
                Ok::<(), StoreError>(())
            })?;
        }
        let change = serde_json::json!({
            "clear": [agency_id, period.to_string(), source],
            "write": value_entries(values, agency_ids)?,
        });
        self.note(
            "values.replace",
            format!("values {agency_id}/{period}/{source}"),
            Some(agency_id),
            change,
        );
        Ok(())
    }

    /// Commits the change with its audit events, chained after the chain's tail.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        let records = std::mem::take(&mut self.pending);
        match self.tx {
            Tx::Sqlite(lease) => lease.commit(records).await?,
            Tx::Postgres(mut tx) => {
                if !records.is_empty() {
                    let conn = &mut *tx;
                    crate::audit::append_events!(conn, records, true, None);
                }
                tx.commit().await?
            }
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.tx {
            Tx::Sqlite(lease) => lease.rollback().await?,
            Tx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

/// `values` as audit entries (`[agency id, period, indicator, combo, source, value]`): a
/// number as a JSON number, a yes/no or a text as text, as the table keeps them.
pub(crate) fn value_entries(
    values: &[DataValue],
    agency_ids: &HashMap<(AgencyCode, PeriodId), i32>,
) -> Result<Vec<serde_json::Value>, StoreError> {
    values
        .iter()
        .map(|value| {
            let agency = agency_ids
                .get(&(value.agency.clone(), value.period))
                .copied()
                .ok_or_else(|| StoreError::NotFound(format!("agency {}", value.agency)))?;
            let key: ValueKey = (
                agency,
                value.period.to_string(),
                value.indicator.to_string(),
                value.options.key(),
                value.source.clone(),
            );
            let cell = match &value.value {
                Value::Number(n) => serde_json::Value::from(*n),
                Value::Bool(b) => serde_json::Value::from(b.to_string()),
                Value::Text(t) => serde_json::Value::from(t.clone()),
            };
            Ok(value_entry(&key, cell))
        })
        .collect()
}

/// The agency rows a [`Transaction::replace_values`] writes under, read before the transaction
/// opens: the reporting agency's, each value's agency's at the end of its period, and the
/// codes the values name.
pub struct ValueAgencies {
    agency: i32,
    of_values: HashMap<(AgencyCode, PeriodId), i32>,
    /// The ids of the codes the values name.
    codes: crate::values::KnownCodes,
}

impl Store {
    /// The rows of `agency` (at the end of `period`) and of the agencies `values` belong to.
    pub async fn value_agencies(
        &self,
        agency: &AgencyCode,
        period: PeriodId,
        values: &[DataValue],
    ) -> Result<ValueAgencies, StoreError> {
        Ok(ValueAgencies {
            agency: self.agency_id(agency, Some(period.end())).await?,
            of_values: self.value_agency_ids(values).await?,
            codes: self.known_codes(values).await?,
        })
    }
}
