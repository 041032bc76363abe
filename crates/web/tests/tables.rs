//! Indicator tables, pivots and their exports over accepted values: the demo's catalogue, a
//! table's relative periods ending at the latest data, layout and totals by each indicator's
//! rule, the values behind a number, saving and refusing tables, and CSV/xlsx exports (the
//! long shape streamed) — on SQLite and PostgreSQL.

use axum::http::{Method, StatusCode};
use baocao_domain::value::DataValue;
use baocao_formats::xlsx::Data;
use baocao_test_support::{TestApp, app_tests, compliance_agencies};
use serde_json::{Value, json};

use baocao_test_support::reported_value as value;

async fn store(app: &TestApp, values: &[DataValue]) {
    app.db
        .store
        .upsert_values(values, "2026-11-26T08:00:00Z")
        .await
        .unwrap();
}

/// Retail sales (sum) and CPI (none) for Hà Nội and TP. Hồ Chí Minh, March–May 2026.
async fn retail(app: &TestApp) {
    let mut values = Vec::new();
    for (agency, base) in [("01", 100.0), ("79", 10.0)] {
        for (month, factor) in [("202603", 1.0), ("202604", 2.0), ("202605", 3.0)] {
            values.push(value("KT04", agency, month, &[], base * factor));
            values.push(value("KT07", agency, month, &[], 103.0));
        }
    }
    store(app, &values).await;
}

/// The row of a pivot whose first header has `key`.
fn row<'a>(pivot: &'a Value, key: &str) -> &'a Value {
    pivot["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["headers"][0]["key"] == key)
        .unwrap_or_else(|| panic!("no row {key} in {pivot}"))
}

fn numbers(row: &Value) -> Vec<Option<f64>> {
    row["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_f64())
        .collect()
}

async fn the_demo_catalogue_has_tables_by_theme(app: TestApp) {
    let token = app.login("lanhdao").await;
    let list = app.get("/api/v1/tables", &token).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let tables = list.json()["tables"].as_array().cloned().unwrap();
    assert!(tables.len() >= 20, "{} tables", tables.len());
    let themes: std::collections::BTreeSet<&str> = tables
        .iter()
        .filter_map(|t| t["theme_vi"].as_str())
        .collect();
    assert!(themes.len() >= 5, "{themes:?}");
    // Every demo table answers (the demo in tests has no history, so nothing is filled; a
    // table split by a category has no options to show without data).
    for table in &tables {
        let code = table["code"].as_str().unwrap();
        let data = app
            .get(&format!("/api/v1/tables/{code}/data"), &token)
            .await;
        assert_eq!(data.status, StatusCode::OK, "{code}: {}", data.text);
        let split = table["disaggregate"]
            .as_array()
            .is_some_and(|d| !d.is_empty());
        assert!(
            split || !data.json()["rows"].as_array().unwrap().is_empty(),
            "{code} has rows"
        );
    }
    let missing = app.get("/api/v1/tables/NO-SUCH", &token).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["error"]["code"], "not_found");
}

async fn a_table_ends_at_the_latest_data_and_totals_by_rule(app: TestApp) {
    retail(&app).await;
    let admin = app.login("admin").await;
    let table = json!({
        "theme_vi": "Thử nghiệm", "title_vi": "Bán lẻ và CPI của hai thành phố",
        "indicators": ["KT04", "KT07"], "agency": "VN", "level": "province",
        "periods": {"frequency": "monthly", "last": 2},
        "layout": {"rows": ["indicator", "agency"], "columns": ["period"]}
    });
    let saved = app
        .call(
            Method::PUT,
            "/api/v1/tables/TEST-1",
            Some(&admin),
            Some(&table),
        )
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text);
    let again = app
        .call(
            Method::PUT,
            "/api/v1/tables/TEST-1",
            Some(&admin),
            Some(&table),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "saving again replaces");

    let data = app.get("/api/v1/tables/TEST-1/data", &admin).await;
    assert_eq!(data.status, StatusCode::OK, "{}", data.text);
    let pivot = data.json();
    // The last two months with data, not the two before today (November 2026).
    assert_eq!(pivot["periods"], json!(["202604", "202605"]));
    assert_eq!(pivot["columns"][0][0]["label"], "04/2026");
    let rows = pivot["rows"].as_array().unwrap();
    let hanoi_retail = rows
        .iter()
        .find(|r| r["headers"][0]["key"] == "KT04" && r["headers"][1]["key"] == "01")
        .unwrap();
    assert_eq!(numbers(hanoi_retail), vec![Some(200.0), Some(300.0)]);
    assert_eq!(
        hanoi_retail["total"]["value"], 500.0,
        "a sum adds over months"
    );
    assert_eq!(hanoi_retail["headers"][1]["label"], "Thành phố Hà Nội");
    let hanoi_cpi = rows
        .iter()
        .find(|r| r["headers"][0]["key"] == "KT07" && r["headers"][1]["key"] == "01")
        .unwrap();
    assert_eq!(numbers(hanoi_cpi), vec![Some(103.0), Some(103.0)]);
    assert!(
        hanoi_cpi["total"]["value"].is_null(),
        "an index does not add up"
    );
    // A column mixes two indicators: no total; nor a grand total.
    assert!(pivot["column_totals"][0]["value"].is_null());
    assert!(pivot["grand_total"]["value"].is_null());
    // Every number links to the values behind it.
    let link = hanoi_retail["cells"][1]["sources"].as_str().unwrap();
    assert!(
        link.starts_with("/analytics/sources?indicator=KT04&agency=01&period=202605"),
        "{link}"
    );

    let deleted = app
        .call(Method::DELETE, "/api/v1/tables/TEST-1", Some(&admin), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/tables/TEST-1", &admin).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn tables_are_checked_and_saved_only_by_authors(app: TestApp) {
    let (admin, hanoi) = (app.login("admin").await, app.login("hanoi").await);
    let good = json!({
        "theme_vi": "T", "title_vi": "Bảng", "indicators": ["KT04"], "agency": "VN",
        "periods": {"frequency": "monthly", "last": 3}
    });
    let refused = app
        .call(Method::PUT, "/api/v1/tables/T-2", Some(&hanoi), Some(&good))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let mut unknown = good.clone();
    unknown["indicators"] = json!(["ZZ99"]);
    let answer = app
        .call(
            Method::PUT,
            "/api/v1/tables/T-2",
            Some(&admin),
            Some(&unknown),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["error"]["code"], "unknown_indicator");
    let mut empty = good.clone();
    empty["periods"] = json!({"frequency": "monthly", "last": 0});
    let answer = app
        .call(
            Method::PUT,
            "/api/v1/tables/T-2",
            Some(&admin),
            Some(&empty),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["error"]["code"], "invalid_table");
    assert!(
        answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("không hợp lệ")
    );
    let bad_code = app
        .call(
            Method::PUT,
            "/api/v1/tables/a%20b",
            Some(&admin),
            Some(&good),
        )
        .await;
    assert_eq!(bad_code.status, StatusCode::BAD_REQUEST);
    // Nothing of the refused ones was saved.
    let list = app.get("/api/v1/tables", &admin).await.json();
    assert!(
        !list["tables"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["code"] == "T-2")
    );
}

async fn a_pivot_splits_by_a_category_and_links_to_its_sources(app: TestApp) {
    let mut values = Vec::new();
    for (agency, male, female) in [("01", 3.0, 2.0), ("79", 5.0, 4.0)] {
        values.push(value("XH12", agency, "202605", &[("sex", "male")], male));
        values.push(value(
            "XH12",
            agency,
            "202605",
            &[("sex", "female")],
            female,
        ));
    }
    store(&app, &values).await;
    let admin = app.login("admin").await;
    let pivot = app
        .get(
            "/api/v1/pivot?indicator=XH12&agency=VN&level=province&period=202605&disaggregate=sex&rows=agency&columns=sex&lang=en",
            &admin,
        )
        .await;
    assert_eq!(pivot.status, StatusCode::OK, "{}", pivot.text);
    let pivot = pivot.json();
    let sexes: Vec<&str> = pivot["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[0]["key"].as_str().unwrap())
        .collect();
    assert_eq!(sexes, ["female", "male"]);
    assert_eq!(pivot["columns"][0][0]["label"], "Female");
    assert_eq!(numbers(row(&pivot, "79")), vec![Some(4.0), Some(5.0)]);
    assert_eq!(row(&pivot, "79")["total"]["value"], 9.0);
    // The period sits nowhere in the layout: it does not vary, so it needs no place.
    assert_eq!(pivot["layout"]["rows"], json!(["agency"]));
    // Column totals: the provinces' women and men.
    let totals: Vec<Option<f64>> = pivot["column_totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_f64())
        .collect();
    assert_eq!(totals[..2], [Some(6.0), Some(8.0)]);
    assert_eq!(pivot["grand_total"]["value"], 14.0);

    // The same question posted as JSON answers the same.
    let posted = app
        .call(
            Method::POST,
            "/api/v1/pivot",
            Some(&admin),
            Some(&json!({"indicator": ["XH12"], "agency": "VN", "level": "province",
                "period": ["202605"], "disaggregate": ["sex"], "rows": ["agency"], "columns": ["sex"], "lang": "en"})),
        )
        .await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text);
    assert_eq!(posted.json()["rows"], pivot["rows"]);

    // The national male figure is made of the two provinces' male values, each from its report.
    let sources = app
        .get(
            "/api/v1/analytics/sources?indicator=XH12&agency=VN&period=202605&options=sex%3Dmale",
            &admin,
        )
        .await;
    assert_eq!(sources.status, StatusCode::OK, "{}", sources.text);
    let list = sources.json()["values"].as_array().cloned().unwrap();
    let found: Vec<(String, f64)> = list
        .iter()
        .map(|v| {
            (
                v["agency"].as_str().unwrap().to_string(),
                v["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(found, [("01".to_string(), 3.0), ("79".to_string(), 5.0)]);
    assert_eq!(list[0]["report"], "/reports/BC-KTXH-T/01/202605");

    let bad = app
        .get(
            "/api/v1/pivot?indicator=XH12&period=202605&rows=a%20b",
            &admin,
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["error"]["code"], "invalid_dimension");
}

async fn exports_write_the_table_and_stream_the_rows(app: TestApp) {
    retail(&app).await;
    let admin = app.login("admin").await;
    let query = "indicator=KT04&agency=VN&level=province&period=202603,202604,202605&rows=agency&columns=period";
    let csv = app
        .get(&format!("/api/v1/pivot/export?format=csv&{query}"), &admin)
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        lines[0],
        "\"Cơ quan, địa phương\",03/2026,04/2026,05/2026,Tổng số"
    );
    assert!(
        lines.contains(&"Thành phố Hà Nội,100,200,300,600"),
        "{lines:?}"
    );
    assert_eq!(*lines.last().unwrap(), "Tổng số,110,220,330,660");

    // The long shape: one row per number, with codes and names.
    let long = app
        .get(
            &format!("/api/v1/pivot/export?format=csv&shape=long&{query}"),
            &admin,
        )
        .await;
    assert_eq!(long.status, StatusCode::OK);
    let rows = baocao_formats::records::csv_records(long.text.as_bytes()).unwrap();
    assert_eq!(rows.len(), 34 * 3, "every province and month");
    let hanoi_may = rows
        .iter()
        .find(|r| r["agency"] == "01" && r["period"] == "202605")
        .unwrap();
    assert_eq!(hanoi_may["value"], "300");
    assert_eq!(hanoi_may["Kỳ"], "05/2026");

    // POSTed with the question in the body, as xlsx.
    let body = json!({"indicator": ["KT04"], "agency": "VN", "level": "province",
        "period": ["202603", "202604", "202605"], "rows": ["agency"], "columns": ["period"]});
    for shape in ["table", "long"] {
        let request = axum::http::Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/pivot/export?format=xlsx&shape={shape}"))
            .header("authorization", format!("Bearer {admin}"))
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .unwrap();
        let response = tower::ServiceExt::oneshot(baocao_web::router(app.state.clone()), request)
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{shape}");
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let sheets =
            baocao_formats::xlsx::read(&bytes, &baocao_formats::Limits::default()).unwrap();
        let grid: Vec<Vec<Data>> = sheets[0].table(sheets[0].width());
        match shape {
            "table" => {
                assert_eq!(grid[0][1], Data::String("03/2026".into()));
                let hanoi = grid
                    .iter()
                    .find(|r| r[0] == Data::String("Thành phố Hà Nội".into()))
                    .unwrap();
                assert_eq!(hanoi[4], Data::Float(600.0));
            }
            _ => {
                assert_eq!(grid.len(), 1 + 34 * 3);
                assert_eq!(grid[0][0], Data::String("indicator".into()));
            }
        }
    }

    // A table's export carries its code as the file name.
    let admin_table = app
        .get("/api/v1/tables/TM-01/export?format=csv", &admin)
        .await;
    assert_eq!(admin_table.status, StatusCode::OK);
    assert!(
        admin_table.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("TM-01.csv")
    );
    let bad = app
        .get(&format!("/api/v1/pivot/export?format=pdf&{query}"), &admin)
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["error"]["code"], "invalid_format");
}

async fn a_province_reads_only_its_own_pivots(app: TestApp) {
    let hanoi = app.login("hanoi-lead").await;
    let national = app
        .get(
            "/api/v1/pivot?indicator=KT04&agency=VN&period=202605",
            &hanoi,
        )
        .await;
    assert_eq!(national.status, StatusCode::FORBIDDEN);
    let own = app
        .get(
            "/api/v1/pivot?indicator=KT04&agency=01&period=202605",
            &hanoi,
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    let export = app
        .get(
            "/api/v1/pivot/export?indicator=KT04&agency=VN&period=202605&shape=long",
            &hanoi,
        )
        .await;
    assert_eq!(export.status, StatusCode::FORBIDDEN);
}

/// Road deaths by sex for two provinces and two months, published as table `AT-SDMX`;
/// answers the admin's token.
async fn sdmx_table(app: &TestApp) -> String {
    let mut values = Vec::new();
    for (agency, male, female) in [("01", 3.0, 2.0), ("79", 5.0, 4.0)] {
        for month in ["202604", "202605"] {
            values.push(value("XH12", agency, month, &[("sex", "male")], male));
            values.push(value("XH12", agency, month, &[("sex", "female")], female));
        }
    }
    store(app, &values).await;
    let admin = app.login("admin").await;
    let table = json!({
        "theme_vi": "An toàn giao thông", "title_vi": "Người chết do tai nạn giao thông",
        "indicators": ["XH12"], "agency": "VN", "level": "province",
        "periods": {"frequency": "monthly", "last": 2}, "disaggregate": ["sex"]
    });
    let saved = app
        .call(
            Method::PUT,
            "/api/v1/tables/AT-SDMX",
            Some(&admin),
            Some(&table),
        )
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text);
    admin
}

async fn an_indicator_table_is_an_sdmx_data_message(app: TestApp) {
    let admin = sdmx_table(&app).await;
    let answer = app
        .get("/api/v1/sdmx/data/AT-SDMX/XH12.79.male+female", &admin)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert!(
        answer.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/vnd.sdmx.data+json")
    );
    let message = answer.json();
    let series = &message["structure"]["dimensions"]["series"];
    let ids: Vec<&str> = series
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["INDICATOR", "REF_AREA", "SEX"]);
    assert_eq!(
        series[1]["values"],
        json!([{"id": "79", "name": "Thành phố Hồ Chí Minh"}])
    );
    let time = &message["structure"]["dimensions"]["observation"][0];
    assert_eq!(time["id"], "TIME_PERIOD");
    let periods: Vec<&str> = time["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(periods, ["2026-04", "2026-05"]);
    // Each series key indexes the dimensions' values; each observation the periods.
    let sex = series[2]["values"].as_array().unwrap();
    let male = sex.iter().position(|v| v["id"] == "male").unwrap();
    let observations = &message["dataSets"][0]["series"][format!("0:0:{male}")]["observations"];
    assert_eq!(observations["0"], json!([5.0]));
    assert_eq!(observations["1"], json!([5.0]));
    assert_eq!(
        message["dataSets"][0]["series"].as_object().unwrap().len(),
        2
    );

    let narrowed = app
        .get("/api/v1/sdmx/data/AT-SDMX/all?startPeriod=2026-05", &admin)
        .await
        .json();
    assert_eq!(
        narrowed["structure"]["dimensions"]["observation"][0]["values"][0]["id"],
        "2026-05"
    );
    let bad = app.get("/api/v1/sdmx/data/AT-SDMX/XH12", &admin).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["error"]["code"], "invalid_key");
    let unknown = app.get("/api/v1/sdmx/data/NOPE/all", &admin).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

async fn the_tables_are_kept_warm_and_only_what_changed_is_recomputed(app: TestApp) {
    retail(&app).await;
    let warmed = baocao_service::tables::warm(&app.state).await;
    let tables = app.state.store.indicator_tables().await.unwrap().len();
    assert_eq!(warmed, tables, "every demo table is computed");
    let first = app.state.aggregates.size();
    assert!(first.computed > 0 && first.questions > 0);
    // Nothing changed: nothing is computed again.
    baocao_service::tables::warm(&app.state).await;
    assert_eq!(app.state.aggregates.size().computed, first.computed);
    // A reader of a warm table computes nothing either.
    let admin = app.login("admin").await;
    let data = app.get("/api/v1/tables/TM-01/data", &admin).await;
    assert_eq!(data.status, StatusCode::OK);
    assert_eq!(app.state.aggregates.size().computed, first.computed);
    // A new number for May 2026: only the questions over May are computed again, and the
    // table shows it.
    store(&app, &[value("KT04", "01", "202605", &[], 999.0)]).await;
    baocao_service::tables::warm(&app.state).await;
    let again = app.state.aggregates.size().computed - first.computed;
    assert!(
        again > 0 && again < first.computed,
        "{again} of {} recomputed",
        first.computed
    );
    let data = app.get("/api/v1/tables/TM-01/data", &admin).await.json();
    let hanoi = data["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["headers"][0]["key"] == "01")
        .unwrap();
    let may = data["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c[0]["key"] == "202605")
        .unwrap();
    assert_eq!(hanoi["cells"][may]["value"], 999.0);
}

/// An SDMX answer with an `Accept` header.
async fn sdmx_as(
    app: &TestApp,
    path: &str,
    token: &str,
    accept: &str,
) -> baocao_test_support::Answer {
    let request = axum::http::Request::builder()
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("accept", accept)
        .body(axum::body::Body::empty())
        .unwrap();
    app.send(request).await
}

/// The TIME_PERIOD ids of an SDMX-JSON 1.0 message.
fn sdmx_periods(message: &Value) -> Vec<String> {
    message["structure"]["dimensions"]["observation"][0]["values"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v["id"].as_str().map(String::from))
        .collect()
}

async fn sdmx_periods_are_time_and_every_representation_is_served(app: TestApp) {
    let admin = sdmx_table(&app).await;
    let flow = "/api/v1/sdmx/data/AT-SDMX/all";
    let periods = |query: &'static str| {
        let app = &app;
        let admin = &admin;
        async move {
            let answer = app.get(&format!("{flow}?{query}"), admin).await;
            assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.text);
            sdmx_periods(&answer.json())
        }
    };
    // Every SDMX form of a period, compared as time, both ends included.
    assert_eq!(
        periods("startPeriod=2026&endPeriod=2026").await,
        ["2026-04", "2026-05"]
    );
    assert_eq!(
        periods("startPeriod=2026-04-01&endPeriod=2026-04-30").await,
        ["2026-04"]
    );
    assert_eq!(periods("startPeriod=2026-Q2").await, ["2026-04", "2026-05"]);
    assert_eq!(periods("startPeriod=202605").await, ["2026-05"]);
    assert_eq!(periods("endPeriod=2026-S1").await, ["2026-04", "2026-05"]);
    assert!(periods("endPeriod=2025").await.is_empty());
    let bad = app.get(&format!("{flow}?startPeriod=April"), &admin).await;
    assert_eq!(
        (bad.status, bad.json()["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_period"))
    );

    // First and last observations per series, detail, and a flat dimension at observation.
    let last = app
        .get(&format!("{flow}?lastNObservations=1"), &admin)
        .await
        .json();
    let may = sdmx_periods(&last)
        .iter()
        .position(|p| p == "2026-05")
        .unwrap();
    let series = last["dataSets"][0]["series"].as_object().unwrap();
    assert_eq!(series.len(), 4);
    for (_, one) in series {
        let observations = one["observations"].as_object().unwrap();
        assert_eq!(observations.keys().collect::<Vec<_>>(), [&may.to_string()]);
    }
    let first = app
        .get(&format!("{flow}?firstNObservations=1"), &admin)
        .await
        .json();
    let april = sdmx_periods(&first)
        .iter()
        .position(|p| p == "2026-04")
        .unwrap();
    for (_, one) in first["dataSets"][0]["series"].as_object().unwrap() {
        assert!(one["observations"].get(april.to_string()).is_some());
        assert_eq!(one["observations"].as_object().unwrap().len(), 1);
    }
    let keys = app
        .get(&format!("{flow}?detail=serieskeysonly"), &admin)
        .await
        .json();
    for (_, one) in keys["dataSets"][0]["series"].as_object().unwrap() {
        assert_eq!(one["observations"], json!({}));
    }
    let flat = app
        .get(
            &format!("{flow}?dimensionAtObservation=AllDimensions"),
            &admin,
        )
        .await
        .json();
    assert_eq!(
        flat["dataSets"][0]["observations"]
            .as_object()
            .unwrap()
            .len(),
        8
    );
    let wrong = app.get(&format!("{flow}?detail=everything"), &admin).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);

    // Content negotiation: each representation by Accept, or a 406.
    let json2 = sdmx_as(
        &app,
        flow,
        &admin,
        "application/vnd.sdmx.data+json;version=2.0.0",
    )
    .await;
    assert!(
        json2.headers["content-type"]
            .to_str()
            .unwrap()
            .contains("version=2.0.0")
    );
    assert_eq!(
        json2.json()["data"]["structures"][0]["dimensions"]["series"][0]["id"],
        "INDICATOR"
    );
    let csv = sdmx_as(
        &app,
        flow,
        &admin,
        "application/vnd.sdmx.data+csv;version=1.0.0",
    )
    .await;
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        lines[0],
        "DATAFLOW,INDICATOR,REF_AREA,SEX,TIME_PERIOD,OBS_VALUE"
    );
    assert_eq!(lines.len(), 9, "{}", csv.text);
    assert!(lines.contains(&"BAOCAO:AT-SDMX(1.0),XH12,79,male,2026-05,5"));
    let specific = sdmx_as(
        &app,
        flow,
        &admin,
        "application/vnd.sdmx.structurespecificdata+xml;version=2.1",
    )
    .await;
    assert!(
        specific
            .text
            .contains(r#"<Series INDICATOR="XH12" REF_AREA="79" SEX="male">"#),
        "{}",
        specific.text
    );
    assert_eq!(specific.text.matches("<Obs ").count(), 8);
    let generic = sdmx_as(
        &app,
        flow,
        &admin,
        "application/vnd.sdmx.genericdata+xml;version=2.1",
    )
    .await;
    assert_eq!(generic.text.matches("<generic:ObsValue ").count(), 8);
    let refused = sdmx_as(
        &app,
        flow,
        &admin,
        "application/vnd.sdmx.data+json;version=3.0.0",
    )
    .await;
    assert_eq!(refused.status, StatusCode::NOT_ACCEPTABLE);
    let by_reference = app
        .get("/api/v1/sdmx/data/BAOCAO,AT-SDMX,1.0/XH12.01.", &admin)
        .await
        .json();
    assert_eq!(
        by_reference["dataSets"][0]["series"]
            .as_object()
            .unwrap()
            .len(),
        2
    );

    // The structures, at every length of SDMX's structure path.
    for path in [
        "/api/v1/sdmx/dataflow",
        "/api/v1/sdmx/dataflow/BAOCAO",
        "/api/v1/sdmx/dataflow/BAOCAO/AT-SDMX",
        "/api/v1/sdmx/dataflow/all/AT-SDMX/latest",
    ] {
        let flows = app.get(path, &admin).await;
        assert_eq!(flows.status, StatusCode::OK, "{path}: {}", flows.text);
        assert!(
            flows.text.contains(r#"<structure:Dataflow id="AT-SDMX""#),
            "{path}"
        );
    }
    let all = app
        .get(
            "/api/v1/sdmx/dataflow/BAOCAO/AT-SDMX/1.0?references=all",
            &admin,
        )
        .await;
    assert!(
        all.text
            .contains(r#"<structure:Codelist id="CL_AT-SDMX_SEX""#),
        "{}",
        all.text
    );
    for code in ["_T", "male", "female"] {
        assert!(
            all.text
                .contains(&format!(r#"<structure:Code id="{code}""#)),
            "{code}"
        );
    }
    let dsd = sdmx_as(
        &app,
        "/api/v1/sdmx/datastructure/BAOCAO/AT-SDMX/latest",
        &admin,
        "application/vnd.sdmx.structure+json;version=2.0.0",
    )
    .await
    .json();
    let dimensions =
        &dsd["data"]["dataStructures"][0]["dataStructureComponents"]["dimensionList"]["dimensions"];
    assert_eq!(dimensions[2]["id"], "SEX");
    let other = app.get("/api/v1/sdmx/dataflow/ESTAT", &admin).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}

/// Analytics reach where a person works (issue 21): the Government Office, to which every
/// province and ministry reports, reads the whole country; a ministry's reporter does not;
/// a province's own tables are its figures, not a refusal.
async fn a_receiving_agency_reads_what_reports_to_it(app: TestApp) {
    let national = "/api/v1/pivot?indicator=KT04&agency=VN&period=202605";
    let vpcp = app.login("vpcp").await;
    let answer = app.get(national, &vpcp).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let btc = app.login("btc").await;
    assert_eq!(app.get(national, &btc).await.status, StatusCode::FORBIDDEN);
    let hanoi = app.login("hanoi").await;
    let table = app.get("/api/v1/tables/KT-04/data", &hanoi).await;
    assert_eq!(table.status, StatusCode::OK, "{}", table.text);
    let text = table.text;
    assert!(text.contains("\"01\""), "Hà Nội's own figures: {text}");
    assert!(!text.contains("\"79\""), "no other province: {text}");
    // Unasked, a pivot is of the caller's own scope.
    let own = app
        .get("/api/v1/pivot?indicator=KT04&period=202605", &hanoi)
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    let question = "regime=BC-KTXH-T&from=202605";
    assert_eq!(
        compliance_agencies(&app, question, &hanoi).await,
        ["01"],
        "a province sees its own row"
    );
    assert_eq!(compliance_agencies(&app, question, &vpcp).await.len(), 34);
    // The same scope answers the national CSV export, the sources' discrepancies and the
    // schedule of an agency reporting to the office.
    for path in [
        "/api/v1/data-values.csv?from=202605",
        "/api/v1/quality/discrepancies",
        "/api/v1/schedule?agency=01",
    ] {
        let answer = app.get(path, &vpcp).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.text);
        assert_eq!(
            app.get(path, &btc).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
}

/// A province merged away is named among the sources of the country's figure as it was when it
/// reported, with its last day (issue 21: "02 —" with no name before).
async fn a_merged_province_is_named_among_the_sources(app: TestApp) {
    store(
        &app,
        &[
            value("KT04", "02", "202505", &[], 1000.0),
            value("KT04", "01", "202505", &[], 3000.0),
        ],
    )
    .await;
    let leader = app.login("lanhdao").await;
    let sources = app
        .get(
            "/api/v1/analytics/sources?indicator=KT04&agency=VN&period=202505",
            &leader,
        )
        .await;
    assert_eq!(sources.status, StatusCode::OK, "{}", sources.text);
    let rows = sources.json()["values"].as_array().cloned().unwrap();
    let ha_giang = rows
        .iter()
        .find(|r| r["agency"] == "02")
        .unwrap_or_else(|| panic!("{rows:?}"));
    assert_eq!(ha_giang["agency_name"], "Tỉnh Hà Giang");
    assert_eq!(ha_giang["agency_valid_to"], "2025-06-30");
    let hanoi = rows.iter().find(|r| r["agency"] == "01").unwrap();
    assert!(hanoi.get("agency_valid_to").is_none(), "Hà Nội still is");
}

app_tests!(
    a_merged_province_is_named_among_the_sources,
    a_receiving_agency_reads_what_reports_to_it,
    sdmx_periods_are_time_and_every_representation_is_served,
    the_tables_are_kept_warm_and_only_what_changed_is_recomputed,
    an_indicator_table_is_an_sdmx_data_message,
    the_demo_catalogue_has_tables_by_theme,
    a_table_ends_at_the_latest_data_and_totals_by_rule,
    tables_are_checked_and_saved_only_by_authors,
    a_pivot_splits_by_a_category_and_links_to_its_sources,
    exports_write_the_table_and_stream_the_rows,
    a_province_reads_only_its_own_pivots,
);
