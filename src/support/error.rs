//! Why a support operation was refused.

use crate::domain::reason::{Code, Invalid};
use crate::eula::EulaError;
use crate::store::StoreError;
use crate::tokens::TokenError;

/// Why a support operation was refused; adapters word each reason.
#[derive(Debug, thiserror::Error)]
pub enum SupportError {
    /// A field broke a rule.
    #[error("invalid input: {0}")]
    Invalid(Invalid),
    /// Too many wrong PINs for this address lately.
    #[error("too many wrong PINs; retry in {retry_after_secs} s")]
    Locked {
        /// Seconds until the lock lifts.
        retry_after_secs: u64,
    },
    /// No such user.
    #[error("not found")]
    NotFound,
    /// Reading EULA standing failed.
    #[error(transparent)]
    Eula(#[from] EulaError),
    /// Checking a token failed.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The result of a support operation.
pub type SupportResult<T> = Result<T, SupportError>;

impl SupportError {
    /// The stable code of this reason.
    pub fn code(&self) -> Code {
        match self {
            Self::Invalid(_) => Code::ValidationFailed,
            Self::Locked { .. } => Code::RateLimited,
            Self::NotFound => Code::NotFound,
            Self::Eula(e) => e.code(),
            Self::Token(e) => e.code(),
            Self::Store(e) if e.is_outage() => Code::Unavailable,
            Self::Store(_) => Code::Internal,
        }
    }
}
