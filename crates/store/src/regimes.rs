//! Regimes with their versions, and assignments. A version's content is stored as the
//! domain's JSON document: the registry reads and writes whole regimes, and the document is
//! checked by the domain on the way in and out.

use baocao_domain::Date;
use baocao_domain::agency::AgencyCode;
use baocao_domain::assignment::Assignment;
use baocao_domain::regime::{Regime, RegimeCode, RegimeContent, RegimeStatus};
use baocao_domain::text::search_key;
use serde::Serialize;

use baocao_domain::audit::Provenance;

use crate::transaction::on_tx;
use crate::{Store, StoreError, date_text, on_db, parse_date};

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i32,
    status: String,
    effective_from: Option<String>,
    content: String,
}

impl TryFrom<VersionRow> for Regime {
    type Error = StoreError;
    fn try_from(row: VersionRow) -> Result<Self, StoreError> {
        let content: RegimeContent = serde_json::from_str(&row.content)
            .map_err(|e| StoreError::Corrupt(format!("regime content: {e}")))?;
        let status: RegimeStatus = row
            .status
            .parse()
            .map_err(|s| StoreError::Corrupt(format!("regime status {s:?}")))?;
        Regime::restore(
            content,
            row.version as u32,
            status,
            parse_date(row.effective_from.as_deref())?,
        )
        .map_err(|e| StoreError::Corrupt(e.to_string()))
    }
}

/// An assignment as stored, with its agencies' codes.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignmentRecord {
    pub regime: String,
    pub reporting_agency: String,
    pub receiving_agency: String,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
}

/// Each regime's version in force: its newest published (or retired) version, or its draft if
/// it was never published. An amendment in draft does not replace the version in force.
const LATEST_VERSIONS: &str = "
    SELECT rv.version, rv.status, rv.effective_from, rv.content
    FROM regime_versions rv
    JOIN regimes r ON r.id = rv.regime_id
    WHERE rv.version = COALESCE(
        (SELECT MAX(version) FROM regime_versions WHERE regime_id = rv.regime_id AND status <> 'draft'),
        (SELECT MAX(version) FROM regime_versions WHERE regime_id = rv.regime_id))";

const VERSIONS: &str = "
    SELECT rv.version, rv.status, rv.effective_from, rv.content
    FROM regime_versions rv
    JOIN regimes r ON r.id = rv.regime_id
    WHERE r.code = $1";

/// A version as stored: the content's JSON document and the search key of code and name.
fn document(regime: &Regime) -> Result<(String, String), StoreError> {
    let content =
        serde_json::to_string(regime.content()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let key = search_key(&format!(
        "{} {}",
        regime.code(),
        regime.content().name.as_deref().unwrap_or("")
    ));
    Ok((content, key))
}

impl Store {
    /// Stores a new regime (its first version). A code already in use is a conflict.
    pub async fn create_regime(&self, regime: &Regime, by: &Provenance) -> Result<(), StoreError> {
        self.create_regimes(std::slice::from_ref(regime), by).await
    }

    /// Stores new regimes, all or nothing. A code already in use is a conflict.
    pub async fn create_regimes(
        &self,
        regimes: &[Regime],
        by: &Provenance,
    ) -> Result<(), StoreError> {
        let mut documents = Vec::with_capacity(regimes.len());
        for regime in regimes {
            let (content, key) = document(regime)?;
            documents.push((regime, content, key));
        }
        let now = by.at.as_str();
        let mut tx = self.begin(by).await?;
        for (regime, content, key) in &documents {
            on_tx!(tx, conn => {
                let id: i32 = sqlx::query_scalar("INSERT INTO regimes (code, created_at) VALUES ($1, $2) RETURNING id")
                    .bind(regime.code().as_str())
                    .bind(now)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(|e| StoreError::on_unique(e, || format!("regime {}", regime.code())))?;
                sqlx::query(
                    "INSERT INTO regime_versions (regime_id, version, status, effective_from, content, search_key, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(id)
                .bind(regime.version() as i32)
                .bind(regime.status().as_str())
                .bind(date_text(regime.effective_from()))
                .bind(content)
                .bind(key)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            });
            note_version(&mut tx, "regime.version", regime, content, None);
        }
        tx.commit().await?;
        self.raise_regimes_generation().await
    }

    /// The latest version of every regime, ordered by code; `query` matches code and name
    /// without diacritics.
    pub async fn regimes(&self, query: Option<&str>) -> Result<Vec<Regime>, StoreError> {
        let pattern = crate::search_pattern(query);
        let sql =
            format!("{LATEST_VERSIONS} AND ($1 = '' OR rv.search_key LIKE $1) ORDER BY r.code");
        let rows: Vec<VersionRow> =
            on_db!(self, pool => sqlx::query_as(&sql).bind(pattern).fetch_all(pool).await?);
        rows.into_iter().map(Regime::try_from).collect()
    }

    /// The latest version of one regime.
    pub async fn regime(&self, code: &RegimeCode) -> Result<Option<Regime>, StoreError> {
        let sql = format!("{LATEST_VERSIONS} AND r.code = $1");
        let row: Option<VersionRow> = on_db!(self, pool => sqlx::query_as(&sql).bind(code.as_str()).fetch_optional(pool).await?);
        row.map(Regime::try_from).transpose()
    }

    /// Every version of a regime, oldest first.
    pub async fn regime_versions(&self, code: &RegimeCode) -> Result<Vec<Regime>, StoreError> {
        let sql = format!("{VERSIONS} ORDER BY rv.version");
        let rows: Vec<VersionRow> =
            on_db!(self, pool => sqlx::query_as(&sql).bind(code.as_str()).fetch_all(pool).await?);
        rows.into_iter().map(Regime::try_from).collect()
    }

    /// The version that governs periods starting on `date`: the published (or retired) version
    /// with the latest effective date not after it; the first published one for earlier
    /// periods; the regime in force if none was published.
    pub async fn regime_for(
        &self,
        code: &RegimeCode,
        date: Date,
    ) -> Result<Option<Regime>, StoreError> {
        let versions = self.regime_versions(code).await?;
        let published: Vec<&Regime> = versions
            .iter()
            .filter(|r| r.status() != RegimeStatus::Draft)
            .collect();
        let chosen = published
            .iter()
            .rev()
            .find(|r| r.effective_from().is_none_or(|from| from <= date))
            .or(published.first())
            .copied()
            .or(versions.last());
        Ok(chosen.cloned())
    }

    /// Stores a new version of an existing regime.
    pub async fn add_regime_version(
        &self,
        regime: &Regime,
        by: &Provenance,
    ) -> Result<(), StoreError> {
        let (content, key) = document(regime)?;
        let mut tx = self.begin(by).await?;
        on_tx!(tx, conn => sqlx::query(
            "INSERT INTO regime_versions (regime_id, version, status, effective_from, content, search_key, created_at)
             SELECT id, $2, $3, $4, $5, $6, $7 FROM regimes WHERE code = $1",
        )
        .bind(regime.code().as_str())
        .bind(regime.version() as i32)
        .bind(regime.status().as_str())
        .bind(date_text(regime.effective_from()))
        .bind(&content)
        .bind(key)
        .bind(&by.at)
        .execute(conn)
        .await
        .map_err(|e| StoreError::on_unique(e, || format!("regime {} version {}", regime.code(), regime.version())))
        .map(|_| ())?);
        note_version(&mut tx, "regime.version", regime, &content, None);
        tx.commit().await?;
        self.raise_regimes_generation().await
    }

    /// Writes a version's status, effective date and content over the stored one (a draft
    /// edited, published or a version retired); the event keeps the status it had.
    pub async fn update_regime_version(
        &self,
        regime: &Regime,
        by: &Provenance,
    ) -> Result<(), StoreError> {
        let (content, key) = document(regime)?;
        let mut tx = self.begin(by).await?;
        let before: Option<String> = on_tx!(tx, conn => {
            let before: Option<String> = sqlx::query_scalar(
                "SELECT status FROM regime_versions
                 WHERE version = $2 AND regime_id = (SELECT id FROM regimes WHERE code = $1)",
            )
            .bind(regime.code().as_str())
            .bind(regime.version() as i32)
            .fetch_optional(&mut *conn)
            .await?;
            sqlx::query(
                "UPDATE regime_versions SET status = $3, effective_from = $4, content = $5, search_key = $6
                 WHERE version = $2 AND regime_id = (SELECT id FROM regimes WHERE code = $1)",
            )
            .bind(regime.code().as_str())
            .bind(regime.version() as i32)
            .bind(regime.status().as_str())
            .bind(date_text(regime.effective_from()))
            .bind(&content)
            .bind(key)
            .execute(&mut *conn)
            .await?;
            before
        });
        let Some(before) = before else {
            return Err(StoreError::NotFound(format!(
                "regime {} version {}",
                regime.code(),
                regime.version()
            )));
        };
        note_version(&mut tx, "regime.version", regime, &content, Some(&before));
        tx.commit().await?;
        self.raise_regimes_generation().await
    }

    /// Writes assignments, all or nothing; each agency is the one with its code valid when the
    /// assignment starts.
    pub async fn insert_assignments(
        &self,
        assignments: &[Assignment],
        by: &Provenance,
    ) -> Result<(), StoreError> {
        let mut resolved = Vec::with_capacity(assignments.len());
        for assignment in assignments {
            let start = assignment.validity().from();
            resolved.push((
                self.regime_id(assignment.regime()).await?,
                self.agency_id(assignment.reporting_agency(), start).await?,
                self.agency_id(assignment.receiving_agency(), start).await?,
                assignment.validity(),
            ));
        }
        let mut tx = self.begin(by).await?;
        for (regime_id, reporting, receiving, validity) in &resolved {
            on_tx!(tx, conn => sqlx::query(
                "INSERT INTO assignments (regime_id, reporting_agency_id, receiving_agency_id, valid_from, valid_to)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(regime_id)
            .bind(reporting)
            .bind(receiving)
            .bind(date_text(validity.from()))
            .bind(date_text(validity.to()))
            .execute(conn)
            .await
            .map(drop)?);
            tx.note(
                "assignment.add",
                format!("regime {regime_id} agency {reporting}"),
                Some(*reporting),
                serde_json::json!({
                    "regime": regime_id,
                    "reporting": reporting,
                    "receiving": receiving,
                    "from": date_text(validity.from()),
                    "to": date_text(validity.to()),
                }),
            );
        }
        // Who receives which report is kept in memory under the regimes' counter.
        tx.raise_counter(crate::analytics::REGIMES_GENERATION)
            .await?;
        tx.commit().await
    }

    /// The assignments of a regime valid on `date` (all of them if `date` is `None`).
    pub async fn assignments(
        &self,
        regime: &RegimeCode,
        date: Option<Date>,
    ) -> Result<Vec<AssignmentRecord>, StoreError> {
        const SQL: &str = "
            SELECT r.code AS regime, rep.code AS reporting_agency, rec.code AS receiving_agency, x.valid_from, x.valid_to
            FROM assignments x
            JOIN regimes r ON r.id = x.regime_id
            JOIN agencies rep ON rep.id = x.reporting_agency_id
            JOIN agencies rec ON rec.id = x.receiving_agency_id
            WHERE r.code = $1
              AND ($2 = '' OR ((x.valid_from IS NULL OR x.valid_from <= $2) AND (x.valid_to IS NULL OR x.valid_to >= $2)))
            ORDER BY rep.code, x.valid_from";
        Ok(on_db!(self, pool => sqlx::query_as(SQL)
            .bind(regime.as_str())
            .bind(date_text(date).unwrap_or_default())
            .fetch_all(pool)
            .await?))
    }

    /// The codes of the regimes an agency has ever been assigned to report.
    pub async fn regimes_assigned_to(
        &self,
        agency: &AgencyCode,
    ) -> Result<Vec<String>, StoreError> {
        const SQL: &str = "
            SELECT DISTINCT r.code FROM assignments x
            JOIN regimes r ON r.id = x.regime_id
            JOIN agencies a ON a.id = x.reporting_agency_id
            WHERE a.code = $1 ORDER BY r.code";
        Ok(on_db!(self, pool => sqlx::query_scalar(SQL)
            .bind(agency.as_str())
            .fetch_all(pool)
            .await?))
    }

    /// The agencies assigned on `on` to report, under any regime, to one of `receivers`.
    pub async fn agencies_reporting_to(
        &self,
        receivers: &[AgencyCode],
        on: Date,
    ) -> Result<Vec<AgencyCode>, StoreError> {
        if receivers.is_empty() {
            return Ok(Vec::new());
        }
        // Codes are checked words (letters, digits, `-_.()+`): bound one by one all the same.
        let marks: Vec<String> = (0..receivers.len())
            .map(|i| format!("${}", i + 2))
            .collect();
        let sql = format!(
            "SELECT DISTINCT rep.code FROM assignments x
             JOIN agencies rec ON rec.id = x.receiving_agency_id
             JOIN agencies rep ON rep.id = x.reporting_agency_id
             WHERE rec.code IN ({})
               AND (x.valid_from IS NULL OR x.valid_from <= $1)
               AND (x.valid_to IS NULL OR x.valid_to >= $1)
             ORDER BY rep.code",
            marks.join(", ")
        );
        let codes: Vec<String> = on_db!(self, pool => {
            let mut query = sqlx::query_scalar(&sql).bind(on.to_string());
            for receiver in receivers {
                query = query.bind(receiver.as_str());
            }
            query.fetch_all(pool).await?
        });
        codes
            .into_iter()
            .map(|code| AgencyCode::new(&code).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }

    /// The id of a regime's row.
    pub async fn regime_id(&self, code: &RegimeCode) -> Result<i32, StoreError> {
        if let Some(id) = self.ids.regime(code) {
            return Ok(id);
        }
        let id: Option<i32> = on_db!(self, pool => sqlx::query_scalar("SELECT id FROM regimes WHERE code = $1")
            .bind(code.as_str())
            .fetch_optional(pool)
            .await?);
        let id = id.ok_or_else(|| StoreError::NotFound(format!("regime {code}")))?;
        self.ids.keep_regime(code, id);
        Ok(id)
    }
}

/// Notes a regime version as stored: its status (and the one it had), effective date and the
/// digest of its content, which is what verification compares.
fn note_version(
    tx: &mut crate::transaction::Transaction,
    kind: &str,
    regime: &Regime,
    content: &str,
    before: Option<&str>,
) {
    tx.note(
        kind,
        format!("regime {}", regime.code()),
        None,
        serde_json::json!({
            "regime": regime.code().as_str(),
            "version": regime.version() as i32,
            "status": regime.status().as_str(),
            "before": before,
            "effective_from": date_text(regime.effective_from()),
            "content_sha256": baocao_domain::signature::digest_hex(content),
        }),
    );
}
