//! The compliance page: for a regime and a range of periods, the matrix of reporting agencies
//! by period, each cell coloured by its status now and leading to the report, with the rates
//! and the field's one-line summary.

use axum::extract::{Query, State};
use axum::response::Response;
use baocao_domain::period::PeriodId;
use serde::Deserialize;
use serde_json::json;

use super::{PageContext, PageError};
use crate::AppState;
use baocao_service::compliance::compliance;

#[derive(Deserialize)]
pub struct CompliancePageQuery {
    regime: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    page: PageContext,
    Query(query): Query<CompliancePageQuery>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let caller = page.logged_in()?;
    let regimes: Vec<_> = state
        .store
        .regimes(None)
        .await
        .map_err(|e| PageError::from_api(e.into(), lang))?
        .into_iter()
        .filter(|r| r.content().frequency.is_some())
        .collect();
    let regime = query
        .regime
        .filter(|r| !r.is_empty())
        .or_else(|| regimes.first().map(|r| r.code().to_string()));
    let frequency = regimes
        .iter()
        .find(|r| Some(r.code().as_str()) == regime.as_deref())
        .and_then(|r| r.content().frequency);
    // By default the current period and the three before it.
    let current = frequency.map(|f| PeriodId::containing(f, state.today()));
    let to = query
        .to
        .filter(|p| !p.is_empty())
        .or_else(|| current.map(|p| p.to_string()));
    let from = query
        .from
        .filter(|p| !p.is_empty())
        .or_else(|| current.map(|p| p.back(3, 0).to_string()));
    let answer = match (&regime, &from) {
        (Some(regime), Some(from)) => Some(
            compliance(&state, caller, regime, from, to.as_deref())
                .await
                .map_err(|e| PageError::from_api(e.into(), lang))?,
        ),
        _ => None,
    };
    page.render(
        "compliance.html",
        json!({
            "regimes": regimes.iter().map(|r| json!({"code": r.code().as_str(), "name": super::describe::regime_name(r, lang)})).collect::<Vec<_>>(),
            "regime": regime, "from": from, "to": to,
            "answer": answer,
        }),
    )
}
