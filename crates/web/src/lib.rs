//! baocao over HTTP: the JSON API under `/api/v1` ([`api`]), the server-rendered UI
//! ([`ui`], templates in `templates/`), authentication and sessions ([`auth`]), and the one
//! mapping from errors to HTTP responses ([`error`]).
//!
//! Architecture invariant: handlers hold no SQL and no business rule. They parse input into
//! domain types, ask [`baocao_domain::permission::allows`] through [`auth::Caller`], call the
//! store, and shape the answer. The clock is injected ([`Clock`]) so tests fix the time.

pub mod aggregates;
pub mod api;
pub mod auth;
pub mod connectors;
pub mod error;
pub mod i18n;
pub mod mail;
pub mod prefill;
pub mod reminders;
pub mod ui;
pub mod validation;

use std::sync::Arc;

use axum::Router;
use baocao_store::Store;
use jiff::Timestamp;
use jiff::civil::Date;

/// Where the time comes from.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The system clock, for the server.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock stopped at one instant, for tests.
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// Settings of the web layer, decided by the binary.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Lifetime of an API bearer token.
    pub token_ttl: jiff::SignedDuration,
    /// Lifetime of a UI session.
    pub session_ttl: jiff::SignedDuration,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Email reminders through this relay (none: in-app notifications only).
    pub mail: Option<mail::MailConfig>,
    /// The largest request body accepted (pushes, imports, workbooks).
    pub max_body_bytes: usize,
    /// The largest data value set pushed (`POST /api/v1/dataValueSets`), read as a stream.
    pub max_push_bytes: usize,
    /// Bounds on what one file or stream may make the server read (workbooks, XML, JSON, CSV).
    pub limits: baocao_formats::Limits,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            token_ttl: jiff::SignedDuration::from_hours(12),
            session_ttl: jiff::SignedDuration::from_hours(8),
            secure_cookies: false,
            mail: None,
            max_body_bytes: 16 * 1024 * 1024,
            max_push_bytes: 1024 * 1024 * 1024,
            limits: baocao_formats::Limits::default(),
        }
    }
}

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub config: WebConfig,
    /// Client systems' calls this minute.
    pub limiter: Arc<auth::RateLimiter>,
    /// Aggregates already computed, kept while their data stay the same.
    pub aggregates: Arc<aggregates::AggregateCache>,
}

impl AppState {
    pub fn new(store: Store, clock: Arc<dyn Clock>, config: WebConfig) -> Self {
        Self {
            store,
            clock,
            config,
            limiter: Arc::default(),
            aggregates: Arc::default(),
        }
    }

    /// Today in the legal calendar's time zone (Vietnam, UTC+7).
    pub fn today(&self) -> Date {
        self.clock.now().to_zoned(legal_time_zone()).date()
    }

    /// The current instant as stored: RFC 3339 in UTC with whole seconds, so that text order
    /// is time order in both databases.
    pub fn now_text(&self) -> String {
        stamp(self.clock.now())
    }
}

pub use baocao_domain::calendar::legal_time_zone;
pub use baocao_store::timestamp_text as stamp;

/// The whole application: API, UI and health check.
pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new()
        .merge(api::routes())
        .merge(ui::routes())
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .with_state(state)
}
