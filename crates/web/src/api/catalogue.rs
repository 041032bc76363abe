//! Read-only catalogue over HTTP ([`baocao_service::directory`]): agencies as of a date, users
//! of an agency, categories, indicators, regimes with their ten elements, forms, outlines and
//! assignments, and indicators' outlier thresholds.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use baocao_domain::agency::AgencyCode;
use baocao_domain::indicator::{Category, CategoryOption, Indicator};
use baocao_domain::regime::OutlineSection;
use baocao_service::directory::{self, AgencySelection, FormView, RegimeView};
use baocao_store::agencies::AgencyRecord;
use baocao_store::regimes::AssignmentRecord;
use baocao_store::users::UserRecord;
use serde::{Deserialize, Serialize};

use super::doc;
use super::{Listing, Page};
use crate::AppState;
use crate::auth::{ApiJson, ApiQuery, Caller};
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
pub struct AgencyQuery {
    as_of: Option<String>,
    level: Option<String>,
    parent: Option<String>,
    q: Option<String>,
    #[serde(flatten)]
    page: Page,
}

#[utoipa::path(
    get,
    path = "/api/v1/agencies",
    tag = "Catalogue",
    operation_id = "get_api_v1_agencies",
    summary = "Agencies as of a date, by level, parent or search.",
    params(
        ("as_of" = Option<jiff::civil::Date>, Query),
        ("level" = Option<doc::AgencyLevel>, Query),
        ("parent" = Option<doc::AgencyCode>, Query),
        doc::Search,
    ),
    responses(
        (status = 200, description = "OK", body = Listing<AgencyRecord>),
    ),
)]
pub async fn agencies(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AgencyQuery>,
) -> Result<Json<Listing<AgencyRecord>>, ApiError> {
    let all = directory::agencies(
        &state,
        &caller,
        AgencySelection {
            as_of: query.as_of.as_deref(),
            level: query.level.as_deref(),
            parent: query.parent.as_deref(),
            search: query.q.clone(),
        },
    )
    .await?;
    Ok(Json(Listing::page(all, &query.page)))
}

#[derive(Debug, Deserialize)]
pub struct AsOf {
    as_of: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AgencyDetail {
    #[serde(flatten)]
    agency: AgencyRecord,
    /// The agency, then its ancestors up to the root, on the date asked for.
    lineage: Vec<AgencyCode>,
}

#[utoipa::path(
    get,
    path = "/api/v1/agencies/{code}",
    tag = "Catalogue",
    operation_id = "get_api_v1_agencies_code",
    summary = "One agency as of a date.",
    params(
        ("code" = doc::AgencyCode, Path),
        ("as_of" = Option<jiff::civil::Date>, Query),
    ),
    responses(
        (status = 200, description = "OK", body = AgencyDetail),
    ),
)]
pub async fn agency(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiQuery(query): ApiQuery<AsOf>,
) -> Result<Json<AgencyDetail>, ApiError> {
    let (agency, lineage) =
        directory::agency(&state, &caller, &code, query.as_of.as_deref()).await?;
    Ok(Json(AgencyDetail { agency, lineage }))
}

#[utoipa::path(
    get,
    path = "/api/v1/agencies/{code}/users",
    tag = "Catalogue",
    operation_id = "get_api_v1_agencies_code_users",
    summary = "The users of an agency.",
    params(
        ("code" = doc::AgencyCode, Path),
    ),
    responses(
        (status = 200, description = "OK", body = Listing<UserRecord>),
    ),
)]
pub async fn agency_users(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Listing<UserRecord>>, ApiError> {
    let users = directory::agency_users(&state, &caller, &code).await?;
    Ok(Json(Listing::page(users, &Page::default())))
}

/// A user's position (chức vụ), or `null` to clear it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionBody {
    position: Option<String>,
}

#[utoipa::path(
    put,
    path = "/api/v1/users/{username}/position",
    tag = "Catalogue",
    operation_id = "put_api_v1_users_username_position",
    summary = "Set or clear a user's position (chức vụ: \"Chủ tịch\", \"Phó Giám đốc\"), printed with the signing authority it implies (TM., KT.) above their name on the documents they sign; for those who manage the users of the user's agency.",
    params(
        ("username" = String, Path),
    ),
    request_body(content = PositionBody, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = UserRecord),
    ),
)]
pub async fn set_position(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
    ApiJson(body): ApiJson<PositionBody>,
) -> Result<Json<UserRecord>, ApiError> {
    Ok(Json(
        directory::set_position(&state, &caller, &username, body.position.as_deref()).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/categories",
    tag = "Catalogue",
    operation_id = "get_api_v1_categories",
    summary = "Disaggregation categories with their options.",
    responses(
        (status = 200, description = "OK", body = Listing<Category>),
    ),
)]
pub async fn categories(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Listing<Category>>, ApiError> {
    Ok(Json(Listing::page(
        directory::categories(&state, &caller).await?,
        &Page::default(),
    )))
}

/// A new category: its code, names and options (at least two).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    code: String,
    name_vi: String,
    #[serde(default)]
    name_en: String,
    options: Vec<CategoryOption>,
}

#[utoipa::path(
    post,
    path = "/api/v1/categories",
    tag = "Catalogue",
    operation_id = "post_api_v1_categories",
    summary = "Add a category with its options (regime authors): a disaggregation for indicators, or an attribute category a regime splits its reports by.",
    request_body = NewCategory,
    responses(
        (status = 201, description = "Created", body = Category),
    ),
)]
pub async fn create_category(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewCategory>,
) -> Result<(StatusCode, Json<Category>), ApiError> {
    let category = directory::create_category(
        &state,
        &caller,
        body.code,
        body.name_vi,
        body.name_en,
        body.options,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(category)))
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    #[serde(flatten)]
    page: Page,
}

#[utoipa::path(
    get,
    path = "/api/v1/indicators",
    tag = "Catalogue",
    operation_id = "get_api_v1_indicators",
    summary = "Indicators, searchable.",
    params(
        doc::Search,
    ),
    responses(
        (status = 200, description = "OK", body = Listing<Indicator>),
    ),
)]
pub async fn indicators(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<Listing<Indicator>>, ApiError> {
    Ok(Json(Listing::page(
        directory::indicators(&state, &caller, query.q.as_deref()).await?,
        &query.page,
    )))
}

#[utoipa::path(
    get,
    path = "/api/v1/indicators/{code}",
    tag = "Catalogue",
    operation_id = "get_api_v1_indicators_code",
    summary = "One indicator.",
    params(
        ("code" = doc::IndicatorCode, Path),
    ),
    responses(
        (status = 200, description = "OK", body = Indicator),
    ),
)]
pub async fn indicator(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Indicator>, ApiError> {
    Ok(Json(directory::indicator(&state, &caller, &code).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/regimes",
    tag = "Registry",
    operation_id = "get_api_v1_regimes",
    summary = "Regimes with their ten elements.",
    params(
        doc::Search,
    ),
    responses(
        (status = 200, description = "OK", body = Listing<RegimeView>),
    ),
)]
pub async fn regimes(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<Listing<RegimeView>>, ApiError> {
    let all = directory::regimes(&state, &caller, query.q.as_deref()).await?;
    Ok(Json(Listing::page(all, &query.page)))
}

#[utoipa::path(
    get,
    path = "/api/v1/regimes/{code}",
    tag = "Registry",
    operation_id = "get_api_v1_regimes_code",
    summary = "One regime with its ten elements and what it lacks.",
    params(
        ("code" = doc::RegimeCode, Path),
    ),
    responses(
        (status = 200, description = "OK", body = RegimeView),
    ),
)]
pub async fn regime(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<RegimeView>, ApiError> {
    Ok(Json(directory::regime(&state, &caller, &code).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/regimes/{code}/forms",
    tag = "Registry",
    operation_id = "get_api_v1_regimes_code_forms",
    summary = "The regime's data forms with their indicators.",
    params(
        ("code" = doc::RegimeCode, Path),
    ),
    responses(
        (status = 200, description = "OK", body = Listing<FormView>),
    ),
)]
pub async fn regime_forms(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Listing<FormView>>, ApiError> {
    Ok(Json(Listing::page(
        directory::forms(&state, &caller, &code).await?,
        &Page::default(),
    )))
}

#[utoipa::path(
    get,
    path = "/api/v1/regimes/{code}/forms/{form}",
    tag = "Registry",
    operation_id = "get_api_v1_regimes_code_forms_form",
    summary = "One form (URL-encode its code).",
    params(
        ("code" = doc::RegimeCode, Path),
        ("form" = doc::Code, Path),
    ),
    responses(
        (status = 200, description = "OK", body = FormView),
    ),
)]
pub async fn regime_form(
    State(state): State<AppState>,
    caller: Caller,
    Path((code, form)): Path<(String, String)>,
) -> Result<Json<FormView>, ApiError> {
    Ok(Json(directory::form(&state, &caller, &code, &form).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/regimes/{code}/outline",
    tag = "Registry",
    operation_id = "get_api_v1_regimes_code_outline",
    summary = "The regime's outline sections.",
    params(
        ("code" = doc::RegimeCode, Path),
    ),
    responses(
        (status = 200, description = "OK", body = Listing<OutlineSection>),
    ),
)]
pub async fn regime_outline(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Listing<OutlineSection>>, ApiError> {
    Ok(Json(Listing::page(
        directory::outline(&state, &caller, &code).await?,
        &Page::default(),
    )))
}

#[utoipa::path(
    get,
    path = "/api/v1/regimes/{code}/assignments",
    tag = "Registry",
    operation_id = "get_api_v1_regimes_code_assignments",
    summary = "Who reports the regime to whom, as of a date.",
    params(
        ("code" = doc::RegimeCode, Path),
        ("as_of" = Option<jiff::civil::Date>, Query),
    ),
    responses(
        (status = 200, description = "OK", body = Listing<AssignmentRecord>),
    ),
)]
pub async fn regime_assignments(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiQuery(query): ApiQuery<AsOf>,
) -> Result<Json<Listing<AssignmentRecord>>, ApiError> {
    let all = directory::assignments(&state, &caller, &code, query.as_of.as_deref()).await?;
    Ok(Json(Listing::page(all, &Page::default())))
}

/// `GET /api/v1/indicators/{code}/outlier-settings`: the thresholds outlier checks use for
/// the indicator (the defaults unless a regime manager set others).
#[utoipa::path(
    get,
    path = "/api/v1/indicators/{code}/outlier-settings",
    tag = "Data quality",
    operation_id = "get_api_v1_indicators_code_outlier_settings",
    summary = "The outlier thresholds of an indicator.",
    params(
        ("code" = doc::IndicatorCode, Path),
    ),
    responses(
        (status = 200, description = "OK", body = baocao_domain::quality::OutlierSettings),
    ),
)]
pub async fn outlier_settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<baocao_domain::quality::OutlierSettings>, ApiError> {
    Ok(Json(
        directory::outlier_settings(&state, &caller, &code).await?,
    ))
}

/// `PUT /api/v1/indicators/{code}/outlier-settings` with `{"z_threshold", "year_on_year",
/// "min_points"}` (regime managers).
#[utoipa::path(
    put,
    path = "/api/v1/indicators/{code}/outlier-settings",
    tag = "Data quality",
    operation_id = "put_api_v1_indicators_code_outlier_settings",
    summary = "Set an indicator's outlier thresholds (regime managers).",
    params(
        ("code" = doc::IndicatorCode, Path),
    ),
    request_body(content = baocao_domain::quality::OutlierSettings, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = baocao_domain::quality::OutlierSettings),
    ),
)]
pub async fn set_outlier_settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    crate::auth::ApiJson(settings): crate::auth::ApiJson<baocao_domain::quality::OutlierSettings>,
) -> Result<Json<baocao_domain::quality::OutlierSettings>, ApiError> {
    directory::set_outlier_settings(&state, &caller, &code, settings).await?;
    Ok(Json(settings))
}
