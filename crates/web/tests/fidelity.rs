//! Payloads written by other systems: nothing of them is dropped silently. DHIS2's own ADX test
//! file (its codes mapped onto the demo's, its structure untouched), DHIS2's native XML, and
//! JSON and CSV with every field DHIS2 writes: each field is understood or refused as a
//! conflict naming it, groups that differ only by an attribute never merge, every problem of a
//! value is listed, and DHIS2's period types are read and refused value by value.

use axum::http::{Method, StatusCode};
use baocao_test_support::{Answer, TestApp, app_tests, push_as, split_by_mechanism};
use serde_json::json;

fn counts(answer: &Answer) -> [u64; 4] {
    let json = answer.json();
    ["imported", "updated", "ignored", "deleted"]
        .map(|k| json["importCount"][k].as_u64().unwrap_or(99))
}

/// Each conflict as (object, English reason).
fn conflicts(answer: &Answer) -> Vec<(String, String)> {
    answer.json()["conflicts"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|c| {
            (
                c["object"].as_str().unwrap_or_default().to_string(),
                c["value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Every cell of a slot as `row[options]` → value.
async fn cells(app: &TestApp, slot: &str, token: &str) -> Vec<(String, String)> {
    let view = app.get(slot, token).await.json();
    let mut cells: Vec<(String, String)> = view["values"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|c| c["column"] == "this_period")
        .map(|c| {
            let options = c["options"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                        .collect::<Vec<_>>()
                        .join(";")
                })
                .unwrap_or_default();
            let row = c["row"].as_str().unwrap_or_default();
            let name = if options.is_empty() {
                row.to_string()
            } else {
                format!("{row}[{options}]")
            };
            (name, c["value"].as_str().unwrap_or_default().to_string())
        })
        .collect();
    cells.sort();
    cells
}

/// DHIS2's `importA.adx.xml` (dhis2-core's ADX tests), its codes mapped onto the demo's:
/// `MalariaDS` → the monthly socio-economic regime, `MalariaMechanismDS` → the quarterly
/// administrative-procedures regime, `Mechanism_category` → a `mechanism` category, the
/// attribute option combination `cocMcDonald` → `mechanism=McDonalds`, its other categories
/// onto `channel`. Two data sets in one payload; groups that differ only by `mechanism` or
/// `attributeOptionCombo`; a value given by `categoryOptionCombo`; a value with an
/// `<annotation>`.
const DHIS2_IMPORT_A: &str = r#"<adx xmlns="urn:ihe:qrph:adx:2015">
    <group dataSet="BC-KTXH-T" period="2026-10-01/P1M" orgUnit="01">
        <dataValue dataElement="KT04" value="1"/>
        <dataValue dataElement="KT05" value="2"/>
        <dataValue dataElement="KT06" categoryOptionCombo="default" value="3"/>
        <dataValue dataElement="KT08" categoryOptionCombo="default" value="4"/>
        <dataValue dataElement="KT09" value="0">
            <annotation>Text data value</annotation>
        </dataValue>
    </group>
    <group dataSet="BC-KTXH-T" period="2026-11-01/P1M" orgUnit="01">
        <dataValue dataElement="KT04" value="6"/>
    </group>
    <group dataSet="BC-KSTTHC-Q" mechanism="PEPFAR" period="2026-07-01/P3M" orgUnit="01">
        <dataValue dataElement="HC02" channel="online" value="10"/>
    </group>
    <group dataSet="BC-KSTTHC-Q" mechanism="McDonalds" period="2026-07-01/P3M" orgUnit="01">
        <dataValue dataElement="HC02" channel="direct" value="20"/>
    </group>
    <group dataSet="BC-KSTTHC-Q" attributeOptionCombo="mechanism=McDonalds" period="2026-07-01/P3M" orgUnit="01">
        <dataValue dataElement="HC02" channel="online" value="30"/>
    </group>
</adx>
"#;

/// The quarterly regime declares `mechanism` as its attribute category, from Q3 2026; a
/// category that already disaggregates one of its rows cannot, nor can a category code be
/// taken twice.
async fn declare_mechanism(app: &TestApp, admin: &str) {
    let mut regime = app.get("/api/v1/regimes/BC-KSTTHC-Q", admin).await.json();
    regime["attribute_categories"] = json!(["channel"]);
    let clash = app
        .call(
            Method::PUT,
            "/api/v1/regimes/BC-KSTTHC-Q/draft",
            Some(admin),
            Some(&regime),
        )
        .await;
    assert_eq!(
        clash.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        clash.text
    );
    assert_eq!(clash.json()["error"]["code"], "attribute_category_clash");
    split_by_mechanism(app, admin).await;
    let category = app.get("/api/v1/categories", admin).await.json();
    let mechanism = category["items"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["code"] == "mechanism"))
        .cloned()
        .expect("the category is listed");
    let again = app
        .call(
            Method::POST,
            "/api/v1/categories",
            Some(admin),
            Some(&mechanism),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
}

async fn adx_attributes_are_never_merged_nor_dropped(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let admin = app.login("admin").await;
    // Without a mechanism the quarterly group lands in its own regime, its category as an
    // attribute or as DHIS2's `categoryOptionCombo`, and a group may take its dataSet from
    // the query.
    let plain = r#"<adx xmlns="urn:ihe:qrph:adx:2015" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:ihe:qrph:adx:2015 adx.xsd" exported="2026-10-08T19:30:00Z">
    <group period="2026-04-01/P3M" orgUnit="01" completeDate="2026-10-08">
        <dataValue dataElement="HC02" channel="online" value="10"/>
        <dataValue dataElement="HC02" categoryOptionCombo="channel=direct" value="20"/>
        <dataValue dataElement="HC05" value="7" deleted="false"/>
    </group>
</adx>"#;
    let landed = push_as(
        &app,
        &hanoi,
        "?dataSet=BC-KSTTHC-Q",
        "application/adx+xml",
        plain,
    )
    .await;
    assert_eq!(
        (landed.status, counts(&landed)),
        (StatusCode::OK, [3, 0, 0, 0]),
        "{}",
        landed.text
    );
    assert_eq!(
        cells(&app, "/api/v1/reports/BC-KSTTHC-Q/01/2026Q2", &hanoi).await,
        [
            ("HC02[channel=direct]".to_string(), "20".to_string()),
            ("HC02[channel=online]".to_string(), "10".to_string()),
            ("HC05".to_string(), "7".to_string()),
        ]
    );

    // Undeclared, a mechanism is a conflict naming it; all or nothing (the default) refuses
    // the whole set, and groups differing by mechanism never merge into one report.
    let refused = push_as(&app, &hanoi, "", "application/adx+xml", DHIS2_IMPORT_A).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert_eq!(counts(&refused), [0, 0, 9, 0]);
    let found = conflicts(&refused);
    assert_eq!(found.len(), 3, "{found:?}");
    for (conflict, attribute) in found.iter().zip([
        "mechanism=PEPFAR",
        "mechanism=McDonalds",
        "mechanism=McDonalds",
    ]) {
        assert!(
            conflict.0.starts_with("01/2026-07-01/P3M/HC02")
                && conflict.1.contains("attributeOptionCombo")
                && conflict.1.contains(attribute),
            "{conflict:?}"
        );
    }
    for slot in ["BC-KSTTHC-Q/01/2026Q3", "BC-KTXH-T/01/202610"] {
        assert!(
            cells(&app, &format!("/api/v1/reports/{slot}"), &hanoi)
                .await
                .is_empty(),
            "{slot}"
        );
    }

    // Declared by the regime, DHIS2's file imports with DHIS2's own counts: nine values, the
    // annotation kept as the value's note, each mechanism a cell of its own.
    declare_mechanism(&app, &admin).await;
    let imported = push_as(&app, &hanoi, "", "application/adx+xml", DHIS2_IMPORT_A).await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.text);
    assert_eq!(imported.json()["status"], "OK", "{}", imported.text);
    assert_eq!(counts(&imported), [9, 0, 0, 0], "{}", imported.text);
    assert_eq!(
        cells(&app, "/api/v1/reports/BC-KTXH-T/01/202610", &hanoi).await,
        [
            ("KT04".to_string(), "1".to_string()),
            ("KT05".to_string(), "2".to_string()),
            ("KT06".to_string(), "3".to_string()),
            ("KT08".to_string(), "4".to_string()),
            ("KT09".to_string(), "0".to_string()),
        ]
    );
    let view = app
        .get("/api/v1/reports/BC-KTXH-T/01/202610", &hanoi)
        .await
        .json();
    let kt09 = view["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["row"] == "KT09")
        .unwrap();
    assert_eq!(kt09["comment"], "Text data value");
    assert_eq!(
        cells(&app, "/api/v1/reports/BC-KSTTHC-Q/01/2026Q3", &hanoi).await,
        [
            (
                "HC02[channel=direct;mechanism=McDonalds]".to_string(),
                "20".to_string()
            ),
            (
                "HC02[channel=online;mechanism=McDonalds]".to_string(),
                "30".to_string()
            ),
            (
                "HC02[channel=online;mechanism=PEPFAR]".to_string(),
                "10".to_string()
            ),
        ]
    );
    // The same file again changes nothing; a note changed alone is an update.
    let again = push_as(&app, &hanoi, "", "application/adx+xml", DHIS2_IMPORT_A).await;
    assert_eq!(counts(&again), [0, 0, 9, 0], "{}", again.text);
    let renoted = DHIS2_IMPORT_A.replace("Text data value", "Giá trị văn bản");
    let renoted = push_as(&app, &hanoi, "", "application/adx+xml", &renoted).await;
    assert_eq!(counts(&renoted), [0, 1, 8, 0], "{}", renoted.text);

    // Read back, the mechanism is the group's attribute (ADX) or the value's
    // attributeOptionCombo (JSON, CSV), never part of its categoryOptionCombo, and the note
    // comes back with its value.
    let adx = app
        .get(
            "/api/dataValueSets?dataSet=BC-KSTTHC-Q&orgUnit=01&period=2026Q3&format=adx",
            &hanoi,
        )
        .await;
    assert_eq!(adx.status, StatusCode::OK, "{}", adx.text);
    assert_eq!(adx.text.matches("<group ").count(), 2, "{}", adx.text);
    assert!(adx.text.contains(r#"mechanism="PEPFAR""#), "{}", adx.text);
    assert!(!adx.text.contains("mechanism=McDonalds"), "{}", adx.text);
    let json = app
        .get(
            "/api/dataValueSets?dataSet=BC-KSTTHC-Q&orgUnit=01&period=2026Q3",
            &hanoi,
        )
        .await
        .json();
    let mut pairs: Vec<(String, String)> = json["dataValues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["categoryOptionCombo"].as_str().unwrap().to_string(),
                v["attributeOptionCombo"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("channel=direct".into(), "mechanism=McDonalds".into()),
            ("channel=online".into(), "mechanism=McDonalds".into()),
            ("channel=online".into(), "mechanism=PEPFAR".into()),
        ]
    );
    let notes = app
        .get(
            "/api/dataValueSets?dataSet=BC-KTXH-T&orgUnit=01&period=202610&format=adx",
            &hanoi,
        )
        .await;
    assert!(
        notes
            .text
            .contains("<annotation>Giá trị văn bản</annotation>"),
        "{}",
        notes.text
    );

    // Declared, a value without a mechanism is refused by name; analytics add the mechanisms up.
    let missing = push_as(
        &app,
        &hanoi,
        "?dataSet=BC-KSTTHC-Q",
        "application/adx+xml",
        &plain.replace("2026-04-01/P3M", "2026-07-01/P3M"),
    )
    .await;
    assert_eq!(missing.status, StatusCode::CONFLICT, "{}", missing.text);
    assert!(
        conflicts(&missing)
            .iter()
            .all(|c| c.1.contains("must name one option of mechanism")),
        "{}",
        missing.text
    );

    // Submitted and accepted, the mechanisms add up in analytics and can be told apart.
    let slot = "/api/v1/reports/BC-KSTTHC-Q/01/2026Q3";
    let lead = app.login("hanoi-lead").await;
    let sent = app
        .call(
            Method::POST,
            &format!("{slot}/submit"),
            Some(&lead),
            Some(&json!({})),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    let vpcp = app.login("vpcp").await;
    let accepted = app
        .call(
            Method::POST,
            &format!("{slot}/accept"),
            Some(&vpcp),
            Some(&json!({})),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    let question = "/api/v1/analytics?indicator=HC02&agency=01&period=2026Q3";
    let total = app.get(question, &admin).await.json();
    assert_eq!(total["rows"][0]["value"], 60.0, "{total}");
    let split = app
        .get(&format!("{question}&disaggregate=mechanism"), &admin)
        .await
        .json();
    let mut by_mechanism: Vec<(String, f64)> = split["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["options"]["mechanism"].as_str().unwrap().to_string(),
                r["value"].as_f64().unwrap(),
            )
        })
        .collect();
    by_mechanism.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        by_mechanism,
        [
            ("McDonalds".to_string(), 50.0),
            ("PEPFAR".to_string(), 10.0)
        ]
    );
}

/// A group of a data set this server does not have refuses its own values as conflicts
/// naming the code; the payload's other groups land where the import is not all or nothing.
async fn a_group_of_an_unknown_data_set_refuses_only_its_values(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let adx = r#"<adx xmlns="urn:ihe:qrph:adx:2015">
    <group dataSet="MalariaDS" period="2026-11-01/P1M" orgUnit="01"><dataValue dataElement="KT04" value="1"/></group>
    <group dataSet="BC-KTXH-T" period="2026-11-01/P1M" orgUnit="01"><dataValue dataElement="KT05" value="2"/></group>
</adx>"#;
    let refused = push_as(&app, &hanoi, "", "application/adx+xml", adx).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert_eq!(counts(&refused), [0, 0, 2, 0]);
    let found = conflicts(&refused);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].0 == "01/2026-11-01/P1M/KT04" && found[0].1.contains("MalariaDS"),
        "{found:?}"
    );
    let partial = push_as(&app, &hanoi, "?atomicMode=NONE", "application/adx+xml", adx).await;
    assert_eq!(partial.status, StatusCode::OK, "{}", partial.text);
    assert_eq!(counts(&partial), [1, 0, 1, 0], "{}", partial.text);
    assert_eq!(
        cells(&app, "/api/v1/reports/BC-KTXH-T/01/202611", &hanoi).await,
        [("KT05".to_string(), "2".to_string())]
    );
}

async fn json_and_csv_fields_are_understood_or_refused_by_name(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    // What DHIS2 itself writes beside a value, and what the receiving server records itself.
    let exported = json!({
    "dataSet": "BC-KTXH-T", "period": "202611", "orgUnit": "01", "completeDate": "",
    "attributeOptionCombo": "HllvX50cXC0",
    "dataValues": [
        {"dataElement": "KT04", "categoryOptionCombo": "default", "attributeOptionCombo": "default",
         "value": "5", "storedBy": "dhis", "created": "2026-11-30T10:00:00.000",
         "lastUpdated": "2026-11-30T10:00:00.000", "followup": false, "comment": ""},
    ]});
    let taken = app
        .call(
            Method::POST,
            "/api/dataValueSets",
            Some(&hanoi),
            Some(&exported),
        )
        .await;
    assert_eq!(
        (taken.status, counts(&taken)),
        (StatusCode::OK, [1, 0, 0, 0]),
        "{}",
        taken.text
    );

    let odd = json!({
    "dataSet": "BC-KTXH-T", "period": "202611", "orgUnit": "01", "idScheme": "CODE",
    "dataValues": [
        {"dataElement": "KT05", "value": "1", "comment": "ước tính"},
        {"dataElement": "KT06", "value": "2", "followup": true},
        {"dataElement": "KT07", "value": "3", "attributeOptionCombo": "mechanism=PEPFAR"},
        {"dataElement": "KT08", "value": "4", "valueType": "NUMBER"},
        {"dataElement": "KT09", "value": "5"},
    ]});
    let partial = app
        .call(
            Method::POST,
            "/api/dataValueSets?atomicMode=NONE",
            Some(&hanoi),
            Some(&odd),
        )
        .await;
    assert_eq!(counts(&partial), [2, 0, 3, 0], "{}", partial.text);
    let found = conflicts(&partial);
    let named = |object: &str, word: &str| {
        found
            .iter()
            .any(|(o, reason)| o == object && reason.contains(word))
    };
    assert!(named("dataValueSet.idScheme", "idScheme"), "{found:?}");
    assert_eq!(
        found.len(),
        4,
        "the comment is kept, not refused: {found:?}"
    );
    assert!(named("01/202611/KT06", "follow-up"), "{found:?}");
    assert!(named("01/202611/KT07", "mechanism=PEPFAR"), "{found:?}");
    assert!(named("01/202611/KT08", "valueType"), "{found:?}");

    // CSV: DHIS2's columns by position; an attribute combination and a column past DHIS2's
    // eleven are conflicts; a new comment on an unchanged value is an update; `deleted`
    // deletes.
    let csv = "dataelement,period,orgunit,catoptcombo,attroptcombo,value,storedby,lastupdated,comment,followup,deleted\n\
               KT04,202611,01,default,default,,his,,,false,true\n\
               KT05,202611,01,,,1,his,,ghi chú,false,\n\
               KT06,202611,01,,PEPFAR,2,his,,,false,\n\
               KT07,202611,01,,,3,his,,,false,,extra\n";
    let pushed = push_as(
        &app,
        &hanoi,
        "?dataSet=BC-KTXH-T&atomicMode=NONE",
        "text/csv",
        csv,
    )
    .await;
    assert_eq!(counts(&pushed), [0, 1, 2, 1], "{}", pushed.text);
    let found = conflicts(&pushed);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].0.ends_with("KT06") && found[0].1.contains("PEPFAR"));
    assert!(found[1].0.ends_with("KT07") && found[1].1.contains("column 12"));
    assert_eq!(
        cells(&app, "/api/v1/reports/BC-KTXH-T/01/202611", &hanoi).await,
        [
            ("KT05".to_string(), "1".to_string()),
            ("KT09".to_string(), "5".to_string())
        ]
    );
    // The comment comes back with its value, in DHIS2's CSV column.
    let read = app
        .get(
            "/api/dataValueSets.csv?dataSet=BC-KTXH-T&orgUnit=01&period=202611",
            &hanoi,
        )
        .await;
    assert!(
        read.text.contains("KT05,202611,01,default,,1,,,ghi chú"),
        "{}",
        read.text
    );
}

async fn every_problem_of_a_value_is_listed(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let payload = json!({"dataSet": "BC-KTXH-T", "dataValues": [
        {"dataElement": "ZZ99", "period": "2026Q5", "orgUnit": "NOWHERE",
         "categoryOptionCombo": "sex", "value": "1"},
    ]});
    let refused = app
        .call(
            Method::POST,
            "/api/dataValueSets",
            Some(&hanoi),
            Some(&payload),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let found = conflicts(&refused);
    let reasons: Vec<&str> = found.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(found.len(), 4, "{reasons:?}");
    assert!(found.iter().all(|(o, _)| o == "NOWHERE/2026Q5/ZZ99"));
    for word in ["NOWHERE", "2026Q5", "ZZ99", "categoryOptionCombo"] {
        assert!(
            reasons.iter().any(|r| r.contains(word)),
            "{word} in {reasons:?}"
        );
    }
}

async fn dhis2_period_types_are_read_and_refused_value_by_value(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let payload = json!({"dataSet": "BC-KTXH-T", "orgUnit": "01", "dataValues": [
        {"dataElement": "KT04", "period": "202606B", "value": "1"},
        {"dataElement": "KT05", "period": "2026April", "value": "2"},
        {"dataElement": "KT06", "period": "2026BiW3", "value": "3"},
        {"dataElement": "KT07", "period": "202611", "value": "4"},
    ]});
    let partial = app
        .call(
            Method::POST,
            "/api/dataValueSets?atomicMode=NONE",
            Some(&hanoi),
            Some(&payload),
        )
        .await;
    assert_eq!(counts(&partial), [1, 0, 3, 0], "{}", partial.text);
    let found = conflicts(&partial);
    for (conflict, kind) in found
        .iter()
        .zip(["BiMonthly", "FinancialApril", "BiWeekly"])
    {
        assert!(
            conflict.1.contains(kind) && conflict.1.contains("monthly"),
            "{conflict:?}"
        );
    }
    // ADX's intervals of DHIS2's types, refused the same way.
    let adx = r#"<adx xmlns="urn:ihe:qrph:adx:2015">
    <group dataSet="BC-KTXH-T" period="2026-11-01/P2M" orgUnit="01"><dataValue dataElement="KT04" value="1"/></group>
    <group dataSet="BC-KTXH-T" period="2026-04-01/P1Y" orgUnit="01"><dataValue dataElement="KT04" value="1"/></group>
</adx>"#;
    let refused = push_as(&app, &hanoi, "", "application/adx+xml", adx).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let found = conflicts(&refused);
    assert!(found[0].1.contains("P2M"), "{found:?}");
    assert!(found[1].1.contains("P1Y"), "{found:?}");
}

async fn dhis2_native_xml_lands_like_json(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0" dataSet="BC-KTXH-T" completeDate="2026-12-01" period="202611" orgUnit="01" attributeOptionCombo="HllvX50cXC0">
  <dataValue dataElement="KT04" categoryOptionCombo="default" value="11" storedBy="dhis"/>
  <dataValue dataElement="KT05" period="202610" value="12"/>
  <dataValue dataElement="KT06" value="13" comment="ước tính"/>
</dataValueSet>"#;
    let pushed = push_as(&app, &hanoi, "?atomicMode=NONE", "application/xml", xml).await;
    assert_eq!(counts(&pushed), [3, 0, 0, 0], "{}", pushed.text);
    assert_eq!(
        cells(&app, "/api/v1/reports/BC-KTXH-T/01/202611", &hanoi).await,
        [
            ("KT04".to_string(), "11".to_string()),
            ("KT06".to_string(), "13".to_string())
        ]
    );
    assert_eq!(
        cells(&app, "/api/v1/reports/BC-KTXH-T/01/202610", &hanoi).await,
        [("KT05".to_string(), "12".to_string())]
    );
    // Written back in DHIS2's XML, the comment is the value's attribute again.
    let xml = app
        .get(
            "/api/dataValueSets.xml?dataSet=BC-KTXH-T&orgUnit=01&period=202611",
            &hanoi,
        )
        .await;
    assert!(
        xml.text
            .contains(r#"dataElement="KT06" period="202611" orgUnit="01" categoryOptionCombo="default" value="13" comment="ước tính""#),
        "{}",
        xml.text
    );
}

/// A GET with the headers given.
async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = axum::http::Request::builder().uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.send(request.body(axum::body::Body::empty()).unwrap())
        .await
}

async fn dhis2_paths_suffixes_and_versions_answer_as_dhis2_does(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let bearer = format!("Bearer {hanoi}");
    let set = json!({"dataSet": "BC-KTXH-T", "period": "202611", "orgUnit": "01",
        "dataValues": [{"dataElement": "KT04", "value": "42"}]});
    let pushed = app
        .call(
            Method::POST,
            "/api/40/dataValueSets.json",
            Some(&hanoi),
            Some(&set),
        )
        .await;
    assert_eq!(counts(&pushed), [1, 0, 0, 0], "{}", pushed.text);
    let query = "?dataSet=BC-KTXH-T&period=202611&orgUnit=01";
    let json = get_with(
        &app,
        &format!("/api/dataValueSets.json{query}"),
        &[("authorization", &bearer)],
    )
    .await;
    assert_eq!(json.json()["dataValues"][0]["value"], "42", "{}", json.text);
    let csv = get_with(
        &app,
        &format!("/api/41/dataValueSets.csv{query}"),
        &[("authorization", &bearer)],
    )
    .await;
    assert!(
        csv.text.starts_with("dataelement,period,orgunit"),
        "{}",
        csv.text
    );
    assert!(csv.text.contains("KT04,202611,01,default,,42"));
    let xml = get_with(
        &app,
        &format!("/api/dataValueSets.xml{query}"),
        &[("authorization", &bearer)],
    )
    .await;
    assert!(
        xml.text
            .contains("<dataValueSet xmlns=\"http://dhis2.org/schema/dxf/2.0\""),
        "{}",
        xml.text
    );
    assert!(xml.text.contains(r#"dataElement="KT04" period="202611" orgUnit="01" categoryOptionCombo="default" value="42""#));
    let adx = get_with(
        &app,
        &format!("/api/40/dataValueSets.adx{query}"),
        &[("authorization", &bearer)],
    )
    .await;
    assert!(adx.text.contains("urn:ihe:qrph:adx:2015"), "{}", adx.text);
    // What is read back as DHIS2's XML is pushed back unchanged.
    let again = push_as(&app, &hanoi, "", "application/xml", &xml.text).await;
    assert_eq!(counts(&again), [0, 0, 1, 0], "{}", again.text);
    let unknown = get_with(
        &app,
        &format!("/api/v9x/dataValueSets.json{query}"),
        &[("authorization", &bearer)],
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // What DHIS2's tools read first: the server's version, and who they are.
    for path in [
        "/api/system/info",
        "/api/system/info.json",
        "/api/40/system/info.json",
    ] {
        let info = get_with(&app, path, &[]).await;
        assert_eq!(info.status, StatusCode::OK, "{path}");
        assert_eq!(info.json()["version"], "2.40.0");
    }
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("hanoi:demo")
    );
    for path in ["/api/me", "/api/me.json", "/api/40/me"] {
        let me = get_with(&app, path, &[("authorization", &basic)]).await;
        assert_eq!(me.status, StatusCode::OK, "{path}: {}", me.text);
        assert_eq!(me.json()["username"], "hanoi");
        assert_eq!(me.json()["organisationUnits"][0]["id"], "01");
    }

    // A 401 says how to authenticate; a browser is not offered Basic (its own dialog).
    let anonymous = get_with(&app, &format!("/api/dataValueSets.json{query}"), &[]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let challenge = anonymous.headers["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains("Basic") && challenge.contains("Bearer"),
        "{challenge}"
    );
    let browser = get_with(&app, "/api/v1/me", &[("sec-fetch-mode", "cors")]).await;
    let challenge = browser.headers["www-authenticate"].to_str().unwrap();
    assert!(!challenge.contains("Basic"), "{challenge}");
}

async fn pulls_take_dhis2_selections_and_pushes_refuse_what_they_cannot_honour(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let hcm = app.login("hcm").await;
    for (token, org_unit, period, value) in [
        (&hanoi, "01", "202610", "10"),
        (&hanoi, "01", "202611", "11"),
        (&hcm, "79", "202611", "79"),
    ] {
        let set = json!({"dataSet": "BC-KTXH-T", "period": period, "orgUnit": org_unit,
            "dataValues": [{"dataElement": "KT04", "value": value}]});
        let pushed = app
            .call(Method::POST, "/api/dataValueSets", Some(token), Some(&set))
            .await;
        assert_eq!(counts(&pushed), [1, 0, 0, 0], "{}", pushed.text);
    }
    let admin = app.login("admin").await;
    let pulled = |query: &'static str| {
        let app = &app;
        let admin = &admin;
        async move {
            let answer = app.get(&format!("/api/dataValueSets{query}"), admin).await;
            assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.text);
            let json = answer.json();
            let mut values: Vec<(String, String, String)> = json["dataValues"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| v["dataElement"] == "KT04")
                .map(|v| {
                    (
                        v["orgUnit"].as_str().unwrap().to_string(),
                        v["period"].as_str().unwrap().to_string(),
                        v["value"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            values.sort();
            (json, values)
        }
    };
    let triple = |o: &str, p: &str, v: &str| (o.to_string(), p.to_string(), v.to_string());
    let (json, values) = pulled("?dataSet=BC-KTXH-T&period=202610&period=202611&orgUnit=01").await;
    assert_eq!(
        values,
        [triple("01", "202610", "10"), triple("01", "202611", "11")]
    );
    assert!(json.get("period").is_none(), "no shared period: {json}");
    let (_, values) =
        pulled("?dataSet=BC-KTXH-T&startDate=2026-10-01&endDate=2026-11-30&orgUnit=01").await;
    assert_eq!(
        values,
        [triple("01", "202610", "10"), triple("01", "202611", "11")]
    );
    let (json, values) =
        pulled("?dataSet=BC-KTXH-T&period=202611&orgUnit=01,79&idScheme=CODE").await;
    assert_eq!(
        values,
        [triple("01", "202611", "11"), triple("79", "202611", "79")]
    );
    assert_eq!(json["period"], "202611");
    let csv = app
        .get(
            "/api/dataValueSets.csv?dataSet=BC-KTXH-T&period=202610,202611&orgUnit=01",
            &admin,
        )
        .await;
    assert!(
        csv.text.contains("KT04,202610,01,default,,10"),
        "{}",
        csv.text
    );
    assert!(
        csv.text.contains("KT04,202611,01,default,,11"),
        "{}",
        csv.text
    );
    for (query, code) in [
        (
            "?dataSet=BC-KTXH-T&period=202611&orgUnit=01&lastUpdated=2026-01-01",
            "unknown_parameter",
        ),
        (
            "?dataSet=BC-KTXH-T&period=202611&orgUnit=01&idScheme=NAME",
            "invalid_parameter",
        ),
        ("?dataSet=BC-KTXH-T&orgUnit=01", "missing_parameter"),
        (
            "?dataSet=BC-KTXH-T&orgUnit=01&period=202611&startDate=2026-01-01",
            "invalid_parameter",
        ),
    ] {
        let refused = app.get(&format!("/api/dataValueSets{query}"), &admin).await;
        assert_eq!(
            (refused.status, refused.json()["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{query}: {}",
            refused.text
        );
    }

    // Push parameters: honoured, or refused by name — never ignored.
    let set = json!({"dataSet": "BC-KTXH-T", "period": "202611", "orgUnit": "01",
        "dataValues": [{"dataElement": "KT05", "value": "5"}]});
    for (query, code) in [
        ("?async=true", "unsupported_parameter"),
        ("?skipAudit=true", "unsupported_parameter"),
        ("?mergeMode=MERGE", "unknown_parameter"),
        ("?orgUnitIdScheme=NAME", "invalid_parameter"),
    ] {
        let refused = app
            .call(
                Method::POST,
                &format!("/api/dataValueSets{query}"),
                Some(&hanoi),
                Some(&set),
            )
            .await;
        assert_eq!(
            (refused.status, refused.json()["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{query}: {}",
            refused.text
        );
    }
    let taken = app
        .call(
            Method::POST,
            "/api/dataValueSets?async=false&idScheme=UID&strictPeriods=true&skipAudit=false",
            Some(&hanoi),
            Some(&set),
        )
        .await;
    assert_eq!(counts(&taken), [1, 0, 0, 0], "{}", taken.text);

    // No dataSet anywhere: the element decides, where exactly one regime has it.
    let unnamed = json!({"period": "202611", "orgUnit": "01", "dataValues": [
        {"dataElement": "KT07", "value": "3.2"},
        {"dataElement": "ZZ99", "value": "1"},
    ]});
    let partial = app
        .call(
            Method::POST,
            "/api/dataValueSets?atomicMode=NONE",
            Some(&hanoi),
            Some(&unnamed),
        )
        .await;
    assert_eq!(counts(&partial), [1, 0, 1, 0], "{}", partial.text);
    let found = conflicts(&partial);
    assert!(
        found[0].0 == "ZZ99" && found[0].1.contains("dataSet"),
        "{found:?}"
    );
}

app_tests!(
    pulls_take_dhis2_selections_and_pushes_refuse_what_they_cannot_honour,
    dhis2_paths_suffixes_and_versions_answer_as_dhis2_does,
    adx_attributes_are_never_merged_nor_dropped,
    a_group_of_an_unknown_data_set_refuses_only_its_values,
    json_and_csv_fields_are_understood_or_refused_by_name,
    every_problem_of_a_value_is_listed,
    dhis2_period_types_are_read_and_refused_value_by_value,
    dhis2_native_xml_lands_like_json,
);
