//! Connectors over the API (the national system administrator's): `GET /api/v1/connectors`,
//! `GET|PUT|DELETE /api/v1/connectors/{code}`, `POST /api/v1/connectors/{code}/run` (now, off
//! schedule) and `GET /api/v1/connectors/{code}/runs` (the run log, newest first). A
//! connector's credentials for its peer are written, never read back: views name the kind of
//! authentication only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use baocao_domain::connector::{ConnectorSpec, PeerAuth};
use baocao_domain::permission::Action;
use baocao_store::connectors::{ConnectorRecord, RunRecord};
use serde::{Deserialize, Serialize};

use super::doc;
use crate::AppState;
use crate::auth::{ApiJson, ApiPath, Caller};
use crate::error::ApiError;

/// Runs listed with a connector.
const RUNS_SHOWN: i64 = 20;

pub(crate) fn require_admin(caller: &Caller) -> Result<(), ApiError> {
    caller.require(Action::ManageUsers {
        agency: &super::national(),
    })
}

fn not_found(code: &str) -> ApiError {
    ApiError::not_found(&format!("kết nối {code}"), &format!("connector {code}"))
}

/// A connector as sent: its spec's fields and `enabled` (default true) side by side. Read in
/// two steps rather than with `#[serde(flatten)]`, which buffers the body and loses serde's
/// own checks of the spec's fields.
pub struct ConnectorInput {
    spec: ConnectorSpec,
    enabled: bool,
}

/// Described as it is read: the spec's fields with `enabled` beside them.
impl utoipa::PartialSchema for ConnectorInput {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Type};
        let enabled = ObjectBuilder::new().property(
            "enabled",
            ObjectBuilder::new()
                .schema_type(Type::Boolean)
                .description(Some("Runs on its schedule (default true).")),
        );
        AllOfBuilder::new()
            .item(<ConnectorSpec as utoipa::PartialSchema>::schema())
            .item(enabled)
            .into()
    }
}
impl utoipa::ToSchema for ConnectorInput {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        <ConnectorSpec as utoipa::ToSchema>::schemas(schemas);
    }
}

impl<'de> Deserialize<'de> for ConnectorInput {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut fields = serde_json::Map::deserialize(deserializer)?;
        let enabled = match fields.remove("enabled") {
            None | Some(serde_json::Value::Null) => true,
            Some(serde_json::Value::Bool(enabled)) => enabled,
            Some(other) => {
                return Err(D::Error::custom(format!(
                    "enabled: {other} is not true or false"
                )));
            }
        };
        let spec = serde_path_to_error::deserialize(serde_json::Value::Object(fields))
            .map_err(D::Error::custom)?;
        Ok(Self { spec, enabled })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ConnectorView {
    code: String,
    name: String,
    url: String,
    format: baocao_domain::connector::PeerFormat,
    /// `none`, `bearer`, `basic` or `header`: the credentials themselves are not shown.
    auth: &'static str,
    every_minutes: u32,
    mapping: baocao_domain::connector::Mapping,
    enabled: bool,
    next_run_at: String,
    failures: i32,
    source: String,
    updated_by: String,
    updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    runs: Option<Vec<RunRecord>>,
}

fn view(record: ConnectorRecord, runs: Option<Vec<RunRecord>>) -> ConnectorView {
    ConnectorView {
        auth: record.spec.auth.kind(),
        source: crate::connectors::source_of(&record.code),
        code: record.code,
        name: record.spec.name,
        url: record.spec.url,
        format: record.spec.format,
        every_minutes: record.spec.every_minutes,
        mapping: record.spec.mapping,
        enabled: record.enabled,
        next_run_at: record.next_run_at,
        failures: record.failures,
        updated_by: record.updated_by,
        updated_at: record.updated_at,
        runs,
    }
}

async fn find(state: &AppState, code: &str) -> Result<ConnectorRecord, ApiError> {
    state
        .store
        .connector(code)
        .await?
        .ok_or_else(|| not_found(code))
}

#[utoipa::path(
    get,
    path = "/api/v1/connectors",
    tag = "Connectors",
    operation_id = "get_api_v1_connectors",
    summary = "Connectors (system administrator): peers pulled on a schedule, with their mapping, next run and failures in a row; credentials never shown.",
    responses(
        (status = 200, description = "OK", body = Vec<ConnectorView>),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ConnectorView>>, ApiError> {
    require_admin(&caller)?;
    Ok(Json(listing(&state, 0).await?))
}

/// Every connector, each with its last `runs` runs (none: no run log).
pub(crate) async fn listing(state: &AppState, runs: i64) -> Result<Vec<ConnectorView>, ApiError> {
    let mut views = Vec::new();
    for record in state.store.connectors().await? {
        let log = if runs > 0 {
            Some(state.store.connector_runs(&record.code, runs).await?)
        } else {
            None
        };
        views.push(view(record, log));
    }
    Ok(views)
}

/// Runs a connector now (the API's and the page's "run now").
pub(crate) async fn run_now(state: &AppState, code: &str) -> Result<RunRecord, ApiError> {
    let record = find(state, code).await?;
    crate::connectors::run(state, &record).await
}

#[utoipa::path(
    get,
    path = "/api/v1/connectors/{code}",
    tag = "Connectors",
    operation_id = "get_api_v1_connectors_code",
    summary = "One connector with its last 20 runs.",
    params(
        ("code" = doc::Code, Path),
    ),
    responses(
        (status = 200, description = "OK", body = ConnectorView),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<ConnectorView>, ApiError> {
    require_admin(&caller)?;
    let record = find(&state, &code).await?;
    let runs = state.store.connector_runs(&code, RUNS_SHOWN).await?;
    Ok(Json(view(record, Some(runs))))
}

#[utoipa::path(
    put,
    path = "/api/v1/connectors/{code}",
    tag = "Connectors",
    operation_id = "put_api_v1_connectors_code",
    summary = "Saves a connector: name, url (http/https), format (json|csv), auth ({kind: none|bearer|basic|header, …}), every_minutes, mapping ({records, indicator, agency, period, value, options} of {field|value, codes}), enabled. It runs at the scheduler's next tick.",
    params(
        ("code" = doc::Code, Path),
    ),
    request_body(content = ConnectorInput, content_type = "application/json"),
    responses(
        (status = 200, description = "Replaced", body = ConnectorView),
        (status = 201, description = "Created", body = ConnectorView),
    ),
)]
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(code): ApiPath<String>,
    ApiJson(input): ApiJson<ConnectorInput>,
) -> Result<Response, ApiError> {
    require_admin(&caller)?;
    let valid_code = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid_code {
        return Err(ApiError::bad_request(
            "invalid_code",
            format!("Mã kết nối {code:?} không hợp lệ (chữ, số, - và _; tối đa 64 ký tự)."),
            format!("Connector code {code:?} is invalid (letters, digits, - and _; at most 64)."),
        ));
    }
    let address = url::Url::parse(input.spec.url.trim()).ok();
    if !address.is_some_and(|a| matches!(a.scheme(), "http" | "https") && a.host().is_some()) {
        return Err(ApiError::bad_request(
            "invalid_connector",
            format!(
                "Kết nối không hợp lệ: địa chỉ {:?} không phải URL http(s) đọc được.",
                input.spec.url
            ),
            format!(
                "Invalid connector: {:?} is not a readable http(s) URL.",
                input.spec.url
            ),
        ));
    }
    if let PeerAuth::Header { name, value } = &input.spec.auth
        && (axum::http::HeaderName::from_bytes(name.as_bytes()).is_err()
            || axum::http::HeaderValue::from_str(value).is_err())
    {
        return Err(ApiError::bad_request(
            "invalid_connector",
            format!("Kết nối không hợp lệ: tiêu đề HTTP {name:?} không gửi được."),
            format!("Invalid connector: the HTTP header {name:?} cannot be sent."),
        ));
    }
    input.spec.check().map_err(|error| {
        ApiError::bad_request(
            "invalid_connector",
            format!("Kết nối không hợp lệ: {error}."),
            format!("Invalid connector: {error}."),
        )
    })?;
    // A new or changed connector runs at the next tick of the scheduler.
    let now = state.now_text();
    let created = state
        .store
        .save_connector(
            &code,
            &input.spec,
            input.enabled,
            &now,
            caller.principal.username.as_str(),
            &now,
        )
        .await?;
    let record = find(&state, &code).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view(record, None))).into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/connectors/{code}",
    tag = "Connectors",
    operation_id = "delete_api_v1_connectors_code",
    summary = "Removes a connector and its run log.",
    params(
        ("code" = doc::Code, Path),
    ),
    responses(
        (status = 204, description = "No Content"),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(code): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    require_admin(&caller)?;
    if state.store.delete_connector(&code).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&code))
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/connectors/{code}/run",
    tag = "Connectors",
    operation_id = "post_api_v1_connectors_code_run",
    summary = "Runs the connector now: fetches, maps, stores (source connector:CODE) and logs the run, which it answers.",
    params(
        ("code" = doc::Code, Path),
    ),
    responses(
        (status = 200, description = "OK", body = RunRecord),
    ),
)]
pub async fn run(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<RunRecord>, ApiError> {
    require_admin(&caller)?;
    Ok(Json(run_now(&state, &code).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/connectors/{code}/runs",
    tag = "Connectors",
    operation_id = "get_api_v1_connectors_code_runs",
    summary = "The connector's run log, newest first: started/finished, succeeded, attempt, fetched, stored, rejected, message, errors.",
    params(
        ("code" = doc::Code, Path),
    ),
    responses(
        (status = 200, description = "OK", body = Vec<RunRecord>),
    ),
)]
pub async fn runs(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<Vec<RunRecord>>, ApiError> {
    require_admin(&caller)?;
    find(&state, &code).await?;
    Ok(Json(state.store.connector_runs(&code, 200).await?))
}
