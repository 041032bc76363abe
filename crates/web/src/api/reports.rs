//! Report slots over the API (`/api/v1/reports/{regime}/{agency}/{period}`): read a slot,
//! save its draft. The same checks as the UI's data entry: the domain's report shape, the
//! submission state machine, and the permission policy on the agency's lineage.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use baocao_domain::Date;
use baocao_domain::agency::AgencyCode;
use baocao_domain::calendar::{Due, check_frequency, cutoff_window};
use baocao_domain::period::{Frequency, PeriodId};
use baocao_domain::permission::Action;
use baocao_domain::regime::Regime;
use baocao_domain::regime::RegimeCode;
use baocao_domain::report::{Cell, CellInput, ReportContent, ReportShape, Section, SectionInput};
use baocao_domain::rules::{Blocker, Explanation, Violation, blocker};
use baocao_domain::submission::{SubmissionAction, SubmissionStatus};
use baocao_store::StoreError;
use baocao_store::reports::{SlotKey, ValueChange};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::catalogue::{agency_code, load_regime_for, parse_period};
use super::doc;
use crate::AppState;
use crate::auth::{ApiJson, ApiPath, Caller};
use crate::error::ApiError;
use crate::validation::{Catalogue, OutlierFlag, ReportUnderCheck, outliers, violations};

/// A slot as the API shows it. `version` is the optimistic lock (0 before the first save).
#[derive(Serialize, utoipa::ToSchema)]
pub struct SlotView {
    regime: String,
    agency: String,
    period: String,
    receiving_agency: String,
    #[schema(value_type = doc::ReportStatus)]
    status: &'static str,
    version: i32,
    /// The version of the regime that governs this period (an amendment governs only the
    /// periods from its effective date).
    regime_version: u32,
    cutoff_start: Option<Date>,
    cutoff_end: Option<Date>,
    deadline: Option<Date>,
    /// The deadline's time of day (Vietnam time), when the regime sets one.
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline_time: Option<String>,
    values: Vec<Cell>,
    sections: Vec<Section>,
    versions: Vec<serde_json::Value>,
    /// Why the report was last returned or reopened.
    return_reason: Option<String>,
    updated_at: Option<String>,
    /// The regime's rules that the content shown breaks.
    violations: Vec<Violation>,
    /// Numbers that look wrong against history, last year or peers (a prompt to check, not a
    /// block).
    outliers: Vec<OutlierFlag>,
    /// What the caller may do with the slot now.
    allowed: AllowedActions,
}

/// What the caller may do with a slot in its current status.
#[derive(Serialize, Default, utoipa::ToSchema)]
pub struct AllowedActions {
    edit: bool,
    submit: bool,
    accept: bool,
    #[serde(rename = "return")]
    return_: bool,
    reopen: bool,
}

fn allowed_actions(
    caller: &Caller,
    slot: &Slot,
    status: Option<SubmissionStatus>,
) -> AllowedActions {
    let published = slot.regime.status() == baocao_domain::regime::RegimeStatus::Published;
    let can = |action: SubmissionAction| SubmissionStatus::apply(status, action).is_ok();
    let editor = caller.may(Action::EditDraft {
        reporting: &slot.reporting_lineage,
    });
    let approver = caller.may(Action::Submit {
        reporting: &slot.reporting_lineage,
    });
    let reviewer = caller.may(Action::Review {
        receiving: &slot.receiving_lineage,
    });
    AllowedActions {
        edit: published && editor && can(SubmissionAction::Save),
        submit: published && approver && status.is_some() && can(SubmissionAction::Submit),
        accept: reviewer && can(SubmissionAction::Accept),
        return_: reviewer && can(SubmissionAction::Return),
        reopen: reviewer && can(SubmissionAction::Reopen),
    }
}

/// A slot resolved from its path, with the caller's right to edit it checked or not.
pub(crate) struct Slot {
    key: SlotKey,
    regime: Arc<Regime>,
    receiving_agency: AgencyCode,
    reporting_lineage: Vec<AgencyCode>,
    receiving_lineage: Vec<AgencyCode>,
    /// The report's deadline on the deployment's holiday calendar, if the regime has one.
    due: Option<Due>,
}

/// The period of a slot path, checked against the regime in force at its start.
async fn checked_period(
    state: &AppState,
    regime: &str,
    period: &str,
) -> Result<(Regime, PeriodId), ApiError> {
    let period = parse_period(period)?;
    let regime = load_regime_for(state, regime, period.start()).await?;
    match regime.content().frequency {
        // A period the regime does not have names no report: not found, with the reason.
        Some(frequency) => check_frequency(frequency, period).map_err(|_| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "period_frequency_mismatch",
                format!("Kỳ {period} không thuộc tần suất {frequency} của chế độ báo cáo."),
                format!("Period {period} is not of the regime's frequency ({frequency})."),
            )
        })?,
        // Thematic and ad hoc reports are made for dates of their own.
        None if period.frequency() != Frequency::Dated => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "period_frequency_mismatch",
                format!(
                    "Báo cáo chuyên đề, đột xuất lập theo ngày của từng đợt (YYYYMMDD_YYYYMMDD), không theo kỳ {period}."
                ),
                format!(
                    "Thematic and ad hoc reports are made for dates of their own (YYYYMMDD_YYYYMMDD), not for {period}."
                ),
            ));
        }
        None => {}
    }
    Ok((regime, period))
}

fn not_assigned(regime: &RegimeCode, agency: &AgencyCode, period: PeriodId) -> ApiError {
    ApiError::not_found(
        &format!("báo cáo {regime} của {agency} kỳ {period} (đơn vị không được giao báo cáo này)"),
        &format!(
            "report {regime} of {agency} for {period} (the agency is not assigned this regime)"
        ),
    )
}

async fn resolve_slot(
    state: &AppState,
    regime: &str,
    agency: &str,
    period: &str,
) -> Result<Slot, ApiError> {
    let (regime, period) = checked_period(state, regime, period).await?;
    let agency = agency_code(agency)?;
    let key = SlotKey {
        regime: regime.code().clone(),
        agency: agency.clone(),
        period,
    };
    let receiving_agency = state
        .store
        .assigned_receiver(&key)
        .await?
        .ok_or_else(|| not_assigned(regime.code(), &agency, period))?;
    let on = period.end();
    let reporting_lineage = state.store.lineage(&agency, on).await?;
    let receiving_lineage = state.store.lineage(&receiving_agency, on).await?;
    let due = regime
        .content()
        .deadline_of(period, &state.store.holiday_calendar().await?);
    Ok(Slot {
        key,
        regime: Arc::new(regime),
        receiving_agency,
        reporting_lineage,
        receiving_lineage,
        due,
    })
}

/// Reports are made only under a published regime: a draft is still being written, a
/// retired one no longer asks for reports (its old reports can still be reviewed).
fn require_published(slot: &Slot) -> Result<(), ApiError> {
    if slot.regime.status() == baocao_domain::regime::RegimeStatus::Published {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        "regime_not_published",
        format!(
            "Chế độ báo cáo {} chưa ban hành hoặc đã hết hiệu lực: không nhận báo cáo.",
            slot.key.regime
        ),
        format!(
            "Regime {} is not published (draft or retired): it takes no reports.",
            slot.key.regime
        ),
    ))
}

/// A report whose regime locks it some days after the deadline takes nothing more after that
/// (the receiver may still review it).
fn require_unlocked(state: &AppState, slot: &Slot) -> Result<(), ApiError> {
    let content = slot.regime.content();
    let Some(due) = slot.due else {
        return Ok(());
    };
    match content.after_deadline.last_open_day(due.day) {
        Some(last) if state.today() > last => Err(ApiError::new(
            StatusCode::CONFLICT,
            "slot_locked",
            format!(
                "Báo cáo kỳ {} đã khóa sau ngày {}: không sửa, không gửi được nữa.",
                slot.key.period,
                last.strftime("%d/%m/%Y")
            ),
            format!(
                "The report for {} locked after {last}: it can no longer be edited or sent.",
                slot.key.period
            ),
        )),
        _ => Ok(()),
    }
}

/// A regime that does not accept late reports refuses a submission after the deadline.
fn require_not_late(state: &AppState, slot: &Slot) -> Result<(), ApiError> {
    let content = slot.regime.content();
    match slot.due {
        Some(due) if !content.after_deadline.late_accepted && due.is_late(state.clock.now()) => {
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "deadline_passed",
                format!(
                    "Đã quá hạn gửi báo cáo ({}); chế độ báo cáo này không nhận báo cáo muộn.",
                    crate::i18n::due(due, crate::i18n::Lang::Vi)
                ),
                format!("The deadline ({due}) has passed; this regime takes no late reports."),
            ))
        }
        _ => Ok(()),
    }
}

async fn view(
    state: &AppState,
    caller: &Caller,
    slot: &Slot,
    with_draft: bool,
) -> Result<SlotView, ApiError> {
    let record = state.store.report_slot(&slot.key).await?;
    let allowed = allowed_actions(caller, slot, record.as_ref().map(|r| r.status));
    let content = slot.regime.content();
    let window = content
        .cutoff
        .as_ref()
        .map(|rule| cutoff_window(rule, slot.key.period));
    let (status, version, draft, updated_at) = match record {
        Some(r) => (
            r.status.as_str(),
            r.lock_version,
            r.draft,
            Some(r.updated_at),
        ),
        None => ("not_started", 0, ReportContent::default(), None),
    };
    let versions = state.store.versions(&slot.key).await?;
    // Those who may not see the draft see the latest version that was sent to them.
    let draft = if with_draft {
        draft
    } else {
        versions
            .last()
            .and_then(|v| serde_json::from_str(&v.content).ok())
            .unwrap_or_default()
    };
    let return_reason = state.store.last_reason(&slot.key).await?;
    let violations = slot_violations(state, slot, &draft).await?;
    let outliers = outliers(
        state,
        &ReportUnderCheck {
            regime: &slot.regime,
            agency: &slot.key.agency,
            period: slot.key.period,
            content: &draft,
        },
    )
    .await?;
    Ok(SlotView {
        regime: slot.key.regime.to_string(),
        agency: slot.key.agency.to_string(),
        period: slot.key.period.to_string(),
        receiving_agency: slot.receiving_agency.to_string(),
        status,
        version,
        regime_version: slot.regime.version(),
        cutoff_start: window.map(|w| w.start),
        cutoff_end: window.map(|w| w.end),
        deadline: slot.due.map(|due| due.day),
        deadline_time: slot
            .due
            .and_then(|due| due.time)
            .map(|time| time.strftime("%H:%M").to_string()),
        values: draft.values,
        sections: draft.sections,
        versions: versions
            .iter()
            .map(|v| json!({"number": v.number, "submitted_at": v.submitted_at, "signed_by": v.signed_by, "late": v.late, "sha256": v.content_sha256,
                "warnings": serde_json::from_str::<serde_json::Value>(&v.warnings).unwrap_or_default()}))
            .collect(),
        return_reason,
        updated_at,
        violations,
        outliers,
        allowed,
    })
}

async fn slot_violations(
    state: &AppState,
    slot: &Slot,
    content: &ReportContent,
) -> Result<Vec<Violation>, ApiError> {
    let catalogue = Catalogue::load(state).await?;
    violations(
        state,
        &catalogue,
        &ReportUnderCheck {
            regime: &slot.regime,
            agency: &slot.key.agency,
            period: slot.key.period,
            content,
        },
    )
    .await
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/{regime}/{agency}/{period}",
    tag = "Reporting",
    operation_id = "get_api_v1_reports_regime_agency_period",
    summary = "A report slot: status, version lock, deadline, content, violations, outliers, allowed actions.",
    params(
        doc::ReportPath,
    ),
    responses(
        (status = 200, description = "OK", body = SlotView),
    ),
)]
pub async fn slot(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): SlotPath,
) -> Result<Json<SlotView>, ApiError> {
    Ok(Json(read_slot(&state, &caller, &path).await?))
}

/// A slot as the caller may see it: the draft for its editors, the latest submitted version
/// for those it was sent to.
pub(crate) async fn read_slot(
    state: &AppState,
    caller: &Caller,
    (regime, agency, period): &(String, String, String),
) -> Result<SlotView, ApiError> {
    let slot = resolve_slot(state, regime, agency, period).await?;
    if caller.may(Action::EditDraft {
        reporting: &slot.reporting_lineage,
    }) {
        return view(state, caller, &slot, true).await;
    }
    // Others see a report only once it has been sent to (or above) them; never a draft.
    caller.require(Action::ReadSubmitted {
        reporting: &slot.reporting_lineage,
        receiving: &slot.receiving_lineage,
    })?;
    let sent = state
        .store
        .report_slot(&slot.key)
        .await?
        .is_some_and(|r| r.status != SubmissionStatus::Draft);
    if !sent {
        return Err(ApiError::forbidden());
    }
    view(state, caller, &slot, false).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DraftEdit {
    /// The lock read with the slot (0 before the first save).
    pub(crate) version: i32,
    #[serde(default)]
    pub(crate) values: Vec<CellInput>,
    #[serde(default)]
    pub(crate) sections: Vec<SectionInput>,
}

#[utoipa::path(
    put,
    path = "/api/v1/reports/{regime}/{agency}/{period}/draft",
    tag = "Reporting",
    operation_id = "put_api_v1_reports_regime_agency_period_draft",
    summary = "Merge cells and sections into the draft (optimistic lock on version).",
    params(
        doc::ReportPath,
    ),
    request_body(content = DraftEdit, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = SlotView),
    ),
)]
pub async fn save_draft(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): SlotPath,
    ApiJson(edit): ApiJson<DraftEdit>,
) -> Result<Json<SlotView>, ApiError> {
    Ok(Json(edit_draft(&state, &caller, &path, edit).await?))
}

/// Merges an edit into the slot's draft (all or nothing) and answers the slot.
pub(crate) async fn edit_draft(
    state: &AppState,
    caller: &Caller,
    path: &(String, String, String),
    edit: DraftEdit,
) -> Result<SlotView, ApiError> {
    let catalogue = Catalogue::load(state).await?;
    let slot = resolve_slot(state, &path.0, &path.1, &path.2).await?;
    let slot = write_draft(state, caller, slot, edit, &catalogue).await?;
    view(state, caller, &slot, true).await
}

/// Merges an edit into a resolved slot's draft (all or nothing), with the catalogue already
/// read.
pub(crate) async fn write_draft(
    state: &AppState,
    caller: &Caller,
    slot: Slot,
    edit: DraftEdit,
    catalogue: &Catalogue,
) -> Result<Slot, ApiError> {
    let state = state.clone();
    require_published(&slot)?;
    require_unlocked(&state, &slot)?;
    caller.require(Action::EditDraft {
        reporting: &slot.reporting_lineage,
    })?;
    let record = state.store.report_slot(&slot.key).await?;
    let status = SubmissionStatus::apply(record.as_ref().map(|r| r.status), SubmissionAction::Save)
        .map_err(|error| {
            ApiError::new(
                StatusCode::CONFLICT,
                "not_editable",
                format!("Báo cáo đang ở trạng thái {}: không sửa được.", error.from),
                format!("The report is {}: it cannot be edited.", error.from),
            )
        })?;
    let current = record.as_ref().map(|r| r.draft.clone()).unwrap_or_default();
    let merged = merged_draft(&state, &slot, &current, &edit, catalogue).await?;
    state
        .store
        .save_draft(
            &slot.key,
            &slot.receiving_agency,
            status,
            edit.version,
            &merged,
            &state.now_text(),
        )
        .await
        .map_err(|error| match error {
            StoreError::Conflict(_) => ApiError::new(
                StatusCode::CONFLICT,
                "version_conflict",
                "Báo cáo đã được người khác sửa; hãy tải lại rồi lưu lại thay đổi.",
                "Someone else changed the report; reload it and save your changes again.",
            )
            .with_detail(
                "current_version",
                json!(record.as_ref().map_or(0, |r| r.lock_version)),
            ),
            other => other.into(),
        })?;
    Ok(slot)
}

/// `current` with the edit merged in (all or nothing) and the derived columns (last period,
/// same period last year, year to date) filled from the numbers already accepted.
async fn merged_draft(
    state: &AppState,
    slot: &Slot,
    current: &ReportContent,
    edit: &DraftEdit,
    catalogue: &Catalogue,
) -> Result<ReportContent, ApiError> {
    let shape = ReportShape {
        regime: slot.regime.content(),
        indicators: &catalogue.indicators,
        categories: &catalogue.categories,
    };
    let mut merged = shape
        .merge(current, &edit.values, &edit.sections)
        .map_err(|problems| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_values",
                format!(
                    "{} ô số liệu hoặc mục đề cương không hợp lệ; không có gì được lưu.",
                    problems.len()
                ),
                format!(
                    "{} cells or sections are invalid; nothing was saved.",
                    problems.len()
                ),
            )
            .with_detail("problems", json!(problems))
        })?;
    if crate::prefill::derives_any(&slot.regime, catalogue) {
        let earlier = crate::prefill::earlier_numbers(
            state,
            &slot.regime,
            &slot.key.agency,
            slot.key.period,
            catalogue,
        )
        .await?;
        merged.fill_derived_columns(&shape, &earlier);
    }
    Ok(merged)
}

/// What every slot of one regime and period shares, read once for a bulk push of thousands of
/// slots: the regime in force, the assignments' receivers, the hierarchy of the period's end
/// and the deadline. [`slot`](Self::slot) then resolves a slot as [`resolve_slot`] would,
/// from memory.
pub(crate) struct PeriodSlots {
    regime: Arc<Regime>,
    period: PeriodId,
    due: Option<Due>,
    receivers: HashMap<AgencyCode, AgencyCode>,
    graph: Arc<baocao_domain::aggregation::AgencyGraph>,
    regime_id: i32,
    period_id: i32,
}

/// A slot of a bulk edit with its draft as read in the edit's transaction.
pub(crate) struct BulkDraft {
    slot: Slot,
    agency_id: i32,
    receiving_id: i32,
    record: Option<baocao_store::reports::SlotRecord>,
    /// The status a save leaves: a draft, or a returned report still returned.
    saved_as: SubmissionStatus,
}

impl BulkDraft {
    /// The draft's cells now.
    pub(crate) fn values(&self) -> &[Cell] {
        self.record.as_ref().map_or(&[], |r| &r.draft.values)
    }

    /// The slot's path: (regime, agency, period).
    pub(crate) fn path(&self) -> (String, String, String) {
        (
            self.slot.key.regime.to_string(),
            self.slot.key.agency.to_string(),
            self.slot.key.period.to_string(),
        )
    }
}

impl PeriodSlots {
    /// Reads what the period's slots share; its row is made in `tx`, which may hold the
    /// database's only write lock.
    pub(crate) async fn open(
        state: &AppState,
        tx: &mut baocao_store::drafts::DraftTransaction,
        regime: &str,
        period: &str,
    ) -> Result<Self, ApiError> {
        let (regime, period) = checked_period(state, regime, period).await?;
        let receivers = state
            .store
            .assigned_receivers(regime.code(), period)
            .await?;
        let (graph, _) = crate::aggregates::agency_graph(state, period.end()).await?;
        let due = regime
            .content()
            .deadline_of(period, &state.store.holiday_calendar().await?);
        let regime_id = state.store.regime_id(regime.code()).await?;
        let period_id = tx.period_id(period).await?;
        Ok(Self {
            regime: Arc::new(regime),
            period,
            due,
            receivers,
            graph,
            regime_id,
            period_id,
        })
    }

    pub(crate) fn regime(&self) -> &Regime {
        &self.regime
    }

    fn lineage(&self, agency: &AgencyCode) -> Option<(i32, Vec<AgencyCode>)> {
        let key = self.graph.find(agency)?;
        let lineage = self
            .graph
            .lineage(key)
            .into_iter()
            .filter_map(|k| self.graph.code(k).cloned())
            .collect();
        Some((i32::try_from(key).ok()?, lineage))
    }

    /// The slot of `agency`, resolved and checked as the API's draft save checks it: assigned,
    /// the caller may edit it, the regime published, the report not locked.
    fn slot(
        &self,
        state: &AppState,
        caller: &Caller,
        agency: &str,
    ) -> Result<(Slot, i32, i32), ApiError> {
        let agency = agency_code(agency)?;
        let not_assigned = || not_assigned(self.regime.code(), &agency, self.period);
        let receiving_agency = self
            .receivers
            .get(&agency)
            .ok_or_else(not_assigned)?
            .clone();
        let (agency_id, reporting_lineage) = self.lineage(&agency).ok_or_else(not_assigned)?;
        let (receiving_id, receiving_lineage) =
            self.lineage(&receiving_agency).ok_or_else(not_assigned)?;
        let slot = Slot {
            key: SlotKey {
                regime: self.regime.code().clone(),
                agency,
                period: self.period,
            },
            regime: self.regime.clone(),
            receiving_agency,
            reporting_lineage,
            receiving_lineage,
            due: self.due,
        };
        caller.require(Action::EditDraft {
            reporting: &slot.reporting_lineage,
        })?;
        require_published(&slot)?;
        require_unlocked(state, &slot)?;
        Ok((slot, agency_id, receiving_id))
    }

    /// The drafts of `agencies`' slots, read in `tx`; a slot that cannot be edited is its
    /// error.
    pub(crate) async fn drafts(
        &self,
        state: &AppState,
        caller: &Caller,
        tx: &mut baocao_store::drafts::DraftTransaction,
        agencies: &[String],
    ) -> Result<Vec<Result<BulkDraft, ApiError>>, ApiError> {
        let resolved: Vec<_> = agencies
            .iter()
            .map(|agency| self.slot(state, caller, agency))
            .collect();
        let ids: Vec<i32> = resolved
            .iter()
            .filter_map(|r| r.as_ref().ok().map(|(_, id, _)| *id))
            .collect();
        let mut records = tx.slots(self.regime_id, self.period_id, &ids).await?;
        Ok(resolved
            .into_iter()
            .map(|resolved| {
                let (slot, agency_id, receiving_id) = resolved?;
                let record = records.remove(&agency_id);
                let status = record.as_ref().map(|r| r.status);
                let saved_as =
                    SubmissionStatus::apply(status, SubmissionAction::Save).map_err(|error| {
                        ApiError::new(
                            StatusCode::CONFLICT,
                            "not_editable",
                            format!(
                                "Báo cáo {} của {} kỳ {} đang ở trạng thái {}: không sửa được.",
                                slot.key.regime, slot.key.agency, slot.key.period, error.from
                            ),
                            format!(
                                "Report {} of {} for {} is {}: it cannot be edited.",
                                slot.key.regime, slot.key.agency, slot.key.period, error.from
                            ),
                        )
                    })?;
                Ok(BulkDraft {
                    slot,
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
    pub(crate) async fn save(
        &self,
        state: &AppState,
        catalogue: &Catalogue,
        tx: &mut baocao_store::drafts::DraftTransaction,
        edits: Vec<(BulkDraft, Vec<CellInput>)>,
    ) -> Result<Vec<Result<(), ApiError>>, ApiError> {
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
            match merged_draft(state, &draft.slot, current, &edit, catalogue).await {
                Ok(content) => {
                    merged.push((draft, content));
                    outcomes.push(Ok(()));
                }
                Err(error) => outcomes.push(Err(error)),
            }
        }
        let writes: Vec<baocao_store::drafts::DraftWrite<'_>> = merged
            .iter()
            .map(|(draft, content)| baocao_store::drafts::DraftWrite {
                agency: draft.agency_id,
                receiving_agency: draft.receiving_id,
                status: draft.saved_as,
                expected_lock: draft.record.as_ref().map_or(0, |r| r.lock_version),
                draft: content,
            })
            .collect();
        let saved = tx
            .save(self.regime_id, self.period_id, &writes, &state.now_text())
            .await?;
        let mut saved = saved.into_iter();
        for outcome in outcomes.iter_mut().filter(|o| o.is_ok()) {
            if saved.next() == Some(false) {
                *outcome = Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "version_conflict",
                    "Báo cáo đã được người khác sửa trong lúc nhập; hãy gửi lại.",
                    "Someone else changed the report during the import; send it again.",
                ));
            }
        }
        Ok(outcomes)
    }
}

/// The body of an action: a reason where one is needed (return, reopen), explanations of
/// the warnings a report carries (submit).
#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct ActionBody {
    #[serde(default)]
    pub(crate) reason: Option<String>,
    #[serde(default)]
    pub(crate) explanations: Vec<Explanation>,
}

/// A submission may go only without errors and with every warning explained; the answer is
/// the warnings with their explanations, to keep with the version.
fn check_submittable(
    violations: Vec<Violation>,
    explanations: &[Explanation],
) -> Result<serde_json::Value, ApiError> {
    match blocker(&violations, explanations) {
        Some(Blocker::Errors) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "Báo cáo vi phạm quy tắc kiểm tra (lỗi): hãy sửa số liệu trước khi gửi.",
            "The report breaks validation rules (errors): correct the data before submitting.",
        )
        .with_listing("violations", json!(violations))),
        Some(Blocker::UnexplainedWarnings) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "explanation_required",
            "Báo cáo có cảnh báo chưa được giải trình: hãy ghi giải trình cho từng cảnh báo.",
            "The report has warnings without an explanation: explain each warning.",
        )
        .with_listing("violations", json!(violations))),
        None => Ok(json!(
            violations
                .iter()
                .map(|v| {
                    let explanation = explanations.iter().find(|e| e.rule == v.rule).map(|e| e.text.trim());
                    json!({"rule": v.rule, "severity": v.severity, "expression": v.expression,
                           "message": v.message, "message_en": v.message_en, "explanation": explanation})
                })
                .collect::<Vec<_>>()
        )),
    }
}

fn not_allowed(error: baocao_domain::submission::TransitionError) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "invalid_transition",
        format!(
            "Không thể {} báo cáo đang ở trạng thái {}.",
            action_vi(error.action),
            error.from
        ),
        format!("Cannot {} a report that is {}.", error.action, error.from),
    )
}

fn action_vi(action: SubmissionAction) -> &'static str {
    match action {
        SubmissionAction::Save => "lưu",
        SubmissionAction::Submit => "gửi",
        SubmissionAction::Accept => "tiếp nhận",
        SubmissionAction::Return => "trả lại",
        SubmissionAction::Reopen => "mở lại",
    }
}

fn raced(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict(_) => ApiError::new(
            StatusCode::CONFLICT,
            "version_conflict",
            "Báo cáo vừa được người khác thay đổi; hãy tải lại.",
            "Someone else changed the report just now; reload it.",
        ),
        other => other.into(),
    }
}

async fn act(
    state: &AppState,
    caller: &Caller,
    slot: &Slot,
    action: SubmissionAction,
    reason: Option<&str>,
    explanations: &[Explanation],
) -> Result<SlotView, ApiError> {
    let record = state.store.report_slot(&slot.key).await?.ok_or_else(|| {
        not_allowed(baocao_domain::submission::TransitionError {
            from: SubmissionStatus::Draft,
            action,
        })
    })?;
    let to = SubmissionStatus::apply(Some(record.status), action).map_err(not_allowed)?;
    let now = state.now_text();
    let actor = caller.principal.username.to_string();
    let event = baocao_store::reports::Event {
        action: action.as_str(),
        actor: &actor,
        at: &now,
        reason,
    };
    let version = if action == SubmissionAction::Submit {
        let warnings = check_submittable(
            slot_violations(state, slot, &record.draft).await?,
            explanations,
        )?;
        let on = slot.key.period.end();
        let keys = match state.store.signing_key(&slot.key.agency, on).await? {
            Some((secret_hex, public_hex)) => baocao_domain::signature::KeyPair {
                secret_hex,
                public_hex,
            },
            None => {
                let mut secret = [0u8; 32];
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
                let keys = baocao_domain::signature::KeyPair::from_secret(secret);
                state
                    .store
                    .add_signing_key(
                        &slot.key.agency,
                        on,
                        &keys.secret_hex,
                        &keys.public_hex,
                        &now,
                    )
                    .await?;
                keys
            }
        };
        let content = record.draft.canonical_json();
        let (digest, signature) = keys.sign(&content).ok_or_else(ApiError::internal)?;
        Some(baocao_store::reports::NewVersion {
            content,
            content_sha256: digest,
            signature,
            public_key: keys.public_hex,
            late: slot.due.is_some_and(|due| due.is_late(state.clock.now())),
            warnings: warnings.to_string(),
        })
    } else {
        None
    };
    // Accepted numbers enter the data at once; a reopened report's leave it.
    let source = format!("regime:{}", slot.key.regime);
    let accepted_values = match action {
        SubmissionAction::Accept => {
            let latest = state.store.versions(&slot.key).await?.pop();
            let content: ReportContent = latest
                .and_then(|v| serde_json::from_str(&v.content).ok())
                .unwrap_or_default();
            let indicators = state.store.indicators(None).await?;
            content.data_values(&slot.key.agency, slot.key.period, &indicators, &source)
        }
        _ => Vec::new(),
    };
    let values = match action {
        SubmissionAction::Accept => Some(ValueChange::Publish {
            source: &source,
            values: &accepted_values,
        }),
        SubmissionAction::Reopen => Some(ValueChange::Withdraw { source: &source }),
        _ => None,
    };
    state
        .store
        .transition(
            &slot.key,
            record.status,
            to,
            &event,
            version.as_ref(),
            values,
        )
        .await
        .map_err(raced)?;
    let editor = caller.may(Action::EditDraft {
        reporting: &slot.reporting_lineage,
    });
    view(state, caller, slot, editor).await
}

type SlotPath = Path<(String, String, String)>;

/// Every action route: resolve the slot, ask the policy for the action's right (the
/// approver submits; the receiver accepts, returns, reopens), take the reason where one is
/// needed, then act.
pub(crate) async fn action_route(
    state: AppState,
    caller: Caller,
    (regime, agency, period): (String, String, String),
    action: SubmissionAction,
    body: ActionBody,
) -> Result<Json<SlotView>, ApiError> {
    Ok(Json(
        perform(&state, &caller, &(regime, agency, period), action, body).await?,
    ))
}

/// One action on a slot, for the API and the UI alike.
pub(crate) async fn perform(
    state: &AppState,
    caller: &Caller,
    (regime, agency, period): &(String, String, String),
    action: SubmissionAction,
    body: ActionBody,
) -> Result<SlotView, ApiError> {
    let state = state.clone();
    let slot = resolve_slot(&state, regime, agency, period).await?;
    if action == SubmissionAction::Submit {
        require_published(&slot)?;
        require_unlocked(&state, &slot)?;
        require_not_late(&state, &slot)?;
    }
    match action {
        SubmissionAction::Submit => caller.require(Action::Submit {
            reporting: &slot.reporting_lineage,
        })?,
        _ => caller.require(Action::Review {
            receiving: &slot.receiving_lineage,
        })?,
    }
    let reason = match action {
        SubmissionAction::Return | SubmissionAction::Reopen => Some(required_reason(&body)?),
        _ => None,
    };
    act(&state, caller, &slot, action, reason, &body.explanations).await
}

#[utoipa::path(
    post,
    path = "/api/v1/reports/{regime}/{agency}/{period}/submit",
    tag = "Reporting",
    operation_id = "post_api_v1_reports_regime_agency_period_submit",
    summary = "Sign and submit the draft (approver); 422 validation_failed or explanation_required.",
    params(
        doc::ReportPath,
    ),
    request_body(content = ActionBody, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = SlotView),
    ),
)]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    Path(slot): SlotPath,
    ApiJson(body): ApiJson<ActionBody>,
) -> Result<Json<SlotView>, ApiError> {
    action_route(state, caller, slot, SubmissionAction::Submit, body).await
}

#[utoipa::path(
    post,
    path = "/api/v1/reports/{regime}/{agency}/{period}/accept",
    tag = "Reporting",
    operation_id = "post_api_v1_reports_regime_agency_period_accept",
    summary = "Accept a submitted report (receiving reviewer).",
    params(
        doc::ReportPath,
    ),
    request_body(content = ActionBody, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = SlotView),
    ),
)]
pub async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    Path(slot): SlotPath,
    ApiJson(body): ApiJson<ActionBody>,
) -> Result<Json<SlotView>, ApiError> {
    action_route(state, caller, slot, SubmissionAction::Accept, body).await
}

#[utoipa::path(
    post,
    path = "/api/v1/reports/{regime}/{agency}/{period}/return",
    tag = "Reporting",
    operation_id = "post_api_v1_reports_regime_agency_period_return",
    summary = "Return a submitted report with {reason}.",
    params(
        doc::ReportPath,
    ),
    request_body(content = ActionBody, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = SlotView),
    ),
)]
pub async fn return_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(slot): SlotPath,
    ApiJson(body): ApiJson<ActionBody>,
) -> Result<Json<SlotView>, ApiError> {
    action_route(state, caller, slot, SubmissionAction::Return, body).await
}

#[utoipa::path(
    post,
    path = "/api/v1/reports/{regime}/{agency}/{period}/reopen",
    tag = "Reporting",
    operation_id = "post_api_v1_reports_regime_agency_period_reopen",
    summary = "Reopen an accepted report with {reason}.",
    params(
        doc::ReportPath,
    ),
    request_body(content = ActionBody, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = SlotView),
    ),
)]
pub async fn reopen(
    State(state): State<AppState>,
    caller: Caller,
    Path(slot): SlotPath,
    ApiJson(body): ApiJson<ActionBody>,
) -> Result<Json<SlotView>, ApiError> {
    action_route(state, caller, slot, SubmissionAction::Reopen, body).await
}

/// `GET …/prefill`: values suggested from the subordinates' accepted reports and, for stock
/// indicators, the previous period (for the slot's editors; nothing is saved).
#[utoipa::path(
    get,
    path = "/api/v1/reports/{regime}/{agency}/{period}/prefill",
    tag = "Reporting",
    operation_id = "get_api_v1_reports_regime_agency_period_prefill",
    summary = "Values suggested from subordinates and the previous period.",
    params(
        doc::ReportPath,
    ),
    responses(
        (status = 200, description = "OK", body = crate::prefill::Prefill),
    ),
)]
pub async fn prefill(
    State(state): State<AppState>,
    caller: Caller,
    Path((regime, agency, period)): SlotPath,
) -> Result<Json<crate::prefill::Prefill>, ApiError> {
    let slot = resolve_slot(&state, &regime, &agency, &period).await?;
    caller.require(Action::EditDraft {
        reporting: &slot.reporting_lineage,
    })?;
    Ok(Json(
        crate::prefill::prefill(&state, &slot.regime, &slot.key.agency, slot.key.period).await?,
    ))
}

/// A report slot named in a body.
#[derive(Deserialize, Serialize, Clone, utoipa::ToSchema)]
pub struct SlotRef {
    #[schema(value_type = baocao_domain::regime::RegimeCode)]
    pub regime: String,
    #[schema(value_type = baocao_domain::agency::AgencyCode)]
    pub agency: String,
    #[schema(value_type = baocao_domain::period::PeriodId)]
    pub period: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct BulkAccept {
    reports: Vec<SlotRef>,
}

/// `POST /api/v1/reports/accept` with `{"reports": [{"regime", "agency", "period"}]}`: a
/// reviewer accepts many submissions at once. Every one is checked first (the caller reviews
/// it, it waits for review); if any is refused, none is accepted.
#[utoipa::path(
    post,
    path = "/api/v1/reports/accept",
    tag = "Reporting",
    operation_id = "post_api_v1_reports_accept",
    summary = "Accept many submitted reports at once (all or none).",
    request_body(content = BulkAccept, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = AcceptedReports),
    ),
)]
pub async fn accept_many(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<BulkAccept>,
) -> Result<Json<AcceptedReports>, ApiError> {
    let reports = accept_all(&state, &caller, &body.reports).await?;
    Ok(Json(AcceptedReports {
        accepted: reports.len(),
        reports,
    }))
}

/// Reports accepted together.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AcceptedReports {
    accepted: usize,
    reports: Vec<SlotView>,
}

pub(crate) async fn accept_all(
    state: &AppState,
    caller: &Caller,
    reports: &[SlotRef],
) -> Result<Vec<SlotView>, ApiError> {
    if reports.is_empty() {
        return Err(ApiError::bad_request(
            "nothing_selected",
            "Chưa chọn báo cáo nào.",
            "No report was selected.",
        ));
    }
    for report in reports {
        let slot = resolve_slot(state, &report.regime, &report.agency, &report.period).await?;
        caller.require(Action::Review {
            receiving: &slot.receiving_lineage,
        })?;
        let status = state.store.report_slot(&slot.key).await?.map(|r| r.status);
        if status != Some(SubmissionStatus::Submitted) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "invalid_transition",
                format!(
                    "Báo cáo {} của {} kỳ {} không ở trạng thái chờ tiếp nhận; không báo cáo nào được tiếp nhận.",
                    report.regime, report.agency, report.period
                ),
                format!(
                    "Report {} of {} for {} is not awaiting review; none was accepted.",
                    report.regime, report.agency, report.period
                ),
            ));
        }
    }
    let mut accepted = Vec::with_capacity(reports.len());
    for report in reports {
        let path = (
            report.regime.clone(),
            report.agency.clone(),
            report.period.clone(),
        );
        accepted.push(
            perform(
                state,
                caller,
                &path,
                SubmissionAction::Accept,
                ActionBody::default(),
            )
            .await?,
        );
    }
    Ok(accepted)
}

fn required_reason(body: &ActionBody) -> Result<&str, ApiError> {
    body.reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "reason_required",
                "Cần ghi rõ lý do.",
                "A reason is required.",
            )
        })
}

/// `GET …/versions/{n}/signature`: what was signed, by whom, and how to verify it.
/// The submitted versions of a slot, for those who may read them: its editors and the
/// agencies it was sent to.
async fn readable_versions(
    state: &AppState,
    caller: &Caller,
    (regime, agency, period): &(String, String, String),
) -> Result<(Slot, Vec<baocao_store::reports::VersionRecord>), ApiError> {
    let slot = resolve_slot(state, regime, agency, period).await?;
    let allowed = caller.may(Action::EditDraft {
        reporting: &slot.reporting_lineage,
    }) || caller.may(Action::ReadSubmitted {
        reporting: &slot.reporting_lineage,
        receiving: &slot.receiving_lineage,
    });
    if !allowed {
        return Err(ApiError::forbidden());
    }
    let versions = state.store.versions(&slot.key).await?;
    Ok((slot, versions))
}

fn version_number(
    versions: &[baocao_store::reports::VersionRecord],
    number: i32,
) -> Result<&baocao_store::reports::VersionRecord, ApiError> {
    versions.iter().find(|v| v.number == number).ok_or_else(|| {
        ApiError::not_found(&format!("phiên bản {number}"), &format!("version {number}"))
    })
}

#[derive(Deserialize)]
pub struct DiffQuery {
    /// The earlier version (default: the one before; 0 is the empty report).
    against: Option<i32>,
}

/// `GET …/versions/{n}/diff?against=m`: the cells and sections that changed from version m
/// to version n.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{regime}/{agency}/{period}/versions/{number}/diff",
    tag = "Reporting",
    operation_id = "get_api_v1_reports_regime_agency_period_versions_number_diff",
    summary = "Cells and sections changed from version `against` (default n-1).",
    params(
        doc::ReportPath,
        ("number" = u32, Path, minimum = 1, maximum = 1000000),
        ("against" = Option<u32>, Query, minimum = 1, maximum = 1000000),
    ),
    responses(
        (status = 200, description = "OK", body = VersionDiff),
    ),
)]
pub async fn version_diff(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((r, a, p, number)): ApiPath<(String, String, String, i32)>,
    crate::auth::ApiQuery(query): crate::auth::ApiQuery<DiffQuery>,
) -> Result<Json<VersionDiff>, ApiError> {
    Ok(Json(
        diff_of(&state, &caller, &(r, a, p), number, query.against).await?,
    ))
}

/// What changed between two submitted versions (`from` 0: everything in `to`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct VersionDiff {
    pub from: i32,
    pub to: i32,
    #[serde(flatten)]
    pub changes: baocao_domain::report::ContentDiff,
}

pub(crate) async fn diff_of(
    state: &AppState,
    caller: &Caller,
    path: &(String, String, String),
    number: i32,
    against: Option<i32>,
) -> Result<VersionDiff, ApiError> {
    let (_, versions) = readable_versions(state, caller, path).await?;
    let content = |v: &baocao_store::reports::VersionRecord| -> ReportContent {
        serde_json::from_str(&v.content).unwrap_or_default()
    };
    let after = content(version_number(&versions, number)?);
    let against = against.unwrap_or(number - 1);
    let before = if against == 0 {
        ReportContent::default()
    } else {
        content(version_number(&versions, against)?)
    };
    Ok(VersionDiff {
        from: against,
        to: number,
        changes: after.changes_since(&before),
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/{regime}/{agency}/{period}/versions/{number}/signature",
    tag = "Reporting",
    operation_id = "get_api_v1_reports_regime_agency_period_versions_number_signature",
    summary = "A version's signature, digest, key and verification.",
    params(
        doc::ReportPath,
        ("number" = u32, Path, minimum = 1, maximum = 1000000),
    ),
    responses(
        (status = 200, description = "OK", body = SignatureCheck),
    ),
)]
pub async fn signature(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((r, a, p, number)): ApiPath<(String, String, String, i32)>,
) -> Result<Json<SignatureCheck>, ApiError> {
    let (slot, versions) = readable_versions(&state, &caller, &(r, a, p)).await?;
    let version = version_number(&versions, number)?;
    // Four things must hold: the signature over the stored digest, the digest of the stored
    // content, the key among the agency's published ones, and — for the accepted version —
    // the data values in the database equal to what was signed.
    let signature_valid = baocao_domain::signature::verify(
        &version.public_key,
        &version.content_sha256,
        &version.signature,
    );
    let digest_matches =
        baocao_domain::signature::digest_hex(&version.content) == version.content_sha256;
    let key_published = state
        .store
        .public_keys(&slot.key.agency)
        .await?
        .iter()
        .any(|(key, _)| key == &version.public_key);
    let accepted = state
        .store
        .report_slot(&slot.key)
        .await?
        .is_some_and(|r| r.status == SubmissionStatus::Accepted);
    let data_values_match = if accepted && versions.last().map(|v| v.number) == Some(number) {
        let content: ReportContent = serde_json::from_str(&version.content).unwrap_or_default();
        let indicators = state.store.indicators(None).await?;
        let source = format!("regime:{}", slot.key.regime);
        let key = |v: &baocao_domain::value::DataValue| {
            (
                v.indicator.to_string(),
                v.options.key(),
                format!("{:?}", v.value),
            )
        };
        let mut signed: Vec<_> = content
            .data_values(&slot.key.agency, slot.key.period, &indicators, &source)
            .iter()
            .map(key)
            .collect();
        let mut stored: Vec<_> = state
            .store
            .values_of(&slot.key.agency, slot.key.period)
            .await?
            .iter()
            .filter(|v| v.source == source)
            .map(key)
            .collect();
        signed.sort();
        stored.sort();
        Some(signed == stored)
    } else {
        None
    };
    let verified =
        signature_valid && digest_matches && key_published && data_values_match != Some(false);
    Ok(Json(SignatureCheck {
        number: version.number,
        algorithm: "Ed25519 over the raw 32-byte SHA-256 digest of the canonical content",
        sha256: version.content_sha256.clone(),
        signature: version.signature.clone(),
        public_key: version.public_key.clone(),
        signer: version.signed_by.clone(),
        signed_by: version.signed_by.clone(),
        signed_at: version.submitted_at.clone(),
        late: version.late,
        verified,
        checks: SignatureChecks {
            signature: signature_valid,
            content_digest: digest_matches,
            key_published,
            data_values: data_values_match,
        },
        content: serde_json::from_str(&version.content).unwrap_or_default(),
        canonical_content: version.content.clone(),
    }))
}

/// A submitted version's signature and whether it holds, so anyone can check it again.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SignatureCheck {
    number: i32,
    algorithm: &'static str,
    /// Hex SHA-256 of `canonical_content`.
    sha256: String,
    /// Base64 Ed25519 signature.
    signature: String,
    public_key: String,
    signer: String,
    signed_by: String,
    signed_at: String,
    late: bool,
    /// Every check below holds (`data_values` only where it applies).
    verified: bool,
    checks: SignatureChecks,
    /// The signed content as stored.
    #[schema(value_type = ReportContent)]
    content: serde_json::Value,
    /// The exact text that was digested and signed.
    canonical_content: String,
}

/// The four things a valid signature needs.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SignatureChecks {
    signature: bool,
    content_digest: bool,
    key_published: bool,
    /// For the accepted version: the stored data values equal what was signed.
    data_values: Option<bool>,
}

/// An agency's published signing keys.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AgencyKeys {
    agency: baocao_domain::agency::AgencyCode,
    algorithm: &'static str,
    keys: Vec<PublishedKey>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PublishedKey {
    public_key: String,
    created_at: String,
}

/// `GET /api/v1/agencies/{code}/keys`: the agency's published signing keys.
#[utoipa::path(
    get,
    path = "/api/v1/agencies/{code}/keys",
    tag = "Reporting",
    operation_id = "get_api_v1_agencies_code_keys",
    summary = "The agency's published Ed25519 signing keys.",
    params(
        ("code" = doc::AgencyCode, Path),
    ),
    responses(
        (status = 200, description = "OK", body = AgencyKeys),
    ),
)]
pub async fn agency_keys(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<AgencyKeys>, ApiError> {
    caller.require(Action::ReadCatalogue)?;
    let code = agency_code(&code)?;
    let keys = state.store.public_keys(&code).await?;
    Ok(Json(AgencyKeys {
        agency: code,
        algorithm: "Ed25519",
        keys: keys
            .into_iter()
            .map(|(public_key, created_at)| PublishedKey {
                public_key,
                created_at,
            })
            .collect(),
    }))
}
