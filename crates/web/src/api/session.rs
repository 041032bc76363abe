//! Health, tokens and "who am I".

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use baocao_store::users::{Principal, TokenKind};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::AppState;
use crate::auth::{ApiJson, Caller, check_password, issue};
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
    if state.store.ping().await {
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
    ApiJson(credentials): ApiJson<Credentials>,
) -> Result<Json<TokenAnswer>, ApiError> {
    let user_id = check_password(&state, &credentials.username, &credentials.password).await?;
    let (token, _, expires_at) = issue(&state, user_id, TokenKind::Api).await?;
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
    Json(caller.principal)
}
