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
}

impl PullError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::OutOfScope { .. } => "out_of_scope",
            Self::Catalogue(error) => error.code(),
            Self::Reporting(error) => error.code(),
            Self::Store(_) => "store",
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
        for cell in &view.content.values {
            if cell.address.column != FormColumn::ThisPeriod {
                continue;
            }
            values.push(PulledValue {
                org_unit: org_unit.clone(),
                data_element: cell.address.row.to_string(),
                combo: cell.address.options.key(),
                value: serde_json::Value::String(cell.value.clone()),
            });
        }
    }
    Ok(Pulled {
        values,
        complete_date,
    })
}
