//! [`SmtpSink`]: a local SMTP server for tests of email, on 127.0.0.1 and a free port. It
//! speaks just enough of RFC 5321 for a client to deliver (EHLO with 8BITMIME, MAIL, RCPT,
//! DATA, RSET, NOOP, QUIT), keeps every message it is given (its text decoded), and can be told to refuse mail
//! (a relay that is down) to test retries.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One delivered message: the envelope, the raw data (headers and body) and the body as text
/// (decoded when it came in base64).
#[derive(Debug, Clone, Default)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
    pub text: String,
}

/// The body of `data` as text, decoded from base64 if its headers say so.
fn body_text(data: &str) -> String {
    use base64::Engine;
    let (headers, body) = data.split_once("\n\n").unwrap_or((data, ""));
    let base64 = headers
        .lines()
        .any(|h| h.eq_ignore_ascii_case("content-transfer-encoding: base64"));
    if !base64 {
        return body.to_string();
    }
    let compact: String = body.split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map(|text| text.replace("\r\n", "\n"))
        .unwrap_or_default()
}

#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    refusing: Arc<AtomicBool>,
}

impl SmtpSink {
    /// Starts the sink; it serves until the test's runtime ends.
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a port");
        let port = listener.local_addr().expect("an address").port();
        let sink = SmtpSink {
            port,
            received: Arc::default(),
            refusing: Arc::default(),
        };
        let served = sink.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let session = served.clone();
                tokio::spawn(async move {
                    let _ = session.converse(socket).await;
                });
            }
        });
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// What was delivered so far.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.received.lock().expect("not poisoned").clone()
    }

    /// Refuse (`true`) or accept (`false`) further mail with a temporary failure.
    pub fn refuse(&self, refusing: bool) {
        self.refusing.store(refusing, Ordering::SeqCst);
    }

    async fn converse(&self, socket: tokio::net::TcpStream) -> std::io::Result<()> {
        let (reader, mut writer) = socket.into_split();
        let mut lines = BufReader::new(reader).lines();
        writer.write_all(b"220 sink ESMTP\r\n").await?;
        let mut mail = ReceivedMail::default();
        while let Some(line) = lines.next_line().await? {
            let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                "HELO" | "NOOP" => b"250 ok\r\n",
                "RSET" => {
                    mail = ReceivedMail::default();
                    b"250 ok\r\n"
                }
                "MAIL" if self.refusing.load(Ordering::SeqCst) => b"451 try again later\r\n",
                "MAIL" => {
                    mail.from = address(&line);
                    b"250 ok\r\n"
                }
                "RCPT" => {
                    mail.to.push(address(&line));
                    b"250 ok\r\n"
                }
                "DATA" => {
                    writer.write_all(b"354 end with .\r\n").await?;
                    let mut data = String::new();
                    while let Some(line) = lines.next_line().await? {
                        if line == "." {
                            break;
                        }
                        data.push_str(line.strip_prefix('.').unwrap_or(&line));
                        data.push('\n');
                    }
                    mail.text = body_text(&data);
                    mail.data = data;
                    self.received
                        .lock()
                        .expect("not poisoned")
                        .push(std::mem::take(&mut mail));
                    b"250 queued\r\n"
                }
                "QUIT" => {
                    writer.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                _ => b"502 not implemented\r\n",
            };
            writer.write_all(reply).await?;
        }
        Ok(())
    }
}

/// The address inside `MAIL FROM:<…>` or `RCPT TO:<…>`.
fn address(line: &str) -> String {
    line.split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(address, _)| address.to_string())
        .unwrap_or_default()
}
