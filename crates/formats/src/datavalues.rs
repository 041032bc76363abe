//! DHIS2 data value sets and IHE ADX, both ways. In: the three shapes a push arrives in, read
//! as a stream — DHIS2's JSON (`application/json`), DHIS2's CSV (`text/csv`: `dataelement,
//! period, orgunit, catoptcombo, attroptcombo, value, …`, the header line optional) and IHE ADX
//! (`application/adx+xml`: `<group dataSet orgUnit period="2026-11-01/P1M">` holding
//! `<dataValue dataElement value sex="female"/>`, disaggregations as attributes). Out: a set's
//! values as DHIS2's CSV or as ADX (DHIS2's JSON is the edge's serde shape).
//!
//! [`read`] hands each value on as soon as it is read, so a payload of a million values is
//! never held whole; the set's own fields (JSON's `dataSet`, `period`, `orgUnit`, ADX's group
//! `dataSet`) are handed on as they are met, before the values that follow them.
//!
//! XML is read by quick-xml, which expands no DTD: an entity other than the five predefined
//! ones (an "entity bomb", an external entity) is an error, never fetched nor expanded.

use std::io::BufRead;

use baocao_domain::period::PeriodId;
use quick_xml::events::Event;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::budget::Budget;
use crate::{LimitExceeded, Limits};

/// Why a payload could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The payload is not of its format (`format` is `CSV` or `ADX`).
    #[error("the {format} payload cannot be read: {detail}")]
    Malformed {
        format: &'static str,
        detail: String,
    },
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    #[error(transparent)]
    Limit(LimitExceeded),
}

fn malformed(format: &'static str, detail: impl std::fmt::Display) -> ReadError {
    ReadError::Malformed {
        format,
        detail: detail.to_string(),
    }
}

/// One value as pushed: codes are the id scheme; a value with `deleted: true` removes the
/// cell. Period and agency default to the set's.
#[derive(Debug, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct DataValueIn {
    /// The indicator.
    pub data_element: String,
    pub period: Option<String>,
    pub org_unit: Option<String>,
    /// `default` (the total) or a disaggregation such as `sex=female;area=rural`.
    pub category_option_combo: Option<String>,
    /// A number, a text, a yes/no, or null to clear the cell.
    pub value: Option<serde_json::Value>,
    #[serde(default)]
    pub deleted: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Adx,
}

impl Format {
    /// The payload's format by its media type (`application/json` when none is given);
    /// `None` for a type none of the three.
    pub fn of_media_type(content_type: &str) -> Option<Self> {
        let content_type = content_type.to_ascii_lowercase();
        match content_type.split(';').next().unwrap_or("").trim() {
            "application/json" | "" => Some(Format::Json),
            "text/csv" | "application/csv" => Some(Format::Csv),
            "application/adx+xml" | "application/xml" | "text/xml" => Some(Format::Adx),
            _ => None,
        }
    }
}

/// The set's own fields, as far as read.
#[derive(Debug, Clone, Default)]
pub struct SetHeader {
    pub data_set: Option<String>,
    pub period: Option<String>,
    pub org_unit: Option<String>,
}

/// What the reader hands on, in payload order.
#[derive(Debug)]
pub enum Item {
    Header(SetHeader),
    Value(DataValueIn),
}

/// Raised when the receiver of the items wants no more (it met an error of its own).
const STOPPED: &str = "reading stopped";

/// Reads the payload, handing each item to `emit` as it comes; `emit` answers `false` to stop.
/// One value (with its fields), one CSV record, one XML tag may take at most
/// `limits.max_token_bytes`: a longer one is refused as soon as it crosses the limit, before it
/// is held whole.
pub fn read(
    format: Format,
    reader: impl BufRead,
    limits: &Limits,
    emit: &mut dyn FnMut(Item) -> bool,
) -> Result<(), ReadError> {
    let budget = Budget::new("max_token_bytes", limits.max_token_bytes);
    let reader = budget.reader(reader);
    let read = match format {
        Format::Json => json(reader, &budget, emit),
        Format::Csv => csv(reader, &budget, emit),
        Format::Adx => adx(reader, &budget, limits, emit),
    };
    match budget.exceeded() {
        Some(limit) => Err(ReadError::Limit(limit)),
        None => read,
    }
}

/// DHIS2's JSON, its `dataValues` walked one element at a time.
fn json(
    reader: impl BufRead,
    budget: &Budget,
    emit: &mut dyn FnMut(Item) -> bool,
) -> Result<(), ReadError> {
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let invalid = |e: serde_json::Error| ReadError::InvalidJson(e.to_string());
    SetSeed { emit, budget }
        .deserialize(&mut deserializer)
        .map_err(invalid)?;
    deserializer.end().map_err(invalid)
}

struct SetSeed<'a> {
    emit: &'a mut dyn FnMut(Item) -> bool,
    budget: &'a Budget,
}

impl<'de> DeserializeSeed<'de> for SetSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SetSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a data value set object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut header = SetHeader::default();
        while let Some(key) = map.next_key::<String>()? {
            let field = match key.as_str() {
                "dataSet" => &mut header.data_set,
                "period" => &mut header.period,
                "orgUnit" => &mut header.org_unit,
                "dataValues" => {
                    map.next_value_seed(ValuesSeed {
                        emit: &mut *self.emit,
                        budget: self.budget,
                    })?;
                    continue;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    self.budget.reset();
                    continue;
                }
            };
            *field = map.next_value()?;
            self.budget.reset();
            if !(self.emit)(Item::Header(header.clone())) {
                return Err(de::Error::custom(STOPPED));
            }
        }
        Ok(())
    }
}

struct ValuesSeed<'a> {
    emit: &'a mut dyn FnMut(Item) -> bool,
    budget: &'a Budget,
}

impl<'de> DeserializeSeed<'de> for ValuesSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ValuesSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of data values")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<DataValueIn>()? {
            self.budget.reset();
            if !(self.emit)(Item::Value(value)) {
                return Err(de::Error::custom(STOPPED));
            }
        }
        Ok(())
    }
}

/// DHIS2's data value CSV.
fn csv(
    body: impl BufRead,
    budget: &Budget,
    emit: &mut dyn FnMut(Item) -> bool,
) -> Result<(), ReadError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| malformed("CSV", e))?;
        budget.reset();
        let cell = |n: usize| record.get(n).map(str::to_string).filter(|c| !c.is_empty());
        if index == 0
            && record
                .get(0)
                .is_some_and(|c| c.eq_ignore_ascii_case("dataelement"))
        {
            continue;
        }
        if record.len() < 6 {
            return Err(malformed(
                "CSV",
                format!(
                    "line {} has {} columns, not at least 6 (dataelement, period, orgunit, catoptcombo, attroptcombo, value)",
                    index + 1,
                    record.len()
                ),
            ));
        }
        let deleted = cell(10).is_some_and(|d| d.eq_ignore_ascii_case("true"));
        let value = DataValueIn {
            data_element: cell(0).unwrap_or_default(),
            period: cell(1),
            org_unit: cell(2),
            category_option_combo: cell(3),
            value: if deleted {
                None
            } else {
                cell(5).map(serde_json::Value::String)
            },
            deleted: None,
        };
        if !emit(Item::Value(value)) {
            return Err(malformed("CSV", STOPPED));
        }
    }
    Ok(())
}

/// IHE ADX: every group's values, with the group's orgUnit and period on each; one dataSet.
fn adx(
    body: impl BufRead,
    budget: &Budget,
    limits: &Limits,
    emit: &mut dyn FnMut(Item) -> bool,
) -> Result<(), ReadError> {
    let mut reader = quick_xml::Reader::from_reader(body);
    reader.config_mut().trim_text(true);
    let mut buffer = Vec::new();
    let mut data_set: Option<String> = None;
    let mut group: Option<(String, String)> = None;
    let mut saw_root = false;
    let mut depth = 0usize;
    loop {
        let event = reader
            .read_event_into(&mut buffer)
            .map_err(|e| malformed("ADX", e))?;
        budget.reset();
        if let Event::Start(_) = event {
            depth += 1;
            if depth > limits.max_xml_depth {
                return Err(ReadError::Limit(LimitExceeded::new(
                    "max_xml_depth",
                    limits.max_xml_depth,
                    "the ADX document nests elements too deep",
                )));
            }
        }
        match event {
            Event::DocType(_) => {
                return Err(malformed(
                    "ADX",
                    "a DOCTYPE (entities and external references are refused)",
                ));
            }
            Event::Start(element) | Event::Empty(element) => {
                crate::xml::check_attributes(&element, limits).map_err(ReadError::Limit)?;
                let mut attributes = Vec::new();
                for attribute in element.attributes() {
                    let attribute = attribute.map_err(|e| malformed("ADX", e))?;
                    let key =
                        String::from_utf8_lossy(attribute.key.local_name().as_ref()).to_string();
                    let value = attribute
                        .decode_and_unescape_value(reader.decoder())
                        .map_err(|e| malformed("ADX", e))?
                        .to_string();
                    attributes.push((key, value));
                }
                let attribute = |name: &str| {
                    attributes
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.clone())
                };
                match element.local_name().as_ref() {
                    b"adx" => saw_root = true,
                    b"group" => {
                        if !saw_root {
                            return Err(malformed("ADX", "a group outside an <adx> root element"));
                        }
                        let set = attribute("dataSet")
                            .ok_or_else(|| malformed("ADX", "a group without dataSet"))?;
                        if data_set.as_ref().is_some_and(|known| known != &set) {
                            return Err(malformed(
                                "ADX",
                                "groups of different dataSets (send one regime a payload)",
                            ));
                        }
                        if data_set.is_none() {
                            let header = SetHeader {
                                data_set: Some(set.clone()),
                                ..SetHeader::default()
                            };
                            if !emit(Item::Header(header)) {
                                return Err(malformed("ADX", STOPPED));
                            }
                        }
                        data_set = Some(set);
                        let interval = attribute("period")
                            .ok_or_else(|| malformed("ADX", "a group without period"))?;
                        let period = PeriodId::from_interval(&interval).map_err(|e| {
                            malformed("ADX", format!("period {interval:?}: {}", e.reason))
                        })?;
                        let org_unit = attribute("orgUnit")
                            .ok_or_else(|| malformed("ADX", "a group without orgUnit"))?;
                        group = Some((org_unit, period.to_string()));
                    }
                    b"dataValue" => {
                        let (org_unit, period) = group
                            .clone()
                            .ok_or_else(|| malformed("ADX", "a dataValue outside a group"))?;
                        let data_element = attribute("dataElement")
                            .ok_or_else(|| malformed("ADX", "a dataValue without dataElement"))?;
                        // Every other attribute is a disaggregation: category = option.
                        let mut combo: Vec<String> = attributes
                            .iter()
                            .filter(|(k, _)| k != "dataElement" && k != "value")
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect();
                        combo.sort();
                        let value = DataValueIn {
                            data_element,
                            period: Some(period),
                            org_unit: Some(org_unit),
                            category_option_combo: (!combo.is_empty()).then(|| combo.join(";")),
                            value: attribute("value").map(serde_json::Value::String),
                            deleted: None,
                        };
                        if !emit(Item::Value(value)) {
                            return Err(malformed("ADX", STOPPED));
                        }
                    }
                    _ => {}
                }
            }
            Event::End(element) => {
                depth = depth.saturating_sub(1);
                if element.local_name().as_ref() == b"group" {
                    group = None;
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buffer.clear();
    }
    if !saw_root {
        return Err(malformed("ADX", "no <adx> root element"));
    }
    Ok(())
}

#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;

    fn read_all(format: Format, bytes: &[u8]) -> Result<usize, ReadError> {
        let mut values = 0;
        read(format, bytes, &Limits::default(), &mut |item| {
            values += matches!(item, Item::Value(_)) as usize;
            true
        })?;
        Ok(values)
    }

    #[test]
    fn each_format_reads_a_real_payload() {
        let json = br#"{"dataSet":"BC-KTXH-T","period":"202611","orgUnit":"01","dataValues":[{"dataElement":"KT04","value":"1"}]}"#;
        assert_eq!(read_all(Format::Json, json).unwrap(), 1);
        assert_eq!(
            read_all(Format::Csv, b"KT04,202611,01,,,1\nKT05,202611,01,,,2\n").unwrap(),
            2
        );
        let adx = br#"<adx><group orgUnit="01" period="2026-11-01/P1M" dataSet="BC-KTXH-T"><dataValue dataElement="KT04" value="1" sex="female"/></group></adx>"#;
        assert_eq!(read_all(Format::Adx, adx).unwrap(), 1);
    }

    /// Pieces of the three formats, so random payloads get past the first character.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("{".to_string()),
            Just("}".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just("\"dataValues\":".to_string()),
            Just("\"dataElement\":\"KT04\"".to_string()),
            Just("\"value\":\"1\"".to_string()),
            Just(",".to_string()),
            Just(":".to_string()),
            Just("<adx>".to_string()),
            Just("</adx>".to_string()),
            Just("<group orgUnit=\"01\" period=\"2026-11-01/P1M\" dataSet=\"X\">".to_string()),
            Just("</group>".to_string()),
            Just("<dataValue dataElement=\"KT04\" value=\"1\"/>".to_string()),
            Just("<!DOCTYPE x>".to_string()),
            Just("&amp;".to_string()),
            Just("\n".to_string()),
            Just("KT04,202611,01,,,1".to_string()),
            Just("\"".to_string()),
            "[a-zA-Z0-9 =/<>\"-]{0,12}",
        ]
    }

    proptest! {
        /// Any payload in any format: values or an error, never a panic.
        #[test]
        fn any_payload_is_answered(pieces in proptest::collection::vec(piece(), 0..40)) {
            let text = pieces.concat();
            for format in [Format::Json, Format::Csv, Format::Adx] {
                let _ = read_all(format, text.as_bytes());
            }
        }

        /// Any bytes at all.
        #[test]
        fn any_bytes_are_answered(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            for format in [Format::Json, Format::Csv, Format::Adx] {
                let _ = read_all(format, &bytes);
            }
        }
    }
}

/// Why a set could not be written (only a writer's own failure: the values are plain text).
#[derive(Debug, thiserror::Error)]
#[error("the data value set could not be written: {0}")]
pub struct WriteError(String);

/// One value of a set read back.
#[derive(Debug, Clone, PartialEq)]
pub struct PulledValue {
    pub org_unit: String,
    pub data_element: String,
    /// The option combination's key (`sex=female;area=rural`), empty for the total.
    pub combo: String,
    pub value: serde_json::Value,
}

impl PulledValue {
    /// DHIS2's name of the option combination: `default` for the total.
    pub fn combo_or_default(&self) -> &str {
        if self.combo.is_empty() {
            "default"
        } else {
            &self.combo
        }
    }
}

/// A value as the text a CSV cell or an XML attribute holds.
fn text_of(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// DHIS2's data value CSV, with its header line.
pub fn write_csv(period: &str, values: &[PulledValue]) -> Result<String, WriteError> {
    let failed = |e: csv::Error| WriteError(e.to_string());
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record([
            "dataelement",
            "period",
            "orgunit",
            "catoptcombo",
            "attroptcombo",
            "value",
        ])
        .map_err(failed)?;
    for value in values {
        writer
            .write_record([
                value.data_element.as_str(),
                period,
                &value.org_unit,
                value.combo_or_default(),
                "",
                &text_of(&value.value),
            ])
            .map_err(failed)?;
    }
    let bytes = writer.into_inner().map_err(|e| WriteError(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| WriteError(e.to_string()))
}

/// IHE ADX: one group per orgUnit (in the values' order), disaggregations as attributes.
pub fn write_adx(
    data_set: &str,
    period: PeriodId,
    values: &[PulledValue],
) -> Result<String, WriteError> {
    use quick_xml::events::{BytesDecl, BytesEnd, BytesStart};
    let period = period.to_interval();
    let mut writer = quick_xml::Writer::new_with_indent(Vec::new(), b' ', 2);
    let fail = |e: std::io::Error| WriteError(e.to_string());
    writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(fail)?;
    let mut root = BytesStart::new("adx");
    root.push_attribute(("xmlns", "urn:ihe:qrph:adx:2015"));
    writer.write_event(Event::Start(root)).map_err(fail)?;
    let mut org_units: Vec<&String> = values.iter().map(|v| &v.org_unit).collect();
    org_units.dedup();
    for org_unit in org_units {
        let mut group = BytesStart::new("group");
        group.push_attribute(("orgUnit", org_unit.as_str()));
        group.push_attribute(("period", period.as_str()));
        group.push_attribute(("dataSet", data_set));
        writer.write_event(Event::Start(group)).map_err(fail)?;
        for value in values.iter().filter(|v| &v.org_unit == org_unit) {
            let mut data_value = BytesStart::new("dataValue");
            data_value.push_attribute(("dataElement", value.data_element.as_str()));
            for pair in value.combo.split(';').filter(|p| !p.is_empty()) {
                if let Some((category, option)) = pair.split_once('=') {
                    data_value.push_attribute((category, option));
                }
            }
            data_value.push_attribute(("value", text_of(&value.value).as_str()));
            writer.write_event(Event::Empty(data_value)).map_err(fail)?;
        }
        writer
            .write_event(Event::End(BytesEnd::new("group")))
            .map_err(fail)?;
    }
    writer
        .write_event(Event::End(BytesEnd::new("adx")))
        .map_err(fail)?;
    String::from_utf8(writer.into_inner()).map_err(|e| WriteError(e.to_string()))
}
