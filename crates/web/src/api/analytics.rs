//! `GET /api/v1/analytics` (and `POST` for a query too long for a URL): aggregated values
//! of indicators for agencies and periods, computed live by the domain's aggregation engine
//! over the accepted data values, with the hierarchy of any date. An indicator a regime
//! defines as derived (`100 * [XH05] / [XH06]`) is computed after aggregation: its inputs are
//! aggregated by their own rules, then its formula runs (a ratio of sums, not a sum of ratios).

use axum::Json;
use axum::extract::State;
use baocao_domain::agency::{AgencyCode, AgencyLevel};
use baocao_domain::aggregation::{
    AgencyGraph, AgencyKey, Gathered, Question, aggregate, aggregate_every_node, total_differences,
};
use baocao_domain::indicator::{Indicator, IndicatorCode};
use baocao_domain::period::PeriodId;
use baocao_domain::permission::Action;
use baocao_domain::regime::Regime;
use baocao_domain::rules::{
    Evaluated, Expr, Lookup, RuleContext, RuleInputs, Scope, compile_formula, evaluate,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::doc;
use crate::AppState;
use crate::auth::{ApiJson, ApiQuery, Caller};
use crate::error::ApiError;
use crate::extract::{parse_date, parse_period};

/// The most cells one answer may hold; a bigger question should be an export.
const MAX_ROWS: usize = 200_000;

/// What is asked, from a query string or a JSON body.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct AnalyticsQuery {
    #[serde(default)]
    #[schema(value_type = Vec<baocao_domain::indicator::IndicatorCode>)]
    pub(crate) indicator: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Vec<baocao_domain::period::PeriodId>)]
    pub(crate) period: Vec<String>,
    #[schema(value_type = Option<baocao_domain::agency::AgencyCode>)]
    pub(crate) agency: Option<String>,
    #[schema(value_type = Option<baocao_domain::agency::AgencyLevel>)]
    pub(crate) level: Option<String>,
    #[schema(value_type = Option<baocao_domain::Date>)]
    pub(crate) as_of: Option<String>,
    #[serde(default)]
    pub(crate) disaggregate: Vec<String>,
}

impl AnalyticsQuery {
    /// From `key=value` pairs where `indicator`, `period` and `disaggregate` repeat (and may
    /// also be written comma-separated).
    pub(crate) fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, ApiError> {
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
                other => {
                    return Err(ApiError::bad_request(
                        "invalid_query",
                        format!("Tham số {other:?} không được hỗ trợ."),
                        format!("Unknown parameter {other:?}."),
                    ));
                }
            }
        }
        Ok(query)
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AnalyticsRow {
    pub indicator: String,
    pub agency: String,
    pub period: String,
    pub options: serde_json::Value,
    /// Null where nothing was reported.
    pub value: Option<f64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AnalyticsAnswer {
    pub rows: Vec<AnalyticsRow>,
    pub as_of: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/analytics",
    tag = "Analytics",
    operation_id = "get_api_v1_analytics",
    summary = "Aggregated values of indicators for agencies and periods (live).",
    params(
        doc::AnalyticsSelection,
    ),
    responses(
        (status = 200, description = "OK", body = AnalyticsAnswer),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> Result<Json<AnalyticsAnswer>, ApiError> {
    Ok(Json(
        answer(&state, &caller, AnalyticsQuery::from_pairs(pairs)?).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/analytics",
    tag = "Analytics",
    operation_id = "post_api_v1_analytics",
    summary = "The same question as JSON, for queries too long for a URL.",
    request_body(content = AnalyticsQuery, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = AnalyticsAnswer),
    ),
)]
pub async fn post(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(query): ApiJson<AnalyticsQuery>,
) -> Result<Json<AnalyticsAnswer>, ApiError> {
    Ok(Json(answer(&state, &caller, query).await?))
}

fn required(list: &[String], name: &str) -> Result<(), ApiError> {
    if list.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("Cần ít nhất một tham số {name}."),
            format!("At least one {name} is required."),
        ));
    }
    Ok(())
}

/// The indicators asked for that a regime defines as derived (`[[derived]]`), with their
/// checked formula and the catalogue entries of the indicators the formula reads.
async fn derived_formulas(
    state: &AppState,
    asked: &[Indicator],
) -> Result<std::collections::HashMap<String, (Expr, Vec<Indicator>)>, ApiError> {
    let mut formulas = std::collections::HashMap::new();
    let regimes = deriving_regimes(state).await?;
    let wanted: Vec<&str> = asked.iter().map(|i| i.code().as_str()).collect();
    if !regimes.iter().any(|r| {
        r.content()
            .derived
            .iter()
            .any(|d| wanted.contains(&d.code.as_str()))
    }) {
        return Ok(formulas);
    }
    let catalogue = baocao_service::catalogue::Catalogue::load(&state.store).await?;
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
                    formulas.insert(derived.code.to_string(), (expr, inputs));
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
async fn deriving_regimes(state: &AppState) -> Result<std::sync::Arc<Vec<Regime>>, ApiError> {
    let generation = state.store.regimes_generation().await?;
    if let Some(regimes) = state.aggregates.deriving_regimes(generation) {
        return Ok(regimes);
    }
    let regimes: Vec<Regime> = state
        .store
        .regimes(None)
        .await?
        .into_iter()
        .filter(|regime| !regime.content().derived.is_empty())
        .collect();
    let regimes = std::sync::Arc::new(regimes);
    state
        .aggregates
        .keep_deriving_regimes(generation, regimes.clone());
    Ok(regimes)
}

/// What derived indicators are evaluated over: the question's graph, agencies and periods.
struct DerivedContext<'a> {
    state: &'a AppState,
    graph: &'a AgencyGraph,
    targets: &'a [AgencyKey],
    periods: &'a [PeriodId],
}

impl DerivedContext<'_> {
    /// A derived indicator is computed after aggregation: each number its formula reads is
    /// aggregated by its own rule for the agency and (shifted) period, then the formula runs.
    /// A missing input gives no value rather than a misleading one.
    async fn evaluate(
        &self,
        code: &str,
        expr: &Expr,
        inputs: &[Indicator],
    ) -> Result<Vec<AnalyticsRow>, ApiError> {
        let lookups: Vec<Lookup> = expr
            .lookups()
            .into_iter()
            .filter(|l| l.scope == Scope::Own)
            .collect();
        let start = self
            .periods
            .iter()
            .flat_map(|p| {
                lookups
                    .iter()
                    .map(move |l| p.back(l.periods_back, l.years_back).start())
            })
            .min()
            .unwrap_or(self.graph.date());
        let end = self
            .periods
            .iter()
            .map(PeriodId::end)
            .max()
            .unwrap_or(self.graph.date());
        let mut observed = std::collections::HashMap::new();
        for input in inputs {
            observed.insert(
                input.code().to_string(),
                self.state
                    .store
                    .observations(input.code(), start, end)
                    .await?,
            );
        }
        let gathered: std::collections::HashMap<&str, Gathered> = observed
            .iter()
            .map(|(code, list)| (code.as_str(), Gathered::new(self.graph, list)))
            .collect();
        let mut rows = Vec::new();
        for period in self.periods {
            for target in self.targets {
                let mut numbers = RuleInputs::default();
                let mut complete = true;
                for lookup in &lookups {
                    let input = inputs.iter().find(|i| i.code() == &lookup.cell.row);
                    let found = gathered.get(lookup.cell.row.as_str());
                    let (Some(input), Some(found)) = (input, found) else {
                        complete = false;
                        break;
                    };
                    let categories: Vec<String> =
                        lookup.cell.options.clone().into_map().into_keys().collect();
                    let question = Question {
                        aggregation: input.aggregation(),
                        period: period.back(lookup.periods_back, lookup.years_back),
                        disaggregate: &categories,
                    };
                    match aggregate(self.graph, found, *target, &question).get(&lookup.cell.options)
                    {
                        Some(value) => numbers.insert(lookup.clone(), *value),
                        None => {
                            complete = false;
                            break;
                        }
                    }
                }
                let value = match complete.then(|| evaluate(expr, &numbers)) {
                    Some(Evaluated::Number(v)) if v.is_finite() => Some(v),
                    _ => None,
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
                    value,
                });
            }
        }
        Ok(rows)
    }
}

/// A checked analytics question: the hierarchy of its date, the agencies and periods asked,
/// the indicators with their rules and formulas. Rows come from it an indicator at a time, so
/// an export can stream a question of any size.
pub(crate) struct Plan {
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
    formulas: std::collections::HashMap<String, (Expr, Vec<Indicator>)>,
}

impl Plan {
    /// How many rows the question asks for (before disaggregation).
    pub fn cells(&self) -> usize {
        self.indicators.len() * self.targets.len() * self.periods.len()
    }

    /// The rows of one indicator for some of the plan's periods.
    pub async fn rows_of(
        &self,
        state: &AppState,
        indicator: &Indicator,
        periods: &[PeriodId],
    ) -> Result<Vec<AnalyticsRow>, ApiError> {
        if let Some((expr, inputs)) = self.formulas.get(indicator.code().as_str()) {
            let context = DerivedContext {
                state,
                graph: &self.graph,
                targets: &self.targets,
                periods,
            };
            return context
                .evaluate(indicator.code().as_str(), expr, inputs)
                .await;
        }
        let counters = &self.counters;
        let mut rows = Vec::with_capacity(periods.len() * self.targets.len());
        for period in periods {
            let token: i64 = counters
                .iter()
                .filter(|(p, _)| p.start() >= period.start() && p.end() <= period.end())
                .map(|(_, generation)| generation)
                .sum();
            let cached = crate::aggregates::Question {
                indicator: indicator.code().to_string(),
                aggregation: indicator.aggregation(),
                period: *period,
                disaggregate: self.disaggregate.clone(),
                as_of: self.as_of,
                hierarchy: self.hierarchy,
            };
            let answers = match state.aggregates.answers(&cached, token) {
                Some(answers) => answers,
                None => {
                    // Only the data of this period: after an acceptance, only the periods it
                    // changed are read again.
                    let observations = state
                        .store
                        .observations(indicator.code(), period.start(), period.end())
                        .await?;
                    let gathered = Gathered::new(&self.graph, &observations);
                    let question = Question {
                        aggregation: indicator.aggregation(),
                        period: *period,
                        disaggregate: &self.disaggregate,
                    };
                    let answers = std::sync::Arc::new(crate::aggregates::compact(
                        aggregate_every_node(&self.graph, &gathered, &question),
                    ));
                    state.aggregates.keep(cached, token, answers.clone());
                    answers
                }
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
                                value: Some(*value),
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

    /// Every row, refused past [`MAX_ROWS`] (an export streams instead).
    pub async fn rows(&self, state: &AppState) -> Result<Vec<AnalyticsRow>, ApiError> {
        let cells = self.cells();
        if cells > MAX_ROWS {
            return Err(ApiError::bad_request(
                "query_too_large",
                format!(
                    "Truy vấn quá lớn ({cells} ô, tối đa {MAX_ROWS}); hãy dùng chức năng xuất dữ liệu."
                ),
                format!(
                    "The query is too large ({cells} cells, at most {MAX_ROWS}); use an export."
                ),
            ));
        }
        let mut rows = Vec::with_capacity(cells);
        for indicator in &self.indicators {
            rows.extend(self.rows_of(state, indicator, &self.periods).await?);
        }
        Ok(rows)
    }
}

/// Checks a question and prepares it: the caller must read analytics of the agency asked.
pub(crate) async fn plan(
    state: &AppState,
    caller: &Caller,
    query: AnalyticsQuery,
) -> Result<Plan, ApiError> {
    prepare(state, Some(caller), query).await
}

/// [`plan`] for the server's own work (keeping the cache warm): no caller, no permission.
pub(crate) async fn plan_for_server(
    state: &AppState,
    query: AnalyticsQuery,
) -> Result<Plan, ApiError> {
    prepare(state, None, query).await
}

async fn prepare(
    state: &AppState,
    caller: Option<&Caller>,
    query: AnalyticsQuery,
) -> Result<Plan, ApiError> {
    required(&query.indicator, "indicator")?;
    required(&query.period, "period")?;
    let as_of = match &query.as_of {
        Some(text) => parse_date(text)?,
        None => state.today(),
    };
    let periods = query
        .period
        .iter()
        .map(|text| parse_period(text))
        .collect::<Result<Vec<_>, _>>()?;
    // Many indicators are read in one query rather than one each.
    let catalogue = if query.indicator.len() > 4 {
        state.store.indicators(None).await?
    } else {
        Vec::new()
    };
    let mut indicators: Vec<Indicator> = Vec::new();
    for code in &query.indicator {
        let unknown =
            || ApiError::not_found(&format!("chỉ tiêu {code}"), &format!("indicator {code}"));
        let parsed = IndicatorCode::new(code.as_str()).map_err(|_| unknown())?;
        let found = match catalogue.iter().find(|i| i.code() == &parsed) {
            Some(indicator) => Some(indicator.clone()),
            None if catalogue.is_empty() => state.store.indicator(&parsed).await?,
            None => None,
        };
        indicators.push(found.ok_or_else(unknown)?);
    }
    let level = query
        .level
        .as_deref()
        .filter(|text| !text.is_empty())
        .map(|text| {
            AgencyLevel::parse(text).map_err(|_| {
                ApiError::bad_request(
                    "invalid_level",
                    format!("Cấp {text:?} không hợp lệ (national, ministry, province, department, commune)."),
                    format!("Unknown level {text:?} (national, ministry, province, department, commune)."),
                )
            })
        })
        .transpose()?;
    let agency_text = query.agency.as_deref().unwrap_or("VN");
    let agency = AgencyCode::new(agency_text).map_err(|_| {
        ApiError::not_found(
            &format!("cơ quan {agency_text}"),
            &format!("agency {agency_text}"),
        )
    })?;

    let lineage = state.store.lineage(&agency, as_of).await?;
    if lineage.is_empty() {
        return Err(ApiError::not_found(
            &format!("cơ quan {agency} vào ngày {as_of}"),
            &format!("agency {agency} on {as_of}"),
        ));
    }
    if let Some(caller) = caller {
        caller.require(Action::ReadAnalytics { agency: &lineage })?;
    }

    let (graph, hierarchy) = crate::aggregates::agency_graph(state, as_of).await?;
    let root = graph.find(&agency).ok_or_else(|| {
        ApiError::not_found(
            &format!("cơ quan {agency} vào ngày {as_of}"),
            &format!("agency {agency} on {as_of}"),
        )
    })?;
    let targets = match level {
        Some(level) => graph.descendants_at(root, level),
        None => vec![root],
    };
    let formulas = derived_formulas(state, &indicators).await?;
    let start = periods.iter().map(PeriodId::start).min().unwrap_or(as_of);
    let end = periods.iter().map(PeriodId::end).max().unwrap_or(as_of);
    let counters = state
        .store
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
        formulas,
    })
}

/// The rows of an analytics question, for the API and the dashboard pages alike.
pub(crate) async fn answer(
    state: &AppState,
    caller: &Caller,
    query: AnalyticsQuery,
) -> Result<AnalyticsAnswer, ApiError> {
    let plan = plan(state, caller, query).await?;
    Ok(AnalyticsAnswer {
        rows: plan.rows(state).await?,
        as_of: plan.as_of.to_string(),
    })
}

/// A compiled total that differs from its subordinates' combined values.
#[derive(Debug, Serialize, utoipa::ToSchema)]
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

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DiscrepancyAnswer {
    pub discrepancies: Vec<DiscrepancyRow>,
    pub as_of: String,
}

/// `GET /api/v1/analytics/discrepancies` (the analytics parameters): every agency within the
/// one asked (or its descendants at `level`, and theirs) whose compiled total differs from its
/// subordinates' values combined, per indicator, period and option group — the totals stand
/// in the aggregates, the differences are for a reviewer to explain.
#[utoipa::path(
    get,
    path = "/api/v1/analytics/discrepancies",
    tag = "Analytics",
    operation_id = "get_api_v1_analytics_discrepancies",
    summary = "Compiled totals that differ from their subordinates' combined values (the agency asked and everything below it, or below its descendants at level): reported, subordinates, difference.",
    params(
        doc::AnalyticsSelection,
    ),
    responses(
        (status = 200, description = "OK", body = DiscrepancyAnswer),
    ),
)]
pub async fn discrepancies(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> Result<Json<DiscrepancyAnswer>, ApiError> {
    let plan = plan(&state, &caller, AnalyticsQuery::from_pairs(pairs)?).await?;
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
            let observations = state
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
    Ok(Json(DiscrepancyAnswer {
        discrepancies: rows,
        as_of: plan.as_of.to_string(),
    }))
}
