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

/// A number as typed in `lang`'s notation (`1.234,5` in Vietnamese, `1,234.5` in English),
/// as plain text (`1234.5`); plain text (`1234.5`) is read as it is in both. `None`: not a
/// number in either form (left to the cell's own check). Groups must be of three digits, so
/// `1.5` stays a decimal point and `1.234` (a Vietnamese thousand) becomes `1234`.
pub fn read_number(text: &str, lang: Lang) -> Option<String> {
    let text: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect();
    let (sign, body) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.strip_prefix('+').unwrap_or(&text)),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let grouped = |whole: &str, separator: char| {
        let mut groups = whole.split(separator);
        let first = groups.next().unwrap_or("");
        digits(first) && first.len() <= 3 && groups.all(|g| g.len() == 3 && digits(g))
    };
    let (thousands, decimal) = match lang {
        Lang::Vi => ('.', ','),
        Lang::En => (',', '.'),
    };
    let (whole, fraction) = match body.split_once(decimal) {
        Some((whole, fraction)) if digits(fraction) => (whole, Some(fraction)),
        Some(_) => return None,
        None => (body, None),
    };
    let whole = if digits(whole) {
        whole.to_string()
    } else if whole.contains(thousands) && grouped(whole, thousands) {
        whole.replace(thousands, "")
    } else if lang == Lang::Vi && fraction.is_none() {
        // Plain notation with a decimal point (`1234.5`) is read in Vietnamese mode too.
        return body
            .split_once('.')
            .filter(|(w, f)| digits(w) && digits(f))
            .map(|_| format!("{sign}{body}"));
    } else {
        return None;
    };
    Some(match fraction {
        Some(fraction) => format!("{sign}{whole}.{fraction}"),
        None => format!("{sign}{whole}"),
    })
}

/// A stored number (plain text, `48845.5`) as `lang` writes it (`48.845,5`), its decimals
/// kept; any other text unchanged.
pub fn show_number(text: &str, lang: Lang) -> String {
    let plain = text.trim();
    let (whole, fraction) = plain.split_once('.').unwrap_or((plain, ""));
    let unsigned = whole.strip_prefix('-').unwrap_or(whole);
    let numeric = !unsigned.is_empty()
        && unsigned.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit());
    match plain.parse::<f64>() {
        Ok(value) if numeric && value.is_finite() => number(value, fraction.len(), lang),
        _ => text.to_string(),
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

/// An option combination in words: "Nữ · Thành thị" (option names in `lang`, codes where
/// the catalogue lacks them).
pub fn combo_label(
    combo: &crate::value::OptionCombo,
    categories: &[crate::indicator::Category],
    lang: Lang,
) -> String {
    combo
        .clone()
        .into_map()
        .iter()
        .map(|(category, option)| {
            categories
                .iter()
                .find(|c| c.code() == category)
                .and_then(|c| c.options().iter().find(|o| &o.code == option))
                .map_or(option.clone(), |o| {
                    if lang == Lang::En {
                        o.name_en.clone()
                    } else {
                        o.name_vi.clone()
                    }
                })
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

#[cfg(test)]
mod notation_tests {
    use super::*;

    #[test]
    fn numbers_are_read_in_the_language_s_notation_and_plain() {
        let vi = |t: &str| read_number(t, Lang::Vi);
        assert_eq!(vi("1.234,5").as_deref(), Some("1234.5"));
        assert_eq!(vi("1.234.567").as_deref(), Some("1234567"));
        assert_eq!(vi("1.234").as_deref(), Some("1234"));
        assert_eq!(vi("48,5").as_deref(), Some("48.5"));
        assert_eq!(vi("1234.5").as_deref(), Some("1234.5"));
        assert_eq!(vi("-5").as_deref(), Some("-5"));
        assert_eq!(vi(" 60 123,4 ").as_deref(), Some("60123.4"));
        assert_eq!(vi("abc"), None);
        assert_eq!(vi("1,2,3"), None);
        assert_eq!(vi("12.34,5"), None);
        let en = |t: &str| read_number(t, Lang::En);
        assert_eq!(en("1,234.5").as_deref(), Some("1234.5"));
        assert_eq!(en("1234.5").as_deref(), Some("1234.5"));
        assert_eq!(en("1.234,5"), None);
    }

    #[test]
    fn stored_numbers_are_shown_in_the_language_s_notation() {
        assert_eq!(show_number("48845.5", Lang::Vi), "48.845,5");
        assert_eq!(show_number("48845.5", Lang::En), "48,845.5");
        assert_eq!(show_number("-1234", Lang::Vi), "-1.234");
        assert_eq!(show_number("107.90", Lang::Vi), "107,9");
        assert_eq!(show_number("có", Lang::Vi), "có");
        for stored in ["48845.5", "-1234", "0.25", "1000000"] {
            for lang in [Lang::Vi, Lang::En] {
                assert_eq!(
                    read_number(&show_number(stored, lang), lang).as_deref(),
                    Some(stored),
                    "{stored} in {lang:?}"
                );
            }
        }
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
