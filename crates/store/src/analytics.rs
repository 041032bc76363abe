//! Reads for the aggregation engine: the agency graph of a date and the accepted numeric
//! values of an indicator within a date range. The engine itself is the domain's
//! ([`baocao_domain::aggregation`]); this module only fetches, in two and one queries.
//!
//! Scaling note: a national query reads one indicator's values for the periods asked across
//! every agency, through the (indicator, period) index. Past one server, `data_values` is the
//! table to distribute by agency (Citus) or to mirror into a column store (ClickHouse) that
//! answers the same per-period group-bys; the engine's inputs stay the same.

use baocao_domain::agency::{AgencyCode, AgencyKind};
use baocao_domain::aggregation::{AgencyKey, GraphAgency, Observation};
use baocao_domain::indicator::IndicatorCode;
use baocao_domain::period::PeriodId;
use baocao_domain::value::OptionCombo;
use jiff::civil::Date;

use crate::{Store, StoreError, on_db};

#[derive(sqlx::FromRow)]
struct GraphRow {
    id: i32,
    code: String,
    kind: Option<String>,
    parent_id: Option<i32>,
}

#[derive(sqlx::FromRow)]
struct ObservationRow {
    agency_id: i32,
    period: String,
    combo: String,
    source: String,
    value_num: f64,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub(crate) fn combo_from_key(key: &str) -> Result<OptionCombo, StoreError> {
    key.split(';')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            pair.split_once('=')
                .map(|(c, o)| (c.to_string(), o.to_string()))
                .ok_or_else(|| corrupt(format!("option combination {key:?}")))
        })
        .collect::<Result<_, _>>()
        .map(OptionCombo::from_stored)
}

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
    pub async fn observations(
        &self,
        indicator: &IndicatorCode,
        start: Date,
        end: Date,
    ) -> Result<Vec<Observation>, StoreError> {
        const SQL: &str = "
            SELECT v.agency_id, p.code AS period, c.key AS combo, s.code AS source, v.value_num
            FROM data_values v
            JOIN periods p ON p.id = v.period_id
            JOIN option_combos c ON c.id = v.combo_id
            JOIN sources s ON s.id = v.source_id
            WHERE v.indicator_id = (SELECT id FROM indicators WHERE code = $1)
              AND p.start_date >= $2 AND p.end_date <= $3
              AND v.value_num IS NOT NULL";
        let rows: Vec<ObservationRow> = on_db!(self, pool => sqlx::query_as(SQL)
            .bind(indicator.as_str())
            .bind(start.to_string())
            .bind(end.to_string())
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|row| {
                Ok(Observation {
                    agency: row.agency_id.into(),
                    period: PeriodId::parse(&row.period).map_err(|e| corrupt(e.reason))?,
                    options: combo_from_key(&row.combo)?,
                    source: row.source,
                    value: row.value_num,
                })
            })
            .collect()
    }
}
