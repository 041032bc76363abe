//! Running a regime's validation rules on a report: the domain compiles and evaluates them;
//! this module fetches beforehand the accepted numbers they read from earlier periods and
//! from subordinates, so that evaluation itself touches no storage. One code path for draft
//! saves, submissions and (later) imports.

use std::collections::BTreeMap;

use baocao_domain::agency::AgencyCode;
use baocao_domain::period::PeriodId;
use baocao_domain::regime::Regime;
use baocao_domain::report::ReportContent;
use baocao_domain::rules::{Lookup, RuleContext, RuleInputs, RuleSet, Scope, Violation};
use baocao_domain::value::{DataValue, Value};
use baocao_store::agencies::AgencyFilter;

use baocao_store::StoreError;
use baocao_store::analytics::Generations;

use crate::Context;
use crate::aggregates::ObservationSpan;
use crate::catalogue::Catalogue;

/// A report to check: whose, for which period, under which regime.
pub struct ReportUnderCheck<'a> {
    pub regime: &'a Regime,
    pub agency: &'a AgencyCode,
    pub period: PeriodId,
    pub content: &'a ReportContent,
}

/// The violations of the regime's rules in the report.
pub async fn violations(
    state: &Context,
    catalogue: &Catalogue,
    report: &ReportUnderCheck<'_>,
) -> Result<Vec<Violation>, StoreError> {
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
    let combinations = report
        .content
        .attribute_combinations(report.regime.content());
    let lookups = rules.lookups();
    let within = combinations
        .iter()
        .flat_map(|attributes| lookups.iter().map(|l| l.within(attributes)));
    for lookup in within {
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
    let mut found = baocao_domain::rules::missing_required(report.regime.content(), report.content);
    found.extend(rules.check_within(&combinations, &inputs));
    Ok(found)
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutlierFlag {
    pub cell: baocao_domain::report::CellAddress,
    pub value: f64,
    pub reasons: Vec<serde_json::Value>,
}

/// The settings key holding per-indicator outlier thresholds (JSON: code → settings).
pub const OUTLIER_SETTINGS: &str = "outlier_settings";

/// Per-indicator outlier thresholds, defaults where none were set.
pub async fn outlier_settings(
    state: &Context,
) -> Result<BTreeMap<String, baocao_domain::quality::OutlierSettings>, StoreError> {
    Ok(parse_outlier_settings(
        state.store.setting(OUTLIER_SETTINGS).await?.as_deref(),
    ))
}

fn parse_outlier_settings(
    stored: Option<&str>,
) -> BTreeMap<String, baocao_domain::quality::OutlierSettings> {
    stored
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default()
}

/// What outlier checks of one regime and period compare with: the hierarchy of the period's
/// end, every agency's accepted values of the regime's indicators over the two years before,
/// and the thresholds — indexed by cell and agency once, so that checking a report costs its
/// cells, not the country's history. Built once, it serves one report or all of them (the
/// quality page), and the deadline hour's saves share it through [`OutlierContexts`].
pub struct OutlierContext {
    graph: std::sync::Arc<baocao_domain::aggregation::AgencyGraph>,
    /// Per indicator and option combination: what the regime's accepted reports hold.
    series: BTreeMap<(String, baocao_domain::value::OptionCombo), CellSeries>,
    settings: BTreeMap<String, baocao_domain::quality::OutlierSettings>,
    period: PeriodId,
}

/// One cell's accepted values, by the agency that carries them on the period's end (a
/// predecessor's values count as its successor's).
#[derive(Default)]
struct CellSeries {
    /// Before the period: per agency, per period, the sum.
    history: std::collections::HashMap<i64, BTreeMap<PeriodId, f64>>,
    /// In the period itself: per agency, the sum.
    current: BTreeMap<i64, f64>,
}

/// Outlier contexts already built, kept while what they were built from stands: the regime
/// version, the hierarchy, the accepted values of both spans and the thresholds.
#[derive(Default)]
pub struct OutlierContexts {
    kept: std::sync::Mutex<Vec<(OutlierKey, std::sync::Arc<OutlierContext>)>>,
}

/// The contexts kept at most (one per regime and period in use at once).
const OUTLIER_CONTEXTS: usize = 64;

#[derive(PartialEq, Eq)]
struct OutlierKey {
    regime: String,
    version: u32,
    regimes: i64,
    period: PeriodId,
    hierarchy: i64,
    spans: (i64, i64),
    settings: Option<String>,
}

impl OutlierContexts {
    fn find(&self, key: &OutlierKey) -> Option<std::sync::Arc<OutlierContext>> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter()
            .find(|(k, _)| k == key)
            .map(|(_, context)| context.clone())
    }

    fn keep(&self, key: OutlierKey, context: std::sync::Arc<OutlierContext>) {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        // The same regime and period under older data is of no more use.
        kept.retain(|(k, _)| !(k.regime == key.regime && k.period == key.period));
        if kept.len() >= OUTLIER_CONTEXTS {
            kept.remove(0);
        }
        kept.push((key, context));
    }
}

/// The days whose accepted values an outlier check of `period` compares with: the two years
/// before it, and the period itself.
pub(crate) fn compared_span(period: PeriodId) -> (jiff::civil::Date, jiff::civil::Date) {
    (period.back(0, 2).start(), period.end())
}

impl OutlierContext {
    pub async fn load(
        state: &Context,
        regime: &Regime,
        period: PeriodId,
    ) -> Result<std::sync::Arc<Self>, StoreError> {
        let generations = state
            .store
            .generations_with_periods(&[OUTLIER_SETTINGS], Some(compared_span(period)))
            .await?;
        Self::load_under(state, &generations, regime, period).await
    }

    /// [`load`](Self::load) under counters (with [`OUTLIER_SETTINGS`]) already read: the
    /// context kept for them if there is one, else built and kept.
    pub async fn load_under(
        state: &Context,
        generations: &Generations,
        regime: &Regime,
        period: PeriodId,
    ) -> Result<std::sync::Arc<Self>, StoreError> {
        let on = period.end();
        let (earliest, _) = compared_span(period);
        // The history and the period itself kept apart: acceptances in the deadline hour
        // change the period's values, never the two years before.
        let before = period.start().yesterday().unwrap_or(earliest);
        let (history, current) = ObservationSpan::read_pair(
            state,
            generations,
            (earliest, before),
            (period.start(), period.end()),
        )
        .await?;
        let key = OutlierKey {
            regime: regime.code().to_string(),
            version: regime.version(),
            regimes: generations.regimes,
            period,
            hierarchy: generations.hierarchy,
            spans: (history.token(), current.token()),
            settings: generations.setting(OUTLIER_SETTINGS).map(str::to_string),
        };
        if let Some(kept) = state.outlier_contexts.find(&key) {
            return Ok(kept);
        }
        let (graph, _) =
            crate::aggregates::agency_graph_under(state, generations.hierarchy, on).await?;
        let source = format!("regime:{}", regime.code());
        let mut series: BTreeMap<(String, baocao_domain::value::OptionCombo), CellSeries> =
            BTreeMap::new();
        let mut indicators: Vec<&baocao_domain::indicator::IndicatorCode> = regime
            .content()
            .forms
            .iter()
            .flat_map(|form| form.rows.iter().map(|row| &row.indicator))
            .collect();
        indicators.sort();
        indicators.dedup();
        for indicator in indicators {
            let spans = [
                history.observations(state, indicator).await?,
                current.observations(state, indicator).await?,
            ];
            for o in spans
                .iter()
                .flat_map(|part| part.iter())
                .filter(|o| o.source == source && o.period.frequency() == period.frequency())
            {
                let Some(node) = graph.representative(o.agency) else {
                    continue;
                };
                let cell = series
                    .entry((indicator.to_string(), o.options.clone()))
                    .or_default();
                if o.period < period {
                    *cell
                        .history
                        .entry(node)
                        .or_default()
                        .entry(o.period)
                        .or_default() += o.value;
                } else if o.period == period {
                    *cell.current.entry(node).or_default() += o.value;
                }
            }
        }
        let context = std::sync::Arc::new(Self {
            graph,
            series,
            settings: parse_outlier_settings(generations.setting(OUTLIER_SETTINGS)),
            period,
        });
        state.outlier_contexts.keep(key, context.clone());
        Ok(context)
    }

    /// Outliers among a report's "this period" numbers: against the agency's accepted values
    /// of the two years before (its predecessors' included), the same period last year, and
    /// the same level's agencies in this period — all from this regime's accepted reports.
    pub fn outliers(&self, agency: &AgencyCode, content: &ReportContent) -> Vec<OutlierFlag> {
        use baocao_domain::quality::{OutlierInput, outlier_reasons};
        use baocao_domain::regime::FormColumn;
        let Some(own) = self.graph.find(agency) else {
            return Vec::new();
        };
        let level = self.graph.level(own);
        let mut flags = Vec::new();
        for cell in content
            .values
            .iter()
            .filter(|c| c.address.column == FormColumn::ThisPeriod)
        {
            let Ok(value) = cell.value.parse::<f64>() else {
                continue;
            };
            let address = &cell.address;
            let Some(series) = self
                .series
                .get(&(address.row.to_string(), address.options.clone()))
            else {
                continue;
            };
            let empty = BTreeMap::new();
            let by_period = series.history.get(&own).unwrap_or(&empty);
            let history: Vec<f64> = by_period.values().copied().collect();
            let peer_values: Vec<f64> = series
                .current
                .iter()
                .filter(|(node, _)| **node != own && self.graph.level(**node) == level)
                .map(|(_, value)| *value)
                .collect();
            let input = OutlierInput {
                value,
                history: &history,
                last_year: by_period.get(&self.period.back(0, 1)).copied(),
                peers: &peer_values,
            };
            let threshold = self
                .settings
                .get(address.row.as_str())
                .copied()
                .unwrap_or_default();
            let reasons = outlier_reasons(&input, &threshold);
            if !reasons.is_empty() {
                flags.push(OutlierFlag {
                    cell: address.clone(),
                    value,
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
        flags
    }
}
