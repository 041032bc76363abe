//! Analytics: aggregated values of indicators for agencies and periods, computed live by the
//! domain's aggregation engine over the accepted data values, with the hierarchy of any date,
//! kept in the [`crate::aggregates`] cache while the data under an answer stay the same. An
//! indicator a regime defines as derived (`100 * [XH05] / [XH06]`) is computed after
//! aggregation: its inputs are aggregated by their own rules, then its formula runs (a ratio
//! of sums, not a sum of ratios). Also the compiled totals that differ from their
//! subordinates' values ([`discrepancies`]).

use baocao_domain::agency::{AgencyCode, AgencyLevel};
use baocao_domain::aggregation::{
    AgencyGraph, AgencyKey, Gathered, Question, aggregate_every_node, aggregate_nodes_above, tidy,
    total_differences,
};
use baocao_domain::indicator::{Aggregation, Indicator, IndicatorCode};
use baocao_domain::period::PeriodId;
use baocao_domain::permission::Action;
use baocao_domain::regime::{DerivedOrder, Regime};
use baocao_domain::rollup::stand_ins;
use baocao_domain::rules::{
    Evaluated, Expr, Lookup, RuleContext, RuleInputs, Scope, compile_formula, evaluate,
};
use baocao_store::StoreError;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::aggregates::{Coverage, NodeAnswers};
use crate::catalogue::{self, CatalogueError};
use crate::{Caller, Context};

/// Past this many agencies to read value by value beside the roll-ups, the indicator's
/// values of the period are read whole instead of through a list of agencies.
const READ_BY_AGENCY: usize = 2_000;

/// The most cells one answer may hold; a bigger question should be an export.
pub const MAX_ROWS: usize = 200_000;

/// Why an analytics question (a pivot, an indicator table, an export) has no answer.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error("forbidden")]
    Forbidden,
    #[error("unknown parameter {0:?}")]
    UnknownParameter(String),
    /// A parameter of which at least one is needed.
    #[error("at least one {0} is required")]
    Required(&'static str),
    #[error("one indicator, one agency and one period are needed")]
    NotOneOfEach,
    #[error("unknown indicator {0}")]
    UnknownIndicator(String),
    #[error("unknown agency {0}")]
    UnknownAgency(String),
    #[error("agency {agency} did not exist on {date}")]
    AgencyNotOn { agency: String, date: Date },
    #[error("unknown level {0:?}")]
    InvalidLevel(String),
    #[error("unknown dimension {0:?}")]
    InvalidDimension(String),
    #[error("invalid options {0:?}")]
    InvalidOptions(String),
    #[error("the query is too large ({cells} cells, at most {max})")]
    TooLarge { cells: usize, max: usize },
    #[error("{0} rows exceed what a spreadsheet holds")]
    TooManyRowsForXlsx(usize),
    /// An SDMX key without one position per series dimension.
    #[error("the key {key:?} needs {positions} positions")]
    InvalidKey { key: String, positions: usize },
    #[error("unknown indicator table {0}")]
    UnknownTable(String),
    #[error("invalid indicator table: {0}")]
    InvalidTable(String),
    /// A table names an indicator the catalogue lacks.
    #[error("indicator {0} is not in the catalogue")]
    TableIndicatorUnknown(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AnalyticsError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Catalogue(error) => error.code(),
            Self::Forbidden => "forbidden",
            Self::UnknownParameter(_) | Self::Required(_) | Self::NotOneOfEach => "invalid_query",
            Self::UnknownIndicator(_)
            | Self::UnknownAgency(_)
            | Self::AgencyNotOn { .. }
            | Self::UnknownTable(_) => "not_found",
            Self::InvalidLevel(_) => "invalid_level",
            Self::InvalidDimension(_) => "invalid_dimension",
            Self::InvalidOptions(_) => "invalid_options",
            Self::TooLarge { .. } => "query_too_large",
            Self::TooManyRowsForXlsx(_) => "too_many_rows_for_xlsx",
            Self::InvalidTable(_) => "invalid_table",
            Self::InvalidKey { .. } => "invalid_key",
            Self::TableIndicatorUnknown(_) => "unknown_indicator",
            Self::Store(_) => "store",
        }
    }
}

/// What is asked, from a query string or a JSON body.
#[derive(Debug, Default, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnalyticsQuery {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<baocao_domain::indicator::IndicatorCode>))]
    pub indicator: Vec<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<baocao_domain::period::PeriodId>))]
    pub period: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<baocao_domain::agency::AgencyCode>))]
    pub agency: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<baocao_domain::agency::AgencyLevel>))]
    pub level: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<baocao_domain::Date>))]
    pub as_of: Option<String>,
    #[serde(default)]
    pub disaggregate: Vec<String>,
}

impl AnalyticsQuery {
    /// From `key=value` pairs where `indicator`, `period` and `disaggregate` repeat (and may
    /// also be written comma-separated).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, AnalyticsError> {
        let mut query = Self::default();
        for (key, value) in pairs {
            let many = || {
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(String::from)
                    .collect::<Vec<_>>()
            };
            match key.as_str() {
                "indicator" => query.indicator.extend(many()),
                "period" => query.period.extend(many()),
                "disaggregate" => query.disaggregate.extend(many()),
                "agency" => query.agency = Some(value),
                "level" => query.level = Some(value),
                "as_of" => query.as_of = Some(value),
                _ => return Err(AnalyticsError::UnknownParameter(key)),
            }
        }
        Ok(query)
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnalyticsRow {
    pub indicator: String,
    pub agency: String,
    pub period: String,
    pub options: serde_json::Value,
    /// Null where nothing was reported.
    pub value: Option<f64>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnalyticsAnswer {
    pub rows: Vec<AnalyticsRow>,
    pub as_of: String,
}

fn required(list: &[String], name: &'static str) -> Result<(), AnalyticsError> {
    if list.is_empty() {
        return Err(AnalyticsError::Required(name));
    }
    Ok(())
}

/// The indicators asked for that a regime defines as derived (`[[derived]]`), with their
/// checked formula and the catalogue entries of the indicators the formula reads.
async fn derived_formulas(
    context: &Context,
    asked: &[Indicator],
) -> Result<std::collections::HashMap<String, Derived>, AnalyticsError> {
    let mut formulas = std::collections::HashMap::new();
    let regimes = deriving_regimes(context).await?;
    let wanted: Vec<&str> = asked.iter().map(|i| i.code().as_str()).collect();
    if !regimes.iter().any(|r| {
        r.content()
            .derived
            .iter()
            .any(|d| wanted.contains(&d.code.as_str()))
    }) {
        return Ok(formulas);
    }
    let catalogue = crate::catalogue::Catalogue::load(&context.store).await?;
    for regime in regimes.iter() {
        for derived in &regime.content().derived {
            if !wanted.contains(&derived.code.as_str())
                || formulas.contains_key(derived.code.as_str())
            {
                continue;
            }
            let context = RuleContext {
                regime: regime.content(),
                indicators: &catalogue.indicators,
                categories: &catalogue.categories,
            };
            match compile_formula(&derived.formula, &context) {
                Ok(expr) => {
                    let inputs: Vec<Indicator> = catalogue
                        .indicators
                        .iter()
                        .filter(|i| expr.lookups().iter().any(|l| &l.cell.row == i.code()))
                        .cloned()
                        .collect();
                    formulas.insert(
                        derived.code.to_string(),
                        Derived {
                            expr,
                            inputs,
                            order: derived.order,
                        },
                    );
                }
                Err(error) => {
                    tracing::warn!(regime = %regime.code(), indicator = %derived.code, %error, "a derived formula does not compile");
                }
            }
        }
    }
    Ok(formulas)
}

/// The regimes that define derived indicators. Reading every regime is the cost of a large
/// registry (about 1,200), so they are kept until a regime version is written; the counter is
/// read first, so what is kept under it is never older than it claims.
async fn deriving_regimes(
    context: &Context,
) -> Result<std::sync::Arc<Vec<Regime>>, AnalyticsError> {
    let generation = context.store.regimes_generation().await?;
    if let Some(regimes) = context.aggregates.deriving_regimes(generation) {
        return Ok(regimes);
    }
    let regimes: Vec<Regime> = context
        .store
        .regimes(None)
        .await?
        .into_iter()
        .filter(|regime| !regime.content().derived.is_empty())
        .collect();
    let regimes = std::sync::Arc::new(regimes);
    context
        .aggregates
        .keep_deriving_regimes(generation, regimes.clone());
    Ok(regimes)
}

/// A checked analytics question: the hierarchy of its date, the agencies and periods asked,
/// the indicators with their rules and formulas. Rows come from it an indicator at a time, so
/// an export can stream a question of any size.
pub struct Plan {
    pub indicators: Vec<Indicator>,
    pub periods: Vec<PeriodId>,
    pub disaggregate: Vec<String>,
    pub as_of: jiff::civil::Date,
    pub graph: std::sync::Arc<AgencyGraph>,
    /// The hierarchy's change counter the graph was read under.
    hierarchy: i64,
    /// The change counters of the stored periods within the asked ones, read once: a cached
    /// answer stands while the counters of the periods under it are the same.
    counters: Vec<(PeriodId, i64)>,
    pub targets: Vec<AgencyKey>,
    /// The agency asked (the targets are it, or its descendants at a level).
    root: AgencyKey,
    /// Where the plan reads its values from: the primary, or a standby that keeps up.
    reader: baocao_store::Store,
    /// Whether `reader` is the primary (roll-ups are rebuilt only there).
    on_primary: bool,
    formulas: std::collections::HashMap<String, Derived>,
}

/// A derived indicator asked for: its checked formula, the catalogue entries of the
/// indicators it reads, and when it runs against aggregation.
struct Derived {
    expr: Expr,
    inputs: Vec<Indicator>,
    order: DerivedOrder,
}

/// Answers computed for a plan in one pass: (the indicator's position, period, answers).
type Computed = (usize, PeriodId, std::sync::Arc<NodeAnswers>);

/// Answers computed in one pass, by indicator code and period, for the rows to take.
type Prepared = std::collections::HashMap<(String, PeriodId), std::sync::Arc<NodeAnswers>>;

/// One indicator's question within a plan: a period, the categories to split by, and whether
/// every agency's answer is needed (not just the targets').
#[derive(Clone, Copy)]
struct Asked<'a> {
    period: PeriodId,
    disaggregate: &'a [String],
    every_agency: bool,
}

impl Plan {
    /// How many rows the question asks for (before disaggregation).
    pub fn cells(&self) -> usize {
        self.indicators.len() * self.targets.len() * self.periods.len()
    }

    /// The rows of one indicator for some of the plan's periods.
    pub async fn rows_of(
        &self,
        context: &Context,
        indicator: &Indicator,
        periods: &[PeriodId],
    ) -> Result<Vec<AnalyticsRow>, AnalyticsError> {
        self.rows_prepared(context, indicator, periods, &Prepared::new())
            .await
    }

    /// [`rows_of`](Self::rows_of), taking the answers `prepared` computed for it first.
    async fn rows_prepared(
        &self,
        context: &Context,
        indicator: &Indicator,
        periods: &[PeriodId],
        prepared: &Prepared,
    ) -> Result<Vec<AnalyticsRow>, AnalyticsError> {
        if let Some(derived) = self.formulas.get(indicator.code().as_str()) {
            return self
                .derived_rows(context, indicator.code().as_str(), derived, periods)
                .await;
        }
        let mut rows = Vec::with_capacity(periods.len() * self.targets.len());
        for period in periods {
            let asked = Asked {
                period: *period,
                disaggregate: &self.disaggregate,
                every_agency: false,
            };
            let answers = match prepared.get(&(indicator.code().to_string(), *period)) {
                Some(answers) => answers.clone(),
                None => self.answers(context, indicator, asked).await?,
            };
            for target in &self.targets {
                let code = self
                    .graph
                    .code(*target)
                    .map(ToString::to_string)
                    .unwrap_or_default();
                match answers.get(target) {
                    Some(values) if !values.is_empty() => {
                        for (options, value) in values.iter() {
                            rows.push(AnalyticsRow {
                                indicator: indicator.code().to_string(),
                                agency: code.clone(),
                                period: period.to_string(),
                                options: json!(options),
                                value: Some(tidy(*value)),
                            });
                        }
                    }
                    _ => rows.push(AnalyticsRow {
                        indicator: indicator.code().to_string(),
                        agency: code,
                        period: period.to_string(),
                        options: json!({}),
                        value: None,
                    }),
                }
            }
        }
        Ok(rows)
    }

    /// The change counter of the data under `period`: the sum of its stored periods'.
    fn token(&self, period: PeriodId) -> i64 {
        self.counters
            .iter()
            .filter(|(p, _)| p.start() >= period.start() && p.end() <= period.end())
            .map(|(_, generation)| generation)
            .sum()
    }

    /// How the answers to `indicator` are computed to cover the plan's targets at least:
    /// - agencies with subordinates only, for an indicator that adds up: from the roll-ups
    ///   (the collectors' sums stand in for their communes where they give the same answer),
    ///   only those under the agency asked when it is below a root;
    /// - some agency without subordinates, below a root: from the values of the agencies
    ///   under the one asked (its subtree and its predecessors);
    /// - else from every agency's values.
    fn coverage(&self, indicator: &Indicator, every_agency: bool) -> Coverage {
        let leaves_asked = every_agency
            || self
                .targets
                .iter()
                .any(|target| self.graph.children(*target).is_empty());
        let below_a_root = self.graph.lineage(self.root).len() > 1;
        if !leaves_asked && indicator.aggregation() == Aggregation::Sum {
            if below_a_root {
                Coverage::AboveCollectorsWithin(self.root)
            } else {
                Coverage::AboveCollectors
            }
        } else if leaves_asked && below_a_root {
            Coverage::Within(self.root)
        } else {
            Coverage::Everywhere
        }
    }

    fn cached_question(
        &self,
        indicator: &Indicator,
        period: PeriodId,
        disaggregate: &[String],
        coverage: Coverage,
    ) -> crate::aggregates::Question {
        crate::aggregates::Question {
            indicator: indicator.code().to_string(),
            aggregation: indicator.aggregation(),
            period,
            disaggregate: disaggregate.to_vec(),
            as_of: self.as_of,
            hierarchy: self.hierarchy,
            coverage,
        }
    }

    /// The kept answers to `indicator` for `period` that cover the plan's targets, if any.
    fn kept(
        &self,
        context: &Context,
        indicator: &Indicator,
        question: &Asked<'_>,
    ) -> Option<std::sync::Arc<NodeAnswers>> {
        let (period, disaggregate) = (question.period, question.disaggregate);
        let coverage = self.coverage(indicator, question.every_agency);
        let mut covering =
            vec![self.cached_question(indicator, period, disaggregate, Coverage::Everywhere)];
        if coverage != Coverage::Everywhere {
            covering.push(self.cached_question(indicator, period, disaggregate, coverage));
        }
        context
            .aggregates
            .answers_among(&covering, self.token(period))
    }

    /// The engine runs over what it is given, and its answers are kept.
    fn compute(
        &self,
        context: &Context,
        indicator: &Indicator,
        (period, disaggregate): (PeriodId, &[String]),
        coverage: Coverage,
        observations: &[baocao_domain::aggregation::Observation],
        standing_in: Option<&std::collections::HashSet<AgencyKey>>,
    ) -> std::sync::Arc<NodeAnswers> {
        let gathered = Gathered::new(&self.graph, observations);
        let question = Question {
            aggregation: indicator.aggregation(),
            period,
            disaggregate,
        };
        let answers = match standing_in {
            Some(collectors) => {
                aggregate_nodes_above(&self.graph, &gathered, &question, collectors)
            }
            None => aggregate_every_node(&self.graph, &gathered, &question),
        };
        let answers = std::sync::Arc::new(crate::aggregates::compact(answers));
        context.aggregates.keep(
            self.cached_question(indicator, period, disaggregate, coverage),
            self.token(period),
            answers.clone(),
        );
        answers
    }

    /// Computes, in one pass, the answers from roll-ups that `indicators` × `periods` need
    /// and that are not kept: the sums of every indicator and period in one read, the values
    /// they cannot stand for in another — a handful of statements for a whole pivot.
    async fn prepare_from_roll_ups(
        &self,
        context: &Context,
        indicators: &[&Indicator],
        periods: &[PeriodId],
        disaggregate: &[String],
    ) -> Result<Vec<Computed>, AnalyticsError> {
        let mut missing: Vec<(usize, PeriodId)> = Vec::new();
        let mut from_roll_ups = None;
        for (at, indicator) in indicators.iter().enumerate() {
            let coverage = self.coverage(indicator, false);
            if !matches!(
                coverage,
                Coverage::AboveCollectors | Coverage::AboveCollectorsWithin(_)
            ) || self.formulas.contains_key(indicator.code().as_str())
            {
                continue;
            }
            from_roll_ups = Some(coverage);
            for period in periods {
                let token = self.token(*period);
                if [Coverage::Everywhere, Coverage::AboveCollectors, coverage]
                    .into_iter()
                    .any(|coverage| {
                        context.aggregates.holds(
                            &self.cached_question(indicator, *period, disaggregate, coverage),
                            token,
                        )
                    })
                {
                    continue;
                }
                missing.push((at, *period));
            }
        }
        let Some(coverage) = from_roll_ups.filter(|_| !missing.is_empty()) else {
            return Ok(Vec::new());
        };
        // Below a root, only the sums under the agency asked (and its predecessors').
        let within: Option<Vec<AgencyKey>> = match coverage {
            Coverage::AboveCollectorsWithin(root) => Some(self.within(root)),
            _ => None,
        };
        let mut wanted: Vec<usize> = missing.iter().map(|(at, _)| *at).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut asked: Vec<PeriodId> = missing.iter().map(|(_, p)| *p).collect();
        asked.sort_unstable_by_key(|p| (p.start(), p.end()));
        asked.dedup();
        let codes: Vec<&IndicatorCode> = wanted.iter().map(|at| indicators[*at].code()).collect();
        let Some(cells) = crate::rollups::cells(
            context,
            &self.reader,
            self.on_primary,
            &self.graph,
            self.hierarchy,
            &codes,
            &asked,
            &self.counters,
            within.as_deref(),
        )
        .await?
        else {
            // A standby's stale roll-ups: every value instead.
            let mut computed = Vec::with_capacity(missing.len());
            for (at, period) in missing {
                let values = self
                    .reader
                    .observations(indicators[at].code(), period.start(), period.end())
                    .await?;
                let answers = self.compute(
                    context,
                    indicators[at],
                    (period, disaggregate),
                    Coverage::Everywhere,
                    &values,
                    None,
                );
                computed.push((at, period, answers));
            }
            return Ok(computed);
        };
        let mut plans = Vec::with_capacity(missing.len());
        let mut read: std::collections::BTreeSet<AgencyKey> = Default::default();
        for (at, period) in missing {
            let position = wanted.binary_search(&at).unwrap_or_default();
            let found = stand_ins(
                &self.graph,
                &cells[position],
                indicators[at].aggregation(),
                period,
            );
            read.extend(found.read.iter().copied());
            plans.push((at, position, period, found));
        }
        let start = asked
            .iter()
            .map(PeriodId::start)
            .min()
            .unwrap_or(self.as_of);
        let end = asked.iter().map(PeriodId::end).max().unwrap_or(self.as_of);
        let read: Vec<AgencyKey> = read.into_iter().collect();
        let values = if read.is_empty() {
            vec![Vec::new(); codes.len()]
        } else {
            let agencies = (read.len() <= READ_BY_AGENCY).then_some(read.as_slice());
            self.reader
                .observations_of_many(&codes, agencies, start, end)
                .await?
        };
        let mut computed = Vec::with_capacity(plans.len());
        for (at, position, period, found) in plans {
            let mut observations = found.observations;
            observations.extend(
                values[position]
                    .iter()
                    .filter(|o| {
                        found.read.contains(&o.agency)
                            && o.period.start() >= period.start()
                            && o.period.end() <= period.end()
                    })
                    .cloned(),
            );
            let answers = self.compute(
                context,
                indicators[at],
                (period, disaggregate),
                coverage,
                &observations,
                Some(&found.collectors),
            );
            computed.push((at, period, answers));
        }
        Ok(computed)
    }

    /// The agencies at or below `root` and the predecessors they carry.
    fn within(&self, root: AgencyKey) -> Vec<AgencyKey> {
        let subtree: std::collections::HashSet<AgencyKey> =
            self.graph.subtree(root).into_iter().collect();
        let mut read = self.graph.represented_by_any(&subtree);
        read.extend(subtree);
        read
    }

    /// Computes, in one pass, the answers below the agency asked that `indicators` ×
    /// `periods` need and that are not kept: the values of its subtree, every indicator and
    /// period, in one read.
    async fn prepare_within(
        &self,
        context: &Context,
        indicators: &[&Indicator],
        periods: &[PeriodId],
        disaggregate: &[String],
    ) -> Result<Vec<Computed>, AnalyticsError> {
        let mut missing: Vec<(usize, PeriodId)> = Vec::new();
        let mut root = None;
        for (at, indicator) in indicators.iter().enumerate() {
            let coverage = self.coverage(indicator, false);
            let Coverage::Within(within) = coverage else {
                continue;
            };
            if self.formulas.contains_key(indicator.code().as_str()) {
                continue;
            }
            root = Some(within);
            for period in periods {
                let token = self.token(*period);
                if ![Coverage::Everywhere, coverage]
                    .into_iter()
                    .any(|coverage| {
                        context.aggregates.holds(
                            &self.cached_question(indicator, *period, disaggregate, coverage),
                            token,
                        )
                    })
                {
                    missing.push((at, *period));
                }
            }
        }
        let Some(root) = root.filter(|_| !missing.is_empty()) else {
            return Ok(Vec::new());
        };
        let mut wanted: Vec<usize> = missing.iter().map(|(at, _)| *at).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let codes: Vec<&IndicatorCode> = wanted.iter().map(|at| indicators[*at].code()).collect();
        let start = missing.iter().map(|(_, p)| p.start()).min();
        let end = missing.iter().map(|(_, p)| p.end()).max();
        let (Some(start), Some(end)) = (start, end) else {
            return Ok(Vec::new());
        };
        let read = self.within(root);
        let values = self
            .reader
            .observations_of_many(&codes, Some(&read), start, end)
            .await?;
        let mut computed = Vec::with_capacity(missing.len());
        for (at, period) in missing {
            let position = wanted.binary_search(&at).unwrap_or_default();
            let inside: Vec<_> = values[position]
                .iter()
                .filter(|o| o.period.start() >= period.start() && o.period.end() <= period.end())
                .cloned()
                .collect();
            let answers = self.compute(
                context,
                indicators[at],
                (period, disaggregate),
                Coverage::Within(root),
                &inside,
                None,
            );
            computed.push((at, period, answers));
        }
        Ok(computed)
    }

    /// The engine's answers to one indicator and period, for at least the plan's targets:
    /// kept ones while the data under them are the same, else computed the cheapest way
    /// that covers the targets (see [`coverage`](Self::coverage)).
    async fn answers(
        &self,
        context: &Context,
        indicator: &Indicator,
        question: Asked<'_>,
    ) -> Result<std::sync::Arc<NodeAnswers>, AnalyticsError> {
        if let Some(kept) = self.kept(context, indicator, &question) {
            return Ok(kept);
        }
        let (period, disaggregate) = (question.period, question.disaggregate);
        let store = &self.reader;
        let coverage = self.coverage(indicator, question.every_agency);
        let observations = match coverage {
            Coverage::AboveCollectors | Coverage::AboveCollectorsWithin(_) => {
                let mut computed = self
                    .prepare_from_roll_ups(context, &[indicator], &[period], disaggregate)
                    .await?;
                if let Some((_, _, answers)) = computed.pop() {
                    return Ok(answers);
                }
                if let Some(kept) = self.kept(context, indicator, &question) {
                    return Ok(kept); // kept meanwhile by another request
                }
                store
                    .observations(indicator.code(), period.start(), period.end())
                    .await?
            }
            Coverage::Within(root) => {
                store
                    .observations_of(
                        indicator.code(),
                        &self.within(root),
                        period.start(),
                        period.end(),
                    )
                    .await?
            }
            Coverage::Everywhere => {
                store
                    .observations(indicator.code(), period.start(), period.end())
                    .await?
            }
        };
        let coverage = match coverage {
            Coverage::AboveCollectors | Coverage::AboveCollectorsWithin(_) => Coverage::Everywhere,
            other => other,
        };
        Ok(self.compute(
            context,
            indicator,
            (period, disaggregate),
            coverage,
            &observations,
            None,
        ))
    }

    /// A derived indicator's rows: each number its formula reads is the engine's answer for
    /// the input by its own rule, for the agency and the (shifted) period — kept and computed
    /// as any question is, from roll-ups where they stand in — then the formula runs. A
    /// missing input gives no value rather than a misleading one. With
    /// [`DerivedOrder::ComputeThenAdd`] the formula runs for each agency holding the
    /// lowest-level numbers under the target (an agency with answers and no subordinate with
    /// any), and the results are added.
    async fn derived_rows(
        &self,
        context: &Context,
        code: &str,
        derived: &Derived,
        periods: &[PeriodId],
    ) -> Result<Vec<AnalyticsRow>, AnalyticsError> {
        let lookups: Vec<Lookup> = derived
            .expr
            .lookups()
            .into_iter()
            .filter(|l| l.scope == Scope::Own)
            .collect();
        let every_agency = derived.order == DerivedOrder::ComputeThenAdd;
        let mut rows = Vec::new();
        for period in periods {
            // Every input's answers, per lookup.
            let mut inputs = Vec::with_capacity(lookups.len());
            for lookup in &lookups {
                let Some(input) = derived.inputs.iter().find(|i| i.code() == &lookup.cell.row)
                else {
                    inputs.push(None);
                    continue;
                };
                let categories: Vec<String> =
                    lookup.cell.options.clone().into_map().into_keys().collect();
                let asked = Asked {
                    period: period.back(lookup.periods_back, lookup.years_back),
                    disaggregate: &categories,
                    every_agency,
                };
                inputs.push(Some(self.answers(context, input, asked).await?));
            }
            let at = |agency: AgencyKey| -> Option<f64> {
                let mut numbers = RuleInputs::default();
                for (lookup, answers) in lookups.iter().zip(&inputs) {
                    let value = answers
                        .as_ref()?
                        .get(&agency)?
                        .iter()
                        .find(|(options, _)| options == &lookup.cell.options)?
                        .1;
                    numbers.insert(lookup.clone(), value);
                }
                match evaluate(&derived.expr, &numbers) {
                    Evaluated::Number(v) if v.is_finite() => Some(v),
                    _ => None,
                }
            };
            let answered = |agency: AgencyKey| {
                inputs
                    .iter()
                    .flatten()
                    .any(|answers| answers.contains_key(&agency))
            };
            for target in &self.targets {
                let value = match derived.order {
                    DerivedOrder::AggregateThenCompute => at(*target),
                    DerivedOrder::ComputeThenAdd => {
                        let lowest: Vec<f64> = self
                            .graph
                            .subtree(*target)
                            .into_iter()
                            .filter(|agency| {
                                answered(*agency)
                                    && !self
                                        .graph
                                        .children(*agency)
                                        .iter()
                                        .any(|child| answered(*child))
                            })
                            .filter_map(at)
                            .collect();
                        (!lowest.is_empty()).then(|| lowest.iter().sum())
                    }
                };
                rows.push(AnalyticsRow {
                    indicator: code.to_string(),
                    agency: self
                        .graph
                        .code(*target)
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    period: period.to_string(),
                    options: json!({}),
                    value: value.map(tidy),
                });
            }
        }
        Ok(rows)
    }

    /// Every row, refused past [`MAX_ROWS`] (an export streams instead).
    pub async fn rows(&self, context: &Context) -> Result<Vec<AnalyticsRow>, AnalyticsError> {
        let cells = self.cells();
        if cells > MAX_ROWS {
            return Err(AnalyticsError::TooLarge {
                cells,
                max: MAX_ROWS,
            });
        }
        let every: Vec<&Indicator> = self.indicators.iter().collect();
        let mut prepared = Prepared::new();
        for (at, period, answers) in self
            .prepare_from_roll_ups(context, &every, &self.periods, &self.disaggregate)
            .await?
            .into_iter()
            .chain(
                self.prepare_within(context, &every, &self.periods, &self.disaggregate)
                    .await?,
            )
        {
            prepared.insert((every[at].code().to_string(), period), answers);
        }
        // Looked up in one pass, and computed: misses, as a lookup one at a time counts them.
        context.aggregates.count_misses(prepared.len());
        let mut rows = Vec::with_capacity(cells);
        for indicator in &self.indicators {
            rows.extend(
                self.rows_prepared(context, indicator, &self.periods, &prepared)
                    .await?,
            );
        }
        Ok(rows)
    }
}

/// Checks a question and prepares it: a caller must be allowed to read analytics of the
/// agency asked; without one (the server's own work, such as warming the cache) nothing is
/// checked.
pub async fn plan(
    context: &Context,
    caller: Option<&Caller>,
    query: AnalyticsQuery,
) -> Result<Plan, AnalyticsError> {
    required(&query.indicator, "indicator")?;
    required(&query.period, "period")?;
    let as_of = match &query.as_of {
        Some(text) => catalogue::parse_date(text)?,
        None => context.today(),
    };
    let periods = query
        .period
        .iter()
        .map(|text| catalogue::parse_period(text))
        .collect::<Result<Vec<_>, _>>()?;
    // Many indicators are read in one query rather than one each.
    let catalogue = if query.indicator.len() > 4 {
        context.store.indicators(None).await?
    } else {
        Vec::new()
    };
    let mut indicators: Vec<Indicator> = Vec::new();
    for code in &query.indicator {
        let unknown = || AnalyticsError::UnknownIndicator(code.clone());
        let parsed = IndicatorCode::new(code.as_str()).map_err(|_| unknown())?;
        let found = match catalogue.iter().find(|i| i.code() == &parsed) {
            Some(indicator) => Some(indicator.clone()),
            None if catalogue.is_empty() => context.store.indicator(&parsed).await?,
            None => None,
        };
        indicators.push(found.ok_or_else(unknown)?);
    }
    let level = query
        .level
        .as_deref()
        .filter(|text| !text.is_empty())
        .map(|text| {
            AgencyLevel::parse(text).map_err(|_| AnalyticsError::InvalidLevel(text.to_string()))
        })
        .transpose()?;
    // Unasked, the agency is where the caller's analytics open (the whole country for those
    // who read it, their own scope for the others).
    let home = match (&query.agency, caller) {
        (None, Some(caller)) => crate::scope::home_agency(context, caller).await?,
        _ => None,
    };
    let agency_text = query
        .agency
        .as_deref()
        .or(home.as_ref().map(AgencyCode::as_str))
        .unwrap_or("VN");
    let agency = AgencyCode::new(agency_text)
        .map_err(|_| AnalyticsError::UnknownAgency(agency_text.to_string()))?;

    let lineage = context.store.lineage(&agency, as_of).await?;
    if lineage.is_empty() {
        return Err(AnalyticsError::AgencyNotOn {
            agency: agency.to_string(),
            date: as_of,
        });
    }
    if let Some(caller) = caller
        && !caller.may(Action::ReadAnalytics { agency: &lineage })
        && !crate::scope::analytics_scope(context, caller)
            .await?
            .covers(&lineage)
    {
        return Err(AnalyticsError::Forbidden);
    }

    // Everything the answer is computed from is read from one database, the standby while
    // it keeps up.
    let (reader, on_primary) = context.analytics_store().await;
    let hierarchy = reader.hierarchy_generation().await?;
    let (graph, hierarchy) =
        crate::aggregates::agency_graph_from(context, &reader, hierarchy, as_of).await?;
    let root = graph
        .find(&agency)
        .ok_or_else(|| AnalyticsError::AgencyNotOn {
            agency: agency.to_string(),
            date: as_of,
        })?;
    let targets = match level {
        Some(level) => graph.descendants_at(root, level),
        None => vec![root],
    };
    let formulas = derived_formulas(context, &indicators).await?;
    let start = periods.iter().map(PeriodId::start).min().unwrap_or(as_of);
    let end = periods.iter().map(PeriodId::end).max().unwrap_or(as_of);
    let counters = reader
        .period_generations(start, end)
        .await?
        .into_iter()
        .filter_map(|(code, generation)| Some((PeriodId::parse(&code).ok()?, generation)))
        .collect();
    Ok(Plan {
        indicators,
        periods,
        disaggregate: query.disaggregate,
        as_of,
        graph,
        hierarchy,
        counters,
        targets,
        root,
        formulas,
        reader,
        on_primary,
    })
}

/// The rows of an analytics question, for the API and the dashboard pages alike.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username))]
pub async fn answer(
    context: &Context,
    caller: &Caller,
    query: AnalyticsQuery,
) -> Result<AnalyticsAnswer, AnalyticsError> {
    let plan = plan(context, Some(caller), query).await?;
    Ok(AnalyticsAnswer {
        rows: plan.rows(context).await?,
        as_of: plan.as_of.to_string(),
    })
}

/// A compiled total that differs from its subordinates' combined values.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiscrepancyRow {
    pub indicator: String,
    pub agency: String,
    pub period: String,
    pub options: serde_json::Value,
    /// The agency's own value, which the aggregates use.
    pub reported: f64,
    /// What its subordinates' values combine to by the indicator's rule.
    pub subordinates: f64,
    pub difference: f64,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiscrepancyAnswer {
    pub discrepancies: Vec<DiscrepancyRow>,
    pub as_of: String,
}

/// Every agency within the one asked (or its descendants at `level`, and theirs) whose
/// compiled total differs from its subordinates' values combined, per indicator, period and
/// option group — the totals stand in the aggregates, the differences are for a reviewer to
/// explain.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username))]
pub async fn discrepancies(
    context: &Context,
    caller: &Caller,
    query: AnalyticsQuery,
) -> Result<DiscrepancyAnswer, AnalyticsError> {
    let plan = plan(context, Some(caller), query).await?;
    let within: std::collections::HashSet<AgencyKey> = plan
        .targets
        .iter()
        .flat_map(|target| plan.graph.subtree(*target))
        .collect();
    let mut rows = Vec::new();
    for indicator in &plan.indicators {
        if plan.formulas.contains_key(indicator.code().as_str()) {
            continue; // computed, never reported: no compiled totals
        }
        for period in &plan.periods {
            let observations = context
                .store
                .observations(indicator.code(), period.start(), period.end())
                .await?;
            let gathered = Gathered::new(&plan.graph, &observations);
            let question = Question {
                aggregation: indicator.aggregation(),
                period: *period,
                disaggregate: &plan.disaggregate,
            };
            for found in total_differences(&plan.graph, &gathered, &question) {
                if !within.contains(&found.agency) {
                    continue;
                }
                rows.push(DiscrepancyRow {
                    indicator: indicator.code().to_string(),
                    agency: plan
                        .graph
                        .code(found.agency)
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    period: period.to_string(),
                    options: json!(found.options),
                    reported: found.reported,
                    subordinates: found.subordinates,
                    difference: found.reported - found.subordinates,
                });
            }
        }
    }
    Ok(DiscrepancyAnswer {
        discrepancies: rows,
        as_of: plan.as_of.to_string(),
    })
}
