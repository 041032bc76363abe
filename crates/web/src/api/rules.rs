//! The rule editor's check (`POST /api/v1/rules/check`): parse and check an expression
//! against a regime's forms and the catalogue, and, given sample values, evaluate it — so an
//! author sees a mistake, with its position, before the rule is saved.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use baocao_domain::permission::Action;
use baocao_domain::report::{CellInput, ReportContent, ReportShape};
use baocao_domain::rules::{
    Evaluated, RuleContext, RuleError, RuleInputs, Scope, compile_condition, compile_formula,
    evaluate,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::AppState;
use crate::auth::{ApiJson, Caller};
use crate::error::ApiError;
use crate::extract::load_regime;
use baocao_service::catalogue::Catalogue;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RuleCheck {
    #[schema(value_type = baocao_domain::regime::RegimeCode)]
    pub(crate) regime: String,
    pub(crate) expression: String,
    /// `condition` (a validation rule, the default) or `formula` (a derived indicator).
    #[serde(default)]
    pub(crate) kind: Option<String>,
    /// Sample cells, as a draft takes them, to evaluate the expression on.
    #[serde(default)]
    pub(crate) values: Vec<CellInput>,
}

/// The answer for an expression that cannot be used, with where it goes wrong.
pub fn rule_error(error: &RuleError) -> ApiError {
    let code = match error {
        RuleError::Syntax { .. } => "rule_syntax",
        RuleError::Invalid { .. } => "rule_invalid",
    };
    ApiError::new(
        StatusCode::BAD_REQUEST,
        code,
        error.message().to_string(),
        error.message_en().to_string(),
    )
    .with_detail("position", json!(error.position()))
}

#[utoipa::path(
    post,
    path = "/api/v1/rules/check",
    tag = "Data quality",
    operation_id = "post_api_v1_rules_check",
    summary = "Check a rule or formula; evaluate it on sample values.",
    request_body(content = RuleCheck, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = RuleCheckAnswer),
    ),
)]
pub async fn check(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<RuleCheck>,
) -> Result<Json<RuleCheckAnswer>, ApiError> {
    caller.require(Action::AuthorRegimes)?;
    Ok(Json(check_expression(&state, &request).await?))
}

/// An expression that compiles: what it is, what it reads beyond the report, and its result
/// on the sample values if some were sent.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RuleCheckAnswer {
    ok: bool,
    /// `condition` or `formula`.
    kind: &'static str,
    reads: Vec<Read>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sample: Option<SampleResult>,
}

/// A cell the expression reads outside the report: an earlier period, last year, or the
/// reporting agency's subordinates.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Read {
    cell: baocao_domain::report::CellAddress,
    periods_back: u16,
    years_back: u16,
    children: bool,
}

/// The expression on the sample: a condition holds or not, a formula gives a value, and an
/// expression over blank cells does not apply.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum SampleResult {
    Condition { holds: bool },
    Formula { value: f64 },
    Blank { applies: bool },
}

/// Checks (and on sample values evaluates) an expression: the API's and the editor page's
/// one path.
pub(crate) async fn check_expression(
    state: &AppState,
    request: &RuleCheck,
) -> Result<RuleCheckAnswer, ApiError> {
    let regime = load_regime(state, &request.regime).await?;
    let catalogue = Catalogue::load(&state.store).await?;
    let context = RuleContext {
        regime: regime.content(),
        indicators: &catalogue.indicators,
        categories: &catalogue.categories,
    };
    let formula = match request.kind.as_deref() {
        None | Some("condition") => false,
        Some("formula") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_kind",
                format!("Loại biểu thức {other:?} không hợp lệ (condition hoặc formula)."),
                format!("Unknown expression kind {other:?} (condition or formula)."),
            ));
        }
    };
    let expr = if formula {
        compile_formula(&request.expression, &context)
    } else {
        compile_condition(&request.expression, &context)
    }
    .map_err(|error| rule_error(&error))?;
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
            .map_err(|problems| {
                ApiError::bad_request(
                    "invalid_values",
                    "Số liệu mẫu không hợp lệ.",
                    "The sample values are invalid.",
                )
                .with_detail("problems", json!(problems))
            })?;
        answer.sample = Some(match evaluate(&expr, &RuleInputs::from_report(&sample)) {
            Evaluated::Boolean(holds) => SampleResult::Condition { holds },
            Evaluated::Number(value) => SampleResult::Formula { value },
            Evaluated::Blank | Evaluated::Undefined => SampleResult::Blank { applies: false },
        });
    }
    Ok(answer)
}
