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
use baocao_domain::permission::{Action, allows};
use baocao_store::clients::ClientRecord;
use baocao_store::credentials::{new_secret, verify_password_in};
use baocao_store::users::{Principal, TokenKind};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "baocao_session";

/// An authenticated caller: the use cases' caller (who, with which grants, through which
/// client; reached through `Deref`) and, from a UI session, its CSRF token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: baocao_service::Caller,
    /// The CSRF token of the UI session, when the caller came with a session cookie.
    pub csrf: Option<String>,
}

impl std::ops::Deref for Caller {
    type Target = baocao_service::Caller;

    fn deref(&self) -> &Self::Target {
        &self.actor
    }
}

impl Caller {
    fn new(principal: Principal, client: Option<ClientRecord>, csrf: Option<String>) -> Self {
        Self {
            actor: baocao_service::Caller {
                principal,
                client,
                origin: baocao_service::caller::Origin::new(baocao_domain::audit::Channel::Api),
            },
            csrf,
        }
    }

    /// Passes if the policy allows `action`, else a 403.
    pub fn require(&self, action: Action<'_>) -> Result<(), ApiError> {
        if allows(&self.principal.grants, action) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
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
    Ok(Caller::new(principal, Some(client), None))
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
/// A client system's caller exists only on the routes clients are registered for
/// ([`client_route`]).
pub async fn resolve(parts: &Parts, state: &AppState) -> Result<Option<Caller>, ApiError> {
    let mut caller = resolve_any(parts, state).await?;
    if let Some(caller) = &mut caller {
        // A page's session is the web channel; a bearer token or a client's, the API.
        caller.actor.origin = baocao_service::caller::Origin {
            channel: if caller.csrf.is_some() {
                baocao_domain::audit::Channel::Web
            } else {
                baocao_domain::audit::Channel::Api
            },
            request: parts
                .extensions
                .get::<crate::RequestId>()
                .map(|id| id.0.clone()),
        };
    }
    if let Some(client) = caller.as_ref().and_then(|c| c.client.as_ref())
        && !client_route(parts)
    {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "out_of_scope",
            format!(
                "Hệ thống {} chỉ được gửi và lấy dữ liệu (dataValueSets) và đọc danh mục.",
                client.name
            ),
            format!(
                "Client {} may only push and pull data (dataValueSets) and read the catalogues.",
                client.name
            ),
        ));
    }
    Ok(caller)
}

/// The routes a client system's credential is accepted on: its data value sets, `me`, and
/// reads of the catalogues it needs to map its codes.
fn client_route(parts: &Parts) -> bool {
    parts
        .extensions
        .get::<axum::extract::MatchedPath>()
        .is_some_and(|path| client_may_call(&parts.method, path.as_str()))
}

/// Whether a registered client system may call the route `path` (as routed, with its
/// `{parameters}`) with `method`: the exchange of data values, who it is, and reading the
/// catalogues.
pub fn client_may_call(method: &axum::http::Method, path: &str) -> bool {
    const EXCHANGE: [&str; 3] = ["/api/v1/dataValueSets", "/api/dataValueSets", "/api/v1/me"];
    const CATALOGUES: [&str; 5] = [
        "/api/v1/regimes",
        "/api/v1/indicators",
        "/api/v1/agencies",
        "/api/v1/categories",
        "/api/v1/periods",
    ];
    EXCHANGE.contains(&path)
        || crate::api::dhis2::is_dhis2_path(path)
        || (method == axum::http::Method::GET
            && !path.ends_with("/users")
            && CATALOGUES.iter().any(|prefix| path.starts_with(prefix)))
}

/// The address a request came from, where the server knows it (not behind a test's router).
pub fn address_of(parts: &Parts) -> Option<std::net::IpAddr> {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip())
}

/// The address a request came from, as an extractor (never fails).
pub struct ClientAddress(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(address_of(parts)))
    }
}

/// The credential of `Authorization: {scheme} …`, if the request carries that scheme.
pub fn credential<'a>(headers: &'a axum::http::HeaderMap, scheme: &str) -> Option<&'a str> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())?
        .split_once(' ')
        .filter(|(given, _)| given.eq_ignore_ascii_case(scheme))
        .map(|(_, rest)| rest.trim())
}

async fn resolve_any(parts: &Parts, state: &AppState) -> Result<Option<Caller>, ApiError> {
    let now = state.now_text();
    let scheme = |name: &str| credential(&parts.headers, name);
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
        let user_id = match state.logins.remembered(username, password) {
            Some(user_id) => user_id,
            None => match check_password(state, username, password, address_of(parts)).await {
                Ok(user_id) => {
                    state.logins.remember(username, password, user_id);
                    user_id
                }
                Err(error) if error.code == "invalid_credentials" => return Ok(None),
                Err(error) => return Err(error),
            },
        };
        let Some(principal) = state.store.principal_of(user_id).await? else {
            return Ok(None);
        };
        // A password alone does not pass a second factor.
        if state
            .store
            .second_factor(user_id)
            .await?
            .is_some_and(|factor| factor.enabled)
        {
            return Ok(None);
        }
        return match state.store.client_of_user(user_id).await? {
            Some(client) if client.revoked_at.is_none() => {
                client_caller(state, client, principal).map(Some)
            }
            Some(_) => Ok(None),
            None => Ok(Some(Caller::new(principal, None, None))),
        };
    }
    let bearer = scheme("Bearer");
    if let Some(token) = bearer {
        let found = state
            .store
            .resolve_token(TokenKind::Api, token, &now)
            .await?;
        return Ok(found.map(|(principal, _)| Caller::new(principal, None, None)));
    }
    if let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) {
        let found = state
            .store
            .resolve_token(TokenKind::Session, secret, &now)
            .await?;
        return Ok(found.map(|(principal, _)| Caller::new(principal, None, Some(csrf_of(secret)))));
    }
    Ok(None)
}

/// A session's CSRF token: derived from the session's secret (which only its cookie holds), so
/// it is bound to the session and never stored — the database keeps a hash of the secret, from
/// which the token cannot be made.
pub fn csrf_of(session_secret: &str) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    hasher.update(b"baocao session csrf\0");
    hasher.update(session_secret.as_bytes());
    hex::encode(hasher.finalize())
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

/// Checks a username and password; the user's id if they match. Throttled and run in the
/// bounded hashing pool ([`crate::login`]): a refused attempt is 429 or 503, never a hash.
pub async fn check_password(
    state: &AppState,
    username: &str,
    password: &str,
    address: Option<std::net::IpAddr>,
) -> Result<i32, ApiError> {
    // Nobody's name or password is this long; refusing them unhashed keeps the work bounded.
    if username.len() > 256 || password.len() > 1024 {
        return Err(ApiError::bad_login());
    }
    let guard = &state.logins;
    guard.admit(username, address).map_err(refused_login)?;
    let record = state.store.login_record(username).await?;
    let (user_id, hash) = match record {
        Some((id, hash)) => (Some(id), hash),
        None => (None, dummy_hash()),
    };
    let password = password.to_string();
    let matches = guard
        .hash(move |memory| verify_password_in(memory, &password, &hash))
        .await
        .map_err(refused_login)?;
    match (user_id, matches) {
        (Some(id), true) => {
            guard.succeeded(username, address);
            Ok(id)
        }
        _ => {
            guard.failed(username, address);
            Err(ApiError::bad_login())
        }
    }
}

/// A person's login (a token or a session; refused when passwords are turned off): the password, then the second factor when the
/// user has one in force (`otp`, six digits, each code taken once). A client system's account
/// is refused, since its credential is only good as ApiToken or Basic on the routes clients
/// use; with `require_second_factor`, so is an approver's or administrator's without one.
pub async fn person_login(
    state: &AppState,
    username: &str,
    password: &str,
    otp: Option<&str>,
    address: Option<std::net::IpAddr>,
) -> Result<i32, ApiError> {
    if !state.config.password_login {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "password_login_disabled",
            "Đăng nhập bằng mật khẩu đã tắt; hãy đăng nhập qua cổng xác thực tập trung.",
            "Password sign-in is turned off; sign in through the identity provider.",
        ));
    }
    let user_id = check_password(state, username, password, address).await?;
    if state.store.client_of_user(user_id).await?.is_some() {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "client_credentials",
            "Tài khoản của hệ thống kết nối không đăng nhập được; hãy gửi mã ApiToken hoặc Basic trên các đường dẫn dataValueSets.",
            "A client system's account cannot log in; send its ApiToken or Basic credentials to the dataValueSets routes.",
        ));
    }
    match state.store.second_factor(user_id).await? {
        Some(factor) if factor.enabled => {
            let Some(otp) = otp.filter(|o| !o.trim().is_empty()) else {
                return Err(ApiError::new(
                    axum::http::StatusCode::UNAUTHORIZED,
                    "otp_required",
                    "Tài khoản này cần mã xác thực (OTP) sáu chữ số từ ứng dụng xác thực.",
                    "This account needs the six-digit code (OTP) from its authenticator app.",
                ));
            };
            if !use_code(state, user_id, &factor, otp).await? {
                state.logins.failed(username, address);
                return Err(ApiError::otp_invalid());
            }
        }
        _ if state.config.require_second_factor => {
            let principal = state.store.principal_of(user_id).await?;
            if principal.is_some_and(|p| baocao_domain::user::needs_second_factor(&p.grants)) {
                return Err(ApiError::new(
                    axum::http::StatusCode::FORBIDDEN,
                    "second_factor_required",
                    "Người phê duyệt và quản trị viên phải dùng mã xác thực (OTP); hãy nhờ quản trị viên cơ quan đăng ký.",
                    "Approvers and administrators must use a second factor (OTP); ask your agency's administrator to enrol you.",
                ));
            }
        }
        _ => {}
    }
    Ok(user_id)
}

/// The time step at which `code` is right for `factor` now (one step of drift either way),
/// if it is later than the last step used.
pub fn code_step(
    state: &AppState,
    factor: &baocao_store::users::SecondFactor,
    code: &str,
) -> Option<i64> {
    let now = state.clock.now().as_second();
    baocao_domain::totp::verify(&factor.secret, code, now, factor.last_step)
}

/// Takes `code` for the user's second factor: right now and never used before — recorded as
/// used in the same statement that checks it, so two servers cannot both take it.
pub async fn use_code(
    state: &AppState,
    user_id: i32,
    factor: &baocao_store::users::SecondFactor,
    code: &str,
) -> Result<bool, ApiError> {
    Ok(match code_step(state, factor, code) {
        Some(step) => state.store.use_second_factor_step(user_id, step).await?,
        None => false,
    })
}

fn refused_login(refusal: crate::login::Refusal) -> ApiError {
    match refusal {
        crate::login::Refusal::Throttled(wait) => {
            let seconds = wait.as_secs().max(1);
            ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!("Đăng nhập sai quá nhiều lần; hãy thử lại sau {seconds} giây."),
                format!("Too many failed logins; try again in {seconds} s."),
            )
            .retry_after(seconds)
        }
        crate::login::Refusal::Busy => ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "Hệ thống đang bận kiểm tra đăng nhập; hãy thử lại sau giây lát.",
            "The server is busy checking logins; try again shortly.",
        )
        .retry_after(5),
    }
}

/// Issues a token of `kind` for a user at the login request `request`; answers the secret,
/// its CSRF token (sessions) and its expiry.
pub async fn issue(
    state: &AppState,
    user_id: i32,
    kind: TokenKind,
    request: Option<crate::RequestId>,
) -> Result<(String, Option<String>, String), ApiError> {
    let secret = new_secret();
    let csrf = (kind == TokenKind::Session).then(|| csrf_of(&secret));
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
            None,
            &baocao_domain::audit::Provenance {
                at: crate::stamp(now),
                user: Some(user_id),
                client: None,
                channel: match kind {
                    TokenKind::Session => baocao_domain::audit::Channel::Web,
                    TokenKind::Api => baocao_domain::audit::Channel::Api,
                },
                request: request.map(|crate::RequestId(id)| id),
            },
            &expires,
        )
        .await?;
    Ok((secret, csrf, expires))
}

/// A JSON body whose rejection is an [`ApiError`] (`invalid_json`) rather than axum's text.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let limit = state.config.max_body_bytes;
        let axum::Json(mut value) = axum::Json::<serde_json::Value>::from_request(req, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::payload_too_large("max_body_bytes", limit)
                } else {
                    ApiError::invalid_json(&crate::error::shortened(&rejection.body_text(), 300))
                }
            })?;
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
                    ApiError::payload_too_large("max_body_bytes", limit)
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
