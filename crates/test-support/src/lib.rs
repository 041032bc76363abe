//! Test support shared by every crate: a [`TestDb`] on either backend, fresh for each test;
//! the [`both_backends!`] macro that runs one async test body on SQLite and PostgreSQL; and
//! [`TestApp`] with [`app_tests!`] for the same over the real router with the demo loaded.
//!
//! PostgreSQL is used when `BAOCAO_TEST_POSTGRES_URL` is set or a server answers at
//! `postgres://postgres@127.0.0.1:5432/test`; each test gets a schema of its own, dropped when
//! the test ends, so tests run in parallel and leave nothing behind. Without a server the
//! PostgreSQL variant says so on stderr and passes (`BAOCAO_REQUIRE_POSTGRES=1`, which CI
//! sets, turns that into a failure).

pub mod app;
pub mod browser;
pub mod documents;
pub mod outage;
pub mod pages;
pub mod pki;
pub mod smtp;
pub mod workbook;

pub use app::{Answer, TestApp, test_now};
pub use baocao_store::Backend;
use baocao_store::Store;
use rand::Rng;

/// A data value set of `content_type` pushed to DHIS2's path with `query`, as `token`'s holder.
pub async fn push_as(
    app: &TestApp,
    token: &str,
    query: &str,
    content_type: &str,
    body: &str,
) -> Answer {
    let path = format!("/api/dataValueSets{query}");
    app.post_as(&path, token, content_type, body.to_string())
        .await
}

/// The quarterly administrative-procedures regime (`BC-KSTTHC-Q`) split by a `mechanism`
/// category (options `PEPFAR`, `McDonalds`) from Q3 2026, as an administrator (`admin`'s
/// token) declares it through the API: the category created, the regime amended and published.
pub async fn split_by_mechanism(app: &TestApp, admin: &str) {
    use axum::http::{Method, StatusCode};
    let category = serde_json::json!({"code": "mechanism", "name_vi": "Cơ chế tài trợ",
    "name_en": "Funding mechanism", "options": [
        {"code": "PEPFAR", "name_vi": "PEPFAR", "name_en": "PEPFAR"},
        {"code": "McDonalds", "name_vi": "McDonalds", "name_en": "McDonalds"},
    ]});
    let created = app
        .call(
            Method::POST,
            "/api/v1/categories",
            Some(admin),
            Some(&category),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let mut regime = app.get("/api/v1/regimes/BC-KSTTHC-Q", admin).await.json();
    regime["attribute_categories"] = serde_json::json!(["mechanism"]);
    let path = "/api/v1/regimes/BC-KSTTHC-Q/draft";
    let saved = app
        .call(Method::PUT, path, Some(admin), Some(&regime))
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let from = serde_json::json!({"effective_from": "2026-07-01"});
    let path = "/api/v1/regimes/BC-KSTTHC-Q/publish";
    let published = app.call(Method::POST, path, Some(admin), Some(&from)).await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text);
}

/// A change the server makes itself at `at`: what tests that put data in place through the
/// store record as its author.
/// The compliance answer's agencies, row by row, as a caller reads them.
pub async fn compliance_agencies(app: &TestApp, query: &str, token: &str) -> Vec<String> {
    let answer = app.get(&format!("/api/v1/compliance?{query}"), token).await;
    assert!(answer.status.is_success(), "{}", answer.text);
    answer.json()["items"]
        .as_array()
        .expect("compliance items")
        .iter()
        .map(|item| item["agency"].as_str().unwrap_or_default().to_string())
        .collect()
}

pub fn by_system(at: &str) -> baocao_domain::audit::Provenance {
    baocao_domain::audit::Provenance::system(at, baocao_domain::audit::Channel::System)
}

/// A number as a province's accepted monthly report (`BC-KTXH-T`) stores it, for tests that
/// put data in place without going through the reporting workflow; `options` are
/// (category, option) pairs, none for the total.
pub fn reported_value(
    indicator: &str,
    agency: &str,
    period: &str,
    options: &[(&str, &str)],
    number: f64,
) -> baocao_domain::value::DataValue {
    use baocao_domain::value::{Channel, DataValue, OptionCombo, Value};
    DataValue {
        indicator: baocao_domain::indicator::IndicatorCode::new(indicator)
            .expect("an indicator code"),
        options: OptionCombo::from_stored(
            options
                .iter()
                .map(|(c, o)| (c.to_string(), o.to_string()))
                .collect(),
        ),
        agency: baocao_domain::agency::AgencyCode::new(agency).expect("an agency code"),
        period: baocao_domain::period::PeriodId::parse(period).expect("a period"),
        value: Value::Number(number),
        channel: Channel::Web,
        source: "regime:BC-KTXH-T".into(),
    }
}

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A migrated, empty database that disappears with the value.
pub struct TestDb {
    pub store: Store,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteDir(std::path::PathBuf),
    PostgresSchema { url: String, schema: String },
}

/// A connection of a test's own to its database.
enum RawPool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

fn postgres_url() -> String {
    std::env::var("BAOCAO_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_string())
}

fn unique_name(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{:08x}",
        std::process::id(),
        rand::thread_rng().r#gen::<u32>()
    )
}

impl TestDb {
    /// The first column of `sql`'s rows as text, read straight from the database with a
    /// connection of its own, as someone holding the file or a dump would read it.
    pub async fn raw_texts(&self, sql: &str) -> Vec<String> {
        match self.raw_pool().await {
            RawPool::Sqlite(pool) => {
                let rows: Vec<(String,)> = sqlx::query_as(sql)
                    .fetch_all(&pool)
                    .await
                    .expect("a raw query");
                pool.close().await;
                rows.into_iter().map(|(text,)| text).collect()
            }
            RawPool::Postgres(pool) => {
                let rows: Vec<(String,)> = sqlx::query_as(sql)
                    .fetch_all(&pool)
                    .await
                    .expect("a raw query");
                pool.close().await;
                rows.into_iter().map(|(text,)| text).collect()
            }
        }
    }

    /// Runs `sql` (one statement) straight on the database, behind the application's back;
    /// answers the rows it changed.
    pub async fn raw_execute(&self, sql: &str) -> u64 {
        match self.raw_pool().await {
            RawPool::Sqlite(pool) => {
                let done = sqlx::query(sql)
                    .execute(&pool)
                    .await
                    .expect("a raw statement");
                pool.close().await;
                done.rows_affected()
            }
            RawPool::Postgres(pool) => {
                let done = sqlx::query(sql)
                    .execute(&pool)
                    .await
                    .expect("a raw statement");
                pool.close().await;
                done.rows_affected()
            }
        }
    }

    async fn raw_pool(&self) -> RawPool {
        match &self.cleanup {
            Cleanup::SqliteDir(dir) => {
                let url = format!("sqlite://{}", dir.join("test.db").display());
                RawPool::Sqlite(
                    sqlx::SqlitePool::connect(&url)
                        .await
                        .expect("open the file"),
                )
            }
            Cleanup::PostgresSchema { url, schema } => {
                let options: sqlx::postgres::PgConnectOptions =
                    url.parse().expect("a PostgreSQL URL");
                RawPool::Postgres(
                    sqlx::postgres::PgPoolOptions::new()
                        .max_connections(1)
                        .connect_with(options.options([("search_path", schema.as_str())]))
                        .await
                        .expect("connect"),
                )
            }
        }
    }

    /// How another process reaches this database: its URL and, on PostgreSQL, its schema.
    pub fn address(&self) -> (String, Option<String>) {
        match &self.cleanup {
            Cleanup::SqliteDir(dir) => {
                (format!("sqlite://{}", dir.join("test.db").display()), None)
            }
            Cleanup::PostgresSchema { url, schema } => (url.clone(), Some(schema.clone())),
        }
    }

    /// Connects to a database another process named with [`TestDb::address`].
    pub async fn reach(url: &str, schema: Option<&str>) -> Store {
        match schema {
            None => Store::connect(url).await,
            Some(schema) => Store::connect_postgres_schema(url, schema).await,
        }
        .expect("the database another process made")
    }

    /// Where a SQLite database lives (`None` on PostgreSQL).
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        match &self.cleanup {
            Cleanup::SqliteDir(dir) => Some(dir.join("test.db")),
            Cleanup::PostgresSchema { .. } => None,
        }
    }

    pub async fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(unique_name("baocao_test"));
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        let url = format!("sqlite://{}", dir.join("test.db").display());
        let store = Store::connect(&url)
            .await
            .expect("open SQLite")
            .with_keyring(baocao_store::secrets::Keyring::random());
        store.migrate().await.expect("migrate SQLite");
        TestDb {
            store,
            cleanup: Cleanup::SqliteDir(dir),
        }
    }

    /// A database in a fresh schema, or `None` when no PostgreSQL server answers and none is
    /// required.
    pub async fn postgres() -> Option<TestDb> {
        Self::postgres_at(postgres_url()).await
    }

    /// [`postgres`](Self::postgres) on the server at `url`.
    pub async fn postgres_at(url: String) -> Option<TestDb> {
        let admin = match sqlx::PgPool::connect(&url).await {
            Ok(pool) => pool,
            Err(error) => {
                if std::env::var("BAOCAO_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                    panic!("PostgreSQL is required but unreachable at {url}: {error}");
                }
                eprintln!(
                    "PostgreSQL unreachable at {url}; skipping the PostgreSQL variant: {error}"
                );
                return None;
            }
        };
        let schema = unique_name("baocao_test");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&admin)
            .await
            .expect("create schema");
        admin.close().await;
        let store = Store::connect_postgres_schema(&url, &schema)
            .await
            .expect("connect to the test schema")
            .with_keyring(baocao_store::secrets::Keyring::random());
        store.migrate().await.expect("migrate PostgreSQL");
        Some(TestDb {
            store,
            cleanup: Cleanup::PostgresSchema { url, schema },
        })
    }

    pub async fn on(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite().await),
            Backend::Postgres => Self::postgres().await,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteDir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PostgresSchema { url, schema } => {
                let (url, schema) = (url.clone(), schema.clone());
                // Drop runs inside the test's runtime, which this thread blocks while it
                // waits: the cleanup needs a runtime and a connection of its own, and must not
                // touch the test's pool (its sockets belong to the blocked runtime).
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    if let Ok(runtime) = runtime {
                        runtime.block_on(async {
                            if let Ok(admin) = sqlx::PgPool::connect(&url).await {
                                // The test is over, but a session of its pool may still be in
                                // a transaction whose rollback waits for the runtime this
                                // thread blocks (a write that failed just before the end):
                                // its locks would keep the DROP waiting for ever.
                                let _ = sqlx::query(
                                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                                     WHERE application_name = $1 AND pid <> pg_backend_pid()",
                                )
                                .bind(&schema)
                                .execute(&admin)
                                .await;
                                let _ =
                                    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                                        .execute(&admin)
                                        .await;
                                admin.close().await;
                            }
                        });
                    }
                })
                .join();
            }
        }
    }
}

/// Generates `NAME_sqlite` and `NAME_postgres` tests from `async fn NAME(store: Store)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = $crate::TestDb::sqlite().await;
                    super::$name(db.store.clone()).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(db) = $crate::TestDb::postgres().await {
                        super::$name(db.store.clone()).await;
                    }
                }
            )+
        }
    };
}

/// This process's resident memory now and at its peak (VmRSS, VmHWM), in MiB, for the
/// benchmarks' memory figures (0 where `/proc` is not there).
pub fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The demo's communes: every agency ever assigned the commune regime (`BC-TTATGT-T`), by code,
/// for the benchmarks that write a commune's numbers for each of them.
pub async fn commune_codes(store: &Store) -> Vec<String> {
    let regime = baocao_domain::regime::RegimeCode::new("BC-TTATGT-T").expect("a regime code");
    let spans = store
        .assignment_spans(&regime)
        .await
        .expect("the commune regime's assignments");
    let mut codes: Vec<String> = spans.into_iter().map(|s| s.agency).collect();
    codes.sort();
    codes.dedup();
    codes
}
