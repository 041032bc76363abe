//! Agencies and their states over time: writing a checked [`AgencyDirectory`], reading the
//! hierarchy as of a date, and an agency's lineage (for the permission policy).

use std::collections::HashMap;

use baocao_domain::Date;
use baocao_domain::agency::{AgencyCode, AgencyDirectory, AgencyKind, AgencyLevel, Succession};
use baocao_domain::text::search_key;
use serde::Serialize;

use baocao_domain::audit::Provenance;

use crate::transaction::on_tx;
use crate::{Store, StoreError, date_text, on_db, parse_date};

/// An agency as it stood on the date asked for; `valid_from`/`valid_to` are its lifetime.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgencyRecord {
    pub code: AgencyCode,
    pub name_vi: String,
    pub name_en: String,
    pub kind: AgencyKind,
    pub level: AgencyLevel,
    pub parent: Option<AgencyCode>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
}

#[derive(sqlx::FromRow)]
struct AgencyRow {
    code: String,
    name_vi: String,
    name_en: String,
    kind: String,
    parent: Option<String>,
    valid_from: Option<String>,
    valid_to: Option<String>,
}

impl TryFrom<AgencyRow> for AgencyRecord {
    type Error = StoreError;
    fn try_from(row: AgencyRow) -> Result<Self, StoreError> {
        let corrupt = |e: baocao_domain::agency::AgencyError| StoreError::Corrupt(e.to_string());
        let kind = AgencyKind::parse(&row.kind).map_err(corrupt)?;
        Ok(AgencyRecord {
            code: AgencyCode::new(row.code).map_err(corrupt)?,
            name_vi: row.name_vi,
            name_en: row.name_en,
            kind,
            level: kind.level(),
            parent: row
                .parent
                .map(AgencyCode::new)
                .transpose()
                .map_err(corrupt)?,
            valid_from: parse_date(row.valid_from.as_deref())?,
            valid_to: parse_date(row.valid_to.as_deref())?,
        })
    }
}

/// Filters of [`Store::agencies_as_of`].
#[derive(Debug, Clone, Default)]
pub struct AgencyFilter {
    pub level: Option<AgencyLevel>,
    pub parent: Option<AgencyCode>,
    /// Matched without case or diacritics against the Vietnamese and English names and code.
    pub query: Option<String>,
}

const SELECT_AS_OF: &str = "
    SELECT a.code, s.name_vi, s.name_en, s.kind, p.code AS parent, a.valid_from, a.valid_to
    FROM agencies a
    JOIN agency_states s ON s.agency_id = a.id
    LEFT JOIN agencies p ON p.id = s.parent_id
    WHERE (s.valid_from IS NULL OR s.valid_from <= $1)
      AND (s.valid_to IS NULL OR s.valid_to >= $1)";

/// A succession as the agency pages show it: when, who went, who took over (names as each
/// last was).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SuccessionRecord {
    pub date: String,
    pub kind: String,
    pub predecessor: String,
    pub predecessor_vi: String,
    pub predecessor_en: String,
    pub successor: String,
    pub successor_vi: String,
    pub successor_en: String,
}

impl Store {
    /// The successions the agency with `code` on `date` took part in: those it came from
    /// and the one it went into.
    pub async fn successions_of(
        &self,
        code: &AgencyCode,
        date: Date,
    ) -> Result<Vec<SuccessionRecord>, StoreError> {
        const SQL: &str = "
            SELECT s.date, s.kind,
                   p.code AS predecessor,
                   (SELECT name_vi FROM agency_states WHERE agency_id = p.id ORDER BY COALESCE(valid_from, '') DESC LIMIT 1) AS predecessor_vi,
                   (SELECT name_en FROM agency_states WHERE agency_id = p.id ORDER BY COALESCE(valid_from, '') DESC LIMIT 1) AS predecessor_en,
                   n.code AS successor,
                   (SELECT name_vi FROM agency_states WHERE agency_id = n.id ORDER BY COALESCE(valid_from, '') DESC LIMIT 1) AS successor_vi,
                   (SELECT name_en FROM agency_states WHERE agency_id = n.id ORDER BY COALESCE(valid_from, '') DESC LIMIT 1) AS successor_en
            FROM agency_successions s
            JOIN agencies p ON p.id = s.predecessor_id
            JOIN agencies n ON n.id = s.successor_id
            WHERE (p.code = $1 AND (p.valid_from IS NULL OR p.valid_from <= $2) AND (p.valid_to IS NULL OR p.valid_to >= $2))
               OR (n.code = $1 AND (n.valid_from IS NULL OR n.valid_from <= $2) AND (n.valid_to IS NULL OR n.valid_to >= $2))
            ORDER BY s.date, p.code";
        Ok(on_db!(self, pool => sqlx::query_as(SQL)
            .bind(code.as_str())
            .bind(date.to_string())
            .fetch_all(pool)
            .await?))
    }

    /// Writes every agency of `directory` and the successions between them, all or nothing.
    pub async fn insert_agencies(
        &self,
        directory: &AgencyDirectory,
        successions: &[Succession],
        audit: &Provenance,
    ) -> Result<(), StoreError> {
        let mut audited = self.begin(audit).await?;
        on_tx!(audited, tx => {
            let mut ids: HashMap<(AgencyCode, Option<Date>), i32> = HashMap::new();
            for agency in directory.agencies() {
                let lifetime = agency.lifetime();
                let id: i32 = sqlx::query_scalar(
                    "INSERT INTO agencies (code, valid_from, valid_to) VALUES ($1, $2, $3) RETURNING id",
                )
                .bind(agency.code().as_str())
                .bind(date_text(lifetime.from()))
                .bind(date_text(lifetime.to()))
                .fetch_one(&mut *tx)
                .await?;
                ids.insert((agency.code().clone(), lifetime.from()), id);
            }
            // A code names one agency on any date; find which one a reference meant.
            let id_on = |code: &AgencyCode, date: Option<Date>| -> Result<i32, StoreError> {
                directory
                    .agencies()
                    .iter()
                    .find(|a| a.code() == code && match date {
                        Some(d) => a.lifetime().contains(d),
                        None => a.lifetime().from().is_none(),
                    })
                    .and_then(|a| ids.get(&(a.code().clone(), a.lifetime().from())).copied())
                    .ok_or_else(|| StoreError::NotFound(format!("agency {code} on {date:?}")))
            };
            for agency in directory.agencies() {
                let agency_id = id_on(agency.code(), agency.lifetime().from().or(agency.lifetime().to()))?;
                for state in agency.states() {
                    let parent_id = match &state.parent {
                        Some(parent) => Some(id_on(parent, state.validity.from())?),
                        None => None,
                    };
                    sqlx::query(
                        "INSERT INTO agency_states (agency_id, valid_from, valid_to, name_vi, name_en, search_key, kind, parent_id)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(agency_id)
                    .bind(date_text(state.validity.from()))
                    .bind(date_text(state.validity.to()))
                    .bind(&state.name_vi)
                    .bind(&state.name_en)
                    .bind(search_key(&format!("{} {} {}", agency.code(), state.name_vi, state.name_en)))
                    .bind(state.kind.as_str())
                    .bind(parent_id)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            for succession in successions {
                let before = succession.date.yesterday().map_err(|e| StoreError::Corrupt(e.to_string()))?;
                sqlx::query(
                    "INSERT INTO agency_successions (date, predecessor_id, successor_id, kind) VALUES ($1, $2, $3, $4)",
                )
                .bind(succession.date.to_string())
                .bind(id_on(&succession.predecessor, Some(before))?)
                .bind(id_on(&succession.successor, Some(succession.date))?)
                .bind(succession.kind.as_str())
                .execute(&mut *tx)
                .await?;
            }
        });
        audited.note(
            "agency.create",
            format!("agencies ({})", directory.agencies().len()),
            None,
            serde_json::json!({
                "agencies": directory.agencies().iter().map(|a| a.code().as_str()).collect::<Vec<_>>(),
                "successions": successions.len(),
            }),
        );
        audited.commit().await?;
        self.raise_hierarchy_generation().await
    }

    /// The agencies valid on `date`, as they stood then, ordered by code.
    pub async fn agencies_as_of(
        &self,
        date: Date,
        filter: &AgencyFilter,
    ) -> Result<Vec<AgencyRecord>, StoreError> {
        let kinds: Vec<&str> = filter
            .level
            .map(|l| l.kinds().map(|k| k.as_str()).collect())
            .unwrap_or_default();
        let sql = format!(
            "{SELECT_AS_OF}
              AND ($2 = '' OR s.kind = $2 OR s.kind = $3)
              AND ($4 = '' OR p.code = $4)
              AND ($5 = '' OR s.search_key LIKE $5)
            ORDER BY a.code"
        );
        let pattern = crate::search_pattern(filter.query.as_deref());
        let rows: Vec<AgencyRow> = on_db!(self, pool => sqlx::query_as(&sql)
            .bind(date.to_string())
            .bind(kinds.first().copied().unwrap_or(""))
            .bind(kinds.get(1).copied().unwrap_or(""))
            .bind(filter.parent.as_ref().map(|p| p.as_str()).unwrap_or(""))
            .bind(pattern)
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(AgencyRecord::try_from).collect()
    }

    /// The agency with `code` as it stood on `date`.
    pub async fn agency_as_of(
        &self,
        code: &AgencyCode,
        date: Date,
    ) -> Result<Option<AgencyRecord>, StoreError> {
        let sql = format!("{SELECT_AS_OF} AND a.code = $2");
        let row: Option<AgencyRow> = on_db!(self, pool => sqlx::query_as(&sql)
            .bind(date.to_string())
            .bind(code.as_str())
            .fetch_optional(pool)
            .await?);
        row.map(AgencyRecord::try_from).transpose()
    }

    /// The agency, then its parent, up to the root, as the hierarchy stood on `date`. Empty
    /// if no agency with `code` was valid then.
    pub async fn lineage(
        &self,
        code: &AgencyCode,
        date: Date,
    ) -> Result<Vec<AgencyCode>, StoreError> {
        const SQL: &str = "
            WITH RECURSIVE up (agency_id, depth) AS (
                SELECT a.id, 0 FROM agencies a
                WHERE a.code = $1
                  AND (a.valid_from IS NULL OR a.valid_from <= $2)
                  AND (a.valid_to IS NULL OR a.valid_to >= $2)
                UNION ALL
                SELECT s.parent_id, up.depth + 1
                FROM up JOIN agency_states s ON s.agency_id = up.agency_id
                WHERE s.parent_id IS NOT NULL
                  AND (s.valid_from IS NULL OR s.valid_from <= $2)
                  AND (s.valid_to IS NULL OR s.valid_to >= $2)
                  AND up.depth < 32
            )
            SELECT a.code FROM up JOIN agencies a ON a.id = up.agency_id ORDER BY up.depth";
        let codes: Vec<String> = on_db!(self, pool => sqlx::query_scalar(SQL)
            .bind(code.as_str())
            .bind(date.to_string())
            .fetch_all(pool)
            .await?);
        codes
            .into_iter()
            .map(|c| AgencyCode::new(c).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }

    /// The id of the agency with `code` valid on `date`.
    pub async fn agency_id(
        &self,
        code: &AgencyCode,
        date: Option<Date>,
    ) -> Result<i32, StoreError> {
        const SQL: &str = "
            SELECT id FROM agencies
            WHERE code = $1
              AND ($2 = '' OR ((valid_from IS NULL OR valid_from <= $2) AND (valid_to IS NULL OR valid_to >= $2)))
            ORDER BY COALESCE(valid_from, '') DESC LIMIT 1";
        let id: Option<i32> = on_db!(self, pool => sqlx::query_scalar(SQL)
            .bind(code.as_str())
            .bind(date_text(date).unwrap_or_default())
            .fetch_optional(pool)
            .await?);
        id.ok_or_else(|| StoreError::NotFound(format!("agency {code}")))
    }
}
