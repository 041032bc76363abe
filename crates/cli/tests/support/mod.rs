//! What the command-line tests share: the binary under test, a plain HTTP client, a server
//! started on a demo database, the demo's commune reports, and scratch PostgreSQL databases.
#![allow(dead_code)] // each test binary uses its own part of it

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The build of baocao under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_baocao");

/// A key file of the test's own, beside its database (never one in the working folder).
pub fn key_file(args: &[&str]) -> String {
    let database = args
        .windows(2)
        .find(|pair| pair[0] == "--database")
        .map(|pair| pair[1])
        .unwrap_or("");
    match database.strip_prefix("sqlite://") {
        Some(path) => format!("{path}.key"),
        None => std::env::temp_dir()
            .join(format!("baocao-cli-{}.key", std::process::id()))
            .display()
            .to_string(),
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A plain HTTP/1.1 request on loopback; answers the status and the body (as text).
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).ok()?;
    // Binary bodies (a PDF) read as text lossily: the tests look at the status and at JSON.
    let answer = String::from_utf8_lossy(&bytes);
    let status = answer.split_whitespace().nth(1)?.parse().ok()?;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `serve --demo` with the demo's history up to `until` (an early day loads next to none:
/// for tests that only write).
pub fn serve_with_history(database: &str, port: u16, until: &str) -> Server {
    serve_binary(BIN, database, port, until)
}

/// [`serve_with_history`] by another build of baocao (`binary`: its path).
pub fn serve_binary(binary: &str, database: &str, port: u16, until: &str) -> Server {
    let child = Command::new(binary)
        .args([
            "serve",
            "--demo",
            "--database",
            database,
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .env("BAOCAO_CONFIG", "/nonexistent/baocao.toml")
        .env("BAOCAO_DEMO_HISTORY_UNTIL", until)
        .env("BAOCAO_KEY_FILE", key_file(&["--database", database]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start baocao serve");
    let server = Server(child);
    let started = Instant::now();
    // Loading the demo history unoptimised, beside another test doing the same, is slow.
    while started.elapsed() < Duration::from_secs(400) {
        if http(port, "GET", "/healthz", None, "").is_some_and(|(status, _)| status == 200) {
            return server;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("the server did not become healthy");
}

/// A bearer token of the demo's administrator.
pub fn admin_token(port: u16) -> String {
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/auth/token",
        None,
        r#"{"username":"admin","password":"demo"}"#,
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let login: serde_json::Value = serde_json::from_str(&body).unwrap();
    login["token"].as_str().unwrap().to_string()
}

pub const COMMUNE_REGIME: &str = "BC-TTATGT-T";

pub fn commune_draft(accidents: u64) -> String {
    serde_json::json!({
        "version": 0,
        "values": [
            {"form": "Biểu 01/TTATGT", "row": "XH11", "column": "this_period", "value": accidents},
        ],
    })
    .to_string()
}

/// The communes assigned the commune regime today, by code.
pub fn communes_now(port: u16, token: &str) -> Vec<String> {
    let (status, body) = http(
        port,
        "GET",
        &format!("/api/v1/regimes/{COMMUNE_REGIME}/assignments"),
        Some(token),
        "",
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let assignments: serde_json::Value = serde_json::from_str(&body).unwrap();
    let mut communes: Vec<String> = assignments["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["valid_to"].is_null())
        .filter_map(|a| a["reporting_agency"].as_str().map(str::to_string))
        .collect();
    communes.sort();
    communes.dedup();
    communes
}

/// This month in Vietnam (YYYYMM), the period the communes' drafts are saved for.
pub fn this_month() -> String {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(7)))
        .strftime("%Y%m")
        .to_string()
}

/// Checks that a commune's report holds the number of accidents it was acknowledged with.
pub fn assert_kept(port: u16, token: &str, commune: &str, period: &str, accidents: u64) {
    let path = format!("/api/v1/reports/{COMMUNE_REGIME}/{commune}/{period}");
    let (status, body) = http(port, "GET", &path, Some(token), "").unwrap();
    assert_eq!(status, 200, "{commune}: {body}");
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    let kept = report["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["row"] == "XH11" && v["column"] == "this_period")
        .map(|v| v["value"].clone());
    assert_eq!(
        kept,
        Some(serde_json::json!(accidents.to_string())),
        "{commune} acknowledged {accidents}: {body}"
    );
}

/// A PostgreSQL database of the test's own on the test server, dropped when it goes; `None`
/// (the test skips) when no server answers, unless BAOCAO_REQUIRE_POSTGRES=1.
pub struct ScratchPostgres {
    server: String,
    name: String,
    pub url: String,
}

impl ScratchPostgres {
    pub fn create(purpose: &str) -> Option<Self> {
        let server = std::env::var("BAOCAO_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
        let name = format!("baocao_{purpose}_{}", std::process::id());
        if !psql(&server, &format!("CREATE DATABASE {name}")) {
            assert!(
                std::env::var("BAOCAO_REQUIRE_POSTGRES")
                    .ok()
                    .is_none_or(|v| v != "1"),
                "PostgreSQL is required but no database could be made at {server}"
            );
            eprintln!("PostgreSQL unreachable at {server}; skipping");
            return None;
        }
        let url = match server.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("a database URL: {server}"),
        };
        Some(Self { server, name, url })
    }
}

impl Drop for ScratchPostgres {
    fn drop(&mut self) {
        // Killed servers' sessions may take a moment to go; the drop is tried for a while.
        let dropped = (0..30).any(|attempt| {
            if attempt > 0 {
                std::thread::sleep(Duration::from_secs(1));
            }
            psql(
                &self.server,
                &format!("DROP DATABASE {} WITH (FORCE)", self.name),
            )
        });
        if !dropped && !std::thread::panicking() {
            panic!("the test's database {} could not be dropped", self.name);
        }
    }
}

pub fn psql(server: &str, sql: &str) -> bool {
    Command::new("psql")
        .args([server, "-qtAc", sql])
        .output()
        .is_ok_and(|o| o.status.success())
}
