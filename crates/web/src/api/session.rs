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

#[derive(Deserialize)]
pub struct Credentials {
    username: String,
    password: String,
}

#[derive(Serialize)]
pub struct TokenAnswer {
    token: String,
    token_type: &'static str,
    expires_at: String,
}

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

pub async fn me(caller: Caller) -> Json<Principal> {
    Json(caller.principal)
}
