//! Bulk draft writes for pushes from other systems: one transaction that reads the slots of
//! many reports of one regime and period in a statement and saves their drafts, each under its
//! own optimistic lock. A push in "all or nothing" mode keeps one such transaction open for
//! its whole payload, so a refused payload leaves nothing behind.
//!
//! Slots are named by row ids (agency and period ids, as the agency graph and
//! [`Store::period_id`] know them): a push resolves thousands of slots and must not look each
//! code up again.

use std::collections::HashMap;

use baocao_domain::period::PeriodId;
use baocao_domain::report::ReportContent;
use baocao_domain::submission::SubmissionStatus;
use sqlx::{Postgres, Sqlite, Transaction};

use crate::reports::SlotRecord;
use crate::{Db, Store, StoreError};

/// Ids per `IN (…)` list: well under SQLite's 32,766 bound parameters.
const IDS_PER_QUERY: usize = 500;

enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// An open transaction over report drafts; dropped without [`commit`](Self::commit), it rolls
/// back.
pub struct DraftTransaction {
    tx: Tx,
}

macro_rules! on_tx {
    ($self:expr, $conn:ident => $body:expr) => {
        match &mut $self.tx {
            Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

/// One draft to save.
pub struct DraftWrite<'a> {
    pub agency: i32,
    pub receiving_agency: i32,
    pub status: SubmissionStatus,
    /// The lock read with the slot (0 for a slot never saved).
    pub expected_lock: i32,
    pub draft: &'a ReportContent,
}

#[derive(sqlx::FromRow)]
struct BulkSlotRow {
    agency_id: i32,
    #[sqlx(flatten)]
    slot: crate::reports::SlotRow,
}

impl Store {
    /// Opens a draft transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a transaction that read first could not write later if another had
    /// written in between.
    pub async fn begin_drafts(&self) -> Result<DraftTransaction, StoreError> {
        let tx = match &self.db {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        };
        Ok(DraftTransaction { tx })
    }
}

impl DraftTransaction {
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

    /// The saved slots among `agencies` for one regime and period, by agency id.
    pub async fn slots(
        &mut self,
        regime: i32,
        period: i32,
        agencies: &[i32],
    ) -> Result<HashMap<i32, SlotRecord>, StoreError> {
        let mut found = HashMap::new();
        for part in agencies.chunks(IDS_PER_QUERY) {
            let list = part
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            // The ids are integers this code formatted, never caller text.
            let sql = format!(
                "SELECT s.agency_id, s.status, s.lock_version, s.draft, rec.code AS receiving_agency, s.updated_at
                 FROM submissions s JOIN agencies rec ON rec.id = s.receiving_agency_id
                 WHERE s.regime_id = $1 AND s.period_id = $2 AND s.agency_id IN ({list})"
            );
            let rows: Vec<BulkSlotRow> = on_tx!(self, conn => sqlx::query_as(&sql)
                .bind(regime)
                .bind(period)
                .fetch_all(conn)
                .await?);
            for row in rows {
                found.insert(row.agency_id, SlotRecord::try_from(row.slot)?);
            }
        }
        Ok(found)
    }

    /// Saves each draft whose slot's lock is still its `expected_lock`; answers, per write,
    /// whether it was saved (`false`: someone else saved that slot in between).
    pub async fn save(
        &mut self,
        regime: i32,
        period: i32,
        writes: &[DraftWrite<'_>],
        now: &str,
    ) -> Result<Vec<bool>, StoreError> {
        let mut saved = Vec::with_capacity(writes.len());
        for write in writes {
            let content = write.draft.canonical_json();
            let lock: Option<i32> = if write.expected_lock == 0 {
                on_tx!(self, conn => sqlx::query_scalar(
                    "INSERT INTO submissions (regime_id, agency_id, period_id, receiving_agency_id, status, lock_version, draft, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $7)
                     ON CONFLICT (regime_id, agency_id, period_id) DO NOTHING
                     RETURNING lock_version")
                    .bind(regime)
                    .bind(write.agency)
                    .bind(period)
                    .bind(write.receiving_agency)
                    .bind(write.status.as_str())
                    .bind(&content)
                    .bind(now)
                    .fetch_optional(conn)
                    .await?)
            } else {
                on_tx!(self, conn => sqlx::query_scalar(
                    "UPDATE submissions SET draft = $1, status = $2, lock_version = lock_version + 1, updated_at = $3
                     WHERE regime_id = $4 AND agency_id = $5 AND period_id = $6 AND lock_version = $7
                     RETURNING lock_version")
                    .bind(&content)
                    .bind(write.status.as_str())
                    .bind(now)
                    .bind(regime)
                    .bind(write.agency)
                    .bind(period)
                    .bind(write.expected_lock)
                    .fetch_optional(conn)
                    .await?)
            };
            saved.push(lock.is_some());
        }
        Ok(saved)
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        match self.tx {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.tx {
            Tx::Sqlite(tx) => tx.rollback().await?,
            Tx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}
