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
    let mut from = query
        .from
        .filter(|p| !p.is_empty())
        .or_else(|| current.map(|p| p.back(3, 0).to_string()));
    let window = Window::of(from.as_deref(), to.as_deref(), current);
    if let Some(window) = &window {
        from = Some(window.from.to_string());
    }
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
            "earlier": window.as_ref().map(|w| json!({"from": w.earlier.0.to_string(), "to": w.earlier.1.to_string()})),
            "later": window.as_ref().and_then(|w| w.later).map(|(f, t)| json!({"from": f.to_string(), "to": t.to_string()})),
            "asked": window.as_ref().map(|w| w.asked),
        }),
    )
}

/// At most this many periods a page (a year of months): a longer range is shown a page at a
/// time, ending at its last period, with links to the pages before and after.
const PERIODS_A_PAGE: u16 = 12;

/// The periods a page shows of a longer range asked for, and its neighbours.
struct Window {
    from: PeriodId,
    /// How many periods were asked for.
    asked: usize,
    earlier: (PeriodId, PeriodId),
    /// The page after, while it does not pass the current period.
    later: Option<(PeriodId, PeriodId)>,
}

impl Window {
    /// `None` when the range fits on one page (or is not one the page can read).
    fn of(from: Option<&str>, to: Option<&str>, current: Option<PeriodId>) -> Option<Window> {
        let from = PeriodId::parse(from?).ok()?;
        let to = PeriodId::parse(to?).ok()?;
        if from.frequency() != to.frequency() || from > to {
            return None;
        }
        let mut asked = 1;
        let mut period = from;
        while period < to && asked < 10_000 {
            period = period.next();
            asked += 1;
        }
        if asked <= usize::from(PERIODS_A_PAGE) {
            return None;
        }
        let shown_from = to.back(PERIODS_A_PAGE - 1, 0);
        let earlier_to = shown_from.previous();
        let mut later_to = to;
        for _ in 0..PERIODS_A_PAGE {
            if current.is_some_and(|c| later_to >= c) {
                break;
            }
            later_to = later_to.next();
        }
        Some(Window {
            from: shown_from,
            asked,
            earlier: (earlier_to.back(PERIODS_A_PAGE - 1, 0), earlier_to),
            later: (later_to > to).then(|| (to.next(), later_to)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_years_of_months_show_a_year_at_a_time() {
        let current = PeriodId::parse("202611").ok();
        let window = Window::of(Some("202312"), Some("202611"), current).unwrap();
        assert_eq!(window.from.to_string(), "202512");
        assert_eq!(window.asked, 36);
        assert_eq!(window.earlier.0.to_string(), "202412");
        assert_eq!(window.earlier.1.to_string(), "202511");
        assert!(window.later.is_none(), "nothing after the current month");
        let window = Window::of(Some("202301"), Some("202412"), current).unwrap();
        let later = window.later.unwrap();
        assert_eq!(
            (later.0.to_string(), later.1.to_string()),
            ("202501".into(), "202512".into())
        );
        assert!(
            Window::of(Some("202601"), Some("202611"), current).is_none(),
            "a year fits"
        );
    }
}
