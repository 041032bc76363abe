//! Periods as other systems write them in a push: DHIS2's period ids and IHE ADX's ISO 8601
//! intervals, including the period types DHIS2 has and this system's frequencies do not
//! (bi-monthly `202601B`, bi-weekly `2026BiW1`, weeks starting Wednesday to Sunday
//! `2026WedW5`, six-months from April or November `2026AprilS1`, quarters from November
//! `2026NovQ1`, financial years `2026April`, `2026July`, `2026Sep`, `2026Oct`, `2026Nov`, and
//! any interval `2026-01-01/P2M`). Such a period is recognised — so its values can be refused
//! one by one, naming its type — and, where its days are known, can be taken as a dated
//! period by a regime reported on dates.

use jiff::civil::{Date, ISOWeekDate, Weekday};

use crate::period::{Frequency, PeriodError, PeriodId, split_interval};

/// A pushed period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExchangePeriod {
    /// A period of one of this system's frequencies.
    Native(PeriodId),
    /// A DHIS2 period type (or an interval) this system has no frequency for.
    Foreign {
        /// DHIS2's name of the type (`BiMonthly`, `FinancialApril`), or the interval's
        /// duration and start (`P2M from 2026-01-01`).
        kind: String,
        /// Its first and last days, where they follow from the text alone.
        days: Option<(Date, Date)>,
    },
}

impl ExchangePeriod {
    /// Reads a DHIS2 period id, or an ISO 8601 interval `START/DURATION` (ADX).
    pub fn parse(text: &str) -> Result<Self, PeriodError> {
        if text.contains('/') {
            return Self::from_interval(text);
        }
        match PeriodId::parse(text) {
            Ok(period) => Ok(Self::Native(period)),
            Err(error) => dhis2_type(text).ok_or(error),
        }
    }

    /// The period a regime of `frequency` takes it as: its own kind, or a foreign period with
    /// known days as a dated period.
    pub fn for_frequency(&self, frequency: Option<Frequency>) -> Option<PeriodId> {
        match self {
            Self::Native(period) => Some(*period),
            Self::Foreign {
                days: Some((first, last)),
                ..
            } if frequency == Some(Frequency::Dated) => PeriodId::dated(*first, *last),
            Self::Foreign { .. } => None,
        }
    }

    fn from_interval(text: &str) -> Result<Self, PeriodError> {
        if let Ok(period) = PeriodId::from_interval(text) {
            return Ok(Self::Native(period));
        }
        let err = |reason| PeriodError {
            text: text.to_string(),
            reason,
        };
        let (first, duration) = split_interval(text)?;
        let span: jiff::Span = duration
            .parse()
            .map_err(|_| err("the duration must be ISO 8601, e.g. P1M, P14D, P1Y"))?;
        if span.is_zero() || span.is_negative() || span.get_hours() != 0 {
            return Err(err(
                "the duration must be whole days, weeks, months or years",
            ));
        }
        let last = first
            .checked_add(span)
            .and_then(|after| after.yesterday())
            .map_err(|_| err("the interval leaves the calendar"))?;
        Ok(Self::Foreign {
            kind: format!("{duration} from {first}"),
            days: Some((first, last)),
        })
    }
}

/// A DHIS2 period id of a type this system has no frequency for.
fn dhis2_type(text: &str) -> Option<ExchangePeriod> {
    if !text.is_ascii() || text.len() < 5 {
        return None;
    }
    let (year_text, rest) = text.split_at(4);
    let year: i16 = digits(year_text)?;
    if !(1900..=9998).contains(&year) {
        return None;
    }
    let foreign = |kind: &str, days: Option<(Date, Date)>| {
        Some(ExchangePeriod::Foreign {
            kind: kind.to_string(),
            days,
        })
    };
    let months = |first_month: i8, count: i8| -> Option<(Date, Date)> {
        let first = Date::new(year, 1, 1)
            .ok()?
            .checked_add(jiff::Span::new().months(i64::from(first_month) - 1))
            .ok()?;
        let last = first
            .checked_add(jiff::Span::new().months(count))
            .ok()?
            .yesterday()
            .ok()?;
        Some((first, last))
    };
    // Bi-monthly: `202601B` is January and February, `202606B` November and December.
    if let Some(number) = rest.strip_suffix('B').and_then(digits::<i8>)
        && rest.len() == 3
        && (1..=6).contains(&number)
    {
        return foreign("BiMonthly", months((number - 1) * 2 + 1, 2));
    }
    // Bi-weekly: two ISO weeks, `2026BiW1` from week 1's Monday.
    if let Some(number) = rest.strip_prefix("BiW").and_then(digits::<i8>)
        && (1..=27).contains(&number)
    {
        let first = ISOWeekDate::new(year, number * 2 - 1, Weekday::Monday)
            .ok()
            .map(|w| w.date());
        let days = first
            .and_then(|first| Some((first, first.checked_add(jiff::Span::new().days(13)).ok()?)));
        return foreign("BiWeekly", days);
    }
    for (prefix, kind) in [
        ("WedW", "WeeklyWednesday"),
        ("ThuW", "WeeklyThursday"),
        ("SatW", "WeeklySaturday"),
        ("SunW", "WeeklySunday"),
    ] {
        if let Some(number) = rest.strip_prefix(prefix).and_then(digits::<i8>)
            && (1..=53).contains(&number)
        {
            // DHIS2 numbers these weeks by its own rule; the days are not guessed here.
            return foreign(kind, None);
        }
    }
    for (prefix, kind, first_month) in [
        ("AprilS", "SixMonthlyApril", 4),
        ("NovS", "SixMonthlyNov", 11),
    ] {
        if let Some(number) = rest.strip_prefix(prefix).and_then(digits::<i8>)
            && (1..=2).contains(&number)
        {
            // DHIS2's `2026NovS1` starts in November of the year before.
            let start = if first_month == 11 {
                first_month - 12
            } else {
                first_month
            };
            return foreign(kind, months(start + (number - 1) * 6, 6));
        }
    }
    if let Some(number) = rest.strip_prefix("NovQ").and_then(digits::<i8>)
        && (1..=4).contains(&number)
    {
        return foreign("QuarterlyNov", months(-1 + (number - 1) * 3, 3));
    }
    let financial = match rest {
        "April" => Some(("FinancialApril", 4)),
        "July" => Some(("FinancialJuly", 7)),
        "Sep" => Some(("FinancialSep", 9)),
        "Oct" => Some(("FinancialOct", 10)),
        "Nov" => Some(("FinancialNov", 11)),
        _ => None,
    };
    if let Some((kind, first_month)) = financial {
        return foreign(kind, months(first_month, 12));
    }
    None
}

fn digits<T: std::str::FromStr>(text: &str) -> Option<T> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(text: &str) -> (String, Option<(String, String)>) {
        match ExchangePeriod::parse(text).unwrap() {
            ExchangePeriod::Native(period) => (period.to_string(), None),
            ExchangePeriod::Foreign { kind, days } => (
                kind,
                days.map(|(first, last)| (first.to_string(), last.to_string())),
            ),
        }
    }

    fn range(first: &str, last: &str) -> Option<(String, String)> {
        Some((first.to_string(), last.to_string()))
    }

    #[test]
    fn native_periods_stay_native_in_both_forms() {
        assert_eq!(days("202611").0, "202611");
        assert_eq!(days("2026-10-01/P3M").0, "2026Q4");
        assert_eq!(days("2026-01-01/P1Y").0, "2026");
    }

    #[test]
    fn every_dhis2_period_type_is_recognised_with_its_days() {
        assert_eq!(
            days("202601B"),
            ("BiMonthly".into(), range("2026-01-01", "2026-02-28"))
        );
        assert_eq!(
            days("202606B"),
            ("BiMonthly".into(), range("2026-11-01", "2026-12-31"))
        );
        assert_eq!(
            days("2026BiW1"),
            ("BiWeekly".into(), range("2025-12-29", "2026-01-11"))
        );
        assert_eq!(
            days("2026April"),
            ("FinancialApril".into(), range("2026-04-01", "2027-03-31"))
        );
        assert_eq!(
            days("2026July"),
            ("FinancialJuly".into(), range("2026-07-01", "2027-06-30"))
        );
        assert_eq!(
            days("2026Oct"),
            ("FinancialOct".into(), range("2026-10-01", "2027-09-30"))
        );
        assert_eq!(
            days("2026Nov"),
            ("FinancialNov".into(), range("2026-11-01", "2027-10-31"))
        );
        assert_eq!(
            days("2026AprilS2"),
            ("SixMonthlyApril".into(), range("2026-10-01", "2027-03-31"))
        );
        assert_eq!(
            days("2026NovS1"),
            ("SixMonthlyNov".into(), range("2025-11-01", "2026-04-30"))
        );
        assert_eq!(
            days("2026NovQ1"),
            ("QuarterlyNov".into(), range("2025-11-01", "2026-01-31"))
        );
        assert_eq!(days("2026WedW5"), ("WeeklyWednesday".into(), None));
    }

    #[test]
    fn intervals_of_any_length_are_read_with_their_days() {
        assert_eq!(
            days("2026-01-01/P2M"),
            (
                "P2M from 2026-01-01".into(),
                range("2026-01-01", "2026-02-28")
            )
        );
        assert_eq!(
            days("2026-03-02/P14D"),
            (
                "P14D from 2026-03-02".into(),
                range("2026-03-02", "2026-03-15")
            )
        );
        assert_eq!(
            days("2026-04-01/P1Y"),
            (
                "P1Y from 2026-04-01".into(),
                range("2026-04-01", "2027-03-31")
            )
        );
        assert_eq!(days("2026-07-01/P6M"), ("2026S2".into(), None));
    }

    #[test]
    fn foreign_periods_become_dated_only_for_a_regime_on_dates() {
        let period = ExchangePeriod::parse("2026-01-01/P2M").unwrap();
        assert_eq!(period.for_frequency(Some(Frequency::Monthly)), None);
        assert_eq!(
            period
                .for_frequency(Some(Frequency::Dated))
                .map(|p| p.to_string()),
            Some("20260101_20260228".to_string())
        );
        assert_eq!(
            ExchangePeriod::parse("2026WedW5")
                .unwrap()
                .for_frequency(Some(Frequency::Dated)),
            None
        );
    }

    #[test]
    fn what_is_no_period_at_all_stays_an_error() {
        for text in [
            "2026Q5",
            "202613",
            "2026B",
            "202607B",
            "2026BiW28",
            "2026Jan",
            "2026-01-01/PT1H",
            "2026-01-01/P0D",
            "x",
        ] {
            assert!(ExchangePeriod::parse(text).is_err(), "{text}");
        }
    }
}
