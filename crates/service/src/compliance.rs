//! Compliance: for a regime and a range of periods, who was expected to report, who did, on
//! time or late, complete or not — per agency, per kind, in all — and the status of every
//! expected report now. What was expected comes from the history of assignments and agencies
//! (the domain's [`baocao_domain::compliance`]); the reminder job and the schedule read the
//! same [`expected_reports`].

use std::collections::{BTreeMap, HashMap};

use baocao_domain::Date;
use baocao_domain::agency::AgencyCode;
use baocao_domain::agency::AgencyKind;
use baocao_domain::calendar::{Due, cutoff_window, deadline};
use baocao_domain::compliance::{Expected, ReportState, SlotStatus, Tally, summary, tally};
use baocao_domain::period::{Frequency, PeriodId};
use baocao_domain::report::ReportContent;
use baocao_store::StoreError;
use baocao_store::compliance::within;
use serde::Serialize;

use crate::catalogue::{self, CatalogueError};
use crate::{Caller, Context};

/// Why a compliance question has no answer.
#[derive(Debug, thiserror::Error)]
pub enum ComplianceError {
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error("forbidden")]
    Forbidden,
    /// The regime lacks a frequency, deadline or cut-off.
    #[error("the regime is not periodic")]
    NotPeriodic,
    #[error("periods must be of the regime's frequency ({0})")]
    PeriodNotOfRegime(Frequency),
    /// More periods than one question may span (the limit).
    #[error("the range is longer than {0} periods")]
    RangeTooLong(usize),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ComplianceError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Catalogue(error) => error.code(),
            Self::Forbidden => "forbidden",
            Self::NotPeriodic => "not_periodic",
            Self::PeriodNotOfRegime(_) => "period_frequency_mismatch",
            Self::RangeTooLong(_) => "range_too_long",
            Self::Store(_) => "store",
        }
    }
}

/// The most periods one question may span.
const MAX_PERIODS: usize = 400;

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgencyCompliance {
    pub agency: String,
    pub name: String,
    /// The agency's last day, when it no longer exists (merged away in a reorganisation).
    pub valid_to: Option<Date>,
    pub kind: AgencyKind,
    #[serde(flatten)]
    pub tally: Tally,
    pub completeness: Option<f64>,
    pub timeliness: Option<f64>,
    pub content_completeness: Option<f64>,
    /// Period id → status now, for the periods the agency was expected.
    pub periods: BTreeMap<String, SlotStatus>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KindCompliance {
    pub kind: AgencyKind,
    pub agencies: usize,
    pub with_a_submission: usize,
    #[serde(flatten)]
    pub tally: Tally,
    pub completeness: Option<f64>,
    pub timeliness: Option<f64>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplianceAnswer {
    pub regime: String,
    pub from: String,
    pub to: String,
    pub periods: Vec<String>,
    pub items: Vec<AgencyCompliance>,
    pub by_kind: Vec<KindCompliance>,
    pub total: Tally,
    pub completeness: Option<f64>,
    pub timeliness: Option<f64>,
    pub content_completeness: Option<f64>,
    pub summary: String,
    pub summary_en: String,
}

/// Who was expected to report each period of `from..=to` (`to` default: `from`), who did, on
/// time or late, complete or not — per agency, per kind, in all.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, regime, from))]
pub async fn compliance(
    state: &Context,
    caller: &Caller,
    regime: &str,
    from: &str,
    to: Option<&str>,
) -> Result<ComplianceAnswer, ComplianceError> {
    // The whole country's compliance for whoever reads it; the agencies in one's scope (its
    // own, those reporting to it) for the others.
    let scope = crate::scope::analytics_scope(state, caller).await?;
    if !scope.reads_any() {
        return Err(ComplianceError::Forbidden);
    }
    let national = scope.covers(&crate::national());
    let regime = catalogue::load_regime(&state.store, regime).await?;
    let content = regime.content();
    let (Some(frequency), Some(_), Some(_)) =
        (content.frequency, &content.deadline, &content.cutoff)
    else {
        return Err(ComplianceError::NotPeriodic);
    };
    let first = catalogue::parse_period(from)?;
    let last = catalogue::parse_period(to.unwrap_or(from))?;
    if first.frequency() != frequency || last.frequency() != frequency {
        return Err(ComplianceError::PeriodNotOfRegime(frequency));
    }
    let mut periods = vec![first];
    while *periods.last().expect("one at least") < last {
        if periods.len() >= MAX_PERIODS {
            return Err(ComplianceError::RangeTooLong(MAX_PERIODS));
        }
        let next = periods.last().expect("one at least").next();
        periods.push(next);
    }

    let (mut expected, names) = expected_reports(state, &regime, &periods, None).await?;
    if !national {
        let (graph, _) = crate::aggregates::agency_graph(state, state.today()).await?;
        expected.retain(|item| {
            AgencyCode::new(&item.agency)
                .is_ok_and(|code| scope.covers(&graph.lineage_codes(&code)))
        });
    }
    let now = state.clock.now();
    let result = tally(&expected, now);
    let mut statuses: BTreeMap<&str, BTreeMap<String, SlotStatus>> = BTreeMap::new();
    let mut kind_of: BTreeMap<&str, AgencyKind> = BTreeMap::new();
    for item in &expected {
        statuses
            .entry(&item.agency)
            .or_default()
            .insert(item.period.to_string(), item.status(now));
        kind_of.insert(&item.agency, item.kind);
    }
    let items = result
        .by_agency
        .iter()
        .map(|(agency, tally)| AgencyCompliance {
            agency: agency.clone(),
            name: names
                .get(agency)
                .map(|(name, _)| name.clone())
                .unwrap_or_default(),
            valid_to: names.get(agency).and_then(|(_, ended)| *ended),
            kind: kind_of[agency.as_str()],
            tally: *tally,
            completeness: tally.completeness(),
            timeliness: tally.timeliness(),
            content_completeness: tally.content_completeness(),
            periods: statuses.remove(agency.as_str()).unwrap_or_default(),
        })
        .collect();
    let by_kind = result
        .by_kind
        .iter()
        .map(|(kind, (tally, count))| KindCompliance {
            kind: *kind,
            agencies: count.agencies,
            with_a_submission: count.with_a_submission,
            tally: *tally,
            completeness: tally.completeness(),
            timeliness: tally.timeliness(),
        })
        .collect();
    let (summary_vi, summary_en) = summary(&result);
    Ok(ComplianceAnswer {
        regime: regime.code().to_string(),
        from: first.to_string(),
        to: last.to_string(),
        periods: periods.iter().map(ToString::to_string).collect(),
        items,
        by_kind,
        total: result.total,
        completeness: result.total.completeness(),
        timeliness: result.total.timeliness(),
        content_completeness: result.total.content_completeness(),
        summary: summary_vi,
        summary_en,
    })
}

/// An agency's name as it was then, and its last day if it no longer exists.
pub type AgencyName = (String, Option<Date>);

/// The reports expected of a regime's periods (of every agency, or of `only`), from the
/// history of its assignments and of the agencies' lifetimes, each with how it stands; and the
/// agencies' names then.
pub async fn expected_reports(
    state: &Context,
    regime: &baocao_domain::regime::Regime,
    periods: &[PeriodId],
    only: Option<&str>,
) -> Result<(Vec<Expected>, HashMap<String, AgencyName>), StoreError> {
    let content = regime.content();
    let (Some(rule), Some(cutoff), Some(first), Some(last)) = (
        &content.deadline,
        &content.cutoff,
        periods.first(),
        periods.last(),
    ) else {
        return Ok((Vec::new(), HashMap::new()));
    };
    let holidays = crate::calendar::holiday_calendar(state).await?;
    let spans = state.store.assignment_spans(regime.code()).await?;
    let kinds = state.store.assigned_kinds(regime.code()).await?;
    let facts = state
        .store
        .report_facts(regime.code(), first.start(), last.end(), only)
        .await?;
    let reports: HashMap<(i32, PeriodId), &baocao_store::compliance::ReportFact> =
        facts.iter().map(|f| ((f.agency_id, f.period), f)).collect();
    let mut names: HashMap<String, AgencyName> = HashMap::new();
    let mut expected = Vec::new();
    for p in periods {
        let on = p.end().to_string();
        let mut seen = std::collections::HashSet::new();
        for span in spans.iter().filter(|s| {
            only.is_none_or(|code| s.agency == code)
                && within(&on, &s.valid_from, &s.valid_to)
                && within(&on, &s.agency_from, &s.agency_to)
        }) {
            if !seen.insert(span.agency_id) {
                continue;
            }
            let Some(state_then) = kinds
                .iter()
                .find(|k| k.agency_id == span.agency_id && within(&on, &k.valid_from, &k.valid_to))
            else {
                continue;
            };
            let Ok(kind) = AgencyKind::parse(&state_then.kind) else {
                continue;
            };
            let ended = span
                .agency_to
                .as_deref()
                .and_then(|d| d.parse::<Date>().ok());
            names.insert(span.agency.clone(), (state_then.name_vi.clone(), ended));
            let report = reports.get(&(span.agency_id, *p)).map(|fact| ReportState {
                status: fact.status,
                first_late: fact.first_late,
                complete: fact
                    .latest_content
                    .as_deref()
                    .and_then(|c| serde_json::from_str::<ReportContent>(c).ok())
                    .is_some_and(|c| c.fills_every_row(content)),
            });
            expected.push(Expected {
                agency: span.agency.clone(),
                kind,
                period: *p,
                opens: cutoff_window(cutoff, *p).start,
                deadline: Due {
                    day: deadline(rule, Some(cutoff), *p, &holidays),
                    time: content.deadline_time,
                },
                report,
            });
        }
    }
    Ok((expected, names))
}
