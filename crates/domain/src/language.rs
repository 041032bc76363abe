//! The two languages the product speaks — Vietnamese first, English beside it — and how each
//! writes a number and a period (`1.234,5` and `Quý 2/2026`; `1,234.5` and `Q2 2026`).

use serde::Serialize;

use crate::period::{Frequency, PeriodId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    /// English for `en`, Vietnamese for anything else (the default language).
    pub fn from_code(code: Option<&str>) -> Lang {
        match code {
            Some("en") => Lang::En,
            _ => Lang::Vi,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// `vi` in Vietnamese, `en` in English unless it is empty (an English name is optional).
    pub fn pick(self, vi: &str, en: &str) -> String {
        if self == Lang::En && !en.is_empty() {
            en.to_string()
        } else {
            vi.to_string()
        }
    }
}

/// A number with at most `decimals` decimals (trailing zeros dropped) and grouped thousands,
/// as the language writes it.
pub fn number(value: f64, decimals: usize, lang: Lang) -> String {
    let (thousands, decimal) = match lang {
        Lang::Vi => ('.', ','),
        Lang::En => (',', '.'),
    };
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(thousands);
        }
        grouped.push(digit);
    }
    let fraction = fraction.trim_end_matches('0');
    let sign = if value < 0.0 && text.chars().any(|c| c != '0' && c != '.') {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{decimal}{fraction}")
    }
}

/// A period as people write it: `06/2026`, `Quý 2/2026`, `Năm 2025`.
pub fn period_label(period: PeriodId, lang: Lang) -> String {
    let year = period.year();
    let month = period.start().month();
    let half = if month <= 6 { 1 } else { 2 };
    let quarter = (month - 1) / 3 + 1;
    match (period.frequency(), lang) {
        (Frequency::Monthly, _) => format!("{month:02}/{year}"),
        (Frequency::Quarterly, Lang::Vi) => format!("Quý {quarter}/{year}"),
        (Frequency::Quarterly, Lang::En) => format!("Q{quarter} {year}"),
        (Frequency::SixMonthly, Lang::Vi) => format!("6 tháng {half}/{year}"),
        (Frequency::SixMonthly, Lang::En) => format!("H{half} {year}"),
        (Frequency::Yearly, Lang::Vi) => format!("Năm {year}"),
        (Frequency::Yearly, Lang::En) => year.to_string(),
        _ => period.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_each_language_writes_them() {
        assert_eq!(number(1234567.5, 2, Lang::Vi), "1.234.567,5");
        assert_eq!(number(1234567.5, 2, Lang::En), "1,234,567.5");
        assert_eq!(number(-0.001, 2, Lang::Vi), "0");
        assert_eq!(number(-12.0, 1, Lang::En), "-12");
    }

    #[test]
    fn periods_are_written_as_people_write_them() {
        let quarter = PeriodId::parse("2026Q2").unwrap();
        assert_eq!(period_label(quarter, Lang::Vi), "Quý 2/2026");
        assert_eq!(period_label(quarter, Lang::En), "Q2 2026");
        let month = PeriodId::parse("202606").unwrap();
        assert_eq!(period_label(month, Lang::Vi), "06/2026");
        assert_eq!(Lang::from_code(Some("en")), Lang::En);
        assert_eq!(Lang::from_code(Some("fr")), Lang::Vi);
        assert_eq!(Lang::En.pick("Hà Nội", ""), "Hà Nội");
    }
}
