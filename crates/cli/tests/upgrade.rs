//! Upgrading without stopping (docs/OPERATIONS.md), from the previous release's database: the
//! previous release serves a database and takes writes; this build migrates it while it keeps
//! serving; both releases serve it side by side, each reading what the other wrote; the previous
//! one stops, and everything it acknowledged is there.
//!
//! The previous release is the commit `deploy/previous-release` names. `.ci/run` builds it once
//! per machine and passes its binary as `BAOCAO_PREVIOUS_RELEASE_BIN`; without that variable the
//! test says so and passes, unless `BAOCAO_REQUIRE_PREVIOUS_RELEASE=1`.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::*;

/// The previous release's binary, or `None` (the test skips) when none was built.
fn previous_release() -> Option<String> {
    match std::env::var("BAOCAO_PREVIOUS_RELEASE_BIN") {
        Ok(path) if std::path::Path::new(&path).is_file() => Some(path),
        other => {
            let required = std::env::var("BAOCAO_REQUIRE_PREVIOUS_RELEASE").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "the previous release's binary is required (BAOCAO_PREVIOUS_RELEASE_BIN: {other:?})"
            );
            eprintln!("no previous release built (BAOCAO_PREVIOUS_RELEASE_BIN); skipping");
            None
        }
    }
}

/// The migrations applied to a database, by version.
fn applied_migrations(database: &str) -> Vec<i64> {
    const SQL: &str = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        if database.starts_with("sqlite://") {
            let pool = sqlx::SqlitePool::connect(database).await.unwrap();
            let versions = sqlx::query_scalar(SQL).fetch_all(&pool).await.unwrap();
            pool.close().await;
            versions
        } else {
            let pool = sqlx::PgPool::connect(database).await.unwrap();
            let versions = sqlx::query_scalar(SQL).fetch_all(&pool).await.unwrap();
            pool.close().await;
            versions
        }
    })
}

/// Saves the commune's draft through the server on `port`; the number sent.
fn save(port: u16, token: &str, commune: &str, period: &str, accidents: u64) -> (String, u64) {
    let path = format!("/api/v1/reports/{COMMUNE_REGIME}/{commune}/{period}/draft");
    let (status, body) = http(port, "PUT", &path, Some(token), &commune_draft(accidents))
        .expect("the server answers");
    assert_eq!(status, 200, "{commune}: {body}");
    (commune.to_string(), accidents)
}

/// Submits the commune's report through the server on `port`.
fn submit(port: u16, token: &str, commune: &str, period: &str) {
    let path = format!("/api/v1/reports/{COMMUNE_REGIME}/{commune}/{period}/submit");
    let (status, body) = http(port, "POST", &path, Some(token), "{}").expect("the server answers");
    assert_eq!(status, 200, "{commune}: {body}");
}

/// Stops a server as systemd does (SIGTERM: in-flight requests finish) and waits for it.
fn stop(mut server: Server) {
    let stopped = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let started = Instant::now();
    while server.0.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the previous release did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn upgrades_without_stopping(previous: &str, database: &str) {
    let (old_port, new_port) = (free_port(), free_port());
    // The communes' drafts need the directory and the assignments, not years of history.
    let old = serve_binary(previous, database, old_port, "2025-01-31");
    let before = applied_migrations(database);
    let old_token = admin_token(old_port);
    let communes = communes_now(old_port, &old_token);
    assert!(communes.len() > 120, "{}", communes.len());
    let period = this_month();
    let mut acknowledged = Vec::new();
    for (n, commune) in communes[..40].iter().enumerate() {
        acknowledged.push(save(old_port, &old_token, commune, &period, 1 + n as u64));
    }

    // This build migrates the database under the running previous release.
    let migrated = Command::new(BIN)
        .args(["migrate", "--database", database])
        .env("BAOCAO_CONFIG", "/nonexistent/baocao.toml")
        .env("BAOCAO_KEY_FILE", key_file(&["--database", database]))
        .output()
        .unwrap();
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    let after = applied_migrations(database);
    assert!(
        after.starts_with(&before) && after.len() >= before.len(),
        "the previous release's migrations stay as they were: {before:?} → {after:?}"
    );
    eprintln!("upgrade applied migrations {:?}", &after[before.len()..]);

    // The previous release keeps reading and writing the migrated schema.
    for (n, commune) in communes[40..80].iter().enumerate() {
        acknowledged.push(save(old_port, &old_token, commune, &period, 100 + n as u64));
    }
    for (commune, accidents) in &acknowledged {
        assert_kept(old_port, &old_token, commune, &period, *accidents);
    }
    // It submits too: its versions carry none of what the new schema added.
    submit(old_port, &old_token, &communes[0], &period);

    // This build serves beside it: each sees what the other wrote.
    let new = serve_binary(BIN, database, new_port, "2025-01-31");
    let (status, body) = http(new_port, "GET", "/readyz", None, "").unwrap();
    assert_eq!(
        status, 200,
        "the new release is ready on the migrated schema: {body}"
    );
    let new_token = admin_token(new_port);
    for (commune, accidents) in &acknowledged {
        assert_kept(new_port, &new_token, commune, &period, *accidents);
    }
    let mut written_by_new = Vec::new();
    for (n, commune) in communes[80..120].iter().enumerate() {
        written_by_new.push(save(new_port, &new_token, commune, &period, 200 + n as u64));
    }
    for (commune, accidents) in &written_by_new {
        assert_kept(old_port, &old_token, commune, &period, *accidents);
    }
    submit(new_port, &new_token, &communes[80], &period);
    // Both versions read as documents through this build, the previous release's without a
    // number from the register it did not know.
    for commune in [&communes[0], &communes[80]] {
        let path =
            format!("/api/v1/reports/{COMMUNE_REGIME}/{commune}/{period}/versions/1/document");
        let (status, body) = http(new_port, "GET", &path, Some(&new_token), "").unwrap();
        assert_eq!(status, 200, "{commune}: {body}");
    }

    // The previous release goes; nothing it acknowledged goes with it.
    stop(old);
    acknowledged.extend(written_by_new);
    for (commune, accidents) in &acknowledged {
        assert_kept(new_port, &new_token, commune, &period, *accidents);
    }
    drop(new);
}

#[test]
fn sqlite_upgrades_from_the_previous_release_without_stopping() {
    let Some(previous) = previous_release() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("baocao-upgrade-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}", dir.join("baocao.db").display());
    upgrades_without_stopping(&previous, &database);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn postgres_upgrades_from_the_previous_release_without_stopping() {
    let Some(previous) = previous_release() else {
        return;
    };
    let Some(database) = ScratchPostgres::create("upgrade") else {
        return;
    };
    upgrades_without_stopping(&previous, &database.url);
}
