//! Single sign-on (issue 24, item 1) against a real OpenID Connect provider started by the
//! test — panva's `oidc-provider` from the npm registry, run with Node
//! (`tests/peers/oidc_provider.mjs`; `BAOCAO_OIDC_PROVIDER_JS` names its `lib/index.js`,
//! installed by `.ci/run`). A person signs in at the provider's own pages and comes back
//! signed in as the linked account; a wrong state, a wrong nonce, an expired ID token and a
//! signature by a key the provider does not hold are refused and open no session; a portal
//! account linked to nobody is refused until an administrator links it; passwords can be
//! turned off; logging out ends the session and signs out at the provider.

use std::collections::HashMap;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use baocao_test_support::{TestApp, app_tests};
use baocao_web::{AppState, SystemClock, WebConfig};

/// The provider, stopped when the test ends.
struct ProviderProcess(Child);

impl Drop for ProviderProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the provider for a relying party at `baocao` (its base URL); `None` when Node or
/// oidc-provider is not installed (a failure under BAOCAO_REQUIRE_PEERS=1).
fn start_provider(baocao: &str) -> Option<(ProviderProcess, String)> {
    let Some(module) = std::env::var_os("BAOCAO_OIDC_PROVIDER_JS") else {
        assert!(
            std::env::var("BAOCAO_REQUIRE_PEERS")
                .ok()
                .is_none_or(|v| v != "1"),
            "BAOCAO_REQUIRE_PEERS is set but BAOCAO_OIDC_PROVIDER_JS names no oidc-provider"
        );
        eprintln!("oidc-provider is not installed (BAOCAO_OIDC_PROVIDER_JS); skipping");
        return None;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/oidc_provider.mjs");
    // A provider that never says "ready" (seen once in CI: node alive, not listening) is
    // killed and started again on another port, rather than hanging the test for ever.
    for _ in 0..3 {
        let port = free_port();
        let mut child = Command::new("node")
            .arg(script)
            .arg(&module)
            .arg(port.to_string())
            .arg(format!("{baocao}/auth/oidc/portal/callback"))
            .arg(format!("{baocao}/login"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs");
        let lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let (said, heard) = std::sync::mpsc::channel();
        // Whatever it says is read to the end, so that it never writes into a closed pipe.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let _ = said.send(line);
            }
        });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let ready = loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match heard.recv_timeout(left) {
                Ok(line) if line == "ready" => break true,
                Ok(_) => continue,
                Err(_) => break false,
            }
        };
        let provider = ProviderProcess(child);
        if ready {
            return Some((provider, format!("http://127.0.0.1:{port}")));
        }
        drop(provider);
    }
    panic!("the provider did not start in three tries");
}

/// A person's browser: follows nothing by itself, keeps each server's cookies apart.
struct Agent {
    client: reqwest::Client,
    jars: HashMap<String, HashMap<String, String>>,
}

struct Page {
    status: u16,
    location: Option<String>,
    text: String,
    url: String,
}

impl Agent {
    fn new() -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jars: HashMap::new(),
        }
    }

    fn authority(url: &str) -> String {
        let parsed = url::Url::parse(url).unwrap();
        format!(
            "{}:{}",
            parsed.host_str().unwrap(),
            parsed.port().unwrap_or(80)
        )
    }

    async fn send(&mut self, request: reqwest::RequestBuilder, url: &str) -> Page {
        let jar = self.jars.entry(Self::authority(url)).or_default();
        let cookies: Vec<String> = jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let request = if cookies.is_empty() {
            request
        } else {
            request.header("cookie", cookies.join("; "))
        };
        let answer = request.send().await.unwrap();
        for set in answer.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            let expired = attributes.to_ascii_lowercase().contains("max-age=0") || value.is_empty();
            if expired {
                jar.remove(name.trim());
            } else {
                jar.insert(name.trim().to_string(), value.to_string());
            }
        }
        let status = answer.status().as_u16();
        let location = answer.headers().get("location").map(|l| {
            url::Url::parse(url)
                .unwrap()
                .join(l.to_str().unwrap())
                .unwrap()
                .to_string()
        });
        Page {
            status,
            location,
            text: answer.text().await.unwrap(),
            url: url.to_string(),
        }
    }

    async fn get(&mut self, url: &str) -> Page {
        let request = self.client.get(url);
        self.send(request, url).await
    }

    async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        let request = self.client.post(url).form(form);
        self.send(request, url).await
    }

    fn has_cookie(&self, url: &str, name: &str) -> bool {
        self.jars
            .get(&Self::authority(url))
            .is_some_and(|jar| jar.contains_key(name))
    }
}

fn attribute(html: &str, before: &str, name: &str) -> String {
    let start = html
        .find(before)
        .unwrap_or_else(|| panic!("{before} in {html}"));
    let rest = &html[start..];
    let key = format!("{name}=\"");
    let from = rest.find(&key).unwrap() + key.len();
    rest[from..from + rest[from..].find('"').unwrap()].to_string()
}

/// Signs in at the provider's own pages as `login` (any password), from `authorization` until
/// the provider sends the browser back to baocao; answers that address.
async fn at_the_provider(
    agent: &mut Agent,
    authorization: &str,
    login: &str,
    baocao: &str,
) -> String {
    let mut url = authorization.to_string();
    for _ in 0..12 {
        let page = agent.get(&url).await;
        let next = match page.status {
            302 | 303 => page.location.unwrap(),
            200 => {
                let action = attribute(&page.text, "<form", "action");
                let prompt = attribute(&page.text, "name=\"prompt\"", "value");
                let target = url::Url::parse(&page.url).unwrap().join(&action).unwrap();
                let posted = agent
                    .post(
                        target.as_str(),
                        &[("prompt", &prompt), ("login", login), ("password", "any")],
                    )
                    .await;
                assert_eq!(posted.status, 303, "{}", posted.text);
                posted.location.unwrap()
            }
            other => panic!("{other} at {url}: {}", page.text),
        };
        if next.starts_with(baocao) {
            return next;
        }
        url = next;
    }
    panic!("the provider never sent the browser back");
}

/// From baocao's sign-in button to the provider: answers the authorization address.
async fn leave_for_the_provider(agent: &mut Agent, baocao: &str) -> String {
    let start = agent.get(&format!("{baocao}/auth/oidc/portal")).await;
    assert_eq!(start.status, 303, "{}", start.text);
    assert!(agent.has_cookie(baocao, "baocao_sso"));
    start.location.unwrap()
}

/// A whole sign-in as `login`: answers baocao's answer to the provider's return.
async fn sign_in(agent: &mut Agent, baocao: &str, login: &str) -> Page {
    let authorization = leave_for_the_provider(agent, baocao).await;
    let back = at_the_provider(agent, &authorization, login, baocao).await;
    agent.get(&back).await
}

async fn who(agent: &mut Agent, baocao: &str) -> Option<String> {
    let me = agent.get(&format!("{baocao}/api/v1/me")).await;
    (me.status == 200).then(|| {
        let me: serde_json::Value = serde_json::from_str(&me.text).unwrap();
        me["username"].as_str().unwrap().to_string()
    })
}

fn with_query(url: &str, name: &str, value: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}

fn refused(page: &Page, code: &str) {
    assert!(page.status >= 400, "{} {}", page.status, page.text);
    assert!(page.text.contains(code), "{code}: {}", page.text);
}

async fn people_sign_in_through_the_portal_and_nothing_else_gets_in(app: TestApp) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let baocao = format!("http://{}", listener.local_addr().unwrap());
    let Some((_provider, issuer)) = start_provider(&baocao) else {
        return;
    };
    let provider: baocao_service::sso::Provider = serde_json::from_value(serde_json::json!({
        "name": "portal",
        "label": "Cổng Dịch vụ công quốc gia",
        "issuer": issuer,
        "client_id": "baocao",
        "client_secret": "a-secret-of-baocao",
        "link_claim": "preferred_username",
    }))
    .unwrap();
    let config = WebConfig {
        public_url: Some(baocao.clone()),
        sso_providers: vec![provider],
        password_login: false,
        ..WebConfig::default()
    };
    config.check().unwrap();
    let state = AppState::new(app.state.store.clone(), Arc::new(SystemClock), config);
    // Passwords are off on this server: API tokens for the administrators' calls are issued
    // directly, on its clock.
    let token_of = |username: &'static str| {
        let state = state.clone();
        async move {
            let id = state.store.user_id(username).await.unwrap().unwrap();
            baocao_web::auth::issue(&state, id, baocao_store::users::TokenKind::Api, None)
                .await
                .unwrap()
                .0
        }
    };
    let router = baocao_web::router(state.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });

    // The login page offers the portal and no password form; a password is refused.
    let mut agent = Agent::new();
    let login = agent.get(&format!("{baocao}/login")).await;
    assert!(login.text.contains("/auth/oidc/portal"), "{}", login.text);
    assert!(login.text.contains("Cổng Dịch vụ công quốc gia"));
    assert!(!login.text.contains("type=\"password\""));
    let token = reqwest::Client::new()
        .post(format!("{baocao}/api/v1/auth/token"))
        .header("content-type", "application/json")
        .body(serde_json::json!({"username": "hanoi", "password": "demo"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 403);
    assert!(
        token
            .text()
            .await
            .unwrap()
            .contains("password_login_disabled")
    );

    // A portal account whose username claim names a baocao account signs in as it.
    let back = sign_in(&mut agent, &baocao, "hanoi").await;
    assert_eq!(back.status, 303, "{}", back.text);
    assert_eq!(
        back.location.as_deref(),
        Some(format!("{baocao}/").as_str())
    );
    assert!(
        !agent.has_cookie(&baocao, "baocao_sso"),
        "the attempt is used up"
    );
    assert_eq!(who(&mut agent, &baocao).await.as_deref(), Some("hanoi"));
    // The same return again: the attempt is gone.
    let replayed = agent.get(&back.url).await;
    refused(&replayed, "sso_state");

    // A state that is not this browser's attempt.
    let mut agent_b = Agent::new();
    let authorization = leave_for_the_provider(&mut agent_b, &baocao).await;
    let back = at_the_provider(&mut agent_b, &authorization, "hanoi", &baocao).await;
    let forged = agent_b
        .get(&with_query(&back, "state", "forged-state"))
        .await;
    refused(&forged, "sso_state");
    assert_eq!(who(&mut agent_b, &baocao).await, None);

    // A nonce that is not the attempt's (the rest of the request intact).
    let mut agent_c = Agent::new();
    let authorization = leave_for_the_provider(&mut agent_c, &baocao).await;
    let authorization = with_query(&authorization, "nonce", "someone-elses-nonce");
    let back = at_the_provider(&mut agent_c, &authorization, "hanoi", &baocao).await;
    let answer = agent_c.get(&back).await;
    refused(&answer, "sso_token_invalid");
    assert!(answer.text.contains("nonce"), "{}", answer.text);
    assert_eq!(who(&mut agent_c, &baocao).await, None);

    // An ID token that expired an hour ago (the provider's clock two hours behind).
    let control = reqwest::Client::new();
    control
        .get(format!("{issuer}/__test/skew?seconds=-7200"))
        .send()
        .await
        .unwrap();
    let mut agent_d = Agent::new();
    let answer = sign_in(&mut agent_d, &baocao, "hanoi").await;
    refused(&answer, "sso_token_invalid");
    assert!(answer.text.contains("expired"), "{}", answer.text);
    assert_eq!(who(&mut agent_d, &baocao).await, None);
    control
        .get(format!("{issuer}/__test/skew?seconds=0"))
        .send()
        .await
        .unwrap();

    // A signature the provider's published key does not verify.
    control
        .get(format!("{issuer}/__test/rogue?on=1"))
        .send()
        .await
        .unwrap();
    let mut agent_e = Agent::new();
    let answer = sign_in(&mut agent_e, &baocao, "hanoi").await;
    refused(&answer, "sso_token_invalid");
    assert!(answer.text.contains("signature"), "{}", answer.text);
    assert_eq!(who(&mut agent_e, &baocao).await, None);
    control
        .get(format!("{issuer}/__test/rogue?on=0"))
        .send()
        .await
        .unwrap();

    // A citizen's portal account names no baocao account: refused until a manager links it.
    let mut citizen = Agent::new();
    let answer = sign_in(&mut citizen, &baocao, "citizen-079201001234").await;
    refused(&answer, "sso_no_account");
    assert_eq!(who(&mut citizen, &baocao).await, None);
    let admin = token_of("admin").await;
    let link = |username: &str| {
        control
            .post(format!("{baocao}/api/v1/users/{username}/identities"))
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .body(
                serde_json::json!({"provider": "portal", "subject": "citizen-079201001234"})
                    .to_string(),
            )
            .send()
    };
    let linked = link("hanoi-lead").await.unwrap();
    assert_eq!(linked.status(), 201, "{}", linked.text().await.unwrap());
    let again = link("hanoi").await.unwrap();
    assert_eq!(
        again.status(),
        409,
        "one portal account, one baocao account"
    );
    let hanoi = token_of("hanoi").await;
    let not_a_manager = control
        .post(format!("{baocao}/api/v1/users/hanoi/identities"))
        .bearer_auth(&hanoi)
        .header("content-type", "application/json")
        .body(serde_json::json!({"provider": "portal", "subject": "citizen-1"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_manager.status(), 403);
    let mut citizen = Agent::new();
    let answer = sign_in(&mut citizen, &baocao, "citizen-079201001234").await;
    assert_eq!(answer.status, 303, "{}", answer.text);
    assert_eq!(
        who(&mut citizen, &baocao).await.as_deref(),
        Some("hanoi-lead")
    );

    // Logging out ends the session here and sends the browser to sign out at the portal,
    // which sends it back to the login page.
    let home = agent.get(&format!("{baocao}/")).await;
    let csrf = attribute(&home.text, "action=\"/logout\"", "value");
    let out = agent
        .post(&format!("{baocao}/logout"), &[("csrf", &csrf)])
        .await;
    assert_eq!(out.status, 303, "{}", out.text);
    let to = out.location.unwrap();
    assert!(to.starts_with(&format!("{issuer}/session/end")), "{to}");
    assert!(to.contains("client_id=baocao"), "{to}");
    assert_eq!(who(&mut agent, &baocao).await, None);
    let confirm = agent.get(&to).await;
    assert_eq!(confirm.status, 200, "{}", confirm.text);
    let action = attribute(&confirm.text, "id=\"op.logoutForm\"", "action");
    let xsrf = attribute(&confirm.text, "name=\"xsrf\"", "value");
    let target = url::Url::parse(&to).unwrap().join(&action).unwrap();
    let signed_out = agent
        .post(target.as_str(), &[("xsrf", &xsrf), ("logout", "yes")])
        .await;
    assert_eq!(signed_out.status, 303, "{}", signed_out.text);
    assert_eq!(
        signed_out.location.as_deref(),
        Some(format!("{baocao}/login").as_str())
    );
}

app_tests!(people_sign_in_through_the_portal_and_nothing_else_gets_in);
