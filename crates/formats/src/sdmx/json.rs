//! SDMX-JSON data messages: version 1.0 (sdmx1, pandaSDMX) and 2.0 (pysdmx, .Stat Suite).
//! Both refer to dimension values and periods by position; 2.0 wraps the structure and the
//! data sets in `data` and names things per language.

use serde_json::{Map, Value, json};

use super::{Detail, Message, WriteOptions, period};

/// The series dimensions as SDMX-JSON describes them, from key position `from`.
fn series_dimensions(message: &Message, from: usize, v2: bool) -> Vec<Value> {
    message
        .series_dimensions
        .iter()
        .enumerate()
        .map(|(position, dimension)| {
            let values: Vec<Value> = dimension
                .values
                .iter()
                .map(|v| named(json!({"id": v.id}), &v.name, &message.language, v2))
                .collect();
            named(
                json!({"id": dimension.id, "keyPosition": from + position, "roles": [], "values": values}),
                &dimension.name,
                &message.language,
                v2,
            )
        })
        .collect()
}

/// `object` with its `name` (and in 2.0 its `names` by language).
fn named(mut object: Value, name: &str, language: &str, v2: bool) -> Value {
    object["name"] = json!(name);
    if v2 {
        object["names"] = json!({ language: name });
    }
    object
}

fn time_dimension(message: &Message, position: usize, v2: bool) -> Value {
    let values: Vec<Value> = message
        .periods
        .iter()
        .map(|(p, name)| {
            named(
                json!({
                    "id": period(*p),
                    "start": format!("{}T00:00:00", p.start()),
                    "end": format!("{}T23:59:59", p.end()),
                }),
                name,
                &message.language,
                v2,
            )
        })
        .collect();
    named(
        json!({"id": "TIME_PERIOD", "keyPosition": position, "role": "time", "roles": ["TIME_PERIOD"], "values": values}),
        &message.time_name,
        &message.language,
        v2,
    )
}

/// The dimensions block and the data set, as `dimensionAtObservation` and `detail` ask.
fn dimensions_and_data(message: &Message, options: WriteOptions, v2: bool) -> (Value, Value) {
    let count = message.series_dimensions.len();
    let mut data_set = json!({"action": "Information"});
    if v2 {
        data_set["structure"] = json!(0);
    }
    let dimensions = if options.all_dimensions {
        let mut observation = series_dimensions(message, 0, v2);
        observation.push(time_dimension(message, count, v2));
        let mut observations = Map::new();
        if options.detail != Detail::NoData && options.detail != Detail::SeriesKeysOnly {
            for (key, values) in &message.series {
                for (at, value) in values {
                    observations.insert(format!("{key}:{at}"), json!([value]));
                }
            }
        }
        data_set["observations"] = Value::Object(observations);
        json!({"dataSet": [], "series": [], "observation": observation})
    } else {
        let mut series = Map::new();
        if options.detail != Detail::NoData {
            for (key, values) in &message.series {
                let observations: Map<String, Value> = if options.detail == Detail::SeriesKeysOnly {
                    Map::new()
                } else {
                    values
                        .iter()
                        .map(|(at, value)| (at.to_string(), json!([value])))
                        .collect()
                };
                series.insert(
                    key.clone(),
                    json!({"attributes": [], "observations": observations}),
                );
            }
        }
        data_set["series"] = Value::Object(series);
        json!({
            "dataSet": [],
            "series": series_dimensions(message, 0, v2),
            "observation": [time_dimension(message, count, v2)],
        })
    };
    let data_sets = if options.detail == Detail::NoData {
        json!([])
    } else {
        json!([data_set])
    };
    (dimensions, data_sets)
}

/// SDMX-JSON 1.0.
pub fn write_v1(message: &Message, options: WriteOptions) -> String {
    let (dimensions, data_sets) = dimensions_and_data(message, options, false);
    json!({
        "header": {
            "id": message.id,
            "test": false,
            "prepared": message.prepared,
            "sender": {"id": message.sender_id, "name": message.sender_name},
        },
        "dataSets": data_sets,
        "structure": {
            "name": message.name,
            "description": message.description,
            "dimensions": dimensions,
            "attributes": {"dataSet": [], "series": [], "observation": []},
        },
    })
    .to_string()
}

/// SDMX-JSON 2.0.
pub fn write_v2(message: &Message, options: WriteOptions) -> String {
    let (dimensions, data_sets) = dimensions_and_data(message, options, true);
    let language = &message.language;
    let meta = json!({
        "schema": "https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/data-message/tools/schemas/2.0.0/sdmx-json-data-schema.json",
        "id": message.id,
        "test": false,
        "prepared": message.prepared,
        "contentLanguages": [language],
        "sender": {"id": message.sender_id, "name": message.sender_name, "names": {language: message.sender_name}},
    });
    let data = json!({
        "structures": [{
            "structure": message.structure_urn(),
            "name": message.name,
            "names": {language: message.name},
            "description": message.description,
            "descriptions": {language: message.description},
            "dimensions": dimensions,
            "measures": {"observation": [{"id": super::MEASURE, "name": super::MEASURE, "names": {language: super::MEASURE}, "roles": ["PRIMARY_MEASURE"]}]},
            "attributes": {"dataSet": [], "series": [], "observation": []},
            "annotations": [],
        }],
        "dataSets": data_sets,
    });
    // `meta` first: readers tell the message's version from its opening characters.
    format!("{{\"meta\":{meta},\"data\":{data}}}")
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn version_one_refers_to_values_by_position() {
        let value: Value =
            serde_json::from_str(&write_v1(&sample(), WriteOptions::default())).unwrap();
        assert_eq!(
            value["dataSets"][0]["series"]["0:0"]["observations"]["0"][0],
            12.5
        );
        let time = &value["structure"]["dimensions"]["observation"][0];
        assert_eq!(time["keyPosition"], 2);
        assert_eq!(time["values"][0]["id"], "2026-01");
        assert_eq!(time["values"][0]["end"], "2026-01-31T23:59:59");
    }

    #[test]
    fn all_dimensions_flattens_observations_and_detail_trims() {
        let flat = WriteOptions {
            all_dimensions: true,
            ..WriteOptions::default()
        };
        let value: Value = serde_json::from_str(&write_v1(&sample(), flat)).unwrap();
        assert_eq!(value["dataSets"][0]["observations"]["0:1:2"][0], 7.0);
        assert_eq!(
            value["structure"]["dimensions"]["observation"]
                .as_array()
                .map(Vec::len),
            Some(3)
        );
        let keys = WriteOptions {
            detail: Detail::SeriesKeysOnly,
            ..WriteOptions::default()
        };
        let value: Value = serde_json::from_str(&write_v1(&sample(), keys)).unwrap();
        assert_eq!(
            value["dataSets"][0]["series"]["0:1"]["observations"],
            json!({})
        );
        let none = WriteOptions {
            detail: Detail::NoData,
            ..WriteOptions::default()
        };
        let value: Value = serde_json::from_str(&write_v1(&sample(), none)).unwrap();
        assert_eq!(value["dataSets"], json!([]));
    }

    #[test]
    fn version_two_wraps_structure_and_data() {
        let value: Value =
            serde_json::from_str(&write_v2(&sample(), WriteOptions::default())).unwrap();
        let structure = &value["data"]["structures"][0];
        assert_eq!(
            structure["structure"],
            "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=BAOCAO:TM-01(1.0)"
        );
        assert_eq!(
            structure["dimensions"]["series"][1]["values"][1]["names"]["vi"],
            "TP HCM"
        );
        assert_eq!(
            value["data"]["dataSets"][0]["series"]["0:1"]["observations"]["2"][0],
            7.0
        );
        assert_eq!(value["data"]["dataSets"][0]["structure"], 0);
    }
}
