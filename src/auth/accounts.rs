//! Sign-up, sign-in, sessions and password changes.

use std::net::IpAddr;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use super::{AuthError, AuthResult, PasswordHasher, new_id};
use crate::clock::Clock;
use crate::domain::factors::{Enrolled, Method, PENDING_SIGN_IN_LIFETIME, amr_with, recently_authenticated};
use crate::domain::lockout;
use crate::domain::password::{self, PasswordError};
use crate::domain::session::{self, SessionLimits};
use crate::domain::{Email, NewPassword};
use crate::secrets::{IssuedToken, TokenKind, hash_token, issue_token};
use crate::store::{AttemptReservation, NewPendingSignIn, NewSession, NewUser, Session, Store, User};

/// Where a request came from, recorded on sessions (and later on evidence).
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// User agents are attacker-controlled; keep what identifies a browser and drop the rest.
const MAX_USER_AGENT: usize = 512;

impl ClientInfo {
    pub(crate) fn bounded_user_agent(&self) -> Option<String> {
        self.user_agent.as_ref().map(|ua| ua.chars().take(MAX_USER_AGENT).collect())
    }
}

/// A successful sign-in: the token is shown to the caller once.
#[derive(Debug)]
pub struct SignedIn {
    pub token: IssuedToken,
    pub session: Session,
    pub user: User,
}

/// Where a correct password leads: straight to a session, or to a second
/// factor when the user has one.
#[derive(Debug)]
pub enum SignInOutcome {
    Authenticated(Box<SignedIn>),
    SecondFactorRequired(PendingChallenge),
}

/// A pending sign-in: the token leads only to the second-factor endpoints.
#[derive(Debug)]
pub struct PendingChallenge {
    pub token: IssuedToken,
    pub methods: Vec<&'static str>,
    pub expires_at: OffsetDateTime,
}

/// The authenticated caller behind a session token.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub session: Session,
    pub user: User,
}

#[derive(Clone)]
pub struct Accounts {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    passwords: PasswordHasher,
    limits: SessionLimits,
    /// Failed sign-ins being written in the background, at most this many at once.
    failure_writes: Arc<tokio::sync::Semaphore>,
}

/// Concurrent background writes of failed sign-ins.
const MAX_PENDING_FAILURE_WRITES: usize = 16;

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts").field("limits", &self.limits).finish_non_exhaustive()
    }
}

fn weak(field: &'static str) -> impl FnOnce(PasswordError) -> AuthError {
    move |source| AuthError::WeakPassword { field, source }
}

impl Accounts {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, passwords: PasswordHasher, limits: SessionLimits) -> Self {
        let failure_writes = Arc::new(tokio::sync::Semaphore::new(MAX_PENDING_FAILURE_WRITES));
        Self { store, clock, passwords, limits, failure_writes }
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Creates an account. The password is hashed before the email is checked
    /// for uniqueness, so a taken address answers in the same time.
    pub async fn sign_up(&self, email: &str, password: SecretString, name: Option<String>) -> AuthResult<User> {
        let email = Email::parse(email).map_err(|e| AuthError::Invalid { field: "email", problem: e.to_string() })?;
        let password = NewPassword::parse(password).map_err(weak("password"))?;
        let name = clean_name(name)?;
        let password_hash = self.passwords.hash(&password).await?;
        let user = NewUser { id: new_id(), email: email.as_str().to_owned(), name, password_hash, now: self.now() };
        match self.store.create_user(&user).await {
            Ok(user) => Ok(user),
            Err(crate::store::StoreError::Conflict(_)) => Err(AuthError::EmailTaken),
            Err(e) => Err(e.into()),
        }
    }

    /// Email + password sign-in. Every way of failing — unknown email, wrong
    /// password, malformed email — costs one argon2 verification and answers
    /// `InvalidCredentials`; a locked account answers before any hashing,
    /// whether or not it exists.
    ///
    /// With a second factor enrolled, a right password only earns a pending
    /// sign-in, and the attempt stays counted toward the lockout until the
    /// second factor is given too: otherwise signing in again with the
    /// password would reset the count and allow unlimited code guessing.
    pub async fn sign_in(&self, email: &str, password: SecretString, client: &ClientInfo) -> AuthResult<SignInOutcome> {
        password::check_offered(&password).map_err(weak("password"))?;
        let Ok(email) = Email::parse(email) else {
            self.passwords.verify(&password, None).await?;
            return Err(AuthError::InvalidCredentials);
        };
        let reserved = self.reserve_attempt(email.as_str()).await;
        let account = self.store.user_credentials_by_email(email.as_str()).await?;
        if let Err(refused) = reserved {
            if let Some(account) = &account {
                self.record_failure_detached(&account.user.id, "account_locked", client);
            }
            return Err(refused);
        }
        let verified = self.passwords.verify(&password, account.as_ref().map(|a| a.password_hash.as_str())).await?;
        let Some(account) = account else { return Err(AuthError::InvalidCredentials) };
        if !verified {
            self.record_failure_detached(&account.user.id, "wrong_password", client);
            return Err(AuthError::InvalidCredentials);
        }
        let enrolled = self.store.enrolled_factors(&account.user.id).await?;
        let amr = amr_with(&[], &[Method::Password]);
        if enrolled.has_second_factor() {
            return self.begin_pending(&account.user, amr, enrolled).await.map(SignInOutcome::SecondFactorRequired);
        }
        self.store.clear_sign_in_failures(email.as_str()).await?;
        self.start_session(account.user, amr, client).await.map(|s| SignInOutcome::Authenticated(Box::new(s)))
    }

    async fn begin_pending(&self, user: &User, amr: Vec<String>, enrolled: Enrolled) -> AuthResult<PendingChallenge> {
        let now = self.now();
        let token = issue_token(TokenKind::PendingSignIn);
        let expires_at = now + PENDING_SIGN_IN_LIFETIME;
        self.store
            .create_pending_sign_in(&NewPendingSignIn {
                id: new_id(),
                user_id: user.id.clone(),
                token_hash: token.hash.clone(),
                amr,
                now,
                expires_at,
            })
            .await?;
        Ok(PendingChallenge { token, methods: enrolled.methods(), expires_at })
    }

    /// A session about to start: the token for the caller and the row to store.
    pub(crate) fn new_session(
        &self,
        user_id: &str,
        amr: Vec<String>,
        client: &ClientInfo,
    ) -> (IssuedToken, NewSession) {
        let now = self.now();
        let token = issue_token(TokenKind::Session);
        let session = NewSession {
            id: new_id(),
            user_id: user_id.to_owned(),
            token_hash: token.hash.clone(),
            now,
            expires_at: now + self.limits.absolute,
            amr,
            ip: client.ip.map(|ip| ip.to_string()),
            user_agent: client.bounded_user_agent(),
        };
        (token, session)
    }

    /// Counts a password (or code) check against the account before it
    /// happens; refuses when the account is locked.
    pub(crate) async fn reserve_attempt(&self, email: &str) -> AuthResult<()> {
        let now = self.now();
        match self.store.reserve_sign_in_attempt(email, lockout::MAX_FAILURES, &new_id(), now).await? {
            AttemptReservation::Reserved => Ok(()),
            AttemptReservation::Locked { until } => {
                Err(AuthError::AccountLocked { retry_after_secs: seconds_until(until, now) })
            }
        }
    }

    async fn start_session(&self, user: User, amr: Vec<String>, client: &ClientInfo) -> AuthResult<SignedIn> {
        let (token, session) = self.new_session(&user.id, amr, client);
        let session = self.store.create_session(&session).await?;
        let signed_in =
            super::event(&user.id, "signed_in", serde_json::json!({"amr": session.amr}), client, self.now());
        self.record_best_effort(&signed_in).await;
        Ok(SignedIn { token, session, user })
    }

    /// Resolves a bearer session token to its live session and user.
    pub async fn authenticate(&self, token: &str) -> AuthResult<Authenticated> {
        if !token.starts_with(TokenKind::Session.prefix()) {
            return Err(AuthError::Unauthenticated);
        }
        let session = self.store.session_by_token_hash(&hash_token(token)).await?.ok_or(AuthError::Unauthenticated)?;
        let now = self.now();
        if session.revoked_at.is_some() || !self.is_live(&session, now) {
            return Err(AuthError::Unauthenticated);
        }
        let user = self.store.user(&session.user_id).await?.ok_or(AuthError::Unauthenticated)?;
        if session::needs_touch(session.last_seen_at, now) {
            self.store.touch_session(&session.id, now).await?;
        }
        Ok(Authenticated { session, user })
    }

    /// One rule on every path: within the limits in force now, and never past
    /// the absolute end recorded when the session began.
    fn is_live(&self, session: &Session, now: OffsetDateTime) -> bool {
        now < self.session_expires_at(session)
    }

    /// When this session stops being accepted if it is not used again.
    pub fn session_expires_at(&self, session: &Session) -> OffsetDateTime {
        session::expires_at(self.limits, session.created_at, session.last_seen_at).min(session.expires_at)
    }

    pub async fn sign_out(&self, caller: &Authenticated) -> AuthResult<()> {
        self.store.revoke_session(&caller.user.id, &caller.session.id, self.now()).await?;
        Ok(())
    }

    pub async fn sessions(&self, caller: &Authenticated) -> AuthResult<Vec<Session>> {
        let now = self.now();
        let sessions = self.store.sessions_of_user(&caller.user.id, now).await?;
        Ok(sessions.into_iter().filter(|s| self.is_live(s, now)).collect())
    }

    pub async fn revoke_session(&self, caller: &Authenticated, session_id: &str) -> AuthResult<()> {
        if self.store.revoke_session(&caller.user.id, session_id, self.now()).await? {
            Ok(())
        } else {
            Err(AuthError::NotFound)
        }
    }

    /// Changes the password after checking the current one; every other
    /// session of the user ends, this one stays. A wrong current password
    /// counts toward the account lockout like a failed sign-in, so a stolen
    /// session cannot be used to guess the password.
    pub async fn change_password(
        &self,
        caller: &Authenticated,
        current: SecretString,
        new: SecretString,
        client: &ClientInfo,
    ) -> AuthResult<()> {
        password::check_offered(&current).map_err(weak("current_password"))?;
        let new = NewPassword::parse(new).map_err(weak("new_password"))?;
        // The current password is proof enough for an account with nothing
        // else; with a second factor, that factor must have been shown lately.
        if self.store.enrolled_factors(&caller.user.id).await?.has_second_factor()
            && !recently_authenticated(caller.session.auth_time, self.now())
        {
            return Err(AuthError::ReauthenticationRequired);
        }
        self.verify_password(&caller.user, current).await?;
        self.set_password(&caller.user.id, &new, Some(&caller.session.id), "password_changed", client).await
    }

    /// Moves the account to another address. Needs a recent sign-in or
    /// step-up, since whoever controls the address can reset the password.
    /// The new address is unverified until its link is followed; the old one
    /// is told.
    pub async fn change_email(&self, caller: &Authenticated, new_email: &str, client: &ClientInfo) -> AuthResult<User> {
        let email =
            Email::parse(new_email).map_err(|e| AuthError::Invalid { field: "email", problem: e.to_string() })?;
        if !crate::domain::factors::recently_authenticated(caller.session.auth_time, self.now()) {
            return Err(AuthError::ReauthenticationRequired);
        }
        if email.as_str() == caller.user.email {
            return Err(AuthError::Conflict("This is already your email address.".into()));
        }
        let detail = serde_json::json!({"old_email": caller.user.email, "new_email": email.as_str()});
        let changed = super::event(&caller.user.id, "email_changed", detail, client, self.now());
        let since = self.now() - time::Duration::hours(1);
        let limit = crate::domain::mail::REQUESTED_MAIL_PER_HOUR;
        match self.store.change_email(&caller.user.id, &caller.user.email, email.as_str(), &changed, limit, since).await
        {
            Ok(true) => {}
            Ok(false) => return Err(AuthError::RateLimited { retry_after_secs: 3600 }),
            Err(crate::store::StoreError::Conflict(_)) => return Err(AuthError::EmailTaken),
            Err(e) => return Err(e.into()),
        }
        self.store.user(&caller.user.id).await?.ok_or(AuthError::Unauthenticated)
    }

    /// The argon2id hash of a new password, computed off the async runtime.
    pub(crate) async fn hash_password(&self, new: &NewPassword) -> AuthResult<String> {
        self.passwords.hash(new).await
    }

    /// Stores a new password and ends every session but `keep`, with the
    /// event (and the notice it sends) in the same transaction.
    pub(crate) async fn set_password(
        &self,
        user_id: &str,
        new: &NewPassword,
        keep: Option<&str>,
        event_kind: &'static str,
        client: &ClientInfo,
    ) -> AuthResult<()> {
        let hash = self.passwords.hash(new).await?;
        self.store_password(user_id, &hash, keep, event_kind, client).await
    }

    /// Stores an already hashed password; see `set_password`.
    pub(crate) async fn store_password(
        &self,
        user_id: &str,
        hash: &str,
        keep: Option<&str>,
        event_kind: &'static str,
        client: &ClientInfo,
    ) -> AuthResult<()> {
        let changed = super::event(user_id, event_kind, serde_json::json!({}), client, self.now());
        self.store.change_password(user_id, hash, keep, &changed).await?;
        Ok(())
    }
}

impl Accounts {
    /// Puts a failed sign-in on the user's timeline without waiting for the
    /// write: an answer that took longer for known addresses would tell
    /// an attacker which addresses have accounts.
    fn record_failure_detached(&self, user_id: &str, reason: &'static str, client: &ClientInfo) {
        let event = super::event(user_id, "sign_in_failed", serde_json::json!({"reason": reason}), client, self.now());
        // Bounded: a flood of guesses must not become a flood of writes.
        let Ok(permit) = self.failure_writes.clone().try_acquire_owned() else {
            tracing::warn!(user_id, reason, "too many failed sign-ins being recorded; this one is only logged");
            return;
        };
        let store = self.store.clone();
        tokio::spawn(async move {
            if let Err(error) = store.record_event(&event).await {
                tracing::warn!(%error, "could not record a failed sign-in");
            }
            drop(permit);
        });
    }

    /// Records an event after the fact (see `auth::record_best_effort`).
    pub(crate) async fn record_best_effort(&self, event: &crate::store::NewEvent) {
        super::record_best_effort(self.store.as_ref(), event).await;
    }

    /// Checks a signed-in user's password, counted toward the lockout like a
    /// sign-in, so a stolen session cannot be used to guess it.
    pub(crate) async fn verify_password(&self, user: &User, password: SecretString) -> AuthResult<()> {
        password::check_offered(&password).map_err(weak("password"))?;
        self.reserve_attempt(&user.email).await?;
        let account = self.store.user_credentials(&user.id).await?.ok_or(AuthError::Unauthenticated)?;
        if !self.passwords.verify(&password, Some(&account.password_hash)).await? {
            return Err(AuthError::InvalidCredentials);
        }
        self.store.clear_sign_in_failures(&user.email).await?;
        Ok(())
    }
}

/// Display names are optional, trimmed, and bounded.
fn clean_name(name: Option<String>) -> AuthResult<Option<String>> {
    let Some(name) = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(AuthError::Invalid {
            field: "name",
            problem: "must be at most 200 characters, without control characters".into(),
        });
    }
    Ok(Some(name))
}

/// A session token, exposed only to be sent to its owner.
pub fn reveal(token: &IssuedToken) -> &str {
    token.secret.expose_secret()
}

/// How long until `until`, rounded up to whole seconds, at least one.
pub fn seconds_until(until: OffsetDateTime, now: OffsetDateTime) -> u64 {
    let remaining = until - now;
    let secs = remaining.whole_seconds() + i64::from(remaining.subsec_nanoseconds() > 0);
    u64::try_from(secs.max(1)).unwrap_or(1)
}
