//! Authoring and auditing the registry of regimes: `POST /api/v1/regimes` (a new regime, in
//! draft), its draft, amendments, publication, retirement and assignments, the
//! standardisation report and the duplicate list. The checks themselves are the
//! domain's ([`baocao_domain::registry`]); here they meet the stored regimes and catalogue.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use baocao_domain::agency::Validity;
use baocao_domain::assignment::Assignment;
use baocao_domain::permission::Action;
use baocao_domain::regime::{MAX_FORM_CELLS, Regime, RegimeContent, RegimeError, RegimeStatus};
use baocao_domain::registry::{
    DuplicatePair, Problem, RegimeItems, duplicates as find_duplicates, standardisation_problems,
};
use baocao_domain::rules::{RuleContext, compile_condition, compile_formula};
use std::collections::{BTreeMap, HashMap};

use baocao_domain::regime::Severity;
use baocao_domain::text::search_key;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::catalogue::RegimeView;
use super::doc;
use super::rules::rule_error;
use super::{Listing, Page};
use crate::AppState;
use crate::auth::{ApiJson, ApiQuery, Caller};
use crate::error::ApiError;
use crate::extract::load_regime;
use baocao_service::catalogue::Catalogue;

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
    let regime = create_regime(&state, &caller, content).await?;
    Ok((StatusCode::CREATED, Json(regime.into())))
}

pub(crate) async fn create_regime(
    state: &AppState,
    caller: &Caller,
    content: RegimeContent,
) -> Result<Regime, ApiError> {
    caller.require(Action::AuthorRegimes)?;
    let regime = Regime::draft(content).map_err(|error| invalid(&error))?;
    check_against_catalogue(state, regime.content()).await?;
    state
        .store
        .create_regime(&regime, &state.now_text())
        .await
        .map_err(|error| match error {
            baocao_store::StoreError::Conflict(_) => ApiError::new(
                StatusCode::CONFLICT,
                "regime_exists",
                format!("Đã có chế độ báo cáo mã {}.", regime.code()),
                format!("A regime with code {} already exists.", regime.code()),
            ),
            other => other.into(),
        })?;
    Ok(regime)
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

/// What a regime's content must satisfy against the catalogue: its rows are catalogue
/// indicators, its rules and derived indicators compile, and no form asks for more cells than
/// [`MAX_FORM_CELLS`].
async fn check_against_catalogue(
    state: &AppState,
    content: &RegimeContent,
) -> Result<(), ApiError> {
    check_with(&Catalogue::load(&state.store).await?, content)
}

pub(crate) fn check_with(catalogue: &Catalogue, content: &RegimeContent) -> Result<(), ApiError> {
    for form in &content.forms {
        for row in &form.rows {
            if !catalogue
                .indicators
                .iter()
                .any(|i| i.code() == &row.indicator)
            {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unknown_indicator",
                    format!(
                        "Biểu {}: chỉ tiêu {} không có trong danh mục.",
                        form.code, row.indicator
                    ),
                    format!(
                        "Form {}: indicator {} is not in the catalogue.",
                        form.code, row.indicator
                    ),
                ));
            }
        }
    }
    if let Some(over) =
        content.oversized_form(&catalogue.indicators, &catalogue.categories, MAX_FORM_CELLS)
    {
        let row = over.widest_row.as_deref().unwrap_or("?");
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_too_large",
            format!(
                "Biểu {} có {} ô (số dòng × số cột × các tổ hợp phân tổ), vượt giới hạn {} ô. Dòng {} nhiều ô nhất: hãy bớt phân tổ của chỉ tiêu này hoặc tách thành nhiều biểu.",
                over.form, over.cells, over.limit, row
            ),
            format!(
                "Form {} has {} cells (rows × columns × disaggregation combinations), over the limit of {}. Row {} has the most: drop some of its disaggregations or split the form.",
                over.form, over.cells, over.limit, row
            ),
        )
        .with_detail("form", json!(over.form))
        .with_detail("cells", json!(over.cells)));
    }
    let context = RuleContext {
        regime: content,
        indicators: &catalogue.indicators,
        categories: &catalogue.categories,
    };
    for (index, rule) in content.rules.iter().enumerate() {
        compile_condition(&rule.expression, &context).map_err(|error| {
            rule_error(&error).with_detail("rule", json!(format!("R{}", index + 1)))
        })?;
    }
    for derived in &content.derived {
        compile_formula(&derived.formula, &context)
            .map_err(|error| rule_error(&error).with_detail("derived", json!(derived.code)))?;
    }
    Ok(())
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

fn latest(versions: Vec<Regime>, code: &str) -> Result<Regime, ApiError> {
    versions.into_iter().last().ok_or_else(|| {
        ApiError::not_found(&format!("chế độ báo cáo {code}"), &format!("regime {code}"))
    })
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
        save_regime_draft(&state, &caller, &code, content)
            .await?
            .into(),
    ))
}

pub(crate) async fn save_regime_draft(
    state: &AppState,
    caller: &Caller,
    code: &str,
    content: RegimeContent,
) -> Result<Regime, ApiError> {
    caller.require(Action::AuthorRegimes)?;
    let parsed = crate::extract::regime_code(code)?;
    let current = latest(state.store.regime_versions(&parsed).await?, code)?;
    if content.code != parsed {
        return Err(invalid(&RegimeError::CodeChanged {
            expected: parsed.to_string(),
            given: content.code.to_string(),
        }));
    }
    check_against_catalogue(state, &content).await?;
    let draft = match current.status() {
        RegimeStatus::Draft => {
            let draft = Regime::restore(content, current.version(), RegimeStatus::Draft, None)
                .map_err(|e| invalid(&e))?;
            state.store.update_regime_version(&draft).await?;
            draft
        }
        RegimeStatus::Published => {
            let draft = current.amend(content).map_err(|e| invalid(&e))?;
            state
                .store
                .add_regime_version(&draft, &state.now_text())
                .await?;
            draft
        }
        RegimeStatus::Retired => {
            return Err(invalid(&RegimeError::StatusChange {
                from: RegimeStatus::Retired,
                to: RegimeStatus::Draft,
            }));
        }
    };
    Ok(draft)
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
        publish_regime(&state, &caller, &code, body.effective_from)
            .await?
            .into(),
    ))
}

pub(crate) async fn publish_regime(
    state: &AppState,
    caller: &Caller,
    code: &str,
    effective_from: baocao_domain::Date,
) -> Result<Regime, ApiError> {
    caller.require(Action::AuthorRegimes)?;
    let parsed = crate::extract::regime_code(code)?;
    let mut versions = state.store.regime_versions(&parsed).await?;
    let draft = versions.pop().ok_or_else(|| {
        ApiError::not_found(&format!("chế độ báo cáo {code}"), &format!("regime {code}"))
    })?;
    let previous = versions
        .iter()
        .rev()
        .find(|v| v.status() != RegimeStatus::Draft);
    let published = match previous {
        Some(previous) => draft.publish_after(previous, effective_from),
        None => draft.publish(effective_from),
    }
    .map_err(|e| invalid(&e))?;
    state.store.update_regime_version(&published).await?;
    Ok(published)
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
    Ok(Json(retire_regime(&state, &caller, &code).await?.into()))
}

pub(crate) async fn retire_regime(
    state: &AppState,
    caller: &Caller,
    code: &str,
) -> Result<Regime, ApiError> {
    caller.require(Action::AuthorRegimes)?;
    let regime = load_regime(state, code).await?;
    let retired = regime.retire().map_err(|e| invalid(&e))?;
    // Every earlier published version retires with it: no period takes reports any more.
    for version in state.store.regime_versions(retired.code()).await? {
        if version.status() == RegimeStatus::Published && version.version() != retired.version() {
            let version = version.retire().map_err(|e| invalid(&e))?;
            state.store.update_regime_version(&version).await?;
        }
    }
    state.store.update_regime_version(&retired).await?;
    Ok(retired)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewAssignment {
    pub(crate) reporting_agency: String,
    pub(crate) receiving_agency: String,
    pub(crate) valid_from: Option<baocao_domain::Date>,
    #[serde(default)]
    pub(crate) valid_to: Option<baocao_domain::Date>,
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
    let created = assign_regime(&state, &caller, &regime, &body.assignments).await?;
    Ok((StatusCode::CREATED, Json(Assigned { regime, created })))
}

/// Assignments recorded.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Assigned {
    regime: String,
    created: usize,
}

pub(crate) async fn assign_regime(
    state: &AppState,
    caller: &Caller,
    code: &str,
    items: &[NewAssignment],
) -> Result<usize, ApiError> {
    caller.require(Action::AuthorRegimes)?;
    let regime = load_regime(state, code).await?;
    let mut assignments = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let refused = |vi: String, en: String| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_assignment",
                vi,
                en,
            )
            .with_detail("index", json!(index))
        };
        let validity = Validity::new(item.valid_from, item.valid_to).map_err(|e| {
            refused(
                format!(
                    "Giao báo cáo thứ {}: khoảng hiệu lực không hợp lệ.",
                    index + 1
                ),
                format!("Assignment {}: {e}.", index + 1),
            )
        })?;
        let (reporting, receiving) = (
            crate::extract::agency_code(&item.reporting_agency)?,
            crate::extract::agency_code(&item.receiving_agency)?,
        );
        let on = item.valid_from.unwrap_or_else(|| state.today());
        for agency in [&reporting, &receiving] {
            if state.store.agency_as_of(agency, on).await?.is_none() {
                return Err(refused(
                    format!(
                        "Giao báo cáo thứ {}: cơ quan {agency} không tồn tại vào ngày {on}.",
                        index + 1
                    ),
                    format!(
                        "Assignment {}: agency {agency} does not exist on {on}.",
                        index + 1
                    ),
                ));
            }
        }
        let assignment = Assignment::new(regime.code().clone(), reporting, receiving, validity)
            .map_err(|e| {
                refused(
                    format!(
                        "Giao báo cáo thứ {}: cơ quan không tự báo cáo cho chính mình.",
                        index + 1
                    ),
                    format!("Assignment {}: {e}.", index + 1),
                )
            })?;
        assignments.push(assignment);
    }
    state.store.insert_assignments(&assignments).await?;
    Ok(assignments.len())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StandardisationEntry {
    regime: String,
    name: Option<String>,
    issuer: String,
    status: &'static str,
    problems: Vec<Problem>,
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
    Ok(Json(standardisation_entries(&state, &page).await?))
}

pub(crate) async fn standardisation_entries(
    state: &AppState,
    page: &Page,
) -> Result<Listing<StandardisationEntry>, ApiError> {
    let catalogue = Catalogue::load(&state.store).await?;
    let mut entries: Vec<StandardisationEntry> = state
        .store
        .regimes(None)
        .await?
        .into_iter()
        .map(|regime| {
            let context = RuleContext {
                regime: regime.content(),
                indicators: &catalogue.indicators,
                categories: &catalogue.categories,
            };
            StandardisationEntry {
                regime: regime.code().to_string(),
                name: regime.content().name.clone(),
                issuer: issuer_of(&regime),
                status: regime.status().as_str(),
                problems: standardisation_problems(regime.content(), &context),
            }
        })
        .collect();
    entries.sort_by_key(|e| e.problems.is_empty());
    Ok(Listing::page(entries, page))
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

/// A duplicate pair with who issued each regime.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DuplicateView {
    #[serde(flatten)]
    pair: DuplicatePair,
    issuer_a: String,
    issuer_b: String,
}

fn issuer_of(regime: &Regime) -> String {
    regime
        .content()
        .legal_basis
        .as_ref()
        .map(|basis| basis.issuer.trim().to_string())
        .unwrap_or_default()
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
        duplicate_views(&state, min_shared, issuer.as_deref()).await?,
        &query.page,
    )))
}

pub(crate) async fn duplicate_views(
    state: &AppState,
    min_shared: usize,
    issuer: Option<&str>,
) -> Result<Vec<DuplicateView>, ApiError> {
    let catalogue = Catalogue::load(&state.store).await?;
    let regimes = state.store.regimes(None).await?;
    let issuers: HashMap<String, String> = regimes
        .iter()
        .map(|r| (r.code().to_string(), issuer_of(r)))
        .collect();
    let items: Vec<RegimeItems> = regimes
        .iter()
        .map(|r| RegimeItems::of(r.content(), &catalogue.indicators))
        .collect();
    Ok(find_duplicates(&items, min_shared)
        .into_iter()
        .map(|pair| DuplicateView {
            issuer_a: issuers.get(&pair.a).cloned().unwrap_or_default(),
            issuer_b: issuers.get(&pair.b).cloned().unwrap_or_default(),
            pair,
        })
        .filter(|view| {
            issuer.is_none_or(|key| {
                search_key(&view.issuer_a).contains(key) || search_key(&view.issuer_b).contains(key)
            })
        })
        .collect())
}

/// One issuing agency's part of the registry: its regimes, how many break the standard, and
/// how many duplicate pairs involve them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IssuerReport {
    pub issuer: String,
    pub regimes: usize,
    pub with_errors: usize,
    pub duplicate_pairs: usize,
    pub regime_codes: Vec<String>,
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
    Ok(Json(issuer_reports(&state).await?))
}

pub(crate) async fn issuer_reports(state: &AppState) -> Result<Vec<IssuerReport>, ApiError> {
    let catalogue = Catalogue::load(&state.store).await?;
    let regimes = state.store.regimes(None).await?;
    let pairs = duplicate_views(state, 1, None).await?;
    let mut reports: BTreeMap<String, IssuerReport> = BTreeMap::new();
    for regime in &regimes {
        let issuer = issuer_of(regime);
        let context = RuleContext {
            regime: regime.content(),
            indicators: &catalogue.indicators,
            categories: &catalogue.categories,
        };
        let broken = standardisation_problems(regime.content(), &context)
            .iter()
            .any(|p| p.severity == Severity::Error);
        let code = regime.code().to_string();
        let report = reports
            .entry(issuer.clone())
            .or_insert_with(|| IssuerReport {
                issuer,
                regimes: 0,
                with_errors: 0,
                duplicate_pairs: 0,
                regime_codes: Vec::new(),
            });
        report.regimes += 1;
        report.with_errors += usize::from(broken);
        report.duplicate_pairs += pairs
            .iter()
            .filter(|p| p.pair.a == code || p.pair.b == code)
            .count();
        report.regime_codes.push(code);
    }
    let mut reports: Vec<IssuerReport> = reports.into_values().collect();
    reports.sort_by(|a, b| b.regimes.cmp(&a.regimes).then(a.issuer.cmp(&b.issuer)));
    Ok(reports)
}
