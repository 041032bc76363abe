//! The binary as a person runs it: bad configuration fails clearly, and a demo server keeps
//! its data across a restart without loading the demo twice.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::*;

fn run(args: &[&str]) -> Output {
    run_with_keys(args, None)
}

/// Runs baocao; `keys` (key lines) replace the key file when given.
fn run_with_keys(args: &[&str], keys: Option<&str>) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("BAOCAO_DATABASE_URL")
        .env_remove("BAOCAO_KEYS")
        .env("BAOCAO_CONFIG", "/nonexistent/baocao.toml")
        // The history SPEC.md's examples assume, whatever today is.
        .env("BAOCAO_DEMO_HISTORY_UNTIL", "2026-06-30")
        .env("BAOCAO_KEY_FILE", key_file(args));
    if let Some(keys) = keys {
        command.env("BAOCAO_KEYS", keys);
    }
    command.output().expect("run baocao")
}

#[test]
fn a_malformed_database_url_fails_in_both_languages() {
    let output = run(&["migrate", "--database", "mysql://localhost/x"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Địa chỉ cơ sở dữ liệu không hợp lệ")
            && stderr.contains("invalid database URL"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
}

#[test]
fn an_unreachable_postgres_fails_clearly() {
    let output = run(&[
        "migrate",
        "--database",
        "postgres://postgres@127.0.0.1:1/test",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Không kết nối được cơ sở dữ liệu")
            && stderr.contains("cannot reach the database"),
        "{stderr}"
    );
}

#[test]
fn a_bad_history_end_fails_clearly() {
    let dir = std::env::temp_dir().join(format!("baocao-cli-history-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}", dir.join("baocao.db").display());
    let output = Command::new(BIN)
        .args(["demo", "--database", &database])
        .env_remove("BAOCAO_DATABASE_URL")
        .env_remove("BAOCAO_KEYS")
        .env("BAOCAO_CONFIG", "/nonexistent/baocao.toml")
        .env("BAOCAO_KEY_FILE", dir.join("baocao.key"))
        .env("BAOCAO_DEMO_HISTORY_UNTIL", "soon")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("BAOCAO_DEMO_HISTORY_UNTIL") && stderr.contains("YYYY-MM-DD"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sign-in settings that cannot work (passwords off, no identity provider) stop the start
/// before the database is opened: no demo is loaded first, no file is made.
#[test]
fn bad_sign_in_settings_fail_before_the_database_is_touched() {
    let dir = std::env::temp_dir().join(format!("baocao-cli-signin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("baocao.toml");
    std::fs::write(&config, "password_login = false\n").unwrap();
    let database = dir.join("baocao.db");
    let output = Command::new(BIN)
        .args(["serve", "--demo", "--database"])
        .arg(format!("sqlite://{}", database.display()))
        .env("BAOCAO_CONFIG", &config)
        .env("BAOCAO_KEY_FILE", dir.join("baocao.key"))
        .env_remove("BAOCAO_DATABASE_URL")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Cấu hình đăng nhập không hợp lệ")
            && stderr.contains("invalid sign-in settings")
            && stderr.contains("needs an identity provider"),
        "{stderr}"
    );
    assert!(!database.exists(), "the database was opened first");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_bad_listen_address_fails_clearly() {
    let dir = std::env::temp_dir().join(format!("baocao-cli-bind-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}", dir.join("x.db").display());
    let output = run(&["serve", "--database", &database, "--bind", "not-an-address"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid --bind address"));
    let _ = std::fs::remove_dir_all(dir);
}

/// Trust anchors that do not read stop the start before the database is touched, naming the
/// file, in Vietnamese and English.
#[test]
fn trust_anchors_that_do_not_read_fail_the_start_clearly() {
    let dir = std::env::temp_dir().join(format!("baocao-cli-trust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}", dir.join("x.db").display());
    let garbage = dir.join("anchors.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let missing = dir.join("missing.pem");
    for anchors in [&garbage, &missing] {
        let output = run(&[
            "serve",
            "--database",
            &database,
            "--trust-anchors",
            anchors.to_str().unwrap(),
        ]);
        assert!(!output.status.success());
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(
            said.contains("Không đọc được chứng thư tin cậy")
                && said.contains("cannot read the trust anchors")
                && said.contains(anchors.to_str().unwrap()),
            "{said}"
        );
    }
    assert!(!dir.join("x.db").exists(), "the database was not touched");
    let _ = std::fs::remove_dir_all(dir);
}

fn regimes(port: u16) -> String {
    let token = admin_token(port);
    let (status, body) = http(port, "GET", "/api/v1/regimes", Some(&token), "").unwrap();
    assert_eq!(status, 200);
    body
}

#[test]
fn a_restart_on_the_same_database_keeps_everything_and_loads_nothing_twice() {
    let dir = std::env::temp_dir().join(format!("baocao-cli-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}", dir.join("baocao.db").display());
    let port = free_port();
    // A season of history is enough to see that nothing loads twice.
    let before = {
        let _server = serve_with_history(&database, port, "2025-03-31");
        regimes(port)
    };
    assert!(before.contains("BC-KTXH-T"));
    let _server = serve_with_history(&database, port, "2025-03-31");
    assert_eq!(regimes(port), before, "the same regimes, not a second copy");
    drop(_server);
    let _ = std::fs::remove_dir_all(dir);
}

/// One demo load (slow unoptimised) serves two stories: the standardisation report, then a
/// rotation of the key-encryption key under which its signing keys are sealed.
#[test]
fn a_loaded_demo_reports_its_regimes_and_rotates_its_keys() {
    let dir = std::env::temp_dir().join(format!("baocao-cli-standard-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}", dir.join("baocao.db").display());
    let loaded = run(&["demo", "--database", &database]);
    assert!(
        loaded.status.success(),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    // Not a terminal: the progress comes as log lines, the last one at the end.
    let log = String::from_utf8_lossy(&loaded.stderr);
    assert!(log.contains("loading the demo history"), "{log}");
    let field = |line: &str, name: &str| -> Option<u64> {
        line.split_whitespace()
            .find_map(|word| word.strip_prefix(&format!("{name}=")))
            .and_then(|n| n.parse().ok())
    };
    let last = log
        .lines()
        .rfind(|l| l.contains("demo history") && l.contains("done="))
        .unwrap_or_else(|| panic!("no progress line: {log}"));
    let total = field(last, "total").unwrap();
    assert!(total > 50, "{last}");
    assert_eq!(field(last, "done"), Some(total), "{last}");
    // The history ends where the environment says (the contract checks' 2026-06-30).
    let ends: String = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&database).await.unwrap();
        let ends = sqlx::query_scalar("SELECT value FROM settings WHERE key = 'demo_history'")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        ends
    });
    assert_eq!(ends, "2026-06-30");
    let report = run(&["standardisation", "--database", &database]);
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(
        report.status.success(),
        "no demo regime has an error: {text}"
    );
    for regime in [
        "BC-KTXH-T",
        "BC-TM-T",
        "BC-TTATGT-T",
        "BC-KSTTHC-Q",
        "BC-VBDT-Q",
        "BC-DSHN-N",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{regime}\t"))),
            "{regime} is listed: {text}"
        );
    }
    assert!(
        text.contains("warning\tindicator_without_definition"),
        "{text}"
    );

    audit_of_a_loaded_demo(&dir, &database);

    let keys = key_file(&["--database", &database]);
    let key_lines = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect()
    };
    let old = key_lines(&std::fs::read_to_string(&keys).expect("a key file was created"));
    assert_eq!(old.len(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &str| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&keys), 0o600);
        assert_eq!(mode(database.trim_start_matches("sqlite://")), 0o600);
    }
    let rotated = run(&["keys", "rotate", "--database", &database]);
    let said = String::from_utf8_lossy(&rotated.stdout);
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let resealed: usize = said
        .split("; ")
        .nth(1)
        .and_then(|part| part.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        resealed > 100,
        "every agency's signing key resealed: {said}"
    );
    let now = key_lines(&std::fs::read_to_string(&keys).unwrap());
    assert_eq!(now.len(), 2, "the new key first, the old kept");
    assert_eq!(now[1], old[0]);
    // Everything is sealed under the new key: it alone opens the database, the old alone not.
    let with_new = run_with_keys(&["migrate", "--database", &database], Some(&now[0]));
    assert!(
        with_new.status.success(),
        "{}",
        String::from_utf8_lossy(&with_new.stderr)
    );
    let with_old = run_with_keys(&["migrate", "--database", &database], Some(&old[0]));
    assert!(!with_old.status.success());
    assert!(
        String::from_utf8_lossy(&with_old.stderr).contains("does not open the sealed secrets"),
        "{}",
        String::from_utf8_lossy(&with_old.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The demo's audit trail verifies; its exported bundle verifies alone (against the server's
/// published key) and is refused once a byte changes; a value changed with SQL is named and
/// makes `audit verify` fail.
fn audit_of_a_loaded_demo(dir: &std::path::Path, database: &str) {
    let text = |output: &Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    };
    let verified = run(&["audit", "verify", "--database", database]);
    assert!(verified.status.success(), "{}", text(&verified));
    assert!(text(&verified).contains("sound"), "{}", text(&verified));

    let bundle = dir.join("audit.jsonl");
    let bundle_path = bundle.to_str().unwrap();
    let exported = run(&[
        "audit",
        "export",
        "--database",
        database,
        "--out",
        bundle_path,
    ]);
    assert!(exported.status.success(), "{}", text(&exported));
    let keys = run(&["audit", "keys", "--database", database]);
    let key = String::from_utf8_lossy(&keys.stdout).trim().to_string();
    assert_eq!(key.len(), 64, "one Ed25519 public key: {key}");
    let alone = run(&["audit", "verify", "--bundle", bundle_path, "--key", &key]);
    assert!(alone.status.success(), "{}", text(&alone));
    let mut bytes = std::fs::read(&bundle).unwrap();
    let at = bytes.len() / 2;
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(&bundle, bytes).unwrap();
    let refused = run(&["audit", "verify", "--bundle", bundle_path]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("bundle refused"),
        "{}",
        text(&refused)
    );
    let stranger = "00".repeat(32);
    let untrusted = run(&[
        "audit",
        "verify",
        "--bundle",
        bundle_path,
        "--key",
        &stranger,
    ]);
    assert!(!untrusted.status.success());

    // A copy of the database, changed behind the application's back.
    let source = database.trim_start_matches("sqlite://");
    let copy = dir.join("tampered.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::copy(
            format!("{source}{suffix}"),
            format!("{}{suffix}", copy.display()),
        );
    }
    let tampered_url = format!("sqlite://{}", copy.display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&tampered_url).await.unwrap();
        sqlx::query("UPDATE data_values SET value_num = value_num + 1 WHERE indicator_id = (SELECT MIN(indicator_id) FROM data_values)")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let tampered = run(&["audit", "verify", "--database", &tampered_url]);
    assert!(!tampered.status.success());
    assert!(
        text(&tampered).contains("table data_values"),
        "{}",
        text(&tampered)
    );
}

/// Communes save their drafts, eight at a time, while the server is killed (SIGKILL, no
/// shutdown) once a first batch is acknowledged; after a restart on the same database every
/// acknowledged save is there with the number sent.
fn no_acknowledged_save_is_lost_when_the_server_is_killed(database: &str) {
    let port = free_port();
    // The communes' drafts need the directory and the assignments, not years of history.
    let mut server = serve_with_history(database, port, "2025-01-31");
    let token = admin_token(port);
    let communes = communes_now(port, &token);
    assert!(communes.len() > 1000, "{}", communes.len());
    let period = this_month();

    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, u64)>::new()));
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let mine: Vec<String> = communes.iter().skip(writer).step_by(8).cloned().collect();
            let (token, period, acknowledged) =
                (token.clone(), period.clone(), acknowledged.clone());
            std::thread::spawn(move || {
                for (n, commune) in mine.into_iter().enumerate() {
                    let accidents = 1 + (n as u64 * 8 + writer as u64) % 97;
                    let path = format!("/api/v1/reports/{COMMUNE_REGIME}/{commune}/{period}/draft");
                    match http(port, "PUT", &path, Some(&token), &commune_draft(accidents)) {
                        Some((200, _)) => {
                            acknowledged.lock().unwrap().push((commune, accidents));
                        }
                        Some((status, body)) => panic!("{status} {body}"),
                        // The server is gone.
                        None => return,
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 200 && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    for writer in writers {
        writer.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 200, "{}", acknowledged.len());
    assert!(
        acknowledged.len() < communes.len(),
        "the kill came while saves were still being sent"
    );

    let _server = serve_with_history(database, port, "2025-01-31");
    let token = admin_token(port);
    for (commune, accidents) in &acknowledged {
        assert_kept(port, &token, commune, &period, *accidents);
    }
}

#[test]
fn sqlite_loses_no_acknowledged_save_when_killed() {
    let dir = std::env::temp_dir().join(format!("baocao-cli-kill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}", dir.join("baocao.db").display());
    no_acknowledged_save_is_lost_when_the_server_is_killed(&database);
    let _ = std::fs::remove_dir_all(dir);
}

/// PostgreSQL in a database of the test's own, made and dropped with `psql`.
#[test]
fn postgres_loses_no_acknowledged_save_when_killed() {
    let Some(database) = ScratchPostgres::create("kill") else {
        return;
    };
    no_acknowledged_save_is_lost_when_the_server_is_killed(&database.url);
}

/// Every table of a database as its rows in text, sorted (row order is not the database's
/// promise), by table name; PostgreSQL's sequences too.
async fn every_table(database: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut tables = std::collections::BTreeMap::new();
    if let Some(path) = database.strip_prefix("sqlite://") {
        if !std::path::Path::new(path).exists() {
            return tables;
        }
        let pool = sqlx::SqlitePool::connect(database).await.unwrap();
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        for name in names {
            let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
                .bind(&name)
                .fetch_all(&pool)
                .await
                .unwrap();
            let row = columns
                .iter()
                .map(|c| format!("quote(\"{c}\")"))
                .collect::<Vec<_>>()
                .join(" || char(31) || ");
            let mut rows: Vec<String> =
                sqlx::query_scalar(&format!("SELECT {row} FROM \"{name}\""))
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            rows.sort();
            tables.insert(name, rows);
        }
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(database).await.unwrap();
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        for name in names {
            let mut rows: Vec<String> = sqlx::query_scalar(&format!(
                "SELECT whole_row_::text FROM \"{name}\" AS whole_row_"
            ))
            .fetch_all(&pool)
            .await
            .unwrap();
            rows.sort();
            tables.insert(name, rows);
        }
        let sequences: Vec<String> = sqlx::query_scalar(
            "SELECT sequencename || '=' || COALESCE(last_value, 0) FROM pg_sequences WHERE schemaname = current_schema() ORDER BY 1",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        tables.insert("(sequences)".into(), sequences);
        pool.close().await;
    }
    tables
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Runtime::new().unwrap().block_on(future)
}

/// A statement run on the test's database (SQLite or PostgreSQL).
async fn execute(database: &str, sql: &str) {
    if database.starts_with("sqlite://") {
        let pool = sqlx::SqlitePool::connect(database).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(database).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A backup taken while the server serves restores to a database whose audit trail verifies;
/// one taken at rest restores to a database identical table by table; a file is never
/// overwritten, a database that holds anything is never restored onto, and a backup from a
/// newer schema is refused, changing nothing.
fn a_backup_restores_to_the_same_database(dir: &std::path::Path, databases: [&str; 4]) {
    let [source, restored, restored_while_serving, refused] = databases;
    let file = |name: &str| dir.join(name).display().to_string();
    let port = free_port();
    let server = serve_with_history(source, port, "2025-01-31");
    let while_serving = file("while-serving.backup");
    let backup = run(&["backup", "--database", source, &while_serving]);
    assert!(backup.status.success(), "{}", said(&backup));
    assert!(said(&backup).contains("backed up"), "{}", said(&backup));
    let again = run(&["backup", "--database", source, &while_serving]);
    assert!(!again.status.success());
    assert!(
        said(&again).contains("không ghi đè") && said(&again).contains("never overwrites"),
        "{}",
        said(&again)
    );
    drop(server);

    let restore = run(&[
        "restore",
        "--database",
        restored_while_serving,
        &while_serving,
    ]);
    assert!(restore.status.success(), "{}", said(&restore));
    let verified = run(&["audit", "verify", "--database", restored_while_serving]);
    assert!(
        verified.status.success() && said(&verified).contains("sound"),
        "{}",
        said(&verified)
    );

    let at_rest = file("at-rest.backup");
    let backup = run(&["backup", "--database", source, &at_rest]);
    assert!(backup.status.success(), "{}", said(&backup));
    let restore = run(&["restore", "--database", restored, &at_rest]);
    assert!(restore.status.success(), "{}", said(&restore));
    let original = block_on(every_table(source));
    assert!(
        original
            .get("data_values")
            .is_some_and(|rows| !rows.is_empty()),
        "the demo holds values"
    );
    assert!(original.len() > 30, "{:?}", original.keys());
    let copy = block_on(every_table(restored));
    assert_eq!(
        original.keys().collect::<Vec<_>>(),
        copy.keys().collect::<Vec<_>>()
    );
    for (table, rows) in &original {
        let missing: Vec<_> = rows
            .iter()
            .filter(|r| !copy[table].contains(r))
            .take(3)
            .collect();
        let added: Vec<_> = copy[table]
            .iter()
            .filter(|r| !rows.contains(r))
            .take(3)
            .collect();
        assert!(
            copy[table] == *rows,
            "{table} differs after the round trip: {missing:?} became {added:?}"
        );
    }
    let onto_full = run(&["restore", "--database", restored, &at_rest]);
    assert!(!onto_full.status.success());
    assert!(
        said(&onto_full).contains("không trống") && said(&onto_full).contains("not empty"),
        "{}",
        said(&onto_full)
    );
    assert!(
        block_on(every_table(restored)) == original,
        "nothing changed"
    );

    block_on(execute(
        source,
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         SELECT 99991231000000, 'from a newer baocao', success, checksum, 0 FROM _sqlx_migrations \
         ORDER BY version DESC LIMIT 1",
    ));
    let newer = file("newer.backup");
    let backup = run(&["backup", "--database", source, &newer]);
    assert!(backup.status.success(), "{}", said(&backup));
    let restore = run(&["restore", "--database", refused, &newer]);
    assert!(!restore.status.success());
    assert!(
        said(&restore).contains("mới hơn") && said(&restore).contains("newer"),
        "{}",
        said(&restore)
    );
    let untouched = block_on(every_table(refused));
    assert!(
        untouched.keys().all(|name| name == "(sequences)") && untouched.values().all(Vec::is_empty),
        "{:?}",
        untouched.keys()
    );
}

#[test]
fn sqlite_backups_restore_to_the_same_database() {
    let dir = std::env::temp_dir().join(format!("baocao-cli-backup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let databases = ["source", "restored", "while-serving", "refused"]
        .map(|name| format!("sqlite://{}", dir.join(format!("{name}.db")).display()));
    a_backup_restores_to_the_same_database(&dir, databases.each_ref().map(String::as_str));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn postgres_backups_restore_to_the_same_database() {
    let dir = std::env::temp_dir().join(format!("baocao-cli-pgbackup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let Some(databases) = ["source", "restored", "serving", "refused"]
        .map(|purpose| ScratchPostgres::create(&format!("backup_{purpose}")))
        .into_iter()
        .collect::<Option<Vec<_>>>()
    else {
        return;
    };
    let urls: Vec<&str> = databases.iter().map(|d| d.url.as_str()).collect();
    a_backup_restores_to_the_same_database(&dir, [urls[0], urls[1], urls[2], urls[3]]);
    let _ = std::fs::remove_dir_all(dir);
}

/// With JSON logs every line on standard error is one JSON object, and a request's access line
/// carries the id its caller sent, which the answer echoes in `X-Request-Id`.
#[test]
fn json_logs_follow_a_request_by_its_id() {
    let dir = std::env::temp_dir().join(format!("baocao-cli-logs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}", dir.join("baocao.db").display());
    let port = free_port();
    let child = Command::new(BIN)
        .args([
            "serve",
            "--database",
            &database,
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .env("BAOCAO_CONFIG", "/nonexistent/baocao.toml")
        .env("BAOCAO_KEY_FILE", dir.join("baocao.key"))
        .env("BAOCAO_LOG_FORMAT", "json")
        .env("BAOCAO_LOG", "info,sqlx=warn,baocao::access=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    let started = Instant::now();
    while http(port, "GET", "/healthz", None, "").is_none_or(|(status, _)| status != 200) {
        assert!(started.elapsed() < Duration::from_secs(60), "not healthy");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .write_all(
            b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: trace-me-42\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer
            .lines()
            .any(|l| l.eq_ignore_ascii_case("x-request-id: trace-me-42")),
        "{answer}"
    );
    std::thread::sleep(Duration::from_millis(300));
    server.0.kill().unwrap();
    let mut logs = String::new();
    server
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("serving"))),
        "{logs}"
    );
    let access = lines
        .iter()
        .find(|l| l["span"]["id"] == "trace-me-42")
        .unwrap_or_else(|| panic!("no line of the request: {logs}"));
    assert_eq!(access["target"], "baocao::access");
    assert_eq!(access["fields"]["status"], 200);
    assert_eq!(access["span"]["path"], "/readyz");
    let _ = std::fs::remove_dir_all(dir);
}

/// A PostgreSQL cluster of the test's own (initdb, pg_ctl from the machine's PostgreSQL), so
/// that it can be restarted under load without disturbing the shared server; run as the
/// `postgres` user when the test runs as root (initdb refuses root).
struct PrivateCluster {
    bin: std::path::PathBuf,
    dir: std::path::PathBuf,
    port: u16,
    as_postgres: bool,
}

impl PrivateCluster {
    fn start() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(Result::ok)
            .map(|entry| entry.path().join("bin"))
            .filter(|bin| bin.join("pg_ctl").exists())
            .max()?;
        let as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let dir = std::env::temp_dir().join(format!("baocao-pgcluster-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let cluster = Self {
            bin,
            dir,
            port: free_port(),
            as_postgres,
        };
        if as_postgres {
            let owned = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&cluster.dir)
                .status()
                .is_ok_and(|s| s.success());
            assert!(owned, "chown the cluster's folder");
        }
        let data = cluster.dir.join("data");
        cluster.run(
            "initdb",
            &[
                "-D",
                &data.display().to_string(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        cluster.pg_ctl("start");
        Some(cluster)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn run(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        let output = if self.as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&program)
                .args(args)
                .output()
        } else {
            Command::new(&program).args(args).output()
        }
        .unwrap();
        assert!(
            output.status.success(),
            "{}: {}{}",
            program.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// `pg_ctl ACTION` (start, restart: fast shutdown, waits until it answers again).
    fn pg_ctl(&self, action: &str) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.dir.join("data").display().to_string(),
                "-l",
                &self.dir.join("log").display().to_string(),
                "-o",
                &options,
                "-m",
                "fast",
                "-w",
                action,
            ],
        );
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let data = self.dir.join("data").display().to_string();
        let stop = ["-D", data.as_str(), "-m", "immediate", "stop"];
        let program = self.bin.join("pg_ctl");
        let _ = if self.as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&program)
                .args(stop)
                .output()
        } else {
            Command::new(&program).args(stop).output()
        };
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// PostgreSQL restarted while communes save: every answer meanwhile is 200 or 503 (never 500),
/// the server comes back by itself, and every acknowledged save is there afterwards.
#[test]
fn a_postgres_restart_under_load_is_answered_503_and_loses_nothing() {
    let Some(cluster) = PrivateCluster::start() else {
        assert!(
            std::env::var("BAOCAO_REQUIRE_POSTGRES")
                .ok()
                .is_none_or(|v| v != "1"),
            "PostgreSQL's programs (pg_ctl) are required"
        );
        eprintln!("no PostgreSQL programs to start a cluster with; skipping");
        return;
    };
    let port = free_port();
    let database = cluster.url();
    let _server = serve_with_history(&database, port, "2025-01-31");
    let token = admin_token(port);
    let communes = communes_now(port, &token);
    let period = this_month();
    let answers = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, u64, u16)>::new()));
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let mine: Vec<String> = communes.iter().skip(writer).step_by(8).cloned().collect();
            let (token, period, answers) = (token.clone(), period.clone(), answers.clone());
            std::thread::spawn(move || {
                for (n, commune) in mine.into_iter().enumerate() {
                    let accidents = 1 + (n as u64 * 8 + writer as u64) % 89;
                    let path = format!("/api/v1/reports/{COMMUNE_REGIME}/{commune}/{period}/draft");
                    let (status, body) =
                        http(port, "PUT", &path, Some(&token), &commune_draft(accidents))
                            .expect("the server keeps answering");
                    assert!(status == 200 || status == 503, "{commune}: {status} {body}");
                    if status == 503 {
                        assert!(
                            body.contains("database_unavailable") || body.contains("overloaded"),
                            "{body}"
                        );
                    }
                    answers.lock().unwrap().push((commune, accidents, status));
                }
            })
        })
        .collect();
    let started = Instant::now();
    while answers.lock().unwrap().len() < 100 && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let before = answers.lock().unwrap().len();
    cluster.pg_ctl("restart");
    let ready = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(200));
        http(port, "GET", "/readyz", None, "").is_some_and(|(status, _)| status == 200)
    });
    assert!(ready, "the server is ready again after the restart");
    for writer in writers {
        writer.join().unwrap();
    }
    let answers = answers.lock().unwrap().clone();
    let refused = answers.iter().filter(|(_, _, s)| *s == 503).count();
    eprintln!(
        "{} saves, {before} before the restart, {refused} answered 503",
        answers.len()
    );
    assert!(
        answers[before..].iter().any(|(_, _, s)| *s == 200),
        "saves succeed again after the restart"
    );
    for (commune, accidents, _) in answers.iter().filter(|(_, _, s)| *s == 200) {
        assert_kept(port, &token, commune, &period, *accidents);
    }
}
