//! Reports: one agency's report for one regime and period, with its working draft, the
//! optimistic lock that keeps two editors from overwriting each other, its submitted versions
//! and the events of its workflow. What changes a report is written through a
//! [`crate::transaction::Transaction`].

use baocao_domain::agency::AgencyCode;
use baocao_domain::period::PeriodId;
use baocao_domain::regime::RegimeCode;
use baocao_domain::report::ReportContent;
use baocao_domain::submission::{SubmissionStatus, Transition};

use std::collections::HashMap;

use crate::{Store, StoreError, on_db};

/// Which report: regime, reporting agency, period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportKey {
    pub regime: RegimeCode,
    pub agency: AgencyCode,
    pub period: PeriodId,
}

/// A stored report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRecord {
    /// Its row, which a [`crate::transaction::Transaction`] names it by.
    pub id: i32,
    pub status: SubmissionStatus,
    pub lock_version: i32,
    pub draft: ReportContent,
    pub receiving_agency: AgencyCode,
    pub updated_at: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ReportStateRow {
    id: i32,
    status: String,
    lock_version: i32,
    draft: String,
    receiving_agency: String,
    updated_at: String,
}

impl TryFrom<ReportStateRow> for ReportRecord {
    type Error = StoreError;
    fn try_from(row: ReportStateRow) -> Result<Self, StoreError> {
        Ok(ReportRecord {
            id: row.id,
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
    }
}

/// The slot, with the reason it was last returned or reopened with (its latest event that
/// gave one), in one statement: the agency is named by its code as of the period's end.
const SLOT_WITH_REASON: &str = "
    SELECT s.id, s.status, s.lock_version, s.draft, rec.code AS receiving_agency, s.updated_at,
       (SELECT e.reason FROM submission_events e WHERE e.submission_id = s.id AND e.reason IS NOT NULL
        ORDER BY e.id DESC LIMIT 1) AS return_reason
    FROM submissions s
    JOIN regimes r ON r.id = s.regime_id
    JOIN periods p ON p.id = s.period_id
    JOIN agencies rec ON rec.id = s.receiving_agency_id
    WHERE r.code = $1 AND p.code = $3 AND s.agency_id = (
        -- The agency's row first (one index probe), so the report is one probe too.
        SELECT a.id FROM agencies a WHERE a.code = $2
          AND (a.valid_from IS NULL OR a.valid_from <= $4) AND (a.valid_to IS NULL OR a.valid_to >= $4)
        ORDER BY COALESCE(a.valid_from, '') DESC LIMIT 1)";

#[derive(sqlx::FromRow)]
struct ReportStateWithReason {
    #[sqlx(flatten)]
    slot: ReportStateRow,
    return_reason: Option<String>,
}

pub(crate) const INSERT_PERIOD: &str = "INSERT INTO periods (code, frequency, start_date, end_date) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING";
pub(crate) const PERIOD_ID: &str = "SELECT id FROM periods WHERE code = $1";

impl Store {
    /// The id of a period's row, created on first use.
    pub async fn period_id(&self, period: PeriodId) -> Result<i32, StoreError> {
        if let Some(id) = self.ids.period(period) {
            return Ok(id);
        }
        let id: i32 = on_db!(self, pool => {
            sqlx::query(INSERT_PERIOD)
                .bind(period.to_string())
                .bind(period.frequency().as_str())
                .bind(period.start().to_string())
                .bind(period.end().to_string())
                .execute(pool)
                .await?;
            sqlx::query_scalar(PERIOD_ID).bind(period.to_string()).fetch_one(pool).await?
        });
        self.ids.keep_period(period, id);
        Ok(id)
    }

    /// The receiving agency of the assignment that asks `key.agency` (the one valid at the
    /// end of the period) to report the regime for that period; `None` if nobody asked.
    pub async fn assigned_receiver(
        &self,
        key: &ReportKey,
    ) -> Result<Option<AgencyCode>, StoreError> {
        const SQL: &str = "
            SELECT rec.code FROM assignments x
            JOIN agencies rec ON rec.id = x.receiving_agency_id
            WHERE x.regime_id = (SELECT r.id FROM regimes r WHERE r.code = $1)
              -- The agency's rows first: the assignments are then probed by agency.
              AND x.reporting_agency_id IN (
                SELECT rep.id FROM agencies rep WHERE rep.code = $2
                  AND (rep.valid_from IS NULL OR rep.valid_from <= $3) AND (rep.valid_to IS NULL OR rep.valid_to >= $3))
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

    /// For every agency assigned the regime for `period`, its receiving agency: what
    /// [`assigned_receiver`](Self::assigned_receiver) answers one agency at a time.
    pub async fn assigned_receivers(
        &self,
        regime: &RegimeCode,
        period: PeriodId,
    ) -> Result<HashMap<AgencyCode, AgencyCode>, StoreError> {
        const SQL: &str = "
            SELECT rep.code, rec.code FROM assignments x
            JOIN regimes r ON r.id = x.regime_id
            JOIN agencies rep ON rep.id = x.reporting_agency_id
            JOIN agencies rec ON rec.id = x.receiving_agency_id
            WHERE r.code = $1
              AND (rep.valid_from IS NULL OR rep.valid_from <= $2) AND (rep.valid_to IS NULL OR rep.valid_to >= $2)
              AND (x.valid_from IS NULL OR x.valid_from <= $2) AND (x.valid_to IS NULL OR x.valid_to >= $3)
            ORDER BY x.id";
        let rows: Vec<(String, String)> = on_db!(self, pool => sqlx::query_as(SQL)
            .bind(regime.as_str())
            .bind(period.end().to_string())
            .bind(period.start().to_string())
            .fetch_all(pool)
            .await?);
        let mut receivers = HashMap::new();
        for (reporting, receiving) in rows {
            let code =
                |c: String| AgencyCode::new(c).map_err(|e| StoreError::Corrupt(e.to_string()));
            // The first assignment wins, as for one agency.
            receivers
                .entry(code(reporting)?)
                .or_insert(code(receiving)?);
        }
        Ok(receivers)
    }

    /// The slot, if anything was ever saved in it.
    pub async fn report_record(&self, key: &ReportKey) -> Result<Option<ReportRecord>, StoreError> {
        Ok(self
            .report_record_and_reason(key)
            .await?
            .map(|(record, _)| record))
    }

    /// The slot, if anything was ever saved in it, with the reason it was last returned or
    /// reopened with, in one statement.
    pub async fn report_record_and_reason(
        &self,
        key: &ReportKey,
    ) -> Result<Option<(ReportRecord, Option<String>)>, StoreError> {
        let row: Option<ReportStateWithReason> = on_db!(self, pool => sqlx::query_as(SLOT_WITH_REASON)
            .bind(key.regime.as_str())
            .bind(key.agency.as_str())
            .bind(key.period.to_string())
            .bind(key.period.end().to_string())
            .fetch_optional(pool)
            .await?);
        row.map(|row| Ok((ReportRecord::try_from(row.slot)?, row.return_reason)))
            .transpose()
    }

    /// Saves a draft if the slot's lock is still `expected_lock` (0 for a slot never saved);
    /// answers the new lock. Another editor's save in between is a [`StoreError::Conflict`].
    pub async fn save_draft(
        &self,
        key: &ReportKey,
        receiving_agency: &AgencyCode,
        save: Transition,
        expected_lock: i32,
        draft: &ReportContent,
        by: &baocao_domain::audit::Provenance,
    ) -> Result<i32, StoreError> {
        let agencies = ReportAgencies {
            reporting: self.agency_id(&key.agency, Some(key.period.end())).await?,
            receiving: self
                .agency_id(receiving_agency, Some(key.period.end()))
                .await?,
        };
        self.save_draft_of(key, agencies, save, expected_lock, draft, by)
            .await
    }

    /// [`save_draft`](Self::save_draft) with the agencies' rows already known (from the
    /// hierarchy a request keeps in memory).
    pub async fn save_draft_of(
        &self,
        key: &ReportKey,
        agencies: ReportAgencies,
        save: Transition,
        expected_lock: i32,
        draft: &ReportContent,
        by: &baocao_domain::audit::Provenance,
    ) -> Result<i32, StoreError> {
        let ReportAgencies {
            reporting: agency_id,
            receiving: receiving_id,
        } = agencies;
        let period_id = self.period_id(key.period).await?;
        let regime_id = self.regime_id(&key.regime).await?;
        let mut tx = self.begin(by).await?;
        let saved = tx
            .save_drafts(
                regime_id,
                period_id,
                &[crate::transaction::DraftWrite {
                    agency: agency_id,
                    receiving_agency: receiving_id,
                    save,
                    expected_lock,
                    draft,
                }],
                &by.at,
            )
            .await?;
        tx.commit().await?;
        if saved == [true] {
            Ok(expected_lock + 1)
        } else {
            Err(StoreError::Conflict(format!(
                "report {} {} {} was changed by someone else",
                key.regime, key.agency, key.period
            )))
        }
    }
}

/// The rows of a report's reporting and receiving agencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportAgencies {
    pub reporting: i32,
    pub receiving: i32,
}

/// A submitted version as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct VersionRecord {
    pub number: i32,
    #[serde(skip)]
    pub content: String,
    pub content_sha256: String,
    pub signature: String,
    pub public_key: String,
    pub signed_by: String,
    pub submitted_at: String,
    pub late: bool,
    /// JSON: the warnings it carried, each with the reporter's explanation.
    #[serde(skip)]
    pub warnings: String,
    /// Its number in the issuing agency's register of that year (`None`: sent by a release
    /// before the register, or during an upgrade by the one before).
    #[serde(skip)]
    pub document_year: Option<i32>,
    #[serde(skip)]
    pub document_number: Option<i32>,
}

impl VersionRecord {
    fn corrupt(&self, what: &str, error: serde_json::Error) -> StoreError {
        StoreError::Corrupt(format!("{what} of version {}: {error}", self.number))
    }

    /// What was signed, as the domain's report. A stored version that does not parse is an
    /// error, never an empty report.
    pub fn report_content(&self) -> Result<ReportContent, StoreError> {
        serde_json::from_str(&self.content).map_err(|e| self.corrupt("content", e))
    }

    /// What was signed, as the JSON it was stored as.
    pub fn content_json(&self) -> Result<serde_json::Value, StoreError> {
        serde_json::from_str(&self.content).map_err(|e| self.corrupt("content", e))
    }

    /// The warnings it carried, each with the reporter's explanation.
    pub fn warnings(&self) -> Result<Vec<serde_json::Value>, StoreError> {
        serde_json::from_str(&self.warnings).map_err(|e| self.corrupt("warnings", e))
    }
}

/// An agency's signing key to store, its secret sealed.
#[derive(Debug, Clone)]
pub struct NewSigningKey {
    pub(crate) agency_id: i32,
    pub(crate) public_hex: String,
    pub(crate) sealed_secret: String,
}

/// A version to record with a submit.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub content: String,
    pub content_sha256: String,
    pub signature: String,
    pub public_key: String,
    pub late: bool,
    /// JSON: the warnings it carried, each with the reporter's explanation.
    pub warnings: String,
    /// The year (in Vietnam) whose register numbers the version as a document.
    pub document_year: i16,
}

/// One action on a report.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub action: &'a str,
    pub actor: &'a str,
    pub at: &'a str,
    pub reason: Option<&'a str>,
}

impl Store {
    async fn submission_id(&self, key: &ReportKey) -> Result<i32, StoreError> {
        self.report_record(key)
            .await?
            .map(|record| record.id)
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "report {} {} {}",
                    key.regime, key.agency, key.period
                ))
            })
    }

    /// The reports sent to `receiver` that wait for its review (status submitted), oldest
    /// first: (regime, reporting agency, period, submitted at).
    pub async fn awaiting_review(
        &self,
        receiver: &AgencyCode,
    ) -> Result<Vec<(String, String, String, String)>, StoreError> {
        const SQL: &str = "
            SELECT r.code, a.code, p.code, s.updated_at
            FROM submissions s
            JOIN regimes r ON r.id = s.regime_id
            JOIN agencies a ON a.id = s.agency_id
            JOIN periods p ON p.id = s.period_id
            JOIN agencies rcv ON rcv.id = s.receiving_agency_id
            WHERE rcv.code = $1 AND s.status = 'submitted'
            ORDER BY s.updated_at, r.code, a.code";
        Ok(on_db!(self, pool => sqlx::query_as(SQL)
            .bind(receiver.as_str())
            .fetch_all(pool)
            .await?))
    }

    /// Every submitted version of a report, oldest first.
    pub async fn versions(&self, key: &ReportKey) -> Result<Vec<VersionRecord>, StoreError> {
        let Ok(id) = self.submission_id(key).await else {
            return Ok(Vec::new());
        };
        self.versions_of(id).await
    }

    /// Every submitted version of the report in row `submission`, oldest first.
    pub async fn versions_of(&self, submission: i32) -> Result<Vec<VersionRecord>, StoreError> {
        let id = submission;
        Ok(on_db!(self, pool => sqlx::query_as(
            "SELECT number, content, content_sha256, signature, public_key, signed_by, submitted_at, late, warnings,
                    document_year, document_number
             FROM submission_versions WHERE submission_id = $1 ORDER BY number",
        )
        .bind(id)
        .fetch_all(pool)
        .await?))
    }

    /// The agency's newest signing key (secret hex, public hex), if it has one; the secret is
    /// stored sealed ([`crate::secrets`]).
    pub async fn signing_key(
        &self,
        agency: &AgencyCode,
        date: jiff::civil::Date,
    ) -> Result<Option<(String, String)>, StoreError> {
        let agency_id = self.agency_id(agency, Some(date)).await?;
        self.signing_key_of(agency_id).await
    }

    /// [`signing_key`](Self::signing_key) of the agency in row `agency_id`.
    pub async fn signing_key_of(
        &self,
        agency_id: i32,
    ) -> Result<Option<(String, String)>, StoreError> {
        let stored: Option<(String, String)> = on_db!(self, pool => sqlx::query_as(
            "SELECT secret_key, public_key FROM agency_keys WHERE agency_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(agency_id)
        .fetch_optional(pool)
        .await?);
        stored
            .map(|(secret, public)| {
                Ok((
                    self.open_secret(&secret, crate::secrets::SIGNING_KEY_COLUMN)?,
                    public,
                ))
            })
            .transpose()
    }

    pub async fn add_signing_key(
        &self,
        agency: &AgencyCode,
        date: jiff::civil::Date,
        secret_hex: &str,
        public_hex: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        let agency_id = self.agency_id(agency, Some(date)).await?;
        let key = self.new_signing_key(agency_id, secret_hex, public_hex)?;
        // Through a transaction: on SQLite it joins the writers' batch instead of waiting in
        // the engine's busy handler for a gap between batches.
        let system =
            baocao_domain::audit::Provenance::system(now, baocao_domain::audit::Channel::System);
        let mut tx = self.begin(&system).await?;
        tx.add_signing_key(&key, now).await?;
        tx.commit().await
    }

    /// A signing key of the agency in row `agency_id`, sealed to be stored
    /// ([`Transaction::add_signing_key`](crate::transaction::Transaction::add_signing_key)).
    pub fn new_signing_key(
        &self,
        agency_id: i32,
        secret_hex: &str,
        public_hex: &str,
    ) -> Result<NewSigningKey, StoreError> {
        Ok(NewSigningKey {
            agency_id,
            public_hex: public_hex.to_string(),
            sealed_secret: self
                .keyring()?
                .seal(secret_hex, crate::secrets::SIGNING_KEY_COLUMN),
        })
    }

    /// The published keys of every agency that has held `agency`'s code, newest first
    /// (public key hex, created at).
    pub async fn public_keys(
        &self,
        agency: &AgencyCode,
    ) -> Result<Vec<(String, String)>, StoreError> {
        Ok(on_db!(self, pool => sqlx::query_as(
            "SELECT k.public_key, k.created_at FROM agency_keys k JOIN agencies a ON a.id = k.agency_id
             WHERE a.code = $1 ORDER BY k.id DESC",
        )
        .bind(agency.as_str())
        .fetch_all(pool)
        .await?))
    }
}
