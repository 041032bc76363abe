//! Periods with their cut-off windows, and a regime's periods with their deadlines.

use axum::Json;
use axum::extract::{Path, State};
use baocao_domain::Date;
use baocao_domain::calendar::{check_frequency, cutoff_window};
use baocao_domain::period::{Frequency, PeriodId};
use baocao_domain::permission::Action;
use baocao_domain::regime::CutoffRule;
use serde::Serialize;

use super::catalogue::load_regime;
use super::catalogue::parse_period;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

#[derive(Serialize)]
pub struct PeriodView {
    id: String,
    frequency: Frequency,
    start: Date,
    end: Date,
    cutoff_start: Date,
    cutoff_end: Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<Date>,
}

fn frequency_mismatch(period: PeriodId, expected: Frequency) -> ApiError {
    ApiError::bad_request(
        "period_frequency_mismatch",
        format!("Kỳ {period} không thuộc tần suất {expected}."),
        format!("Period {period} is not {expected}."),
    )
}

fn view(period: PeriodId, cutoff: &CutoffRule, due: Option<Date>) -> PeriodView {
    let window = cutoff_window(cutoff, period);
    PeriodView {
        id: period.to_string(),
        frequency: period.frequency(),
        start: period.start(),
        end: period.end(),
        cutoff_start: window.start,
        cutoff_end: window.end,
        deadline: due,
    }
}

/// `GET /api/v1/periods/{frequency}/{period_id}` with the default (Decree 09) window.
pub async fn period(
    caller: Caller,
    Path((frequency, id)): Path<(String, String)>,
) -> Result<Json<PeriodView>, ApiError> {
    caller.require(Action::ReadCatalogue)?;
    let frequency: Frequency = frequency.parse().map_err(|unknown: String| {
        ApiError::bad_request(
            "invalid_frequency",
            format!("Tần suất không hợp lệ {unknown:?} (daily, weekly, monthly, quarterly, six_monthly, nine_monthly, yearly)."),
            format!("Unknown frequency {unknown:?} (daily, weekly, monthly, quarterly, six_monthly, nine_monthly, yearly)."),
        )
    })?;
    let period = parse_period(&id)?;
    check_frequency(frequency, period).map_err(|_| frequency_mismatch(period, frequency))?;
    Ok(Json(view(period, &CutoffRule::Decree09, None)))
}

/// `GET /api/v1/regimes/{code}/periods/{period_id}`: the regime's window and deadline.
pub async fn regime_period(
    State(state): State<AppState>,
    caller: Caller,
    Path((code, id)): Path<(String, String)>,
) -> Result<Json<PeriodView>, ApiError> {
    caller.require(Action::ReadCatalogue)?;
    let regime = load_regime(&state, &code).await?;
    let period = parse_period(&id)?;
    let content = regime.content();
    if let Some(frequency) = content.frequency {
        check_frequency(frequency, period).map_err(|_| frequency_mismatch(period, frequency))?;
    }
    let incomplete = |what_vi: &str, what_en: &str| {
        ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "regime_incomplete",
            format!("Chế độ báo cáo {code} chưa có {what_vi}."),
            format!("Regime {code} has no {what_en}."),
        )
    };
    let cutoff = content
        .cutoff
        .as_ref()
        .ok_or_else(|| incomplete("thời gian chốt số liệu", "cut-off rule"))?;
    let due = content
        .deadline_of(period)
        .ok_or_else(|| incomplete("thời hạn gửi báo cáo", "deadline rule"))?;
    Ok(Json(view(period, cutoff, Some(due))))
}
