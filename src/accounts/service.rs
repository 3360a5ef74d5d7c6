//! Sign-up, sign-in, sessions and password and address changes.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use time::OffsetDateTime;

use super::attempts::{Judged, step_up_counter};
use super::{AccountError, AccountResult, CodeRefusal, PasswordHasher};
use crate::clock::Clock;
use crate::config::SignupMode;
use crate::domain::account::{Authenticated, Session, User};
use crate::domain::codes::ActivationCode;
use crate::domain::event::{ClientInfo, EventKind, NewEvent};
use crate::domain::factors::{
    Enrolled, Method, PENDING_SIGN_IN_LIFETIME, amr_with, recently_authenticated, strong_enough_to_weaken,
};
use crate::domain::ids::{SessionId, UserId, new_id};
use crate::domain::mail::{MailKind, REQUESTED_MAIL_PER_HOUR};
use crate::domain::password::{self, PasswordError};
use crate::domain::reason::Rule;
use crate::domain::session::{self, SessionLimits};
use crate::domain::{Email, NewPassword};
use crate::metrics::{Metrics, SignInOutcome as Counted};
use crate::secrets::{IssuedToken, TokenKind, hash_token, issue_token};
use crate::store::{Duplicate, NewMail, NewPendingSignIn, NewSession, NewUser, Redemption, Store, StoreError};

/// A successful sign-in: the token is shown to the caller once.
#[derive(Debug)]
pub struct SignedIn {
    /// The session token, for the caller alone.
    pub token: IssuedToken,
    /// The session it opens.
    pub session: Session,
    /// Whose.
    pub user: User,
    /// A device token, when the device signed in without a known one: kept
    /// and sent with later sign-ins, it keeps strangers' failures from
    /// locking this device out.
    pub device_token: Option<IssuedToken>,
}

/// Whether a sign-up made an account: known inside, never told outside.
enum Created {
    New,
    AlreadyThere,
}

/// Where a correct password leads: straight to a session, or to a second
/// factor when the user has one.
#[derive(Debug)]
pub enum SignInOutcome {
    /// A session began.
    Authenticated(Box<SignedIn>),
    /// A second factor is owed first.
    SecondFactorRequired(PendingChallenge),
}

/// A pending sign-in: the token leads only to the second-factor endpoints.
#[derive(Debug)]
pub struct PendingChallenge {
    /// The pending token, for the caller alone.
    pub token: IssuedToken,
    /// How the user can answer (`totp`, `webauthn`, `recovery_code`).
    pub methods: Vec<&'static str>,
    /// When it lapses.
    pub expires_at: OffsetDateTime,
}

/// Everything `Accounts` is built from.
pub struct AccountsConfig {
    /// Where accounts live.
    pub store: Arc<dyn Store>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// argon2id, off the async runtime.
    pub passwords: PasswordHasher,
    /// How long sessions last.
    pub limits: SessionLimits,
    /// Whether anyone may sign up.
    pub signup: SignupMode,
    /// Sign-in and sign-up counters.
    pub metrics: Arc<Metrics>,
}

/// Accounts and sessions.
#[derive(Clone)]
pub struct Accounts {
    pub(super) store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    pub(super) passwords: PasswordHasher,
    limits: SessionLimits,
    signup: SignupMode,
    metrics: Arc<Metrics>,
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

fn weak(field: &'static str) -> impl FnOnce(PasswordError) -> AccountError {
    move |problem| AccountError::invalid(field, Rule::Password(problem))
}

/// How a sign-in result counts.
pub(crate) fn counted<T>(result: &AccountResult<T>) -> Counted {
    match result {
        Ok(_) => Counted::Success,
        Err(AccountError::InvalidCredentials) => Counted::InvalidCredentials,
        Err(AccountError::AccountLocked { .. } | AccountError::RateLimited { .. }) => Counted::Locked,
        Err(AccountError::Busy) => Counted::Shed,
        Err(_) => Counted::Error,
    }
}

impl Accounts {
    /// The service, from its parts.
    pub fn new(config: AccountsConfig) -> Self {
        let AccountsConfig { store, clock, passwords, limits, signup, metrics } = config;
        let failure_writes = Arc::new(tokio::sync::Semaphore::new(MAX_PENDING_FAILURE_WRITES));
        Self { store, clock, passwords, limits, signup, metrics, failure_writes }
    }

    pub(super) fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Creates an account, and answers the same whether or not the address
    /// already has one: the answer is the normalised address, "check your
    /// mail". A free address gets the account and its verification link; a
    /// taken one gets a note to its owner instead (a few an hour at most).
    /// The password is hashed either way, so the time says nothing either.
    ///
    /// With an activation code the account is made holding its license, in
    /// one transaction (no account without the license, no license spent
    /// without the account); where sign-up is `activation_code_only`, that
    /// is the only way in. A code is judged before the address is, so its
    /// answers say nothing about accounts.
    #[tracing::instrument(skip_all)]
    pub async fn sign_up(
        &self,
        email: &str,
        password: SecretString,
        name: Option<String>,
        activation_code: Option<&str>,
    ) -> AccountResult<Email> {
        let result = self.create_account(email, password, name, activation_code).await;
        self.metrics.sign_up(matches!(result, Ok((_, Created::New))));
        result.map(|(email, _)| email)
    }

    async fn create_account(
        &self,
        email: &str,
        password: SecretString,
        name: Option<String>,
        activation_code: Option<&str>,
    ) -> AccountResult<(Email, Created)> {
        let email = Email::parse(email).map_err(|e| AccountError::invalid("email", Rule::Email(e)))?;
        let password = NewPassword::parse(password).map_err(weak("password"))?;
        let name = clean_name(name)?;
        let code_hash = match activation_code {
            Some(typed) => self.redeemable_code(typed, &email).await?,
            None if self.signup == SignupMode::ActivationCodeOnly => {
                return Err(AccountError::invalid("activation_code", Rule::Required));
            }
            None => None,
        };
        let password_hash = self.passwords.hash(&password).await?;
        let user =
            NewUser { id: UserId::new(), email: email.as_str().to_owned(), name, password_hash, now: self.now() };
        let created = match &code_hash {
            None => self.store.create_user(&user).await.map(|_| None),
            Some(code_hash) => self.store.create_user_holding(&user, code_hash).await.map(Some),
        };
        match created {
            Ok(None | Some(Redemption::Redeemed(_))) => Ok((email, Created::New)),
            Ok(Some(Redemption::UsedUp)) => Err(AccountError::CodeRefused(CodeRefusal::UsedUp)),
            Ok(Some(_)) => Err(AccountError::CodeRefused(CodeRefusal::Unknown)),
            Err(StoreError::Duplicate(Duplicate::Email)) => {
                self.tell_owner_address_in_use(email.as_str()).await?;
                Ok((email, Created::AlreadyThere))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// What a code given at sign-up does for a new account with `email`:
    /// the hash to redeem with it (its uses are counted when it is spent),
    /// or `None` when it only lets the account in. A code reserved for this
    /// address is redeemed only by an account that proved it receives mail
    /// there, which a new one has not yet: it admits the account, and is
    /// redeemed after the link is followed. For another address it looks
    /// unknown, as when redeeming.
    async fn redeemable_code(&self, typed: &str, email: &Email) -> AccountResult<Option<String>> {
        let code = ActivationCode::parse(typed)
            .map_err(|e| AccountError::invalid("activation_code", Rule::ActivationCode(e)))?;
        let hash = code.hash();
        let Some(license) = self.store.license_by_code_hash(&hash).await? else {
            return Err(AccountError::CodeRefused(CodeRefusal::Unknown));
        };
        match license.owner_email {
            Some(owner) if owner == email.as_str() => Ok(None),
            Some(_) => Err(AccountError::CodeRefused(CodeRefusal::Unknown)),
            None => Ok(Some(hash)),
        }
    }

    /// Mails the owner of `email`, if it has one, that someone tried to use
    /// it; at most a few an hour, so this cannot be turned into a mail bomb.
    async fn tell_owner_address_in_use(&self, email: &str) -> AccountResult<()> {
        match self.store.user_credentials_by_email(email).await? {
            Some(owner) => self.notify_address_in_use(owner.user.id).await,
            None => Ok(()),
        }
    }

    /// Queues the "someone tried to use your address" note to `owner`.
    async fn notify_address_in_use(&self, owner: UserId) -> AccountResult<()> {
        let now = self.now();
        let notice = NewMail {
            id: new_id(),
            kind: MailKind::AddressInUse,
            user_id: owner,
            recipient: None,
            detail: json!({}),
            at: now,
        };
        let queued =
            self.store.enqueue_requested_mail(&notice, REQUESTED_MAIL_PER_HOUR, now - time::Duration::hours(1)).await?;
        if !queued {
            tracing::info!("address-in-use notice not mailed: hourly limit reached");
        }
        Ok(())
    }

    /// Email + password sign-in. Every way of failing — unknown email, wrong
    /// password, malformed email — costs one argon2 verification and answers
    /// `InvalidCredentials`; a refused attempt answers before any hashing,
    /// whether or not the account exists.
    ///
    /// Failures count against the device when it brought the account's
    /// device token, else against the address and the client (see
    /// `domain::lockout`). With a second factor enrolled, a right password
    /// only earns a pending sign-in, and the attempt stays counted until the
    /// second factor is given too: otherwise signing in again with the
    /// password would reset the count and allow unlimited code guessing.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in(
        &self,
        email: &str,
        password: SecretString,
        device_token: Option<&str>,
        client: &ClientInfo,
    ) -> AccountResult<SignInOutcome> {
        let result = self.check_password_sign_in(email, password, device_token, client).await;
        self.metrics.sign_in(counted(&result));
        result
    }

    async fn check_password_sign_in(
        &self,
        email: &str,
        password: SecretString,
        device_token: Option<&str>,
        client: &ClientInfo,
    ) -> AccountResult<SignInOutcome> {
        password::check_offered(&password).map_err(weak("password"))?;
        // First a place in the hashing pool: when there is none, the
        // sign-in is shed here, before it costs a read or a write, and
        // without counting as an attempt against anyone.
        let place = self.passwords.take_place().await?;
        let Ok(email) = Email::parse(email) else {
            self.passwords.verify_in(place, &password, None).await?;
            return Err(AccountError::InvalidCredentials);
        };
        let account = self.store.user_credentials_by_email(email.as_str()).await?;
        let judged = self.judge(email.as_str(), account.as_ref().map(|a| &a.user.id), device_token, client).await?;
        let reserved = match self.reserve(&judged.counters()).await {
            Ok(reserved) => reserved,
            Err(refused) => {
                if let Some(account) = &account {
                    self.record_failure_detached(&account.user.id, "account_locked", client);
                }
                return Err(refused);
            }
        };
        let stored = account.as_ref().map(|a| a.password_hash.as_str());
        let verified = self.passwords.verify_in(place, &password, stored).await?;
        let Some(account) = account else { return Err(AccountError::InvalidCredentials) };
        if !verified {
            self.record_failure_detached(&account.user.id, "wrong_password", client);
            return Err(AccountError::InvalidCredentials);
        }
        self.answered_right(&reserved).await;
        let enrolled = self.store.enrolled_factors(&account.user.id).await?;
        let amr = amr_with(&[], &[Method::Password]);
        if enrolled.has_second_factor() {
            return self
                .begin_pending(&account.user, amr, enrolled, &judged)
                .await
                .map(SignInOutcome::SecondFactorRequired);
        }
        self.forget_failures(&judged.owner_counter()).await;
        let device_token = self.welcome_device(&account.user.id, &judged).await?;
        let mut signed_in = self.start_session(account.user, amr, client).await?;
        signed_in.device_token = device_token;
        Ok(SignInOutcome::Authenticated(Box::new(signed_in)))
    }

    async fn begin_pending(
        &self,
        user: &User,
        amr: Vec<String>,
        enrolled: Enrolled,
        judged: &Judged,
    ) -> AccountResult<PendingChallenge> {
        let now = self.now();
        let token = issue_token(TokenKind::PendingSignIn);
        let expires_at = now + PENDING_SIGN_IN_LIFETIME;
        self.store
            .create_pending_sign_in(&NewPendingSignIn {
                id: new_id(),
                user_id: user.id.clone(),
                token_hash: token.hash.clone(),
                amr,
                device_hash: judged.device_hash().map(str::to_owned),
                now,
                expires_at,
            })
            .await?;
        Ok(PendingChallenge { token, methods: enrolled.methods(), expires_at })
    }

    /// A session about to start: the token for the caller and the row to store.
    pub(crate) fn new_session(
        &self,
        user_id: &UserId,
        amr: Vec<String>,
        client: &ClientInfo,
    ) -> (IssuedToken, NewSession) {
        let now = self.now();
        let token = issue_token(TokenKind::Session);
        let session = NewSession {
            id: SessionId::new(),
            user_id: user_id.clone(),
            token_hash: token.hash.clone(),
            now,
            expires_at: now + self.limits.absolute,
            amr,
            ip: client.ip_text(),
            user_agent: client.bounded_user_agent(),
        };
        (token, session)
    }

    /// Starts a session for a user who has proved who they are, and puts it on their timeline.
    pub(crate) async fn start_session(
        &self,
        user: User,
        amr: Vec<String>,
        client: &ClientInfo,
    ) -> AccountResult<SignedIn> {
        let (token, session) = self.new_session(&user.id, amr, client);
        let session = self.store.create_session(&session).await?;
        let signed_in = NewEvent::new(&user.id, EventKind::SignedIn, json!({"amr": session.amr}), client, self.now());
        self.record_best_effort(&signed_in).await;
        Ok(SignedIn { token, session, user, device_token: None })
    }

    /// Resolves a bearer session token to its live session and user.
    #[tracing::instrument(skip_all)]
    pub async fn authenticate(&self, token: &str) -> AccountResult<Authenticated> {
        if !token.starts_with(TokenKind::Session.prefix()) {
            return Err(AccountError::Unauthenticated);
        }
        let session =
            self.store.session_by_token_hash(&hash_token(token)).await?.ok_or(AccountError::Unauthenticated)?;
        let now = self.now();
        if session.revoked_at.is_some() || !self.is_live(&session, now) {
            return Err(AccountError::Unauthenticated);
        }
        let user = self.store.user(&session.user_id).await?.ok_or(AccountError::Unauthenticated)?;
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

    /// Ends the caller's session.
    #[tracing::instrument(skip_all)]
    pub async fn sign_out(&self, caller: &Authenticated) -> AccountResult<()> {
        self.store.revoke_session(&caller.user.id, &caller.session.id, self.now()).await?;
        Ok(())
    }

    /// The caller's live sessions, newest first.
    #[tracing::instrument(skip_all)]
    pub async fn sessions(&self, caller: &Authenticated) -> AccountResult<Vec<Session>> {
        let now = self.now();
        let sessions = self.store.sessions_of_user(&caller.user.id, now).await?;
        Ok(sessions.into_iter().filter(|s| self.is_live(s, now)).collect())
    }

    /// Ends one of the caller's sessions.
    #[tracing::instrument(skip_all)]
    pub async fn revoke_session(&self, caller: &Authenticated, session_id: &SessionId) -> AccountResult<()> {
        if self.store.revoke_session(&caller.user.id, session_id, self.now()).await? {
            Ok(())
        } else {
            Err(AccountError::NotFound)
        }
    }

    /// Changes the password after checking the current one; every other
    /// session of the user ends, this one stays. A wrong current password
    /// counts toward the account lockout like a failed sign-in, so a stolen
    /// session cannot be used to guess the password.
    #[tracing::instrument(skip_all)]
    pub async fn change_password(
        &self,
        caller: &Authenticated,
        current: SecretString,
        new: SecretString,
        client: &ClientInfo,
    ) -> AccountResult<()> {
        password::check_offered(&current).map_err(weak("current_password"))?;
        let new = NewPassword::parse(new).map_err(weak("new_password"))?;
        // The current password is proof enough for an account with nothing
        // else; with a second factor, that factor must have been shown lately.
        if self.store.enrolled_factors(&caller.user.id).await?.has_second_factor()
            && !recently_authenticated(caller.session.auth_time, self.now())
        {
            return Err(AccountError::ReauthenticationRequired);
        }
        self.verify_password(caller, current).await?;
        let hash = self.passwords.hash(&new).await?;
        self.store_password(&caller.user.id, &hash, Some(&caller.session.id), EventKind::PasswordChanged, client).await
    }

    /// Asks to move the account to another address. Needs a recent sign-in
    /// or step-up, since whoever controls the address can reset the
    /// password. The address changes only when the link mailed to the new
    /// one is followed (`EmailFlows::verify`), and the answer is the same
    /// whether or not another account has the new address: its owner is
    /// told instead, and nobody learns who has an account.
    #[tracing::instrument(skip_all)]
    pub async fn change_email(&self, caller: &Authenticated, new_email: &str) -> AccountResult<Email> {
        let email = Email::parse(new_email).map_err(|e| AccountError::invalid("email", Rule::Email(e)))?;
        if !recently_authenticated(caller.session.auth_time, self.now()) {
            return Err(AccountError::ReauthenticationRequired);
        }
        // Whoever controls the address can reset the password: moving it
        // weakens the account as much as removing a factor does.
        let enrolled = self.store.enrolled_factors(&caller.user.id).await?;
        strong_enough_to_weaken(enrolled, caller.session.proof_acr).map_err(AccountError::StrongerProofRequired)?;
        if email.as_str() == caller.user.email {
            return Err(AccountError::SameEmail);
        }
        if let Some(owner) = self.store.user_credentials_by_email(email.as_str()).await? {
            self.notify_address_in_use(owner.user.id).await?;
            return Ok(email);
        }
        let now = self.now();
        let since = now - time::Duration::hours(1);
        if !self
            .store
            .request_email_change(&caller.user.id, email.as_str(), REQUESTED_MAIL_PER_HOUR, since, now)
            .await?
        {
            return Err(AccountError::RateLimited { retry_after_secs: 3600 });
        }
        Ok(email)
    }

    /// The argon2id hash of a new password, computed off the async runtime.
    pub(crate) async fn hash_password(&self, new: &NewPassword) -> AccountResult<String> {
        self.passwords.hash(new).await
    }

    /// Stores an already hashed password and ends every session but `keep`,
    /// with the event (and the notice it sends) in the same transaction.
    pub(crate) async fn store_password(
        &self,
        user_id: &UserId,
        hash: &str,
        keep: Option<&SessionId>,
        kind: EventKind,
        client: &ClientInfo,
    ) -> AccountResult<()> {
        let changed = NewEvent::new(user_id, kind, json!({}), client, self.now());
        self.store.change_password(user_id, hash, keep, &changed).await?;
        Ok(())
    }

    /// Puts a failed sign-in on the user's timeline without waiting for the
    /// write: an answer that took longer for known addresses would tell
    /// an attacker which addresses have accounts.
    fn record_failure_detached(&self, user_id: &UserId, reason: &'static str, client: &ClientInfo) {
        let event = NewEvent::new(user_id, EventKind::SignInFailed, json!({"reason": reason}), client, self.now());
        // Bounded: a flood of guesses must not become a flood of writes.
        let Ok(permit) = self.failure_writes.clone().try_acquire_owned() else {
            tracing::warn!(%user_id, reason, "too many failed sign-ins being recorded; this one is only logged");
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

    /// Records an event after the fact (see `store::record_best_effort`).
    pub(crate) async fn record_best_effort(&self, event: &NewEvent) {
        crate::store::record_best_effort(self.store.as_ref(), event).await;
    }

    /// Checks a signed-in user's password, counted against the session
    /// (see `step_up_counter`), so a stolen session cannot be used to guess
    /// it quickly, nor to lock the owner's sign-in.
    pub(crate) async fn verify_password(&self, caller: &Authenticated, password: SecretString) -> AccountResult<()> {
        password::check_offered(&password).map_err(weak("password"))?;
        let place = self.passwords.take_place().await?;
        let counter = step_up_counter(caller);
        self.reserve(std::slice::from_ref(&counter)).await?;
        let account = self.store.user_credentials(&caller.user.id).await?.ok_or(AccountError::Unauthenticated)?;
        if !self.passwords.verify_in(place, &password, Some(&account.password_hash)).await? {
            return Err(AccountError::WrongCurrentPassword);
        }
        self.forget_failures(&counter).await;
        Ok(())
    }
}

/// Display names are optional, trimmed, and bounded.
fn clean_name(name: Option<String>) -> AccountResult<Option<String>> {
    let Some(name) = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(AccountError::invalid("name", Rule::Text { max_chars: 200 }));
    }
    Ok(Some(name))
}

/// A freshly issued token, exposed only to be sent to its owner.
pub fn reveal(token: &IssuedToken) -> &str {
    token.secret.expose_secret()
}
