//! Why a EULA operation was refused.

use crate::domain::reason::{Code, Invalid};
use crate::store::StoreError;

/// Why a EULA operation was refused; adapters word each reason.
#[derive(Debug, thiserror::Error)]
pub enum EulaError {
    /// A field broke a rule.
    #[error("invalid input: {0}")]
    Invalid(Invalid),
    /// No such version, or no version of that product.
    #[error("not found")]
    NotFound,
    /// That version is published already; published versions never change.
    #[error("version {version} of the {product} EULA ({locale}) is already published")]
    AlreadyPublished {
        /// The product.
        product: String,
        /// The version.
        version: String,
        /// Its language.
        locale: String,
    },
    /// Only the version the user last accepted can be withdrawn.
    #[error("nothing to withdraw")]
    NothingToWithdraw,
    /// The product's current EULA must be accepted first.
    #[error("the {product} EULA (version {version}) must be accepted first")]
    AcceptanceRequired {
        /// The product.
        product: String,
        /// The version to accept.
        version: String,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The result of a EULA operation.
pub type EulaResult<T> = Result<T, EulaError>;

impl EulaError {
    /// The stable code of this reason.
    pub fn code(&self) -> Code {
        match self {
            Self::Invalid(_) => Code::ValidationFailed,
            Self::NotFound => Code::NotFound,
            Self::AlreadyPublished { .. } | Self::NothingToWithdraw => Code::Conflict,
            Self::AcceptanceRequired { .. } => Code::EulaAcceptanceRequired,
            Self::Store(e) if e.is_outage() => Code::Unavailable,
            Self::Store(_) => Code::Internal,
        }
    }

    pub(crate) fn invalid(field: &'static str, rule: crate::domain::reason::Rule) -> Self {
        Self::Invalid(Invalid::new(field, rule))
    }
}
