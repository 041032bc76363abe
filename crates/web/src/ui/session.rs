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
/// A sign-in through an identity provider under way ([`baocao_service::sso::Attempt`]).
const SSO_ATTEMPT_COOKIE: &str = "baocao_sso";
/// Which identity provider signed the session in, so logging out can sign out there too.
const SSO_PROVIDER_COOKIE: &str = "baocao_sso_provider";
/// How long a person may take at the provider.
const SSO_ATTEMPT_SECONDS: i64 = 600;

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
            "password_login": state.config.password_login,
            "providers": state
                .config
                .sso_providers
                .iter()
                .map(|p| serde_json::json!({"name": p.name, "label": p.label}))
                .collect::<Vec<_>>(),
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
    let to = match cookie(&headers, SSO_PROVIDER_COOKIE).and_then(|n| state.config.sso_provider(n))
    {
        Some(provider) => provider_logout(&state, provider).await,
        None => None,
    };
    let mut response = Redirect::to(to.as_deref().unwrap_or("/login")).into_response();
    set_cookie(response.headers_mut(), &state, SESSION_COOKIE, "", 0);
    set_cookie(response.headers_mut(), &state, SSO_PROVIDER_COOKIE, "", 0);
    Ok(response)
}

/// The provider's sign-out address, coming back to the login page (none when the provider
/// offers no sign-out or cannot be reached: the baocao session is over either way).
async fn provider_logout(
    state: &AppState,
    provider: &baocao_service::sso::Provider,
) -> Option<String> {
    let metadata = baocao_service::sso::metadata(provider).await.ok()?;
    let back = format!("{}/login", public_base(state)?);
    baocao_service::sso::logout_url(provider, &metadata, &back)
}

fn public_base(state: &AppState) -> Option<&str> {
    state
        .config
        .public_url
        .as_deref()
        .map(|u| u.trim_end_matches('/'))
}

fn redirect_uri(state: &AppState, provider: &str) -> Result<String, ApiError> {
    let base = public_base(state).ok_or_else(ApiError::internal)?;
    Ok(format!("{base}/auth/oidc/{provider}/callback"))
}

/// `GET /auth/oidc/{provider}`: off to the provider, the attempt kept in a cookie.
pub async fn sso_start(
    State(state): State<AppState>,
    page: PageContext,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    let shown = |error: ApiError| PageError::from_api(error, page.lang);
    let provider = state.config.sso_provider(&name).ok_or_else(|| {
        shown(baocao_service::sso::SsoError::UnknownProvider(name.clone()).into())
    })?;
    let metadata = baocao_service::sso::metadata(provider)
        .await
        .map_err(|e| shown(e.into()))?;
    let attempt = baocao_service::sso::Attempt::new(&provider.name);
    let url = baocao_service::sso::authorization_url(
        provider,
        &metadata,
        &redirect_uri(&state, &provider.name).map_err(shown)?,
        &attempt,
    )
    .map_err(|e| shown(e.into()))?;
    let mut response = Redirect::to(&url).into_response();
    set_cookie(
        response.headers_mut(),
        &state,
        SSO_ATTEMPT_COOKIE,
        &attempt.to_cookie(),
        SSO_ATTEMPT_SECONDS,
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct ProviderAnswer {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/oidc/{provider}/callback`: the provider's answer, checked whole
/// ([`baocao_service::sso::finish`]) before a session is opened.
pub async fn sso_callback(
    State(state): State<AppState>,
    page: PageContext,
    Path(name): Path<String>,
    Query(answer): Query<ProviderAnswer>,
    request: Option<axum::Extension<crate::RequestId>>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    use baocao_service::sso::{Attempt, SsoError};
    let lang = page.lang;
    let refused = |error: SsoError| -> Result<Response, PageError> {
        let mut response = PageError::from_api(error.into(), lang).into_response();
        set_cookie(response.headers_mut(), &state, SSO_ATTEMPT_COOKIE, "", 0);
        Ok(response)
    };
    let Some(provider) = state.config.sso_provider(&name) else {
        return refused(SsoError::UnknownProvider(name));
    };
    if let Some(error) = answer.error {
        let why = match answer.error_description {
            Some(description) => format!("{error}: {description}"),
            None => error,
        };
        return refused(SsoError::Refused(why));
    }
    let attempt = cookie(&headers, SSO_ATTEMPT_COOKIE).and_then(Attempt::from_cookie);
    let (Some(attempt), Some(returned_state), Some(code)) = (attempt, answer.state, answer.code)
    else {
        return refused(SsoError::State);
    };
    let redirect =
        redirect_uri(&state, &provider.name).map_err(|e| PageError::from_api(e, lang))?;
    let user_id = match baocao_service::sso::finish(
        &state.store,
        provider,
        &redirect,
        &attempt,
        &returned_state,
        &code,
        state.clock.now(),
        request.as_ref().map(|e| e.0.0.clone()),
    )
    .await
    {
        Ok(user_id) => user_id,
        Err(error) => return refused(error),
    };
    if state
        .store
        .client_of_user(user_id)
        .await
        .map_err(|e| PageError::from_api(e.into(), lang))?
        .is_some()
    {
        return Err(PageError::from_api(ApiError::forbidden(), lang));
    }
    let (secret, _, _) = issue(&state, user_id, TokenKind::Session, request.map(|e| e.0))
        .await
        .map_err(|e| PageError::from_api(e, lang))?;
    let mut response = Redirect::to("/").into_response();
    let headers = response.headers_mut();
    set_cookie(
        headers,
        &state,
        SESSION_COOKIE,
        &secret,
        state.config.session_ttl.as_secs(),
    );
    set_cookie(
        headers,
        &state,
        SSO_PROVIDER_COOKIE,
        &provider.name,
        state.config.session_ttl.as_secs(),
    );
    set_cookie(headers, &state, SSO_ATTEMPT_COOKIE, "", 0);
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
