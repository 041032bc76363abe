//! Periods with their cut-off windows, a regime's periods with their deadlines, and the
//! deployment's holiday calendar that working-day deadlines are counted on.

use axum::Json;
use axum::extract::{Path, State};
use baocao_domain::Date;
use baocao_domain::calendar::{Due, check_frequency, cutoff_window};
use baocao_domain::holidays::{CalendarOverride, DayKind};
use baocao_domain::period::{Frequency, PeriodId};
use baocao_domain::permission::Action;
use baocao_domain::regime::CutoffRule;
use baocao_service::calendar::{self, HolidaysAnswer};
use serde::{Deserialize, Serialize};

use super::doc;
use crate::AppState;
use crate::auth::{ApiJson, ApiQuery, Caller};
use crate::error::ApiError;
use crate::extract::load_regime_for;
use crate::extract::parse_period;

#[derive(Serialize, utoipa::ToSchema)]
pub struct PeriodView {
    id: String,
    frequency: Frequency,
    start: Date,
    end: Date,
    cutoff_start: Date,
    cutoff_end: Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<Date>,
    /// The deadline's time of day (Vietnam time), when the regime sets one.
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline_time: Option<String>,
    /// The first moment a report is late (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    late_from: Option<jiff::Timestamp>,
}

/// A path naming a period of another frequency names nothing: not found, with the reason.
fn frequency_mismatch(period: PeriodId, expected: Frequency) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "period_frequency_mismatch",
        format!("Kỳ {period} không thuộc tần suất {expected}."),
        format!("Period {period} is not {expected}."),
    )
}

fn view(period: PeriodId, cutoff: &CutoffRule, due: Option<Due>) -> PeriodView {
    let window = cutoff_window(cutoff, period);
    PeriodView {
        id: period.to_string(),
        frequency: period.frequency(),
        start: period.start(),
        end: period.end(),
        cutoff_start: window.start,
        cutoff_end: window.end,
        deadline: due.map(|due| due.day),
        deadline_time: due
            .and_then(|due| due.time)
            .map(|time| time.strftime("%H:%M").to_string()),
        late_from: due.and_then(|due| due.late_from()),
    }
}

/// `GET /api/v1/periods/{frequency}/{period_id}` with the default (Decree 09) window.
#[utoipa::path(
    get,
    path = "/api/v1/periods/{frequency}/{period}",
    tag = "Calendar",
    operation_id = "get_api_v1_periods_frequency_period",
    summary = "A period: bounds and the Decree 09 cut-off window.",
    params(
        ("frequency" = doc::Frequency, Path),
        ("period" = doc::PeriodId, Path),
    ),
    responses(
        (status = 200, description = "OK", body = PeriodView),
    ),
)]
pub async fn period(
    caller: Caller,
    Path((frequency, id)): Path<(String, String)>,
) -> Result<Json<PeriodView>, ApiError> {
    caller.require(Action::ReadCatalogue)?;
    let frequency: Frequency = frequency.parse().map_err(|unknown: String| {
        ApiError::bad_request(
            "invalid_frequency",
            format!("Tần suất không hợp lệ {unknown:?} (daily, weekly, monthly, quarterly, six_monthly, nine_monthly, yearly, dated)."),
            format!("Unknown frequency {unknown:?} (daily, weekly, monthly, quarterly, six_monthly, nine_monthly, yearly, dated)."),
        )
    })?;
    let period = parse_period(&id)?;
    check_frequency(frequency, period).map_err(|_| frequency_mismatch(period, frequency))?;
    Ok(Json(view(period, &CutoffRule::Decree09, None)))
}

/// `GET /api/v1/regimes/{code}/periods/{period_id}`: the regime's window and deadline.
#[utoipa::path(
    get,
    path = "/api/v1/regimes/{code}/periods/{period}",
    tag = "Calendar",
    operation_id = "get_api_v1_regimes_code_periods_period",
    summary = "A period of the regime: bounds, cut-off window, deadline.",
    params(
        ("code" = doc::RegimeCode, Path),
        ("period" = doc::PeriodId, Path),
    ),
    responses(
        (status = 200, description = "OK", body = PeriodView),
    ),
)]
pub async fn regime_period(
    State(state): State<AppState>,
    caller: Caller,
    Path((code, id)): Path<(String, String)>,
) -> Result<Json<PeriodView>, ApiError> {
    caller.require(Action::ReadCatalogue)?;
    let period = parse_period(&id)?;
    let regime = load_regime_for(&state, &code, period.start()).await?;
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
        .deadline_of(
            period,
            &*baocao_service::calendar::holiday_calendar(&state).await?,
        )
        .ok_or_else(|| incomplete("thời hạn gửi báo cáo", "deadline rule"))?;
    Ok(Json(view(period, cutoff, Some(due))))
}

#[derive(Deserialize)]
pub struct HolidaysQuery {
    #[serde(default, deserialize_with = "super::number_in_text")]
    year: Option<usize>,
}

/// `GET /api/v1/calendar/holidays?year=`: the days off of a year (default: this year) on the
/// deployment's calendar — the law's holidays, compensatory days and the deployment's changes.
#[utoipa::path(
    get,
    path = "/api/v1/calendar/holidays",
    tag = "Calendar",
    operation_id = "get_api_v1_calendar_holidays",
    summary = "The days off of a year on the deployment's calendar (law, compensatory days, changes).",
    params(
        ("year" = Option<i32>, Query, minimum = 1900, maximum = 2100),
    ),
    responses(
        (status = 200, description = "OK", body = HolidaysAnswer),
    ),
)]
pub async fn holidays(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<HolidaysQuery>,
) -> Result<Json<HolidaysAnswer>, ApiError> {
    caller.require(Action::ReadCatalogue)?;
    Ok(Json(calendar::holidays_of(&state, query.year).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DayChange {
    pub(crate) kind: DayKind,
    #[serde(default)]
    pub(crate) name_vi: String,
    #[serde(default)]
    pub(crate) name_en: String,
}

impl From<DayChange> for calendar::DayChange {
    fn from(change: DayChange) -> Self {
        Self {
            kind: change.kind,
            name_vi: change.name_vi,
            name_en: change.name_en,
        }
    }
}

/// `PUT /api/v1/calendar/days/{date}`: makes a day a holiday (a bridge day) or a working day
/// (a Saturday worked in exchange) — regime managers and administrators, since it moves
/// deadlines counted in working days.
#[utoipa::path(
    put,
    path = "/api/v1/calendar/days/{date}",
    tag = "Calendar",
    operation_id = "put_api_v1_calendar_days_date",
    summary = "Make a day a holiday or a working day: {\"kind\": \"holiday\"|\"working_day\", \"name_vi\", \"name_en\"}.",
    params(
        ("date" = jiff::civil::Date, Path),
    ),
    request_body(content = DayChange, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = CalendarOverride),
    ),
)]
pub async fn set_day(
    State(state): State<AppState>,
    caller: Caller,
    Path(day): Path<String>,
    ApiJson(change): ApiJson<DayChange>,
) -> Result<Json<CalendarOverride>, ApiError> {
    Ok(Json(
        calendar::change_day(&state, &caller, &day, change.into()).await?,
    ))
}

/// `DELETE /api/v1/calendar/days/{date}`: the default applies to the day again.
#[utoipa::path(
    delete,
    path = "/api/v1/calendar/days/{date}",
    tag = "Calendar",
    operation_id = "delete_api_v1_calendar_days_date",
    summary = "Remove the deployment's change on a day.",
    params(
        ("date" = jiff::civil::Date, Path),
    ),
    responses(
        (status = 204, description = "Removed"),
    ),
)]
pub async fn clear_day(
    State(state): State<AppState>,
    caller: Caller,
    Path(day): Path<String>,
) -> Result<axum::http::StatusCode, ApiError> {
    calendar::remove_day(&state, &caller, &day).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
