//! Service logic for who the caller is: accounts, passwords, sessions and
//! API keys. Uses `domain` rules and the `Store`; knows nothing of HTTP.

pub mod accounts;
pub mod api_keys;
pub mod password;

use crate::domain::password::PasswordError;
use crate::store::StoreError;

pub use accounts::{Accounts, ClientInfo, SignedIn};
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
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

pub type AuthResult<T> = Result<T, AuthError>;

/// A new random id; UUIDv7 so ids sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
