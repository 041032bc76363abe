//! The JSON API over the real router with the demo data, on SQLite and PostgreSQL.

use axum::http::{Method, StatusCode};
use baocao_test_support::{TestApp, app_tests};
use serde_json::{Value, json};

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

/// Every error speaks both languages.
fn assert_bilingual(body: &Value) {
    let error = &body["error"];
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(
        error["message_en"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

async fn health_says_ok(app: TestApp) {
    let answer = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["status"], "ok");
}

/// Every answer names its request, so one request can be followed in the log: a sane id the
/// caller sent is kept, anything else is replaced by the server's own.
async fn every_answer_carries_its_request_id(app: TestApp) {
    let ask = |id: Option<&str>| {
        let mut request = axum::http::Request::builder().uri("/healthz");
        if let Some(id) = id {
            request = request.header("x-request-id", id);
        }
        let request = request.body(axum::body::Body::empty()).unwrap();
        let router = baocao_web::router(app.state.clone());
        async move {
            let response = tower::ServiceExt::oneshot(router, request).await.unwrap();
            response
                .headers()
                .get("x-request-id")
                .map(|v| v.to_str().unwrap().to_string())
        }
    };
    assert_eq!(
        ask(Some("dhis2-sync-42")).await.as_deref(),
        Some("dhis2-sync-42")
    );
    let first = ask(None).await.expect("an id of the server's own");
    let second = ask(None).await.expect("an id of the server's own");
    assert_ne!(first, second, "each request its own id");
    let replaced = ask(Some("<script>")).await.unwrap();
    assert_ne!(replaced, "<script>");
    assert!(
        replaced
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    );
}

async fn login_gives_a_token_and_a_bad_password_is_refused(app: TestApp) {
    let token = app.login("admin").await;
    let me = app.get("/api/v1/me", &token).await;
    assert_eq!(me.json()["username"], "admin");
    assert_eq!(me.json()["agency"], "VN");

    let bad = app
        .call(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(&json!({"username": "admin", "password": "wrong"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&bad.json()), "invalid_credentials");
    assert_bilingual(&bad.json());
    let unknown = app
        .call(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(&json!({"username": "nobody", "password": "demo"})),
        )
        .await;
    assert_eq!(error_code(&unknown.json()), "invalid_credentials");
}

async fn a_malformed_body_is_a_clear_400(app: TestApp) {
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/token")
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{\"username\": "))
        .unwrap();
    let answer = app.send(request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&answer.json()), "invalid_json");
    assert_bilingual(&answer.json());
    // A path number that is not one answers in JSON like every other error.
    let token = app.login("hanoi").await;
    for (method, path) in [
        (Method::POST, "/api/v1/notifications/abc/read"),
        (
            Method::GET,
            "/api/v1/reports/BC-KTXH-T/01/202611/versions/x/diff",
        ),
    ] {
        let answer = app.call(method, path, Some(&token), None).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(
            error_code(&answer.json()),
            "invalid_path",
            "{path}: {}",
            answer.text
        );
        assert_bilingual(&answer.json());
    }
}

async fn the_catalogue_needs_a_login(app: TestApp) {
    for path in [
        "/api/v1/agencies",
        "/api/v1/regimes",
        "/api/v1/indicators",
        "/api/v1/me",
    ] {
        let answer = app.call(Method::GET, path, None, None).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(error_code(&answer.json()), "unauthorized");
        assert_bilingual(&answer.json());
    }
    let forged = app
        .call(Method::GET, "/api/v1/regimes", Some("not-a-token"), None)
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
}

async fn agencies_answer_as_of_a_date(app: TestApp) {
    let token = app.login("hanoi").await;
    let provinces = |body: Value| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| matches!(a["kind"].as_str(), Some("province" | "city")))
            .count()
    };
    assert_eq!(
        provinces(
            app.get("/api/v1/agencies?as_of=2025-06-30", &token)
                .await
                .json()
        ),
        63
    );
    assert_eq!(
        provinces(
            app.get("/api/v1/agencies?as_of=2025-07-01", &token)
                .await
                .json()
        ),
        34
    );

    let page = app
        .get(
            "/api/v1/agencies?as_of=2025-07-01&level=province&limit=5&offset=30",
            &token,
        )
        .await
        .json();
    assert_eq!(
        (
            page["total"].as_u64(),
            page["items"].as_array().unwrap().len()
        ),
        (Some(34), 4)
    );

    let hcm = app
        .get("/api/v1/agencies/79?as_of=2025-07-01", &token)
        .await
        .json();
    assert_eq!(hcm["name_vi"], "Thành phố Hồ Chí Minh");
    assert_eq!(hcm["valid_from"], "2025-07-01");
    assert_eq!(hcm["parent"], "VN");
    let binh_duong = app
        .get("/api/v1/agencies/74?as_of=2025-07-01", &token)
        .await;
    assert_eq!(binh_duong.status, StatusCode::NOT_FOUND);

    let wards = app
        .get("/api/v1/agencies?parent=01&level=commune", &token)
        .await
        .json();
    assert!(wards["total"].as_u64().unwrap() > 100);

    let bad_date = app.get("/api/v1/agencies?as_of=2025-13-01", &token).await;
    assert_eq!(
        (bad_date.status, error_code(&bad_date.json())),
        (StatusCode::BAD_REQUEST, "invalid_date")
    );
    let bad_limit = app.get("/api/v1/agencies?limit=many", &token).await;
    assert_eq!(
        (bad_limit.status, error_code(&bad_limit.json())),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
    let bad_level = app.get("/api/v1/agencies?level=district", &token).await;
    assert_eq!(error_code(&bad_level.json()), "invalid_level");
}

async fn regimes_carry_their_ten_elements(app: TestApp) {
    let token = app.login("hanoi").await;
    let list = app.get("/api/v1/regimes", &token).await.json();
    let regimes = list["items"].as_array().unwrap();
    assert_eq!(regimes.len(), 6);
    let ten = [
        "name",
        "content_requirements",
        "reporting_agencies",
        "receiving_agency",
        "methods",
        "deadline",
        "frequency",
        "cutoff",
        "outline",
        "forms",
    ];
    for regime in regimes {
        for element in ten {
            let value = &regime[element];
            assert!(
                !value.is_null() && value != &json!([]) && value != &json!(""),
                "{} lacks {element}",
                regime["code"]
            );
        }
        assert_eq!(regime["missing_elements"], json!([]));
        assert_eq!(regime["status"], "published");
    }
    let ktxh = app.get("/api/v1/regimes/BC-KTXH-T", &token).await.json();
    assert_eq!(ktxh["forms"][0]["rows"].as_array().unwrap().len(), 8);
    assert_eq!(
        ktxh["receiving_agency"],
        json!({"kind": "agency", "code": "VPCP"})
    );
    assert_eq!(ktxh["deadline"]["day"], 20);

    let form = app
        .get(
            "/api/v1/regimes/BC-KTXH-T/forms/Bi%E1%BB%83u%2001%2FKTXH-T",
            &token,
        )
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    assert_eq!(form.json()["indicators"][0]["code"], "KT03");
    let outline = app
        .get("/api/v1/regimes/BC-KTXH-T/outline", &token)
        .await
        .json();
    assert_eq!(outline["total"], 5);
    let assigned = app
        .get(
            "/api/v1/regimes/BC-KTXH-T/assignments?as_of=2026-11-26",
            &token,
        )
        .await
        .json();
    assert_eq!(assigned["total"], 34);

    let missing = app.get("/api/v1/regimes/BC-KHONG-CO", &token).await;
    assert_eq!(
        (missing.status, error_code(&missing.json())),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let found = app
        .get("/api/v1/regimes?q=kinh%20te%20xa%20hoi", &token)
        .await
        .json();
    assert_eq!(found["items"][0]["code"], "BC-KTXH-T");
}

async fn indicators_are_listed_with_their_disaggregation(app: TestApp) {
    let token = app.login("hanoi").await;
    let population = app.get("/api/v1/indicators/XH01", &token).await.json();
    assert_eq!(population["disaggregation"], json!(["sex", "area"]));
    assert_eq!(population["aggregation"], "last");
    let search = app
        .get("/api/v1/indicators?q=dan%20so", &token)
        .await
        .json();
    assert_eq!(search["items"][0]["code"], "XH01");
    let categories = app.get("/api/v1/categories", &token).await.json();
    assert_eq!(categories["total"], 3);
}

async fn a_reporter_sees_only_their_own_agencys_users(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let own = app.get("/api/v1/agencies/01/users", &hanoi).await;
    assert_eq!(own.status, StatusCode::OK);
    let body = own.json();
    let names: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["hanoi", "hanoi-lead"]);
    assert!(
        !own.text.contains("argon2"),
        "password hashes never leave the server"
    );

    let other = app.get("/api/v1/agencies/79/users", &hanoi).await;
    assert_eq!(
        (other.status, error_code(&other.json())),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    assert_bilingual(&other.json());

    let admin = app.login("admin").await;
    assert_eq!(
        app.get("/api/v1/agencies/79/users", &admin).await.status,
        StatusCode::OK
    );
}

app_tests!(
    health_says_ok,
    every_answer_carries_its_request_id,
    login_gives_a_token_and_a_bad_password_is_refused,
    a_malformed_body_is_a_clear_400,
    the_catalogue_needs_a_login,
    agencies_answer_as_of_a_date,
    regimes_carry_their_ten_elements,
    indicators_are_listed_with_their_disaggregation,
    a_reporter_sees_only_their_own_agencys_users,
);

mod calendar {
    use super::*;

    async fn periods_answer_their_decree_09_windows_and_deadlines(app: TestApp) {
        let token = app.login("hanoi").await;
        let month = app
            .get("/api/v1/periods/monthly/202601", &token)
            .await
            .json();
        assert_eq!(
            month,
            json!({"id": "202601", "frequency": "monthly", "start": "2026-01-01", "end": "2026-01-31",
                   "cutoff_start": "2025-12-15", "cutoff_end": "2026-01-14"})
        );
        let year = app
            .get("/api/v1/regimes/BC-DSHN-N/periods/2025", &token)
            .await
            .json();
        assert_eq!(
            (year["cutoff_start"].as_str(), year["cutoff_end"].as_str()),
            (Some("2024-12-15"), Some("2025-12-14"))
        );
        assert_eq!(year["deadline"], "2026-01-15");
        let quarter = app
            .get("/api/v1/regimes/BC-KSTTHC-Q/periods/2026Q1", &token)
            .await
            .json();
        assert_eq!(
            (quarter["cutoff_end"].as_str(), quarter["deadline"].as_str()),
            (Some("2026-03-14"), Some("2026-03-20"))
        );

        for (path, code) in [
            ("/api/v1/periods/quarterly/2026Q5", "invalid_period"),
            ("/api/v1/periods/monthly/202613", "invalid_period"),
            ("/api/v1/periods/weekly/2026W54", "invalid_period"),
            (
                "/api/v1/periods/monthly/2026Q4",
                "period_frequency_mismatch",
            ),
            ("/api/v1/periods/fortnightly/2026", "invalid_frequency"),
            (
                "/api/v1/regimes/BC-KTXH-T/periods/2026Q4",
                "period_frequency_mismatch",
            ),
        ] {
            let answer = app.get(path, &token).await;
            // A well-formed period of another frequency names nothing: 404, with the reason.
            let status = if code == "period_frequency_mismatch" {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::BAD_REQUEST
            };
            assert_eq!(
                (answer.status, error_code(&answer.json())),
                (status, code),
                "{path}"
            );
            assert_bilingual(&answer.json());
        }
    }

    app_tests!(periods_answer_their_decree_09_windows_and_deadlines);
}

/// The OpenAPI document is generated from the handlers, and the router is built from the same
/// declarations, so every route is documented by construction. What is left to check: the
/// document is well formed (unique operation ids, a summary each, every `$ref` resolves) and
/// every operation it lists is really served (not the router's bare 404 or 405).
#[tokio::test]
async fn the_openapi_document_describes_the_routes_the_router_serves() {
    let Some(app) = baocao_test_support::TestApp::demo(baocao_test_support::Backend::Sqlite).await
    else {
        return;
    };
    let answer = app
        .call(axum::http::Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(answer.status, axum::http::StatusCode::OK);
    let doc = answer.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 100, "bodies are described by components");
    let unresolved: std::collections::BTreeSet<&String> = refs
        .iter()
        .filter(|reference| doc.pointer(reference.trim_start_matches('#')).is_none())
        .collect();
    assert!(unresolved.is_empty(), "every $ref resolves: {unresolved:?}");
    let mut ids = std::collections::HashSet::new();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            assert!(
                operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{method} {path} has a summary"
            );
            let id = operation["operationId"].as_str().unwrap();
            assert!(ids.insert(id.to_string()), "{id} is unique");
            assert!(
                operation["responses"]["default"]["$ref"] == "#/components/responses/Error",
                "{method} {path} documents its errors"
            );
            // Any value fills a path parameter: the handler, not the router, refuses it.
            let concrete: String = path
                .split('/')
                .map(|segment| {
                    if segment.starts_with('{') {
                        "x"
                    } else {
                        segment
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            let method = axum::http::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let answer = app.call(method.clone(), &concrete, None, None).await;
            assert_ne!(
                answer.status,
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is routed"
            );
            assert!(
                answer.status != axum::http::StatusCode::NOT_FOUND || !answer.text.is_empty(),
                "{method} {path} is routed (a handler answered, not the router's bare 404)"
            );
        }
    }
    assert!(operations > 80);
    // DHIS2's ways to authenticate are listed where they are accepted.
    let schemes: Vec<&str> = doc["paths"]["/api/dataValueSets"]["post"]["security"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|requirement| requirement.as_object().unwrap().keys())
        .map(String::as_str)
        .collect();
    assert_eq!(schemes, ["bearer", "basic", "apiToken"]);
    assert_eq!(
        doc["components"]["securitySchemes"]["basic"]["scheme"],
        "basic"
    );
    // DHIS2's path is served and listed like its /api/v1 twin.
    assert_eq!(
        doc["paths"]["/api/dataValueSets"]["post"]["requestBody"],
        doc["paths"]["/api/v1/dataValueSets"]["post"]["requestBody"]
    );
}

fn collect_refs(value: &serde_json::Value, refs: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(reference)) = map.get("$ref") {
                refs.push(reference.clone());
            }
            map.values().for_each(|v| collect_refs(v, refs));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}
