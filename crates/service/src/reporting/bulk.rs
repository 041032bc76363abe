//! The drafts of one regime and period written in bulk, for a push of thousands of reports:
//! what the reports share is read once ([`PeriodReports::open`]), each report is resolved
//! from memory and decided as a single save would be, and the drafts are read and saved a
//! few statements at a time in the caller's draft transaction.

use std::collections::HashMap;
use std::sync::Arc;

use baocao_domain::agency::AgencyCode;
use baocao_domain::aggregation::AgencyGraph;
use baocao_domain::calendar::Due;
use baocao_domain::period::PeriodId;
use baocao_domain::regime::Regime;
use baocao_domain::report::{Cell, CellInput, ReportContent};
use baocao_domain::submission::{SubmissionAction, Transition};
use baocao_store::reports::{ReportAgencies, ReportRecord};
use baocao_store::transaction::{DraftWrite, Transaction};

use super::{ConflictDuring, DraftEdit, Report, ReportAddress, ReportingError, merged_draft};
use crate::catalogue::{Catalogue, agency_code};
use crate::{Caller, Context};

/// What every report of one regime and period shares: the regime in force, the
/// assignments' receivers, the hierarchy of the period's end and the deadline — read once,
/// then each report resolved from memory as [`super::resolve`] would.
pub struct PeriodResolver {
    regime: Arc<Regime>,
    period: PeriodId,
    due: Option<Due>,
    receivers: HashMap<AgencyCode, AgencyCode>,
    graph: Arc<AgencyGraph>,
}

impl PeriodResolver {
    pub async fn read(ctx: &Context, regime: &str, period: &str) -> Result<Self, ReportingError> {
        let period = crate::catalogue::parse_period(period)?;
        let regime_code = crate::catalogue::regime_code(regime)?;
        let generations = ctx.store.generations(&[]).await?;
        let regime = super::regime_of(ctx, &generations, &regime_code, period).await?;
        let receivers = ctx.store.assigned_receivers(regime.code(), period).await?;
        let (graph, _) =
            crate::aggregates::agency_graph_under(ctx, generations.hierarchy, period.end()).await?;
        let holidays = crate::calendar::holiday_calendar_under(ctx, generations.calendar).await?;
        let due = regime.content().deadline_of(period, &holidays);
        Ok(Self {
            regime,
            period,
            due,
            receivers,
            graph,
        })
    }

    pub fn regime(&self) -> &Regime {
        &self.regime
    }

    fn lineage(&self, agency: &AgencyCode) -> Option<(i32, Vec<AgencyCode>)> {
        let key = self.graph.find(agency)?;
        Some((i32::try_from(key).ok()?, self.graph.lineage_codes(agency)))
    }

    /// The report of `agency`: assigned, with its lineages.
    pub fn report(&self, agency: &str) -> Result<Report, ReportingError> {
        self.report_with_ids(agency).map(|(report, _, _)| report)
    }

    /// The report of `agency` with the ids of its agency and receiver.
    fn report_with_ids(&self, agency: &str) -> Result<(Report, i32, i32), ReportingError> {
        let agency = agency_code(agency)?;
        let address = ReportAddress {
            regime: self.regime.code().clone(),
            agency: agency.clone(),
            period: self.period,
        };
        let not_assigned = || ReportingError::NotAssigned(address.clone());
        let receiving_agency = self
            .receivers
            .get(&agency)
            .ok_or_else(not_assigned)?
            .clone();
        let (agency_id, reporting_lineage) = self.lineage(&agency).ok_or_else(not_assigned)?;
        let (receiving_id, receiving_lineage) =
            self.lineage(&receiving_agency).ok_or_else(not_assigned)?;
        let report = Report {
            address: address.clone(),
            regime: self.regime.clone(),
            receiving_agency,
            reporting_lineage,
            receiving_lineage,
            due: self.due,
            agency_rows: Some(ReportAgencies {
                reporting: agency_id,
                receiving: receiving_id,
            }),
        };
        Ok((report, agency_id, receiving_id))
    }
}

/// The reports of one regime and period, for a bulk write in a draft transaction.
pub struct PeriodReports {
    resolver: PeriodResolver,
    regime_id: i32,
    period_id: i32,
}

/// A report of a bulk edit with its draft as read in the edit's transaction.
pub struct BulkDraft {
    report: Report,
    agency_id: i32,
    receiving_id: i32,
    record: Option<ReportRecord>,
    /// The save the domain decided: a draft stays a draft, a returned report stays returned.
    saved_as: Transition,
}

impl BulkDraft {
    /// The draft's cells now.
    pub fn values(&self) -> &[Cell] {
        self.record.as_ref().map_or(&[], |r| &r.draft.values)
    }

    pub fn address(&self) -> &ReportAddress {
        &self.report.address
    }
}

impl PeriodReports {
    /// Reads what the period's reports share; its row is made in `tx`, which may hold the
    /// database's only write lock.
    pub async fn open(
        ctx: &Context,
        tx: &mut Transaction,
        regime: &str,
        period: &str,
    ) -> Result<Self, ReportingError> {
        let resolver = PeriodResolver::read(ctx, regime, period).await?;
        let regime_id = ctx.store.regime_id(resolver.regime.code()).await?;
        let period_id = tx.period_id(resolver.period).await?;
        Ok(Self {
            resolver,
            regime_id,
            period_id,
        })
    }

    pub fn regime(&self) -> &Regime {
        self.resolver.regime()
    }

    /// The drafts of `agencies`' reports, read in `tx`, each decided as a single save is; a
    /// report that cannot be edited is its error.
    pub async fn drafts(
        &self,
        ctx: &Context,
        caller: &Caller,
        tx: &mut Transaction,
        agencies: &[String],
    ) -> Result<Vec<Result<BulkDraft, ReportingError>>, ReportingError> {
        let resolved: Vec<_> = agencies
            .iter()
            .map(|agency| self.resolver.report_with_ids(agency))
            .collect();
        let ids: Vec<i32> = resolved
            .iter()
            .filter_map(|r| r.as_ref().ok().map(|(_, id, _)| *id))
            .collect();
        let mut records = tx.reports(self.regime_id, self.period_id, &ids).await?;
        Ok(resolved
            .into_iter()
            .map(|resolved| {
                let (report, agency_id, receiving_id) = resolved?;
                let record = records.remove(&agency_id);
                let status = record.as_ref().map(|r| r.status);
                let saved_as = baocao_domain::submission::decide(
                    status,
                    SubmissionAction::Save,
                    report.rights(caller),
                    report.circumstances(ctx),
                )
                .map_err(|refusal| {
                    report.refused(refusal, SubmissionAction::Save, Some(&report.address))
                })?;
                Ok(BulkDraft {
                    report,
                    agency_id,
                    receiving_id,
                    record,
                    saved_as,
                })
            })
            .collect())
    }

    /// Merges each edit into its draft and saves them all in `tx`, each under the lock read
    /// with it; answers, per edit, whether it was saved or why not.
    pub async fn save(
        &self,
        ctx: &Context,
        catalogue: &Catalogue,
        tx: &mut Transaction,
        edits: Vec<(BulkDraft, Vec<CellInput>)>,
    ) -> Result<Vec<Result<(), ReportingError>>, ReportingError> {
        let mut outcomes = Vec::with_capacity(edits.len());
        let mut merged = Vec::new();
        let never_saved = ReportContent::default();
        for (draft, values) in edits {
            let current = draft.record.as_ref().map_or(&never_saved, |r| &r.draft);
            let edit = DraftEdit {
                version: 0,
                values,
                sections: Vec::new(),
            };
            match merged_draft(ctx, &draft.report, current, &edit, catalogue).await {
                Ok(content) => {
                    merged.push((draft, content));
                    outcomes.push(Ok(()));
                }
                Err(error) => outcomes.push(Err(error)),
            }
        }
        let writes: Vec<DraftWrite<'_>> = merged
            .iter()
            .map(|(draft, content)| DraftWrite {
                agency: draft.agency_id,
                receiving_agency: draft.receiving_id,
                save: draft.saved_as,
                expected_lock: draft.record.as_ref().map_or(0, |r| r.lock_version),
                draft: content,
            })
            .collect();
        let saved = tx
            .save_drafts(self.regime_id, self.period_id, &writes, &ctx.now_text())
            .await?;
        let mut saved = saved.into_iter();
        for outcome in outcomes.iter_mut().filter(|o| o.is_ok()) {
            if saved.next() == Some(false) {
                *outcome = Err(ReportingError::VersionConflict(ConflictDuring::Import));
            }
        }
        Ok(outcomes)
    }
}
