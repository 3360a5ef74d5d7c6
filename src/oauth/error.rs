//! Why an OAuth request was refused: the RFC 6749 error codes, each with
//! a typed problem the adapters word (OAuth clients read `error`; people
//! debugging them read `error_description`).

use super::dpop::DpopRefusal;
use crate::domain::reason::Code;
use crate::eula::EulaError;
use crate::factors::FactorError;
use crate::licensing::LicenseError;
use crate::store::StoreError;
use crate::tokens::KeyError;

/// The `error` values of RFC 6749 §4.1.2.1 and §5.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// A parameter is missing, repeated or malformed.
    InvalidRequest,
    /// The client is unknown, or failed to authenticate.
    InvalidClient,
    /// The code or refresh token is unknown, spent, expired, revoked, or
    /// not this client's, or the PKCE verifier or redirect URI is wrong.
    InvalidGrant,
    /// The client may not use this grant or response type.
    UnauthorizedClient,
    /// A grant type we do not offer.
    UnsupportedGrantType,
    /// A response type we do not offer.
    UnsupportedResponseType,
    /// A scope we do not offer.
    InvalidScope,
    /// RFC 9396: `authorization_details` we cannot grant.
    InvalidAuthorizationDetails,
    /// The user said no.
    AccessDenied,
    /// RFC 8628: nobody has approved the device yet; poll again.
    AuthorizationPending,
    /// RFC 8628: polling too fast; wait five seconds more from now on.
    SlowDown,
    /// RFC 8628: the device code expired; start again.
    ExpiredToken,
    /// RFC 6750: the access token presented to a resource is not live.
    InvalidToken,
    /// RFC 9449: the DPoP proof is missing, malformed, replayed or for
    /// another request or key.
    InvalidDpopProof,
    /// We failed.
    ServerError,
    /// The database is unreachable; try again.
    TemporarilyUnavailable,
}

impl ErrorCode {
    /// The word on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidAuthorizationDetails => "invalid_authorization_details",
            Self::AccessDenied => "access_denied",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
            Self::InvalidToken => "invalid_token",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// What exactly was wrong; each maps to one [`ErrorCode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// A required parameter is absent: its name.
    Missing(&'static str),
    /// A parameter appears twice, or is not text: its name.
    Malformed(&'static str),
    /// `response_type` other than `code`.
    ResponseType,
    /// PKCE is missing, not S256, or malformed.
    Pkce,
    /// A scope we do not offer.
    Scope,
    /// `authorization_details` other than one `license_activation` with a fingerprint.
    AuthorizationDetails,
    /// No client has this id, or its secret is wrong or missing.
    Client,
    /// The client may not use this grant.
    GrantNotAllowed,
    /// A grant type we do not know.
    GrantType,
    /// The code is unknown, expired, spent or another client's.
    Code,
    /// The code was spent before: its grant is revoked now.
    CodeReplayed,
    /// The redirect URI differs from the authorization request's.
    RedirectUri,
    /// The code verifier does not answer the challenge.
    Verifier,
    /// The refresh token is unknown, expired, revoked or another client's.
    RefreshToken,
    /// The refresh token was spent before: its grant is revoked now.
    RefreshReplayed,
    /// The user declined.
    Declined,
    /// The device code is unknown, another client's, or its tokens were collected.
    DeviceCode,
    /// Nobody has approved the device yet.
    DevicePending,
    /// The device polls faster than its interval.
    DeviceTooFast,
    /// The device code expired.
    DeviceExpired,
    /// The code typed on `/device` is not a pending request's.
    UserCode,
    /// The DPoP proof, and why.
    Dpop(DpopRefusal),
}

impl Problem {
    /// The error code a client sees.
    pub const fn code(self) -> ErrorCode {
        match self {
            Self::Missing(_) | Self::Malformed(_) | Self::Pkce => ErrorCode::InvalidRequest,
            Self::ResponseType => ErrorCode::UnsupportedResponseType,
            Self::Scope => ErrorCode::InvalidScope,
            Self::AuthorizationDetails => ErrorCode::InvalidAuthorizationDetails,
            Self::Client => ErrorCode::InvalidClient,
            Self::GrantNotAllowed => ErrorCode::UnauthorizedClient,
            Self::GrantType => ErrorCode::UnsupportedGrantType,
            Self::Code
            | Self::CodeReplayed
            | Self::RedirectUri
            | Self::Verifier
            | Self::RefreshToken
            | Self::RefreshReplayed
            | Self::DeviceCode
            | Self::UserCode => ErrorCode::InvalidGrant,
            Self::Declined => ErrorCode::AccessDenied,
            Self::DevicePending => ErrorCode::AuthorizationPending,
            Self::DeviceTooFast => ErrorCode::SlowDown,
            Self::DeviceExpired => ErrorCode::ExpiredToken,
            Self::Dpop(_) => ErrorCode::InvalidDpopProof,
        }
    }
}

/// Why an OAuth request failed.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The request broke a rule of the protocol.
    #[error("refused: {0:?}")]
    Refused(Problem),
    /// The session falls short of what the app's product requires.
    #[error(transparent)]
    Factor(#[from] FactorError),
    /// The product's EULA must be accepted first.
    #[error(transparent)]
    Eula(#[from] EulaError),
    /// The seat asked for cannot be had or kept: no license, every seat
    /// taken, the seat freed since, the lease lapsed.
    #[error(transparent)]
    License(#[from] LicenseError),
    /// Too many wrong device codes from this client, this account, or everyone.
    #[error("too many wrong codes; retry in {retry_after_secs} s")]
    Locked {
        /// Seconds until the next try may go ahead.
        retry_after_secs: u64,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Signing failed.
    #[error(transparent)]
    Keys(#[from] KeyError),
}

impl OAuthError {
    /// The RFC 6749 code of this error, as the token endpoint sends it.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(problem) => problem.code(),
            Self::Store(error) if error.is_outage() => ErrorCode::TemporarilyUnavailable,
            Self::Factor(_) | Self::Eula(_) => ErrorCode::AccessDenied,
            Self::License(error) => match error.code() {
                Code::Unavailable => ErrorCode::TemporarilyUnavailable,
                Code::Internal => ErrorCode::ServerError,
                _ => ErrorCode::InvalidGrant,
            },
            Self::Locked { .. } => ErrorCode::TemporarilyUnavailable,
            Self::Store(_) | Self::Keys(_) => ErrorCode::ServerError,
        }
    }
}

impl From<Problem> for OAuthError {
    fn from(problem: Problem) -> Self {
        Self::Refused(problem)
    }
}

/// The result of an OAuth operation.
pub type OAuthResult<T> = Result<T, OAuthError>;
