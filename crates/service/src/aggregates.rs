//! The analytics cache: the aggregation engine's answer for every agency at once, per
//! question — (indicator and its rule, period, disaggregation, hierarchy date) — kept in
//! memory for as long as the data under it stay the same.
//!
//! # Why it is correct
//! Every change to the data of a period (values written or withdrawn when a report is
//! accepted, returned or reopened, a push, a source marked authoritative) raises that period's
//! counter in the same transaction (`periods.generation`); every change to the hierarchy
//! raises the hierarchy's counter. An answer is stored with the sum of the counters of the
//! periods it covers and the hierarchy counter it was computed under; a read first fetches the
//! counters (one indexed query), so a stale answer is never served — an accepted number is in
//! every aggregate on the next read, and only the questions over the changed period are
//! recomputed, not a rebuild. The counters live in the database, so several servers behind a
//! load balancer each keep their own cache and stay right.
//!
//! # Why it is fast
//! A question over the whole country reads its values once and walks the hierarchy once
//! ([`aggregate_every_node`](baocao_domain::aggregation::aggregate_every_node)); every later
//! question of the same indicator and period — any agency, any level — is a lookup. The cache
//! holds at most [`BUDGET`] answers (agency × option group), the least recently used leaving
//! first.
//!
//! # Knowing in advance
//! The saved indicator tables say what people will ask. `warm_tables` (in the web edge) asks every table's
//! question, so the first reader of a table finds it computed; the server runs it at start
//! and every minute, which after an acceptance recomputes just the changed periods of the
//! tables that cover them, and costs a few counter reads when nothing changed.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use baocao_domain::Date;
use baocao_domain::aggregation::{AgencyGraph, AgencyKey, Observation};
use baocao_domain::holidays::HolidayCalendar;
use baocao_domain::indicator::Aggregation;
use baocao_domain::period::PeriodId;
use baocao_domain::regime::Regime;
use baocao_domain::value::OptionCombo;

/// The most (agency, option group) answers kept — about a hundred bytes each, so some
/// 400 MB at most: the national benchmark's three questions over 200 indicators (2.8 million
/// answers) fit.
pub const BUDGET: usize = 4_000_000;
/// The most observations kept for outlier checks (some 100 bytes each).
const OBSERVATIONS_BUDGET: usize = 2_000_000;
/// The most (regime, date) versions kept.
const REGIMES: usize = 4_096;
/// The most regimes' assignment maps kept (one per regime and period being reported on).
const RECEIVER_MAPS: usize = 256;
/// The most hierarchies kept (one per date asked about).
const GRAPHS: usize = 16;

/// Each reporting agency's receiving agency, for one regime and period.
pub type Receivers = HashMap<baocao_domain::agency::AgencyCode, baocao_domain::agency::AgencyCode>;

/// Receivers kept under the counters `(regimes, hierarchy)`.
type KeptReceivers = ((i64, i64), Arc<Receivers>);

/// Every agency's answer to one question: its value per option group. A boxed slice rather
/// than a map: a map allocates a whole node for the one total most agencies have.
pub type NodeAnswers = HashMap<AgencyKey, Box<[(OptionCombo, f64)]>>;

/// The engine's answers in the cache's compact form.
pub fn compact(answers: HashMap<AgencyKey, BTreeMap<OptionCombo, f64>>) -> NodeAnswers {
    answers
        .into_iter()
        .map(|(agency, values)| (agency, values.into_iter().collect()))
        .collect()
}

/// A question the cache answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Question {
    pub indicator: String,
    pub aggregation: Aggregation,
    pub period: PeriodId,
    pub disaggregate: Vec<String>,
    pub as_of: Date,
    pub hierarchy: i64,
    /// Which agencies the kept answers cover.
    pub coverage: Coverage,
}

/// Which agencies' answers an entry of the cache holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coverage {
    /// Every agency's.
    Everywhere,
    /// Every agency's but the subordinates of collectors whose roll-ups stood in for them
    /// (so every agency with subordinates of its own).
    AboveCollectors,
    /// [`AboveCollectors`](Self::AboveCollectors)' at or below one agency.
    AboveCollectorsWithin(AgencyKey),
    /// Those at or below one agency.
    Within(AgencyKey),
}

/// What was kept under a counter's value, if the counter still has it.
fn kept_under<T: Clone>(slot: &Option<(i64, T)>, counter: i64) -> Option<T> {
    match slot {
        Some((kept, value)) if *kept == counter => Some(value.clone()),
        _ => None,
    }
}

/// An indicator's values between two dates.
type Span = (String, Date, Date);

struct Cached {
    token: i64,
    answers: Arc<NodeAnswers>,
    size: usize,
    last_used: u64,
}

#[derive(Default)]
struct Inner {
    graphs: HashMap<(Date, i64), (Arc<AgencyGraph>, u64)>,
    /// The edition of the hierarchy a date falls in, under the hierarchy's counter.
    editions: HashMap<Date, (i64, Date)>,
    /// The regimes that define derived indicators, under the regimes' change counter.
    deriving_regimes: Option<(i64, Arc<Vec<Regime>>)>,
    /// The indicators and categories, under the catalogue's change counter.
    catalogue: Option<(i64, Arc<crate::catalogue::Catalogue>)>,
    /// The holiday calendar with the deployment's changes, under the calendar's counter.
    holidays: Option<(i64, Arc<HolidayCalendar>)>,
    /// The version of a regime in force on a date, under the regimes' change counter.
    regimes: HashMap<(String, Date), (i64, Arc<Regime>)>,
    /// Who receives each agency's report of a regime for a period, under the regimes' and
    /// the hierarchy's change counters (assignments change with either).
    receivers: HashMap<(String, PeriodId), KeptReceivers>,
    answers: HashMap<Question, Cached>,
    size: usize,
    /// Accepted values of one indicator over a span of dates, under the span's token.
    observations: HashMap<Span, (i64, Arc<Vec<Observation>>)>,
    observations_size: usize,
    clock: u64,
    /// Answers computed and kept since the server started.
    computed: u64,
    /// Questions looked up since the start: found under the same data, or not.
    hits: u64,
    misses: u64,
}

/// Shared by every request of a server.
#[derive(Default)]
pub struct AggregateCache {
    inner: Mutex<Inner>,
}

/// How much the cache holds, for the benchmark's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheSize {
    pub questions: usize,
    pub answers: usize,
    /// Questions computed since the start (a hit does not count).
    pub computed: u64,
    /// Questions looked up since the start, found under the same data or not.
    pub hits: u64,
    pub misses: u64,
}

impl AggregateCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere cannot leave the maps inconsistent: every change is one insert
        // or remove.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The regimes defining derived indicators, if kept under the regimes' counter `generation`.
    pub fn deriving_regimes(&self, generation: i64) -> Option<Arc<Vec<Regime>>> {
        kept_under(&self.lock().deriving_regimes, generation)
    }

    pub fn keep_deriving_regimes(&self, generation: i64, regimes: Arc<Vec<Regime>>) {
        self.lock().deriving_regimes = Some((generation, regimes));
    }

    /// The catalogue, if kept under the catalogue's counter `generation`.
    pub fn catalogue(&self, generation: i64) -> Option<Arc<crate::catalogue::Catalogue>> {
        kept_under(&self.lock().catalogue, generation)
    }

    pub fn keep_catalogue(&self, generation: i64, catalogue: Arc<crate::catalogue::Catalogue>) {
        self.lock().catalogue = Some((generation, catalogue));
    }

    /// The holiday calendar, if kept under the calendar's counter `generation`.
    pub fn holidays(&self, generation: i64) -> Option<Arc<HolidayCalendar>> {
        kept_under(&self.lock().holidays, generation)
    }

    pub fn keep_holidays(&self, generation: i64, holidays: Arc<HolidayCalendar>) {
        self.lock().holidays = Some((generation, holidays));
    }

    /// The version of `code` in force on `date`, if kept under the regimes' counter.
    pub fn regime(&self, code: &str, date: Date, generation: i64) -> Option<Arc<Regime>> {
        kept_under(
            &self.lock().regimes.get(&(code.to_string(), date)).cloned(),
            generation,
        )
    }

    pub fn keep_regime(&self, code: &str, date: Date, generation: i64, regime: Arc<Regime>) {
        let mut inner = self.lock();
        // Kept for the periods being reported on: a few thousand at most, else start over.
        if inner.regimes.len() >= REGIMES {
            inner.regimes.clear();
        }
        inner.regimes.retain(|_, (kept, _)| *kept == generation);
        inner
            .regimes
            .insert((code.to_string(), date), (generation, regime));
    }

    /// Who receives each agency's report of `regime` for `period`, if kept under the
    /// counters `(regimes, hierarchy)`.
    pub fn receivers(
        &self,
        regime: &str,
        period: PeriodId,
        counters: (i64, i64),
    ) -> Option<Arc<Receivers>> {
        match self.lock().receivers.get(&(regime.to_string(), period)) {
            Some((kept, receivers)) if *kept == counters => Some(receivers.clone()),
            _ => None,
        }
    }

    pub fn keep_receivers(
        &self,
        regime: &str,
        period: PeriodId,
        counters: (i64, i64),
        receivers: Arc<Receivers>,
    ) {
        let mut inner = self.lock();
        inner.receivers.retain(|_, (kept, _)| *kept == counters);
        if inner.receivers.len() >= RECEIVER_MAPS {
            inner.receivers.clear();
        }
        inner
            .receivers
            .insert((regime.to_string(), period), (counters, receivers));
    }

    /// The edition of the hierarchy `date` falls in, if kept under the hierarchy counter.
    pub fn edition(&self, date: Date, generation: i64) -> Option<Date> {
        match self.lock().editions.get(&date) {
            Some((kept, edition)) if *kept == generation => Some(*edition),
            _ => None,
        }
    }

    pub fn keep_edition(&self, date: Date, generation: i64, edition: Date) {
        let mut inner = self.lock();
        inner.editions.retain(|_, (kept, _)| *kept == generation);
        if inner.editions.len() >= GRAPHS {
            inner.editions.clear();
        }
        inner.editions.insert(date, (generation, edition));
    }

    /// The hierarchy of `date` under the hierarchy counter `generation`, if kept.
    pub fn graph(&self, date: Date, generation: i64) -> Option<Arc<AgencyGraph>> {
        let mut inner = self.lock();
        inner.clock += 1;
        let now = inner.clock;
        let (graph, used) = inner.graphs.get_mut(&(date, generation))?;
        *used = now;
        Some(graph.clone())
    }

    pub fn keep_graph(&self, date: Date, generation: i64, graph: Arc<AgencyGraph>) {
        let mut inner = self.lock();
        inner.clock += 1;
        let now = inner.clock;
        inner.graphs.retain(|(_, g), _| *g == generation);
        if inner.graphs.len() >= GRAPHS
            && let Some(oldest) = inner
                .graphs
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(key, _)| *key)
        {
            inner.graphs.remove(&oldest);
        }
        inner.graphs.insert((date, generation), (graph, now));
    }

    /// `indicator`'s accepted values between `start` and `end`, if kept under `token`.
    fn observations(&self, key: &Span, token: i64) -> Option<Arc<Vec<Observation>>> {
        kept_under(&self.lock().observations.get(key).cloned(), token)
    }

    fn keep_observations(&self, key: Span, token: i64, found: Arc<Vec<Observation>>) {
        if found.len() > OBSERVATIONS_BUDGET {
            return;
        }
        let mut inner = self.lock();
        if let Some((_, old)) = inner.observations.remove(&key) {
            inner.observations_size -= old.len();
        }
        // Spans are few (an indicator's two years before a period): past the budget the
        // oldest-keyed go first, and later periods are the ones asked about.
        while inner.observations_size + found.len() > OBSERVATIONS_BUDGET {
            let Some(first) = inner
                .observations
                .keys()
                .min_by_key(|(_, _, end)| *end)
                .cloned()
            else {
                break;
            };
            if let Some((_, old)) = inner.observations.remove(&first) {
                inner.observations_size -= old.len();
            }
        }
        inner.observations_size += found.len();
        inner.observations.insert(key, (token, found));
    }

    /// The answers to `question` if kept under the same data (`token`).
    pub fn answers(&self, question: &Question, token: i64) -> Option<Arc<NodeAnswers>> {
        self.answers_among(std::slice::from_ref(question), token)
    }

    /// Counts questions looked up in one pass (`holds`) and not found.
    pub fn count_misses(&self, count: usize) {
        self.lock().misses += count as u64;
    }

    /// Whether the answers to `question` are kept under the same data (`token`), without
    /// counting a lookup.
    pub fn holds(&self, question: &Question, token: i64) -> bool {
        self.lock()
            .answers
            .get(question)
            .is_some_and(|cached| cached.token == token)
    }

    /// The first of `questions` (the same question, kept for different scopes) kept under
    /// the same data (`token`); one lookup as the statistics count it.
    pub fn answers_among(&self, questions: &[Question], token: i64) -> Option<Arc<NodeAnswers>> {
        let mut inner = self.lock();
        inner.clock += 1;
        let now = inner.clock;
        let mut found = None;
        for question in questions {
            if let Some(cached) = inner.answers.get_mut(question)
                && cached.token == token
            {
                cached.last_used = now;
                found = Some(cached.answers.clone());
                break;
            }
        }
        if found.is_some() {
            inner.hits += 1;
        } else {
            inner.misses += 1;
        }
        found
    }

    pub fn keep(&self, question: Question, token: i64, answers: Arc<NodeAnswers>) {
        let size: usize = answers.values().map(|v| v.len()).sum::<usize>().max(1);
        if size > BUDGET {
            return;
        }
        let mut inner = self.lock();
        inner.clock += 1;
        let now = inner.clock;
        if let Some(old) = inner.answers.remove(&question) {
            inner.size -= old.size;
        }
        while inner.size + size > BUDGET {
            let Some(oldest) = inner
                .answers
                .iter()
                .min_by_key(|(_, c)| c.last_used)
                .map(|(q, _)| q.clone())
            else {
                break;
            };
            if let Some(old) = inner.answers.remove(&oldest) {
                inner.size -= old.size;
            }
        }
        inner.size += size;
        inner.computed += 1;
        inner.answers.insert(
            question,
            Cached {
                token,
                answers,
                size,
                last_used: now,
            },
        );
    }

    /// Forgets every kept answer and hierarchy, as a restart would (what the database keeps,
    /// the roll-ups, stays).
    pub fn forget_answers(&self) {
        let mut inner = self.lock();
        inner.answers.clear();
        inner.size = 0;
        inner.graphs.clear();
        inner.editions.clear();
        inner.observations.clear();
        inner.observations_size = 0;
    }

    pub fn size(&self) -> CacheSize {
        let inner = self.lock();
        CacheSize {
            questions: inner.answers.len(),
            answers: inner.size,
            computed: inner.computed,
            hits: inner.hits,
            misses: inner.misses,
        }
    }
}

/// The hierarchy as it stood on `date`, from the cache while the hierarchy is unchanged, with
/// the hierarchy counter it stands for.
pub async fn agency_graph(
    state: &crate::Context,
    date: Date,
) -> Result<(Arc<AgencyGraph>, i64), baocao_store::StoreError> {
    // The counter is read before the hierarchy, so a graph kept under it is never newer
    // than the hierarchy it claims.
    let hierarchy = state.store.hierarchy_generation().await?;
    agency_graph_under(state, hierarchy, date).await
}

/// [`agency_graph`] under a hierarchy counter the caller has already read.
pub async fn agency_graph_under(
    state: &crate::Context,
    hierarchy: i64,
    date: Date,
) -> Result<(Arc<AgencyGraph>, i64), baocao_store::StoreError> {
    agency_graph_from(state, &state.store, hierarchy, date).await
}

/// [`agency_graph_under`], read from `store` (a standby) when not kept.
pub async fn agency_graph_from(
    state: &crate::Context,
    store: &baocao_store::Store,
    hierarchy: i64,
    date: Date,
) -> Result<(Arc<AgencyGraph>, i64), baocao_store::StoreError> {
    if let Some(graph) = state.aggregates.graph(date, hierarchy) {
        return Ok((graph, hierarchy));
    }
    let (agencies, successions) = store.agency_graph(date).await?;
    let graph = Arc::new(AgencyGraph::new(date, agencies, &successions));
    state.aggregates.keep_graph(date, hierarchy, graph.clone());
    Ok((graph, hierarchy))
}

/// The accepted values of the periods wholly between `start` and `end` (what outlier checks
/// compare a number with), per indicator, kept while no period of the span changes.
pub struct ObservationSpan {
    start: Date,
    end: Date,
    /// The sum of the span's period counters, read before any value: a kept answer is never
    /// newer than the data it claims, and an acceptance in the span is seen on the next read.
    token: i64,
}

impl ObservationSpan {
    /// Two spans' counters in one read (the two years before a period, and the period),
    /// for every indicator then asked of them.
    /// The counters come from `known` when it read them over the spans
    /// ([`Store::generations_with_periods`](baocao_store::Store::generations_with_periods)).
    pub async fn read_pair(
        state: &crate::Context,
        known: &baocao_store::analytics::Generations,
        first: (Date, Date),
        second: (Date, Date),
    ) -> Result<(Self, Self), baocao_store::StoreError> {
        let (start, end) = (first.0.min(second.0), first.1.max(second.1));
        let read;
        let counters = match known.period_counters(start, end) {
            Some(counters) => counters,
            None => {
                read = state.store.period_generations(start, end).await?;
                &read[..]
            }
        };
        let span = |(start, end): (Date, Date)| {
            let token = counters
                .iter()
                .filter(|(code, _)| {
                    PeriodId::parse(code).is_ok_and(|p| p.start() >= start && p.end() <= end)
                })
                .map(|(_, generation)| generation)
                .sum();
            Self { start, end, token }
        };
        Ok((span(first), span(second)))
    }

    /// The span's data counter: the same while no value in it changed.
    pub fn token(&self) -> i64 {
        self.token
    }

    /// `indicator`'s accepted values in the span.
    pub async fn observations(
        &self,
        state: &crate::Context,
        indicator: &baocao_domain::indicator::IndicatorCode,
    ) -> Result<Arc<Vec<Observation>>, baocao_store::StoreError> {
        let key = (indicator.to_string(), self.start, self.end);
        if let Some(found) = state.aggregates.observations(&key, self.token) {
            return Ok(found);
        }
        let found = Arc::new(
            state
                .store
                .observations(indicator, self.start, self.end)
                .await?,
        );
        state
            .aggregates
            .keep_observations(key, self.token, found.clone());
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(period: &str) -> Question {
        Question {
            indicator: "KT04".into(),
            aggregation: Aggregation::Sum,
            period: PeriodId::parse(period).unwrap(),
            disaggregate: vec![],
            as_of: jiff::civil::date(2026, 11, 27),
            hierarchy: 1,
            coverage: Coverage::Everywhere,
        }
    }

    fn answers(n: usize) -> Arc<NodeAnswers> {
        Arc::new(
            (0..n as i64)
                .map(|k| (k, Box::from([(OptionCombo::TOTAL, k as f64)])))
                .collect(),
        )
    }

    #[test]
    fn an_answer_is_served_only_under_the_same_data() {
        let cache = AggregateCache::default();
        cache.keep(question("202601"), 7, answers(3));
        assert!(cache.answers(&question("202601"), 7).is_some());
        assert!(
            cache.answers(&question("202601"), 8).is_none(),
            "the data changed"
        );
        assert!(cache.answers(&question("202602"), 7).is_none());
        assert_eq!(
            cache.size(),
            CacheSize {
                questions: 1,
                answers: 3,
                computed: 1,
                hits: 1,
                misses: 2,
            }
        );
    }

    #[test]
    fn the_least_recently_used_leave_first_past_the_budget() {
        let cache = AggregateCache::default();
        let half = BUDGET / 2;
        cache.keep(question("202601"), 1, answers(half));
        cache.keep(question("202602"), 1, answers(half));
        assert!(cache.answers(&question("202601"), 1).is_some());
        cache.keep(question("202603"), 1, answers(half));
        assert!(
            cache.answers(&question("202601"), 1).is_some(),
            "used recently"
        );
        assert!(
            cache.answers(&question("202602"), 1).is_none(),
            "the oldest left"
        );
        assert!(cache.size().answers <= BUDGET);
    }
}
