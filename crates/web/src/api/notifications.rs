//! The caller's notifications: `GET /api/v1/notifications` (newest first, with the unread
//! count) and `POST /api/v1/notifications/{id}/read`.

use axum::Json;
use axum::extract::State;
use serde_json::json;

use crate::AppState;
use crate::auth::{ApiPath, Caller};
use crate::error::ApiError;

#[utoipa::path(
    get,
    path = "/api/v1/notifications",
    tag = "Notifications",
    operation_id = "get_notifications",
    summary = "The caller's notifications (reminders), newest first, with the unread count.",
    responses(
        (status = 200, description = "OK", body = serde_json::Value, content_type = "application/json"),
    ),
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/notifications/{id}/read",
    tag = "Notifications",
    operation_id = "post_notification_read",
    summary = "Mark one of the caller's notifications read.",
    params(
        ("id" = u32, Path, minimum = 1, maximum = 1000000),
    ),
    responses(
        (status = 200, description = "OK", body = serde_json::Value, content_type = "application/json"),
    ),
)]
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
