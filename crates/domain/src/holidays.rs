//! Working days: weekends and public holidays, for deadlines counted in working days ("2
//! working days after the cut-off end").
//!
//! The Vietnamese default follows the Labour Code 2019, Article 112: New Year's Day; Tết, the
//! lunar new year (the last day of the old year and the first four of the new); the Hùng Kings'
//! day (the 10th of the third lunar month); 30 April; 1 May; National Day, 2 September, and
//! the day after it. A holiday that falls on a Saturday or Sunday gives a compensatory day off
//! on the next working day (Article 112, clause 3). Lunar dates have no closed form, so the
//! default carries them as a table of solar dates for 2020–2035 (Hùng Kings' day for
//! 2020–2030).
//!
//! Each year the Government moves days (a bridge day off, a Saturday worked in exchange), so a
//! deployment configures its calendar as [`CalendarOverride`]s on top of the default: a day
//! made a holiday, or a weekend day made a working day. The store keeps them; the domain only
//! applies them ([`HolidayCalendar::with_overrides`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use jiff::civil::{Date, Weekday, date};
use serde::{Deserialize, Serialize};

/// Lunar New Year's Day (mùng 1 Tết), 2020–2035.
const TET: [(i16, i8, i8); 16] = [
    (2020, 1, 25),
    (2021, 2, 12),
    (2022, 2, 1),
    (2023, 1, 22),
    (2024, 2, 10),
    (2025, 1, 29),
    (2026, 2, 17),
    (2027, 2, 6),
    (2028, 1, 26),
    (2029, 2, 13),
    (2030, 2, 3),
    (2031, 1, 23),
    (2032, 2, 11),
    (2033, 1, 31),
    (2034, 2, 19),
    (2035, 2, 8),
];

/// The Hùng Kings' commemoration (10/3 lunar), 2020–2030.
const HUNG_KINGS: [(i16, i8, i8); 11] = [
    (2020, 4, 2),
    (2021, 4, 21),
    (2022, 4, 10),
    (2023, 4, 29),
    (2024, 4, 18),
    (2025, 4, 7),
    (2026, 4, 26),
    (2027, 4, 16),
    (2028, 4, 4),
    (2029, 4, 23),
    (2030, 4, 12),
];

/// What a day off is called, in Vietnamese and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayName {
    pub vi: String,
    pub en: String,
}

impl DayName {
    fn new(vi: &str, en: &str) -> Self {
        Self {
            vi: vi.to_string(),
            en: en.to_string(),
        }
    }
}

/// How a deployment changes the default calendar on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DayKind {
    /// A day off (a bridge day, a holiday the default lacks).
    Holiday,
    /// A working day, even on a weekend (a Saturday worked in exchange for a bridge day) or on
    /// a default holiday the Government moved.
    WorkingDay,
}

/// One configured day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarOverride {
    pub day: Date,
    pub kind: DayKind,
    pub name: DayName,
}

/// Public holidays and working weekend days; other Saturdays and Sundays are days off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayCalendar {
    holidays: BTreeMap<Date, DayName>,
    working_weekend_days: BTreeSet<Date>,
}

fn is_weekend(day: Date) -> bool {
    matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
}

impl HolidayCalendar {
    /// A calendar of the given holidays, unnamed, with no compensatory days.
    pub fn new(holidays: impl IntoIterator<Item = Date>) -> Self {
        Self {
            holidays: holidays
                .into_iter()
                .map(|day| (day, DayName::new("Ngày nghỉ", "Day off")))
                .collect(),
            working_weekend_days: BTreeSet::new(),
        }
    }

    /// Vietnam's public holidays with their compensatory days (see the module docs), shared.
    pub fn vietnam() -> &'static HolidayCalendar {
        static VIETNAM: OnceLock<HolidayCalendar> = OnceLock::new();
        VIETNAM.get_or_init(|| {
            let mut holidays = BTreeMap::new();
            for year in 2020..=2035 {
                for (month, day, vi, en) in [
                    (1, 1, "Tết Dương lịch", "New Year's Day"),
                    (4, 30, "Ngày Chiến thắng", "Reunification Day"),
                    (5, 1, "Ngày Quốc tế lao động", "International Workers' Day"),
                    (9, 2, "Quốc khánh", "National Day"),
                    (
                        9,
                        3,
                        "Quốc khánh (ngày liền kề)",
                        "National Day (second day)",
                    ),
                ] {
                    holidays.insert(date(year, month, day), DayName::new(vi, en));
                }
            }
            for (year, month, day) in TET {
                let new_year = date(year, month, day);
                for offset in -1..=3 {
                    if let Ok(day) = new_year.checked_add(jiff::Span::new().days(offset)) {
                        holidays.insert(day, DayName::new("Tết Nguyên đán", "Lunar New Year"));
                    }
                }
            }
            for (year, month, day) in HUNG_KINGS {
                holidays.insert(
                    date(year, month, day),
                    DayName::new("Giỗ Tổ Hùng Vương", "Hùng Kings' Commemoration"),
                );
            }
            let mut calendar = HolidayCalendar {
                holidays,
                working_weekend_days: BTreeSet::new(),
            };
            calendar.add_compensatory_days();
            calendar
        })
    }

    /// Gives every holiday on a weekend a day off on the next day that is neither a weekend
    /// nor already a holiday (so two weekend holidays in a row give two days).
    fn add_compensatory_days(&mut self) {
        let on_weekends: Vec<Date> = self
            .holidays
            .keys()
            .copied()
            .filter(|day| is_weekend(*day))
            .collect();
        for holiday in on_weekends {
            let mut day = holiday;
            loop {
                day = day.tomorrow().unwrap_or(day);
                if !is_weekend(day) && !self.holidays.contains_key(&day) {
                    break;
                }
            }
            self.holidays
                .insert(day, DayName::new("Nghỉ bù", "Compensatory day off"));
        }
    }

    /// This calendar with a deployment's changes applied.
    pub fn with_overrides<'a>(
        &self,
        overrides: impl IntoIterator<Item = &'a CalendarOverride>,
    ) -> HolidayCalendar {
        let mut calendar = self.clone();
        for item in overrides {
            match item.kind {
                DayKind::Holiday => {
                    calendar.working_weekend_days.remove(&item.day);
                    calendar.holidays.insert(item.day, item.name.clone());
                }
                DayKind::WorkingDay => {
                    calendar.holidays.remove(&item.day);
                    if is_weekend(item.day) {
                        calendar.working_weekend_days.insert(item.day);
                    }
                }
            }
        }
        calendar
    }

    pub fn is_holiday(&self, day: Date) -> bool {
        self.holidays.contains_key(&day)
    }

    pub fn is_working_day(&self, day: Date) -> bool {
        if self.working_weekend_days.contains(&day) {
            return true;
        }
        !is_weekend(day) && !self.is_holiday(day)
    }

    /// The holidays of a year, in order, with their names.
    pub fn holidays_in(&self, year: i16) -> impl Iterator<Item = (Date, &DayName)> {
        self.holidays
            .range(date(year, 1, 1)..=date(year, 12, 31))
            .map(|(day, name)| (*day, name))
    }

    /// The weekend days of a year that are working days.
    pub fn working_weekend_days_in(&self, year: i16) -> impl Iterator<Item = Date> + '_ {
        self.working_weekend_days
            .range(date(year, 1, 1)..=date(year, 12, 31))
            .copied()
    }

    /// The `n`th working day after `from` (`from` itself not counted).
    pub fn working_days_after(&self, from: Date, n: u16) -> Date {
        let mut day = from;
        let mut left = n;
        while left > 0 {
            day = day.tomorrow().unwrap_or(day);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tet_and_national_day_are_holidays() {
        let vietnam = HolidayCalendar::vietnam();
        for day in [
            date(2026, 2, 16),
            date(2026, 2, 17),
            date(2026, 2, 20),
            date(2026, 9, 2),
            date(2026, 4, 30),
            date(2026, 4, 26),
        ] {
            assert!(vietnam.is_holiday(day), "{day}");
        }
        assert!(!vietnam.is_holiday(date(2026, 2, 21)));
        assert!(!vietnam.is_working_day(date(2026, 11, 28)), "a Saturday");
        assert!(vietnam.is_working_day(date(2026, 11, 27)));
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let vietnam = HolidayCalendar::vietnam();
        // Friday 27 November 2026 + 2 working days = Tuesday 1 December.
        assert_eq!(
            vietnam.working_days_after(date(2026, 11, 27), 2),
            date(2026, 12, 1)
        );
        // Friday 13 February 2026, then Tết from the 16th to the 20th: the next working day
        // is Monday 23 February.
        assert_eq!(
            vietnam.working_days_after(date(2026, 2, 13), 1),
            date(2026, 2, 23)
        );
        assert_eq!(
            vietnam.working_days_after(date(2026, 2, 13), 0),
            date(2026, 2, 13)
        );
        let none = HolidayCalendar::default();
        assert_eq!(
            none.working_days_after(date(2026, 2, 13), 1),
            date(2026, 2, 16)
        );
    }

    #[test]
    fn a_holiday_on_a_weekend_gives_the_next_working_day_off() {
        let vietnam = HolidayCalendar::vietnam();
        // Hùng Kings' day 2026 is Sunday 26 April: Monday 27 April is off.
        assert!(vietnam.is_holiday(date(2026, 4, 27)));
        // 2 and 3 September 2028 are Saturday and Sunday: Monday 4 and Tuesday 5 are off.
        assert!(vietnam.is_holiday(date(2028, 9, 4)));
        assert!(vietnam.is_holiday(date(2028, 9, 5)));
        assert!(vietnam.is_working_day(date(2028, 9, 6)));
        // 1 January 2026 is a Thursday: nothing to compensate.
        assert!(vietnam.is_working_day(date(2026, 1, 2)));
    }

    #[test]
    fn a_deployment_moves_days_off_and_working_saturdays() {
        let vietnam = HolidayCalendar::vietnam();
        let moved = vietnam.with_overrides(&[
            CalendarOverride {
                day: date(2026, 1, 2),
                kind: DayKind::Holiday,
                name: DayName::new("Nghỉ hoán đổi", "Bridge day"),
            },
            CalendarOverride {
                day: date(2026, 1, 10),
                kind: DayKind::WorkingDay,
                name: DayName::new("Làm bù", "Worked in exchange"),
            },
        ]);
        assert!(!moved.is_working_day(date(2026, 1, 2)));
        assert!(moved.is_working_day(date(2026, 1, 10)), "a Saturday worked");
        // Wednesday 31 December 2025 + 2 working days: 1 and 2 January are off, 3 and 4 are
        // the weekend: Monday 5 and Tuesday 6 — the default says Friday 2 and Monday 5.
        assert_eq!(
            vietnam.working_days_after(date(2025, 12, 31), 2),
            date(2026, 1, 5)
        );
        assert_eq!(
            moved.working_days_after(date(2025, 12, 31), 2),
            date(2026, 1, 6)
        );
        let names: Vec<&str> = moved
            .holidays_in(2026)
            .take(2)
            .map(|(_, name)| name.vi.as_str())
            .collect();
        assert_eq!(names, ["Tết Dương lịch", "Nghỉ hoán đổi"]);
        assert_eq!(
            moved.working_weekend_days_in(2026).collect::<Vec<_>>(),
            [date(2026, 1, 10)]
        );
    }
}
