//! Real clients of DHIS2 and SDMX from PyPI (dhis2.py, dhis2-client, sdmx1, pysdmx), unchanged,
//! against the server on a real port: `peers/peers.py` pushes and reads back, and reads every
//! flow in every representation the clients know, with numbers equal to the analytics API's.
//!
//! The Python with those clients is `BAOCAO_PEER_PYTHON` (`.ci/run` makes one); without it
//! the test says so and passes, unless `BAOCAO_REQUIRE_PEERS=1` (CI), where it fails.

use baocao_test_support::reported_value as value;
use baocao_test_support::{TestApp, app_tests};

/// Reported figures for the flows to publish: retail sales by province and month, population
/// by sex, applications by channel; decimals whose sums float-point arithmetic would blur.
async fn reported(app: &TestApp) {
    let mut values = Vec::new();
    for (agency, base) in [("01", 45460.4), ("79", 70419.06)] {
        for (month, step) in [("202609", 0.1), ("202610", 0.2), ("202611", 0.7)] {
            values.push(value("KT04", agency, month, &[], base + step));
        }
        values.push(value(
            "XH01",
            agency,
            "2025",
            &[("sex", "male")],
            base / 20.0,
        ));
        values.push(value(
            "XH01",
            agency,
            "2025",
            &[("sex", "female")],
            base / 19.0,
        ));
        values.push(value(
            "HC02",
            agency,
            "2026Q3",
            &[("channel", "online")],
            120.0,
        ));
        values.push(value(
            "HC02",
            agency,
            "2026Q3",
            &[("channel", "direct")],
            35.0,
        ));
    }
    app.db
        .store
        .upsert_values(&values, "2026-11-26T08:00:00Z")
        .await
        .expect("store the figures");
}

async fn real_dhis2_and_sdmx_clients_push_and_read_back(app: TestApp) {
    let Some(python) = std::env::var_os("BAOCAO_PEER_PYTHON") else {
        assert!(
            std::env::var_os("BAOCAO_REQUIRE_PEERS").is_none(),
            "BAOCAO_REQUIRE_PEERS is set but BAOCAO_PEER_PYTHON names no Python"
        );
        eprintln!("skipped: BAOCAO_PEER_PYTHON names no Python with the peer clients");
        return;
    };
    reported(&app).await;
    let base = app.spawn().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/peers.py");
    // The clients block; the server answers them on this test's runtime meanwhile.
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .arg(&base)
            .output()
            .expect("run the peer clients")
    })
    .await
    .expect("the peer clients ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.trim_end().ends_with("OK"),
        "peer clients failed:\n{stdout}\n{stderr}"
    );
    eprintln!("{stdout}");
}

app_tests!(real_dhis2_and_sdmx_clients_push_and_read_back);
