//! Aggregation of accepted data values along the agency hierarchy, along time and across
//! disaggregations, by each indicator's rule — computed from the values themselves at query
//! time, so an accepted number is in every aggregate at once.
//!
//! # The hierarchy of a date
//! An [`AgencyGraph`] is the hierarchy as it stood on one date (`as_of`). Every agency that
//! ever held data has a *representative* in it: itself if it was valid on that date, else the
//! agency its successions lead to (Bình Dương, merged into TP. Hồ Chí Minh on 1 July 2025, is
//! represented by the new TP. Hồ Chí Minh). So with today's hierarchy the data of agencies
//! merged away count for their successors, and a series does not break at a merger; with the
//! hierarchy of 2024 each old province answers for itself. A split has several successors:
//! the data of the divided agency cannot be apportioned, and goes to none of them.
//!
//! # What a node's value is
//! The data a node holds are the values of the agencies it represents. A node with data for
//! the indicator answers with them: a compiled total stands instead of its subordinates' sum
//! (SPEC.md's glossary). A node without answers with its children's values combined. Own
//! values reported at several levels are a later refinement (see the closing notes).
//!
//! # Time
//! A period asked for (`2025Q4`) takes the values of periods wholly inside it (the three
//! months), of the coarsest frequency a node has there, so a quarterly and a monthly report
//! of the same number are not added together. Of several sources for one cell, the one a
//! reviewer marked authoritative wins, then a regime's accepted report, then the first source
//! by name.
//!
//! # Rules
//! `sum` adds over time and hierarchy; `average` averages every value underneath (over time
//! and agencies alike, as DHIS2 does); `last` takes each node's value of the latest period and
//! adds them up the hierarchy (a stock such as population); `min` and `max` take the least and
//! greatest; `none` is never aggregated: only a value reported for exactly that agency and
//! period answers.
//!
//! # Disaggregations
//! A query either asks for the total or splits by some categories (`sex`). Of the values of one
//! agency and period, those whose options agree on the asked categories are grouped; within a
//! group the coarsest breakdown present answers — a reported total before the sum of its
//! parts — so totals and parts are never added together.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::civil::Date;

use crate::agency::{AgencyCode, AgencyKind, AgencyLevel};
use crate::indicator::Aggregation;
use crate::period::PeriodId;
use crate::value::OptionCombo;

/// A storage key of an agency (one lifetime of a code).
pub type AgencyKey = i64;

/// An agency as the graph needs it: its key and code, whether it was valid on the graph's
/// date, and where it sat then.
#[derive(Debug, Clone)]
pub struct GraphAgency {
    pub key: AgencyKey,
    pub code: AgencyCode,
    /// Its kind and parent on the graph's date; `None` if it was not valid then.
    pub as_of: Option<(AgencyKind, Option<AgencyKey>)>,
}

#[derive(Debug, Clone)]
pub struct AgencyGraph {
    date: Date,
    agencies: HashMap<AgencyKey, GraphAgency>,
    children: HashMap<AgencyKey, Vec<AgencyKey>>,
    by_code: HashMap<AgencyCode, AgencyKey>,
    representative: HashMap<AgencyKey, AgencyKey>,
}

impl AgencyGraph {
    /// `successions` are (predecessor, successor) pairs of every reorganisation.
    pub fn new(
        date: Date,
        agencies: Vec<GraphAgency>,
        successions: &[(AgencyKey, AgencyKey)],
    ) -> Self {
        let mut children: HashMap<AgencyKey, Vec<AgencyKey>> = HashMap::new();
        let mut by_code = HashMap::new();
        for agency in &agencies {
            if let Some((_, parent)) = agency.as_of {
                by_code.insert(agency.code.clone(), agency.key);
                if let Some(parent) = parent {
                    children.entry(parent).or_default().push(agency.key);
                }
            }
        }
        for list in children.values_mut() {
            list.sort_unstable();
        }
        let mut successors: HashMap<AgencyKey, Vec<AgencyKey>> = HashMap::new();
        for (from, to) in successions {
            successors.entry(*from).or_default().push(*to);
        }
        let agencies: HashMap<AgencyKey, GraphAgency> =
            agencies.into_iter().map(|a| (a.key, a)).collect();
        let mut representative = HashMap::new();
        for key in agencies.keys() {
            if let Some(found) = Self::follow(&agencies, &successors, *key) {
                representative.insert(*key, found);
            }
        }
        Self {
            date,
            agencies,
            children,
            by_code,
            representative,
        }
    }

    /// The agency valid on the graph's date that carries `key`'s data: itself, or where its
    /// successions lead, as long as each step has exactly one successor.
    fn follow(
        agencies: &HashMap<AgencyKey, GraphAgency>,
        successors: &HashMap<AgencyKey, Vec<AgencyKey>>,
        start: AgencyKey,
    ) -> Option<AgencyKey> {
        let mut key = start;
        let mut seen = HashSet::new();
        loop {
            if agencies.get(&key)?.as_of.is_some() {
                return Some(key);
            }
            if !seen.insert(key) {
                return None;
            }
            match successors.get(&key).map(Vec::as_slice) {
                Some([only]) => key = *only,
                _ => return None,
            }
        }
    }

    pub fn date(&self) -> Date {
        self.date
    }

    /// The agency with `code` on the graph's date.
    pub fn find(&self, code: &AgencyCode) -> Option<AgencyKey> {
        self.by_code.get(code).copied()
    }

    pub fn code(&self, key: AgencyKey) -> Option<&AgencyCode> {
        self.agencies.get(&key).map(|a| &a.code)
    }

    /// The level of an agency valid on the graph's date.
    pub fn level(&self, key: AgencyKey) -> Option<AgencyLevel> {
        self.agencies.get(&key)?.as_of.map(|(kind, _)| kind.level())
    }

    pub fn representative(&self, key: AgencyKey) -> Option<AgencyKey> {
        self.representative.get(&key).copied()
    }

    /// Every agency whose data `key` carries on the graph's date: itself and the
    /// predecessors whose successions lead to it.
    pub fn represented_by(&self, key: AgencyKey) -> Vec<AgencyKey> {
        let mut keys: Vec<AgencyKey> = self
            .representative
            .iter()
            .filter(|(_, to)| **to == key)
            .map(|(from, _)| *from)
            .collect();
        keys.sort_unstable();
        keys
    }

    /// Every agency whose data one of `nodes` carries on the graph's date (in one pass, for
    /// a whole subtree).
    pub fn represented_by_any(&self, nodes: &HashSet<AgencyKey>) -> Vec<AgencyKey> {
        let mut keys: Vec<AgencyKey> = self
            .representative
            .iter()
            .filter(|(_, to)| nodes.contains(to))
            .map(|(from, _)| *from)
            .collect();
        keys.sort_unstable();
        keys
    }

    /// The agency, then its parent, up to the root, as they stood on the graph's date; empty
    /// if the agency was not valid then.
    pub fn lineage(&self, key: AgencyKey) -> Vec<AgencyKey> {
        let mut lineage = Vec::new();
        let mut next = Some(key);
        while let Some(key) = next {
            let Some((_, parent)) = self.agencies.get(&key).and_then(|a| a.as_of) else {
                break;
            };
            if lineage.contains(&key) || lineage.len() > 32 {
                break;
            }
            lineage.push(key);
            next = parent;
        }
        lineage
    }

    /// The codes of the agency with `code`, then its parent, up to the root, on the graph's
    /// date; empty when no agency with `code` was valid then.
    pub fn lineage_codes(&self, code: &AgencyCode) -> Vec<AgencyCode> {
        self.find(code)
            .map(|key| {
                self.lineage(key)
                    .into_iter()
                    .filter_map(|k| self.code(k).cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn children(&self, key: AgencyKey) -> &[AgencyKey] {
        self.children.get(&key).map_or(&[], Vec::as_slice)
    }

    /// The agency's descendants of `level` on the graph's date, by code.
    pub fn descendants_at(&self, key: AgencyKey, level: AgencyLevel) -> Vec<AgencyKey> {
        let mut found = Vec::new();
        let mut stack = vec![key];
        while let Some(next) = stack.pop() {
            for child in self.children(next) {
                let at_level = self
                    .agencies
                    .get(child)
                    .and_then(|a| a.as_of)
                    .is_some_and(|(kind, _)| kind.level() == level);
                if at_level {
                    found.push(*child);
                }
                stack.push(*child);
            }
        }
        found.sort_by(|a, b| self.code(*a).cmp(&self.code(*b)));
        found
    }

    /// The agencies valid on the graph's date with no parent valid then (the Government, and
    /// any agency outside the tree).
    pub fn roots(&self) -> Vec<AgencyKey> {
        let mut roots: Vec<AgencyKey> = self
            .agencies
            .values()
            .filter_map(|a| match a.as_of {
                Some((_, None)) => Some(a.key),
                Some((_, Some(parent))) if self.level(parent).is_none() => Some(a.key),
                _ => None,
            })
            .collect();
        roots.sort_unstable();
        roots
    }

    /// Every agency valid on the graph's date at or below `key`.
    pub fn subtree(&self, key: AgencyKey) -> Vec<AgencyKey> {
        let mut all = vec![key];
        let mut index = 0;
        while index < all.len() {
            all.extend_from_slice(self.children(all[index]));
            index += 1;
        }
        all
    }
}

/// One accepted data value.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub agency: AgencyKey,
    pub period: PeriodId,
    pub options: OptionCombo,
    pub source: String,
    pub value: f64,
    /// A reviewer marked this source as the one to trust for the cell.
    pub authoritative: bool,
}

/// A running aggregate, combined up the hierarchy.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Partial {
    Sum(f64),
    Mean { sum: f64, count: u32 },
    Min(f64),
    Max(f64),
}

impl Partial {
    fn combine(self, other: Partial) -> Partial {
        match (self, other) {
            (Partial::Sum(a), Partial::Sum(b)) => Partial::Sum(a + b),
            (Partial::Mean { sum: a, count: m }, Partial::Mean { sum: b, count: n }) => {
                Partial::Mean {
                    sum: a + b,
                    count: m + n,
                }
            }
            (Partial::Min(a), Partial::Min(b)) => Partial::Min(a.min(b)),
            (Partial::Max(a), Partial::Max(b)) => Partial::Max(a.max(b)),
            (kept, _) => kept,
        }
    }
    fn value(self) -> f64 {
        match self {
            Partial::Sum(v) | Partial::Min(v) | Partial::Max(v) => v,
            Partial::Mean { sum, count } => sum / f64::from(count.max(1)),
        }
    }
}

/// Which source answers for a cell: the one marked authoritative, then a regime's accepted
/// report, then the first by name.
fn source_rank(observation: &Observation) -> (bool, bool, &str) {
    (
        !observation.authoritative,
        !observation.source.starts_with("regime:"),
        &observation.source,
    )
}

/// How long a frequency's periods are, to find the coarsest.
fn coarseness(period: &PeriodId) -> u8 {
    use crate::period::Frequency;
    match period.frequency() {
        Frequency::Daily | Frequency::Dated => 0,
        Frequency::Weekly => 1,
        Frequency::Monthly => 2,
        Frequency::Quarterly => 3,
        Frequency::SixMonthly => 4,
        Frequency::NineMonthly => 5,
        Frequency::Yearly => 6,
    }
}

/// The options of `combo` on the asked categories: the key of its group.
fn project(combo: &OptionCombo, categories: &[String]) -> Option<OptionCombo> {
    let mut projected = BTreeMap::new();
    for category in categories {
        projected.insert(category.clone(), combo.option(category)?.to_string());
    }
    Some(OptionCombo::from_stored(projected))
}

/// A question for the engine: one indicator, one period, split by some categories.
#[derive(Debug, Clone)]
pub struct Question<'a> {
    pub aggregation: Aggregation,
    pub period: PeriodId,
    pub disaggregate: &'a [String],
}

/// Observations of one indicator, gathered by the node that represents their agency.
pub struct Gathered<'a> {
    by_node: HashMap<AgencyKey, Vec<&'a Observation>>,
}

impl<'a> Gathered<'a> {
    pub fn new(graph: &AgencyGraph, observations: &'a [Observation]) -> Self {
        let mut by_node: HashMap<AgencyKey, Vec<&Observation>> = HashMap::new();
        for observation in observations {
            if let Some(node) = graph.representative(observation.agency) {
                by_node.entry(node).or_default().push(observation);
            }
        }
        Self { by_node }
    }
}

/// The value of each group of options for `target`, by the indicator's rule.
pub fn aggregate(
    graph: &AgencyGraph,
    gathered: &Gathered,
    target: AgencyKey,
    question: &Question,
) -> BTreeMap<OptionCombo, f64> {
    if question.aggregation == Aggregation::None {
        let own: Vec<&Observation> = gathered
            .by_node
            .get(&target)
            .map(|list| {
                list.iter()
                    .copied()
                    .filter(|o| o.agency == target && o.period == question.period)
                    .collect()
            })
            .unwrap_or_default();
        return node_partials(&own, question)
            .into_iter()
            .map(|(group, partial)| (group, partial.value()))
            .collect();
    }
    let mut walk = Walk {
        answers: None,
        differences: None,
        pruned: None,
    };
    rolled_up(graph, gathered, target, question, &mut walk)
        .into_iter()
        .map(|(group, partial)| (group, partial.value()))
        .collect()
}

/// What [`aggregate`] answers for every agency of the graph, in one walk up from the leaves
/// (each node's partials are computed once and combined into its parent's). Agencies with
/// nothing to answer are left out. This is what the analytics cache keeps per question.
pub fn aggregate_every_node(
    graph: &AgencyGraph,
    gathered: &Gathered,
    question: &Question,
) -> HashMap<AgencyKey, BTreeMap<OptionCombo, f64>> {
    let mut answers = HashMap::new();
    if question.aggregation == Aggregation::None {
        for node in gathered.by_node.keys() {
            let values = aggregate(graph, gathered, *node, question);
            if !values.is_empty() {
                answers.insert(*node, values);
            }
        }
        return answers;
    }
    let mut walk = Walk {
        answers: Some(&mut answers),
        differences: None,
        pruned: None,
    };
    for root in graph.roots() {
        rolled_up(graph, gathered, root, question, &mut walk);
    }
    answers
}

/// [`aggregate_every_node`] without walking below `pruned` agencies (collectors whose sums
/// stand in for their subordinates, see [`crate::rollup`]): every other agency's answer, at
/// the cost of the agencies above them only.
pub fn aggregate_nodes_above(
    graph: &AgencyGraph,
    gathered: &Gathered,
    question: &Question,
    pruned: &HashSet<AgencyKey>,
) -> HashMap<AgencyKey, BTreeMap<OptionCombo, f64>> {
    if question.aggregation == Aggregation::None || pruned.is_empty() {
        return aggregate_every_node(graph, gathered, question);
    }
    let mut answers = HashMap::new();
    let mut walk = Walk {
        answers: Some(&mut answers),
        differences: None,
        pruned: Some(pruned),
    };
    for root in graph.roots() {
        rolled_up(graph, gathered, root, question, &mut walk);
    }
    answers
}

/// What a walk up the hierarchy records on the way, and where it does not go.
struct Walk<'w> {
    answers: Option<&'w mut HashMap<AgencyKey, BTreeMap<OptionCombo, f64>>>,
    differences: Option<&'w mut Vec<TotalDifference>>,
    /// Agencies whose subordinates are not visited.
    pruned: Option<&'w HashSet<AgencyKey>>,
}

/// A compiled total that differs from what its subordinates' values combine to — a
/// discrepancy in SPEC.md's sense. The compiled total is what the aggregates use; the
/// difference is there for a reviewer to explain or correct.
#[derive(Debug, Clone, PartialEq)]
pub struct TotalDifference {
    pub agency: AgencyKey,
    pub options: OptionCombo,
    /// The agency's own (compiled) value.
    pub reported: f64,
    /// Its subordinates' values combined by the indicator's rule.
    pub subordinates: f64,
}

/// Every compiled total of the graph that differs from its subordinates' combined values,
/// for one question, the lowest agencies first. An indicator that is never aggregated has
/// none.
pub fn total_differences(
    graph: &AgencyGraph,
    gathered: &Gathered,
    question: &Question,
) -> Vec<TotalDifference> {
    let mut differences = Vec::new();
    if question.aggregation == Aggregation::None {
        return differences;
    }
    let mut walk = Walk {
        answers: None,
        differences: Some(&mut differences),
        pruned: None,
    };
    for root in graph.roots() {
        rolled_up(graph, gathered, root, question, &mut walk);
    }
    differences
}

/// The observations a node holds in periods wholly inside the question's period.
fn node_inside<'o>(
    gathered: &Gathered<'o>,
    node: AgencyKey,
    question: &Question,
) -> Vec<&'o Observation> {
    gathered
        .by_node
        .get(&node)
        .map(|list| {
            list.iter()
                .copied()
                .filter(|o| {
                    o.period.start() >= question.period.start()
                        && o.period.end() <= question.period.end()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A node's partials: its own data where it has them (a compiled total stands instead of its
/// children's sum), else its children's combined. With `answers`, every node's values on the
/// way are recorded too.
fn rolled_up(
    graph: &AgencyGraph,
    gathered: &Gathered,
    node: AgencyKey,
    question: &Question,
    walk: &mut Walk,
) -> BTreeMap<OptionCombo, Partial> {
    let inside = node_inside(gathered, node, question);
    let own = node_partials(&inside, question);
    let mut result: BTreeMap<OptionCombo, Partial> = BTreeMap::new();
    // What the children combine to where the node has a compiled total of its own.
    let mut covered: BTreeMap<OptionCombo, Partial> = BTreeMap::new();
    let children = match walk.pruned {
        Some(pruned) if pruned.contains(&node) => &[],
        _ => graph.children(node),
    };
    for child in children {
        let below = rolled_up(graph, gathered, *child, question, walk);
        for (group, partial) in below {
            let into = if own.contains_key(&group) {
                &mut covered
            } else {
                &mut result
            };
            into.entry(group)
                .and_modify(|p| *p = p.combine(partial))
                .or_insert(partial);
        }
    }
    if let Some(differences) = walk.differences.as_deref_mut() {
        for (group, below) in covered {
            let (reported, subordinates) = (own[&group].value(), below.value());
            let scale = reported.abs().max(subordinates.abs()).max(1.0);
            if (reported - subordinates).abs() > 1e-9 * scale {
                differences.push(TotalDifference {
                    agency: node,
                    options: group,
                    reported,
                    subordinates,
                });
            }
        }
    }
    result.extend(own);
    if let Some(answers) = walk.answers.as_deref_mut()
        && !result.is_empty()
    {
        answers.insert(
            node,
            result.iter().map(|(g, p)| (g.clone(), p.value())).collect(),
        );
    }
    result
}

/// Several agencies' values of one cell combined by the indicator's rule (the pre-fill of a
/// report from its subordinates'): `None` for an indicator that is never aggregated or where
/// there is nothing to combine.
pub fn combine(aggregation: Aggregation, values: &[f64]) -> Option<f64> {
    let first = *values.first()?;
    match aggregation {
        Aggregation::Sum | Aggregation::Last => Some(values.iter().sum()),
        Aggregation::Average => Some(values.iter().sum::<f64>() / values.len() as f64),
        Aggregation::Min => Some(values.iter().copied().fold(first, f64::min)),
        Aggregation::Max => Some(values.iter().copied().fold(first, f64::max)),
        Aggregation::None => None,
    }
}

/// The cells that answer for one node's own data inside the period, per (agency, period,
/// group): the preferred source of each cell, the coarsest frequency present, and within a
/// group the coarsest breakdown present — a cell is left out where a cell of fewer of its own
/// options is there (a reported total before its parts, `sex=female` before its ages), so
/// parts that split differently (one funding mechanism reported whole, another by channel)
/// each count once.
fn selected<'o>(
    inside: &[&'o Observation],
    question: &Question,
) -> BTreeMap<(AgencyKey, PeriodId, OptionCombo), Vec<&'o Observation>> {
    let mut groups: BTreeMap<(AgencyKey, PeriodId, OptionCombo), Vec<&Observation>> =
        BTreeMap::new();
    // The coarsest frequency present, so reports of different frequencies do not add up.
    let Some(coarsest) = inside.iter().map(|o| coarseness(&o.period)).max() else {
        return groups;
    };
    // One value per cell (agency, period, options): the preferred source.
    let mut cells: BTreeMap<(AgencyKey, PeriodId, &OptionCombo), &Observation> = BTreeMap::new();
    for observation in inside.iter().filter(|o| coarseness(&o.period) == coarsest) {
        cells
            .entry((observation.agency, observation.period, &observation.options))
            .and_modify(|kept| {
                if source_rank(observation) < source_rank(kept) {
                    *kept = observation;
                }
            })
            .or_insert(observation);
    }
    for ((agency, period, options), observation) in &cells {
        let Some(group) = project(options, question.disaggregate) else {
            continue;
        };
        let covered = options.coarser().any(|coarser| {
            project(&coarser, question.disaggregate).as_ref() == Some(&group)
                && cells.contains_key(&(*agency, *period, &coarser))
        });
        if !covered {
            groups
                .entry((*agency, *period, group))
                .or_default()
                .push(observation);
        }
    }
    if question.aggregation == Aggregation::Last {
        let latest = groups.keys().map(|(_, period, _)| period.end()).max();
        groups.retain(|(_, period, _), _| Some(period.end()) == latest);
    }
    groups
}

/// One node's own data inside the period, reduced to one partial per group.
fn node_partials(inside: &[&Observation], question: &Question) -> BTreeMap<OptionCombo, Partial> {
    let mut partials: BTreeMap<OptionCombo, Partial> = BTreeMap::new();
    for ((_, _, group), list) in selected(inside, question) {
        let value: f64 = list.iter().map(|o| o.value).sum();
        let partial = match question.aggregation {
            Aggregation::Sum | Aggregation::None | Aggregation::Last => Partial::Sum(value),
            Aggregation::Average => Partial::Mean {
                sum: value,
                count: 1,
            },
            Aggregation::Min => Partial::Min(value),
            Aggregation::Max => Partial::Max(value),
        };
        partials
            .entry(group)
            .and_modify(|p| *p = p.combine(partial))
            .or_insert(partial);
    }
    partials
}

/// The values behind `target`'s number for each group — the sources a pivot's cell links to:
/// the same selection [`aggregate`] makes, a compiled total standing for its subordinates.
pub fn sources<'o>(
    graph: &AgencyGraph,
    gathered: &Gathered<'o>,
    target: AgencyKey,
    question: &Question,
) -> BTreeMap<OptionCombo, Vec<&'o Observation>> {
    let inside = node_inside(gathered, target, question);
    let mut own: BTreeMap<OptionCombo, Vec<&Observation>> = BTreeMap::new();
    for ((agency, period, group), list) in selected(&inside, question) {
        if question.aggregation == Aggregation::None
            && (agency != target || period != question.period)
        {
            continue;
        }
        own.entry(group).or_default().extend(list);
    }
    if question.aggregation == Aggregation::None {
        return own;
    }
    let mut result: BTreeMap<OptionCombo, Vec<&Observation>> = BTreeMap::new();
    for child in graph.children(target) {
        for (group, list) in sources(graph, gathered, *child, question) {
            if !own.contains_key(&group) {
                result.entry(group).or_default().extend(list);
            }
        }
    }
    result.extend(own);
    result
}

/// Significant digits a combined value is answered with: more than any figure is entered
/// with, fewer than binary floating point keeps (~15.9), so its noise is dropped.
pub const ANSWER_DIGITS: i32 = 12;

/// A combined value without the noise of binary arithmetic: a sum of decimal figures such as
/// 704190.6 comes out of floating point as `704190.6000000001`; other systems comparing
/// numbers (SDMX clients, DHIS2) expect the figure. Kept to [`ANSWER_DIGITS`] significant
/// digits, never fewer than the whole part.
pub fn tidy(value: f64) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (ANSWER_DIGITS - 1 - magnitude).clamp(0, 15);
    let scale = 10f64.powi(decimals);
    let tidied = (value * scale).round() / scale;
    if tidied.is_finite() { tidied } else { value }
}

#[cfg(test)]
mod tidy_tests {
    use super::tidy;

    #[test]
    fn sums_of_decimal_figures_answer_the_figure() {
        let sum: f64 = [352095.3, 352095.3].iter().sum::<f64>() + 0.0000000000001;
        assert_eq!(tidy(0.1 + 0.2), 0.3);
        assert_eq!(tidy(sum), 704190.6);
        assert_eq!(tidy(12.3456789), 12.3456789);
        assert_eq!(tidy(100.0 * 80.0 / 4500.0), 1.77777777778);
        assert_eq!(tidy(1234567890123456.0), 1234567890123456.0);
        assert_eq!(tidy(0.000123456789012345), 0.000123456789012);
        assert_eq!(tidy(-2.5), -2.5);
        assert_eq!(tidy(1e300), 1e300);
    }
}
