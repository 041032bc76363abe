//! Indicators (chỉ tiêu) and the disaggregation categories (phân tổ) their values are kept by.

use serde::{Deserialize, Serialize};

use crate::period::Frequency;
use crate::text::check_code;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndicatorError {
    #[error("invalid indicator or category code {0:?}")]
    InvalidCode(String),
    #[error("indicator {0}: the Vietnamese name and the unit must not be empty")]
    MissingNameOrUnit(String),
    #[error(
        "indicator {0}: a name, unit or group is over 500 characters, a definition over 100,000, or one holds invisible characters"
    )]
    InvalidText(String),
    #[error("indicator {code}: a {value_type} value cannot be aggregated by {aggregation}")]
    AggregationNotForType {
        code: String,
        value_type: &'static str,
        aggregation: &'static str,
    },
    #[error("category {0}: needs at least two options with distinct codes")]
    BadOptions(String),
    #[error("indicator {code}: unknown {field} {value:?}")]
    UnknownValue {
        code: String,
        field: &'static str,
        value: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IndicatorCode(String);

impl IndicatorCode {
    pub fn new(code: impl Into<String>) -> Result<Self, IndicatorError> {
        let code = code.into();
        if check_code(&code, false) && !code.contains(char::is_whitespace) {
            Ok(Self(code))
        } else {
            Err(IndicatorError::InvalidCode(code))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for IndicatorCode {
    type Error = IndicatorError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}
impl From<IndicatorCode> for String {
    fn from(code: IndicatorCode) -> String {
        code.0
    }
}
impl std::fmt::Display for IndicatorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

string_enum!(
    /// The type of an indicator's values.
    ValueType, {
    Integer => "integer",
    Decimal => "decimal",
    Percent => "percent",
    Text => "text",
    YesNo => "yes_no",
});

impl ValueType {
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            ValueType::Integer | ValueType::Decimal | ValueType::Percent
        )
    }
}

string_enum!(
    /// How values of an indicator combine across agencies, periods and disaggregations.
    Aggregation, {
    Sum => "sum",
    Average => "average",
    Min => "min",
    Max => "max",
    Last => "last",
    None => "none",
});

/// One option of a category ("female" of "sex").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryOption {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
}

/// A disaggregation category with its options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Category {
    code: String,
    pub name_vi: String,
    pub name_en: String,
    options: Vec<CategoryOption>,
}

impl Category {
    pub fn new(
        code: String,
        name_vi: String,
        name_en: String,
        options: Vec<CategoryOption>,
    ) -> Result<Self, IndicatorError> {
        if !check_code(&code, false) {
            return Err(IndicatorError::InvalidCode(code));
        }
        let mut codes: Vec<&str> = options.iter().map(|o| o.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        if codes.len() < 2
            || codes.len() != options.len()
            || !codes.iter().all(|c| check_code(c, false))
        {
            return Err(IndicatorError::BadOptions(code));
        }
        Ok(Self {
            code,
            name_vi,
            name_en,
            options,
        })
    }
    pub fn code(&self) -> &str {
        &self.code
    }
    pub fn options(&self) -> &[CategoryOption] {
        &self.options
    }
    pub fn has_option(&self, option: &str) -> bool {
        self.options.iter().any(|o| o.code == option)
    }
}

/// A measured quantity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Indicator {
    code: IndicatorCode,
    pub name_vi: String,
    pub name_en: String,
    pub unit_vi: String,
    pub unit_en: String,
    value_type: ValueType,
    aggregation: Aggregation,
    /// The frequency it is usually collected at, where the catalogue says.
    pub frequency: Option<Frequency>,
    /// Codes of the categories its values are kept by, in order.
    pub disaggregation: Vec<String>,
    pub group_vi: String,
    pub definition_vi: String,
}

impl Indicator {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        code: IndicatorCode,
        name_vi: String,
        name_en: String,
        unit_vi: String,
        unit_en: String,
        value_type: ValueType,
        aggregation: Aggregation,
        frequency: Option<Frequency>,
        disaggregation: Vec<String>,
        group_vi: String,
        definition_vi: String,
    ) -> Result<Self, IndicatorError> {
        if name_vi.trim().is_empty() || (value_type.is_numeric() && unit_vi.trim().is_empty()) {
            return Err(IndicatorError::MissingNameOrUnit(code.to_string()));
        }
        use crate::text::{check_long_text, check_name};
        let names = [&name_vi, &name_en, &unit_vi, &unit_en, &group_vi];
        if !names.iter().all(|t| check_name(t)) || !check_long_text(&definition_vi) {
            return Err(IndicatorError::InvalidText(code.to_string()));
        }
        if !value_type.is_numeric()
            && aggregation != Aggregation::None
            && aggregation != Aggregation::Last
        {
            return Err(IndicatorError::AggregationNotForType {
                code: code.to_string(),
                value_type: value_type.as_str(),
                aggregation: aggregation.as_str(),
            });
        }
        Ok(Self {
            code,
            name_vi,
            name_en,
            unit_vi,
            unit_en,
            value_type,
            aggregation,
            frequency,
            disaggregation,
            group_vi,
            definition_vi,
        })
    }
    pub fn code(&self) -> &IndicatorCode {
        &self.code
    }
    pub fn value_type(&self) -> ValueType {
        self.value_type
    }
    pub fn aggregation(&self) -> Aggregation {
        self.aggregation
    }
}

/// An indicator as a catalogue file writes it — one CSV row: `code, name_vi, name_en,
/// unit_vi, unit_en, value_type, aggregation, frequency, disaggregation` (category codes
/// separated by `;`), `group` and an optional `definition_vi`. The demo's catalogue and an
/// import read the same columns.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IndicatorRecord {
    pub code: String,
    pub name_vi: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub unit_vi: String,
    #[serde(default)]
    pub unit_en: String,
    pub value_type: String,
    pub aggregation: String,
    #[serde(default)]
    pub frequency: String,
    #[serde(default)]
    pub disaggregation: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub definition_vi: String,
}

impl IndicatorRecord {
    /// The checked indicator; its categories must be among `categories`.
    pub fn into_indicator(self, categories: &[Category]) -> Result<Indicator, IndicatorError> {
        let unknown = |field: &'static str, value: &str| IndicatorError::UnknownValue {
            code: self.code.clone(),
            field,
            value: value.to_string(),
        };
        let disaggregation: Vec<String> = self
            .disaggregation
            .split(';')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        if let Some(missing) = disaggregation
            .iter()
            .find(|c| !categories.iter().any(|k| k.code() == c.as_str()))
        {
            return Err(unknown("category", missing));
        }
        let value_type = self
            .value_type
            .trim()
            .parse()
            .map_err(|_| unknown("value type", &self.value_type))?;
        let aggregation = self
            .aggregation
            .trim()
            .parse()
            .map_err(|_| unknown("aggregation", &self.aggregation))?;
        let frequency = match self.frequency.trim() {
            "" => None,
            text => Some(text.parse().map_err(|_| unknown("frequency", text))?),
        };
        Indicator::new(
            IndicatorCode::new(self.code.trim())?,
            self.name_vi.trim().to_string(),
            self.name_en.trim().to_string(),
            self.unit_vi.trim().to_string(),
            self.unit_en.trim().to_string(),
            value_type,
            aggregation,
            frequency,
            disaggregation,
            self.group.trim().to_string(),
            self.definition_vi.trim().to_string(),
        )
    }
}

impl Indicator {
    /// What differs from `other` in the indicator's meaning — its value type, aggregation
    /// rule or disaggregation — which stored numbers were kept by, and so must not change.
    pub fn meaning_changes(&self, other: &Indicator) -> Vec<&'static str> {
        let mut changes = Vec::new();
        if self.value_type != other.value_type {
            changes.push("value_type");
        }
        if self.aggregation != other.aggregation {
            changes.push("aggregation");
        }
        if self.disaggregation != other.disaggregation {
            changes.push("disaggregation");
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indicator(
        value_type: ValueType,
        aggregation: Aggregation,
        unit: &str,
    ) -> Result<Indicator, IndicatorError> {
        Indicator::new(
            IndicatorCode::new("XH01").unwrap(),
            "Dân số trung bình".into(),
            "Average population".into(),
            unit.into(),
            unit.into(),
            value_type,
            aggregation,
            Some(Frequency::Yearly),
            vec!["sex".into()],
            "Dân số".into(),
            String::new(),
        )
    }

    #[test]
    fn a_numeric_indicator_needs_a_unit() {
        assert!(indicator(ValueType::Decimal, Aggregation::Last, "nghìn người").is_ok());
        assert!(matches!(
            indicator(ValueType::Decimal, Aggregation::Sum, " "),
            Err(IndicatorError::MissingNameOrUnit(_))
        ));
    }

    #[test]
    fn text_values_cannot_be_summed() {
        assert!(matches!(
            indicator(ValueType::Text, Aggregation::Sum, ""),
            Err(IndicatorError::AggregationNotForType { .. })
        ));
        assert!(indicator(ValueType::Text, Aggregation::None, "").is_ok());
    }

    #[test]
    fn a_category_needs_two_distinct_options() {
        let option = |code: &str| CategoryOption {
            code: code.into(),
            name_vi: code.into(),
            name_en: code.into(),
        };
        assert!(
            Category::new(
                "sex".into(),
                "Giới tính".into(),
                "Sex".into(),
                vec![option("male"), option("female")]
            )
            .is_ok()
        );
        assert!(
            Category::new(
                "sex".into(),
                "Giới tính".into(),
                "Sex".into(),
                vec![option("male"), option("male")]
            )
            .is_err()
        );
        assert!(
            Category::new(
                "sex".into(),
                "Giới tính".into(),
                "Sex".into(),
                vec![option("male")]
            )
            .is_err()
        );
    }
}
