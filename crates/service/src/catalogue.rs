//! Reading what a request names — a period, a date, an agency, a regime — and loading the
//! catalogue and the regime in force. Every use case reads its input through here, so a bad
//! period is the same error everywhere.

use baocao_domain::Date;
use baocao_domain::agency::AgencyCode;
use baocao_domain::indicator::{Category, Indicator};
use baocao_domain::period::PeriodId;
use baocao_domain::regime::{Regime, RegimeCode};
use baocao_store::{Store, StoreError};

/// Why a request's names did not lead to anything.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("invalid period {text:?}: {reason}")]
    InvalidPeriod { text: String, reason: String },
    #[error("invalid date {0:?}")]
    InvalidDate(String),
    #[error("agency {0} not found")]
    UnknownAgency(String),
    #[error("regime {0} not found")]
    UnknownRegime(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CatalogueError {
    /// The stable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidPeriod { .. } => "invalid_period",
            Self::InvalidDate(_) => "invalid_date",
            Self::UnknownAgency(_) | Self::UnknownRegime(_) => "not_found",
            Self::Store(_) => "store",
        }
    }
}

pub fn parse_date(text: &str) -> Result<Date, CatalogueError> {
    text.parse()
        .map_err(|_| CatalogueError::InvalidDate(text.to_string()))
}

pub fn parse_period(text: &str) -> Result<PeriodId, CatalogueError> {
    PeriodId::parse(text).map_err(|error| CatalogueError::InvalidPeriod {
        text: text.to_string(),
        reason: error.reason.to_string(),
    })
}

pub fn agency_code(text: &str) -> Result<AgencyCode, CatalogueError> {
    AgencyCode::new(text).map_err(|_| CatalogueError::UnknownAgency(text.to_string()))
}

pub fn regime_code(text: &str) -> Result<RegimeCode, CatalogueError> {
    RegimeCode::new(text).map_err(|_| CatalogueError::UnknownRegime(text.to_string()))
}

/// The version of a regime that governs periods starting on `date`.
pub async fn load_regime_for(
    store: &Store,
    code: &str,
    date: Date,
) -> Result<Regime, CatalogueError> {
    let parsed = regime_code(code)?;
    store
        .regime_for(&parsed, date)
        .await?
        .ok_or_else(|| CatalogueError::UnknownRegime(code.to_string()))
}

/// [`load_regime_for`], read once per change of the regimes: kept under the regimes'
/// counter (read first, so what is kept is never newer than the counter it is kept under).
pub async fn regime_in_force(
    ctx: &crate::Context,
    code: &str,
    date: Date,
) -> Result<std::sync::Arc<Regime>, CatalogueError> {
    let generation = ctx.store.regimes_generation().await?;
    regime_in_force_under(ctx, generation, code, date).await
}

/// [`regime_in_force`] under a regimes counter the caller has already read.
pub async fn regime_in_force_under(
    ctx: &crate::Context,
    generation: i64,
    code: &str,
    date: Date,
) -> Result<std::sync::Arc<Regime>, CatalogueError> {
    if let Some(kept) = ctx.aggregates.regime(code, date, generation) {
        return Ok(kept);
    }
    let regime = std::sync::Arc::new(load_regime_for(&ctx.store, code, date).await?);
    ctx.aggregates
        .keep_regime(code, date, generation, regime.clone());
    Ok(regime)
}

/// The regime's current version.
pub async fn load_regime(store: &Store, code: &str) -> Result<Regime, CatalogueError> {
    let parsed = regime_code(code)?;
    store
        .regime(&parsed)
        .await?
        .ok_or_else(|| CatalogueError::UnknownRegime(code.to_string()))
}

/// `code`'s lineage today (the agency and those above it), or why there is none.
pub async fn lineage_today(
    ctx: &crate::Context,
    code: &baocao_domain::agency::AgencyCode,
) -> Result<Vec<baocao_domain::agency::AgencyCode>, CatalogueError> {
    let lineage = ctx.store.lineage(code, ctx.today()).await?;
    if lineage.is_empty() {
        return Err(CatalogueError::UnknownAgency(code.to_string()));
    }
    Ok(lineage)
}

/// The catalogue a report is shaped and checked against.
pub struct Catalogue {
    pub indicators: Vec<Indicator>,
    pub categories: Vec<Category>,
}

impl Catalogue {
    pub async fn load(store: &Store) -> Result<Self, StoreError> {
        Ok(Self {
            indicators: store.indicators(None).await?,
            categories: store.categories().await?,
        })
    }

    /// The catalogue as it stands, read once per change: kept under the catalogue's counter
    /// (read first, so what is kept is never newer than the counter it is kept under).
    pub async fn current(ctx: &crate::Context) -> Result<std::sync::Arc<Self>, StoreError> {
        let generation = ctx.store.catalogue_generation().await?;
        Self::under(ctx, generation).await
    }

    /// [`current`](Self::current) under a catalogue counter the caller has already read.
    pub async fn under(
        ctx: &crate::Context,
        generation: i64,
    ) -> Result<std::sync::Arc<Self>, StoreError> {
        if let Some(kept) = ctx.aggregates.catalogue(generation) {
            return Ok(kept);
        }
        let loaded = std::sync::Arc::new(Self::load(&ctx.store).await?);
        ctx.aggregates.keep_catalogue(generation, loaded.clone());
        Ok(loaded)
    }
}
