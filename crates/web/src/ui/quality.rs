//! The data-quality page: for a regime and period, every reporting agency's report with the
//! completeness of its cells, rules broken, warnings explained, outliers, discrepancies and
//! timeliness, colour-coded, each row leading to the report itself.

use axum::extract::{Query, State};
use axum::response::Response;
use baocao_domain::period::PeriodId;
use serde::Deserialize;
use serde_json::json;

use super::{PageContext, PageError};
use crate::AppState;
use baocao_service::quality::quality_rows;

#[derive(Deserialize)]
pub struct QualityPageQuery {
    regime: Option<String>,
    period: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    page: PageContext,
    Query(query): Query<QualityPageQuery>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let caller = page.logged_in()?;
    let regimes = state
        .store
        .regimes(None)
        .await
        .map_err(|e| PageError::from_api(e.into(), lang))?;
    let regime = query
        .regime
        .filter(|r| !r.is_empty())
        .or_else(|| regimes.first().map(|r| r.code().to_string()));
    let chosen = regimes
        .iter()
        .find(|r| Some(r.code().as_str()) == regime.as_deref());
    // By default the latest period that has ended.
    let period = query.period.filter(|p| !p.is_empty()).or_else(|| {
        let frequency = chosen?.content().frequency?;
        Some(
            PeriodId::containing(frequency, state.today())
                .previous()
                .to_string(),
        )
    });
    let rows = match (&regime, &period) {
        (Some(regime), Some(period)) => quality_rows(&state, caller, regime, period)
            .await
            .map_err(|e| PageError::from_api(e.into(), lang))?,
        _ => Vec::new(),
    };
    page.render(
        "quality.html",
        json!({
            "regimes": regimes.iter().map(|r| json!({"code": r.code().as_str(), "name": super::describe::regime_name(r, lang)})).collect::<Vec<_>>(),
            "regime": regime,
            "period": period,
            "rows": rows,
        }),
    )
}
