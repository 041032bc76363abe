//! Reminders by email: the notifications the reminder job wrote go out through an SMTP relay
//! when one is configured. The notifications table is the outbox — a notification is marked
//! when its email is accepted by the relay, so a failed send is retried at the next run and a
//! sent one is never sent again, across restarts. Only notifications of the last few days are
//! sent, so configuring a relay on an old database does not flood anyone.

use baocao_store::notifications::PendingEmail;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::Context;

/// Where reminder emails go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// The relay: `smtp://HOST[:PORT]` (plain, port 25), `smtp://HOST[:PORT]?tls=required`
    /// (STARTTLS, port 587) or `smtps://HOST[:PORT]` (TLS from the first byte, port 465); a
    /// `USER:PASSWORD@` before the host logs in (percent-encoded).
    pub smtp_url: String,
    /// A PEM certificate authority the relay's certificate is checked against, for a relay
    /// whose certificate an agency's own CA issued; without it, the public web roots.
    pub ca_certificate_pem: Option<String>,
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
    let transport = relay(config)?;
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

/// The transport `config` names: its scheme and `tls` parameter choose plain SMTP, STARTTLS
/// or TLS from the start, its user and password log in, and the agency's own certificate
/// authority, when given, is the one the relay's certificate must chain to.
pub fn relay(config: &MailConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let url = config.smtp_url.as_str();
    let bad = |why: String| {
        MailError::Settings(format!(
            "smtp url: {why} (expected smtp://[USER:PASSWORD@]HOST[:PORT][?tls=required|opportunistic] or smtps://…)"
        ))
    };
    let parsed = url::Url::parse(url).map_err(|e| bad(e.to_string()))?;
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("no host".into()))?
        .to_string();
    let tls_mode = parsed
        .query_pairs()
        .find(|(key, _)| key == "tls")
        .map(|(_, value)| value.into_owned());
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|e| bad(e.to_string()))?
        .timeout(Some(std::time::Duration::from_secs(30)));
    if let Some(pem) = &config.ca_certificate_pem {
        // lettre takes a file with no certificate in it as an empty list of roots.
        if !pem.contains("-----BEGIN CERTIFICATE-----") {
            return Err(MailError::Settings(
                "smtp CA certificate: no PEM certificate in it".into(),
            ));
        }
        let authority = Certificate::from_pem(pem.as_bytes())
            .map_err(|e| MailError::Settings(format!("smtp CA certificate: {e}")))?;
        let parameters = TlsParameters::builder(host.clone())
            .add_root_certificate(authority)
            .build()
            .map_err(|e| MailError::Settings(format!("smtp TLS: {e}")))?;
        let tls = match (parsed.scheme(), tls_mode.as_deref()) {
            ("smtps", _) => Tls::Wrapper(parameters),
            ("smtp", Some("required")) => Tls::Required(parameters),
            ("smtp", Some("opportunistic")) => Tls::Opportunistic(parameters),
            _ => {
                return Err(MailError::Settings(
                    "an SMTP CA certificate is given but the smtp url asks for no TLS (add ?tls=required or use smtps://)".into(),
                ));
            }
        };
        builder = builder.tls(tls);
    }
    Ok(builder.build())
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
        "report_ready" => (
            "Bản nháp báo cáo đã sẵn sàng, chờ lãnh đạo ký gửi",
            "A draft report is ready for your signature",
            "Vui lòng đăng nhập hệ thống để xem, ký và gửi báo cáo",
            "Sign in to review, sign and send the report",
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

    fn config(url: &str, ca: Option<&str>) -> MailConfig {
        MailConfig {
            smtp_url: url.into(),
            ca_certificate_pem: ca.map(str::to_string),
            from: "baocao <no-reply@localhost>".into(),
        }
    }

    // The transport's connection pool lives on the Tokio runtime, even unused.
    #[tokio::test]
    async fn the_relay_is_read_from_an_smtp_url() {
        for good in [
            "smtp://127.0.0.1:2525",
            "smtp://mail.local",
            "smtp://user:p%40ss@mail.local?tls=required",
            "smtp://mail.local:2587?tls=opportunistic",
            "smtps://user:secret@mail.local",
        ] {
            assert!(relay(&config(good, None)).is_ok(), "{good}");
        }
        for bad in [
            "http://x",
            "smtp://",
            "smtp://host:port",
            "smtp://host?tls=sometimes",
            "mail.local",
        ] {
            assert!(
                matches!(relay(&config(bad, None)), Err(MailError::Settings(_))),
                "{bad}"
            );
        }
        // A CA certificate only makes sense over TLS, and must be one.
        assert!(relay(&config("smtp://mail.local", Some("x"))).is_err());
        assert!(relay(&config("smtps://mail.local", Some("not a certificate"))).is_err());
    }
}
