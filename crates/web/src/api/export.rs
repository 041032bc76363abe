//! `GET /api/v1/data-values.csv?indicator=&from=&to=`: every stored value as CSV, streamed a
//! page at a time (keyset paging on the primary key), so an export of millions of rows neither
//! times out nor fills memory. Numbers in plain notation, options as `category=option;…`,
//! one row per (agency, period, indicator, options, source).

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use baocao_domain::indicator::IndicatorCode;
use baocao_domain::report::canonical_number;
use serde::Deserialize;
use tokio_stream::wrappers::ReceiverStream;

use super::doc;
use crate::AppState;
use crate::auth::{ApiQuery, Caller};
use crate::error::ApiError;
use crate::extract::parse_period;

/// Rows read per page.
const PAGE: i64 = 5_000;

#[derive(Deserialize)]
pub struct ExportQuery {
    indicator: Option<String>,
    /// First period (any frequency; its start bounds the export).
    from: String,
    /// Last period (its end bounds the export); `from` where left out.
    to: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/data-values.csv",
    tag = "Interoperability",
    operation_id = "get_api_v1_data_values_csv",
    summary = "Every stored value as CSV, streamed.",
    params(
        ("from" = doc::PeriodId, Query),
        ("to" = Option<doc::PeriodId>, Query),
        ("indicator" = Option<doc::IndicatorCode>, Query),
    ),
    responses(
        (status = 200, description = "OK", body = String, content_type = "text/csv"),
    ),
)]
pub async fn csv(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    // The whole country's values: for whoever's analytics scope covers it.
    if !baocao_service::scope::analytics_scope(&state, &caller)
        .await?
        .covers(&super::national())
    {
        return Err(ApiError::forbidden());
    }
    let start = parse_period(&query.from)?.start();
    let end = parse_period(query.to.as_deref().unwrap_or(&query.from))?.end();
    let indicator = match query.indicator.as_deref().filter(|i| !i.is_empty()) {
        Some(code) => {
            let parsed = IndicatorCode::new(code).map_err(|_| {
                ApiError::not_found(&format!("chỉ tiêu {code}"), &format!("indicator {code}"))
            })?;
            state.store.indicator(&parsed).await?.ok_or_else(|| {
                ApiError::not_found(&format!("chỉ tiêu {code}"), &format!("indicator {code}"))
            })?;
            Some(parsed)
        }
        None => None,
    };
    // The first page is read before answering, so a failing database is a clear error
    // rather than a cut-off file.
    let first = state
        .store
        .values_page(indicator.as_ref(), start, end, None, PAGE)
        .await?;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    tokio::spawn(async move {
        let mut page = first;
        let mut header = true;
        loop {
            const HEADER: [&str; 7] = [
                "agency",
                "period",
                "indicator",
                "options",
                "source",
                "value",
                "updated_at",
            ];
            let header = std::mem::take(&mut header).then(|| HEADER.map(String::from));
            let rows = page.iter().map(|row| {
                let value = row
                    .value_num
                    .map(canonical_number)
                    .or_else(|| row.value_text.clone())
                    .unwrap_or_default();
                [
                    row.agency.clone(),
                    row.period.clone(),
                    row.indicator.clone(),
                    row.combo.clone(),
                    row.source.clone(),
                    value,
                    row.updated_at.clone(),
                ]
            });
            let bytes = baocao_formats::table::csv_records(header.into_iter().chain(rows));
            if sender.send(Ok(bytes)).await.is_err() {
                return; // the client went away
            }
            let Some(last) = page.last().map(|r| r.key()) else {
                return;
            };
            if (page.len() as i64) < PAGE {
                return;
            }
            match state
                .store
                .values_page(indicator.as_ref(), start, end, Some(last), PAGE)
                .await
            {
                Ok(next) => page = next,
                Err(error) => {
                    tracing::error!(%error, "export stopped");
                    let _ = sender
                        .send(Err(std::io::Error::other(error.to_string())))
                        .await;
                    return;
                }
            }
        }
    });
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"data-values.csv\""),
            ),
        ],
        Body::from_stream(ReceiverStream::new(receiver)),
    )
        .into_response())
}
