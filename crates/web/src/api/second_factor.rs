//! A user's second factor (TOTP): enrolled by the user or a manager of the user's agency, put
//! in force by a first right code, removed by a manager (or by the user with a right code).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::{ApiJson, ApiPath, ApiQuery, Caller, code_step, use_code};
use crate::error::ApiError;
use baocao_service::sessions::owner as session_owner;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Enrolment {
    /// The shared secret in base32, for typing into an authenticator app.
    secret: String,
    /// The `otpauth://` address a QR code carries.
    otpauth: String,
    /// Whether the factor is in force (after a first right code).
    enabled: bool,
}

#[derive(Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
pub struct AuthenticatorCode {
    /// Six digits from the authenticator app.
    code: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{username}/second-factor",
    tag = "Auth",
    operation_id = "post_api_v1_users_username_second_factor",
    summary = "Starts a TOTP enrolment: a new secret (base32 and otpauth address), not in force until confirmed. 409 when one is in force.",
    params(("username" = String, Path)),
    responses((status = 201, description = "The secret to give the authenticator app", body = Enrolment)),
)]
pub async fn enrol(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(username): ApiPath<String>,
) -> Result<(StatusCode, Json<Enrolment>), ApiError> {
    let user_id = session_owner(&state, &caller, &username).await?;
    if state
        .store
        .second_factor(user_id)
        .await?
        .is_some_and(|f| f.enabled)
    {
        return Err(ApiError::conflict(
            "a second factor is in force; remove it first",
        ));
    }
    let mut secret = [0u8; baocao_domain::totp::SECRET_BYTES];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
    state
        .store
        .set_second_factor(
            user_id,
            Some(&secret),
            false,
            &caller.provenance(&state.now_text()),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Enrolment {
            secret: baocao_domain::totp::base32(&secret),
            otpauth: baocao_domain::totp::provisioning_uri(&secret, "baocao", &username),
            enabled: false,
        }),
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{username}/second-factor/confirm",
    tag = "Auth",
    operation_id = "post_api_v1_users_username_second_factor_confirm",
    summary = "Puts the enrolled TOTP secret in force with a first right code; from then on logins need a code.",
    params(("username" = String, Path)),
    request_body(content = AuthenticatorCode, content_type = "application/json"),
    responses((status = 204, description = "In force")),
)]
pub async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(username): ApiPath<String>,
    ApiJson(code): ApiJson<AuthenticatorCode>,
) -> Result<StatusCode, ApiError> {
    let user_id = session_owner(&state, &caller, &username).await?;
    let factor =
        state.store.second_factor(user_id).await?.ok_or_else(|| {
            ApiError::not_found("đăng ký mã xác thực", "a second-factor enrolment")
        })?;
    let step = code_step(&state, &factor, &code.code).ok_or_else(ApiError::otp_invalid)?;
    state
        .store
        .enable_second_factor(user_id, step, &caller.provenance(&state.now_text()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    delete,
    path = "/api/v1/users/{username}/second-factor",
    tag = "Auth",
    operation_id = "delete_api_v1_users_username_second_factor",
    summary = "Removes a user's second factor: by a manager of the user's agency, or by the user with a right code (?code=).",
    params(("username" = String, Path), ("code" = Option<String>, Query)),
    responses((status = 204, description = "Removed")),
)]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(username): ApiPath<String>,
    ApiQuery(query): ApiQuery<std::collections::HashMap<String, String>>,
) -> Result<StatusCode, ApiError> {
    let user_id = session_owner(&state, &caller, &username).await?;
    if user_id == caller.principal.id
        && let Some(factor) = state.store.second_factor(user_id).await?
        && factor.enabled
    {
        let code = query.get("code").ok_or_else(ApiError::otp_invalid)?;
        if !use_code(&state, user_id, &factor, code).await? {
            return Err(ApiError::otp_invalid());
        }
    }
    state
        .store
        .set_second_factor(user_id, None, false, &caller.provenance(&state.now_text()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
