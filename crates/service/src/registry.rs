//! Authoring the registry of regimes: a regime created as a draft, its draft saved (an
//! amendment of a published one is a new version), published from a date, retired; and who
//! reports it to whom, from when; and the registry audited — every regime against the
//! standard, duplicate pairs, the registry per issuing agency. Every change is checked against the catalogue — its rows are
//! catalogue indicators, its rules and derived indicators compile, no form is too large.

use baocao_domain::Date;
use baocao_domain::agency::{AgencyCode, Validity};
use baocao_domain::assignment::Assignment;
use baocao_domain::permission::Action;
use baocao_domain::regime::Severity;
use baocao_domain::regime::{
    MAX_FORM_CELLS, Regime, RegimeCode, RegimeContent, RegimeError, RegimeStatus,
};
use baocao_domain::registry::{
    DuplicatePair, Problem, RegimeItems, duplicates as find_duplicates, standardisation_problems,
};
use baocao_domain::rules::{RuleContext, RuleError, compile_condition, compile_formula};
use baocao_domain::text::search_key;
use baocao_store::StoreError;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

use crate::catalogue::{self, Catalogue, CatalogueError};
use crate::{Caller, Context};

/// Where a broken expression of a regime sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpressionAt {
    /// A validation rule, named `R1`, `R2`… in order.
    Rule(String),
    /// A derived indicator's formula, by its code.
    Derived(String),
}

/// What is wrong with one assignment of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignmentProblem {
    /// The validity interval does not hold (its reason).
    Validity(String),
    /// The agency does not exist on the assignment's first day.
    NoAgency { agency: AgencyCode, on: Date },
    /// An agency reporting to itself (the reason).
    ToItself(String),
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error("forbidden")]
    Forbidden,
    #[error("invalid regime: {0}")]
    Invalid(RegimeError),
    #[error("a regime with code {0} already exists")]
    Exists(RegimeCode),
    #[error("form {form}: indicator {indicator} is not in the catalogue")]
    UnknownIndicator { form: String, indicator: String },
    /// An attribute category the catalogue lacks, or one named twice.
    #[error("attribute category {0} is not in the catalogue, or is named twice")]
    UnknownAttributeCategory(String),
    /// An attribute category that is also the disaggregation of one of the regime's rows.
    #[error("attribute category {category} is also a disaggregation of {indicator}")]
    AttributeCategoryClash { category: String, indicator: String },
    #[error("form {form} has {cells} cells, over the limit of {limit}")]
    FormTooLarge {
        form: String,
        cells: u64,
        limit: u64,
        widest_row: Option<String>,
    },
    #[error("{error}")]
    BrokenExpression { at: ExpressionAt, error: RuleError },
    /// The assignment at `index` (from 0) of a batch; none was recorded.
    #[error("assignment {}: {problem:?}", index + 1)]
    InvalidAssignment {
        index: usize,
        problem: AssignmentProblem,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RegistryError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Catalogue(error) => error.code(),
            Self::Forbidden => "forbidden",
            Self::Invalid(_) => "invalid_regime",
            Self::Exists(_) => "regime_exists",
            Self::UnknownIndicator { .. } => "unknown_indicator",
            Self::UnknownAttributeCategory(_) => "unknown_attribute_category",
            Self::AttributeCategoryClash { .. } => "attribute_category_clash",
            Self::FormTooLarge { .. } => "form_too_large",
            Self::BrokenExpression {
                error: RuleError::Syntax { .. },
                ..
            } => "rule_syntax",
            Self::BrokenExpression { .. } => "rule_invalid",
            Self::InvalidAssignment { .. } => "invalid_assignment",
            Self::Store(_) => "store",
        }
    }
}

fn require_author(caller: &Caller) -> Result<(), RegistryError> {
    if caller.may(Action::AuthorRegimes) {
        Ok(())
    } else {
        Err(RegistryError::Forbidden)
    }
}

/// What a regime's content must satisfy against the catalogue: its rows are catalogue
/// indicators, its rules and derived indicators compile, and no form asks for more cells than
/// [`MAX_FORM_CELLS`].
pub fn check_with(catalogue: &Catalogue, content: &RegimeContent) -> Result<(), RegistryError> {
    for form in &content.forms {
        for row in &form.rows {
            if !catalogue
                .indicators
                .iter()
                .any(|i| i.code() == &row.indicator)
            {
                return Err(RegistryError::UnknownIndicator {
                    form: form.code.clone(),
                    indicator: row.indicator.to_string(),
                });
            }
        }
    }
    for (index, category) in content.attribute_categories.iter().enumerate() {
        let known = catalogue.categories.iter().any(|c| c.code() == category);
        if !known || content.attribute_categories[..index].contains(category) {
            return Err(RegistryError::UnknownAttributeCategory(category.clone()));
        }
        let clash = catalogue.indicators.iter().find(|i| {
            i.disaggregation.contains(category) && content.indicators().any(|r| r == i.code())
        });
        if let Some(indicator) = clash {
            return Err(RegistryError::AttributeCategoryClash {
                category: category.clone(),
                indicator: indicator.code().to_string(),
            });
        }
    }
    if let Some(over) =
        content.oversized_form(&catalogue.indicators, &catalogue.categories, MAX_FORM_CELLS)
    {
        return Err(RegistryError::FormTooLarge {
            form: over.form.clone(),
            cells: over.cells,
            limit: over.limit,
            widest_row: over.widest_row.clone(),
        });
    }
    let context = RuleContext {
        regime: content,
        indicators: &catalogue.indicators,
        categories: &catalogue.categories,
    };
    for (index, rule) in content.rules.iter().enumerate() {
        compile_condition(&rule.expression, &context).map_err(|error| {
            RegistryError::BrokenExpression {
                at: ExpressionAt::Rule(format!("R{}", index + 1)),
                error,
            }
        })?;
    }
    for derived in &content.derived {
        compile_formula(&derived.formula, &context).map_err(|error| {
            RegistryError::BrokenExpression {
                at: ExpressionAt::Derived(derived.code.to_string()),
                error,
            }
        })?;
    }
    Ok(())
}

async fn check_against_catalogue(
    state: &Context,
    content: &RegimeContent,
) -> Result<(), RegistryError> {
    check_with(&Catalogue::load(&state.store).await?, content)
}

/// Creates a regime as a draft: missing elements are allowed in a draft (and reported by its
/// view); its rows, rules and size are checked against the catalogue.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, regime = %content.code))]
pub async fn create(
    state: &Context,
    caller: &Caller,
    content: RegimeContent,
) -> Result<Regime, RegistryError> {
    require_author(caller)?;
    let regime = Regime::draft(content).map_err(RegistryError::Invalid)?;
    check_against_catalogue(state, regime.content()).await?;
    state
        .store
        .create_regime(&regime, &caller.provenance(&state.now_text()))
        .await
        .map_err(|error| match error {
            StoreError::Conflict(_) => RegistryError::Exists(regime.code().clone()),
            other => other.into(),
        })?;
    Ok(regime)
}

fn latest(versions: Vec<Regime>, code: &str) -> Result<Regime, RegistryError> {
    versions
        .into_iter()
        .last()
        .ok_or_else(|| CatalogueError::UnknownRegime(code.to_string()).into())
}

/// Saves the regime's draft: rewrites a draft in place, or starts an amendment (a new
/// version) of a published regime; a retired regime takes no draft.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, regime = code))]
pub async fn save_draft(
    state: &Context,
    caller: &Caller,
    code: &str,
    content: RegimeContent,
) -> Result<Regime, RegistryError> {
    require_author(caller)?;
    let parsed = catalogue::regime_code(code)?;
    let current = latest(state.store.regime_versions(&parsed).await?, code)?;
    if content.code != parsed {
        return Err(RegistryError::Invalid(RegimeError::CodeChanged {
            expected: parsed.to_string(),
            given: content.code.to_string(),
        }));
    }
    check_against_catalogue(state, &content).await?;
    let draft = match current.status() {
        RegimeStatus::Draft => {
            let draft = Regime::restore(content, current.version(), RegimeStatus::Draft, None)
                .map_err(RegistryError::Invalid)?;
            state
                .store
                .update_regime_version(&draft, &caller.provenance(&state.now_text()))
                .await?;
            draft
        }
        RegimeStatus::Published => {
            let draft = current.amend(content).map_err(RegistryError::Invalid)?;
            state
                .store
                .add_regime_version(&draft, &caller.provenance(&state.now_text()))
                .await?;
            draft
        }
        RegimeStatus::Retired => {
            return Err(RegistryError::Invalid(RegimeError::StatusChange {
                from: RegimeStatus::Retired,
                to: RegimeStatus::Draft,
            }));
        }
    };
    Ok(draft)
}

/// Publishes the draft from `effective_from`: an amendment takes effect after the version it
/// replaces; reports of earlier periods keep the version they were made with.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, regime = code))]
pub async fn publish(
    state: &Context,
    caller: &Caller,
    code: &str,
    effective_from: Date,
) -> Result<Regime, RegistryError> {
    require_author(caller)?;
    let parsed = catalogue::regime_code(code)?;
    let mut versions = state.store.regime_versions(&parsed).await?;
    let draft = versions
        .pop()
        .ok_or_else(|| CatalogueError::UnknownRegime(code.to_string()))?;
    let previous = versions
        .iter()
        .rev()
        .find(|v| v.status() != RegimeStatus::Draft);
    let published = match previous {
        Some(previous) => draft.publish_after(previous, effective_from),
        None => draft.publish(effective_from),
    }
    .map_err(RegistryError::Invalid)?;
    state
        .store
        .update_regime_version(&published, &caller.provenance(&state.now_text()))
        .await?;
    Ok(published)
}

/// Retires the regime: it takes no more reports; its history stays.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, regime = code))]
pub async fn retire(state: &Context, caller: &Caller, code: &str) -> Result<Regime, RegistryError> {
    require_author(caller)?;
    let regime = catalogue::load_regime(&state.store, code).await?;
    let retired = regime.retire().map_err(RegistryError::Invalid)?;
    // Every earlier published version retires with it: no period takes reports any more.
    for version in state.store.regime_versions(retired.code()).await? {
        if version.status() == RegimeStatus::Published && version.version() != retired.version() {
            let version = version.retire().map_err(RegistryError::Invalid)?;
            state
                .store
                .update_regime_version(&version, &caller.provenance(&state.now_text()))
                .await?;
        }
    }
    state
        .store
        .update_regime_version(&retired, &caller.provenance(&state.now_text()))
        .await?;
    Ok(retired)
}

/// One assignment as asked: codes as given, the validity interval.
#[derive(Debug, Clone)]
pub struct NewAssignment {
    pub reporting_agency: String,
    pub receiving_agency: String,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
}

/// Records which agencies report the regime, to whom, from when — all or nothing; answers how
/// many were recorded.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, regime = code, count = items.len()))]
pub async fn assign(
    state: &Context,
    caller: &Caller,
    code: &str,
    items: &[NewAssignment],
) -> Result<usize, RegistryError> {
    require_author(caller)?;
    let regime = catalogue::load_regime(&state.store, code).await?;
    let mut assignments = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let refused = |problem| RegistryError::InvalidAssignment { index, problem };
        let validity = Validity::new(item.valid_from, item.valid_to)
            .map_err(|e| refused(AssignmentProblem::Validity(e.to_string())))?;
        let (reporting, receiving) = (
            catalogue::agency_code(&item.reporting_agency)?,
            catalogue::agency_code(&item.receiving_agency)?,
        );
        let on = item.valid_from.unwrap_or_else(|| state.today());
        for agency in [&reporting, &receiving] {
            if state.store.agency_as_of(agency, on).await?.is_none() {
                return Err(refused(AssignmentProblem::NoAgency {
                    agency: agency.clone(),
                    on,
                }));
            }
        }
        let assignment = Assignment::new(regime.code().clone(), reporting, receiving, validity)
            .map_err(|e| refused(AssignmentProblem::ToItself(e.to_string())))?;
        assignments.push(assignment);
    }
    state
        .store
        .insert_assignments(&assignments, &caller.provenance(&state.now_text()))
        .await?;
    Ok(assignments.len())
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StandardisationEntry {
    pub regime: String,
    pub name: Option<String>,
    pub issuer: String,
    pub status: &'static str,
    pub problems: Vec<Problem>,
}

/// Every regime with its problems against Decree 09/2019 (none for a clean one), those with
/// problems first.
pub async fn standardisation(state: &Context) -> Result<Vec<StandardisationEntry>, StoreError> {
    let catalogue = Catalogue::load(&state.store).await?;
    let mut entries: Vec<StandardisationEntry> = state
        .store
        .regimes(None)
        .await?
        .into_iter()
        .map(|regime| {
            let context = RuleContext {
                regime: regime.content(),
                indicators: &catalogue.indicators,
                categories: &catalogue.categories,
            };
            StandardisationEntry {
                regime: regime.code().to_string(),
                name: regime.content().name.clone(),
                issuer: issuer_of(&regime),
                status: regime.status().as_str(),
                problems: standardisation_problems(regime.content(), &context),
            }
        })
        .collect();
    entries.sort_by_key(|e| e.problems.is_empty());
    Ok(entries)
}

/// A duplicate pair with who issued each regime.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DuplicateView {
    #[serde(flatten)]
    pub pair: DuplicatePair,
    pub issuer_a: String,
    pub issuer_b: String,
}

fn issuer_of(regime: &Regime) -> String {
    regime
        .content()
        .legal_basis
        .as_ref()
        .map(|basis| basis.issuer.trim().to_string())
        .unwrap_or_default()
}

/// Pairs of regimes asking for the same indicators (at least `min_shared`), most similar
/// first; with `issuer` (a search key), only pairs with a regime that agency issued.
pub async fn duplicates(
    state: &Context,
    min_shared: usize,
    issuer: Option<&str>,
) -> Result<Vec<DuplicateView>, StoreError> {
    let catalogue = Catalogue::load(&state.store).await?;
    let regimes = state.store.regimes(None).await?;
    let issuers: HashMap<String, String> = regimes
        .iter()
        .map(|r| (r.code().to_string(), issuer_of(r)))
        .collect();
    let items: Vec<RegimeItems> = regimes
        .iter()
        .map(|r| RegimeItems::of(r.content(), &catalogue.indicators))
        .collect();
    Ok(find_duplicates(&items, min_shared)
        .into_iter()
        .map(|pair| DuplicateView {
            issuer_a: issuers.get(&pair.a).cloned().unwrap_or_default(),
            issuer_b: issuers.get(&pair.b).cloned().unwrap_or_default(),
            pair,
        })
        .filter(|view| {
            issuer.is_none_or(|key| {
                search_key(&view.issuer_a).contains(key) || search_key(&view.issuer_b).contains(key)
            })
        })
        .collect())
}

/// One issuing agency's part of the registry: its regimes, how many break the standard, and
/// how many duplicate pairs involve them.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuerReport {
    pub issuer: String,
    pub regimes: usize,
    pub with_errors: usize,
    pub duplicate_pairs: usize,
    pub regime_codes: Vec<String>,
}

/// The registry per issuing agency, most regimes first — the report each ministry receives in
/// a review of its regimes.
pub async fn issuers(state: &Context) -> Result<Vec<IssuerReport>, StoreError> {
    let catalogue = Catalogue::load(&state.store).await?;
    let regimes = state.store.regimes(None).await?;
    let pairs = duplicates(state, 1, None).await?;
    let mut reports: BTreeMap<String, IssuerReport> = BTreeMap::new();
    for regime in &regimes {
        let issuer = issuer_of(regime);
        let context = RuleContext {
            regime: regime.content(),
            indicators: &catalogue.indicators,
            categories: &catalogue.categories,
        };
        let broken = standardisation_problems(regime.content(), &context)
            .iter()
            .any(|p| p.severity == Severity::Error);
        let code = regime.code().to_string();
        let report = reports
            .entry(issuer.clone())
            .or_insert_with(|| IssuerReport {
                issuer,
                regimes: 0,
                with_errors: 0,
                duplicate_pairs: 0,
                regime_codes: Vec::new(),
            });
        report.regimes += 1;
        report.with_errors += usize::from(broken);
        report.duplicate_pairs += pairs
            .iter()
            .filter(|p| p.pair.a == code || p.pair.b == code)
            .count();
        report.regime_codes.push(code);
    }
    let mut reports: Vec<IssuerReport> = reports.into_values().collect();
    reports.sort_by(|a, b| b.regimes.cmp(&a.regimes).then(a.issuer.cmp(&b.issuer)));
    Ok(reports)
}
