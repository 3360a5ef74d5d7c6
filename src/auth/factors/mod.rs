//! Second factors: enrolling them, finishing a sign-in with one, stepping up
//! a session, and checking a session against what a policy requires.
//!
//! - `totp`: authenticator apps (enroll, confirm, remove, verify a code).
//! - `recovery`: the ten single-use codes that stand in for any factor.
//! - `passkeys`: WebAuthn registration and assertions, ceremony state in the store.
//! - `sign_in`: the second step of a password sign-in, and passwordless sign-in.
//! - `step_up`: re-authenticating a session, and the checks sensitive actions make.

mod passkeys;
mod recovery;
mod sign_in;
mod step_up;
mod totp;

use std::sync::Arc;

use time::OffsetDateTime;
use webauthn_rs::Webauthn;

use super::accounts::Authenticated;
use super::{Accounts, AuthError, AuthResult, ClientInfo};
use crate::clock::Clock;
use crate::domain::factors::{Enrolled, FactorFloor};
use crate::domain::policy::{PolicySet, SignInRequirement};
use crate::secrets::MasterKey;
use crate::store::{Removal, Store, StoreError, User};

pub use passkeys::{PasskeyOptions, RegistrationOptions};
pub use step_up::Proof;
pub use totp::TotpEnrollment;

/// The one-time codes a user can type in place of a passkey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    Totp,
    RecoveryCode,
}

impl CodeKind {
    /// As the API names the method (`methods` of a pending sign-in).
    pub const fn method_name(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::RecoveryCode => "recovery_code",
        }
    }
}

#[derive(Clone)]
pub struct Factors {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    master_key: Arc<MasterKey>,
    accounts: Accounts,
    policies: Arc<PolicySet>,
    /// `None` when the public URL has no domain name (WebAuthn needs one).
    webauthn: Option<Arc<Webauthn>>,
    /// Shown in authenticator apps beside the account.
    issuer: String,
}

impl std::fmt::Debug for Factors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Factors").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

/// Everything `Factors` needs, named so the call site reads.
pub struct FactorsConfig {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub master_key: Arc<MasterKey>,
    pub accounts: Accounts,
    pub policies: Arc<PolicySet>,
    pub webauthn: Option<Arc<Webauthn>>,
    pub issuer: String,
}

impl Factors {
    pub fn new(config: FactorsConfig) -> Self {
        let FactorsConfig { store, clock, master_key, accounts, policies, webauthn, issuer } = config;
        Self { store, clock, master_key, accounts, policies, webauthn, issuer }
    }

    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    pub async fn enrolled(&self, user_id: &str) -> AuthResult<Enrolled> {
        Ok(self.store.enrolled_factors(user_id).await?)
    }

    /// What must stay enrolled for the user's licenses. Refuses at once,
    /// naming the product, when `remaining` falls short; the store checks
    /// the floor again inside the removal, against concurrent removals.
    async fn floor_for_removal(&self, user_id: &str, remaining: Enrolled) -> AuthResult<FactorFloor> {
        let held = self.store.held_policies(user_id).await?;
        let policies: Vec<_> = held.iter().filter_map(|name| self.policies.get(name)).collect();
        let floor = FactorFloor::of(policies.iter().map(|p| p.sign_in));
        match floor.unmet_by(remaining) {
            None => Ok(floor),
            Some(unmet) => {
                let product = policies.iter().find(|p| p.sign_in == unmet).map_or("a product", |p| p.product.as_str());
                Err(Self::below_floor(product, unmet))
            }
        }
    }

    fn below_floor(product: &str, unmet: SignInRequirement) -> AuthError {
        let needed = match unmet {
            SignInRequirement::Passkey => "a passkey",
            _ => "a second factor",
        };
        AuthError::Conflict(format!(
            "Your license for {product} requires {needed}; add another one before removing this one."
        ))
    }

    /// Turns the store's answer to a removal into ours.
    fn removed(removal: Removal) -> AuthResult<()> {
        match removal {
            Removal::Removed => Ok(()),
            Removal::NotFound => Err(AuthError::NotFound),
            Removal::BelowFloor => Err(Self::below_floor("a product", SignInRequirement::Mfa)),
        }
    }

    /// Checks a typed code, counted toward the account lockout first: codes
    /// can be guessed. A TOTP step or recovery code that passes is spent.
    async fn check_code(&self, user: &User, kind: CodeKind, code: &str, client: &ClientInfo) -> AuthResult<()> {
        self.accounts.reserve_attempt(&user.email).await?;
        let (right, refusal) = match kind {
            CodeKind::Totp => (self.verify_totp(&user.id, code).await?, "That code is not right."),
            CodeKind::RecoveryCode => (
                self.spend_recovery_code(&user.id, code, client).await?,
                "That recovery code is not right, or was already used.",
            ),
        };
        if right { Ok(()) } else { Err(AuthError::CredentialRefused(refusal.into())) }
    }

    /// The user's recent security events, newest first.
    pub async fn events(&self, caller: &Authenticated) -> AuthResult<Vec<crate::store::UserEvent>> {
        Ok(self.store.user_events(&caller.user.id, 100).await?)
    }

    fn corrupt(what: &str, error: impl std::fmt::Display) -> AuthError {
        AuthError::Store(StoreError::Corrupt(format!("{what}: {error}")))
    }
}
