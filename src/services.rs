//! The application: every use case, as a method on one of these services.
//! The JSON API (`http`) holds a `Services` and calls it, and so will every
//! other adapter (the end-user pages next); none touches the store or the clock.

use std::sync::Arc;

use crate::accounts::{Accounts, EmailFlows};
use crate::api_keys::ApiKeys;
use crate::eula::Eulas;
use crate::factors::Factors;
use crate::health::Health;
use crate::licensing::Licensing;
use crate::oauth::OAuth;
use crate::support::Support;
use crate::tokens::{SigningKeys, Tokens};

/// Every service of one running application. Cheap to clone: all shared.
#[derive(Clone, Debug)]
pub struct Services {
    /// Sign-up, sign-in, sessions, password and address.
    pub accounts: Accounts,
    /// Verification and password-reset links.
    pub email: EmailFlows,
    /// Second factors, passkeys and step-up.
    pub factors: Factors,
    /// Licenses, seats and validation.
    pub licensing: Licensing,
    /// EULA versions, decisions and evidence.
    pub eulas: Eulas,
    /// Tokens for help desks, widgets and back ends.
    pub tokens: Tokens,
    /// The JWKS, signed answers and key rotation.
    pub keys: Arc<SigningKeys>,
    /// Apps signing their users in (OAuth / OpenID Connect).
    pub oauth: OAuth,
    /// Caller verification and timelines for support agents.
    pub support: Support,
    /// Staff API keys.
    pub api_keys: ApiKeys,
    /// Readiness and metrics.
    pub health: Health,
}
