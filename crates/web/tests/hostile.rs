//! What a hostile sender tries, kept as regression tests (issue 16): workbooks and payloads
//! built to exhaust memory or time are refused with the limit they broke, quickly, and leave
//! the draft as it was; on SQLite and PostgreSQL.

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use baocao_test_support::workbook::{append_to_first_sheet, download, rezip};
use baocao_test_support::{Answer, TestApp, app_tests};
use serde_json::json;

const SLOT: &str = "/api/v1/reports/BC-KTXH-T/01/202611";

async fn post(app: &TestApp, token: &str, uri: &str, content_type: &str, body: Vec<u8>) -> Answer {
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(axum::body::Body::from(body))
        .unwrap();
    app.send(request).await
}

async fn upload(app: &TestApp, token: &str, body: Vec<u8>) -> Answer {
    post(
        app,
        token,
        &format!("{SLOT}/workbook"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        body,
    )
    .await
}

fn refused_by(answer: &Answer) -> String {
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.text
    );
    let error = &answer.json()["error"];
    assert_eq!(error["code"], "limit_exceeded");
    assert!(error["message"].as_str().unwrap().contains("giới hạn"));
    error["limit"].as_str().unwrap().to_string()
}

async fn a_cell_at_the_last_address_of_a_sheet_is_read_without_laying_the_sheet_out(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let template = download(&app, &hanoi, SLOT).await;
    let crafted = rezip(
        &template,
        append_to_first_sheet(r#"<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#),
    );
    assert!(crafted.len() < 64 * 1024);
    let answer = upload(&app, &hanoi, crafted).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(app.get(SLOT, &hanoi).await.status, StatusCode::OK);
}

async fn a_zip_bomb_is_refused_by_its_ratio_and_changes_nothing(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let before = app.get(SLOT, &hanoi).await.json()["version"].clone();
    let template = download(&app, &hanoi, SLOT).await;
    let rows = "<row/>".repeat(4 << 20);
    let bomb = rezip(&template, append_to_first_sheet(&rows));
    assert!(bomb.len() < 256 * 1024, "{} bytes", bomb.len());
    let started = Instant::now();
    let answer = upload(&app, &hanoi, bomb).await;
    assert_eq!(refused_by(&answer), "max_compression_ratio");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(app.get(SLOT, &hanoi).await.json()["version"], before);
}

async fn thousands_of_attributes_on_one_element_are_refused_at_once(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    // An ADX group carrying `count` made-up attributes.
    let crowded = |count: usize| {
        let attributes: String = (0..count).map(|n| format!(" a{n}=\"1\"")).collect();
        format!(
            r#"<adx xmlns="urn:ihe:qrph:adx:2015"><group orgUnit="01" period="2026-11-01/P1M" dataSet="BC-KTXH-T"{attributes}><dataValue dataElement="KT04" value="1"/></group></adx>"#
        )
        .into_bytes()
    };
    let started = Instant::now();
    let push = |body| {
        post(
            &app,
            &hanoi,
            "/api/v1/dataValueSets",
            "application/adx+xml",
            body,
        )
    };
    assert_eq!(refused_by(&push(crowded(80_000)).await), "max_token_bytes");
    let answer = push(crowded(100)).await;
    assert_eq!(refused_by(&answer), "max_xml_attributes");
    assert!(started.elapsed() < Duration::from_secs(3));
}

async fn a_huge_value_is_refused_without_being_held_or_echoed(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let value = "9".repeat(8 << 20);
    let body = json!({"dataSet": "BC-KTXH-T", "period": "202611", "orgUnit": "01", "dataValues": [
        {"dataElement": "KT04", "value": value}
    ]});
    for query in ["", "?dryRun=true"] {
        let answer = post(
            &app,
            &hanoi,
            &format!("/api/v1/dataValueSets{query}"),
            "application/json",
            body.to_string().into_bytes(),
        )
        .await;
        assert_eq!(refused_by(&answer), "max_token_bytes");
        assert!(
            answer.text.len() < 2_000,
            "{} bytes echoed",
            answer.text.len()
        );
    }
    let csv = format!("KT04,202611,01,,,{}\n", "9".repeat(1 << 20));
    let answer = post(
        &app,
        &hanoi,
        "/api/v1/dataValueSets?dataSet=BC-KTXH-T",
        "text/csv",
        csv.into_bytes(),
    )
    .await;
    assert_eq!(refused_by(&answer), "max_token_bytes");
}

/// A client that sends its whole body before it reads (as many do) still reads the refusal of a
/// value over the limit, not a reset connection: the server reads and drops the rest.
async fn a_refused_push_is_answered_to_a_client_still_sending(app: TestApp) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let hanoi = app.login("hanoi").await;
    let base = app.spawn().await;
    let address = base.trim_start_matches("http://");
    let body = format!(
        r#"{{"dataSet":"BC-KTXH-T","period":"202611","orgUnit":"01","dataValues":[{{"dataElement":"KT04","value":"{}"}}]}}"#,
        "9".repeat(32 << 20)
    );
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /api/v1/dataValueSets HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {hanoi}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
        .write_all(body.as_bytes())
        .await
        .expect("the whole body is taken");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 413"),
        "{}",
        &answer[..answer.len().min(300)]
    );
    assert!(answer.contains("max_token_bytes"));
}

/// `POST /api/v1/auth/token` from `address`.
async fn login_from(app: &TestApp, address: [u8; 4], username: &str, password: &str) -> Answer {
    let mut request = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/token")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            json!({"username": username, "password": password}).to_string(),
        ))
        .unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            address, 40000,
        ))));
    app.send(request).await
}

async fn repeated_wrong_passwords_earn_a_wait_for_that_account_and_address_only(app: TestApp) {
    const ATTACKER: [u8; 4] = [203, 0, 113, 7];
    const OFFICE: [u8; 4] = [10, 1, 1, 1];
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(login_from(&app, ATTACKER, "hanoi", "guess").await.status);
    }
    assert_eq!(&statuses[..4], &[StatusCode::UNAUTHORIZED; 4]);
    assert!(
        statuses[5..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let throttled = login_from(&app, ATTACKER, "hanoi", "demo").await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.json()["error"]["code"], "too_many_attempts");
    assert!(throttled.json()["error"]["retry_after"].as_u64().unwrap() >= 1);
    // The real user, from the office, is not locked out by the attacker.
    assert_eq!(
        login_from(&app, OFFICE, "hanoi", "demo").await.status,
        StatusCode::OK
    );
}

async fn a_client_credential_is_not_exchanged_for_a_person_token_nor_used_off_its_routes(
    app: TestApp,
) {
    let admin = app.login("admin").await;
    let registration = json!({"name": "his-hanoi", "agency": "01", "regimes": ["BC-KTXH-T"],
                              "push": true, "pull": false, "rate_per_minute": 1000});
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
    let exchanged = login_from(&app, [10, 0, 0, 9], "his-hanoi", &token).await;
    assert_eq!(
        exchanged.status,
        StatusCode::FORBIDDEN,
        "{}",
        exchanged.text
    );
    assert_eq!(exchanged.json()["error"]["code"], "client_credentials");

    let as_client = |uri: &str, scheme: String| {
        axum::http::Request::builder()
            .uri(uri)
            .header("authorization", scheme)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("his-hanoi:{token}"))
    );
    for scheme in [format!("ApiToken {token}"), basic] {
        let draft = app.send(as_client(SLOT, scheme.clone())).await;
        assert_eq!(draft.status, StatusCode::FORBIDDEN, "{}", draft.text);
        assert_eq!(draft.json()["error"]["code"], "out_of_scope");
        let page = app.send(as_client("/reports", scheme.clone())).await;
        assert_ne!(page.status, StatusCode::OK);
        let catalogue = app.send(as_client("/api/v1/regimes", scheme.clone())).await;
        assert_eq!(catalogue.status, StatusCode::OK, "{}", catalogue.text);
        let pull = app
            .send(as_client(
                "/api/v1/dataValueSets?dataSet=BC-KTXH-T&period=202611&orgUnit=01",
                scheme,
            ))
            .await;
        assert_eq!(
            pull.status,
            StatusCode::FORBIDDEN,
            "pull is not in its scopes"
        );
    }
}

async fn secrets_are_sealed_in_the_database_and_csrf_tokens_are_not_stored(app: TestApp) {
    let hanoi_code = baocao_domain::agency::AgencyCode::new("01").unwrap();
    let day = jiff::civil::date(2026, 11, 30);
    let secret_hex = "11".repeat(32);
    app.state
        .store
        .add_signing_key(
            &hanoi_code,
            day,
            &secret_hex,
            &"22".repeat(32),
            "2026-11-26T08:00:00Z",
        )
        .await
        .unwrap();
    let stored = app.db.raw_texts("SELECT secret_key FROM agency_keys").await;
    assert_eq!(stored.len(), 1);
    assert!(stored[0].starts_with("sealed:v1:"), "{}", stored[0]);
    assert!(!stored[0].contains(&secret_hex));
    // The server still signs with it.
    let (opened, _) = app
        .state
        .store
        .signing_key(&hanoi_code, day)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(opened, secret_hex);

    let admin = app.login("admin").await;
    let connector = json!({
        "name": "Thương mại", "url": "http://127.0.0.1:9/json", "format": "json",
        "auth": {"kind": "basic", "username": "peer-user", "password": "peer-password-42"},
        "every_minutes": 60,
        "mapping": {"records": "/data", "indicator": {"field": "a"}, "agency": {"field": "b"},
                    "period": {"field": "c"}, "value": {"field": "d"}}
    });
    let saved = app
        .call(
            Method::PUT,
            "/api/v1/connectors/tm",
            Some(&admin),
            Some(&connector),
        )
        .await;
    assert!(saved.status.is_success(), "{}", saved.text);
    let definition = app.db.raw_texts("SELECT definition FROM connectors").await;
    assert!(
        !definition[0].contains("peer-password-42"),
        "{}",
        definition[0]
    );
    assert!(definition[0].contains("sealed:v1:"));
    let record = app.state.store.connector("tm").await.unwrap().unwrap();
    assert_eq!(
        record.spec.auth,
        baocao_domain::connector::PeerAuth::Basic {
            username: "peer-user".into(),
            password: "peer-password-42".into()
        }
    );

    // A UI session: its CSRF token is derived from its cookie, never written down.
    let user = app.state.store.user_id("hanoi").await.unwrap().unwrap();
    let (secret, csrf, _) = baocao_web::auth::issue(
        &app.state,
        user,
        baocao_store::users::TokenKind::Session,
        None,
    )
    .await
    .unwrap();
    assert_eq!(csrf, Some(baocao_web::auth::csrf_of(&secret)));
    let csrf_tokens = app
        .db
        .raw_texts("SELECT COALESCE(csrf_token, '') FROM auth_tokens")
        .await;
    assert!(!csrf_tokens.is_empty());
    assert!(csrf_tokens.iter().all(String::is_empty), "{csrf_tokens:?}");

    #[cfg(unix)]
    if let Some(file) = app.db.sqlite_file() {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the database file is its owner's only");
    }
}

async fn answers_carry_the_security_headers_and_authenticated_ones_are_not_stored(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    for (path, token) in [
        ("/login", ""),
        ("/api/v1/regimes", hanoi.as_str()),
        (SLOT, hanoi.as_str()),
    ] {
        let answer = app.get(path, token).await;
        let header = |name: &str| {
            answer
                .headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default()
        };
        let policy = header("content-security-policy");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"));
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("referrer-policy"), "same-origin");
        assert_eq!(
            header("strict-transport-security"),
            "",
            "not behind https here"
        );
        if !token.is_empty() {
            assert_eq!(header("cache-control"), "no-store", "{path}");
        }
    }
    // Behind https (public_url), cookies are Secure and answers carry HSTS.
    let mut state = app.state.clone();
    state.config.public_url = Some("https://baocao.example.vn".into());
    let request = axum::http::Request::builder()
        .uri("/login")
        .body(axum::body::Body::empty())
        .unwrap();
    let answer = tower::ServiceExt::oneshot(baocao_web::router(state), request)
        .await
        .unwrap();
    assert!(answer.headers().contains_key("strict-transport-security"));
    let cookies: Vec<_> = answer.headers().get_all("set-cookie").iter().collect();
    assert!(!cookies.is_empty());
    assert!(
        cookies
            .iter()
            .all(|c| c.to_str().unwrap().contains("; Secure"))
    );
}

async fn numbers_out_of_range_and_invisible_characters_in_codes_are_refused(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let huge = format!("1{}", "0".repeat(308));
    let draft = app
        .call(
            Method::PUT,
            &format!("{SLOT}/draft"),
            Some(&hanoi),
            Some(
                &json!({"version": 0, "values": [{"form": "Biểu 01/KTXH-T", "row": "KT04",
                "column": "this_period", "options": {}, "value": huge}]}),
            ),
        )
        .await;
    assert_eq!(
        draft.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        draft.text
    );
    assert!(draft.text.contains("999.999.999.999.999"), "{}", draft.text);
    assert!(draft.text.len() < 2_000, "the value is not echoed whole");
    let pushed = post(
        &app,
        &hanoi,
        "/api/v1/dataValueSets",
        "application/json",
        json!({"dataSet": "BC-KTXH-T", "period": "202611", "orgUnit": "01",
               "dataValues": [{"dataElement": "KT04", "value": "1e308"}, {"dataElement": "KT05", "value": huge}]})
        .to_string()
        .into_bytes(),
    )
    .await;
    assert_eq!(pushed.status, StatusCode::CONFLICT, "{}", pushed.text);

    let admin = app.login("admin").await;
    let mut regime = app.get("/api/v1/regimes/BC-KTXH-T", &admin).await.json();
    regime["code"] = json!("BC-\u{202E}T-KTXH");
    let created = app
        .call(Method::POST, "/api/v1/regimes", Some(&admin), Some(&regime))
        .await;
    assert!(created.status.is_client_error(), "{}", created.text);
    regime["code"] = json!("BC-KTXH-NEW");
    regime["name"] = json!("x".repeat(1_000_000));
    let created = app
        .call(Method::POST, "/api/v1/regimes", Some(&admin), Some(&regime))
        .await;
    assert!(created.status.is_client_error(), "{}", created.text);
    assert!(created.text.contains("too long"), "{}", created.text);
    assert!(created.text.len() < 4_000);
}

async fn a_token_is_revoked_by_logging_out_and_by_an_administrator(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let other = app.login("hanoi").await;
    assert_eq!(app.get("/api/v1/me", &hanoi).await.status, StatusCode::OK);
    let out = app
        .call(Method::POST, "/api/v1/auth/logout", Some(&hanoi), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{}", out.text);
    assert_eq!(
        app.get("/api/v1/me", &hanoi).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.get("/api/v1/me", &other).await.status, StatusCode::OK);

    let hcm = app.login("hcm").await;
    let listed = app.get("/api/v1/users/hanoi/tokens", &hcm).await;
    assert_eq!(
        listed.status,
        StatusCode::FORBIDDEN,
        "another agency's reporter"
    );
    let admin = app.login("admin").await;
    let listed = app.get("/api/v1/users/hanoi/tokens", &admin).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let tokens = listed.json();
    assert_eq!(tokens.as_array().unwrap().len(), 1, "{tokens}");
    assert!(!listed.text.contains(&other), "the secret is never shown");
    let id = tokens[0]["id"].as_str().unwrap();
    let revoked = app
        .call(
            Method::DELETE,
            &format!("/api/v1/users/hanoi/tokens/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    assert_eq!(
        app.get("/api/v1/me", &other).await.status,
        StatusCode::UNAUTHORIZED
    );
    let own = app.get("/api/v1/users/hcm/tokens", &hcm).await;
    assert_eq!(own.status, StatusCode::OK, "one's own sessions");
}

/// `username`'s login with an optional one-time code.
async fn login_with(app: &TestApp, username: &str, otp: Option<&str>) -> Answer {
    app.call(
        Method::POST,
        "/api/v1/auth/token",
        None,
        Some(&json!({"username": username, "password": "demo", "otp": otp})),
    )
    .await
}

async fn a_second_factor_is_needed_once_in_force_and_each_code_counts_once(app: TestApp) {
    use baocao_domain::totp;
    let admin = app.login("admin").await;
    let enrolled = app
        .call(
            Method::POST,
            "/api/v1/users/hanoi-lead/second-factor",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(enrolled.status, StatusCode::CREATED, "{}", enrolled.text);
    let secret = totp::from_base32(enrolled.json()["secret"].as_str().unwrap()).unwrap();
    assert!(
        enrolled.json()["otpauth"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    let stored = app
        .db
        .raw_texts("SELECT totp_secret FROM users WHERE totp_secret IS NOT NULL")
        .await;
    assert!(stored[0].starts_with("sealed:v1:"), "sealed at rest");
    // Not in force until confirmed: the password alone still logs in.
    assert_eq!(
        login_with(&app, "hanoi-lead", None).await.status,
        StatusCode::OK
    );

    let now = baocao_test_support::app::test_now().as_second();
    let code_at = |seconds: i64| {
        format!(
            "{:06}",
            totp::hotp(&secret, totp::step_of(seconds) as u64, 6)
        )
    };
    let wrong = app
        .call(
            Method::POST,
            "/api/v1/users/hanoi-lead/second-factor/confirm",
            Some(&admin),
            Some(&json!({"code": "000000"})),
        )
        .await;
    assert!(wrong.status.is_client_error());
    let confirmed = app
        .call(
            Method::POST,
            "/api/v1/users/hanoi-lead/second-factor/confirm",
            Some(&admin),
            Some(&json!({"code": code_at(now)})),
        )
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::NO_CONTENT,
        "{}",
        confirmed.text
    );

    let without = login_with(&app, "hanoi-lead", None).await;
    assert_eq!(without.status, StatusCode::UNAUTHORIZED);
    assert_eq!(without.json()["error"]["code"], "otp_required");
    // The confirming code was used: it does not log in again.
    let replayed = login_with(&app, "hanoi-lead", Some(&code_at(now))).await;
    assert_eq!(
        replayed.json()["error"]["code"],
        "otp_invalid",
        "{}",
        replayed.text
    );
    let next = code_at(now + totp::STEP_SECONDS);
    assert_eq!(
        login_with(&app, "hanoi-lead", Some(&next)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        login_with(&app, "hanoi-lead", Some(&next)).await.status,
        StatusCode::UNAUTHORIZED,
        "each code once"
    );
    // HTTP Basic cannot carry a code: a password alone no longer passes.
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode("hanoi-lead:demo");
    let request = axum::http::Request::builder()
        .uri("/api/v1/me")
        .header("authorization", format!("Basic {basic}"))
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(app.send(request).await.status, StatusCode::UNAUTHORIZED);

    // Required by the setting: an approver without a factor is refused, a reporter is not.
    let mut state = app.state.clone();
    state.config.require_second_factor = true;
    let strict = |username: &str| {
        axum::http::Request::builder()
            .method(Method::POST)
            .uri("/api/v1/auth/token")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(
                json!({"username": username, "password": "demo"}).to_string(),
            ))
            .unwrap()
    };
    let router = baocao_web::router(state);
    let approver = tower::ServiceExt::oneshot(router.clone(), strict("hcm-lead"))
        .await
        .unwrap();
    assert_eq!(approver.status(), StatusCode::FORBIDDEN);
    let reporter = tower::ServiceExt::oneshot(router, strict("hcm"))
        .await
        .unwrap();
    assert_eq!(reporter.status(), StatusCode::OK);

    let removed = app
        .call(
            Method::DELETE,
            "/api/v1/users/hanoi-lead/second-factor",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.text);
    assert_eq!(
        login_with(&app, "hanoi-lead", None).await.status,
        StatusCode::OK
    );
}

app_tests!(
    a_refused_push_is_answered_to_a_client_still_sending,
    a_second_factor_is_needed_once_in_force_and_each_code_counts_once,
    secrets_are_sealed_in_the_database_and_csrf_tokens_are_not_stored,
    answers_carry_the_security_headers_and_authenticated_ones_are_not_stored,
    numbers_out_of_range_and_invisible_characters_in_codes_are_refused,
    a_token_is_revoked_by_logging_out_and_by_an_administrator,
    repeated_wrong_passwords_earn_a_wait_for_that_account_and_address_only,
    a_client_credential_is_not_exchanged_for_a_person_token_nor_used_off_its_routes,
    a_cell_at_the_last_address_of_a_sheet_is_read_without_laying_the_sheet_out,
    a_zip_bomb_is_refused_by_its_ratio_and_changes_nothing,
    thousands_of_attributes_on_one_element_are_refused_at_once,
    a_huge_value_is_refused_without_being_held_or_echoed,
);
