//! What the server tells its operators: Prometheus metrics at `/metrics` (requests by route and
//! status, latency, requests in flight, the database pool, writers waiting for their turn,
//! the analytics cache's hits and misses, imported values, connector runs, reminder e-mails
//! sent), behind a token of their own; and readiness at `/readyz` (the database answers and its schema is the
//! one this build expects), beside the liveness check `/healthz`.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use serde_json::json;

use crate::AppState;
use crate::error::ApiError;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Answered {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolState {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: String,
}

fn by_outcome<M: prometheus_client::metrics::TypedMetric + Clone + Default>(
    family: &Family<Outcome, M>,
    outcome: &str,
) -> M {
    family
        .get_or_create(&Outcome {
            outcome: outcome.to_string(),
        })
        .clone()
}

type Latencies = Family<Route, Histogram, fn() -> Histogram>;

/// The server's metrics, registered once.
pub struct Metrics {
    registry: Registry,
    requests: Family<Answered, Counter>,
    latency: Latencies,
    in_flight: Gauge,
    connections: Family<PoolState, Gauge>,
    writers_waiting: Gauge,
    cache_lookups: Family<Outcome, Gauge>,
    imported_values: Family<Outcome, Counter>,
    imports: Family<Outcome, Counter>,
    connector_runs: Family<Outcome, Counter>,
    connector_values: Family<Outcome, Counter>,
    reminders_sent: Counter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("baocao");
        let requests = Family::<Answered, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        let latency: Latencies = Family::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request, by method and route",
            prometheus_client::registry::Unit::Seconds,
            latency.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being answered now",
            in_flight.clone(),
        );
        let connections = Family::<PoolState, Gauge>::default();
        registry.register(
            "database_connections",
            "Connections of the database pool, idle or in use",
            connections.clone(),
        );
        let writers_waiting = Gauge::default();
        registry.register(
            "write_queue_depth",
            "Writers waiting for their turn to write (SQLite: to join the shared transaction; PostgreSQL: for a write turn)",
            writers_waiting.clone(),
        );
        let cache_lookups = Family::<Outcome, Gauge>::default();
        registry.register(
            "analytics_cache_lookups",
            "Analytics questions looked up in the cache since the start, by outcome (hit, miss)",
            cache_lookups.clone(),
        );
        let imported_values = Family::<Outcome, Counter>::default();
        registry.register(
            "import_values",
            "Values of data value set pushes, by outcome (imported, updated, ignored, deleted)",
            imported_values.clone(),
        );
        let imports = Family::<Outcome, Counter>::default();
        registry.register(
            "imports",
            "Data value set pushes answered, by status (success, warning, error)",
            imports.clone(),
        );
        let connector_runs = Family::<Outcome, Counter>::default();
        registry.register(
            "connector_runs",
            "Connector runs, by outcome (succeeded, failed)",
            connector_runs.clone(),
        );
        let connector_values = Family::<Outcome, Counter>::default();
        registry.register(
            "connector_values",
            "Values connectors brought, by outcome (stored, rejected)",
            connector_values.clone(),
        );
        let reminders_sent = Counter::default();
        registry.register(
            "reminder_emails_sent",
            "Notification e-mails the relay accepted",
            reminders_sent.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            in_flight,
            connections,
            writers_waiting,
            cache_lookups,
            imported_values,
            imports,
            connector_runs,
            connector_values,
            reminders_sent,
        }
    }
}

impl Metrics {
    /// Counts e-mails the relay accepted.
    pub fn emails_sent(&self, count: usize) {
        self.reminders_sent.inc_by(count as u64);
    }

    /// Counts a push's values by outcome, and the push by its status.
    pub fn pushed(&self, count: &baocao_service::push::ImportCount, status: &str) {
        for (outcome, values) in [
            ("imported", count.imported),
            ("updated", count.updated),
            ("ignored", count.ignored),
            ("deleted", count.deleted),
        ] {
            by_outcome(&self.imported_values, outcome).inc_by(values as u64);
        }
        by_outcome(&self.imports, &status.to_ascii_lowercase()).inc();
    }

    /// Counts a connector's run and the values it brought.
    pub fn connector_ran(&self, succeeded: bool, stored: i32, rejected: i32) {
        let outcome = if succeeded { "succeeded" } else { "failed" };
        by_outcome(&self.connector_runs, outcome).inc();
        by_outcome(&self.connector_values, "stored").inc_by(stored.max(0) as u64);
        by_outcome(&self.connector_values, "rejected").inc_by(rejected.max(0) as u64);
    }
}

/// Counts and times every request that reached a route, labelled by the route's pattern (not
/// the path, so that a report's address does not become a series of its own).
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = request.method().to_string();
    let metrics = &state.metrics;
    metrics.in_flight.inc();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.in_flight.dec();
    metrics
        .latency
        .get_or_create(&Route {
            method: method.clone(),
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&Answered {
            method,
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// `GET /metrics`: the metrics in the Prometheus/OpenMetrics text format, for whoever shows
/// the metrics token (`Authorization: Bearer …`); not served at all when none is set.
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.config.metrics_token.as_deref() else {
        return ApiError::not_found("trang", "page").into_response();
    };
    let shown = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Compared by digest, so the time taken tells nothing of the token's characters.
    use sha2::{Digest, Sha256};
    if Sha256::digest(shown.as_bytes()) != Sha256::digest(expected.as_bytes()) {
        return ApiError::unauthorized().into_response();
    }
    let metrics = &state.metrics;
    let (open, idle) = state.store.pool_usage();
    let idle = idle.min(open as usize) as i64;
    for (label, count) in [("idle", idle), ("in_use", i64::from(open) - idle)] {
        metrics
            .connections
            .get_or_create(&PoolState {
                state: label.to_string(),
            })
            .set(count);
    }
    metrics
        .writers_waiting
        .set(state.store.writers_waiting() as i64);
    let cache = state.aggregates.size();
    by_outcome(&metrics.cache_lookups, "hit").set(cache.hits as i64);
    by_outcome(&metrics.cache_lookups, "miss").set(cache.misses as i64);
    let mut body = String::new();
    if encode(&mut body, &metrics.registry).is_err() {
        return ApiError::internal().into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// `GET /readyz`: 200 when the database answers and carries every migration of this build;
/// 503 otherwise (a load balancer sends no traffic until then).
pub async fn ready(State(state): State<AppState>) -> Response {
    let answers = state.store.ping().await;
    let current = answers && state.store.schema_is_current().await.unwrap_or(false);
    if current {
        (
            StatusCode::OK,
            axum::Json(json!({"status": "ready", "database": state.store.backend().name()})),
        )
            .into_response()
    } else {
        let mut answer = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            if answers {
                "Cơ sở dữ liệu chưa được nâng cấp lên phiên bản mà máy chủ này cần."
            } else {
                "Không kết nối được cơ sở dữ liệu."
            },
            if answers {
                "The database's schema is not yet the one this server needs."
            } else {
                "The database does not answer."
            },
        )
        .into_response();
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        answer
    }
}
