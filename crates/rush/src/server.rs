//! The server under load: the release binary started as a process of its own on a fresh
//! database (an SQLite file in a scratch folder, or a new PostgreSQL database made and
//! dropped by the run) with the demo data loaded, stopped with SIGTERM at the end — or killed
//! and started again on the same database, for the crash harness.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sqlx::Connection;

/// Which database the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running server and what to clean up after it.
pub struct Server {
    child: std::process::Child,
    pub base: String,
    /// The database it serves (`sqlite://…` or `postgres://…`).
    pub database: String,
    binary: PathBuf,
    arguments: Vec<String>,
    history_until: Option<String>,
    scratch: PathBuf,
    /// The PostgreSQL database made for the run: (server URL, database name).
    made_database: Option<(String, String)>,
}

/// How to start one.
pub struct Launch<'a> {
    pub binary: &'a Path,
    pub backend: Backend,
    /// A PostgreSQL server (`postgres://…/db`): a database of the run's own is made on it.
    pub postgres_url: &'a str,
    /// Extra arguments to `baocao serve` (`--max-in-flight 64`, …).
    pub extra: &'a [String],
    /// The demo history's last day (`BAOCAO_DEMO_HISTORY_UNTIL`) [default: the server's].
    pub history_until: Option<&'a str>,
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Starts `binary` in `scratch` with its log in `server.log` (appended to on a relaunch).
fn spawn(
    binary: &Path,
    scratch: &Path,
    arguments: &[String],
    history_until: Option<&str>,
    append: bool,
) -> Result<std::process::Child> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(append)
        .write(true)
        .truncate(!append)
        .open(scratch.join("server.log"))?;
    let mut command = std::process::Command::new(binary);
    command
        .current_dir(scratch)
        .args(arguments)
        .env("BAOCAO_CONFIG", scratch.join("none.toml"))
        .env("BAOCAO_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    if let Some(until) = history_until {
        command.env("BAOCAO_DEMO_HISTORY_UNTIL", until);
    }
    command
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> Result<String> {
    let mut parsed = reqwest::Url::parse(url).context("PostgreSQL URL")?;
    parsed.set_path(&format!("/{database}"));
    Ok(parsed.to_string())
}

impl Server {
    pub async fn start(launch: &Launch<'_>) -> Result<Self> {
        let scratch = std::env::temp_dir().join(format!("baocao-rush-{}", std::process::id()));
        std::fs::create_dir_all(&scratch)?;
        let (database, made_database) = match launch.backend {
            Backend::Sqlite => (
                format!("sqlite://{}", scratch.join("rush.db").display()),
                None,
            ),
            Backend::Postgres => {
                let name = format!("baocao_rush_{}", std::process::id());
                let mut admin = sqlx::PgConnection::connect(launch.postgres_url)
                    .await
                    .with_context(|| format!("connecting to {}", launch.postgres_url))?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                    .execute(&mut admin)
                    .await?;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await?;
                admin.close().await?;
                (
                    with_database(launch.postgres_url, &name)?,
                    Some((launch.postgres_url.to_string(), name)),
                )
            }
        };
        let port = free_port()?;
        let mut arguments = vec![
            "serve".to_string(),
            "--demo".to_string(),
            "--database".to_string(),
            database.clone(),
            "--bind".to_string(),
            format!("127.0.0.1:{port}"),
        ];
        arguments.extend(launch.extra.iter().cloned());
        let mut server = Self {
            child: spawn(
                launch.binary,
                &scratch,
                &arguments,
                launch.history_until,
                false,
            )?,
            base: format!("http://127.0.0.1:{port}"),
            database,
            binary: launch.binary.to_path_buf(),
            arguments,
            history_until: launch.history_until.map(str::to_string),
            scratch,
            made_database,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    /// Kills the server at once (SIGKILL: no shutdown, nothing flushed).
    pub fn kill(&mut self) -> Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// Starts the server again on the same database and port, and waits until it answers.
    pub async fn relaunch(&mut self) -> Result<()> {
        self.child = spawn(
            &self.binary,
            &self.scratch,
            &self.arguments,
            self.history_until.as_deref(),
            true,
        )?;
        self.wait_ready().await
    }

    /// Runs the server's binary with `arguments` (another command on the same database,
    /// such as `audit verify`); answers whether it succeeded and what it printed.
    pub fn command(&self, arguments: &[&str]) -> Result<(bool, String)> {
        let output = std::process::Command::new(&self.binary)
            .current_dir(&self.scratch)
            .args(arguments)
            .env("BAOCAO_CONFIG", self.scratch.join("none.toml"))
            .env("BAOCAO_LOG", "warn,sqlx=error")
            .output()?;
        Ok((
            output.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        ))
    }

    async fn wait_ready(&mut self) -> Result<()> {
        let client = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(600) {
            if let Some(status) = self.child.try_wait()? {
                let log =
                    std::fs::read_to_string(self.scratch.join("server.log")).unwrap_or_default();
                bail!("the server stopped ({status}) before answering:\n{log}");
            }
            if let Ok(answer) = client.get(format!("{}/healthz", self.base)).send().await
                && answer.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        bail!("the server did not answer /healthz within 10 minutes")
    }

    /// The server's resident memory now (VmRSS, MiB) and its open file descriptors.
    pub fn footprint(&self) -> Option<(f64, usize)> {
        let pid = self.child.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let resident = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())?
            / 1024.0;
        let descriptors = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count();
        Some((resident, descriptors))
    }

    /// The server's resident memory at its peak so far (VmHWM), in MiB.
    pub fn peak_memory_mib(&self) -> Option<f64> {
        let pid = self.child.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    }

    /// Stops the server (SIGTERM, then a kill after its grace) and removes what the run made.
    pub async fn stop(mut self) -> Result<()> {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let asked = Instant::now();
        while self.child.try_wait()?.is_none() {
            if asked.elapsed() > Duration::from_secs(15) {
                self.child.kill()?;
                self.child.wait()?;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if let Some((url, name)) = &self.made_database {
            let mut admin = sqlx::PgConnection::connect(url).await?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .await?;
        }
        // The server's log is kept for reading the errors it answered.
        let kept = std::env::temp_dir().join("baocao-rush-server.log");
        if std::fs::copy(self.scratch.join("server.log"), &kept).is_ok() {
            println!("rush: the server's log is in {}", kept.display());
        }
        let _ = std::fs::remove_dir_all(&self.scratch);
        Ok(())
    }
}

/// A run that fails before [`Server::stop`] must not leave the server behind.
impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
