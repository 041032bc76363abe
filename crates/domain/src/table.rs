//! Indicator tables: saved analytics questions with a layout — which indicators, for which
//! agencies (one, or its descendants at a level), which periods (fixed, or the latest few),
//! split by which disaggregations, laid out how — grouped by theme in a catalogue.
//!
//! A table's periods are usually relative ("the last 12 months"), so the same table shows
//! the newest data every time it is opened: [`PeriodSelection::resolve`] turns them into
//! period ids from an anchor the caller finds (the latest period with data).

use crate::agency::{AgencyCode, AgencyLevel};
use crate::indicator::IndicatorCode;
use crate::period::{Frequency, PeriodId};
use crate::pivot::Layout;

/// The most periods a relative selection may span.
pub const MAX_RELATIVE_PERIODS: u16 = 120;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TableError {
    #[error("table code {0:?} must be 1–40 letters, digits, '-' or '_'")]
    Code(String),
    #[error("a table needs a title in Vietnamese and at least one indicator")]
    Empty,
    #[error("a relative period selection needs 1–{MAX_RELATIVE_PERIODS} periods")]
    Span,
    #[error("a fixed period selection needs at least one period")]
    NoPeriods,
    #[error("a title or theme is over 500 characters or holds invisible characters")]
    Text,
}

/// Which periods a table shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PeriodSelection {
    /// The `last` periods of `frequency`, up to the anchor.
    Latest { frequency: Frequency, last: u16 },
    /// These periods.
    Fixed { list: Vec<PeriodId> },
}

impl PeriodSelection {
    pub fn frequency(&self) -> Option<Frequency> {
        match self {
            Self::Latest { frequency, .. } => Some(*frequency),
            Self::Fixed { .. } => None,
        }
    }

    /// The periods, oldest first; `anchor` is the latest period of the selection's frequency
    /// to show (ignored by a fixed list).
    pub fn resolve(&self, anchor: PeriodId) -> Vec<PeriodId> {
        match self {
            Self::Latest { last, .. } => (0..*last).rev().map(|n| anchor.back(n, 0)).collect(),
            Self::Fixed { list } => list.clone(),
        }
    }
}

/// The latest period of `frequency` that ends on or before `day` (the anchor of a relative
/// selection when the latest data end on `day`).
pub fn latest_ending_by(frequency: Frequency, day: jiff::civil::Date) -> PeriodId {
    let containing = PeriodId::containing(frequency, day);
    if containing.end() > day {
        containing.previous()
    } else {
        containing
    }
}

/// A saved table.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TableDefinition {
    /// Given by the address a table is saved at, where it is not in the body.
    #[serde(default)]
    pub code: String,
    pub theme_vi: String,
    #[serde(default)]
    pub theme_en: String,
    pub title_vi: String,
    #[serde(default)]
    pub title_en: String,
    #[serde(default)]
    pub description_vi: String,
    #[serde(default)]
    pub description_en: String,
    pub indicators: Vec<IndicatorCode>,
    pub agency: AgencyCode,
    #[serde(default)]
    pub level: Option<AgencyLevel>,
    pub periods: PeriodSelection,
    #[serde(default)]
    pub disaggregate: Vec<String>,
    #[serde(default)]
    pub layout: Layout,
    /// How to draw it besides the table: `line`, `bar`, `stacked` or `map`.
    #[serde(default)]
    pub chart: Option<String>,
}

impl TableDefinition {
    /// Checks what types cannot: the code's shape, a title, indicators, a sane span.
    pub fn check(&self) -> Result<(), TableError> {
        let code_ok = !self.code.is_empty()
            && self.code.len() <= 40
            && self
                .code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !code_ok {
            return Err(TableError::Code(self.code.clone()));
        }
        if self.title_vi.trim().is_empty() || self.indicators.is_empty() {
            return Err(TableError::Empty);
        }
        let texts = [
            &self.title_vi,
            &self.title_en,
            &self.theme_vi,
            &self.theme_en,
        ];
        if !texts.iter().all(|text| crate::text::check_name(text)) {
            return Err(TableError::Text);
        }
        match &self.periods {
            PeriodSelection::Latest { last, .. } if *last == 0 || *last > MAX_RELATIVE_PERIODS => {
                Err(TableError::Span)
            }
            PeriodSelection::Fixed { list } if list.is_empty() => Err(TableError::NoPeriods),
            _ => Ok(()),
        }
    }

    /// The title in a language (`en` falls back to Vietnamese where not translated).
    pub fn title(&self, english: bool) -> &str {
        if english && !self.title_en.is_empty() {
            &self.title_en
        } else {
            &self.title_vi
        }
    }

    pub fn theme(&self, english: bool) -> &str {
        if english && !self.theme_en.is_empty() {
            &self.theme_en
        } else {
            &self.theme_vi
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn table(periods: PeriodSelection) -> TableDefinition {
        TableDefinition {
            code: "TM-01".into(),
            theme_vi: "Thương mại".into(),
            theme_en: String::new(),
            title_vi: "Bán lẻ".into(),
            title_en: String::new(),
            description_vi: String::new(),
            description_en: String::new(),
            indicators: vec![IndicatorCode::new("KT04").unwrap()],
            agency: AgencyCode::new("VN").unwrap(),
            level: Some(AgencyLevel::Province),
            periods,
            disaggregate: vec![],
            layout: Layout::default(),
            chart: None,
        }
    }

    #[test]
    fn the_last_periods_end_at_the_anchor() {
        let selection = PeriodSelection::Latest {
            frequency: Frequency::Monthly,
            last: 3,
        };
        let periods = selection.resolve(PeriodId::parse("202602").unwrap());
        let texts: Vec<String> = periods.iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["202512", "202601", "202602"]);
    }

    #[test]
    fn the_anchor_is_the_last_period_wholly_past() {
        let day = date(2026, 6, 30);
        assert_eq!(
            latest_ending_by(Frequency::Quarterly, day).to_string(),
            "2026Q2"
        );
        assert_eq!(latest_ending_by(Frequency::Yearly, day).to_string(), "2025");
        assert_eq!(
            latest_ending_by(Frequency::Monthly, date(2026, 6, 15)).to_string(),
            "202605"
        );
    }

    #[test]
    fn checks_refuse_what_cannot_be_shown() {
        let good = table(PeriodSelection::Latest {
            frequency: Frequency::Monthly,
            last: 12,
        });
        assert_eq!(good.check(), Ok(()));
        let mut bad = good.clone();
        bad.code = "a b".into();
        assert!(matches!(bad.check(), Err(TableError::Code(_))));
        let none = table(PeriodSelection::Latest {
            frequency: Frequency::Monthly,
            last: 0,
        });
        assert_eq!(none.check(), Err(TableError::Span));
        let empty = table(PeriodSelection::Fixed { list: vec![] });
        assert_eq!(empty.check(), Err(TableError::NoPeriods));
    }

    #[test]
    fn a_definition_reads_from_toml_shaped_json() {
        let json = serde_json::json!({
            "code": "XH-01", "theme_vi": "Dân số", "title_vi": "Dân số",
            "indicators": ["XH01"], "agency": "VN", "level": "province",
            "periods": {"frequency": "yearly", "last": 3},
            "disaggregate": ["sex"],
            "layout": {"rows": ["agency"], "columns": ["period", "sex"]}
        });
        let parsed: TableDefinition = serde_json::from_value(json).unwrap();
        assert_eq!(
            parsed.periods,
            PeriodSelection::Latest {
                frequency: Frequency::Yearly,
                last: 3
            }
        );
        assert_eq!(parsed.layout.columns.len(), 2);
        let fixed: PeriodSelection =
            serde_json::from_value(serde_json::json!({"list": ["2025Q1"]})).unwrap();
        assert!(matches!(fixed, PeriodSelection::Fixed { .. }));
    }
}
