//! A report as an Excel workbook, for agencies that fill their numbers in a spreadsheet:
//! `GET /api/v1/reports/{regime}/{agency}/{period}/workbook` answers the slot's forms, one
//! sheet each, headers in Vietnamese, the current draft filled in, the input cells unlocked
//! on a protected sheet and checked by Excel's data validation (numbers, and the row's
//! minimum and maximum); `POST` of the filled workbook writes it into the draft through the
//! same checks as the web form, or answers every refused cell by its sheet and address and
//! writes nothing.
//!
//! The workbook itself, both ways, is [`baocao_formats::workbook`]'s.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use baocao_domain::report::{CellAddress, ReportShape};
use baocao_domain::value::OptionCombo;
use baocao_formats::workbook;
use serde::Serialize;

use super::doc;
use crate::AppState;
use crate::auth::{ApiBytes, ApiQuery, Caller};
use crate::error::ApiError;
use crate::extract::ReportPath;
use crate::extract::load_regime_for;
use baocao_service::catalogue::Catalogue;
use baocao_service::reporting;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `GET …/workbook`: the slot as a workbook to fill.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{regime}/{agency}/{period}/workbook",
    tag = "Reports",
    operation_id = "get_api_v1_reports_workbook",
    summary = "The report as an xlsx workbook to fill: one sheet a form, Vietnamese headers, the draft filled in, input cells unlocked on a protected sheet with data validation.",
    params(
        doc::ReportPath,
    ),
    responses(
        (status = 200, description = "The workbook", body = doc::Binary, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ),
)]
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    ReportPath(address): ReportPath,
) -> Result<Response, ApiError> {
    let view = reporting::read(&state, &caller, &address).await?;
    let regime = load_regime_for(&state, address.regime.as_str(), address.period.start()).await?;
    let catalogue = Catalogue::current(&state).await?;
    let stored: Vec<(CellAddress, serde_json::Value)> = view
        .content
        .values
        .iter()
        .map(|cell| {
            (
                cell.address.clone(),
                serde_json::Value::String(cell.value.clone()),
            )
        })
        .collect();
    let shape = ReportShape {
        regime: regime.content(),
        indicators: &catalogue.indicators,
        categories: &catalogue.categories,
    };
    let combo_label = |combo: &OptionCombo| {
        crate::i18n::combo_label(combo, &catalogue.categories, crate::i18n::Lang::Vi)
    };
    let period_text = address.period.to_string();
    let deadline = view.due.map(|due| due.day.to_string()).unwrap_or_default();
    let bytes = workbook::write(&workbook::Blank {
        shape: &shape,
        regime_code: regime.code().as_str(),
        agency: address.agency.as_str(),
        period: &period_text,
        deadline: &deadline,
        filled: &stored,
        combo_label: &combo_label,
    })?;
    let name = format!(
        "{}_{}_{}.xlsx",
        address.regime, address.agency, address.period
    );
    Ok((
        [
            (header::CONTENT_TYPE, XLSX.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A refused workbook: the error, and every cell that could not be taken.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RefusedWorkbook {
    #[schema(value_type = doc::ErrorDetail)]
    error: serde_json::Value,
    cells: Vec<CellError>,
}

/// A cell the workbook could not give, by where it is.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CellError {
    sheet: String,
    cell: String,
    row: String,
    column: String,
    message: String,
    message_en: String,
}

impl From<workbook::RefusedCell> for CellError {
    fn from(cell: workbook::RefusedCell) -> Self {
        Self {
            sheet: cell.sheet,
            cell: cell.cell,
            row: cell.row,
            column: cell.column,
            message: cell.message,
            message_en: cell.message_en,
        }
    }
}

/// What an upload is sent with.
#[derive(serde::Deserialize, Default)]
pub struct UploadOptions {
    /// `true`: blank cells clear the values saved in them (else such an upload is refused).
    #[serde(default)]
    clear_missing: Option<String>,
}

/// `POST …/workbook`: the filled workbook into the draft, all or nothing.
#[utoipa::path(
    post,
    path = "/api/v1/reports/{regime}/{agency}/{period}/workbook",
    tag = "Reports",
    operation_id = "post_api_v1_reports_workbook",
    summary = "A filled workbook into the draft, all or nothing; 422 names every refused cell by sheet and address (values that break the rules, formulas that cannot be computed, changed locked cells); 409 when blank cells would clear saved values without clear_missing=true.",
    params(
        doc::ReportPath,
        ("clear_missing" = Option<bool>, Query, description = "true: blank cells clear the values saved in them; without it an upload that would clear values is refused (409 would_clear_values) and saves nothing."),
    ),
    request_body(content((doc::Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (doc::Binary = "application/octet-stream"))),
    responses(
        (status = 200, description = "The draft", body = super::reports::SlotView),
        (status = 422, description = "Refused cells", body = RefusedWorkbook),
    ),
)]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    ReportPath(address): ReportPath,
    ApiQuery(options): ApiQuery<UploadOptions>,
    ApiBytes(body): ApiBytes,
) -> Result<Response, ApiError> {
    let clear_missing = crate::api::interop::flag(options.clear_missing.as_deref())?;
    let view = reporting::read(&state, &caller, &address).await?;
    let regime = load_regime_for(&state, address.regime.as_str(), address.period.start()).await?;
    let catalogue = Catalogue::current(&state).await?;
    let limits = state.config.limits;
    let current: HashMap<CellAddress, String> = view
        .content
        .values
        .iter()
        .map(|cell| (cell.address.clone(), cell.value.clone()))
        .collect();
    let stored = current.clone();
    let read = tokio::task::spawn_blocking(move || {
        let shape = ReportShape {
            regime: regime.content(),
            indicators: &catalogue.indicators,
            categories: &catalogue.categories,
        };
        workbook::read(&body, &limits, &shape, &|address| {
            stored.get(address).cloned()
        })
    })
    .await
    .map_err(|_| ApiError::internal())?;
    let inputs = match read {
        Ok(inputs) => inputs,
        Err(workbook::ReadError::Workbook(error)) => return Err(error.into()),
        Err(workbook::ReadError::UnknownForm { sheet, form }) => {
            return Err(baocao_formats::xlsx::WorkbookError::Unreadable(format!(
                "sheet {sheet} is of form {:?}, which the regime does not have",
                crate::error::shortened(&form, 80)
            ))
            .into());
        }
        Err(workbook::ReadError::Refused(cells)) => {
            let body = RefusedWorkbook {
                error: serde_json::json!({
                    "code": "workbook_refused",
                    "message": format!("{} ô không hợp lệ; chưa lưu gì.", cells.len()),
                    "message_en": format!("{} cells are not valid; nothing was saved.", cells.len()),
                }),
                cells: cells.into_iter().map(CellError::from).collect(),
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response());
        }
    };
    // Blank cells over saved values clear them only when asked: a workbook downloaded before
    // the values were entered would otherwise wipe them.
    let cleared: Vec<&CellAddress> = inputs
        .iter()
        .filter(|input| input.value.is_none() && current.contains_key(&input.address))
        .map(|input| &input.address)
        .collect();
    if !cleared.is_empty() && !clear_missing {
        let cells: Vec<String> = cleared
            .iter()
            .map(|a| format!("{}/{}/{}", a.form, a.row.as_str(), a.column.as_str()))
            .collect();
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "would_clear_values",
            format!(
                "Tệp để trống {} ô đang có số liệu; chưa lưu gì. Gửi lại với ?clear_missing=true nếu muốn xóa các ô đó.",
                cells.len()
            ),
            format!(
                "The workbook leaves {} cells blank that hold values; nothing was saved. Send it again with ?clear_missing=true to clear them.",
                cells.len()
            ),
        )
        .with_detail("cells", serde_json::json!(cells)));
    }
    let saved = reporting::save_draft(
        &state,
        &(*caller).clone().importing(),
        &address,
        reporting::DraftEdit {
            version: view.lock_version,
            values: inputs,
            sections: Vec::new(),
        },
    )
    .await?;
    Ok(axum::Json(super::reports::SlotView::from(saved)).into_response())
}
