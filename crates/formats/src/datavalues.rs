//! DHIS2 data value sets and IHE ADX, both ways. In: the shapes a push arrives in, read as a
//! stream — DHIS2's JSON (`application/json`), DHIS2's CSV (`text/csv`: `dataelement, period,
//! orgunit, catoptcombo, attroptcombo, value, storedby, lastupdated, comment, followup,
//! deleted`, the header line optional) and XML (`application/adx+xml`, `application/xml`):
//! IHE ADX (`<adx><group dataSet orgUnit period="2026-11-01/P1M">` holding `<dataValue
//! dataElement value sex="female"/>`, disaggregations as attributes) or DHIS2's own
//! `<dataValueSet>`, told apart by the root element. Out: a set's values as DHIS2's CSV or as
//! ADX (DHIS2's JSON is the edge's serde shape).
//!
//! # Nothing dropped
//! Every field of every format is either understood or handed on by name in
//! [`DataValueIn::unknown`], for the importer to refuse as a conflict. Understood are the
//! value's place and cell (`dataSet`, `period`, `orgUnit`, `dataElement`,
//! `categoryOptionCombo` or ADX's category attributes, `value`, `deleted`), what the importer
//! keeps where the regime has a place for it (`attributeOptionCombo` and ADX's group
//! attributes — DHIS2's attribute categories such as `mechanism`, kept where the regime
//! declares them), `comment` and ADX's `<annotation>` (the cell's note), what it refuses
//! (`followup`),
//! and what the receiving server records itself, as DHIS2 does (`storedBy`, `created`,
//! `lastUpdated`, a set's `completeDate`): the provenance of every value is the caller and
//! the time of the push, never a payload's claim.
//!
//! Periods are handed on as written (DHIS2's `202611`, ADX's `2026-11-01/P1M`): a period that
//! is not one refuses its values, not the payload.
//!
//! [`read`] hands each value on as soon as it is read, so a payload of a million values is
//! never held whole; the set's own fields (JSON's `dataSet`, `period`, `orgUnit`) are handed
//! on as they are met, before the values that follow them.
//!
//! XML is read by quick-xml, which expands no DTD: an entity other than the five predefined
//! ones (an "entity bomb", an external entity) is an error, never fetched nor expanded.

use std::io::BufRead;

use baocao_domain::period::PeriodId;

use quick_xml::events::Event;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::budget::Budget;
use crate::{LimitExceeded, Limits};

/// Why a payload could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The payload is not of its format (`format` is `CSV`, `ADX` or `XML`).
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
/// cell. Regime, period and agency default to the set's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataValueIn {
    /// The indicator.
    pub data_element: String,
    /// The regime, where the value names its own (an ADX group's `dataSet`).
    pub data_set: Option<String>,
    /// As written: a DHIS2 period id or an ISO 8601 interval (ADX).
    pub period: Option<String>,
    pub org_unit: Option<String>,
    /// `default` (the total) or a disaggregation such as `sex=female;area=rural`.
    pub category_option_combo: Option<String>,
    /// DHIS2's attribute option combination: an `attributeOptionCombo`, or an ADX group's
    /// attribute categories as `category=option;…`. Empty or `default`: none.
    pub attribute_option_combo: Option<String>,
    /// A number, a text, a yes/no, or null to clear the cell.
    pub value: Option<serde_json::Value>,
    pub deleted: Option<bool>,
    /// DHIS2's `comment` (ADX's `<annotation>`).
    pub comment: Option<String>,
    pub followup: Option<bool>,
    /// Fields of the value this reader does not understand, by name.
    pub unknown: Vec<String>,
}

impl DataValueIn {
    /// Sets one field by its DHIS2 name from its text (XML attributes, CSV's named columns);
    /// answers `false` for a name no DHIS2 data value has.
    fn set_text(&mut self, name: &str, text: String) -> bool {
        let non_empty = |text: String| (!text.is_empty()).then_some(text);
        match name {
            "dataElement" => self.data_element = text,
            "dataSet" => self.data_set = non_empty(text),
            "period" => self.period = non_empty(text),
            "orgUnit" => self.org_unit = non_empty(text),
            "categoryOptionCombo" => self.category_option_combo = non_empty(text),
            "attributeOptionCombo" => self.attribute_option_combo = non_empty(text),
            "value" => self.value = Some(serde_json::Value::String(text)),
            "comment" => self.comment = non_empty(text),
            "deleted" => self.deleted = yes_no(&text),
            "followup" => self.followup = yes_no(&text),
            "storedBy" | "created" | "lastUpdated" => {}
            _ => return false,
        }
        true
    }
}

/// A yes/no as DHIS2's text formats write it; anything else is `None` (not said).
fn yes_no(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    /// IHE ADX or DHIS2's XML data value set, by the root element.
    Xml,
}

impl Format {
    /// The payload's format by its media type (`application/json` when none is given);
    /// `None` for a type none of the three.
    pub fn of_media_type(content_type: &str) -> Option<Self> {
        let content_type = content_type.to_ascii_lowercase();
        match content_type.split(';').next().unwrap_or("").trim() {
            "application/json" | "" => Some(Format::Json),
            "text/csv" | "application/csv" => Some(Format::Csv),
            "application/adx+xml" | "application/xml" | "text/xml" => Some(Format::Xml),
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
    /// The set's attribute option combination, for values that do not give their own.
    pub attribute_option_combo: Option<String>,
    /// Fields of the set this reader does not understand, by name.
    pub unknown: Vec<String>,
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
        Format::Xml => xml(reader, &budget, limits, emit),
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
            match key.as_str() {
                "dataSet" => header.data_set = map.next_value()?,
                "period" => header.period = map.next_value()?,
                "orgUnit" => header.org_unit = map.next_value()?,
                "attributeOptionCombo" => header.attribute_option_combo = map.next_value()?,
                "dataValues" => {
                    map.next_value_seed(ValuesSeed {
                        emit: &mut *self.emit,
                        budget: self.budget,
                    })?;
                    continue;
                }
                // Recorded by the receiving server itself (see the module's doc).
                "completeDate" | "storedBy" | "created" | "lastUpdated" => {
                    map.next_value::<IgnoredAny>()?;
                    self.budget.reset();
                    continue;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    header.unknown.push(key);
                }
            }
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
        while let Some(JsonValue(value)) = seq.next_element::<JsonValue>()? {
            self.budget.reset();
            if !(self.emit)(Item::Value(value)) {
                return Err(de::Error::custom(STOPPED));
            }
        }
        Ok(())
    }
}

/// One JSON data value, every key either a field or named in [`DataValueIn::unknown`].
struct JsonValue(DataValueIn);

impl<'de> de::Deserialize<'de> for JsonValue {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(JsonValueVisitor)
    }
}

struct JsonValueVisitor;

impl<'de> Visitor<'de> for JsonValueVisitor {
    type Value = JsonValue;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a data value object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonValue, A::Error> {
        let mut value = DataValueIn::default();
        let mut element = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "dataElement" => element = Some(map.next_value::<String>()?),
                "dataSet" => value.data_set = map.next_value()?,
                "period" => value.period = map.next_value()?,
                "orgUnit" => value.org_unit = map.next_value()?,
                "categoryOptionCombo" => value.category_option_combo = map.next_value()?,
                "attributeOptionCombo" => value.attribute_option_combo = map.next_value()?,
                "value" => value.value = map.next_value()?,
                "deleted" => value.deleted = map.next_value()?,
                "comment" => value.comment = map.next_value()?,
                "followup" => value.followup = map.next_value()?,
                "storedBy" | "created" | "lastUpdated" => {
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    value.unknown.push(key);
                }
            }
        }
        value.data_element = element.ok_or_else(|| de::Error::missing_field("dataElement"))?;
        Ok(JsonValue(value))
    }
}

/// DHIS2's CSV columns in their order (its header line names them in lower case).
const CSV_COLUMNS: [&str; 11] = [
    "dataElement",
    "period",
    "orgUnit",
    "categoryOptionCombo",
    "attributeOptionCombo",
    "value",
    "storedBy",
    "lastUpdated",
    "comment",
    "followup",
    "deleted",
];

/// DHIS2's data value CSV: its columns by position, as DHIS2 reads them.
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
        let mut value = DataValueIn::default();
        for (column, cell) in record.iter().enumerate() {
            match CSV_COLUMNS.get(column) {
                Some(name) => {
                    value.set_text(name, cell.to_string());
                }
                None if cell.is_empty() => {}
                None => value.unknown.push(format!("column {}", column + 1)),
            }
        }
        if record.get(5).is_some_and(str::is_empty) {
            value.value = None;
        }
        if !emit(Item::Value(value)) {
            return Err(malformed("CSV", STOPPED));
        }
    }
    Ok(())
}

/// The XML root read: ADX (`<adx>`) or DHIS2's `<dataValueSet>`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Root {
    Adx,
    Dhis2,
}

impl Root {
    fn name(self) -> &'static str {
        match self {
            Root::Adx => "ADX",
            Root::Dhis2 => "XML",
        }
    }
}

/// An ADX group's or a DHIS2 set's own fields, given to each value inside.
#[derive(Default, Clone)]
struct Group {
    data_set: Option<String>,
    period: Option<String>,
    org_unit: Option<String>,
    attribute_option_combo: Option<String>,
    unknown: Vec<String>,
}

/// An element's attributes, decoded.
fn attributes_of(
    element: &quick_xml::events::BytesStart<'_>,
    decoder: quick_xml::encoding::Decoder,
    format: &'static str,
) -> Result<Vec<(String, String)>, ReadError> {
    let mut attributes = Vec::new();
    for attribute in element.attributes() {
        let attribute = attribute.map_err(|e| malformed(format, e))?;
        let key = attribute.key;
        // Namespace declarations and qualified attributes (`xsi:schemaLocation`) are XML's,
        // not the data's.
        if key.as_namespace_binding().is_some() || key.prefix().is_some() {
            continue;
        }
        let name = String::from_utf8_lossy(key.local_name().as_ref()).to_string();
        let value = attribute
            .decode_and_unescape_value(decoder)
            .map_err(|e| malformed(format, e))?
            .to_string();
        attributes.push((name, value));
    }
    Ok(attributes)
}

/// A group's fields from its attributes. ADX: every attribute but the group's own is an
/// attribute category (DHIS2's `mechanism`), as `category=option` in the combination.
fn group_of(root: Root, attributes: Vec<(String, String)>) -> Group {
    let mut group = Group::default();
    let mut categories = Vec::new();
    for (name, value) in attributes {
        let non_empty = (!value.is_empty()).then(|| value.clone());
        match name.as_str() {
            "dataSet" => group.data_set = non_empty,
            "period" => group.period = non_empty,
            "orgUnit" => group.org_unit = non_empty,
            "attributeOptionCombo" => group.attribute_option_combo = non_empty,
            "completeDate" | "storedBy" | "created" | "lastUpdated" | "exported" => {}
            _ if root == Root::Adx => categories.push(format!("{name}={value}")),
            _ => group.unknown.push(name),
        }
    }
    if !categories.is_empty() {
        categories.sort();
        let mut combo = categories.join(";");
        if let Some(given) = group.attribute_option_combo.take() {
            combo = format!("{given};{combo}");
        }
        group.attribute_option_combo = Some(combo);
    }
    group
}

/// A data value from its element's attributes, under its group. ADX: every attribute not a
/// data value's field is a disaggregation, `category=option`.
fn value_of(root: Root, attributes: Vec<(String, String)>, group: &Group) -> DataValueIn {
    let mut value = DataValueIn {
        data_set: group.data_set.clone(),
        period: group.period.clone(),
        org_unit: group.org_unit.clone(),
        attribute_option_combo: group.attribute_option_combo.clone(),
        unknown: group.unknown.clone(),
        ..DataValueIn::default()
    };
    let mut categories = Vec::new();
    for (name, text) in attributes {
        // ADX places a value by its group, never by its own attributes.
        let placing = matches!(name.as_str(), "dataSet" | "period" | "orgUnit");
        if root == Root::Adx && placing {
            value.unknown.push(name);
        } else if !value.set_text(&name, text.clone()) {
            match root {
                Root::Adx => categories.push(format!("{name}={text}")),
                Root::Dhis2 => value.unknown.push(name),
            }
        }
    }
    if !categories.is_empty() {
        categories.sort();
        let combo = categories.join(";");
        value.category_option_combo = Some(match value.category_option_combo.take() {
            // Both: the combination and its categories must agree, checked by the importer.
            Some(given) => format!("{given};{combo}"),
            None => combo,
        });
    }
    value
}

/// Adds text to the open value's comment (its `<annotation>`).
fn annotate(value: &mut Option<DataValueIn>, text: &str) {
    if let Some(value) = value.as_mut() {
        value.comment.get_or_insert_with(String::new).push_str(text);
    }
}

/// XML: IHE ADX, or DHIS2's `<dataValueSet>`, by the root element.
fn xml(
    body: impl BufRead,
    budget: &Budget,
    limits: &Limits,
    emit: &mut dyn FnMut(Item) -> bool,
) -> Result<(), ReadError> {
    let mut reader = quick_xml::Reader::from_reader(body);
    reader.config_mut().trim_text(true);
    let mut buffer = Vec::new();
    let mut root: Option<Root> = None;
    let mut group: Option<Group> = None;
    // A `<dataValue>` with content (an `<annotation>`), sent when it ends.
    let mut open_value: Option<DataValueIn> = None;
    let mut in_annotation = false;
    let mut depth = 0usize;
    let format = |root: Option<Root>| root.map_or("XML", Root::name);
    loop {
        let event = reader
            .read_event_into(&mut buffer)
            .map_err(|e| malformed(format(root), e))?;
        budget.reset();
        if let Event::Start(_) = event {
            depth += 1;
            if depth > limits.max_xml_depth {
                return Err(ReadError::Limit(LimitExceeded::new(
                    "max_xml_depth",
                    limits.max_xml_depth,
                    "the XML document nests elements too deep",
                )));
            }
        }
        match event {
            Event::DocType(_) => {
                return Err(malformed(
                    format(root),
                    "a DOCTYPE (entities and external references are refused)",
                ));
            }
            Event::Start(ref element) | Event::Empty(ref element) => {
                crate::xml::check_attributes(element, limits).map_err(ReadError::Limit)?;
                let empty = matches!(event, Event::Empty(_));
                let name = element.local_name();
                let attributes = attributes_of(element, reader.decoder(), format(root))?;
                match (root, name.as_ref()) {
                    (None, b"adx") => root = Some(Root::Adx),
                    (None, b"dataValueSet") => {
                        root = Some(Root::Dhis2);
                        let set = group_of(Root::Dhis2, attributes);
                        let header = SetHeader {
                            data_set: set.data_set.clone(),
                            period: set.period.clone(),
                            org_unit: set.org_unit.clone(),
                            attribute_option_combo: set.attribute_option_combo.clone(),
                            unknown: set.unknown.clone(),
                        };
                        if !emit(Item::Header(header)) {
                            return Err(malformed("XML", STOPPED));
                        }
                        group = Some(Group::default());
                    }
                    (None, other) => {
                        return Err(malformed(
                            "XML",
                            format!(
                                "the root element is <{}>, neither ADX's <adx> nor DHIS2's <dataValueSet>",
                                String::from_utf8_lossy(other)
                            ),
                        ));
                    }
                    (Some(Root::Adx), b"group") => {
                        if group.is_some() {
                            return Err(malformed("ADX", "a group inside a group"));
                        }
                        let opened = group_of(Root::Adx, attributes);
                        if opened.period.is_none() {
                            return Err(malformed("ADX", "a group without period"));
                        }
                        if opened.org_unit.is_none() {
                            return Err(malformed("ADX", "a group without orgUnit"));
                        }
                        group = Some(opened);
                    }
                    (Some(root), b"dataValue") => {
                        let within = group
                            .as_ref()
                            .ok_or_else(|| malformed(root.name(), "a dataValue outside a group"))?;
                        if open_value.is_some() {
                            return Err(malformed(root.name(), "a dataValue inside a dataValue"));
                        }
                        let value = value_of(root, attributes, within);
                        if value.data_element.is_empty() {
                            return Err(malformed(root.name(), "a dataValue without dataElement"));
                        }
                        if empty {
                            if !emit(Item::Value(value)) {
                                return Err(malformed(root.name(), STOPPED));
                            }
                        } else {
                            open_value = Some(value);
                        }
                    }
                    (Some(_), b"annotation") if open_value.is_some() => in_annotation = !empty,
                    (Some(root), other) => {
                        // An element the format does not have: named on the value it is in, or
                        // refused where no value can carry it.
                        let other = String::from_utf8_lossy(other).to_string();
                        match open_value.as_mut() {
                            Some(value) => value.unknown.push(format!("<{other}>")),
                            None if group.is_some() => {
                                return Err(malformed(
                                    root.name(),
                                    format!("an element <{other}> this format does not have"),
                                ));
                            }
                            None => {
                                return Err(malformed(
                                    root.name(),
                                    format!("an element <{other}> outside a group"),
                                ));
                            }
                        }
                    }
                }
            }
            Event::Text(text) if in_annotation => {
                let text = text.decode().map_err(|e| malformed(format(root), e))?;
                annotate(&mut open_value, &text);
            }
            Event::GeneralRef(reference) if in_annotation => {
                let name = reference.decode().map_err(|e| malformed(format(root), e))?;
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(character)) => character.to_string(),
                    _ => quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| {
                            malformed(format(root), format!("an undeclared entity &{name};"))
                        })?
                        .to_string(),
                };
                annotate(&mut open_value, &resolved);
            }
            Event::Text(text) => {
                if let Some(value) = open_value.as_mut()
                    && !text.iter().all(u8::is_ascii_whitespace)
                    && !value.unknown.iter().any(|u| u == "text")
                {
                    value.unknown.push("text".to_string());
                }
            }
            Event::End(element) => {
                depth = depth.saturating_sub(1);
                match element.local_name().as_ref() {
                    b"group" if root == Some(Root::Adx) => group = None,
                    b"annotation" => in_annotation = false,
                    b"dataValue" => {
                        if let Some(value) = open_value.take()
                            && !emit(Item::Value(value))
                        {
                            return Err(malformed(format(root), STOPPED));
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buffer.clear();
    }
    if root.is_none() {
        return Err(malformed("XML", "no <adx> or <dataValueSet> root element"));
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
        assert_eq!(read_all(Format::Xml, adx).unwrap(), 1);
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
            for format in [Format::Json, Format::Csv, Format::Xml] {
                let _ = read_all(format, text.as_bytes());
            }
        }

        /// Any bytes at all.
        #[test]
        fn any_bytes_are_answered(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            for format in [Format::Json, Format::Csv, Format::Xml] {
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
    /// The regime (DHIS2's data set) and the period the value is of.
    pub data_set: String,
    pub period: String,
    pub org_unit: String,
    pub data_element: String,
    /// The option combination's key (`sex=female;area=rural`), empty for the total.
    pub combo: String,
    /// The attribute options' key (`mechanism=PEPFAR`), empty where the regime has none.
    pub attributes: String,
    pub value: serde_json::Value,
    /// The reporter's note on the value.
    pub comment: Option<String>,
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
pub fn write_csv(values: &[PulledValue]) -> Result<String, WriteError> {
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
            "storedby",
            "lastupdated",
            "comment",
        ])
        .map_err(failed)?;
    for value in values {
        writer
            .write_record([
                value.data_element.as_str(),
                &value.period,
                &value.org_unit,
                value.combo_or_default(),
                &value.attributes,
                &text_of(&value.value),
                "",
                "",
                value.comment.as_deref().unwrap_or_default(),
            ])
            .map_err(failed)?;
    }
    let bytes = writer.into_inner().map_err(|e| WriteError(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| WriteError(e.to_string()))
}

/// A set's own fields, where all its values share them.
#[derive(Debug, Clone, Copy, Default)]
pub struct SetFields<'a> {
    pub data_set: Option<&'a str>,
    pub period: Option<&'a str>,
    pub org_unit: Option<&'a str>,
    pub complete_date: Option<&'a str>,
}

/// DHIS2's own XML data value set: the set's shared fields as attributes of `<dataValueSet>`,
/// one `<dataValue>` a value with its own.
pub fn write_dhis2_xml(set: SetFields<'_>, values: &[PulledValue]) -> Result<String, WriteError> {
    use quick_xml::events::{BytesDecl, BytesEnd, BytesStart};
    let mut writer = quick_xml::Writer::new_with_indent(Vec::new(), b' ', 2);
    let fail = |e: std::io::Error| WriteError(e.to_string());
    writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(fail)?;
    let mut root = BytesStart::new("dataValueSet");
    root.push_attribute(("xmlns", "http://dhis2.org/schema/dxf/2.0"));
    for (name, field) in [
        ("dataSet", set.data_set),
        ("period", set.period),
        ("orgUnit", set.org_unit),
        ("completeDate", set.complete_date),
    ] {
        if let Some(field) = field {
            root.push_attribute((name, field));
        }
    }
    writer.write_event(Event::Start(root)).map_err(fail)?;
    for value in values {
        let mut element = BytesStart::new("dataValue");
        element.push_attribute(("dataElement", value.data_element.as_str()));
        element.push_attribute(("period", value.period.as_str()));
        element.push_attribute(("orgUnit", value.org_unit.as_str()));
        element.push_attribute(("categoryOptionCombo", value.combo_or_default()));
        if !value.attributes.is_empty() {
            element.push_attribute(("attributeOptionCombo", value.attributes.as_str()));
        }
        element.push_attribute(("value", text_of(&value.value).as_str()));
        if let Some(comment) = &value.comment {
            element.push_attribute(("comment", comment.as_str()));
        }
        writer.write_event(Event::Empty(element)).map_err(fail)?;
    }
    writer
        .write_event(Event::End(BytesEnd::new("dataValueSet")))
        .map_err(fail)?;
    String::from_utf8(writer.into_inner()).map_err(|e| WriteError(e.to_string()))
}

/// The `category=option` pairs of a combination's key.
fn pairs(key: &str) -> impl Iterator<Item = (&str, &str)> {
    key.split(';').filter_map(|pair| pair.split_once('='))
}

/// IHE ADX: one group per (regime, orgUnit, period, attribute options), in the values' order;
/// disaggregations as attributes of a value, attribute options as attributes of its group.
pub fn write_adx(values: &[PulledValue]) -> Result<String, WriteError> {
    use quick_xml::events::{BytesDecl, BytesEnd, BytesStart};
    let mut writer = quick_xml::Writer::new_with_indent(Vec::new(), b' ', 2);
    let fail = |e: std::io::Error| WriteError(e.to_string());
    writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(fail)?;
    let mut root = BytesStart::new("adx");
    root.push_attribute(("xmlns", "urn:ihe:qrph:adx:2015"));
    writer.write_event(Event::Start(root)).map_err(fail)?;
    // Groups in the order the values first name them, each with its values.
    type GroupKey<'v> = (&'v str, &'v str, &'v str, &'v str);
    let mut groups: Vec<(GroupKey, Vec<&PulledValue>)> = Vec::new();
    let mut index: std::collections::HashMap<GroupKey, usize> = std::collections::HashMap::new();
    for value in values {
        let key = (
            value.data_set.as_str(),
            value.org_unit.as_str(),
            value.period.as_str(),
            value.attributes.as_str(),
        );
        let at = *index.entry(key).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[at].1.push(value);
    }
    for ((data_set, org_unit, period, attributes), members) in &groups {
        let interval = PeriodId::parse(period)
            .map(|p| p.to_interval())
            .map_err(|e| WriteError(e.to_string()))?;
        let mut group = BytesStart::new("group");
        group.push_attribute(("orgUnit", *org_unit));
        group.push_attribute(("period", interval.as_str()));
        group.push_attribute(("dataSet", *data_set));
        for attribute in pairs(attributes) {
            group.push_attribute(attribute);
        }
        writer.write_event(Event::Start(group)).map_err(fail)?;
        for value in members {
            let mut data_value = BytesStart::new("dataValue");
            data_value.push_attribute(("dataElement", value.data_element.as_str()));
            for attribute in pairs(&value.combo) {
                data_value.push_attribute(attribute);
            }
            data_value.push_attribute(("value", text_of(&value.value).as_str()));
            match &value.comment {
                None => writer.write_event(Event::Empty(data_value)).map_err(fail)?,
                Some(comment) => {
                    writer.write_event(Event::Start(data_value)).map_err(fail)?;
                    writer
                        .create_element("annotation")
                        .write_text_content(quick_xml::events::BytesText::new(comment))
                        .map_err(fail)?;
                    writer
                        .write_event(Event::End(BytesEnd::new("dataValue")))
                        .map_err(fail)?;
                }
            }
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
