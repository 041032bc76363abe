//! Who is calling. People's programs send `Authorization: Bearer TOKEN` (from
//! `POST /api/v1/auth/token`); the UI holds a session cookie, and every form it posts carries
//! the session's CSRF token. Registered client systems send `Authorization: ApiToken TOKEN`,
//! and tools written for DHIS2 may use HTTP Basic with an account's name and password (a
//! client's password is its token). All resolve to a [`Caller`], whose [`Caller::require`]
//! asks the domain's one policy; a client's calls also carry its scopes and are rate-limited
//! per minute. Only hashes of tokens and passwords are stored.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use baocao_domain::agency::AgencyCode;
use baocao_domain::permission::{Action, allows};
use baocao_store::clients::ClientRecord;
use baocao_store::credentials::{new_secret, verify_password};
use baocao_store::users::{Principal, TokenKind};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "baocao_session";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The CSRF token of the UI session, when the caller came with a session cookie.
    pub csrf: Option<String>,
    /// The registered client system the call comes from, with its scopes.
    pub client: Option<ClientRecord>,
}

impl Caller {
    /// Passes if the policy allows `action`, else a 403.
    pub fn require(&self, action: Action<'_>) -> Result<(), ApiError> {
        if allows(&self.principal.grants, action) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    pub fn may(&self, action: Action<'_>) -> bool {
        allows(&self.principal.grants, action)
    }

    /// For a client system: whether its scopes cover pushing (or pulling) data of `regime`.
    /// People are not limited here; their grants decide.
    pub fn require_scope(&self, push: bool, regime: &str) -> Result<(), ApiError> {
        let Some(client) = &self.client else {
            return Ok(());
        };
        let allowed = if push {
            client.can_push
        } else {
            client.can_pull
        };
        let regime_ok = client.regimes.is_empty() || client.regimes.iter().any(|r| r == regime);
        if allowed && regime_ok {
            Ok(())
        } else {
            Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "out_of_scope",
                format!(
                    "Hệ thống {} không được {} dữ liệu của chế độ báo cáo {regime}.",
                    client.name,
                    if push { "gửi" } else { "lấy" }
                ),
                format!(
                    "Client {} may not {} data of regime {regime}.",
                    client.name,
                    if push { "push" } else { "pull" }
                ),
            ))
        }
    }
}

/// Calls per client and minute: a fixed window per client, in memory (each server counts its
/// own calls; behind several servers the limit is per server).
#[derive(Default)]
pub struct RateLimiter {
    windows: std::sync::Mutex<std::collections::HashMap<i32, (i64, u32)>>,
}

impl RateLimiter {
    /// Counts a call of `client` at `now`; false when it is over `per_minute` this minute.
    pub fn allow(&self, client: i32, per_minute: i32, now: jiff::Timestamp) -> bool {
        let minute = now.as_second().div_euclid(60);
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let entry = windows.entry(client).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 += 1;
        i64::from(entry.1) <= i64::from(per_minute.max(0))
    }
}

/// The caller of a registered client, once its rate limit lets the call through.
fn client_caller(
    state: &AppState,
    client: ClientRecord,
    principal: Principal,
) -> Result<Caller, ApiError> {
    if !state
        .limiter
        .allow(client.id, client.rate_per_minute, state.clock.now())
    {
        return Err(ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "Hệ thống {} đã gửi quá {} yêu cầu trong một phút; hãy thử lại sau.",
                client.name, client.rate_per_minute
            ),
            format!(
                "Client {} sent more than {} requests this minute; try again shortly.",
                client.name, client.rate_per_minute
            ),
        ));
    }
    Ok(Caller {
        principal,
        csrf: None,
        client: Some(client),
    })
}

/// The value of cookie `name` in the request, if any.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Resolves the caller from a bearer token or a session cookie; `None` if neither is valid.
pub async fn resolve(parts: &Parts, state: &AppState) -> Result<Option<Caller>, ApiError> {
    let now = state.now_text();
    let authorization = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let scheme = |name: &str| {
        authorization
            .split_once(' ')
            .filter(|(given, _)| given.eq_ignore_ascii_case(name))
            .map(|(_, rest)| rest.trim())
    };
    if let Some(token) = scheme("ApiToken") {
        return match state.store.client_by_token(token, &now).await? {
            Some((client, principal)) => client_caller(state, client, principal).map(Some),
            None => Ok(None),
        };
    }
    if let Some(encoded) = scheme("Basic") {
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let Some((username, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
            return Ok(None);
        };
        let Ok(user_id) = check_password(state, username, password).await else {
            return Ok(None);
        };
        let Some(principal) = state.store.principal_of(user_id).await? else {
            return Ok(None);
        };
        return match state.store.client_of_user(user_id).await? {
            Some(client) if client.revoked_at.is_none() => {
                client_caller(state, client, principal).map(Some)
            }
            Some(_) => Ok(None),
            None => Ok(Some(Caller {
                principal,
                csrf: None,
                client: None,
            })),
        };
    }
    let bearer = scheme("Bearer");
    if let Some(token) = bearer {
        let found = state
            .store
            .resolve_token(TokenKind::Api, token, &now)
            .await?;
        return Ok(found.map(|(principal, _)| Caller {
            principal,
            csrf: None,
            client: None,
        }));
    }
    if let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) {
        let found = state
            .store
            .resolve_token(TokenKind::Session, secret, &now)
            .await?;
        return Ok(found.map(|(principal, csrf)| Caller {
            principal,
            csrf,
            client: None,
        }));
    }
    Ok(None)
}

/// The header a page's script sends its session's CSRF token in when it calls the API.
pub const CSRF_HEADER: &str = "x-csrf-token";

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = resolve(parts, state)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        // A browser sends the session cookie with any request, whoever's page made it: a change
        // made with the cookie must also carry the token only the session's own pages know.
        let reads = matches!(
            parts.method,
            axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
        );
        if let Some(csrf) = &caller.csrf
            && !reads
            && parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) != Some(csrf.as_str())
        {
            return Err(ApiError::csrf());
        }
        Ok(caller)
    }
}

/// A hash of a password nobody has, checked when the username is unknown so that a wrong
/// username and a wrong password take the same time.
fn dummy_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| baocao_store::credentials::hash_password(&new_secret()).unwrap_or_default())
        .clone()
}

/// Checks a username and password; the user's id if they match.
pub async fn check_password(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<i32, ApiError> {
    let record = state.store.login_record(username).await?;
    let (user_id, hash) = match record {
        Some((id, hash)) => (Some(id), hash),
        None => (None, dummy_hash()),
    };
    let password = password.to_string();
    // argon2 is slow by design: keep it off the async workers.
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|_| ApiError::internal())?;
    match (user_id, matches) {
        (Some(id), true) => Ok(id),
        _ => Err(ApiError::bad_login()),
    }
}

/// Issues a token of `kind` for a user; answers the secret, its CSRF token (sessions) and
/// its expiry.
pub async fn issue(
    state: &AppState,
    user_id: i32,
    kind: TokenKind,
) -> Result<(String, Option<String>, String), ApiError> {
    let secret = new_secret();
    let csrf = (kind == TokenKind::Session).then(new_secret);
    let ttl = match kind {
        TokenKind::Api => state.config.token_ttl,
        TokenKind::Session => state.config.session_ttl,
    };
    let now = state.clock.now();
    let expires = crate::stamp(now.checked_add(ttl).map_err(|_| ApiError::internal())?);
    state
        .store
        .create_token(
            user_id,
            kind,
            &secret,
            csrf.as_deref(),
            &crate::stamp(now),
            &expires,
        )
        .await?;
    Ok((secret, csrf, expires))
}

/// The lineage of an agency as of today, or 404 if no such agency is valid today.
pub async fn lineage_today(
    state: &AppState,
    code: &AgencyCode,
) -> Result<Vec<AgencyCode>, ApiError> {
    let lineage = state.store.lineage(code, state.today()).await?;
    if lineage.is_empty() {
        return Err(ApiError::not_found(
            &format!("cơ quan {code}"),
            &format!("agency {code}"),
        ));
    }
    Ok(lineage)
}

/// A JSON body whose rejection is an [`ApiError`] (`invalid_json`) rather than axum's text.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let axum::Json(mut value) = axum::Json::<serde_json::Value>::from_request(req, state)
            .await
            .map_err(|rejection| ApiError::invalid_json(&rejection.body_text()))?;
        whole_numbers(&mut value);
        serde_path_to_error::deserialize(value)
            .map(ApiJson)
            .map_err(|error| {
                ApiError::invalid_json(&format!(
                    "Failed to deserialize the JSON body into the target type: {error}"
                ))
            })
    }
}

/// JSON has one number type: `3.0` is the integer 3 to JSON Schema and to many clients'
/// encoders. Such numbers are made integers before a count or a version reads them.
fn whole_numbers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(number) if !number.is_i64() && !number.is_u64() => {
            if let Some(float) = number.as_f64()
                && float.fract() == 0.0
                && float.abs() < 9.0e15
            {
                *value = serde_json::Value::from(float as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

/// Path parameters whose rejection (a number that is not one) is an [`ApiError`]
/// (`invalid_path`), in JSON like every other error.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|rejection| {
                ApiError::bad_request(
                    "invalid_path",
                    format!("Đường dẫn không hợp lệ: {}", rejection.body_text()),
                    format!("Invalid path: {}", rejection.body_text()),
                )
            })
    }
}

/// A request body as bytes, whose rejection — above all a body over the configured limit — is
/// an [`ApiError`] in JSON (`payload_too_large`), never axum's plain text.
pub struct ApiBytes(pub axum::body::Bytes);

impl FromRequest<AppState> for ApiBytes {
    type Rejection = ApiError;
    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let limit = state.config.max_body_bytes;
        axum::body::Bytes::from_request(request, state)
            .await
            .map(ApiBytes)
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        format!(
                            "Dữ liệu gửi vượt giới hạn {limit} byte; hãy chia nhỏ rồi gửi lại."
                        ),
                        format!("The payload is over the {limit}-byte limit; send it in parts."),
                    )
                } else {
                    ApiError::bad_request(
                        "unreadable_body",
                        format!("Không đọc được nội dung gửi: {}", rejection.body_text()),
                        format!("The request body cannot be read: {}", rejection.body_text()),
                    )
                }
            })
    }
}

/// Query parameters whose rejection is an [`ApiError`] (`invalid_query`).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequestParts<AppState> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| ApiQuery(value))
            .map_err(|rejection| {
                ApiError::bad_request(
                    "invalid_query",
                    format!("Tham số truy vấn không hợp lệ: {}", rejection.body_text()),
                    format!("Invalid query parameters: {}", rejection.body_text()),
                )
            })
    }
}
