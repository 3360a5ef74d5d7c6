//! The worker that drains the outbox: claims due messages (a lease, so a
//! crashed instance's messages come due again), renders them — minting link
//! tokens only now, so no usable link ever sits in the database — sends,
//! and records the outcome only after the SMTP server answered.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use lettre::message::Mailbox;
use time::OffsetDateTime;
use url::Url;

use super::templates::{self, Context, Rendered};
use super::transport::{SendError, Transport};
use crate::clock::Clock;
use crate::domain::ids::new_id;
use crate::domain::mail::{
    CLAIM_LEASE, DEVICE_REMOVAL_LIFETIME, EXPIRY_NOTICE_AHEAD, LinkPurpose, MAX_ATTEMPTS, MailKind,
    PASSWORD_RESET_LIFETIME, VERIFY_EMAIL_LIFETIME, next_attempt,
};
use crate::secrets::{MasterKey, TokenKind, device_removal_signature, issue_token};
use crate::store::{Delivery, NewEmailToken, OutboxMessage, Store, StoreError};

/// How often an idle worker looks for due mail.
pub const POLL_INTERVAL: StdDuration = StdDuration::from_millis(500);
/// How often it looks for licenses about to expire (by the clock, so tests can move it).
const EXPIRY_SCAN_EVERY: time::Duration = time::Duration::minutes(1);
/// Messages sent per pass before the loop looks at the clock again.
const BATCH: u32 = 20;

/// Everything the mailer is built from.
pub struct MailerConfig {
    /// The outbox.
    pub store: Arc<dyn Store>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Signs one-click device removal links.
    pub master_key: Arc<MasterKey>,
    /// SMTP, or the log.
    pub transport: Transport,
    /// The sender of every message.
    pub from: Mailbox,
    /// Shown to users.
    pub product: String,
    /// Where links point.
    pub public_url: Url,
}

/// The outbox worker.
#[derive(Clone)]
pub struct Mailer {
    inner: Arc<MailerConfig>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("transport", &self.inner.transport).finish_non_exhaustive()
    }
}

impl Mailer {
    /// The worker, from its parts; it does nothing until `run`.
    pub fn new(config: MailerConfig) -> Self {
        Self { inner: Arc::new(config) }
    }

    /// A link under the public URL, keeping any path it has (a gateway
    /// served under `/login` links to `/login/verify-email`).
    fn url(&self, path: &str, query: &[(&str, &str)]) -> String {
        let mut url = self.inner.public_url.clone();
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}{path}"));
        if query.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(query);
        }
        url.to_string()
    }

    /// Sends what is due now, one claim at a time so a lease never has to
    /// outlast more than one SMTP conversation; returns how many messages
    /// the server accepted. Stops early when `stop` says so.
    #[tracing::instrument(skip_all)]
    pub async fn deliver_due(&self, stop: &tokio::sync::watch::Receiver<bool>) -> Result<usize, StoreError> {
        let mut sent = 0;
        for _ in 0..BATCH {
            if *stop.borrow() {
                break;
            }
            let now = self.inner.clock.now();
            let claim_token = new_id();
            let Some(message) = self.inner.store.claim_due_mail(now, now + CLAIM_LEASE, &claim_token).await? else {
                break;
            };
            let outcome = match self.render(&message, now).await {
                Ok(rendered) => {
                    self.inner.transport.send(&self.inner.from, &message.recipient, &message.id, &rendered).await
                }
                Err(RenderError::Store(e)) => Err(SendError { permanent: false, message: e.to_string() }),
                Err(RenderError::Gone(why)) => Err(SendError { permanent: true, message: why }),
            };
            let delivery = match outcome {
                Ok(()) => {
                    sent += 1;
                    Delivery::Sent
                }
                Err(error) if error.permanent || message.attempts + 1 >= MAX_ATTEMPTS => {
                    tracing::error!(id = %message.id, kind = %message.kind, error = %error.message, "mail given up");
                    Delivery::Failed { error: error.message }
                }
                Err(error) => {
                    let at = next_attempt(message.attempts + 1, self.inner.clock.now());
                    tracing::warn!(id = %message.id, kind = %message.kind, error = %error.message, retry_at = %at, "mail not sent; will retry");
                    Delivery::Retry { error: error.message, at }
                }
            };
            if !self.inner.store.record_delivery(&message, &delivery, self.inner.clock.now()).await? {
                tracing::warn!(id = %message.id, "a mail's claim expired while it was being sent; another worker has it");
            }
        }
        Ok(sent)
    }

    /// Queues "expires soon" notices that are due; safe on every instance.
    #[tracing::instrument(skip_all)]
    pub async fn queue_expiry_notices(&self) -> Result<u64, StoreError> {
        let now = self.inner.clock.now();
        self.inner.store.enqueue_expiry_notices(now, now + EXPIRY_NOTICE_AHEAD).await
    }

    /// Runs until `shutdown` resolves. Errors are logged and the loop goes
    /// on: an unreachable database delays mail, it does not stop it.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut last_scan: Option<OffsetDateTime> = None;
        while !*shutdown.borrow() {
            let now = self.inner.clock.now();
            if last_scan.is_none_or(|at| now - at >= EXPIRY_SCAN_EVERY) {
                last_scan = Some(now);
                if let Err(error) = self.queue_expiry_notices().await {
                    tracing::warn!(%error, "could not queue license expiry notices");
                }
            }
            match self.deliver_due(&shutdown).await {
                // A full batch: more may be waiting.
                Ok(sent) if sent >= BATCH as usize => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "could not read the mail outbox"),
            }
            tokio::select! {
                () = tokio::time::sleep(POLL_INTERVAL) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    async fn render(&self, message: &OutboxMessage, now: OffsetDateTime) -> Result<Rendered, RenderError> {
        let kind = MailKind::parse(&message.kind).ok_or_else(|| RenderError::Gone(format!("kind {}", message.kind)))?;
        let user =
            self.inner.store.user(&message.user_id).await?.ok_or_else(|| RenderError::Gone("user deleted".into()))?;
        let link =
            match kind {
                MailKind::VerifyEmail => {
                    let token = self
                        .mint(
                            LinkPurpose::VerifyEmail,
                            TokenKind::EmailVerification,
                            message,
                            now + VERIFY_EMAIL_LIFETIME,
                            now,
                        )
                        .await?;
                    Some(self.url("/verify-email", &[("token", &token)]))
                }
                MailKind::PasswordReset => {
                    let token = self
                        .mint(
                            LinkPurpose::PasswordReset,
                            TokenKind::PasswordReset,
                            message,
                            now + PASSWORD_RESET_LIFETIME,
                            now,
                        )
                        .await?;
                    Some(self.url("/reset-password", &[("token", &token)]))
                }
                MailKind::NewDevice => {
                    let activation =
                        message.detail.get("activation_id").and_then(serde_json::Value::as_str).unwrap_or_default();
                    let expires = (now + DEVICE_REMOVAL_LIFETIME).unix_timestamp();
                    let signature = device_removal_signature(&self.inner.master_key, activation, expires);
                    let expires = expires.to_string();
                    Some(self.url(
                        "/devices/remove",
                        &[("activation", activation), ("expires", &expires), ("sig", &signature)],
                    ))
                }
                MailKind::AddressInUse => Some(self.url("/sign-in", &[])),
                _ => None,
            };
        let security_url = self.url("/account/security", &[]);
        let security_url = security_url.as_str();
        let greeting = user.display_name().to_owned();
        let context = Context {
            product: &self.inner.product,
            greeting_name: &greeting,
            detail: &message.detail,
            link: link.as_deref(),
            security_url,
        };
        Ok(templates::render(kind, &context))
    }

    /// A link token for this message, stored hashed; the clear text goes
    /// only into the mail.
    async fn mint(
        &self,
        purpose: LinkPurpose,
        kind: TokenKind,
        message: &OutboxMessage,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<String, RenderError> {
        let token = issue_token(kind);
        self.inner
            .store
            .create_email_token(&NewEmailToken {
                token_hash: token.hash.clone(),
                purpose,
                user_id: message.user_id.clone(),
                email: message.recipient.clone(),
                created_at: now,
                expires_at,
            })
            .await?;
        Ok(secrecy::ExposeSecret::expose_secret(&token.secret).to_owned())
    }
}

#[derive(Debug)]
enum RenderError {
    Store(StoreError),
    /// The message can never be sent (its user is gone…).
    Gone(String),
}

impl From<StoreError> for RenderError {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}
