//! Backups of a whole database and their restoration onto an empty one.
//!
//! SQLite: `VACUUM INTO` writes a consistent copy from one read transaction, so it runs while
//! the server keeps writing (WAL lets both go on) and needs no second tool; the copy is a
//! plain database file. PostgreSQL: `pg_dump`'s custom format (one snapshot, compressed),
//! restored by `pg_restore` in one transaction. Either way a backup is written beside its
//! destination and renamed into place only once complete, and it carries the schema version
//! (`_sqlx_migrations`), so a restore refuses one taken by a newer baocao before it touches
//! anything.

use std::path::{Path, PathBuf};

use crate::{Db, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS, Store, StoreError};

/// What a backup or a restore handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    /// The last migration applied to the database the backup was taken from.
    pub schema_version: i64,
    /// The backup file's size.
    pub bytes: u64,
}

/// Told how far a backup or a restore has gone: done and total, in the unit named.
pub type BackupProgress<'a> = &'a (dyn Fn(u64, u64, &'static str) + Sync);

/// How often a growing file's size is told.
const WATCH_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

fn failed(what: impl std::fmt::Display) -> StoreError {
    StoreError::Backup(what.to_string())
}

/// `FILE.partial` beside `file`: written first, renamed over `file` when complete.
fn partial(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

fn file_size(file: &Path) -> Result<u64, StoreError> {
    Ok(std::fs::metadata(file)
        .map_err(|e| failed(format!("{}: {e}", file.display())))?
        .len())
}

/// The path of a `sqlite://PATH[?…]` URL.
fn sqlite_path(url: &str) -> Option<&str> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    Some(path.split('?').next().unwrap_or(path))
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Runs `work` while telling `progress` the size of `file` as it grows towards `expected` bytes.
async fn watching_size<T>(
    file: &Path,
    expected: u64,
    progress: BackupProgress<'_>,
    work: impl std::future::Future<Output = T>,
) -> T {
    let watch = async {
        loop {
            let written = std::fs::metadata(file).map_or(0, |m| m.len());
            progress(written.min(expected), expected, "bytes");
            tokio::time::sleep(WATCH_EVERY).await;
        }
    };
    tokio::select! {
        done = work => done,
        never = watch => never,
    }
}

/// Runs a PostgreSQL client tool with `--verbose`, telling `progress` each table it reaches
/// (a line of its error output containing `marker`) out of `tables`; its other error output
/// becomes the error.
async fn run_tool_counting(
    program: &str,
    args: &[&std::ffi::OsStr],
    marker: &str,
    tables: u64,
    progress: BackupProgress<'_>,
) -> Result<(), StoreError> {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(program)
        .arg("--verbose")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| {
            failed(format!(
                "{program}: {e} (is the PostgreSQL client installed?)"
            ))
        })?;
    let mut said = Vec::new();
    let mut reached = 0u64;
    if let Some(stderr) = child.stderr.take() {
        let mut lines = tokio::io::BufReader::new(stderr).lines();
        while let Some(line) = lines
            .next_line()
            .await
            .map_err(|e| failed(format!("{program}: {e}")))?
        {
            if line.contains(marker) {
                reached += 1;
                progress(reached.min(tables), tables, "tables");
            } else if !line.starts_with(&format!("{program}: "))
                || line.contains("error:")
                || line.contains("warning:")
            {
                // Not one of --verbose's steps.
                said.push(line);
            }
        }
    }
    let status = child
        .wait()
        .await
        .map_err(|e| failed(format!("{program}: {e}")))?;
    if status.success() {
        progress(tables, tables, "tables");
        Ok(())
    } else {
        Err(failed(format!("{program}: {}", said.join("\n").trim())))
    }
}

/// Runs a PostgreSQL client tool; its error output becomes the error.
async fn run_tool(program: &str, args: &[&std::ffi::OsStr]) -> Result<Vec<u8>, StoreError> {
    let output = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| {
            failed(format!(
                "{program}: {e} (is the PostgreSQL client installed?)"
            ))
        })?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(failed(format!(
            "{program}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

/// The newest migration this build carries for `url`'s backend.
fn known_version(url: &str) -> Option<i64> {
    let migrator = if is_postgres(url) {
        &POSTGRES_MIGRATIONS
    } else {
        &SQLITE_MIGRATIONS
    };
    migrator.iter().map(|m| m.version).max()
}

const LAST_MIGRATION: &str = "SELECT MAX(version) FROM _sqlx_migrations WHERE success";

impl Store {
    /// Whether the database holds any table (in its current schema, on PostgreSQL).
    async fn holds_tables(&self) -> Result<bool, StoreError> {
        let count: i64 = match &self.db {
            Db::Sqlite(pool) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'")
                    .fetch_one(pool)
                    .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()",
                )
                .fetch_one(pool)
                .await?
            }
        };
        Ok(count > 0)
    }

    /// Writes a consistent copy of the whole database to `file` while others keep reading
    /// and writing. `url` is the one this store was opened with (`pg_dump` connects by
    /// itself). Refuses to overwrite an existing file.
    pub async fn backup(&self, url: &str, file: &Path) -> Result<BackupSummary, StoreError> {
        self.backup_reporting(url, file, &|_, _, _| ()).await
    }

    /// [`Store::backup`], telling `progress` the bytes written (SQLite) or the tables dumped
    /// (PostgreSQL) so far.
    pub async fn backup_reporting(
        &self,
        url: &str,
        file: &Path,
        progress: BackupProgress<'_>,
    ) -> Result<BackupSummary, StoreError> {
        if file.exists() {
            return Err(StoreError::BackupExists(file.display().to_string()));
        }
        let temporary = partial(file);
        let _ = std::fs::remove_file(&temporary);
        let schema_version: Option<i64> = match &self.db {
            Db::Sqlite(pool) => {
                let mut connection = pool.acquire().await?;
                // The pages in use: about what the compacted copy will weigh.
                let expected: i64 = sqlx::query_scalar(
                    "SELECT (page_count - freelist_count) * page_size \
                     FROM pragma_page_count, pragma_freelist_count, pragma_page_size",
                )
                .fetch_one(&mut *connection)
                .await?;
                // One read transaction: the version and the copy are of the same moment.
                let copy = sqlx::query("VACUUM INTO $1")
                    .bind(temporary.display().to_string())
                    .execute(&mut *connection);
                watching_size(
                    &temporary,
                    u64::try_from(expected).unwrap_or(0),
                    progress,
                    copy,
                )
                .await?;
                let copy = crate::connect_sqlite_read_only(&temporary, true).await?;
                let version = sqlx::query_scalar(LAST_MIGRATION).fetch_one(&copy).await;
                copy.close().await;
                version?
            }
            Db::Postgres(pool) => {
                let version = sqlx::query_scalar(LAST_MIGRATION).fetch_one(pool).await?;
                let tables: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()",
                )
                .fetch_one(pool)
                .await?;
                run_tool_counting(
                    "pg_dump",
                    &[
                        "--format=custom".as_ref(),
                        "--no-owner".as_ref(),
                        "--no-privileges".as_ref(),
                        "--file".as_ref(),
                        temporary.as_os_str(),
                        "--dbname".as_ref(),
                        url.as_ref(),
                    ],
                    "dumping contents of table",
                    u64::try_from(tables).unwrap_or(0),
                    progress,
                )
                .await?;
                version
            }
        };
        let Some(schema_version) = schema_version else {
            let _ = std::fs::remove_file(&temporary);
            return Err(failed("the database has no schema yet (run migrate first)"));
        };
        crate::private_file(&temporary.display().to_string())
            .map_err(|e| failed(format!("{}: {e}", temporary.display())))?;
        std::fs::rename(&temporary, file)
            .map_err(|e| failed(format!("{}: {e}", file.display())))?;
        Ok(BackupSummary {
            schema_version,
            bytes: file_size(file)?,
        })
    }
}

/// The last successful migration in `pg_restore`'s text of the migrations table (a COPY
/// block whose first line names the columns).
fn last_migration_in_copy(text: &str) -> Option<i64> {
    let mut lines = text.lines().skip_while(|line| !line.starts_with("COPY "));
    let columns: Vec<&str> = lines
        .next()
        .and_then(|copy| copy.split_once('(')?.1.split_once(')'))
        .map(|(names, _)| names.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let at = |name: &str| columns.iter().position(|c| *c == name);
    let (version, success) = (at("version")?, at("success")?);
    lines
        .take_while(|line| *line != "\\.")
        .map(|line| line.split('\t').collect::<Vec<_>>())
        .filter(|fields| fields.get(success) == Some(&"t"))
        .filter_map(|fields| fields.get(version)?.parse::<i64>().ok())
        .max()
}

/// The schema version a backup file was taken at, read without restoring it.
pub async fn backup_version(url: &str, file: &Path) -> Result<i64, StoreError> {
    if !file.is_file() {
        return Err(failed(format!("{}: no such backup file", file.display())));
    }
    let version = if is_postgres(url) {
        // The migrations table's rows as COPY text, its columns named in the COPY line.
        let text = run_tool(
            "pg_restore",
            &[
                "--data-only".as_ref(),
                "--table=_sqlx_migrations".as_ref(),
                "--file=-".as_ref(),
                file.as_os_str(),
            ],
        )
        .await?;
        last_migration_in_copy(&String::from_utf8_lossy(&text))
    } else {
        let copy = crate::connect_sqlite_read_only(file, true)
            .await
            .map_err(|e| failed(format!("{}: not a baocao backup ({e})", file.display())))?;
        let check: Result<String, sqlx::Error> = sqlx::query_scalar("PRAGMA quick_check")
            .fetch_one(&copy)
            .await;
        let version: Result<Option<i64>, sqlx::Error> =
            sqlx::query_scalar(LAST_MIGRATION).fetch_one(&copy).await;
        copy.close().await;
        match check {
            Ok(answer) if answer == "ok" => {}
            Ok(answer) => return Err(failed(format!("{}: damaged: {answer}", file.display()))),
            Err(e) => {
                return Err(failed(format!(
                    "{}: not a baocao backup ({e})",
                    file.display()
                )));
            }
        }
        version.map_err(|e| failed(format!("{}: not a baocao backup ({e})", file.display())))?
    };
    version.ok_or_else(|| failed(format!("{}: not a baocao backup", file.display())))
}

/// Restores `file` onto the empty database at `url`. Refuses, changing nothing, a backup
/// from a newer schema and a database that holds any table. The caller migrates afterwards
/// (a backup from an older release is brought up to this one).
pub async fn restore(url: &str, file: &Path) -> Result<BackupSummary, StoreError> {
    restore_reporting(url, file, &|_, _, _| ()).await
}

/// [`restore`], telling `progress` the tables restored (PostgreSQL) or the bytes copied
/// (SQLite) so far.
pub async fn restore_reporting(
    url: &str,
    file: &Path,
    progress: BackupProgress<'_>,
) -> Result<BackupSummary, StoreError> {
    let schema_version = backup_version(url, file).await?;
    if known_version(url).is_some_and(|known| schema_version > known) {
        return Err(StoreError::NewerSchema {
            version: schema_version,
        });
    }
    if is_postgres(url) {
        let store = Store::connect(url).await?;
        let holds_tables = store.holds_tables().await;
        store.close().await;
        if holds_tables? {
            return Err(StoreError::NotEmpty(crate::redact(url)));
        }
        let contents = run_tool("pg_restore", &["--list".as_ref(), file.as_os_str()]).await?;
        let tables = String::from_utf8_lossy(&contents)
            .lines()
            .filter(|line| !line.starts_with(';') && line.contains(" TABLE DATA "))
            .count();
        run_tool_counting(
            "pg_restore",
            &[
                "--no-owner".as_ref(),
                "--no-privileges".as_ref(),
                "--single-transaction".as_ref(),
                "--exit-on-error".as_ref(),
                "--dbname".as_ref(),
                url.as_ref(),
                file.as_os_str(),
            ],
            "processing data for table",
            tables as u64,
            progress,
        )
        .await?;
    } else {
        let Some(target) = sqlite_path(url) else {
            return Err(StoreError::InvalidUrl {
                url: url.to_string(),
                reason: "expected sqlite://PATH or postgres://…".into(),
            });
        };
        let target = Path::new(target);
        if target.exists() && file_size(target)? > 0 {
            let existing = crate::connect_sqlite_read_only(target, false).await?;
            let tables: Result<i64, sqlx::Error> =
                sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'")
                    .fetch_one(&existing)
                    .await;
            existing.close().await;
            if tables? > 0 {
                return Err(StoreError::NotEmpty(target.display().to_string()));
            }
        }
        let temporary = partial(target);
        let copy = tokio::fs::copy(file, &temporary);
        watching_size(&temporary, file_size(file)?, progress, copy)
            .await
            .map_err(|e| failed(format!("{}: {e}", temporary.display())))?;
        crate::private_file(&temporary.display().to_string())
            .map_err(|e| failed(format!("{}: {e}", temporary.display())))?;
        // An empty database's journal files belong to nothing now.
        for suffix in ["-wal", "-shm"] {
            let mut name = target.as_os_str().to_owned();
            name.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(name));
        }
        std::fs::rename(&temporary, target)
            .map_err(|e| failed(format!("{}: {e}", target.display())))?;
    }
    Ok(BackupSummary {
        schema_version,
        bytes: file_size(file)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_version_is_read_from_pg_restores_text() {
        let text = "SET x = 0;\nCOPY public._sqlx_migrations (version, description, installed_on, success, checksum, execution_time) FROM stdin;\n1\tfoundation\t2026-12-07 10:38:06+00\tt\t\\\\x07\t39576\n22\tidentities\t2026-12-07 10:38:07+00\tt\t\\\\x08\t1\n23\tbroken\t2026-12-07 10:38:08+00\tf\t\\\\x09\t1\n\\.\n";
        assert_eq!(last_migration_in_copy(text), Some(22));
        assert_eq!(last_migration_in_copy("no copy here"), None);
    }
}
