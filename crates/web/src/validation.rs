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
