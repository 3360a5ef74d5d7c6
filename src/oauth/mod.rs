//! OAuth 2.0 and OpenID Connect: apps sign their users in through our pages
//! and never handle a password, a one-time code or a passkey themselves.

mod error;
mod service;

pub use error::{ErrorCode, OAuthError, OAuthResult, Problem};
pub use service::{
    ACCESS_TOKEN_LIFETIME, Authorization, AuthorizeParams, AuthorizeRefusal, CODE_LIFETIME, ClientCredentials,
    DEVICE_CODE_GRANT, DEVICE_CODE_LIFETIME, DEVICE_POLL_INTERVAL_SECS, DeviceApproval, DeviceAuthorization,
    GRANT_LIFETIME, IssuedTokens, OAuth, OAuthConfig, TokenParams, UserInfo,
};
