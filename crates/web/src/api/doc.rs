//! The OpenAPI document, generated from the code: each handler carries its
//! `#[utoipa::path]`, the router in [`super::routes`] is built from those same attributes (so a
//! route cannot exist undocumented), and bodies are described by the types that (de)serialise
//! them (`ToSchema`). This module holds what belongs to the document as a whole — its header,
//! the error responses every operation may give, the DHIS2 alias paths — and the few schemas
//! that have no type of their own elsewhere (query words parsed by hand, binary bodies, the
//! DHIS2 data value set read by the streaming parser).
//!
//! It never decides behaviour: a word listed here is only described, the handler still parses it.

use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{OpenApi, RefOr, Response, Schema};
use utoipa::{IntoParams, PartialSchema, ToResponse, ToSchema};

pub use baocao_domain::agency::{AgencyCode, AgencyLevel};
pub use baocao_domain::indicator::IndicatorCode;
pub use baocao_domain::period::{Frequency, PeriodId};
pub use baocao_domain::regime::RegimeCode;

/// The document's header; paths come from the handlers through the router.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "baocao — Hệ thống thông tin báo cáo",
        version = "1",
        description = "The reporting information system's JSON API. Authenticate with POST /api/v1/auth/token and send `Authorization: Bearer <token>`. Errors are {\"error\": {\"code\", \"message\" (Vietnamese), \"message_en\"}}.",
    ),
    servers((url = "/")),
    security(("bearer" = [])),
    tags((name = "Connectors", description = "Scheduled pulls from other agencies' systems.")),
    components(
        responses(Error),
        // Parameters' schemas (bodies' schemas are collected from the handlers).
        schemas(
            Code, AgencyCode, RegimeCode, IndicatorCode, PeriodId, AgencyLevel, Frequency,
            Language, Disaggregation, ExportFormat, ExportShape, ValueSetFormat, ImportStrategy,
            ErrorDetail,
        ),
    ),
)]
pub struct ApiDoc;

/// A code as the domain checks it (`text::check_code`): 1–64 letters, digits or `-_.()+`.
pub struct Code;

impl PartialSchema for Code {
    fn schema() -> RefOr<Schema> {
        baocao_domain::schema::code()
    }
}
impl ToSchema for Code {}

/// A file's bytes (a workbook).
pub struct Binary;

impl PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}
impl ToSchema for Binary {}

/// The language of labels in an export (`lang=`).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "lowercase")]
pub enum Language {
    Vi,
    En,
}

/// A disaggregation category to split figures by (`disaggregate=`).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "lowercase")]
pub enum Disaggregation {
    Sex,
    Area,
}

/// A report's status as shown: `not_started` before the first save, else its submission's.
pub struct ReportStatus;

impl PartialSchema for ReportStatus {
    fn schema() -> RefOr<Schema> {
        use baocao_domain::submission::SubmissionStatus;
        let words = std::iter::once("not_started")
            .chain(SubmissionStatus::ALL.iter().map(|status| status.as_str()));
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(words))
            .into()
    }
}
impl ToSchema for ReportStatus {}

/// The file an export is written as (`format=`).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

/// A table export laid out as on screen or one value a line (`shape=`).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "lowercase")]
pub enum ExportShape {
    Table,
    Long,
}

/// The format of a data value set pulled (`format=`; otherwise by `Accept`).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "lowercase")]
pub enum ValueSetFormat {
    Json,
    Csv,
    /// DHIS2's own XML `<dataValueSet>`.
    Xml,
    Adx,
}

/// DHIS2's `importStrategy`.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ImportStrategy {
    Create,
    Update,
    CreateAndUpdate,
    Delete,
}

/// A report slot's address, `/reports/{regime}/{agency}/{period}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct ReportPath {
    regime: RegimeCode,
    /// The reporting agency.
    agency: AgencyCode,
    period: PeriodId,
}

/// What the analytics read: indicators in a period, for an agency or a level, under the
/// hierarchy of a date, split by a disaggregation.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AnalyticsSelection {
    /// One or more indicators: the parameter repeated, or codes joined by commas.
    #[param(style = Form, explode, min_items = 1)]
    indicator: Vec<IndicatorCode>,
    /// One or more periods: the parameter repeated, or ids joined by commas.
    #[param(style = Form, explode, min_items = 1)]
    period: Vec<PeriodId>,
    agency: Option<AgencyCode>,
    level: Option<AgencyLevel>,
    as_of: Option<jiff::civil::Date>,
    /// Categories to split by: the parameter repeated, or codes joined by commas.
    #[param(style = Form, explode)]
    disaggregate: Option<Vec<Disaggregation>>,
}

/// How a pivot is laid out and labelled.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PivotLayout {
    /// One or two of `indicator`, `agency`, `period`.
    #[param(pattern = r"^(indicator|agency|period)(,(indicator|agency|period))?$")]
    rows: Option<String>,
    #[param(pattern = r"^(indicator|agency|period)(,(indicator|agency|period))?$")]
    columns: Option<String>,
    lang: Option<Language>,
}

/// A search of a catalogue and the page of it to answer (`super::Page`).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct Search {
    /// Words to look for, with or without Vietnamese diacritics.
    q: Option<String>,
    #[param(maximum = 18446744073709551615_u64)]
    limit: Option<usize>,
    #[param(maximum = 18446744073709551615_u64)]
    offset: Option<usize>,
}

/// DHIS2's data value set as pushed in JSON. The push reads it with a streaming parser
/// (`payload.rs`), so this type only describes it.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "camelCase")]
pub struct DataValueSetDocument {
    /// The regime; may be left out (or given by `?dataSet=`) where every value names its own.
    data_set: Option<RegimeCode>,
    /// The period of values that name none: any DHIS2 period id (`202611`, `2026Q4`,
    /// `202611B`, `2026April`…); one of a type the regime is not reported in is a conflict.
    period: Option<String>,
    /// The reporting agency of values that name none.
    org_unit: Option<AgencyCode>,
    /// The values' attribute option combination: only `default` (or DHIS2's default id) is
    /// taken; any other is a conflict, since no regime declares an attribute dimension.
    attribute_option_combo: Option<String>,
    /// Read and not kept: a report is sent on by the workflow (a client granted submission),
    /// never dated by the payload.
    complete_date: Option<String>,
    data_values: Vec<super::interop::DataValueDocument>,
}

/// Every refusal: `{"error": {"code", "message", "message_en"}}` (`crate::error::ApiError`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    error: ErrorDetail,
}

/// The refusal itself, with its stable code.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    code: String,
    /// In Vietnamese.
    message: String,
    message_en: String,
}

/// A refusal with a stable code, in Vietnamese and English.
#[derive(ToResponse)]
#[response(description = "A refusal with a stable code, in Vietnamese and English.")]
#[allow(dead_code)]
pub struct Error(#[to_schema] ErrorBody);

/// Completes the document the router collected: DHIS2's alias path, then what holds for every
/// operation and is not repeated on each — the error statuses it may answer with, and how to
/// authenticate.
pub fn complete(openapi: &mut OpenApi) {
    add_dhis2_aliases(openapi);
    use utoipa::openapi::security::{
        ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
    };
    let components = openapi.components.get_or_insert_with(Default::default);
    components.security_schemes.insert(
        "bearer".into(),
        RefOr::T(SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer))),
    );
    // DHIS2's own ways, so its tools work unchanged.
    components.security_schemes.insert(
        "basic".into(),
        RefOr::T(SecurityScheme::Http(Http::new(HttpAuthScheme::Basic))),
    );
    components.security_schemes.insert(
        "apiToken".into(),
        RefOr::T(SecurityScheme::ApiKey(ApiKey::Header(
            ApiKeyValue::with_description(
                "Authorization",
                "`ApiToken <token>`: a registered client system's token, as DHIS2 sends it.",
            ),
        ))),
    );
    // As the server reads credentials: a person's bearer token or HTTP Basic on every route
    // that needs a caller; a client system's ApiToken (or Basic) only where clients may call.
    for (path, item) in openapi.paths.paths.iter_mut() {
        let operations = [
            (axum::http::Method::GET, item.get.as_mut()),
            (axum::http::Method::POST, item.post.as_mut()),
            (axum::http::Method::PUT, item.put.as_mut()),
            (axum::http::Method::DELETE, item.delete.as_mut()),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            if operation.security.is_some() {
                continue; // open routes say `security(())` themselves
            }
            let mut schemes = vec!["bearer", "basic"];
            if crate::auth::client_may_call(&method, path) {
                schemes.push("apiToken");
            }
            operation.security = Some(
                schemes
                    .into_iter()
                    .map(|scheme| SecurityRequirement::new(scheme, Vec::<String>::new()))
                    .collect(),
            );
        }
    }
    let error = || RefOr::<Response>::Ref(utoipa::openapi::Ref::from_response_name("Error"));
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            (HttpMethod::Get, item.get.as_mut()),
            (HttpMethod::Post, item.post.as_mut()),
            (HttpMethod::Put, item.put.as_mut()),
            (HttpMethod::Delete, item.delete.as_mut()),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            let writes = method != HttpMethod::Get;
            for status in ["400", "401", "403", "404", "422"]
                .into_iter()
                .chain(writes.then_some("409"))
                .chain(operation.request_body.is_some().then_some("413"))
                .chain(operation.request_body.is_some().then_some("415"))
                .chain(["default"])
            {
                operation
                    .responses
                    .responses
                    .entry(status.into())
                    .or_insert_with(error);
            }
        }
    }
}

/// DHIS2's own path answers as `/api/v1/dataValueSets` does, so tools written for DHIS2 find
/// it; the document lists it too, with its own operation ids.
fn add_dhis2_aliases(openapi: &mut OpenApi) {
    let Some(item) = openapi.paths.paths.get("/api/v1/dataValueSets").cloned() else {
        return;
    };
    let mut alias = item;
    for operation in [alias.get.as_mut(), alias.post.as_mut()]
        .into_iter()
        .flatten()
    {
        if let Some(id) = &operation.operation_id {
            operation.operation_id = Some(id.replace("api_v1", "api"));
        }
    }
    openapi
        .paths
        .paths
        .insert("/api/dataValueSets".into(), alias);
}
