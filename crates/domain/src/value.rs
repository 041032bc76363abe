//! Data values: (indicator, disaggregation options, agency, period) → value, with the channel
//! that produced it. Values are parsed against the indicator's value type here, so the same
//! code checks entry, import and API input.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::agency::AgencyCode;
use crate::indicator::{Category, Indicator, IndicatorCode, ValueType};
use crate::period::PeriodId;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("{text:?} is not a valid {value_type} value")]
    BadValue { text: String, value_type: ValueType },
    #[error("{text:?} is out of range: a number must lie within ±{MAX_MAGNITUDE:e}")]
    OutOfRange { text: String },
    #[error("a text value is {length} characters long, over the {MAX_TEXT_CHARS} allowed")]
    TextTooLong { length: usize },
    #[error("indicator {indicator} is not disaggregated by {category}")]
    UnknownCategory { indicator: String, category: String },
    #[error("category {category} has no option {option}")]
    UnknownOption { category: String, option: String },
    #[error("{0:?} is not an option combination (category=option;…)")]
    BadCombinationKey(String),
}

string_enum!(
    /// The channel a value arrived through (its provenance).
    Channel, {
    Web => "web",
    Api => "api",
    Import => "import",
    Connector => "connector",
    Aggregation => "aggregation",
    Demo => "demo",
});

/// A combination of disaggregation options, category → option; empty means the total over
/// every category. Ordered, so its canonical key is stable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OptionCombo(BTreeMap<String, String>);

impl OptionCombo {
    pub const TOTAL: OptionCombo = OptionCombo(BTreeMap::new());

    /// Checks the categories and options against the indicator's disaggregation.
    pub fn new(
        options: BTreeMap<String, String>,
        indicator: &Indicator,
        categories: &[Category],
    ) -> Result<Self, ValueError> {
        for (category, option) in &options {
            if !indicator.disaggregation.contains(category) {
                return Err(ValueError::UnknownCategory {
                    indicator: indicator.code().to_string(),
                    category: category.clone(),
                });
            }
            let known = categories
                .iter()
                .find(|c| c.code() == category)
                .is_some_and(|c| c.has_option(option));
            if !known {
                return Err(ValueError::UnknownOption {
                    category: category.clone(),
                    option: option.clone(),
                });
            }
        }
        Ok(Self(options))
    }

    /// Every combination of one option of each of `codes`' categories (a cross product, in
    /// their order), at most `limit` of them; the total alone where `codes` is empty. A code
    /// the catalogue lacks is passed over.
    pub fn every(codes: &[String], categories: &[Category], limit: usize) -> Vec<OptionCombo> {
        let mut combos = vec![BTreeMap::new()];
        for code in codes {
            let Some(category) = categories.iter().find(|c| c.code() == code) else {
                continue;
            };
            combos = combos
                .into_iter()
                .flat_map(|combo| {
                    category.options().iter().map(move |option| {
                        let mut next = combo.clone();
                        next.insert(code.clone(), option.code.clone());
                        next
                    })
                })
                .take(limit)
                .collect();
        }
        combos.into_iter().map(Self).collect()
    }

    /// The categories `pick` names, and the rest.
    pub fn split(&self, pick: impl Fn(&str) -> bool) -> (OptionCombo, OptionCombo) {
        let (picked, rest) = self.0.clone().into_iter().partition(|(c, _)| pick(c));
        (Self(picked), Self(rest))
    }

    /// Both combinations' options together (`other`'s where both name a category).
    pub fn with(&self, other: &OptionCombo) -> OptionCombo {
        let mut options = self.0.clone();
        options.extend(other.0.clone());
        Self(options)
    }

    /// A combination read back from storage, where it was checked when written.
    pub fn from_stored(options: BTreeMap<String, String>) -> Self {
        Self(options)
    }

    pub fn into_map(self) -> BTreeMap<String, String> {
        self.0
    }

    /// `area=urban;sex=female`, or the empty string for the total.
    pub fn key(&self) -> String {
        self.0
            .iter()
            .map(|(c, o)| format!("{c}={o}"))
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Every combination naming some but not all of its options (the total among them),
    /// coarser than it.
    pub fn coarser(&self) -> impl Iterator<Item = OptionCombo> + '_ {
        let pairs: Vec<(&String, &String)> = self.0.iter().collect();
        // Combinations name a handful of categories; past 16 only the total is offered.
        let count = if pairs.len() <= 16 {
            (1u32 << pairs.len()) - 1
        } else {
            1
        };
        (0..count).map(move |mask| {
            Self(
                pairs
                    .iter()
                    .enumerate()
                    .filter(|(bit, _)| mask & (1 << bit) != 0)
                    .map(|(_, (c, o))| ((*c).clone(), (*o).clone()))
                    .collect(),
            )
        })
    }

    /// How many categories it names.
    pub fn depth(&self) -> usize {
        self.0.len()
    }

    pub fn option(&self, category: &str) -> Option<&str> {
        self.0.get(category).map(String::as_str)
    }

    pub fn is_total(&self) -> bool {
        self.0.is_empty()
    }

    /// The combination a [`key`](Self::key) names: `area=urban;sex=female`; empty or
    /// `default` (DHIS2's name for it) is the total. Categories and options are not checked
    /// against a catalogue here.
    pub fn from_key(key: &str) -> Result<Self, ValueError> {
        if key.trim() == "default" {
            return Ok(Self::TOTAL);
        }
        key.split(';')
            .map(str::trim)
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                pair.split_once('=')
                    .map(|(c, o)| (c.trim().to_string(), o.trim().to_string()))
                    .filter(|(c, o)| !c.is_empty() && !o.is_empty())
                    .ok_or_else(|| ValueError::BadCombinationKey(key.to_string()))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

/// The largest magnitude a number may have: below 2^53, so sums of many such numbers stay
/// finite and whole numbers stay exact in the engine's floating point.
pub const MAX_MAGNITUDE: f64 = 999_999_999_999_999.0;

/// The longest text value, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;

/// What an error quotes of a sent value: its first 60 characters.
pub fn quote(text: &str) -> String {
    match text.char_indices().nth(60) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// A value, typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Number(f64),
    Bool(bool),
    Text(String),
}

impl Value {
    /// Parses plain notation (`107.9`, `-3`, `2650`; no thousands separators, no exponent)
    /// for numeric types, within ±[`MAX_MAGNITUDE`]; `true`/`false` for yes/no; text up to
    /// [`MAX_TEXT_CHARS`]. An error quotes at most the first 60 characters of what was sent.
    pub fn parse(value_type: ValueType, text: &str) -> Result<Self, ValueError> {
        let quoted = || quote(text);
        let bad = || ValueError::BadValue {
            text: quoted(),
            value_type,
        };
        let text = text.trim();
        match value_type {
            ValueType::Text => {
                let length = text.chars().count();
                if length > MAX_TEXT_CHARS {
                    return Err(ValueError::TextTooLong { length });
                }
                Ok(Value::Text(text.to_string()))
            }
            ValueType::YesNo => match text {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(bad()),
            },
            ValueType::Integer | ValueType::Decimal | ValueType::Percent => {
                let digits = text.strip_prefix('-').unwrap_or(text);
                let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
                let plain = !whole.is_empty()
                    && whole.bytes().all(|b| b.is_ascii_digit())
                    && fraction.bytes().all(|b| b.is_ascii_digit())
                    && (value_type != ValueType::Integer || !digits.contains('.'));
                if !plain || (digits.contains('.') && fraction.is_empty()) {
                    return Err(bad());
                }
                if whole.trim_start_matches('0').len() > 15 || fraction.len() > 15 {
                    return Err(ValueError::OutOfRange { text: quoted() });
                }
                let number = text
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .ok_or_else(bad)?;
                if number.abs() > MAX_MAGNITUDE {
                    return Err(ValueError::OutOfRange { text: quoted() });
                }
                Ok(Value::Number(number))
            }
        }
    }

    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }
}

/// One stored number with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataValue {
    pub indicator: IndicatorCode,
    pub options: OptionCombo,
    pub agency: AgencyCode,
    pub period: PeriodId,
    pub value: Value,
    pub channel: Channel,
    /// Where it came from: `regime:BC-KTXH-T` for a regime's accepted reports, a connector's
    /// or an import's code otherwise.
    pub source: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_combination_reads_back_from_its_key() {
        let combo = OptionCombo::from_key("sex=female; area=urban").unwrap();
        assert_eq!(combo.key(), "area=urban;sex=female");
        assert_eq!(OptionCombo::from_key(&combo.key()).unwrap(), combo);
        assert!(OptionCombo::from_key("").unwrap().is_total());
        assert!(OptionCombo::from_key("default").unwrap().is_total());
        assert!(OptionCombo::from_key("sex").is_err());
        assert!(OptionCombo::from_key("=female").is_err());
    }
    use crate::indicator::{Aggregation, CategoryOption};

    #[test]
    fn plain_numbers_parse_and_formatted_ones_do_not() {
        assert_eq!(
            Value::parse(ValueType::Decimal, "107.9"),
            Ok(Value::Number(107.9))
        );
        assert_eq!(
            Value::parse(ValueType::Integer, "-2650"),
            Ok(Value::Number(-2650.0))
        );
        for bad in ["1.234.567", "1,5", "1e3", "", "12.", ".5", "NaN", "inf"] {
            assert!(Value::parse(ValueType::Decimal, bad).is_err(), "{bad}");
        }
        assert!(Value::parse(ValueType::Integer, "3.5").is_err());
        assert_eq!(
            Value::parse(ValueType::Decimal, "999999999999999"),
            Ok(Value::Number(999_999_999_999_999.0))
        );
        let huge = format!("1{}", "0".repeat(308));
        for out in [huge.as_str(), "1000000000000000", "-1000000000000000.5"] {
            assert!(
                matches!(
                    Value::parse(ValueType::Decimal, out),
                    Err(ValueError::OutOfRange { .. })
                ),
                "{out}"
            );
        }
        let error = Value::parse(ValueType::Decimal, &huge)
            .unwrap_err()
            .to_string();
        assert!(error.len() < 200, "the error quotes a prefix: {error}");
        assert!(Value::parse(ValueType::Text, &"x".repeat(MAX_TEXT_CHARS)).is_ok());
        assert!(matches!(
            Value::parse(ValueType::Text, &"x".repeat(MAX_TEXT_CHARS + 1)),
            Err(ValueError::TextTooLong { .. })
        ));
        assert_eq!(
            Value::parse(ValueType::YesNo, "true"),
            Ok(Value::Bool(true))
        );
    }

    #[test]
    fn option_combos_are_checked_and_keyed_canonically() {
        let sex = Category::new(
            "sex".into(),
            "Giới tính".into(),
            "Sex".into(),
            ["male", "female"]
                .map(|c| CategoryOption {
                    code: c.into(),
                    name_vi: c.into(),
                    name_en: c.into(),
                })
                .to_vec(),
        )
        .unwrap();
        let indicator = Indicator::new(
            IndicatorCode::new("XH12").unwrap(),
            "Số người chết".into(),
            "Deaths".into(),
            "người".into(),
            "persons".into(),
            ValueType::Integer,
            Aggregation::Sum,
            None,
            vec!["sex".into()],
            String::new(),
            String::new(),
        )
        .unwrap();
        let combo = |pairs: &[(&str, &str)]| {
            OptionCombo::new(
                pairs
                    .iter()
                    .map(|(c, o)| (c.to_string(), o.to_string()))
                    .collect(),
                &indicator,
                std::slice::from_ref(&sex),
            )
        };
        assert_eq!(combo(&[("sex", "female")]).unwrap().key(), "sex=female");
        assert!(combo(&[]).unwrap().is_total());
        assert!(matches!(
            combo(&[("area", "urban")]),
            Err(ValueError::UnknownCategory { .. })
        ));
        assert!(matches!(
            combo(&[("sex", "other")]),
            Err(ValueError::UnknownOption { .. })
        ));
    }
}
