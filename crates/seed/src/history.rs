//! The demo's history: accepted, signed reports of every demo regime for every period that
//! ends between 1 January 2024 and 30 June 2026 (fixed dates, so the demo is the same on
//! every machine and later periods stay open for reporting), for every province and ministry
//! assigned then, and for the commune regime the communes of Hà Nội. Some are late, some
//! were returned and resubmitted, a few are missing, so compliance has something to say.
//!
//! Numbers are generated deterministically: a base per indicator, a scale per agency (the
//! two big cities larger; a merged province's scale is the sum of its predecessors', so a
//! series runs unbroken through July 2025), growth, seasonality and a little noise. Every
//! report is marked as demo data by its source and signer.

use std::collections::HashMap;

use baocao_domain::Date;
use baocao_domain::agency::AgencyCode;
use baocao_domain::calendar::legal_time_zone;
use baocao_domain::indicator::{Aggregation, Indicator, ValueType};
use baocao_domain::period::PeriodId;
use baocao_domain::regime::{FormColumn, Regime};
use baocao_domain::report::{Cell, CellAddress, CellInput};
use baocao_domain::rules::Explanation;
use baocao_domain::signature::{KeyPair, digest};
use baocao_domain::submission::SubmissionAction;
use baocao_domain::user::{Role, RoleGrant, Username};
use baocao_domain::value::OptionCombo;
use baocao_service::catalogue::Catalogue;
use baocao_service::reporting::bulk::PeriodResolver;
use baocao_service::reporting::{self, ActionInput, DraftEdit, Report, ReportingError};
use baocao_service::{Caller, Context, FixedClock};
use baocao_store::users::Principal;
use baocao_store::{Store, timestamp_text};
use jiff::civil::date;

use crate::{DemoData, SeedError};

/// The setting that records the day the demo history was loaded to (absent: not loaded).
pub const HISTORY_SETTING: &str = "demo_history";
/// Who writes the history: a system administrator of the whole country, so that every
/// report can be saved, submitted and reviewed by one caller.
const DEMO_SIGNER: &str = "demo-generator";

/// The history's writer: the reporting service's caller and a context whose clock is set to
/// each step's moment, so the history goes through the one workflow the users' reports do.
struct HistoryWriter {
    store: Store,
    generator: Caller,
    catalogue: Catalogue,
    aggregates: std::sync::Arc<baocao_service::aggregates::AggregateCache>,
    outlier_contexts: std::sync::Arc<baocao_service::reporting::validation::OutlierContexts>,
}

impl HistoryWriter {
    async fn new(store: &Store) -> Result<Self, SeedError> {
        let national = AgencyCode::new("VN").map_err(|e| crate::bad("history", e))?;
        let principal = Principal {
            id: 0,
            username: Username::new(DEMO_SIGNER).map_err(|e| crate::bad("history", e.0))?,
            full_name: "Dữ liệu mẫu".into(),
            position: None,
            agency: national.clone(),
            grants: vec![RoleGrant {
                role: Role::SystemAdministrator,
                agency: national,
                subtree: true,
            }],
        };
        Ok(Self {
            store: store.clone(),
            generator: Caller::person(principal, baocao_domain::audit::Channel::Demo),
            catalogue: Catalogue::load(store).await?,
            aggregates: Default::default(),
            outlier_contexts: Default::default(),
        })
    }

    /// The service's context with the clock stopped at `at`.
    fn at(&self, at: jiff::Timestamp) -> Context {
        Context {
            store: self.store.clone(),
            clock: std::sync::Arc::new(FixedClock(at)),
            aggregates: self.aggregates.clone(),
            outlier_contexts: self.outlier_contexts.clone(),
            replica: None,
        }
    }

    /// Signs and submits the draft at `at`, explaining any warning its rules raise as a
    /// reporter would.
    async fn submit(&self, report: &Report, at: jiff::Timestamp) -> Result<i32, SeedError> {
        let ctx = self.at(at);
        let first = reporting::perform(
            &ctx,
            &self.generator,
            report,
            SubmissionAction::Submit,
            ActionInput::default(),
            &self.catalogue,
        )
        .await;
        match first {
            Err(ReportingError::ExplanationRequired(violations)) => {
                let explanations = violations
                    .iter()
                    .map(|v| Explanation {
                        rule: v.rule.clone(),
                        text: "Số liệu mẫu (dữ liệu minh họa).".into(),
                    })
                    .collect();
                reporting::perform(
                    &ctx,
                    &self.generator,
                    report,
                    SubmissionAction::Submit,
                    ActionInput {
                        reason: None,
                        explanations,
                    },
                    &self.catalogue,
                )
                .await
                .map_err(refused)
            }
            other => other.map_err(refused),
        }
    }
}

fn refused(error: ReportingError) -> SeedError {
    match error {
        ReportingError::Store(error) => SeedError::Store(error),
        other => crate::bad("history", format!("{other} ({})", other.code())),
    }
}

/// Days after its deadline that a report's story ends at the latest (a returned one is
/// accepted then).
const LAST_STEP_DAYS: i64 = 6;

/// Which part of the history to load (tests load a slice).
#[derive(Debug, Clone)]
pub struct HistoryScope {
    /// Periods ending on or before this day.
    pub until: Date,
    /// Only these regimes (all when empty).
    pub regimes: Vec<String>,
    /// A report whose story (sent, returned, accepted) would end after this moment is left
    /// for its agency to send: the history never runs into the future.
    pub now: Option<jiff::Timestamp>,
}

impl Default for HistoryScope {
    /// The history SPEC.md's examples and the contract checks assume: to 30 June 2026.
    fn default() -> Self {
        Self {
            until: date(2026, 6, 30),
            regimes: Vec::new(),
            now: None,
        }
    }
}

impl HistoryScope {
    /// Every regime up to `until` (default: the day before `now`), nothing after `now`: the
    /// demo a server loads on its first start keeps up with today.
    pub fn up_to(until: Option<Date>, now: jiff::Timestamp) -> Self {
        let today = now
            .to_zoned(baocao_domain::calendar::legal_time_zone())
            .date();
        Self {
            until: until.unwrap_or_else(|| today.yesterday().unwrap_or(today)),
            regimes: Vec::new(),
            now: Some(now),
        }
    }
}

/// A number in [0, 1) from a text, the same on every machine (FNV-1a).
fn unit(text: &str) -> f64 {
    let mut hash: u64 = 0xcbf29ce484222325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

/// An agency's size relative to an average province, so that a reader who knows the country
/// believes the demo: each of the 34 provinces by its population; a former province by its
/// share of the one it merged into; a commune by its share of its province (the communes of
/// a province add up to it); the country as all its provinces.
fn scales(demo: &DemoData) -> Result<HashMap<(AgencyCode, Option<Date>), f64>, SeedError> {
    use baocao_domain::agency::AgencyLevel;
    let populations = crate::files::province_populations()?;
    let mean = populations.iter().map(|(_, p)| p).sum::<f64>() / populations.len().max(1) as f64;
    let today: HashMap<AgencyCode, f64> = populations
        .iter()
        .map(|(code, population)| (code.clone(), population / mean))
        .collect();
    let country: f64 = today.values().sum();
    // A merged unit's predecessors share it equally (their own sizes are not in the data).
    let mut merged_into: HashMap<AgencyCode, (AgencyCode, usize)> = HashMap::new();
    for succession in &demo.successions {
        if succession.kind == baocao_domain::agency::SuccessionKind::Merge {
            let count = demo
                .successions
                .iter()
                .filter(|s| s.successor == succession.successor)
                .count();
            merged_into.insert(
                succession.predecessor.clone(),
                (succession.successor.clone(), count),
            );
        }
    }
    let reorganised = crate::files::reorganisation_day();
    let province = |code: &AgencyCode, to: Option<Date>| -> f64 {
        let former = to.is_some_and(|to| to < reorganised);
        match (former, merged_into.get(code)) {
            (true, Some((successor, count))) => {
                today.get(successor).copied().unwrap_or(1.0) / *count as f64
            }
            _ => today.get(code).copied().unwrap_or(1.0),
        }
    };
    let mut scales = HashMap::new();
    let mut communes: HashMap<AgencyCode, Vec<(AgencyCode, Option<Date>)>> = HashMap::new();
    for agency in demo.directory.agencies() {
        let Some(last) = agency.states().last() else {
            continue;
        };
        let lifetime = agency.lifetime();
        let key = (agency.code().clone(), lifetime.from());
        let scale = match last.kind.level() {
            AgencyLevel::National => country,
            AgencyLevel::Province => province(agency.code(), lifetime.to()),
            AgencyLevel::Commune => {
                if let Some(parent) = &last.parent {
                    communes.entry(parent.clone()).or_default().push(key);
                }
                continue;
            }
            AgencyLevel::Ministry | AgencyLevel::Department => {
                0.4 + 1.6 * unit(agency.code().as_str())
            }
        };
        scales.insert(key, scale);
    }
    for (parent, members) in communes {
        let whole = today.get(&parent).copied().unwrap_or(1.0);
        let weights: Vec<f64> = members
            .iter()
            .map(|(code, _)| 0.5 + unit(code.as_str()))
            .collect();
        let total: f64 = weights.iter().sum();
        for (member, weight) in members.into_iter().zip(weights) {
            scales.insert(member, whole * weight / total);
        }
    }
    Ok(scales)
}

/// A plausible value of `indicator` for an agency of `scale` in `period`.
fn generate(indicator: &Indicator, scale: f64, period: PeriodId, seed: &str) -> String {
    let code = indicator.code().as_str();
    // Scaled bases are an average province's month (of the 34); an agency's scale says how
    // many such provinces it weighs.
    let (base, scaled) = match code {
        "KT03" => (108.0, false),
        "KT07" => (103.5, false),
        "KT04" => (15600.0, true),
        "KT05" => (930.0, true),
        "KT06" => (870.0, true),
        "KT08" => (1260.0, true),
        "KT09" => (4650.0, true),
        "KT11" => (480.0, true),
        "HC01" => (1700.0, false),
        "HC02" => (126000.0, true),
        "HC03" => (120000.0, true),
        "HC04" => (1800.0, true),
        "HC05" => (420.0, true),
        "HC06" => (375.0, true),
        "VB01" => (27000.0, true),
        "VB02" => (45000.0, true),
        "VB03" => (25800.0, true),
        // Vietnam's 101 million people over 34 provinces, in thousands.
        "XH01" => (2980.0, true),
        "XH06" => (850000.0, true),
        "XH05" => (34000.0, true),
        // A province's month (the communes share it).
        "XH11" => (60.0, true),
        "XH12" => (30.0, true),
        "XH13" => (15.0, true),
        _ => (100.0, indicator.aggregation() == Aggregation::Sum),
    };
    let years = f64::from(period.year() - 2024) + f64::from(period.start().month() - 1) / 12.0;
    let growth = if scaled { 1.07f64.powf(years) } else { 1.0 };
    let season =
        1.0 + 0.08 * (f64::from(period.start().month()) * std::f64::consts::PI / 6.0).sin();
    let season = if indicator.aggregation() == Aggregation::Sum {
        season
    } else {
        1.0
    };
    let noise = 0.95 + 0.1 * unit(seed);
    // Quarterly and yearly sums cover more months than a monthly base.
    let months = f64::from(i32::from(period.end().month()) - i32::from(period.start().month()) + 1);
    let span = if indicator.aggregation() == Aggregation::Sum
        && !code.starts_with("HC")
        && !code.starts_with("VB")
    {
        months
    } else {
        1.0
    };
    let value = base * if scaled { scale } else { 1.0 } * growth * season * noise * span;
    match indicator.value_type() {
        ValueType::Integer => format!("{}", value.round() as i64),
        _ => format!("{:.1}", value),
    }
}

/// The parts of a disaggregated total — every option combination — adding up exactly to it
/// (in whole units, or tenths for decimals). Each option's share is fixed per agency (`seed`),
/// so a series keeps its proportions. Rates and indices (rule `none`) have no parts.
fn breakdown(
    indicator: &Indicator,
    categories: &[baocao_domain::indicator::Category],
    total: &str,
    seed: &str,
) -> Vec<(OptionCombo, String)> {
    let additive = matches!(
        indicator.aggregation(),
        Aggregation::Sum | Aggregation::Last
    );
    let Ok(total) = total.parse::<f64>() else {
        return Vec::new();
    };
    if !additive || indicator.disaggregation.is_empty() {
        return Vec::new();
    }
    let combos = baocao_domain::report::option_combinations(
        indicator,
        categories,
        baocao_domain::report::MAX_COMBINATIONS,
    );
    let share = |category: &str, option: &str| {
        let options = categories
            .iter()
            .find(|c| c.code() == category)
            .map(|c| c.options().to_vec())
            .unwrap_or_default();
        let weight = |o: &str| 0.8 + 0.4 * unit(&format!("{seed}|{category}|{o}"));
        weight(option)
            / options
                .iter()
                .map(|o| weight(&o.code))
                .sum::<f64>()
                .max(f64::MIN_POSITIVE)
    };
    let scale = match indicator.value_type() {
        ValueType::Integer => 1.0,
        _ => 10.0,
    };
    let units = (total * scale).round() as i64;
    let mut given = 0;
    let mut parts = Vec::with_capacity(combos.len());
    for (index, combo) in combos.iter().enumerate() {
        let weight: f64 = combo
            .clone()
            .into_map()
            .iter()
            .map(|(category, option)| share(category, option))
            .product();
        // Rounded up or down at random (fixed per cell), so small counts do not all fall
        // into the last part.
        let jitter = unit(&format!("{seed}|{}|{total}", combo.key()));
        let part = if index + 1 == combos.len() {
            units - given
        } else {
            ((units as f64 * weight + jitter).floor() as i64).min(units - given)
        };
        given += part;
        let text = match indicator.value_type() {
            ValueType::Integer => part.to_string(),
            _ => format!("{:.1}", part as f64 / scale),
        };
        parts.push((combo.clone(), text));
    }
    parts
}

/// 09:00 in Vietnam, `days` after `day`.
fn morning(day: Date, days: i64) -> jiff::Timestamp {
    (day + jiff::Span::new().days(days))
        .at(9, 0, 0, 0)
        .to_zoned(legal_time_zone())
        .map(|z| z.timestamp())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// Loads the history once; answers how many reports it wrote.
pub async fn load_demo_history(store: &Store, scope: &HistoryScope) -> Result<usize, SeedError> {
    load_demo_history_reporting(store, scope, &|_| {}).await
}

/// How far the history's loading has come: periods of regimes written of all there are.
#[derive(Debug, Clone, Copy)]
pub struct HistoryProgress<'a> {
    pub done: u64,
    pub total: u64,
    pub regime: &'a str,
}

/// [`load_demo_history`], telling `progress` after each period of each regime.
pub async fn load_demo_history_reporting(
    store: &Store,
    scope: &HistoryScope,
    progress: &(dyn Fn(HistoryProgress<'_>) + Sync),
) -> Result<usize, SeedError> {
    if store.setting(HISTORY_SETTING).await?.is_some() {
        return Ok(0);
    }
    let demo = DemoData::parse()?;
    let scales = scales(&demo)?;
    let mut keys: HashMap<AgencyCode, KeyPair> = HashMap::new();
    let writer = HistoryWriter::new(store).await?;
    let mut written = 0;
    let regimes: Vec<&Regime> = demo
        .regimes
        .iter()
        .filter(|regime| {
            scope.regimes.is_empty() || scope.regimes.iter().any(|r| r == regime.code().as_str())
        })
        .collect();
    let total = regimes
        .iter()
        .map(|regime| periods_of(regime, scope).count() as u64)
        .sum();
    let mut done = 0;
    for regime in regimes {
        written += load_regime(
            &writer,
            &demo,
            regime,
            scope,
            &scales,
            &mut keys,
            &mut |_| {
                done += 1;
                progress(HistoryProgress {
                    done,
                    total,
                    regime: regime.code().as_str(),
                });
            },
        )
        .await?;
    }
    if scope.regimes.is_empty() {
        store
            .set_setting(
                HISTORY_SETTING,
                &scope.until.to_string(),
                // Stamped on the history's own timeline, as its reports are.
                &baocao_domain::audit::Provenance::system(
                    &baocao_store::timestamp_text(morning(scope.until, 0)),
                    baocao_domain::audit::Channel::Demo,
                ),
            )
            .await?;
    }
    tracing::info!(reports = written, "demo history loaded");
    Ok(written)
}

async fn load_regime(
    writer: &HistoryWriter,
    demo: &DemoData,
    regime: &Regime,
    scope: &HistoryScope,
    scales: &HashMap<(AgencyCode, Option<Date>), f64>,
    keys: &mut HashMap<AgencyCode, KeyPair>,
    period_done: &mut (dyn FnMut(&PeriodId) + Send),
) -> Result<usize, SeedError> {
    let store = &writer.store;
    let content = regime.content();
    let commune_regime = content
        .forms
        .iter()
        .all(|f| f.values == baocao_domain::regime::RowValues::Own);
    let mut written = 0;
    for period in periods_of(regime, scope) {
        let resolver = PeriodResolver::read(
            &writer.at(morning(period.end(), 0)),
            regime.code().as_str(),
            &period.to_string(),
        )
        .await
        .map_err(refused)?;
        // Communes exist from July 2025; of them, the demo's history covers Hà Nội's.
        for assignment in store.assignments(regime.code(), Some(period.end())).await? {
            if commune_regime && assignment.receiving_agency != "01" {
                continue;
            }
            let agency = AgencyCode::new(assignment.reporting_agency.clone())
                .map_err(|e| crate::bad("history", e))?;
            let Some(lifetime) = demo
                .directory
                .find(&agency, period.end())
                .map(|a| a.lifetime().from())
            else {
                continue;
            };
            let seed = format!("{}|{}|{}", regime.code(), agency, period);
            let roll = unit(&seed);
            if roll < 0.03 {
                continue; // never sent
            }
            let scale = scales
                .get(&(agency.clone(), lifetime))
                .copied()
                .unwrap_or(1.0);
            let mut cells = Vec::new();
            for form in &content.forms {
                for row in &form.rows {
                    let Some(indicator) =
                        demo.indicators.iter().find(|i| i.code() == &row.indicator)
                    else {
                        continue;
                    };
                    let value = generate(
                        indicator,
                        scale,
                        period,
                        &format!("{seed}|{}", row.indicator),
                    );
                    let parts = breakdown(
                        indicator,
                        &demo.categories,
                        &value,
                        &format!("{}|{}", agency, row.indicator),
                    );
                    cells.push(Cell {
                        address: CellAddress {
                            form: form.code.clone(),
                            row: row.indicator.clone(),
                            column: FormColumn::ThisPeriod,
                            options: OptionCombo::TOTAL,
                        },
                        value,
                        comment: None,
                    });
                    for (options, value) in parts {
                        cells.push(Cell {
                            address: CellAddress {
                                form: form.code.clone(),
                                row: row.indicator.clone(),
                                column: FormColumn::ThisPeriod,
                                options,
                            },
                            value,
                            comment: None,
                        });
                    }
                }
            }
            cells.sort_by(|a, b| a.address.cmp(&b.address));
            let report = resolver.report(agency.as_str()).map_err(refused)?;
            let Some(due) = report.due else {
                continue;
            };
            if scope
                .now
                .is_some_and(|now| morning(due.day, LAST_STEP_DAYS) > now)
            {
                continue;
            }
            let submitted = morning(due.day, if roll < 0.08 { 3 } else { -2 });
            let returned = (0.08..0.11).contains(&roll);
            if !keys.contains_key(&agency) {
                // A key of its own per agency, the same on every machine, so the demo's
                // signatures can be checked again anywhere.
                let pair = KeyPair::from_secret(digest(&format!(
                    "baocao demo signing key {agency} {lifetime:?}"
                )));
                store
                    .add_signing_key(
                        &agency,
                        period.end(),
                        &pair.secret_hex,
                        &pair.public_hex,
                        &timestamp_text(submitted),
                    )
                    .await?;
                keys.insert(agency.clone(), pair);
            }
            let edit = |version| DraftEdit {
                version,
                values: cells
                    .iter()
                    .map(|cell| CellInput {
                        address: cell.address.clone(),
                        value: Some(serde_json::Value::String(cell.value.clone())),
                        comment: None,
                    })
                    .collect(),
                sections: Vec::new(),
            };
            let generator = &writer.generator;
            reporting::write_draft(
                &writer.at(morning(due.day, -5)),
                generator,
                &report,
                edit(0),
                &writer.catalogue,
            )
            .await
            .map_err(refused)?;
            writer.submit(&report, submitted).await?;
            let mut accepted_at = morning(due.day, if due.is_late(submitted) { 4 } else { 1 });
            if returned {
                let lock = reporting::perform(
                    &writer.at(accepted_at),
                    generator,
                    &report,
                    SubmissionAction::Return,
                    ActionInput {
                        reason: Some("Đề nghị rà soát lại số liệu (dữ liệu mẫu).".into()),
                        explanations: Vec::new(),
                    },
                    &writer.catalogue,
                )
                .await
                .map_err(refused)?;
                reporting::write_draft(
                    &writer.at(accepted_at),
                    generator,
                    &report,
                    edit(lock),
                    &writer.catalogue,
                )
                .await
                .map_err(refused)?;
                writer.submit(&report, accepted_at).await?;
                accepted_at = morning(due.day, LAST_STEP_DAYS);
            }
            reporting::perform(
                &writer.at(accepted_at),
                generator,
                &report,
                SubmissionAction::Accept,
                ActionInput::default(),
                &writer.catalogue,
            )
            .await
            .map_err(refused)?;
            written += 1;
        }
        period_done(&period);
    }
    Ok(written)
}

/// The periods of `regime` the history covers: from the demo's start to the scope's end.
fn periods_of(regime: &Regime, scope: &HistoryScope) -> impl Iterator<Item = PeriodId> {
    let content = regime.content();
    let first = match (content.frequency, &content.deadline) {
        (Some(frequency), Some(_)) => Some(PeriodId::containing(frequency, crate::demo_start())),
        _ => None,
    };
    let until = scope.until;
    std::iter::successors(first, |period| Some(period.next())).take_while(move |p| p.end() <= until)
}
