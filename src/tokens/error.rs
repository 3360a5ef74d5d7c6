//! Why a token operation was refused.

use super::keys::KeyError;
use crate::domain::reason::{Code, Invalid};
use crate::eula::EulaError;
use crate::factors::FactorError;
use crate::store::StoreError;

/// Why an integration's secret cannot be set as asked (an operator's mistake).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotSettable {
    /// `jwt` integrations sign with the JWKS keys.
    #[error("it is a `jwt` integration: its tokens are signed with the JWKS keys")]
    SignsWithJwks,
    /// It reads its secret from `secret_file`.
    #[error("it reads its secret from `secret_file`; change that file instead")]
    ReadsSecretFile,
    /// Zendesk messaging signs with a key id.
    #[error("Zendesk messaging needs `--key-id` (the key id Zendesk shows)")]
    KeyIdRequired,
    /// Vendors issue 32-64 characters; fewer than 16 is a mistake.
    #[error("a shared secret must be 16 to 512 characters")]
    SecretLength,
}

/// Why a token operation was refused; adapters word each reason.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// A field broke a rule (an audience no integration has).
    #[error("invalid input: {0}")]
    Invalid(Invalid),
    /// None of the user's live licenses has a policy that lists the audience.
    #[error("no license allows tokens for `{0}`")]
    NotAllowed(String),
    /// The operator has not given the integration its shared secret yet.
    #[error("integration `{0}` has no secret: set one with `latchkey admin integration set-secret {0}`")]
    SecretMissing(String),
    /// The format vouches for the email address, which is not verified yet.
    #[error("the address is not verified")]
    EmailUnverified,
    /// `set-secret` was asked for something it cannot do.
    #[error("cannot set the secret of `{integration}`: {reason}")]
    NotSettable {
        /// The integration.
        integration: String,
        /// Why not.
        reason: NotSettable,
    },
    /// The session falls short of a sign-in requirement.
    #[error(transparent)]
    Factor(#[from] FactorError),
    /// A EULA must be accepted first.
    #[error(transparent)]
    Eula(#[from] EulaError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Signing failed.
    #[error(transparent)]
    Keys(#[from] KeyError),
}

/// The result of a token operation.
pub type TokenResult<T> = Result<T, TokenError>;

impl TokenError {
    /// The stable code of this reason.
    pub fn code(&self) -> Code {
        match self {
            Self::Invalid(_) | Self::NotSettable { .. } => Code::ValidationFailed,
            Self::NotAllowed(_) => Code::Forbidden,
            Self::SecretMissing(_) => Code::Unavailable,
            Self::EmailUnverified => Code::EmailVerificationRequired,
            Self::Factor(e) => e.code(),
            Self::Eula(e) => e.code(),
            Self::Store(e) if e.is_outage() => Code::Unavailable,
            Self::Store(_) => Code::Internal,
            Self::Keys(e) => e.code(),
        }
    }

    /// Whether this is our failure rather than a reason the caller can act on.
    pub(crate) fn is_failure(&self) -> bool {
        matches!(self.code(), Code::Internal | Code::Unavailable)
    }
}
