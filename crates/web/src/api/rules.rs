//! The rule editor's check (`POST /api/v1/rules/check`): parse and check an expression
//! against a regime's forms and the catalogue, and, given sample values, evaluate it — so an
//! author sees a mistake, with its position, before the rule is saved.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use baocao_domain::report::CellInput;
use baocao_domain::rules::RuleError;
use baocao_service::rules::{self, RuleCheckAnswer, RuleQuestion};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::auth::{ApiJson, Caller};
use crate::error::ApiError;

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

impl RuleCheck {
    pub(crate) fn question(&self) -> RuleQuestion {
        RuleQuestion {
            regime: self.regime.clone(),
            expression: self.expression.clone(),
            kind: self.kind.clone(),
            values: self.values.clone(),
        }
    }
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
    Ok(Json(
        rules::check(&state, &caller, &request.question()).await?,
    ))
}
