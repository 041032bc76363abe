//! The application's use cases, as plain async functions over a [`Context`]: a store, a clock
//! and the caches every request shares. A use case takes a [`Caller`] (who, with which grants,
//! through which client) and returns domain values or a typed error of its area, each with a
//! stable `code()` — never an HTTP type. The HTTP edge (`baocao-web`), the demo history
//! (`baocao-seed`) and the command line call the same functions, so each rule has one place.
//!
//! - [`catalogue`]: reading codes, periods and dates; loading the regime in force.
//! - [`reporting`]: a report's address, its view, draft saves, the submission workflow
//!   (submit, accept, return, reopen, bulk accept), bulk draft writes for pushes, versions,
//!   their diff and signature checks; its [`reporting::validation`] and
//!   [`reporting::prefill`].
//! - [`compliance`]: who was expected to report, who did, on time, complete.
//! - [`calendar`]: an agency's schedule of expected reports; the holiday calendar.
//! - [`reminders`]: notifications of reports due soon or overdue.
//! - [`quality`]: the data quality of a regime's reports for a period.
//! - [`connectors`]: peers' systems pulled on a schedule into the data.
//! - [`audit`]: the audit trail — checkpoints, verification, bundles, pages of events.
//! - [`aggregates`]: the cache of computed aggregates and of the hierarchy of a date.
//! - [`mail`]: email through the deployment's relay.
//! - [`sessions`]: a user's tokens and sessions, listed and revoked.
//! - [`rules`]: the rule editor's check of an expression.
//! - [`registry`]: regimes authored — created, drafted, published, retired, assigned.
//!
//! Architecture invariant: no HTTP, no HTML, no wall clock (the [`Clock`] is injected); every
//! change to a report goes through [`reporting`].

pub mod aggregates;
pub mod analytics;
pub mod audit;
pub mod calendar;
pub mod caller;
pub mod catalogue;
pub mod clients;
pub mod compliance;
pub mod connectors;
pub mod directory;
pub mod imports;
pub mod mail;
pub mod notifications;
pub mod pivot;
pub mod pull;
pub mod push;
pub mod quality;
pub mod registry;
pub mod reminders;
pub mod reorganisation;
pub mod replica;
pub mod reporting;
pub mod rollups;
pub mod rules;
pub mod scope;
pub mod sdmx;
pub mod sessions;
pub mod sources;
pub mod sso;
pub mod tables;
pub mod worklist;

use std::sync::Arc;

use baocao_store::Store;
use jiff::Timestamp;
use jiff::civil::Date;

pub use caller::Caller;

/// `text` as one segment of a URL path: unreserved characters as they are, every other byte
/// percent-encoded (links the service hands out, such as a report's page).
pub fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The lineage of the whole country: what national questions (analytics, compliance) are
/// asked of.
pub fn national() -> [baocao_domain::agency::AgencyCode; 1] {
    [baocao_domain::agency::AgencyCode::new("VN").expect("VN is a valid agency code")]
}

/// A new Ed25519 key pair from the system's randomness (an agency's signing key, the
/// server's audit key).
pub(crate) fn fresh_key_pair() -> baocao_domain::signature::KeyPair {
    let mut secret = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
    baocao_domain::signature::KeyPair::from_secret(secret)
}

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

/// A clock stopped at one instant, for tests and for writing history.
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// What every use case works with.
#[derive(Clone)]
pub struct Context {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    /// Aggregates and hierarchies already computed, kept while their data stay the same.
    pub aggregates: Arc<aggregates::AggregateCache>,
    /// Outlier checks' indexed history, kept while their data stay the same.
    pub outlier_contexts: Arc<reporting::validation::OutlierContexts>,
    /// A hot standby analytics and exports read from while it keeps up.
    pub replica: Option<Arc<replica::Replica>>,
}

impl Context {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            aggregates: Arc::default(),
            outlier_contexts: Arc::default(),
            replica: None,
        }
    }

    /// The same context, reading analytics and exports from `standby` while it is at most
    /// `max_lag` behind the primary.
    pub fn with_replica(mut self, standby: Store, max_lag: std::time::Duration) -> Self {
        self.replica = Some(Arc::new(replica::Replica::new(standby, max_lag)));
        self
    }

    /// Where analytics read from now: the standby while it keeps up, else the primary; and
    /// whether it is the primary (the one roll-ups can be rebuilt on).
    pub async fn analytics_store(&self) -> (Store, bool) {
        match &self.replica {
            Some(replica) => {
                let (store, standby) = replica.reader(&self.store).await;
                (store, !standby)
            }
            None => (self.store.clone(), true),
        }
    }

    /// Today in the legal calendar's time zone (Vietnam, UTC+7).
    pub fn today(&self) -> Date {
        self.clock
            .now()
            .to_zoned(baocao_domain::calendar::legal_time_zone())
            .date()
    }

    /// The current instant as stored: RFC 3339 in UTC with whole seconds, so that text order
    /// is time order in both databases.
    pub fn now_text(&self) -> String {
        baocao_store::timestamp_text(self.clock.now())
    }
}
