//! Roll-ups: an indicator's accepted values of one period, summed per *collector* — the
//! parent of reporting agencies that have no subordinates of their own (a province over its
//! communes) in one edition of the hierarchy — so that a question about provinces and the
//! country reads a few hundred sums instead of every commune's values.
//!
//! The aggregation engine ([`crate::aggregation`]) stays the definition of what a number
//! means. A collector's sums are handed to it as if the collector had reported them
//! ([`stand_ins`]) only where that gives the very answer the communes' own values would:
//! - the indicator adds up (`sum`): an average, a minimum or a latest value of many
//!   agencies is not a function of their per-period sums;
//! - every subordinate of the collector is a leaf, none was merged into it from an earlier
//!   edition, and the collector reports no compiled total of its own ([`RollupKind::Own`]
//!   cells say who did);
//! - each cell has one source (so no source has to win over another);
//! - the sums inside the period asked are of one frequency, and within a period no
//!   combination of options is coarser than another (so no total stands for its parts).
//!
//! Anywhere else the collector's agencies are read value by value, as before. The property
//! tests in `tests/rollup.rs` check the two ways agree on random histories.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::aggregation::{AgencyGraph, AgencyKey, Observation};
use crate::indicator::Aggregation;
use crate::period::PeriodId;
use crate::value::OptionCombo;

/// What a roll-up cell sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RollupKind {
    /// The values of the collector's leaf subordinates.
    Collected,
    /// The values of one agency no collector may stand for: one with subordinates (a
    /// compiled total), or one not valid in the edition (merged away, split).
    Own,
}

impl RollupKind {
    pub fn as_i16(self) -> i16 {
        match self {
            Self::Collected => 0,
            Self::Own => 1,
        }
    }

    pub fn from_i16(value: i16) -> Option<Self> {
        match value {
            0 => Some(Self::Collected),
            1 => Some(Self::Own),
            _ => None,
        }
    }
}

/// One sum of a roll-up; `K` names the combination of options (the combination itself, or
/// the store's key for it).
#[derive(Debug, Clone, PartialEq)]
pub struct RollupCell<K = OptionCombo> {
    pub kind: RollupKind,
    /// The collector, or the agency for an [`RollupKind::Own`] cell.
    pub node: AgencyKey,
    pub period: PeriodId,
    pub options: K,
    pub total: f64,
    /// How many values were added.
    pub values: u32,
    /// How many cells (agency, period, options) they came from: fewer than `values` where a
    /// cell has several sources.
    pub cells: u32,
}

/// The values of one cell (agency, period, options) added up, whatever their sources.
#[derive(Debug, Clone, PartialEq)]
pub struct CellSum<K> {
    pub agency: AgencyKey,
    pub period: PeriodId,
    pub options: K,
    pub total: f64,
    /// How many values (one per source).
    pub values: u32,
}

/// The collector of an agency's values in the graph's edition: its parent, when the agency
/// is valid then, has no subordinates and has a parent valid then.
fn collector(graph: &AgencyGraph, agency: AgencyKey) -> Option<AgencyKey> {
    graph.level(agency)?;
    if !graph.children(agency).is_empty() {
        return None;
    }
    let parent = *graph.lineage(agency).get(1)?;
    Some(parent)
}

/// The roll-up of some values (one indicator, usually one period) in the graph's edition.
pub fn roll_up(graph: &AgencyGraph, observations: &[Observation]) -> Vec<RollupCell> {
    roll_up_sums(
        graph,
        observations.iter().map(|o| CellSum {
            agency: o.agency,
            period: o.period,
            options: o.options.clone(),
            total: o.value,
            values: 1,
        }),
    )
}

/// [`roll_up`] of values already added up per cell (as a database's `GROUP BY` gives them).
pub fn roll_up_sums<K: Ord + Clone>(
    graph: &AgencyGraph,
    sums: impl IntoIterator<Item = CellSum<K>>,
) -> Vec<RollupCell<K>> {
    type Key<K> = (RollupKind, AgencyKey, PeriodId, K);
    let mut rolled: BTreeMap<Key<K>, (f64, u32, BTreeSet<AgencyKey>)> = BTreeMap::new();
    for sum in sums {
        let (kind, node) = match collector(graph, sum.agency) {
            Some(parent) => (RollupKind::Collected, parent),
            None => (RollupKind::Own, sum.agency),
        };
        let entry = rolled
            .entry((kind, node, sum.period, sum.options))
            .or_default();
        entry.0 += sum.total;
        entry.1 += sum.values;
        entry.2.insert(sum.agency);
    }
    rolled
        .into_iter()
        .map(
            |((kind, node, period, options), (total, values, agencies))| RollupCell {
                kind,
                node,
                period,
                options,
                total,
                values,
                cells: agencies.len() as u32,
            },
        )
        .collect()
}

/// How a question over one period is answered from roll-ups.
#[derive(Debug, Default)]
pub struct StandIns {
    /// The collectors' sums, as observations of the collectors themselves.
    pub observations: Vec<Observation>,
    /// The collectors that stand for their subordinates: the engine's answers for those
    /// subordinates are not computed (ask their own values for them).
    pub collectors: HashSet<AgencyKey>,
    /// Agencies whose values must be read one by one and given to the engine beside the
    /// stand-ins: the leaf subordinates of collectors that could not stand in (with the
    /// predecessors they represent), and every agency with [`RollupKind::Own`] values.
    pub read: BTreeSet<AgencyKey>,
}

/// Whether `coarser` names strictly fewer options than `finer`, all of them `finer`'s.
fn strictly_coarser(coarser: &OptionCombo, finer: &OptionCombo) -> bool {
    coarser.depth() < finer.depth()
        && coarser
            .clone()
            .into_map()
            .iter()
            .all(|(category, option)| finer.option(category) == Some(option.as_str()))
}

/// The observations the engine needs for a question over `period`, from the roll-up cells
/// of the periods inside it: stand-ins where they answer exactly (see the module's
/// conditions), and the list of agencies to read value by value elsewhere.
pub fn stand_ins(
    graph: &AgencyGraph,
    cells: &[RollupCell],
    aggregation: Aggregation,
    period: PeriodId,
) -> StandIns {
    let inside: Vec<&RollupCell> = cells
        .iter()
        .filter(|c| c.period.start() >= period.start() && c.period.end() <= period.end())
        .collect();
    let mut answer = StandIns::default();
    // Nodes whose answer has a value of their own, or a predecessor's, in it.
    let mut touched: HashSet<AgencyKey> = HashSet::new();
    for cell in inside.iter().filter(|c| c.kind == RollupKind::Own) {
        answer.read.insert(cell.node);
        if let Some(representative) = graph.representative(cell.node) {
            touched.insert(representative);
        }
    }
    let mut by_collector: HashMap<AgencyKey, Vec<&RollupCell>> = HashMap::new();
    // The leaf subordinates of collectors that cannot stand in.
    let mut unread: HashSet<AgencyKey> = HashSet::new();
    for cell in inside.iter().filter(|c| c.kind == RollupKind::Collected) {
        by_collector.entry(cell.node).or_default().push(cell);
    }
    for (collector, cells) in by_collector {
        let stands = aggregation == Aggregation::Sum
            && graph.level(collector).is_some()
            && !touched.contains(&collector)
            && graph
                .children(collector)
                .iter()
                .all(|child| graph.children(*child).is_empty() && !touched.contains(child))
            && cells.iter().all(|c| c.values == c.cells)
            && cells
                .iter()
                .all(|c| c.period.frequency() == cells[0].period.frequency())
            && !cells.iter().any(|a| {
                cells
                    .iter()
                    .any(|b| a.period == b.period && strictly_coarser(&a.options, &b.options))
            });
        if stands {
            answer.collectors.insert(collector);
            answer
                .observations
                .extend(cells.iter().map(|cell| Observation {
                    agency: collector,
                    period: cell.period,
                    options: cell.options.clone(),
                    source: String::new(),
                    value: cell.total,
                    authoritative: false,
                }));
        } else {
            // Its subordinates with subordinates of their own are answered by theirs.
            unread.extend(
                graph
                    .children(collector)
                    .iter()
                    .filter(|child| graph.children(**child).is_empty()),
            );
        }
    }
    answer.read.extend(graph.represented_by_any(&unread));
    answer.read.extend(unread);
    answer
}

/// Whether the engine's answer for `node` is computed when `collectors` stand in: every
/// node but their subordinates.
pub fn answered(graph: &AgencyGraph, collectors: &HashSet<AgencyKey>, node: AgencyKey) -> bool {
    graph
        .lineage(node)
        .get(1)
        .is_none_or(|parent| !collectors.contains(parent))
}
