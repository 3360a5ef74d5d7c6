//! The second step of a password sign-in, and signing in with a passkey
//! alone. A pending token is looked up only here; nothing else accepts it.

use serde_json::json;
use webauthn_rs::prelude::PublicKeyCredential;

use super::passkeys::{PasskeyOptions, Purpose};
use super::{CodeKind, Factors};
use crate::auth::accounts::SignedIn;
use crate::auth::{AuthError, AuthResult, ClientInfo};
use crate::domain::factors::{Method, PENDING_SIGN_IN_MAX_ATTEMPTS, amr_with};
use crate::secrets::{TokenKind, hash_token};
use crate::store::{PendingSignIn, User};

impl Factors {
    async fn pending(&self, token: &str) -> AuthResult<PendingSignIn> {
        if !token.starts_with(TokenKind::PendingSignIn.prefix()) {
            return Err(AuthError::PendingSignInGone);
        }
        self.store.pending_sign_in(&hash_token(token), self.now()).await?.ok_or(AuthError::PendingSignInGone)
    }

    async fn pending_user(&self, pending: &PendingSignIn) -> AuthResult<User> {
        self.store.user(&pending.user_id).await?.ok_or(AuthError::PendingSignInGone)
    }

    /// Takes one of the pending sign-in's five answers before the answer is
    /// checked: parallel guesses cannot share a slot.
    async fn claim_attempt(&self, pending_token: &str) -> AuthResult<(PendingSignIn, u32)> {
        let pending = self.pending(pending_token).await?;
        let remaining = self
            .store
            .claim_pending_attempt(&pending.id, PENDING_SIGN_IN_MAX_ATTEMPTS, self.now())
            .await?
            .ok_or(AuthError::PendingSignInGone)?;
        Ok((pending, remaining))
    }

    /// A wrong answer, put on the user's timeline; after the last one the
    /// pending sign-in ends.
    async fn wrong_answer(
        &self,
        pending: &PendingSignIn,
        remaining: u32,
        text: &str,
        factor: &'static str,
        client: &ClientInfo,
    ) -> AuthError {
        let detail = json!({"reason": "second_factor_refused", "factor": factor, "attempts_left": remaining});
        let failed = crate::auth::event(&pending.user_id, "sign_in_failed", detail, client, self.now());
        self.accounts.record_best_effort(&failed).await;
        if remaining > 0 {
            return AuthError::CredentialRefused(text.to_owned());
        }
        if let Err(e) = self.store.end_pending_sign_in(&pending.id).await {
            return e.into();
        }
        AuthError::CredentialRefused(format!(
            "{text} Too many wrong answers: this sign-in has ended; start again with your password."
        ))
    }

    /// Ends the pending sign-in and starts the session, once: a second
    /// request racing with the same pending token gets nothing.
    async fn finish(
        &self,
        pending: PendingSignIn,
        user: User,
        method: Method,
        client: &ClientInfo,
    ) -> AuthResult<SignedIn> {
        let amr = amr_with(&pending.amr, &[method]);
        let (token, session) = self.accounts.new_session(&user.id, amr, client);
        let event = crate::auth::event(&user.id, "signed_in", json!({"amr": session.amr}), client, self.now());
        let session = self
            .store
            .complete_pending_sign_in(&pending.id, &session, &event)
            .await?
            .ok_or(AuthError::PendingSignInGone)?;
        // The session exists now; failing to tidy the lockout count must not hide its token.
        if let Err(error) = self.store.clear_sign_in_failures(&user.email).await {
            tracing::warn!(%error, "could not clear sign-in failures");
        }
        Ok(SignedIn { token, session, user })
    }

    /// Codes can be guessed, so each one counts toward the account lockout
    /// as a failed password would, and toward this pending sign-in's five.
    pub async fn sign_in_with_code(
        &self,
        pending_token: &str,
        kind: CodeKind,
        code: &str,
        client: &ClientInfo,
    ) -> AuthResult<SignedIn> {
        let (pending, remaining) = self.claim_attempt(pending_token).await?;
        let user = self.pending_user(&pending).await?;
        if let Err(refused) = self.check_code(&user, kind, code, client).await {
            return Err(match refused {
                AuthError::CredentialRefused(text) => {
                    self.wrong_answer(&pending, remaining, &text, kind.method_name(), client).await
                }
                other => other,
            });
        }
        self.finish(pending, user, Method::OneTimePassword, client).await
    }

    pub async fn sign_in_webauthn_options(&self, pending_token: &str) -> AuthResult<PasskeyOptions> {
        let pending = self.pending(pending_token).await?;
        self.assertion_options(Purpose::SecondFactor, &pending.user_id, &pending.id).await
    }

    pub async fn sign_in_with_passkey(
        &self,
        pending_token: &str,
        challenge_id: &str,
        credential: &PublicKeyCredential,
        client: &ClientInfo,
    ) -> AuthResult<SignedIn> {
        let (pending, remaining) = self.claim_attempt(pending_token).await?;
        let user = self.pending_user(&pending).await?;
        let verified =
            self.verify_assertion(Purpose::SecondFactor, &user.id, &pending.id, challenge_id, credential, client).await;
        let method = match verified {
            Ok(method) => method,
            Err(AuthError::CredentialRefused(text)) => {
                return Err(self.wrong_answer(&pending, remaining, &text, "webauthn", client).await);
            }
            Err(other) => return Err(other),
        };
        self.finish(pending, user, method, client).await
    }

    /// Passwordless: the passkey (with user verification) is the whole
    /// sign-in, and a phishing-resistant one.
    pub async fn sign_in_passwordless(
        &self,
        challenge_id: &str,
        credential: &PublicKeyCredential,
        client: &ClientInfo,
    ) -> AuthResult<SignedIn> {
        let (user_id, method) = self.verify_passwordless(challenge_id, credential, client).await?;
        let user = self.store.user(&user_id).await?.ok_or(AuthError::Unauthenticated)?;
        let amr = amr_with(&[], &[method]);
        let (token, session) = self.accounts.new_session(&user.id, amr, client);
        let session = self.store.create_session(&session).await?;
        let event = crate::auth::event(&user.id, "signed_in", json!({"amr": session.amr}), client, self.now());
        self.accounts.record_best_effort(&event).await;
        Ok(SignedIn { token, session, user })
    }
}
