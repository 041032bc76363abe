//! The binary as a person runs it: bad configuration fails clearly, and a demo server keeps
//! its data across a restart without loading the demo twice.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_baocao");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("BAOCAO_DATABASE_URL")
        .env("BAOCAO_CONFIG", "/nonexistent/baocao.toml")
        .output()
        .expect("run baocao")
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
fn a_bad_listen_address_fails_clearly() {
    let dir = std::env::temp_dir().join(format!("baocao-cli-bind-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}", dir.join("x.db").display());
    let output = run(&["serve", "--database", &database, "--bind", "not-an-address"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid --bind address"));
    let _ = std::fs::remove_dir_all(dir);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A plain HTTP/1.1 request on loopback; answers the status and the body.
fn http(
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
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split_whitespace().nth(1)?.parse().ok()?;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(database: &str, port: u16) -> Server {
    let child = Command::new(BIN)
        .args([
            "serve",
            "--demo",
            "--database",
            database,
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .env("BAOCAO_CONFIG", "/nonexistent/baocao.toml")
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

fn regimes(port: u16) -> String {
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/auth/token",
        None,
        r#"{"username":"admin","password":"demo"}"#,
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let token = body
        .split("\"token\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
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
    let before = {
        let _server = serve(&database, port);
        regimes(port)
    };
    assert!(before.contains("BC-KTXH-T"));
    let _server = serve(&database, port);
    assert_eq!(regimes(port), before, "the same regimes, not a second copy");
    drop(_server);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_standardisation_command_reports_every_regime() {
    let dir = std::env::temp_dir().join(format!("baocao-cli-standard-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}", dir.join("baocao.db").display());
    let loaded = run(&["demo", "--database", &database]);
    assert!(
        loaded.status.success(),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
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
    let _ = std::fs::remove_dir_all(dir);
}
