//! DHIS2 data value sets: pushes land in report drafts through the same checks as the UI,
//! with DHIS2's import summary — counts, conflicts, dry runs, atomic mode, strategies — and
//! a slot reads back in the same shape; on SQLite and PostgreSQL.

use axum::http::{Method, StatusCode};
use baocao_test_support::{Answer, TestApp, app_tests, push_as};
use serde_json::{Value, json};

fn set(values: &[(&str, Value)]) -> Value {
    json!({
        "dataSet": "BC-KTXH-T", "period": "202611", "orgUnit": "01",
        "dataValues": values.iter().map(|(element, value)| json!({"dataElement": element, "value": value})).collect::<Vec<_>>(),
    })
}

async fn push(app: &TestApp, token: &str, query: &str, body: &Value) -> Answer {
    app.call(
        Method::POST,
        &format!("/api/v1/dataValueSets{query}"),
        Some(token),
        Some(body),
    )
    .await
}

fn counts(answer: &Answer) -> [u64; 4] {
    let json = answer.json();
    ["imported", "updated", "ignored", "deleted"]
        .map(|k| json["importCount"][k].as_u64().unwrap_or(99))
}

async fn stored(app: &TestApp, token: &str) -> Vec<(String, String)> {
    app.this_period_totals("/api/v1/reports/BC-KTXH-T/01/202611", token)
        .await
}

async fn a_pushed_set_lands_in_the_draft_once(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let three = set(&[
        ("KT03", json!("107.9")),
        ("KT04", json!(60123.4)),
        ("KT05", json!("1790.2")),
    ]);

    let dry = push(&app, &hanoi, "?dryRun=true", &three).await;
    assert_eq!((dry.status, counts(&dry)), (StatusCode::OK, [3, 0, 0, 0]));
    assert!(
        stored(&app, &hanoi).await.is_empty(),
        "a dry run writes nothing"
    );

    let first = push(&app, &hanoi, "", &three).await;
    assert_eq!(
        (first.status, first.json()["status"].as_str()),
        (StatusCode::OK, Some("OK")),
        "{}",
        first.text
    );
    assert_eq!(counts(&first), [3, 0, 0, 0]);
    // DHIS2 2.38's web message around the same summary, for clients that read it there.
    let message = first.json();
    assert_eq!(
        (
            message["httpStatusCode"].as_u64(),
            message["httpStatus"].as_str()
        ),
        (Some(200), Some("OK"))
    );
    assert_eq!(message["response"]["importCount"], message["importCount"]);
    assert_eq!(message["response"]["status"], "SUCCESS");
    assert_eq!(stored(&app, &hanoi).await.len(), 3);

    let again = push(&app, &hanoi, "", &three).await;
    assert_eq!(
        counts(&again),
        [0, 0, 3, 0],
        "the same payload twice changes nothing"
    );
    let changed = push(
        &app,
        &hanoi,
        "",
        &set(&[("KT03", json!("108")), ("KT04", json!("60123.4"))]),
    )
    .await;
    assert_eq!(counts(&changed), [0, 1, 1, 0]);
    let only_new = push(
        &app,
        &hanoi,
        "?importStrategy=CREATE",
        &set(&[("KT03", json!("1")), ("KT06", json!("2388"))]),
    )
    .await;
    assert_eq!(counts(&only_new), [1, 0, 1, 0]);
    let deleted = push(
        &app,
        &hanoi,
        "?importStrategy=DELETE",
        &set(&[("KT06", json!("2388")), ("KT08", json!("1"))]),
    )
    .await;
    assert_eq!(counts(&deleted), [0, 0, 1, 1]);
    let rows: Vec<String> = stored(&app, &hanoi)
        .await
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert_eq!(rows, ["KT03", "KT04", "KT05"]);

    // The same at DHIS2's own path, and read back in DHIS2's shape.
    let dhis2 = app
        .call(
            Method::POST,
            "/api/dataValueSets",
            Some(&hanoi),
            Some(&set(&[("KT09", json!("37000.1"))])),
        )
        .await;
    assert_eq!(counts(&dhis2), [1, 0, 0, 0]);
    let back = app
        .get(
            "/api/v1/dataValueSets?dataSet=BC-KTXH-T&period=202611&orgUnit=01",
            &hanoi,
        )
        .await
        .json();
    let elements: Vec<&str> = back["dataValues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["dataElement"].as_str().unwrap())
        .collect();
    assert_eq!(elements, ["KT03", "KT04", "KT05", "KT09"]);
    assert_eq!(back["dataValues"][0]["categoryOptionCombo"], "default");
}

async fn conflicts_refuse_the_whole_set_unless_asked_otherwise(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let mixed = json!({"dataSet": "BC-KTXH-T", "period": "202611", "orgUnit": "01", "dataValues": [
        {"dataElement": "KT04", "value": "60123.4"},
        {"dataElement": "KT05", "value": "nhiều"},
        {"dataElement": "ZZ99", "value": "1"},
        {"dataElement": "KT06", "orgUnit": "VPCP", "value": "1"},
    ]});
    let refused = push(&app, &hanoi, "", &mixed).await;
    assert_eq!(
        (refused.status, refused.json()["status"].as_str()),
        (StatusCode::CONFLICT, Some("ERROR"))
    );
    let conflicts = refused.json()["conflicts"].as_array().unwrap().len();
    assert_eq!(conflicts, 3, "{}", refused.text);
    assert_eq!(refused.json()["httpStatusCode"], 409);
    assert_eq!(
        refused.json()["response"]["conflicts"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    assert!(
        stored(&app, &hanoi).await.is_empty(),
        "nothing half-imported"
    );

    let partial = push(&app, &hanoi, "?atomicMode=NONE", &mixed).await;
    assert_eq!(
        (partial.status, partial.json()["status"].as_str()),
        (StatusCode::OK, Some("WARNING"))
    );
    // DHIS2 counts a value in conflict as ignored: attempted, not written.
    assert_eq!(counts(&partial), [1, 0, 3, 0]);
    assert_eq!(
        stored(&app, &hanoi).await,
        [("KT04".to_string(), "60123.4".to_string())]
    );

    // A submitted report takes no pushed values; a stranger's push is a conflict, not a write.
    let lead = app.login("hanoi-lead").await;
    let sent = app
        .call(
            Method::POST,
            "/api/v1/reports/BC-KTXH-T/01/202611/submit",
            Some(&lead),
            Some(&json!({})),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK);
    let late = push(&app, &hanoi, "", &set(&[("KT05", json!("1"))])).await;
    assert_eq!(late.json()["status"], "ERROR");
    let hcm = app.login("hcm").await;
    let stranger = push(
        &app,
        &hcm,
        "?atomicMode=NONE",
        &set(&[("KT05", json!("1"))]),
    )
    .await;
    assert_eq!(
        (stranger.json()["status"].as_str(), counts(&stranger)),
        (Some("WARNING"), [0, 0, 1, 0])
    );
    let bad_combo = json!({"dataSet": "BC-KTXH-T", "period": "202612", "orgUnit": "01",
        "dataValues": [{"dataElement": "KT04", "categoryOptionCombo": "sex", "value": "1"}]});
    let refused = push(&app, &hanoi, "", &bad_combo).await;
    assert_eq!(refused.json()["status"], "ERROR");
    assert!(
        refused.json()["conflicts"][0]["value"]
            .as_str()
            .unwrap()
            .contains("categoryOptionCombo"),
        "{}",
        refused.text
    );
    let no_set = push(&app, &hanoi, "", &json!({"dataValues": []})).await;
    assert_eq!(
        (no_set.status, no_set.json()["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("data_set_required"))
    );
}

/// A request to DHIS2's own path with an `Authorization` header as DHIS2 tools send it.
async fn as_client(
    app: &TestApp,
    method: Method,
    path: &str,
    authorization: &str,
    body: Option<&Value>,
) -> Answer {
    let mut request = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", authorization);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let body = body.map_or_else(axum::body::Body::empty, |b| {
        axum::body::Body::from(b.to_string())
    });
    app.send(request.body(body).unwrap()).await
}

fn basic(name: &str, secret: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{name}:{secret}"))
    )
}

async fn registered_clients_push_and_pull_within_their_scopes_and_rate(app: TestApp) {
    let admin = app.login("admin").await;
    let hanoi = app.login("hanoi").await;
    let registration = json!({"name": "his-hanoi", "agency": "01", "regimes": ["BC-KTXH-T"],
                              "push": true, "pull": true, "rate_per_minute": 5});
    let refused = app
        .call(
            Method::POST,
            "/api/v1/clients",
            Some(&hanoi),
            Some(&registration),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let registered = app
        .call(
            Method::POST,
            "/api/v1/clients",
            Some(&admin),
            Some(&registration),
        )
        .await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{}",
        registered.text
    );
    let token = registered.json()["token"].as_str().unwrap().to_string();
    let id = registered.json()["id"].as_i64().unwrap();
    let api_token = format!("ApiToken {token}");

    // Push with the token, then the same values with HTTP Basic: imported once, then ignored.
    let values = set(&[("KT04", json!("60123.4"))]);
    let first = as_client(
        &app,
        Method::POST,
        "/api/dataValueSets",
        &api_token,
        Some(&values),
    )
    .await;
    assert_eq!(
        (first.status, counts(&first)),
        (StatusCode::OK, [1, 0, 0, 0]),
        "{}",
        first.text
    );
    let again = as_client(
        &app,
        Method::POST,
        "/api/dataValueSets",
        &basic("his-hanoi", &token),
        Some(&values),
    )
    .await;
    assert_eq!(
        (again.status, counts(&again)),
        (StatusCode::OK, [0, 0, 1, 0]),
        "{}",
        again.text
    );
    assert!(
        stored(&app, &hanoi)
            .await
            .contains(&("KT04".to_string(), "60123.4".to_string()))
    );

    // Outside its regimes, or another province: refused.
    let other_regime = json!({"dataSet": "BC-KSTTHC-Q", "period": "2026Q4", "orgUnit": "01",
                              "dataValues": [{"dataElement": "HC01", "value": "1"}]});
    let out = as_client(
        &app,
        Method::POST,
        "/api/dataValueSets",
        &api_token,
        Some(&other_regime),
    )
    .await;
    assert_eq!(out.status, StatusCode::FORBIDDEN);
    assert_eq!(out.json()["error"]["code"], "out_of_scope");
    let mut elsewhere = set(&[("KT04", json!("1"))]);
    elsewhere["orgUnit"] = json!("79");
    let foreign = as_client(
        &app,
        Method::POST,
        "/api/dataValueSets",
        &api_token,
        Some(&elsewhere),
    )
    .await;
    assert_eq!(foreign.json()["status"], "ERROR", "{}", foreign.text);

    // Pull in DHIS2's shape.
    let pulled = as_client(
        &app,
        Method::GET,
        "/api/dataValueSets?dataSet=BC-KTXH-T&period=202611&orgUnit=01",
        &api_token,
        None,
    )
    .await;
    assert_eq!(pulled.status, StatusCode::OK, "{}", pulled.text);
    assert_eq!(pulled.json()["dataValues"][0]["value"], "60123.4");

    // Five calls this minute are allowed; the sixth waits.
    let limited = as_client(
        &app,
        Method::GET,
        "/api/dataValueSets?dataSet=BC-KTXH-T&period=202611&orgUnit=01",
        &api_token,
        None,
    )
    .await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        limited.text
    );
    assert_eq!(limited.json()["error"]["code"], "rate_limited");

    let listed = app.get("/api/v1/clients", &admin).await.json();
    let client = &listed.as_array().unwrap()[0];
    assert_eq!(client["name"], "his-hanoi");
    assert!(client["last_used_at"].is_string());
    assert!(client.get("token").is_none(), "tokens are never listed");

    // Revoked: neither the token nor the account works any more.
    let revoked = app
        .call(
            Method::DELETE,
            &format!("/api/v1/clients/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    for authorization in [
        api_token.clone(),
        basic("his-hanoi", &token),
        "ApiToken wrong".to_string(),
    ] {
        let answer = as_client(
            &app,
            Method::GET,
            "/api/dataValueSets?dataSet=BC-KTXH-T&period=202611&orgUnit=01",
            &authorization,
            None,
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{authorization}");
    }
}

async fn a_client_granted_submission_sends_the_report_on(app: TestApp) {
    let admin = app.login("admin").await;
    let registration = json!({"name": "his-hcm", "agency": "79", "push": true, "submit": true});
    let registered = app
        .call(
            Method::POST,
            "/api/v1/clients",
            Some(&admin),
            Some(&registration),
        )
        .await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{}",
        registered.text
    );
    let token = registered.json()["token"].as_str().unwrap().to_string();
    let mut values = set(&[
        ("KT03", json!("107.9")),
        ("KT04", json!("60123.4")),
        ("KT05", json!("1790.2")),
        ("KT06", json!("2388.0")),
        ("KT07", json!("103.4")),
        ("KT08", json!("3999.5")),
        ("KT09", json!("37000.1")),
        ("KT11", json!("2650")),
    ]);
    values["orgUnit"] = json!("79");
    let pushed = as_client(
        &app,
        Method::POST,
        "/api/dataValueSets",
        &format!("ApiToken {token}"),
        Some(&values),
    )
    .await;
    assert_eq!(pushed.status, StatusCode::OK, "{}", pushed.text);
    assert_eq!(pushed.json()["status"], "OK", "{}", pushed.text);
    let slot = app
        .get("/api/v1/reports/BC-KTXH-T/79/202611", &admin)
        .await
        .json();
    assert_eq!(slot["status"], "submitted");
    assert_eq!(slot["versions"][0]["signed_by"], "his-hcm");
}

async fn csv_and_adx_payloads_land_like_json_and_bad_xml_is_refused(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let csv = "dataelement,period,orgunit,catoptcombo,attroptcombo,value,storedby,lastupdated,comment,followup\n\
               KT04,202611,01,,,60123.4,his,,,false\n\
               KT05,202611,01,default,,1790.2,his,,,false\n";
    let pushed = push_as(&app, &hanoi, "?dataSet=BC-KTXH-T", "text/csv", csv).await;
    assert_eq!(
        (pushed.status, counts(&pushed)),
        (StatusCode::OK, [2, 0, 0, 0]),
        "{}",
        pushed.text
    );
    let again = push_as(&app, &hanoi, "?dataSet=BC-KTXH-T", "application/csv", csv).await;
    assert_eq!(
        counts(&again),
        [0, 0, 2, 0],
        "the same payload twice changes nothing"
    );

    let adx = r#"<?xml version="1.0" encoding="UTF-8"?>
<adx xmlns="urn:ihe:qrph:adx:2015" exported="2026-11-26T08:00:00Z">
  <group orgUnit="01" period="2026-11-01/P1M" dataSet="BC-KTXH-T">
    <dataValue dataElement="KT03" value="107.9"/>
    <dataValue dataElement="KT06" value="2388"/>
  </group>
</adx>"#;
    let pushed = push_as(&app, &hanoi, "", "application/adx+xml", adx).await;
    assert_eq!(
        (pushed.status, counts(&pushed)),
        (StatusCode::OK, [2, 0, 0, 0]),
        "{}",
        pushed.text
    );
    let cells = stored(&app, &hanoi).await;
    for (row, value) in [
        ("KT03", "107.9"),
        ("KT04", "60123.4"),
        ("KT05", "1790.2"),
        ("KT06", "2388"),
    ] {
        assert!(
            cells.contains(&(row.to_string(), value.to_string())),
            "{row} in {cells:?}"
        );
    }

    let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<adx><group orgUnit="01" period="2026-11-01/P1M" dataSet="BC-KTXH-T"><dataValue dataElement="KT07" value="&lol2;"/></group></adx>"#;
    let external = r#"<?xml version="1.0"?>
<!DOCTYPE adx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<adx><group orgUnit="01" period="2026-11-01/P1M" dataSet="BC-KTXH-T"><dataValue dataElement="KT07" value="&xxe;"/></group></adx>"#;
    let undeclared = r#"<adx><group orgUnit="01" period="2026-11-01/P1M" dataSet="BC-KTXH-T"><dataValue dataElement="KT07" value="&xxe;"/></group></adx>"#;
    let broken =
        r#"<adx><group orgUnit="01" period="2026-11-01/P1M" dataSet="BC-KTXH-T"><dataValue"#;
    for body in [bomb, external, undeclared, broken] {
        let refused = push_as(&app, &hanoi, "", "application/adx+xml", body).await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            refused.text
        );
        assert_eq!(refused.json()["error"]["code"], "malformed_payload");
    }
    assert!(
        !stored(&app, &hanoi)
            .await
            .iter()
            .any(|(row, _)| row == "KT07"),
        "nothing of a refused payload lands"
    );
    // A period that is none of the regime's refuses its values, naming it, not the payload.
    let bad_period = r#"<adx><group orgUnit="01" period="2026-11-02/P1M" dataSet="BC-KTXH-T"><dataValue dataElement="KT07" value="1"/></group></adx>"#;
    let refused = push_as(&app, &hanoi, "", "application/adx+xml", bad_period).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert_eq!(
        refused.json()["conflicts"][0]["object"],
        "01/2026-11-02/P1M/KT07"
    );
    assert!(
        refused.json()["conflicts"][0]["value"]
            .as_str()
            .is_some_and(|v| v.contains("2026-11-02/P1M") && v.contains("monthly")),
        "{}",
        refused.text
    );

    // Without ?dataSet an element in two regimes cannot decide: each value says so.
    let no_set = push_as(&app, &hanoi, "", "text/csv", csv).await;
    assert_eq!(no_set.status, StatusCode::CONFLICT, "{}", no_set.text);
    let conflict = no_set.json()["conflicts"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        conflict.contains("BC-KTXH-T") && conflict.contains("BC-TM-T"),
        "{conflict}"
    );
    let short = push_as(
        &app,
        &hanoi,
        "?dataSet=BC-KTXH-T",
        "text/csv",
        "KT04,202611,01\n",
    )
    .await;
    assert_eq!(short.json()["error"]["code"], "malformed_payload");
    let plain = push_as(&app, &hanoi, "", "text/plain", "KT04 = 1").await;
    assert_eq!(plain.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let json = push_as(&app, &hanoi, "", "application/json", "{not json").await;
    assert_eq!(json.json()["error"]["code"], "invalid_json");
}

async fn pull(app: &TestApp, token: &str, query: &str, if_none_match: Option<&str>) -> Answer {
    let mut request = axum::http::Request::builder()
        .uri(format!("/api/dataValueSets?{query}"))
        .header("authorization", format!("Bearer {token}"));
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    app.send(request.body(axum::body::Body::empty()).unwrap())
        .await
}

async fn values_are_pulled_in_three_formats_with_etags_and_children(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let two = set(&[("KT04", json!("60123.4")), ("KT05", json!("1790.2"))]);
    assert_eq!(push(&app, &hanoi, "", &two).await.status, StatusCode::OK);
    let slot = "dataSet=BC-KTXH-T&period=202611&orgUnit=01";

    let csv = pull(&app, &hanoi, &format!("{slot}&format=csv"), None).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.text
            .starts_with("dataelement,period,orgunit,catoptcombo,attroptcombo,value,storedby,lastupdated,comment\n"),
        "{}",
        csv.text
    );
    assert!(
        csv.text.contains("KT04,202611,01,default,,60123.4,,,\n"),
        "{}",
        csv.text
    );
    let adx = pull(&app, &hanoi, &format!("{slot}&format=adx"), None).await;
    assert!(
        adx.text
            .contains(r#"<group orgUnit="01" period="2026-11-01/P1M" dataSet="BC-KTXH-T">"#),
        "{}",
        adx.text
    );
    assert!(
        adx.text
            .contains(r#"<dataValue dataElement="KT05" value="1790.2"/>"#),
        "{}",
        adx.text
    );
    // What comes out goes back in unchanged: every value ignored.
    let back = push_as(&app, &hanoi, "", "application/adx+xml", &adx.text).await;
    assert_eq!(counts(&back), [0, 0, 2, 0], "{}", back.text);
    let back = push_as(&app, &hanoi, "?dataSet=BC-KTXH-T", "text/csv", &csv.text).await;
    assert_eq!(counts(&back), [0, 0, 2, 0], "{}", back.text);

    // Paged as DHIS2 pages: one value a page, the pager saying how many.
    let second_page = pull(&app, &hanoi, &format!("{slot}&pageSize=1&page=2"), None)
        .await
        .json();
    assert_eq!(second_page["dataValues"].as_array().map(Vec::len), Some(1));
    assert_eq!(second_page["dataValues"][0]["dataElement"], "KT05");
    assert_eq!(
        (
            second_page["pager"]["total"].as_u64(),
            second_page["pager"]["pageCount"].as_u64()
        ),
        (Some(2), Some(2))
    );
    let bad_page = pull(&app, &hanoi, &format!("{slot}&pageSize=0"), None).await;
    assert_eq!(bad_page.json()["error"]["code"], "invalid_page");

    let first = pull(&app, &hanoi, slot, None).await;
    let etag = first.headers["etag"].to_str().unwrap().to_string();
    let unchanged = pull(&app, &hanoi, slot, Some(&etag)).await;
    assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED);
    assert!(unchanged.text.is_empty());
    assert_eq!(
        push(&app, &hanoi, "", &set(&[("KT04", json!("1"))]))
            .await
            .status,
        StatusCode::OK
    );
    let changed = pull(&app, &hanoi, slot, Some(&etag)).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_ne!(changed.headers["etag"].to_str().unwrap(), etag);

    // A province's communes, by children=true.
    let admin = app.login("admin").await;
    let communes = app
        .get("/api/v1/agencies?parent=01&level=commune&limit=2", &admin)
        .await
        .json();
    let commune = communes["items"][0]["code"].as_str().unwrap().to_string();
    let traffic = json!({"dataSet": "BC-TTATGT-T", "period": "202611", "orgUnit": commune,
                         "dataValues": [{"dataElement": "XH11", "value": "3"}]});
    let pushed = push(&app, &admin, "", &traffic).await;
    assert_eq!(pushed.status, StatusCode::OK, "{}", pushed.text);
    let subtree = pull(
        &app,
        &admin,
        "dataSet=BC-TTATGT-T&period=202611&orgUnit=01&children=true",
        None,
    )
    .await;
    assert_eq!(subtree.status, StatusCode::OK, "{}", subtree.text);
    let values = subtree.json()["dataValues"].as_array().cloned().unwrap();
    assert!(
        values
            .iter()
            .any(|v| v["orgUnit"] == commune.as_str() && v["value"] == "3"),
        "{values:?}"
    );
    // An unknown regime is refused, not answered with an empty set of subordinates.
    let unknown = pull(
        &app,
        &admin,
        "dataSet=KHONG-CO&period=202611&orgUnit=01&children=true",
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text);
    let bad = pull(&app, &hanoi, &format!("{slot}&format=pdf"), None).await;
    assert_eq!(bad.json()["error"]["code"], "invalid_format");
}

async fn a_payload_over_the_limit_is_a_clear_413_and_changes_nothing(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let small = baocao_web::AppState::new(
        app.state.store.clone(),
        std::sync::Arc::new(baocao_web::FixedClock(baocao_test_support::app::test_now())),
        baocao_web::WebConfig {
            max_body_bytes: 1024,
            max_push_bytes: 1024,
            ..baocao_web::WebConfig::default()
        },
    );
    let big = set(&[
        ("KT04", json!("60123.4")),
        ("KT05", json!("x".repeat(2000))),
    ])
    .to_string();
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/dataValueSets")
        .header("authorization", format!("Bearer {hanoi}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(big))
        .unwrap();
    let response = tower::ServiceExt::oneshot(baocao_web::router(small), request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let error: Value = serde_json::from_slice(&body).expect("a JSON error");
    assert_eq!(error["error"]["code"], "payload_too_large");
    assert!(
        stored(&app, &hanoi).await.is_empty(),
        "nothing was imported"
    );
}

/// A push sent in pieces, as a client streaming a large payload sends it.
async fn push_streamed(app: &TestApp, token: &str, query: &str, pieces: Vec<String>) -> Answer {
    let stream = tokio_stream::iter(
        pieces
            .into_iter()
            .map(|piece| Ok::<_, std::io::Error>(axum::body::Bytes::from(piece))),
    );
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/dataValueSets{query}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from_stream(stream))
        .unwrap();
    app.send(request).await
}

async fn a_streamed_payload_lands_whatever_its_key_order_and_a_broken_one_leaves_nothing(
    app: TestApp,
) {
    let hanoi = app.login("hanoi").await;
    // The values before the set's own fields: they wait for them, then land.
    let values_first = vec![
        r#"{"dataValues": [{"dataElement": "KT03", "value": "107.9"},"#.to_string(),
        r#" {"dataElement": "KT04", "value": 60123.4}],"#.to_string(),
        r#" "dataSet": "BC-KTXH-T", "period": "202611", "orgUnit": "01"}"#.to_string(),
    ];
    let landed = push_streamed(&app, &hanoi, "", values_first).await;
    assert_eq!(
        (landed.status, counts(&landed)),
        (StatusCode::OK, [2, 0, 0, 0]),
        "{}",
        landed.text
    );

    // Cut off half-way: an all-or-nothing push keeps none of the values it had read.
    let broken = vec![
        r#"{"dataSet": "BC-KTXH-T", "period": "202611", "orgUnit": "01", "dataValues": ["#
            .to_string(),
        r#"{"dataElement": "KT05", "value": "1790.2"}, {"dataElement": "KT06", "value": "2388"},"#
            .to_string(),
        r#"{"dataElement": "KT09", "val"#.to_string(),
    ];
    let refused = push_streamed(&app, &hanoi, "", broken).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    assert_eq!(refused.json()["error"]["code"], "invalid_json");
    let rows: Vec<String> = stored(&app, &hanoi)
        .await
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert_eq!(
        rows,
        ["KT03", "KT04"],
        "nothing of the broken payload was kept"
    );

    // A cell given twice in one payload: imported, then updated by its second mention.
    let twice = set(&[("KT06", json!("1")), ("KT06", json!("2"))]);
    assert_eq!(counts(&push(&app, &hanoi, "", &twice).await), [1, 1, 0, 0]);
    assert_eq!(counts(&push(&app, &hanoi, "", &twice).await), [0, 2, 0, 0]);
    let cleared = set(&[("KT06", Value::Null)]);
    assert_eq!(
        counts(&push(&app, &hanoi, "", &cleared).await),
        [0, 0, 0, 1]
    );

    // DHIS2's `deleted: true` removes a value.
    let removal = json!({"dataSet": "BC-KTXH-T", "period": "202611", "orgUnit": "01",
        "dataValues": [{"dataElement": "KT04", "value": "60123.4", "deleted": true}]});
    let removed = push(&app, &hanoi, "", &removal).await;
    assert_eq!(counts(&removed), [0, 0, 0, 1], "{}", removed.text);
    let rows: Vec<String> = stored(&app, &hanoi)
        .await
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert_eq!(rows, ["KT03"]);
}

app_tests!(
    a_streamed_payload_lands_whatever_its_key_order_and_a_broken_one_leaves_nothing,
    a_payload_over_the_limit_is_a_clear_413_and_changes_nothing,
    values_are_pulled_in_three_formats_with_etags_and_children,
    csv_and_adx_payloads_land_like_json_and_bad_xml_is_refused,
    registered_clients_push_and_pull_within_their_scopes_and_rate,
    a_client_granted_submission_sends_the_report_on,
    a_pushed_set_lands_in_the_draft_once,
    conflicts_refuse_the_whole_set_unless_asked_otherwise,
);
