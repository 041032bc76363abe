//! Reminders by email: the notifications the reminder job wrote go out through an SMTP relay
//! when one is configured. The notifications table is the outbox — a notification is marked
//! when its email is accepted by the relay, so a failed send is retried at the next run and a
//! sent one is never sent again, across restarts. Only notifications of the last few days are
//! sent, so configuring a relay on an old database does not flood anyone.

use baocao_store::notifications::PendingEmail;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::Context;

/// Where reminder emails go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// `smtp://HOST[:PORT]` (a relay on the agency's network; no authentication or TLS yet).
    pub smtp_url: String,
    /// The sender, e.g. `baocao <no-reply@baocao.gov.vn>`.
    pub from: String,
}

/// Notifications older than this are not emailed.
const RECENT_DAYS: i64 = 3;
/// Notifications read at a time.
const BATCH: i64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid mail settings: {0}")]
    Settings(String),
    #[error("the SMTP relay refused or could not be reached: {0}")]
    Relay(String),
}

/// Sends the pending reminder emails; answers how many went out. Stops at the first relay
/// failure (what is left stays pending for the next run).
pub async fn send_pending_emails(
    state: &Context,
    config: Option<&MailConfig>,
) -> Result<usize, MailError> {
    let Some(config) = config else {
        return Ok(0);
    };
    let from: Mailbox = config
        .from
        .parse()
        .map_err(|e| MailError::Settings(format!("from {:?}: {e}", config.from)))?;
    let (host, port) = relay_address(&config.smtp_url)?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(std::time::Duration::from_secs(30)))
        .build();
    let since = state
        .clock
        .now()
        .checked_sub(jiff::SignedDuration::from_hours(24 * RECENT_DAYS))
        .map(baocao_store::timestamp_text)
        .unwrap_or_default();
    let mut sent = 0;
    loop {
        let pending = state
            .store
            .pending_emails(&since, BATCH)
            .await
            .map_err(|e| MailError::Relay(e.to_string()))?;
        let full = pending.len() as i64 == BATCH;
        for item in pending {
            let Ok(to) = item
                .email
                .parse()
                .map(|address| Mailbox::new(Some(item.full_name.clone()), address))
            else {
                // It can never go out; marked so that it is not tried on every run.
                tracing::warn!(
                    id = item.id,
                    "a user's email address is invalid; not emailed"
                );
                mark(state, item.id).await?;
                continue;
            };
            let message = compose(&item, from.clone(), to)
                .map_err(|e| MailError::Settings(format!("message: {e}")))?;
            transport
                .send(message)
                .await
                .map_err(|e| MailError::Relay(e.to_string()))?;
            mark(state, item.id).await?;
            sent += 1;
        }
        if !full {
            break;
        }
    }
    Ok(sent)
}

async fn mark(state: &Context, id: i32) -> Result<(), MailError> {
    state
        .store
        .mark_emailed(id, &state.now_text())
        .await
        .map_err(|e| MailError::Relay(e.to_string()))
}

/// The host and port of `smtp://HOST[:PORT]` (port 25 by default).
fn relay_address(url: &str) -> Result<(String, u16), MailError> {
    let bad = || MailError::Settings(format!("smtp url {url:?}: expected smtp://HOST[:PORT]"));
    let rest = url.strip_prefix("smtp://").ok_or_else(bad)?;
    let rest = rest.trim_end_matches('/');
    match rest.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => {
            Ok((host.to_string(), port.parse().map_err(|_| bad())?))
        }
        None if !rest.is_empty() => Ok((rest.to_string(), 25)),
        _ => Err(bad()),
    }
}

/// The email of one notification, Vietnamese first and English below: UTF-8 text in base64,
/// which every relay carries whatever its extensions.
fn compose(
    item: &PendingEmail,
    from: Mailbox,
    to: Mailbox,
) -> Result<Message, lettre::error::Error> {
    let (subject_vi, subject_en, ask_vi, ask_en) = match item.kind.as_str() {
        "overdue" => (
            "Quá hạn gửi báo cáo",
            "Report overdue",
            "Vui lòng đăng nhập hệ thống để lập và gửi báo cáo",
            "Sign in to write and send the report",
        ),
        "report_submitted" => (
            "Có báo cáo gửi đến, chờ tiếp nhận",
            "A report was sent to you for review",
            "Vui lòng đăng nhập hệ thống để xem xét, tiếp nhận hoặc trả lại báo cáo",
            "Sign in to review the report: accept it or return it",
        ),
        "report_returned" => (
            "Báo cáo bị trả lại",
            "Report returned",
            "Vui lòng đăng nhập hệ thống để sửa và gửi lại báo cáo",
            "Sign in to correct the report and send it again",
        ),
        "report_accepted" => (
            "Báo cáo đã được tiếp nhận",
            "Report accepted",
            "Xem báo cáo",
            "See the report",
        ),
        "report_reopened" => (
            "Báo cáo được mở lại",
            "Report reopened",
            "Vui lòng đăng nhập hệ thống để sửa và gửi lại báo cáo",
            "Sign in to correct the report and send it again",
        ),
        _ => (
            "Sắp đến hạn gửi báo cáo",
            "Report due soon",
            "Vui lòng đăng nhập hệ thống để lập và gửi báo cáo",
            "Sign in to write and send the report",
        ),
    };
    let (deadline_vi, deadline_en) = if item.deadline.is_empty() {
        (String::new(), String::new())
    } else {
        (
            format!(", hạn gửi {}", item.deadline),
            format!(", deadline {}", item.deadline),
        )
    };
    let (reason_vi, reason_en) = match item.detail.as_deref() {
        Some(reason) => (format!("\nLý do: {reason}"), format!("\nReason: {reason}")),
        None => (String::new(), String::new()),
    };
    let body = format!(
        "Kính gửi {name},\n\n{subject_vi}: chế độ báo cáo {regime}, đơn vị {agency}, kỳ {period}{deadline_vi}.{reason_vi}\n\
         {ask_vi}: /reports/{regime}/{agency}/{period}\n\n\
         ---\n{subject_en}: regime {regime}, agency {agency}, period {period}{deadline_en}.{reason_en}\n\
         {ask_en}: /reports/{regime}/{agency}/{period}\n",
        name = item.full_name,
        regime = item.regime,
        agency = item.agency,
        period = item.period,
    );
    Message::builder()
        .from(from)
        .to(to)
        .subject(format!(
            "[baocao] {subject_vi} {} {} — {subject_en}",
            item.regime, item.period
        ))
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .header(ContentTransferEncoding::Base64)
                .body(body),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relay_address_is_read_from_an_smtp_url() {
        assert_eq!(
            relay_address("smtp://127.0.0.1:2525").unwrap(),
            ("127.0.0.1".to_string(), 2525)
        );
        assert_eq!(
            relay_address("smtp://mail.local").unwrap(),
            ("mail.local".to_string(), 25)
        );
        for bad in ["http://x", "smtp://", "smtp://host:port"] {
            assert!(relay_address(bad).is_err(), "{bad}");
        }
    }
}
