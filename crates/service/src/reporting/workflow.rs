//! The submission workflow: an approver signs and submits the draft; the receiver accepts
//! it (its numbers enter the data at once), returns it with a reason, or reopens an accepted
//! one (its numbers leave the data). Each is one store transaction: the status, the event,
//! the signed version and the data values together.

use baocao_domain::rules::{Blocker, Explanation, Violation, blocker};
use baocao_domain::signature::KeyPair;
use baocao_domain::submission::{Refusal, SubmissionAction, SubmissionStatus, decide};
use baocao_domain::user::Role;
use baocao_store::StoreError;
use baocao_store::notifications::WorkflowNotice;
use baocao_store::reports::{Event, NewSigningKey, NewVersion};

use super::{
    ConflictDuring, Reading, Report, ReportAddress, ReportState, ReportView, ReportingError,
    resolve_under, view,
};
use crate::catalogue::Catalogue;
use crate::{Caller, Context};

/// What an action carries: a reason where one is needed (return, reopen), explanations of
/// the warnings a report carries (submit).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ActionInput {
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub explanations: Vec<Explanation>,
}

impl ActionInput {
    fn required_reason(&self) -> Result<&str, ReportingError> {
        self.reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .ok_or(ReportingError::ReasonRequired)
    }
}

/// A submission may go only without errors and with every warning explained; the answer is
/// the warnings with their explanations, to keep with the version.
fn check_submittable(
    violations: Vec<Violation>,
    explanations: &[Explanation],
) -> Result<serde_json::Value, ReportingError> {
    match blocker(&violations, explanations) {
        Some(Blocker::Errors) => Err(ReportingError::ValidationFailed(violations)),
        Some(Blocker::UnexplainedWarnings) => Err(ReportingError::ExplanationRequired(violations)),
        None => Ok(serde_json::Value::Array(
            violations
                .iter()
                .map(|v| {
                    let explanation = explanations
                        .iter()
                        .find(|e| e.rule == v.rule)
                        .map(|e| e.text.trim());
                    serde_json::json!({"rule": v.rule, "severity": v.severity, "expression": v.expression,
                           "message": v.message, "message_en": v.message_en, "explanation": explanation})
                })
                .collect(),
        )),
    }
}

/// The agency's signing key for the period; on its first submission a new one, to be stored
/// in the same transaction as the version it signs.
async fn signing_key(
    ctx: &Context,
    report: &Report,
) -> Result<(KeyPair, Option<NewSigningKey>), ReportingError> {
    let reporting = match report.agency_rows {
        Some(rows) => rows.reporting,
        None => {
            ctx.store
                .agency_id(&report.address.agency, Some(report.address.period.end()))
                .await?
        }
    };
    if let Some((secret_hex, public_hex)) = ctx.store.signing_key_of(reporting).await? {
        let keys = KeyPair {
            secret_hex,
            public_hex,
        };
        return Ok((keys, None));
    }
    let keys = crate::fresh_key_pair();
    let new = ctx
        .store
        .new_signing_key(reporting, &keys.secret_hex, &keys.public_hex)?;
    Ok((keys, Some(new)))
}

/// One action on a report, for the API, the UI and the demo history alike: decided by the
/// domain (the approver submits; the receiver accepts, returns, reopens), the reason taken
/// where one is needed, then done in one transaction.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, report = %address, action = %action))]
pub async fn act(
    ctx: &Context,
    caller: &Caller,
    address: &ReportAddress,
    action: SubmissionAction,
    input: ActionInput,
) -> Result<ReportView, ReportingError> {
    let generations = super::generations(ctx, Some(address.period)).await?;
    let report = resolve_under(ctx, &generations, address).await?;
    let catalogue = Catalogue::under(ctx, generations.catalogue).await?;
    let (record, reason_before) = match ctx.store.report_record_and_reason(&report.key()).await? {
        Some((record, reason)) => (Some(record), reason),
        None => (None, None),
    };
    let performed = perform_on(
        ctx,
        caller,
        &report,
        action,
        input,
        &catalogue,
        record.clone(),
    )
    .await?;
    // The view is the record as moved, not read again; only the versions are (a submission
    // adds one).
    let Some(mut record) = record else {
        return Err(ReportingError::Forbidden);
    };
    record.status = performed.status;
    record.lock_version = performed.lock;
    record.updated_at = performed.at;
    let state = ReportState {
        versions: ctx.store.versions_of(record.id).await?,
        return_reason: performed.reason.or(reason_before),
        record: Some(record),
    };
    let editor = report.rights(caller).edit;
    let reading = Reading::new(&generations, &catalogue);
    view(ctx, caller, &report, editor, &reading, state).await
}

/// A reporter tells the agency's approvers that the saved draft is ready for their signature
/// (a notice in the app and by e-mail; the report's status does not change). Told once per
/// saved draft: asking again after another save tells again. Answers how many were told.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, report = %address))]
pub async fn ask_for_approval(
    ctx: &Context,
    caller: &Caller,
    address: &ReportAddress,
) -> Result<u64, ReportingError> {
    let generations = super::generations(ctx, Some(address.period)).await?;
    let report = resolve_under(ctx, &generations, address).await?;
    if !report.rights(caller).edit {
        return Err(ReportingError::Forbidden);
    }
    let record = ctx
        .store
        .report_record(&report.key())
        .await?
        .ok_or(ReportingError::NoDraft)?;
    if !matches!(
        record.status,
        SubmissionStatus::Draft | SubmissionStatus::Returned
    ) {
        return Err(ReportingError::NotEditable {
            from: record.status,
            report: None,
        });
    }
    let now = ctx.now_text();
    let period = address.period.to_string();
    let notice = WorkflowNotice {
        regime: address.regime.as_str(),
        agency: address.agency.as_str(),
        period: &period,
        kind: "report_ready",
        occurrence: record.lock_version,
        detail: None,
    };
    let mut tx = ctx.store.begin(&caller.provenance(&now)).await?;
    let told = tx
        .notify_holders(
            address.agency.as_str(),
            [Role::Approver.as_str(); 2],
            &notice,
            &now,
        )
        .await?;
    tx.commit().await?;
    Ok(told)
}

/// One action on a resolved report, without reading it back (bulk work: a push's
/// submissions, the demo history); answers the report's new lock.
pub async fn perform(
    ctx: &Context,
    caller: &Caller,
    report: &Report,
    action: SubmissionAction,
    input: ActionInput,
    catalogue: &Catalogue,
) -> Result<i32, ReportingError> {
    let record = ctx.store.report_record(&report.key()).await?;
    let performed = perform_on(ctx, caller, report, action, input, catalogue, record).await?;
    Ok(performed.lock)
}

/// What an action left of its report.
struct Performed {
    lock: i32,
    status: SubmissionStatus,
    /// When it was done (the record's new `updated_at`).
    at: String,
    /// The reason it was done with (a return, a reopening).
    reason: Option<String>,
}

/// [`perform`] on the report's `record` as just read (`None`: nothing saved): the action
/// moves it only if it is still at that lock, so a submission signs exactly the draft it
/// sends.
async fn perform_on(
    ctx: &Context,
    caller: &Caller,
    report: &Report,
    action: SubmissionAction,
    input: ActionInput,
    catalogue: &Catalogue,
    record: Option<baocao_store::reports::ReportRecord>,
) -> Result<Performed, ReportingError> {
    let address = &report.address;
    let status = record.as_ref().map(|r| r.status);
    let decision = decide(
        status,
        action,
        report.rights(caller),
        report.circumstances(ctx),
    );
    // A reason is asked only of someone who may act at all.
    if let Err(Refusal::Forbidden) = decision {
        return Err(ReportingError::Forbidden);
    }
    let reason = match action {
        SubmissionAction::Return | SubmissionAction::Reopen => Some(input.required_reason()?),
        _ => None,
    };
    let transition = decision.map_err(|refusal| report.refused(refusal, action, None))?;
    let Some(record) = record else {
        // `decide` refuses every action but a save on nothing saved.
        return Err(ReportingError::Forbidden);
    };
    let now = ctx.now_text();
    let actor = caller.principal.username.to_string();
    let event = Event {
        action: action.as_str(),
        actor: &actor,
        at: &now,
        reason,
    };
    let version = if action == SubmissionAction::Submit {
        let warnings = check_submittable(
            super::violations_of(ctx, catalogue, report, &record.draft).await?,
            &input.explanations,
        )?;
        let (keys, new_key) = signing_key(ctx, report).await?;
        let content = record.draft.canonical_json();
        let (digest, signature) = keys.sign(&content).ok_or(ReportingError::Signing)?;
        Some((
            new_key,
            NewVersion {
                content,
                content_sha256: digest,
                signature,
                public_key: keys.public_hex,
                late: report.due.is_some_and(|due| due.is_late(ctx.clock.now())),
                warnings: warnings.to_string(),
                document_year: ctx.today().year(),
            },
        ))
    } else {
        None
    };
    // Accepted numbers enter the data at once; a reopened report's leave it.
    let source = format!("regime:{}", address.regime);
    let data = match action {
        SubmissionAction::Accept => {
            let content = match ctx.store.versions_of(record.id).await?.pop() {
                Some(latest) => super::stored_content(address, &latest)?,
                None => Default::default(),
            };
            Some(content.data_values(
                &address.agency,
                address.period,
                &catalogue.indicators,
                &source,
            ))
        }
        SubmissionAction::Reopen => Some(Vec::new()),
        _ => None,
    };
    let agencies = match &data {
        Some(values) => Some(
            ctx.store
                .value_agencies(&address.agency, address.period, values)
                .await?,
        ),
        None => None,
    };

    // One transaction: the status, the version, the data values, the event.
    let mut tx = ctx.store.begin(&caller.provenance(&now)).await?;
    let lock = tx
        .move_report(record.id, record.lock_version, &transition, &now)
        .await
        .map_err(|error| match error {
            StoreError::Conflict(_) => ReportingError::VersionConflict(ConflictDuring::Action),
            other => other.into(),
        })?;
    if let Some((new_key, version)) = &version {
        if let Some(key) = new_key {
            tx.add_signing_key(key, &now).await?;
        }
        tx.record_version(record.id, version, &event).await?;
    }
    if let (Some(values), Some(agencies)) = (&data, &agencies) {
        tx.replace_values(agencies, address.period, &source, values, &now)
            .await?;
    }
    tx.record_event(record.id, &event).await?;
    // Those the step concerns hear of it with it: the receiver of a submission, the reporting
    // agency of a return, an acceptance or a reopening.
    let reviewers = [Role::Reviewer.as_str(); 2];
    let writers = [Role::Reporter.as_str(), Role::Approver.as_str()];
    let told = match action {
        SubmissionAction::Submit => Some((&report.receiving_agency, reviewers, "report_submitted")),
        SubmissionAction::Return => Some((&address.agency, writers, "report_returned")),
        SubmissionAction::Accept => Some((&address.agency, writers, "report_accepted")),
        SubmissionAction::Reopen => Some((&address.agency, writers, "report_reopened")),
        _ => None,
    };
    if let Some((agency, roles, kind)) = told {
        let period = address.period.to_string();
        let notice = WorkflowNotice {
            regime: address.regime.as_str(),
            agency: address.agency.as_str(),
            period: &period,
            kind,
            occurrence: lock,
            detail: reason,
        };
        tx.tell_holders(agency.as_str(), roles, &notice, &now)
            .await?;
    }
    tx.commit().await?;
    Ok(Performed {
        lock,
        status: transition.to(),
        at: now,
        reason: reason.map(str::to_string),
    })
}

/// A reviewer accepts many submissions at once. Every one is checked first (the caller
/// reviews it, it waits for review); if any is refused, none is accepted.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, reports = addresses.len()))]
pub async fn accept_many(
    ctx: &Context,
    caller: &Caller,
    addresses: &[ReportAddress],
) -> Result<Vec<ReportView>, ReportingError> {
    if addresses.is_empty() {
        return Err(ReportingError::NothingSelected);
    }
    let generations = super::generations(ctx, None).await?;
    let catalogue = Catalogue::under(ctx, generations.catalogue).await?;
    let mut reports = Vec::with_capacity(addresses.len());
    for address in addresses {
        let report = resolve_under(ctx, &generations, address).await?;
        if !report.rights(caller).review {
            return Err(ReportingError::Forbidden);
        }
        let status = ctx
            .store
            .report_record(&report.key())
            .await?
            .map(|r| r.status);
        if status != Some(SubmissionStatus::Submitted) {
            return Err(ReportingError::NotAwaitingReview(address.clone()));
        }
        reports.push(report);
    }
    for report in &reports {
        perform(
            ctx,
            caller,
            report,
            SubmissionAction::Accept,
            ActionInput::default(),
            &catalogue,
        )
        .await?;
    }
    // Read back after every acceptance, so the views share one read of the period's data.
    let reading = Reading::new(&generations, &catalogue);
    let mut accepted = Vec::with_capacity(reports.len());
    for report in &reports {
        let editor = report.rights(caller).edit;
        let state = ReportState::read(ctx, report).await?;
        accepted.push(view(ctx, caller, report, editor, &reading, state).await?);
    }
    Ok(accepted)
}
