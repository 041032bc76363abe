//! SDMX structures: each indicator table is a dataflow with a data structure definition of its
//! own (its dimensions depend on the disaggregations it splits by), each dimension coded by a
//! codelist of the flow, their concepts in a concept scheme of the flow. Written as an SDMX-ML
//! 2.1 structure message and as an SDMX-JSON 2.0 one, so clients that read data by the
//! structure (sdmx1's structure-specific reader, pysdmx) find it at the usual routes.

use serde_json::{Value, json};

use super::xml::{COMMON, MESSAGE, Xml};
use super::{AGENCY, MEASURE, SeriesDimension, VERSION, WriteError};

const STRUCTURE: &str = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure";

/// The URN of the data structure of `flow`.
pub fn structure_urn(flow: &str) -> String {
    urn("datastructure.DataStructure", flow)
}

fn urn(class: &str, id: &str) -> String {
    format!("urn:sdmx:org.sdmx.infomodel.{class}={AGENCY}:{id}({VERSION})")
}

/// One flow (an indicator table) and every code its dimensions can take.
#[derive(Debug, Clone)]
pub struct Flow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub dimensions: Vec<SeriesDimension>,
    pub time_name: String,
}

impl Flow {
    fn codelist(&self, dimension: &str) -> String {
        format!("CL_{}_{dimension}", self.id)
    }

    fn concept_scheme(&self) -> String {
        format!("CS_{}", self.id)
    }
}

/// A structure message: which flows, with or without what they refer to.
#[derive(Debug, Clone)]
pub struct Structures {
    pub id: String,
    pub prepared: String,
    pub language: String,
    pub flows: Vec<Flow>,
    /// The dataflows themselves.
    pub dataflows: bool,
    /// Their data structures, with codelists and concept schemes.
    pub data_structures: bool,
}

/// The structures as an SDMX-ML 2.1 structure message.
pub fn write_xml(structures: &Structures) -> Result<String, WriteError> {
    let lang = structures.language.as_str();
    let mut xml = Xml::new()?;
    xml.open(
        "message:Structure",
        &[
            ("xmlns:message", MESSAGE),
            ("xmlns:common", COMMON),
            ("xmlns:structure", STRUCTURE),
        ],
    )?;
    xml.open("message:Header", &[])?;
    xml.text("message:ID", &[], &structures.id)?;
    xml.text("message:Test", &[], "false")?;
    xml.text("message:Prepared", &[], &structures.prepared)?;
    xml.empty("message:Sender", &[("id", AGENCY)])?;
    xml.close("message:Header")?;
    xml.open("message:Structures", &[])?;
    let maintained = |id: &str, urn: &str| -> Vec<(String, String)> {
        vec![
            ("id".into(), id.to_string()),
            ("urn".into(), urn.to_string()),
            ("agencyID".into(), AGENCY.into()),
            ("version".into(), VERSION.into()),
            ("isFinal".into(), "true".into()),
        ]
    };
    if structures.dataflows {
        xml.open("structure:Dataflows", &[])?;
        for flow in &structures.flows {
            let attributes = maintained(&flow.id, &urn("datastructure.Dataflow", &flow.id));
            xml.open("structure:Dataflow", &as_refs(&attributes))?;
            xml.text("common:Name", &[("xml:lang", lang)], &flow.name)?;
            if !flow.description.is_empty() {
                xml.text(
                    "common:Description",
                    &[("xml:lang", lang)],
                    &flow.description,
                )?;
            }
            xml.open("structure:Structure", &[])?;
            xml.empty(
                "Ref",
                &[
                    ("id", &flow.id),
                    ("version", VERSION),
                    ("agencyID", AGENCY),
                    ("package", "datastructure"),
                    ("class", "DataStructure"),
                ],
            )?;
            xml.close("structure:Structure")?;
            xml.close("structure:Dataflow")?;
        }
        xml.close("structure:Dataflows")?;
    }
    if structures.data_structures {
        xml.open("structure:Codelists", &[])?;
        for flow in &structures.flows {
            for dimension in &flow.dimensions {
                let id = flow.codelist(&dimension.id);
                let attributes = maintained(&id, &urn("codelist.Codelist", &id));
                xml.open("structure:Codelist", &as_refs(&attributes))?;
                xml.text("common:Name", &[("xml:lang", lang)], &dimension.name)?;
                for code in &dimension.values {
                    let code_urn = format!(
                        "urn:sdmx:org.sdmx.infomodel.codelist.Code={AGENCY}:{id}({VERSION}).{}",
                        code.id
                    );
                    xml.open("structure:Code", &[("id", &code.id), ("urn", &code_urn)])?;
                    xml.text("common:Name", &[("xml:lang", lang)], &code.name)?;
                    xml.close("structure:Code")?;
                }
                xml.close("structure:Codelist")?;
            }
        }
        xml.close("structure:Codelists")?;
        xml.open("structure:Concepts", &[])?;
        for flow in &structures.flows {
            let scheme = flow.concept_scheme();
            let attributes = maintained(&scheme, &urn("conceptscheme.ConceptScheme", &scheme));
            xml.open("structure:ConceptScheme", &as_refs(&attributes))?;
            xml.text("common:Name", &[("xml:lang", lang)], &flow.name)?;
            for (id, name) in concepts(flow) {
                let concept_urn = format!(
                    "urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept={AGENCY}:{scheme}({VERSION}).{id}"
                );
                xml.open("structure:Concept", &[("id", id), ("urn", &concept_urn)])?;
                xml.text("common:Name", &[("xml:lang", lang)], name)?;
                xml.close("structure:Concept")?;
            }
            xml.close("structure:ConceptScheme")?;
        }
        xml.close("structure:Concepts")?;
        xml.open("structure:DataStructures", &[])?;
        for flow in &structures.flows {
            write_data_structure(&mut xml, flow, lang)?;
        }
        xml.close("structure:DataStructures")?;
    }
    xml.close("message:Structures")?;
    xml.close("message:Structure")?;
    xml.finish()
}

fn as_refs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// The flow's concepts: each dimension's, time's and the measure's, with their names.
fn concepts(flow: &Flow) -> Vec<(&str, &str)> {
    let mut concepts: Vec<(&str, &str)> = flow
        .dimensions
        .iter()
        .map(|d| (d.id.as_str(), d.name.as_str()))
        .collect();
    concepts.push(("TIME_PERIOD", flow.time_name.as_str()));
    concepts.push((MEASURE, "Giá trị / Value"));
    concepts
}

fn concept_ref(xml: &mut Xml, flow: &Flow, concept: &str) -> Result<(), WriteError> {
    let scheme = flow.concept_scheme();
    xml.open("structure:ConceptIdentity", &[])?;
    xml.empty(
        "Ref",
        &[
            ("id", concept),
            ("maintainableParentID", &scheme),
            ("maintainableParentVersion", VERSION),
            ("agencyID", AGENCY),
            ("package", "conceptscheme"),
            ("class", "Concept"),
        ],
    )?;
    xml.close("structure:ConceptIdentity")
}

fn write_data_structure(xml: &mut Xml, flow: &Flow, lang: &str) -> Result<(), WriteError> {
    let dsd_urn = structure_urn(&flow.id);
    xml.open(
        "structure:DataStructure",
        &[
            ("id", &flow.id),
            ("urn", &dsd_urn),
            ("agencyID", AGENCY),
            ("version", VERSION),
            ("isFinal", "true"),
        ],
    )?;
    xml.text("common:Name", &[("xml:lang", lang)], &flow.name)?;
    xml.open("structure:DataStructureComponents", &[])?;
    let component_urn = |class: &str, id: &str| {
        format!(
            "urn:sdmx:org.sdmx.infomodel.datastructure.{class}={AGENCY}:{}({VERSION}).{id}",
            flow.id
        )
    };
    xml.open(
        "structure:DimensionList",
        &[
            ("id", "DimensionDescriptor"),
            (
                "urn",
                &component_urn("DimensionDescriptor", "DimensionDescriptor"),
            ),
        ],
    )?;
    for (position, dimension) in flow.dimensions.iter().enumerate() {
        let position = (position + 1).to_string();
        xml.open(
            "structure:Dimension",
            &[
                ("id", &dimension.id),
                ("urn", &component_urn("Dimension", &dimension.id)),
                ("position", &position),
            ],
        )?;
        concept_ref(xml, flow, &dimension.id)?;
        xml.open("structure:LocalRepresentation", &[])?;
        xml.open("structure:Enumeration", &[])?;
        xml.empty(
            "Ref",
            &[
                ("id", &flow.codelist(&dimension.id)),
                ("version", VERSION),
                ("agencyID", AGENCY),
                ("package", "codelist"),
                ("class", "Codelist"),
            ],
        )?;
        xml.close("structure:Enumeration")?;
        xml.close("structure:LocalRepresentation")?;
        xml.close("structure:Dimension")?;
    }
    let time_position = (flow.dimensions.len() + 1).to_string();
    xml.open(
        "structure:TimeDimension",
        &[
            ("id", "TIME_PERIOD"),
            ("urn", &component_urn("TimeDimension", "TIME_PERIOD")),
            ("position", &time_position),
        ],
    )?;
    concept_ref(xml, flow, "TIME_PERIOD")?;
    xml.open("structure:LocalRepresentation", &[])?;
    xml.empty(
        "structure:TextFormat",
        &[("textType", "ObservationalTimePeriod")],
    )?;
    xml.close("structure:LocalRepresentation")?;
    xml.close("structure:TimeDimension")?;
    xml.close("structure:DimensionList")?;
    xml.open(
        "structure:MeasureList",
        &[
            ("id", "MeasureDescriptor"),
            (
                "urn",
                &component_urn("MeasureDescriptor", "MeasureDescriptor"),
            ),
        ],
    )?;
    xml.open(
        "structure:PrimaryMeasure",
        &[
            ("id", MEASURE),
            ("urn", &component_urn("PrimaryMeasure", MEASURE)),
        ],
    )?;
    concept_ref(xml, flow, MEASURE)?;
    xml.close("structure:PrimaryMeasure")?;
    xml.close("structure:MeasureList")?;
    xml.close("structure:DataStructureComponents")?;
    xml.close("structure:DataStructure")
}

/// The schema an SDMX-JSON structure message names (readers tell its version by it).
const JSON_SCHEMA: &str = "https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/structure-message/tools/schemas/2.0.0/sdmx-json-structure-schema.json";

/// The media type of [`write_json`]'s messages.
pub const JSON_MEDIA_TYPE: &str =
    "application/vnd.sdmx.structure+json; charset=utf-8; version=2.0.0";

/// The media type of [`write_xml`]'s messages.
pub const XML_MEDIA_TYPE: &str = "application/vnd.sdmx.structure+xml; charset=utf-8; version=2.1";

/// The structures as an SDMX-JSON 2.0 structure message (`data.dataflows`,
/// `data.dataStructures`, `data.codelists`, `data.conceptSchemes`).
pub fn write_json(structures: &Structures) -> String {
    let lang = structures.language.as_str();
    let names = |name: &str| json!({ lang: name });
    let mut data = serde_json::Map::new();
    if structures.dataflows {
        let flows: Vec<Value> = structures
            .flows
            .iter()
            .map(|flow| {
                json!({
                    "id": flow.id, "agencyID": AGENCY, "version": VERSION, "isFinal": true,
                    "urn": urn("datastructure.Dataflow", &flow.id),
                    "name": flow.name, "names": names(&flow.name),
                    "description": flow.description, "descriptions": names(&flow.description),
                    "structure": structure_urn(&flow.id),
                })
            })
            .collect();
        data.insert("dataflows".into(), json!(flows));
    }
    if structures.data_structures {
        let mut codelists = Vec::new();
        let mut schemes = Vec::new();
        let mut dsds = Vec::new();
        for flow in &structures.flows {
            for dimension in &flow.dimensions {
                let id = flow.codelist(&dimension.id);
                codelists.push(json!({
                    "id": id, "agencyID": AGENCY, "version": VERSION, "isFinal": true,
                    "urn": urn("codelist.Codelist", &id),
                    "name": dimension.name, "names": names(&dimension.name),
                    "codes": dimension.values.iter().map(|c| json!({"id": c.id, "name": c.name, "names": names(&c.name)})).collect::<Vec<_>>(),
                }));
            }
            let scheme = flow.concept_scheme();
            schemes.push(json!({
                "id": scheme, "agencyID": AGENCY, "version": VERSION, "isFinal": true,
                "urn": urn("conceptscheme.ConceptScheme", &scheme),
                "name": flow.name, "names": names(&flow.name),
                "concepts": concepts(flow).iter().map(|(id, name)| json!({"id": id, "name": name, "names": names(name)})).collect::<Vec<_>>(),
            }));
            let concept = |id: &str| {
                format!(
                    "urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept={AGENCY}:{scheme}({VERSION}).{id}"
                )
            };
            let mut dimensions: Vec<Value> = flow
                .dimensions
                .iter()
                .enumerate()
                .map(|(position, d)| {
                    json!({
                        "id": d.id, "position": position + 1,
                        "conceptIdentity": concept(&d.id),
                        "localRepresentation": {"enumeration": urn("codelist.Codelist", &flow.codelist(&d.id))},
                    })
                })
                .collect();
            dsds.push(json!({
                "id": flow.id, "agencyID": AGENCY, "version": VERSION, "isFinal": true,
                "urn": structure_urn(&flow.id),
                "name": flow.name, "names": names(&flow.name),
                "dataStructureComponents": {
                    "dimensionList": {
                        "id": "DimensionDescriptor",
                        "dimensions": std::mem::take(&mut dimensions),
                        "timeDimension": {"id": "TIME_PERIOD", "position": flow.dimensions.len() + 1, "conceptIdentity": concept("TIME_PERIOD"), "localRepresentation": {"format": {"dataType": "ObservationalTimePeriod"}}},
                    },
                    "measureList": {"id": "MeasureDescriptor", "measures": [{"id": MEASURE, "conceptIdentity": concept(MEASURE), "usage": "mandatory"}]},
                },
            }));
        }
        data.insert("codelists".into(), json!(codelists));
        data.insert("conceptSchemes".into(), json!(schemes));
        data.insert("dataStructures".into(), json!(dsds));
    }
    let meta = json!({
        "schema": JSON_SCHEMA,
        "id": structures.id, "test": false, "prepared": structures.prepared,
        "contentLanguages": [lang], "sender": {"id": AGENCY},
    });
    // `meta` first: readers tell the message's version from its opening characters.
    format!("{{\"meta\":{meta},\"data\":{}}}", Value::Object(data))
}

#[cfg(test)]
mod tests {
    use super::super::Code;
    use super::*;

    fn flow() -> Flow {
        Flow {
            id: "TM-01".into(),
            name: "Bán lẻ".into(),
            description: "Thương mại".into(),
            dimensions: vec![SeriesDimension {
                id: "INDICATOR".into(),
                name: "Chỉ tiêu".into(),
                values: vec![Code {
                    id: "KT04".into(),
                    name: "Tổng mức bán lẻ".into(),
                }],
            }],
            time_name: "Kỳ".into(),
        }
    }

    #[test]
    fn a_flow_refers_to_its_structure_codelists_and_concepts() {
        let structures = Structures {
            id: "S".into(),
            prepared: "2026-12-01T00:00:00Z".into(),
            language: "vi".into(),
            flows: vec![flow()],
            dataflows: true,
            data_structures: true,
        };
        let text = write_xml(&structures).unwrap();
        for needle in [
            r#"<structure:Dataflow id="TM-01" urn="urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=BAOCAO:TM-01(1.0)""#,
            r#"<Ref id="TM-01" version="1.0" agencyID="BAOCAO" package="datastructure" class="DataStructure"/>"#,
            r#"<structure:Codelist id="CL_TM-01_INDICATOR""#,
            r#"<structure:Code id="KT04""#,
            r#"<structure:TimeDimension id="TIME_PERIOD""#,
            r#"<structure:PrimaryMeasure id="OBS_VALUE""#,
        ] {
            assert!(text.contains(needle), "{needle} in {text}");
        }
        let json: Value = serde_json::from_str(&write_json(&structures)).unwrap();
        assert_eq!(
            json["data"]["dataflows"][0]["structure"],
            structure_urn("TM-01")
        );
        assert_eq!(json["data"]["codelists"][0]["codes"][0]["id"], "KT04");
    }
}
