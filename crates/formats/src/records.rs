//! Records of a peer system's answer (a connector's pull): a JSON document's array at a
//! pointer, or a CSV table with a header, each record as its fields' texts.

use std::collections::BTreeMap;

/// Why an answer could not be read as records.
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error("JSON không đọc được / unreadable JSON: {0}")]
    Json(String),
    #[error("CSV không đọc được / unreadable CSV: {0}")]
    Csv(String),
}

/// One record: field name to its text.
pub type Record = BTreeMap<String, String>;

/// The objects of the array at `pointer` (RFC 6901; empty for the document itself).
pub fn json_records(body: &[u8], pointer: &str) -> Result<Vec<Record>, RecordsError> {
    let document: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| RecordsError::Json(e.to_string()))?;
    let list = document
        .pointer(pointer)
        .and_then(|v| v.as_array())
        .ok_or_else(|| {
            RecordsError::Json(format!(
                "no array at {:?}",
                if pointer.is_empty() { "/" } else { pointer }
            ))
        })?;
    Ok(list
        .iter()
        .map(|record| {
            let mut fields = BTreeMap::new();
            if let Some(object) = record.as_object() {
                for (name, value) in object {
                    let text = match value {
                        serde_json::Value::String(text) => text.clone(),
                        serde_json::Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    fields.insert(name.clone(), text);
                }
            }
            fields
        })
        .collect())
}

/// The rows of a CSV table, keyed by its header (fields trimmed).
pub fn csv_records(body: &[u8]) -> Result<Vec<Record>, RecordsError> {
    let unreadable = |e: csv::Error| RecordsError::Csv(e.to_string());
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers = reader.headers().map_err(unreadable)?.clone();
    reader
        .records()
        .map(|row| {
            let row = row.map_err(unreadable)?;
            Ok(headers
                .iter()
                .zip(row.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect())
        })
        .collect()
}
