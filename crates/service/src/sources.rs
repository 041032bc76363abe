//! Cross-source discrepancies: every cell that two sources (a province's report and a
//! ministry's feed, say) give differently, with both numbers, their sources and the
//! difference; and the mark of the source to trust, which every aggregate then takes.

use baocao_domain::agency::AgencyCode;
use baocao_domain::indicator::IndicatorCode;
use baocao_domain::permission::Action;
use baocao_domain::value::OptionCombo;
use baocao_store::StoreError;
use baocao_store::analytics::{CellOfSource, SourcedValue};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::catalogue::{self, CatalogueError, agency_code, parse_period};
use crate::{Caller, Context, national};

#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error("forbidden")]
    Forbidden,
    #[error("unknown indicator {0}")]
    UnknownIndicator(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SourcesError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Catalogue(error) => error.code(),
            Self::Forbidden => "forbidden",
            Self::UnknownIndicator(_) => "not_found",
            Self::Store(_) => "store",
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceNumber {
    pub source: String,
    pub value: f64,
    pub updated_at: String,
    pub authoritative: bool,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Discrepancy {
    pub agency: String,
    pub period: String,
    pub indicator: String,
    pub options: serde_json::Value,
    pub values: Vec<SourceNumber>,
    /// Largest minus smallest.
    pub difference: f64,
    /// The difference over the largest magnitude (0 to 2).
    pub relative: f64,
    /// The source marked to trust, if any.
    pub authoritative: Option<String>,
}

fn indicator_code(text: &str) -> Result<IndicatorCode, SourcesError> {
    IndicatorCode::new(text).map_err(|_| SourcesError::UnknownIndicator(text.to_string()))
}

/// Whether the caller may read analytics of `agency` (by its lineage today, or any date).
async fn may_read(ctx: &Context, caller: &Caller, agency: &AgencyCode) -> bool {
    let Ok(scope) = crate::scope::analytics_scope(ctx, caller).await else {
        return false;
    };
    match catalogue::lineage_today(ctx, agency).await {
        Ok(lineage) => scope.covers(&lineage),
        // An agency of the past: readable by whoever reads the whole country.
        Err(_) => scope.covers(&national()),
    }
}

/// The cells given differently by two sources, narrowed by indicator, agency and period.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username))]
pub async fn discrepancies(
    ctx: &Context,
    caller: &Caller,
    indicator: Option<&str>,
    agency: Option<&str>,
    period: Option<&str>,
) -> Result<Vec<Discrepancy>, SourcesError> {
    let indicator = indicator.map(indicator_code).transpose()?;
    let agency = agency.map(agency_code).transpose()?;
    let period = period.map(parse_period).transpose()?;
    let allowed = match &agency {
        Some(code) => may_read(ctx, caller, code).await,
        None => crate::scope::analytics_scope(ctx, caller)
            .await?
            .covers(&national()),
    };
    if !allowed {
        return Err(SourcesError::Forbidden);
    }
    let rows = ctx
        .store
        .conflicting_values(indicator.as_ref(), agency.as_ref(), period)
        .await?;
    let mut found: Vec<Discrepancy> = Vec::new();
    for row in rows {
        let SourcedValue {
            agency,
            period,
            indicator,
            combo,
            source,
            value,
            updated_at,
            authoritative,
        } = row;
        let same = found.last().is_some_and(|d| {
            d.agency == agency
                && d.period == period
                && d.indicator == indicator
                && d.options == options_json(&combo)
        });
        if !same {
            found.push(Discrepancy {
                options: options_json(&combo),
                agency,
                period,
                indicator,
                values: Vec::new(),
                difference: 0.0,
                relative: 0.0,
                authoritative: None,
            });
        }
        let entry = found.last_mut().expect("pushed above");
        if authoritative {
            entry.authoritative = Some(source.clone());
        }
        entry.values.push(SourceNumber {
            source,
            value,
            updated_at,
            authoritative,
        });
    }
    for entry in &mut found {
        let high = entry
            .values
            .iter()
            .map(|v| v.value)
            .fold(f64::MIN, f64::max);
        let low = entry
            .values
            .iter()
            .map(|v| v.value)
            .fold(f64::MAX, f64::min);
        entry.difference = high - low;
        let scale = high.abs().max(low.abs());
        entry.relative = if scale > 0.0 {
            entry.difference / scale
        } else {
            0.0
        };
    }
    Ok(found)
}

fn options_json(key: &str) -> serde_json::Value {
    OptionCombo::from_key(key).map_or(json!({}), |combo| json!(combo))
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mark {
    #[cfg_attr(feature = "openapi", schema(value_type = baocao_domain::agency::AgencyCode))]
    pub agency: String,
    #[cfg_attr(feature = "openapi", schema(value_type = baocao_domain::period::PeriodId))]
    pub period: String,
    #[cfg_attr(feature = "openapi", schema(value_type = baocao_domain::indicator::IndicatorCode))]
    pub indicator: String,
    #[serde(default)]
    pub options: std::collections::BTreeMap<String, String>,
    pub source: String,
}

/// A reviewer above the agency marks the source to trust for one cell.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username))]
pub async fn mark_authoritative(
    ctx: &Context,
    caller: &Caller,
    mark: Mark,
) -> Result<MarkedAuthoritative, SourcesError> {
    let agency = agency_code(&mark.agency)?;
    let period = parse_period(&mark.period)?;
    let indicator = indicator_code(&mark.indicator)?;
    let lineage = ctx.store.lineage(&agency, period.end()).await?;
    if lineage.is_empty() {
        return Err(CatalogueError::UnknownAgency(agency.to_string()).into());
    }
    if !caller.may(Action::Review {
        receiving: &lineage,
    }) {
        return Err(SourcesError::Forbidden);
    }
    let options = OptionCombo::from_stored(mark.options);
    let at = ctx.now_text();
    ctx.store
        .mark_authoritative(
            &CellOfSource {
                agency: &agency,
                period,
                indicator: &indicator,
                options: &options,
                source: &mark.source,
            },
            caller.principal.username.as_str(),
            &caller.provenance(&at),
        )
        .await?;
    Ok(MarkedAuthoritative {
        agency,
        period,
        indicator,
        options,
        source: mark.source,
        marked_by: caller.principal.username.clone(),
        marked_at: at,
    })
}

/// The source now authoritative for a cell.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MarkedAuthoritative {
    pub agency: baocao_domain::agency::AgencyCode,
    pub period: baocao_domain::period::PeriodId,
    pub indicator: baocao_domain::indicator::IndicatorCode,
    pub options: OptionCombo,
    pub source: String,
    pub marked_by: baocao_domain::user::Username,
    pub marked_at: String,
}
