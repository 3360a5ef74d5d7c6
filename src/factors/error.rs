//! Why a second-factor operation was refused.

use crate::accounts::AccountError;
use crate::domain::factors::{Factor, Shortfall};
use crate::domain::reason::{Code, Invalid};
use crate::store::StoreError;

/// What was refused when a factor's answer was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The account's password, offered to step up.
    Password,
    /// A TOTP code that is not right now (or was used already).
    TotpCode,
    /// A recovery code that is not one of the account's unused ones.
    RecoveryCode,
    /// A passkey answer for another site or challenge, without user
    /// verification, or to a challenge that expired or was used.
    Passkey,
    /// A passkey whose signature counter did not move forward: what a
    /// cloned authenticator looks like. Recorded on the account.
    PossiblyCloned,
}

/// Why a second-factor operation was refused; adapters word each reason.
#[derive(Debug, thiserror::Error)]
pub enum FactorError {
    /// A field broke a rule.
    #[error("invalid input: {0}")]
    Invalid(Invalid),
    /// The account side refused (lockout, a wrong password…).
    #[error(transparent)]
    Account(#[from] AccountError),
    /// A pending sign-in that is unknown, used, ended or expired.
    #[error("the sign-in has expired or ended")]
    PendingSignInGone,
    /// A factor's answer was refused. For an answer to a pending sign-in,
    /// `attempts_left` says how many more it takes; at zero it has ended.
    #[error("{what:?} refused")]
    Refused {
        /// What was refused.
        what: Refusal,
        /// Answers the pending sign-in still takes, when this was one.
        attempts_left: Option<u32>,
    },
    /// A signed-in user's step-up proof was refused (the session stays good).
    #[error("step-up refused: {0:?}")]
    StepUpRefused(Refusal),
    /// The session is not strong enough, or the user lacks a factor.
    #[error(transparent)]
    Shortfall(#[from] Shortfall),
    /// A sensitive action needs a fresh proof of identity.
    #[error("recent authentication required")]
    ReauthenticationRequired,
    /// Weakening the account needs a session as strong as its strongest factor: this one.
    #[error("a stronger recent authentication is required: {0:?}")]
    StrongerProofRequired(Factor),
    /// An authenticator app is set up already.
    #[error("an authenticator app is already set up")]
    TotpAlreadySetUp,
    /// No authenticator app is waiting for its first code.
    #[error("nothing to confirm")]
    NothingToConfirm,
    /// A license needs the factor that was to be removed.
    #[error("a license requires this factor")]
    RequiredByLicense {
        /// The product whose license needs it, when known.
        product: Option<String>,
        /// What it needs.
        factor: Factor,
    },
    /// The deployment cannot offer passkeys (its public URL has no domain name).
    #[error("passkeys are unavailable")]
    PasskeysUnavailable,
    /// This authenticator is registered already.
    #[error("passkey already registered")]
    PasskeyAlreadyRegistered,
    /// No such factor of the caller's.
    #[error("not found")]
    NotFound,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Stored factor data that does not read back, or a WebAuthn failure of ours.
    #[error("corrupt factor data: {0}")]
    Corrupt(String),
}

/// The result of a second-factor operation.
pub type FactorResult<T> = Result<T, FactorError>;

impl FactorError {
    /// The stable code of this reason.
    pub fn code(&self) -> Code {
        match self {
            Self::Invalid(_) => Code::ValidationFailed,
            Self::Account(e) => e.code(),
            Self::PendingSignInGone => Code::Unauthorized,
            Self::Refused { .. } => Code::InvalidCredentials,
            Self::StepUpRefused(_) => Code::StepUpFailed,
            Self::Shortfall(Shortfall::EnrollmentRequired(_)) => Code::FactorEnrollmentRequired,
            Self::Shortfall(Shortfall::StrongerSignInRequired(_)) => Code::MfaRequired,
            Self::ReauthenticationRequired | Self::StrongerProofRequired(_) => Code::ReauthenticationRequired,
            Self::TotpAlreadySetUp | Self::NothingToConfirm | Self::PasskeyAlreadyRegistered => Code::Conflict,
            Self::RequiredByLicense { .. } => Code::FactorRequiredByLicense,
            Self::PasskeysUnavailable => Code::PasskeysUnavailable,
            Self::NotFound => Code::NotFound,
            Self::Store(e) if e.is_outage() => Code::Unavailable,
            Self::Store(_) | Self::Corrupt(_) => Code::Internal,
        }
    }

    pub(crate) fn corrupt(what: &str, error: impl std::fmt::Display) -> Self {
        Self::Corrupt(format!("{what}: {error}"))
    }
}
