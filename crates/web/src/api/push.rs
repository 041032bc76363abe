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
use serde::Serialize;
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

/// A push's query parameters as DHIS2 takes them: `dryRun`, `importStrategy`, `atomicMode`,
/// `dataSet` (the regime of a payload that names none); DHIS2's id schemes (codes are the
/// identifiers here: `CODE` and `UID` both name them); the strictness flags (the import is
/// always strict: a value that does not fit is a conflict whatever they say); `async` and
/// `skipAudit` only as `false` — an import here runs while the request waits, and every
/// import is audited. Any other parameter is refused by name.
#[derive(Debug, Default)]
pub struct ImportOptions {
    dry_run: Option<String>,
    import_strategy: Option<String>,
    atomic_mode: Option<String>,
    data_set: Option<String>,
}

/// DHIS2's flags that ask an import to be less strict than this one always is, or to skip a
/// cache warm-up: read, and answered by the import's own strictness.
const STRICTNESS_FLAGS: [&str; 9] = [
    "strictPeriods",
    "strictDataElements",
    "strictCategoryOptionCombos",
    "strictAttributeOptionCombos",
    "strictOrganisationUnits",
    "requireCategoryOptionCombo",
    "requireAttributeOptionCombo",
    "skipExistingCheck",
    "preheatCache",
];

impl ImportOptions {
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, ApiError> {
        let mut options = Self::default();
        for (name, value) in pairs {
            let refused = |why_vi: &str, why_en: &str| {
                ApiError::bad_request(
                    "unsupported_parameter",
                    format!("{name}={value}: {why_vi}"),
                    format!("{name}={value}: {why_en}"),
                )
            };
            match name.as_str() {
                "dryRun" => options.dry_run = Some(value),
                "importStrategy" => options.import_strategy = Some(value),
                "atomicMode" => options.atomic_mode = Some(value),
                "dataSet" => options.data_set = Some(value),
                "async" if flag(Some(&value))? => {
                    return Err(refused(
                        "không có nhập dữ liệu chạy nền; bỏ async, việc nhập chạy trong lúc chờ và đọc dữ liệu theo luồng.",
                        "imports do not run as background jobs here; leave async out — the import streams while the request waits.",
                    ));
                }
                "skipAudit" if flag(Some(&value))? => {
                    return Err(refused(
                        "mọi lần nhập đều được ghi nhật ký.",
                        "every import is audited here.",
                    ));
                }
                "async" | "skipAudit" => {}
                _ if STRICTNESS_FLAGS.contains(&name.as_str()) => {
                    flag(Some(&value))?;
                }
                _ if super::interop::is_id_scheme(&name) => {
                    super::interop::id_scheme(&name, &value)?
                }
                _ => {
                    return Err(ApiError::unknown_parameter(&name));
                }
            }
        }
        Ok(options)
    }

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
        ("dataSet" = Option<String>, Query, description = "The regime of values that name none (a CSV payload, an ADX group without dataSet); where neither the payload nor this names it, each value goes to the one regime whose forms have its element."),
        ("async" = Option<bool>, Query, description = "Only false: imports run while the request waits (true is refused)."),
        ("skipAudit" = Option<bool>, Query, description = "Only false: every import is audited (true is refused)."),
        ("idScheme" = Option<String>, Query, pattern = r"^(?i)(code|uid)$", description = "DHIS2's id scheme (and dataElementIdScheme, orgUnitIdScheme, …): codes are the identifiers here, so CODE and UID both name them."),
        ("strictPeriods" = Option<bool>, Query, description = "Read; the import is always strict (also strictDataElements, strictCategoryOptionCombos, strictAttributeOptionCombos, strictOrganisationUnits, requireCategoryOptionCombo, requireAttributeOptionCombo, skipExistingCheck, preheatCache)."),
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
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let format = payload::format_of(&headers)?;
    let options = ImportOptions::from_pairs(pairs)?.parse()?;
    let mut push = Push::new(&state, &caller, options);

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
        Ok(outcome) => {
            state
                .metrics
                .pushed(&outcome.count, summary_status(&outcome));
            Ok(answer(outcome))
        }
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

/// The import summary's status: ERROR (refused whole), SUCCESS or WARNING (some conflicts).
fn summary_status(outcome: &PushOutcome) -> &'static str {
    if outcome.refused {
        "ERROR"
    } else if outcome.conflict_count == 0 {
        "SUCCESS"
    } else {
        "WARNING"
    }
}

/// The outcome as DHIS2's import summary, every conflict in both languages.
fn answer(outcome: PushOutcome) -> Response {
    let status = summary_status(&outcome);
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
                Problem::UnknownDataSet(code) => (
                    format!("Không có chế độ báo cáo (dataSet) mã {code}."),
                    format!("No regime (dataSet) has the code {code}."),
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
                Problem::DataSetUndecided { element, regimes } if regimes.is_empty() => (
                    format!("Không có chế độ báo cáo nào (được phép gửi) có chỉ tiêu {element}; hãy ghi dataSet."),
                    format!("No regime the caller may push has element {element}; name the dataSet."),
                ),
                Problem::DataSetUndecided { element, regimes } => (
                    format!("Chỉ tiêu {element} có trong nhiều chế độ ({}); hãy ghi dataSet.", regimes.join(", ")),
                    format!("Element {element} is in several regimes ({}); name the dataSet.", regimes.join(", ")),
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
