//! baocao over HTTP: the JSON API under `/api/v1` ([`api`]), the server-rendered UI
//! ([`ui`], templates in `templates/`), authentication and sessions ([`auth`]), and the one
//! mapping from errors to HTTP responses ([`error`]).
//!
//! Architecture invariant: handlers hold no SQL and no business rule. They parse the request
//! into typed values, call a use case of [`baocao_service`] with the [`auth::Caller`], and
//! shape its answer; its typed error becomes an HTTP answer in one place ([`error`]). UI pages
//! call the same use cases, never API handlers. The clock is injected ([`Clock`]) so tests fix
//! the time.

pub mod api;
pub mod auth;
pub mod connectors;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod login;
pub mod mail;
pub mod metrics;
pub mod overload;
pub mod reminders;
pub mod ui;

use std::sync::Arc;

use axum::Router;
use baocao_store::Store;

pub use baocao_service::{Clock, FixedClock, SystemClock};

/// The OpenAPI document of the API: served at `/api/v1/openapi.json`, drawn at `/api/docs`.
pub fn api_document() -> &'static str {
    api::document()
}

/// Settings of the web layer, decided by the binary.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Lifetime of an API bearer token.
    pub token_ttl: jiff::SignedDuration,
    /// Lifetime of a UI session.
    pub session_ttl: jiff::SignedDuration,
    /// Mark cookies `Secure` (behind HTTPS); implied by an `https` [`WebConfig::public_url`].
    pub secure_cookies: bool,
    /// The address people reach the server at (`https://baocao.gov.vn`): when it is https,
    /// cookies are `Secure` and answers carry HSTS.
    pub public_url: Option<String>,
    /// Approvers and administrators must log in with a second factor (TOTP).
    pub require_second_factor: bool,
    /// Email reminders through this relay (none: in-app notifications only).
    pub mail: Option<mail::MailConfig>,
    /// The largest request body accepted (pushes, imports, workbooks).
    pub max_body_bytes: usize,
    /// The largest data value set pushed (`POST /api/v1/dataValueSets`), read as a stream.
    pub max_push_bytes: usize,
    /// Bounds on what one file or stream may make the server read (workbooks, XML, JSON, CSV).
    pub limits: baocao_formats::Limits,
    /// Requests handled at once; past it a request is answered `503 overloaded` with
    /// `Retry-After` at once ([`overload`]). `/healthz` is never refused.
    pub max_in_flight: usize,
    /// The token Prometheus shows to read `/metrics` (none: `/metrics` is not served).
    pub metrics_token: Option<String>,
    /// Identity providers people may sign in through (OpenID Connect).
    pub sso_providers: Vec<baocao_service::sso::Provider>,
    /// Whether people may sign in with a baocao password (off: only through a provider).
    pub password_login: bool,
    /// The certification authorities whose certificates may sign documents, and their
    /// revocation lists.
    pub trust: baocao_service::reporting::signing::TrustFiles,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            token_ttl: jiff::SignedDuration::from_hours(12),
            session_ttl: jiff::SignedDuration::from_hours(8),
            secure_cookies: false,
            public_url: None,
            require_second_factor: false,
            mail: None,
            max_body_bytes: 16 * 1024 * 1024,
            max_push_bytes: 1024 * 1024 * 1024,
            limits: baocao_formats::Limits::default(),
            max_in_flight: 256,
            metrics_token: None,
            sso_providers: Vec::new(),
            password_login: true,
            trust: Default::default(),
        }
    }
}

impl WebConfig {
    /// Whether people reach the server over HTTPS only.
    pub fn https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.to_ascii_lowercase().starts_with("https://"))
    }

    /// The identity provider named `name`.
    pub fn sso_provider(&self, name: &str) -> Option<&baocao_service::sso::Provider> {
        self.sso_providers.iter().find(|p| p.name == name)
    }

    /// Whether the settings hang together: providers need the public address (their
    /// redirect URI) and names fit for a path; passwords may be turned off only when a
    /// provider is there to sign in through.
    pub fn check(&self) -> Result<(), String> {
        if !self.sso_providers.is_empty() && self.public_url.is_none() {
            return Err(
                "identity providers need public_url (their redirect URI is built on it)".into(),
            );
        }
        for provider in &self.sso_providers {
            let name = &provider.name;
            if name.is_empty()
                || name.len() > 32
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(format!(
                    "identity provider name {name:?}: 1-32 letters, digits, - or _"
                ));
            }
            if self
                .sso_providers
                .iter()
                .filter(|p| &p.name == name)
                .count()
                > 1
            {
                return Err(format!("identity provider {name} is named twice"));
            }
        }
        if !self.password_login && self.sso_providers.is_empty() {
            return Err(
                "password_login = false needs an identity provider to sign in through".into(),
            );
        }
        Ok(())
    }

    /// Whether cookies are marked `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies || self.https()
    }
}

/// What every handler may use: the use cases' [`Context`](baocao_service::Context) (store,
/// clock, caches; reached through `Deref`, so `state.store` reads as before) and what only
/// the web edge needs.
#[derive(Clone)]
pub struct AppState {
    pub services: baocao_service::Context,
    pub config: WebConfig,
    /// Client systems' calls this minute.
    pub limiter: Arc<auth::RateLimiter>,
    /// Password checks: the hashing pool, failed attempts, verified HTTP Basic pairs.
    pub logins: Arc<login::LoginGuard>,
    /// Permits of the requests in flight (`WebConfig::max_in_flight`).
    pub in_flight: Arc<overload::InFlight>,
    /// The database's last health check.
    pub health: Arc<overload::Health>,
    /// What `/metrics` tells.
    pub metrics: Arc<metrics::Metrics>,
}

impl AppState {
    pub fn new(store: Store, clock: Arc<dyn Clock>, config: WebConfig) -> Self {
        Self {
            services: baocao_service::Context::new(store, clock),
            limiter: Arc::default(),
            logins: Arc::default(),
            in_flight: Arc::new(overload::InFlight::new(config.max_in_flight)),
            health: Arc::default(),
            metrics: Arc::default(),
            config,
        }
    }
}

impl std::ops::Deref for AppState {
    type Target = baocao_service::Context;

    fn deref(&self) -> &Self::Target {
        &self.services
    }
}

pub use baocao_domain::calendar::legal_time_zone;
pub use baocao_store::timestamp_text as stamp;

/// The whole application: API, UI and health check.
pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    let https = state.config.https();
    let in_flight = state.in_flight.clone();
    Router::new()
        .merge(api::routes())
        .merge(ui::routes())
        .route("/metrics", axum::routing::get(metrics::scrape))
        .route("/readyz", axum::routing::get(metrics::ready))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::record,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(move |request, next| {
            overload::shed(in_flight.clone(), request, next)
        }))
        .layer(axum::middleware::from_fn(move |request, next| {
            security_headers(request, next, https)
        }))
        .layer(axum::middleware::from_fn(request_span))
        .with_state(state)
}

/// The id of the request being answered, as the audit trail records it.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Every request in a span of its own — its id (the caller's `X-Request-Id` when it sends a
/// sane one, else a new one), method and path — so one request can be followed through the
/// use cases' spans in the log; the id is answered in `X-Request-Id`. Each answer is logged
/// under the target `baocao::access` (status, milliseconds), off unless asked for.
async fn request_span(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use std::sync::atomic::{AtomicU64, Ordering};
    use tracing::Instrument;
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let given = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            (1..=64).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_string);
    let id = given.unwrap_or_else(|| {
        format!(
            "{:x}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        )
    });
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    let started = std::time::Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| {
        let status = response.status().as_u16();
        let milliseconds = started.elapsed().as_secs_f64() * 1000.0;
        if status >= 500 {
            tracing::warn!(target: "baocao::access", status, milliseconds, "answered");
        } else {
            tracing::info!(target: "baocao::access", status, milliseconds, "answered");
        }
    });
    if let Ok(value) = axum::http::HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// The content security policy of every answer: scripts, styles and everything else only
/// from the server's own files (no inline script or style, no framing, forms post home).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Headers every answer carries: the content security policy, no sniffing, no framing, no
/// referrer outside the site, HSTS behind HTTPS; and `Cache-Control: no-store` on what an
/// authenticated request gets (drafts must not linger in a shared cache or the back button).
async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
    https: bool,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let authenticated = request.headers().contains_key(header::AUTHORIZATION)
        || auth::cookie(request.headers(), auth::SESSION_COOKIE).is_some();
    // A browser (its fetches say `Sec-Fetch-Mode`) offered Basic would ask for a password in
    // a dialog of its own instead of the login page.
    let browser = request.headers().contains_key("sec-fetch-mode")
        || auth::cookie(request.headers(), auth::SESSION_COOKIE).is_some();
    let mut response = next.run(request).await;
    let unauthorized = response.status() == axum::http::StatusCode::UNAUTHORIZED;
    let headers = response.headers_mut();
    if unauthorized && !headers.contains_key(header::WWW_AUTHENTICATE) {
        // The schemes a caller may answer with (RFC 9110 §11.6.1).
        let challenge = if browser {
            r#"Bearer realm="baocao""#
        } else {
            r#"Bearer realm="baocao", Basic realm="baocao", ApiToken realm="baocao""#
        };
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
    }
    let set = |headers: &mut axum::http::HeaderMap, name, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY,
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "same-origin");
    // The embedded static files say `public` themselves; everything else an authenticated
    // caller gets may be theirs alone.
    let public = headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("public"));
    if authenticated && !public {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    if https {
        set(
            headers,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    response
}
