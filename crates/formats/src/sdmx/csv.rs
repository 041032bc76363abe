//! SDMX-CSV data messages: one row an observation, its dimension values by id, the flow first —
//! version 1.0 (`DATAFLOW` = `BAOCAO:TM-01(1.0)`) and 2.0 (`STRUCTURE`, `STRUCTURE_ID`,
//! `ACTION`).

use super::{
    AGENCY, Detail, MEASURE, Message, VERSION, WriteError, WriteOptions, number_text, period,
};

/// SDMX-CSV's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    One,
    Two,
}

/// The message as SDMX-CSV text; `detail=serieskeysonly` writes a row a series without time or
/// value, `nodata` the header alone.
pub fn write(
    message: &Message,
    options: WriteOptions,
    version: Version,
) -> Result<String, WriteError> {
    let failed = |e: ::csv::Error| WriteError(e.to_string());
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    let flow = format!("{AGENCY}:{}({VERSION})", message.flow);
    let mut header: Vec<&str> = match version {
        Version::One => vec!["DATAFLOW"],
        Version::Two => vec!["STRUCTURE", "STRUCTURE_ID", "ACTION"],
    };
    header.extend(message.series_dimensions.iter().map(|d| d.id.as_str()));
    header.extend(["TIME_PERIOD", MEASURE]);
    writer.write_record(&header).map_err(failed)?;
    let lead: Vec<&str> = match version {
        Version::One => vec![&flow],
        Version::Two => vec!["dataflow", &flow, "I"],
    };
    if options.detail != Detail::NoData {
        for (key, observations) in &message.series {
            let mut row: Vec<String> = lead.iter().map(|s| s.to_string()).collect();
            row.extend(message.key_values(key).map(|(_, value)| value.to_string()));
            if options.detail == Detail::SeriesKeysOnly {
                row.extend([String::new(), String::new()]);
                writer.write_record(&row).map_err(failed)?;
                continue;
            }
            for (at, value) in observations {
                let mut line = row.clone();
                line.push(period(message.periods[*at].0));
                line.push(number_text(*value));
                writer.write_record(&line).map_err(failed)?;
            }
        }
    }
    let bytes = writer.into_inner().map_err(|e| WriteError(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| WriteError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn each_observation_is_a_row_of_its_dimension_values() {
        let one = write(&sample(), WriteOptions::default(), Version::One).unwrap();
        let lines: Vec<&str> = one.lines().collect();
        assert_eq!(
            lines[0],
            "DATAFLOW,INDICATOR,REF_AREA,TIME_PERIOD,OBS_VALUE"
        );
        assert_eq!(lines[1], "BAOCAO:TM-01(1.0),KT04,01,2026-01,12.5");
        assert_eq!(lines.len(), 6);
        let two = write(&sample(), WriteOptions::default(), Version::Two).unwrap();
        assert_eq!(
            two.lines().nth(5),
            Some("dataflow,BAOCAO:TM-01(1.0),I,KT04,79,2026-03,7")
        );
    }
}
