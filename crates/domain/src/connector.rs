//! Connectors: another agency's system that baocao pulls indicators from on a schedule, and the
//! declarative mapping that turns each of its records — a JSON object or a CSV row — into a
//! data value: which field holds the indicator, the agency, the period, the value and each
//! disaggregation, with code lists translating the peer's codes into ours.
//!
//! Pure: fetching, scheduling and storing are the web and store layers' business; the back-off
//! between failed runs is decided here.

use std::collections::BTreeMap;

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::agency::AgencyCode;
use crate::indicator::{Category, Indicator, IndicatorCode};
use crate::period::PeriodId;
use crate::value::{OptionCombo, Value};

/// What a connector pulls and how it reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectorSpec {
    pub name: String,
    /// `http://` or `https://`.
    pub url: String,
    pub format: PeerFormat,
    #[serde(default)]
    pub auth: PeerAuth,
    /// Minutes between successful runs.
    pub every_minutes: u32,
    pub mapping: Mapping,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PeerFormat {
    Json,
    Csv,
}

/// How the peer wants baocao to authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PeerAuth {
    #[default]
    None,
    Bearer {
        token: String,
    },
    Basic {
        username: String,
        password: String,
    },
    /// An API key in a header of the peer's choosing.
    Header {
        name: String,
        value: String,
    },
}

impl PeerAuth {
    /// The kind of authentication, which may be shown where the credentials may not.
    pub fn kind(&self) -> &'static str {
        match self {
            PeerAuth::None => "none",
            PeerAuth::Bearer { .. } => "bearer",
            PeerAuth::Basic { .. } => "basic",
            PeerAuth::Header { .. } => "header",
        }
    }
}

/// Where one piece of a data value comes from: a field of the record (`field`), or a constant
/// (`value`); then translated through `codes` (the peer's code → ours) when given.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldMap {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub codes: BTreeMap<String, String>,
}

/// The record-to-value mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mapping {
    /// JSON only: the records' array as a JSON pointer (`/data/rows`); empty for a top-level
    /// array.
    #[serde(default)]
    pub records: String,
    pub indicator: FieldMap,
    pub agency: FieldMap,
    /// Read as a period id (`2026`, `2026Q3`, `202611`, …) after translation.
    pub period: FieldMap,
    pub value: FieldMap,
    /// Disaggregations: category code → where its option comes from.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, FieldMap>,
}

/// Why a connector's definition is refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SpecError {
    #[error("the name is empty")]
    NoName,
    #[error("the URL {0:?} is not http:// or https://")]
    BadUrl(String),
    #[error("the schedule must be between 1 and 44,640 minutes (a month)")]
    BadSchedule,
    #[error("the mapping of {0} names neither a field nor a value")]
    EmptyField(&'static str),
    #[error("the records pointer {0:?} does not start with /")]
    BadPointer(String),
}

impl ConnectorSpec {
    pub fn check(&self) -> Result<(), SpecError> {
        if self.name.trim().is_empty() {
            return Err(SpecError::NoName);
        }
        let url = self.url.trim();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        if rest.is_none_or(|r| r.is_empty()) {
            return Err(SpecError::BadUrl(self.url.clone()));
        }
        if !(1..=44_640).contains(&self.every_minutes) {
            return Err(SpecError::BadSchedule);
        }
        let mapping = &self.mapping;
        if !mapping.records.is_empty() && !mapping.records.starts_with('/') {
            return Err(SpecError::BadPointer(mapping.records.clone()));
        }
        for (name, field) in [
            ("indicator", &mapping.indicator),
            ("agency", &mapping.agency),
            ("period", &mapping.period),
            ("value", &mapping.value),
        ] {
            if field.field.is_none() && field.value.is_none() {
                return Err(SpecError::EmptyField(name));
            }
        }
        if mapping
            .options
            .values()
            .any(|f| f.field.is_none() && f.value.is_none())
        {
            return Err(SpecError::EmptyField("an option"));
        }
        Ok(())
    }

    /// The wait before the next run: the schedule after a success; after the `failures`-th
    /// failure in a row, 1, 2, 4, 8 … minutes, never longer than the schedule.
    pub fn next_run_after(&self, failures: u32) -> SignedDuration {
        let every = i64::from(self.every_minutes);
        let minutes = match failures {
            0 => every,
            n => (1i64 << (n - 1).min(20)).min(every),
        };
        SignedDuration::from_mins(minutes)
    }
}

/// Why one record could not become a data value.
#[derive(Debug, Error, PartialEq)]
pub enum RecordError {
    #[error("field {0:?} is missing or empty")]
    Missing(String),
    #[error("{what} {code:?} has no translation in the mapping's code list")]
    Untranslated { what: &'static str, code: String },
    #[error("unknown indicator {0:?}")]
    UnknownIndicator(String),
    #[error("{0:?} is not an agency code")]
    BadAgency(String),
    #[error("{0:?} is not a period")]
    BadPeriod(String),
    #[error("{0}")]
    BadValue(String),
}

/// A record mapped: what to store, before the agency is checked against the hierarchy.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedValue {
    pub indicator: IndicatorCode,
    pub agency: AgencyCode,
    pub period: PeriodId,
    pub options: OptionCombo,
    pub value: Value,
}

impl FieldMap {
    /// The text this map gives for a record (`field` reads one of its fields by name).
    fn read(
        &self,
        what: &'static str,
        field: impl Fn(&str) -> Option<String>,
    ) -> Result<String, RecordError> {
        let raw = match (&self.field, &self.value) {
            (Some(name), _) => field(name)
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .ok_or_else(|| RecordError::Missing(name.clone()))?,
            (None, Some(constant)) => constant.clone(),
            (None, None) => return Err(RecordError::Missing(what.to_string())),
        };
        if self.codes.is_empty() {
            return Ok(raw);
        }
        self.codes
            .get(&raw)
            .cloned()
            .ok_or(RecordError::Untranslated { what, code: raw })
    }
}

impl Mapping {
    /// Maps one record, whose fields `field` reads by name, against the catalogue.
    pub fn apply(
        &self,
        field: impl Fn(&str) -> Option<String>,
        indicators: &[Indicator],
        categories: &[Category],
    ) -> Result<MappedValue, RecordError> {
        let code = self.indicator.read("indicator", &field)?;
        let indicator = indicators
            .iter()
            .find(|i| i.code().as_str() == code)
            .ok_or_else(|| RecordError::UnknownIndicator(code.clone()))?;
        let agency_text = self.agency.read("agency", &field)?;
        let agency = AgencyCode::new(agency_text.clone())
            .map_err(|_| RecordError::BadAgency(agency_text))?;
        let period_text = self.period.read("period", &field)?;
        let period =
            PeriodId::parse(&period_text).map_err(|_| RecordError::BadPeriod(period_text))?;
        let mut options = BTreeMap::new();
        for (category, map) in &self.options {
            options.insert(category.clone(), map.read("option", &field)?);
        }
        let options = OptionCombo::new(options, indicator, categories)
            .map_err(|e| RecordError::BadValue(e.to_string()))?;
        let text = self.value.read("value", &field)?;
        let value = Value::parse(indicator.value_type(), &text)
            .map_err(|e| RecordError::BadValue(e.to_string()))?;
        Ok(MappedValue {
            indicator: indicator.code().clone(),
            agency,
            period,
            options,
            value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::IndicatorRecord;

    fn catalogue() -> (Vec<Indicator>, Vec<Category>) {
        let categories: Vec<Category> = serde_json::from_value(serde_json::json!([
            {"code": "sex", "name_vi": "Giới tính", "name_en": "Sex",
             "options": [{"code": "male", "name_vi": "Nam", "name_en": "Male"},
                         {"code": "female", "name_vi": "Nữ", "name_en": "Female"}]}
        ]))
        .expect("categories");
        let record: IndicatorRecord = serde_json::from_value(serde_json::json!({
            "code": "XH11", "name_vi": "Số ca mắc", "name_en": "Cases", "unit_vi": "ca",
            "value_type": "integer", "aggregation": "sum", "frequency": "monthly",
            "group": "Y tế", "disaggregation": "sex"
        }))
        .expect("indicator");
        let indicator = record.into_indicator(&categories).expect("valid");
        (vec![indicator], categories)
    }

    fn mapping() -> Mapping {
        serde_json::from_value(serde_json::json!({
            "records": "/data",
            "indicator": {"field": "chi_tieu", "codes": {"CASES": "XH11"}},
            "agency": {"field": "tinh"},
            "period": {"field": "ky"},
            "value": {"field": "so"},
            "options": {"sex": {"field": "gioi", "codes": {"M": "male", "F": "female"}}}
        }))
        .expect("mapping")
    }

    fn record<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn a_record_maps_through_the_code_lists() {
        let (indicators, categories) = catalogue();
        let fields = [
            ("chi_tieu", "CASES"),
            ("tinh", "01"),
            ("ky", "202610"),
            ("so", " 12 "),
            ("gioi", "F"),
        ];
        let mapped = mapping()
            .apply(record(&fields), &indicators, &categories)
            .expect("maps");
        assert_eq!(mapped.indicator.as_str(), "XH11");
        assert_eq!(mapped.agency.as_str(), "01");
        assert_eq!(mapped.period.to_string(), "202610");
        assert_eq!(mapped.options.key(), "sex=female");
        assert_eq!(mapped.value, Value::Number(12.0));
    }

    #[test]
    fn a_bad_record_says_which_part_is_wrong() {
        let (indicators, categories) = catalogue();
        let map = mapping();
        let apply = |fields: &[(&str, &str)]| map.apply(record(fields), &indicators, &categories);
        let base = [
            ("chi_tieu", "CASES"),
            ("tinh", "01"),
            ("ky", "202610"),
            ("so", "12"),
            ("gioi", "M"),
        ];
        assert!(apply(&base).is_ok());
        let mut other = base;
        other[0].1 = "DEATHS";
        assert_eq!(
            apply(&other),
            Err(RecordError::Untranslated {
                what: "indicator",
                code: "DEATHS".into()
            })
        );
        let mut other = base;
        other[2].1 = "2026-13";
        assert_eq!(apply(&other), Err(RecordError::BadPeriod("2026-13".into())));
        let mut other = base;
        other[3].1 = "12.5";
        assert!(matches!(apply(&other), Err(RecordError::BadValue(_))));
        assert_eq!(apply(&base[..3]), Err(RecordError::Missing("gioi".into())));
    }

    #[test]
    fn failed_runs_back_off_but_never_past_the_schedule() {
        let spec = ConnectorSpec {
            name: "Hệ thống y tế".into(),
            url: "https://peer.example/api".into(),
            format: PeerFormat::Json,
            auth: PeerAuth::None,
            every_minutes: 60,
            mapping: mapping(),
        };
        assert_eq!(spec.check(), Ok(()));
        let minutes: Vec<i64> = (0..9).map(|n| spec.next_run_after(n).as_mins()).collect();
        assert_eq!(minutes, [60, 1, 2, 4, 8, 16, 32, 60, 60]);
        let bad = ConnectorSpec {
            url: "ftp://peer".into(),
            ..spec.clone()
        };
        assert!(matches!(bad.check(), Err(SpecError::BadUrl(_))));
        let bad = ConnectorSpec {
            every_minutes: 0,
            ..spec
        };
        assert_eq!(bad.check(), Err(SpecError::BadSchedule));
    }
}
