//! The JSON API under `/api/v1`, and `/healthz`. Lists answer `{"items": [...], "total": N}`
//! in full unless `limit`/`offset` are given.

pub(crate) mod analytics;
pub(crate) mod calendar;
pub(crate) mod catalogue;
mod clients;
pub(crate) mod compliance;
pub(crate) mod connectors;
mod export;
mod import;
mod interop;
mod notifications;
mod payload;
pub(crate) mod pivot;
mod push;
pub(crate) mod quality;
pub(crate) mod registry;
mod reorganisation;
pub(crate) mod reports;
pub(crate) mod rules;
pub(crate) mod schedule;
mod sdmx;
mod session;
pub(crate) mod tables;
mod workbook;

use axum::Router;
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(session::health))
        .route("/api/v1/auth/token", post(session::token))
        .route("/api/v1/me", get(session::me))
        .route("/api/v1/agencies", get(catalogue::agencies))
        .route("/api/v1/agencies/{code}", get(catalogue::agency))
        .route(
            "/api/v1/agencies/{code}/users",
            get(catalogue::agency_users),
        )
        .route("/api/v1/categories", get(catalogue::categories))
        .route("/api/v1/indicators", get(catalogue::indicators))
        .route("/api/v1/indicators/import", post(import::indicators))
        .route("/api/v1/indicators/{code}", get(catalogue::indicator))
        .route(
            "/api/v1/regimes",
            get(catalogue::regimes).post(registry::create),
        )
        .route(
            "/api/v1/regimes/standardisation",
            get(registry::standardisation),
        )
        .route("/api/v1/regimes/duplicates", get(registry::duplicates))
        .route("/api/v1/regimes/issuers", get(registry::issuers))
        .route("/api/v1/regimes/import", post(import::regimes))
        .route("/api/v1/regimes/{code}", get(catalogue::regime))
        .route("/api/v1/regimes/{code}/versions", get(registry::versions))
        .route("/api/v1/regimes/{code}/draft", put(registry::save_draft))
        .route("/api/v1/regimes/{code}/publish", post(registry::publish))
        .route("/api/v1/regimes/{code}/retire", post(registry::retire))
        .route("/api/v1/regimes/{code}/forms", get(catalogue::regime_forms))
        .route(
            "/api/v1/regimes/{code}/forms/{form}",
            get(catalogue::regime_form),
        )
        .route(
            "/api/v1/regimes/{code}/outline",
            get(catalogue::regime_outline),
        )
        .route(
            "/api/v1/regimes/{code}/assignments",
            get(catalogue::regime_assignments).post(registry::assign),
        )
        .route(
            "/api/v1/regimes/{code}/periods/{period}",
            get(calendar::regime_period),
        )
        .route(
            "/api/v1/periods/{frequency}/{period}",
            get(calendar::period),
        )
        .route(
            "/api/v1/reports/{regime}/{agency}/{period}",
            get(reports::slot),
        )
        .route(
            "/api/v1/reports/{regime}/{agency}/{period}/draft",
            put(reports::save_draft),
        )
        .route(
            "/api/v1/reports/{regime}/{agency}/{period}/submit",
            post(reports::submit),
        )
        .route(
            "/api/v1/reports/{regime}/{agency}/{period}/accept",
            post(reports::accept),
        )
        .route(
            "/api/v1/reports/{regime}/{agency}/{period}/return",
            post(reports::return_report),
        )
        .route(
            "/api/v1/reports/{regime}/{agency}/{period}/reopen",
            post(reports::reopen),
        )
        .route(
            "/api/v1/reports/{regime}/{agency}/{period}/versions/{number}/signature",
            get(reports::signature),
        )
        .route("/api/v1/agencies/{code}/keys", get(reports::agency_keys))
        .route(
            "/api/v1/reports/{regime}/{agency}/{period}/workbook",
            get(workbook::download).post(workbook::upload),
        )
        .route("/api/v1/reports/accept", post(reports::accept_many))
        .route(
            "/api/v1/reports/{regime}/{agency}/{period}/prefill",
            get(reports::prefill),
        )
        .route(
            "/api/v1/reports/{regime}/{agency}/{period}/versions/{number}/diff",
            get(reports::version_diff),
        )
        .route("/api/v1/rules/check", post(rules::check))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/notifications", get(notifications::list))
        .route("/api/v1/notifications/{id}/read", post(notifications::read))
        .route("/api/v1/quality", get(quality::dashboard))
        .route("/api/v1/compliance", get(compliance::get))
        .route("/api/v1/schedule", get(schedule::get))
        .route(
            "/api/v1/clients",
            get(clients::list).post(clients::register),
        )
        .route(
            "/api/v1/clients/{id}",
            axum::routing::delete(clients::revoke),
        )
        .route(
            "/api/v1/agencies/events",
            get(reorganisation::list).post(reorganisation::record),
        )
        .route("/api/v1/calendar/holidays", get(calendar::holidays))
        .route(
            "/api/v1/calendar/days/{date}",
            put(calendar::set_day).delete(calendar::clear_day),
        )
        .route("/api/v1/connectors", get(connectors::list))
        .route(
            "/api/v1/connectors/{code}",
            get(connectors::get)
                .put(connectors::put)
                .delete(connectors::delete),
        )
        .route("/api/v1/connectors/{code}/run", post(connectors::run))
        .route("/api/v1/connectors/{code}/runs", get(connectors::runs))
        .route("/api/v1/data-values.csv", get(export::csv))
        .route(
            "/api/v1/dataValueSets",
            get(interop::export).post(push::import),
        )
        // DHIS2's own path, so tools written for DHIS2 find it.
        .route(
            "/api/dataValueSets",
            get(interop::export).post(push::import),
        )
        .route("/api/v1/quality/discrepancies", get(quality::discrepancies))
        .route(
            "/api/v1/quality/discrepancies/authoritative",
            post(quality::mark_authoritative),
        )
        .route(
            "/api/v1/indicators/{code}/outlier-settings",
            get(catalogue::outlier_settings).put(catalogue::set_outlier_settings),
        )
        .route(
            "/api/v1/analytics",
            get(analytics::get).post(analytics::post),
        )
        .route("/api/v1/analytics/sources", get(pivot::sources_api))
        .route(
            "/api/v1/analytics/discrepancies",
            get(analytics::discrepancies),
        )
        .route("/api/v1/pivot", get(pivot::get).post(pivot::post))
        .route(
            "/api/v1/pivot/export",
            get(tables::export_pivot_get).post(tables::export_pivot_post),
        )
        .route("/api/v1/sdmx/data/{flow}", get(sdmx::data_all))
        .route("/api/v1/sdmx/data/{flow}/{key}", get(sdmx::data))
        .route("/api/v1/tables", get(tables::list))
        .route(
            "/api/v1/tables/{code}",
            get(tables::get).put(tables::put).delete(tables::delete),
        )
        .route("/api/v1/tables/{code}/data", get(tables::data))
        .route("/api/v1/tables/{code}/export", get(tables::export_table))
}

/// The OpenAPI document (a test keeps it in step with [`routes`]).
pub(crate) const OPENAPI: &str = include_str!("../../static/openapi.json");

/// `GET /api/v1/openapi.json`: the API described (a test keeps it in step with the routes
/// above, path by path and method by method).
async fn openapi() -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        OPENAPI,
    )
        .into_response()
}

/// The lineage of the whole country (`VN`, SPEC.md): reading its analytics is the right to
/// see every agency's figures.
pub(crate) fn national() -> [baocao_domain::agency::AgencyCode; 1] {
    [baocao_domain::agency::AgencyCode::new("VN").expect("VN is a valid agency code")]
}

/// `limit` and `offset` of a list.
#[derive(Debug, Default, Deserialize)]
pub struct Page {
    #[serde(default, deserialize_with = "number_in_text")]
    pub limit: Option<usize>,
    #[serde(default, deserialize_with = "number_in_text")]
    pub offset: Option<usize>,
}

/// Query strings are text, and a flattened struct loses serde_urlencoded's number parsing.
fn number_in_text<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<usize>, D::Error> {
    let text: Option<String> = Option::deserialize(deserializer)?;
    text.filter(|t| !t.is_empty())
        .map(|t| {
            t.parse()
                .map_err(|_| serde::de::Error::custom(format!("{t:?} is not a count")))
        })
        .transpose()
}

/// A page of a list with the list's full length.
#[derive(Debug, Serialize)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub total: usize,
}

impl<T> Listing<T> {
    pub fn page(all: Vec<T>, page: &Page) -> Self {
        let total = all.len();
        let items = all
            .into_iter()
            .skip(page.offset.unwrap_or(0))
            .take(page.limit.unwrap_or(usize::MAX))
            .collect();
        Self { items, total }
    }
}
