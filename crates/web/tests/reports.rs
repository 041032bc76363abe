//! Report slots over the API: reading a slot, saving a draft with an optimistic lock, and
//! who may see a draft — on SQLite and PostgreSQL.

use axum::http::{Method, StatusCode};
use baocao_test_support::{TestApp, app_tests};
use serde_json::{Value, json};

const SLOT: &str = "/api/v1/reports/BC-KTXH-T/01/202611";

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

fn monthly_values() -> Value {
    let rows = [
        ("KT03", json!("107.9")),
        ("KT04", json!(60123.4)),
        ("KT05", json!("1790.2")),
        ("KT06", json!("2388.0")),
        ("KT07", json!("103.4")),
        ("KT08", json!("3999.5")),
        ("KT09", json!("37000.1")),
        ("KT11", json!(2650)),
    ];
    Value::Array(
        rows.into_iter()
            .map(|(row, value)| json!({"form": "Biểu 01/KTXH-T", "row": row, "column": "this_period", "options": {}, "value": value}))
            .collect(),
    )
}

async fn put_draft(app: &TestApp, token: &str, body: Value) -> baocao_test_support::Answer {
    app.call(
        Method::PUT,
        &format!("{SLOT}/draft"),
        Some(token),
        Some(&body),
    )
    .await
}

async fn a_reporter_saves_a_draft_and_reads_it_back(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let empty = app.get(SLOT, &hanoi).await.json();
    assert_eq!(
        (empty["status"].as_str(), empty["version"].as_i64()),
        (Some("not_started"), Some(0))
    );
    assert_eq!(empty["receiving_agency"], "VPCP");
    assert_eq!(
        (
            empty["cutoff_start"].as_str(),
            empty["cutoff_end"].as_str(),
            empty["deadline"].as_str()
        ),
        (Some("2026-10-15"), Some("2026-11-14"), Some("2026-11-20"))
    );

    let saved = put_draft(&app, &hanoi, json!({"version": 0, "values": monthly_values(),
                                               "sections": [{"index": 0, "text": "Kinh tế tiếp tục phục hồi."}]})).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let saved = saved.json();
    assert_eq!(
        (saved["status"].as_str(), saved["version"].as_i64()),
        (Some("draft"), Some(1))
    );
    // Eight typed cells, and the year to date of the six that add up, filled from them.
    assert_eq!(saved["values"].as_array().unwrap().len(), 14);
    let kt06 = saved["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["row"] == "KT06")
        .unwrap();
    assert_eq!(
        kt06["value"], "2388",
        "values are kept in canonical plain notation"
    );

    // A second editor changes one cell; sections not sent are kept.
    let second = put_draft(&app, &app.login("hanoi-lead").await, json!({"version": 1,
        "values": [{"form": "Biểu 01/KTXH-T", "row": "KT05", "column": "this_period", "options": {}, "value": "1795.0"}], "sections": []})).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let read = app.get(SLOT, &hanoi).await.json();
    assert_eq!(read["version"], 2);
    assert_eq!(
        read["sections"],
        json!([{"index": 0, "text": "Kinh tế tiếp tục phục hồi."}])
    );
    assert!(
        read["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["row"] == "KT05" && v["value"] == "1795")
    );
}

async fn a_stale_save_is_refused_and_changes_nothing(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    assert_eq!(
        put_draft(
            &app,
            &hanoi,
            json!({"version": 0, "values": monthly_values()})
        )
        .await
        .status,
        StatusCode::OK
    );
    let stale = put_draft(&app, &hanoi, json!({"version": 0, "values": [{"form": "Biểu 01/KTXH-T", "row": "KT03", "column": "this_period", "value": "1"}]})).await;
    assert_eq!(
        (stale.status, error_code(&stale.json())),
        (StatusCode::CONFLICT, "version_conflict")
    );
    assert_eq!(stale.json()["error"]["current_version"], 1);
    let read = app.get(SLOT, &hanoi).await.json();
    assert_eq!(read["version"], 1);
    assert!(
        read["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["row"] == "KT03" && v["value"] == "107.9")
    );
}

async fn bad_cells_are_listed_and_nothing_is_saved(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let bad = put_draft(
        &app,
        &hanoi,
        json!({"version": 0, "values": [
        {"form": "Biểu 01/KTXH-T", "row": "KT03", "column": "this_period", "value": "1.234,5"},
        {"form": "Biểu 01/KTXH-T", "row": "KT11", "column": "this_period", "value": "12.5"},
        {"form": "Biểu 01/KTXH-T", "row": "XH01", "column": "this_period", "value": "1"},
        {"form": "Biểu 01/KTXH-T", "row": "KT04", "column": "this_period", "value": "5"}
    ], "sections": [{"index": 7, "text": "?"}]}),
    )
    .await;
    assert_eq!(
        (bad.status, error_code(&bad.json())),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_values")
    );
    assert_eq!(bad.json()["error"]["problems"].as_array().unwrap().len(), 4);
    assert_eq!(
        app.get(SLOT, &hanoi).await.json()["status"],
        "not_started",
        "a rejected save writes nothing"
    );
}

async fn nobody_else_reads_or_writes_a_draft(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    assert_eq!(
        put_draft(
            &app,
            &hanoi,
            json!({"version": 0, "values": monthly_values()})
        )
        .await
        .status,
        StatusCode::OK
    );
    for user in ["hcm", "hcm-lead", "vpcp", "btc"] {
        let token = app.login(user).await;
        let read = app.get(SLOT, &token).await;
        assert_eq!(
            (read.status, error_code(&read.json())),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{user} read Hà Nội's draft"
        );
        let write = put_draft(&app, &token, json!({"version": 1, "values": []})).await;
        assert_eq!(
            write.status,
            StatusCode::FORBIDDEN,
            "{user} wrote Hà Nội's draft"
        );
    }
    let admin = app.login("admin").await;
    assert_eq!(app.get(SLOT, &admin).await.json()["version"], 1);
}

async fn only_assigned_slots_of_the_right_frequency_exist(app: TestApp) {
    let admin = app.login("admin").await;
    let cases = [
        (
            "/api/v1/reports/BC-TTATGT-T/01/202611",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api/v1/reports/BC-KTXH-T/01/2026Q4",
            StatusCode::NOT_FOUND,
            "period_frequency_mismatch",
        ),
        (
            "/api/v1/reports/BC-KTXH-T/01/202613",
            StatusCode::BAD_REQUEST,
            "invalid_period",
        ),
        // Bình Dương (74) reported until June 2025 and was merged into TP. Hồ Chí Minh.
        (
            "/api/v1/reports/BC-KTXH-T/74/202508",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (path, status, code) in cases {
        let answer = app.get(path, &admin).await;
        assert_eq!(
            (answer.status, error_code(&answer.json())),
            (status, code),
            "{path}"
        );
    }
    let june = app.get("/api/v1/reports/BC-KTXH-T/74/202506", &admin).await;
    assert_eq!(
        (june.status, june.json()["receiving_agency"].as_str()),
        (StatusCode::OK, Some("VPCP"))
    );

    // Who receives what is kept in memory: a new assignment is seen by the next request.
    let assigned = app
        .call(
            Method::POST,
            "/api/v1/regimes/BC-TTATGT-T/assignments",
            Some(&admin),
            Some(
                &json!({"assignments": [{"reporting_agency": "01", "receiving_agency": "VPCP",
                "valid_from": "2026-01-01"}]}),
            ),
        )
        .await;
    assert_eq!(assigned.status, StatusCode::CREATED, "{}", assigned.text);
    let now_assigned = app
        .get("/api/v1/reports/BC-TTATGT-T/01/202611", &admin)
        .await;
    assert_eq!(
        (
            now_assigned.status,
            now_assigned.json()["receiving_agency"].as_str()
        ),
        (StatusCode::OK, Some("VPCP")),
        "{}",
        now_assigned.text
    );
}

/// A submission moves the report only at the lock it was read at: a save in between (a new
/// draft) makes it a conflict, so what is signed is exactly what is sent.
async fn a_submission_moves_only_the_draft_it_read(app: TestApp) {
    use baocao_domain::submission::{Circumstances, Rights, SubmissionAction, decide};

    let hanoi = app.login("hanoi").await;
    let first = put_draft(
        &app,
        &hanoi,
        json!({"version": 0, "values": monthly_values()}),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let store = &app.state.store;
    let key = baocao_store::reports::ReportKey {
        regime: baocao_domain::regime::RegimeCode::new("BC-KTXH-T").unwrap(),
        agency: baocao_domain::agency::AgencyCode::new("01").unwrap(),
        period: baocao_domain::period::PeriodId::parse("202611").unwrap(),
    };
    let read = store.report_record(&key).await.unwrap().unwrap();
    // Someone saves again after the submission read the report.
    let again = put_draft(
        &app,
        &hanoi,
        json!({"version": read.lock_version, "values": [
            {"form": "Biểu 01/KTXH-T", "row": "KT05", "column": "this_period", "value": "1795.0"}]}),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    let submit = decide(
        Some(read.status),
        SubmissionAction::Submit,
        Rights {
            edit: true,
            submit: true,
            review: false,
        },
        Circumstances {
            published: true,
            locked: false,
            late_refused: false,
        },
    )
    .unwrap();
    let at = "2026-11-26T08:00:00Z";
    let mut tx = store
        .begin(&baocao_test_support::by_system(at))
        .await
        .unwrap();
    let stale = tx
        .move_report(read.id, read.lock_version, &submit, at)
        .await;
    assert!(
        matches!(stale, Err(baocao_store::StoreError::Conflict(_))),
        "{stale:?}"
    );
    tx.rollback().await.unwrap();
    let now = store.report_record(&key).await.unwrap().unwrap();
    assert_eq!(
        (now.status.as_str(), now.lock_version),
        ("draft", read.lock_version + 1)
    );
    let mut tx = store
        .begin(&baocao_test_support::by_system(at))
        .await
        .unwrap();
    let moved = tx
        .move_report(now.id, now.lock_version, &submit, at)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(moved, now.lock_version + 1);
}

async fn act(app: &TestApp, token: &str, action: &str, body: Value) -> baocao_test_support::Answer {
    app.call(
        Method::POST,
        &format!("{SLOT}/{action}"),
        Some(token),
        Some(&body),
    )
    .await
}

async fn submit_return_resubmit_accept_keeps_every_signed_version(app: TestApp) {
    let (hanoi, lead, vpcp) = (
        app.login("hanoi").await,
        app.login("hanoi-lead").await,
        app.login("vpcp").await,
    );
    assert_eq!(
        put_draft(
            &app,
            &hanoi,
            json!({"version": 0, "values": monthly_values()})
        )
        .await
        .status,
        StatusCode::OK
    );

    let by_reporter = act(&app, &hanoi, "submit", json!({})).await;
    assert_eq!(
        by_reporter.status,
        StatusCode::FORBIDDEN,
        "a reporter prepares; the approver submits"
    );
    let early = act(&app, &vpcp, "accept", json!({})).await;
    assert_eq!(
        early.status,
        StatusCode::CONFLICT,
        "nothing submitted yet: {}",
        early.text
    );

    let keys_of_hanoi = || async {
        app.get("/api/v1/agencies/01/keys", &vpcp).await.json()["keys"]
            .as_array()
            .unwrap()
            .clone()
    };
    let keys_before = keys_of_hanoi().await;
    let submitted = act(&app, &lead, "submit", json!({})).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text);
    assert_eq!(submitted.json()["status"], "submitted");
    // The key of an agency's first submission is stored with that submission, once.
    let keys_after = keys_of_hanoi().await;
    assert_eq!(keys_after.len(), keys_before.len().max(1), "{keys_after:?}");
    // The test clock stands at 26 November 2026; 202611 was due on 20 November.
    assert_eq!(
        submitted.json()["versions"][0]["late"],
        true,
        "a report after its deadline is accepted and marked late"
    );
    let edit = put_draft(
        &app,
        &hanoi,
        json!({"version": submitted.json()["version"], "values": []}),
    )
    .await;
    assert_eq!(
        (edit.status, error_code(&edit.json())),
        (StatusCode::CONFLICT, "not_editable")
    );

    // The reviewer now sees the submitted content, not a draft.
    let seen = app.get(SLOT, &vpcp).await.json();
    assert_eq!(seen["values"].as_array().unwrap().len(), 14);
    assert_eq!(
        act(&app, &vpcp, "return", json!({})).await.status,
        StatusCode::BAD_REQUEST,
        "a return needs a reason"
    );
    let returned = act(
        &app,
        &vpcp,
        "return",
        json!({"reason": "Đề nghị kiểm tra lại số liệu KT05."}),
    )
    .await;
    assert_eq!(returned.json()["status"], "returned");
    let read = app.get(SLOT, &hanoi).await.json();
    assert_eq!(read["return_reason"], "Đề nghị kiểm tra lại số liệu KT05.");
    let fixed = put_draft(
        &app,
        &hanoi,
        json!({"version": read["version"], "values": [
        {"form": "Biểu 01/KTXH-T", "row": "KT05", "column": "this_period", "value": "1795.0"}]}),
    )
    .await;
    assert_eq!(fixed.status, StatusCode::OK);
    assert_eq!(
        act(&app, &lead, "submit", json!({})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        act(&app, &lead, "accept", json!({})).await.status,
        StatusCode::FORBIDDEN,
        "only the receiver accepts"
    );
    let accepted = act(&app, &vpcp, "accept", json!({})).await.json();
    assert_eq!(accepted["status"], "accepted");
    let versions = accepted["versions"].as_array().unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| v["number"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2]
    );
    assert_ne!(versions[0]["sha256"], versions[1]["sha256"]);

    let signature = app
        .get(&format!("{SLOT}/versions/2/signature"), &vpcp)
        .await
        .json();
    assert_eq!(signature["verified"], true);
    assert_eq!(signature["signer"], "hanoi-lead");
    assert!(signature["signed_at"].as_str().is_some());
    assert!(baocao_domain::signature::verify(
        signature["public_key"].as_str().unwrap(),
        signature["sha256"].as_str().unwrap(),
        signature["signature"].as_str().unwrap()
    ));
    let digest = hex_sha256(&serde_json::to_string(&signature["content"]).unwrap());
    assert_eq!(
        signature["sha256"].as_str().unwrap(),
        digest,
        "the digest is of the content shown, keys sorted"
    );
    assert_eq!(
        hex_sha256(signature["canonical_content"].as_str().unwrap()),
        digest
    );
    let keys = keys_of_hanoi().await;
    assert_eq!(
        keys, keys_after,
        "a later submission signs with the same key"
    );
    assert_eq!(keys[0]["public_key"], signature["public_key"]);
    let first = app
        .get(&format!("{SLOT}/versions/1/signature"), &vpcp)
        .await
        .json();
    assert_eq!(first["public_key"], signature["public_key"]);
    assert_eq!(
        app.get(
            &format!("{SLOT}/versions/2/signature"),
            &app.login("hcm").await
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    let reopen = act(
        &app,
        &vpcp,
        "reopen",
        json!({"reason": "Bổ sung số liệu KT08."}),
    )
    .await
    .json();
    assert_eq!(reopen["status"], "returned");
}

fn hex_sha256(text: &str) -> String {
    baocao_domain::signature::digest(text)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every route of the workflow as the agency's own users, a foreign province's, an ancestor
/// viewer, the administrator and the receiving reviewer: allowed means "not 403" (the state
/// may still refuse with 409), forbidden means 403 — whatever state the report is in.
async fn the_permission_matrix_holds_for_every_workflow_route(app: TestApp) {
    let actors = [
        "hanoi",
        "hanoi-lead",
        "hcm",
        "hcm-lead",
        "lanhdao",
        "admin",
        "vpcp",
    ];
    let mut tokens = std::collections::HashMap::new();
    for actor in actors {
        tokens.insert(actor, app.login(actor).await);
    }
    assert_eq!(
        put_draft(
            &app,
            &tokens["hanoi"],
            json!({"version": 0, "values": monthly_values()})
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        act(&app, &tokens["hanoi-lead"], "submit", json!({}))
            .await
            .status,
        StatusCode::OK
    );

    #[rustfmt::skip]
    let matrix: [(&str, Method, &str, [bool; 7]); 10] = [
        //                                                  hanoi  lead   hcm    hcm-l  lanhdao admin vpcp
        ("read",      Method::GET,  "",                      [true,  true,  false, false, true,  true, true]),
        ("draft",     Method::PUT,  "/draft",                [true,  true,  false, false, false, true, false]),
        ("submit",    Method::POST, "/submit",               [false, true,  false, false, false, true, false]),
        ("accept",    Method::POST, "/accept",               [false, false, false, false, false, true, true]),
        ("return",    Method::POST, "/return",               [false, false, false, false, false, true, true]),
        ("reopen",    Method::POST, "/reopen",               [false, false, false, false, false, true, true]),
        ("signature", Method::GET,  "/versions/1/signature", [true,  true,  false, false, true,  true, true]),
        ("diff",      Method::GET,  "/versions/1/diff",      [true,  true,  false, false, true,  true, true]),
        ("document",  Method::GET,  "/versions/1/document",  [true,  true,  false, false, true,  true, true]),
        ("prefill",   Method::GET,  "/prefill",              [true,  true,  false, false, false, true, false]),
    ];
    for (name, method, suffix, allowed) in matrix {
        for (actor, expected) in actors.iter().zip(allowed) {
            let body = (method != Method::GET)
                .then(|| json!({"version": 0, "values": [], "reason": "Kiểm tra quyền."}));
            let answer = app
                .call(
                    method.clone(),
                    &format!("{SLOT}{suffix}"),
                    Some(&tokens[actor]),
                    body.as_ref(),
                )
                .await;
            assert_eq!(
                answer.status != StatusCode::FORBIDDEN,
                expected,
                "{name} as {actor}: {} {}",
                answer.status,
                answer.text
            );
        }
    }
}

async fn a_regime_in_draft_takes_no_reports(app: TestApp) {
    let published = app
        .db
        .store
        .regime(&baocao_domain::regime::RegimeCode::new("BC-KTXH-T").unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut content = published.content().clone();
    content.code = baocao_domain::regime::RegimeCode::new("BC-NHAP-T").unwrap();
    let draft = baocao_domain::regime::Regime::draft(content).unwrap();
    app.db
        .store
        .create_regime(
            &draft,
            &baocao_test_support::by_system("2026-11-26T08:00:00Z"),
        )
        .await
        .unwrap();
    let assignment = baocao_domain::assignment::Assignment::new(
        draft.code().clone(),
        baocao_domain::agency::AgencyCode::new("01").unwrap(),
        baocao_domain::agency::AgencyCode::new("VPCP").unwrap(),
        baocao_domain::agency::Validity::ALWAYS,
    )
    .unwrap();
    app.db
        .store
        .insert_assignments(
            &[assignment],
            &baocao_test_support::by_system("2026-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
    let hanoi = app.login("hanoi").await;
    let answer = app
        .call(
            Method::PUT,
            "/api/v1/reports/BC-NHAP-T/01/202611/draft",
            Some(&hanoi),
            Some(&json!({"version": 0, "values": monthly_values()})),
        )
        .await;
    assert_eq!(
        (answer.status, error_code(&answer.json())),
        (StatusCode::CONFLICT, "regime_not_published")
    );
    assert_eq!(
        app.get("/api/v1/reports/BC-NHAP-T/01/202611", &hanoi)
            .await
            .json()["status"],
        "not_started"
    );
}

async fn versions_differ_cell_by_cell_and_reviewers_accept_many_at_once(app: TestApp) {
    let vpcp = app.login("vpcp").await;
    let months = |agency: &str| format!("/api/v1/reports/BC-KTXH-T/{agency}/202611");
    for (agency, reporter, lead) in [("01", "hanoi", "hanoi-lead"), ("79", "hcm", "hcm-lead")] {
        let (reporter, lead) = (app.login(reporter).await, app.login(lead).await);
        let saved = app
            .call(
                Method::PUT,
                &format!("{}/draft", months(agency)),
                Some(&reporter),
                Some(&json!({"version": 0, "values": monthly_values()})),
            )
            .await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
        let sent = app
            .call(
                Method::POST,
                &format!("{}/submit", months(agency)),
                Some(&lead),
                Some(&json!({})),
            )
            .await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    }
    // Return Hà Nội's, change one number, send again: version 2 differs from 1 in that cell.
    let hanoi_slot = months("01");
    let returned = app
        .call(
            Method::POST,
            &format!("{hanoi_slot}/return"),
            Some(&vpcp),
            Some(&json!({"reason": "KT04?"})),
        )
        .await;
    assert_eq!(returned.status, StatusCode::OK);
    let hanoi = app.login("hanoi").await;
    let version = app.get(&hanoi_slot, &hanoi).await.json()["version"].clone();
    let fix = json!({"version": version, "values": [{"form": "Biểu 01/KTXH-T", "row": "KT04", "column": "this_period", "options": {}, "value": "60200"}]});
    assert_eq!(
        app.call(
            Method::PUT,
            &format!("{hanoi_slot}/draft"),
            Some(&hanoi),
            Some(&fix)
        )
        .await
        .status,
        StatusCode::OK
    );
    let lead = app.login("hanoi-lead").await;
    assert_eq!(
        app.call(
            Method::POST,
            &format!("{hanoi_slot}/submit"),
            Some(&lead),
            Some(&json!({}))
        )
        .await
        .status,
        StatusCode::OK
    );
    let diff = app
        .get(&format!("{hanoi_slot}/versions/2/diff"), &vpcp)
        .await
        .json();
    assert_eq!(
        (diff["from"].as_i64(), diff["to"].as_i64()),
        (Some(1), Some(2))
    );
    let cells = diff["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2, "the number and its year to date: {diff}");
    assert_eq!(
        (
            cells[0]["row"].as_str(),
            cells[0]["before"].as_str(),
            cells[0]["after"].as_str()
        ),
        (Some("KT04"), Some("60123.4"), Some("60200"))
    );
    let whole = app
        .get(&format!("{hanoi_slot}/versions/1/diff?against=0"), &vpcp)
        .await
        .json();
    assert_eq!(whole["cells"].as_array().unwrap().len(), 14);
    assert_eq!(
        app.get(&format!("{hanoi_slot}/versions/3/diff"), &vpcp)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // One not awaiting review (HCM's 202610 was never sent): nothing is accepted.
    let both = json!({"reports": [
        {"regime": "BC-KTXH-T", "agency": "01", "period": "202611"},
        {"regime": "BC-KTXH-T", "agency": "79", "period": "202610"}]});
    let refused = app
        .call(
            Method::POST,
            "/api/v1/reports/accept",
            Some(&vpcp),
            Some(&both),
        )
        .await;
    assert_eq!(
        (refused.status, error_code(&refused.json())),
        (StatusCode::CONFLICT, "invalid_transition")
    );
    assert_eq!(
        app.get(&hanoi_slot, &vpcp).await.json()["status"],
        "submitted"
    );
    let pair = json!({"reports": [
        {"regime": "BC-KTXH-T", "agency": "01", "period": "202611"},
        {"regime": "BC-KTXH-T", "agency": "79", "period": "202611"}]});
    assert_eq!(
        app.call(
            Method::POST,
            "/api/v1/reports/accept",
            Some(&hanoi),
            Some(&pair)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let accepted = app
        .call(
            Method::POST,
            "/api/v1/reports/accept",
            Some(&vpcp),
            Some(&pair),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    assert_eq!(accepted.json()["accepted"], 2);
    for agency in ["01", "79"] {
        assert_eq!(
            app.get(&months(agency), &vpcp).await.json()["status"],
            "accepted"
        );
    }
}

async fn a_report_is_prefilled_from_subordinates_and_the_previous_period(app: TestApp) {
    use baocao_domain::agency::{AgencyCode, Validity};
    use baocao_domain::regime::{Regime, RegimeCode};
    let store = &app.db.store;
    let base = store
        .regime(&RegimeCode::new("BC-DSHN-N").unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut content = base.content().clone();
    content.code = RegimeCode::new("BC-GOP-N").unwrap();
    let regime = Regime::draft(content)
        .unwrap()
        .publish(jiff::civil::date(2020, 1, 1))
        .unwrap();
    store
        .create_regime(
            &regime,
            &baocao_test_support::by_system("2026-11-26T08:00:00Z"),
        )
        .await
        .unwrap();
    let communes: Vec<String> = store
        .agencies_as_of(
            jiff::civil::date(2026, 12, 31),
            &baocao_store::agencies::AgencyFilter {
                parent: Some(AgencyCode::new("01").unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .take(3)
        .map(|a| a.code.to_string())
        .collect();
    let mut assignments = vec![
        baocao_domain::assignment::Assignment::new(
            regime.code().clone(),
            AgencyCode::new("01").unwrap(),
            AgencyCode::new("VPCP").unwrap(),
            Validity::ALWAYS,
        )
        .unwrap(),
    ];
    for commune in &communes {
        assignments.push(
            baocao_domain::assignment::Assignment::new(
                regime.code().clone(),
                AgencyCode::new(commune.as_str()).unwrap(),
                AgencyCode::new("01").unwrap(),
                Validity::ALWAYS,
            )
            .unwrap(),
        );
    }
    store
        .insert_assignments(
            &assignments,
            &baocao_test_support::by_system("2026-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
    let value = |indicator: &str, agency: &str, period: &str, number: f64| {
        baocao_domain::value::DataValue {
            indicator: baocao_domain::indicator::IndicatorCode::new(indicator).unwrap(),
            options: baocao_domain::value::OptionCombo::TOTAL,
            agency: AgencyCode::new(agency).unwrap(),
            period: baocao_domain::period::PeriodId::parse(period).unwrap(),
            value: baocao_domain::value::Value::Number(number),
            channel: baocao_domain::value::Channel::Web,
            source: "regime:BC-GOP-N".into(),
        }
    };
    store
        .upsert_values(
            &[
                value("XH05", &communes[0], "2026", 10.0),
                value("XH05", &communes[1], "2026", 15.0),
                value("XH01", &communes[0], "2026", 3.5),
                value("XH01", &communes[1], "2026", 4.0),
                value("XH06", "01", "2025", 1200.0),
            ],
            "2026-11-26T08:00:00Z",
        )
        .await
        .unwrap();

    let hanoi = app.login("hanoi").await;
    let answer = app
        .get("/api/v1/reports/BC-GOP-N/01/2026/prefill", &hanoi)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let prefill = answer.json();
    let suggested: Vec<(&str, &str, &str)> = prefill["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["row"].as_str().unwrap(),
                v["value"].as_str().unwrap(),
                v["from"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        suggested,
        [
            ("XH01", "7.5", "subordinates"),
            ("XH06", "1200", "previous_period"),
            ("XH05", "25", "subordinates")
        ]
    );
    assert_eq!(prefill["missing"], json!([communes[2]]));
    assert_eq!(prefill["included"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get("/api/v1/reports/BC-GOP-N/01/2026", &hanoi)
            .await
            .json()["status"],
        "not_started",
        "nothing saved"
    );
    let vpcp = app.login("vpcp").await;
    assert_eq!(
        app.get("/api/v1/reports/BC-GOP-N/01/2026/prefill", &vpcp)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

/// A province compiles its own report from its communes' accepted reports (issue 23, item 3):
/// numbers added up, each section collected under the communes' names, saved as its draft,
/// who is missing named; what the editors wrote is kept on a second compile, which takes the
/// newly accepted commune; the compiled report is signed and submitted upward like any other.
async fn a_province_compiles_its_report_from_the_communes_accepted_reports(app: TestApp) {
    use baocao_domain::agency::{AgencyCode, Validity};
    use baocao_domain::regime::RegimeCode;
    let store = &app.db.store;
    store
        .insert_assignments(
            &[baocao_domain::assignment::Assignment::new(
                RegimeCode::new("BC-TTATGT-T").unwrap(),
                AgencyCode::new("01").unwrap(),
                AgencyCode::new("VPCP").unwrap(),
                Validity::ALWAYS,
            )
            .unwrap()],
            &baocao_test_support::by_system("2026-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
    let admin = app.login("admin").await;
    let listing = app
        .get("/api/v1/regimes/BC-TTATGT-T/assignments", &admin)
        .await
        .json();
    let mut hanoi_communes: Vec<String> = Vec::new();
    for assignment in listing["items"].as_array().unwrap() {
        let commune = assignment["reporting_agency"].as_str().unwrap();
        if assignment["receiving_agency"] == "01" && !hanoi_communes.iter().any(|c| c == commune) {
            hanoi_communes.push(commune.to_string());
        }
    }
    assert!(hanoi_communes.len() >= 3, "{hanoi_communes:?}");
    let period = "202611";
    let report = |agency: &str| format!("/api/v1/reports/BC-TTATGT-T/{agency}/{period}");
    let send = |commune: String, accidents: i64, text: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let slot = report(&commune);
            let saved = app
                .call(
                    Method::PUT,
                    &format!("{slot}/draft"),
                    Some(&admin),
                    Some(&json!({"version": 0,
                        "values": [
                            {"form": "Biểu 01/TTATGT", "row": "XH11", "column": "this_period", "value": accidents},
                            {"form": "Biểu 01/TTATGT", "row": "XH12", "column": "this_period", "value": 1}],
                        "sections": [{"index": 0, "text": text}]})),
                )
                .await;
            assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
            for action in ["submit", "accept"] {
                let done = app
                    .call(
                        Method::POST,
                        &format!("{slot}/{action}"),
                        Some(&admin),
                        Some(&json!({})),
                    )
                    .await;
                assert_eq!(done.status, StatusCode::OK, "{action}: {}", done.text);
            }
        }
    };
    send(hanoi_communes[0].clone(), 4, "Hai vụ va chạm trên quốc lộ.").await;
    send(hanoi_communes[1].clone(), 6, "Không có cháy nổ.").await;

    let hanoi = app.login("hanoi").await;
    let compile = |version: i64| {
        let (app, hanoi) = (&app, hanoi.clone());
        async move {
            app.call(
                Method::POST,
                &format!("{}/compile", report("01")),
                Some(&hanoi),
                Some(&json!({"version": version})),
            )
            .await
        }
    };
    let compiled = compile(0).await;
    assert_eq!(compiled.status, StatusCode::OK, "{}", compiled.text);
    let body = compiled.json();
    assert_eq!(body["included"].as_array().unwrap().len(), 2, "{body}");
    assert!(
        body["missing"]
            .as_array()
            .unwrap()
            .contains(&json!(hanoi_communes[2])),
        "{body}"
    );
    assert_eq!(body["report"]["status"], "draft");
    let slot = app.get(&report("01"), &hanoi).await.json();
    let cell = |slot: &Value, row: &str| {
        slot["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["row"] == row)
            .map(|v| v["value"].clone())
    };
    assert_eq!(cell(&slot, "XH11"), Some(json!("10")), "{slot}");
    assert_eq!(cell(&slot, "XH12"), Some(json!("2")), "{slot}");
    let section = slot["sections"][0]["text"].as_str().unwrap().to_string();
    assert!(
        section.contains("Hai vụ va chạm trên quốc lộ."),
        "{section}"
    );
    assert!(section.contains("Không có cháy nổ."), "{section}");
    let first = app
        .get(&format!("/api/v1/agencies/{}", hanoi_communes[0]), &hanoi)
        .await
        .json();
    let first_name = first["name_vi"].as_str().unwrap_or_default();
    assert!(
        !first_name.is_empty() && section.contains(first_name),
        "{first}: {section}"
    );

    // The editors rewrite the section; a commune is accepted later; compiling again takes
    // its numbers and keeps what the editors wrote.
    let version = slot["version"].as_i64().unwrap();
    let edited = app
        .call(
            Method::PUT,
            &format!("{}/draft", report("01")),
            Some(&hanoi),
            Some(&json!({"version": version, "sections": [{"index": 0, "text": "Tổng hợp của Sở."}]})),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    let stale = compile(version).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);
    send(hanoi_communes[2].clone(), 5, "Một vụ cháy nhà dân.").await;
    let again = compile(edited.json()["version"].as_i64().unwrap()).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert!(
        !again.json()["missing"]
            .as_array()
            .unwrap()
            .contains(&json!(hanoi_communes[2]))
    );
    let slot = app.get(&report("01"), &hanoi).await.json();
    assert_eq!(cell(&slot, "XH11"), Some(json!("15")), "{slot}");
    // The compiled tables are what the analytics API answers for the same cells.
    for row in ["XH11", "XH12"] {
        let asked = app
            .get(
                &format!("/api/v1/analytics?indicator={row}&period={period}&agency=01"),
                &hanoi,
            )
            .await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.text);
        let answered = asked.json()["rows"][0]["value"].as_f64();
        let compiled = cell(&slot, row).and_then(|v| v.as_str()?.parse::<f64>().ok());
        assert_eq!(answered, compiled, "{row}: {}", asked.text);
    }
    assert_eq!(slot["sections"][0]["text"], "Tổng hợp của Sở.");

    let other_province = app.login("hcm").await;
    let forbidden = app
        .call(
            Method::POST,
            &format!("{}/compile", report("01")),
            Some(&other_province),
            Some(&json!({"version": 0})),
        )
        .await;
    assert_eq!(
        forbidden.status,
        StatusCode::FORBIDDEN,
        "{}",
        forbidden.text
    );

    let lead = app.login("hanoi-lead").await;
    let submitted = app
        .call(
            Method::POST,
            &format!("{}/submit", report("01")),
            Some(&lead),
            Some(&json!({})),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text);
    assert_eq!(submitted.json()["status"], "submitted");
}

/// The Government Office compiles its report from the provinces' accepted reports: the
/// provinces report to the office, though their parent in the hierarchy is the nation.
async fn the_government_office_compiles_from_the_provinces(app: TestApp) {
    use baocao_domain::agency::{AgencyCode, Validity};
    use baocao_domain::regime::RegimeCode;
    app.db
        .store
        .insert_assignments(
            &[baocao_domain::assignment::Assignment::new(
                RegimeCode::new("BC-KTXH-T").unwrap(),
                AgencyCode::new("VPCP").unwrap(),
                AgencyCode::new("VN").unwrap(),
                Validity::ALWAYS,
            )
            .unwrap()],
            &baocao_test_support::by_system("2026-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
    let vpcp = app.login("vpcp").await;
    for (reporter, approver, agency) in [("hanoi", "hanoi-lead", "01"), ("hcm", "hcm-lead", "79")] {
        let slot = format!("/api/v1/reports/BC-KTXH-T/{agency}/202611");
        baocao_test_support::documents::submit_monthly_report(&app, reporter, approver, &slot)
            .await;
        let accepted = app
            .call(
                Method::POST,
                &format!("{slot}/accept"),
                Some(&vpcp),
                Some(&json!({})),
            )
            .await;
        assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    }
    let admin = app.login("admin").await;
    let compiled = app
        .call(
            Method::POST,
            "/api/v1/reports/BC-KTXH-T/VPCP/202611/compile",
            Some(&admin),
            Some(&json!({"version": 0})),
        )
        .await;
    assert_eq!(compiled.status, StatusCode::OK, "{}", compiled.text);
    let body = compiled.json();
    assert_eq!(body["included"], json!(["01", "79"]), "{body}");
    assert!(!body["missing"].as_array().unwrap().is_empty(), "{body}");
    let slot = app
        .get("/api/v1/reports/BC-KTXH-T/VPCP/202611", &admin)
        .await
        .json();
    let compiled_kt04: f64 = slot["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["row"] == "KT04" && v["column"] == "this_period")
        .and_then(|v| v["value"].as_str()?.parse().ok())
        .unwrap_or_else(|| panic!("no KT04 in {slot}"));
    let mut from_analytics = 0.0;
    for agency in ["01", "79"] {
        let asked = app
            .get(
                &format!("/api/v1/analytics?indicator=KT04&period=202611&agency={agency}"),
                &admin,
            )
            .await;
        from_analytics += asked.json()["rows"][0]["value"].as_f64().unwrap();
    }
    assert!(
        (compiled_kt04 - from_analytics).abs() < 1e-6,
        "{compiled_kt04} vs {from_analytics}"
    );
    let sections = slot["sections"][0]["text"].as_str().unwrap();
    assert!(sections.contains("Thừa Thiên Huế và Đắk Lắk"), "{sections}");
}

async fn an_accepted_signature_fails_once_a_stored_value_is_altered(app: TestApp) {
    let (hanoi, lead, vpcp) = (
        app.login("hanoi").await,
        app.login("hanoi-lead").await,
        app.login("vpcp").await,
    );
    assert_eq!(
        put_draft(
            &app,
            &hanoi,
            json!({"version": 0, "values": monthly_values()})
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        act(&app, &lead, "submit", json!({})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        act(&app, &vpcp, "accept", json!({})).await.status,
        StatusCode::OK
    );
    let check = || async {
        app.get(&format!("{SLOT}/versions/1/signature"), &vpcp)
            .await
            .json()
    };
    let intact = check().await;
    assert_eq!(intact["verified"], true, "{intact}");
    assert_eq!(
        intact["checks"],
        json!({"signature": true, "content_digest": true, "key_published": true, "data_values": true})
    );

    // Someone with database access changes an accepted number…
    app.db
        .store
        .execute_for_tests(
            "UPDATE data_values SET value_num = value_num + 1 WHERE value_num = 60123.4",
        )
        .await
        .unwrap();
    let altered = check().await;
    assert_eq!(
        (
            altered["verified"].as_bool(),
            altered["checks"]["data_values"].as_bool()
        ),
        (Some(false), Some(false))
    );
    app.db
        .store
        .execute_for_tests(
            "UPDATE data_values SET value_num = value_num - 1 WHERE value_num = 60124.4",
        )
        .await
        .unwrap();
    assert_eq!(check().await["verified"], true);

    // …or the signed content itself.
    app.db
        .store
        .execute_for_tests(
            "UPDATE submission_versions SET content = REPLACE(content, '60123.4', '60123.5')",
        )
        .await
        .unwrap();
    let rewritten = check().await;
    assert_eq!(
        (
            rewritten["verified"].as_bool(),
            rewritten["checks"]["content_digest"].as_bool()
        ),
        (Some(false), Some(false))
    );
}

async fn year_to_date_is_filled_from_accepted_reports_not_typed_again(app: TestApp) {
    let value = |period: &str, number: f64| baocao_domain::value::DataValue {
        indicator: baocao_domain::indicator::IndicatorCode::new("HC02").unwrap(),
        options: baocao_domain::value::OptionCombo::TOTAL,
        agency: baocao_domain::agency::AgencyCode::new("01").unwrap(),
        period: baocao_domain::period::PeriodId::parse(period).unwrap(),
        value: baocao_domain::value::Value::Number(number),
        channel: baocao_domain::value::Channel::Web,
        source: "regime:BC-KSTTHC-Q".into(),
    };
    app.db
        .store
        .upsert_values(
            &[
                value("2026Q1", 5.0),
                value("2026Q2", 7.0),
                value("2025Q3", 100.0),
            ],
            "2026-11-26T08:00:00Z",
        )
        .await
        .unwrap();
    let hanoi = app.login("hanoi").await;
    let slot = "/api/v1/reports/BC-KSTTHC-Q/01/2026Q3";
    let cells = json!([
        {"form": "Biểu 01/KSTTHC", "row": "HC02", "column": "this_period", "options": {}, "value": "10"},
        {"form": "Biểu 01/KSTTHC", "row": "HC02", "column": "year_to_date", "options": {}, "value": "999"}]);
    let saved = app
        .call(
            Method::PUT,
            &format!("{slot}/draft"),
            Some(&hanoi),
            Some(&json!({"version": 0, "values": cells})),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let stored: Vec<(String, String)> = saved.json()["values"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["row"] == "HC02")
        .map(|c| {
            (
                c["column"].as_str().unwrap().to_string(),
                c["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        stored,
        [
            ("this_period".to_string(), "10".to_string()),
            ("year_to_date".to_string(), "22".to_string())
        ],
        "5 + 7 accepted earlier this year, plus this quarter's 10; the typed 999 is not kept"
    );
}

/// The state of the report at `SLOT` and how many data values it put in the data, read
/// straight from the database.
async fn stored_state(app: &TestApp) -> (Vec<String>, Vec<String>) {
    let status = app
        .db
        .raw_texts(
            "SELECT s.status FROM submissions s
             JOIN regimes r ON r.id = s.regime_id JOIN periods p ON p.id = s.period_id
             JOIN agencies a ON a.id = s.agency_id
             WHERE r.code = 'BC-KTXH-T' AND p.code = '202611' AND a.code = '01'",
        )
        .await;
    let values = app
        .db
        .raw_texts(
            "SELECT CAST(COUNT(*) AS TEXT) FROM data_values v
             JOIN sources s ON s.id = v.source_id JOIN periods p ON p.id = v.period_id
             WHERE s.code = 'regime:BC-KTXH-T' AND p.code = '202611'",
        )
        .await;
    (status, values)
}

async fn a_stored_version_that_does_not_parse_is_an_error_and_changes_nothing(app: TestApp) {
    let (hanoi, lead, vpcp) = (
        app.login("hanoi").await,
        app.login("hanoi-lead").await,
        app.login("vpcp").await,
    );
    let saved = put_draft(
        &app,
        &hanoi,
        json!({"version": 0, "values": monthly_values()}),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let submitted = act(&app, &lead, "submit", json!({})).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text);
    let before = stored_state(&app).await;
    assert_eq!(before.0, vec!["submitted".to_string()]);

    // A version damaged where it is stored (a bad restore, a hand edit): its content is cut.
    let damaged = app
        .db
        .raw_texts(
            "UPDATE submission_versions SET content = '{\"values\": [' RETURNING content_sha256",
        )
        .await;
    assert!(!damaged.is_empty());
    let accepted = act(&app, &vpcp, "accept", json!({})).await;
    assert_eq!(
        (accepted.status, error_code(&accepted.json())),
        (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
        "an unreadable version is never accepted as an empty report: {}",
        accepted.text
    );
    assert_eq!(
        stored_state(&app).await,
        before,
        "the refused acceptance changed neither the status nor the data"
    );

    // Its warnings damaged too: the report is not shown with its warnings silently dropped.
    app.db
        .raw_texts("UPDATE submission_versions SET content = '{}', warnings = 'not json' RETURNING content_sha256")
        .await;
    let read = app.get(SLOT, &vpcp).await;
    assert_eq!(
        read.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        read.text
    );
}

app_tests!(
    a_stored_version_that_does_not_parse_is_an_error_and_changes_nothing,
    year_to_date_is_filled_from_accepted_reports_not_typed_again,
    an_accepted_signature_fails_once_a_stored_value_is_altered,
    a_report_is_prefilled_from_subordinates_and_the_previous_period,
    a_province_compiles_its_report_from_the_communes_accepted_reports,
    the_government_office_compiles_from_the_provinces,
    versions_differ_cell_by_cell_and_reviewers_accept_many_at_once,
    a_regime_in_draft_takes_no_reports,
    the_permission_matrix_holds_for_every_workflow_route,
    submit_return_resubmit_accept_keeps_every_signed_version,
    a_reporter_saves_a_draft_and_reads_it_back,
    a_stale_save_is_refused_and_changes_nothing,
    bad_cells_are_listed_and_nothing_is_saved,
    nobody_else_reads_or_writes_a_draft,
    only_assigned_slots_of_the_right_frequency_exist,
    a_submission_moves_only_the_draft_it_read,
);
