//! Data values, stored for scale: every key an integer (agency, period, indicator, option
//! combination, source), the value a double or a text, the channel a small integer. The
//! primary key (agency, period, indicator, combination, source) serves an agency's report;
//! the index (indicator, period) serves reads across agencies. Nationally this table holds
//! hundreds of millions of rows; in PostgreSQL it is the one to distribute (Citus, by
//! agency) or to mirror into an analytical store when one server no longer suffices.
//!
//! A value is keyed by its source too: a province's report and a ministry's feed may both
//! give KT04 for the same province and month, and both are kept.

use std::collections::HashMap;

use baocao_domain::agency::AgencyCode;
use baocao_domain::indicator::IndicatorCode;
use baocao_domain::period::PeriodId;
use baocao_domain::value::{Channel, DataValue, Value};

use baocao_domain::audit::{Channel as AuditChannel, Provenance};

use crate::{Store, StoreError, on_db};

pub(crate) fn channel_number(channel: Channel) -> i16 {
    Channel::ALL.iter().position(|c| *c == channel).unwrap_or(0) as i16
}

fn channel_from(number: i16) -> Result<Channel, StoreError> {
    Channel::ALL
        .get(number as usize)
        .copied()
        .ok_or_else(|| StoreError::Corrupt(format!("channel {number}")))
}

/// The id of a row of a small code table (`periods`, `option_combos`, `sources`,
/// `indicators`) inside the transaction `$tx`, created on first use where `$insert` says
/// how, and cached in `$cache`.
macro_rules! code_id {
    ($tx:expr, $cache:expr, $key:expr, $select:literal) => {{
        match $cache.get(&$key) {
            Some(id) => *id,
            None => {
                let id: Option<i32> = sqlx::query_scalar($select)
                    .bind($key.to_string())
                    .fetch_optional(&mut *$tx)
                    .await?;
                let id = id.ok_or_else(|| {
                    StoreError::NotFound(format!("{} {}", stringify!($cache), $key))
                })?;
                $cache.insert($key.clone(), id);
                id
            }
        }
    }};
    ($tx:expr, $cache:expr, $key:expr, $select:literal, $insert:expr) => {{
        if !$cache.contains_key(&$key) {
            $insert.execute(&mut *$tx).await?;
        }
        code_id!($tx, $cache, $key, $select)
    }};
}
pub(crate) use code_id;

/// Rows written by one INSERT: 9 parameters each, within SQLite's 32,766 and PostgreSQL's
/// 65,535.
pub(crate) const ROWS_PER_INSERT: usize = 1_000;

/// The ids of the code tables' rows (periods, option combinations, indicators, sources) a
/// write of values names, read before its transaction: inside it — on SQLite, the shared
/// batch where writers wait for each other — each would be a statement of its own.
#[derive(Debug, Default, Clone)]
pub(crate) struct KnownCodes {
    pub(crate) periods: HashMap<PeriodId, i32>,
    pub(crate) combos: HashMap<String, i32>,
    pub(crate) indicators: HashMap<IndicatorCode, i32>,
    pub(crate) sources: HashMap<String, i32>,
}

/// A row of `data_values` to write: (agency, period, indicator, combination, source) ids,
/// the number or the text, the channel.
pub(crate) type NewValueRow = ((i32, i32, i32, i32, i32), Option<f64>, Option<String>, i16);

/// What an insert of values does with a cell written before: the new value replaces it.
pub(crate) const REPLACE_CELL: &str =
    " ON CONFLICT (agency_id, period_id, indicator_id, combo_id, source_id)
     DO UPDATE SET value_num = excluded.value_num, value_text = excluded.value_text,
                   channel = excluded.channel, updated_at = excluded.updated_at";

/// The SQL that writes [`NewValueRow`]s, `$1…$9` per row, replacing a cell written before.
pub(crate) fn insert_rows_sql(rows: usize) -> String {
    let tuples: Vec<String> = (0..rows)
        .map(|row| {
            let first = row * 9;
            let numbers: Vec<String> = (1..=9).map(|n| format!("${}", first + n)).collect();
            format!("({})", numbers.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO data_values (agency_id, period_id, indicator_id, combo_id, source_id, value_num, value_text, channel, updated_at) VALUES {}{REPLACE_CELL}",
        tuples.join(", ")
    )
}

impl KnownCodes {
    /// `values` as rows (the same cell twice: the later wins), if every code they name is
    /// known; else `None` (the write must look some up, or make them).
    pub(crate) fn rows(
        &self,
        values: &[DataValue],
        agency_ids: &HashMap<(AgencyCode, PeriodId), i32>,
    ) -> Option<Vec<NewValueRow>> {
        let mut rows = NewRows::default();
        for value in values {
            let key = (
                *agency_ids.get(&(value.agency.clone(), value.period))?,
                *self.periods.get(&value.period)?,
                *self.indicators.get(&value.indicator)?,
                *self.combos.get(&value.options.key())?,
                *self.sources.get(&value.source)?,
            );
            rows.keep(key, value);
        }
        Some(rows.rows)
    }
}

/// The rows a write of values makes, one per cell: the same cell twice, the later value wins,
/// as it would row by row.
#[derive(Default)]
pub(crate) struct NewRows {
    pub(crate) rows: Vec<NewValueRow>,
    positions: HashMap<(i32, i32, i32, i32, i32), usize>,
}

impl NewRows {
    /// Keeps `value` as the row of cell `key`.
    pub(crate) fn keep(&mut self, key: (i32, i32, i32, i32, i32), value: &DataValue) {
        let (number, text) = match &value.value {
            Value::Number(n) => (Some(*n), None),
            Value::Bool(b) => (None, Some(b.to_string())),
            Value::Text(t) => (None, Some(t.clone())),
        };
        let row = (key, number, text, channel_number(value.channel));
        match self.positions.get(&key) {
            Some(at) => self.rows[*at] = row,
            None => {
                self.positions.insert(key, self.rows.len());
                self.rows.push(row);
            }
        }
    }
}

/// Distinct codes a [`KnownCodes`] read asks for at most (one parameter each); a write naming
/// more looks them up inside its transaction, as before.
const MOST_CODES: usize = 10_000;

/// Writes `$values` (a slice of [`DataValue`]) inside the transaction `$tx`; `$agency_ids`
/// maps (agency, period) to the agency's id; `$known` ([`KnownCodes`]) the codes read before
/// it (the others are looked up, or made, inside). Compiled once per backend by `on_db!`.
macro_rules! write_values {
    ($tx:expr, $values:expr, $agency_ids:expr, $now:expr, $known:expr) => {{
        let known: &$crate::values::KnownCodes = $known;
        let mut periods: HashMap<PeriodId, i32> = known.periods.clone();
        let mut combos: HashMap<String, i32> = known.combos.clone();
        let mut indicators: HashMap<IndicatorCode, i32> = known.indicators.clone();
        let mut sources: HashMap<String, i32> = known.sources.clone();
        // Only the periods this write changes are told (a known period may not be one).
        let mut changed: std::collections::BTreeSet<i32> = std::collections::BTreeSet::new();
        let mut rows = $crate::values::NewRows::default();
        for value in $values {
            let period_id = code_id!($tx, periods, value.period, "SELECT id FROM periods WHERE code = $1",
                sqlx::query("INSERT INTO periods (code, frequency, start_date, end_date) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING")
                    .bind(value.period.to_string())
                    .bind(value.period.frequency().as_str())
                    .bind(value.period.start().to_string())
                    .bind(value.period.end().to_string())
            );
            let combo = value.options.key();
            let combo_id = code_id!($tx, combos, combo, "SELECT id FROM option_combos WHERE key = $1",
                sqlx::query("INSERT INTO option_combos (key) VALUES ($1) ON CONFLICT (key) DO NOTHING").bind(&combo)
            );
            let source_id = code_id!($tx, sources, value.source, "SELECT id FROM sources WHERE code = $1",
                sqlx::query("INSERT INTO sources (code) VALUES ($1) ON CONFLICT (code) DO NOTHING").bind(&value.source)
            );
            let indicator_id = code_id!($tx, indicators, value.indicator, "SELECT id FROM indicators WHERE code = $1");
            let agency_id = $agency_ids
                .get(&(value.agency.clone(), value.period))
                .copied()
                .ok_or_else(|| StoreError::NotFound(format!("agency {}", value.agency)))?;
            changed.insert(period_id);
            rows.keep((agency_id, period_id, indicator_id, combo_id, source_id), value);
        }
        // Many rows a statement: the round trips, not the rows, are what a write costs.
        for chunk in rows.rows.chunks($crate::values::ROWS_PER_INSERT) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO data_values (agency_id, period_id, indicator_id, combo_id, source_id, value_num, value_text, channel, updated_at) ",
            );
            insert.push_values(chunk, |mut row, (key, number, text, channel)| {
                row.push_bind(key.0)
                    .push_bind(key.1)
                    .push_bind(key.2)
                    .push_bind(key.3)
                    .push_bind(key.4)
                    .push_bind(*number)
                    .push_bind(text.clone())
                    .push_bind(*channel)
                    .push_bind($now);
            });
            insert.push($crate::values::REPLACE_CELL);
            insert.build().execute(&mut *$tx).await?;
        }
        // The periods whose data changed: cached aggregates over them are stale now.
        for period_id in &changed {
            sqlx::query($crate::analytics::NOTE_PERIOD_CHANGE)
                .bind(*period_id)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(crate) use write_values;

#[derive(sqlx::FromRow)]
struct ValueRow {
    indicator: String,
    combo: String,
    source: String,
    value_num: Option<f64>,
    value_text: Option<String>,
    channel: i16,
}

impl Store {
    /// The ids of the agencies the values belong to: each value's agency is the one with its
    /// code valid at the end of the value's period.
    pub(crate) async fn value_agency_ids(
        &self,
        values: &[DataValue],
    ) -> Result<HashMap<(AgencyCode, PeriodId), i32>, StoreError> {
        let mut agencies = HashMap::new();
        for value in values {
            if let std::collections::hash_map::Entry::Vacant(slot) =
                agencies.entry((value.agency.clone(), value.period))
            {
                slot.insert(
                    self.agency_id(&value.agency, Some(value.period.end()))
                        .await?,
                );
            }
        }
        Ok(agencies)
    }

    /// The ids of the codes `values` name that exist already, in one statement.
    pub(crate) async fn known_codes(&self, values: &[DataValue]) -> Result<KnownCodes, StoreError> {
        let mut periods: HashMap<String, PeriodId> = HashMap::new();
        let mut combos: HashMap<String, ()> = HashMap::new();
        let mut indicators: HashMap<String, IndicatorCode> = HashMap::new();
        let mut sources: HashMap<String, ()> = HashMap::new();
        for value in values {
            periods
                .entry(value.period.to_string())
                .or_insert(value.period);
            combos.entry(value.options.key()).or_default();
            indicators
                .entry(value.indicator.to_string())
                .or_insert_with(|| value.indicator.clone());
            sources.entry(value.source.clone()).or_default();
        }
        let lists: [(&str, Vec<&String>); 4] = [
            (
                "SELECT 0, id, code FROM periods WHERE code",
                periods.keys().collect(),
            ),
            (
                "SELECT 1, id, key FROM option_combos WHERE key",
                combos.keys().collect(),
            ),
            (
                "SELECT 2, id, code FROM indicators WHERE code",
                indicators.keys().collect(),
            ),
            (
                "SELECT 3, id, code FROM sources WHERE code",
                sources.keys().collect(),
            ),
        ];
        let count: usize = lists.iter().map(|(_, codes)| codes.len()).sum();
        if count == 0 || count > MOST_CODES {
            return Ok(KnownCodes::default());
        }
        let mut parts = Vec::new();
        let mut number = 0;
        for (select, codes) in lists.iter().filter(|(_, codes)| !codes.is_empty()) {
            let placeholders: Vec<String> = codes
                .iter()
                .map(|_| {
                    number += 1;
                    format!("${number}")
                })
                .collect();
            parts.push(format!("{select} IN ({})", placeholders.join(", ")));
        }
        let sql = parts.join(" UNION ALL ");
        let rows: Vec<(i32, i32, String)> = on_db!(self, pool => {
            let mut query = sqlx::query_as(&sql);
            for (_, codes) in &lists {
                for code in codes {
                    query = query.bind(code.as_str());
                }
            }
            query.fetch_all(pool).await?
        });
        let mut known = KnownCodes::default();
        for (table, id, code) in rows {
            match table {
                0 => {
                    if let Some(period) = periods.get(&code) {
                        known.periods.insert(*period, id);
                    }
                }
                1 => {
                    known.combos.insert(code, id);
                }
                2 => {
                    if let Some(indicator) = indicators.get(&code) {
                        known.indicators.insert(indicator.clone(), id);
                    }
                }
                _ => {
                    known.sources.insert(code, id);
                }
            }
        }
        Ok(known)
    }

    /// Writes values (insert or replace), all or nothing, as the server's own change.
    pub async fn upsert_values(&self, values: &[DataValue], now: &str) -> Result<(), StoreError> {
        let by = Provenance::system(now, AuditChannel::System);
        self.upsert_values_by(values, &by).await
    }

    /// Writes values (insert or replace), all or nothing, as `by`'s change.
    pub async fn upsert_values_by(
        &self,
        values: &[DataValue],
        by: &Provenance,
    ) -> Result<(), StoreError> {
        let agency_ids = self.value_agency_ids(values).await?;
        let known = self.known_codes(values).await?;
        let entries = crate::transaction::value_entries(values, &agency_ids)?;
        let mut tx = self.begin(by).await?;
        crate::transaction::on_tx!(tx, conn => {
            write_values!(conn, values, agency_ids, by.at.as_str(), &known);
        });
        tx.note(
            "values.write",
            format!("values ({} written)", entries.len()),
            None,
            serde_json::json!({ "clear": null, "write": entries }),
        );
        tx.commit().await
    }

    /// Every value of one agency and period, ordered by indicator, combination and source.
    pub async fn values_of(
        &self,
        agency: &AgencyCode,
        period: PeriodId,
    ) -> Result<Vec<DataValue>, StoreError> {
        let Ok(agency_id) = self.agency_id(agency, Some(period.end())).await else {
            return Ok(Vec::new());
        };
        const SQL: &str = "
            SELECT i.code AS indicator, c.key AS combo, s.code AS source, v.value_num, v.value_text, v.channel
            FROM data_values v
            JOIN periods p ON p.id = v.period_id
            JOIN indicators i ON i.id = v.indicator_id
            JOIN option_combos c ON c.id = v.combo_id
            JOIN sources s ON s.id = v.source_id
            WHERE v.agency_id = $1 AND p.code = $2
            ORDER BY i.code, c.key, s.code";
        let rows: Vec<ValueRow> = on_db!(self, pool => sqlx::query_as(SQL)
            .bind(agency_id)
            .bind(period.to_string())
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|row| {
                let options = crate::analytics::combo_from_key(&row.combo)?;
                let value = match (row.value_num, row.value_text) {
                    (Some(n), _) => Value::Number(n),
                    (None, Some(t)) if t == "true" || t == "false" => Value::Bool(t == "true"),
                    (None, Some(t)) => Value::Text(t),
                    (None, None) => {
                        return Err(StoreError::Corrupt(
                            "a data value with neither number nor text".into(),
                        ));
                    }
                };
                Ok(DataValue {
                    indicator: IndicatorCode::new(row.indicator)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    options,
                    agency: agency.clone(),
                    period,
                    value,
                    channel: channel_from(row.channel)?,
                    source: row.source,
                })
            })
            .collect()
    }
}

/// One stored value for an export, with its key (for paging on) and its codes.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportRow {
    pub agency_id: i32,
    pub period_id: i32,
    pub indicator_id: i32,
    pub combo_id: i32,
    pub source_id: i32,
    pub agency: String,
    pub period: String,
    pub indicator: String,
    pub combo: String,
    pub source: String,
    pub value_num: Option<f64>,
    pub value_text: Option<String>,
    pub updated_at: String,
}

impl ExportRow {
    /// The primary key, from which the next page starts.
    pub fn key(&self) -> [i32; 5] {
        [
            self.agency_id,
            self.period_id,
            self.indicator_id,
            self.combo_id,
            self.source_id,
        ]
    }
}

impl Store {
    /// A page of stored values in primary-key order after `after`, optionally of one
    /// indicator, in periods wholly within `start..=end`. Paging by key keeps every page as
    /// cheap as the first, so an export of any size streams in bounded memory.
    pub async fn values_page(
        &self,
        indicator: Option<&IndicatorCode>,
        start: jiff::civil::Date,
        end: jiff::civil::Date,
        after: Option<[i32; 5]>,
        limit: i64,
    ) -> Result<Vec<ExportRow>, StoreError> {
        const SQL: &str = "
            SELECT v.agency_id, v.period_id, v.indicator_id, v.combo_id, v.source_id,
                   a.code AS agency, p.code AS period, i.code AS indicator, c.key AS combo,
                   s.code AS source, v.value_num, v.value_text, v.updated_at
            FROM data_values v
            JOIN agencies a ON a.id = v.agency_id
            JOIN periods p ON p.id = v.period_id
            JOIN indicators i ON i.id = v.indicator_id
            JOIN option_combos c ON c.id = v.combo_id
            JOIN sources s ON s.id = v.source_id
            WHERE ($1 = '' OR i.code = $1) AND p.start_date >= $2 AND p.end_date <= $3
              AND (v.agency_id, v.period_id, v.indicator_id, v.combo_id, v.source_id) > ($4, $5, $6, $7, $8)
            ORDER BY v.agency_id, v.period_id, v.indicator_id, v.combo_id, v.source_id
            LIMIT $9";
        let after = after.unwrap_or([i32::MIN; 5]);
        Ok(on_db!(self, pool => sqlx::query_as(SQL)
            .bind(indicator.map_or("", |i| i.as_str()))
            .bind(start.to_string())
            .bind(end.to_string())
            .bind(after[0])
            .bind(after[1])
            .bind(after[2])
            .bind(after[3])
            .bind(after[4])
            .bind(limit)
            .fetch_all(pool)
            .await?))
    }
}
