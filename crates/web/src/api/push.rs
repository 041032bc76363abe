//! Pushes of data value sets: `POST /api/v1/dataValueSets` (also at DHIS2's own
//! `/api/dataValueSets`) takes DHIS2's JSON, DHIS2's CSV or IHE ADX XML ([`baocao_formats::datavalues`])
//! and answers DHIS2's import summary. Values land in the report drafts of their (regime =
//! `dataSet`, agency = `orgUnit`, period) under the same cell rules, permissions, status rules
//! and optimistic locks as the UI's data entry.
//!
//! # Streaming and set-based
//! The body is read as it arrives, on a blocking thread that hands values on in batches; the
//! importer groups [`CHUNK`] values at a time by slot and resolves, reads and saves the chunk's
//! slots a few statements at a time ([`PeriodSlots`]), never one report at a time. Memory is
//! bounded by the chunk, not the payload.
//!
//! # All or nothing
//! `atomicMode=ALL` (the default) and `dryRun=true` keep one draft transaction for the whole
//! payload: a conflict anywhere, or a payload that turns out malformed half-way, rolls it all
//! back. `atomicMode=NONE` commits chunk by chunk and keeps every value that is not in
//! conflict. On SQLite an all-or-nothing push holds the database's write lock while it runs.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufReader;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use baocao_domain::report::{CellAddress, CellInput, ReportShape};
use baocao_domain::submission::SubmissionAction;
use baocao_domain::value::OptionCombo;
use baocao_store::transaction::Transaction;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_stream::StreamExt;

use super::doc;
use crate::extract::load_regime;
use baocao_formats::datavalues::{self, DataValueIn, Item, SetHeader};

use super::interop::flag;
use super::payload;
use crate::AppState;
use crate::auth::{ApiQuery, Caller};
use crate::error::ApiError;
use baocao_service::catalogue::Catalogue;
use baocao_service::reporting::bulk::{BulkDraft, PeriodReports};
use baocao_service::reporting::{self, ActionInput, ReportAddress};

/// Values grouped, checked and saved together.
const CHUNK: usize = 20_000;
/// Values a message from the reading thread.
const BATCH: usize = 1_000;
/// Conflicts listed in a summary (all are counted).
const CONFLICTS_LISTED: usize = 10_000;

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

#[derive(Debug, Serialize, Default, Clone, Copy, utoipa::ToSchema)]
pub struct ImportCount {
    pub imported: usize,
    pub updated: usize,
    pub ignored: usize,
    pub deleted: usize,
}

impl ImportCount {
    fn add(&mut self, other: ImportCount) {
        self.imported += other.imported;
        self.updated += other.updated;
        self.ignored += other.ignored;
        self.deleted += other.deleted;
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Strategy {
    Create,
    Update,
    CreateAndUpdate,
    Delete,
}

fn strategy_of(text: Option<&str>) -> Result<Strategy, ApiError> {
    match text.map(str::to_ascii_uppercase).as_deref() {
        None | Some("CREATE_AND_UPDATE") | Some("NEW_AND_UPDATES") => Ok(Strategy::CreateAndUpdate),
        Some("CREATE") | Some("NEW") => Ok(Strategy::Create),
        Some("UPDATE") | Some("UPDATES") => Ok(Strategy::Update),
        Some("DELETE") | Some("DELETES") => Ok(Strategy::Delete),
        Some(other) => Err(ApiError::bad_request(
            "invalid_import_strategy",
            format!(
                "importStrategy {other:?} không hợp lệ (CREATE, UPDATE, CREATE_AND_UPDATE, DELETE)."
            ),
            format!(
                "Unknown importStrategy {other:?} (CREATE, UPDATE, CREATE_AND_UPDATE, DELETE)."
            ),
        )),
    }
}

/// `atomicMode`: ALL (the default; DHIS2's older TRUE too) or NONE (FALSE).
fn atomic_of(text: Option<&str>) -> Result<bool, ApiError> {
    match text.map(str::to_ascii_uppercase).as_deref() {
        None | Some("ALL") | Some("TRUE") => Ok(true),
        Some("NONE") | Some("FALSE") => Ok(false),
        Some(other) => Err(ApiError::bad_request(
            "invalid_atomic_mode",
            format!("atomicMode {other:?} không hợp lệ (ALL, NONE)."),
            format!("Unknown atomicMode {other:?} (ALL, NONE)."),
        )),
    }
}

fn conflict(object: &str, vi: String, en: String) -> Conflict {
    Conflict {
        object: object.to_string(),
        value: en,
        value_vi: vi,
    }
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
    let mut run = Run {
        state: &state,
        caller: &caller,
        strategy: strategy_of(options.import_strategy.as_deref())?,
        atomic: atomic_of(options.atomic_mode.as_deref())?,
        dry_run: flag(options.dry_run.as_deref())?,
        query_data_set: options.data_set.clone(),
        header: SetHeader::default(),
        regime: None,
        periods: HashMap::new(),
        tx: None,
        ready: Vec::new(),
        waiting: Vec::new(),
        seen: 0,
        count: ImportCount::default(),
        conflicts: ConflictLog::default(),
        refused: false,
        touched: HashSet::new(),
    };

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
    while let Some(batch) = items_in.recv().await {
        for item in batch {
            run.take(item);
        }
        if run.ready.len() >= CHUNK
            && let Err(error) = run.flush().await
        {
            failed = Some(error);
            break;
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
        return Err(run.abandon(error).await);
    }
    match run.finish().await {
        Ok(response) => Ok(response),
        Err(error) => Err(run.abandon(error).await),
    }
}

/// One agency's values of a chunk, each with its place in the payload.
type AgencyValues = (String, Vec<(usize, DataValueIn)>);

/// The conflicts of a push: all counted, the first [`CONFLICTS_LISTED`] listed, so a payload
/// of a million bad values answers a summary of bounded size.
#[derive(Default)]
struct ConflictLog {
    listed: Vec<Conflict>,
    count: usize,
}

impl ConflictLog {
    fn note(&mut self, conflict: Conflict) {
        self.count += 1;
        if self.listed.len() < CONFLICTS_LISTED {
            self.listed.push(conflict);
        }
    }
}

/// A value waiting for its slot: its place in the payload, the value, its orgUnit and period.
type Placed = (usize, DataValueIn, String, String);

/// One push as it goes.
struct Run<'a> {
    state: &'a AppState,
    caller: &'a Caller,
    strategy: Strategy,
    atomic: bool,
    dry_run: bool,
    query_data_set: Option<String>,
    header: SetHeader,
    /// The regime's code and the catalogue, once the first chunk is checked.
    regime: Option<(String, Catalogue)>,
    periods: HashMap<String, Result<PeriodReports, ApiError>>,
    tx: Option<Transaction>,
    ready: Vec<Placed>,
    /// Values met before the set's fields they need (a JSON object that lists `dataValues`
    /// before `dataSet`, `period` or `orgUnit`): placed at the end.
    waiting: Vec<(usize, DataValueIn)>,
    seen: usize,
    count: ImportCount,
    conflicts: ConflictLog,
    /// In all-or-nothing mode: a conflict was found, nothing will be kept.
    refused: bool,
    /// Slots written, kept only for a client granted submission (one entry a slot, however
    /// many values it took).
    touched: HashSet<ReportAddress>,
}

impl Run<'_> {
    fn data_set(&self) -> Option<&String> {
        self.header
            .data_set
            .as_ref()
            .or(self.query_data_set.as_ref())
    }

    fn submits(&self) -> bool {
        self.caller.client.as_ref().is_some_and(|c| c.can_submit)
    }

    fn take(&mut self, item: Item) {
        match item {
            Item::Header(header) => self.header = header,
            Item::Value(value) => {
                let index = self.seen;
                self.seen += 1;
                let org_unit = value
                    .org_unit
                    .clone()
                    .or_else(|| self.header.org_unit.clone());
                let period = value.period.clone().or_else(|| self.header.period.clone());
                match (self.data_set(), org_unit, period) {
                    (Some(_), Some(org_unit), Some(period)) => {
                        self.ready.push((index, value, org_unit, period))
                    }
                    _ => self.waiting.push((index, value)),
                }
            }
        }
    }

    /// Checks and saves the ready values.
    async fn flush(&mut self) -> Result<(), ApiError> {
        if self.ready.is_empty() {
            return Ok(());
        }
        if self.regime.is_none() {
            let code = self.data_set().cloned().ok_or_else(data_set_required)?;
            self.caller.require_scope(true, &code)?;
            load_regime(self.state, &code).await?;
            self.regime = Some((code, Catalogue::load(&self.state.store).await?));
        }
        if self.tx.is_none() {
            self.tx = Some(self.state.store.begin().await?);
        }
        // By period, then by agency in the order the payload first names it.
        let mut by_period: BTreeMap<String, Vec<AgencyValues>> = BTreeMap::new();
        let mut places: HashMap<(String, String), usize> = HashMap::new();
        for (index, value, org_unit, period) in std::mem::take(&mut self.ready) {
            let slots = by_period.entry(period.clone()).or_default();
            let at = *places.entry((period, org_unit.clone())).or_insert_with(|| {
                slots.push((org_unit, Vec::new()));
                slots.len() - 1
            });
            slots[at].1.push((index, value));
        }
        for (period, slots) in by_period {
            self.flush_period(&period, slots).await?;
        }
        if !self.atomic
            && !self.dry_run
            && let Some(tx) = self.tx.take()
        {
            tx.commit().await?;
        }
        Ok(())
    }

    async fn flush_period(
        &mut self,
        period: &str,
        slots: Vec<(String, Vec<(usize, DataValueIn)>)>,
    ) -> Result<(), ApiError> {
        let (code, catalogue) = self.regime.as_ref().expect("set by flush");
        let tx = self.tx.as_mut().expect("opened by flush");
        if !self.periods.contains_key(period) {
            let opened = PeriodReports::open(self.state, tx, code, period)
                .await
                .map_err(ApiError::from);
            self.periods.insert(period.to_string(), opened);
        }
        let context = match &self.periods[period] {
            Ok(context) => context,
            Err(error) => {
                for (org_unit, values) in &slots {
                    for (_, value) in values {
                        self.conflicts.note(conflict(
                            &format!("{org_unit}/{period}/{}", value.data_element),
                            error.message.clone(),
                            error.message_en.clone(),
                        ));
                    }
                }
                self.refused |= self.atomic;
                return Ok(());
            }
        };
        let agencies: Vec<String> = slots.iter().map(|(a, _)| a.clone()).collect();
        let drafts = context
            .drafts(self.state, self.caller, tx, &agencies)
            .await?;
        let shape = ReportShape {
            regime: context.regime().content(),
            indicators: &catalogue.indicators,
            categories: &catalogue.categories,
        };
        let mut edits: Vec<(BulkDraft, Vec<CellInput>)> = Vec::new();
        let mut counts = Vec::new();
        for ((org_unit, values), draft) in slots.into_iter().zip(drafts) {
            let draft = match draft {
                Ok(draft) => draft,
                Err(error) => {
                    let error = ApiError::from(error);
                    for (_, value) in &values {
                        self.conflicts.note(conflict(
                            &format!("{org_unit}/{period}/{}", value.data_element),
                            error.message.clone(),
                            error.message_en.clone(),
                        ));
                    }
                    continue;
                }
            };
            let current: HashMap<&CellAddress, &String> = draft
                .values()
                .iter()
                .map(|cell| (&cell.address, &cell.value))
                .collect();
            let mut cells = Vec::new();
            let mut count = ImportCount::default();
            // A cell given twice is counted against what its first mention left.
            let mut given: HashMap<CellAddress, Option<String>> = HashMap::new();
            for (index, value) in values {
                let object = format!("{org_unit}/{period}/{}", value.data_element);
                match cell_of(&shape, self.strategy, index, &value) {
                    Err((vi, en)) => self.conflicts.note(conflict(&object, vi, en)),
                    Ok((input, address, new)) => {
                        let old = match given.get(&address) {
                            Some(earlier) => earlier.as_ref(),
                            None => current.get(&address).copied(),
                        };
                        let counted = match (self.strategy, old, &new) {
                            (Strategy::Delete, Some(_), _) => Some(&mut count.deleted),
                            (Strategy::Delete, None, _) => None,
                            (_, None, None) => None,
                            (_, Some(old), Some(new)) if old == new => None,
                            (Strategy::Create, Some(_), _) => None,
                            (Strategy::Update, None, _) => None,
                            (_, None, Some(_)) => Some(&mut count.imported),
                            (_, Some(_), None) => Some(&mut count.deleted),
                            (_, Some(_), Some(_)) => Some(&mut count.updated),
                        };
                        match counted {
                            Some(counter) => {
                                *counter += 1;
                                cells.push(input);
                                let left = if self.strategy == Strategy::Delete {
                                    None
                                } else {
                                    new
                                };
                                given.insert(address, left);
                            }
                            None => count.ignored += 1,
                        }
                    }
                }
            }
            if cells.is_empty() {
                self.count.add(count);
            } else {
                edits.push((draft, cells));
                counts.push(count);
            }
        }
        if self.atomic && self.conflicts.count > 0 {
            self.refused = true;
        }
        if self.refused || edits.is_empty() {
            return Ok(());
        }
        let paths: Vec<ReportAddress> = edits
            .iter()
            .map(|(draft, _)| draft.address().clone())
            .collect();
        let saved = context.save(self.state, catalogue, tx, edits).await?;
        for ((outcome, count), path) in saved.into_iter().zip(counts).zip(paths) {
            match outcome {
                Ok(()) => {
                    self.count.add(count);
                    if self.submits() {
                        self.touched.insert(path);
                    }
                }
                Err(error) => {
                    let error = ApiError::from(error);
                    self.conflicts.note(conflict(
                        &format!("{}/{}", path.agency, path.period),
                        error.message,
                        error.message_en,
                    ));
                    self.refused |= self.atomic;
                }
            }
        }
        Ok(())
    }

    /// Places the waiting values, saves the rest, commits (or, refused or dry, rolls back)
    /// and answers the summary.
    async fn finish(&mut self) -> Result<Response, ApiError> {
        if self.data_set().is_none() {
            return Err(data_set_required());
        }
        for (index, value) in std::mem::take(&mut self.waiting) {
            let org_unit = value
                .org_unit
                .clone()
                .or_else(|| self.header.org_unit.clone());
            let period = value.period.clone().or_else(|| self.header.period.clone());
            match (org_unit, period) {
                (Some(org_unit), Some(period)) => self.ready.push((index, value, org_unit, period)),
                _ => self.conflicts.note(conflict(
                    &value.data_element,
                    format!("Giá trị số {index} thiếu orgUnit hoặc period."),
                    format!("Value {index} lacks an orgUnit or a period."),
                )),
            }
        }
        if self.atomic && self.conflicts.count > 0 {
            self.refused = true;
        }
        self.flush().await?;
        if let Some(tx) = self.tx.take() {
            if self.refused || self.dry_run {
                tx.rollback().await?;
            } else {
                tx.commit().await?;
            }
        }
        if self.refused {
            self.count = ImportCount {
                ignored: self.seen,
                ..ImportCount::default()
            };
        }
        // A client granted submission sends each report on; if the rules stop it, the values
        // stay in the draft and the summary says why.
        if !self.refused && !self.dry_run && self.submits() {
            let mut touched: Vec<_> = std::mem::take(&mut self.touched).into_iter().collect();
            touched.sort_by_key(|a| {
                (
                    a.regime.to_string(),
                    a.agency.to_string(),
                    a.period.to_string(),
                )
            });
            for path in touched {
                if let Err(error) = reporting::act(
                    self.state,
                    self.caller,
                    &path,
                    SubmissionAction::Submit,
                    ActionInput::default(),
                )
                .await
                {
                    let error = ApiError::from(error);
                    self.conflicts.note(conflict(
                        &format!("{}/{}", path.agency, path.period),
                        format!("Đã lưu bản nháp nhưng chưa gửi được: {}", error.message),
                        format!("Saved as a draft but not submitted: {}", error.message_en),
                    ));
                }
            }
        }
        let status = if self.refused {
            "ERROR"
        } else if self.conflicts.count == 0 {
            "SUCCESS"
        } else {
            "WARNING"
        };
        let mut description = if self.refused {
            "Import refused: at least one value is in conflict and atomicMode is ALL; nothing was imported.".to_string()
        } else if self.dry_run {
            "Dry run: nothing was written.".to_string()
        } else {
            "Import process completed.".to_string()
        };
        if self.conflicts.count > self.conflicts.listed.len() {
            description.push_str(&format!(
                " {} conflicts; the first {} are listed.",
                self.conflicts.count,
                self.conflicts.listed.len()
            ));
        }
        let summary = ImportSummary {
            response_type: "ImportSummary",
            status,
            description,
            import_count: self.count,
            conflicts: std::mem::take(&mut self.conflicts.listed),
            dry_run: self.dry_run,
        };
        let code = if self.refused {
            StatusCode::CONFLICT
        } else {
            StatusCode::OK
        };
        Ok((code, Json(web_message(code, summary))).into_response())
    }

    /// Ends a push that failed as a whole: nothing uncommitted is kept. Chunks a push in
    /// `atomicMode=NONE` already committed stay, and the error says how many values they held.
    async fn abandon(&mut self, error: ApiError) -> ApiError {
        if let Some(tx) = self.tx.take() {
            // A failed rollback leaves nothing either: the transaction ends with its connection.
            let _ = tx.rollback().await;
        }
        let kept = self.count;
        if kept.imported + kept.updated + kept.deleted > 0 {
            error.with_detail("import_count_committed", json!(kept))
        } else {
            error
        }
    }
}

/// The summary as both generations of DHIS2 answer it: the import summary's own fields at the
/// top (DHIS2 before 2.38, and clients that read `importCount` there) and the same summary
/// under `response` in a web message with `httpStatus` (DHIS2 2.38 and later).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebMessage {
    #[serde(flatten)]
    summary: ImportSummary,
    http_status: &'static str,
    http_status_code: u16,
    message: &'static str,
    response: ImportSummary,
}

fn web_message(code: StatusCode, summary: ImportSummary) -> WebMessage {
    WebMessage {
        summary: summary.clone(),
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

fn data_set_required() -> ApiError {
    ApiError::bad_request(
        "data_set_required",
        "Cần dataSet (mã chế độ báo cáo).",
        "dataSet (the regime's code) is required.",
    )
}

/// A pushed value as a cell of the regime's forms, checked: the input to merge, its address
/// and its stored text (`None`: empty).
fn cell_of(
    shape: &ReportShape<'_>,
    strategy: Strategy,
    index: usize,
    value: &DataValueIn,
) -> Result<(CellInput, CellAddress, Option<String>), (String, String)> {
    let Some(form) = shape.regime.forms.iter().find(|f| {
        f.rows
            .iter()
            .any(|r| r.indicator.as_str() == value.data_element)
    }) else {
        return Err((
            format!(
                "Chỉ tiêu {} không có trong các biểu của chế độ báo cáo.",
                value.data_element
            ),
            format!(
                "Data element {} is in no form of the regime.",
                value.data_element
            ),
        ));
    };
    let options = OptionCombo::from_key(value.category_option_combo.as_deref().unwrap_or(""))
        .map_err(|error| {
            (
                format!("categoryOptionCombo không hợp lệ: {error}."),
                format!("Invalid categoryOptionCombo: {error}."),
            )
        })?;
    let removed = strategy == Strategy::Delete || value.deleted == Some(true);
    let raw = json!({
        "form": form.code, "row": value.data_element, "column": form.first_measure_column(),
        "options": options,
        "value": if removed { serde_json::Value::Null } else { value.value.clone().unwrap_or(serde_json::Value::Null) },
    });
    let input: CellInput = serde_json::from_value(raw).map_err(|error| {
        (
            format!("Giá trị số {index} không hợp lệ: {error}."),
            format!("Value {index} is invalid: {error}."),
        )
    })?;
    let (address, new) = shape
        .check_cell(&input)
        .map_err(|problem| (problem.message, problem.message_en))?;
    Ok((input, address, new))
}
