//! Registering the client systems of other agencies: `POST /api/v1/clients` (an
//! administrator names the system, its agency and its scopes; the answer carries the token,
//! shown this once), `GET /api/v1/clients` (with last use, never tokens) and
//! `DELETE /api/v1/clients/{id}` (revocation). The client's account gets the grants its
//! scopes need at its agency and below: push → reporter, submit → approver, pull → viewer.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use baocao_domain::permission::Action;
use baocao_domain::user::{Role, RoleGrant, Username};
use baocao_store::clients::{ClientRecord, NewClient};
use baocao_store::credentials::{hash_password, new_secret};
use baocao_store::users::NewUser;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::{ApiJson, ApiPath, Caller, lineage_today};
use crate::error::ApiError;
use crate::extract::agency_code;

/// Calls a minute when the registration does not say.
const DEFAULT_RATE: i32 = 600;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Registration {
    /// The account name: lowercase letters, digits, `.`, `_`, `-`.
    name: String,
    #[schema(value_type = baocao_domain::agency::AgencyCode)]
    agency: String,
    #[serde(default)]
    full_name: String,
    /// Regime codes the client may touch (empty: all its grants allow).
    #[serde(default)]
    #[schema(value_type = Vec<baocao_domain::regime::RegimeCode>)]
    regimes: Vec<String>,
    #[serde(default)]
    push: bool,
    #[serde(default)]
    pull: bool,
    #[serde(default)]
    submit: bool,
    #[serde(default)]
    rate_per_minute: Option<i32>,
    #[serde(default)]
    expires_at: Option<jiff::Timestamp>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Registered {
    #[serde(flatten)]
    client: ClientRecord,
    /// Send as `Authorization: ApiToken …`, or as the password with HTTP Basic. Shown once.
    token: String,
}

fn refused(vi: String, en: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_client", vi, en)
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
    let agency = agency_code(&registration.agency)?;
    let lineage = lineage_today(&state, &agency).await?;
    caller.require(Action::ManageUsers { agency: &lineage })?;
    let username = Username::new(registration.name.trim()).map_err(|_| {
        refused(
            format!(
                "Tên hệ thống {:?} chỉ gồm chữ thường, số, '.', '_', '-'.",
                registration.name
            ),
            format!(
                "Client name {:?} must be lowercase letters, digits, '.', '_' or '-'.",
                registration.name
            ),
        )
    })?;
    if !(registration.push || registration.pull) {
        return Err(refused(
            "Hệ thống phải được gửi (push) hoặc lấy (pull) dữ liệu.".into(),
            "A client must be allowed to push or to pull.".into(),
        ));
    }
    let rate = registration.rate_per_minute.unwrap_or(DEFAULT_RATE);
    if !(1..=100_000).contains(&rate) {
        return Err(refused(
            "Giới hạn yêu cầu mỗi phút phải từ 1 đến 100000.".into(),
            "rate_per_minute must be 1 to 100000.".into(),
        ));
    }
    for regime in &registration.regimes {
        crate::extract::load_regime(&state, regime).await?;
    }
    let grant = |role| RoleGrant {
        role,
        agency: agency.clone(),
        subtree: true,
    };
    let mut grants = Vec::new();
    if registration.push {
        grants.push(grant(Role::Reporter));
    }
    if registration.submit {
        grants.push(grant(Role::Approver));
    }
    if registration.pull {
        grants.push(grant(Role::Viewer));
    }
    let token = new_secret();
    let password_hash = {
        let token = token.clone();
        tokio::task::spawn_blocking(move || hash_password(&token))
            .await
            .map_err(|_| ApiError::internal())??
    };
    let user = NewUser {
        username: username.clone(),
        password_hash,
        full_name: if registration.full_name.trim().is_empty() {
            format!("Hệ thống {username}")
        } else {
            registration.full_name.trim().to_string()
        },
        email: None,
        agency: agency.clone(),
        grants,
    };
    let expires_at = registration.expires_at.map(crate::stamp);
    let client = NewClient {
        user: &user,
        token: &token,
        regimes: &registration.regimes,
        can_push: registration.push,
        can_pull: registration.pull,
        can_submit: registration.submit,
        rate_per_minute: rate,
        expires_at: expires_at.as_deref(),
    };
    state
        .store
        .create_client(
            &client,
            state.today(),
            caller.principal.username.as_str(),
            &state.now_text(),
        )
        .await
        .map_err(|error| match error {
            baocao_store::StoreError::Conflict(_) => ApiError::new(
                StatusCode::CONFLICT,
                "client_exists",
                format!("Đã có tài khoản hoặc hệ thống tên {username}."),
                format!("An account or client named {username} already exists."),
            ),
            other => other.into(),
        })?;
    let record = state
        .store
        .clients()
        .await?
        .into_iter()
        .find(|c| c.name == username.as_str())
        .ok_or_else(ApiError::internal)?;
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
    caller.require(Action::ManageUsers {
        agency: &super::national(),
    })?;
    Ok(Json(state.store.clients().await?))
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
    caller.require(Action::ManageUsers {
        agency: &super::national(),
    })?;
    if state.store.revoke_client(id, &state.now_text()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(
            &format!("hệ thống kết nối {id}"),
            &format!("client {id}"),
        ))
    }
}
