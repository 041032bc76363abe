//! Reports: one agency's report under one regime for one period, addressed by
//! [`ReportAddress`]. Reading one as the caller may see it ([`read`]), saving its draft
//! ([`save_draft`]), the workflow — submit, accept, return, reopen ([`act`]), many
//! acceptances at once ([`accept_many`]) — the drafts of a whole period for pushes
//! ([`bulk`]), pre-fill ([`prefill`]), the versions sent, their differences and their
//! signatures ([`versions`]), and a version as an administrative document ([`document`]).
//!
//! Every check a report action needs is [`baocao_domain::submission::decide`]: what a page
//! offers ([`ReportView::allowed`]) is exactly what the use case lets through.

pub mod bulk;
pub mod compile;
pub mod document;
mod error;
pub mod prefill;
pub mod signing;
pub mod validation;
pub mod versions;
mod workflow;

use std::fmt;
use std::sync::Arc;

use baocao_domain::agency::AgencyCode;
use baocao_domain::calendar::{CutoffWindow, Due, check_frequency, cutoff_window};
use baocao_domain::period::{Frequency, PeriodId};
use baocao_domain::permission::Action;
use baocao_domain::regime::{Regime, RegimeCode, RegimeStatus};
use baocao_domain::report::{CellInput, ReportContent, ReportShape, SectionInput};
use baocao_domain::rules::Violation;
use baocao_domain::submission::{
    AllowedActions, Circumstances, Refusal, Rights, SubmissionAction, SubmissionStatus, Transition,
    allowed_actions, decide,
};
use baocao_store::StoreError;
use baocao_store::analytics::Generations;
use baocao_store::reports::{ReportAgencies, ReportKey, ReportRecord, VersionRecord};

pub use error::{ConflictDuring, ReportingError};
pub use workflow::{ActionInput, accept_many, act, ask_for_approval, perform};

use crate::catalogue::{self, Catalogue, CatalogueError};
use crate::{Caller, Context};
use validation::{OutlierFlag, ReportUnderCheck};

/// Which report: a regime, the reporting agency, a period.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportAddress {
    pub regime: RegimeCode,
    pub agency: AgencyCode,
    pub period: PeriodId,
}

impl ReportAddress {
    /// The address in a request's three parts (the period is read first, so a bad one is
    /// the error whatever else is wrong).
    pub fn parse(regime: &str, agency: &str, period: &str) -> Result<Self, CatalogueError> {
        let period = catalogue::parse_period(period)?;
        let regime = catalogue::regime_code(regime)?;
        let agency = catalogue::agency_code(agency)?;
        Ok(Self {
            regime,
            agency,
            period,
        })
    }

    fn key(&self) -> ReportKey {
        ReportKey {
            regime: self.regime.clone(),
            agency: self.agency.clone(),
            period: self.period,
        }
    }
}

impl fmt::Display for ReportAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.regime, self.agency, self.period)
    }
}

/// A report resolved: the regime version governing its period, who receives it, both
/// agencies' lineages (for the permission policy) and its deadline.
#[derive(Clone)]
pub struct Report {
    pub address: ReportAddress,
    pub regime: Arc<Regime>,
    pub receiving_agency: AgencyCode,
    pub reporting_lineage: Vec<AgencyCode>,
    pub receiving_lineage: Vec<AgencyCode>,
    /// The deadline on the deployment's holiday calendar, if the regime has one.
    pub due: Option<Due>,
    /// The rows of the reporting and receiving agencies, when the hierarchy knows both.
    agency_rows: Option<ReportAgencies>,
}

impl Report {
    fn key(&self) -> ReportKey {
        self.address.key()
    }

    /// What the caller's grants allow on this report.
    pub fn rights(&self, caller: &Caller) -> Rights {
        Rights {
            edit: caller.may(Action::EditDraft {
                reporting: &self.reporting_lineage,
            }),
            submit: caller.may(Action::Submit {
                reporting: &self.reporting_lineage,
            }),
            review: caller.may(Action::Review {
                receiving: &self.receiving_lineage,
            }),
        }
    }

    /// The last day the report stays open, when its regime locks it after the deadline.
    fn last_open_day(&self) -> Option<baocao_domain::Date> {
        let due = self.due?;
        self.regime.content().after_deadline.last_open_day(due.day)
    }

    /// What the regime's version and the moment say about this report.
    pub fn circumstances(&self, ctx: &Context) -> Circumstances {
        let content = self.regime.content();
        Circumstances {
            published: self.regime.status() == RegimeStatus::Published,
            locked: self.last_open_day().is_some_and(|last| ctx.today() > last),
            late_refused: !content.after_deadline.late_accepted
                && self.due.is_some_and(|due| due.is_late(ctx.clock.now())),
        }
    }

    /// `action` by `caller` on the report in `status`, decided by the domain; a refusal as
    /// this area's error.
    fn decide(
        &self,
        ctx: &Context,
        caller: &Caller,
        status: Option<SubmissionStatus>,
        action: SubmissionAction,
    ) -> Result<Transition, ReportingError> {
        decide(status, action, self.rights(caller), self.circumstances(ctx))
            .map_err(|refusal| self.refused(refusal, action, None))
    }

    fn refused(
        &self,
        refusal: Refusal,
        action: SubmissionAction,
        named: Option<&ReportAddress>,
    ) -> ReportingError {
        match refusal {
            Refusal::NotPublished => ReportingError::NotPublished(self.address.regime.clone()),
            Refusal::Locked => ReportingError::Locked {
                period: self.address.period,
                last_open_day: self.last_open_day().unwrap_or_default(),
            },
            Refusal::DeadlinePassed => match self.due {
                Some(due) => ReportingError::DeadlinePassed(due),
                None => ReportingError::Forbidden,
            },
            Refusal::Forbidden => ReportingError::Forbidden,
            Refusal::Transition(error) if action == SubmissionAction::Save => {
                ReportingError::NotEditable {
                    from: error.from,
                    report: named.cloned(),
                }
            }
            Refusal::Transition(error) => ReportingError::InvalidTransition(error),
        }
    }
}

/// The regime in force for the period, which must be one of the regime's.
async fn regime_of(
    ctx: &Context,
    generations: &Generations,
    regime: &RegimeCode,
    period: PeriodId,
) -> Result<Arc<Regime>, ReportingError> {
    let regime =
        catalogue::regime_in_force_under(ctx, generations.regimes, regime.as_str(), period.start())
            .await?;
    let frequency = regime.content().frequency;
    let fits = match frequency {
        Some(frequency) => check_frequency(frequency, period).is_ok(),
        // Thematic and ad hoc reports are made for dates of their own.
        None => period.frequency() == Frequency::Dated,
    };
    if !fits {
        return Err(ReportingError::PeriodNotOfRegime { period, frequency });
    }
    Ok(regime)
}

/// Resolves a report: its regime version, receiver, lineages and deadline.
pub async fn resolve(ctx: &Context, address: &ReportAddress) -> Result<Report, ReportingError> {
    let generations = ctx.store.generations(&[]).await?;
    resolve_under(ctx, &generations, address).await
}

/// The change counters (the outlier thresholds, and the counters of the periods the outlier
/// checks of `period` compare with) a report's use case reads once, before every cache it
/// consults.
async fn generations(ctx: &Context, period: Option<PeriodId>) -> Result<Generations, StoreError> {
    ctx.store
        .generations_with_periods(
            &[validation::OUTLIER_SETTINGS],
            period.map(validation::compared_span),
        )
        .await
}

/// [`resolve`] under counters the caller has already read: the regime version, the
/// hierarchy and the holiday calendar come from memory while they stand.
async fn resolve_under(
    ctx: &Context,
    generations: &Generations,
    address: &ReportAddress,
) -> Result<Report, ReportingError> {
    let regime = regime_of(ctx, generations, &address.regime, address.period).await?;
    let receiving_agency = assigned_receiver_under(ctx, generations, address)
        .await?
        .ok_or_else(|| ReportingError::NotAssigned(address.clone()))?;
    // Both lineages from the hierarchy kept in memory, not a recursive query each.
    let (graph, _) =
        crate::aggregates::agency_graph_under(ctx, generations.hierarchy, address.period.end())
            .await?;
    let reporting_lineage = graph.lineage_codes(&address.agency);
    let receiving_lineage = graph.lineage_codes(&receiving_agency);
    let row = |code: &AgencyCode| graph.find(code).and_then(|key| i32::try_from(key).ok());
    let agency_rows = match (row(&address.agency), row(&receiving_agency)) {
        (Some(reporting), Some(receiving)) => Some(ReportAgencies {
            reporting,
            receiving,
        }),
        _ => None,
    };
    let holidays = crate::calendar::holiday_calendar_under(ctx, generations.calendar).await?;
    let due = regime.content().deadline_of(address.period, &holidays);
    Ok(Report {
        address: address.clone(),
        regime,
        receiving_agency,
        reporting_lineage,
        receiving_lineage,
        due,
        agency_rows,
    })
}

/// Who receives the report, from the regime's assignments for its period read once (one
/// statement for every agency) and kept while the regimes and the hierarchy stand.
async fn assigned_receiver_under(
    ctx: &Context,
    generations: &Generations,
    address: &ReportAddress,
) -> Result<Option<AgencyCode>, StoreError> {
    let counters = (generations.regimes, generations.hierarchy);
    let regime = address.regime.as_str();
    let receivers = match ctx.aggregates.receivers(regime, address.period, counters) {
        Some(kept) => kept,
        None => {
            let read = Arc::new(
                ctx.store
                    .assigned_receivers(&address.regime, address.period)
                    .await?,
            );
            ctx.aggregates
                .keep_receivers(regime, address.period, counters, read.clone());
            read
        }
    };
    Ok(receivers.get(&address.agency).cloned())
}

/// What is stored of a report: its record (if anything was saved), its versions and the
/// reason it was last returned — read together, once per request.
struct ReportState {
    record: Option<ReportRecord>,
    versions: Vec<VersionRecord>,
    return_reason: Option<String>,
}

impl ReportState {
    async fn read(ctx: &Context, report: &Report) -> Result<Self, StoreError> {
        let (record, return_reason) =
            match ctx.store.report_record_and_reason(&report.key()).await? {
                Some((record, reason)) => (Some(record), reason),
                None => (None, None),
            };
        let versions = match &record {
            Some(record) => ctx.store.versions_of(record.id).await?,
            None => Vec::new(),
        };
        Ok(Self {
            record,
            versions,
            return_reason,
        })
    }

    fn status(&self) -> Option<SubmissionStatus> {
        self.record.as_ref().map(|r| r.status)
    }
}

/// A version as listed with its report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VersionSummary {
    pub number: i32,
    pub submitted_at: String,
    pub signed_by: String,
    pub late: bool,
    pub sha256: String,
    /// The warnings it carried, each with the reporter's explanation.
    pub warnings: serde_json::Value,
}

/// A report as the caller may see it.
#[derive(Debug, Clone)]
pub struct ReportView {
    pub address: ReportAddress,
    pub receiving_agency: AgencyCode,
    /// `None` before anything was saved.
    pub status: Option<SubmissionStatus>,
    /// The optimistic lock (0 before the first save).
    pub lock_version: i32,
    /// The version of the regime that governs this period.
    pub regime_version: u32,
    pub cutoff: Option<CutoffWindow>,
    pub due: Option<Due>,
    /// The draft for its editors, the latest version sent for the others.
    pub content: ReportContent,
    pub versions: Vec<VersionSummary>,
    /// Why the report was last returned or reopened.
    pub return_reason: Option<String>,
    pub updated_at: Option<String>,
    /// The regime's rules that the content shown breaks.
    pub violations: Vec<Violation>,
    /// Numbers that look wrong against history, last year or peers.
    pub outliers: Vec<OutlierFlag>,
    /// What the caller may do with the report now.
    pub allowed: AllowedActions,
}

impl ReportView {
    /// The status's name (`not_started` before anything was saved).
    pub fn status_name(&self) -> &'static str {
        self.status.map_or("not_started", |s| s.as_str())
    }
}

/// A stored version's content, read as the domain's report: one that does not parse is an
/// error, never an empty report.
pub(crate) fn stored_content(
    address: &ReportAddress,
    version: &VersionRecord,
) -> Result<ReportContent, ReportingError> {
    version
        .report_content()
        .map_err(|error| ReportingError::CorruptVersion {
            report: address.clone(),
            number: version.number,
            detail: error.to_string(),
        })
}

/// What a request has read once and every step of it shares.
struct Reading<'a> {
    generations: &'a Generations,
    catalogue: &'a Catalogue,
    /// The outlier contexts this request built, by regime version and period: the views of a
    /// bulk acceptance share one, however the period's data move meanwhile.
    outliers: std::sync::Mutex<Vec<OutlierMemo>>,
}

type OutlierMemo = (
    (String, u32, PeriodId),
    std::sync::Arc<validation::OutlierContext>,
);

impl<'a> Reading<'a> {
    fn new(generations: &'a Generations, catalogue: &'a Catalogue) -> Self {
        Self {
            generations,
            catalogue,
            outliers: Default::default(),
        }
    }

    /// The outliers of a report's content shown, against the context this request uses for
    /// its regime version and period.
    async fn outliers(
        &self,
        ctx: &Context,
        report: &Report,
        content: &ReportContent,
    ) -> Result<Vec<validation::OutlierFlag>, StoreError> {
        if content.values.is_empty() {
            return Ok(Vec::new());
        }
        let key = (
            report.regime.code().to_string(),
            report.regime.version(),
            report.address.period,
        );
        let built = self
            .outlier_memo()
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, c)| c.clone());
        let context = match built {
            Some(context) => context,
            None => {
                let context = validation::OutlierContext::load_under(
                    ctx,
                    self.generations,
                    &report.regime,
                    report.address.period,
                )
                .await?;
                self.outlier_memo().push((key, context.clone()));
                context
            }
        };
        Ok(context.outliers(&report.address.agency, content))
    }

    fn outlier_memo(&self) -> std::sync::MutexGuard<'_, Vec<OutlierMemo>> {
        // Each push is whole: a panic elsewhere leaves nothing half-written to refuse.
        self.outliers.lock().unwrap_or_else(|p| p.into_inner())
    }
}

async fn view(
    ctx: &Context,
    caller: &Caller,
    report: &Report,
    with_draft: bool,
    reading: &Reading<'_>,
    state: ReportState,
) -> Result<ReportView, ReportingError> {
    let ReportState {
        record,
        versions,
        return_reason,
    } = state;
    let status = record.as_ref().map(|r| r.status);
    let allowed = allowed_actions(status, report.rights(caller), report.circumstances(ctx));
    let content = report.regime.content();
    let cutoff = content
        .cutoff
        .as_ref()
        .map(|rule| cutoff_window(rule, report.address.period));
    let (lock_version, draft, updated_at) = match record {
        Some(ReportRecord {
            lock_version,
            draft,
            updated_at,
            ..
        }) => (lock_version, draft, Some(updated_at)),
        None => (0, ReportContent::default(), None),
    };
    // Those who may not see the draft see the latest version that was sent to them.
    let shown = if with_draft {
        draft
    } else {
        match versions.last() {
            Some(latest) => stored_content(&report.address, latest)?,
            None => ReportContent::default(),
        }
    };
    let violations = violations_of(ctx, reading.catalogue, report, &shown).await?;
    let outliers = reading.outliers(ctx, report, &shown).await?;
    let versions = versions
        .iter()
        .map(|v| {
            Ok(VersionSummary {
                number: v.number,
                submitted_at: v.submitted_at.clone(),
                signed_by: v.signed_by.clone(),
                late: v.late,
                sha256: v.content_sha256.clone(),
                warnings: serde_json::Value::Array(v.warnings()?),
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(ReportView {
        address: report.address.clone(),
        receiving_agency: report.receiving_agency.clone(),
        status,
        lock_version,
        regime_version: report.regime.version(),
        cutoff,
        due: report.due,
        content: shown,
        versions,
        return_reason,
        updated_at,
        violations,
        outliers,
        allowed,
    })
}

async fn violations_of(
    ctx: &Context,
    catalogue: &Catalogue,
    report: &Report,
    content: &ReportContent,
) -> Result<Vec<Violation>, StoreError> {
    validation::violations(
        ctx,
        catalogue,
        &ReportUnderCheck {
            regime: &report.regime,
            agency: &report.address.agency,
            period: report.address.period,
            content,
        },
    )
    .await
}

/// A report as the caller may see it: the draft for its editors, the latest submitted
/// version for those it was sent to (never a draft).
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, report = %address))]
pub async fn read(
    ctx: &Context,
    caller: &Caller,
    address: &ReportAddress,
) -> Result<ReportView, ReportingError> {
    let generations = generations(ctx, Some(address.period)).await?;
    let report = resolve_under(ctx, &generations, address).await?;
    let catalogue = Catalogue::under(ctx, generations.catalogue).await?;
    let reading = Reading::new(&generations, &catalogue);
    if report.rights(caller).edit {
        let state = ReportState::read(ctx, &report).await?;
        return view(ctx, caller, &report, true, &reading, state).await;
    }
    if !caller.may(Action::ReadSubmitted {
        reporting: &report.reporting_lineage,
        receiving: &report.receiving_lineage,
    }) {
        return Err(ReportingError::Forbidden);
    }
    let state = ReportState::read(ctx, &report).await?;
    let sent = state
        .status()
        .is_some_and(|status| status != SubmissionStatus::Draft);
    if !sent {
        return Err(ReportingError::Forbidden);
    }
    view(ctx, caller, &report, false, &reading, state).await
}

/// An edit of a draft: cells and sections merged into it, under the lock read with it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct DraftEdit {
    /// The lock read with the report (0 before the first save).
    pub version: i32,
    #[serde(default)]
    pub values: Vec<CellInput>,
    #[serde(default)]
    pub sections: Vec<SectionInput>,
}

/// Merges an edit into the report's draft (all or nothing) and answers the report.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, report = %address))]
pub async fn save_draft(
    ctx: &Context,
    caller: &Caller,
    address: &ReportAddress,
    edit: DraftEdit,
) -> Result<ReportView, ReportingError> {
    let generations = generations(ctx, Some(address.period)).await?;
    let catalogue = Catalogue::under(ctx, generations.catalogue).await?;
    let report = resolve_under(ctx, &generations, address).await?;
    let mut state = ReportState::read(ctx, &report).await?;
    let saved = write_draft_over(
        ctx,
        caller,
        &report,
        edit,
        &catalogue,
        state.record.as_ref(),
    )
    .await?;
    // The view is what was just written: the versions and the last reason stay as read.
    state.record = Some(saved);
    let reading = Reading::new(&generations, &catalogue);
    view(ctx, caller, &report, true, &reading, state).await
}

/// Merges an edit into a resolved report's draft (all or nothing), with the catalogue
/// already read.
pub async fn write_draft(
    ctx: &Context,
    caller: &Caller,
    report: &Report,
    edit: DraftEdit,
    catalogue: &Catalogue,
) -> Result<(), ReportingError> {
    let record = ctx.store.report_record(&report.key()).await?;
    write_draft_over(ctx, caller, report, edit, catalogue, record.as_ref()).await?;
    Ok(())
}

/// Merges an edit into the draft of `record` (the report as just read; `None` if nothing
/// was saved); answers the record as written.
async fn write_draft_over(
    ctx: &Context,
    caller: &Caller,
    report: &Report,
    edit: DraftEdit,
    catalogue: &Catalogue,
    record: Option<&ReportRecord>,
) -> Result<ReportRecord, ReportingError> {
    let key = report.key();
    let save = report.decide(
        ctx,
        caller,
        record.as_ref().map(|r| r.status),
        SubmissionAction::Save,
    )?;
    let current = record.map(|r| r.draft.clone()).unwrap_or_default();
    let merged = merged_draft(ctx, report, &current, &edit, catalogue).await?;
    let now = ctx.now_text();
    let by = caller.provenance(&now);
    let saved = match report.agency_rows {
        Some(rows) => {
            ctx.store
                .save_draft_of(&key, rows, save, edit.version, &merged, &by)
                .await
        }
        None => {
            ctx.store
                .save_draft(
                    &key,
                    &report.receiving_agency,
                    save,
                    edit.version,
                    &merged,
                    &by,
                )
                .await
        }
    };
    let lock_version = saved.map_err(|error| match error {
        StoreError::Conflict(_) => ReportingError::VersionConflict(ConflictDuring::Save {
            current: record.map_or(0, |r| r.lock_version),
        }),
        other => other.into(),
    })?;
    Ok(ReportRecord {
        // A first save's row id is not read back: nothing that shows the record uses it.
        id: record.map_or(0, |r| r.id),
        status: save.to(),
        lock_version,
        draft: merged,
        receiving_agency: report.receiving_agency.clone(),
        updated_at: now,
    })
}

/// `current` with the edit merged in (all or nothing) and the derived columns (last period,
/// same period last year, year to date) filled from the numbers already accepted.
async fn merged_draft(
    ctx: &Context,
    report: &Report,
    current: &ReportContent,
    edit: &DraftEdit,
    catalogue: &Catalogue,
) -> Result<ReportContent, ReportingError> {
    let shape = ReportShape {
        regime: report.regime.content(),
        indicators: &catalogue.indicators,
        categories: &catalogue.categories,
    };
    let mut merged = shape
        .merge(current, &edit.values, &edit.sections)
        .map_err(ReportingError::InvalidValues)?;
    if prefill::derives_any(&report.regime, catalogue) {
        let earlier = prefill::earlier_numbers(
            ctx,
            &report.regime,
            &report.address.agency,
            report.address.period,
            catalogue,
        )
        .await?;
        merged.fill_derived_columns(&shape, &earlier);
    }
    Ok(merged)
}

/// Values suggested from the subordinates' accepted reports and, for stock indicators, the
/// previous period (for the report's editors; nothing is saved).
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, report = %address))]
pub async fn suggest(
    ctx: &Context,
    caller: &Caller,
    address: &ReportAddress,
) -> Result<prefill::Prefill, ReportingError> {
    let report = resolve(ctx, address).await?;
    if !report.rights(caller).edit {
        return Err(ReportingError::Forbidden);
    }
    Ok(prefill::prefill(
        ctx,
        &report.regime,
        &report.address.agency,
        report.address.period,
    )
    .await?)
}
