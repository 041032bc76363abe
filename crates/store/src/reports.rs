//! Report slots: one agency's report for one regime and period, with its working draft and
//! the optimistic lock that keeps two editors from overwriting each other.

use baocao_domain::agency::AgencyCode;
use baocao_domain::period::PeriodId;
use baocao_domain::regime::RegimeCode;
use baocao_domain::report::ReportContent;
use baocao_domain::submission::SubmissionStatus;

use crate::{Store, StoreError, on_db};

/// Which report: regime, reporting agency, period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotKey {
    pub regime: RegimeCode,
    pub agency: AgencyCode,
    pub period: PeriodId,
}

/// A stored slot.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotRecord {
    pub status: SubmissionStatus,
    pub lock_version: i32,
    pub draft: ReportContent,
    pub receiving_agency: AgencyCode,
    pub updated_at: String,
}

#[derive(sqlx::FromRow)]
struct SlotRow {
    status: String,
    lock_version: i32,
    draft: String,
    receiving_agency: String,
    updated_at: String,
}

const SLOT: &str = "
    SELECT s.status, s.lock_version, s.draft, rec.code AS receiving_agency, s.updated_at
    FROM submissions s
    JOIN regimes r ON r.id = s.regime_id
    JOIN periods p ON p.id = s.period_id
    JOIN agencies rec ON rec.id = s.receiving_agency_id
    WHERE r.code = $1 AND s.agency_id = $2 AND p.code = $3";

impl Store {
    /// The id of a period's row, created on first use.
    pub(crate) async fn period_id(&self, period: PeriodId) -> Result<i32, StoreError> {
        on_db!(self, pool => {
            sqlx::query("INSERT INTO periods (code, frequency, start_date, end_date) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING")
                .bind(period.to_string())
                .bind(period.frequency().as_str())
                .bind(period.start().to_string())
                .bind(period.end().to_string())
                .execute(pool)
                .await?;
            Ok(sqlx::query_scalar("SELECT id FROM periods WHERE code = $1").bind(period.to_string()).fetch_one(pool).await?)
        })
    }

    /// The receiving agency of the assignment that asks `key.agency` (the one valid at the
    /// end of the period) to report the regime for that period; `None` if nobody asked.
    pub async fn assigned_receiver(&self, key: &SlotKey) -> Result<Option<AgencyCode>, StoreError> {
        const SQL: &str = "
            SELECT rec.code FROM assignments x
            JOIN regimes r ON r.id = x.regime_id
            JOIN agencies rep ON rep.id = x.reporting_agency_id
            JOIN agencies rec ON rec.id = x.receiving_agency_id
            WHERE r.code = $1 AND rep.code = $2
              AND (rep.valid_from IS NULL OR rep.valid_from <= $3) AND (rep.valid_to IS NULL OR rep.valid_to >= $3)
              AND (x.valid_from IS NULL OR x.valid_from <= $3) AND (x.valid_to IS NULL OR x.valid_to >= $4)
            ORDER BY x.id LIMIT 1";
        let code: Option<String> = on_db!(self, pool => sqlx::query_scalar(SQL)
            .bind(key.regime.as_str())
            .bind(key.agency.as_str())
            .bind(key.period.end().to_string())
            .bind(key.period.start().to_string())
            .fetch_optional(pool)
            .await?);
        code.map(|c| AgencyCode::new(c).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }

    /// The slot, if anything was ever saved in it.
    pub async fn report_slot(&self, key: &SlotKey) -> Result<Option<SlotRecord>, StoreError> {
        let Ok(agency_id) = self.agency_id(&key.agency, Some(key.period.end())).await else {
            return Ok(None);
        };
        let row: Option<SlotRow> = on_db!(self, pool => sqlx::query_as(SLOT)
            .bind(key.regime.as_str())
            .bind(agency_id)
            .bind(key.period.to_string())
            .fetch_optional(pool)
            .await?);
        row.map(|row| {
            Ok(SlotRecord {
                status: row
                    .status
                    .parse()
                    .map_err(|s| StoreError::Corrupt(format!("submission status {s:?}")))?,
                lock_version: row.lock_version,
                draft: serde_json::from_str(&row.draft)
                    .map_err(|e| StoreError::Corrupt(format!("draft: {e}")))?,
                receiving_agency: AgencyCode::new(row.receiving_agency)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                updated_at: row.updated_at,
            })
        })
        .transpose()
    }

    /// Saves a draft if the slot's lock is still `expected_lock` (0 for a slot never saved);
    /// answers the new lock. Another editor's save in between is a [`StoreError::Conflict`].
    pub async fn save_draft(
        &self,
        key: &SlotKey,
        receiving_agency: &AgencyCode,
        status: SubmissionStatus,
        expected_lock: i32,
        draft: &ReportContent,
        now: &str,
    ) -> Result<i32, StoreError> {
        let agency_id = self.agency_id(&key.agency, Some(key.period.end())).await?;
        let receiving_id = self
            .agency_id(receiving_agency, Some(key.period.end()))
            .await?;
        let period_id = self.period_id(key.period).await?;
        let regime_id: i32 =
            on_db!(self, pool => sqlx::query_scalar("SELECT id FROM regimes WHERE code = $1")
            .bind(key.regime.as_str())
            .fetch_optional(pool)
            .await?)
            .ok_or_else(|| StoreError::NotFound(format!("regime {}", key.regime)))?;
        let content = draft.canonical_json();
        let conflict = || {
            StoreError::Conflict(format!(
                "report {} {} {} was changed by someone else",
                key.regime, key.agency, key.period
            ))
        };
        let saved: Option<i32> = if expected_lock == 0 {
            on_db!(self, pool => sqlx::query_scalar(
                "INSERT INTO submissions (regime_id, agency_id, period_id, receiving_agency_id, status, lock_version, draft, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $7)
                 ON CONFLICT (regime_id, agency_id, period_id) DO NOTHING
                 RETURNING lock_version",
            )
            .bind(regime_id)
            .bind(agency_id)
            .bind(period_id)
            .bind(receiving_id)
            .bind(status.as_str())
            .bind(&content)
            .bind(now)
            .fetch_optional(pool)
            .await?)
        } else {
            on_db!(self, pool => sqlx::query_scalar(
                "UPDATE submissions SET draft = $1, status = $2, lock_version = lock_version + 1, updated_at = $3
                 WHERE regime_id = $4 AND agency_id = $5 AND period_id = $6 AND lock_version = $7
                 RETURNING lock_version",
            )
            .bind(&content)
            .bind(status.as_str())
            .bind(now)
            .bind(regime_id)
            .bind(agency_id)
            .bind(period_id)
            .bind(expected_lock)
            .fetch_optional(pool)
            .await?)
        };
        saved.ok_or_else(conflict)
    }
}
