//! The rule editor: a regime manager writes a validation rule or formula, with sample values,
//! and sees before saving whether it parses — with a caret under the position of a mistake —
//! what it reads, and what it says about the sample. The same check as
//! `POST /api/v1/rules/check`.

use axum::extract::{Path, State};
use axum::response::Response;
use baocao_domain::permission::Action;
use baocao_domain::report::CellInput;
use serde::Deserialize;
use serde_json::json;

use super::{PageContext, PageError};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::load_regime;
use baocao_service::rules::{self, RuleQuestion};

#[derive(Deserialize, Default)]
pub struct EditorForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    expression: String,
    #[serde(default)]
    kind: String,
    /// `HC02=10; HC03=8` — totals of the rows' first column.
    #[serde(default)]
    sample: String,
}

async fn render(
    state: &AppState,
    page: &PageContext,
    code: &str,
    form: &EditorForm,
    result: Option<serde_json::Value>,
) -> Result<Response, PageError> {
    let regime = load_regime(state, code)
        .await
        .map_err(|e| PageError::from_api(e, page.lang))?;
    page.render(
        "rules.html",
        json!({
            "code": regime.code().as_str(),
            "name": super::describe::regime_name(&regime, page.lang),
            "rules": regime.content().rules,
            "expression": form.expression,
            "kind": if form.kind == "formula" { "formula" } else { "condition" },
            "sample": form.sample,
            "result": result,
        }),
    )
}

pub async fn editor(
    State(state): State<AppState>,
    page: PageContext,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    page.allowed(Action::AuthorRegimes)?;
    render(&state, &page, &code, &EditorForm::default(), None).await
}

/// Sample cells from `CODE=value` pairs, placed in the first form that has the row.
fn sample_cells(
    regime: &baocao_domain::regime::Regime,
    text: &str,
) -> Result<Vec<CellInput>, ApiError> {
    let mut cells = Vec::new();
    for pair in text
        .split([';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let bad = || {
            ApiError::bad_request(
                "invalid_sample",
                format!("Số liệu mẫu {pair:?} phải có dạng MÃ=giá trị."),
                format!("Sample {pair:?} must read CODE=value."),
            )
        };
        let (row, value) = pair.split_once('=').ok_or_else(bad)?;
        let form = regime
            .content()
            .forms
            .iter()
            .find(|f| f.rows.iter().any(|r| r.indicator.as_str() == row.trim()))
            .ok_or_else(bad)?;
        let column = form.first_measure_column();
        cells.push(
            serde_json::from_value(
                json!({"form": form.code, "row": row.trim(), "column": column,
                                          "options": {}, "value": value.trim()}),
            )
            .map_err(|_| bad())?,
        );
    }
    Ok(cells)
}

pub async fn check(
    State(state): State<AppState>,
    page: PageContext,
    Path(code): Path<String>,
    axum::Form(form): axum::Form<EditorForm>,
) -> Result<Response, PageError> {
    let caller = page.allowed(Action::AuthorRegimes)?;
    if caller.csrf.as_deref() != Some(form.csrf.as_str()) {
        return Err(PageError::from_api(ApiError::csrf(), page.lang));
    }
    let regime = load_regime(&state, &code)
        .await
        .map_err(|e| PageError::from_api(e, page.lang))?;
    let outcome = match sample_cells(&regime, &form.sample) {
        Ok(values) => {
            let request = RuleQuestion {
                regime: code.clone(),
                expression: form.expression.clone(),
                kind: Some(if form.kind == "formula" {
                    "formula".into()
                } else {
                    "condition".into()
                }),
                values,
            };
            rules::check(&state, caller, &request)
                .await
                .map_err(ApiError::from)
        }
        Err(error) => Err(error),
    };
    let result = match outcome {
        Ok(answer) => json!({"ok": true, "answer": answer}),
        Err(error) => {
            let position = error.details.get("position").and_then(|p| p.as_u64());
            json!({
                "ok": false,
                "code": error.code,
                "message": error.message,
                "message_en": error.message_en,
                "position": position,
                // The expression up to the mistake, to put a caret under it.
                "caret": position.map(|p| " ".repeat(p as usize) + "^"),
            })
        }
    };
    render(&state, &page, &code, &form, Some(result)).await
}
