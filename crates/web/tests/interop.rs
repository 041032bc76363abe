//! DHIS2 data value sets: pushes land in report drafts through the same checks as the UI,
//! with DHIS2's import summary — counts, conflicts, dry runs, atomic mode, strategies — and
//! a slot reads back in the same shape; on SQLite and PostgreSQL.

use axum::http::{Method, StatusCode};
use baocao_test_support::{Answer, TestApp, app_tests};
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
    let slot = app
        .get("/api/v1/reports/BC-KTXH-T/01/202611", token)
        .await
        .json();
    slot["values"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["column"] == "this_period")
        .map(|c| {
            (
                c["row"].as_str().unwrap().to_string(),
                c["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
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
        (StatusCode::OK, Some("SUCCESS")),
        "{}",
        first.text
    );
    assert_eq!(counts(&first), [3, 0, 0, 0]);
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
    assert!(
        stored(&app, &hanoi).await.is_empty(),
        "nothing half-imported"
    );

    let partial = push(&app, &hanoi, "?atomicMode=NONE", &mixed).await;
    assert_eq!(
        (partial.status, partial.json()["status"].as_str()),
        (StatusCode::OK, Some("WARNING"))
    );
    assert_eq!(counts(&partial), [1, 0, 0, 0]);
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
        (Some("WARNING"), [0, 0, 0, 0])
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

app_tests!(
    a_pushed_set_lands_in_the_draft_once,
    conflicts_refuse_the_whole_set_unless_asked_otherwise,
);
