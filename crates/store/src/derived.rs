//! The state an audit chain re-derives — data values and report statuses — held in a scratch
//! SQLite file rather than in memory, and compared there with the tables, so that verifying a
//! chain of tens of millions of events takes memory bounded by the file's page cache and one
//! flush of changes, not by the data. Grants and regime versions are configuration (bounded by
//! the users and regimes, not by the events) and stay in memory.
//!
//! Changes are gathered in memory and written in batches: a clear of one agency, period and
//! source applies to what the file holds before the values gathered after it, so a batch is
//! one statement per few hundred clears and per few hundred values, in the events' order.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use baocao_domain::audit::{
    Finding, ReportKey, State, StateChange, ValueKey, apply_to_configuration, report_row_name,
    value_row_name,
};
use futures_util::TryStreamExt;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, Sqlite, SqliteConnection};

use crate::audit::ValueStateRow;
use crate::{Store, StoreError, on_db};

/// Gathered changes written to the file once this many are held.
const FLUSH_AT: usize = 20_000;
/// Rows a statement writes (6 parameters each, well under SQLite's limit).
const ROWS_PER_STATEMENT: usize = 800;
/// Clears one statement applies (3 parameters each).
const CLEARS_PER_STATEMENT: usize = 300;
/// The scratch file's page cache, in KiB.
const CACHE_KIB: i64 = 32 * 1024;

/// A (agency, period, source) group: what one clear withdraws.
type Group = (i32, String, String);

pub struct DerivedState {
    connection: SqliteConnection,
    path: PathBuf,
    values: HashMap<Group, BTreeMap<(String, String), String>>,
    clears: HashSet<Group>,
    reports: HashMap<ReportKey, String>,
    gathered: usize,
    flush_at: usize,
    configuration: State,
}

impl Drop for DerivedState {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn scratch_error(path: &Path, error: impl std::fmt::Display) -> StoreError {
    StoreError::Unreachable {
        url: path.display().to_string(),
        reason: error.to_string(),
    }
}

impl DerivedState {
    /// An empty state in a new scratch file under `directory`, removed when dropped.
    pub async fn create(directory: &Path) -> Result<Self, StoreError> {
        static MADE: AtomicU64 = AtomicU64::new(0);
        let path = directory.join(format!(
            "baocao-audit-{}-{}-{}.sqlite",
            std::process::id(),
            rand::random::<u64>(),
            MADE.fetch_add(1, Ordering::Relaxed)
        ));
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Off)
            .synchronous(SqliteSynchronous::Off)
            .locking_mode(sqlx::sqlite::SqliteLockingMode::Exclusive)
            .pragma("cache_size", format!("-{CACHE_KIB}"))
            .pragma("temp_store", "file");
        let mut connection = SqliteConnection::connect_with(&options)
            .await
            .map_err(|e| scratch_error(&path, e))?;
        for table in ["chain_values", "held_values"] {
            sqlx::query(&format!(
                "CREATE TABLE {table} (agency INTEGER NOT NULL, period TEXT NOT NULL,
                 source TEXT NOT NULL, indicator TEXT NOT NULL, combo TEXT NOT NULL,
                 value TEXT NOT NULL,
                 PRIMARY KEY (agency, period, source, indicator, combo)) WITHOUT ROWID"
            ))
            .execute(&mut connection)
            .await?;
        }
        for table in ["chain_reports", "held_reports"] {
            sqlx::query(&format!(
                "CREATE TABLE {table} (regime INTEGER NOT NULL, agency INTEGER NOT NULL,
                 period INTEGER NOT NULL, status TEXT NOT NULL,
                 PRIMARY KEY (regime, agency, period)) WITHOUT ROWID"
            ))
            .execute(&mut connection)
            .await?;
        }
        Ok(Self {
            connection,
            path,
            values: HashMap::new(),
            clears: HashSet::new(),
            reports: HashMap::new(),
            gathered: 0,
            flush_at: FLUSH_AT,
            configuration: State::default(),
        })
    }

    /// Writes gathered changes to the file once `changes` are held (less memory, more
    /// statements).
    pub fn flushing_every(mut self, changes: usize) -> Self {
        self.flush_at = changes.max(1);
        self
    }

    /// Applies one event's changes, in order.
    pub async fn apply(&mut self, changes: Vec<StateChange>) -> Result<(), StoreError> {
        for change in changes {
            match change {
                StateChange::ClearValues {
                    agency,
                    period,
                    source,
                } => {
                    let group = (agency, period, source);
                    if let Some(dropped) = self.values.remove(&group) {
                        self.gathered -= dropped.len();
                    }
                    if self.clears.insert(group) {
                        self.gathered += 1;
                    }
                }
                StateChange::PutValue((agency, period, indicator, combo, source), value) => {
                    let cell = (indicator, combo);
                    let group = self.values.entry((agency, period, source)).or_default();
                    if group.insert(cell, value.to_string()).is_none() {
                        self.gathered += 1;
                    }
                }
                StateChange::SetReport(key, status) => {
                    if self.reports.insert(key, status).is_none() {
                        self.gathered += 1;
                    }
                }
                StateChange::MoveReport { from, agency } => {
                    // Rare (a reorganisation): written at once, after what was gathered.
                    self.flush().await?;
                    sqlx::query(
                        "UPDATE OR REPLACE chain_reports SET agency = ?
                         WHERE regime = ? AND agency = ? AND period = ?",
                    )
                    .bind(agency)
                    .bind(from.0)
                    .bind(from.1)
                    .bind(from.2)
                    .execute(&mut self.connection)
                    .await?;
                }
                configuration => apply_to_configuration(
                    configuration,
                    &mut self.configuration.grants,
                    &mut self.configuration.regime_versions,
                ),
            }
        }
        if self.gathered >= self.flush_at {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes what was gathered to the file: the clears first, then the values and reports.
    async fn flush(&mut self) -> Result<(), StoreError> {
        if self.gathered == 0 {
            return Ok(());
        }
        let mut transaction = self.connection.begin().await?;
        let clears: Vec<Group> = self.clears.drain().collect();
        for chunk in clears.chunks(CLEARS_PER_STATEMENT) {
            let mut delete = sqlx::QueryBuilder::<Sqlite>::new("DELETE FROM chain_values WHERE ");
            for (i, (agency, period, source)) in chunk.iter().enumerate() {
                if i > 0 {
                    delete.push(" OR ");
                }
                delete.push("(agency = ").push_bind(*agency);
                delete.push(" AND period = ").push_bind(period.as_str());
                delete.push(" AND source = ").push_bind(source.as_str());
                delete.push(")");
            }
            delete.build().execute(&mut *transaction).await?;
        }
        let values: Vec<(Group, (String, String), String)> = self
            .values
            .drain()
            .flat_map(|(group, cells)| {
                cells
                    .into_iter()
                    .map(move |(cell, value)| (group.clone(), cell, value))
            })
            .collect();
        for chunk in values.chunks(ROWS_PER_STATEMENT) {
            let mut insert = sqlx::QueryBuilder::<Sqlite>::new(
                "INSERT OR REPLACE INTO chain_values (agency, period, source, indicator, combo, value) ",
            );
            insert.push_values(
                chunk,
                |mut row, ((agency, period, source), (indicator, combo), value)| {
                    row.push_bind(*agency)
                        .push_bind(period.as_str())
                        .push_bind(source.as_str())
                        .push_bind(indicator.as_str())
                        .push_bind(combo.as_str())
                        .push_bind(value.as_str());
                },
            );
            insert.build().execute(&mut *transaction).await?;
        }
        let reports: Vec<(ReportKey, String)> = self.reports.drain().collect();
        insert_reports(&mut transaction, "chain_reports", &reports).await?;
        transaction.commit().await?;
        self.gathered = 0;
        Ok(())
    }

    async fn hold_values(&mut self, rows: &mut Vec<ValueStateRow>) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut insert = sqlx::QueryBuilder::<Sqlite>::new(
            "INSERT OR REPLACE INTO held_values (agency, period, source, indicator, combo, value) ",
        );
        insert.push_values(rows.iter(), |mut row, held| {
            row.push_bind(held.agency_id)
                .push_bind(held.period.as_str())
                .push_bind(held.source.as_str())
                .push_bind(held.indicator.as_str())
                .push_bind(held.combo.as_str())
                .push_bind(held.value().to_string());
        });
        insert.build().execute(&mut self.connection).await?;
        rows.clear();
        Ok(())
    }

    /// Each difference of one table, in key order, at most `limit` of them named.
    async fn differences(
        &mut self,
        sql: &str,
        table: &str,
        limit: usize,
        findings: &mut Vec<Finding>,
        name: impl Fn(&sqlx::sqlite::SqliteRow) -> Result<String, sqlx::Error>,
    ) -> Result<(), StoreError> {
        use sqlx::Row;
        let mut rows = sqlx::query(sql)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1))
            .fetch(&mut self.connection);
        let mut named = 0;
        while let Some(row) = rows.try_next().await? {
            if named == limit {
                findings.push(Finding::MoreRowsDiffer {
                    table: table.to_string(),
                    named,
                });
                break;
            }
            findings.push(Finding::RowDiffers {
                table: table.to_string(),
                key: name(&row)?,
                chain: row.try_get("chain")?,
                database: row.try_get("held")?,
            });
            named += 1;
        }
        Ok(())
    }
}

async fn insert_reports(
    connection: &mut SqliteConnection,
    table: &str,
    reports: &[(ReportKey, String)],
) -> Result<(), StoreError> {
    for chunk in reports.chunks(ROWS_PER_STATEMENT) {
        let mut insert = sqlx::QueryBuilder::<Sqlite>::new(format!(
            "INSERT OR REPLACE INTO {table} (regime, agency, period, status) "
        ));
        insert.push_values(chunk, |mut row, ((regime, agency, period), status)| {
            row.push_bind(*regime)
                .push_bind(*agency)
                .push_bind(*period)
                .push_bind(status.as_str());
        });
        insert.build().execute(&mut *connection).await?;
    }
    Ok(())
}

const VALUE_DIFFERENCES: &str = "
    SELECT c.agency, c.period, c.indicator, c.combo, c.source, c.value AS chain, h.value AS held
      FROM chain_values c LEFT JOIN held_values h
        ON h.agency = c.agency AND h.period = c.period AND h.source = c.source
       AND h.indicator = c.indicator AND h.combo = c.combo
     WHERE h.value IS NOT c.value
    UNION ALL
    SELECT h.agency, h.period, h.indicator, h.combo, h.source, NULL AS chain, h.value AS held
      FROM held_values h
     WHERE NOT EXISTS (SELECT 1 FROM chain_values c
                        WHERE c.agency = h.agency AND c.period = h.period AND c.source = h.source
                          AND c.indicator = h.indicator AND c.combo = h.combo)
     ORDER BY 1, 2, 3, 4, 5
     LIMIT ?";

const REPORT_DIFFERENCES: &str = "
    SELECT c.regime, c.agency, c.period, c.status AS chain, h.status AS held
      FROM chain_reports c LEFT JOIN held_reports h
        ON h.regime = c.regime AND h.agency = c.agency AND h.period = c.period
     WHERE h.status IS NOT c.status
    UNION ALL
    SELECT h.regime, h.agency, h.period, NULL AS chain, h.status AS held
      FROM held_reports h
     WHERE NOT EXISTS (SELECT 1 FROM chain_reports c
                        WHERE c.regime = h.regime AND c.agency = h.agency AND c.period = h.period)
     ORDER BY 1, 2, 3
     LIMIT ?";

impl Store {
    /// Each row where the tables differ from what the events re-derived in `derived`, in the
    /// order of the tables and of their keys; at most `limit` rows named per table. The tables
    /// are read in one statement each, streamed into the scratch file.
    pub async fn audit_differences(
        &self,
        mut derived: DerivedState,
        limit: usize,
    ) -> Result<Vec<Finding>, StoreError> {
        use sqlx::Row;
        derived.flush().await?;
        sqlx::query("BEGIN")
            .execute(&mut derived.connection)
            .await?;
        on_db!(self, pool => {
            let mut rows = sqlx::query_as::<_, ValueStateRow>(crate::audit::VALUE_STATE)
                .fetch(pool);
            let mut batch = Vec::with_capacity(ROWS_PER_STATEMENT);
            while let Some(row) = rows.try_next().await? {
                batch.push(row);
                if batch.len() == ROWS_PER_STATEMENT {
                    derived.hold_values(&mut batch).await?;
                }
            }
            derived.hold_values(&mut batch).await?;
        });
        on_db!(self, pool => {
            let mut rows = sqlx::query_as::<_, (i32, i32, i32, String)>(
                "SELECT regime_id, agency_id, period_id, status FROM submissions")
                .fetch(pool);
            let mut batch = Vec::with_capacity(ROWS_PER_STATEMENT);
            while let Some((regime, agency, period, status)) = rows.try_next().await? {
                batch.push(((regime, agency, period), status));
                if batch.len() == ROWS_PER_STATEMENT {
                    insert_reports(&mut derived.connection, "held_reports", &batch).await?;
                    batch.clear();
                }
            }
            insert_reports(&mut derived.connection, "held_reports", &batch).await?;
        });
        sqlx::query("COMMIT")
            .execute(&mut derived.connection)
            .await?;

        let mut findings = Vec::new();
        derived
            .differences(
                VALUE_DIFFERENCES,
                "data_values",
                limit,
                &mut findings,
                |row| {
                    let key: ValueKey = (
                        row.try_get("agency")?,
                        row.try_get("period")?,
                        row.try_get("indicator")?,
                        row.try_get("combo")?,
                        row.try_get("source")?,
                    );
                    Ok(value_row_name(&key))
                },
            )
            .await?;
        derived
            .differences(
                REPORT_DIFFERENCES,
                "submissions",
                limit,
                &mut findings,
                |row| {
                    let key: ReportKey = (
                        row.try_get("regime")?,
                        row.try_get("agency")?,
                        row.try_get("period")?,
                    );
                    Ok(report_row_name(&key))
                },
            )
            .await?;
        let held = self.audited_configuration().await?;
        findings.extend(derived.configuration.differences(&held));
        Ok(findings)
    }
}
