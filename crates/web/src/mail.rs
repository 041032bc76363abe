//! Reminder emails through the deployment's relay ([`baocao_service::mail`]), with the relay
//! the web configuration names.

pub use baocao_service::mail::{MailConfig, MailError, relay};

use crate::AppState;

/// Sends the pending reminder emails; answers how many went out.
pub async fn send_pending_emails(state: &AppState) -> Result<usize, MailError> {
    let sent = baocao_service::mail::send_pending_emails(state, state.config.mail.as_ref()).await?;
    state.metrics.emails_sent(sent);
    Ok(sent)
}
