//! OAuth 2.0 and OpenID Connect: apps sign their users in through our pages
//! and never handle a password, a one-time code or a passkey themselves.

mod apps;
mod authorize;
mod device;
mod dpop;
mod error;
mod secrets;
mod service;
mod token;

pub use apps::SignedInApp;
pub use authorize::{Authorization, AuthorizeParams, AuthorizeRefusal, CODE_LIFETIME};
pub use device::{
    DEVICE_CODE_GRANT, DEVICE_CODE_LIFETIME, DEVICE_POLL_INTERVAL_SECS, DeviceAnswer, DeviceApproval,
    DeviceAuthorization,
};
pub use dpop::{DPOP_ALGORITHMS, DpopRefusal, ProofTarget, Proven};
pub use error::{ErrorCode, OAuthError, OAuthResult, Problem};
pub use secrets::ClientSecretError;
pub use service::{GRANT_LIFETIME, OAuth, OAuthConfig};
pub use token::{ACCESS_TOKEN_LIFETIME, ClientCredentials, IssuedTokens, PresentedToken, TokenParams, UserInfo};
