//! Indicator tables and exports. The catalogue: `GET /api/v1/tables`, `GET|PUT|DELETE
//! /api/v1/tables/{code}` (saving needs the regime-author role); a table's numbers, laid out:
//! `GET /api/v1/tables/{code}/data`; and exports of a table or of any pivot as CSV or xlsx:
//! `GET /api/v1/tables/{code}/export?format=csv|xlsx`, `GET|POST /api/v1/pivot/export`.
//!
//! An export has two shapes. `shape=table` (the default) is the table as shown, totals
//! included — bounded like any pivot. `shape=long` is one row per number (indicator, agency,
//! period, options, value) and has no bound: it is computed an indicator and a few periods at
//! a time and streamed, so a million-row export neither waits for the whole answer nor holds
//! it in memory (xlsx is written in constant-memory mode by `baocao_formats::table`; a sheet holds at
//! most 1,048,575 rows, so a longer export must be CSV).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use baocao_domain::permission::Action;
use baocao_domain::table::{TableDefinition, latest_ending_by};
use baocao_formats::table::{Field, XLSX_MAX_ROWS, csv_bytes, xlsx_bytes, xlsx_streamed};
use serde::Serialize;
use tokio_stream::wrappers::ReceiverStream;

use super::analytics::{AnalyticsQuery, AnalyticsRow, Plan, plan};
use super::doc;
use super::pivot::{Labels, PivotRequest, PivotView, facts, view};
use crate::AppState;
use crate::auth::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::error::ApiError;
use crate::i18n::Lang;

/// Periods computed per step of a streamed export.
const PERIODS_PER_STEP: usize = 12;

fn not_found(code: &str) -> ApiError {
    ApiError::not_found(
        &format!("bảng chỉ tiêu {code}"),
        &format!("indicator table {code}"),
    )
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TableList {
    pub tables: Vec<TableDefinition>,
}

#[utoipa::path(
    get,
    path = "/api/v1/tables",
    tag = "Indicator tables",
    operation_id = "get_api_v1_tables",
    summary = "The catalogue of saved indicator tables, by theme.",
    responses(
        (status = 200, description = "OK", body = TableList),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<TableList>, ApiError> {
    caller.require(Action::ReadCatalogue)?;
    Ok(Json(TableList {
        tables: state.store.indicator_tables().await?,
    }))
}

pub(crate) async fn find(state: &AppState, code: &str) -> Result<TableDefinition, ApiError> {
    state
        .store
        .indicator_table(code)
        .await?
        .ok_or_else(|| not_found(code))
}

#[utoipa::path(
    get,
    path = "/api/v1/tables/{code}",
    tag = "Indicator tables",
    operation_id = "get_api_v1_tables_code",
    summary = "One saved table's definition.",
    params(
        ("code" = doc::Code, Path),
    ),
    responses(
        (status = 200, description = "OK", body = TableDefinition),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<TableDefinition>, ApiError> {
    caller.require(Action::ReadCatalogue)?;
    Ok(Json(find(&state, &code).await?))
}

/// Saves a table: its indicators must exist and its layout name known dimensions.
#[utoipa::path(
    put,
    path = "/api/v1/tables/{code}",
    tag = "Indicator tables",
    operation_id = "put_api_v1_tables_code",
    summary = "Saves a table (regime authors): indicators, agency, level, periods ({frequency,last} or {list}), disaggregate, layout, chart.",
    params(
        ("code" = doc::Code, Path),
    ),
    request_body(content = TableDefinition, content_type = "application/json"),
    responses(
        (status = 200, description = "Replaced", body = TableDefinition),
        (status = 201, description = "Created", body = TableDefinition),
    ),
)]
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(code): ApiPath<String>,
    ApiJson(mut table): ApiJson<TableDefinition>,
) -> Result<Response, ApiError> {
    caller.require(Action::AuthorRegimes)?;
    table.code = code;
    table.check().map_err(|error| {
        ApiError::bad_request(
            "invalid_table",
            format!("Bảng chỉ tiêu không hợp lệ: {error}."),
            format!("Invalid indicator table: {error}."),
        )
    })?;
    for indicator in &table.indicators {
        if state.store.indicator(indicator).await?.is_none() {
            return Err(ApiError::bad_request(
                "unknown_indicator",
                format!("Chỉ tiêu {indicator} không có trong danh mục."),
                format!("Indicator {indicator} is not in the catalogue."),
            ));
        }
    }
    let at = state.now_text();
    let created = state
        .store
        .save_indicator_table(&table, caller.principal.username.as_str(), &at)
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(table)).into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/tables/{code}",
    tag = "Indicator tables",
    operation_id = "delete_api_v1_tables_code",
    summary = "Deletes a table (regime authors).",
    params(
        ("code" = doc::Code, Path),
    ),
    responses(
        (status = 204, description = "Deleted"),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(code): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Action::AuthorRegimes)?;
    if state.store.delete_indicator_table(&code).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&code))
    }
}

/// The question a table asks today: relative periods end at the latest period with data.
pub(crate) async fn request_of(
    state: &AppState,
    table: &TableDefinition,
    as_of: Option<String>,
    lang: Lang,
) -> Result<PivotRequest, ApiError> {
    let today = state.today();
    let periods = match table.periods.frequency() {
        Some(frequency) => {
            let latest = state
                .store
                .latest_data_end(&table.indicators, today)
                .await?
                .unwrap_or(today);
            table.periods.resolve(latest_ending_by(frequency, latest))
        }
        None => table.periods.resolve(latest_ending_by(
            baocao_domain::period::Frequency::Yearly,
            today,
        )),
    };
    Ok(PivotRequest {
        query: AnalyticsQuery {
            indicator: table.indicators.iter().map(ToString::to_string).collect(),
            period: periods.iter().map(ToString::to_string).collect(),
            agency: Some(table.agency.to_string()),
            level: table.level.map(|l| l.as_str().to_string()),
            as_of,
            disaggregate: table.disaggregate.clone(),
        },
        rows: table.layout.rows.clone(),
        columns: table.layout.columns.clone(),
        lang: Some(lang.code().to_string()),
    })
}

/// `lang` and `as_of` from a query string.
fn options(pairs: &[(String, String)]) -> (Lang, Option<String>) {
    let find = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let lang = if find("lang").as_deref() == Some("en") {
        Lang::En
    } else {
        Lang::Vi
    };
    (lang, find("as_of").filter(|v| !v.is_empty()))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TableData {
    pub table: TableDefinition,
    #[serde(flatten)]
    pub pivot: PivotView,
}

#[utoipa::path(
    get,
    path = "/api/v1/tables/{code}/data",
    tag = "Indicator tables",
    operation_id = "get_api_v1_tables_code_data",
    summary = "A table's numbers today (relative periods end at the latest period with data), laid out as a pivot.",
    params(
        ("code" = doc::Code, Path),
        ("as_of" = Option<jiff::civil::Date>, Query),
        ("lang" = Option<doc::Language>, Query),
    ),
    responses(
        (status = 200, description = "OK", body = TableData),
    ),
)]
pub async fn data(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(code): ApiPath<String>,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> Result<Json<TableData>, ApiError> {
    let table = find(&state, &code).await?;
    let (lang, as_of) = options(&pairs);
    let request = request_of(&state, &table, as_of, lang).await?;
    let pivot = super::pivot::build(&state, &caller, request).await?;
    Ok(Json(TableData { table, pivot }))
}

/// What an export writes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Csv,
    Xlsx,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    Table,
    Long,
}

fn export_options(pairs: &[(String, String)]) -> Result<(Format, Shape), ApiError> {
    let find = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let format = match find("format").unwrap_or("csv") {
        "csv" => Format::Csv,
        "xlsx" => Format::Xlsx,
        other => {
            return Err(ApiError::bad_request(
                "invalid_format",
                format!("Định dạng {other:?} không được hỗ trợ (csv, xlsx)."),
                format!("Format {other:?} is not supported (csv, xlsx)."),
            ));
        }
    };
    let shape = match find("shape").unwrap_or("table") {
        "table" => Shape::Table,
        "long" => Shape::Long,
        other => {
            return Err(ApiError::bad_request(
                "invalid_shape",
                format!("Dạng {other:?} không được hỗ trợ (table, long)."),
                format!("Shape {other:?} is not supported (table, long)."),
            ));
        }
    };
    Ok((format, shape))
}

#[utoipa::path(
    get,
    path = "/api/v1/tables/{code}/export",
    tag = "Indicator tables",
    operation_id = "get_api_v1_tables_code_export",
    summary = "A table as CSV or xlsx (shape=table or long).",
    params(
        ("code" = doc::Code, Path),
        ("as_of" = Option<jiff::civil::Date>, Query),
        ("lang" = Option<doc::Language>, Query),
        ("format" = Option<doc::ExportFormat>, Query),
        ("shape" = Option<doc::ExportShape>, Query),
    ),
    responses(
        (status = 200, description = "OK", content((String = "text/csv"), (doc::Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    ),
)]
pub async fn export_table(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(code): ApiPath<String>,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let table = find(&state, &code).await?;
    let (lang, as_of) = options(&pairs);
    let (format, shape) = export_options(&pairs)?;
    let request = request_of(&state, &table, as_of, lang).await?;
    export(state, &caller, request, format, shape, &table.code).await
}

#[utoipa::path(
    get,
    path = "/api/v1/pivot/export",
    tag = "Analytics",
    operation_id = "get_api_v1_pivot_export",
    summary = "A pivot as CSV or xlsx: shape=table (as shown, with totals) or shape=long (one row per number, streamed, unbounded in CSV).",
    params(
        doc::AnalyticsSelection,
        doc::PivotLayout,
        ("format" = Option<doc::ExportFormat>, Query),
        ("shape" = Option<doc::ExportShape>, Query),
    ),
    responses(
        (status = 200, description = "OK", content((String = "text/csv"), (doc::Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    ),
)]
pub async fn export_pivot_get(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let (format, shape) = export_options(&pairs)?;
    let request = PivotRequest::from_pairs(pairs, &["format", "shape"])?;
    export(state, &caller, request, format, shape, "pivot").await
}

/// `POST /api/v1/pivot/export?format=&shape=` with the question as a JSON body.
#[utoipa::path(
    post,
    path = "/api/v1/pivot/export",
    tag = "Analytics",
    operation_id = "post_api_v1_pivot_export",
    summary = "The same export with the question as a JSON body, for questions too long for a URL.",
    params(
        ("format" = Option<doc::ExportFormat>, Query),
        ("shape" = Option<doc::ExportShape>, Query),
    ),
    request_body(content = PivotRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", content((String = "text/csv"), (doc::Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    ),
)]
pub async fn export_pivot_post(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
    ApiJson(request): ApiJson<PivotRequest>,
) -> Result<Response, ApiError> {
    let (format, shape) = export_options(&pairs)?;
    export(state, &caller, request, format, shape, "pivot").await
}

fn attachment(format: Format, name: &str, body: Body) -> Response {
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    let disposition = format!("attachment; filename=\"{name}.{extension}\"");
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        body,
    )
        .into_response()
}

async fn export(
    state: AppState,
    caller: &Caller,
    request: PivotRequest,
    format: Format,
    shape: Shape,
    name: &str,
) -> Result<Response, ApiError> {
    let lang = request.lang();
    let layout = request.layout();
    let plan = plan(&state, caller, request.query).await?;
    let labels = Labels::load(&state, &plan, lang).await?;
    if shape == Shape::Table {
        let rows = plan.rows(&state).await?;
        let facts = facts(&rows, !plan.disaggregate.is_empty());
        let view = view(&plan, &facts, &layout, &labels);
        let grid = grid(&view, lang);
        let bytes = match format {
            Format::Csv => csv_bytes(&grid),
            Format::Xlsx => tokio::task::spawn_blocking(move || xlsx_bytes(&grid))
                .await
                .map_err(|_| ApiError::internal())??,
        };
        return Ok(attachment(format, name, Body::from(bytes)));
    }
    let header = long_header(lang);
    match format {
        Format::Csv => {
            let (sender, receiver) =
                tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
            let _ = sender.send(Ok(csv_bytes(&[header]))).await;
            tokio::spawn(async move {
                let result = stream_long(&state, &plan, &labels, |lines| {
                    let sender = sender.clone();
                    async move { sender.send(Ok(csv_bytes(&lines))).await.is_ok() }
                })
                .await;
                if let Err(error) = result {
                    tracing::error!(?error, "export stopped");
                    let _ = sender
                        .send(Err(std::io::Error::other("export stopped")))
                        .await;
                }
            });
            Ok(attachment(
                format,
                name,
                Body::from_stream(ReceiverStream::new(receiver)),
            ))
        }
        Format::Xlsx => {
            if plan.cells() > XLSX_MAX_ROWS {
                return Err(ApiError::bad_request(
                    "too_many_rows_for_xlsx",
                    format!(
                        "Xuất {} dòng vượt quá giới hạn của một trang tính Excel; hãy xuất CSV.",
                        plan.cells()
                    ),
                    format!(
                        "{} rows exceed what an Excel sheet holds; export CSV instead.",
                        plan.cells()
                    ),
                ));
            }
            let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Vec<Field>>>(4);
            let writer = tokio::task::spawn_blocking(move || {
                xlsx_streamed(std::iter::once(vec![header]).chain(receiver.iter()))
            });
            stream_long(&state, &plan, &labels, |lines| {
                let sender = sender.clone();
                async move { sender.send(lines).is_ok() }
            })
            .await?;
            drop(sender);
            let bytes = writer.await.map_err(|_| ApiError::internal())??;
            Ok(attachment(format, name, Body::from(bytes)))
        }
    }
}

fn long_header(lang: Lang) -> Vec<Field> {
    let names: [&str; 9] = match lang {
        Lang::Vi => [
            "indicator",
            "Chỉ tiêu",
            "agency",
            "Cơ quan",
            "period",
            "Kỳ",
            "options",
            "Phân tổ",
            "value",
        ],
        Lang::En => [
            "indicator",
            "Indicator",
            "agency",
            "Agency",
            "period",
            "Period",
            "options",
            "Breakdown",
            "value",
        ],
    };
    names.iter().map(|n| Field::Text(n.to_string())).collect()
}

/// Computes the plan an indicator and [`PERIODS_PER_STEP`] periods at a time and hands each
/// step's rows to `emit`, which answers false when the receiver has gone.
async fn stream_long<F, Fut>(
    state: &AppState,
    plan: &Plan,
    labels: &Labels,
    emit: F,
) -> Result<(), ApiError>
where
    F: Fn(Vec<Vec<Field>>) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    use baocao_domain::pivot::Dimension;
    for indicator in &plan.indicators {
        for periods in plan.periods.chunks(PERIODS_PER_STEP) {
            let rows: Vec<AnalyticsRow> = plan.rows_of(state, indicator, periods).await?;
            let lines = rows
                .iter()
                .map(|row| {
                    let options: std::collections::BTreeMap<String, String> =
                        serde_json::from_value(row.options.clone()).unwrap_or_default();
                    let option_key = options
                        .iter()
                        .map(|(c, o)| format!("{c}={o}"))
                        .collect::<Vec<_>>()
                        .join(";");
                    let option_names = options
                        .iter()
                        .map(|(c, o)| labels.key(&Dimension::Category(c.clone()), o))
                        .collect::<Vec<_>>()
                        .join(" · ");
                    vec![
                        Field::Text(row.indicator.clone()),
                        Field::Text(labels.key(&Dimension::Indicator, &row.indicator)),
                        Field::Text(row.agency.clone()),
                        Field::Text(labels.key(&Dimension::Agency, &row.agency)),
                        Field::Text(row.period.clone()),
                        Field::Text(labels.key(&Dimension::Period, &row.period)),
                        Field::Text(option_key),
                        Field::Text(option_names),
                        Field::Number(row.value),
                    ]
                })
                .collect();
            if !emit(lines).await {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The table as shown: a header row per column dimension, then the rows, then the totals.
fn grid(view: &PivotView, lang: Lang) -> Vec<Vec<Field>> {
    let total = if lang == Lang::En {
        "Total"
    } else {
        "Tổng số"
    };
    let corner = view.row_dimensions.len().max(1);
    let mut grid = Vec::new();
    let levels = view.column_dimensions.len().max(1);
    for level in 0..levels {
        let mut line: Vec<Field> = (0..corner)
            .map(|i| {
                let name = if level + 1 == levels {
                    view.row_dimensions.get(i).map(|h| h.label.clone())
                } else {
                    None
                };
                Field::Text(name.unwrap_or_default())
            })
            .collect();
        for column in &view.columns {
            line.push(Field::Text(
                column
                    .get(level)
                    .map(|h| h.label.clone())
                    .unwrap_or_default(),
            ));
        }
        line.push(Field::Text(if level + 1 == levels {
            total.to_string()
        } else {
            String::new()
        }));
        grid.push(line);
    }
    for row in &view.rows {
        let mut line: Vec<Field> = row
            .headers
            .iter()
            .map(|h| Field::Text(h.label.clone()))
            .collect();
        while line.len() < corner {
            line.push(Field::Text(String::new()));
        }
        line.extend(row.cells.iter().map(|c| Field::Number(c.value)));
        line.push(Field::Number(row.total.value));
        grid.push(line);
    }
    let mut line = vec![Field::Text(total.to_string())];
    while line.len() < corner {
        line.push(Field::Text(String::new()));
    }
    line.extend(view.column_totals.iter().map(|c| Field::Number(c.value)));
    line.push(Field::Number(view.grand_total.value));
    grid.push(line);
    grid
}
