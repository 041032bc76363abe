//! The rule editor's check: an expression parsed and checked against a regime's forms and
//! the catalogue and, given sample values, evaluated — so an author sees a mistake, with its
//! position, before the rule is saved.

use baocao_domain::permission::Action;
use baocao_domain::report::{CellInput, CellProblem, ReportContent, ReportShape};
use baocao_domain::rules::{
    Evaluated, RuleContext, RuleError, RuleInputs, Scope, compile_condition, compile_formula,
    evaluate,
};
use baocao_store::StoreError;
use serde::Serialize;

use crate::catalogue::{self, Catalogue, CatalogueError};
use crate::{Caller, Context};

/// An expression to check.
#[derive(Debug, Clone)]
pub struct RuleQuestion {
    pub regime: String,
    pub expression: String,
    /// `condition` (a validation rule, the default) or `formula` (a derived indicator).
    pub kind: Option<String>,
    /// Sample cells, as a draft takes them, to evaluate the expression on.
    pub values: Vec<CellInput>,
}

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error("forbidden")]
    Forbidden,
    #[error("unknown expression kind {0:?}")]
    InvalidKind(String),
    /// The expression does not parse or does not check, with where.
    #[error(transparent)]
    Rule(RuleError),
    #[error("the sample values are invalid")]
    InvalidSample(Vec<CellProblem>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RulesError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Catalogue(error) => error.code(),
            Self::Forbidden => "forbidden",
            Self::InvalidKind(_) => "invalid_kind",
            Self::Rule(RuleError::Syntax { .. }) => "rule_syntax",
            Self::Rule(RuleError::Invalid { .. }) => "rule_invalid",
            Self::InvalidSample(_) => "invalid_values",
            Self::Store(_) => "store",
        }
    }
}

/// An expression that compiles: what it is, what it reads beyond the report, and its result
/// on the sample values if some were sent.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleCheckAnswer {
    pub ok: bool,
    /// `condition` or `formula`.
    pub kind: &'static str,
    pub reads: Vec<Read>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<SampleResult>,
}

/// A cell the expression reads outside the report: an earlier period, last year, or the
/// reporting agency's subordinates.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Read {
    pub cell: baocao_domain::report::CellAddress,
    pub periods_back: u16,
    pub years_back: u16,
    pub children: bool,
}

/// The expression on the sample: a condition holds or not, a formula gives a value, and an
/// expression over blank cells does not apply.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum SampleResult {
    Condition { holds: bool },
    Formula { value: f64 },
    Blank { applies: bool },
}

/// Checks (and on sample values evaluates) an expression: the API's and the editor page's
/// one path.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, regime = %request.regime))]
pub async fn check(
    state: &Context,
    caller: &Caller,
    request: &RuleQuestion,
) -> Result<RuleCheckAnswer, RulesError> {
    if !caller.may(Action::AuthorRegimes) {
        return Err(RulesError::Forbidden);
    }
    let regime = catalogue::load_regime(&state.store, &request.regime).await?;
    let catalogue = Catalogue::load(&state.store).await?;
    let context = RuleContext {
        regime: regime.content(),
        indicators: &catalogue.indicators,
        categories: &catalogue.categories,
    };
    let formula = match request.kind.as_deref() {
        None | Some("condition") => false,
        Some("formula") => true,
        Some(other) => return Err(RulesError::InvalidKind(other.to_string())),
    };
    let expr = if formula {
        compile_formula(&request.expression, &context)
    } else {
        compile_condition(&request.expression, &context)
    }
    .map_err(RulesError::Rule)?;
    let reads = expr
        .lookups()
        .into_iter()
        .map(|lookup| Read {
            children: lookup.scope == Scope::Children,
            cell: lookup.cell,
            periods_back: lookup.periods_back,
            years_back: lookup.years_back,
        })
        .collect();
    let mut answer = RuleCheckAnswer {
        ok: true,
        kind: if formula { "formula" } else { "condition" },
        reads,
        sample: None,
    };
    if !request.values.is_empty() {
        let shape = ReportShape {
            regime: regime.content(),
            indicators: &catalogue.indicators,
            categories: &catalogue.categories,
        };
        let sample = shape
            .merge(&ReportContent::default(), &request.values, &[])
            .map_err(RulesError::InvalidSample)?;
        answer.sample = Some(match evaluate(&expr, &RuleInputs::from_report(&sample)) {
            Evaluated::Boolean(holds) => SampleResult::Condition { holds },
            Evaluated::Number(value) => SampleResult::Formula { value },
            Evaluated::Blank | Evaluated::Undefined => SampleResult::Blank { applies: false },
        });
    }
    Ok(answer)
}
