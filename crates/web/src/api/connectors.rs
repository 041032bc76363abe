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
use baocao_service::connectors::{self, ConnectorView, view};
use baocao_store::connectors::RunRecord;
use serde::Deserialize;

use super::doc;
use crate::AppState;
use crate::auth::{ApiJson, ApiPath, Caller};
use crate::error::ApiError;

/// Runs listed with a connector.
const RUNS_SHOWN: i64 = 20;

pub(crate) fn require_admin(caller: &Caller) -> Result<(), ApiError> {
    if connectors::may_manage(caller) {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
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
    Ok(Json(connectors::listing(&state, &caller, 0).await?))
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
    let record = connectors::find(&state, &code).await?;
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
            &caller.provenance(&now),
        )
        .await?;
    let record = connectors::find(&state, &code).await?;
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
    if state
        .store
        .delete_connector(&code, &caller.provenance(&state.now_text()))
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(connectors::ConnectorsError::UnknownConnector(code).into())
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
    Ok(Json(
        crate::connectors::run_now(&state, &caller, &code).await?,
    ))
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
    connectors::find(&state, &code).await?;
    Ok(Json(state.store.connector_runs(&code, 200).await?))
}
