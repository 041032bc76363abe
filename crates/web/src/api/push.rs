//! Pushes of data value sets: `POST /api/v1/dataValueSets` (also at DHIS2's own
//! `/api/dataValueSets`) takes DHIS2's JSON, DHIS2's CSV or IHE ADX XML, read as a stream
//! ([`baocao_formats::datavalues`]) on a blocking thread that hands values on in batches to the
//! import engine ([`baocao_service::push`]), and answers DHIS2's import summary. The body is
//! read as it arrives and refused past `max_push_bytes`; memory is bounded by the engine's
//! chunk, not the payload.

use std::io::BufReader;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use baocao_formats::datavalues::{self, Item};
use baocao_service::push::{
    ImportCount, Problem, Push, PushOptions, PushOutcome, Strategy, atomic_mode,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_stream::StreamExt;

use super::doc;
use super::interop::flag;
use super::payload;
use crate::AppState;
use crate::auth::{ApiQuery, Caller};
use crate::error::ApiError;

/// Values a message from the reading thread.
const BATCH: usize = 1_000;

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ImportOptions {
    #[serde(default)]
    dry_run: Option<String>,
    #[serde(default)]
    import_strategy: Option<String>,
    #[serde(default)]
    atomic_mode: Option<String>,
    /// The regime of a CSV payload (JSON and ADX name it inside).
    #[serde(default)]
    data_set: Option<String>,
}

impl ImportOptions {
    fn parse(self) -> Result<PushOptions, ApiError> {
        let strategy = Strategy::parse(self.import_strategy.as_deref()).ok_or_else(|| {
            let other = self.import_strategy.clone().unwrap_or_default();
            ApiError::bad_request(
                "invalid_import_strategy",
                format!(
                    "importStrategy {other:?} không hợp lệ (CREATE, UPDATE, CREATE_AND_UPDATE, DELETE)."
                ),
                format!(
                    "Unknown importStrategy {other:?} (CREATE, UPDATE, CREATE_AND_UPDATE, DELETE)."
                ),
            )
        })?;
        let atomic = atomic_mode(self.atomic_mode.as_deref()).ok_or_else(|| {
            let other = self.atomic_mode.clone().unwrap_or_default();
            ApiError::bad_request(
                "invalid_atomic_mode",
                format!("atomicMode {other:?} không hợp lệ (ALL, NONE)."),
                format!("Unknown atomicMode {other:?} (ALL, NONE)."),
            )
        })?;
        Ok(PushOptions {
            strategy,
            atomic,
            dry_run: flag(self.dry_run.as_deref())?,
            data_set: self.data_set,
        })
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Conflict {
    object: String,
    value: String,
    /// The reason in English (DHIS2 clients show `value`); Vietnamese beside it.
    value_vi: String,
}

/// DHIS2's import summary.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    response_type: &'static str,
    status: &'static str,
    description: String,
    import_count: ImportCount,
    conflicts: Vec<Conflict>,
    dry_run: bool,
}

fn too_large(limit: usize) -> ApiError {
    ApiError::payload_too_large("max_push_bytes", limit)
}

/// Forwards the body's chunks to the reading thread, stopping at the size limit.
async fn forward(
    body: Body,
    chunks: tokio::sync::mpsc::Sender<std::io::Result<axum::body::Bytes>>,
    limit: usize,
    over_limit: Arc<AtomicBool>,
) {
    let mut stream = body.into_data_stream();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let message = match chunk {
            Ok(chunk) => {
                total += chunk.len();
                if total > limit {
                    over_limit.store(true, Ordering::SeqCst);
                    Err(std::io::Error::other("payload over the size limit"))
                } else {
                    Ok(chunk)
                }
            }
            Err(error) => Err(std::io::Error::other(error.to_string())),
        };
        let last = message.is_err();
        if last {
            return;
        }
        if chunks.send(message).await.is_err() {
            // The reader stopped early (a value over its limit, a malformed payload): the rest
            // is read and dropped, so that a client that sends its whole body before reading
            // the answer gets the refusal instead of a reset connection. Past a bound, the
            // connection is dropped after all.
            let mut drained = 0usize;
            while let Some(Ok(chunk)) = stream.next().await {
                drained += chunk.len();
                if drained > DRAIN_AFTER_REFUSAL {
                    break;
                }
            }
            return;
        }
    }
}

/// The most of a refused body read (and dropped) after the refusal.
const DRAIN_AFTER_REFUSAL: usize = 256 * 1024 * 1024;

#[utoipa::path(
    post,
    path = "/api/v1/dataValueSets",
    tag = "Interoperability",
    operation_id = "post_api_v1_dataValueSets",
    summary = "Push a DHIS2 data value set (JSON, CSV or ADX, read as a stream) into report drafts; answers DHIS2's import summary.",
    params(
        ("dryRun" = Option<bool>, Query),
        ("importStrategy" = Option<doc::ImportStrategy>, Query),
        ("atomicMode" = Option<String>, Query, pattern = r#"^(ALL|NONE|TRUE|FALSE|all|none|true|false)$"#),
        ("dataSet" = Option<String>, Query, description = "The regime of a CSV payload (JSON and ADX name it inside)."),
    ),
    request_body(content((doc::DataValueSetDocument = "application/json"), (String = "text/csv"), (String = "application/adx+xml"))),
    responses(
        (status = 200, description = "OK", body = WebMessage),
        (status = 409, description = "Refused in all-or-nothing mode: DHIS2's import summary with status ERROR and every conflict; nothing was imported.", body = WebMessage),
    ),
)]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(options): ApiQuery<ImportOptions>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let format = payload::format_of(&headers)?;
    let mut push = Push::new(&state, &caller, options.parse()?);

    let limit = state.config.max_push_bytes;
    let over_limit = Arc::new(AtomicBool::new(false));
    let (chunks, chunks_in) = tokio::sync::mpsc::channel(8);
    tokio::spawn(forward(body, chunks, limit, over_limit.clone()));
    let (items, mut items_in) = tokio::sync::mpsc::channel::<Vec<Item>>(4);
    let limits = state.config.limits;
    let reader = tokio::task::spawn_blocking(move || {
        let input = BufReader::with_capacity(64 * 1024, payload::ChunkReader::new(chunks_in));
        let mut batch = Vec::with_capacity(BATCH);
        let read = datavalues::read(format, input, &limits, &mut |item| {
            batch.push(item);
            batch.len() < BATCH || items.blocking_send(std::mem::take(&mut batch)).is_ok()
        });
        if read.is_ok() && !batch.is_empty() {
            let _ = items.blocking_send(batch);
        }
        read
    });

    let mut failed = None;
    'reading: while let Some(batch) = items_in.recv().await {
        for item in batch {
            if let Err(error) = push.take(item).await {
                failed = Some(ApiError::from(error));
                break 'reading;
            }
        }
    }
    // Stops the reading thread if the import stopped first.
    drop(items_in);
    let read = reader.await.map_err(|_| ApiError::internal())?;
    let failed = if over_limit.load(Ordering::SeqCst) {
        Some(too_large(limit))
    } else {
        failed.or(read.err().map(ApiError::from))
    };
    if let Some(error) = failed {
        let kept = push.abandon().await;
        return Err(with_committed(error, kept));
    }
    match push.finish().await {
        Ok(outcome) => Ok(answer(outcome)),
        Err((error, kept)) => Err(with_committed(error.into(), kept)),
    }
}

/// A failed push's error, saying how many values chunks already committed held (a push
/// without all-or-nothing keeps them).
fn with_committed(error: ApiError, kept: ImportCount) -> ApiError {
    if kept.wrote() {
        error.with_detail("import_count_committed", json!(kept))
    } else {
        error
    }
}

/// The outcome as DHIS2's import summary, every conflict in both languages.
fn answer(outcome: PushOutcome) -> Response {
    let errors: Vec<ApiError> = outcome.errors.into_iter().map(ApiError::from).collect();
    let conflicts = outcome
        .conflicts
        .into_iter()
        .map(|conflict| {
            let (value_vi, value) = match conflict.problem {
                Problem::Report(at) => (errors[at].message.clone(), errors[at].message_en.clone()),
                Problem::NotSubmitted(at) => (
                    format!(
                        "Đã lưu bản nháp nhưng chưa gửi được: {}",
                        errors[at].message
                    ),
                    format!(
                        "Saved as a draft but not submitted: {}",
                        errors[at].message_en
                    ),
                ),
                Problem::UnknownDataElement(element) => (
                    format!("Chỉ tiêu {element} không có trong các biểu của chế độ báo cáo."),
                    format!("Data element {element} is in no form of the regime."),
                ),
                Problem::InvalidOptions(error) => (
                    format!("categoryOptionCombo không hợp lệ: {error}."),
                    format!("Invalid categoryOptionCombo: {error}."),
                ),
                Problem::InvalidValue { index, reason } => (
                    format!("Giá trị số {index} không hợp lệ: {reason}."),
                    format!("Value {index} is invalid: {reason}."),
                ),
                Problem::Cell {
                    message,
                    message_en,
                } => (message, message_en),
                Problem::Unplaced { index } => (
                    format!("Giá trị số {index} thiếu orgUnit hoặc period."),
                    format!("Value {index} lacks an orgUnit or a period."),
                ),
                Problem::UnknownField(field) => (
                    format!("Trường {field} không được hệ thống hiểu nên không nhận (không bỏ qua trong im lặng)."),
                    format!("Field {field} is not understood here, so it is refused rather than silently dropped."),
                ),
                Problem::AttributeOptionCombo(combo) => (
                    format!("attributeOptionCombo {combo:?}: chế độ báo cáo không khai báo chiều thuộc tính (cơ chế) này."),
                    format!("attributeOptionCombo {combo:?}: the regime declares no such attribute dimension (mechanism)."),
                ),
                Problem::Comment => (
                    "Giá trị kèm ghi chú (comment): hệ thống không lưu ghi chú theo từng ô; ghi vào đề cương báo cáo.".to_string(),
                    "The value carries a comment: comments are not kept per cell here; write them in the report's outline.".to_string(),
                ),
                Problem::Followup => (
                    "Giá trị đánh dấu theo dõi (followup): hệ thống không lưu dấu này.".to_string(),
                    "The value is marked for follow-up: that mark is not kept here.".to_string(),
                ),
                Problem::Period {
                    text,
                    reason,
                    reason_en,
                } => (
                    format!("Kỳ {text:?}: {reason}."),
                    format!("Period {text:?}: {reason_en}."),
                ),
                Problem::UnknownOrgUnit(code) => (
                    format!("Không có đơn vị mã {code:?} (orgUnit)."),
                    format!("No agency has code {code:?} (orgUnit)."),
                ),
            };
            Conflict {
                object: conflict.object,
                value,
                value_vi,
            }
        })
        .collect::<Vec<_>>();
    let status = if outcome.refused {
        "ERROR"
    } else if outcome.conflict_count == 0 {
        "SUCCESS"
    } else {
        "WARNING"
    };
    // DHIS2 2.38+: the web message's own status beside the summary's.
    let message_status = match status {
        "SUCCESS" => "OK",
        other => other,
    };
    let mut description = if outcome.refused {
        "Import refused: at least one value is in conflict and atomicMode is ALL; nothing was imported.".to_string()
    } else if outcome.dry_run {
        "Dry run: nothing was written.".to_string()
    } else {
        "Import process completed.".to_string()
    };
    if outcome.conflict_count > conflicts.len() {
        description.push_str(&format!(
            " {} conflicts; the first {} are listed.",
            outcome.conflict_count,
            conflicts.len()
        ));
    }
    let summary = ImportSummary {
        response_type: "ImportSummary",
        status,
        description,
        import_count: outcome.count,
        conflicts,
        dry_run: outcome.dry_run,
    };
    let code = if outcome.refused {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    (code, Json(web_message(code, message_status, summary))).into_response()
}

/// The summary as both generations of DHIS2 answer it: a web message (DHIS2 2.38 and later:
/// `status` `OK`, `WARNING` or `ERROR`, `httpStatus`, the summary under `response`), with the
/// summary's counts and conflicts at the top too for clients of DHIS2 before 2.38 that read
/// `importCount` there.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebMessage {
    response_type: &'static str,
    /// `OK`, `WARNING` (some values in conflict) or `ERROR` (nothing imported).
    status: &'static str,
    description: String,
    import_count: ImportCount,
    conflicts: Vec<Conflict>,
    dry_run: bool,
    http_status: &'static str,
    http_status_code: u16,
    message: &'static str,
    /// The import summary, its `status` `SUCCESS`, `WARNING` or `ERROR`.
    response: ImportSummary,
}

fn web_message(code: StatusCode, status: &'static str, summary: ImportSummary) -> WebMessage {
    WebMessage {
        response_type: summary.response_type,
        status,
        description: summary.description.clone(),
        import_count: summary.import_count,
        conflicts: summary.conflicts.clone(),
        dry_run: summary.dry_run,
        http_status: code.canonical_reason().unwrap_or(""),
        http_status_code: code.as_u16(),
        message: if code.is_success() {
            "Import was successful."
        } else {
            "An error occurred, please check import summary."
        },
        response: summary,
    }
}
