//! [`TestApp`]: the real router on a fresh database with the demo data, a fixed clock, and
//! typed request helpers. Requests go through the router in-process (no socket), exactly as
//! the server would run them.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use baocao_store::Backend;
use baocao_web::{AppState, FixedClock, WebConfig, router};
use serde_json::Value;
use tower::ServiceExt;

use crate::TestDb;

/// The instant every test app lives at: 26 November 2026, 15:00 in Vietnam.
pub fn test_now() -> jiff::Timestamp {
    "2026-11-26T08:00:00Z".parse().expect("a valid instant")
}

pub struct TestApp {
    pub db: TestDb,
    pub state: AppState,
    router: Router,
}

/// An answer: status, headers and the body (parsed as JSON when it is JSON).
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
    /// The body as sent (a PDF, a workbook).
    pub bytes: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

impl TestApp {
    /// A demo-loaded app on `backend`, or `None` when that backend is unavailable.
    pub async fn demo(backend: Backend) -> Option<TestApp> {
        Some(Self::demo_in(TestDb::on(backend).await?).await)
    }

    /// A demo-loaded app on `db`.
    pub async fn demo_in(db: TestDb) -> TestApp {
        let now = test_now();
        let today = now.to_zoned(baocao_web::legal_time_zone()).date();
        baocao_seed::load_demo(&db.store, today, &baocao_web::stamp(now))
            .await
            .expect("load the demo");
        let state = AppState::new(
            db.store.clone(),
            Arc::new(FixedClock(now)),
            WebConfig::default(),
        );
        let router = router(state.clone());
        TestApp { db, state, router }
    }

    /// The same app (database, caches) with its web settings changed.
    pub fn configured(mut self, change: impl FnOnce(&mut WebConfig)) -> Self {
        change(&mut self.state.config);
        self.router = router(self.state.clone());
        self
    }

    /// Serves the app on a free port of 127.0.0.1 for as long as the test runs; answers the
    /// base URL (for real clients such as a browser).
    pub async fn spawn(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let address = listener.local_addr().expect("a local address");
        let router = self.router.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        format!("http://{address}")
    }

    /// Sends a request; `body` is JSON when given.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).expect("a valid request"))
            .await
    }

    /// POSTs `body` of `content_type` to `path` with `token` as the bearer token.
    pub async fn post_as(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        body: impl Into<Body>,
    ) -> Answer {
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(body.into())
            .expect("a valid request");
        self.send(request).await
    }

    /// Sends any request through the router.
    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a readable body");
        Answer {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(Method::GET, path, Some(token), None).await
    }

    /// A slot's "this period" totals (`slot`: `/api/v1/reports/{regime}/{agency}/{period}`)
    /// as `token`'s holder reads them: (row, value), in the slot's order.
    pub async fn this_period_totals(&self, slot: &str, token: &str) -> Vec<(String, String)> {
        let view = self.get(slot, token).await.json();
        view["values"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|c| c["column"] == "this_period" && c["options"] == serde_json::json!({}))
            .filter_map(|c| {
                Some((
                    c["row"].as_str()?.to_string(),
                    c["value"].as_str()?.to_string(),
                ))
            })
            .collect()
    }

    /// The demo's accepted history of `regimes` for periods ending by `until`, as the command
    /// line loads it (tests start without it); answers how many reports were written.
    pub async fn load_history(&self, until: jiff::civil::Date, regimes: &[&str]) -> usize {
        let scope = baocao_seed::HistoryScope {
            until,
            regimes: regimes.iter().map(|r| r.to_string()).collect(),
            now: Some(test_now()),
        };
        baocao_seed::load_demo_history(&self.db.store, &scope)
            .await
            .expect("load the demo's history")
    }

    /// Logs in through the API and answers the bearer token.
    pub async fn login(&self, username: &str) -> String {
        let body = serde_json::json!({ "username": username, "password": "demo" });
        let answer = self
            .call(Method::POST, "/api/v1/auth/token", None, Some(&body))
            .await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "login as {username}: {}",
            answer.text
        );
        answer.json()["token"]
            .as_str()
            .expect("a token")
            .to_string()
    }
}

/// Generates `sqlite::NAME` and `postgres::NAME` tests from `async fn NAME(app: TestApp)`.
#[macro_export]
macro_rules! app_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let app = $crate::app::TestApp::demo($crate::Backend::Sqlite).await.expect("SQLite is always there");
                    super::$name(app).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(app) = $crate::app::TestApp::demo($crate::Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            )+
        }
    };
}
