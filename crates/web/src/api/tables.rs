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
use baocao_domain::table::TableDefinition;
use baocao_formats::table::{Field, XLSX_MAX_ROWS, csv_bytes, xlsx_bytes, xlsx_streamed};
use baocao_service::analytics::{AnalyticsError, plan};
use baocao_service::pivot::{Labels, PivotRequest, PivotView, facts, view};
use baocao_service::tables::{self, find_in_scope, grid, long_header, request_of, stream_long};
use serde::Serialize;
use tokio_stream::wrappers::ReceiverStream;

use super::doc;
use crate::AppState;
use crate::auth::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::error::ApiError;
use crate::i18n::Lang;

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
    Ok(Json(TableList {
        tables: tables::list(&state, &caller).await?,
    }))
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
    Ok(Json(tables::read(&state, &caller, &code).await?))
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
    let created = tables::save(&state, &caller, &code, &mut table).await?;
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
    tables::delete(&state, &caller, &code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `lang` and `as_of` from a query string.
fn options(pairs: &[(String, String)]) -> (Lang, Option<String>) {
    let find = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let lang = Lang::from_code(find("lang").as_deref());
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
    let (lang, as_of) = options(&pairs);
    let (table, pivot) = tables::data(&state, &caller, &code, as_of, lang).await?;
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
    let table = find_in_scope(&state, &caller, &code).await?;
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
    let plan = plan(&state, Some(caller), request.query).await?;
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
                return Err(AnalyticsError::TooManyRowsForXlsx(plan.cells()).into());
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
