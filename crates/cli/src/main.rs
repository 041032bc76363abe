//! The `baocao` binary: reads configuration (defaults → optional `baocao.toml` → `BAOCAO_*`
//! environment → command-line flags) and wires store → web. Commands: `serve`, `migrate`,
//! `demo`, `backup`, `restore`, `standardisation`, `keys`, `audit`.

mod progress;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use baocao_seed::{HistoryScope, LoadOutcome, load_demo, load_demo_history_reporting};
use baocao_store::secrets::Keyring;
use baocao_store::{Store, StoreError, redact};
use baocao_web::{AppState, SystemClock, WebConfig, legal_time_zone, router, stamp};
use clap::{Args, Parser, Subcommand};
use serde::Deserialize;

const DEFAULT_DATABASE: &str = "sqlite://baocao.db";

/// Whether long commands draw a progress bar: text logs on a terminal (set once in `main`).
static PROGRESS_BARS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

fn progress_bar(what: &'static str) -> progress::Progress {
    progress::Progress::new(what, PROGRESS_BARS.get().copied().unwrap_or(false))
}
const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Parser)]
#[command(
    name = "baocao",
    version,
    about = "Hệ thống thông tin báo cáo — a national reporting information system"
)]
struct Cli {
    /// Configuration file (optional; values there are overridden by BAOCAO_* and flags).
    #[arg(
        long,
        global = true,
        env = "BAOCAO_CONFIG",
        default_value = "baocao.toml"
    )]
    config: PathBuf,
    /// How log lines are written on standard error: `text` for a person, `json` (one object a
    /// line, with the request's id) for a log collector [default: text].
    #[arg(long, global = true, env = "BAOCAO_LOG_FORMAT")]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
enum LogFormat {
    Text,
    Json,
}

// Parsed once per run: the size of the server's variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the web UI and API.
    Serve {
        #[command(flatten)]
        database: DatabaseArg,
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, env = "BAOCAO_BIND")]
        bind: Option<String>,
        /// Load the demo data set into an empty database (a database that holds it is left as it is).
        #[arg(long)]
        demo: bool,
        /// Email reminders through this SMTP relay: smtp://HOST[:PORT], with STARTTLS
        /// smtp://[USER:PASSWORD@]HOST[:PORT]?tls=required, or smtps://… (default: none,
        /// reminders stay in the app).
        #[arg(long, env = "BAOCAO_SMTP_URL")]
        smtp_url: Option<String>,
        /// A PEM file of the certificate authority the relay's TLS certificate is checked
        /// against (an agency's own CA) [default: the public web roots].
        #[arg(long, env = "BAOCAO_SMTP_CA_FILE")]
        smtp_ca_file: Option<PathBuf>,
        /// The sender of reminder emails [default: baocao <no-reply@localhost>].
        #[arg(long, env = "BAOCAO_MAIL_FROM")]
        mail_from: Option<String>,
        /// The address people reach the server at; an https:// address makes cookies Secure
        /// and adds HSTS.
        #[arg(long, env = "BAOCAO_PUBLIC_URL")]
        public_url: Option<String>,
        /// Requests handled at once; past it the server answers 503 with Retry-After
        /// [default: 256].
        #[arg(long, env = "BAOCAO_MAX_IN_FLIGHT")]
        max_in_flight: Option<usize>,
        /// Serve Prometheus metrics at /metrics to whoever shows this token
        /// (`Authorization: Bearer …`) [default: /metrics is not served].
        #[arg(long, env = "BAOCAO_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<String>,
        /// The largest request body accepted, in bytes (imports, workbooks) [default: 16 MiB].
        #[arg(long, env = "BAOCAO_MAX_BODY_BYTES")]
        max_body_bytes: Option<usize>,
        /// The largest data value set pushed as a stream, in bytes [default: 1 GiB].
        #[arg(long, env = "BAOCAO_MAX_PUSH_BYTES")]
        max_push_bytes: Option<usize>,
        /// A PEM file of the certification authorities whose certificates may sign documents
        /// (the national root and the licensed CAs) [default: none; signing with a
        /// certificate is refused].
        #[arg(long, env = "BAOCAO_TRUST_ANCHORS")]
        trust_anchors: Option<PathBuf>,
        /// A certificate revocation list (PEM or DER) of one of those authorities, read again
        /// at each signing (repeatable; in the environment, comma-separated).
        #[arg(
            long = "revocation-list",
            env = "BAOCAO_REVOCATION_LISTS",
            value_delimiter = ','
        )]
        revocation_lists: Vec<PathBuf>,
        /// A PostgreSQL hot standby of the database to read analytics and exports from
        /// (`deploy/replica.sh` starts one beside a primary) [default: none].
        #[arg(long, env = "BAOCAO_READ_DATABASE_URL", hide_env_values = true)]
        read_database_url: Option<String>,
        /// How far behind the primary the standby may be, in seconds, before analytics
        /// read from the primary instead [default: 5].
        #[arg(long, env = "BAOCAO_REPLICA_MAX_LAG")]
        replica_max_lag: Option<f64>,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Write a consistent copy of the whole database to FILE; safe while the server runs
    /// (SQLite: VACUUM INTO; PostgreSQL: pg_dump's custom format). Never overwrites a file.
    Backup {
        #[command(flatten)]
        database: DatabaseArg,
        /// The backup file to write.
        file: PathBuf,
    },
    /// Restore a backup onto an empty database, then migrate it to this version. Refuses a
    /// backup taken by a newer baocao and a database that holds anything. The key file that
    /// sealed the backup's secrets is needed to serve it.
    Restore {
        #[command(flatten)]
        database: DatabaseArg,
        /// The backup file to read.
        file: PathBuf,
    },
    /// Load the demo data set into an empty database and exit.
    Demo {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Check every regime against the ten elements and the calendar rules of Decree 09/2019
    /// and print the problems; exits with 1 if any regime has an error.
    Standardisation {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// The key-encryption keys that seal secrets at rest.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// The audit trail: verify it, export it as a bundle, sign a checkpoint.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
}

#[derive(Subcommand)]
enum AuditAction {
    /// Walks the chain and checks every link and checkpoint signature, re-derives data values,
    /// report statuses, grants and regime versions from the events and compares them with the
    /// tables; prints each finding and exits with 1 if there is any. With --bundle, checks an
    /// exported bundle alone, without a database.
    Verify {
        #[command(flatten)]
        database: DatabaseArg,
        /// An exported bundle to check instead of the database.
        #[arg(long)]
        bundle: Option<PathBuf>,
        /// A public key (hex) the bundle's checkpoints must be signed by (repeatable; default:
        /// the keys the bundle names — compare them with `baocao audit keys` on the server).
        #[arg(long = "key")]
        keys: Vec<String>,
    },
    /// Writes the events stamped from --from to --to (dates or timestamps, UTC; --to
    /// excluded) with their checkpoints and the server's public keys, as a bundle that
    /// `audit verify --bundle` checks on another machine.
    Export {
        #[command(flatten)]
        database: DatabaseArg,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        /// The bundle file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Signs a checkpoint at the chain's last event now.
    Checkpoint {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Prints the public keys the server signs checkpoints with.
    Keys {
        #[command(flatten)]
        database: DatabaseArg,
    },
}

#[derive(Subcommand)]
enum KeysAction {
    /// Adds a new current key to the key file and reseals every secret under it; older keys
    /// stay in the file (backups sealed with them still open) until you remove them.
    Rotate {
        #[command(flatten)]
        database: DatabaseArg,
    },
}

#[derive(Args)]
struct DatabaseArg {
    /// sqlite://PATH or postgres://… [default: sqlite://baocao.db].
    #[arg(long, env = "BAOCAO_DATABASE_URL")]
    database: Option<String>,
    /// The file of key-encryption keys that seal secrets at rest [default: baocao.key; created
    /// with a new key, readable by its owner only, when missing]. BAOCAO_KEYS, when set, holds
    /// the keys themselves instead.
    #[arg(long, env = "BAOCAO_KEY_FILE")]
    key_file: Option<PathBuf>,
}

const DEFAULT_KEY_FILE: &str = "baocao.key";

/// Where the keys come from: the environment's `BAOCAO_KEYS`, or a file.
enum KeySource {
    Environment(String),
    File(PathBuf),
}

impl KeySource {
    fn of(arg: Option<PathBuf>, file: &FileConfig) -> Self {
        match std::env::var("BAOCAO_KEYS") {
            Ok(keys) if !keys.trim().is_empty() => KeySource::Environment(keys.replace(';', "\n")),
            _ => KeySource::File(
                arg.or(file.key_file.clone())
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_KEY_FILE)),
            ),
        }
    }

    /// The keyring; a missing key file is created with one new key (0600).
    fn load(&self) -> Result<Keyring> {
        let text = match self {
            KeySource::Environment(keys) => keys.clone(),
            KeySource::File(path) => match std::fs::read_to_string(path) {
                Ok(text) => text,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    let text = format!(
                        "# baocao key-encryption keys: the first seals, all open. Keep this file\n# apart from database backups; without it sealed secrets cannot be opened.\n{}\n",
                        Keyring::new_key_line(
                            &jiff::Timestamp::now().strftime("%Y%m%d").to_string()
                        )
                    );
                    write_private(path, &text)?;
                    tracing::warn!(path = %path.display(), "created a new key file; back it up apart from the database");
                    text
                }
                Err(error) => {
                    return Err(error).with_context(|| {
                        format!(
                            "Không đọc được tệp khóa / cannot read the key file {}",
                            path.display()
                        )
                    });
                }
            },
        };
        Keyring::parse(&text)
            .map_err(|error| anyhow::anyhow!("Tệp khóa không hợp lệ / invalid key file: {error}"))
    }
}

/// Writes `text` to `path` readable by its owner only, replacing it whole (a temporary file
/// renamed over it).
fn write_private(path: &std::path::Path, text: &str) -> Result<()> {
    use std::io::Write;
    let temporary = path.with_extension("key.new");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&temporary)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// `baocao.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database: Option<String>,
    bind: Option<String>,
    secure_cookies: Option<bool>,
    public_url: Option<String>,
    /// Approvers and administrators must log in with a second factor (TOTP).
    require_second_factor: Option<bool>,
    smtp_url: Option<String>,
    smtp_ca_file: Option<PathBuf>,
    mail_from: Option<String>,
    key_file: Option<PathBuf>,
    /// Seconds in-flight requests get to finish after SIGTERM or Ctrl-C.
    shutdown_seconds: Option<u64>,
    max_in_flight: Option<usize>,
    metrics_token: Option<String>,
    max_body_bytes: Option<usize>,
    max_push_bytes: Option<usize>,
    log_format: Option<LogFormat>,
    /// People may sign in with a baocao password (false: only through `[[oidc]]` providers).
    password_login: Option<bool>,
    /// Identity providers (OpenID Connect) people sign in through (`[[oidc]]` tables).
    #[serde(default)]
    oidc: Vec<baocao_service::sso::Provider>,
    /// A checkpoint of the audit trail is signed once this many events follow the last one…
    audit_checkpoint_events: Option<i64>,
    /// …or once the last one is this many seconds old and events follow it.
    audit_checkpoint_seconds: Option<i64>,
    /// Bounds on what one request may make the server read (`[limits]`).
    #[serde(default)]
    limits: baocao_formats::Limits,
    /// Certification authorities whose certificates may sign documents (a PEM file)…
    trust_anchors: Option<PathBuf>,
    /// …and their revocation lists.
    #[serde(default)]
    revocation_lists: Vec<PathBuf>,
}

fn read_config(path: &PathBuf) -> Result<FileConfig> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text)
            .with_context(|| format!("invalid configuration file {}", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(FileConfig::default()),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

async fn open_store(url: &str) -> Result<Store> {
    let store = Store::connect(url).await.map_err(explain)?;
    if store.schema_is_current().await.unwrap_or(false) {
        store.migrate().await.map_err(explain)?;
    } else {
        tracing::info!(database = %redact(url), "applying database migrations");
        let bar = progress_bar("migrations");
        store
            .migrate_reporting(&|done, total, next| bar.update(done, total, next))
            .await
            .map_err(explain)?;
        bar.finish();
    }
    Ok(store)
}

/// The store with the deployment's keyring; secrets still in clear (or sealed by an older key)
/// are sealed under the current key.
async fn open_store_with_keys(url: &str, keys: &KeySource) -> Result<Store> {
    let store = open_store(url).await?.with_keyring(keys.load()?);
    let resealed = store.reseal_secrets().await.map_err(|error| {
        anyhow::anyhow!("Không mở được các bí mật đã niêm phong bằng tệp khóa này / the key file does not open the sealed secrets: {error}")
    })?;
    if resealed > 0 {
        tracing::info!(resealed, "secrets sealed under the current key");
    }
    Ok(store)
}

/// Store errors a person starting the server must understand, in Vietnamese and English.
fn explain(error: StoreError) -> anyhow::Error {
    let vi = match &error {
        StoreError::InvalidUrl { .. } => {
            "Địa chỉ cơ sở dữ liệu không hợp lệ (dùng sqlite://ĐƯỜNG_DẪN hoặc postgres://…)"
        }
        StoreError::Unreachable { .. } => "Không kết nối được cơ sở dữ liệu",
        StoreError::NewerSchema { .. } => {
            "Cơ sở dữ liệu (hoặc bản sao lưu) do phiên bản baocao mới hơn tạo ra; hãy dùng phiên bản mới hơn"
        }
        StoreError::BackupExists(_) => "Tệp sao lưu đã có; không ghi đè",
        StoreError::NotEmpty(_) => {
            "Cơ sở dữ liệu đích không trống; chỉ khôi phục vào cơ sở dữ liệu trống"
        }
        StoreError::Backup(_) => "Sao lưu hoặc khôi phục không thành công",
        _ => "Lỗi cơ sở dữ liệu",
    };
    anyhow::anyhow!("{vi}.\n{error}")
}

/// Serves until SIGTERM or Ctrl-C, then stops accepting and gives in-flight requests `grace`
/// to finish; what is still running then is cut off (its transaction rolls back).
async fn serve_until_stopped(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    grace: std::time::Duration,
) -> Result<()> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!(
            seconds = grace.as_secs(),
            "stopping: no new connections; finishing in-flight requests"
        );
        let _ = stop.send(true);
    });
    let until = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(until(stopped.clone()));
    tokio::select! {
        served = server => served?,
        _ = async { until(stopped).await; tokio::time::sleep(grace).await } => {
            tracing::warn!("in-flight requests cut off after {} s", grace.as_secs());
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

async fn demo(store: &Store) -> Result<()> {
    // The history runs to yesterday, or to `BAOCAO_DEMO_HISTORY_UNTIL` (tests and the
    // contract checks fix it, at 2026-06-30 as SPEC.md's examples assume) — read before
    // anything is loaded, so a bad value changes nothing.
    let until = match std::env::var("BAOCAO_DEMO_HISTORY_UNTIL") {
        Ok(text) if !text.trim().is_empty() => Some(text.trim().parse().with_context(|| {
            format!("BAOCAO_DEMO_HISTORY_UNTIL={text:?}: cần một ngày YYYY-MM-DD / expected a day YYYY-MM-DD")
        })?),
        _ => None,
    };
    let now = jiff::Timestamp::now();
    let today = now.to_zoned(legal_time_zone()).date();
    tracing::info!("loading the demo data set: agencies, regimes, users, assignments");
    match load_demo(store, today, &stamp(now)).await? {
        LoadOutcome::Loaded => tracing::info!("demo data loaded"),
        LoadOutcome::AlreadyPresent => tracing::info!("demo data already present; nothing changed"),
    }
    // The history is loaded once, after the data set; a later start finds it and moves on.
    let scope = HistoryScope::up_to(until, now);
    if store.setting(baocao_seed::HISTORY_SETTING).await?.is_none() {
        tracing::info!(until = %scope.until, "loading the demo history of accepted reports");
    }
    let bar = progress_bar("demo history");
    load_demo_history_reporting(store, &scope, &|step| {
        bar.update(step.done, step.total, step.regime)
    })
    .await?;
    bar.finish();
    baocao_service::audit::checkpoint(store, &stamp(jiff::Timestamp::now())).await?;
    Ok(())
}

async fn run(cli: Cli, file: FileConfig) -> Result<()> {
    let database_of = |arg: &DatabaseArg| {
        arg.database
            .clone()
            .or(file.database.clone())
            .unwrap_or_else(|| DEFAULT_DATABASE.to_string())
    };
    let keys_of = |arg: &DatabaseArg| KeySource::of(arg.key_file.clone(), &file);
    match cli.command {
        Command::Migrate { database } => {
            let url = database_of(&database);
            open_store_with_keys(&url, &keys_of(&database)).await?;
            println!("migrated {}", redact(&url));
        }
        Command::Backup { database, file } => {
            let url = database_of(&database);
            // As it is: a backup taken before an upgrade must not be migrated by it.
            let store = Store::connect(&url).await.map_err(explain)?;
            let started = std::time::Instant::now();
            let bar = progress_bar("backup");
            let summary = store
                .backup_reporting(&url, &file, &|done, total, unit| {
                    bar.update(done, total, unit)
                })
                .await
                .map_err(explain)?;
            bar.finish();
            store.close().await;
            println!(
                "backed up {} to {} ({} bytes, schema {}) in {:.1} s",
                redact(&url),
                file.display(),
                summary.bytes,
                summary.schema_version,
                started.elapsed().as_secs_f64()
            );
        }
        Command::Restore { database, file } => {
            let url = database_of(&database);
            let bar = progress_bar("restore");
            let summary =
                baocao_store::backup::restore_reporting(&url, &file, &|done, total, unit| {
                    bar.update(done, total, unit)
                })
                .await
                .map_err(explain)?;
            bar.finish();
            // A backup from an older release is brought up to this one.
            open_store(&url).await?.close().await;
            println!(
                "restored {} (schema {}) onto {}; serve it with the key file that sealed its secrets",
                file.display(),
                summary.schema_version,
                redact(&url)
            );
        }
        Command::Demo { database } => {
            let store = open_store_with_keys(&database_of(&database), &keys_of(&database)).await?;
            demo(&store).await?;
        }
        Command::Keys {
            action: KeysAction::Rotate { database },
        } => {
            let KeySource::File(path) = keys_of(&database) else {
                anyhow::bail!(
                    "Xoay khóa cần một tệp khóa (bỏ BAOCAO_KEYS) / rotating keys needs a key file (unset BAOCAO_KEYS)"
                );
            };
            let source = KeySource::File(path.clone());
            // Everything must open with the keys as they are before a new one is added.
            let store = open_store_with_keys(&database_of(&database), &source).await?;
            let old = std::fs::read_to_string(&path)?;
            let line =
                Keyring::new_key_line(&jiff::Timestamp::now().strftime("%Y%m%d").to_string());
            let (comments, keys): (Vec<&str>, Vec<&str>) = old
                .lines()
                .partition(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
            let text = format!("{}\n{line}\n{}\n", comments.join("\n"), keys.join("\n"));
            let keyring = Keyring::parse(&text)?;
            let current = keyring.current().to_string();
            write_private(&path, &text)?;
            let resealed = store.with_keyring(keyring).reseal_secrets().await?;
            println!(
                "new current key {current}; {resealed} secrets resealed; older keys kept in {}",
                path.display()
            );
        }
        Command::Audit { action } => return audit(action, &database_of, &keys_of).await,
        Command::Standardisation { database } => {
            let store = open_store(&database_of(&database)).await?;
            let errors = standardisation(&store).await?;
            store.close().await;
            if errors > 0 {
                std::process::exit(1);
            }
        }
        Command::Serve {
            database,
            bind,
            demo: with_demo,
            smtp_url,
            smtp_ca_file,
            mail_from,
            public_url,
            max_in_flight,
            metrics_token,
            max_body_bytes,
            max_push_bytes,
            trust_anchors,
            revocation_lists,
            read_database_url,
            replica_max_lag,
        } => {
            let url = database_of(&database);
            let bind = bind
                .or(file.bind.clone())
                .unwrap_or_else(|| DEFAULT_BIND.to_string());
            let address: SocketAddr = bind
                .parse()
                .with_context(|| format!("Địa chỉ lắng nghe không hợp lệ / invalid --bind address {bind:?} (expected HOST:PORT)"))?;
            // Every setting is checked before the database is touched: a mistake fails the start
            // at once, not after the demo's load.
            let mail = match smtp_url.or(file.smtp_url.clone()) {
                None => None,
                Some(smtp_url) => {
                    let ca_certificate_pem = match smtp_ca_file.or(file.smtp_ca_file.clone()) {
                        Some(path) => Some(std::fs::read_to_string(&path).with_context(|| {
                            format!(
                                "không đọc được chứng thư CA của máy chủ thư / cannot read the SMTP CA file {}",
                                path.display()
                            )
                        })?),
                        None => None,
                    };
                    let config = baocao_web::mail::MailConfig {
                        smtp_url,
                        ca_certificate_pem,
                        from: mail_from
                            .or(file.mail_from.clone())
                            .unwrap_or_else(|| "baocao <no-reply@localhost>".to_string()),
                    };
                    // A mistyped relay fails the start, not the first reminder at night.
                    baocao_web::mail::relay(&config)
                        .context("cấu hình máy chủ thư không hợp lệ / invalid mail settings")?;
                    Some(config)
                }
            };
            let defaults = WebConfig::default();
            let config = WebConfig {
                secure_cookies: file.secure_cookies.unwrap_or(false),
                public_url: public_url.or(file.public_url.clone()),
                require_second_factor: file.require_second_factor.unwrap_or(false),
                mail,
                limits: file.limits,
                max_in_flight: max_in_flight
                    .or(file.max_in_flight)
                    .unwrap_or(defaults.max_in_flight),
                max_body_bytes: max_body_bytes
                    .or(file.max_body_bytes)
                    .unwrap_or(defaults.max_body_bytes),
                max_push_bytes: max_push_bytes
                    .or(file.max_push_bytes)
                    .unwrap_or(defaults.max_push_bytes),
                metrics_token: metrics_token
                    .or(file.metrics_token.clone())
                    .filter(|t| !t.is_empty()),
                sso_providers: file.oidc.clone(),
                password_login: file.password_login.unwrap_or(true),
                trust: baocao_service::reporting::signing::TrustFiles {
                    anchors: trust_anchors.or(file.trust_anchors.clone()),
                    revocation_lists: if revocation_lists.is_empty() {
                        file.revocation_lists.clone()
                    } else {
                        revocation_lists
                    },
                },
                ..defaults
            };
            config.trust.load().map_err(|why| {
                anyhow::anyhow!(
                    "Không đọc được chứng thư tin cậy hoặc danh sách thu hồi / cannot read the trust anchors or revocation lists: {why}"
                )
            })?;
            config.check().map_err(|why| {
                anyhow::anyhow!("Cấu hình đăng nhập không hợp lệ / invalid sign-in settings: {why}")
            })?;
            let store = open_store_with_keys(&url, &keys_of(&database)).await?;
            if with_demo {
                demo(&store).await?;
            } else if store.is_empty().await? {
                tracing::warn!(
                    "the database is empty; start with --demo to load the demo data set"
                );
            }
            tracing::info!("gathering the query planner's statistics");
            store
                .refresh_statistics()
                .await
                .context("thống kê cho bộ lập kế hoạch truy vấn / planner statistics")?;
            let mut state = AppState::new(store.clone(), Arc::new(SystemClock), config);
            if let Some(standby_url) = read_database_url {
                let standby = Store::connect(&standby_url).await.with_context(|| {
                    format!(
                        "Không kết nối được bản sao đọc / cannot reach the read database {}",
                        redact(&standby_url)
                    )
                })?;
                let max_lag =
                    std::time::Duration::try_from_secs_f64(replica_max_lag.unwrap_or(5.0).max(0.0))
                        .context("độ trễ cho phép không hợp lệ / invalid replica lag")?;
                tracing::info!(standby = %redact(&standby_url), ?max_lag, "analytics read from a standby while it keeps up");
                state.services = state.services.clone().with_replica(standby, max_lag);
            }
            spawn_reminders(state.clone());
            spawn_table_warming(state.clone());
            spawn_rollup_upkeep(state.clone());
            spawn_connectors(state.clone());
            let defaults = baocao_service::audit::CheckpointPolicy::default();
            let policy = baocao_service::audit::CheckpointPolicy {
                events: file
                    .audit_checkpoint_events
                    .unwrap_or(defaults.events)
                    .max(1),
                seconds: file
                    .audit_checkpoint_seconds
                    .unwrap_or(defaults.seconds)
                    .max(1),
            };
            spawn_audit_checkpoints(store.clone(), policy);
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("Không mở được cổng / cannot listen on {address}"))?;
            tracing::info!(%address, database = %redact(&url), "baocao is serving; open http://{address}/");
            let grace = std::time::Duration::from_secs(file.shutdown_seconds.unwrap_or(10));
            serve_until_stopped(listener, router(state), grace).await?;
            // A connection still held by a cut-off request is not waited for.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), store.close()).await;
        }
    }
    Ok(())
}

/// The `audit` commands.
async fn audit(
    action: AuditAction,
    database_of: &dyn Fn(&DatabaseArg) -> String,
    keys_of: &dyn Fn(&DatabaseArg) -> KeySource,
) -> Result<()> {
    use baocao_service::audit;
    let now = stamp(jiff::Timestamp::now());
    match action {
        AuditAction::Verify {
            bundle: Some(path),
            keys,
            ..
        } => {
            let file = std::fs::File::open(&path)
                .with_context(|| format!("Không mở được tệp / cannot open {}", path.display()))?;
            let lines = std::io::BufRead::lines(std::io::BufReader::new(file))
                .map(|line| line.map_err(|e| e.to_string()));
            let trusted = (!keys.is_empty()).then_some(keys.as_slice());
            match baocao_domain::audit::check_bundle(lines, trusted) {
                Ok(checked) => println!(
                    "bundle sound: events {}–{} ({}), {} checkpoints signed by {}",
                    checked.first,
                    checked.last,
                    checked.events,
                    checked.checkpoints,
                    checked.public_keys.join(", ")
                ),
                Err(refusal) => {
                    eprintln!("Gói bị từ chối / bundle refused: {refusal}");
                    std::process::exit(1);
                }
            }
        }
        AuditAction::Verify { database, .. } => {
            let store = open_store(&database_of(&database)).await?;
            let bar = progress_bar("audit verify: events");
            let verification =
                audit::verify_reporting(&store, &|done, total| bar.update(done, total, "")).await?;
            bar.finish();
            store.close().await;
            for finding in &verification.findings {
                println!("{finding}");
            }
            println!(
                "{} events, last {}, {} checkpoints (signed through event {}): {}",
                verification.events,
                verification.last,
                verification.checkpoints,
                verification.signed_through,
                if verification.sound() {
                    "sound / toàn vẹn".to_string()
                } else {
                    format!("{} findings / phát hiện", verification.findings.len())
                }
            );
            if !verification.sound() {
                std::process::exit(1);
            }
        }
        AuditAction::Export {
            database,
            from,
            to,
            out,
        } => {
            let store = open_store_with_keys(&database_of(&database), &keys_of(&database)).await?;
            let mut file =
                std::io::BufWriter::new(std::fs::File::create(&out).with_context(|| {
                    format!("Không tạo được tệp / cannot create {}", out.display())
                })?);
            let exported =
                audit::export(&store, from.as_deref(), to.as_deref(), &now, &mut file).await?;
            store.close().await;
            println!(
                "exported events {}–{} ({}) with {} checkpoints to {}",
                exported.first,
                exported.last,
                exported.events,
                exported.checkpoints,
                out.display()
            );
        }
        AuditAction::Checkpoint { database } => {
            let store = open_store_with_keys(&database_of(&database), &keys_of(&database)).await?;
            match audit::checkpoint(&store, &now).await? {
                Some(signed) => println!("checkpoint signed at event {}", signed.seq),
                None => println!("the last event is already signed (or the chain is empty)"),
            }
            store.close().await;
        }
        AuditAction::Keys { database } => {
            let store = open_store(&database_of(&database)).await?;
            for key in store.audit_public_keys().await? {
                println!("{key}");
            }
            store.close().await;
        }
    }
    Ok(())
}

/// Prints the standardisation report, one line per problem, and answers how many regimes
/// have an error.
async fn standardisation(store: &Store) -> anyhow::Result<usize> {
    use baocao_domain::regime::Severity;
    let indicators = store.indicators(None).await?;
    let categories = store.categories().await?;
    let mut with_errors = 0;
    for regime in store.regimes(None).await? {
        let context = baocao_domain::rules::RuleContext {
            regime: regime.content(),
            indicators: &indicators,
            categories: &categories,
        };
        let problems =
            baocao_domain::registry::standardisation_problems(regime.content(), &context);
        if problems.iter().any(|p| p.severity == Severity::Error) {
            with_errors += 1;
        }
        if problems.is_empty() {
            println!("{}\tok", regime.code());
        }
        for problem in problems {
            println!(
                "{}\t{}\t{}\t{} / {}",
                regime.code(),
                problem.severity,
                problem.code,
                problem.message,
                problem.message_en
            );
        }
    }
    Ok(with_errors)
}

/// Keeps the indicator tables' answers computed: now, then every minute (only what changed is
/// recomputed; see `baocao_web::aggregates`). Before each round it folds the periods' appended
/// changes into their counters, so reading a counter stays one probe.
fn spawn_table_warming(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(error) = state.store.fold_period_changes().await {
                tracing::warn!(%error, "period changes not folded");
            }
            if let Err(error) = state.store.tune_statistics().await {
                tracing::warn!(%error, "planner statistics not refreshed");
            }
            let started = std::time::Instant::now();
            let tables = baocao_service::tables::warm(&state).await;
            tracing::debug!(
                tables,
                seconds = started.elapsed().as_secs_f64(),
                "indicator tables warm"
            );
        }
    });
}

/// Keeps the roll-ups of today's hierarchy current: every few seconds, the periods that
/// changed and then stayed quiet are summed again (see `baocao_service::rollups`).
fn spawn_rollup_upkeep(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(ROLLUP_SECONDS));
        let mut seen = baocao_service::rollups::UpkeepState::default();
        loop {
            tick.tick().await;
            let started = std::time::Instant::now();
            match baocao_service::rollups::upkeep(&state, &mut seen).await {
                Ok(done) if done.rebuilt > 0 => tracing::debug!(
                    rebuilt = done.rebuilt,
                    seconds = started.elapsed().as_secs_f64(),
                    "roll-ups rebuilt"
                ),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "roll-ups not kept up"),
            }
        }
    });
}

/// How often the roll-ups' upkeep looks for quiet changed periods: a period is summed within
/// two rounds of its last change.
const ROLLUP_SECONDS: u64 = 5;

/// Signs audit checkpoints while the server serves: every few seconds it looks whether
/// enough events, or enough time, followed the last one.
fn spawn_audit_checkpoints(store: Store, policy: baocao_service::audit::CheckpointPolicy) {
    // Looked at often enough to keep the policy's time within a few seconds.
    let every = u64::try_from(policy.seconds).unwrap_or(60).clamp(1, 10);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(every));
        loop {
            tick.tick().await;
            let now = jiff::Timestamp::now();
            match baocao_service::audit::checkpoint_if_due(&store, now, policy).await {
                Ok(Some(signed)) => tracing::debug!(seq = signed.seq, "audit checkpoint signed"),
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "audit checkpoint not signed"),
            }
        }
    });
}

/// Runs the due connectors every half minute while the server serves; a run that fails is
/// logged in the connector's run log and retried by its back-off, not here.
fn spawn_connectors(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
        loop {
            tick.tick().await;
            match baocao_web::connectors::run_due(&state).await {
                Ok(runs) => {
                    for (code, run) in runs {
                        tracing::info!(
                            connector = code,
                            succeeded = run.succeeded,
                            stored = run.stored,
                            rejected = run.rejected,
                            "connector run"
                        );
                    }
                }
                Err(error) => tracing::warn!(%error, "connectors not run"),
            }
        }
    });
}

/// Runs the reminder job now and every 15 minutes while the server serves, then emails what
/// it wrote when a relay is configured. A failed run is logged and retried at the next tick;
/// the job itself never sends a reminder twice.
fn spawn_reminders(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(15 * 60));
        loop {
            tick.tick().await;
            match baocao_web::reminders::run_reminders(&state).await {
                Ok(0) => {}
                Ok(created) => tracing::info!(created, "reminders sent"),
                Err(error) => tracing::warn!(
                    %error,
                    "the reminder job failed; it runs again later"
                ),
            }
            match baocao_web::mail::send_pending_emails(&state).await {
                Ok(0) => {}
                Ok(sent) => tracing::info!(sent, "reminder emails sent"),
                Err(error) => {
                    tracing::warn!(%error, "reminder emails failed; they are retried later")
                }
            }
        }
    });
}

fn main() {
    let cli = Cli::parse();
    let file = read_config(&cli.config);
    let format = cli
        .log_format
        .or(file.as_ref().ok().and_then(|f| f.log_format))
        .unwrap_or(LogFormat::Text);
    // Each request's access line (`baocao::access`) is there for whoever asks for it:
    // BAOCAO_LOG=info,baocao::access=info.
    let filter = tracing_subscriber::EnvFilter::try_from_env("BAOCAO_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn,baocao::access=warn".into());
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = PROGRESS_BARS.set(format == LogFormat::Text && terminal);
    // Colours for a person at a terminal only: a log file or collector gets plain text.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(terminal)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().with_current_span(true).init(),
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            std::process::exit(1);
        }
    };
    let outcome = match file {
        Ok(file) => runtime.block_on(run(cli, file)),
        Err(error) => Err(error),
    };
    // Blocking work still running (a parse cut off at shutdown) is not waited for.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    if let Err(error) = outcome {
        eprintln!("Lỗi / error: {error:#}");
        std::process::exit(1);
    }
}
