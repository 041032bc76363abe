//! The JSON API under `/api/v1`, and `/healthz`. Lists answer `{"items": [...], "total": N}`
//! in full unless `limit`/`offset` are given.

pub(crate) mod analytics;
mod audit;
pub(crate) mod calendar;
pub(crate) mod catalogue;
mod clients;
pub(crate) mod compliance;
pub(crate) mod connectors;
pub(crate) mod dhis2;
mod doc;
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
mod second_factor;
pub(crate) mod session;
pub(crate) mod signing;
pub(crate) mod tables;
mod workbook;

use axum::Router;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    let (router, _) = documented_routes().split_for_parts();
    // DHIS2's own path, so tools written for DHIS2 find it (listed by `doc::complete`).
    router
        .route(
            "/api/dataValueSets",
            get(interop::export).post(push::import),
        )
        // SDMX's structure queries leave out the parts they do not narrow (listed by
        // `doc::complete` under the longest form).
        .route("/api/v1/sdmx/dataflow", get(sdmx::dataflow))
        .route("/api/v1/sdmx/dataflow/{agency}", get(sdmx::dataflow))
        .route("/api/v1/sdmx/dataflow/{agency}/{flow}", get(sdmx::dataflow))
        .route("/api/v1/sdmx/datastructure", get(sdmx::datastructure))
        .route(
            "/api/v1/sdmx/datastructure/{agency}",
            get(sdmx::datastructure),
        )
        .route(
            "/api/v1/sdmx/datastructure/{agency}/{flow}",
            get(sdmx::datastructure),
        )
        .merge(dhis2::routes())
}

/// Every route of the API with its description: each handler's `#[utoipa::path]` gives both
/// the path the router serves and the operation the document lists.
fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(doc::ApiDoc::openapi())
        .routes(routes!(session::health))
        .routes(routes!(audit::list))
        .routes(routes!(audit::keys))
        .routes(routes!(audit::cell))
        .routes(routes!(session::token))
        .routes(routes!(session::me))
        .routes(routes!(session::logout))
        .routes(routes!(session::tokens, session::revoke_all))
        .routes(routes!(session::revoke_one))
        .routes(routes!(session::link_identity))
        .routes(routes!(second_factor::enrol, second_factor::remove))
        .routes(routes!(second_factor::confirm))
        .routes(routes!(catalogue::agencies))
        .routes(routes!(catalogue::agency))
        .routes(routes!(catalogue::agency_users))
        .routes(routes!(catalogue::set_position))
        .routes(routes!(catalogue::categories, catalogue::create_category))
        .routes(routes!(catalogue::indicators))
        .routes(routes!(import::indicators))
        .routes(routes!(catalogue::indicator))
        .routes(routes!(catalogue::regimes, registry::create))
        .routes(routes!(registry::standardisation))
        .routes(routes!(registry::duplicates))
        .routes(routes!(registry::issuers))
        .routes(routes!(import::regimes))
        .routes(routes!(catalogue::regime))
        .routes(routes!(registry::versions))
        .routes(routes!(registry::save_draft))
        .routes(routes!(registry::publish))
        .routes(routes!(registry::retire))
        .routes(routes!(catalogue::regime_forms))
        .routes(routes!(catalogue::regime_form))
        .routes(routes!(catalogue::regime_outline))
        .routes(routes!(catalogue::regime_assignments, registry::assign))
        .routes(routes!(calendar::regime_period))
        .routes(routes!(calendar::period))
        .routes(routes!(reports::slot))
        .routes(routes!(reports::save_draft))
        .routes(routes!(reports::submit))
        .routes(routes!(reports::ready))
        .routes(routes!(reports::accept))
        .routes(routes!(reports::return_report))
        .routes(routes!(reports::reopen))
        .routes(routes!(reports::signature))
        .routes(routes!(reports::document))
        .routes(routes!(signing::prepare))
        .routes(routes!(signing::complete))
        .routes(routes!(signing::sign_with_agency_certificate))
        .routes(routes!(
            signing::agency_certificate,
            signing::upload_agency_certificate
        ))
        .routes(routes!(reports::agency_keys))
        .routes(routes!(workbook::download, workbook::upload))
        .routes(routes!(reports::accept_many))
        .routes(routes!(reports::prefill))
        .routes(routes!(reports::compile))
        .routes(routes!(reports::version_diff))
        .routes(routes!(rules::check))
        .routes(routes!(openapi))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::read))
        .routes(routes!(notifications::choose_email))
        .routes(routes!(quality::dashboard))
        .routes(routes!(compliance::get))
        .routes(routes!(schedule::get))
        .routes(routes!(clients::list, clients::register))
        .routes(routes!(clients::revoke))
        .routes(routes!(reorganisation::list, reorganisation::record))
        .routes(routes!(calendar::holidays))
        .routes(routes!(calendar::set_day, calendar::clear_day))
        .routes(routes!(connectors::list))
        .routes(routes!(
            connectors::get,
            connectors::put,
            connectors::delete
        ))
        .routes(routes!(connectors::run))
        .routes(routes!(connectors::runs))
        .routes(routes!(export::csv))
        .routes(routes!(interop::export, push::import))
        .routes(routes!(quality::discrepancies))
        .routes(routes!(quality::mark_authoritative))
        .routes(routes!(
            catalogue::outlier_settings,
            catalogue::set_outlier_settings
        ))
        .routes(routes!(analytics::get, analytics::post))
        .routes(routes!(pivot::sources_api))
        .routes(routes!(analytics::discrepancies))
        .routes(routes!(pivot::get, pivot::post))
        .routes(routes!(tables::export_pivot_get, tables::export_pivot_post))
        .routes(routes!(sdmx::data_all))
        .routes(routes!(sdmx::data))
        .routes(routes!(sdmx::dataflow))
        .routes(routes!(sdmx::datastructure))
        .routes(routes!(tables::list))
        .routes(routes!(tables::get, tables::put, tables::delete))
        .routes(routes!(tables::data))
        .routes(routes!(tables::export_table))
}

/// The API document, generated once from [`documented_routes`].
pub(crate) fn document() -> &'static str {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let (_, mut openapi) = documented_routes().split_for_parts();
        doc::complete(&mut openapi);
        openapi.to_json().expect("the API document serialises")
    })
}

/// `GET /api/v1/openapi.json`: the API described.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "Health",
    operation_id = "get_openapi",
    summary = "This document.",
    security(()),
    responses((status = 200, description = "OK", body = serde_json::Value)),
)]
async fn openapi() -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        document(),
    )
        .into_response()
}

/// The lineage of the whole country (`VN`, SPEC.md): reading its analytics is the right to
/// see every agency's figures.
pub(crate) use baocao_service::national;

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
#[derive(Debug, Serialize, utoipa::ToSchema)]
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
