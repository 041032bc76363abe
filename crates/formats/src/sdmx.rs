//! SDMX-JSON 1.0 data messages, the format SDMX tools (sdmx1, pandaSDMX, .Stat) read: series
//! keyed by the positions of their dimension values, observations along TIME_PERIOD in SDMX's
//! period notation (`2026-01`, `2026-Q1`, `2026-S1`, `2026`); and SDMX's key notation, which
//! selects series by dimension — values separated by `+`, dimensions by `.`, an empty position
//! or `all` for everything (`KT04+KT05.01+79`).

use std::collections::BTreeMap;

use baocao_domain::period::{Frequency, PeriodId};
use serde_json::{Value, json};

/// The media type of a data message.
pub const MEDIA_TYPE: &str = "application/vnd.sdmx.data+json; charset=utf-8; version=1.0.0";

/// The identifier of the total of a disaggregation.
pub const TOTAL: &str = "_T";

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
        _ => format!("{}/{}", period.start(), period.end()),
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

/// A data message: its series dimensions, the periods of its observations (named), and each
/// series (the positions of its values joined by `:`) with its observations by period position.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: String,
    pub prepared: String,
    pub sender_id: String,
    pub sender_name: String,
    pub name: String,
    pub description: String,
    pub series_dimensions: Vec<SeriesDimension>,
    pub time_name: String,
    pub periods: Vec<(PeriodId, String)>,
    pub series: BTreeMap<String, BTreeMap<usize, f64>>,
}

/// The message as SDMX-JSON 1.0 text.
pub fn write(message: &Message) -> String {
    let series_dimensions: Vec<Value> = message
        .series_dimensions
        .iter()
        .enumerate()
        .map(|(position, dimension)| {
            json!({
                "id": dimension.id,
                "name": dimension.name,
                "keyPosition": position,
                "values": dimension.values.iter().map(|v| json!({"id": v.id, "name": v.name})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let time = json!({
        "id": "TIME_PERIOD",
        "name": message.time_name,
        "keyPosition": message.series_dimensions.len(),
        "role": "time",
        "values": message.periods.iter().map(|(p, name)| json!({
            "id": period(*p),
            "name": name,
            "start": format!("{}T00:00:00", p.start()),
            "end": format!("{}T23:59:59", p.end()),
        })).collect::<Vec<_>>(),
    });
    let data_set_series: serde_json::Map<String, Value> = message
        .series
        .iter()
        .map(|(key, observations)| {
            let observations: serde_json::Map<String, Value> = observations
                .iter()
                .map(|(at, value)| (at.to_string(), json!([value])))
                .collect();
            (
                key.clone(),
                json!({"attributes": [], "observations": observations}),
            )
        })
        .collect();
    json!({
        "header": {
            "id": message.id,
            "test": false,
            "prepared": message.prepared,
            "sender": {"id": message.sender_id, "name": message.sender_name},
        },
        "dataSets": [{"action": "Information", "series": data_set_series}],
        "structure": {
            "name": message.name,
            "description": message.description,
            "dimensions": {"dataSet": [], "series": series_dimensions, "observation": [time]},
            "attributes": {"dataSet": [], "series": [], "observation": []},
        },
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_written_the_sdmx_way() {
        let id = |text: &str| period(PeriodId::parse(text).unwrap());
        assert_eq!(id("202601"), "2026-01");
        assert_eq!(id("2026Q3"), "2026-Q3");
        assert_eq!(id("2026S2"), "2026-S2");
        assert_eq!(id("2025"), "2025");
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
    fn a_message_refers_to_values_by_position() {
        let month = PeriodId::parse("202601").unwrap();
        let message = Message {
            id: "M".into(),
            prepared: "2026-02-01T00:00:00Z".into(),
            sender_id: "BAOCAO".into(),
            sender_name: "Hệ thống".into(),
            name: "Bảng".into(),
            description: "Chủ đề".into(),
            series_dimensions: vec![SeriesDimension {
                id: "INDICATOR".into(),
                name: "Chỉ tiêu".into(),
                values: vec![Code {
                    id: "KT04".into(),
                    name: "Bán lẻ".into(),
                }],
            }],
            time_name: "Kỳ".into(),
            periods: vec![(month, "01/2026".into())],
            series: BTreeMap::from([("0".to_string(), BTreeMap::from([(0, 12.5)]))]),
        };
        let value: Value = serde_json::from_str(&write(&message)).unwrap();
        assert_eq!(
            value["dataSets"][0]["series"]["0"]["observations"]["0"][0],
            12.5
        );
        let time = &value["structure"]["dimensions"]["observation"][0];
        assert_eq!(time["keyPosition"], 1);
        assert_eq!(time["values"][0]["id"], "2026-01");
        assert_eq!(time["values"][0]["end"], "2026-01-31T23:59:59");
    }
}
