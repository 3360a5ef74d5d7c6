//! Why a license operation was refused.

use crate::domain::license::{LicenseStatus, Unusable};
use crate::domain::reason::{Code, Invalid};
use crate::eula::EulaError;
use crate::factors::FactorError;
use crate::store::StoreError;
use crate::tokens::KeyError;

/// Why a license operation was refused; adapters word each reason.
#[derive(Debug, thiserror::Error)]
pub enum LicenseError {
    /// A field broke a rule.
    #[error("invalid input: {0}")]
    Invalid(Invalid),
    /// No such license or activation (or not the caller's), or an unknown code.
    #[error("not found")]
    NotFound,
    /// An admin suspended the license.
    #[error("license suspended")]
    LicenseSuspended,
    /// An admin revoked the license.
    #[error("license revoked")]
    LicenseRevoked,
    /// The license expired (under a `restrict` policy).
    #[error("license expired")]
    LicenseExpired,
    /// The activation code has no uses left.
    #[error("activation code used up")]
    CodeUsedUp,
    /// A floating seat's lease lapsed; the device must activate again.
    #[error("lease lapsed")]
    LeaseLapsed,
    /// Every seat is held.
    #[error("seat limit reached")]
    SeatLimitReached,
    /// The holder freed as many seats as the policy allows in 30 days.
    #[error("seat transfer limit reached")]
    TransferLimitReached {
        /// Seconds until the oldest counted transfer leaves the window.
        retry_after_secs: u64,
    },
    /// The license is in that status already.
    #[error("the license is {} already", .0.as_str())]
    AlreadyInStatus(LicenseStatus),
    /// The idempotency key came with a different request before.
    #[error("idempotency key reused with a different request")]
    IdempotencyKeyReused,
    /// The operator asks for a verified address before codes are redeemed.
    #[error("the address is not verified")]
    EmailUnverified,
    /// The session falls short of the policy's sign-in requirement, or a step-up is needed.
    #[error(transparent)]
    Factor(#[from] FactorError),
    /// The product's current EULA is not accepted.
    #[error(transparent)]
    Eula(#[from] EulaError),
    /// The certificate could not be signed.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// The database failed, or holds something that does not read back.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The result of a license operation.
pub type LicenseResult<T> = Result<T, LicenseError>;

impl From<Unusable> for LicenseError {
    fn from(unusable: Unusable) -> Self {
        match unusable {
            Unusable::Suspended => Self::LicenseSuspended,
            Unusable::Revoked => Self::LicenseRevoked,
            Unusable::Expired => Self::LicenseExpired,
        }
    }
}

impl LicenseError {
    /// The stable code of this reason.
    pub fn code(&self) -> Code {
        match self {
            Self::Invalid(_) => Code::ValidationFailed,
            Self::NotFound => Code::NotFound,
            Self::LicenseSuspended => Code::LicenseSuspended,
            Self::LicenseRevoked => Code::LicenseRevoked,
            Self::LicenseExpired => Code::LicenseExpired,
            Self::CodeUsedUp => Code::ActivationCodeUsed,
            Self::LeaseLapsed => Code::LeaseLapsed,
            Self::SeatLimitReached => Code::SeatLimitReached,
            Self::TransferLimitReached { .. } => Code::TransferLimitReached,
            Self::AlreadyInStatus(_) | Self::IdempotencyKeyReused => Code::Conflict,
            Self::EmailUnverified => Code::EmailVerificationRequired,
            Self::Factor(e) => e.code(),
            Self::Eula(e) => e.code(),
            Self::Keys(e) => e.code(),
            Self::Store(e) if e.is_outage() => Code::Unavailable,
            Self::Store(_) => Code::Internal,
        }
    }

    pub(crate) fn invalid(field: &'static str, rule: crate::domain::reason::Rule) -> Self {
        Self::Invalid(Invalid::new(field, rule))
    }

    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        Self::Store(StoreError::Corrupt(what.to_string()))
    }
}
