//! Health, tokens and "who am I"; logging out, and the sessions of a user listed and revoked.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use baocao_store::users::{Principal, TokenKind, TokenRecord};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::AppState;
use crate::auth::{ApiJson, ApiPath, Caller, ClientAddress, issue, person_login};
use crate::error::ApiError;

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "Health",
    operation_id = "get_healthz",
    summary = "200 when the server can serve.",
    security(()),
    responses(
        (status = 200, description = "OK", body = serde_json::Value, content_type = "application/json"),
    ),
)]
pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    if state.health.database_answers(&state.store).await {
        (
            StatusCode::OK,
            Json(json!({"status": "ok", "database": state.store.backend().name()})),
        )
            .into_response()
    } else {
        ApiError::unavailable().into_response()
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Credentials {
    username: String,
    password: String,
    /// The six-digit code of the user's authenticator app, when the user has a second factor.
    #[serde(default)]
    otp: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenAnswer {
    token: String,
    token_type: &'static str,
    expires_at: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/token",
    tag = "Auth",
    operation_id = "post_api_v1_auth_token",
    summary = "Exchange {username, password} for a bearer token.",
    security(()),
    request_body(content = Credentials, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = TokenAnswer),
    ),
)]
pub async fn token(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    request: Option<axum::Extension<crate::RequestId>>,
    ApiJson(credentials): ApiJson<Credentials>,
) -> Result<Json<TokenAnswer>, ApiError> {
    let user_id = person_login(
        &state,
        &credentials.username,
        &credentials.password,
        credentials.otp.as_deref(),
        address,
    )
    .await?;
    let (token, _, expires_at) =
        issue(&state, user_id, TokenKind::Api, request.map(|e| e.0)).await?;
    Ok(Json(TokenAnswer {
        token,
        token_type: "Bearer",
        expires_at,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "Auth",
    operation_id = "get_api_v1_me",
    summary = "The caller: user, agency, roles.",
    responses(
        (status = 200, description = "OK", body = Principal),
    ),
)]
pub async fn me(caller: Caller) -> Json<Principal> {
    Json(caller.actor.principal)
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "Auth",
    operation_id = "post_api_v1_auth_logout",
    summary = "Revokes the bearer token (or the UI session) the request came with; 204.",
    responses(
        (status = 204, description = "Revoked"),
    ),
)]
pub async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
) -> Result<StatusCode, ApiError> {
    if caller.client.is_some() {
        return Err(ApiError::bad_request(
            "not_a_token",
            "Mã ApiToken của hệ thống kết nối được thu hồi bởi quản trị viên.",
            "A client's ApiToken is revoked by an administrator.",
        ));
    }
    let secret = crate::auth::credential(&headers, "Bearer")
        .or_else(|| crate::auth::cookie(&headers, crate::auth::SESSION_COOKIE))
        .map(str::to_string);
    match secret {
        Some(secret) => {
            state
                .store
                .delete_token(&secret, &caller.provenance(&state.now_text()))
                .await?;
            Ok(StatusCode::NO_CONTENT)
        }
        None => Err(ApiError::bad_request(
            "not_a_token",
            "Yêu cầu không mang mã truy cập nào để thu hồi (HTTP Basic không có phiên).",
            "The request carries no token to revoke (HTTP Basic has no session).",
        )),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/users/{username}/tokens",
    tag = "Auth",
    operation_id = "get_api_v1_users_username_tokens",
    summary = "A user's live bearer tokens and UI sessions (the user, or a manager of the user's agency).",
    params(
        ("username" = String, Path),
    ),
    responses(
        (status = 200, description = "OK", body = Vec<TokenRecord>),
    ),
)]
pub async fn tokens(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(username): ApiPath<String>,
) -> Result<Json<Vec<TokenRecord>>, ApiError> {
    Ok(Json(
        baocao_service::sessions::tokens(&state, &caller, &username).await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Revoked {
    revoked: u64,
}

#[utoipa::path(
    delete,
    path = "/api/v1/users/{username}/tokens",
    tag = "Auth",
    operation_id = "delete_api_v1_users_username_tokens",
    summary = "Revokes every bearer token and UI session of a user.",
    params(
        ("username" = String, Path),
    ),
    responses(
        (status = 200, description = "How many were revoked", body = Revoked),
    ),
)]
pub async fn revoke_all(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(username): ApiPath<String>,
) -> Result<Json<Revoked>, ApiError> {
    let revoked = baocao_service::sessions::revoke(&state, &caller, &username, None).await?;
    Ok(Json(Revoked { revoked }))
}

#[utoipa::path(
    delete,
    path = "/api/v1/users/{username}/tokens/{id}",
    tag = "Auth",
    operation_id = "delete_api_v1_users_username_tokens_id",
    summary = "Revokes one bearer token or UI session of a user, by the id the listing gives.",
    params(
        ("username" = String, Path),
        ("id" = String, Path, description = "16 hex digits"),
    ),
    responses(
        (status = 200, description = "Revoked", body = Revoked),
    ),
)]
pub async fn revoke_one(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((username, id)): ApiPath<(String, String)>,
) -> Result<Json<Revoked>, ApiError> {
    let revoked = baocao_service::sessions::revoke(&state, &caller, &username, Some(&id)).await?;
    Ok(Json(Revoked { revoked }))
}

/// A person's account at an identity provider, to link to a baocao account.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
pub struct IdentityLink {
    /// The provider's name, as configured.
    provider: String,
    /// The person's identifier at the provider (the provider's subject claim).
    subject: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{username}/identities",
    tag = "Auth",
    operation_id = "post_api_v1_users_username_identities",
    summary = "Links a person's account at an identity provider to a baocao account (a manager of its agency): signing in there then signs in as this account, with its grants only.",
    params(
        ("username" = String, Path),
    ),
    request_body = IdentityLink,
    responses(
        (status = 201, description = "Linked", body = IdentityLink),
        (status = 409, description = "That account at the provider is already linked"),
    ),
)]
pub async fn link_identity(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(username): ApiPath<String>,
    ApiJson(link): ApiJson<IdentityLink>,
) -> Result<(StatusCode, Json<IdentityLink>), ApiError> {
    baocao_service::sso::link(
        &state,
        &caller,
        &state.config.sso_providers,
        &username,
        &link.provider,
        &link.subject,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(link)))
}
