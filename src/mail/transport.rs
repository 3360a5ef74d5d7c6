//! Handing a message to an SMTP server, or — with none configured — to the
//! log, links intact, so a local trial works without a mail server.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::templates::Rendered;

/// Why a message was not accepted.
#[derive(Debug, Clone)]
pub struct SendError {
    /// The server refused it for good (bad address…): retrying cannot help.
    pub permanent: bool,
    /// What the server or the mail library said.
    pub message: String,
}

/// Where messages go: an SMTP server, or the log when none is configured.
pub enum Transport {
    /// An SMTP server, from the `smtp_url` setting.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// No server: each message is written to the log, links intact.
    Log,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SMTP URL may carry a password: never print it.
        f.write_str(match self {
            Self::Smtp(_) => "Transport::Smtp(..)",
            Self::Log => "Transport::Log",
        })
    }
}

/// Only a refusal of this message or recipient is final. Other 5xx replies
/// (bad credentials 535, STARTTLS required 530, relay problems) are the
/// operator's to fix, and the mail waits for that rather than being lost.
fn refuses_this_message(error: &lettre::transport::smtp::Error) -> bool {
    const FINAL: [&str; 6] = ["550", "551", "552", "553", "554", "501"];
    error.is_permanent() && error.status().is_some_and(|code| FINAL.contains(&code.to_string().as_str()))
}

/// One SMTP command may not take longer than this.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

impl Transport {
    /// `smtps://user:pass@host` (TLS), `smtp://host:port?tls=required`
    /// (STARTTLS), or `smtp://host:port` (plain, for a relay on the same
    /// network; refused with credentials, which must not travel in clear).
    pub fn smtp(url: &str) -> Result<Self, String> {
        let parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
        let encrypted = parsed.scheme() == "smtps"
            || parsed.query_pairs().any(|(k, v)| k == "tls" && (v == "required" || v == "opportunistic"));
        if !encrypted && (!parsed.username().is_empty() || parsed.password().is_some()) {
            return Err(
                "credentials over plain smtp:// would travel unencrypted; use smtps:// or add ?tls=required".into()
            );
        }
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| e.to_string())?;
        Ok(Self::Smtp(builder.timeout(Some(SMTP_TIMEOUT)).build()))
    }

    /// Sends one message. `id` (the outbox row) becomes its `Message-ID`, so
    /// a resend after a crash between sending and recording is recognisable
    /// as the same message.
    #[tracing::instrument(skip_all)]
    pub async fn send(&self, from: &Mailbox, to: &str, id: &str, mail: &Rendered) -> Result<(), SendError> {
        let invalid = |message: String| SendError { permanent: true, message };
        let recipient: Mailbox = to.parse().map_err(|e| invalid(format!("recipient: {e}")))?;
        match self {
            Self::Log => {
                // Debug formatting keeps the message on one log line.
                tracing::info!(to, subject = %mail.subject, body = ?mail.text, "mail (no SMTP server configured)");
                Ok(())
            }
            Self::Smtp(smtp) => {
                let domain = from.email.domain().to_owned();
                let message = Message::builder()
                    .message_id(Some(format!("<{id}@{domain}>")))
                    .from(from.clone())
                    .to(recipient)
                    .subject(&mail.subject)
                    .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
                    .map_err(|e| invalid(e.to_string()))?;
                smtp.send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| SendError { permanent: refuses_this_message(&e), message: e.to_string() })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn credentials_never_travel_in_clear() {
        assert!(Transport::smtp("smtp://user:secret@mail.example.com:25").is_err());
        assert!(Transport::smtp("smtp://mail.example.com:25").is_ok());
        assert!(Transport::smtp("smtp://user:secret@mail.example.com:587?tls=required").is_ok());
        assert!(Transport::smtp("smtps://user:secret@mail.example.com").is_ok());
        let debug = format!("{:?}", Transport::smtp("smtps://user:secret@mail.example.com").unwrap());
        assert!(!debug.contains("secret"));
    }
}
