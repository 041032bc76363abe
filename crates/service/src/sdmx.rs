//! Indicator tables published as SDMX: the flow is a table's code, the key selects series
//! ([`baocao_formats::sdmx`]). Series dimensions are INDICATOR, REF_AREA and one per
//! disaggregation the table splits by (`_T` for the total); observations run along
//! TIME_PERIOD. `start`/`end` (any SDMX period form) keep the observations whose period
//! overlaps them, as SDMX's REST interface asks (annual data for `startPeriod=2026-06` is the
//! year 2026); `first_n`/`last_n` keep that many observations a series. [`structures`] answers
//! each flow's dataflow and data structure with its codelists.

use std::collections::BTreeMap;

use baocao_domain::language::Lang;
use baocao_domain::period::PeriodId;
use baocao_domain::pivot::{Dimension, Fact};
use baocao_formats::sdmx::structure::{Flow, Structures};
use baocao_formats::sdmx::{self, Code, Message, SeriesDimension, TOTAL};

use crate::analytics::{AnalyticsError, Plan, plan};
use crate::catalogue::CatalogueError;
use crate::pivot::{Labels, facts};
use crate::tables::{find, list, request_of};
use crate::{Caller, Context};

/// What a data message is asked with beside its flow and key.
#[derive(Debug, Default)]
pub struct DataQuery {
    pub start: Option<String>,
    pub end: Option<String>,
    pub as_of: Option<String>,
    pub lang: Option<String>,
    /// SDMX's `firstNObservations`: the first this many observations of each series.
    pub first_n: Option<usize>,
    /// SDMX's `lastNObservations`.
    pub last_n: Option<usize>,
}

/// The days of a query period, or why it is none.
fn bound(
    text: Option<String>,
) -> Result<Option<(jiff::civil::Date, jiff::civil::Date)>, AnalyticsError> {
    text.map(|text| {
        sdmx::period_span(&text).ok_or_else(|| {
            AnalyticsError::Catalogue(CatalogueError::InvalidPeriod {
                text,
                reason:
                    "not an SDMX period (2026, 2026-S1, 2026-Q1, 2026-01, 2026-W01, 2026-01-31)"
                        .to_string(),
            })
        })
    })
    .transpose()
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
    let start = bound(query.start)?.map(|(first, _)| first);
    let end = bound(query.end)?.map(|(_, last)| last);
    let table = find(context, flow).await?;
    let request = request_of(context, &table, query.as_of, lang).await?;
    let plan = plan(context, Some(caller), request.query).await?;
    let rows = plan.rows(context).await?;
    let labels = Labels::load(context, &plan, lang).await?;
    let split = !plan.disaggregate.is_empty();
    let mut facts: Vec<Fact> = facts(&rows, split)
        .into_iter()
        .filter(|f| f.value.is_some())
        .filter(|f| {
            start.is_none_or(|s| f.period.end() >= s) && end.is_none_or(|e| f.period.start() <= e)
        })
        .collect();
    // Observations in time order, so positions and "first"/"last" follow the calendar.
    facts.sort_by_key(|f| (f.period.start(), f.period.end()));
    let dimensions = series_dimensions(&plan);
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
    let series_dimensions = dimensions
        .iter()
        .zip(&values)
        .map(|((id, dimension), list)| SeriesDimension {
            id: id.clone(),
            name: labels.dimension(dimension),
            values: list
                .iter()
                .map(|v| code(&labels, dimension, v, lang))
                .collect(),
        })
        .collect();
    let now = context.now_text();
    let english = lang == Lang::En;
    let mut message = Message {
        id: message_id(&format!("BAOCAO-{}", table.code), &now),
        prepared: now,
        sender_id: "BAOCAO".into(),
        sender_name: "Hệ thống thông tin báo cáo".into(),
        flow: table.code.clone(),
        language: language(lang).into(),
        name: table.title(english).to_string(),
        description: table.theme(english).to_string(),
        series_dimensions,
        time_name: labels.dimension(&Dimension::Period),
        periods: periods
            .iter()
            .map(|p| (*p, labels.key(&Dimension::Period, &p.to_string())))
            .collect(),
        series,
    };
    message.limit_observations(query.first_n, query.last_n);
    Ok(message)
}

/// A message's id: `prefix` and the time it was prepared, in SDMX's id characters only.
fn message_id(prefix: &str, now: &str) -> String {
    let stamp: String = now.chars().filter(char::is_ascii_digit).collect();
    format!("{prefix}-{stamp}")
}

fn language(lang: Lang) -> &'static str {
    if lang == Lang::En { "en" } else { "vi" }
}

/// Series dimensions: indicator, area, then each category split by.
fn series_dimensions(plan: &Plan) -> Vec<(String, Dimension)> {
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
    dimensions
}

/// A dimension value with its name (`_T`: the total).
fn code(labels: &Labels, dimension: &Dimension, id: &str, lang: Lang) -> Code {
    Code {
        id: id.to_string(),
        name: if id == TOTAL {
            lang.pick("Tổng số", "Total")
        } else {
            labels.key(dimension, id)
        },
    }
}

/// The dataflows of the indicator tables the caller can read (or of one, `flow`), and with
/// `data_structures` their data structures: every code each dimension can take.
pub async fn structures(
    context: &Context,
    caller: &Caller,
    flow: Option<&str>,
    data_structures: bool,
    lang: Option<String>,
) -> Result<Structures, AnalyticsError> {
    let lang = Lang::from_code(lang.as_deref());
    let english = lang == Lang::En;
    let tables = match flow {
        Some(code) => {
            let table = find(context, code).await?;
            list(context, caller).await?;
            vec![table]
        }
        None => list(context, caller).await?,
    };
    let mut flows = Vec::new();
    for table in tables {
        let mut flow = Flow {
            id: table.code.clone(),
            name: table.title(english).to_string(),
            description: table.theme(english).to_string(),
            dimensions: Vec::new(),
            time_name: lang.pick("Kỳ", "Period"),
        };
        if data_structures {
            let request = request_of(context, &table, None, lang).await?;
            let plan = plan(context, Some(caller), request.query).await?;
            let labels = Labels::load(context, &plan, lang).await?;
            for (id, dimension) in series_dimensions(&plan) {
                let ids: Vec<String> = match &dimension {
                    Dimension::Indicator => plan
                        .indicators
                        .iter()
                        .map(|i| i.code().to_string())
                        .collect(),
                    Dimension::Agency => plan
                        .targets
                        .iter()
                        .filter_map(|t| plan.graph.code(*t).map(ToString::to_string))
                        .collect(),
                    Dimension::Category(category) => std::iter::once(TOTAL.to_string())
                        .chain(labels.options(category))
                        .collect(),
                    Dimension::Period => Vec::new(),
                };
                flow.dimensions.push(SeriesDimension {
                    id,
                    name: labels.dimension(&dimension),
                    values: ids
                        .iter()
                        .map(|v| code(&labels, &dimension, v, lang))
                        .collect(),
                });
            }
        }
        flows.push(flow);
    }
    let now = context.now_text();
    Ok(Structures {
        id: message_id("BAOCAO-STRUCTURE", &now),
        prepared: now,
        language: language(lang).into(),
        flows,
        dataflows: true,
        data_structures,
    })
}
