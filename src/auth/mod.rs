//! Service logic for who the caller is: accounts, passwords, sessions and
//! API keys. Uses `domain` rules and the `Store`; knows nothing of HTTP.

pub mod accounts;
pub mod api_keys;
pub mod email;
pub mod factors;
pub mod password;

use time::OffsetDateTime;

use crate::domain::factors::Shortfall;
use crate::domain::password::PasswordError;
use crate::store::{NewEvent, StoreError};

pub use accounts::{Accounts, ClientInfo, SignInOutcome, SignedIn};
pub use email::EmailFlows;
pub use factors::Factors;
pub use password::PasswordHasher;

/// Failures of the auth layer; the HTTP edge maps each to a stable code.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Wrong email or wrong password; deliberately never says which.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many recent failures; retry after this many seconds.
    #[error("account locked for {retry_after_secs} s")]
    AccountLocked { retry_after_secs: u64 },
    #[error("email already registered")]
    EmailTaken,
    #[error("{field} {problem}")]
    Invalid { field: &'static str, problem: String },
    #[error("{field} {source}")]
    WeakPassword { field: &'static str, source: PasswordError },
    /// No credential, or one that is unknown, expired or revoked.
    #[error("not authenticated")]
    Unauthenticated,
    #[error("not found")]
    NotFound,
    /// A pending sign-in that is unknown, used, ended or expired.
    #[error("the sign-in has expired or ended")]
    PendingSignInGone,
    /// A second factor or passkey answer was refused; the text says why.
    #[error("{0}")]
    CredentialRefused(String),
    /// The session is not strong enough, or the user lacks a factor.
    #[error(transparent)]
    Shortfall(#[from] Shortfall),
    /// A sensitive action needs a fresh proof of identity.
    #[error("recent authentication required")]
    ReauthenticationRequired,
    #[error("{0}")]
    Conflict(String),
    /// Too many requests of this kind for this account lately.
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

pub type AuthResult<T> = Result<T, AuthError>;

/// A security event about a user, seen by them (and by support).
pub fn event(
    user_id: &str,
    kind: &'static str,
    detail: serde_json::Value,
    client: &ClientInfo,
    at: OffsetDateTime,
) -> NewEvent {
    NewEvent {
        id: new_id(),
        user_id: user_id.to_owned(),
        kind,
        detail,
        ip: client.ip.map(|ip| ip.to_string()),
        user_agent: client.bounded_user_agent(),
        at,
    }
}

/// Records an event after the fact it describes has happened: a failure is
/// logged, never turned into an error that would hide what already happened.
pub async fn record_best_effort(store: &dyn crate::store::Store, event: &NewEvent) {
    if let Err(error) = store.record_event(event).await {
        tracing::warn!(%error, kind = event.kind, "could not record a user event");
    }
}

/// A new random id; UUIDv7 so ids sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
