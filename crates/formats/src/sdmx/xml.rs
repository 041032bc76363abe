//! SDMX-ML 2.1 data messages: generic data (dimension values as `<generic:Value>`, readable
//! without the structure) and structure-specific data (dimension values as attributes named
//! by the structure), observations along TIME_PERIOD or, with `AllDimensions`, flat.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::{Detail, MEASURE, Message, WriteError, WriteOptions, number_text, period};

pub(crate) const MESSAGE: &str = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message";
pub(crate) const COMMON: &str = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common";
const GENERIC: &str = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic";
const STRUCTURE_SPECIFIC: &str =
    "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific";
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// A writer of indented XML that turns I/O failures into [`WriteError`].
pub(crate) struct Xml(Writer<Vec<u8>>);

impl Xml {
    pub(crate) fn new() -> Result<Self, WriteError> {
        let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
        writer
            .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
            .map_err(failed)?;
        Ok(Self(writer))
    }

    /// `<name attributes>`, or `<name attributes/>` when `empty`.
    fn element(
        &mut self,
        name: &str,
        attributes: &[(&str, &str)],
        empty: bool,
    ) -> Result<(), WriteError> {
        let mut start = BytesStart::new(name);
        for attribute in attributes {
            start.push_attribute(*attribute);
        }
        let event = if empty {
            Event::Empty(start)
        } else {
            Event::Start(start)
        };
        self.0.write_event(event).map_err(failed)
    }

    pub(crate) fn open(
        &mut self,
        name: &str,
        attributes: &[(&str, &str)],
    ) -> Result<(), WriteError> {
        self.element(name, attributes, false)
    }

    pub(crate) fn empty(
        &mut self,
        name: &str,
        attributes: &[(&str, &str)],
    ) -> Result<(), WriteError> {
        self.element(name, attributes, true)
    }

    pub(crate) fn close(&mut self, name: &str) -> Result<(), WriteError> {
        self.0
            .write_event(Event::End(BytesEnd::new(name)))
            .map_err(failed)
    }

    /// `<name attributes>text</name>`.
    pub(crate) fn text(
        &mut self,
        name: &str,
        attributes: &[(&str, &str)],
        text: &str,
    ) -> Result<(), WriteError> {
        self.open(name, attributes)?;
        self.0
            .write_event(Event::Text(BytesText::new(text)))
            .map_err(failed)?;
        self.close(name)
    }

    pub(crate) fn finish(self) -> Result<String, WriteError> {
        String::from_utf8(self.0.into_inner()).map_err(|e| WriteError(e.to_string()))
    }
}

fn failed(error: std::io::Error) -> WriteError {
    WriteError(error.to_string())
}

/// The structure's id as a message refers to it.
fn structure_id(message: &Message) -> String {
    format!(
        "{}_{}_{}",
        super::AGENCY,
        message.flow,
        super::VERSION.replace('.', "_")
    )
}

fn dimension_at_observation(options: WriteOptions) -> &'static str {
    if options.all_dimensions {
        "AllDimensions"
    } else {
        "TIME_PERIOD"
    }
}

/// The header every data message starts with; `namespace` is the structure-specific
/// namespace where there is one.
fn header(
    xml: &mut Xml,
    message: &Message,
    options: WriteOptions,
    namespace: Option<&str>,
) -> Result<(), WriteError> {
    xml.open("message:Header", &[])?;
    xml.text("message:ID", &[], &message.id)?;
    xml.text("message:Test", &[], "false")?;
    xml.text("message:Prepared", &[], &message.prepared)?;
    xml.open("message:Sender", &[("id", &message.sender_id)])?;
    xml.text(
        "common:Name",
        &[("xml:lang", &message.language)],
        &message.sender_name,
    )?;
    xml.close("message:Sender")?;
    let id = structure_id(message);
    let mut attributes = vec![
        ("structureID", id.as_str()),
        ("dimensionAtObservation", dimension_at_observation(options)),
    ];
    if let Some(namespace) = namespace {
        attributes.insert(1, ("namespace", namespace));
    }
    xml.open("message:Structure", &attributes)?;
    xml.open("common:Structure", &[])?;
    xml.text("URN", &[], &message.structure_urn())?;
    xml.close("common:Structure")?;
    xml.close("message:Structure")?;
    xml.close("message:Header")
}

/// A series to write: its (dimension, value) pairs and its (period, value) observations.
type SeriesRows<'a> = (Vec<(&'a str, &'a str)>, Vec<(String, String)>);

/// Each series' dimension values and its observations, as `detail` keeps them.
fn series_of(message: &Message, options: WriteOptions) -> Vec<SeriesRows<'_>> {
    if options.detail == Detail::NoData {
        return Vec::new();
    }
    message
        .series
        .iter()
        .map(|(key, observations)| {
            let values: Vec<(&str, &str)> = message.key_values(key).collect();
            let observations = if options.detail == Detail::SeriesKeysOnly {
                Vec::new()
            } else {
                observations
                    .iter()
                    .map(|(at, value)| (period(message.periods[*at].0), number_text(*value)))
                    .collect()
            };
            (values, observations)
        })
        .collect()
}

/// SDMX-ML 2.1 generic data.
pub fn write_generic(message: &Message, options: WriteOptions) -> Result<String, WriteError> {
    let mut xml = Xml::new()?;
    xml.open(
        "message:GenericData",
        &[
            ("xmlns:message", MESSAGE),
            ("xmlns:common", COMMON),
            ("xmlns:generic", GENERIC),
        ],
    )?;
    header(&mut xml, message, options, None)?;
    let id = structure_id(message);
    xml.open(
        "message:DataSet",
        &[("structureRef", id.as_str()), ("action", "Information")],
    )?;
    for (values, observations) in series_of(message, options) {
        if options.all_dimensions {
            for (time, value) in observations {
                xml.open("generic:Obs", &[])?;
                xml.open("generic:ObsKey", &[])?;
                for (dimension, code) in &values {
                    xml.empty("generic:Value", &[("id", dimension), ("value", code)])?;
                }
                xml.empty("generic:Value", &[("id", "TIME_PERIOD"), ("value", &time)])?;
                xml.close("generic:ObsKey")?;
                xml.empty("generic:ObsValue", &[("value", &value)])?;
                xml.close("generic:Obs")?;
            }
            continue;
        }
        xml.open("generic:Series", &[])?;
        xml.open("generic:SeriesKey", &[])?;
        for (dimension, code) in &values {
            xml.empty("generic:Value", &[("id", dimension), ("value", code)])?;
        }
        xml.close("generic:SeriesKey")?;
        for (time, value) in observations {
            xml.open("generic:Obs", &[])?;
            xml.empty("generic:ObsDimension", &[("value", &time)])?;
            xml.empty("generic:ObsValue", &[("value", &value)])?;
            xml.close("generic:Obs")?;
        }
        xml.close("generic:Series")?;
    }
    xml.close("message:DataSet")?;
    xml.close("message:GenericData")?;
    xml.finish()
}

/// SDMX-ML 2.1 structure-specific data.
pub fn write_structure_specific(
    message: &Message,
    options: WriteOptions,
) -> Result<String, WriteError> {
    let namespace = format!(
        "{}:ObsLevelDim:{}",
        message.structure_urn(),
        dimension_at_observation(options)
    );
    let mut xml = Xml::new()?;
    xml.open(
        "message:StructureSpecificData",
        &[
            ("xmlns:message", MESSAGE),
            ("xmlns:common", COMMON),
            ("xmlns:ss", STRUCTURE_SPECIFIC),
            ("xmlns:xsi", XSI),
            ("xmlns:ns1", namespace.as_str()),
        ],
    )?;
    header(&mut xml, message, options, Some(&namespace))?;
    let id = structure_id(message);
    xml.open(
        "message:DataSet",
        &[
            ("ss:structureRef", id.as_str()),
            ("xsi:type", "ns1:DataSetType"),
            ("ss:dataScope", "DataStructure"),
            ("action", "Information"),
        ],
    )?;
    for (values, observations) in series_of(message, options) {
        if options.all_dimensions {
            for (time, value) in observations {
                let mut attributes = values.clone();
                attributes.push(("TIME_PERIOD", &time));
                attributes.push((MEASURE, &value));
                xml.empty("Obs", &attributes)?;
            }
            continue;
        }
        if observations.is_empty() {
            xml.empty("Series", &values)?;
            continue;
        }
        xml.open("Series", &values)?;
        for (time, value) in observations {
            xml.empty("Obs", &[("TIME_PERIOD", &time), (MEASURE, &value)])?;
        }
        xml.close("Series")?;
    }
    xml.close("message:DataSet")?;
    xml.close("message:StructureSpecificData")?;
    xml.finish()
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn generic_data_names_every_dimension_value() {
        let text = write_generic(&sample(), WriteOptions::default()).unwrap();
        assert!(
            text.contains(r#"<generic:Value id="REF_AREA" value="79"/>"#),
            "{text}"
        );
        assert!(text.contains(r#"<generic:ObsDimension value="2026-03"/>"#));
        assert!(text.contains(r#"<generic:ObsValue value="7"/>"#));
        assert_eq!(text.matches("<generic:Series>").count(), 2);
    }

    #[test]
    fn structure_specific_data_writes_values_as_attributes() {
        let text = write_structure_specific(&sample(), WriteOptions::default()).unwrap();
        assert!(
            text.contains(r#"<Series INDICATOR="KT04" REF_AREA="01">"#),
            "{text}"
        );
        assert!(text.contains(r#"<Obs TIME_PERIOD="2026-01" OBS_VALUE="12.5"/>"#));
        assert!(text.contains("ObsLevelDim:TIME_PERIOD"));
        let flat = WriteOptions {
            all_dimensions: true,
            ..WriteOptions::default()
        };
        let text = write_structure_specific(&sample(), flat).unwrap();
        assert!(text.contains(
            r#"<Obs INDICATOR="KT04" REF_AREA="79" TIME_PERIOD="2026-03" OBS_VALUE="7"/>"#
        ));
    }
}
