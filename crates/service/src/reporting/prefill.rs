//! Pre-filling a report from data the system already holds: the sum (by each indicator's
//! rule) of the accepted reports of the same regime sent to the agency by those that report
//! to it, naming those still missing; and, for stock indicators (aggregation `last`: population, enrolment), the
//! agency's own accepted value of the period before. Suggestions only: nothing is saved until
//! the reporter saves.

use std::collections::BTreeMap;

use baocao_domain::agency::AgencyCode;
use baocao_domain::aggregation::combine;
use baocao_domain::indicator::Aggregation;
use baocao_domain::period::PeriodId;
use baocao_domain::regime::{FormColumn, Regime};
use baocao_domain::report::{CellAddress, canonical_number as plain};
use baocao_domain::value::{OptionCombo, Value};
use serde::Serialize;

use baocao_store::StoreError;

use crate::Context;
use crate::catalogue::Catalogue;

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuggestedCell {
    #[serde(flatten)]
    pub address: CellAddress,
    pub value: String,
    /// `subordinates` or `previous_period`.
    pub from: &'static str,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Prefill {
    pub values: Vec<SuggestedCell>,
    /// Subordinates assigned the regime that have no accepted report for the period yet.
    pub missing: Vec<String>,
    /// Subordinates whose accepted reports were added up.
    pub included: Vec<String>,
}

pub async fn prefill(
    state: &Context,
    regime: &Regime,
    agency: &AgencyCode,
    period: PeriodId,
) -> Result<Prefill, StoreError> {
    let catalogue = Catalogue::current(state).await?;
    let source = format!("regime:{}", regime.code());
    let on = period.end();
    // The agencies that report the same regime to this one in this period: a province's
    // communes, the provinces for the Government Office (whose hierarchy parent is the
    // nation, not the office). One query, not a lineage per candidate.
    let mut children: Vec<AgencyCode> = state
        .store
        .assignments(regime.code(), Some(on))
        .await?
        .into_iter()
        .filter(|a| a.receiving_agency == agency.as_str() && a.reporting_agency != agency.as_str())
        .filter_map(|a| AgencyCode::new(a.reporting_agency).ok())
        .collect();
    children.sort();
    children.dedup();
    let mut from_children: BTreeMap<(String, OptionCombo), Vec<f64>> = BTreeMap::new();
    let (mut included, mut missing) = (Vec::new(), Vec::new());
    for child in &children {
        let values: Vec<_> = state
            .store
            .values_of(child, period)
            .await?
            .into_iter()
            .filter(|v| v.source == source)
            .collect();
        if values.is_empty() {
            missing.push(child.to_string());
            continue;
        }
        included.push(child.to_string());
        for value in values {
            if let Value::Number(n) = value.value {
                from_children
                    .entry((value.indicator.to_string(), value.options))
                    .or_default()
                    .push(n);
            }
        }
    }
    let previous: Vec<_> = state
        .store
        .values_of(agency, period.previous())
        .await?
        .into_iter()
        .filter(|v| v.source == source)
        .collect();
    let mut suggestions = Vec::new();
    for form in &regime.content().forms {
        if !form.columns.contains(&FormColumn::ThisPeriod) {
            continue;
        }
        for row in &form.rows {
            let Some(indicator) = catalogue
                .indicators
                .iter()
                .find(|i| i.code() == &row.indicator)
            else {
                continue;
            };
            let address = |options: OptionCombo| CellAddress {
                form: form.code.clone(),
                row: row.indicator.clone(),
                column: FormColumn::ThisPeriod,
                options,
            };
            let mut found = false;
            for ((code, options), values) in &from_children {
                if code == row.indicator.as_str()
                    && let Some(total) = combine(indicator.aggregation(), values)
                {
                    found = true;
                    suggestions.push(SuggestedCell {
                        address: address(options.clone()),
                        value: plain(total),
                        from: "subordinates",
                    });
                }
            }
            if !found && indicator.aggregation() == Aggregation::Last {
                for value in previous.iter().filter(|v| v.indicator == row.indicator) {
                    if let Value::Number(n) = value.value {
                        suggestions.push(SuggestedCell {
                            address: address(value.options.clone()),
                            value: plain(n),
                            from: "previous_period",
                        });
                    }
                }
            }
        }
    }
    Ok(Prefill {
        values: suggestions,
        missing,
        included,
    })
}

/// The indicators of the regime's forms that have a column derived from earlier numbers.
fn derived_indicators(
    regime: &Regime,
    catalogue: &Catalogue,
) -> Vec<baocao_domain::indicator::IndicatorCode> {
    use baocao_domain::report::is_derived;
    let mut indicators = Vec::new();
    for form in &regime.content().forms {
        for row in &form.rows {
            let derives = catalogue
                .indicators
                .iter()
                .find(|i| i.code() == &row.indicator)
                .is_some_and(|i| form.columns.iter().any(|c| is_derived(*c, i)));
            if derives && !indicators.contains(&row.indicator) {
                indicators.push(row.indicator.clone());
            }
        }
    }
    indicators
}

/// Whether a draft of the regime has columns to fill from earlier numbers.
pub fn derives_any(regime: &Regime, catalogue: &Catalogue) -> bool {
    !derived_indicators(regime, catalogue).is_empty()
}

/// The accepted "this period" numbers of the agency (its predecessors' included) for the same
/// period last year, the period before and the earlier periods of the year — what the derived
/// columns of its report are filled from. Empty where the regime's forms derive nothing.
pub async fn earlier_numbers(
    state: &Context,
    regime: &Regime,
    agency: &AgencyCode,
    period: PeriodId,
    catalogue: &Catalogue,
) -> Result<baocao_domain::report::EarlierNumbers, StoreError> {
    use baocao_domain::report::EarlierNumbers;
    let mut earlier = EarlierNumbers::default();
    let indicators = derived_indicators(regime, catalogue);
    if indicators.is_empty() {
        return Ok(earlier);
    }
    // The hierarchy of the period's end from the shared cache: built once per hierarchy
    // change, not once per draft save.
    let (graph, _) = crate::aggregates::agency_graph(state, period.end()).await?;
    let Some(own) = graph.find(agency) else {
        return Ok(earlier);
    };
    let source = format!("regime:{}", regime.code());
    let (last_year, previous) = (period.back(0, 1), period.previous());
    let year_start =
        PeriodId::containing(period.frequency(), jiff::civil::date(period.year(), 1, 1));
    // The agency's own history and its predecessors', not the country's.
    let agencies = graph.represented_by(own);
    for indicator in indicators {
        let observations = state
            .store
            .observations_of(
                &indicator,
                &agencies,
                last_year.start().min(previous.start()),
                period.end(),
            )
            .await?;
        for o in observations.iter().filter(|o| {
            o.source == source
                && o.period.frequency() == period.frequency()
                && graph.representative(o.agency) == Some(own)
        }) {
            let key = (indicator.clone(), o.options.clone());
            if o.period == last_year {
                *earlier.last_year.entry(key.clone()).or_default() += o.value;
            }
            if o.period == previous {
                *earlier.previous.entry(key.clone()).or_default() += o.value;
            }
            if o.period >= year_start && o.period < period && o.period.year() == period.year() {
                *earlier.earlier_this_year.entry(key).or_default() += o.value;
            }
        }
    }
    Ok(earlier)
}
