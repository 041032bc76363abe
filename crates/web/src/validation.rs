//! Running a regime's validation rules on a report: the domain compiles and evaluates them;
//! this module fetches beforehand the accepted numbers they read from earlier periods and
//! from subordinates, so that evaluation itself touches no storage. One code path for draft
//! saves, submissions and (later) imports.

use std::collections::BTreeMap;

use baocao_domain::agency::AgencyCode;
use baocao_domain::indicator::{Category, Indicator};
use baocao_domain::period::PeriodId;
use baocao_domain::regime::Regime;
use baocao_domain::report::ReportContent;
use baocao_domain::rules::{Lookup, RuleContext, RuleInputs, RuleSet, Scope, Violation};
use baocao_domain::value::{DataValue, Value};
use baocao_store::agencies::AgencyFilter;

use crate::AppState;
use crate::error::ApiError;

/// The catalogue a report's rules are compiled against.
pub struct Catalogue {
    pub indicators: Vec<Indicator>,
    pub categories: Vec<Category>,
}

impl Catalogue {
    pub async fn load(state: &AppState) -> Result<Self, ApiError> {
        Ok(Self {
            indicators: state.store.indicators(None).await?,
            categories: state.store.categories().await?,
        })
    }
}

/// A report to check: whose, for which period, under which regime.
pub struct ReportUnderCheck<'a> {
    pub regime: &'a Regime,
    pub agency: &'a AgencyCode,
    pub period: PeriodId,
    pub content: &'a ReportContent,
}

/// The violations of the regime's rules in the report.
pub async fn violations(
    state: &AppState,
    catalogue: &Catalogue,
    report: &ReportUnderCheck<'_>,
) -> Result<Vec<Violation>, ApiError> {
    let context = RuleContext {
        regime: report.regime.content(),
        indicators: &catalogue.indicators,
        categories: &catalogue.categories,
    };
    let rules = RuleSet::compile(&context);
    for (id, error) in &rules.broken {
        tracing::warn!(regime = %report.regime.code(), rule = %id, %error, "a stored rule does not compile; it is not checked");
    }
    let mut inputs = RuleInputs::from_report(report.content);
    let source = format!("regime:{}", report.regime.code());
    // Group what the rules read outside the report by (period, scope): one fetch each.
    let mut wanted: BTreeMap<(PeriodId, Scope), Vec<Lookup>> = BTreeMap::new();
    for lookup in rules.lookups() {
        if !lookup.is_in_report() {
            let period = report.period.back(lookup.periods_back, lookup.years_back);
            wanted
                .entry((period, lookup.scope))
                .or_default()
                .push(lookup);
        }
    }
    for ((period, scope), lookups) in wanted {
        let agencies = match scope {
            Scope::Own => vec![report.agency.clone()],
            Scope::Children => state
                .store
                .agencies_as_of(
                    period.end(),
                    &AgencyFilter {
                        parent: Some(report.agency.clone()),
                        ..AgencyFilter::default()
                    },
                )
                .await?
                .into_iter()
                .map(|a| a.code)
                .collect(),
        };
        let mut values = Vec::new();
        for agency in &agencies {
            values.extend(state.store.values_of(agency, period).await?);
        }
        for lookup in lookups {
            let mut total = None;
            for agency in &agencies {
                if let Some(number) = preferred_number(&values, agency, &lookup, &source) {
                    *total.get_or_insert(0.0) += number;
                }
            }
            if let Some(number) = total {
                inputs.insert(lookup, number);
            }
        }
    }
    Ok(rules.check(&inputs))
}

/// An agency's number for a lookup's cell: the regime's own accepted report first, another
/// source only where the regime has none.
fn preferred_number(
    values: &[DataValue],
    agency: &AgencyCode,
    lookup: &Lookup,
    source: &str,
) -> Option<f64> {
    let mut matching = values.iter().filter(|v| {
        &v.agency == agency
            && v.indicator == lookup.cell.row
            && v.options == lookup.cell.options
            && matches!(v.value, Value::Number(_))
    });
    let first = matching.clone().next();
    matching
        .find(|v| v.source == source)
        .or(first)
        .and_then(|v| v.value.as_number())
}

/// A cell whose value looks wrong against history, last year or peers, with the reasons.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OutlierFlag {
    pub cell: baocao_domain::report::CellAddress,
    pub value: f64,
    pub reasons: Vec<serde_json::Value>,
}

/// The settings key holding per-indicator outlier thresholds (JSON: code → settings).
pub const OUTLIER_SETTINGS: &str = "outlier_settings";

/// Per-indicator outlier thresholds, defaults where none were set.
pub async fn outlier_settings(
    state: &AppState,
) -> Result<BTreeMap<String, baocao_domain::quality::OutlierSettings>, ApiError> {
    Ok(state
        .store
        .setting(OUTLIER_SETTINGS)
        .await?
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default())
}

/// Outliers among the report's "this period" numbers: against the agency's accepted values of
/// the last two years (its predecessors' included), the same period last year, and the same
/// level's agencies in this period — all from this regime's accepted reports.
pub async fn outliers(
    state: &AppState,
    report: &ReportUnderCheck<'_>,
) -> Result<Vec<OutlierFlag>, ApiError> {
    use baocao_domain::aggregation::AgencyGraph;
    use baocao_domain::quality::{OutlierInput, outlier_reasons};
    use baocao_domain::regime::FormColumn;

    let numbers: Vec<(&baocao_domain::report::CellAddress, f64)> = report
        .content
        .values
        .iter()
        .filter(|c| c.address.column == FormColumn::ThisPeriod)
        .filter_map(|c| Some((&c.address, c.value.parse::<f64>().ok()?)))
        .collect();
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    let on = report.period.end();
    let (agencies, successions) = state.store.agency_graph(on).await?;
    let graph = AgencyGraph::new(on, agencies, &successions);
    let Some(own) = graph.find(report.agency) else {
        return Ok(Vec::new());
    };
    let level = graph.level(own);
    let source = format!("regime:{}", report.regime.code());
    let settings = outlier_settings(state).await?;
    let earliest = report.period.back(0, 2).start();
    let mut flags = Vec::new();
    let mut indicators: Vec<&baocao_domain::indicator::IndicatorCode> =
        numbers.iter().map(|(a, _)| &a.row).collect();
    indicators.sort();
    indicators.dedup();
    for indicator in indicators {
        let observations = state
            .store
            .observations(indicator, earliest, report.period.end())
            .await?;
        let same_frequency = |o: &&baocao_domain::aggregation::Observation| {
            o.source == source && o.period.frequency() == report.period.frequency()
        };
        let threshold = settings
            .get(indicator.as_str())
            .copied()
            .unwrap_or_default();
        for (address, value) in numbers.iter().filter(|(a, _)| &a.row == indicator) {
            // Own history by period (predecessors add up), and peers' values this period.
            let mut by_period: BTreeMap<PeriodId, f64> = BTreeMap::new();
            let mut peers: BTreeMap<i64, f64> = BTreeMap::new();
            for o in observations
                .iter()
                .filter(same_frequency)
                .filter(|o| o.options == address.options)
            {
                let Some(node) = graph.representative(o.agency) else {
                    continue;
                };
                if node == own && o.period < report.period {
                    *by_period.entry(o.period).or_default() += o.value;
                } else if node != own && o.period == report.period && graph.level(node) == level {
                    *peers.entry(node).or_default() += o.value;
                }
            }
            let last_year = by_period.get(&report.period.back(0, 1)).copied();
            let history: Vec<f64> = by_period.values().copied().collect();
            let peer_values: Vec<f64> = peers.values().copied().collect();
            let reasons = outlier_reasons(
                &OutlierInput {
                    value: *value,
                    history: &history,
                    last_year,
                    peers: &peer_values,
                },
                &threshold,
            );
            if !reasons.is_empty() {
                flags.push(OutlierFlag {
                    cell: (*address).clone(),
                    value: *value,
                    reasons: reasons
                        .iter()
                        .map(|reason| {
                            let (message, message_en) = reason.describe();
                            let mut json = serde_json::to_value(reason).unwrap_or_default();
                            json["message"] = message.into();
                            json["message_en"] = message_en.into();
                            json
                        })
                        .collect(),
                });
            }
        }
    }
    Ok(flags)
}
