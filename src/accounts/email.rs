//! What mailed links do: prove an address, reset a forgotten password. The
//! mail itself is queued in the outbox; its link token is minted when it is
//! sent and only its hash is kept.

use std::sync::Arc;

use secrecy::SecretString;
use time::Duration;

use super::{AccountError, AccountResult, Accounts};
use crate::clock::Clock;
use crate::domain::account::{Authenticated, User};
use crate::domain::event::{ClientInfo, EventKind, NewEvent};
use crate::domain::ids::new_id;
use crate::domain::lockout::{AttemptKey, AttemptKind};
use crate::domain::mail::{LinkPurpose, MailKind, REQUESTED_MAIL_PER_HOUR};
use crate::domain::reason::Rule;
use crate::domain::{Email, NewPassword};
use crate::metrics::Metrics;
use crate::secrets::{IssuedToken, TokenKind, hash_token};
use crate::store::{Duplicate, NewMail, Store, StoreError};

/// Everything `EmailFlows` is built from.
pub struct EmailFlowsConfig {
    /// Link tokens and the outbox.
    pub store: Arc<dyn Store>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Sets passwords.
    pub accounts: Accounts,
    /// Counts reset requests turned away.
    pub metrics: Arc<Metrics>,
}

/// Verification and password-reset links.
#[derive(Clone)]
pub struct EmailFlows {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    accounts: Accounts,
    reset_requests: ResetGate,
}

/// Reset requests being looked up and queued at once.
const MAX_PENDING_RESETS: usize = 32;

/// Admits at most a fixed number of reset requests in progress at once and
/// counts the ones turned away.
#[derive(Clone)]
struct ResetGate {
    in_progress: Arc<tokio::sync::Semaphore>,
    metrics: Arc<Metrics>,
}

impl ResetGate {
    fn new(capacity: usize, metrics: Arc<Metrics>) -> Self {
        Self { in_progress: Arc::new(tokio::sync::Semaphore::new(capacity)), metrics }
    }

    /// A place for one more request, held until the permit is dropped, or
    /// `Busy` (counted) when every place is taken.
    fn admit(&self) -> AccountResult<tokio::sync::OwnedSemaphorePermit> {
        self.in_progress.clone().try_acquire_owned().map_err(|_| {
            self.metrics.reset_request_dropped();
            tracing::warn!("too many password resets in progress; this one is refused");
            AccountError::Busy
        })
    }
}

impl std::fmt::Debug for EmailFlows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailFlows").finish_non_exhaustive()
    }
}

fn link_gone() -> AccountError {
    AccountError::invalid("token", Rule::LinkExpired)
}

fn link_token(token: &str, kind: TokenKind) -> AccountResult<String> {
    if !token.starts_with(kind.prefix()) || token.len() > 200 {
        return Err(link_gone());
    }
    Ok(hash_token(token))
}

impl EmailFlows {
    /// The service, from its parts.
    pub fn new(config: EmailFlowsConfig) -> Self {
        let EmailFlowsConfig { store, clock, accounts, metrics } = config;
        Self { store, clock, accounts, reset_requests: ResetGate::new(MAX_PENDING_RESETS, metrics) }
    }

    /// Queues a mail the user asked for, a few per hour at most.
    async fn queue_requested(&self, user: &User, kind: MailKind) -> AccountResult<bool> {
        let now = self.clock.now();
        let mail = NewMail {
            id: new_id(),
            kind,
            user_id: user.id.clone(),
            recipient: Some(user.email.clone()),
            detail: serde_json::json!({}),
            at: now,
        };
        Ok(self.store.enqueue_requested_mail(&mail, REQUESTED_MAIL_PER_HOUR, now - Duration::hours(1)).await?)
    }

    /// Sends (again) the link that verifies the signed-in user's address.
    #[tracing::instrument(skip_all)]
    pub async fn request_verification(&self, caller: &Authenticated) -> AccountResult<()> {
        if caller.user.email_verified() {
            return Err(AccountError::AlreadyVerified);
        }
        if !self.queue_requested(&caller.user, MailKind::VerifyEmail).await? {
            return Err(AccountError::RateLimited { retry_after_secs: 3600 });
        }
        Ok(())
    }

    /// Follows a verification link: the address it was sent to becomes
    /// verified if it is the account's, or becomes the account's (verified)
    /// if the link answers an address change.
    #[tracing::instrument(skip_all)]
    pub async fn verify(&self, token: &str, client: &ClientInfo) -> AccountResult<User> {
        let hash = link_token(token, TokenKind::EmailVerification)?;
        let now = self.clock.now();
        let spent = self.store.take_email_token(&hash, LinkPurpose::VerifyEmail, now).await?.ok_or_else(link_gone)?;
        let user = self.store.user(&spent.user_id).await?.ok_or_else(link_gone)?;
        let done = if user.email == spent.email {
            self.store.mark_email_verified(&spent.user_id, &spent.email, now).await?
        } else {
            let detail = serde_json::json!({"old_email": user.email, "new_email": spent.email});
            let changed = NewEvent::new(&user.id, EventKind::EmailChanged, detail, client, now);
            match self.store.complete_email_change(&user.id, &user.email, &spent.email, &changed).await {
                Ok(done) => done,
                // Someone else took the address since the link went out.
                Err(StoreError::Duplicate(Duplicate::Email)) => false,
                Err(e) => return Err(e.into()),
            }
        };
        if !done {
            return Err(link_gone());
        }
        self.store.user(&spent.user_id).await?.ok_or_else(link_gone)
    }

    /// Asks for a reset link. Says nothing either way: the caller learns
    /// neither whether the account exists nor whether a mail went out, and
    /// the work happens after the answer so its time says nothing either.
    ///
    /// Refused as `Busy` when `MAX_PENDING_RESETS` are in progress: a flood
    /// of requests must not become a flood of tasks, and a request dropped
    /// without a word would leave a real user waiting for a mail that never
    /// comes. The permit is taken before the address is even parsed, so
    /// whether a request is refused cannot depend on the address.
    pub fn request_reset(&self, email: &str) -> AccountResult<()> {
        let permit = self.reset_requests.admit()?;
        let Ok(email) = Email::parse(email) else { return Ok(()) };
        let flows = self.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let outcome = async {
                let Some(account) = flows.store.user_credentials_by_email(email.as_str()).await? else {
                    return Ok::<_, AccountError>(());
                };
                if !flows.queue_requested(&account.user, MailKind::PasswordReset).await? {
                    tracing::info!(user_id = %account.user.id, "password reset not mailed: hourly limit reached");
                }
                Ok(())
            }
            .await;
            if let Err(error) = outcome {
                tracing::warn!(%error, "could not queue a password reset");
            }
        });
        Ok(())
    }

    /// Completes a reset: sets the password, ends every session, and spends
    /// the link. Second factors stay: the next sign-in still asks for one.
    /// Following the link also proves the address. The answer is a device
    /// token for the device that followed it.
    #[tracing::instrument(skip_all)]
    pub async fn complete_reset(
        &self,
        token: &str,
        new_password: SecretString,
        client: &ClientInfo,
    ) -> AccountResult<IssuedToken> {
        // A weak password is refused before the link is spent.
        let new = NewPassword::parse(new_password)
            .map_err(|problem| AccountError::invalid("new_password", Rule::Password(problem)))?;
        let token_hash = link_token(token, TokenKind::PasswordReset)?;
        // Hashed before the link is spent, so a failure here leaves it usable.
        let password_hash = self.accounts.hash_password(&new).await?;
        let now = self.clock.now();
        let spent =
            self.store.take_email_token(&token_hash, LinkPurpose::PasswordReset, now).await?.ok_or_else(link_gone)?;
        // A link sent to an address the account has since left proves nothing.
        let user = self.store.user(&spent.user_id).await?.ok_or_else(link_gone)?;
        if user.email != spent.email {
            return Err(link_gone());
        }
        self.accounts.store_password(&spent.user_id, &password_hash, None, EventKind::PasswordReset, client).await?;
        self.store.mark_email_verified(&spent.user_id, &spent.email, now).await?;
        // The owner of the mailbox is back in: failures a thief caused for the
        // address must not keep them out, now or at the next attack, so this
        // device becomes a known one.
        self.store.clear_attempts(&AttemptKey::new(AttemptKind::Password, spent.email.as_str())).await?;
        self.accounts.issue_device_token(&spent.user_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_capacity_requests_are_refused_and_counted_until_a_place_frees() {
        let metrics = Arc::new(Metrics::new());
        let gate = ResetGate::new(2, metrics.clone());
        let first = gate.admit().unwrap();
        let _second = gate.admit().unwrap();
        assert!(matches!(gate.admit(), Err(AccountError::Busy)));
        assert!(matches!(gate.admit(), Err(AccountError::Busy)));
        assert!(metrics.render().contains("latchkey_reset_requests_dropped_total 2"), "{}", metrics.render());
        drop(first);
        let _third = gate.admit().unwrap();
    }
}
