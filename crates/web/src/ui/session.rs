//! Logging in and out of the UI, and the language switch. The login form is protected by a
//! double-submit CSRF cookie (there is no session yet); every later form carries the
//! session's own CSRF token.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use baocao_store::credentials::new_secret;
use baocao_store::users::TokenKind;
use serde::Deserialize;

use super::{LANG_COOKIE, PageContext, PageError};
use crate::AppState;
use crate::auth::{ClientAddress, SESSION_COOKIE, cookie, issue, person_login};
use crate::error::ApiError;

const LOGIN_CSRF_COOKIE: &str = "baocao_login_csrf";

/// Only a local path may be a redirect target (no `//host`, no scheme).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

fn set_cookie(
    headers: &mut HeaderMap,
    state: &AppState,
    name: &str,
    value: &str,
    max_age_seconds: i64,
) {
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}"
    );
    if let Ok(value) = HeaderValue::from_str(&text) {
        headers.append(SET_COOKIE, value);
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    error: Option<String>,
}

pub async fn login_page(
    State(state): State<AppState>,
    page: PageContext,
    Query(query): Query<NextQuery>,
) -> Result<Response, PageError> {
    let csrf = new_secret();
    let mut response = page.render(
        "login.html",
        serde_json::json!({
            "login_csrf": csrf,
            "next": safe_next(query.next.as_deref()),
            "failed": query.error.is_some(),
        }),
    )?;
    set_cookie(
        response.headers_mut(),
        &state,
        LOGIN_CSRF_COOKIE,
        &csrf,
        3600,
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    otp: Option<String>,
    csrf: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    page: PageContext,
    ClientAddress(address): ClientAddress,
    request: Option<axum::Extension<crate::RequestId>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    if cookie(&headers, LOGIN_CSRF_COOKIE) != Some(form.csrf.as_str()) || form.csrf.is_empty() {
        return Err(PageError::from_api(ApiError::csrf(), page.lang));
    }
    let next = safe_next(form.next.as_deref());
    let user_id = match person_login(
        &state,
        form.username.trim(),
        &form.password,
        form.otp.as_deref(),
        address,
    )
    .await
    {
        Ok(id) => id,
        Err(error)
            if ["invalid_credentials", "otp_required", "otp_invalid"].contains(&error.code) =>
        {
            return Ok(
                Redirect::to(&format!("/login?error=1&next={}", super::urlencode(&next)))
                    .into_response(),
            );
        }
        Err(error) => return Err(PageError::from_api(error, page.lang)),
    };
    let (secret, _, _) = issue(&state, user_id, TokenKind::Session, request.map(|e| e.0))
        .await
        .map_err(|e| PageError::from_api(e, page.lang))?;
    let mut response = Redirect::to(&next).into_response();
    set_cookie(
        response.headers_mut(),
        &state,
        SESSION_COOKIE,
        &secret,
        state.config.session_ttl.as_secs(),
    );
    set_cookie(response.headers_mut(), &state, LOGIN_CSRF_COOKIE, "", 0);
    Ok(response)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    page: PageContext,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let Some(caller) = &page.caller else {
        return Ok(Redirect::to("/login").into_response());
    };
    if caller.csrf.as_deref() != Some(form.csrf.as_str()) {
        return Err(PageError::from_api(ApiError::csrf(), page.lang));
    }
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        state
            .store
            .delete_token(secret, &caller.provenance(&state.now_text()))
            .await
            .map_err(|e| PageError::from_api(e.into(), page.lang))?;
    }
    let mut response = Redirect::to("/login").into_response();
    set_cookie(response.headers_mut(), &state, SESSION_COOKIE, "", 0);
    Ok(response)
}

#[derive(Deserialize)]
pub struct BackQuery {
    next: Option<String>,
}

pub async fn switch_language(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(query): Query<BackQuery>,
) -> Response {
    let lang = if lang == "en" { "en" } else { "vi" };
    let mut response = Redirect::to(&safe_next(query.next.as_deref())).into_response();
    set_cookie(
        response.headers_mut(),
        &state,
        LANG_COOKIE,
        lang,
        365 * 24 * 3600,
    );
    response
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/regimes?q=a")), "/regimes?q=a");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
