//! The server-rendered pages as a browser without JavaScript uses them: a login through the
//! form with its CSRF cookie, pages fetched with the session cookie, forms posted.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};

use crate::{Answer, TestApp};

/// The value of a `Set-Cookie` for `name` in an answer.
pub fn set_cookie(answer: &Answer, name: &str) -> Option<String> {
    answer
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap_or("").to_string())
        })
}

pub fn hidden_input(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden input {name}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// Fetches a page; its text is the HTML with the entities the template engine escapes
/// decoded, as a reader would see it.
pub async fn page(app: &TestApp, path: &str, cookies: &str) -> Answer {
    let request = Request::builder()
        .uri(path)
        .header(header::COOKIE, cookies)
        .body(Body::empty())
        .unwrap();
    let mut answer = app.send(request).await;
    answer.text = decode(&answer.text);
    answer
}

pub async fn post_form(app: &TestApp, path: &str, cookies: &str, form: &str) -> Answer {
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::COOKIE, cookies)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_string()))
        .unwrap();
    app.send(request).await
}

pub fn location(answer: &Answer) -> &str {
    answer
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Logs in through the login form and answers the session cookie.
pub async fn log_in(app: &TestApp, username: &str) -> String {
    let login = page(app, "/login?next=%2Fregimes", "").await;
    let csrf_cookie = set_cookie(&login, "baocao_login_csrf").expect("a login CSRF cookie");
    let csrf = hidden_input(&login.text, "csrf");
    let answer = post_form(
        app,
        "/login",
        &format!("baocao_login_csrf={csrf_cookie}"),
        &format!("username={username}&password=demo&csrf={csrf}&next=%2Fregimes"),
    )
    .await;
    assert_eq!(
        (answer.status, location(&answer)),
        (StatusCode::SEE_OTHER, "/regimes")
    );
    format!(
        "baocao_session={}",
        set_cookie(&answer, "baocao_session").expect("a session cookie")
    )
}

/// A page's text with the entities the template engine escapes decoded.
pub fn decode(html: &str) -> String {
    [
        ("&#x2f;", "/"),
        ("&#x27;", "'"),
        ("&quot;", "\""),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(html.to_string(), |text, (entity, plain)| {
        text.replace(entity, plain)
    })
}
