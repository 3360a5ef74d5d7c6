//! The second step of a password sign-in, and signing in with a passkey
//! alone. A pending token is looked up only here; nothing else accepts it.

use serde_json::json;
use webauthn_rs::prelude::PublicKeyCredential;

use super::passkeys::{PasskeyOptions, Purpose};
use super::{FactorError, FactorResult, Factors, Refusal};
use crate::accounts::{Judged, SignedIn};
use crate::domain::account::User;
use crate::domain::event::{ClientInfo, EventKind, NewEvent};
use crate::domain::factors::{CodeKind, Method, PENDING_SIGN_IN_MAX_ATTEMPTS, amr_with};
use crate::metrics::SignInOutcome as Counted;
use crate::secrets::{TokenKind, hash_token};
use crate::store::PendingSignIn;

/// How a second-step result counts toward the sign-in metric.
fn counted<T>(result: &FactorResult<T>) -> Counted {
    match result {
        Ok(_) => Counted::Success,
        Err(FactorError::Refused { .. } | FactorError::Account(crate::accounts::AccountError::InvalidCredentials)) => {
            Counted::InvalidCredentials
        }
        Err(FactorError::Account(
            crate::accounts::AccountError::AccountLocked { .. } | crate::accounts::AccountError::RateLimited { .. },
        )) => Counted::Locked,
        Err(FactorError::Account(crate::accounts::AccountError::Busy)) => Counted::Shed,
        Err(_) => Counted::Error,
    }
}

impl Factors {
    async fn pending(&self, token: &str) -> FactorResult<PendingSignIn> {
        if !token.starts_with(TokenKind::PendingSignIn.prefix()) {
            return Err(FactorError::PendingSignInGone);
        }
        self.store.pending_sign_in(&hash_token(token), self.now()).await?.ok_or(FactorError::PendingSignInGone)
    }

    async fn pending_user(&self, pending: &PendingSignIn) -> FactorResult<User> {
        self.store.user(&pending.user_id).await?.ok_or(FactorError::PendingSignInGone)
    }

    /// Takes one of the pending sign-in's five answers before the answer is
    /// checked: parallel guesses cannot share a slot.
    async fn claim_attempt(&self, pending_token: &str) -> FactorResult<(PendingSignIn, u32)> {
        let pending = self.pending(pending_token).await?;
        let remaining = self
            .store
            .claim_pending_attempt(&pending.id, PENDING_SIGN_IN_MAX_ATTEMPTS, self.now())
            .await?
            .ok_or(FactorError::PendingSignInGone)?;
        Ok((pending, remaining))
    }

    /// A wrong answer, put on the user's timeline; after the last one the
    /// pending sign-in ends.
    async fn wrong_answer(
        &self,
        pending: &PendingSignIn,
        remaining: u32,
        what: Refusal,
        factor: &'static str,
        client: &ClientInfo,
    ) -> FactorError {
        let detail = json!({"reason": "second_factor_refused", "factor": factor, "attempts_left": remaining});
        let failed = NewEvent::new(&pending.user_id, EventKind::SignInFailed, detail, client, self.now());
        self.accounts.record_best_effort(&failed).await;
        if remaining == 0
            && let Err(e) = self.store.end_pending_sign_in(&pending.id).await
        {
            return e.into();
        }
        FactorError::Refused { what, attempts_left: Some(remaining) }
    }

    /// Ends the pending sign-in and starts the session, once: a second
    /// request racing with the same pending token gets nothing.
    async fn finish(
        &self,
        pending: PendingSignIn,
        user: User,
        method: Method,
        client: &ClientInfo,
    ) -> FactorResult<SignedIn> {
        let amr = amr_with(&pending.amr, &[method]);
        let (token, session) = self.accounts.new_session(&user.id, amr, client);
        let event = NewEvent::new(&user.id, EventKind::SignedIn, json!({"amr": session.amr}), client, self.now());
        let session = self
            .store
            .complete_pending_sign_in(&pending.id, &session, &event)
            .await?
            .ok_or(FactorError::PendingSignInGone)?;
        let judged = judged(&pending, &user, client);
        self.accounts.forget_failures(&judged.owner_counter()).await;
        // The session exists now; a device token that could not be stored must not hide its token.
        let device_token = match self.accounts.welcome_device(&user.id, &judged).await {
            Ok(device_token) => device_token,
            Err(error) => {
                tracing::warn!(%error, "could not remember the device");
                None
            }
        };
        Ok(SignedIn { token, session, user, device_token })
    }

    /// How the pending sign-in's user can finish it (`totp`, `webauthn`,
    /// `recovery_code`), so the page offers only what the account has.
    #[tracing::instrument(skip_all)]
    pub async fn pending_methods(&self, pending_token: &str) -> FactorResult<Vec<&'static str>> {
        let pending = self.pending(pending_token).await?;
        Ok(self.enrolled(&pending.user_id).await?.methods())
    }

    /// Finishes a password sign-in with a typed code. Codes can be guessed,
    /// so each one counts where the password's failure would have, and
    /// toward this pending sign-in's five.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in_with_code(
        &self,
        pending_token: &str,
        kind: CodeKind,
        code: &str,
        client: &ClientInfo,
    ) -> FactorResult<SignedIn> {
        let result = async {
            let (pending, remaining) = self.claim_attempt(pending_token).await?;
            let user = self.pending_user(&pending).await?;
            let counters = judged(&pending, &user, client).counters();
            match self.check_code(&user, kind, code, &counters, client).await {
                Ok(()) => self.finish(pending, user, Method::OneTimePassword, client).await,
                Err(FactorError::Refused { what, .. }) => {
                    Err(self.wrong_answer(&pending, remaining, what, kind.method_name(), client).await)
                }
                Err(other) => Err(other),
            }
        }
        .await;
        self.metrics.sign_in(counted(&result));
        result
    }

    /// Request options for the pending user's passkeys.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in_webauthn_options(&self, pending_token: &str) -> FactorResult<PasskeyOptions> {
        let pending = self.pending(pending_token).await?;
        self.assertion_options(Purpose::SecondFactor, &pending.user_id, &pending.id).await
    }

    /// Finishes a password sign-in with a passkey.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in_with_passkey(
        &self,
        pending_token: &str,
        challenge_id: &str,
        credential: &PublicKeyCredential,
        client: &ClientInfo,
    ) -> FactorResult<SignedIn> {
        let result = async {
            let (pending, remaining) = self.claim_attempt(pending_token).await?;
            let user = self.pending_user(&pending).await?;
            let verified = self
                .verify_assertion(Purpose::SecondFactor, &user.id, &pending.id, challenge_id, credential, client)
                .await;
            match verified {
                Ok(method) => self.finish(pending, user, method, client).await,
                Err(FactorError::Refused { what, .. }) => {
                    Err(self.wrong_answer(&pending, remaining, what, "webauthn", client).await)
                }
                Err(other) => Err(other),
            }
        }
        .await;
        self.metrics.sign_in(counted(&result));
        result
    }

    /// Passwordless: the passkey (with user verification) is the whole
    /// sign-in, and a phishing-resistant one.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in_passwordless(
        &self,
        challenge_id: &str,
        credential: &PublicKeyCredential,
        client: &ClientInfo,
    ) -> FactorResult<SignedIn> {
        let result = async {
            let (user_id, method) = self.verify_passwordless(challenge_id, credential, client).await?;
            let user = self
                .store
                .user(&user_id)
                .await?
                .ok_or(FactorError::Refused { what: Refusal::Passkey, attempts_left: None })?;
            Ok(self.accounts.start_session(user, amr_with(&[], &[method]), client).await?)
        }
        .await;
        self.metrics.sign_in(counted(&result));
        result
    }
}

/// How the second step of a sign-in is judged: as its first step was.
fn judged(pending: &PendingSignIn, user: &User, client: &ClientInfo) -> Judged {
    match &pending.device_hash {
        Some(hash) => Judged::KnownDevice(hash.clone()),
        None => Judged::stranger(&user.email, client),
    }
}
