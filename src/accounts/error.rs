//! Why an account operation was refused.

use crate::domain::factors::Factor;
use crate::domain::reason::{Code, Invalid};
use crate::store::StoreError;

/// Why an account operation was refused; adapters word each reason.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A field broke a rule.
    #[error("invalid input: {0}")]
    Invalid(Invalid),
    /// Wrong email or wrong password; deliberately never says which.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// A signed-in user's current password was wrong.
    #[error("wrong current password")]
    WrongCurrentPassword,
    /// Too many recent failures for the address.
    #[error("account locked for {retry_after_secs} s")]
    AccountLocked {
        /// Seconds until the lock lifts.
        retry_after_secs: u64,
    },
    /// The new address is the one the account has.
    #[error("the address is unchanged")]
    SameEmail,
    /// The address is verified already.
    #[error("the address is already verified")]
    AlreadyVerified,
    /// The activation code given at sign-up cannot be redeemed; no account was made.
    #[error("activation code refused at sign-up: {0:?}")]
    CodeRefused(CodeRefusal),
    /// No credential, or one that is unknown, expired or revoked.
    #[error("not authenticated")]
    Unauthenticated,
    /// No such session of the caller's.
    #[error("not found")]
    NotFound,
    /// A sensitive action needs a fresh proof of identity.
    #[error("recent authentication required")]
    ReauthenticationRequired,
    /// Weakening the account needs a session as strong as its strongest factor: this one.
    #[error("a stronger recent authentication is required: {0:?}")]
    StrongerProofRequired(Factor),
    /// Too many mails of this kind for the account lately.
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until another is allowed.
        retry_after_secs: u64,
    },
    /// Too much of this work is in progress already; the request was not
    /// taken on. Says nothing about the caller or the account.
    #[error("too busy to take the request on")]
    Busy,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Password hashing failed (never the caller's fault).
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// The result of an account operation.
pub type AccountResult<T> = Result<T, AccountError>;

impl AccountError {
    /// The stable code of this reason.
    pub fn code(&self) -> Code {
        match self {
            Self::Invalid(_) => Code::ValidationFailed,
            Self::InvalidCredentials => Code::InvalidCredentials,
            Self::WrongCurrentPassword => Code::StepUpFailed,
            Self::AccountLocked { .. } => Code::AccountLocked,
            Self::SameEmail | Self::AlreadyVerified => Code::Conflict,
            Self::CodeRefused(CodeRefusal::Unknown) => Code::NotFound,
            Self::CodeRefused(CodeRefusal::UsedUp) => Code::ActivationCodeUsed,
            Self::Unauthenticated => Code::Unauthorized,
            Self::NotFound => Code::NotFound,
            Self::ReauthenticationRequired | Self::StrongerProofRequired(_) => Code::ReauthenticationRequired,
            Self::RateLimited { .. } => Code::RateLimited,
            Self::Busy => Code::Unavailable,
            Self::Store(e) if e.is_outage() => Code::Unavailable,
            Self::Store(_) | Self::Hashing(_) => Code::Internal,
        }
    }

    pub(crate) fn invalid(field: &'static str, rule: crate::domain::reason::Rule) -> Self {
        Self::Invalid(Invalid::new(field, rule))
    }
}

/// Why a code given at sign-up was not redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    /// No such code (or one reserved for another address, which looks the same).
    Unknown,
    /// Its uses are spent.
    UsedUp,
}
