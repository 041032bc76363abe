//! An indicator table published as an SDMX-JSON data message: the flow is a table's code, the
//! key selects series ([`baocao_formats::sdmx`]). Series dimensions are INDICATOR, REF_AREA and
//! one per disaggregation the table splits by (`_T` for the total); observations run along
//! TIME_PERIOD; `start`/`end` (SDMX periods) narrow the periods.

use std::collections::BTreeMap;

use baocao_domain::language::Lang;
use baocao_domain::period::PeriodId;
use baocao_domain::pivot::{Dimension, Fact};
use baocao_formats::sdmx::{self, Code, Message, SeriesDimension, TOTAL};

use crate::analytics::{AnalyticsError, plan};
use crate::pivot::{Labels, facts};
use crate::tables::{find, request_of};
use crate::{Caller, Context};

/// What a data message is asked with beside its flow and key.
#[derive(Debug, Default)]
pub struct DataQuery {
    pub start: Option<String>,
    pub end: Option<String>,
    pub as_of: Option<String>,
    pub lang: Option<String>,
}

/// The data message of table `flow` for the series `key` selects.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, flow, key))]
pub async fn data_message(
    context: &Context,
    caller: &Caller,
    flow: &str,
    key: &str,
    query: DataQuery,
) -> Result<Message, AnalyticsError> {
    let lang = Lang::from_code(query.lang.as_deref());
    let table = find(context, flow).await?;
    let request = request_of(context, &table, query.as_of, lang).await?;
    let plan = plan(context, Some(caller), request.query).await?;
    let rows = plan.rows(context).await?;
    let labels = Labels::load(context, &plan, lang).await?;
    let split = !plan.disaggregate.is_empty();
    let (start, end) = (query.start, query.end);
    let mut facts: Vec<Fact> = facts(&rows, split)
        .into_iter()
        .filter(|f| f.value.is_some())
        .filter(|f| {
            let id = sdmx::period(f.period);
            start.as_deref().is_none_or(|s| id.as_str() >= s)
                && end.as_deref().is_none_or(|e| id.as_str() <= e)
        })
        .collect();

    // Series dimensions: indicator, area, then each category split by.
    let mut dimensions: Vec<(String, Dimension)> = vec![
        ("INDICATOR".into(), Dimension::Indicator),
        ("REF_AREA".into(), Dimension::Agency),
    ];
    for category in &plan.disaggregate {
        dimensions.push((
            category.to_uppercase(),
            Dimension::Category(category.clone()),
        ));
    }
    let selection =
        sdmx::parse_key(key, dimensions.len()).map_err(|error| AnalyticsError::InvalidKey {
            key: error.key,
            positions: error.positions,
        })?;
    let coordinate = |fact: &Fact, dimension: &Dimension| {
        let value = fact.coordinate(dimension);
        if value.is_empty() {
            TOTAL.to_string()
        } else {
            value
        }
    };
    facts.retain(|fact| {
        dimensions.iter().zip(&selection).all(|((_, d), allowed)| {
            allowed
                .as_ref()
                .is_none_or(|list| list.contains(&coordinate(fact, d)))
        })
    });

    // Each dimension's values in order of first appearance; series and observations refer
    // to them by position.
    let mut values: Vec<Vec<String>> = vec![Vec::new(); dimensions.len()];
    let mut periods: Vec<PeriodId> = Vec::new();
    let mut series: BTreeMap<String, BTreeMap<usize, f64>> = BTreeMap::new();
    for fact in &facts {
        let mut key = Vec::new();
        for (index, (_, dimension)) in dimensions.iter().enumerate() {
            let value = coordinate(fact, dimension);
            let at = match values[index].iter().position(|v| *v == value) {
                Some(at) => at,
                None => {
                    values[index].push(value);
                    values[index].len() - 1
                }
            };
            key.push(at.to_string());
        }
        let period_at = match periods.iter().position(|p| *p == fact.period) {
            Some(at) => at,
            None => {
                periods.push(fact.period);
                periods.len() - 1
            }
        };
        if let Some(value) = fact.value {
            series
                .entry(key.join(":"))
                .or_default()
                .insert(period_at, value);
        }
    }
    let total = if lang == Lang::En {
        "Total"
    } else {
        "Tổng số"
    };
    let series_dimensions = dimensions
        .iter()
        .zip(&values)
        .map(|((id, dimension), list)| SeriesDimension {
            id: id.clone(),
            name: labels.dimension(dimension),
            values: list
                .iter()
                .map(|v| Code {
                    id: v.clone(),
                    name: if v == TOTAL {
                        total.to_string()
                    } else {
                        labels.key(dimension, v)
                    },
                })
                .collect(),
        })
        .collect();
    let now = context.now_text();
    let english = lang == Lang::En;
    Ok(Message {
        id: format!("BAOCAO-{}-{now}", table.code),
        prepared: now,
        sender_id: "BAOCAO".into(),
        sender_name: "Hệ thống thông tin báo cáo".into(),
        name: table.title(english).to_string(),
        description: table.theme(english).to_string(),
        series_dimensions,
        time_name: labels.dimension(&Dimension::Period),
        periods: periods
            .iter()
            .map(|p| (*p, labels.key(&Dimension::Period, &p.to_string())))
            .collect(),
        series,
    })
}
