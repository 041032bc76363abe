//! Pivots of the live analytics: an analytics question laid out on rows and columns with
//! totals (the domain's [`baocao_domain::pivot`]), with names in the caller's language and,
//! for every number, a link to the values behind it ([`sources_of`]). The API, the indicator
//! tables, their exports and the pivot explorer pages draw the same [`PivotView`].

use std::collections::{BTreeMap, HashMap};

use baocao_domain::aggregation::{Gathered, Question, sources};
use baocao_domain::indicator::Indicator;
use baocao_domain::language::{Lang, number, period_label};
use baocao_domain::period::PeriodId;
use baocao_domain::pivot::{Dimension, Fact, Layout, Pivot, pivot};
use baocao_domain::value::OptionCombo;
use serde::{Deserialize, Serialize};

use crate::analytics::{AnalyticsError, AnalyticsQuery, AnalyticsRow, Plan, plan};
use crate::{Caller, Context, path_segment};

/// A question and its layout, from a JSON body.
#[derive(Debug, Default, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PivotRequest {
    #[serde(flatten)]
    pub query: AnalyticsQuery,
    #[serde(default)]
    pub rows: Vec<Dimension>,
    #[serde(default)]
    pub columns: Vec<Dimension>,
    #[serde(default)]
    pub lang: Option<String>,
}

impl PivotRequest {
    /// From query-string pairs: the analytics parameters plus `rows`, `columns` and `lang`
    /// (`rows=agency&columns=period,sex`); `extra` names parameters a caller reads itself.
    pub fn from_pairs(
        pairs: Vec<(String, String)>,
        extra: &[&str],
    ) -> Result<Self, AnalyticsError> {
        let mut request = Self::default();
        let mut rest = Vec::new();
        for (key, value) in pairs {
            let dimensions = || -> Result<Vec<Dimension>, AnalyticsError> {
                value
                    .split(',')
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| {
                        Dimension::parse(v)
                            .ok_or_else(|| AnalyticsError::InvalidDimension(v.to_string()))
                    })
                    .collect()
            };
            match key.as_str() {
                "rows" => request.rows.extend(dimensions()?),
                "columns" => request.columns.extend(dimensions()?),
                "lang" => request.lang = Some(value),
                other if extra.contains(&other) => {}
                _ => rest.push((key, value)),
            }
        }
        request.query = AnalyticsQuery::from_pairs(rest)?;
        Ok(request)
    }

    pub fn layout(&self) -> Layout {
        Layout {
            rows: self.rows.clone(),
            columns: self.columns.clone(),
        }
    }

    pub fn lang(&self) -> Lang {
        Lang::from_code(self.lang.as_deref())
    }
}

/// Names of what a pivot's headers hold, in one language.
pub struct Labels {
    lang: Lang,
    indicators: HashMap<String, (String, String)>,
    agencies: HashMap<String, String>,
    categories: HashMap<String, (String, HashMap<String, String>)>,
}

impl Labels {
    pub async fn load(context: &Context, plan: &Plan, lang: Lang) -> Result<Self, AnalyticsError> {
        let pick = |vi: &str, en: &str| lang.pick(vi, en);
        let indicators = plan
            .indicators
            .iter()
            .map(|i: &Indicator| {
                (
                    i.code().to_string(),
                    (pick(&i.name_vi, &i.name_en), pick(&i.unit_vi, &i.unit_en)),
                )
            })
            .collect();
        let wanted: std::collections::HashSet<String> = plan
            .targets
            .iter()
            .filter_map(|t| plan.graph.code(*t).map(ToString::to_string))
            .collect();
        let agencies = context
            .store
            .agencies_as_of(plan.as_of, &Default::default())
            .await?
            .into_iter()
            .filter(|a| wanted.contains(a.code.as_str()))
            .map(|a| (a.code.to_string(), pick(&a.name_vi, &a.name_en)))
            .collect();
        let categories = context
            .store
            .categories()
            .await?
            .into_iter()
            .map(|c| {
                let options = c
                    .options()
                    .iter()
                    .map(|o| (o.code.clone(), pick(&o.name_vi, &o.name_en)))
                    .collect();
                (
                    c.code().to_string(),
                    (pick(&c.name_vi, &c.name_en), options),
                )
            })
            .collect();
        Ok(Self {
            lang,
            indicators,
            agencies,
            categories,
        })
    }

    /// The option codes of `category`, in code order.
    pub fn options(&self, category: &str) -> Vec<String> {
        let mut options: Vec<String> = self
            .categories
            .get(category)
            .map(|(_, options)| options.keys().cloned().collect())
            .unwrap_or_default();
        options.sort();
        options
    }

    /// The name of a dimension (a header over its keys).
    pub fn dimension(&self, dimension: &Dimension) -> String {
        let (vi, en) = match dimension {
            Dimension::Indicator => ("Chỉ tiêu", "Indicator"),
            Dimension::Agency => ("Cơ quan, địa phương", "Agency"),
            Dimension::Period => ("Kỳ", "Period"),
            Dimension::Category(code) => {
                return self
                    .categories
                    .get(code)
                    .map_or_else(|| code.clone(), |(name, _)| name.clone());
            }
        };
        if self.lang == Lang::En { en } else { vi }.to_string()
    }

    /// The name of one key of a dimension.
    pub fn key(&self, dimension: &Dimension, key: &str) -> String {
        match dimension {
            Dimension::Indicator => self.indicators.get(key).map_or_else(
                || key.to_string(),
                |(name, unit)| format!("{name} ({unit})"),
            ),
            Dimension::Agency => self
                .agencies
                .get(key)
                .cloned()
                .unwrap_or_else(|| key.to_string()),
            Dimension::Period => PeriodId::parse(key)
                .map(|p| period_label(p, self.lang))
                .unwrap_or_else(|_| key.to_string()),
            Dimension::Category(_) if key.is_empty() => if self.lang == Lang::En {
                "Total"
            } else {
                "Tổng"
            }
            .to_string(),
            Dimension::Category(code) => self
                .categories
                .get(code)
                .and_then(|(_, options)| options.get(key).cloned())
                .unwrap_or_else(|| key.to_string()),
        }
    }
}

/// Analytics rows as the domain's facts. Split by some categories, a cell with nothing
/// reported has no options to place it by, and is left out rather than shown as a total.
pub fn facts(rows: &[AnalyticsRow], split: bool) -> Vec<Fact> {
    rows.iter()
        .filter(|row| {
            !(split && row.value.is_none() && row.options.as_object().is_some_and(|o| o.is_empty()))
        })
        .filter_map(|row| {
            Some(Fact {
                indicator: row.indicator.clone(),
                agency: row.agency.clone(),
                period: PeriodId::parse(&row.period).ok()?,
                options: serde_json::from_value(row.options.clone()).unwrap_or_default(),
                value: row.value,
            })
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Header {
    pub key: String,
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CellView {
    pub value: Option<f64>,
    /// The number as the language writes it (empty where there is none).
    pub text: String,
    /// Where the values behind it are listed.
    pub sources: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowView {
    pub headers: Vec<Header>,
    pub cells: Vec<CellView>,
    pub total: CellView,
}

/// A pivot with its names: what the API answers and the pages draw.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PivotView {
    pub as_of: String,
    pub periods: Vec<String>,
    pub layout: Layout,
    /// The names of the row dimensions (the corner of the table).
    pub row_dimensions: Vec<Header>,
    pub column_dimensions: Vec<Header>,
    /// One entry per column; each lists its keys outermost first.
    pub columns: Vec<Vec<Header>>,
    pub rows: Vec<RowView>,
    pub column_totals: Vec<CellView>,
    pub grand_total: CellView,
}

fn cell(value: Option<f64>, lang: Lang, sources: Option<String>) -> CellView {
    CellView {
        value,
        text: value.map(|v| number(v, 2, lang)).unwrap_or_default(),
        sources,
    }
}

/// The query string of the sources of one fact.
fn sources_query(fact: &Fact, as_of: &str) -> String {
    let mut query = format!(
        "indicator={}&agency={}&period={}&as_of={}",
        path_segment(&fact.indicator),
        path_segment(&fact.agency),
        fact.period,
        as_of
    );
    if !fact.options.is_empty() {
        let key = OptionCombo::from_stored(fact.options.clone()).key();
        query.push_str(&format!("&options={}", path_segment(&key)));
    }
    query
}

/// Lays the facts out and names everything.
pub fn view(plan: &Plan, facts: &[Fact], layout: &Layout, labels: &Labels) -> PivotView {
    let rules: HashMap<String, _> = plan
        .indicators
        .iter()
        .map(|i| (i.code().to_string(), i.aggregation()))
        .collect();
    let table: Pivot = pivot(facts, layout, &plan.disaggregate, |code| {
        rules.get(code).copied()
    });
    let lang = labels.lang;
    let as_of = plan.as_of.to_string();
    let headers = |dimensions: &[Dimension], keys: &[String]| -> Vec<Header> {
        dimensions
            .iter()
            .zip(keys)
            .map(|(d, k)| Header {
                key: k.clone(),
                label: labels.key(d, k),
            })
            .collect()
    };
    let names = |dimensions: &[Dimension]| -> Vec<Header> {
        dimensions
            .iter()
            .map(|d| Header {
                key: d.as_str().to_string(),
                label: labels.dimension(d),
            })
            .collect()
    };
    let rows = table
        .rows
        .iter()
        .enumerate()
        .map(|(r, keys)| RowView {
            headers: headers(&table.layout.rows, keys),
            cells: table.cells[r]
                .iter()
                .map(|index| match index {
                    Some(i) => {
                        let fact = &facts[*i];
                        let link = fact
                            .value
                            .map(|_| format!("/analytics/sources?{}", sources_query(fact, &as_of)));
                        cell(fact.value, lang, link)
                    }
                    None => cell(None, lang, None),
                })
                .collect(),
            total: cell(table.row_totals[r], lang, None),
        })
        .collect();
    PivotView {
        as_of,
        periods: plan.periods.iter().map(ToString::to_string).collect(),
        row_dimensions: names(&table.layout.rows),
        column_dimensions: names(&table.layout.columns),
        columns: table
            .columns
            .iter()
            .map(|keys| headers(&table.layout.columns, keys))
            .collect(),
        rows,
        column_totals: table
            .column_totals
            .iter()
            .map(|v| cell(*v, lang, None))
            .collect(),
        grand_total: cell(table.grand_total, lang, None),
        layout: table.layout,
    }
}

/// The pivot of a request, for the API and the pages alike.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username))]
pub async fn build(
    context: &Context,
    caller: &Caller,
    request: PivotRequest,
) -> Result<PivotView, AnalyticsError> {
    let lang = request.lang();
    let layout = request.layout();
    let plan = plan(context, Some(caller), request.query).await?;
    let rows = plan.rows(context).await?;
    let labels = Labels::load(context, &plan, lang).await?;
    let facts = facts(&rows, !plan.disaggregate.is_empty());
    Ok(view(&plan, &facts, &layout, &labels))
}

/// One value behind an aggregated number.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceRow {
    pub agency: String,
    /// Its name then, for an agency that no longer exists (merged away) too.
    pub agency_name: String,
    /// The agency's last day, when it no longer exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency_valid_to: Option<baocao_domain::Date>,
    pub period: String,
    pub options: BTreeMap<String, String>,
    pub value: f64,
    pub source: String,
    /// The report page it came from, for a value a regime's report carries.
    pub report: Option<String>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourcesAnswer {
    pub indicator: String,
    pub agency: String,
    pub period: String,
    pub as_of: String,
    pub values: Vec<SourceRow>,
}

/// The values behind one aggregated number, for `GET /api/v1/analytics/sources` and its page.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username))]
pub async fn sources_of(
    context: &Context,
    caller: &Caller,
    pairs: Vec<(String, String)>,
) -> Result<SourcesAnswer, AnalyticsError> {
    let options_key = pairs
        .iter()
        .find(|(k, _)| k == "options")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let wanted = OptionCombo::from_key(&options_key)
        .map_err(|_| AnalyticsError::InvalidOptions(options_key.clone()))?;
    let request = PivotRequest::from_pairs(pairs, &["options"])?;
    let plan = plan(context, Some(caller), request.query).await?;
    let (Some(indicator), Some(period), Some(target)) = (
        plan.indicators.first(),
        plan.periods.first(),
        plan.targets.first(),
    ) else {
        return Err(AnalyticsError::NotOneOfEach);
    };
    let observations = context
        .store
        .observations(indicator.code(), period.start(), period.end())
        .await?;
    let gathered = Gathered::new(&plan.graph, &observations);
    let categories: Vec<String> = wanted.clone().into_map().into_keys().collect();
    let question = Question {
        aggregation: indicator.aggregation(),
        period: *period,
        disaggregate: &categories,
    };
    let found = sources(&plan.graph, &gathered, *target, &question);
    let names: HashMap<String, String> = context
        .store
        .agencies_as_of(plan.as_of, &Default::default())
        .await?
        .into_iter()
        .map(|a| (a.code.to_string(), a.name_vi))
        .collect();
    let mut values: Vec<SourceRow> = found
        .get(&wanted)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|o| {
            let agency = plan
                .graph
                .code(o.agency)
                .map(ToString::to_string)
                .unwrap_or_default();
            let report = o
                .source
                .strip_prefix("regime:")
                .map(|regime| format!("/reports/{regime}/{agency}/{}", o.period));
            SourceRow {
                agency_name: names.get(&agency).cloned().unwrap_or_default(),
                agency_valid_to: None,
                agency,
                period: o.period.to_string(),
                options: o.options.clone().into_map(),
                value: o.value,
                source: o.source.clone(),
                report,
            }
        })
        .collect();
    // An agency merged away since is named as it was when it reported, with its last day.
    let mut former: HashMap<String, Option<baocao_store::agencies::AgencyRecord>> = HashMap::new();
    for row in values.iter_mut().filter(|r| r.agency_name.is_empty()) {
        let Ok(code) = baocao_domain::agency::AgencyCode::new(&row.agency) else {
            continue;
        };
        if !former.contains_key(&row.agency) {
            let Some(period) = PeriodId::parse(&row.period).ok() else {
                continue;
            };
            let mut then = context.store.agency_as_of(&code, period.end()).await?;
            if then.is_none() {
                then = context.store.agency_as_of(&code, period.start()).await?;
            }
            former.insert(row.agency.clone(), then);
        }
        if let Some(Some(record)) = former.get(&row.agency) {
            row.agency_name = record.name_vi.clone();
            row.agency_valid_to = record.valid_to;
        }
    }
    values.sort_by(|a, b| (&a.agency, &a.period).cmp(&(&b.agency, &b.period)));
    Ok(SourcesAnswer {
        indicator: indicator.code().to_string(),
        agency: plan
            .graph
            .code(*target)
            .map(ToString::to_string)
            .unwrap_or_default(),
        period: period.to_string(),
        as_of: plan.as_of.to_string(),
        values,
    })
}
