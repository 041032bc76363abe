//! The crash harness in the default test run: a few kills on each backend (the full run is
//! `rush --scenarios crash --kills 100`, README "Benchmarks"), against the `baocao` binary
//! built beside `rush`.

use std::path::PathBuf;
use std::process::Command;

fn server_binary() -> Option<PathBuf> {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_rush"))
        .parent()?
        .join("baocao");
    if binary.exists() {
        return Some(binary);
    }
    assert!(
        std::env::var("CI").is_err(),
        "the baocao binary is not beside rush: {}",
        binary.display()
    );
    eprintln!("no baocao binary beside rush; build it (cargo build -p baocao) to run this");
    None
}

fn a_few_kills_lose_nothing(backend: &str) {
    let Some(server) = server_binary() else {
        return;
    };
    let output = Command::new(env!("CARGO_BIN_EXE_rush"))
        .args(["--backend", backend, "--scenarios", "crash", "--kills", "3"])
        .args(["--history-until", "2025-01-31", "--server"])
        .arg(&server)
        .output()
        .expect("rush runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{said}");
    let line = |name: &str| {
        said.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no {name} line: {said}"))
            .to_string()
    };
    assert!(line("kills").ends_with(" 3"), "{said}");
    assert!(line("lost").ends_with(" 0"), "{said}");
    assert!(line("audit verify").contains("sound"), "{said}");
    let acknowledged = line("acknowledged writes");
    let saved: usize = acknowledged
        .split_whitespace()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        saved > 0,
        "some writes were acknowledged before the kills: {said}"
    );
}

#[test]
fn a_few_kills_lose_nothing_on_sqlite() {
    a_few_kills_lose_nothing("sqlite");
}

#[test]
fn a_few_kills_lose_nothing_on_postgres() {
    let url = std::env::var("BAOCAO_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
    let reachable = Command::new("psql")
        .args([url.as_str(), "-qtAc", "SELECT 1"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !reachable {
        assert!(
            std::env::var("BAOCAO_REQUIRE_POSTGRES")
                .ok()
                .is_none_or(|v| v != "1"),
            "PostgreSQL is required"
        );
        eprintln!("PostgreSQL unreachable; skipping");
        return;
    }
    a_few_kills_lose_nothing("postgres");
}
