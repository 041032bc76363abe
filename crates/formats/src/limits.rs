//! The limits on input, each a setting (`[limits]` in `baocao.toml`) with a default that
//! leaves every real report, catalogue and push far inside it.

use serde::Deserialize;

/// Bounds on what one request may make the server read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Files inside one workbook (an xlsx is a zip archive).
    pub max_workbook_entries: usize,
    /// Bytes of one workbook once inflated, all its files together.
    pub max_workbook_inflated_bytes: u64,
    /// How many times larger than its compressed size a workbook file may inflate (past its
    /// first MiB): real sheets inflate 5–20 times, a zip bomb thousands.
    pub max_compression_ratio: u64,
    /// Cells (and shared strings) of one workbook, all sheets together.
    pub max_workbook_cells: usize,
    /// Nesting depth of an XML document.
    pub max_xml_depth: usize,
    /// Attributes on one XML element.
    pub max_xml_attributes: usize,
    /// Bytes of one token of a stream: an XML tag or text, one data value of a JSON push (with
    /// its fields), one CSV record. A value is at most this long.
    pub max_token_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_workbook_entries: 1_000,
            max_workbook_inflated_bytes: 64 * 1024 * 1024,
            max_compression_ratio: 100,
            max_workbook_cells: 500_000,
            max_xml_depth: 64,
            max_xml_attributes: 64,
            max_token_bytes: 64 * 1024,
        }
    }
}

/// An input refused because it goes past one of the [`Limits`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the input goes past the limit {setting} = {limit}: {what}")]
pub struct LimitExceeded {
    /// The setting's name, as written in `baocao.toml`.
    pub setting: &'static str,
    pub limit: u64,
    /// What went past it, in English.
    pub what: String,
}

impl LimitExceeded {
    pub fn new(setting: &'static str, limit: impl TryInto<u64>, what: impl Into<String>) -> Self {
        Self {
            setting,
            limit: limit.try_into().unwrap_or(u64::MAX),
            what: what.into(),
        }
    }
}
