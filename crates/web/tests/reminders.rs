//! Reminders: the job turns overdue reports into notifications for the reporting agency's
//! reporters and approvers, once however often it runs, never for a report already sent, and
//! emails them through an SMTP relay (a sink the test starts) once, across failures and
//! restarts — on SQLite and PostgreSQL, with the clock at 2026-11-26. The steps of a report's
//! workflow are told to those they concern: a submission to the receiver's reviewers, a return
//! (with its reason) and an acceptance to the reporting agency's reporters and approvers.

use axum::http::{Method, StatusCode};
use std::sync::Arc;

use baocao_test_support::app::test_now;
use baocao_test_support::smtp::SmtpSink;
use baocao_test_support::{TestApp, app_tests};
use baocao_web::mail::{MailConfig, send_pending_emails};
use baocao_web::reminders::run_reminders;
use baocao_web::{AppState, FixedClock, WebConfig};
use serde_json::{Value, json};

fn has(list: &Value, regime: &str, period: &str, kind: &str) -> bool {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["regime"] == regime && n["period"] == period && n["kind"] == kind)
}

async fn overdue_reports_are_reminded_once_and_sent_ones_not_at_all(app: TestApp) {
    // TP. Hồ Chí Minh sends its November report before the job runs.
    let (hcm, hcm_lead) = (app.login("hcm").await, app.login("hcm-lead").await);
    let cells = json!({"version": 0, "values": [{"form": "Biểu 01/KTXH-T", "row": "KT04", "column": "this_period", "options": {}, "value": "1"}]});
    assert_eq!(
        app.call(
            Method::PUT,
            "/api/v1/reports/BC-KTXH-T/79/202611/draft",
            Some(&hcm),
            Some(&cells)
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        app.call(
            Method::POST,
            "/api/v1/reports/BC-KTXH-T/79/202611/submit",
            Some(&hcm_lead),
            Some(&json!({}))
        )
        .await
        .status,
        StatusCode::OK
    );

    let created = baocao_web::reminders::run_reminders(&app.state)
        .await
        .unwrap();
    assert!(created > 0);
    assert_eq!(
        baocao_web::reminders::run_reminders(&app.state)
            .await
            .unwrap(),
        0,
        "a second run sends nothing"
    );

    let hanoi = app.login("hanoi").await;
    let mine = app.get("/api/v1/notifications", &hanoi).await.json();
    assert!(has(&mine, "BC-KTXH-T", "202611", "overdue"), "{mine}");
    assert!(
        !has(&mine, "BC-KSTTHC-Q", "2026Q4", "overdue"),
        "2026Q4 is not due yet"
    );
    assert_eq!(mine["unread"], mine["total"]);
    let lead = app
        .get("/api/v1/notifications", &app.login("hanoi-lead").await)
        .await
        .json();
    assert!(
        has(&lead, "BC-KTXH-T", "202611", "overdue"),
        "approvers are reminded too"
    );
    let sent = app.get("/api/v1/notifications", &hcm).await.json();
    assert!(
        !has(&sent, "BC-KTXH-T", "202611", "overdue"),
        "a report already sent is not overdue"
    );
    assert!(has(&sent, "BC-KTXH-T", "202610", "overdue"));
    // The receiver hears only of the report sent to it, never of a deadline.
    let reviewer = app
        .get("/api/v1/notifications", &app.login("vpcp").await)
        .await
        .json();
    let kinds: Vec<&str> = reviewer["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["report_submitted"], "reviewers are not reminded");

    let id = mine["items"][0]["id"].as_i64().unwrap();
    let read = app
        .call(
            Method::POST,
            &format!("/api/v1/notifications/{id}/read"),
            Some(&hanoi),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/notifications", &hanoi).await.json()["unread"]
            .as_u64()
            .unwrap()
            + 1,
        mine["unread"].as_u64().unwrap()
    );
    // The page lists them, each leading to its report.
    let page = app
        .send(
            axum::http::Request::builder()
                .uri("/notifications")
                .header("authorization", format!("Bearer {hanoi}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    let html = page.text.replace("&#x2f;", "/");
    assert!(
        html.contains("href=\"/reports/BC-KTXH-T/01/202611\"")
            && html.contains("Quá hạn gửi báo cáo"),
        "{html}"
    );
    let foreign = app
        .call(
            Method::POST,
            &format!("/api/v1/notifications/{id}/read"),
            Some(&hcm),
            None,
        )
        .await;
    assert_eq!(
        foreign.status,
        StatusCode::NOT_FOUND,
        "nobody reads another's notifications"
    );
}

/// The app's state with reminder emails going to `sink` (same database, same fixed clock).
fn with_mail(app: &TestApp, sink: &SmtpSink) -> AppState {
    with_relay(app, &sink.url(), None)
}

/// The app's state with reminder emails going through the relay at `smtp_url`.
fn with_relay(app: &TestApp, smtp_url: &str, ca_certificate_pem: Option<String>) -> AppState {
    AppState::new(
        app.state.store.clone(),
        Arc::new(FixedClock(test_now())),
        WebConfig {
            mail: Some(MailConfig {
                smtp_url: smtp_url.into(),
                ca_certificate_pem,
                from: "baocao <no-reply@baocao.example>".into(),
            }),
            ..WebConfig::default()
        },
    )
}

/// A number no other relay of this test process has (each backend's test starts one).
fn app_nonce() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// An agency's relay as it is run: aiosmtpd (PyPI, `peers/smtp_relay.py`) requiring STARTTLS
/// and a login, its certificate issued by the agency's own CA (made here with `openssl`). The
/// relay is killed when this is dropped.
struct AgencyRelay {
    process: std::process::Child,
    port: u16,
    ca_pem: String,
    received: std::path::PathBuf,
    dir: std::path::PathBuf,
}

impl AgencyRelay {
    async fn start(python: std::ffi::OsString) -> AgencyRelay {
        let dir = std::env::temp_dir().join(format!(
            "baocao-relay-{}-{}",
            std::process::id(),
            app_nonce()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = |name: &str| dir.join(name);
        let openssl = |args: &[&str]| {
            let status = std::process::Command::new("openssl")
                .args(args)
                .current_dir(&dir)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .expect("openssl runs (apt-get install openssl)");
            assert!(status.success(), "openssl {args:?}");
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        openssl(
            &[
                &["req", "-x509"][..],
                &ec,
                &[
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.pem",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=Agency test CA",
                ],
            ]
            .concat(),
        );
        openssl(
            &[
                &["req"][..],
                &ec,
                &[
                    "-keyout",
                    "relay.key",
                    "-out",
                    "relay.csr",
                    "-subj",
                    "/CN=127.0.0.1",
                ],
            ]
            .concat(),
        );
        std::fs::write(
            path("relay.ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "relay.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "relay.pem",
            "-days",
            "2",
            "-extfile",
            "relay.ext",
        ]);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/smtp_relay.py");
        let received = path("received.jsonl");
        let process = std::process::Command::new(python)
            .arg(script)
            .arg(port.to_string())
            .arg(path("relay.pem"))
            .arg(path("relay.key"))
            .args(["relay", "s3cret pass"])
            .arg(&received)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start the relay");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        AgencyRelay {
            process,
            port,
            ca_pem: std::fs::read_to_string(path("ca.pem")).unwrap(),
            received,
            dir,
        }
    }

    /// What the relay accepted, one JSON object a message.
    fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.received)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

impl Drop for AgencyRelay {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Issue 21: reminders go out through a relay that demands STARTTLS and a login
/// (`smtp://USER:PASSWORD@HOST:PORT?tls=required`), its certificate checked against the
/// agency's CA. A wrong password or an unknown certificate sends nothing and marks nothing.
async fn reminders_go_out_over_starttls_with_a_login(app: TestApp) {
    let Some(python) = std::env::var_os("BAOCAO_PEER_PYTHON") else {
        assert!(
            std::env::var_os("BAOCAO_REQUIRE_PEERS").is_none(),
            "BAOCAO_REQUIRE_PEERS is set but BAOCAO_PEER_PYTHON names no Python"
        );
        eprintln!("skipped: BAOCAO_PEER_PYTHON names no Python with aiosmtpd");
        return;
    };
    let relay = AgencyRelay::start(python).await;
    let created = run_reminders(&app.state).await.unwrap();
    assert!(created > 0);
    let url = |password: &str| {
        format!(
            "smtp://relay:{password}@127.0.0.1:{}?tls=required",
            relay.port
        )
    };

    let wrong_password = with_relay(&app, &url("guess"), Some(relay.ca_pem.clone()));
    assert!(send_pending_emails(&wrong_password).await.is_err());
    let unknown_authority = with_relay(&app, &url("s3cret%20pass"), None);
    assert!(send_pending_emails(&unknown_authority).await.is_err());
    assert!(relay.received().is_empty(), "nothing went out");

    let right = with_relay(&app, &url("s3cret%20pass"), Some(relay.ca_pem.clone()));
    let sent = send_pending_emails(&right).await.unwrap();
    assert_eq!(
        sent, created,
        "every pending reminder, none lost to the failures"
    );
    let mails = relay.received();
    assert_eq!(mails.len(), sent);
    assert!(
        mails.iter().all(|m| m["login"] == "relay"
            && m["tls"] == true
            && m["from"] == "no-reply@baocao.example"),
        "{:?}",
        mails.first()
    );
    assert!(
        mails
            .iter()
            .any(|m| m["to"] == json!(["hanoi@baocao.example"])),
        "{:?}",
        mails.first()
    );
    assert_eq!(send_pending_emails(&right).await.unwrap(), 0, "sent once");
}

async fn reminders_are_emailed_once_retried_when_the_relay_fails_and_not_resent_after_a_restart(
    app: TestApp,
) {
    let sink = SmtpSink::start().await;
    let state = with_mail(&app, &sink);
    let created = run_reminders(&state).await.unwrap();
    assert!(created > 0);

    // The relay is down: nothing is lost, nothing is marked sent.
    sink.refuse(true);
    assert!(send_pending_emails(&state).await.is_err());
    assert!(sink.received().is_empty());

    sink.refuse(false);
    let sent = send_pending_emails(&state).await.unwrap();
    assert_eq!(
        sent, created,
        "one email per new notification (every demo user has an address)"
    );
    let mails = sink.received();
    assert_eq!(mails.len(), sent);
    let to_hanoi: Vec<_> = mails
        .iter()
        .filter(|m| m.to == ["hanoi@baocao.example"])
        .collect();
    assert!(
        to_hanoi.iter().any(|m| m
            .text
            .contains("chế độ báo cáo BC-KTXH-T, đơn vị 01, kỳ 202611")
            && m.text.contains("Quá hạn gửi báo cáo")
            && m.text
                .contains("regime BC-KTXH-T, agency 01, period 202611")),
        "{:?}",
        to_hanoi.first()
    );
    assert!(mails.iter().all(|m| m.from == "no-reply@baocao.example"));

    // Another tick, and a restarted server (a new state on the same database): nothing more.
    assert_eq!(run_reminders(&state).await.unwrap(), 0);
    assert_eq!(send_pending_emails(&state).await.unwrap(), 0);
    let restarted = with_mail(&app, &sink);
    assert_eq!(run_reminders(&restarted).await.unwrap(), 0);
    assert_eq!(send_pending_emails(&restarted).await.unwrap(), 0);
    assert_eq!(sink.received().len(), sent);
}

/// The notices of `user` of one kind for the quarterly report of Hà Nội, 2026Q3: (detail).
async fn notices(app: &TestApp, user: &str, kind: &str) -> Vec<Value> {
    let token = app.login(user).await;
    let list = app.get("/api/v1/notifications", &token).await.json();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| {
            n["regime"] == "BC-KSTTHC-Q"
                && n["agency"] == "01"
                && n["period"] == "2026Q3"
                && n["kind"] == kind
        })
        .map(|n| n["detail"].clone())
        .collect()
}

async fn each_step_of_the_workflow_is_told_to_those_it_concerns(app: TestApp) {
    let sink = SmtpSink::start().await;
    let state = with_mail(&app, &sink);
    let slot = "/api/v1/reports/BC-KSTTHC-Q/01/2026Q3";
    let (hanoi, lead, vpcp) = (
        app.login("hanoi").await,
        app.login("hanoi-lead").await,
        app.login("vpcp").await,
    );
    let values = json!([
        {"form": "Biểu 01/KSTTHC", "row": "HC02", "column": "this_period", "value": "5"},
        {"form": "Biểu 01/KSTTHC", "row": "HC03", "column": "this_period", "value": "1"},
    ]);
    let call = |method, path: String, token: &str, body: Value| {
        let token = token.to_string();
        let app = &app;
        async move {
            let answer = app.call(method, &path, Some(&token), Some(&body)).await;
            assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.text);
            answer
        }
    };
    // Nothing saved yet: there is nothing to put before the approver.
    let early = app
        .call(Method::POST, &format!("{slot}/ready"), Some(&hanoi), None)
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text);
    assert_eq!(early.json()["error"]["code"], "no_draft");
    call(
        Method::PUT,
        format!("{slot}/draft"),
        &hanoi,
        json!({"version": 0, "values": values}),
    )
    .await;
    // The reporter tells the approver the draft is ready; once per saved draft; only the
    // report's editors may.
    let ready = call(Method::POST, format!("{slot}/ready"), &hanoi, json!(null)).await;
    assert_eq!(ready.json()["told"], 1, "Hà Nội has one approver");
    let again = call(Method::POST, format!("{slot}/ready"), &hanoi, json!(null)).await;
    assert_eq!(again.json()["told"], 0);
    let stranger = app
        .call(Method::POST, &format!("{slot}/ready"), Some(&vpcp), None)
        .await;
    assert_eq!(stranger.status, StatusCode::FORBIDDEN);
    assert_eq!(notices(&app, "hanoi-lead", "report_ready").await.len(), 1);
    assert!(notices(&app, "hanoi", "report_ready").await.is_empty());
    call(Method::POST, format!("{slot}/submit"), &lead, json!({})).await;
    assert_eq!(notices(&app, "vpcp", "report_submitted").await.len(), 1);
    assert!(notices(&app, "hanoi", "report_submitted").await.is_empty());

    call(
        Method::POST,
        format!("{slot}/return"),
        &vpcp,
        json!({"reason": "Thiếu số liệu HC04"}),
    )
    .await;
    for user in ["hanoi", "hanoi-lead"] {
        assert_eq!(
            notices(&app, user, "report_returned").await,
            [json!("Thiếu số liệu HC04")],
            "{user}"
        );
    }
    assert!(notices(&app, "vpcp", "report_returned").await.is_empty());

    // Sent again, it is told again; accepted, the reporting agency hears of it.
    call(Method::POST, format!("{slot}/submit"), &lead, json!({})).await;
    assert_eq!(notices(&app, "vpcp", "report_submitted").await.len(), 2);
    call(Method::POST, format!("{slot}/accept"), &vpcp, json!({})).await;
    assert_eq!(notices(&app, "hanoi", "report_accepted").await.len(), 1);

    // By email too, the return with its reason — except to whoever chose the app only.
    let inbox = app.get("/api/v1/notifications", &lead).await.json();
    assert_eq!(inbox["email"], true, "e-mail unless one says otherwise");
    let chosen = call(
        Method::PUT,
        "/api/v1/notifications/email".into(),
        &lead,
        json!({"email": false}),
    )
    .await;
    assert_eq!(chosen.json()["email"], false);
    let inbox = app.get("/api/v1/notifications", &lead).await.json();
    assert_eq!(inbox["email"], false);
    send_pending_emails(&state).await.unwrap();
    let mails = sink.received();
    assert!(
        mails.iter().all(|m| m.to != ["hanoi-lead@baocao.example"]),
        "the approver chose the app only: {mails:?}"
    );
    assert!(
        mails.iter().any(|m| m.to == ["hanoi@baocao.example"]
            && m.text.contains("Báo cáo bị trả lại")
            && m.text.contains("Lý do: Thiếu số liệu HC04")
            && m.text.contains("Reason: Thiếu số liệu HC04")),
        "{mails:?}"
    );
    assert!(
        mails
            .iter()
            .any(|m| m.to == ["vpcp@baocao.example"] && m.text.contains("chờ tiếp nhận")),
        "{mails:?}"
    );
}

async fn without_a_relay_nothing_is_emailed(app: TestApp) {
    assert!(run_reminders(&app.state).await.unwrap() > 0);
    assert_eq!(send_pending_emails(&app.state).await.unwrap(), 0);
}

app_tests!(
    overdue_reports_are_reminded_once_and_sent_ones_not_at_all,
    reminders_are_emailed_once_retried_when_the_relay_fails_and_not_resent_after_a_restart,
    without_a_relay_nothing_is_emailed,
    each_step_of_the_workflow_is_told_to_those_it_concerns,
    reminders_go_out_over_starttls_with_a_login,
);
