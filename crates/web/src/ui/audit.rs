//! The audit trail's page (`/audit`): who changed what, when, through which channel, filtered
//! by object, actor, agency, kind and dates — the page beside `GET /api/v1/audit`, under the
//! same policy (auditors and administrators, an agency's subtree). A regime's change history
//! is its object (`regime BC01`), an agency's activity log its agency, a user's actions its
//! actor.

use axum::extract::{Query, State};
use axum::response::Response;
use baocao_service::audit::AuditQuery;
use serde::Deserialize;
use serde_json::json;

use super::{PageContext, PageError};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct AuditForm {
    object: Option<String>,
    actor: Option<String>,
    agency: Option<String>,
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<i64>,
}

/// Empty form fields are no filter.
fn given(field: Option<String>) -> Option<String> {
    field
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

pub async fn page(
    State(state): State<AppState>,
    page: PageContext,
    Query(form): Query<AuditForm>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let caller = page.logged_in()?;
    let query = AuditQuery {
        object: given(form.object),
        actor: given(form.actor),
        agency: given(form.agency),
        kind: given(form.kind),
        from: given(form.from),
        to: given(form.to),
        before: form.before,
        limit: Some(PAGE),
    };
    let found = baocao_service::audit::events(&state, caller, &query)
        .await
        .map_err(|e| PageError::from_api(e.into(), lang))?;
    page.render(
        "audit.html",
        json!({ "events": found.events, "next": found.next_before, "filter": {
            "object": query.object, "actor": query.actor, "agency": query.agency,
            "kind": query.kind, "from": query.from, "to": query.to,
        } }),
    )
}

/// Events a page shows.
const PAGE: i64 = 100;
