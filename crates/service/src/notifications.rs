//! A person's own notifications: what the reminder job and the workflow told them, and their
//! choice of whether those also come by e-mail.

use baocao_store::StoreError;
use baocao_store::notifications::NotificationRecord;

use crate::{Caller, Context};

/// The caller's notifications, newest first, and whether they also go out by e-mail.
pub struct Inbox {
    pub items: Vec<NotificationRecord>,
    pub email: bool,
}

/// The caller's notifications and e-mail choice.
pub async fn inbox(ctx: &Context, caller: &Caller) -> Result<Inbox, StoreError> {
    let username = caller.principal.username.as_str();
    let items = ctx.store.notifications_of(username).await?;
    let email = ctx.store.email_choice(username).await?.unwrap_or(true);
    Ok(Inbox { items, email })
}

/// The caller chooses whether their notifications also come by e-mail (recorded in the audit
/// trail). Only new notifications follow the choice: one already e-mailed stays sent.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, email))]
pub async fn choose_email(ctx: &Context, caller: &Caller, email: bool) -> Result<(), StoreError> {
    ctx.store
        .set_email_choice(
            caller.principal.username.as_str(),
            email,
            &caller.provenance(&ctx.now_text()),
        )
        .await?;
    Ok(())
}
