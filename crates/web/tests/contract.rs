//! The API document is a contract: every request of a tour of the API — reads of every kind, a
//! report drafted, submitted, accepted and verified, a push, refusals — is checked against the
//! parameters and request body the document gives, and every answer against the schema the
//! document gives for that operation and status. A type that
//! serialises differently from how it is described fails here, on SQLite and PostgreSQL.

use axum::http::{Method, StatusCode};
use baocao_test_support::{Answer, TestApp, app_tests};
use serde_json::{Value, json};

const SLOT: &str = "/api/v1/reports/BC-KTXH-T/01/202611";

/// The document and the answers checked against it.
struct Contract {
    document: Value,
    checked: usize,
}

impl Contract {
    async fn load(app: &TestApp) -> Self {
        let document = app.get("/api/v1/openapi.json", "").await.json();
        assert!(document["paths"].is_object(), "the document is served");
        Self {
            document,
            checked: 0,
        }
    }

    /// The documented path a concrete one is an instance of: literal segments must be equal,
    /// `{name}` takes any; the most literal match wins (`/regimes/issuers` over
    /// `/regimes/{code}`).
    fn template(&self, path: &str) -> String {
        let path = path.split('?').next().unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        self.document["paths"]
            .as_object()
            .unwrap()
            .keys()
            .filter_map(|template| {
                let parts: Vec<&str> = template.split('/').collect();
                if parts.len() != segments.len() {
                    return None;
                }
                let mut literal = 0;
                for (part, segment) in parts.iter().zip(&segments) {
                    if part.starts_with('{') {
                        continue;
                    }
                    if part != segment {
                        return None;
                    }
                    literal += 1;
                }
                Some((literal, template.clone()))
            })
            .max()
            .map(|(_, template)| template)
            .unwrap_or_else(|| panic!("{path} is documented"))
    }

    /// Checks one answer: its status is listed (or covered by `default`), and a JSON body
    /// matches the schema given for it.
    fn check(&mut self, method: &Method, path: &str, answer: &Answer) {
        let template = self.template(path);
        let operation = &self.document["paths"][&template][method.as_str().to_lowercase()];
        assert!(operation.is_object(), "{method} {template} is documented");
        let status = answer.status.as_u16().to_string();
        let mut response = &operation["responses"][&status];
        if response.is_null() {
            response = &operation["responses"]["default"];
        }
        assert!(
            !response.is_null(),
            "{method} {path}: status {status} is documented"
        );
        if let Some(reference) = response["$ref"].as_str() {
            response = self
                .document
                .pointer(reference.trim_start_matches('#'))
                .unwrap();
        }
        let media = answer
            .headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .to_string();
        if answer.text.is_empty() {
            assert!(
                response["content"].is_null(),
                "{method} {path}: an empty {status} answer is documented without content"
            );
            return;
        }
        let described = &response["content"][&media];
        assert!(
            described.is_object(),
            "{method} {path}: {status} {media} is documented"
        );
        if media != "application/json" {
            return;
        }
        let body = answer.json();
        let errors = self.errors(&described["schema"], &body);
        assert!(
            errors.is_empty(),
            "{method} {path} ({status}) answers as documented: {errors:#?}\n{}",
            &answer.text[..answer.text.len().min(2000)]
        );
        self.checked += 1;
    }

    /// Checks one request before it is sent: every query parameter is documented for the
    /// operation and its value fits the parameter's schema (a number or yes/no read from its
    /// text, a repeated one item by item), and a JSON body fits the documented request body.
    fn check_request(&self, method: &Method, path: &str, body: Option<&Value>) {
        let template = self.template(path);
        let operation = &self.document["paths"][&template][method.as_str().to_lowercase()];
        let parameters: Vec<&Value> = operation["parameters"]
            .as_array()
            .map(|list| list.iter().collect())
            .unwrap_or_default();
        let query = path.split_once('?').map_or("", |(_, query)| query);
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let parameter = parameters
                .iter()
                .find(|p| p["in"] == "query" && p["name"] == name.as_ref())
                .unwrap_or_else(|| {
                    panic!("{method} {template}: query parameter {name} is documented")
                });
            let mut schema = parameter["schema"].clone();
            if schema["type"] == "array" {
                schema = schema["items"].clone();
            }
            let typed = match schema["type"].as_str() {
                Some("integer") | Some("number") => value
                    .parse::<f64>()
                    .map(|n| json!(n))
                    .unwrap_or(json!(value)),
                Some("boolean") => value
                    .parse::<bool>()
                    .map(|b| json!(b))
                    .unwrap_or(json!(value)),
                _ => json!(value),
            };
            let errors = self.errors(&schema, &typed);
            assert!(
                errors.is_empty(),
                "{method} {path}: {name}={value} as documented: {errors:#?}"
            );
        }
        if let Some(body) = body {
            let described = &operation["requestBody"]["content"]["application/json"]["schema"];
            assert!(
                described.is_object(),
                "{method} {template}: a JSON request body is documented"
            );
            let errors = self.errors(described, body);
            assert!(
                errors.is_empty(),
                "{method} {path}: the request body is as documented: {errors:#?}\n{body}"
            );
        }
    }

    /// Where a JSON value breaks a schema of the document (its `$ref`s resolved there).
    fn errors(&self, schema: &Value, value: &Value) -> Vec<String> {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.document["components"],
            "allOf": [schema],
        });
        let validator = jsonschema::draft202012::new(&schema)
            .unwrap_or_else(|error| panic!("the schema compiles: {error}"));
        validator
            .iter_errors(value)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .take(5)
            .collect()
    }

    async fn get(&mut self, app: &TestApp, token: &str, path: &str) -> Value {
        self.check_request(&Method::GET, path, None);
        let answer = app.get(path, token).await;
        self.check(&Method::GET, path, &answer);
        answer.json()
    }

    async fn send(
        &mut self,
        app: &TestApp,
        token: &str,
        method: Method,
        path: &str,
        body: Value,
    ) -> Answer {
        self.check_request(&method, path, Some(&body));
        let answer = app
            .call(method.clone(), path, Some(token), Some(&body))
            .await;
        self.check(&method, path, &answer);
        answer
    }
}

async fn every_answer_of_a_tour_of_the_api_matches_the_document(app: TestApp) {
    let mut contract = Contract::load(&app).await;
    let admin = app.login("admin").await;
    let hanoi = app.login("hanoi").await;
    let lead = app.login("hanoi-lead").await;
    let vpcp = app.login("vpcp").await;

    // Reads of every kind, as the system administrator.
    let tables = contract.get(&app, &admin, "/api/v1/tables").await;
    let table = tables["tables"][0]["code"]
        .as_str()
        .expect("the demo has tables")
        .to_string();
    for path in [
        "/healthz",
        "/api/v1/me",
        "/api/v1/agencies?level=province",
        "/api/v1/agencies/01",
        "/api/v1/agencies/01/users",
        "/api/v1/agencies/01/keys",
        "/api/v1/agencies/events",
        "/api/v1/categories",
        "/api/v1/indicators?limit=5",
        "/api/v1/indicators/KT04",
        "/api/v1/indicators/KT04/outlier-settings",
        "/api/v1/regimes",
        "/api/v1/regimes/BC-KTXH-T",
        "/api/v1/regimes/BC-KTXH-T/versions",
        "/api/v1/regimes/BC-KTXH-T/forms",
        "/api/v1/regimes/BC-KTXH-T/outline",
        "/api/v1/regimes/BC-KTXH-T/assignments",
        "/api/v1/regimes/BC-KTXH-T/periods/202611",
        "/api/v1/regimes/standardisation",
        "/api/v1/regimes/duplicates",
        "/api/v1/regimes/issuers",
        "/api/v1/periods/quarterly/2026Q4",
        "/api/v1/calendar/holidays?year=2026",
        "/api/v1/schedule",
        "/api/v1/compliance?regime=BC-KTXH-T&from=202601&to=202610",
        "/api/v1/quality?regime=BC-KTXH-T&period=202610",
        "/api/v1/quality/discrepancies",
        "/api/v1/analytics?indicator=KT04&period=2025Q4&agency=VN&level=province",
        "/api/v1/analytics/sources?indicator=KT04&period=2025Q4&agency=01",
        "/api/v1/analytics/discrepancies?indicator=KT04&period=2025Q4&level=province",
        "/api/v1/pivot?indicator=KT04&period=2025Q4&level=province&rows=agency&columns=period",
        "/api/v1/clients",
        "/api/v1/connectors",
        "/api/v1/notifications",
    ] {
        contract.get(&app, &admin, path).await;
    }
    contract
        .get(&app, &admin, &format!("/api/v1/tables/{table}"))
        .await;
    contract
        .get(&app, &admin, &format!("/api/v1/tables/{table}/data"))
        .await;
    let forms = contract
        .get(&app, &admin, "/api/v1/regimes/BC-KTXH-T/forms")
        .await;
    let form = forms["items"][0]["code"].as_str().unwrap().to_string();
    contract
        .get(
            &app,
            &admin,
            &format!("/api/v1/regimes/BC-KTXH-T/forms/{}", urlencode(&form)),
        )
        .await;

    // A report's life: drafted, submitted, accepted, its versions compared and verified.
    contract.get(&app, &hanoi, SLOT).await;
    contract.get(&app, &hanoi, &format!("{SLOT}/prefill")).await;
    let values = json!([{"form": form, "row": "KT04", "column": "this_period", "options": {}, "value": 60123.4}]);
    let saved = contract
        .send(
            &app,
            &hanoi,
            Method::PUT,
            &format!("{SLOT}/draft"),
            json!({"version": 0, "values": values,
                   "sections": [{"index": 0, "text": "Kinh tế tiếp tục phục hồi."}]}),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let submitted = contract
        .send(
            &app,
            &lead,
            Method::POST,
            &format!("{SLOT}/submit"),
            json!({"explanations": []}),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text);
    {
        let accepted = contract
            .send(
                &app,
                &vpcp,
                Method::POST,
                &format!("{SLOT}/accept"),
                json!({}),
            )
            .await;
        assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
        contract
            .get(&app, &vpcp, &format!("{SLOT}/versions/1/signature"))
            .await;
        contract
            .get(&app, &vpcp, &format!("{SLOT}/versions/1/diff"))
            .await;
    }

    // Interoperability: a push, the pull of what was pushed, a rule checked.
    let pushed = contract
        .send(
            &app,
            &hanoi,
            Method::POST,
            "/api/v1/dataValueSets?atomicMode=NONE",
            json!({"dataSet": "BC-KTXH-T", "period": "202612", "orgUnit": "01",
                   "dataValues": [{"dataElement": "KT04", "value": "61000"},
                                  {"dataElement": "NO-SUCH", "value": "1"}]}),
        )
        .await;
    assert_eq!(
        pushed.json()["importCount"]["imported"],
        1,
        "{}",
        pushed.text
    );
    contract
        .get(
            &app,
            &hanoi,
            "/api/v1/dataValueSets?dataSet=BC-KTXH-T&period=202612&orgUnit=01&pageSize=10",
        )
        .await;
    contract
        .send(
            &app,
            &admin,
            Method::POST,
            "/api/v1/rules/check",
            json!({"regime": "BC-KTXH-T", "expression": "[KT04] >= 0",
                   "values": [{"form": form, "row": "KT04", "column": "this_period", "options": {}, "value": 5}]}),
        )
        .await;

    // Refusals answer the documented error shape.
    contract.get(&app, &admin, "/api/v1/regimes/NO-SUCH").await;
    contract
        .get(&app, "", "/api/v1/reports/BC-KTXH-T/01/202611")
        .await;
    // A body the document does not allow: the request check tells it, the server refuses it.
    let undocumented = json!({"version": "one"});
    let draft = format!("{SLOT}/draft");
    let told = std::panic::catch_unwind(|| {
        contract.check_request(&Method::PUT, &draft, Some(&undocumented))
    });
    assert!(
        told.is_err(),
        "the request check tells a body off the document"
    );
    let refused = app
        .call(Method::PUT, &draft, Some(&hanoi), Some(&undocumented))
        .await;
    contract.check(&Method::PUT, &draft, &refused);
    assert!(
        contract.checked >= 50,
        "{} answers checked",
        contract.checked
    );

    // The check itself tells a wrong answer: a slot whose status is not a status, a listing
    // without its total.
    let slot = &contract.document["paths"]["/api/v1/reports/{regime}/{agency}/{period}"]["get"]["responses"]
        ["200"]["content"]["application/json"]["schema"];
    let mut wrong = app.get(SLOT, &hanoi).await.json();
    assert!(contract.errors(slot, &wrong).is_empty());
    wrong["status"] = json!("maybe");
    assert!(!contract.errors(slot, &wrong).is_empty());
    let agencies = &contract.document["paths"]["/api/v1/agencies"]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"];
    assert!(!contract.errors(agencies, &json!({"items": []})).is_empty());
}

/// Percent-encodes a path segment (form codes hold spaces and slashes).
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every path and query parameter is a scalar, or a list of scalars, once its schema is
/// resolved: two types of one name (the last registered wins in the document) once turned the
/// `{code}` of the connector and table routes into an object, and a generated Rust client did
/// not compile.
async fn every_parameter_is_a_scalar_or_a_list_of_scalars(app: TestApp) {
    let document = app.get("/api/v1/openapi.json", "").await.json();
    let resolve = |schema: &Value| -> Value {
        match schema["$ref"].as_str() {
            Some(reference) => {
                let name = reference.trim_start_matches("#/components/schemas/");
                document["components"]["schemas"][name].clone()
            }
            None => schema.clone(),
        }
    };
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for parameter in operation["parameters"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                let schema = resolve(&parameter["schema"]);
                let items = resolve(&schema["items"]);
                let kind = |s: &Value| {
                    s["type"].as_str().map(str::to_string).or_else(|| {
                        s["type"].as_array().map(|all| {
                            all.iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join("|")
                        })
                    })
                };
                let named = format!("{method} {path} {}", parameter["name"]);
                assert!(
                    !kind(&schema).unwrap_or_default().contains("object")
                        && !kind(&items).unwrap_or_default().contains("object"),
                    "{named}: {schema}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "only {checked} parameters");
}

app_tests!(
    every_answer_of_a_tour_of_the_api_matches_the_document,
    every_parameter_is_a_scalar_or_a_list_of_scalars,
);
