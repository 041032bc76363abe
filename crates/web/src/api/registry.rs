//! Authoring and auditing the registry of regimes: `POST /api/v1/regimes` (a new regime, in
//! draft), the standardisation report and the duplicate list. The checks themselves are the
//! domain's ([`baocao_domain::registry`]); here they meet the stored regimes and catalogue.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use baocao_domain::permission::Action;
use baocao_domain::regime::{Regime, RegimeContent};
use baocao_domain::registry::{
    DuplicatePair, Problem, RegimeItems, duplicates as find_duplicates, standardisation_problems,
};
use baocao_domain::rules::{RuleContext, compile_condition, compile_formula};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::catalogue::RegimeView;
use super::rules::rule_error;
use super::{Listing, Page};
use crate::AppState;
use crate::auth::{ApiJson, ApiQuery, Caller};
use crate::error::ApiError;
use crate::validation::Catalogue;

/// `POST /api/v1/regimes`: the JSON shape `GET /api/v1/regimes/{code}` answers; the regime is
/// stored as a draft whatever status the body names. Forms must use catalogue indicators and
/// rules must compile; missing elements are allowed in a draft and reported.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(content): ApiJson<RegimeContent>,
) -> Result<(StatusCode, Json<RegimeView>), ApiError> {
    caller.require(Action::AuthorRegimes)?;
    let regime = Regime::draft(content).map_err(|error| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_regime",
            format!("Chế độ báo cáo không hợp lệ: {error}."),
            format!("Invalid regime: {error}."),
        )
    })?;
    let catalogue = Catalogue::load(&state).await?;
    for form in &regime.content().forms {
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
    let context = RuleContext {
        regime: regime.content(),
        indicators: &catalogue.indicators,
        categories: &catalogue.categories,
    };
    for (index, rule) in regime.content().rules.iter().enumerate() {
        compile_condition(&rule.expression, &context).map_err(|error| {
            rule_error(&error).with_detail("rule", json!(format!("R{}", index + 1)))
        })?;
    }
    for derived in &regime.content().derived {
        compile_formula(&derived.formula, &context)
            .map_err(|error| rule_error(&error).with_detail("derived", json!(derived.code)))?;
    }
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
    Ok((StatusCode::CREATED, Json(regime.into())))
}

#[derive(Serialize)]
pub struct StandardisationEntry {
    regime: String,
    name: Option<String>,
    status: &'static str,
    problems: Vec<Problem>,
}

/// `GET /api/v1/regimes/standardisation`: every regime with its problems (none for a clean one),
/// those with problems first.
pub async fn standardisation(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Listing<StandardisationEntry>>, ApiError> {
    caller.require(Action::ReadCatalogue)?;
    let catalogue = Catalogue::load(&state).await?;
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
                status: regime.status().as_str(),
                problems: standardisation_problems(regime.content(), &context),
            }
        })
        .collect();
    entries.sort_by_key(|e| e.problems.is_empty());
    Ok(Json(Listing::page(entries, &page)))
}

#[derive(Deserialize)]
pub struct DuplicateQuery {
    /// Pairs sharing fewer items are left out (default 1).
    #[serde(default)]
    min_shared: Option<String>,
    #[serde(flatten)]
    page: Page,
}

/// `GET /api/v1/regimes/duplicates`: pairs of regimes asking for the same indicators, most
/// similar first.
pub async fn duplicates(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<DuplicateQuery>,
) -> Result<Json<Listing<DuplicatePair>>, ApiError> {
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
    let catalogue = Catalogue::load(&state).await?;
    let regimes = state.store.regimes(None).await?;
    let items: Vec<RegimeItems> = regimes
        .iter()
        .map(|r| RegimeItems::of(r.content(), &catalogue.indicators))
        .collect();
    Ok(Json(Listing::page(
        find_duplicates(&items, min_shared),
        &query.page,
    )))
}
