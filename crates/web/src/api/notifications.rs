//! The caller's notifications: `GET /api/v1/notifications` (newest first, with the unread
//! count and the e-mail choice), `POST /api/v1/notifications/{id}/read` and
//! `PUT /api/v1/notifications/email` (whether they also come by e-mail).

use axum::Json;
use axum::extract::State;
use baocao_store::notifications::NotificationRecord;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::{ApiJson, ApiPath, Caller};
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
    let inbox = baocao_service::notifications::inbox(&state, &caller).await?;
    let unread = inbox.items.iter().filter(|n| n.read_at.is_none()).count();
    Ok(Json(NotificationList {
        total: inbox.items.len(),
        items: inbox.items,
        unread,
        email: inbox.email,
    }))
}

/// Whether the caller's notifications also come by e-mail.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailChoice {
    /// `true`: each notification is also e-mailed (when the server has a relay and the user an
    /// address); `false`: in the app only.
    email: bool,
}

#[utoipa::path(
    put,
    path = "/api/v1/notifications/email",
    tag = "Notifications",
    operation_id = "put_notifications_email",
    summary = "Choose whether the caller's notifications also come by e-mail.",
    request_body = EmailChoice,
    responses(
        (status = 200, description = "OK", body = EmailChoice),
    ),
)]
pub async fn choose_email(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(choice): ApiJson<EmailChoice>,
) -> Result<Json<EmailChoice>, ApiError> {
    baocao_service::notifications::choose_email(&state, &caller, choice.email).await?;
    Ok(Json(choice))
}

/// The caller's notifications, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NotificationList {
    items: Vec<NotificationRecord>,
    total: usize,
    /// How many are not read yet.
    unread: usize,
    /// Whether they also come by e-mail (`PUT /api/v1/notifications/email` changes it).
    email: bool,
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
