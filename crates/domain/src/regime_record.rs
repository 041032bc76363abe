//! A regime as one row of a registry spreadsheet — the form in which ministries list their
//! regimes for a review — read into a draft [`RegimeContent`]. Columns: `code, name_vi,
//! name_en, kind, legal_document, legal_issuer, legal_date, content_requirements,
//! reporting_levels, receiving_agency, methods, frequency, cutoff, deadline, deadline_time,
//! outline, indicators`. Lists use `;` (outline headings `|`). A blank cell is a missing
//! element — allowed in a draft, and exactly what the standardisation check reports.
//!
//! Deadlines are written `day_of_month:18` (optionally `:1` months after the period's last
//! month), `days_after_cutoff:5`, `working_days_after_cutoff:2` or `fixed_date:01-15`
//! (optionally `:1` years after the period). The indicators become one form of compiled
//! totals for this period.

use serde::Deserialize;

use crate::agency::{AgencyCode, AgencyLevel};
use crate::indicator::IndicatorCode;
use crate::period::Frequency;
use crate::regime::{
    AgencySelector, CutoffRule, DeadlineRule, Form, FormColumn, FormRow, LegalBasis, Method,
    OutlineSection, ReceivingAgency, RegimeCode, RegimeContent, RegimeKind, ReportingAgencies,
    RowValues,
};

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RegimeRecord {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub kind: String,
    pub legal_document: String,
    pub legal_issuer: String,
    pub legal_date: String,
    pub content_requirements: String,
    pub reporting_levels: String,
    pub receiving_agency: String,
    pub methods: String,
    pub frequency: String,
    pub cutoff: String,
    pub deadline: String,
    pub deadline_time: String,
    pub outline: String,
    pub indicators: String,
}

/// A cell that cannot be read, with the column it is in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {value:?} is not {expected}")]
pub struct RecordError {
    pub column: &'static str,
    pub value: String,
    pub expected: &'static str,
}

fn blank_to_none(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

fn list(text: &str, separator: char) -> impl Iterator<Item = &str> {
    text.split(separator)
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

impl RegimeRecord {
    pub fn into_content(self) -> Result<RegimeContent, RecordError> {
        let bad = |column: &'static str, value: &str, expected: &'static str| RecordError {
            column,
            value: value.to_string(),
            expected,
        };
        let code = RegimeCode::new(self.code.trim())
            .map_err(|_| bad("code", &self.code, "a regime code"))?;
        let kind = match blank_to_none(&self.kind) {
            None => RegimeKind::Periodic,
            Some(text) => text
                .parse()
                .map_err(|_| bad("kind", text, "periodic, thematic or ad_hoc"))?,
        };
        let legal_basis = match (
            blank_to_none(&self.legal_document),
            blank_to_none(&self.legal_issuer),
        ) {
            (None, None) => None,
            (document, issuer) => Some(LegalBasis {
                document: document.unwrap_or_default().to_string(),
                issuer: issuer.unwrap_or_default().to_string(),
                date: blank_to_none(&self.legal_date)
                    .map(|d| {
                        d.parse()
                            .map_err(|_| bad("legal_date", d, "a date YYYY-MM-DD"))
                    })
                    .transpose()?,
            }),
        };
        let levels: Vec<AgencyLevel> = list(&self.reporting_levels, ';')
            .map(|l| {
                l.parse()
                    .map_err(|_| bad("reporting_levels", l, "levels such as province;commune"))
            })
            .collect::<Result<_, _>>()?;
        let reporting_agencies = (!levels.is_empty()).then(|| ReportingAgencies {
            description_vi: self.reporting_levels.trim().to_string(),
            selector: AgencySelector::Levels { levels },
        });
        let receiving_agency = match blank_to_none(&self.receiving_agency) {
            None => None,
            Some("parent") => Some(ReceivingAgency::Parent),
            Some(text) => Some(ReceivingAgency::Agency {
                code: AgencyCode::new(text)
                    .map_err(|_| bad("receiving_agency", text, "an agency code or parent"))?,
            }),
        };
        let methods: Vec<Method> = list(&self.methods, ';')
            .map(|m| {
                m.parse()
                    .map_err(|_| bad("methods", m, "methods such as reporting_system"))
            })
            .collect::<Result<_, _>>()?;
        let frequency: Option<Frequency> = blank_to_none(&self.frequency)
            .map(|f| {
                f.parse()
                    .map_err(|_| bad("frequency", f, "a frequency such as monthly"))
            })
            .transpose()?;
        let cutoff = match blank_to_none(&self.cutoff) {
            None => None,
            Some("decree09") => Some(CutoffRule::Decree09),
            Some("calendar") => Some(CutoffRule::Calendar),
            Some(other) => return Err(bad("cutoff", other, "decree09 or calendar")),
        };
        let deadline = blank_to_none(&self.deadline)
            .map(|text| {
                parse_deadline(text)
                    .ok_or_else(|| bad("deadline", text, "a deadline such as day_of_month:18"))
            })
            .transpose()?;
        let deadline_time = blank_to_none(&self.deadline_time)
            .map(|t| {
                t.parse()
                    .map_err(|_| bad("deadline_time", t, "a time HH:MM"))
            })
            .transpose()?;
        let outline = list(&self.outline, '|')
            .map(|heading| OutlineSection {
                heading_vi: heading.to_string(),
                heading_en: String::new(),
                guidance_vi: String::new(),
                guidance_en: String::new(),
            })
            .collect();
        let rows: Vec<FormRow> = list(&self.indicators, ';')
            .map(|i| {
                IndicatorCode::new(i)
                    .map(FormRow::new)
                    .map_err(|_| bad("indicators", i, "indicator codes separated by ;"))
            })
            .collect::<Result<_, _>>()?;
        let forms = if rows.is_empty() {
            Vec::new()
        } else {
            vec![Form {
                code: "Biểu 01".to_string(),
                title_vi: self.name_vi.trim().to_string(),
                title_en: String::new(),
                values: RowValues::CompiledTotal,
                columns: vec![FormColumn::ThisPeriod],
                rows,
            }]
        };
        Ok(RegimeContent {
            code,
            name: blank_to_none(&self.name_vi).map(str::to_string),
            name_en: self.name_en.trim().to_string(),
            kind,
            legal_basis,
            content_requirements: blank_to_none(&self.content_requirements).map(str::to_string),
            reporting_agencies,
            receiving_agency,
            methods,
            deadline,
            deadline_time,
            frequency,
            cutoff,
            outline,
            forms,
            attribute_categories: Vec::new(),
            rules: Vec::new(),
            derived: Vec::new(),
            after_deadline: Default::default(),
        })
    }
}

fn parse_deadline(text: &str) -> Option<DeadlineRule> {
    let mut parts = text.split(':').map(str::trim);
    let kind = parts.next()?;
    let first = parts.next()?;
    let second = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let whole = |t: Option<&str>| -> Option<u8> { t.map_or(Some(0), |t| t.parse().ok()) };
    match kind {
        "day_of_month" => Some(DeadlineRule::DayOfMonth {
            day: first.parse().ok()?,
            months_after_period_end: whole(second)?,
        }),
        "days_after_cutoff" | "working_days_after_cutoff" if second.is_none() => {
            Some(DeadlineRule::DaysAfterCutoff {
                days: first.parse().ok()?,
                working_days: kind.starts_with("working"),
            })
        }
        "fixed_date" => {
            let (month, day) = first.split_once('-')?;
            Some(DeadlineRule::FixedDate {
                month: month.parse().ok()?,
                day: day.parse().ok()?,
                years_after_period_end: whole(second)?,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> RegimeRecord {
        RegimeRecord {
            code: "BC-TTHC-Q".into(),
            name_vi: "Báo cáo kiểm soát thủ tục hành chính".into(),
            kind: "periodic".into(),
            legal_document: "Thông tư 01/2020/TT-VPCP".into(),
            legal_issuer: "Văn phòng Chính phủ".into(),
            legal_date: "2020-10-21".into(),
            content_requirements: "Kết quả giải quyết thủ tục hành chính.".into(),
            reporting_levels: "province;ministry".into(),
            receiving_agency: "VPCP".into(),
            methods: "reporting_system;electronic_document".into(),
            frequency: "quarterly".into(),
            cutoff: "decree09".into(),
            deadline: "day_of_month:20".into(),
            outline: "I. Kết quả | II. Kiến nghị".into(),
            indicators: "HC01; HC02".into(),
            ..RegimeRecord::default()
        }
    }

    #[test]
    fn a_full_row_has_all_ten_elements() {
        let content = record().into_content().unwrap();
        assert!(
            content.missing_elements().is_empty(),
            "{:?}",
            content.missing_elements()
        );
        assert_eq!(content.outline.len(), 2);
        assert_eq!(content.forms[0].rows.len(), 2);
        assert_eq!(
            content.deadline,
            Some(DeadlineRule::DayOfMonth {
                day: 20,
                months_after_period_end: 0
            })
        );
    }

    #[test]
    fn blank_cells_are_missing_elements_and_bad_cells_are_named() {
        let content = RegimeRecord {
            cutoff: String::new(),
            outline: String::new(),
            ..record()
        }
        .into_content()
        .unwrap();
        assert_eq!(content.missing_elements().len(), 2);
        for (deadline, expected) in [
            (
                "working_days_after_cutoff:2",
                Some(DeadlineRule::DaysAfterCutoff {
                    days: 2,
                    working_days: true,
                }),
            ),
            (
                "fixed_date:01-15:1",
                Some(DeadlineRule::FixedDate {
                    month: 1,
                    day: 15,
                    years_after_period_end: 1,
                }),
            ),
            (
                "day_of_month:15:1",
                Some(DeadlineRule::DayOfMonth {
                    day: 15,
                    months_after_period_end: 1,
                }),
            ),
            ("someday", None),
            ("days_after_cutoff:5:1", None),
        ] {
            assert_eq!(parse_deadline(deadline), expected, "{deadline}");
        }
        let error = RegimeRecord {
            frequency: "fortnightly".into(),
            ..record()
        }
        .into_content()
        .unwrap_err();
        assert_eq!(error.column, "frequency");
    }
}
