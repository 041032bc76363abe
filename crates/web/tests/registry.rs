//! Authoring regimes over the API, the standardisation report and duplicate detection — on
//! SQLite and PostgreSQL.

use axum::http::{Method, StatusCode};
use baocao_test_support::{TestApp, app_tests};
use serde_json::{Value, json};

async fn base(app: &TestApp, token: &str) -> Value {
    let mut regime = app.get("/api/v1/regimes/BC-KSTTHC-Q", token).await.json();
    let object = regime.as_object_mut().unwrap();
    object.remove("version");
    object.remove("status");
    regime
}

async fn post(app: &TestApp, token: &str, body: &Value) -> baocao_test_support::Answer {
    app.call(Method::POST, "/api/v1/regimes", Some(token), Some(body))
        .await
}

async fn a_posted_regime_is_a_draft_and_read_back_alike(app: TestApp) {
    let admin = app.login("admin").await;
    let mut copy = base(&app, &admin).await;
    copy["code"] = json!("BC-MOI-Q");
    copy["status"] = json!("published");
    let created = post(&app, &admin, &copy).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let read = app.get("/api/v1/regimes/BC-MOI-Q", &admin).await.json();
    assert_eq!(read["status"], "draft");
    assert_eq!(read["forms"], copy["forms"]);
    assert_eq!(read["rules"], copy["rules"]);

    let again = post(&app, &admin, &copy).await;
    assert_eq!(
        (again.status, again.json()["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("regime_exists"))
    );

    let mut bad_rule = copy.clone();
    bad_rule["code"] = json!("BC-SAI-Q");
    bad_rule["rules"] =
        json!([{"expression": "[HC02] >= ) 3", "severity": "error", "message_vi": "x"}]);
    let refused = post(&app, &admin, &bad_rule).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    assert_eq!(
        (
            refused.json()["error"]["code"].as_str(),
            refused.json()["error"]["position"].as_u64()
        ),
        (Some("rule_syntax"), Some(10))
    );

    let mut unknown = copy.clone();
    unknown["code"] = json!("BC-LA-Q");
    unknown["forms"][0]["rows"][0]["indicator"] = json!("ZZ99");
    assert_eq!(
        post(&app, &admin, &unknown).await.json()["error"]["code"],
        "unknown_indicator"
    );
    assert_eq!(
        app.get("/api/v1/regimes/BC-SAI-Q", &admin).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/regimes/BC-LA-Q", &admin).await.status,
        StatusCode::NOT_FOUND
    );

    let reporter = app.login("hanoi").await;
    let mut theirs = copy.clone();
    theirs["code"] = json!("BC-CUA-TINH");
    assert_eq!(
        post(&app, &reporter, &theirs).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn the_standardisation_report_flags_what_is_missing_or_wrong(app: TestApp) {
    let admin = app.login("admin").await;
    let mut missing = base(&app, &admin).await;
    missing["code"] = json!("BC-THIEU-Q");
    missing["cutoff"] = Value::Null;
    missing["outline"] = json!([]);
    assert_eq!(
        post(&app, &admin, &missing).await.status,
        StatusCode::CREATED
    );
    let mut early = base(&app, &admin).await;
    early["code"] = json!("BC-SOM-Q");
    // Due on the 5th of the quarter's last month: before the cut-off end (the 14th).
    early["deadline"] = json!({"kind": "day_of_month", "day": 5, "months_after_period_end": 0});
    assert_eq!(post(&app, &admin, &early).await.status, StatusCode::CREATED);

    let report = app
        .get("/api/v1/regimes/standardisation", &admin)
        .await
        .json();
    let entries = report["items"].as_array().unwrap();
    let codes_of = |regime: &str| -> Vec<String> {
        entries
            .iter()
            .find(|e| e["regime"] == regime)
            .map(|e| {
                e["problems"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|p| p["severity"] == "error")
                    .map(|p| p["code"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        codes_of("BC-THIEU-Q"),
        ["missing_element", "missing_element"]
    );
    assert_eq!(codes_of("BC-SOM-Q"), ["deadline_before_cutoff_end"]);
    let message = &entries
        .iter()
        .find(|e| e["regime"] == "BC-THIEU-Q")
        .unwrap()["problems"][0]["message"];
    assert!(
        message.as_str().unwrap().contains("Thời gian chốt số liệu"),
        "{message}"
    );
    // The demo catalogue has no definitions yet: a warning, once per regime, naming them.
    let warning = entries
        .iter()
        .find(|e| e["regime"] == "BC-KSTTHC-Q")
        .unwrap()["problems"][0]
        .clone();
    assert_eq!(
        (warning["code"].as_str(), warning["severity"].as_str()),
        (Some("indicator_without_definition"), Some("warning"))
    );
    assert!(
        warning["message"].as_str().unwrap().contains("HC01, HC02"),
        "{warning}"
    );
    // Every demo regime is listed, the flagged ones first.
    assert_eq!(
        entries.len(),
        app.get("/api/v1/regimes", &admin).await.json()["total"]
            .as_u64()
            .unwrap() as usize
    );
    let first_clean = entries
        .iter()
        .position(|e| e["problems"].as_array().unwrap().is_empty())
        .unwrap_or(entries.len());
    assert!(
        entries[first_clean..]
            .iter()
            .all(|e| e["problems"].as_array().unwrap().is_empty())
    );
}

async fn a_planted_duplicate_tops_the_list(app: TestApp) {
    let admin = app.login("admin").await;
    let mut copy = base(&app, &admin).await;
    copy["code"] = json!("BC-TTHC-KS-Q");
    copy["name"] = json!("Báo cáo kết quả kiểm soát thủ tục hành chính quý");
    assert_eq!(post(&app, &admin, &copy).await.status, StatusCode::CREATED);
    let pairs = app.get("/api/v1/regimes/duplicates", &admin).await.json()["items"]
        .as_array()
        .cloned()
        .unwrap();
    let top = &pairs[0];
    let mut names = [top["a"].as_str().unwrap(), top["b"].as_str().unwrap()];
    names.sort();
    assert_eq!(names, ["BC-KSTTHC-Q", "BC-TTHC-KS-Q"]);
    assert_eq!(top["score"], 1.0);
    assert_eq!(top["shared"].as_array().unwrap().len(), 6);
    assert!(
        pairs
            .windows(2)
            .all(|w| w[0]["score"].as_f64() >= w[1]["score"].as_f64())
    );

    // The same review per issuing agency: the copy is issued by another ministry.
    let mut other = base(&app, &admin).await;
    other["code"] = json!("BC-TTHC-BTP-Q");
    other["legal_basis"]["issuer"] = json!("Bộ Tư pháp");
    assert_eq!(post(&app, &admin, &other).await.status, StatusCode::CREATED);
    let of_justice = app
        .get("/api/v1/regimes/duplicates?issuer=bo%20tu%20phap", &admin)
        .await
        .json();
    let items = of_justice["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|p| p["issuer_a"] == "Bộ Tư pháp" || p["issuer_b"] == "Bộ Tư pháp"),
        "{items:?}"
    );
    let issuers = app.get("/api/v1/regimes/issuers", &admin).await.json();
    let justice = issuers
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["issuer"] == "Bộ Tư pháp")
        .expect("a report for the Ministry of Justice");
    assert_eq!(justice["regimes"], 1);
    assert_eq!(justice["regime_codes"], json!(["BC-TTHC-BTP-Q"]));
    assert_eq!(
        justice["duplicate_pairs"].as_u64(),
        Some(items.len() as u64)
    );
    let total: u64 = issuers
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["regimes"].as_u64().unwrap())
        .sum();
    let regimes = app.get("/api/v1/regimes", &admin).await.json();
    assert_eq!(
        Some(total),
        regimes["total"].as_u64(),
        "every regime counted once"
    );
}

async fn deadlines_in_working_days_skip_weekends_and_tet(app: TestApp) {
    let admin = app.login("admin").await;
    let mut regime = base(&app, &admin).await;
    regime["code"] = json!("BC-NGAY-LV-T");
    regime["frequency"] = json!("monthly");
    regime["deadline"] = json!({"kind": "days_after_cutoff", "days": 2, "working_days": true});
    assert_eq!(
        post(&app, &admin, &regime).await.status,
        StatusCode::CREATED
    );
    let due = |period: &str| {
        let path = format!("/api/v1/regimes/BC-NGAY-LV-T/periods/{period}");
        let app = &app;
        let admin = admin.clone();
        async move {
            app.get(&path, &admin).await.json()["deadline"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    // November 2026's window ends Saturday the 14th: Monday 16, Tuesday 17.
    assert_eq!(due("202611").await, "2026-11-17");
    // February 2026's ends Saturday the 14th, then Tết from the 16th to the 20th.
    assert_eq!(due("202602").await, "2026-02-24");
    let page = app.get("/api/v1/regimes/BC-NGAY-LV-T", &admin).await.json();
    assert_eq!(page["deadline"]["working_days"], true);
}

async fn a_regime_is_drafted_published_assigned_amended_and_retired(app: TestApp) {
    let admin = app.login("admin").await;
    let mut regime = base(&app, &admin).await;
    regime["code"] = json!("BC-VONGDOI-Q");
    regime["name"] = json!("Báo cáo thử vòng đời");
    assert_eq!(
        post(&app, &admin, &regime).await.status,
        StatusCode::CREATED
    );
    let call = |method: Method, path: &str, body: Option<Value>| {
        let app = &app;
        let admin = admin.clone();
        let path = format!("/api/v1/regimes/BC-VONGDOI-Q{path}");
        async move { app.call(method, &path, Some(&admin), body.as_ref()).await }
    };

    // The draft is edited in place while it has never been published.
    regime["name"] = json!("Báo cáo thử vòng đời (sửa)");
    let edited = call(Method::PUT, "/draft", Some(regime.clone())).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    assert_eq!(
        (
            edited.json()["version"].as_u64(),
            edited.json()["status"].as_str()
        ),
        (Some(1), Some("draft"))
    );
    let hanoi = app.login("hanoi").await;
    let foreign = app
        .call(
            Method::PUT,
            "/api/v1/regimes/BC-VONGDOI-Q/draft",
            Some(&hanoi),
            Some(&regime),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);

    // Published from 2026, assigned to Hà Nội, it takes reports: due 20 December for 2026Q4.
    let published = call(
        Method::POST,
        "/publish",
        Some(json!({"effective_from": "2026-01-01"})),
    )
    .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text);
    let assigned = call(
        Method::POST,
        "/assignments",
        Some(json!({"assignments": [{"reporting_agency": "01", "receiving_agency": "VPCP", "valid_from": "2026-01-01"}]})),
    )
    .await;
    assert_eq!(assigned.status, StatusCode::CREATED, "{}", assigned.text);
    let slot = |period: &'static str| {
        let app = &app;
        let hanoi = hanoi.clone();
        async move {
            app.get(&format!("/api/v1/reports/BC-VONGDOI-Q/01/{period}"), &hanoi)
                .await
                .json()
        }
    };
    let q4 = slot("2026Q4").await;
    assert_eq!(
        (&q4["deadline"], &q4["regime_version"]),
        (&json!("2026-12-20"), &json!(1))
    );

    // An amendment moves the deadline to the 25th from 2027: a draft version 2 that does not
    // replace the version in force until published, and then only for periods from 2027.
    regime["deadline"] = json!({"kind": "day_of_month", "day": 25, "months_after_period_end": 0});
    let amended = call(Method::PUT, "/draft", Some(regime.clone())).await;
    assert_eq!(amended.status, StatusCode::OK, "{}", amended.text);
    assert_eq!(
        (
            amended.json()["version"].as_u64(),
            amended.json()["status"].as_str()
        ),
        (Some(2), Some("draft"))
    );
    let in_force = app.get("/api/v1/regimes/BC-VONGDOI-Q", &admin).await.json();
    assert_eq!(
        (in_force["version"].as_u64(), in_force["status"].as_str()),
        (Some(1), Some("published"))
    );
    let too_early = call(
        Method::POST,
        "/publish",
        Some(json!({"effective_from": "2026-01-01"})),
    )
    .await;
    assert_eq!(too_early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_early.json()["error"]["code"], "invalid_regime");
    let second = call(
        Method::POST,
        "/publish",
        Some(json!({"effective_from": "2027-01-01"})),
    )
    .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let q4 = slot("2026Q4").await;
    assert_eq!(
        (&q4["deadline"], &q4["regime_version"]),
        (&json!("2026-12-20"), &json!(1)),
        "an earlier period keeps its version"
    );
    let q1 = slot("2027Q1").await;
    assert_eq!(
        (&q1["deadline"], &q1["regime_version"]),
        (&json!("2027-03-25"), &json!(2))
    );
    let versions = call(Method::GET, "/versions", None).await.json();
    assert_eq!(versions.as_array().unwrap().len(), 2);

    // Bad assignments are refused whole.
    for body in [
        json!({"assignments": [{"reporting_agency": "ZZ", "receiving_agency": "VPCP", "valid_from": "2026-01-01"}]}),
        json!({"assignments": [{"reporting_agency": "01", "receiving_agency": "01", "valid_from": "2026-01-01"}]}),
        json!({"assignments": [{"reporting_agency": "79", "receiving_agency": "VPCP", "valid_from": "2026-05-01", "valid_to": "2026-01-01"}]}),
    ] {
        let refused = call(Method::POST, "/assignments", Some(body.clone())).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            refused.text
        );
    }

    // Retired, it takes no more reports for any period.
    let retired = call(Method::POST, "/retire", None).await;
    assert_eq!(retired.status, StatusCode::OK, "{}", retired.text);
    assert_eq!(retired.json()["status"], "retired");
    for period in ["2026Q4", "2027Q1"] {
        let draft = app
            .call(
                Method::PUT,
                &format!("/api/v1/reports/BC-VONGDOI-Q/01/{period}/draft"),
                Some(&hanoi),
                Some(&json!({"version": 0, "values": []})),
            )
            .await;
        assert_eq!(draft.status.as_u16() / 100, 4, "{period}: {}", draft.text);
    }
    // A retired regime cannot be drafted again: a conflict with its state.
    let again = call(Method::PUT, "/draft", Some(regime)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json()["error"]["code"], "invalid_regime");
}

async fn import_csv(
    app: &TestApp,
    token: &str,
    query: &str,
    csv: &str,
) -> baocao_test_support::Answer {
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/indicators/import{query}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "text/csv; charset=utf-8")
        .body(axum::body::Body::from(csv.to_string()))
        .unwrap();
    app.send(request).await
}

const HEADER: &str = "code,name_vi,name_en,unit_vi,unit_en,value_type,aggregation,frequency,disaggregation,group,definition_vi\n";

async fn the_indicator_catalogue_is_imported_whole_or_not_at_all(app: TestApp) {
    let admin = app.login("admin").await;
    // One new indicator, one known indicator with a definition added, one unchanged.
    let good = format!(
        "{HEADER}XH90,Số người được trợ giúp xã hội,People receiving social assistance,người,people,integer,sum,yearly,sex,Xã hội,Người hưởng trợ cấp hằng tháng\n\
         KT04,Tổng mức bán lẻ hàng hóa và doanh thu dịch vụ tiêu dùng,Retail sales of goods and consumer services,tỷ đồng,billion VND,decimal,sum,monthly,,Thương mại,Doanh thu bán lẻ theo giá hiện hành\n\
         XH05,Số hộ nghèo,Poor households,hộ,households,integer,sum,yearly,area,Xã hội,\n"
    );
    let dry = import_csv(&app, &admin, "?dry_run=true", &good).await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.text);
    let dry = dry.json();
    assert_eq!(
        (
            &dry["created"],
            &dry["updated"],
            &dry["unchanged"],
            &dry["imported"]
        ),
        (
            &json!(["XH90"]),
            &json!(["KT04"]),
            &json!(["XH05"]),
            &json!(false)
        )
    );
    assert_eq!(
        app.get("/api/v1/indicators/XH90", &admin).await.status,
        StatusCode::NOT_FOUND,
        "a dry run writes nothing"
    );
    let done = import_csv(&app, &admin, "", &good).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.json()["imported"], true);
    let new = app.get("/api/v1/indicators/XH90", &admin).await.json();
    assert_eq!(new["disaggregation"], json!(["sex"]));
    let known = app.get("/api/v1/indicators/KT04", &admin).await.json();
    assert_eq!(
        known["definition_vi"],
        "Doanh thu bán lẻ theo giá hiện hành"
    );
    let again = import_csv(&app, &admin, "", &good).await.json();
    assert_eq!(
        again["unchanged"].as_array().unwrap().len(),
        3,
        "importing twice changes nothing"
    );

    // Every bad line is reported, and a file with one bad line imports nothing.
    let bad = format!(
        "{HEADER}XH91,Chỉ tiêu mới,New indicator,người,people,integer,sum,yearly,,Xã hội,\n\
         XH92,Phân tổ lạ,Unknown category,người,people,integer,sum,yearly,tuoi,Xã hội,\n\
         XH93,Kiểu lạ,Unknown type,người,people,number,sum,yearly,,Xã hội,\n\
         KT04,Tổng mức bán lẻ,Retail sales,tỷ đồng,billion VND,decimal,average,monthly,,Thương mại,\n\
         XH91,Trùng mã,Twice,người,people,integer,sum,yearly,,Xã hội,\n\
         XH94,,No name,người,people,integer,sum,yearly,,Xã hội,\n"
    );
    let refused = import_csv(&app, &admin, "", &bad).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    let report = refused.json();
    let lines: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4, 5, 6, 7]);
    assert!(
        report["errors"][1]["message"]
            .as_str()
            .unwrap()
            .contains("kiểu giá trị")
    );
    assert!(
        report["errors"][2]["message"]
            .as_str()
            .unwrap()
            .contains("cách tổng hợp")
    );
    assert!(
        report["errors"][2]["message_en"]
            .as_str()
            .unwrap()
            .contains("aggregation")
    );
    assert_eq!(
        app.get("/api/v1/indicators/XH91", &admin).await.status,
        StatusCode::NOT_FOUND,
        "nothing of a refused file is imported"
    );

    let wrong_type = app
        .call(
            Method::POST,
            "/api/v1/indicators/import",
            Some(&admin),
            Some(&json!({})),
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A table that is not a catalogue (no code column) is refused even without rows.
    let foreign = import_csv(&app, &admin, "", "ma,ten\n").await;
    assert_eq!(
        foreign.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        foreign.text
    );
    assert_eq!(foreign.json()["errors"][0]["line"], 1);
    let reporter = app.login("hanoi").await;
    assert_eq!(
        import_csv(&app, &reporter, "", &good).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn import_regimes(
    app: &TestApp,
    token: &str,
    query: &str,
    csv: &str,
) -> baocao_test_support::Answer {
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/regimes/import{query}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "text/csv")
        .body(axum::body::Body::from(csv.to_string()))
        .unwrap();
    app.send(request).await
}

const REGIME_HEADER: &str = "code,name_vi,name_en,kind,legal_document,legal_issuer,legal_date,content_requirements,reporting_levels,receiving_agency,methods,frequency,cutoff,deadline,deadline_time,outline,indicators\n";

async fn a_ministrys_list_of_regimes_is_imported_as_drafts_for_review(app: TestApp) {
    let admin = app.login("admin").await;
    let good = format!(
        "{REGIME_HEADER}BC-NHAP-1,Báo cáo thủ tục hành chính của Bộ,,periodic,Thông tư 05/2021/TT-BNV,Bộ Nội vụ,2021-06-01,Kết quả giải quyết hồ sơ,province,VPCP,reporting_system,quarterly,decree09,day_of_month:20,17:00,I. Kết quả|II. Kiến nghị,HC01;HC02;HC03;HC04;HC05;HC06\n\
         BC-NHAP-2,Báo cáo thiếu thành phần,,periodic,Thông tư 05/2021/TT-BNV,Bộ Nội vụ,,Nội dung,province,VPCP,email,monthly,,day_of_month:18,,,KT04\n"
    );
    let dry = import_regimes(&app, &admin, "?dry_run=true", &good).await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.text);
    let dry = dry.json();
    assert_eq!(dry["created"][0]["missing_elements"], json!([]));
    assert_eq!(
        dry["created"][1]["missing_elements"],
        json!(["cutoff", "outline"])
    );
    assert_eq!(
        app.get("/api/v1/regimes/BC-NHAP-1", &admin).await.status,
        StatusCode::NOT_FOUND
    );

    let done = import_regimes(&app, &admin, "", &good).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let first = app.get("/api/v1/regimes/BC-NHAP-1", &admin).await.json();
    assert_eq!(
        (&first["status"], &first["deadline_time"]),
        (&json!("draft"), &json!("17:00:00"))
    );
    let standard = app
        .get("/api/v1/regimes/standardisation", &admin)
        .await
        .json();
    let flagged: Vec<&str> = standard["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["problems"].as_array().unwrap().is_empty())
        .map(|e| e["regime"].as_str().unwrap())
        .collect();
    assert!(flagged.contains(&"BC-NHAP-2"), "{flagged:?}");
    let pairs = app
        .get("/api/v1/regimes/duplicates?issuer=Bo%20Noi%20vu", &admin)
        .await
        .json();
    assert!(
        pairs["items"].as_array().unwrap().iter().any(|p| {
            let mut pair = [p["a"].as_str().unwrap(), p["b"].as_str().unwrap()];
            pair.sort();
            pair == ["BC-KSTTHC-Q", "BC-NHAP-1"] && p["score"] == 1.0
        }),
        "the imported copy of an existing regime is found: {pairs}"
    );

    let bad = format!(
        "{REGIME_HEADER}BC-NHAP-3,Chỉ tiêu lạ,,periodic,,,,,province,VPCP,,monthly,decree09,day_of_month:18,,,ZZ99\n\
         BC-NHAP-4,Tần suất lạ,,periodic,,,,,province,VPCP,,fortnightly,decree09,day_of_month:18,,,\n\
         BC-KTXH-T,Mã đã có,,periodic,,,,,province,VPCP,,monthly,decree09,day_of_month:18,,,\n\
         BC-NHAP-5,Hạn lạ,,periodic,,,,,province,VPCP,,monthly,decree09,khi nào xong,,,\n"
    );
    let refused = import_regimes(&app, &admin, "", &bad).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    let errors = refused.json()["errors"].clone();
    let lines: Vec<u64> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3, 4, 5]);
    assert!(errors[0]["message"].as_str().unwrap().contains("ZZ99"));
    assert!(
        errors[3]["message_en"]
            .as_str()
            .unwrap()
            .contains("deadline")
    );
    assert_eq!(
        app.get("/api/v1/regimes/BC-NHAP-3", &admin).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn an_excel_workbook_imports_like_its_csv(app: TestApp) {
    let admin = app.login("admin").await;
    let upload = |body: Vec<u8>| {
        axum::http::Request::builder()
            .method(Method::POST)
            .uri("/api/v1/indicators/import")
            .header("authorization", format!("Bearer {admin}"))
            .header(
                "content-type",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    let workbook = include_bytes!("fixtures/indicators.xlsx").to_vec();
    let answer = app.send(upload(workbook)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.json()["created"], json!(["XH95", "XH96"]));
    let imported = app.get("/api/v1/indicators/XH95", &admin).await.json();
    assert_eq!(
        (&imported["unit_vi"], &imported["disaggregation"]),
        (&json!("trẻ"), &json!(["sex"]))
    );
    let broken = app.send(upload(b"PK not really a workbook".to_vec())).await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert_eq!(broken.json()["error"]["code"], "invalid_workbook");
}

app_tests!(
    an_excel_workbook_imports_like_its_csv,
    a_ministrys_list_of_regimes_is_imported_as_drafts_for_review,
    the_indicator_catalogue_is_imported_whole_or_not_at_all,
    a_regime_is_drafted_published_assigned_amended_and_retired,
    deadlines_in_working_days_skip_weekends_and_tet,
    a_posted_regime_is_a_draft_and_read_back_alike,
    the_standardisation_report_flags_what_is_missing_or_wrong,
    a_planted_duplicate_tops_the_list,
);
