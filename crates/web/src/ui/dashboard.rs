//! The leader's dashboard: the key indicators of the latest month with data, with their
//! change from the same month a year before, a line of the chosen indicator over two years,
//! and the provinces side by side as bars and on the map — all from the live analytics.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use baocao_domain::period::{Frequency, PeriodId};
use serde::Deserialize;
use serde_json::json;

use super::charts::{bars, choropleth, line, number};
use super::{PageContext, PageError};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::i18n::Lang;
use baocao_service::analytics::{AnalyticsQuery, AnalyticsRow, answer};

/// The indicators on the cards: the monthly socio-economic figures that add up.
const KEY_INDICATORS: [&str; 6] = ["KT04", "KT05", "KT06", "KT08", "KT09", "KT11"];

#[derive(Deserialize)]
pub struct DashboardQuery {
    indicator: Option<String>,
}

async fn rows(
    state: &AppState,
    caller: &Caller,
    agency: &str,
    indicators: &[&str],
    periods: &[PeriodId],
    level: Option<&str>,
) -> Result<Vec<AnalyticsRow>, ApiError> {
    Ok(answer(
        state,
        caller,
        AnalyticsQuery {
            indicator: indicators.iter().map(|s| s.to_string()).collect(),
            period: periods.iter().map(ToString::to_string).collect(),
            agency: Some(agency.into()),
            level: level.map(String::from),
            as_of: None,
            disaggregate: Vec::new(),
        },
    )
    .await?
    .rows)
}

pub async fn page(
    State(state): State<AppState>,
    page: PageContext,
    Query(query): Query<DashboardQuery>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let fail = |e: ApiError| PageError::from_api(e, lang);
    let caller = page.logged_in()?;
    // The whole country for whoever reads it; one's own scope (a province, a ministry) else.
    let home = baocao_service::scope::home_agency(&state, caller)
        .await
        .map_err(|e| fail(e.into()))?
        .ok_or_else(|| fail(ApiError::forbidden()))?;
    let whole_country = home == baocao_service::national()[0];
    let home_name = if whole_country {
        None
    } else {
        state
            .store
            .agency_as_of(&home, state.today())
            .await
            .map_err(|e| fail(e.into()))?
            .map(|a| {
                if lang == Lang::En {
                    a.name_en
                } else {
                    a.name_vi
                }
            })
    };
    let home = home.as_str();
    let chosen = query
        .indicator
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| "KT04".into());
    let indicator = state
        .store
        .indicator(
            &baocao_domain::indicator::IndicatorCode::new(chosen.as_str())
                .map_err(|_| fail(ApiError::not_found("chỉ tiêu", "indicator")))?,
        )
        .await
        .map_err(|e| fail(e.into()))?
        .ok_or_else(|| {
            fail(ApiError::not_found(
                &format!("chỉ tiêu {chosen}"),
                &format!("indicator {chosen}"),
            ))
        })?;
    // The latest month with a national figure, within the last year.
    let this_month = PeriodId::containing(Frequency::Monthly, state.today());
    let candidates: Vec<PeriodId> = (1..=12).map(|n| this_month.back(n, 0)).collect();
    let national = rows(&state, caller, home, &[chosen.as_str()], &candidates, None)
        .await
        .map_err(fail)?;
    let latest = candidates
        .iter()
        .find(|p| {
            national
                .iter()
                .any(|r| r.period == p.to_string() && r.value.is_some())
        })
        .copied()
        .unwrap_or(candidates[0]);
    let year_before = latest.back(0, 1);

    let cards_rows = rows(
        &state,
        caller,
        home,
        &KEY_INDICATORS,
        &[latest, year_before],
        None,
    )
    .await
    .map_err(fail)?;
    let catalogue = state
        .store
        .indicators(None)
        .await
        .map_err(|e| fail(e.into()))?;
    let name_of = |code: &str| {
        catalogue
            .iter()
            .find(|i| i.code().as_str() == code)
            .map(|i| {
                if lang == Lang::En {
                    (i.name_en.clone(), i.unit_en.clone())
                } else {
                    (i.name_vi.clone(), i.unit_vi.clone())
                }
            })
            .unwrap_or_default()
    };
    let value_of = |rows: &[AnalyticsRow], code: &str, period: PeriodId| {
        rows.iter()
            .find(|r| r.indicator == code && r.period == period.to_string())
            .and_then(|r| r.value)
    };
    let cards: Vec<_> = KEY_INDICATORS
        .iter()
        .map(|code| {
            let (name, unit) = name_of(code);
            let now = value_of(&cards_rows, code, latest);
            let before = value_of(&cards_rows, code, year_before);
            let change = match (now, before) {
                (Some(n), Some(b)) if b != 0.0 => Some((n / b - 1.0) * 100.0),
                _ => None,
            };
            json!({
                "code": code, "name": name, "unit": unit,
                "value": now.map(|v| number(v, 1, lang)),
                "change": change.map(|c| format!("{}{}%", if c >= 0.0 { "+" } else { "" }, number(c, 1, lang))),
                "up": change.map(|c| c >= 0.0),
                "href": format!("/dashboard?indicator={code}"),
            })
        })
        .collect();

    let months: Vec<PeriodId> = (0..24).rev().map(|n| latest.back(n, 0)).collect();
    let series = rows(&state, caller, home, &[chosen.as_str()], &months, None)
        .await
        .map_err(fail)?;
    let points: Vec<(String, Option<f64>)> = months
        .iter()
        .map(|p| {
            (
                format!("{:02}/{}", p.start().month(), p.year()),
                value_of(&series, &chosen, *p),
            )
        })
        .collect();
    // The provinces side by side for the country; a province's communes for the province.
    let level = if whole_country {
        baocao_domain::agency::AgencyLevel::Province
    } else {
        baocao_domain::agency::AgencyLevel::Commune
    };
    let provinces = rows(
        &state,
        caller,
        home,
        &[chosen.as_str()],
        &[latest],
        Some(level.as_str()),
    )
    .await
    .map_err(fail)?;
    let agencies = state
        .store
        .agencies_as_of(
            state.today(),
            &baocao_store::agencies::AgencyFilter {
                level: Some(level),
                parent: (!whole_country)
                    .then(|| baocao_domain::agency::AgencyCode::new(home).ok())
                    .flatten(),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| fail(e.into()))?;
    let names: HashMap<String, String> = agencies
        .into_iter()
        .map(|a| {
            (
                a.code.to_string(),
                if lang == Lang::En {
                    a.name_en
                } else {
                    a.name_vi
                },
            )
        })
        .collect();
    let by_province: Vec<(String, Option<f64>)> = provinces
        .iter()
        .map(|r| {
            (
                names
                    .get(&r.agency)
                    .cloned()
                    .unwrap_or_else(|| r.agency.clone()),
                r.value,
            )
        })
        .collect();
    let map_values: HashMap<String, f64> = provinces
        .iter()
        .filter_map(|r| Some((r.agency.clone(), r.value?)))
        .collect();
    let (name, unit) = name_of(&chosen);
    let title = format!("{name} ({unit})");
    page.render(
        "dashboard.html",
        json!({
            "latest": format!("{:02}/{}", latest.start().month(), latest.year()),
            "first": months.first().map(|p| format!("{:02}/{}", p.start().month(), p.year())),
            "indicator": chosen, "title": title, "aggregation": indicator.aggregation().as_str(),
            "cards": cards,
            "line": line(&title, &points, lang),
            "bars": bars(&title, &by_province, lang),
            "map": whole_country.then(|| choropleth(&title, &map_values, &names, lang)),
            "scope": home_name,
        }),
    )
}
