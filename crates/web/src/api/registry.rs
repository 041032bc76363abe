//! Authoring and auditing the registry of regimes: `POST /api/v1/regimes` (a new regime, in
//! draft), its draft, amendments, publication, retirement and assignments, the
//! standardisation report and the duplicate list. The checks themselves are the
//! domain's ([`baocao_domain::registry`]); here they meet the stored regimes and catalogue.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use baocao_domain::permission::Action;
use baocao_domain::regime::{RegimeContent, RegimeError};
use baocao_service::registry::{DuplicateView, IssuerReport, StandardisationEntry};

use baocao_domain::text::search_key;
use serde::{Deserialize, Serialize};

use super::doc;
use super::{Listing, Page};
use crate::AppState;
use crate::auth::{ApiJson, ApiQuery, Caller};
use crate::error::ApiError;
use crate::extract::load_regime;
use baocao_service::directory::RegimeView;
use baocao_service::registry;

/// `POST /api/v1/regimes`: the JSON shape `GET /api/v1/regimes/{code}` answers; the regime is
/// stored as a draft whatever status the body names. Forms must use catalogue indicators and
/// rules must compile; missing elements are allowed in a draft and reported.
#[utoipa::path(
    post,
    path = "/api/v1/regimes",
    tag = "Registry",
    operation_id = "post_api_v1_regimes",
    summary = "Create a regime as a draft (same shape as GET /api/v1/regimes/{code}).",
    request_body(content = RegimeContent, content_type = "application/json"),
    responses(
        (status = 201, description = "OK", body = RegimeView),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(content): ApiJson<RegimeContent>,
) -> Result<(StatusCode, Json<RegimeView>), ApiError> {
    let regime = registry::create(&state, &caller, content).await?;
    Ok((StatusCode::CREATED, Json(regime.into())))
}

pub(crate) fn invalid(error: &RegimeError) -> ApiError {
    let vi = match error {
        RegimeError::MissingElements(missing) => format!(
            "Chế độ báo cáo còn thiếu: {}.",
            missing
                .iter()
                .map(|e| e.labels().0)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        RegimeError::StatusChange { from, to } => {
            format!("Chế độ báo cáo đang ở trạng thái {from}, không chuyển sang {to} được.")
        }
        RegimeError::EffectiveTooEarly { previous, given } => {
            format!("Bản sửa đổi phải có hiệu lực sau bản trước ({previous}), không phải {given}.")
        }
        RegimeError::CodeChanged { expected, given } => {
            format!("Bản sửa đổi giữ mã {expected}, không đổi thành {given}.")
        }
        other => format!("Chế độ báo cáo không hợp lệ: {other}."),
    };
    // A regime not in the status a change needs is a conflict with its state, not a bad body.
    let status = if matches!(error, RegimeError::StatusChange { .. }) {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    ApiError::new(
        status,
        "invalid_regime",
        vi,
        format!("Invalid regime: {error}."),
    )
}

/// `GET /api/v1/regimes/{code}/versions`: every version, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/regimes/{code}/versions",
    tag = "Regimes",
    operation_id = "get_api_v1_regimes_code_versions",
    summary = "Every version of the regime, oldest first.",
    params(
        ("code" = doc::RegimeCode, Path),
    ),
    responses(
        (status = 200, description = "OK", body = Vec<RegimeView>),
    ),
)]
pub async fn versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Vec<RegimeView>>, ApiError> {
    caller.require(Action::ReadCatalogue)?;
    let regime = load_regime(&state, &code).await?;
    let versions = state.store.regime_versions(regime.code()).await?;
    Ok(Json(versions.into_iter().map(RegimeView::from).collect()))
}

/// `PUT /api/v1/regimes/{code}/draft`: writes the regime's draft — the never-published
/// regime's own, or an amendment of the published one (a new version, created on the first
/// write). A retired regime takes no draft.
#[utoipa::path(
    put,
    path = "/api/v1/regimes/{code}/draft",
    tag = "Regimes",
    operation_id = "put_api_v1_regimes_code_draft",
    summary = "Write the regime's draft: the never-published regime's own, or an amendment (a new version) of the published one. Same JSON shape as GET /api/v1/regimes/{code}.",
    params(
        ("code" = doc::RegimeCode, Path),
    ),
    request_body(content = RegimeContent, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = RegimeView),
    ),
)]
pub async fn save_draft(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiJson(content): ApiJson<RegimeContent>,
) -> Result<Json<RegimeView>, ApiError> {
    Ok(Json(
        registry::save_draft(&state, &caller, &code, content)
            .await?
            .into(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PublishBody {
    effective_from: baocao_domain::Date,
}

/// `POST /api/v1/regimes/{code}/publish` `{"effective_from"}`: publishes the draft. An
/// amendment takes effect after the version it replaces; reports of earlier periods keep the
/// version they were made with.
#[utoipa::path(
    post,
    path = "/api/v1/regimes/{code}/publish",
    tag = "Regimes",
    operation_id = "post_api_v1_regimes_code_publish",
    summary = "Publish the draft from {\"effective_from\"}; an amendment takes effect after the version it replaces.",
    params(
        ("code" = doc::RegimeCode, Path),
    ),
    request_body(content = PublishBody, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = RegimeView),
    ),
)]
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<PublishBody>,
) -> Result<Json<RegimeView>, ApiError> {
    Ok(Json(
        registry::publish(&state, &caller, &code, body.effective_from)
            .await?
            .into(),
    ))
}

/// `POST /api/v1/regimes/{code}/retire`: the regime takes no more reports; its history stays.
#[utoipa::path(
    post,
    path = "/api/v1/regimes/{code}/retire",
    tag = "Regimes",
    operation_id = "post_api_v1_regimes_code_retire",
    summary = "Retire the regime: it takes no more reports.",
    params(
        ("code" = doc::RegimeCode, Path),
    ),
    responses(
        (status = 200, description = "OK", body = RegimeView),
    ),
)]
pub async fn retire(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<RegimeView>, ApiError> {
    Ok(Json(registry::retire(&state, &caller, &code).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewAssignment {
    pub(crate) reporting_agency: String,
    pub(crate) receiving_agency: String,
    pub(crate) valid_from: Option<baocao_domain::Date>,
    #[serde(default)]
    pub(crate) valid_to: Option<baocao_domain::Date>,
}

impl NewAssignment {
    pub(crate) fn item(&self) -> registry::NewAssignment {
        registry::NewAssignment {
            reporting_agency: self.reporting_agency.clone(),
            receiving_agency: self.receiving_agency.clone(),
            valid_from: self.valid_from,
            valid_to: self.valid_to,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AssignmentsBody {
    assignments: Vec<NewAssignment>,
}

/// `POST /api/v1/regimes/{code}/assignments`: which agencies report the regime, to whom,
/// from when — all or nothing.
#[utoipa::path(
    post,
    path = "/api/v1/regimes/{code}/assignments",
    tag = "Regimes",
    operation_id = "post_api_v1_regimes_code_assignments",
    summary = "Assign the regime: {\"assignments\": [{\"reporting_agency\", \"receiving_agency\", \"valid_from\", \"valid_to\"}]}, all or nothing.",
    params(
        ("code" = doc::RegimeCode, Path),
    ),
    request_body(content = AssignmentsBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = Assigned),
    ),
)]
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    Path(regime): Path<String>,
    ApiJson(body): ApiJson<AssignmentsBody>,
) -> Result<(StatusCode, Json<Assigned>), ApiError> {
    let items: Vec<registry::NewAssignment> =
        body.assignments.iter().map(NewAssignment::item).collect();
    let created = registry::assign(&state, &caller, &regime, &items).await?;
    Ok((StatusCode::CREATED, Json(Assigned { regime, created })))
}

/// Assignments recorded.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Assigned {
    regime: String,
    created: usize,
}

/// `GET /api/v1/regimes/standardisation`: every regime with its problems (none for a clean one),
/// those with problems first.
#[utoipa::path(
    get,
    path = "/api/v1/regimes/standardisation",
    tag = "Registry",
    operation_id = "get_api_v1_regimes_standardisation",
    summary = "Every regime with its problems against Decree 09/2019.",
    responses(
        (status = 200, description = "OK", body = Listing<StandardisationEntry>),
    ),
)]
pub async fn standardisation(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Listing<StandardisationEntry>>, ApiError> {
    caller.require(Action::ReadCatalogue)?;
    Ok(Json(Listing::page(
        registry::standardisation(&state).await?,
        &page,
    )))
}

#[derive(Deserialize)]
pub struct DuplicateQuery {
    /// Pairs sharing fewer items are left out (default 1).
    #[serde(default)]
    min_shared: Option<String>,
    /// Only pairs with a regime issued by this agency (matched without case or diacritics).
    #[serde(default)]
    issuer: Option<String>,
    #[serde(flatten)]
    page: Page,
}

/// `GET /api/v1/regimes/duplicates`: pairs of regimes asking for the same indicators, most
/// similar first.
#[utoipa::path(
    get,
    path = "/api/v1/regimes/duplicates",
    tag = "Registry",
    operation_id = "get_api_v1_regimes_duplicates",
    summary = "Pairs of regimes asking for the same indicators, most similar first.",
    params(
        ("min_shared" = Option<usize>, Query, maximum = 18446744073709551615_u64),
        ("issuer" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "OK", body = Listing<DuplicateView>),
    ),
)]
pub async fn duplicates(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<DuplicateQuery>,
) -> Result<Json<Listing<DuplicateView>>, ApiError> {
    caller.require(Action::ReadCatalogue)?;
    let min_shared = match query.min_shared.as_deref() {
        None | Some("") => 1,
        Some(text) => text.parse().map_err(|_| {
            ApiError::bad_request(
                "invalid_query",
                format!("min_shared phải là số nguyên, không phải {text:?}."),
                format!("min_shared must be a whole number, not {text:?}."),
            )
        })?,
    };
    let issuer = query
        .issuer
        .as_deref()
        .map(search_key)
        .filter(|key| !key.is_empty());
    Ok(Json(Listing::page(
        registry::duplicates(&state, min_shared, issuer.as_deref()).await?,
        &query.page,
    )))
}

/// `GET /api/v1/regimes/issuers`: the registry per issuing agency, most regimes first — the
/// report each ministry receives in a review of its regimes.
#[utoipa::path(
    get,
    path = "/api/v1/regimes/issuers",
    tag = "Regimes",
    operation_id = "get_api_v1_regimes_issuers",
    summary = "The registry per issuing agency: regimes, how many break the standard, duplicate pairs.",
    responses(
        (status = 200, description = "OK", body = Vec<IssuerReport>),
    ),
)]
pub async fn issuers(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<IssuerReport>>, ApiError> {
    caller.require(Action::ReadCatalogue)?;
    Ok(Json(registry::issuers(&state).await?))
}
