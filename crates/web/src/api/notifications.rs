//! The caller's notifications: `GET /api/v1/notifications` (newest first, with the unread
//! count) and `POST /api/v1/notifications/{id}/read`.

use axum::Json;
use axum::extract::State;
use serde_json::json;

use crate::AppState;
use crate::auth::{ApiPath, Caller};
use crate::error::ApiError;

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let items = state
        .store
        .notifications_of(caller.principal.username.as_str())
        .await?;
    let unread = items.iter().filter(|n| n.read_at.is_none()).count();
    Ok(Json(
        json!({"items": items, "total": items.len(), "unread": unread}),
    ))
}

pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i32>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if !state
        .store
        .mark_read(caller.principal.username.as_str(), id, &state.now_text())
        .await?
    {
        return Err(ApiError::not_found(
            &format!("thông báo {id}"),
            &format!("notification {id}"),
        ));
    }
    Ok(Json(json!({"id": id, "read": true})))
}
