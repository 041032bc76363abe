//! baocao's persistence on SQLite (embedded default, one file) and PostgreSQL (production),
//! behind one [`Store`].
//!
//! Layout: one module per aggregate ([`agencies`], [`calendar`], [`catalogue`], [`regimes`], [`users`],
//! [`values`]), each with its SQL in plain strings beside the functions that run it. Both
//! backends run the same SQL (`$1` placeholders, `RETURNING`, `ON CONFLICT`, recursive CTEs);
//! where they differ it is in the migrations (`migrations/sqlite`, `migrations/postgres`, kept
//! in step) and in [`connect`](Store::connect). The [`on_db!`] macro compiles a body once per
//! backend, so each query is type-checked against both drivers.
//!
//! Architecture invariant: no HTTP, no HTML, no clock — callers pass `now`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub mod agencies;
pub mod analytics;
pub mod audit;
pub mod backup;
pub mod calendar;
pub mod catalogue;
pub mod clients;
pub mod compliance;
pub mod connectors;
pub mod credentials;
pub mod derived;
mod error;
mod group_commit;
pub mod identities;
mod ids;
pub mod notifications;
pub mod regimes;
pub mod reorganisation;
mod replica;
pub mod reports;
pub mod rollups;
pub mod secrets;
pub mod signatures;
mod statement_list;
pub mod tables;
pub mod transaction;
pub mod users;
pub mod values;

pub use error::StoreError;

/// Runs `$body` with `$pool` bound to the backend's typed pool. The body is compiled twice,
/// once per driver, which keeps full type support on each (sqlx's `Any` cannot decode
/// several PostgreSQL types).
macro_rules! on_db {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_db;

#[derive(Debug, Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Creates the database file readable by its owner only (0600), or makes an existing one so:
/// it holds password hashes and sealed secrets. SQLite gives its `-wal` and `-shm` files the
/// database file's mode.
fn private_file(path: &str) -> std::io::Result<()> {
    if path.starts_with(':') || path.contains("mode=memory") {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// A pool of one read-only connection to a SQLite file (a backup, or a database looked at
/// before it is replaced); `immutable` for a file nobody writes, so no journal is touched.
async fn connect_sqlite_read_only(
    path: &std::path::Path,
    immutable: bool,
) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(immutable);
    Ok(SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?)
}

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A handle on the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
    /// The deployment's key-encryption keys, for secrets at rest ([`secrets`]).
    keyring: Option<std::sync::Arc<secrets::Keyring>>,
    /// Turns to hold a write transaction on PostgreSQL, taken in order: half its pool, since
    /// a transaction's holder also reads through the pool, so holders must never take every
    /// connection and wait on each other for one more. (SQLite's one writer is the batch of
    /// [`group_commit`], where writers queue in order rather than spinning in the engine's
    /// busy handler.)
    turns: std::sync::Arc<tokio::sync::Semaphore>,
    /// Row ids of codes that never change their row (periods, regimes), kept once read.
    ids: std::sync::Arc<ids::KnownIds>,
    /// SQLite's writes, batched into shared transactions.
    group: std::sync::Arc<group_commit::GroupCommit>,
}

/// Connections of a PostgreSQL server's pool.
const POSTGRES_CONNECTIONS: u32 = 16;
/// Connections of a test schema's pool.
const TEST_SCHEMA_CONNECTIONS: u32 = 4;

fn turns(count: usize) -> std::sync::Arc<tokio::sync::Semaphore> {
    std::sync::Arc::new(tokio::sync::Semaphore::new(count.max(1)))
}

/// A list of migrations already resolved, as sqlx's source of them.
#[derive(Debug)]
struct Migrations(Vec<sqlx::migrate::Migration>);

impl<'s> sqlx::migrate::MigrationSource<'s> for Migrations {
    fn resolve(
        self,
    ) -> futures_util::future::BoxFuture<
        's,
        Result<Vec<sqlx::migrate::Migration>, sqlx::error::BoxDynError>,
    > {
        Box::pin(async move { Ok(self.0) })
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// The ceiling the import benchmark compares with: `rows` rows of a value's width
    /// inserted into a scratch table, one prepared INSERT a row, in one transaction; answers
    /// the seconds it took. The table is dropped afterwards.
    pub async fn bench_raw_inserts(&self, rows: usize) -> Result<f64, StoreError> {
        on_db!(self, pool => {
            sqlx::query("CREATE TABLE IF NOT EXISTS bench_raw (indicator TEXT, agency TEXT, period TEXT, value TEXT)")
                .execute(pool).await?;
            let start = std::time::Instant::now();
            let mut tx = pool.begin().await?;
            for n in 0..rows {
                sqlx::query("INSERT INTO bench_raw (indicator, agency, period, value) VALUES ($1, $2, $3, $4)")
                    .bind("XH11").bind(format!("{n:05}")).bind("202611").bind("3")
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
            let seconds = start.elapsed().as_secs_f64();
            sqlx::query("DROP TABLE bench_raw").execute(pool).await?;
            Ok(seconds)
        })
    }

    /// Connects to `sqlite://PATH` (created if missing) or `postgres://…`. Does not migrate.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let invalid = |reason: String| StoreError::InvalidUrl {
            url: url.to_string(),
            reason,
        };
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(invalid("no file path after sqlite://".into()));
            }
            private_file(path.split('?').next().unwrap_or(path)).map_err(|e| {
                StoreError::Unreachable {
                    url: url.to_string(),
                    reason: e.to_string(),
                }
            })?;
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| invalid(e.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                // A file in this process cannot drop a connection: a ping on every borrow
                // would be one more hand-off to the connection's thread for each statement.
                .test_before_acquire(false)
                .connect_with(options)
                .await
                .map_err(|e| StoreError::Unreachable {
                    url: url.to_string(),
                    reason: e.to_string(),
                })?;
            Ok(Self {
                db: Db::Sqlite(pool),
                keyring: None,
                ids: Default::default(),
                group: Default::default(),
                turns: turns(1),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(|e| invalid(e.to_string()))?;
            let pool = PgPoolOptions::new()
                .max_connections(POSTGRES_CONNECTIONS)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .map_err(|e| StoreError::Unreachable {
                    url: redact(url),
                    reason: e.to_string(),
                })?;
            Ok(Self {
                db: Db::Postgres(pool),
                keyring: None,
                ids: Default::default(),
                group: Default::default(),
                turns: turns(POSTGRES_CONNECTIONS as usize / 2),
            })
        } else {
            Err(invalid("expected sqlite://PATH or postgres://…".into()))
        }
    }

    /// Connects to a PostgreSQL database with every connection's `search_path` set to
    /// `schema` (tests run each in a schema of its own).
    pub async fn connect_postgres_schema(url: &str, schema: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::InvalidUrl {
                url: redact(url),
                reason: e.to_string(),
            })?
            .options([("search_path", schema)])
            // Named after the schema, so whoever drops the schema can end its sessions.
            .application_name(schema);
        let pool = PgPoolOptions::new()
            .max_connections(TEST_SCHEMA_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Unreachable {
                url: redact(url),
                reason: e.to_string(),
            })?;
        Ok(Self {
            db: Db::Postgres(pool),
            keyring: None,
            ids: Default::default(),
            group: Default::default(),
            turns: turns(TEST_SCHEMA_CONNECTIONS as usize / 2),
        })
    }

    /// Applies pending migrations. Refuses a database that a newer baocao has migrated.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.migrate_with(&SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS)
            .await
    }

    async fn migrate_with(
        &self,
        sqlite: &sqlx::migrate::Migrator,
        postgres: &sqlx::migrate::Migrator,
    ) -> Result<(), StoreError> {
        let result = match &self.db {
            Db::Sqlite(pool) => sqlite.run(pool).await,
            Db::Postgres(pool) => postgres.run(pool).await,
        };
        result.map_err(|error| match error {
            sqlx::migrate::MigrateError::VersionMissing(version) => {
                StoreError::NewerSchema { version }
            }
            other => StoreError::Migration(other.to_string()),
        })
    }

    /// [`Store::migrate`] one migration at a time, telling `progress` how many of the pending
    /// ones are applied, out of how many, and the next one's description.
    pub async fn migrate_reporting(
        &self,
        progress: &(dyn Fn(u64, u64, &str) + Sync),
    ) -> Result<(), StoreError> {
        let all = match &self.db {
            Db::Sqlite(_) => &SQLITE_MIGRATIONS,
            Db::Postgres(_) => &POSTGRES_MIGRATIONS,
        };
        // An empty database has no table of migrations yet: everything is pending.
        let applied: Vec<i64> = on_db!(self, pool => sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success"
        )
        .fetch_all(pool)
        .await)
        .unwrap_or_default();
        let pending: Vec<usize> = (0..all.migrations.len())
            .filter(|&i| !applied.contains(&all.migrations[i].version))
            .collect();
        let total = pending.len() as u64;
        for (done, &index) in pending.iter().enumerate() {
            progress(done as u64, total, &all.migrations[index].description);
            // The migrations up to this one: sqlx applies what of them is pending, in order,
            // and still refuses a database that holds one it does not know.
            let upto = sqlx::migrate::Migrator::new(Migrations(all.migrations[..=index].to_vec()))
                .await
                .map_err(|error| StoreError::Migration(error.to_string()))?;
            self.migrate_with(&upto, &upto).await?;
        }
        // Nothing pending still checks what was applied against what this build carries.
        self.migrate().await?;
        progress(total, total, "");
        Ok(())
    }

    /// Refreshes the query planner's statistics. SQLite never gathers them by itself: without
    /// them it guessed that a regime's thousands of assignments were a better path to a report's
    /// receiver than the reporting agency's one or two, and scanned them on every write. Sampled
    /// (`analysis_limit`), so it stays quick on a national file; PostgreSQL's `ANALYZE` samples
    /// too (its autovacuum keeps statistics afterwards).
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        match &self.db {
            Db::Sqlite(pool) => {
                let mut connection = pool.acquire().await?;
                sqlx::query("PRAGMA analysis_limit = 1000")
                    .execute(&mut *connection)
                    .await?;
                sqlx::query("ANALYZE").execute(&mut *connection).await?;
            }
            Db::Postgres(pool) => {
                // baocao's own tables only: a bare ANALYZE would walk every schema of the
                // database (and wait on what others are doing there).
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema()",
                )
                .fetch_all(pool)
                .await?;
                if !tables.is_empty() {
                    sqlx::query(&format!("ANALYZE {}", tables.join(", ")))
                        .execute(pool)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Keeps SQLite's statistics in step with the data as it grows (cheap when nothing changed
    /// much); nothing to do on PostgreSQL, whose autovacuum does it.
    pub async fn tune_statistics(&self) -> Result<(), StoreError> {
        if let Db::Sqlite(pool) = &self.db {
            let mut connection = pool.acquire().await?;
            sqlx::query("PRAGMA analysis_limit = 1000")
                .execute(&mut *connection)
                .await?;
            sqlx::query("PRAGMA optimize")
                .execute(&mut *connection)
                .await?;
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Whether every migration this build carries has been applied (a server of this build
    /// may serve the database); `false` while one is pending.
    pub async fn schema_is_current(&self) -> Result<bool, StoreError> {
        const SQL: &str = "SELECT MAX(version) FROM _sqlx_migrations WHERE success";
        let (applied, expected): (Option<i64>, Option<i64>) = match &self.db {
            Db::Sqlite(pool) => (
                sqlx::query_scalar(SQL).fetch_one(pool).await?,
                SQLITE_MIGRATIONS.iter().map(|m| m.version).max(),
            ),
            Db::Postgres(pool) => (
                sqlx::query_scalar(SQL).fetch_one(pool).await?,
                POSTGRES_MIGRATIONS.iter().map(|m| m.version).max(),
            ),
        };
        Ok(applied.is_some() && applied >= expected)
    }

    /// Writers waiting for their turn to write now (SQLite: to join the shared transaction;
    /// PostgreSQL: for a write turn).
    pub fn writers_waiting(&self) -> usize {
        self.group.waiting()
    }

    /// The connection pool now: connections open, and how many of them are idle.
    pub fn pool_usage(&self) -> (u32, usize) {
        match &self.db {
            Db::Sqlite(pool) => (pool.size(), pool.num_idle()),
            Db::Postgres(pool) => (pool.size(), pool.num_idle()),
        }
    }

    /// Whether the database can answer a trivial query.
    pub async fn ping(&self) -> bool {
        on_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.is_ok())
    }

    /// Whether the database holds no agencies yet (the demo loads only into such a one).
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        let count: i64 = on_db!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM agencies").fetch_one(pool).await?);
        Ok(count == 0)
    }

    pub async fn close(&self) {
        on_db!(self, pool => pool.close().await)
    }
}

/// An instant as stored: RFC 3339 in UTC with whole seconds, so that text order is time
/// order in both databases.
pub fn timestamp_text(instant: jiff::Timestamp) -> String {
    instant.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A URL fit for logs: the password, if any, replaced.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// A `LIKE` pattern matching `query` anywhere in a search key, or `""` for no filter (the
/// queries read `$n = '' OR search_key LIKE $n`).
pub(crate) fn search_pattern(query: Option<&str>) -> String {
    query
        .map(baocao_domain::text::search_key)
        .filter(|q| !q.is_empty())
        .map(|q| format!("%{q}%"))
        .unwrap_or_default()
}

/// Dates travel as ISO text in both backends.
pub(crate) fn date_text(date: Option<jiff::civil::Date>) -> Option<String> {
    date.map(|d| d.to_string())
}

pub(crate) fn parse_date(text: Option<&str>) -> Result<Option<jiff::civil::Date>, StoreError> {
    text.map(|t| {
        t.parse()
            .map_err(|_| StoreError::Corrupt(format!("bad date {t:?}")))
    })
    .transpose()
}

impl Store {
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            on_db!(self, pool => sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(pool)
            .await?),
        )
    }

    pub async fn set_setting(
        &self,
        key: &str,
        value: &str,
        audit: &baocao_domain::audit::Provenance,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin(audit).await?;
        transaction::on_tx!(tx, conn => sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(conn)
        .await
        .map(drop)?);
        tx.note(
            "setting.set",
            format!("setting {key}"),
            None,
            serde_json::json!({ "key": key, "value": value }),
        );
        tx.commit().await
    }
}

impl Store {
    /// Runs one raw statement. For tests that must put a database in a state no public
    /// function produces (a migration from a newer version, say).
    #[doc(hidden)]
    pub async fn execute_for_tests(&self, sql: &str) -> Result<(), StoreError> {
        on_db!(self, pool => sqlx::query(sql).execute(pool).await.map(|_| ())?);
        Ok(())
    }
}
