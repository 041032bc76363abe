//! The registry review page: every regime's standardisation problems, the registry per
//! issuing agency, and the pairs of regimes that ask for the same indicators — the work of
//! cutting duplicate regimes and those missing mandatory elements.

use axum::extract::{Query, State};
use axum::response::Response;
use baocao_domain::permission::Action;
use serde::Deserialize;
use serde_json::json;

use super::{PageContext, PageError};
use crate::AppState;
use baocao_service::registry;

#[derive(Deserialize)]
pub struct RegistryQuery {
    issuer: Option<String>,
}

/// Pairs shown on the page; the API pages through the rest.
const PAIRS_SHOWN: usize = 50;

pub async fn page(
    State(state): State<AppState>,
    page: PageContext,
    Query(query): Query<RegistryQuery>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let fail = |error: baocao_store::StoreError| PageError::from_api(error.into(), lang);
    page.allowed(Action::ReadCatalogue)?;
    let issuer = query
        .issuer
        .as_deref()
        .map(baocao_domain::text::search_key)
        .filter(|key| !key.is_empty());
    // Each regime's status as the page's language says it, not the API's code.
    let standardisation: Vec<serde_json::Value> = registry::standardisation(&state)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|entry| {
            let shown = entry
                .status
                .parse::<baocao_domain::regime::RegimeStatus>()
                .map_or(entry.status, |status| {
                    super::describe::regime_status(status, lang)
                });
            let mut row = json!(entry);
            row["status"] = json!(shown);
            row
        })
        .collect();
    let issuers = registry::issuers(&state).await.map_err(fail)?;
    let mut pairs = registry::duplicates(&state, 1, issuer.as_deref())
        .await
        .map_err(fail)?;
    let total_pairs = pairs.len();
    pairs.truncate(PAIRS_SHOWN);
    page.render(
        "registry.html",
        json!({
            "standardisation": standardisation,
            "issuers": issuers,
            "pairs": pairs,
            "total_pairs": total_pairs,
            "issuer": query.issuer,
        }),
    )
}
