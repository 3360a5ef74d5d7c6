//! The `Factors` service: its parts, and the checks its operations share.

use std::sync::Arc;

use time::OffsetDateTime;
use webauthn_rs::Webauthn;

use super::{FactorError, FactorResult, Refusal};
use crate::accounts::Accounts;
use crate::clock::Clock;
use crate::domain::account::{Authenticated, User};
use crate::domain::event::{ClientInfo, UserEvent};
use crate::domain::factors::{CodeKind, Enrolled, Factor, FactorFloor};
use crate::domain::ids::UserId;
use crate::domain::lockout::AttemptKey;
use crate::domain::policy::{PolicySet, SignInRequirement};
use crate::metrics::Metrics;
use crate::secrets::MasterKey;
use crate::store::{Removal, Store};

/// Second factors, passkeys and step-up.
#[derive(Clone)]
pub struct Factors {
    pub(super) store: Arc<dyn Store>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) master_key: Arc<MasterKey>,
    pub(super) accounts: Accounts,
    pub(super) policies: Arc<PolicySet>,
    /// `None` when the public URL has no domain name (WebAuthn needs one).
    pub(super) webauthn: Option<Arc<Webauthn>>,
    /// Shown in authenticator apps beside the account.
    pub(super) issuer: String,
    pub(super) metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Factors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Factors").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

/// Everything `Factors` is built from.
pub struct FactorsConfig {
    /// Where factors live.
    pub store: Arc<dyn Store>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Seals TOTP secrets and keys recovery-code hashes.
    pub master_key: Arc<MasterKey>,
    /// Sessions and the lockout.
    pub accounts: Accounts,
    /// What each license's policy requires.
    pub policies: Arc<PolicySet>,
    /// The WebAuthn relying party, when the public URL allows one.
    pub webauthn: Option<Arc<Webauthn>>,
    /// Shown in authenticator apps beside the account.
    pub issuer: String,
    /// Sign-in and enrollment counters.
    pub metrics: Arc<Metrics>,
}

impl Factors {
    /// The service, from its parts.
    pub fn new(config: FactorsConfig) -> Self {
        let FactorsConfig { store, clock, master_key, accounts, policies, webauthn, issuer, metrics } = config;
        Self { store, clock, master_key, accounts, policies, webauthn, issuer, metrics }
    }

    pub(super) fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// What the user has set up.
    #[tracing::instrument(skip_all)]
    pub async fn enrolled(&self, user_id: &UserId) -> FactorResult<Enrolled> {
        Ok(self.store.enrolled_factors(user_id).await?)
    }

    /// What must stay enrolled for the user's licenses. Refuses at once,
    /// naming the product, when `remaining` falls short; the store checks
    /// the floor again inside the removal, against concurrent removals.
    pub(super) async fn floor_for_removal(&self, user_id: &UserId, remaining: Enrolled) -> FactorResult<FactorFloor> {
        let held = self.store.held_policies(user_id).await?;
        let policies: Vec<_> = held.iter().filter_map(|name| self.policies.get(name)).collect();
        let floor = FactorFloor::of(policies.iter().map(|p| p.sign_in));
        match floor.unmet_by(remaining) {
            None => Ok(floor),
            Some(unmet) => {
                let product = policies.iter().find(|p| p.sign_in == unmet).map(|p| p.product.clone());
                Err(FactorError::RequiredByLicense { product, factor: factor_of(unmet) })
            }
        }
    }

    /// Turns the store's answer to a removal into ours.
    pub(super) fn removed(removal: Removal) -> FactorResult<()> {
        match removal {
            Removal::Removed => Ok(()),
            Removal::NotFound => Err(FactorError::NotFound),
            // Another removal won the race; which product needed it is not known here.
            Removal::BelowFloor => Err(FactorError::RequiredByLicense { product: None, factor: Factor::SecondFactor }),
        }
    }

    /// Checks a typed code, counted under `counters` first: codes can be
    /// guessed. A TOTP step or recovery code that passes is spent.
    pub(super) async fn check_code(
        &self,
        user: &User,
        kind: CodeKind,
        code: &str,
        counters: &[AttemptKey],
        client: &ClientInfo,
    ) -> FactorResult<()> {
        let reserved = self.accounts.reserve(counters).await?;
        let (right, what) = match kind {
            CodeKind::Totp => (self.verify_totp(&user.id, code).await?, Refusal::TotpCode),
            CodeKind::RecoveryCode => (self.spend_recovery_code(&user.id, code, client).await?, Refusal::RecoveryCode),
        };
        if !right {
            return Err(FactorError::Refused { what, attempts_left: None });
        }
        self.accounts.answered_right(&reserved).await;
        Ok(())
    }

    /// The user's recent security events, newest first.
    #[tracing::instrument(skip_all)]
    pub async fn events(&self, caller: &Authenticated) -> FactorResult<Vec<UserEvent>> {
        Ok(self.store.user_events(&caller.user.id, 100).await?)
    }
}

/// The factor a sign-in requirement needs.
pub(super) fn factor_of(requirement: SignInRequirement) -> Factor {
    match requirement {
        SignInRequirement::Passkey => Factor::Passkey,
        SignInRequirement::Password | SignInRequirement::Mfa => Factor::SecondFactor,
    }
}
