//! Frequencies and period identifiers in the DHIS2/ISO forms other systems understand:
//! daily `20261126`, weekly `2026W48` (ISO weeks, printed unpadded), monthly `202611`,
//! quarterly `2026Q4`, six-monthly `2026S2`, nine-monthly `2026N9` (the provinces' January to
//! September cumulative report; not a DHIS2 form, since DHIS2 has none) and yearly `2026`.
//! Parsing is strict: `2026Q5`, `202613` and `2026W54` are errors, never normalised.
//!
//! Ad hoc and thematic reports have their own dates: a dated period `20261101_20261115` runs
//! from its first to its last day (both included, at most ten years). DHIS2 has no such form;
//! its next and previous periods are the ranges of the same length just after and before.
//!
//! A period here is the calendar period; the cut-off window of Decree 09 is a rule of the
//! regime applied to it elsewhere.

use jiff::civil::{Date, ISOWeekDate, Weekday, date};
use serde::{Deserialize, Serialize};

string_enum!(
    /// How often a regime is reported.
    Frequency, {
    Daily => "daily",
    Weekly => "weekly",
    Monthly => "monthly",
    Quarterly => "quarterly",
    SixMonthly => "six_monthly",
    NineMonthly => "nine_monthly",
    Yearly => "yearly",
    Dated => "dated",
});

/// The longest dated period, in days.
pub const MAX_DATED_DAYS: u16 = 3660;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid period {text:?}: {reason}")]
pub struct PeriodError {
    pub text: String,
    pub reason: &'static str,
}

/// A period: a frequency, a year and the index of the period within the year (day of year
/// for daily and for the first day of a dated period, ISO week, month, quarter, half; 1 for
/// yearly and nine-monthly), and for a dated period the days after its first that it spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeriodId {
    frequency: Frequency,
    year: i16,
    index: u16,
    extra_days: u16,
}

const MIN_YEAR: i16 = 1900;
const MAX_YEAR: i16 = 9998;

impl PeriodId {
    pub fn parse(text: &str) -> Result<Self, PeriodError> {
        let err = |reason| PeriodError {
            text: text.to_string(),
            reason,
        };
        if !text.is_ascii() || text.len() < 4 {
            return Err(err("expected a year of four digits first"));
        }
        if let Some((first, last)) = text.split_once('_') {
            return Self::parse_dated(text, first, last);
        }
        let (year_text, rest) = text.split_at(4);
        let year: i16 =
            parse_digits(year_text).ok_or_else(|| err("expected a year of four digits first"))?;
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(err("year out of range"));
        }
        // Week, quarter and half numbers are written without leading zeros, as DHIS2 does.
        let unpadded = |digits: &str, max_len: usize| -> Option<u16> {
            (digits.len() <= max_len && !digits.starts_with('0'))
                .then(|| parse_digits(digits))
                .flatten()
        };
        let (frequency, index) = match rest.as_bytes() {
            [] => (Frequency::Yearly, 1),
            [b'W', ..] => {
                let week = unpadded(&rest[1..], 2)
                    .ok_or_else(|| err("expected a week number without leading zero"))?;
                let weeks = if ISOWeekDate::new(year, 53, Weekday::Monday).is_ok() {
                    53
                } else {
                    52
                };
                if !(1..=weeks).contains(&week) {
                    return Err(err("no such ISO week in that year"));
                }
                (Frequency::Weekly, week)
            }
            [b'Q', ..] => {
                let quarter = unpadded(&rest[1..], 1)
                    .filter(|q| (1..=4).contains(q))
                    .ok_or_else(|| err("quarter must be 1 to 4"))?;
                (Frequency::Quarterly, quarter)
            }
            [b'S', ..] => {
                let half = unpadded(&rest[1..], 1)
                    .filter(|h| (1..=2).contains(h))
                    .ok_or_else(|| err("half-year must be 1 or 2"))?;
                (Frequency::SixMonthly, half)
            }
            b"N9" => (Frequency::NineMonthly, 1),
            [_, _] => {
                let month: u16 = parse_digits(rest)
                    .filter(|m| (1..=12).contains(m))
                    .ok_or_else(|| err("month must be 01 to 12"))?;
                (Frequency::Monthly, month)
            }
            [_, _, _, _] => {
                let month: i8 = parse_digits(&rest[..2]).ok_or_else(|| err("expected YYYYMMDD"))?;
                let day: i8 = parse_digits(&rest[2..]).ok_or_else(|| err("expected YYYYMMDD"))?;
                let day = Date::new(year, month, day).map_err(|_| err("no such date"))?;
                (Frequency::Daily, day.day_of_year() as u16)
            }
            _ => return Err(err("unknown period form")),
        };
        Ok(Self {
            frequency,
            year,
            index,
            extra_days: 0,
        })
    }

    fn parse_dated(text: &str, first: &str, last: &str) -> Result<Self, PeriodError> {
        let err = |reason| PeriodError {
            text: text.to_string(),
            reason,
        };
        let day = |part: &str| match Self::parse(part) {
            Ok(period) if period.frequency == Frequency::Daily && part.len() == 8 => {
                Ok(period.start())
            }
            _ => Err(err("expected YYYYMMDD_YYYYMMDD, two real days")),
        };
        let (first, last) = (day(first)?, day(last)?);
        Self::dated(first, last).ok_or_else(|| {
            err("the last day must not be before the first, and at most ten years after")
        })
    }

    /// The period an ISO 8601 interval of a start and a duration names, as IHE ADX writes
    /// periods: `2026-11-01/P1M` is `202611`, `2026-10-01/P3M` is `2026Q4`, `2026-07-01/P6M`
    /// is `2026S2`, `2026-01-01/P9M` is `2026N9`, `2026-01-01/P1Y` is `2026`,
    /// `2026-11-23/P7D` is `2026W48`, `2026-11-26/P1D` is `20261126`. The start must be where
    /// such a period starts.
    pub fn from_interval(text: &str) -> Result<Self, PeriodError> {
        let err = |reason| PeriodError {
            text: text.to_string(),
            reason,
        };
        let (start, duration) = split_interval(text)?;
        let frequency = match duration {
            "P1D" => Frequency::Daily,
            "P7D" | "P1W" => Frequency::Weekly,
            "P1M" => Frequency::Monthly,
            "P3M" => Frequency::Quarterly,
            "P6M" => Frequency::SixMonthly,
            "P9M" => Frequency::NineMonthly,
            "P1Y" | "P12M" => Frequency::Yearly,
            _ => {
                return Err(err(
                    "unsupported duration (P1D, P7D, P1M, P3M, P6M, P9M, P1Y)",
                ));
            }
        };
        let period = Self::containing(frequency, start);
        if period.start() != start {
            return Err(err("the start is not the first day of such a period"));
        }
        Ok(period)
    }

    /// The period as an ISO 8601 interval (see [`PeriodId::from_interval`]); a dated period
    /// gives its length in days.
    pub fn to_interval(&self) -> String {
        let duration = match self.frequency {
            Frequency::Daily => "P1D".to_string(),
            Frequency::Weekly => "P7D".to_string(),
            Frequency::Monthly => "P1M".to_string(),
            Frequency::Quarterly => "P3M".to_string(),
            Frequency::SixMonthly => "P6M".to_string(),
            Frequency::NineMonthly => "P9M".to_string(),
            Frequency::Yearly => "P1Y".to_string(),
            Frequency::Dated => format!("P{}D", self.extra_days + 1),
        };
        format!("{}/{duration}", self.start())
    }

    /// The dated period from `first` to `last` (both included), if it is one.
    pub fn dated(first: Date, last: Date) -> Option<Self> {
        let span = (last - first).get_days();
        let span = u16::try_from(span)
            .ok()
            .filter(|days| *days < MAX_DATED_DAYS)?;
        Some(Self {
            frequency: Frequency::Dated,
            year: first.year(),
            index: first.day_of_year() as u16,
            extra_days: span,
        })
    }

    /// The period of `frequency` that contains `day` (calendar periods; the day itself for a
    /// dated period).
    pub fn containing(frequency: Frequency, day: Date) -> Self {
        let year = day.year();
        let index = match frequency {
            Frequency::Daily => day.day_of_year() as u16,
            Frequency::Weekly => {
                let week = day.iso_week_date();
                return Self {
                    frequency,
                    year: week.year(),
                    index: week.week() as u16,
                    extra_days: 0,
                };
            }
            Frequency::Monthly => day.month() as u16,
            Frequency::Quarterly => (day.month() as u16 - 1) / 3 + 1,
            Frequency::SixMonthly => (day.month() as u16 - 1) / 6 + 1,
            Frequency::NineMonthly | Frequency::Yearly => 1,
            Frequency::Dated => day.day_of_year() as u16,
        };
        Self {
            frequency,
            year,
            index,
            extra_days: 0,
        }
    }

    pub fn frequency(&self) -> Frequency {
        self.frequency
    }
    pub fn year(&self) -> i16 {
        self.year
    }

    /// First day of the calendar period.
    pub fn start(&self) -> Date {
        match self.frequency {
            Frequency::Daily | Frequency::Dated => {
                date(self.year, 1, 1) + jiff::Span::new().days(i64::from(self.index) - 1)
            }
            Frequency::Weekly => ISOWeekDate::new(self.year, self.index as i8, Weekday::Monday)
                .map(|w| w.date())
                .unwrap_or(date(self.year, 1, 1)),
            Frequency::Monthly => date(self.year, self.index as i8, 1),
            Frequency::Quarterly => date(self.year, (self.index as i8 - 1) * 3 + 1, 1),
            Frequency::SixMonthly => date(self.year, (self.index as i8 - 1) * 6 + 1, 1),
            Frequency::NineMonthly | Frequency::Yearly => date(self.year, 1, 1),
        }
    }

    /// Last day of the calendar period.
    pub fn end(&self) -> Date {
        let last_of_month = |month: i8| date(self.year, month, 1).last_of_month();
        match self.frequency {
            Frequency::Daily => self.start(),
            Frequency::Dated => self.start() + jiff::Span::new().days(i64::from(self.extra_days)),
            Frequency::Weekly => self.start() + jiff::Span::new().days(6),
            Frequency::Monthly => last_of_month(self.index as i8),
            Frequency::Quarterly => last_of_month(self.index as i8 * 3),
            Frequency::SixMonthly => last_of_month(self.index as i8 * 6),
            Frequency::NineMonthly => last_of_month(9),
            Frequency::Yearly => last_of_month(12),
        }
    }

    pub fn next(&self) -> Self {
        if self.frequency == Frequency::Dated {
            return self.shifted(i64::from(self.extra_days) + 1);
        }
        Self::containing_or_year_after(self.frequency, self.end().tomorrow().ok(), self.year)
    }

    /// A dated period moved by `days`, keeping its length (itself where that leaves the
    /// calendar).
    fn shifted(&self, days: i64) -> Self {
        self.start()
            .checked_add(jiff::Span::new().days(days))
            .ok()
            .and_then(|first| {
                let last = first.checked_add(jiff::Span::new().days(i64::from(self.extra_days)));
                Self::dated(first, last.ok()?)
            })
            .unwrap_or(*self)
    }
    /// The period `periods` steps back, then `years` years back (the same period of an
    /// earlier year: `202611` → `202511`; a week keeps its number where that year has it).
    pub fn back(&self, periods: u16, years: u16) -> Self {
        let mut period = *self;
        for _ in 0..periods {
            period = period.previous();
        }
        if years == 0 {
            return period;
        }
        let year = period.year - years as i16;
        match period.frequency {
            Frequency::Dated => {
                let start = period.start();
                let first = Date::new(year, start.month(), start.day())
                    .unwrap_or_else(|_| date(year, start.month(), 28));
                first
                    .checked_add(jiff::Span::new().days(i64::from(period.extra_days)))
                    .ok()
                    .and_then(|last| Self::dated(first, last))
                    .unwrap_or(period)
            }
            Frequency::Daily => {
                // 29 February becomes 28 February in a common year.
                let start = period.start();
                let day = Date::new(year, start.month(), start.day())
                    .unwrap_or_else(|_| date(year, start.month(), 28));
                Self::containing(Frequency::Daily, day)
            }
            Frequency::Weekly => {
                let last_week = date(year, 12, 28).iso_week_date().week() as u16;
                Self {
                    frequency: period.frequency,
                    year,
                    index: period.index.min(last_week),
                    extra_days: 0,
                }
            }
            _ => Self {
                frequency: period.frequency,
                year,
                index: period.index,
                extra_days: 0,
            },
        }
    }

    pub fn previous(&self) -> Self {
        if self.frequency == Frequency::Dated {
            return self.shifted(-(i64::from(self.extra_days) + 1));
        }
        Self::containing_or_year_after(self.frequency, self.start().yesterday().ok(), self.year - 2)
    }

    fn containing_or_year_after(
        frequency: Frequency,
        day: Option<Date>,
        fallback_year: i16,
    ) -> Self {
        match (frequency, day) {
            // The nine-month report is once a year: its neighbours are the same window of the
            // neighbouring years.
            (Frequency::NineMonthly, _) => Self {
                frequency,
                year: fallback_year + 1,
                index: 1,
                extra_days: 0,
            },
            (_, Some(day)) => Self::containing(frequency, day),
            (_, None) => Self {
                frequency,
                year: fallback_year + 1,
                index: 1,
                extra_days: 0,
            },
        }
    }
}

impl std::fmt::Display for PeriodId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let year = self.year;
        match self.frequency {
            Frequency::Daily => write!(f, "{}", self.start().strftime("%Y%m%d")),
            Frequency::Weekly => write!(f, "{year}W{}", self.index),
            Frequency::Monthly => write!(f, "{year}{:02}", self.index),
            Frequency::Quarterly => write!(f, "{year}Q{}", self.index),
            Frequency::SixMonthly => write!(f, "{year}S{}", self.index),
            Frequency::NineMonthly => write!(f, "{year}N9"),
            Frequency::Yearly => write!(f, "{year}"),
            Frequency::Dated => write!(
                f,
                "{}_{}",
                self.start().strftime("%Y%m%d"),
                self.end().strftime("%Y%m%d")
            ),
        }
    }
}

impl Serialize for PeriodId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
impl<'de> Deserialize<'de> for PeriodId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        PeriodId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An ISO 8601 interval `START/DURATION` as its first day and its duration's text.
pub fn split_interval(text: &str) -> Result<(Date, &str), PeriodError> {
    let err = |reason| PeriodError {
        text: text.to_string(),
        reason,
    };
    let (start, duration) = text
        .split_once('/')
        .ok_or_else(|| err("expected START/DURATION, e.g. 2026-11-01/P1M"))?;
    let start: Date = start
        .parse()
        .map_err(|_| err("the start must be a date YYYY-MM-DD"))?;
    Ok((start, duration))
}

fn parse_digits<T: std::str::FromStr>(text: &str) -> Option<T> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(text: &str) -> PeriodId {
        PeriodId::parse(text).unwrap()
    }

    #[test]
    fn periods_back_and_years_back() {
        assert_eq!(period("202611").back(12, 0), period("202511"));
        assert_eq!(period("202601").back(1, 0), period("202512"));
        assert_eq!(period("2026Q1").back(1, 1), period("2024Q4"));
        assert_eq!(period("20240229").back(0, 1), period("20230228"));
        assert_eq!(period("2026W53").back(0, 1), period("2025W52"));
        assert_eq!(period("2026N9").back(0, 2), period("2024N9"));
        assert_eq!(period("2026").back(0, 0), period("2026"));
    }

    #[test]
    fn adx_intervals_name_periods_both_ways() {
        for (interval, id) in [
            ("2026-11-01/P1M", "202611"),
            ("2026-10-01/P3M", "2026Q4"),
            ("2026-07-01/P6M", "2026S2"),
            ("2026-01-01/P9M", "2026N9"),
            ("2026-01-01/P1Y", "2026"),
            ("2026-11-23/P7D", "2026W48"),
            ("2024-02-29/P1D", "20240229"),
        ] {
            assert_eq!(
                PeriodId::from_interval(interval).unwrap(),
                period(id),
                "{interval}"
            );
            assert_eq!(period(id).to_interval(), interval);
        }
        for bad in [
            "2026-11-02/P1M",
            "2026-11-01",
            "2026-11-01/P2M",
            "2026-13-01/P1M",
            "2026-11-24/P7D",
        ] {
            assert!(PeriodId::from_interval(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dated_periods_of_ad_hoc_reports_have_their_own_dates() {
        let round = period("20261101_20261115");
        assert_eq!(round.frequency(), Frequency::Dated);
        assert_eq!(
            (round.start(), round.end()),
            (date(2026, 11, 1), date(2026, 11, 15))
        );
        assert_eq!(round.next(), period("20261116_20261130"));
        assert_eq!(round.previous(), period("20261017_20261031"));
        assert_eq!(period("20241220_20250110").end(), date(2025, 1, 10));
        assert_eq!(
            period("20240229_20240301").back(0, 1),
            period("20230228_20230301")
        );
        assert_eq!(period("20261126_20261126").end(), date(2026, 11, 26));
        for text in [
            "20261115_20261101",
            "20261101_2026111",
            "20261101_20261131",
            "2026_2027",
            "202611_202612",
            "20200101_20310101",
            "20261101_",
        ] {
            assert!(PeriodId::parse(text).is_err(), "{text} should be refused");
        }
    }

    #[test]
    fn every_form_round_trips_canonically() {
        for text in [
            "20261126",
            "2026W48",
            "2026W1",
            "202611",
            "2026Q4",
            "2026S2",
            "2026N9",
            "2026",
            "2026W53",
            "20261101_20261115",
        ] {
            assert_eq!(period(text).to_string(), text);
        }
    }

    #[test]
    fn impossible_periods_are_errors() {
        for text in [
            "2026Q5",
            "202613",
            "202600",
            "2026W54",
            "2025W53",
            "2026W01",
            "2026W0",
            "2026S3",
            "20260230",
            "26",
            "2026-11",
            "２０２６",
            "2026Q04",
        ] {
            assert!(PeriodId::parse(text).is_err(), "{text} should be refused");
        }
    }

    #[test]
    fn calendar_bounds() {
        assert_eq!(
            (period("202602").start(), period("202602").end()),
            (date(2026, 2, 1), date(2026, 2, 28))
        );
        assert_eq!(
            (period("2026Q4").start(), period("2026Q4").end()),
            (date(2026, 10, 1), date(2026, 12, 31))
        );
        assert_eq!(period("2026S1").end(), date(2026, 6, 30));
        assert_eq!(period("2026N9").end(), date(2026, 9, 30));
        assert_eq!(period("2026W1").start(), date(2025, 12, 29));
        assert_eq!(period("20261126").start(), date(2026, 11, 26));
    }

    #[test]
    fn containing_and_neighbours() {
        assert_eq!(
            PeriodId::containing(Frequency::Weekly, date(2026, 11, 26)).to_string(),
            "2026W48"
        );
        assert_eq!(
            PeriodId::containing(Frequency::Weekly, date(2027, 1, 1)).to_string(),
            "2026W53"
        );
        assert_eq!(
            PeriodId::containing(Frequency::Quarterly, date(2026, 11, 26)).to_string(),
            "2026Q4"
        );
        assert_eq!(period("202612").next().to_string(), "202701");
        assert_eq!(period("2026Q1").previous().to_string(), "2025Q4");
        assert_eq!(period("2026").next().to_string(), "2027");
        assert_eq!(period("2026N9").previous().to_string(), "2025N9");
    }

    mod fuzz {
        use proptest::prelude::*;

        use super::*;

        /// Period-like text: digits, the frequency letters and separators, so that random
        /// input reaches every branch of the parsers.
        fn period_like() -> impl Strategy<Value = String> {
            "[0-9WQSNP_/MYD-]{0,24}"
        }

        proptest! {
            /// Any text: a period or an error, never a panic; a period reads back as itself.
            #[test]
            fn any_text_parses_or_is_refused_and_periods_read_back(text in period_like()) {
                if let Ok(period) = PeriodId::parse(&text) {
                    prop_assert_eq!(PeriodId::parse(&period.to_string()), Ok(period));
                    prop_assert!(period.start() <= period.end());
                }
                let _ = PeriodId::from_interval(&text);
            }

            /// Arbitrary Unicode too.
            #[test]
            fn any_unicode_is_answered(text in "\\PC{0,40}") {
                let _ = PeriodId::parse(&text);
                let _ = PeriodId::from_interval(&text);
            }
        }
    }
}
