//! `GET /api/v1/schedule?agency=&from=&to=`: an agency's reporting calendar. For every
//! published regime assigned to it, each period whose cut-off window opens by `to` and whose
//! deadline is not before `from`: the open date, the cut-off window, the deadline (on the
//! deployment's holiday calendar, with its time of day), what happens after it, and where the
//! report stands now. What is expected comes from the history of assignments, as compliance
//! does ([`baocao_service::compliance::expected_reports`]).

use axum::Json;
use axum::extract::State;
use baocao_domain::Date;
use baocao_domain::calendar::{Due, cutoff_window, deadline};
use baocao_domain::compliance::SlotStatus;
use baocao_domain::holidays::HolidayCalendar;
use baocao_domain::period::PeriodId;
use baocao_domain::permission::Action;
use baocao_domain::regime::{Regime, RegimeContent, RegimeStatus};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::{ApiQuery, Caller};
use crate::error::ApiError;
use crate::extract::{agency_code, regime_code};
use baocao_service::compliance::expected_reports;

/// The longest range one schedule may span.
const MAX_DAYS: i64 = 366;
/// A safety stop when walking periods (a daily regime over a year is 366).
const MAX_PERIODS: usize = 800;

#[derive(Deserialize, Default)]
pub struct ScheduleQuery {
    /// The reporting agency (default: the caller's own).
    pub(crate) agency: Option<String>,
    /// First day of the range (default: 31 days before today).
    pub(crate) from: Option<String>,
    /// Last day of the range (default: 92 days after today).
    pub(crate) to: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ScheduleItem {
    pub regime: String,
    pub regime_name: Option<String>,
    pub period: String,
    pub opens: Date,
    pub cutoff_start: Date,
    pub cutoff_end: Date,
    pub deadline: Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_time: Option<String>,
    /// The first moment a report is late (RFC 3339, UTC).
    pub late_from: Option<jiff::Timestamp>,
    /// Whether a report may still be sent after the deadline (it is then marked late).
    pub late_accepted: bool,
    /// The last day the report can be edited or sent, if the regime locks it.
    pub locks_after: Option<Date>,
    pub status: SlotStatus,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ScheduleAnswer {
    pub agency: String,
    pub from: Date,
    pub to: Date,
    pub items: Vec<ScheduleItem>,
}

#[utoipa::path(
    get,
    path = "/api/v1/schedule",
    tag = "Compliance",
    operation_id = "get_api_v1_schedule",
    summary = "An agency's reporting calendar: every expected report with its open date, cut-off window, deadline and status now.",
    params(
        ("agency" = Option<String>, Query, pattern = r"^([^\s?#/\x00-\x1f\x7f-\x9f]{1,64})?$", description = "An agency's code; empty or absent: the caller's own."),
        ("from" = Option<String>, Query, pattern = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$", description = "A day, YYYY-MM-DD; empty: the default. The range is at most 366 days."),
        ("to" = Option<String>, Query, pattern = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$", description = "A day, YYYY-MM-DD; empty: the default. The range is at most 366 days."),
    ),
    responses(
        (status = 200, description = "OK", body = ScheduleAnswer),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ScheduleQuery>,
) -> Result<Json<ScheduleAnswer>, ApiError> {
    Ok(Json(schedule(&state, &caller, &query).await?))
}

fn parse_day(text: &str, name: &str) -> Result<Date, ApiError> {
    text.parse().map_err(|_| {
        ApiError::bad_request(
            "invalid_date",
            format!("Tham số {name} phải là một ngày dạng YYYY-MM-DD, không phải {text:?}."),
            format!("Parameter {name} must be a date YYYY-MM-DD, not {text:?}."),
        )
    })
}

pub(crate) async fn schedule(
    state: &AppState,
    caller: &Caller,
    query: &ScheduleQuery,
) -> Result<ScheduleAnswer, ApiError> {
    let today = state.today();
    let agency = match query.agency.as_deref().filter(|a| !a.is_empty()) {
        Some(code) => agency_code(code)?,
        None => caller.principal.agency.clone(),
    };
    let lineage = state.store.lineage(&agency, today).await?;
    caller.require(Action::ReadAnalytics { agency: &lineage })?;
    let days = |n: i64| jiff::Span::new().days(n);
    let from = match query.from.as_deref().filter(|t| !t.is_empty()) {
        Some(text) => parse_day(text, "from")?,
        None => today.checked_sub(days(31)).unwrap_or(today),
    };
    let to = match query.to.as_deref().filter(|t| !t.is_empty()) {
        Some(text) => parse_day(text, "to")?,
        None => today.checked_add(days(92)).unwrap_or(today),
    };
    if to < from || (to - from).get_days() as i64 > MAX_DAYS {
        return Err(ApiError::bad_request(
            "invalid_range",
            format!("Khoảng ngày phải từ from đến to, dài tối đa {MAX_DAYS} ngày."),
            format!("The range must run from `from` to `to`, at most {MAX_DAYS} days."),
        ));
    }
    let holidays = state.store.holiday_calendar().await?;
    let now = state.clock.now();
    let mut items = Vec::new();
    for code in state.store.regimes_assigned_to(&agency).await? {
        let Some(regime) = state.store.regime(&regime_code(&code)?).await? else {
            continue;
        };
        if regime.status() != RegimeStatus::Published {
            continue;
        }
        let periods = periods_in_range(regime.content(), &holidays, from, to);
        if periods.is_empty() {
            continue;
        }
        let (expected, _) =
            expected_reports(state, &regime, &periods, Some(agency.as_str())).await?;
        items.extend(
            expected
                .iter()
                .map(|e| item(&regime, e.period, e.deadline, e.opens, e.status(now))),
        );
    }
    items.sort_by(|a, b| {
        (a.deadline, a.deadline_time.as_deref(), &a.regime, &a.period).cmp(&(
            b.deadline,
            b.deadline_time.as_deref(),
            &b.regime,
            &b.period,
        ))
    });
    Ok(ScheduleAnswer {
        agency: agency.to_string(),
        from,
        to,
        items,
    })
}

fn item(
    regime: &Regime,
    period: PeriodId,
    due: Due,
    opens: Date,
    status: SlotStatus,
) -> ScheduleItem {
    let content = regime.content();
    let window = content
        .cutoff
        .as_ref()
        .map(|c| cutoff_window(c, period))
        .unwrap_or(baocao_domain::calendar::CutoffWindow {
            start: period.start(),
            end: period.end(),
        });
    ScheduleItem {
        regime: regime.code().to_string(),
        regime_name: content.name.clone(),
        period: period.to_string(),
        opens,
        cutoff_start: window.start,
        cutoff_end: window.end,
        deadline: due.day,
        deadline_time: due.time.map(|t| t.strftime("%H:%M").to_string()),
        late_from: due.late_from(),
        late_accepted: content.after_deadline.late_accepted,
        locks_after: content.after_deadline.last_open_day(due.day),
        status,
    }
}

/// The periods of a regime whose window opens by `to` and whose deadline is not before
/// `from`. Deadlines never go back as periods advance, so the walk starts at the period that
/// contains `from`, steps back while deadlines still reach `from`, then forward until windows
/// open after `to`.
fn periods_in_range(
    content: &RegimeContent,
    holidays: &HolidayCalendar,
    from: Date,
    to: Date,
) -> Vec<PeriodId> {
    let (Some(frequency), Some(rule), Some(cutoff)) =
        (content.frequency, &content.deadline, &content.cutoff)
    else {
        return Vec::new();
    };
    let due = |p: PeriodId| deadline(rule, Some(cutoff), p, holidays);
    let mut first = PeriodId::containing(frequency, from);
    for _ in 0..MAX_PERIODS {
        let before = first.previous();
        if due(before) < from {
            break;
        }
        first = before;
    }
    let mut periods = Vec::new();
    let mut period = first;
    while periods.len() < MAX_PERIODS && cutoff_window(cutoff, period).start <= to {
        if due(period) >= from {
            periods.push(period);
        }
        period = period.next();
    }
    periods
}
