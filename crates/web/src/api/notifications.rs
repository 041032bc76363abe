//! The caller's notifications: `GET /api/v1/notifications` (newest first, with the unread
//! count) and `POST /api/v1/notifications/{id}/read`.

use axum::Json;
use axum::extract::State;
use baocao_store::notifications::NotificationRecord;
use serde::Serialize;

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
        (status = 200, description = "OK", body = NotificationList),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<NotificationList>, ApiError> {
    let items = state
        .store
        .notifications_of(caller.principal.username.as_str())
        .await?;
    let unread = items.iter().filter(|n| n.read_at.is_none()).count();
    Ok(Json(NotificationList {
        total: items.len(),
        items,
        unread,
    }))
}

/// The caller's notifications, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NotificationList {
    items: Vec<NotificationRecord>,
    total: usize,
    /// How many are not read yet.
    unread: usize,
}

/// A notification marked read.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MarkedRead {
    id: i32,
    read: bool,
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
        (status = 200, description = "OK", body = MarkedRead),
    ),
)]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i32>,
) -> Result<Json<MarkedRead>, ApiError> {
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
    Ok(Json(MarkedRead { id, read: true }))
}
