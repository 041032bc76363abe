//! Registering the client systems of other agencies: `POST /api/v1/clients` (an
//! administrator names the system, its agency and its scopes; the answer carries the token,
//! shown this once), `GET /api/v1/clients` (with last use, never tokens) and
//! `DELETE /api/v1/clients/{id}` (revocation). The client's account gets the grants its
//! scopes need at its agency and below: push → reporter, submit → approver, pull → viewer.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use baocao_service::clients::{self, Registration};
use baocao_store::clients::ClientRecord;
use serde::Serialize;

use crate::AppState;
use crate::auth::{ApiJson, ApiPath, Caller};
use crate::error::ApiError;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Registered {
    #[serde(flatten)]
    client: ClientRecord,
    /// Send as `Authorization: ApiToken …`, or as the password with HTTP Basic. Shown once.
    token: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/clients",
    tag = "Clients",
    operation_id = "post_api_v1_clients",
    summary = "Register a client system: {\"name\", \"agency\", \"regimes\", \"push\", \"pull\", \"submit\", \"rate_per_minute\", \"expires_at\"}; the answer carries its token once (Authorization: ApiToken …, or HTTP Basic name:token).",
    request_body(content = Registration, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered", body = Registered),
    ),
)]
pub async fn register(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(registration): ApiJson<Registration>,
) -> Result<(StatusCode, Json<Registered>), ApiError> {
    let (record, token) = clients::register(&state, &caller, registration).await?;
    Ok((
        StatusCode::CREATED,
        Json(Registered {
            client: record,
            token,
        }),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/clients",
    tag = "Clients",
    operation_id = "get_api_v1_clients",
    summary = "Registered client systems with their scopes and last use (never tokens).",
    responses(
        (status = 200, description = "OK", body = Vec<ClientRecord>),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ClientRecord>>, ApiError> {
    Ok(Json(clients::list(&state, &caller).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/clients/{id}",
    tag = "Clients",
    operation_id = "delete_api_v1_clients_id",
    summary = "Revoke a client: its token and account stop working.",
    params(
        ("id" = u32, Path, minimum = 1, maximum = 1000000),
    ),
    responses(
        (status = 204, description = "Revoked"),
    ),
)]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i32>,
) -> Result<StatusCode, ApiError> {
    clients::revoke(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
