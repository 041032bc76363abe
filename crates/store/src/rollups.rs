//! Roll-ups kept in the database ([`baocao_domain::rollup`]): per edition of the hierarchy,
//! indicator and period, the sums the domain computed, and under which counters they were
//! computed. Shared by every server on the database and kept across restarts, so the first
//! question after a restart reads sums, not every commune's values.

use baocao_domain::aggregation::AgencyKey;
use baocao_domain::audit::{Channel as AuditChannel, Provenance};
use baocao_domain::indicator::IndicatorCode;
use baocao_domain::period::PeriodId;
use baocao_domain::rollup::{CellSum, RollupCell, RollupKind};
use jiff::civil::Date;

use crate::analytics::combo_from_key;
use crate::error::corrupt;
use crate::transaction::on_tx;
use crate::{Store, StoreError, on_db};

/// Cells written by one INSERT: 9 parameters each.
const CELLS_PER_INSERT: usize = 1_000;

/// Under which counters a period's roll-up was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollupBuild {
    pub period: PeriodId,
    /// The period's change counter.
    pub generation: i64,
    /// The hierarchy's change counter.
    pub hierarchy: i64,
}

#[derive(sqlx::FromRow)]
struct CellRow {
    indicator: String,
    kind: i16,
    node_id: i32,
    period: String,
    combo: String,
    total: f64,
    value_count: i32,
    cell_count: i32,
}

fn period(code: &str) -> Result<PeriodId, StoreError> {
    PeriodId::parse(code).map_err(|e| corrupt(e.reason))
}

/// `AND t.indicator_id IN (…) AND t.period_id IN (…)`: the indicators by code, the periods
/// wholly within `start`..=`end`.
fn push_keys<'a, DB: sqlx::Database>(
    query: &mut sqlx::QueryBuilder<'a, DB>,
    table: &str,
    indicators: &'a [&IndicatorCode],
    start: Date,
    end: Date,
) where
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    query.push(format!(
        " AND {table}.indicator_id IN (SELECT id FROM indicators WHERE code IN ("
    ));
    let mut codes = query.separated(", ");
    for indicator in indicators {
        codes.push_bind(indicator.as_str());
    }
    query.push(format!(
        ")) AND {table}.period_id IN (SELECT id FROM periods WHERE start_date >= "
    ));
    query.push_bind(start.to_string());
    query.push(" AND end_date <= ");
    query.push_bind(end.to_string());
    query.push(")");
}

impl Store {
    /// The first day of the hierarchy's edition that `date` falls in: every date from it to
    /// the next change of any agency sees the same hierarchy, so roll-ups are kept per
    /// edition rather than per date asked.
    pub async fn hierarchy_edition(&self, date: Date) -> Result<Date, StoreError> {
        const SQL: &str = "SELECT
            (SELECT MAX(valid_from) FROM agency_states WHERE valid_from <= $1),
            (SELECT MAX(valid_to) FROM agency_states WHERE valid_to < $1)";
        let (began, ended): (Option<String>, Option<String>) = on_db!(self, pool =>
            sqlx::query_as(SQL).bind(date.to_string()).fetch_one(pool).await?);
        let parse = |text: &str| text.parse::<Date>().map_err(corrupt);
        let mut edition = Date::MIN;
        if let Some(began) = began {
            edition = edition.max(parse(&began)?);
        }
        if let Some(ended) = ended {
            edition = edition.max(parse(&ended)?.tomorrow().map_err(corrupt)?);
        }
        Ok(edition)
    }

    /// The roll-ups of `indicator` built for the periods wholly within `start`..=`end`.
    pub async fn rollup_builds(
        &self,
        edition: Date,
        indicator: &IndicatorCode,
        start: Date,
        end: Date,
    ) -> Result<Vec<RollupBuild>, StoreError> {
        let mut found = self
            .rollup_builds_of_many(edition, &[indicator], start, end)
            .await?;
        Ok(found.pop().unwrap_or_default())
    }

    /// [`rollup_builds`](Self::rollup_builds) of several indicators in one read, each in the
    /// position of its code in `indicators`.
    pub async fn rollup_builds_of_many(
        &self,
        edition: Date,
        indicators: &[&IndicatorCode],
        start: Date,
        end: Date,
    ) -> Result<Vec<Vec<RollupBuild>>, StoreError> {
        // The indicators and periods as id lists, so the key (edition, indicator, period)
        // finds the rows rather than a walk over the edition's.
        const SQL: &str = "
            SELECT i.code, p.code, b.generation, b.hierarchy FROM rollup_builds b
            JOIN periods p ON p.id = b.period_id
            JOIN indicators i ON i.id = b.indicator_id
            WHERE b.edition = ";
        let rows: Vec<(String, String, i64, i64)> = on_db!(self, pool => {
            let mut query = sqlx::QueryBuilder::new(SQL);
            query.push_bind(edition.to_string());
            push_keys(&mut query, "b", indicators, start, end);
            query.build_query_as().fetch_all(pool).await?
        });
        let mut found = vec![Vec::new(); indicators.len()];
        for (code, period_code, generation, hierarchy) in rows {
            let Some(at) = indicators.iter().position(|i| i.as_str() == code) else {
                continue;
            };
            found[at].push(RollupBuild {
                period: period(&period_code)?,
                generation,
                hierarchy,
            });
        }
        Ok(found)
    }

    /// The roll-up cells of `indicator` for the periods wholly within `start`..=`end`.
    pub async fn rollup_cells(
        &self,
        edition: Date,
        indicator: &IndicatorCode,
        start: Date,
        end: Date,
    ) -> Result<Vec<RollupCell>, StoreError> {
        let mut found = self
            .rollup_cells_of_many(edition, &[indicator], start, end, None)
            .await?;
        Ok(found.pop().unwrap_or_default())
    }

    /// [`rollup_cells`](Self::rollup_cells) of several indicators in one read, each in the
    /// position of its code in `indicators`; with `nodes`, only the cells of those agencies.
    pub async fn rollup_cells_of_many(
        &self,
        edition: Date,
        indicators: &[&IndicatorCode],
        start: Date,
        end: Date,
        nodes: Option<&[AgencyKey]>,
    ) -> Result<Vec<Vec<RollupCell>>, StoreError> {
        if nodes.is_some_and(<[AgencyKey]>::is_empty) {
            return Ok(vec![Vec::new(); indicators.len()]);
        }
        // Integer ids written into the text, as for the values' agencies.
        let only = nodes.map_or(String::new(), |ids| {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            format!(" AND r.node_id IN ({})", list.join(","))
        });
        const SQL: &str = "
            SELECT i.code AS indicator, r.kind, r.node_id, p.code AS period, c.key AS combo,
                   r.total, r.value_count, r.cell_count
            FROM rollups r
            JOIN periods p ON p.id = r.period_id
            JOIN option_combos c ON c.id = r.combo_id
            JOIN indicators i ON i.id = r.indicator_id
            WHERE r.edition = ";
        let rows: Vec<CellRow> = on_db!(self, pool => {
            let mut query = sqlx::QueryBuilder::new(SQL);
            query.push_bind(edition.to_string());
            push_keys(&mut query, "r", indicators, start, end);
            query.push(&only);
            query.build_query_as().fetch_all(pool).await?
        });
        let mut found = vec![Vec::new(); indicators.len()];
        // A few combinations, parsed once each.
        let mut combos: std::collections::HashMap<String, baocao_domain::value::OptionCombo> =
            Default::default();
        for row in rows {
            let Some(at) = indicators.iter().position(|i| i.as_str() == row.indicator) else {
                continue;
            };
            let options = match combos.get(&row.combo) {
                Some(options) => options.clone(),
                None => {
                    let options = combo_from_key(&row.combo)?;
                    combos.insert(row.combo.clone(), options.clone());
                    options
                }
            };
            found[at].push(RollupCell {
                kind: RollupKind::from_i16(row.kind)
                    .ok_or_else(|| corrupt(format!("roll-up kind {}", row.kind)))?,
                node: AgencyKey::from(row.node_id),
                period: period(&row.period)?,
                options,
                total: row.total,
                values: row.value_count.max(0) as u32,
                cells: row.cell_count.max(0) as u32,
            });
        }
        Ok(found)
    }

    /// The indicators with a numeric value in `period`: one index probe per indicator of
    /// the catalogue, rather than a scan of the period's values.
    pub async fn indicators_with_values(
        &self,
        period: PeriodId,
    ) -> Result<Vec<IndicatorCode>, StoreError> {
        const SQL: &str = "
            SELECT i.code FROM indicators i
            WHERE EXISTS (SELECT 1 FROM data_values v
                          WHERE v.indicator_id = i.id
                            AND v.period_id = (SELECT id FROM periods WHERE code = $1))
            ORDER BY i.code";
        let codes: Vec<String> = on_db!(self, pool => sqlx::query_scalar(SQL)
            .bind(period.to_string())
            .fetch_all(pool)
            .await?);
        codes
            .into_iter()
            .map(|code| IndicatorCode::new(code).map_err(corrupt))
            .collect()
    }

    /// Every roll-up built for `period` in `edition`, by indicator.
    pub async fn rollup_builds_of_period(
        &self,
        edition: Date,
        period: PeriodId,
    ) -> Result<Vec<(IndicatorCode, RollupBuild)>, StoreError> {
        const SQL: &str = "
            SELECT i.code, b.generation, b.hierarchy FROM rollup_builds b
            JOIN indicators i ON i.id = b.indicator_id
            WHERE b.edition = $1 AND b.period_id = (SELECT id FROM periods WHERE code = $2)";
        let rows: Vec<(String, i64, i64)> = on_db!(self, pool => sqlx::query_as(SQL)
            .bind(edition.to_string())
            .bind(period.to_string())
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|(code, generation, hierarchy)| {
                Ok((
                    IndicatorCode::new(code).map_err(corrupt)?,
                    RollupBuild {
                        period,
                        generation,
                        hierarchy,
                    },
                ))
            })
            .collect()
    }

    /// The numeric values of `indicators` in `period` (that period only), added up per cell
    /// by the database, each indicator's in the position of its code: what roll-ups are
    /// built from, keyed by the combinations' ids. One read for them all.
    pub async fn cell_sums(
        &self,
        indicators: &[&IndicatorCode],
        period: PeriodId,
    ) -> Result<Vec<Vec<CellSum<i32>>>, StoreError> {
        // By the (indicator, period) index: the indicators and the period as ids.
        const SQL: &str = "
            SELECT i.code, v.agency_id, v.combo_id, SUM(v.value_num), COUNT(*)
            FROM data_values v JOIN indicators i ON i.id = v.indicator_id
            WHERE v.value_num IS NOT NULL AND v.period_id = (SELECT id FROM periods WHERE code = ";
        let rows: Vec<(String, i32, i32, f64, i64)> = on_db!(self, pool => {
            let mut query = sqlx::QueryBuilder::new(SQL);
            query.push_bind(period.to_string());
            query.push(") AND v.indicator_id IN (SELECT id FROM indicators WHERE code IN (");
            let mut codes = query.separated(", ");
            for indicator in indicators {
                codes.push_bind(indicator.as_str());
            }
            query.push(")) GROUP BY i.code, v.agency_id, v.combo_id");
            query.build_query_as().fetch_all(pool).await?
        });
        let mut found = vec![Vec::new(); indicators.len()];
        for (code, agency, combo, total, values) in rows {
            let Some(at) = indicators.iter().position(|i| i.as_str() == code) else {
                continue;
            };
            found[at].push(CellSum {
                agency: agency.into(),
                period,
                options: combo,
                total,
                values: u32::try_from(values).unwrap_or(u32::MAX),
            });
        }
        Ok(found)
    }

    /// Replaces the roll-ups of some indicators for one period each with their cells
    /// (combinations by id), computed from the values read under each build's counters, in
    /// one transaction. Each build's row is written first: it is the lock that makes two
    /// servers rebuilding the same roll-up take turns.
    pub async fn keep_rollups(
        &self,
        edition: Date,
        rollups: &[(&IndicatorCode, RollupBuild, Vec<RollupCell<i32>>)],
        now: &str,
    ) -> Result<(), StoreError> {
        if rollups.is_empty() {
            return Ok(());
        }
        let by = Provenance::system(now, AuditChannel::System);
        let mut tx = self.begin(&by).await?;
        let edition = edition.to_string();
        on_tx!(tx, conn => {
            for (indicator, build, cells) in rollups {
                let ids: Option<(i32, i32)> = sqlx::query_as(
                    "SELECT (SELECT id FROM indicators WHERE code = $1), (SELECT id FROM periods WHERE code = $2)")
                    .bind(indicator.as_str())
                    .bind(build.period.to_string())
                    .fetch_optional(&mut *conn)
                    .await?;
                let Some((indicator_id, period_id)) = ids else {
                    return Err(StoreError::NotFound(format!("{indicator} {}", build.period)));
                };
                sqlx::query(
                    "INSERT INTO rollup_builds (edition, indicator_id, period_id, generation, hierarchy, built_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (edition, indicator_id, period_id) DO UPDATE SET
                       generation = excluded.generation, hierarchy = excluded.hierarchy,
                       built_at = excluded.built_at")
                    .bind(&edition)
                    .bind(indicator_id)
                    .bind(period_id)
                    .bind(build.generation)
                    .bind(build.hierarchy)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("DELETE FROM rollups WHERE edition = $1 AND indicator_id = $2 AND period_id = $3")
                    .bind(&edition)
                    .bind(indicator_id)
                    .bind(period_id)
                    .execute(&mut *conn)
                    .await?;
                for chunk in cells.chunks(CELLS_PER_INSERT) {
                    let mut insert = sqlx::QueryBuilder::new(
                        "INSERT INTO rollups (edition, indicator_id, period_id, kind, node_id, combo_id, total, value_count, cell_count) ",
                    );
                    insert.push_values(chunk, |mut row, cell| {
                        row.push_bind(&edition)
                            .push_bind(indicator_id)
                            .push_bind(period_id)
                            .push_bind(cell.kind.as_i16())
                            .push_bind(cell.node as i32)
                            .push_bind(cell.options)
                            .push_bind(cell.total)
                            .push_bind(cell.values as i32)
                            .push_bind(cell.cells as i32);
                    });
                    insert.build().execute(&mut *conn).await?;
                }
            }
        });
        tx.commit().await
    }
}
