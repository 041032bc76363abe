//! The read-only catalogue as people browse it: agencies as of a date (by level, parent or
//! search) with their lineage, the users of an agency, disaggregation categories, indicators
//! and their outlier thresholds, regimes with what they lack, their forms with each row's
//! indicator spelled out, outlines and assignments.

use baocao_domain::Date;
use baocao_domain::agency::{AgencyCode, AgencyLevel};
use baocao_domain::indicator::{Category, CategoryOption, Indicator, IndicatorCode};
use baocao_domain::permission::Action;
use baocao_domain::quality::OutlierSettings;
use baocao_domain::regime::{Element, Form, OutlineSection, Regime};
use baocao_store::StoreError;
use baocao_store::agencies::{AgencyFilter, AgencyRecord};
use baocao_store::regimes::AssignmentRecord;
use baocao_store::users::UserRecord;
use serde::Serialize;

use crate::catalogue::{self, CatalogueError, agency_code, load_regime, parse_date};
use crate::reporting::validation::{OUTLIER_SETTINGS, outlier_settings as all_outlier_settings};
use crate::{Caller, Context};

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error("forbidden")]
    Forbidden,
    #[error("unknown level {0:?}")]
    InvalidLevel(String),
    #[error("agency {agency} did not exist on {date}")]
    AgencyNotOn { agency: String, date: Date },
    #[error("unknown indicator {0}")]
    UnknownIndicator(String),
    #[error("unknown form {0}")]
    UnknownForm(String),
    /// Thresholds must be positive and at least three points compared.
    #[error("invalid outlier settings")]
    InvalidOutlierSettings,
    /// A category's code, or its options (at least two, codes unique), are not valid.
    #[error("invalid category: {0}")]
    InvalidCategory(String),
    /// No user by that name.
    #[error("unknown user {0}")]
    UnknownUser(String),
    /// A position must be one line of at most 500 characters, nothing invisible.
    #[error("invalid position")]
    InvalidPosition,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DirectoryError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Catalogue(error) => error.code(),
            Self::Forbidden => "forbidden",
            Self::InvalidLevel(_) => "invalid_level",
            Self::AgencyNotOn { .. } | Self::UnknownIndicator(_) | Self::UnknownForm(_) => {
                "not_found"
            }
            Self::InvalidOutlierSettings => "invalid_settings",
            Self::InvalidCategory(_) => "invalid_category",
            Self::UnknownUser(_) => "not_found",
            Self::InvalidPosition => "invalid_position",
            Self::Store(_) => "store",
        }
    }
}

fn require(caller: &Caller, action: Action<'_>) -> Result<(), DirectoryError> {
    if caller.may(action) {
        Ok(())
    } else {
        Err(DirectoryError::Forbidden)
    }
}

fn date_or_today(ctx: &Context, as_of: Option<&str>) -> Result<Date, DirectoryError> {
    Ok(as_of
        .map(parse_date)
        .transpose()?
        .unwrap_or_else(|| ctx.today()))
}

/// Which agencies, as a request writes it.
#[derive(Debug, Default)]
pub struct AgencySelection<'a> {
    pub as_of: Option<&'a str>,
    pub level: Option<&'a str>,
    pub parent: Option<&'a str>,
    pub search: Option<String>,
}

/// The agencies of a date (today unless asked), by level, parent or search.
pub async fn agencies(
    ctx: &Context,
    caller: &Caller,
    selection: AgencySelection<'_>,
) -> Result<Vec<AgencyRecord>, DirectoryError> {
    require(caller, Action::ReadCatalogue)?;
    let date = date_or_today(ctx, selection.as_of)?;
    let level = selection
        .level
        .map(|l| AgencyLevel::parse(l).map_err(|_| DirectoryError::InvalidLevel(l.to_string())))
        .transpose()?;
    let parent = selection.parent.map(agency_code).transpose()?;
    let filter = AgencyFilter {
        level,
        parent,
        query: selection.search,
    };
    Ok(ctx.store.agencies_as_of(date, &filter).await?)
}

/// One agency as of a date, and its lineage (itself, then its ancestors) on that date.
pub async fn agency(
    ctx: &Context,
    caller: &Caller,
    code: &str,
    as_of: Option<&str>,
) -> Result<(AgencyRecord, Vec<AgencyCode>), DirectoryError> {
    require(caller, Action::ReadCatalogue)?;
    let date = date_or_today(ctx, as_of)?;
    let code = agency_code(code)?;
    let agency =
        ctx.store
            .agency_as_of(&code, date)
            .await?
            .ok_or_else(|| DirectoryError::AgencyNotOn {
                agency: code.to_string(),
                date,
            })?;
    let lineage = ctx.store.lineage(&code, date).await?;
    Ok((agency, lineage))
}

/// The users of an agency, for those who may read them.
pub async fn agency_users(
    ctx: &Context,
    caller: &Caller,
    code: &str,
) -> Result<Vec<UserRecord>, DirectoryError> {
    let code = agency_code(code)?;
    let lineage = catalogue::lineage_today(ctx, &code).await?;
    require(caller, Action::ReadUsers { agency: &lineage })?;
    Ok(ctx.store.users_of(&code).await?)
}

/// Sets or clears (`None`, or blank) the position (chức vụ) of `username`, which their signed
/// documents print above their name, for those who manage the users of the user's agency.
pub async fn set_position(
    ctx: &Context,
    caller: &Caller,
    username: &str,
    position: Option<&str>,
) -> Result<UserRecord, DirectoryError> {
    let unknown = || DirectoryError::UnknownUser(username.to_string());
    let id = ctx.store.user_id(username).await?.ok_or_else(unknown)?;
    let principal = ctx.store.principal_of(id).await?.ok_or_else(unknown)?;
    let lineage = catalogue::lineage_today(ctx, &principal.agency).await?;
    require(caller, Action::ManageUsers { agency: &lineage })?;
    let position = position.map(str::trim).filter(|p| !p.is_empty());
    if position.is_some_and(|p| !baocao_domain::text::check_name(p)) {
        return Err(DirectoryError::InvalidPosition);
    }
    ctx.store
        .set_position(id, position, &caller.provenance(&ctx.now_text()))
        .await?;
    ctx.store
        .users_of(&principal.agency)
        .await?
        .into_iter()
        .find(|u| u.username.as_str() == username)
        .ok_or_else(unknown)
}

pub async fn categories(ctx: &Context, caller: &Caller) -> Result<Vec<Category>, DirectoryError> {
    require(caller, Action::ReadCatalogue)?;
    Ok(ctx.store.categories().await?)
}

/// Adds a category with its options to the catalogue (regime authors): a disaggregation for
/// indicators, or an attribute category a regime splits its reports by (DHIS2's funding
/// mechanism). A code already taken is a conflict.
pub async fn create_category(
    ctx: &Context,
    caller: &Caller,
    code: String,
    name_vi: String,
    name_en: String,
    options: Vec<CategoryOption>,
) -> Result<Category, DirectoryError> {
    require(caller, Action::AuthorRegimes)?;
    let names_fit = [&name_vi, &name_en]
        .into_iter()
        .chain(options.iter().flat_map(|o| [&o.name_vi, &o.name_en]))
        .all(|name| baocao_domain::text::check_name(name));
    if name_vi.trim().is_empty() || !names_fit {
        return Err(DirectoryError::InvalidCategory(code));
    }
    let category = Category::new(code.clone(), name_vi, name_en, options)
        .map_err(|_| DirectoryError::InvalidCategory(code))?;
    ctx.store
        .insert_categories(
            std::slice::from_ref(&category),
            &caller.provenance(&ctx.now_text()),
        )
        .await?;
    Ok(category)
}

/// Indicators, all or those matching a search.
pub async fn indicators(
    ctx: &Context,
    caller: &Caller,
    search: Option<&str>,
) -> Result<Vec<Indicator>, DirectoryError> {
    require(caller, Action::ReadCatalogue)?;
    Ok(ctx.store.indicators(search).await?)
}

async fn known_indicator(ctx: &Context, code: &str) -> Result<Indicator, DirectoryError> {
    let unknown = || DirectoryError::UnknownIndicator(code.to_string());
    let parsed = IndicatorCode::new(code).map_err(|_| unknown())?;
    ctx.store.indicator(&parsed).await?.ok_or_else(unknown)
}

pub async fn indicator(
    ctx: &Context,
    caller: &Caller,
    code: &str,
) -> Result<Indicator, DirectoryError> {
    require(caller, Action::ReadCatalogue)?;
    known_indicator(ctx, code).await
}

/// A regime as people read it: the stored document plus the mandatory elements it lacks.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegimeView {
    #[serde(flatten)]
    pub regime: Regime,
    pub missing_elements: Vec<Element>,
}

impl From<Regime> for RegimeView {
    fn from(regime: Regime) -> Self {
        let missing_elements = regime.content().missing_elements();
        Self {
            regime,
            missing_elements,
        }
    }
}

/// Regimes, all or those matching a search.
pub async fn regimes(
    ctx: &Context,
    caller: &Caller,
    search: Option<&str>,
) -> Result<Vec<RegimeView>, DirectoryError> {
    require(caller, Action::ReadCatalogue)?;
    Ok(ctx
        .store
        .regimes(search)
        .await?
        .into_iter()
        .map(RegimeView::from)
        .collect())
}

pub async fn regime(
    ctx: &Context,
    caller: &Caller,
    code: &str,
) -> Result<RegimeView, DirectoryError> {
    require(caller, Action::ReadCatalogue)?;
    Ok(load_regime(&ctx.store, code).await?.into())
}

/// A form with each row's indicator spelled out.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FormView {
    #[serde(flatten)]
    pub form: Form,
    pub indicators: Vec<Indicator>,
}

/// A regime's forms.
pub async fn forms(
    ctx: &Context,
    caller: &Caller,
    regime: &str,
) -> Result<Vec<FormView>, DirectoryError> {
    require(caller, Action::ReadCatalogue)?;
    let regime = load_regime(&ctx.store, regime).await?;
    let catalogue = ctx.store.indicators(None).await?;
    Ok(regime
        .content()
        .forms
        .iter()
        .map(|form| FormView {
            form: form.clone(),
            indicators: form
                .rows
                .iter()
                .filter_map(|row| {
                    catalogue
                        .iter()
                        .find(|i| i.code() == &row.indicator)
                        .cloned()
                })
                .collect(),
        })
        .collect())
}

/// One form of a regime.
pub async fn form(
    ctx: &Context,
    caller: &Caller,
    regime: &str,
    form: &str,
) -> Result<FormView, DirectoryError> {
    forms(ctx, caller, regime)
        .await?
        .into_iter()
        .find(|view| view.form.code == form)
        .ok_or_else(|| DirectoryError::UnknownForm(form.to_string()))
}

/// A regime's outline.
pub async fn outline(
    ctx: &Context,
    caller: &Caller,
    regime: &str,
) -> Result<Vec<OutlineSection>, DirectoryError> {
    require(caller, Action::ReadCatalogue)?;
    let regime = load_regime(&ctx.store, regime).await?;
    Ok(regime.content().outline.clone())
}

/// A regime's assignments, all or those valid on a date.
pub async fn assignments(
    ctx: &Context,
    caller: &Caller,
    regime: &str,
    as_of: Option<&str>,
) -> Result<Vec<AssignmentRecord>, DirectoryError> {
    require(caller, Action::ReadCatalogue)?;
    let regime = load_regime(&ctx.store, regime).await?;
    let date = as_of.map(parse_date).transpose()?;
    Ok(ctx.store.assignments(regime.code(), date).await?)
}

/// The thresholds outlier checks use for an indicator (the defaults unless a regime manager
/// set others).
pub async fn outlier_settings(
    ctx: &Context,
    caller: &Caller,
    indicator: &str,
) -> Result<OutlierSettings, DirectoryError> {
    require(caller, Action::ReadCatalogue)?;
    let indicator = known_indicator(ctx, indicator).await?;
    let all = all_outlier_settings(ctx).await?;
    Ok(all
        .get(indicator.code().as_str())
        .copied()
        .unwrap_or_default())
}

/// Sets an indicator's outlier thresholds (regime managers).
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, indicator))]
pub async fn set_outlier_settings(
    ctx: &Context,
    caller: &Caller,
    indicator: &str,
    settings: OutlierSettings,
) -> Result<(), DirectoryError> {
    require(caller, Action::AuthorRegimes)?;
    let indicator = known_indicator(ctx, indicator).await?;
    if !(settings.z_threshold > 0.0 && settings.year_on_year > 0.0) || settings.min_points < 3 {
        return Err(DirectoryError::InvalidOutlierSettings);
    }
    let mut all = all_outlier_settings(ctx).await?;
    all.insert(indicator.code().to_string(), settings);
    let text = serde_json::to_string(&all)
        .map_err(|error| StoreError::Corrupt(format!("outlier settings: {error}")))?;
    ctx.store
        .set_setting(OUTLIER_SETTINGS, &text, &caller.provenance(&ctx.now_text()))
        .await?;
    Ok(())
}
