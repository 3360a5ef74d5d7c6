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
    pub message: String,
}

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
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

/// One SMTP conversation may not take longer than this.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

impl Transport {
    /// `smtp://host:port` (plain, STARTTLS when offered), `smtps://user:pass@host` (TLS).
    pub fn smtp(url: &str) -> Result<Self, String> {
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| e.to_string())?;
        Ok(Self::Smtp(builder.timeout(Some(SMTP_TIMEOUT)).build()))
    }

    pub async fn send(&self, from: &Mailbox, to: &str, mail: &Rendered) -> Result<(), SendError> {
        let invalid = |message: String| SendError { permanent: true, message };
        let recipient: Mailbox = to.parse().map_err(|e| invalid(format!("recipient: {e}")))?;
        match self {
            Self::Log => {
                // Debug formatting keeps the message on one log line.
                tracing::info!(to, subject = %mail.subject, body = ?mail.text, "mail (no SMTP server configured)");
                Ok(())
            }
            Self::Smtp(smtp) => {
                let message = Message::builder()
                    .from(from.clone())
                    .to(recipient)
                    .subject(&mail.subject)
                    .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
                    .map_err(|e| invalid(e.to_string()))?;
                smtp.send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| SendError { permanent: e.is_permanent(), message: e.to_string() })
            }
        }
    }
}
