//! Overload answered, not suffered: past the configured number of requests in flight
//! (`max_in_flight`) a request is refused at once with `503 overloaded` and `Retry-After`,
//! instead of queueing behind the others until every latency grows without bound; and
//! `/healthz` answers from a recent check of the database, so a probe stays fast while the
//! connection pool is busy.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::response::IntoResponse;
use tokio::sync::Semaphore;

use crate::error::ApiError;

/// Paths never refused for load: the health and readiness checks (load balancers must see a
/// busy server as alive, not dead) and the metrics (an overload is when they matter most).
const ALWAYS_SERVED: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// Seconds a refused client is asked to wait.
const RETRY_AFTER_SECONDS: u64 = 1;

/// The permits of requests in flight.
#[derive(Debug)]
pub struct InFlight {
    permits: Arc<Semaphore>,
    limit: usize,
}

impl InFlight {
    pub fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        Self {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Takes `count` permits until the answer is dropped, as that many requests in flight
    /// would (tests; draining a server before maintenance).
    pub async fn occupy(&self, count: usize) -> tokio::sync::OwnedSemaphorePermit {
        self.permits
            .clone()
            .acquire_many_owned(count.min(self.limit) as u32)
            .await
            .expect("the semaphore is never closed")
    }
}

pub fn overloaded() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "overloaded",
        "Hệ thống đang quá tải; vui lòng gửi lại sau giây lát (dữ liệu chưa được ghi).",
        "The server is overloaded; please retry shortly (nothing was written).",
    )
    .retry_after(RETRY_AFTER_SECONDS)
}

/// The middleware: a permit for the request's whole handling, or `503` at once.
pub async fn shed(
    in_flight: Arc<InFlight>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if ALWAYS_SERVED.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    match in_flight.permits.clone().try_acquire_owned() {
        Ok(_permit) => next.run(request).await,
        Err(_) => overloaded().into_response(),
    }
}

/// The database's last health check, refreshed in the background while it is recent.
#[derive(Debug, Default)]
pub struct Health {
    last: std::sync::Mutex<Option<(Instant, bool)>>,
    refreshing: AtomicBool,
}

/// A check younger than this is answered as it is.
const FRESH: Duration = Duration::from_secs(1);
/// A check younger than this is answered while a new one runs; older ones are waited for.
const USABLE: Duration = Duration::from_secs(10);

impl Health {
    fn last(&self) -> Option<(Instant, bool)> {
        *self.last.lock().expect("health lock")
    }

    fn remember(&self, healthy: bool) {
        *self.last.lock().expect("health lock") = Some((Instant::now(), healthy));
    }

    /// Whether the database answers: from a recent check, or by checking now.
    pub async fn database_answers(self: &Arc<Self>, store: &baocao_store::Store) -> bool {
        match self.last() {
            Some((at, healthy)) if at.elapsed() < FRESH => healthy,
            Some((at, healthy)) if at.elapsed() < USABLE => {
                if !self.refreshing.swap(true, Ordering::AcqRel) {
                    let (health, store) = (self.clone(), store.clone());
                    tokio::spawn(async move {
                        let healthy = ping(&store).await;
                        health.remember(healthy);
                        health.refreshing.store(false, Ordering::Release);
                    });
                }
                healthy
            }
            _ => {
                let healthy = ping(&store.clone()).await;
                self.remember(healthy);
                healthy
            }
        }
    }
}

async fn ping(store: &baocao_store::Store) -> bool {
    tokio::time::timeout(Duration::from_secs(5), store.ping())
        .await
        .unwrap_or(false)
}
