//! Keeping the roll-ups ([`baocao_domain::rollup`]) current, and reading them for a
//! question.
//!
//! # When a roll-up is rebuilt
//! A roll-up of (indicator, period) is kept with the period's change counter it was read
//! under. Any change to the period's data raises the counter in the change's transaction, so
//! a question never uses a stale roll-up: it rebuilds the few it needs first ([`cells`]).
//! Beside that, [`upkeep`] rebuilds in the background, for today's edition of the hierarchy,
//! the roll-ups of every period that changed and then stayed quiet for one round — so a
//! period being imported is summed once, after its import, not after every batch. The
//! server runs it every few seconds: a question waits for a rebuild only in the seconds
//! after a change, and then only for the periods it asks about.

use std::collections::HashMap;

use baocao_domain::aggregation::{AgencyGraph, AgencyKey};
use baocao_domain::indicator::{Aggregation, IndicatorCode};
use baocao_domain::period::PeriodId;
use baocao_domain::rollup::{RollupCell, roll_up_sums};
use baocao_store::rollups::RollupBuild;
use baocao_store::{Store, StoreError};
use jiff::civil::Date;

use crate::Context;

/// The most indicators rebuilt in one read and one transaction.
const REBUILT_AT_ONCE: usize = 64;

/// Rebuilds the roll-ups of `indicators` for one stored period, from its values, under the
/// counters read before them: one read and one transaction per [`REBUILT_AT_ONCE`]. An
/// indicator with no value in the period and no roll-up built before is left unbuilt: there
/// is nothing to sum, and nothing to write on a question's way.
async fn rebuild(
    context: &Context,
    graph: &AgencyGraph,
    edition: Date,
    indicators: &[(&IndicatorCode, bool)],
    build: RollupBuild,
) -> Result<(), StoreError> {
    for part in indicators.chunks(REBUILT_AT_ONCE) {
        let codes: Vec<&IndicatorCode> = part.iter().map(|(code, _)| *code).collect();
        let sums = context.store.cell_sums(&codes, build.period).await?;
        let rollups: Vec<_> = part
            .iter()
            .zip(sums)
            .filter(|((_, built_before), sums)| *built_before || !sums.is_empty())
            .map(|((indicator, _), sums)| (*indicator, build, roll_up_sums(graph, sums)))
            .collect();
        context
            .store
            .keep_rollups(edition, &rollups, &context.now_text())
            .await?;
    }
    Ok(())
}

/// The roll-up cells of `indicators` for the stored periods inside any of `periods`, each
/// indicator's in the position of its code, each current under `counters` (the period
/// counters the question read) and the hierarchy counter `hierarchy`: stale or missing ones
/// are rebuilt first. Three reads however many indicators and periods are asked. Read from
/// `reader`; `None` when some are stale and `reader` is a standby, where nothing is rebuilt.
/// With `within`, only the cells of those agencies (collectors, or agencies with values of
/// their own) are read.
#[allow(clippy::too_many_arguments)]
pub async fn cells(
    context: &Context,
    reader: &Store,
    on_primary: bool,
    graph: &AgencyGraph,
    hierarchy: i64,
    indicators: &[&IndicatorCode],
    periods: &[PeriodId],
    counters: &[(PeriodId, i64)],
    within: Option<&[AgencyKey]>,
) -> Result<Option<Vec<Vec<RollupCell>>>, StoreError> {
    let (Some(start), Some(end)) = (
        periods.iter().map(PeriodId::start).min(),
        periods.iter().map(PeriodId::end).max(),
    ) else {
        return Ok(Some(vec![Vec::new(); indicators.len()]));
    };
    let edition = edition(context, graph.date(), hierarchy).await?;
    let built = reader
        .rollup_builds_of_many(edition, indicators, start, end)
        .await?;
    let stored: Vec<&(PeriodId, i64)> = counters
        .iter()
        .filter(|(stored, _)| {
            periods
                .iter()
                .any(|p| stored.start() >= p.start() && stored.end() <= p.end())
        })
        .collect();
    for (period, generation) in stored {
        let current = RollupBuild {
            period: *period,
            generation: *generation,
            hierarchy,
        };
        let stale: Vec<(&IndicatorCode, bool)> = indicators
            .iter()
            .zip(&built)
            .filter(|(_, built)| !built.contains(&current))
            .map(|(indicator, built)| (*indicator, built.iter().any(|b| b.period == *period)))
            .collect();
        if stale.is_empty() {
            continue;
        }
        if on_primary {
            rebuild(context, graph, edition, &stale, current).await?;
            continue;
        }
        // A standby cannot rebuild: stale sums, or values never summed, leave it to the values.
        if stale.iter().any(|(_, built_before)| *built_before) {
            return Ok(None);
        }
        let codes: Vec<&IndicatorCode> = stale.iter().map(|(code, _)| *code).collect();
        if reader
            .cell_sums(&codes, *period)
            .await?
            .iter()
            .any(|sums| !sums.is_empty())
        {
            return Ok(None);
        }
    }
    Ok(Some(
        reader
            .rollup_cells_of_many(edition, indicators, start, end, within)
            .await?,
    ))
}

/// The edition of the hierarchy `date` falls in, kept under the hierarchy's counter.
async fn edition(context: &Context, date: Date, hierarchy: i64) -> Result<Date, StoreError> {
    if let Some(kept) = context.aggregates.edition(date, hierarchy) {
        return Ok(kept);
    }
    let edition = context.store.hierarchy_edition(date).await?;
    context.aggregates.keep_edition(date, hierarchy, edition);
    Ok(edition)
}

/// What one round of [`upkeep`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Upkeep {
    /// Periods whose data changed since the round before.
    pub changed: usize,
    /// Roll-ups rebuilt.
    pub rebuilt: usize,
}

/// What [`upkeep`] remembers between rounds: each period's counter when last seen, and
/// whether its roll-ups were brought up to it.
#[derive(Debug, Default)]
pub struct UpkeepState {
    periods: HashMap<PeriodId, (i64, bool)>,
}

/// One round of background upkeep for today's edition: the roll-ups of the periods whose
/// counter is the one the previous round saw — changed, then quiet for a round — and of
/// every period on a server's first round. A period is looked at once per change.
pub async fn upkeep(context: &Context, state: &mut UpkeepState) -> Result<Upkeep, StoreError> {
    let hierarchy = context.store.hierarchy_generation().await?;
    let counters: Vec<(PeriodId, i64)> = context
        .store
        .period_generations(Date::MIN, Date::MAX)
        .await?
        .into_iter()
        .filter_map(|(code, generation)| Some((PeriodId::parse(&code).ok()?, generation)))
        .collect();
    let today = context.today();
    let (graph, _) = crate::aggregates::agency_graph_under(context, hierarchy, today).await?;
    let edition = edition(context, today, hierarchy).await?;
    let catalogue = crate::catalogue::Catalogue::current(context).await?;
    let adds_up: HashMap<&IndicatorCode, bool> = catalogue
        .indicators
        .iter()
        .map(|i| (i.code(), i.aggregation() == Aggregation::Sum))
        .collect();
    let mut done = Upkeep::default();
    for (period, generation) in counters {
        let due = match state.periods.get(&period) {
            Some((seen, summed)) if *seen == generation => !summed,
            Some(_) => {
                // Still changing, perhaps: summed once it stays the same for a round.
                done.changed += 1;
                state.periods.insert(period, (generation, false));
                false
            }
            None => true,
        };
        if !due {
            continue;
        }
        let current = RollupBuild {
            period,
            generation,
            hierarchy,
        };
        let built: HashMap<IndicatorCode, RollupBuild> = context
            .store
            .rollup_builds_of_period(edition, period)
            .await?
            .into_iter()
            .collect();
        let with_values = context.store.indicators_with_values(period).await?;
        let stale: Vec<(&IndicatorCode, bool)> = with_values
            .iter()
            .filter(|indicator| {
                adds_up.get(indicator).copied().unwrap_or(false)
                    && built.get(*indicator) != Some(&current)
            })
            .map(|indicator| (indicator, built.contains_key(indicator)))
            .collect();
        rebuild(context, &graph, edition, &stale, current).await?;
        done.rebuilt += stale.len();
        state.periods.insert(period, (generation, true));
    }
    Ok(done)
}
