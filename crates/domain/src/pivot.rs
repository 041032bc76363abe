//! Pivot tables: aggregated values (facts) laid out with some dimensions on rows and others on
//! columns, with row, column and grand totals.
//!
//! A fact is one aggregated number: an indicator for an agency, a period and a group of
//! disaggregation options. Every dimension that varies among the facts must sit on rows or
//! columns, or two facts would fall into one cell; [`Layout::completed`] puts the ones a
//! layout forgot on the rows. Headers keep the order in which their values first appear, so
//! the indicators, periods and agencies stay in the order they were asked for.
//!
//! # Totals
//! A total combines the cells of a row (or column) by the indicator's rule: `sum` adds,
//! `average` averages the cells, `min`/`max` take the least/greatest, `last` takes the latest
//! period's cells (added up, as a stock is across agencies), `none` has no total. A total over
//! cells of different indicators is meaningless and left empty. Totals are computed from the
//! cells shown: a table of some provinces totals those provinces, not the country.

use std::collections::{BTreeMap, HashMap};

use crate::indicator::Aggregation;
use crate::period::PeriodId;

/// What a row or column can be split by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    Indicator,
    Agency,
    Period,
    /// A disaggregation category (`sex`, `area`, …).
    Category(String),
}

impl Dimension {
    /// `indicator`, `agency`, `period`, or a category code.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        match text {
            "" => None,
            "indicator" => Some(Self::Indicator),
            "agency" => Some(Self::Agency),
            "period" => Some(Self::Period),
            category
                if category
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
            {
                Some(Self::Category(category.to_string()))
            }
            _ => None,
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Indicator => "indicator",
            Self::Agency => "agency",
            Self::Period => "period",
            Self::Category(code) => code,
        }
    }
}

impl serde::Serialize for Dimension {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Dimension {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown dimension {text:?}")))
    }
}

/// One aggregated number, as the analytics answer it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub indicator: String,
    pub agency: String,
    pub period: PeriodId,
    /// The group of options (empty for the total).
    pub options: BTreeMap<String, String>,
    pub value: Option<f64>,
}

impl Fact {
    /// The fact's value on a dimension; a category it does not split by is the total (`""`).
    pub fn coordinate(&self, dimension: &Dimension) -> String {
        match dimension {
            Dimension::Indicator => self.indicator.clone(),
            Dimension::Agency => self.agency.clone(),
            Dimension::Period => self.period.to_string(),
            Dimension::Category(code) => self.options.get(code).cloned().unwrap_or_default(),
        }
    }
}

/// Which dimensions go down the rows and which across the columns, outermost first.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Layout {
    #[serde(default)]
    pub rows: Vec<Dimension>,
    #[serde(default)]
    pub columns: Vec<Dimension>,
}

impl Layout {
    /// The layout with every dimension that varies among `facts` placed: a dimension on both
    /// sides stays on the rows only, one placed nowhere joins the rows.
    pub fn completed(&self, facts: &[Fact], categories: &[String]) -> Layout {
        let mut rows: Vec<Dimension> = Vec::new();
        for dimension in &self.rows {
            if !rows.contains(dimension) {
                rows.push(dimension.clone());
            }
        }
        let mut columns: Vec<Dimension> = Vec::new();
        for dimension in &self.columns {
            if !rows.contains(dimension) && !columns.contains(dimension) {
                columns.push(dimension.clone());
            }
        }
        let all = [Dimension::Indicator, Dimension::Agency, Dimension::Period]
            .into_iter()
            .chain(categories.iter().cloned().map(Dimension::Category));
        for dimension in all {
            if rows.contains(&dimension) || columns.contains(&dimension) {
                continue;
            }
            let mut values = facts.iter().map(|f| f.coordinate(&dimension));
            let first = values.next();
            if values.any(|v| Some(&v) != first.as_ref()) {
                rows.push(dimension);
            }
        }
        Layout { rows, columns }
    }
}

/// The laid-out table: headers (one key per dimension of the side), cells, and totals.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Pivot {
    pub layout: Layout,
    pub rows: Vec<Vec<String>>,
    pub columns: Vec<Vec<String>>,
    /// `cells[row][column]`: the index of the fact in the list given, if any.
    pub cells: Vec<Vec<Option<usize>>>,
    pub row_totals: Vec<Option<f64>>,
    pub column_totals: Vec<Option<f64>>,
    pub grand_total: Option<f64>,
}

/// Headers in order of first appearance, and the position of each key.
fn headers(facts: &[Fact], dimensions: &[Dimension]) -> (Vec<Vec<String>>, Vec<usize>) {
    let mut order: Vec<Vec<String>> = Vec::new();
    let mut position: HashMap<Vec<String>, usize> = HashMap::new();
    let mut of_fact = Vec::with_capacity(facts.len());
    for fact in facts {
        let key: Vec<String> = dimensions.iter().map(|d| fact.coordinate(d)).collect();
        let index = *position.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            order.len() - 1
        });
        of_fact.push(index);
    }
    (order, of_fact)
}

/// Lays `facts` out by `layout` (completed first), with totals by each indicator's rule
/// (`rule_of` answers for an indicator code; unknown indicators get no total).
pub fn pivot(
    facts: &[Fact],
    layout: &Layout,
    categories: &[String],
    rule_of: impl Fn(&str) -> Option<Aggregation>,
) -> Pivot {
    let layout = layout.completed(facts, categories);
    let (rows, row_of) = headers(facts, &layout.rows);
    let (columns, column_of) = headers(facts, &layout.columns);
    let mut cells = vec![vec![None; columns.len()]; rows.len()];
    let mut by_row: Vec<Vec<&Fact>> = vec![Vec::new(); rows.len()];
    let mut by_column: Vec<Vec<&Fact>> = vec![Vec::new(); columns.len()];
    for (index, fact) in facts.iter().enumerate() {
        cells[row_of[index]][column_of[index]] = Some(index);
        by_row[row_of[index]].push(fact);
        by_column[column_of[index]].push(fact);
    }
    let all: Vec<&Fact> = facts.iter().collect();
    Pivot {
        row_totals: by_row.iter().map(|list| total(list, &rule_of)).collect(),
        column_totals: by_column.iter().map(|list| total(list, &rule_of)).collect(),
        grand_total: total(&all, &rule_of),
        layout,
        rows,
        columns,
        cells,
    }
}

/// The cells combined by their indicator's rule; `None` across indicators, for a rule that
/// is never aggregated, or where no cell has a value.
pub fn total(cells: &[&Fact], rule_of: impl Fn(&str) -> Option<Aggregation>) -> Option<f64> {
    let first = cells.first()?;
    if cells.iter().any(|f| f.indicator != first.indicator) {
        return None;
    }
    let rule = rule_of(&first.indicator)?;
    let latest = cells
        .iter()
        .filter(|f| f.value.is_some())
        .map(|f| f.period.end())
        .max()?;
    let values: Vec<f64> = cells
        .iter()
        .filter(|f| rule != Aggregation::Last || f.period.end() == latest)
        .filter_map(|f| f.value)
        .collect();
    crate::aggregation::combine(rule, &values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(indicator: &str, agency: &str, period: &str, value: Option<f64>) -> Fact {
        Fact {
            indicator: indicator.into(),
            agency: agency.into(),
            period: PeriodId::parse(period).unwrap(),
            options: BTreeMap::new(),
            value,
        }
    }

    fn rules(code: &str) -> Option<Aggregation> {
        match code {
            "SUM" => Some(Aggregation::Sum),
            "POP" => Some(Aggregation::Last),
            "AVG" => Some(Aggregation::Average),
            "RATE" => Some(Aggregation::None),
            _ => None,
        }
    }

    #[test]
    fn agencies_down_periods_across_with_totals_by_rule() {
        let facts = vec![
            fact("SUM", "01", "202601", Some(1.0)),
            fact("SUM", "01", "202602", Some(2.0)),
            fact("SUM", "79", "202601", Some(10.0)),
            fact("SUM", "79", "202602", None),
        ];
        let layout = Layout {
            rows: vec![Dimension::Agency],
            columns: vec![Dimension::Period],
        };
        let table = pivot(&facts, &layout, &[], rules);
        assert_eq!(table.rows, vec![vec!["01"], vec!["79"]]);
        assert_eq!(table.columns, vec![vec!["202601"], vec!["202602"]]);
        assert_eq!(table.cells[1][0], Some(2));
        assert_eq!(table.row_totals, vec![Some(3.0), Some(10.0)]);
        assert_eq!(table.column_totals, vec![Some(11.0), Some(2.0)]);
        assert_eq!(table.grand_total, Some(13.0));
    }

    #[test]
    fn a_stock_totals_its_latest_period_and_a_rate_has_no_total() {
        let facts = vec![
            fact("POP", "01", "2024", Some(100.0)),
            fact("POP", "01", "2025", Some(110.0)),
            fact("POP", "79", "2024", Some(200.0)),
            fact("POP", "79", "2025", Some(220.0)),
            fact("RATE", "01", "2025", Some(3.0)),
        ];
        let layout = Layout {
            rows: vec![Dimension::Indicator, Dimension::Agency],
            columns: vec![Dimension::Period],
        };
        let table = pivot(&facts, &layout, &[], rules);
        assert_eq!(table.row_totals, vec![Some(110.0), Some(220.0), None]);
        // Across agencies a stock adds up; the column mixes two indicators.
        assert_eq!(table.column_totals, vec![Some(300.0), None]);
        assert_eq!(table.grand_total, None);
    }

    #[test]
    fn dimensions_left_out_join_the_rows() {
        let mut male = fact("AVG", "01", "202601", Some(4.0));
        male.options.insert("sex".into(), "male".into());
        let mut female = fact("AVG", "01", "202601", Some(6.0));
        female.options.insert("sex".into(), "female".into());
        let facts = vec![male, female];
        let layout = Layout {
            rows: vec![],
            columns: vec![Dimension::Period, Dimension::Period],
        };
        let table = pivot(&facts, &layout, &["sex".to_string()], rules);
        assert_eq!(
            table.layout.rows,
            vec![Dimension::Category("sex".to_string())]
        );
        assert_eq!(table.layout.columns, vec![Dimension::Period]);
        assert_eq!(table.rows, vec![vec!["male"], vec!["female"]]);
        assert_eq!(table.column_totals, vec![Some(5.0)]);
    }

    #[test]
    fn dimensions_parse_and_refuse_nonsense() {
        assert_eq!(Dimension::parse("agency"), Some(Dimension::Agency));
        assert_eq!(
            Dimension::parse("sex"),
            Some(Dimension::Category("sex".into()))
        );
        assert_eq!(Dimension::parse("a b"), None);
        assert_eq!(Dimension::parse(""), None);
    }
}
