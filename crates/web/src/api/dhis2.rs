//! DHIS2's Web API where tools written for DHIS2 look for it: the data value set routes with
//! DHIS2's file suffixes (`/api/dataValueSets.json`, `.xml`, `.csv`, `.adx`) and version
//! prefixes (`/api/40/dataValueSets`), `/api/system/info` and `/api/me` in DHIS2's shape. A
//! suffix says the format as `Accept` (reading) or `Content-Type` (pushing, where the request
//! gives none) would; the routes then answer as `/api/v1/dataValueSets` does.

use axum::Json;
use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::{Value, json};

use super::{interop, push};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// The DHIS2 release whose Web API these routes follow (DHIS2's tools read the minor number
/// as the API version).
pub const DHIS2_VERSION: &str = "2.40.0";

/// File suffixes and the media type each stands for.
const SUFFIXES: [(&str, &str); 4] = [
    ("json", "application/json"),
    ("xml", "application/xml"),
    ("csv", "text/csv"),
    ("adx", "application/adx+xml"),
];

/// Whether `path` (a route as matched) is one of DHIS2's own paths served here — the routes a
/// registered client system may call beside `/api/v1/dataValueSets`.
pub fn is_dhis2_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/api/") else {
        return false;
    };
    let rest = rest.strip_prefix("{version}/").unwrap_or(rest);
    let resource = rest.split('.').next().unwrap_or(rest);
    matches!(resource, "dataValueSets" | "system/info" | "me")
}

/// The routes, with and without a version prefix.
pub fn routes() -> axum::Router<AppState> {
    let mut router = axum::Router::new();
    for prefix in ["/api", "/api/{version}"] {
        if prefix != "/api" {
            router = router.route(&format!("{prefix}/dataValueSets"), data_value_sets(None));
        }
        for (suffix, media_type) in SUFFIXES {
            router = router.route(
                &format!("{prefix}/dataValueSets.{suffix}"),
                data_value_sets(Some(media_type)),
            );
        }
        for info in ["system/info", "system/info.json"] {
            router = router.route(&format!("{prefix}/{info}"), get(system_info));
        }
        for me in ["me", "me.json"] {
            router = router.route(&format!("{prefix}/{me}"), get(me_dhis2));
        }
    }
    router
}

/// A version prefix is DHIS2's API version: digits only (`/api/40/…`).
fn checked_version(request: &Request) -> Result<(), ApiError> {
    let path = request.uri().path();
    let segment = path
        .strip_prefix("/api/")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("");
    let resource = segment.split('.').next().unwrap_or("");
    let versioned = !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit());
    if versioned || matches!(resource, "dataValueSets" | "system" | "me") {
        Ok(())
    } else {
        Err(ApiError::not_found("đường dẫn", "Path"))
    }
}

/// GET and POST of a data value set, the format set by the suffix's media type.
fn data_value_sets(media_type: Option<&'static str>) -> MethodRouter<AppState> {
    let handle = move |State(state): State<AppState>, mut request: Request| async move {
        if let Err(error) = checked_version(&request) {
            return error.into_response();
        }
        if let Some(media_type) = media_type {
            let value = HeaderValue::from_static(media_type);
            let posting = request.method() == Method::POST;
            let headers = request.headers_mut();
            if !posting {
                headers.insert(header::ACCEPT, value);
            } else if !headers.contains_key(header::CONTENT_TYPE) {
                headers.insert(header::CONTENT_TYPE, value);
            }
        }
        match *request.method() {
            Method::POST => push::import.call(request, state).await,
            _ => interop::export.call(request, state).await,
        }
    };
    get(handle).post(handle)
}

/// `GET /api/system/info`: what DHIS2's tools read to learn the server and its API version.
async fn system_info(State(state): State<AppState>, request: Request) -> Response {
    if let Err(error) = checked_version(&request) {
        return error.into_response();
    }
    let now = state.now_text();
    Json(json!({
        "version": DHIS2_VERSION,
        "revision": env!("CARGO_PKG_VERSION"),
        "systemName": "Hệ thống thông tin báo cáo (baocao)",
        "systemId": "baocao",
        "serverDate": now,
        "calendar": "iso8601",
        "dateFormat": "yyyy-mm-dd",
        "serverTimeZoneId": "Asia/Ho_Chi_Minh",
        "contextPath": "",
        "apiVersions": ["v1"],
    }))
    .into_response()
}

/// `GET /api/me`: the caller as DHIS2 describes a user — its organisation unit is its agency,
/// its authorities its roles.
async fn me_dhis2(caller: Caller, request: Request) -> Response {
    if let Err(error) = checked_version(&request) {
        return error.into_response();
    }
    let principal = &caller.actor.principal;
    let roles: Vec<Value> = principal
        .grants
        .iter()
        .map(|grant| json!({"id": grant.role.as_str(), "name": grant.role.as_str()}))
        .collect();
    let (first, last) = principal
        .full_name
        .rsplit_once(' ')
        .unwrap_or(("", principal.full_name.as_str()));
    (
        StatusCode::OK,
        Json(json!({
            "id": principal.username.as_str(),
            "username": principal.username.as_str(),
            "name": principal.full_name,
            "displayName": principal.full_name,
            "firstName": first,
            "surname": last,
            "organisationUnits": [{"id": principal.agency.as_str()}],
            "dataViewOrganisationUnits": [{"id": principal.agency.as_str()}],
            "userRoles": roles,
            "authorities": principal.grants.iter().map(|g| g.role.as_str()).collect::<Vec<_>>(),
            "userCredentials": {"username": principal.username.as_str()},
            "client": caller.client.as_ref().map(|c| c.name.clone()),
        })),
    )
        .into_response()
}
