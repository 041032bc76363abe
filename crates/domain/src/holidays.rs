//! Working days: weekends and public holidays, for deadlines counted in working days ("2
//! working days after the cut-off end").
//!
//! The Vietnamese default follows the Labour Code 2019, Article 112: New Year's Day; Tết, the
//! lunar new year (the last day of the old year and the first four of the new); the Hùng Kings'
//! day (the 10th of the third lunar month); 30 April; 1 May; National Day, 2 September, and
//! the day after it. Lunar dates have no closed form, so the default carries them as a table of
//! solar dates for 2020–2035 (Hùng Kings' day for 2020–2030); a deployment configures its own
//! calendar (each year's government decision moves bridge days) with [`HolidayCalendar::new`].

use std::collections::BTreeSet;
use std::sync::OnceLock;

use jiff::civil::{Date, Weekday, date};

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

/// Public holidays; Saturdays and Sundays are never working days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayCalendar {
    holidays: BTreeSet<Date>,
}

impl HolidayCalendar {
    pub fn new(holidays: impl IntoIterator<Item = Date>) -> Self {
        Self {
            holidays: holidays.into_iter().collect(),
        }
    }

    /// Vietnam's public holidays (see the module docs), shared.
    pub fn vietnam() -> &'static HolidayCalendar {
        static VIETNAM: OnceLock<HolidayCalendar> = OnceLock::new();
        VIETNAM.get_or_init(|| {
            let mut days = Vec::new();
            for year in 2020..=2035 {
                for (month, day) in [(1, 1), (4, 30), (5, 1), (9, 2), (9, 3)] {
                    days.push(date(year, month, day));
                }
            }
            for (year, month, day) in TET {
                let new_year = date(year, month, day);
                for offset in -1..=3 {
                    if let Ok(day) = new_year.checked_add(jiff::Span::new().days(offset)) {
                        days.push(day);
                    }
                }
            }
            days.extend(HUNG_KINGS.iter().map(|(y, m, d)| date(*y, *m, *d)));
            HolidayCalendar::new(days)
        })
    }

    pub fn is_holiday(&self, day: Date) -> bool {
        self.holidays.contains(&day)
    }

    pub fn is_working_day(&self, day: Date) -> bool {
        !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) && !self.is_holiday(day)
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
}
