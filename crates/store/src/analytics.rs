//! Reads for the aggregation engine: the agency graph of a date and the accepted numeric
//! values of an indicator within a date range. The engine itself is the domain's
//! ([`baocao_domain::aggregation`]); this module only fetches, in two and one queries.
//!
//! Scaling note: a national query reads one indicator's values for the periods asked across
//! every agency, through the (indicator, period) index. Past one server, `data_values` is the
//! table to distribute by agency (Citus) or to mirror into a column store (ClickHouse) that
//! answers the same per-period group-bys; the engine's inputs stay the same.

use std::collections::HashMap;

use baocao_domain::agency::{AgencyCode, AgencyKind};
use baocao_domain::aggregation::{AgencyKey, GraphAgency, Observation};
use baocao_domain::indicator::IndicatorCode;
use baocao_domain::period::PeriodId;
use baocao_domain::value::OptionCombo;
use jiff::civil::Date;

use baocao_domain::audit::Provenance;

use crate::error::corrupt;
use crate::transaction::on_tx;
use crate::{Db, Store, StoreError, on_db};

#[derive(sqlx::FromRow)]
struct GraphRow {
    id: i32,
    code: String,
    kind: Option<String>,
    parent_id: Option<i32>,
}

#[derive(sqlx::FromRow)]
struct ObservationRow {
    indicator_id: i32,
    agency_id: i32,
    period_id: i32,
    combo_id: i32,
    source_id: i32,
    value_num: f64,
    authoritative: bool,
}

pub(crate) fn combo_from_key(key: &str) -> Result<OptionCombo, StoreError> {
    OptionCombo::from_key(key).map_err(corrupt)
}

/// Appends a change to a period's data (by the period's row id), in the change's transaction:
/// cached aggregates over the period are stale from its commit on. An append, not a raised
/// counter, so concurrent writers of one period do not wait on each other.
pub(crate) const NOTE_PERIOD_CHANGE: &str = "INSERT INTO period_changes (period_id) VALUES ($1)";
/// [`NOTE_PERIOD_CHANGE`] by the period's code.
pub(crate) const NOTE_PERIOD_CHANGE_BY_CODE: &str =
    "INSERT INTO period_changes (period_id) SELECT id FROM periods WHERE code = $1";

impl Store {
    /// Every agency that ever existed, with its kind and parent on `date` where it was
    /// valid then, and every succession (predecessor, successor).
    pub async fn agency_graph(
        &self,
        date: Date,
    ) -> Result<(Vec<GraphAgency>, Vec<(AgencyKey, AgencyKey)>), StoreError> {
        const AGENCIES: &str = "
            SELECT a.id, a.code, s.kind, s.parent_id
            FROM agencies a
            LEFT JOIN agency_states s ON s.agency_id = a.id
              AND (s.valid_from IS NULL OR s.valid_from <= $1)
              AND (s.valid_to IS NULL OR s.valid_to >= $1)
            ORDER BY a.id";
        let rows: Vec<GraphRow> = on_db!(self, pool => sqlx::query_as(AGENCIES)
            .bind(date.to_string())
            .fetch_all(pool)
            .await?);
        let successions: Vec<(i32, i32)> = on_db!(self, pool => sqlx::query_as(
            "SELECT predecessor_id, successor_id FROM agency_successions ORDER BY id")
            .fetch_all(pool)
            .await?);
        let agencies = rows
            .into_iter()
            .map(|row| {
                let as_of = match row.kind {
                    Some(kind) => Some((
                        AgencyKind::parse(&kind).map_err(corrupt)?,
                        row.parent_id.map(AgencyKey::from),
                    )),
                    None => None,
                };
                Ok(GraphAgency {
                    key: row.id.into(),
                    code: AgencyCode::new(row.code).map_err(corrupt)?,
                    as_of,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((
            agencies,
            successions
                .into_iter()
                .map(|(a, b)| (a.into(), b.into()))
                .collect(),
        ))
    }

    /// The numeric values of `indicator` in periods wholly within `start`..=`end`.
    ///
    /// The values are read as integer keys only, through the (indicator, period) index, and
    /// the few periods, combinations and sources they name are read once beside them: a
    /// national month is tens of thousands of rows, and text columns on each would cost more
    /// than the rest of the question.
    pub async fn observations(
        &self,
        indicator: &IndicatorCode,
        start: Date,
        end: Date,
    ) -> Result<Vec<Observation>, StoreError> {
        self.observations_where(indicator, None, start, end).await
    }

    /// [`observations`](Self::observations) of a few agencies only (by their ids, the agency
    /// graph's keys): one agency's history with its predecessors', without reading the
    /// country's.
    pub async fn observations_of(
        &self,
        indicator: &IndicatorCode,
        agencies: &[i64],
        start: Date,
        end: Date,
    ) -> Result<Vec<Observation>, StoreError> {
        if agencies.is_empty() {
            return Ok(Vec::new());
        }
        self.observations_where(indicator, Some(agencies), start, end)
            .await
    }

    /// The values of several indicators in one read, each indicator's in the position of
    /// its code in `indicators` (the rest as [`observations_of`](Self::observations_of)).
    pub async fn observations_of_many(
        &self,
        indicators: &[&IndicatorCode],
        agencies: Option<&[i64]>,
        start: Date,
        end: Date,
    ) -> Result<Vec<Vec<Observation>>, StoreError> {
        if indicators.is_empty() || agencies.is_some_and(<[i64]>::is_empty) {
            return Ok(vec![Vec::new(); indicators.len()]);
        }
        // Integer ids written into the text: both engines plan an IN list of literals well,
        // and there is nothing of the caller's to escape.
        let only = agencies.map_or(String::new(), |ids| {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            format!(" AND v.agency_id IN ({})", list.join(","))
        });
        const VALUES: &str = "
            SELECT v.indicator_id, v.agency_id, v.period_id, v.combo_id, v.source_id, v.value_num,
                   (au.source_id IS NOT NULL AND au.source_id = v.source_id) AS authoritative
            FROM data_values v
            LEFT JOIN authoritative_sources au
              ON au.agency_id = v.agency_id AND au.period_id = v.period_id
             AND au.indicator_id = v.indicator_id AND au.combo_id = v.combo_id
            WHERE v.value_num IS NOT NULL
              AND v.period_id IN (SELECT id FROM periods WHERE start_date >= ";
        const PERIODS: &str =
            "SELECT id, code FROM periods WHERE start_date >= $1 AND end_date <= $2";
        type Codes = Vec<(i32, String)>;
        let (rows, periods, combos, sources, ids): (
            Vec<ObservationRow>,
            Codes,
            Codes,
            Codes,
            Codes,
        ) = on_db!(self, pool => {
            let mut query = sqlx::QueryBuilder::new(VALUES);
            query.push_bind(start.to_string());
            query.push(" AND end_date <= ");
            query.push_bind(end.to_string());
            query.push(")");
            query.push(&only);
            query.push(" AND v.indicator_id IN (SELECT id FROM indicators WHERE code IN (");
            let mut codes = query.separated(", ");
            for indicator in indicators {
                codes.push_bind(indicator.as_str());
            }
            query.push("))");
            let rows = query.build_query_as().fetch_all(pool).await?;
            let periods = sqlx::query_as(PERIODS)
                .bind(start.to_string())
                .bind(end.to_string())
                .fetch_all(pool)
                .await?;
            let combos = sqlx::query_as("SELECT id, key FROM option_combos").fetch_all(pool).await?;
            let sources = sqlx::query_as("SELECT id, code FROM sources").fetch_all(pool).await?;
            let ids = sqlx::query_as("SELECT id, code FROM indicators").fetch_all(pool).await?;
            (rows, periods, combos, sources, ids)
        });
        let periods: HashMap<i32, PeriodId> = periods
            .into_iter()
            .map(|(id, code)| Ok((id, PeriodId::parse(&code).map_err(|e| corrupt(e.reason))?)))
            .collect::<Result<_, StoreError>>()?;
        let combos: HashMap<i32, OptionCombo> = combos
            .into_iter()
            .map(|(id, key)| Ok((id, combo_from_key(&key)?)))
            .collect::<Result<_, StoreError>>()?;
        let sources: HashMap<i32, String> = sources.into_iter().collect();
        let position: HashMap<i32, usize> = ids
            .into_iter()
            .filter_map(|(id, code)| {
                let at = indicators.iter().position(|i| i.as_str() == code)?;
                Some((id, at))
            })
            .collect();
        let mut found = vec![Vec::new(); indicators.len()];
        for row in rows {
            let missing = |what: &str, id: i32| corrupt(format!("{what} {id} of a value"));
            let at = *position
                .get(&row.indicator_id)
                .ok_or_else(|| missing("indicator", row.indicator_id))?;
            found[at].push(Observation {
                agency: row.agency_id.into(),
                period: *periods
                    .get(&row.period_id)
                    .ok_or_else(|| missing("period", row.period_id))?,
                options: combos
                    .get(&row.combo_id)
                    .ok_or_else(|| missing("combination", row.combo_id))?
                    .clone(),
                source: sources
                    .get(&row.source_id)
                    .ok_or_else(|| missing("source", row.source_id))?
                    .clone(),
                value: row.value_num,
                authoritative: row.authoritative,
            });
        }
        Ok(found)
    }

    async fn observations_where(
        &self,
        indicator: &IndicatorCode,
        agencies: Option<&[i64]>,
        start: Date,
        end: Date,
    ) -> Result<Vec<Observation>, StoreError> {
        let mut found = self
            .observations_of_many(&[indicator], agencies, start, end)
            .await?;
        Ok(found.pop().unwrap_or_default())
    }
}

/// One source's number for a cell that more than one source gives differently.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct SourcedValue {
    pub agency: String,
    pub period: String,
    pub indicator: String,
    pub combo: String,
    pub source: String,
    pub value: f64,
    pub updated_at: String,
    pub authoritative: bool,
}

/// A cell to mark: whose, when, what, and which source to trust.
pub struct CellOfSource<'a> {
    pub agency: &'a AgencyCode,
    pub period: PeriodId,
    pub indicator: &'a IndicatorCode,
    pub options: &'a OptionCombo,
    pub source: &'a str,
}

impl Store {
    /// Every number of every cell that two or more sources give differently, optionally for
    /// one indicator, agency (code) or period, ordered by cell and source.
    pub async fn conflicting_values(
        &self,
        indicator: Option<&IndicatorCode>,
        agency: Option<&AgencyCode>,
        period: Option<PeriodId>,
    ) -> Result<Vec<SourcedValue>, StoreError> {
        const SQL: &str = "
            SELECT a.code AS agency, p.code AS period, i.code AS indicator, c.key AS combo,
                   s.code AS source, v.value_num AS value, v.updated_at,
                   (au.source_id IS NOT NULL AND au.source_id = v.source_id) AS authoritative
            FROM data_values v
            JOIN (SELECT agency_id, period_id, indicator_id, combo_id FROM data_values
                  WHERE value_num IS NOT NULL
                  GROUP BY agency_id, period_id, indicator_id, combo_id
                  HAVING COUNT(*) > 1 AND MAX(value_num) <> MIN(value_num)) k
              ON k.agency_id = v.agency_id AND k.period_id = v.period_id
             AND k.indicator_id = v.indicator_id AND k.combo_id = v.combo_id
            JOIN agencies a ON a.id = v.agency_id
            JOIN periods p ON p.id = v.period_id
            JOIN indicators i ON i.id = v.indicator_id
            JOIN option_combos c ON c.id = v.combo_id
            JOIN sources s ON s.id = v.source_id
            LEFT JOIN authoritative_sources au
              ON au.agency_id = v.agency_id AND au.period_id = v.period_id
             AND au.indicator_id = v.indicator_id AND au.combo_id = v.combo_id
            WHERE v.value_num IS NOT NULL
              AND ($1 = '' OR i.code = $1) AND ($2 = '' OR a.code = $2) AND ($3 = '' OR p.code = $3)
            ORDER BY a.code, p.code, i.code, c.key, s.code";
        Ok(on_db!(self, pool => sqlx::query_as(SQL)
            .bind(indicator.map_or("", |i| i.as_str()))
            .bind(agency.map_or("", |a| a.as_str()))
            .bind(period.map(|p| p.to_string()).unwrap_or_default())
            .fetch_all(pool)
            .await?))
    }

    /// Marks `cell.source` as the one to trust for the cell (replacing an earlier mark). The
    /// source must give the cell a number.
    pub async fn mark_authoritative(
        &self,
        cell: &CellOfSource<'_>,
        by: &str,
        audit: &Provenance,
    ) -> Result<(), StoreError> {
        let at = audit.at.as_str();
        let agency_id = self.agency_id(cell.agency, Some(cell.period.end())).await?;
        const FIND: &str = "
            SELECT v.period_id, v.indicator_id, v.combo_id, v.source_id FROM data_values v
            JOIN periods p ON p.id = v.period_id
            JOIN indicators i ON i.id = v.indicator_id
            JOIN option_combos c ON c.id = v.combo_id
            JOIN sources s ON s.id = v.source_id
            WHERE v.agency_id = $1 AND p.code = $2 AND i.code = $3 AND c.key = $4 AND s.code = $5
              AND v.value_num IS NOT NULL";
        let mut audited = self.begin(audit).await?;
        on_tx!(audited, tx => {
            let ids: Option<(i32, i32, i32, i32)> = sqlx::query_as(FIND)
                .bind(agency_id)
                .bind(cell.period.to_string())
                .bind(cell.indicator.as_str())
                .bind(cell.options.key())
                .bind(cell.source)
                .fetch_optional(&mut *tx)
                .await?;
            let (period_id, indicator_id, combo_id, source_id) = ids.ok_or_else(|| {
                StoreError::NotFound(format!(
                    "value of {} for {} {} from {}",
                    cell.indicator, cell.agency, cell.period, cell.source
                ))
            })?;
            sqlx::query(
                "INSERT INTO authoritative_sources (agency_id, period_id, indicator_id, combo_id, source_id, marked_by, marked_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (agency_id, period_id, indicator_id, combo_id)
                 DO UPDATE SET source_id = excluded.source_id, marked_by = excluded.marked_by, marked_at = excluded.marked_at",
            )
            .bind(agency_id)
            .bind(period_id)
            .bind(indicator_id)
            .bind(combo_id)
            .bind(source_id)
            .bind(by)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(NOTE_PERIOD_CHANGE)
                .bind(period_id)
                .execute(&mut *tx)
                .await?;
        });
        audited.note(
            "mark.set",
            format!("cell {agency_id}/{}/{}", cell.period, cell.indicator),
            Some(agency_id),
            serde_json::json!({
                "agency": agency_id,
                "period": cell.period.to_string(),
                "indicator": cell.indicator.as_str(),
                "combo": cell.options.key(),
                "source": cell.source,
            }),
        );
        audited.commit().await
    }
}

/// The setting raised whenever the hierarchy changes (agencies loaded, a reorganisation).
pub(crate) const HIERARCHY_GENERATION: &str = "hierarchy_generation";

/// The setting raised whenever indicators or categories are written.
const CATALOGUE_GENERATION: &str = "catalogue_generation";

/// The setting raised whenever a regime version is written.
pub(crate) const REGIMES_GENERATION: &str = "regimes_generation";

/// The setting raised whenever the holiday calendar changes.
pub(crate) const CALENDAR_GENERATION: &str = "calendar_generation";

/// Every change counter at one moment, with the settings asked alongside: what a request
/// reads once, before anything it keeps under them (see [`Store::generations`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Generations {
    pub hierarchy: i64,
    pub catalogue: i64,
    pub regimes: i64,
    pub calendar: i64,
    settings: HashMap<String, String>,
    periods: Option<PeriodCounters>,
}

/// The change counters of the periods wholly within `start..=end`, by period code, read with
/// the other counters.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PeriodCounters {
    start: Date,
    end: Date,
    counters: Vec<(String, i64)>,
}

impl Generations {
    /// The counters of every period wholly within `start..=end`, if they were read with these
    /// ([`Store::generations_with_periods`] over a span that covers it).
    pub fn period_counters(&self, start: Date, end: Date) -> Option<&[(String, i64)]> {
        self.periods
            .as_ref()
            .filter(|read| read.start <= start && end <= read.end)
            .map(|read| read.counters.as_slice())
    }

    /// A setting read with the counters (one of those asked for), if it is set.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings.get(key).map(String::as_str)
    }
}

impl Store {
    /// Every change counter and the `settings` asked for, in one statement: a request reads
    /// them once, not once for each cache it consults.
    pub async fn generations(&self, settings: &[&str]) -> Result<Generations, StoreError> {
        self.generations_with_periods(settings, None).await
    }

    /// [`generations`](Self::generations) and, in the same statement, the counters of the
    /// periods wholly within `periods` (as [`period_generations`](Self::period_generations)
    /// reads them): a report's request reads what its outlier checks compare with once.
    pub async fn generations_with_periods(
        &self,
        settings: &[&str],
        periods: Option<(Date, Date)>,
    ) -> Result<Generations, StoreError> {
        let counters = [
            HIERARCHY_GENERATION,
            CATALOGUE_GENERATION,
            REGIMES_GENERATION,
            CALENDAR_GENERATION,
        ];
        let keys: Vec<&str> = counters.iter().chain(settings).copied().collect();
        let placeholders = (1..=keys.len())
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut sql =
            format!("SELECT 0 AS period, key, value FROM settings WHERE key IN ({placeholders})");
        if periods.is_some() {
            let (start, end) = (keys.len() + 1, keys.len() + 2);
            sql.push_str(&format!(
                " UNION ALL SELECT 1, p.code, CAST(p.generation + (SELECT COUNT(*) FROM period_changes c WHERE c.period_id = p.id) AS TEXT)
                  FROM periods p WHERE p.start_date >= ${start} AND p.end_date <= ${end}"
            ));
        }
        let rows: Vec<(i32, String, String)> = on_db!(self, pool => {
            let mut query = sqlx::query_as(&sql);
            for key in &keys {
                query = query.bind(*key);
            }
            if let Some((start, end)) = periods {
                query = query.bind(start.to_string()).bind(end.to_string());
            }
            query.fetch_all(pool).await?
        });
        let mut generations = Generations {
            periods: periods.map(|(start, end)| PeriodCounters {
                start,
                end,
                counters: Vec::new(),
            }),
            ..Generations::default()
        };
        for (period, key, value) in rows {
            let count = || value.parse().unwrap_or(0);
            if period == 1 {
                if let Some(read) = generations.periods.as_mut() {
                    read.counters.push((key, count()));
                }
                continue;
            }
            match key.as_str() {
                HIERARCHY_GENERATION => generations.hierarchy = count(),
                CATALOGUE_GENERATION => generations.catalogue = count(),
                REGIMES_GENERATION => generations.regimes = count(),
                CALENDAR_GENERATION => generations.calendar = count(),
                _ => {
                    generations.settings.insert(key, value);
                }
            }
        }
        Ok(generations)
    }

    /// The change counters of the periods wholly within `start`..=`end`, by period code: the
    /// folded count plus the changes appended since (see [`NOTE_PERIOD_CHANGE`]). A change
    /// that commits after one begun before it still raises the count, which a maximum id
    /// would not.
    pub async fn period_generations(
        &self,
        start: Date,
        end: Date,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(on_db!(self, pool => sqlx::query_as(
            "SELECT p.code, p.generation + (SELECT COUNT(*) FROM period_changes c WHERE c.period_id = p.id)
             FROM periods p WHERE p.start_date >= $1 AND p.end_date <= $2")
            .bind(start.to_string())
            .bind(end.to_string())
            .fetch_all(pool)
            .await?))
    }

    /// Moves the appended period changes into the periods' own counters, so that reading a
    /// counter stays one index probe; every counter keeps its value. Returns how many rows it
    /// folded. Run from time to time (the server does it each minute).
    pub async fn fold_period_changes(&self) -> Result<u64, StoreError> {
        match &self.db {
            // One statement: what is counted is exactly what is deleted, even while other
            // transactions append (a row committed later is left for the next fold).
            Db::Postgres(pool) => {
                let folded: i64 = sqlx::query_scalar(
                    "WITH gone AS (DELETE FROM period_changes RETURNING period_id),
                          counted AS (SELECT period_id, COUNT(*) AS n FROM gone GROUP BY period_id),
                          raised AS (UPDATE periods SET generation = generation + counted.n
                                     FROM counted WHERE periods.id = counted.period_id RETURNING counted.n)
                     SELECT COALESCE(SUM(n), 0)::BIGINT FROM raised",
                )
                .fetch_one(pool)
                .await?;
                Ok(folded as u64)
            }
            // SQLite has one writer: nothing appends between the two statements. The fold
            // changes no meaning (every counter keeps its value), so it records no event.
            Db::Sqlite(_) => {
                let by = Provenance::system("", baocao_domain::audit::Channel::System);
                let mut tx = self.begin(&by).await?;
                let folded = on_tx!(tx, conn => {
                    sqlx::query(
                        "UPDATE periods SET generation = generation +
                            (SELECT COUNT(*) FROM period_changes c WHERE c.period_id = periods.id)
                         WHERE id IN (SELECT period_id FROM period_changes)",
                    )
                    .execute(&mut *conn)
                    .await?;
                    sqlx::query("DELETE FROM period_changes")
                        .execute(&mut *conn)
                        .await?
                        .rows_affected()
                });
                tx.commit().await?;
                Ok(folded)
            }
        }
    }

    /// The hierarchy's change counter.
    pub async fn hierarchy_generation(&self) -> Result<i64, StoreError> {
        self.counter(HIERARCHY_GENERATION).await
    }

    /// Raises the hierarchy's change counter (after agencies or their history changed).
    pub(crate) async fn raise_hierarchy_generation(&self) -> Result<(), StoreError> {
        self.raise_counter(HIERARCHY_GENERATION).await
    }

    /// The regimes' change counter: raised after any version is created or rewritten, so what
    /// is derived from every regime (their derived indicators) can be kept until it moves.
    pub async fn regimes_generation(&self) -> Result<i64, StoreError> {
        self.counter(REGIMES_GENERATION).await
    }

    pub(crate) async fn raise_regimes_generation(&self) -> Result<(), StoreError> {
        self.raise_counter(REGIMES_GENERATION).await
    }

    /// The catalogue's change counter: raised after indicators or categories are written
    /// (read it before the catalogue, so what is kept under it is never newer than it).
    pub async fn catalogue_generation(&self) -> Result<i64, StoreError> {
        self.counter(CATALOGUE_GENERATION).await
    }

    pub(crate) async fn raise_catalogue_generation(&self) -> Result<(), StoreError> {
        self.raise_counter(CATALOGUE_GENERATION).await
    }

    async fn counter(&self, key: &str) -> Result<i64, StoreError> {
        Ok(self
            .setting(key)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// One statement, so two servers raising it at once both count.
    async fn raise_counter(&self, key: &str) -> Result<(), StoreError> {
        on_db!(self, pool => sqlx::query(RAISE_COUNTER)
        .bind(key)
        .execute(pool)
        .await
        .map(|_| ())?);
        Ok(())
    }
}

const RAISE_COUNTER: &str = "INSERT INTO settings (key, value) VALUES ($1, '1')
     ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT)";

impl crate::transaction::Transaction {
    /// Raises a change counter with the change it announces, so no reader sees one without
    /// the other.
    pub(crate) async fn raise_counter(&mut self, key: &str) -> Result<(), StoreError> {
        on_tx!(self, conn => sqlx::query(RAISE_COUNTER)
            .bind(key)
            .execute(conn)
            .await
            .map(drop)?);
        Ok(())
    }
}
