//! Report slots over the API (`/api/v1/reports/{regime}/{agency}/{period}`): read a slot,
//! save its draft. The same checks as the UI's data entry: the domain's report shape, the
//! submission state machine, and the permission policy on the agency's lineage.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use baocao_domain::Date;
use baocao_domain::agency::AgencyCode;
use baocao_domain::calendar::{check_frequency, cutoff_window, deadline};
use baocao_domain::period::PeriodId;
use baocao_domain::permission::Action;
use baocao_domain::regime::Regime;
use baocao_domain::report::{Cell, CellInput, ReportContent, ReportShape, Section, SectionInput};
use baocao_domain::submission::{SubmissionAction, SubmissionStatus};
use baocao_store::StoreError;
use baocao_store::reports::SlotKey;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::catalogue::{agency_code, load_regime};
use crate::AppState;
use crate::auth::{ApiJson, Caller};
use crate::error::ApiError;

/// A slot as the API shows it. `version` is the optimistic lock (0 before the first save).
#[derive(Serialize)]
pub struct SlotView {
    regime: String,
    agency: String,
    period: String,
    receiving_agency: String,
    status: &'static str,
    version: i32,
    cutoff_start: Option<Date>,
    cutoff_end: Option<Date>,
    deadline: Option<Date>,
    values: Vec<Cell>,
    sections: Vec<Section>,
    versions: Vec<serde_json::Value>,
    updated_at: Option<String>,
}

/// A slot resolved from its path, with the caller's right to edit it checked or not.
struct Slot {
    key: SlotKey,
    regime: Regime,
    receiving_agency: AgencyCode,
    reporting_lineage: Vec<AgencyCode>,
    receiving_lineage: Vec<AgencyCode>,
}

async fn resolve_slot(
    state: &AppState,
    regime: &str,
    agency: &str,
    period: &str,
) -> Result<Slot, ApiError> {
    let regime = load_regime(state, regime).await?;
    let agency = agency_code(agency)?;
    let period = PeriodId::parse(period).map_err(|error| {
        ApiError::bad_request(
            "invalid_period",
            format!(
                "Kỳ báo cáo không hợp lệ {:?}: {}.",
                error.text, error.reason
            ),
            format!("Invalid period {:?}: {}.", error.text, error.reason),
        )
    })?;
    if let Some(frequency) = regime.content().frequency {
        check_frequency(frequency, period).map_err(|_| {
            ApiError::bad_request(
                "period_frequency_mismatch",
                format!("Kỳ {period} không thuộc tần suất {frequency} của chế độ báo cáo."),
                format!("Period {period} is not of the regime's frequency ({frequency})."),
            )
        })?;
    }
    let key = SlotKey {
        regime: regime.code().clone(),
        agency: agency.clone(),
        period,
    };
    let receiving_agency = state.store.assigned_receiver(&key).await?.ok_or_else(|| {
        ApiError::not_found(
            &format!(
                "báo cáo {} của {agency} kỳ {period} (đơn vị không được giao báo cáo này)",
                regime.code()
            ),
            &format!(
                "report {} of {agency} for {period} (the agency is not assigned this regime)",
                regime.code()
            ),
        )
    })?;
    let on = period.end();
    let reporting_lineage = state.store.lineage(&agency, on).await?;
    let receiving_lineage = state.store.lineage(&receiving_agency, on).await?;
    Ok(Slot {
        key,
        regime,
        receiving_agency,
        reporting_lineage,
        receiving_lineage,
    })
}

async fn view(state: &AppState, slot: &Slot, with_draft: bool) -> Result<SlotView, ApiError> {
    let record = state.store.report_slot(&slot.key).await?;
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
    let draft = if with_draft {
        draft
    } else {
        ReportContent::default()
    };
    Ok(SlotView {
        regime: slot.key.regime.to_string(),
        agency: slot.key.agency.to_string(),
        period: slot.key.period.to_string(),
        receiving_agency: slot.receiving_agency.to_string(),
        status,
        version,
        cutoff_start: window.map(|w| w.start),
        cutoff_end: window.map(|w| w.end),
        deadline: content
            .deadline
            .as_ref()
            .map(|rule| deadline(rule, slot.key.period)),
        values: draft.values,
        sections: draft.sections,
        versions: Vec::new(),
        updated_at,
    })
}

pub async fn slot(
    State(state): State<AppState>,
    caller: Caller,
    Path((regime, agency, period)): Path<(String, String, String)>,
) -> Result<Json<SlotView>, ApiError> {
    let slot = resolve_slot(&state, &regime, &agency, &period).await?;
    if caller.may(Action::EditDraft {
        reporting: &slot.reporting_lineage,
    }) {
        return Ok(Json(view(&state, &slot, true).await?));
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
    Ok(Json(view(&state, &slot, false).await?))
}

#[derive(Deserialize)]
pub struct DraftEdit {
    /// The lock read with the slot (0 before the first save).
    version: i32,
    #[serde(default)]
    values: Vec<CellInput>,
    #[serde(default)]
    sections: Vec<SectionInput>,
}

pub async fn save_draft(
    State(state): State<AppState>,
    caller: Caller,
    Path((regime, agency, period)): Path<(String, String, String)>,
    ApiJson(edit): ApiJson<DraftEdit>,
) -> Result<Json<SlotView>, ApiError> {
    let slot = resolve_slot(&state, &regime, &agency, &period).await?;
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
    let indicators = state.store.indicators(None).await?;
    let categories = state.store.categories().await?;
    let shape = ReportShape {
        regime: slot.regime.content(),
        indicators: &indicators,
        categories: &categories,
    };
    let merged = shape
        .merge(&current, &edit.values, &edit.sections)
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
    Ok(Json(view(&state, &slot, true).await?))
}
