//! A report as an Excel workbook, for agencies that fill their numbers in a spreadsheet:
//! `GET /api/v1/reports/{regime}/{agency}/{period}/workbook` answers the slot's forms, one
//! sheet each, headers in Vietnamese, the current draft filled in, the input cells unlocked
//! on a protected sheet and checked by Excel's data validation (numbers, and the row's
//! minimum and maximum); `POST` of the filled workbook writes it into the draft through the
//! same checks as the web form, or answers every refused cell by its sheet and address and
//! writes nothing.
//!
//! The workbook itself, both ways, is [`baocao_formats::workbook`]'s.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use baocao_domain::report::{CellAddress, ReportShape};
use baocao_domain::value::OptionCombo;
use baocao_formats::workbook;
use serde::Serialize;

use super::doc;
use crate::AppState;
use crate::auth::{ApiBytes, Caller};
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

/// `POST …/workbook`: the filled workbook into the draft, all or nothing.
#[utoipa::path(
    post,
    path = "/api/v1/reports/{regime}/{agency}/{period}/workbook",
    tag = "Reports",
    operation_id = "post_api_v1_reports_workbook",
    summary = "A filled workbook into the draft, all or nothing; 422 names every refused cell by sheet and address.",
    params(
        doc::ReportPath,
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
    ApiBytes(body): ApiBytes,
) -> Result<Response, ApiError> {
    let view = reporting::read(&state, &caller, &address).await?;
    let regime = load_regime_for(&state, address.regime.as_str(), address.period.start()).await?;
    let catalogue = Catalogue::current(&state).await?;
    let limits = state.config.limits;
    let read = tokio::task::spawn_blocking(move || {
        let shape = ReportShape {
            regime: regime.content(),
            indicators: &catalogue.indicators,
            categories: &catalogue.categories,
        };
        workbook::read(&body, &limits, &shape)
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
