//! The server-rendered web UI: login, home, the regime catalogue and a regime's ten
//! elements, the agency tree as of a date, the indicator catalogue. Vietnamese by default,
//! English by a switch; no script, font or style from outside the server.
//!
//! Pages read through the same store calls and the same policy as the API; templates only
//! show what a handler hands them.

mod api_docs;
mod audit;
pub(crate) mod charts;
mod compliance;
mod connectors;
mod dashboard;
mod describe;
mod designer;
mod pages;
mod quality;
mod registry;
mod reports;
mod rules;
mod schedule;
mod session;
mod sessions;
mod tables;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Environment, context};
use serde::Serialize;

use crate::AppState;
use crate::auth::{Caller, cookie, resolve};
use crate::error::ApiError;
use crate::i18n::{Lang, strings};

pub use describe::date as format_date;

pub const LANG_COOKIE: &str = "baocao_lang";

macro_rules! template {
    ($env:expr, $name:literal) => {
        $env.add_template($name, include_str!(concat!("../../templates/", $name)))
            .expect(concat!("template ", $name, " parses"))
    };
}

/// The templates, embedded in the binary and compiled once, on first use.
pub fn templates() -> &'static Environment<'static> {
    static TEMPLATES: std::sync::OnceLock<Environment<'static>> = std::sync::OnceLock::new();
    TEMPLATES.get_or_init(compile_templates)
}

fn compile_templates() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    // `{{ stamp|moment }}`: a stored moment in Vietnam's time, in the page's language.
    env.add_filter(
        "moment",
        |state: &minijinja::State, stamp: Option<String>| -> String {
            let lang = state
                .lookup("lang")
                .and_then(|v| v.as_str().map(str::to_string));
            stamp.map_or_else(
                || "—".to_string(),
                |stamp| crate::i18n::moment(&stamp, crate::i18n::Lang::from_code(lang.as_deref())),
            )
        },
    );
    // `{{ x|number(1) }}`: a number in the page's language's notation (1.234,5 or 1,234.5).
    env.add_filter(
        "number",
        |state: &minijinja::State, value: Option<f64>, decimals: Option<usize>| -> String {
            let lang = state
                .lookup("lang")
                .and_then(|v| v.as_str().map(str::to_string));
            value.map_or_else(
                || "—".to_string(),
                |value| {
                    baocao_domain::language::number(
                        value,
                        decimals.unwrap_or(0),
                        crate::i18n::Lang::from_code(lang.as_deref()),
                    )
                },
            )
        },
    );
    // `{{ "2025-06-30"|day }}`: a day in the page's language (30/06/2025, or 2025-06-30).
    env.add_filter(
        "day",
        |state: &minijinja::State, day: Option<String>| -> String {
            let lang = state
                .lookup("lang")
                .and_then(|v| v.as_str().map(str::to_string));
            match day.as_deref().map(str::parse::<baocao_domain::Date>) {
                Some(Ok(day)) => {
                    crate::i18n::date(day, crate::i18n::Lang::from_code(lang.as_deref()))
                }
                Some(Err(_)) => day.unwrap_or_default(),
                None => "—".to_string(),
            }
        },
    );
    template!(env, "base.html");
    template!(env, "login.html");
    template!(env, "home.html");
    template!(env, "regimes.html");
    template!(env, "regime.html");
    template!(env, "agencies.html");
    template!(env, "indicators.html");
    template!(env, "error.html");
    template!(env, "reports.html");
    template!(env, "report.html");
    template!(env, "quality.html");
    template!(env, "rules.html");
    template!(env, "version.html");
    template!(env, "compliance.html");
    template!(env, "schedule.html");
    template!(env, "registry.html");
    template!(env, "regime_design.html");
    template!(env, "api_docs.html");
    template!(env, "dashboard.html");
    template!(env, "notifications.html");
    template!(env, "connectors.html");
    template!(env, "sessions.html");
    template!(env, "audit.html");
    template!(env, "_pivot.html");
    template!(env, "tables.html");
    template!(env, "table.html");
    template!(env, "pivot.html");
    template!(env, "sources.html");
    env
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/auth/oidc/{provider}", get(session::sso_start))
        .route("/auth/oidc/{provider}/callback", get(session::sso_callback))
        .route("/lang/{lang}", get(session::switch_language))
        .route("/regimes", get(pages::regimes))
        .route(
            "/regimes/new",
            get(designer::new_page).post(designer::create),
        )
        .route("/regimes/{code}", get(pages::regime))
        .route(
            "/regimes/{code}/design",
            get(designer::page).post(designer::act),
        )
        .route("/registry", get(registry::page))
        .route("/api/docs", get(api_docs::page))
        .route(
            "/regimes/{code}/rules",
            get(rules::editor).post(rules::check),
        )
        .route("/agencies", get(pages::agencies))
        .route("/indicators", get(pages::indicators))
        .route("/reports", get(reports::desk))
        .route("/notifications", get(reports::notifications))
        .route("/notifications/email", post(reports::choose_email))
        .route("/connectors", get(connectors::page))
        .route("/audit", get(audit::page))
        .route("/connectors/{code}/run", post(connectors::run))
        .route("/users/{username}/sessions", get(sessions::page))
        .route("/users/{username}/sessions/revoke", post(sessions::revoke))
        .route("/reports/accept", post(reports::accept_many))
        .route(
            "/reports/{regime}/{agency}/{period}/versions/{number}",
            get(reports::version_page),
        )
        .route("/quality", get(quality::page))
        .route("/compliance", get(compliance::page))
        .route("/schedule", get(schedule::page))
        .route("/schedule/calendar", post(schedule::change_calendar))
        .route("/dashboard", get(dashboard::page))
        .route("/tables", get(tables::catalogue))
        .route("/tables/{code}", get(tables::table))
        .route("/pivot", get(tables::explorer))
        .route("/analytics/sources", get(tables::sources))
        .route(
            "/reports/{regime}/{agency}/{period}",
            get(reports::slot_page).post(reports::slot_post),
        )
        .route("/static/app.css", get(stylesheet))
        .route("/static/report.js", get(report_script))
        .route("/static/pivot.js", get(pivot_script))
        .route("/static/layout.js", get(layout_script))
        .route("/sw.js", get(service_worker))
        // Browsers ask for /favicon.ico whatever the page says; both answer the same icon.
        .route("/static/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
}

async fn favicon() -> Response {
    asset("image/svg+xml", include_str!("../../static/favicon.svg"))
}

/// A file of `static/`, embedded in the binary, cacheable for an hour.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}

async fn report_script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/report.js"),
    )
}

async fn pivot_script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/pivot.js"),
    )
}

/// The service worker, at the root so that it may serve every report page; never cached, so
/// that a new version of it is picked up at once.
async fn service_worker() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        include_str!("../../static/sw.js"),
    )
        .into_response()
}

async fn layout_script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/layout.js"),
    )
}

async fn stylesheet() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../static/app.css"),
    )
}

/// What every page knows about its request: the language, the caller if logged in, and the
/// path (for the language switch and the return after login).
pub struct PageContext {
    pub lang: Lang,
    pub caller: Option<Caller>,
    pub path: String,
}

impl FromRequestParts<AppState> for PageContext {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let lang = Lang::from_code(cookie(&parts.headers, LANG_COOKIE));
        let caller = resolve(parts, state)
            .await
            .map_err(|e| PageError::from_api(e, lang))?;
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        Ok(Self { lang, caller, path })
    }
}

impl PageContext {
    /// The caller, or a redirect to the login page that comes back here.
    pub fn logged_in(&self) -> Result<&Caller, PageError> {
        self.caller
            .as_ref()
            .ok_or_else(|| PageError::Redirect(format!("/login?next={}", urlencode(&self.path))))
    }

    /// The caller of a form post: logged in (else a redirect to log in) and sending back its
    /// session's CSRF token (else a 403 page).
    pub fn posted(&self, csrf: Option<&str>) -> Result<&Caller, PageError> {
        let caller = self.logged_in()?;
        if caller.csrf.is_none() || csrf != caller.csrf.as_deref() {
            return Err(PageError::from_api(ApiError::csrf(), self.lang));
        }
        Ok(caller)
    }

    /// The caller, if logged in (else a redirect to log in) and allowed `action` (else a 403
    /// page).
    pub fn allowed(
        &self,
        action: baocao_domain::permission::Action<'_>,
    ) -> Result<&Caller, PageError> {
        let caller = self.logged_in()?;
        caller
            .require(action)
            .map_err(|error| PageError::from_api(error, self.lang))?;
        Ok(caller)
    }

    /// Renders `template` inside the layout with `values`.
    pub fn render(&self, template: &str, values: impl Serialize) -> Result<Response, PageError> {
        let user = self.caller.as_ref().map(|c| &c.principal);
        let csrf = self.caller.as_ref().and_then(|c| c.csrf.clone());
        let administrator = self
            .caller
            .as_ref()
            .is_some_and(|c| baocao_service::connectors::may_manage(c));
        // The link shows to whoever holds a role that reads some audit trail.
        let auditor = user.is_some_and(|u| {
            u.grants.iter().any(|g| {
                matches!(
                    g.role,
                    baocao_domain::user::Role::Auditor
                        | baocao_domain::user::Role::SystemAdministrator
                )
            })
        });
        // The same scope that answers the pages decides whether they are listed.
        let analytics = user.is_some_and(|u| {
            baocao_domain::permission::AnalyticsScope::of_grants(&u.grants).reads_any()
        });
        let html = templates()
            .get_template(template)
            .and_then(|t| {
                t.render(context! {
                    tr => strings(self.lang),
                    lang => self.lang.code(),
                    user => user,
                    csrf => csrf,
                    administrator => administrator,
                    auditor => auditor,
                    analytics => analytics,
                    path => &self.path,
                    path_encoded => urlencode(&self.path),
                    page => values,
                })
            })
            .map_err(|error| {
                tracing::error!(%error, template, "template failed");
                PageError::from_api(ApiError::internal(), self.lang)
            })?;
        Ok(html_response(StatusCode::OK, html))
    }
}

fn html_response(status: StatusCode, html: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        Html(html),
    )
        .into_response()
}

pub(crate) fn urlencode(text: &str) -> String {
    baocao_service::path_segment(text)
}

/// A page that cannot be shown: a redirect (to log in) or an error page that says why, in
/// Vietnamese with English alongside.
#[derive(Debug)]
pub enum PageError {
    Redirect(String),
    Shown { error: ApiError, lang: Lang },
}

impl PageError {
    pub fn from_api(error: ApiError, lang: Lang) -> Self {
        PageError::Shown { error, lang }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Redirect(to) => Redirect::to(&to).into_response(),
            PageError::Shown { error, lang } => {
                let html = templates()
                    .get_template("error.html")
                    .and_then(|t| {
                        t.render(context! {
                            tr => strings(lang),
                            lang => lang.code(),
                            status => error.status.as_u16(),
                            message => &error.message,
                            message_en => &error.message_en,
                            code => error.code,
                        })
                    })
                    .unwrap_or_else(|_| {
                        format!(
                            "<!doctype html><meta charset=\"utf-8\"><p>{}</p><p>{}</p>",
                            error.message, error.message_en
                        )
                    });
                html_response(error.status, html)
            }
        }
    }
}
