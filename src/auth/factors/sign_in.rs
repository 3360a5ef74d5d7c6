//! The second step of a password sign-in, and signing in with a passkey
//! alone. A pending token is looked up only here; nothing else accepts it.

use serde_json::json;
use webauthn_rs::prelude::PublicKeyCredential;

use super::Factors;
use super::passkeys::{PasskeyOptions, Purpose};
use crate::auth::accounts::SignedIn;
use crate::auth::{AuthError, AuthResult, ClientInfo};
use crate::domain::factors::{Method, PENDING_SIGN_IN_MAX_FAILURES, amr_with};
use crate::secrets::{TokenKind, hash_token};
use crate::store::{PendingFailure, PendingSignIn, User};

const WRONG_CODE: &str = "That code is not right.";

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

    /// Counts a wrong answer against the pending sign-in; the fifth ends it.
    async fn wrong_answer(&self, pending: &PendingSignIn, text: &str) -> AuthError {
        match self.store.record_pending_failure(&pending.id, PENDING_SIGN_IN_MAX_FAILURES).await {
            Ok(PendingFailure::Counted { .. }) => AuthError::CredentialRefused(text.to_owned()),
            Ok(PendingFailure::Ended) => AuthError::CredentialRefused(format!(
                "{text} Too many wrong answers: this sign-in has ended; start again with your password."
            )),
            Err(e) => e.into(),
        }
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
        self.store.clear_sign_in_failures(&user.email).await?;
        Ok(SignedIn { token, session, user })
    }

    /// Codes can be guessed, so each one counts toward the account lockout
    /// as a failed password would, and toward this pending sign-in's five.
    pub async fn sign_in_with_totp(
        &self,
        pending_token: &str,
        code: &str,
        client: &ClientInfo,
    ) -> AuthResult<SignedIn> {
        let pending = self.pending(pending_token).await?;
        let user = self.pending_user(&pending).await?;
        self.accounts.reserve_attempt(&user.email).await?;
        if !self.verify_totp(&user.id, code).await? {
            return Err(self.wrong_answer(&pending, WRONG_CODE).await);
        }
        self.finish(pending, user, Method::OneTimePassword, client).await
    }

    pub async fn sign_in_with_recovery_code(
        &self,
        pending_token: &str,
        code: &str,
        client: &ClientInfo,
    ) -> AuthResult<SignedIn> {
        let pending = self.pending(pending_token).await?;
        let user = self.pending_user(&pending).await?;
        self.accounts.reserve_attempt(&user.email).await?;
        if !self.spend_recovery_code(&user.id, code, client).await? {
            return Err(self.wrong_answer(&pending, "That recovery code is not right, or was already used.").await);
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
        let pending = self.pending(pending_token).await?;
        let user = self.pending_user(&pending).await?;
        let verified =
            self.verify_assertion(Purpose::SecondFactor, &user.id, &pending.id, challenge_id, credential, client).await;
        let method = match verified {
            Ok(method) => method,
            Err(AuthError::CredentialRefused(text)) => return Err(self.wrong_answer(&pending, &text).await),
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
        self.store.record_event(&event).await?;
        Ok(SignedIn { token, session, user })
    }
}
