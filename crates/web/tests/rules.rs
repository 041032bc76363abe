//! Validation rules on reports: violations on save, errors that block submission, warnings
//! that need an explanation, rules that read earlier periods and subordinates, and the rule
//! editor's check — on SQLite and PostgreSQL.

use axum::http::{Method, StatusCode};
use baocao_domain::agency::AgencyCode;
use baocao_domain::indicator::IndicatorCode;
use baocao_domain::period::PeriodId;
use baocao_domain::regime::{Regime, RegimeCode, RegimeContent, Severity, ValidationRule};
use baocao_domain::value::{Channel, DataValue, OptionCombo, Value as Number};
use baocao_test_support::{Answer, TestApp, app_tests};
use serde_json::{Value, json};

fn error_code(answer: &Answer) -> String {
    answer.json()["error"]["code"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn cells(form: &str, rows: &[(&str, &str)]) -> Value {
    Value::Array(
        rows.iter()
            .map(|(row, value)| json!({"form": form, "row": row, "column": "this_period", "options": {}, "value": value}))
            .collect(),
    )
}

async fn save(app: &TestApp, token: &str, slot: &str, values: Value) -> Answer {
    let version = app.get(slot, token).await.json()["version"]
        .as_i64()
        .unwrap_or(0);
    app.call(
        Method::PUT,
        &format!("{slot}/draft"),
        Some(token),
        Some(&json!({"version": version, "values": values})),
    )
    .await
}

async fn act(app: &TestApp, token: &str, slot: &str, action: &str, body: Value) -> Answer {
    app.call(
        Method::POST,
        &format!("{slot}/{action}"),
        Some(token),
        Some(&body),
    )
    .await
}

fn rule_ids(violations: &Value) -> Vec<String> {
    violations
        .as_array()
        .map(|list| {
            list.iter()
                .map(|v| v["rule"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

const PROCEDURES: &str = "/api/v1/reports/BC-KSTTHC-Q/01/2026Q3";
const PROCEDURES_FORM: &str = "Biểu 01/KSTTHC";

async fn an_error_blocks_submission_until_the_data_is_fixed(app: TestApp) {
    let (hanoi, lead) = (app.login("hanoi").await, app.login("hanoi-lead").await);
    let wrong = [
        ("HC01", "120"),
        ("HC02", "10"),
        ("HC03", "8"),
        ("HC04", "5"),
    ];
    let saved = save(&app, &hanoi, PROCEDURES, cells(PROCEDURES_FORM, &wrong)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let draft = saved.json();
    assert_eq!(rule_ids(&draft["violations"]), ["R1"]);
    assert_eq!(draft["violations"][0]["severity"], "error");
    let highlighted: Vec<&str> = draft["violations"][0]["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["row"].as_str().unwrap())
        .collect();
    assert_eq!(highlighted, ["HC02", "HC03", "HC04"]);

    // Explaining an error does not help: errors block.
    let refused = act(
        &app,
        &lead,
        PROCEDURES,
        "submit",
        json!({"explanations": [{"rule": "R1", "text": "Số liệu đúng"}]}),
    )
    .await;
    assert_eq!(
        (refused.status, error_code(&refused).as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    assert_eq!(rule_ids(&refused.json()["violations"]), ["R1"]);
    assert_eq!(rule_ids(&refused.json()["error"]["violations"]), ["R1"]);
    let unchanged = app.get(PROCEDURES, &hanoi).await.json();
    assert_eq!(
        (
            unchanged["status"].as_str(),
            unchanged["versions"].as_array().map(Vec::len)
        ),
        (Some("draft"), Some(0))
    );

    let fixed = save(
        &app,
        &hanoi,
        PROCEDURES,
        cells(PROCEDURES_FORM, &[("HC04", "2")]),
    )
    .await;
    assert_eq!(rule_ids(&fixed.json()["violations"]), Vec::<String>::new());
    let sent = act(&app, &lead, PROCEDURES, "submit", json!({})).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    assert_eq!(sent.json()["status"], "submitted");
}

const DOCUMENTS: &str = "/api/v1/reports/BC-VBDT-Q/01/2026Q3";

async fn a_warning_needs_a_written_explanation_that_the_receiver_reads(app: TestApp) {
    let (hanoi, lead, vpcp) = (
        app.login("hanoi").await,
        app.login("hanoi-lead").await,
        app.login("vpcp").await,
    );
    let saved = save(
        &app,
        &hanoi,
        DOCUMENTS,
        cells(
            "Biểu 01/VBĐT",
            &[("VB01", "100"), ("VB02", "90"), ("VB03", "130")],
        ),
    )
    .await;
    assert_eq!(rule_ids(&saved.json()["violations"]), ["R1"]);
    assert_eq!(saved.json()["violations"][0]["severity"], "warning");

    let bare = act(&app, &lead, DOCUMENTS, "submit", json!({})).await;
    assert_eq!(
        (bare.status, error_code(&bare).as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "explanation_required")
    );
    let blank = act(
        &app,
        &lead,
        DOCUMENTS,
        "submit",
        json!({"explanations": [{"rule": "R1", "text": "  "}]}),
    )
    .await;
    assert_eq!(error_code(&blank), "explanation_required");

    let reason = "Văn bản ký số gồm cả văn bản nội bộ không gửi đi.";
    let sent = act(
        &app,
        &lead,
        DOCUMENTS,
        "submit",
        json!({"explanations": [{"rule": "R1", "text": reason}]}),
    )
    .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    let seen = app.get(DOCUMENTS, &vpcp).await.json();
    assert_eq!(seen["versions"][0]["warnings"][0]["rule"], "R1");
    assert_eq!(seen["versions"][0]["warnings"][0]["explanation"], reason);
    assert_eq!(rule_ids(&seen["violations"]), ["R1"]);
}

/// Publishes a copy of the demo regime `base` as `code`, changed by `edit`, assigned to Hà Nội
/// reporting to the Government Office.
async fn publish_copy(
    app: &TestApp,
    base: &str,
    code: &str,
    edit: impl FnOnce(&mut RegimeContent),
) {
    let store = &app.db.store;
    let base = store
        .regime(&RegimeCode::new(base).unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut content = base.content().clone();
    content.code = RegimeCode::new(code).unwrap();
    edit(&mut content);
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
    let assignment = baocao_domain::assignment::Assignment::new(
        regime.code().clone(),
        AgencyCode::new("01").unwrap(),
        AgencyCode::new("VPCP").unwrap(),
        baocao_domain::agency::Validity::ALWAYS,
    )
    .unwrap();
    store
        .insert_assignments(
            &[assignment],
            &baocao_test_support::by_system("2026-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
}

/// A copy of the monthly socio-economic regime with rules over history and subordinates.
async fn publish_history_regime(app: &TestApp) {
    publish_copy(app, "BC-KTXH-T", "BC-LS-T", |content| {
        content.rules = [
            ("[KT04] >= 0.5 * prev([KT04])", Severity::Warning),
            (
                "[KT04] <= 3 * same_period_last_year([KT04])",
                Severity::Warning,
            ),
            ("[KT04] >= children_sum([KT04])", Severity::Error),
        ]
        .into_iter()
        .map(|(expression, severity)| ValidationRule {
            expression: expression.into(),
            severity,
            message_vi: "Kiểm tra".into(),
            message_en: String::new(),
        })
        .collect();
    })
    .await;
}

fn kt04(agency: &str, period: &str, value: f64, source: &str) -> DataValue {
    DataValue {
        indicator: IndicatorCode::new("KT04").unwrap(),
        options: OptionCombo::TOTAL,
        agency: AgencyCode::new(agency).unwrap(),
        period: PeriodId::parse(period).unwrap(),
        value: Number::Number(value),
        channel: Channel::Web,
        source: source.into(),
    }
}

async fn rules_read_earlier_periods_and_subordinates(app: TestApp) {
    publish_history_regime(&app).await;
    let slot = "/api/v1/reports/BC-LS-T/01/202611";
    let hanoi = app.login("hanoi").await;
    let one = |value: &str| cells("Biểu 01/KTXH-T", &[("KT04", value)]);
    // No history yet: rules over earlier periods and subordinates do not apply.
    assert_eq!(
        rule_ids(&save(&app, &hanoi, slot, one("100")).await.json()["violations"]),
        Vec::<String>::new()
    );

    let communes = app
        .db
        .store
        .agencies_as_of(
            jiff::civil::date(2026, 11, 30),
            &baocao_store::agencies::AgencyFilter {
                parent: Some(AgencyCode::new("01").unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(communes.len() >= 2, "Hà Nội has communes in the demo");
    let values = [
        kt04("01", "202610", 300.0, "regime:BC-LS-T"),
        // Another source for the same cell is used only where the regime has none.
        kt04("01", "202610", 1.0, "import:other"),
        kt04("01", "202511", 20.0, "import:other"),
        kt04(communes[0].code.as_str(), "202611", 60.0, "regime:BC-LS-T"),
        kt04(communes[1].code.as_str(), "202611", 50.0, "regime:BC-LS-T"),
    ];
    app.db
        .store
        .upsert_values(&values, "2026-11-26T08:00:00Z")
        .await
        .unwrap();
    // 100 < 0.5 × 300 (R1), 100 > 3 × 20 (R2), 100 < 60 + 50 (R3).
    assert_eq!(
        rule_ids(&save(&app, &hanoi, slot, one("100")).await.json()["violations"]),
        ["R1", "R2", "R3"]
    );
    assert_eq!(
        rule_ids(&save(&app, &hanoi, slot, one("155")).await.json()["violations"]),
        ["R2"]
    );
    assert_eq!(
        rule_ids(&save(&app, &hanoi, slot, one("55")).await.json()["violations"]),
        ["R1", "R3"]
    );
}

async fn check(app: &TestApp, token: &str, body: Value) -> Answer {
    app.call(
        Method::POST,
        "/api/v1/rules/check",
        Some(token),
        Some(&body),
    )
    .await
}

async fn the_rule_editor_checks_before_saving(app: TestApp) {
    let admin = app.login("admin").await;
    let malformed = [
        ("[HC02] >= ) 3", 10),
        ("1 +* 2", 3),
        ("[HC02] + ", 9),
        ("sum([HC02]", 10),
        ("[HC02] <= [HC0", 14),
    ];
    for (expression, position) in malformed {
        let answer = check(
            &app,
            &admin,
            json!({"regime": "BC-KSTTHC-Q", "expression": expression}),
        )
        .await;
        assert_eq!(
            (answer.status, error_code(&answer).as_str()),
            (StatusCode::BAD_REQUEST, "rule_syntax"),
            "{expression}"
        );
        assert_eq!(answer.json()["error"]["position"], position, "{expression}");
        assert!(
            answer.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("vị trí")
        );
    }
    let unknown = check(
        &app,
        &admin,
        json!({"regime": "BC-KSTTHC-Q", "expression": "[HC02] >= [KT04]"}),
    )
    .await;
    assert_eq!(
        (
            unknown.status,
            error_code(&unknown).as_str(),
            unknown.json()["error"]["position"].as_u64()
        ),
        (StatusCode::BAD_REQUEST, "rule_invalid", Some(10))
    );

    let valid = check(
        &app,
        &admin,
        json!({"regime": "BC-KSTTHC-Q", "expression": "[HC03] + [HC04] <= [HC02]",
        "values": cells(PROCEDURES_FORM, &[("HC02", "10"), ("HC03", "8"), ("HC04", "5")])}),
    )
    .await;
    assert_eq!(valid.status, StatusCode::OK, "{}", valid.text);
    assert_eq!(valid.json()["ok"], true);
    assert_eq!(valid.json()["sample"]["holds"], false);
    assert_eq!(valid.json()["reads"].as_array().map(Vec::len), Some(3));
    let formula = check(
        &app,
        &admin,
        json!({"regime": "BC-KSTTHC-Q", "kind": "formula", "expression": "100 * [HC03] / [HC02]",
        "values": cells(PROCEDURES_FORM, &[("HC02", "10"), ("HC03", "8")])}),
    )
    .await;
    assert_eq!(formula.json()["sample"]["value"], 80.0);

    let reporter = app.login("hanoi").await;
    let forbidden = check(
        &app,
        &reporter,
        json!({"regime": "BC-KSTTHC-Q", "expression": "[HC02] > 0"}),
    )
    .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let healthy = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(healthy.status, StatusCode::OK);
}

async fn cell_rules_refuse_bad_numbers_and_required_rows_block_submission(app: TestApp) {
    publish_copy(&app, "BC-KSTTHC-Q", "BC-BAT-BUOC-Q", |content| {
        assert_eq!(content.forms[0].rows[1].indicator.as_str(), "HC02");
        content.forms[0].rows[1].cells = baocao_domain::regime::CellRules {
            required: true,
            non_negative: true,
            decimals: Some(0),
            ..Default::default()
        };
    })
    .await;
    let slot = "/api/v1/reports/BC-BAT-BUOC-Q/01/2026Q3";
    let (hanoi, lead) = (app.login("hanoi").await, app.login("hanoi-lead").await);

    for bad in ["-3", "2.5"] {
        let refused = save(
            &app,
            &hanoi,
            slot,
            cells(PROCEDURES_FORM, &[("HC02", bad), ("HC03", "1")]),
        )
        .await;
        assert_eq!(
            (refused.status, error_code(&refused).as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_values"),
            "{bad}"
        );
    }
    let partial = save(&app, &hanoi, slot, cells(PROCEDURES_FORM, &[("HC03", "1")])).await;
    assert_eq!(partial.status, StatusCode::OK, "a draft may be half-filled");
    assert_eq!(
        rule_ids(&partial.json()["violations"]),
        ["REQ:HC02", "R1"],
        "the empty total also breaks R1"
    );
    let blocked = act(&app, &lead, slot, "submit", json!({})).await;
    assert_eq!(error_code(&blocked), "validation_failed");
    let filled = save(&app, &hanoi, slot, cells(PROCEDURES_FORM, &[("HC02", "4")])).await;
    assert_eq!(rule_ids(&filled.json()["violations"]), Vec::<String>::new());
    assert_eq!(
        act(&app, &lead, slot, "submit", json!({})).await.status,
        StatusCode::OK
    );
}

async fn late_reports_and_locked_slots_follow_the_regimes_settings(app: TestApp) {
    // BC-KTXH-T's November deadline was the 20th; the clock reads the 26th.
    publish_copy(&app, "BC-KTXH-T", "BC-KHONG-MUON-T", |content| {
        content.after_deadline = baocao_domain::regime::AfterDeadline {
            late_accepted: false,
            lock_after_days: None,
        };
    })
    .await;
    publish_copy(&app, "BC-KTXH-T", "BC-KHOA-T", |content| {
        content.after_deadline = baocao_domain::regime::AfterDeadline {
            late_accepted: true,
            lock_after_days: Some(3),
        };
    })
    .await;
    publish_copy(&app, "BC-KTXH-T", "BC-KHOA-MUON-T", |content| {
        content.after_deadline = baocao_domain::regime::AfterDeadline {
            late_accepted: true,
            lock_after_days: Some(10),
        };
    })
    .await;
    let (hanoi, lead) = (app.login("hanoi").await, app.login("hanoi-lead").await);
    let one = cells("Biểu 01/KTXH-T", &[("KT04", "1")]);

    let slot = "/api/v1/reports/BC-KHONG-MUON-T/01/202611";
    assert_eq!(
        save(&app, &hanoi, slot, one.clone()).await.status,
        StatusCode::OK,
        "a draft may still be written"
    );
    // What the report offers is what the API then does: no submission past a deadline the
    // regime enforces, though the draft may still be corrected.
    let offered = app.get(slot, &lead).await.json()["allowed"].clone();
    assert_eq!(
        (offered["edit"].clone(), offered["submit"].clone()),
        (json!(true), json!(false))
    );
    let late = act(&app, &lead, slot, "submit", json!({})).await;
    assert_eq!(
        (late.status, error_code(&late).as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "deadline_passed")
    );
    assert!(
        late.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("20/11/2026")
    );
    let next = "/api/v1/reports/BC-KHONG-MUON-T/01/202612";
    assert_eq!(
        save(&app, &hanoi, next, one.clone()).await.status,
        StatusCode::OK
    );
    assert_eq!(
        act(&app, &lead, next, "submit", json!({})).await.status,
        StatusCode::OK,
        "December is not late yet"
    );

    let offered = app
        .get("/api/v1/reports/BC-KHOA-T/01/202611", &lead)
        .await
        .json()["allowed"]
        .clone();
    assert_eq!(
        (offered["edit"].clone(), offered["submit"].clone()),
        (json!(false), json!(false)),
        "a locked report offers neither an edit nor a submission"
    );
    let locked = save(
        &app,
        &hanoi,
        "/api/v1/reports/BC-KHOA-T/01/202611",
        one.clone(),
    )
    .await;
    assert_eq!(
        (locked.status, error_code(&locked).as_str()),
        (StatusCode::CONFLICT, "slot_locked")
    );
    assert!(
        locked.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("23/11/2026")
    );
    let open = "/api/v1/reports/BC-KHOA-MUON-T/01/202611";
    assert_eq!(
        save(&app, &hanoi, open, one).await.status,
        StatusCode::OK,
        "locks on 30 November"
    );
    let sent = act(&app, &lead, open, "submit", json!({})).await;
    assert_eq!(sent.status, StatusCode::OK);
    assert_eq!(
        sent.json()["versions"][0]["late"],
        true,
        "accepted, and marked late"
    );
}

app_tests!(
    late_reports_and_locked_slots_follow_the_regimes_settings,
    cell_rules_refuse_bad_numbers_and_required_rows_block_submission,
    an_error_blocks_submission_until_the_data_is_fixed,
    a_warning_needs_a_written_explanation_that_the_receiver_reads,
    rules_read_earlier_periods_and_subordinates,
    the_rule_editor_checks_before_saving,
);
