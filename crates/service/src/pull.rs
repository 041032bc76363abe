//! Data value sets read back (pulls): a report's values — the `this_period` column of the form
//! that has the row — and, asked for, those of the agency's subordinates, as the values of a
//! DHIS2 data value set ([`PulledValue`]). Codes are the id scheme: `dataElement` is an
//! indicator code, `orgUnit` an agency code, the option combination written
//! `sex=female;area=urban` (empty for the total).

use baocao_domain::regime::FormColumn;
use baocao_formats::datavalues::PulledValue;
use baocao_store::agencies::AgencyFilter;

use crate::catalogue::{self, CatalogueError};
use crate::reporting::{self, ReportAddress, ReportingError};
use crate::{Caller, Context};

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// The client system may not pull data of this regime.
    #[error("client {client} may not pull data of regime {regime}")]
    OutOfScope { client: String, regime: String },
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error(transparent)]
    Reporting(#[from] ReportingError),
    #[error(transparent)]
    Store(#[from] baocao_store::StoreError),
    /// A selection of more reports than one pull reads.
    #[error("the selection names more than {0} reports")]
    TooMany(usize),
}

impl PullError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::OutOfScope { .. } => "out_of_scope",
            Self::Catalogue(error) => error.code(),
            Self::Reporting(error) => error.code(),
            Self::Store(_) => "store",
            Self::TooMany(_) => "selection_too_large",
        }
    }
}

/// What a pull asks.
#[derive(Debug, Clone)]
pub struct PullQuery {
    pub data_set: String,
    pub period: String,
    pub org_unit: String,
    /// The agency's subordinates too (those that cannot answer are left out).
    pub children: bool,
}

/// The periods a pull asks for: named, or every period of the regime's frequency that
/// overlaps a span of days (DHIS2's `startDate`/`endDate`).
#[derive(Debug, Clone)]
pub enum PeriodsAsked {
    Named(Vec<String>),
    Between(jiff::civil::Date, jiff::civil::Date),
}

/// A pull of several regimes, periods and agencies at once (DHIS2's repeated `dataSet`,
/// `period`, `orgUnit`).
#[derive(Debug, Clone)]
pub struct PullSelection {
    pub data_sets: Vec<String>,
    pub periods: PeriodsAsked,
    pub org_units: Vec<String>,
    pub children: bool,
}

/// The most (regime, period, agency) reports one selection reads.
pub const MAX_SELECTED_REPORTS: usize = 10_000;

impl PullSelection {
    /// Each (regime, period, agency) asked, in that order.
    async fn queries(&self, ctx: &Context) -> Result<Vec<PullQuery>, PullError> {
        let mut queries = Vec::new();
        for data_set in &self.data_sets {
            let periods = match &self.periods {
                PeriodsAsked::Named(periods) => periods.clone(),
                PeriodsAsked::Between(start, end) => {
                    let regime = catalogue::load_regime(&ctx.store, data_set).await?;
                    let frequency = regime.content().frequency.ok_or_else(|| {
                        CatalogueError::InvalidPeriod {
                            text: format!("{start}..{end}"),
                            reason: format!(
                                "regime {data_set} has no fixed frequency; name its periods"
                            ),
                        }
                    })?;
                    let mut periods = Vec::new();
                    let mut period = baocao_domain::period::PeriodId::containing(frequency, *start);
                    while period.start() <= *end && periods.len() <= MAX_SELECTED_REPORTS {
                        periods.push(period.to_string());
                        period = period.next();
                    }
                    periods
                }
            };
            for period in periods {
                for org_unit in &self.org_units {
                    queries.push(PullQuery {
                        data_set: data_set.clone(),
                        period: period.clone(),
                        org_unit: org_unit.clone(),
                        children: self.children,
                    });
                }
            }
            if queries.len() > MAX_SELECTED_REPORTS {
                return Err(PullError::TooMany(MAX_SELECTED_REPORTS));
            }
        }
        Ok(queries)
    }
}

/// The values of every report `selection` names that the caller may read; with one report
/// asked, exactly [`pull`]'s answer (its refusals included), with more, a report the caller
/// cannot read (not assigned, out of reach) is left out.
pub async fn pull_selection(
    ctx: &Context,
    caller: &Caller,
    selection: &PullSelection,
) -> Result<Pulled, PullError> {
    let queries = selection.queries(ctx).await?;
    if let [query] = queries.as_slice() {
        return pull(ctx, caller, query).await;
    }
    let mut all = Pulled {
        values: Vec::new(),
        complete_date: None,
    };
    for query in &queries {
        match pull(ctx, caller, query).await {
            Ok(pulled) => all.values.extend(pulled.values),
            Err(error @ (PullError::OutOfScope { .. } | PullError::Store(_))) => return Err(error),
            Err(PullError::Catalogue(error @ CatalogueError::UnknownRegime(_))) => {
                return Err(error.into());
            }
            Err(_) => continue,
        }
    }
    Ok(all)
}

/// The values pulled, and when the asked agency's report was last submitted.
#[derive(Debug)]
pub struct Pulled {
    pub values: Vec<PulledValue>,
    pub complete_date: Option<String>,
}

/// The values of `query`'s report(s) the caller may read.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, data_set = %query.data_set, org_unit = %query.org_unit, period = %query.period))]
pub async fn pull(ctx: &Context, caller: &Caller, query: &PullQuery) -> Result<Pulled, PullError> {
    if let Some(client) = &caller.client
        && !caller.in_scope(false, &query.data_set)
    {
        return Err(PullError::OutOfScope {
            client: client.name.clone(),
            regime: query.data_set.clone(),
        });
    }
    let mut org_units = vec![query.org_unit.clone()];
    if query.children {
        // Subordinates that cannot answer are left out below, so an unknown regime must be
        // refused here rather than answered with an empty set.
        catalogue::load_regime(&ctx.store, &query.data_set).await?;
        let period = catalogue::parse_period(&query.period)?;
        let parent = catalogue::agency_code(&query.org_unit)?;
        let filter = AgencyFilter {
            parent: Some(parent),
            ..Default::default()
        };
        org_units.extend(
            ctx.store
                .agencies_as_of(period.end(), &filter)
                .await?
                .into_iter()
                .map(|a| a.code.to_string()),
        );
    }
    let mut values = Vec::new();
    let mut complete_date = None;
    // Which of a cell's categories are attribute categories, said apart from its own.
    let mut regime: Option<std::sync::Arc<baocao_domain::regime::Regime>> = None;
    for (index, org_unit) in org_units.iter().enumerate() {
        let read = async {
            let address = ReportAddress::parse(&query.data_set, org_unit, &query.period)?;
            reporting::read(ctx, caller, &address).await
        };
        let view = match read.await {
            Ok(view) => view,
            // The asked orgUnit must answer (unless its subordinates are what is asked); a
            // subordinate not assigned the regime, or not readable by the caller, is left out.
            Err(error) if index == 0 && !query.children => return Err(error.into()),
            Err(_) => continue,
        };
        if index == 0 {
            complete_date = view.versions.last().map(|v| v.submitted_at.clone());
        }
        // The version that governs the period (as the report page and the workbook read it).
        let regime = match &regime {
            Some(kept) => kept.clone(),
            None => {
                let period = catalogue::parse_period(&query.period)?;
                let found =
                    catalogue::regime_in_force(ctx, &query.data_set, period.start()).await?;
                regime = Some(found.clone());
                found
            }
        };
        let regime = regime.content();
        for cell in &view.content.values {
            if cell.address.column != FormColumn::ThisPeriod {
                continue;
            }
            let (attributes, own) = cell
                .address
                .options
                .split(|category| regime.is_attribute(category));
            values.push(PulledValue {
                data_set: query.data_set.clone(),
                period: query.period.clone(),
                org_unit: org_unit.clone(),
                data_element: cell.address.row.to_string(),
                combo: own.key(),
                attributes: attributes.key(),
                value: serde_json::Value::String(cell.value.clone()),
                comment: cell.comment.clone(),
            });
        }
    }
    Ok(Pulled {
        values,
        complete_date,
    })
}
