//! Reporting calendars: an agency's schedule of expected reports with their windows,
//! deadlines (on the deployment's holiday calendar) and status now; and that holiday calendar
//! itself — the law's days off, compensatory days and the deployment's changes.

use std::sync::Arc;

use baocao_domain::Date;
use baocao_domain::calendar::{Due, cutoff_window, deadline};
use baocao_domain::compliance::SlotStatus;
use baocao_domain::holidays::{CalendarOverride, DayKind, DayName, HolidayCalendar};
use baocao_domain::period::PeriodId;
use baocao_domain::permission::Action;
use baocao_domain::regime::{Regime, RegimeContent, RegimeStatus};
use baocao_store::StoreError;
use serde::Serialize;

use crate::catalogue::{self, CatalogueError};
use crate::compliance::expected_reports;
use crate::{Caller, Context};

/// The longest range one schedule may span.
pub const MAX_DAYS: i64 = 366;
/// How far back the default calendar looks for reports still overdue (with the 92 days
/// ahead, within [`MAX_DAYS`]).
const OVERDUE_LOOK_BACK_DAYS: i64 = 270;
/// A safety stop when walking periods (a daily regime over a year is 366).
const MAX_PERIODS: usize = 800;

#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error("forbidden")]
    Forbidden,
    /// A schedule's bound (`from` or `to`) that is not a day.
    #[error("parameter {name} is not a date: {text:?}")]
    InvalidBound { name: &'static str, text: String },
    #[error("the range is reversed or longer than {0} days")]
    InvalidRange(i64),
    #[error("year {0} is outside 1900–2100")]
    InvalidYear(usize),
    #[error("not a day: {0:?}")]
    InvalidDay(String),
    /// No change of the deployment's on that day.
    #[error("no calendar change on {0}")]
    NoChange(Date),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CalendarError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Catalogue(error) => error.code(),
            Self::Forbidden => "forbidden",
            Self::InvalidBound { .. } | Self::InvalidDay(_) => "invalid_date",
            Self::InvalidRange(_) => "invalid_range",
            Self::InvalidYear(_) => "invalid_year",
            Self::NoChange(_) => "not_found",
            Self::Store(_) => "store",
        }
    }
}

fn parse_day(text: &str, name: &'static str) -> Result<Date, CalendarError> {
    text.parse().map_err(|_| CalendarError::InvalidBound {
        name,
        text: text.to_string(),
    })
}

fn calendar_day(text: &str) -> Result<Date, CalendarError> {
    text.parse()
        .map_err(|_| CalendarError::InvalidDay(text.to_string()))
}

/// A change to a day of the calendar.
#[derive(Debug, Clone)]
pub struct DayChange {
    pub kind: DayKind,
    pub name_vi: String,
    pub name_en: String,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduleAnswer {
    pub agency: String,
    pub from: Date,
    pub to: Date,
    pub items: Vec<ScheduleItem>,
}

/// An agency's reporting calendar (default: the caller's own) from `from` (default: 31 days
/// ago — and with `overdue_too`, earlier for any report still overdue or returned within 270
/// days) to `to` (default: 92 days ahead): for every published regime assigned to it, each
/// period whose cut-off window opens by `to` and whose deadline is not before `from`.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username))]
pub async fn schedule(
    state: &Context,
    caller: &Caller,
    agency: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    overdue_too: bool,
) -> Result<ScheduleAnswer, CalendarError> {
    let today = state.today();
    let agency = match agency.filter(|a| !a.is_empty()) {
        Some(code) => catalogue::agency_code(code)?,
        None => caller.principal.agency.clone(),
    };
    let lineage = state.store.lineage(&agency, today).await?;
    if !crate::scope::analytics_scope(state, caller)
        .await?
        .covers(&lineage)
    {
        return Err(CalendarError::Forbidden);
    }
    let days = |n: i64| jiff::Span::new().days(n);
    let recent = today.checked_sub(days(31)).unwrap_or(today);
    // Unasked, the calendar reaches back far enough that a report still overdue (or returned)
    // from months ago is on it: forgotten work is shown, the rest of the past is not.
    let looking_back = overdue_too && from.filter(|t| !t.is_empty()).is_none();
    let from = match from.filter(|t| !t.is_empty()) {
        Some(text) => parse_day(text, "from")?,
        None if looking_back => today
            .checked_sub(days(OVERDUE_LOOK_BACK_DAYS))
            .unwrap_or(today),
        None => recent,
    };
    let to = match to.filter(|t| !t.is_empty()) {
        Some(text) => parse_day(text, "to")?,
        None => today.checked_add(days(92)).unwrap_or(today),
    };
    if to < from || (to - from).get_days() as i64 > MAX_DAYS {
        return Err(CalendarError::InvalidRange(MAX_DAYS));
    }
    let holidays = holiday_calendar(state).await?;
    let now = state.clock.now();
    let mut items = Vec::new();
    for code in state.store.regimes_assigned_to(&agency).await? {
        let Some(regime) = state.store.regime(&catalogue::regime_code(&code)?).await? else {
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
    if looking_back {
        items.retain(|item| {
            item.deadline >= recent
                || matches!(item.status, SlotStatus::Overdue | SlotStatus::Returned)
        });
    }
    let from = if looking_back {
        items
            .iter()
            .map(|item| item.deadline)
            .min()
            .map_or(recent, |earliest| earliest.min(recent))
    } else {
        from
    };
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
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayOff {
    pub date: Date,
    pub name_vi: String,
    pub name_en: String,
    /// Set by this deployment rather than by the law's default.
    pub configured: bool,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HolidaysAnswer {
    pub year: i16,
    pub holidays: Vec<DayOff>,
    /// Saturdays and Sundays made working days (worked in exchange for a bridge day).
    pub working_weekend_days: Vec<Date>,
    /// Every change this deployment made to the default, in that year.
    pub changes: Vec<CalendarOverride>,
}

/// The deployment's holiday calendar (the law's days with its changes), built once per
/// change of the calendar: kept under the calendar's counter, read with the others.
pub async fn holiday_calendar(state: &Context) -> Result<Arc<HolidayCalendar>, StoreError> {
    let generations = state.store.generations(&[]).await?;
    holiday_calendar_under(state, generations.calendar).await
}

/// [`holiday_calendar`] under a calendar counter the caller has already read.
pub async fn holiday_calendar_under(
    state: &Context,
    generation: i64,
) -> Result<Arc<HolidayCalendar>, StoreError> {
    if let Some(kept) = state.aggregates.holidays(generation) {
        return Ok(kept);
    }
    let calendar = Arc::new(state.store.holiday_calendar().await?);
    state.aggregates.keep_holidays(generation, calendar.clone());
    Ok(calendar)
}

/// The days off of `year` (default: this year).
pub async fn holidays_of(
    state: &Context,
    year: Option<usize>,
) -> Result<HolidaysAnswer, CalendarError> {
    let year = match year {
        None => state.today().year(),
        Some(year) if (1900..=2100).contains(&year) => year as i16,
        Some(year) => {
            return Err(CalendarError::InvalidYear(year));
        }
    };
    let changes: Vec<CalendarOverride> = state
        .store
        .calendar_overrides()
        .await?
        .into_iter()
        .filter(|c| c.day.year() == year)
        .collect();
    let calendar = HolidayCalendar::vietnam().with_overrides(&changes);
    let holidays = calendar
        .holidays_in(year)
        .map(|(date, name)| DayOff {
            date,
            name_vi: name.vi.clone(),
            name_en: name.en.clone(),
            configured: changes.iter().any(|c| c.day == date),
        })
        .collect();
    Ok(HolidaysAnswer {
        year,
        holidays,
        working_weekend_days: calendar.working_weekend_days_in(year).collect(),
        changes,
    })
}

/// Makes a day a holiday (a bridge day) or a working day (a Saturday worked in exchange) —
/// regime managers and administrators, since it moves deadlines counted in working days.
/// Names left empty take the kind's default.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, day))]
pub async fn change_day(
    state: &Context,
    caller: &Caller,
    day: &str,
    change: DayChange,
) -> Result<CalendarOverride, CalendarError> {
    if !caller.may(Action::AuthorRegimes) {
        return Err(CalendarError::Forbidden);
    }
    let day = calendar_day(day)?;
    let (default_vi, default_en) = match change.kind {
        DayKind::Holiday => ("Ngày nghỉ", "Day off"),
        DayKind::WorkingDay => ("Ngày làm việc", "Working day"),
    };
    let name = |given: String, default: &str| {
        let given = given.trim().to_string();
        if given.is_empty() {
            default.to_string()
        } else {
            given
        }
    };
    let change = CalendarOverride {
        day,
        kind: change.kind,
        name: DayName {
            vi: name(change.name_vi, default_vi),
            en: name(change.name_en, default_en),
        },
    };
    state
        .store
        .set_calendar_day(
            &change,
            caller.principal.username.as_str(),
            &caller.provenance(&state.now_text()),
        )
        .await?;
    Ok(change)
}

/// The default applies to the day again.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, day))]
pub async fn remove_day(state: &Context, caller: &Caller, day: &str) -> Result<(), CalendarError> {
    if !caller.may(Action::AuthorRegimes) {
        return Err(CalendarError::Forbidden);
    }
    let day = calendar_day(day)?;
    if state
        .store
        .clear_calendar_day(day, &caller.provenance(&state.now_text()))
        .await?
    {
        Ok(())
    } else {
        Err(CalendarError::NoChange(day))
    }
}
