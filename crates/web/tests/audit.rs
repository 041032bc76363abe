//! The audit trail on SQLite and PostgreSQL: every change an event with its author, channel
//! and request; the trail read under the permission policy (JSON and CSV); and verification
//! naming each row and event changed, deleted or inserted behind the application's back with
//! SQL; an exported bundle checked on its own, refused once one byte changes.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use baocao_domain::audit::{Channel, Finding, Provenance, Record, check_bundle};
use baocao_service::audit;
use baocao_test_support::{TestApp, app_tests, reported_value};
use serde_json::{Value, json};

const SLOT: &str = "/api/v1/reports/BC-KTXH-T/01/202611";

/// Hà Nội's reporter saves a draft through the API, sending a request id of its own.
async fn save_a_draft(app: &TestApp, request_id: &str) {
    let token = app.login("hanoi").await;
    let body = json!({"version": 0, "values": [
        {"form": "Biểu 01/KTXH-T", "row": "KT04", "column": "this_period", "options": {}, "value": 60123.4}
    ]});
    let request = Request::builder()
        .method(Method::PUT)
        .uri(format!("{SLOT}/draft"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-request-id", request_id)
        .body(Body::from(body.to_string()))
        .unwrap();
    let saved = app.send(request).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
}

async fn every_change_is_an_event_with_its_author_channel_and_request(app: TestApp) {
    save_a_draft(&app, "audit-test-1").await;
    let admin = app.login("admin").await;
    let page = app.get("/api/v1/audit?kind=report.save", &admin).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let page = page.json();
    let event = &page["items"][0];
    assert_eq!(event["kind"], "report.save");
    assert_eq!(event["channel"], "api");
    assert_eq!(event["request"], "audit-test-1");
    assert!(event["user"].as_i64().is_some(), "{event}");
    assert!(event["object"].as_str().unwrap().starts_with("report "));
    let change: Value = serde_json::from_str(event["change"].as_str().unwrap()).unwrap();
    assert_eq!(change["status"], "draft");
    assert_eq!(event["hash"].as_str().unwrap().len(), 64);
    // No personal data beyond ids: the reporter's name is nowhere in the event.
    assert!(!event.to_string().contains("hanoi"), "{event}");

    // The demo's own changes are there too, through the demo channel.
    let demo = app
        .get("/api/v1/audit?kind=user.create&limit=1", &admin)
        .await
        .json();
    assert_eq!(demo["items"][0]["channel"], "demo");
    assert_eq!(
        demo["next_before"].as_i64(),
        demo["items"][0]["seq"].as_i64()
    );

    // Filters: by object, by actor, by date; a bad one is refused.
    let object = event["object"].as_str().unwrap();
    let by_object = app
        .get(
            &format!("/api/v1/audit?object={}", object.replace(' ', "%20")),
            &admin,
        )
        .await
        .json();
    assert_eq!(by_object["items"][0]["seq"], event["seq"]);
    let by_actor = app.get("/api/v1/audit?actor=hanoi", &admin).await.json();
    let kinds: Vec<&str> = by_actor["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["report.save", "token.create"], "{by_actor}");
    let later = app
        .get("/api/v1/audit?from=2099-01-01", &admin)
        .await
        .json();
    assert_eq!(later["total"], 0);
    let refused = app.get("/api/v1/audit?limit=0", &admin).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.json()["error"]["code"], "invalid_filter");

    // A data value set pushed over the API is an import: the trail tells it from an edit.
    let hanoi = app.login("hanoi").await;
    let pushed = app
        .call(
            Method::POST,
            "/api/dataValueSets",
            Some(&hanoi),
            Some(
                &json!({"dataSet": "BC-KTXH-T", "period": "202611", "orgUnit": "01",
                "dataValues": [{"dataElement": "KT09", "value": "37000.1"}]}),
            ),
        )
        .await;
    assert_eq!(pushed.status, StatusCode::OK, "{}", pushed.text);
    let imported = app
        .get("/api/v1/audit?kind=report.save&limit=1", &admin)
        .await
        .json();
    assert_eq!(imported["items"][0]["channel"], "import", "{imported}");
    assert_eq!(imported["items"][0]["object"], event["object"]);

    // CSV, for a spreadsheet.
    let csv = app
        .get("/api/v1/audit?kind=report.&format=csv", &admin)
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.text
            .starts_with("seq,at,user,client,channel,request,kind,object")
    );
    assert!(csv.text.contains("audit-test-1"));

    // Signing in and out are events too, naming the token by its public prefix only.
    let token = app.login("hanoi").await;
    let out = app
        .call(Method::POST, "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{}", out.text);
    let tokens = app.get("/api/v1/audit?kind=token.", &admin).await.json();
    let kinds: Vec<&str> = tokens["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds.first(), Some(&"token.delete"), "{tokens}");
    assert!(kinds.contains(&"token.create"));
    // A login's token is recorded with the login request's id, like any other change.
    let login = tokens["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "token.create")
        .unwrap();
    assert!(
        login["request"].as_str().is_some_and(|id| !id.is_empty()),
        "{login}"
    );
    assert!(
        !tokens.to_string().contains(&token),
        "the token itself is never recorded"
    );

    // A cell's history: each value written, by which source, when.
    for value in [59000.5, 59100.0] {
        app.db
            .store
            .upsert_values(
                &[reported_value("KT04", "01", "202610", &[], value)],
                "2026-11-26T08:00:00Z",
            )
            .await
            .unwrap();
    }
    let cell = app.get("/api/v1/audit/cells/01/202610/KT04", &admin).await;
    assert_eq!(cell.status, StatusCode::OK, "{}", cell.text);
    let cell = cell.json();
    let told: Vec<(Value, Value, Value)> = cell["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["source"].clone(),
                c["value"].clone(),
                c["channel"].clone(),
            )
        })
        .collect();
    assert_eq!(
        told,
        vec![
            (json!("regime:BC-KTXH-T"), json!(59000.5), json!("system")),
            (json!("regime:BC-KTXH-T"), json!(59100.0), json!("system")),
        ]
    );
    let other = app
        .get("/api/v1/audit/cells/01/202609/KT04", &admin)
        .await
        .json();
    assert_eq!(other["total"], 0);
    let bad = app
        .get("/api/v1/audit/cells/01/notaperiod/KT04", &admin)
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // A reporter is no auditor; the trail is not theirs to read.
    let reporter = app.login("hanoi").await;
    let forbidden = app.get("/api/v1/audit", &reporter).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
}

fn altered(findings: &[Finding]) -> Vec<i64> {
    findings
        .iter()
        .filter_map(|f| match f {
            Finding::Altered { seq } | Finding::Unlinked { seq } => Some(*seq),
            _ => None,
        })
        .collect()
}

fn rows(findings: &[Finding], table: &str) -> Vec<String> {
    findings
        .iter()
        .filter_map(|f| match f {
            Finding::RowDiffers { table: t, key, .. } if t == table => Some(key.clone()),
            _ => None,
        })
        .collect()
}

async fn verification_names_what_was_changed_behind_the_applications_back(app: TestApp) {
    let store = &app.db.store;
    save_a_draft(&app, "audit-test-2").await;
    store
        .upsert_values(
            &[reported_value("KT04", "01", "202610", &[], 59000.5)],
            "2026-11-26T08:00:00Z",
        )
        .await
        .unwrap();
    let signed = audit::checkpoint(store, "2026-11-26T08:01:00Z")
        .await
        .unwrap()
        .expect("a checkpoint at the chain's end");
    let untouched = audit::verify(store).await.unwrap();
    assert!(untouched.sound(), "{:?}", untouched.findings);
    assert_eq!(
        (untouched.last, untouched.signed_through),
        (signed.seq, signed.seq)
    );
    assert!(untouched.events > 100, "the demo's changes are events");

    // An exported bundle verifies alone, and not once one byte of it changes.
    let mut bundle = Vec::new();
    let exported = audit::export(store, None, None, "2026-11-26T08:02:00Z", &mut bundle)
        .await
        .unwrap();
    assert_eq!((exported.first, exported.last), (1, signed.seq));
    let lines = |bytes: &[u8]| -> Vec<Result<String, String>> {
        String::from_utf8_lossy(bytes)
            .lines()
            .map(|l| Ok(l.to_string()))
            .collect()
    };
    let checked = check_bundle(lines(&bundle), None).unwrap();
    assert_eq!(checked.events as i64, signed.seq);
    let keys = store.audit_public_keys().await.unwrap();
    assert!(check_bundle(lines(&bundle), Some(&keys)).is_ok());
    let at = bundle.len() / 2;
    let mut edited = bundle.clone();
    edited[at] = if edited[at] == b'7' { b'8' } else { b'7' };
    let line = bundle[..at].iter().filter(|b| **b == b'\n').count() + 1;
    let refusal = check_bundle(lines(&edited), None).unwrap_err();
    assert_eq!(refusal.line, line, "{refusal}");

    // A data value changed with SQL.
    app.db
        .raw_execute("UPDATE data_values SET value_num = 1.5")
        .await;
    let found = audit::verify(store).await.unwrap().findings;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(rows(&found, "data_values")[0].contains("period 202610 indicator KT04"));

    // A grant taken away, another given.
    let removed = app
        .db
        .raw_execute("DELETE FROM role_grants WHERE user_id = (SELECT id FROM users WHERE username = 'hanoi')")
        .await;
    assert!(removed > 0);
    app.db
        .raw_execute("INSERT INTO role_grants (user_id, role, agency_id, subtree) SELECT id, 'system_administrator', agency_id, TRUE FROM users WHERE username = 'hanoi'")
        .await;
    let found = audit::verify(store).await.unwrap().findings;
    let grants = rows(&found, "role_grants");
    assert_eq!(grants.len() as u64, removed + 1, "{found:?}");
    assert!(
        grants
            .iter()
            .any(|g| g.contains("role system_administrator"))
    );

    // An event in the middle of the chain altered.
    let middle = signed.seq / 2;
    app.db
        .raw_execute(&format!(
            "UPDATE audit_events SET object = 'nothing' WHERE seq = {middle}"
        ))
        .await;
    let found = audit::verify(store).await.unwrap().findings;
    assert_eq!(altered(&found), vec![middle], "{found:?}");

    // The last event deleted: the checkpoint signed it.
    app.db
        .raw_execute(&format!(
            "DELETE FROM audit_events WHERE seq = {}",
            signed.seq
        ))
        .await;
    let found = audit::verify(store).await.unwrap().findings;
    assert!(
        found.contains(&Finding::CheckpointBroken {
            seq: signed.seq,
            reason: format!(
                "the chain ends at event {}: the events after it were deleted",
                signed.seq - 1
            )
        }),
        "{found:?}"
    );

    // An event inserted in its place, copied from another.
    app.db
        .raw_execute(&format!(
            "INSERT INTO audit_events (seq, at, actor_user, actor_client, channel, request_id, kind, object, agency_id, change, prev_hash, hash)
             SELECT {}, at, actor_user, actor_client, channel, request_id, kind, object, agency_id, change,
                    (SELECT hash FROM audit_events WHERE seq = {}), hash
             FROM audit_events WHERE seq = 3",
            signed.seq,
            signed.seq - 1
        ))
        .await;
    let found = audit::verify(store).await.unwrap().findings;
    assert_eq!(altered(&found), vec![middle, signed.seq], "{found:?}");
    assert!(
        found
            .iter()
            .any(|f| matches!(f, Finding::CheckpointBroken { seq, .. } if *seq == signed.seq)),
        "{found:?}"
    );

    // An event deleted from the middle.
    app.db
        .raw_execute("DELETE FROM audit_events WHERE seq = 10")
        .await;
    let found = audit::verify(store).await.unwrap().findings;
    assert!(
        found.contains(&Finding::Missing { from: 10, to: 10 }),
        "{found:?}"
    );
}

/// Many writers at once (the deadline hour): every save is acknowledged, none is refused
/// for the chain's sake, and the chain neither forks nor skips.
async fn concurrent_writers_extend_one_chain(app: TestApp) {
    let admin = app.login("admin").await;
    let assignments = app
        .get("/api/v1/regimes/BC-TTATGT-T/assignments", &admin)
        .await
        .json();
    let communes: Vec<String> = assignments["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["valid_to"].is_null())
        .filter_map(|a| a["reporting_agency"].as_str().map(str::to_string))
        .take(48)
        .collect();
    assert_eq!(communes.len(), 48);
    let (before, _) = app.db.store.audit_head().await.unwrap();
    // Each save its own task on the multi-threaded runtime, through one router.
    let router = baocao_web::router(app.state.clone());
    let mut saves = tokio::task::JoinSet::new();
    for (n, commune) in communes.iter().enumerate() {
        let body = json!({"version": 0, "values": [
            {"form": "Biểu 01/TTATGT", "row": "XH11", "column": "this_period", "value": n % 7}
        ]});
        let request = Request::builder()
            .method(Method::PUT)
            .uri(format!(
                "/api/v1/reports/BC-TTATGT-T/{commune}/202611/draft"
            ))
            .header(header::AUTHORIZATION, format!("Bearer {admin}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let router = router.clone();
        saves.spawn(async move {
            tower::ServiceExt::oneshot(router, request)
                .await
                .unwrap()
                .status()
        });
    }
    while let Some(status) = saves.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::OK);
    }
    let (after, _) = app.db.store.audit_head().await.unwrap();
    assert_eq!(
        after - before,
        48,
        "one event per save, numbered without gaps"
    );
    let verification = audit::verify(&app.db.store).await.unwrap();
    assert!(verification.sound(), "{:?}", verification.findings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_extend_one_chain_on_postgres() {
    if let Some(app) = TestApp::demo(baocao_test_support::Backend::Postgres).await {
        concurrent_writers_extend_one_chain(app).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_extend_one_chain_on_sqlite() {
    let app = TestApp::demo(baocao_test_support::Backend::Sqlite)
        .await
        .unwrap();
    concurrent_writers_extend_one_chain(app).await;
}

/// The server signs a checkpoint when its policy says so: after so many events, or once the
/// last checkpoint is so old and events follow it — never over no new event.
async fn checkpoints_follow_the_configured_policy(app: TestApp) {
    let store = &app.db.store;
    let policy = audit::CheckpointPolicy {
        events: 3,
        seconds: 3_600,
    };
    let last = audit::checkpoint(store, "2026-12-06T08:00:00Z")
        .await
        .unwrap()
        .unwrap();
    let signed_at: jiff::Timestamp = last.at.parse().unwrap();
    let soon = signed_at + jiff::SignedDuration::from_secs(5);
    assert_eq!(
        store.audit_head().await.unwrap().0,
        last.seq,
        "signed at the chain's end"
    );
    assert!(
        audit::checkpoint_if_due(store, soon, policy)
            .await
            .unwrap()
            .is_none()
    );

    let by = Provenance::system("2026-12-06T08:00:00Z", Channel::System);
    let note = |n: i64| {
        store.record_events(
            &by,
            vec![Record::new(
                &by,
                "test.note",
                format!("note {n}"),
                None,
                json!({ "n": n }),
            )],
        )
    };
    note(1).await.unwrap();
    note(2).await.unwrap();
    assert!(
        audit::checkpoint_if_due(store, soon, policy)
            .await
            .unwrap()
            .is_none()
    );
    // Two events and an hour: due by time.
    let later = signed_at + jiff::SignedDuration::from_secs(3_600);
    let by_time = audit::checkpoint_if_due(store, later, policy)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_time.seq, last.seq + 2);
    // Three events: due by count, however recent the last checkpoint.
    for n in 3..=5 {
        note(n).await.unwrap();
    }
    let just_signed: jiff::Timestamp = by_time.at.parse().unwrap();
    let by_count = audit::checkpoint_if_due(store, just_signed, policy)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_count.seq, last.seq + 5);
    assert!(audit::verify(store).await.unwrap().sound());
}

/// A client system and the account it acts through are one change: one transaction, their
/// two events together; a refused registration leaves neither rows nor events.
async fn a_client_and_its_account_are_one_change(app: TestApp) {
    let admin = app.login("admin").await;
    let store = &app.db.store;
    let registration = json!({"name": "his-audit", "agency": "01", "push": true});
    let register = || {
        app.call(
            Method::POST,
            "/api/v1/clients",
            Some(&admin),
            Some(&registration),
        )
    };
    let (head, _) = store.audit_head().await.unwrap();
    let registered = register().await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{}",
        registered.text
    );
    let events = store.audit_events_after(head, 10).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.record.kind.as_str()).collect();
    assert_eq!(kinds, ["user.create", "client.create"]);
    assert!(events[0].record.by.request.is_some());
    assert_eq!(events[0].record.by.request, events[1].record.by.request);

    let (head, _) = store.audit_head().await.unwrap();
    let again = register().await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(
        store.audit_head().await.unwrap().0,
        head,
        "no event of a refusal"
    );
    let accounts = app
        .db
        .raw_texts("SELECT username FROM users WHERE username = 'his-audit'")
        .await;
    assert_eq!(accounts.len(), 1);
    assert!(audit::verify(store).await.unwrap().sound());
}

app_tests!(
    a_client_and_its_account_are_one_change,
    checkpoints_follow_the_configured_policy,
    every_change_is_an_event_with_its_author_channel_and_request,
    verification_names_what_was_changed_behind_the_applications_back,
);
