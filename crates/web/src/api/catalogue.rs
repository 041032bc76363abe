//! Read-only catalogue: agencies as of a date, users of an agency, categories, indicators,
//! regimes with their ten elements, forms, outlines and assignments.

use axum::Json;
use axum::extract::{Path, State};
use baocao_domain::agency::{AgencyCode, AgencyLevel};
use baocao_domain::indicator::{Category, Indicator, IndicatorCode};
use baocao_domain::permission::Action;
use baocao_domain::regime::{Element, Form, OutlineSection, Regime};
use baocao_store::agencies::{AgencyFilter, AgencyRecord};
use baocao_store::regimes::AssignmentRecord;
use baocao_store::users::UserRecord;
use serde::{Deserialize, Serialize};

use super::doc;
use super::{Listing, Page};
use crate::AppState;
use crate::auth::{ApiQuery, Caller, lineage_today};
use crate::error::ApiError;
use crate::extract::{agency_code, load_regime, parse_date};

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
    caller.require(Action::ReadCatalogue)?;
    let date = query
        .as_of
        .as_deref()
        .map(parse_date)
        .transpose()?
        .unwrap_or_else(|| state.today());
    let level = query
        .level
        .as_deref()
        .map(|l| {
            AgencyLevel::parse(l).map_err(|_| {
                ApiError::bad_request(
                    "invalid_level",
                    format!("Cấp không hợp lệ: {l:?} (national, ministry, province, department, commune)."),
                    format!("Unknown level {l:?} (national, ministry, province, department, commune)."),
                )
            })
        })
        .transpose()?;
    let parent = query.parent.as_deref().map(agency_code).transpose()?;
    let filter = AgencyFilter {
        level,
        parent,
        query: query.q.clone(),
    };
    let all = state.store.agencies_as_of(date, &filter).await?;
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
    caller.require(Action::ReadCatalogue)?;
    let date = query
        .as_of
        .as_deref()
        .map(parse_date)
        .transpose()?
        .unwrap_or_else(|| state.today());
    let code = agency_code(&code)?;
    let agency = state
        .store
        .agency_as_of(&code, date)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(
                &format!("cơ quan {code} vào ngày {date}"),
                &format!("agency {code} on {date}"),
            )
        })?;
    let lineage = state.store.lineage(&code, date).await?;
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
    let code = agency_code(&code)?;
    let lineage = lineage_today(&state, &code).await?;
    caller.require(Action::ReadUsers { agency: &lineage })?;
    let users = state.store.users_of(&code).await?;
    Ok(Json(Listing::page(users, &Page::default())))
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
    caller.require(Action::ReadCatalogue)?;
    Ok(Json(Listing::page(
        state.store.categories().await?,
        &Page::default(),
    )))
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
    caller.require(Action::ReadCatalogue)?;
    Ok(Json(Listing::page(
        state.store.indicators(query.q.as_deref()).await?,
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
    caller.require(Action::ReadCatalogue)?;
    Ok(Json(known_indicator(&state, &code).await?))
}

/// A regime as the API shows it: the stored document plus what it lacks.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RegimeView {
    #[serde(flatten)]
    regime: Regime,
    missing_elements: Vec<Element>,
}

impl From<Regime> for RegimeView {
    fn from(regime: Regime) -> Self {
        let missing_elements = regime.content().missing_elements();
        Self {
            regime,
            missing_elements,
        }
    }
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
    caller.require(Action::ReadCatalogue)?;
    let all = state
        .store
        .regimes(query.q.as_deref())
        .await?
        .into_iter()
        .map(RegimeView::from)
        .collect();
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
    caller.require(Action::ReadCatalogue)?;
    Ok(Json(load_regime(&state, &code).await?.into()))
}

/// A form with each row's indicator spelled out.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FormView {
    #[serde(flatten)]
    form: Form,
    indicators: Vec<Indicator>,
}

async fn form_views(state: &AppState, regime: &Regime) -> Result<Vec<FormView>, ApiError> {
    let catalogue = state.store.indicators(None).await?;
    Ok(regime
        .content()
        .forms
        .iter()
        .map(|form| FormView {
            form: form.clone(),
            indicators: form
                .rows
                .iter()
                .filter_map(|row| {
                    catalogue
                        .iter()
                        .find(|i| i.code() == &row.indicator)
                        .cloned()
                })
                .collect(),
        })
        .collect())
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
    caller.require(Action::ReadCatalogue)?;
    let regime = load_regime(&state, &code).await?;
    Ok(Json(Listing::page(
        form_views(&state, &regime).await?,
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
    caller.require(Action::ReadCatalogue)?;
    let regime = load_regime(&state, &code).await?;
    form_views(&state, &regime)
        .await?
        .into_iter()
        .find(|view| view.form.code == form)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(&format!("biểu mẫu {form}"), &format!("form {form}")))
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
    caller.require(Action::ReadCatalogue)?;
    let regime = load_regime(&state, &code).await?;
    Ok(Json(Listing::page(
        regime.content().outline.clone(),
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
    caller.require(Action::ReadCatalogue)?;
    let regime = load_regime(&state, &code).await?;
    let date = query.as_of.as_deref().map(parse_date).transpose()?;
    Ok(Json(Listing::page(
        state.store.assignments(regime.code(), date).await?,
        &Page::default(),
    )))
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
    caller.require(Action::ReadCatalogue)?;
    let indicator = known_indicator(&state, &code).await?;
    let all = baocao_service::reporting::validation::outlier_settings(&state).await?;
    Ok(Json(
        all.get(indicator.code().as_str())
            .copied()
            .unwrap_or_default(),
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
    caller.require(Action::AuthorRegimes)?;
    let indicator = known_indicator(&state, &code).await?;
    if !(settings.z_threshold > 0.0 && settings.year_on_year > 0.0) || settings.min_points < 3 {
        return Err(ApiError::bad_request(
            "invalid_settings",
            "Ngưỡng phải dương và cần ít nhất 3 điểm so sánh.",
            "Thresholds must be positive and at least 3 points are needed.",
        ));
    }
    let mut all = baocao_service::reporting::validation::outlier_settings(&state).await?;
    all.insert(indicator.code().to_string(), settings);
    let text = serde_json::to_string(&all).map_err(|_| ApiError::internal())?;
    state
        .store
        .set_setting(
            baocao_service::reporting::validation::OUTLIER_SETTINGS,
            &text,
        )
        .await?;
    Ok(Json(settings))
}

async fn known_indicator(state: &AppState, code: &str) -> Result<Indicator, ApiError> {
    let unknown = || ApiError::not_found(&format!("chỉ tiêu {code}"), &format!("indicator {code}"));
    let parsed = IndicatorCode::new(code).map_err(|_| unknown())?;
    state.store.indicator(&parsed).await?.ok_or_else(unknown)
}
