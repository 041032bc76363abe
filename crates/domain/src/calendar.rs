//! Cut-off windows and deadlines of a period under a regime's rules (Decree 09/2019).
//!
//! A period's data covers its cut-off window, which by Article 12 ends before the calendar
//! period does (a monthly report covers the 15th of the previous month to the 14th of its own
//! month), so reports can be compiled upward in time. Frequencies the decree does not cover
//! (daily, weekly) use the calendar period. The deadline is computed from the period by the
//! regime's rule; a deadline before the window ends is refused at authoring time.

use jiff::civil::{Date, Time, date};
use serde::Serialize;

use crate::holidays::HolidayCalendar;

use crate::period::{Frequency, PeriodId};
use crate::regime::{CutoffRule, DeadlineRule};

/// The first and last day whose events a period's data covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CutoffWindow {
    pub start: Date,
    pub end: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error(
        "the deadline ({deadline}) falls before the cut-off window ends ({cutoff_end}) for period {period}"
    )]
    DeadlineBeforeCutoff {
        period: String,
        deadline: Date,
        cutoff_end: Date,
    },
    #[error("period {period} is {actual}, but the regime is reported {expected}")]
    FrequencyMismatch {
        period: String,
        expected: Frequency,
        actual: Frequency,
    },
}

/// The 14th of a month: where Article 12's windows end.
fn fourteenth(year: i16, month: i8) -> Date {
    date(year, month, 14)
}

/// The 15th of the month before: where Article 12's windows start.
fn fifteenth_of_month_before(year: i16, month: i8) -> Date {
    if month == 1 {
        date(year - 1, 12, 15)
    } else {
        date(year, month - 1, 15)
    }
}

/// The cut-off window of `period` under `rule`.
pub fn cutoff_window(rule: &CutoffRule, period: PeriodId) -> CutoffWindow {
    let calendar = CutoffWindow {
        start: period.start(),
        end: period.end(),
    };
    let CutoffRule::Decree09 = rule else {
        return calendar;
    };
    let year = period.year();
    let first_month = period.start().month();
    let last_month = period.end().month();
    match period.frequency() {
        // An ad hoc report's dates are its window.
        Frequency::Daily | Frequency::Weekly | Frequency::Dated => calendar,
        // Every other window runs from the 15th of the month before the period's first month
        // to the 14th of its last month: monthly, quarterly, both halves, nine months, the year.
        Frequency::Monthly
        | Frequency::Quarterly
        | Frequency::SixMonthly
        | Frequency::NineMonthly
        | Frequency::Yearly => CutoffWindow {
            start: fifteenth_of_month_before(year, first_month),
            end: fourteenth(year, last_month),
        },
    }
}

/// The date a report of `period` is due under `rule`, the regime's cut-off rule (for rules
/// counted from the window's end; the calendar period where there is none) and the working
/// days of `holidays`. A day past the end of a short month falls on that month's last day (day 31
/// of a February deadline is 28 or 29 February).
pub fn deadline(
    rule: &DeadlineRule,
    cutoff: Option<&CutoffRule>,
    period: PeriodId,
    holidays: &HolidayCalendar,
) -> Date {
    match rule {
        DeadlineRule::DaysAfterCutoff { days, working_days } => {
            let end = cutoff.map_or(period.end(), |c| cutoff_window(c, period).end);
            if *working_days {
                holidays.working_days_after(end, *days)
            } else {
                end.checked_add(jiff::Span::new().days(i64::from(*days)))
                    .unwrap_or(end)
            }
        }
        DeadlineRule::FixedDate {
            month,
            day,
            years_after_period_end,
        } => {
            let year = period.end().year() + i16::from(*years_after_period_end);
            Date::new(year, *month as i8, *day as i8)
                .unwrap_or_else(|_| date(year, *month as i8, 1).last_of_month())
        }
        DeadlineRule::DayOfMonth {
            day,
            months_after_period_end,
        } => {
            let last_month = period.end().first_of_month();
            let month = last_month
                .checked_add(jiff::Span::new().months(i64::from(*months_after_period_end)))
                .unwrap_or(last_month);
            let day = (*day).clamp(1, 31) as i8;
            let last_day = month.last_of_month().day();
            date(month.year(), month.month(), day.min(last_day))
        }
    }
}

/// Checks that a regime's deadline leaves the window time to close, on a sample of periods
/// of its frequency (one year of them, which covers every month a rule can land in). Working
/// days are counted on Vietnam's default calendar: a deployment's extra days off only move a
/// deadline later, so they cannot make it fall before the window's end.
pub fn check_deadline(
    frequency: Frequency,
    cutoff: &CutoffRule,
    rule: &DeadlineRule,
    sample_year: i16,
) -> Result<(), CalendarError> {
    let mut period = PeriodId::containing(frequency, date(sample_year, 1, 1));
    for _ in 0..periods_per_year(frequency) {
        let window = cutoff_window(cutoff, period);
        let due = deadline(rule, Some(cutoff), period, HolidayCalendar::vietnam());
        if due < window.end {
            return Err(CalendarError::DeadlineBeforeCutoff {
                period: period.to_string(),
                deadline: due,
                cutoff_end: window.end,
            });
        }
        period = period.next();
    }
    Ok(())
}

fn periods_per_year(frequency: Frequency) -> usize {
    match frequency {
        Frequency::Daily => 366,
        Frequency::Weekly => 53,
        Frequency::Monthly => 12,
        Frequency::Quarterly => 4,
        Frequency::SixMonthly => 2,
        Frequency::NineMonthly | Frequency::Yearly | Frequency::Dated => 1,
    }
}

/// The legal calendar's time zone: Vietnam, UTC+7 (no daylight saving).
pub fn legal_time_zone() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::fixed(jiff::tz::Offset::constant(7))
}

/// When a report falls due: a day and, if the regime sets one, a time of day in the legal
/// calendar. Without a time the whole day counts: a report is on time until midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Due {
    pub day: Date,
    pub time: Option<Time>,
}

impl Due {
    pub fn on(day: Date) -> Self {
        Self { day, time: None }
    }

    /// The first moment a report is late: a second after the deadline's time (so one sent at
    /// 17:00:00 for a 17:00 deadline is on time, one sent at 17:01 is not), or the midnight
    /// that ends the deadline day.
    pub fn late_from(&self) -> Option<jiff::Timestamp> {
        let zone = legal_time_zone();
        match self.time {
            Some(time) => self
                .day
                .to_datetime(time)
                .to_zoned(zone)
                .ok()
                .and_then(|zoned| zoned.checked_add(jiff::Span::new().seconds(1)).ok())
                .map(|zoned| zoned.timestamp()),
            None => self
                .day
                .tomorrow()
                .ok()
                .and_then(|next| next.to_zoned(zone).ok())
                .map(|zoned| zoned.timestamp()),
        }
    }

    /// Whether a report that arrived at `at` missed this deadline.
    pub fn is_late(&self, at: jiff::Timestamp) -> bool {
        self.late_from().is_some_and(|late| at >= late)
    }
}

impl std::fmt::Display for Due {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.time {
            Some(time) => write!(f, "{} {}", self.day, time.strftime("%H:%M")),
            None => write!(f, "{}", self.day),
        }
    }
}

/// Whether a report that arrived at `at` missed a deadline that lasts the whole of `deadline`.
pub fn is_late(deadline: Date, at: jiff::Timestamp) -> bool {
    Due::on(deadline).is_late(at)
}

/// Checks that `period` is of the regime's frequency.
pub fn check_frequency(expected: Frequency, period: PeriodId) -> Result<(), CalendarError> {
    if period.frequency() == expected {
        Ok(())
    } else {
        Err(CalendarError::FrequencyMismatch {
            period: period.to_string(),
            expected,
            actual: period.frequency(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(text: &str) -> (Date, Date) {
        let w = cutoff_window(&CutoffRule::Decree09, PeriodId::parse(text).unwrap());
        (w.start, w.end)
    }

    #[test]
    fn article_12_windows_across_year_boundaries() {
        assert_eq!(window("202611"), (date(2026, 10, 15), date(2026, 11, 14)));
        assert_eq!(window("202601"), (date(2025, 12, 15), date(2026, 1, 14)));
        assert_eq!(window("202603"), (date(2026, 2, 15), date(2026, 3, 14)));
        assert_eq!(window("2026Q1"), (date(2025, 12, 15), date(2026, 3, 14)));
        assert_eq!(window("2026Q4"), (date(2026, 9, 15), date(2026, 12, 14)));
        assert_eq!(window("2026S1"), (date(2025, 12, 15), date(2026, 6, 14)));
        assert_eq!(window("2026S2"), (date(2026, 6, 15), date(2026, 12, 14)));
        assert_eq!(window("2026N9"), (date(2025, 12, 15), date(2026, 9, 14)));
        assert_eq!(window("2026"), (date(2025, 12, 15), date(2026, 12, 14)));
    }

    #[test]
    fn weeks_days_and_calendar_rules_use_the_calendar_period() {
        assert_eq!(window("2026W1"), (date(2025, 12, 29), date(2026, 1, 4)));
        assert_eq!(window("20240229"), (date(2024, 2, 29), date(2024, 2, 29)));
        let calendar = cutoff_window(&CutoffRule::Calendar, PeriodId::parse("202402").unwrap());
        assert_eq!(
            (calendar.start, calendar.end),
            (date(2024, 2, 1), date(2024, 2, 29))
        );
    }

    fn due(day: u8, months_after_period_end: u8, period: &str) -> Date {
        deadline(
            &DeadlineRule::DayOfMonth {
                day,
                months_after_period_end,
            },
            None,
            PeriodId::parse(period).unwrap(),
            HolidayCalendar::vietnam(),
        )
    }

    #[test]
    fn deadlines_counted_from_the_cutoff_end_or_on_a_fixed_day() {
        let after = |days, working_days, period: &str| {
            deadline(
                &DeadlineRule::DaysAfterCutoff { days, working_days },
                Some(&CutoffRule::Decree09),
                PeriodId::parse(period).unwrap(),
                HolidayCalendar::vietnam(),
            )
        };
        // November 2026's window ends Saturday the 14th: 5 days later is the 19th; 2 working
        // days later is Tuesday the 17th.
        assert_eq!(after(5, false, "202611"), date(2026, 11, 19));
        assert_eq!(after(2, true, "202611"), date(2026, 11, 17));
        // January 2026's window ends the 14th (Wednesday); 2 working days: Friday the 16th.
        assert_eq!(after(2, true, "202601"), date(2026, 1, 16));
        // February 2026's window ends the 14th, a Saturday; Tết runs from the 16th to the
        // 20th: the first working day after is Monday the 23rd.
        assert_eq!(after(1, true, "202602"), date(2026, 2, 23));
        let fixed = DeadlineRule::FixedDate {
            month: 1,
            day: 15,
            years_after_period_end: 1,
        };
        assert_eq!(
            deadline(
                &fixed,
                None,
                PeriodId::parse("2026").unwrap(),
                HolidayCalendar::vietnam()
            ),
            date(2027, 1, 15)
        );
        assert!(check_deadline(Frequency::Yearly, &CutoffRule::Decree09, &fixed, 2026).is_ok());
    }

    #[test]
    fn deadlines_count_from_the_periods_last_month() {
        assert_eq!(due(20, 0, "202611"), date(2026, 11, 20));
        assert_eq!(due(20, 0, "2026Q4"), date(2026, 12, 20));
        assert_eq!(due(15, 1, "2026"), date(2027, 1, 15));
        assert_eq!(
            due(31, 0, "202402"),
            date(2024, 2, 29),
            "a short month ends the deadline early"
        );
        assert_eq!(due(31, 0, "202502"), date(2025, 2, 28));
    }

    #[test]
    fn a_deadline_before_the_cutoff_end_is_refused() {
        let rule = DeadlineRule::DayOfMonth {
            day: 10,
            months_after_period_end: 0,
        };
        assert!(matches!(
            check_deadline(Frequency::Monthly, &CutoffRule::Decree09, &rule, 2026),
            Err(CalendarError::DeadlineBeforeCutoff { .. })
        ));
        let rule = DeadlineRule::DayOfMonth {
            day: 20,
            months_after_period_end: 0,
        };
        assert!(check_deadline(Frequency::Monthly, &CutoffRule::Decree09, &rule, 2026).is_ok());
        // Under calendar windows day 20 of the same month is too early.
        assert!(check_deadline(Frequency::Monthly, &CutoffRule::Calendar, &rule, 2026).is_err());
    }

    #[test]
    fn a_report_is_on_time_until_the_end_of_the_deadline_day_in_vietnam() {
        let at = |text: &str| text.parse::<jiff::Timestamp>().unwrap();
        let due = date(2026, 11, 20);
        assert!(
            !is_late(due, at("2026-11-20T16:59:59Z")),
            "23:59:59 in Hà Nội"
        );
        assert!(is_late(due, at("2026-11-20T17:00:00Z")), "one second later");
        assert!(
            is_late(due, at("2026-11-20T17:01:00Z")),
            "a minute after the deadline"
        );
    }

    #[test]
    fn a_period_of_another_frequency_is_refused() {
        assert!(check_frequency(Frequency::Monthly, PeriodId::parse("202611").unwrap()).is_ok());
        assert!(matches!(
            check_frequency(Frequency::Monthly, PeriodId::parse("2026Q4").unwrap()),
            Err(CalendarError::FrequencyMismatch { .. })
        ));
    }

    #[test]
    fn a_deadline_with_a_time_of_day_is_missed_a_second_after_it() {
        let due = Due {
            day: date(2026, 11, 18),
            time: Some(Time::constant(17, 0, 0, 0)),
        };
        let at = |text: &str| text.parse::<jiff::Timestamp>().unwrap();
        // 17:00 in Vietnam is 10:00 UTC.
        assert!(!due.is_late(at("2026-11-18T10:00:00Z")));
        assert!(due.is_late(at("2026-11-18T10:01:00Z")));
        assert!(due.is_late(at("2026-11-18T10:00:01Z")));
        let whole_day = Due::on(date(2026, 11, 18));
        assert!(!whole_day.is_late(at("2026-11-18T16:59:59Z")));
        assert!(whole_day.is_late(at("2026-11-18T17:00:00Z")));
        assert_eq!(due.to_string(), "2026-11-18 17:00");
        assert_eq!(whole_day.to_string(), "2026-11-18");
        let time: Time = serde_json::from_str("\"17:00\"").unwrap();
        assert_eq!(time, Time::constant(17, 0, 0, 0));
    }
}
