//! SDMX data messages, in the representations SDMX tools (sdmx1, pysdmx, pandaSDMX, .Stat)
//! ask for: SDMX-JSON 1.0 and 2.0 ([`json`]), SDMX-CSV 1.0 and 2.0 ([`csv`]), SDMX-ML 2.1
//! generic and structure-specific data ([`xml`]); and the structures that describe them
//! (dataflows, data structure definitions with their codelists, [`structure`]).
//!
//! A message holds series keyed by the positions of their dimension values and observations
//! along TIME_PERIOD in SDMX's period notation (`2026-01`, `2026-Q1`, `2026-S1`, `2026`). SDMX's
//! key notation selects series by dimension — values separated by `+`, dimensions by `.`, an
//! empty position or `all` for everything (`KT04+KT05.01+79`); query periods are read in every
//! form SDMX writes them ([`period_span`]) and compared as time.

pub mod csv;
pub mod json;
pub mod structure;
pub mod xml;

use std::collections::BTreeMap;

use baocao_domain::period::{Frequency, PeriodId};
use jiff::civil::{Date, ISOWeekDate, Weekday};

/// The media type of an SDMX-JSON 1.0 data message.
pub const MEDIA_TYPE: &str = "application/vnd.sdmx.data+json; charset=utf-8; version=1.0.0";

/// The identifier of the total of a disaggregation.
pub const TOTAL: &str = "_T";

/// The maintenance agency of every structure published here.
pub const AGENCY: &str = "BAOCAO";

/// The version of every structure published here.
pub const VERSION: &str = "1.0";

/// The measure's identifier.
pub const MEASURE: &str = "OBS_VALUE";

/// A period in SDMX's notation.
pub fn period(period: PeriodId) -> String {
    let year = period.year();
    let month = period.start().month();
    match period.frequency() {
        Frequency::Monthly => format!("{year}-{month:02}"),
        Frequency::Quarterly => format!("{year}-Q{}", (month - 1) / 3 + 1),
        Frequency::SixMonthly => format!("{year}-S{}", if month <= 6 { 1 } else { 2 }),
        Frequency::Yearly => year.to_string(),
        Frequency::Daily => period.start().to_string(),
        Frequency::Weekly => {
            let week = period.start().iso_week_date();
            format!("{}-W{:02}", week.year(), week.week())
        }
        _ => format!("{}/{}", period.start(), period.end()),
    }
}

/// The first and last day of a query period as SDMX writes one — `2026`, `2026-A1`,
/// `2026-S1`, `2026-Q1`, `2026-01`, `2026-M01`, `2026-W05`, `2026-01-01` (a time after it is
/// ignored) — or as baocao does (`202601`, `2026Q1`). `None`: none of these.
pub fn period_span(text: &str) -> Option<(Date, Date)> {
    let text = text.trim();
    if let Ok(period) = PeriodId::parse(text) {
        return Some((period.start(), period.end()));
    }
    let text = text.split('T').next().unwrap_or(text);
    let (year, rest) = text.split_once('-')?;
    if year.len() != 4 {
        return None;
    }
    let year: i16 = year.parse().ok()?;
    let number = |digits: &str| -> Option<i8> {
        (!digits.is_empty() && digits.len() <= 2 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse().ok())
            .flatten()
    };
    let months = |first: i8, count: i8| -> Option<(Date, Date)> {
        let start = Date::new(year, first, 1).ok()?;
        let end = Date::new(year, first + count - 1, 1).ok()?.last_of_month();
        Some((start, end))
    };
    let (kind, digits) = rest.split_at(rest.find(|c: char| c.is_ascii_digit())?);
    match kind {
        "" if digits.len() == 2 => months(number(digits).filter(|m| (1..=12).contains(m))?, 1),
        "" => {
            let day: Date = text.parse().ok()?;
            Some((day, day))
        }
        "M" => months(number(digits).filter(|m| (1..=12).contains(m))?, 1),
        "Q" => months(
            (number(digits).filter(|q| (1..=4).contains(q))? - 1) * 3 + 1,
            3,
        ),
        "S" => months(
            (number(digits).filter(|s| (1..=2).contains(s))? - 1) * 6 + 1,
            6,
        ),
        "A" if number(digits) == Some(1) => months(1, 12),
        "W" => {
            let week = number(digits)?;
            let monday = ISOWeekDate::new(year, week, Weekday::Monday).ok()?.date();
            let sunday = ISOWeekDate::new(year, week, Weekday::Sunday).ok()?.date();
            Some((monday, sunday))
        }
        _ => None,
    }
}

/// A key that does not have one position per series dimension.
#[derive(Debug, thiserror::Error)]
#[error("the key {key:?} needs {positions} positions separated by dots")]
pub struct KeyError {
    pub key: String,
    pub positions: usize,
}

/// The values a key allows at each of `positions` positions (`None`: any).
pub fn parse_key(key: &str, positions: usize) -> Result<Vec<Option<Vec<String>>>, KeyError> {
    if key.is_empty() || key == "all" {
        return Ok(vec![None; positions]);
    }
    let parts: Vec<&str> = key.split('.').collect();
    if parts.len() != positions {
        return Err(KeyError {
            key: key.to_string(),
            positions,
        });
    }
    Ok(parts
        .iter()
        .map(|part| {
            (!part.is_empty()).then(|| part.split('+').map(String::from).collect::<Vec<_>>())
        })
        .collect())
}

/// A value of a dimension with its name.
#[derive(Debug, Clone)]
pub struct Code {
    pub id: String,
    pub name: String,
}

/// A series dimension and the values its series take, in the order the series refer to them.
#[derive(Debug, Clone)]
pub struct SeriesDimension {
    pub id: String,
    pub name: String,
    pub values: Vec<Code>,
}

/// A data message: its flow, its series dimensions, the periods of its observations (named),
/// and each series (the positions of its values joined by `:`) with its observations by
/// period position.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: String,
    pub prepared: String,
    pub sender_id: String,
    pub sender_name: String,
    /// The dataflow (and data structure) identifier: the table's code.
    pub flow: String,
    pub name: String,
    pub description: String,
    /// The language names are given in (`vi` or `en`).
    pub language: String,
    pub series_dimensions: Vec<SeriesDimension>,
    pub time_name: String,
    pub periods: Vec<(PeriodId, String)>,
    pub series: BTreeMap<String, BTreeMap<usize, f64>>,
}

impl Message {
    /// Keeps, in each series, only its first `first` and last `last` observations in time
    /// (SDMX's `firstNObservations`, `lastNObservations`; both: the union).
    pub fn limit_observations(&mut self, first: Option<usize>, last: Option<usize>) {
        if first.is_none() && last.is_none() {
            return;
        }
        let periods = &self.periods;
        for observations in self.series.values_mut() {
            let mut positions: Vec<usize> = observations.keys().copied().collect();
            positions.sort_by_key(|at| (periods[*at].0.start(), periods[*at].0.end()));
            let count = positions.len();
            let kept: Vec<usize> = positions
                .iter()
                .enumerate()
                .filter(|(rank, _)| {
                    first.is_some_and(|n| *rank < n) || last.is_some_and(|n| *rank + n >= count)
                })
                .map(|(_, at)| *at)
                .collect();
            observations.retain(|at, _| kept.contains(at));
        }
    }

    /// The series key's dimension value ids, in dimension order.
    pub fn key_values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        key.split(':').enumerate().filter_map(|(index, at)| {
            let dimension = self.series_dimensions.get(index)?;
            let value = dimension.values.get(at.parse::<usize>().ok()?)?;
            Some((dimension.id.as_str(), value.id.as_str()))
        })
    }

    /// The URN of the flow's data structure.
    pub fn structure_urn(&self) -> String {
        structure::structure_urn(&self.flow)
    }
}

/// How much of a message to write (SDMX's `detail`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    #[default]
    Full,
    DataOnly,
    SeriesKeysOnly,
    NoData,
}

impl Detail {
    /// SDMX's words, `None` for another.
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "full" => Some(Self::Full),
            "dataonly" => Some(Self::DataOnly),
            "serieskeysonly" => Some(Self::SeriesKeysOnly),
            "nodata" => Some(Self::NoData),
            _ => None,
        }
    }
}

/// What a message is written with beside its content.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    pub detail: Detail,
    /// SDMX's `dimensionAtObservation=AllDimensions`: a flat list of observations keyed by
    /// every dimension, time included (else observations run along TIME_PERIOD).
    pub all_dimensions: bool,
}

/// The representations a data message is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    Json1,
    Json2,
    Csv1,
    Csv2,
    GenericXml,
    StructureSpecificXml,
}

impl Representation {
    /// The media type answered.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Json1 => MEDIA_TYPE,
            Self::Json2 => "application/vnd.sdmx.data+json; charset=utf-8; version=2.0.0",
            Self::Csv1 => "application/vnd.sdmx.data+csv; charset=utf-8; version=1.0.0",
            Self::Csv2 => "application/vnd.sdmx.data+csv; charset=utf-8; version=2.0.0",
            Self::GenericXml => "application/vnd.sdmx.genericdata+xml; charset=utf-8; version=2.1",
            Self::StructureSpecificXml => {
                "application/vnd.sdmx.structurespecificdata+xml; charset=utf-8; version=2.1"
            }
        }
    }

    /// The representation a `format` parameter names (`jsondata`, `sdmx-json`, `csv`,
    /// `csvfile`, `genericdata`, `structurespecificdata`, with SDMX's versioned names).
    pub fn of_format(format: &str) -> Option<Self> {
        match format.to_ascii_lowercase().as_str() {
            "jsondata" | "sdmx-json" | "json" | "sdmx-json-1.0.0" => Some(Self::Json1),
            "sdmx-json-2.0.0" => Some(Self::Json2),
            "csv" | "csvfile" | "sdmx-csv" | "sdmx-csv-1.0.0" => Some(Self::Csv1),
            "sdmx-csv-2.0.0" => Some(Self::Csv2),
            "genericdata" | "generic" | "sdmx-ml-generic" => Some(Self::GenericXml),
            "structurespecificdata" | "structure" | "sdmx-ml" | "xml" => {
                Some(Self::StructureSpecificXml)
            }
            _ => None,
        }
    }

    /// The representation of one media range of an `Accept` header; `None` for a range none
    /// of them satisfies.
    fn of_media_range(range: &str) -> Option<Self> {
        let mut parts = range.split(';').map(str::trim);
        let kind = parts.next()?.to_ascii_lowercase();
        let version = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("version"))
            .map(|(_, v)| v.trim().trim_matches('"').to_string());
        let major = version
            .as_deref()
            .map(|v| v.split('.').next().unwrap_or(""));
        match (kind.as_str(), major) {
            ("*/*" | "application/*" | "application/json", _) => Some(Self::Json1),
            ("application/vnd.sdmx.data+json", None | Some("1")) => Some(Self::Json1),
            ("application/vnd.sdmx.data+json", Some("2")) => Some(Self::Json2),
            ("text/csv" | "application/vnd.sdmx.data+csv", None | Some("1")) => Some(Self::Csv1),
            ("application/vnd.sdmx.data+csv", Some("2")) => Some(Self::Csv2),
            ("application/vnd.sdmx.genericdata+xml", None | Some("2")) => Some(Self::GenericXml),
            (
                "application/vnd.sdmx.structurespecificdata+xml" | "application/xml" | "text/xml",
                None | Some("2"),
            ) => Some(Self::StructureSpecificXml),
            _ => None,
        }
    }

    /// The representation an `Accept` header asks for, by its quality values (absent or
    /// empty: SDMX-JSON 1.0); `None`: nothing it accepts is written here (a 406).
    pub fn negotiate(accept: Option<&str>) -> Option<Self> {
        let accept = match accept.map(str::trim) {
            None | Some("") => return Some(Self::Json1),
            Some(accept) => accept,
        };
        let mut ranges: Vec<(f32, usize, Option<Self>)> = accept
            .split(',')
            .enumerate()
            .map(|(order, range)| {
                let quality = range
                    .split(';')
                    .filter_map(|p| p.trim().split_once('='))
                    .find(|(k, _)| k.trim() == "q")
                    .and_then(|(_, q)| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                (quality, order, Self::of_media_range(range))
            })
            .filter(|(quality, _, _)| *quality > 0.0)
            .collect();
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranges
            .into_iter()
            .find_map(|(_, _, representation)| representation)
    }
}

/// The message written in `representation`.
pub fn write(
    message: &Message,
    representation: Representation,
    options: WriteOptions,
) -> Result<String, WriteError> {
    match representation {
        Representation::Json1 => Ok(json::write_v1(message, options)),
        Representation::Json2 => Ok(json::write_v2(message, options)),
        Representation::Csv1 => csv::write(message, options, csv::Version::One),
        Representation::Csv2 => csv::write(message, options, csv::Version::Two),
        Representation::GenericXml => xml::write_generic(message, options),
        Representation::StructureSpecificXml => xml::write_structure_specific(message, options),
    }
}

/// Why a message could not be written (only a writer's own failure).
#[derive(Debug, thiserror::Error)]
#[error("the SDMX message could not be written: {0}")]
pub struct WriteError(pub String);

/// A number as SDMX's text formats write an observation: the shortest form that reads back
/// the same, without a trailing `.0`.
pub fn number_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Message {
        let months = ["202601", "202602", "202603"].map(|m| PeriodId::parse(m).unwrap());
        Message {
            id: "M".into(),
            prepared: "2026-04-01T00:00:00Z".into(),
            sender_id: "BAOCAO".into(),
            sender_name: "Hệ thống".into(),
            flow: "TM-01".into(),
            name: "Bảng".into(),
            description: "Chủ đề".into(),
            language: "vi".into(),
            series_dimensions: vec![
                SeriesDimension {
                    id: "INDICATOR".into(),
                    name: "Chỉ tiêu".into(),
                    values: vec![Code {
                        id: "KT04".into(),
                        name: "Bán lẻ".into(),
                    }],
                },
                SeriesDimension {
                    id: "REF_AREA".into(),
                    name: "Đơn vị".into(),
                    values: vec![
                        Code {
                            id: "01".into(),
                            name: "Hà Nội".into(),
                        },
                        Code {
                            id: "79".into(),
                            name: "TP HCM".into(),
                        },
                    ],
                },
            ],
            time_name: "Kỳ".into(),
            periods: months.iter().map(|m| (*m, m.to_string())).collect(),
            series: BTreeMap::from([
                (
                    "0:0".to_string(),
                    BTreeMap::from([(0, 12.5), (1, 13.0), (2, 14.0)]),
                ),
                ("0:1".to_string(), BTreeMap::from([(2, 7.0), (0, 5.0)])),
            ]),
        }
    }

    #[test]
    fn periods_are_written_the_sdmx_way() {
        let id = |text: &str| period(PeriodId::parse(text).unwrap());
        assert_eq!(id("202601"), "2026-01");
        assert_eq!(id("2026Q3"), "2026-Q3");
        assert_eq!(id("2026S2"), "2026-S2");
        assert_eq!(id("2025"), "2025");
        assert_eq!(id("2026W5"), "2026-W05");
    }

    #[test]
    fn query_periods_are_read_in_every_sdmx_form_as_time() {
        let span = |text: &str| {
            period_span(text).map(|(first, last)| (first.to_string(), last.to_string()))
        };
        let days = |first: &str, last: &str| Some((first.to_string(), last.to_string()));
        assert_eq!(span("2026"), days("2026-01-01", "2026-12-31"));
        assert_eq!(span("2026-A1"), days("2026-01-01", "2026-12-31"));
        assert_eq!(span("2026-S2"), days("2026-07-01", "2026-12-31"));
        assert_eq!(span("2026-Q1"), days("2026-01-01", "2026-03-31"));
        assert_eq!(span("2026-02"), days("2026-02-01", "2026-02-28"));
        assert_eq!(span("2026-M02"), days("2026-02-01", "2026-02-28"));
        assert_eq!(span("2026-01-15"), days("2026-01-15", "2026-01-15"));
        assert_eq!(
            span("2026-01-15T10:00:00"),
            days("2026-01-15", "2026-01-15")
        );
        assert_eq!(span("2026-W01"), days("2025-12-29", "2026-01-04"));
        assert_eq!(span("202601"), days("2026-01-01", "2026-01-31"));
        assert_eq!(span("2026Q4"), days("2026-10-01", "2026-12-31"));
        for bad in ["2026-13", "2026-Q5", "26", "2026-X1", "", "2026-02-30"] {
            assert_eq!(span(bad), None, "{bad}");
        }
    }

    #[test]
    fn keys_select_by_position() {
        assert_eq!(parse_key("all", 2).unwrap(), vec![None, None]);
        assert_eq!(
            parse_key("KT04+KT05.", 2).unwrap(),
            vec![Some(vec!["KT04".to_string(), "KT05".to_string()]), None]
        );
        assert!(parse_key("KT04", 2).is_err());
    }

    #[test]
    fn first_and_last_observations_are_counted_in_time() {
        let mut message = sample();
        message.limit_observations(None, Some(1));
        assert_eq!(message.series["0:0"], BTreeMap::from([(2, 14.0)]));
        assert_eq!(message.series["0:1"], BTreeMap::from([(2, 7.0)]));
        let mut message = sample();
        message.limit_observations(Some(1), None);
        assert_eq!(message.series["0:0"], BTreeMap::from([(0, 12.5)]));
        assert_eq!(message.series["0:1"], BTreeMap::from([(0, 5.0)]));
    }

    #[test]
    fn representations_are_negotiated_by_accept() {
        let of = |accept: &str| Representation::negotiate(Some(accept));
        assert_eq!(Representation::negotiate(None), Some(Representation::Json1));
        assert_eq!(
            of("application/vnd.sdmx.data+json;version=1.0.0"),
            Some(Representation::Json1)
        );
        assert_eq!(
            of("application/vnd.sdmx.data+json;version=2.0.0"),
            Some(Representation::Json2)
        );
        assert_eq!(
            of("application/vnd.sdmx.data+csv;version=2.0.0"),
            Some(Representation::Csv2)
        );
        assert_eq!(of("text/csv"), Some(Representation::Csv1));
        assert_eq!(
            of("application/vnd.sdmx.structurespecificdata+xml;version=2.1"),
            Some(Representation::StructureSpecificXml)
        );
        assert_eq!(
            of("application/vnd.sdmx.genericdata+xml;version=2.1"),
            Some(Representation::GenericXml)
        );
        assert_eq!(
            of("application/vnd.sdmx.data+json;version=2.0.0;q=0.5, text/csv;q=0.9"),
            Some(Representation::Csv1)
        );
        assert_eq!(of("application/vnd.sdmx.data+json;version=3.0.0"), None);
        assert_eq!(of("image/png"), None);
        assert_eq!(of("image/png, */*;q=0.1"), Some(Representation::Json1));
    }

    #[test]
    fn numbers_are_written_as_read() {
        assert_eq!(number_text(12.0), "12");
        assert_eq!(number_text(704190.6), "704190.6");
        assert_eq!(number_text(-0.25), "-0.25");
    }
}
