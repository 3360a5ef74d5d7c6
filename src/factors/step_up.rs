//! Step-up: proving identity again within a session before sensitive
//! actions, and checking a session against a policy's sign-in requirement.

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use webauthn_rs::prelude::PublicKeyCredential;

use super::passkeys::{PasskeyOptions, Purpose};
use super::{FactorError, FactorResult, Factors, Refusal};
use crate::accounts::{AccountError, step_up_counter};
use crate::domain::account::Authenticated;
use crate::domain::event::{ClientInfo, EventKind, NewEvent};
use crate::domain::factors::{
    Acr, CodeKind, Enrolled, Method, amr_with, meets, recently_authenticated, strong_enough_to_weaken,
};
use crate::domain::policy::SignInRequirement;
use crate::domain::reason::{Invalid, Rule};

/// What the user offers to step up with.
#[derive(Debug)]
pub enum Proof {
    /// Only for accounts without a second factor; otherwise a stolen
    /// password would be enough to remove the factor that protects them.
    Password(SecretString),
    /// A TOTP or recovery code.
    Code(CodeKind, SecretString),
    /// An answer to `reauthentication_options`.
    Passkey {
        /// The challenge it answers.
        challenge_id: String,
        /// The browser's `PublicKeyCredential`.
        credential: Box<PublicKeyCredential>,
    },
}

impl Factors {
    /// Refuses unless the session proved who it is within the last five minutes.
    pub fn require_recent_authentication(&self, caller: &Authenticated) -> FactorResult<()> {
        if recently_authenticated(caller.session.auth_time, self.now()) {
            Ok(())
        } else {
            Err(FactorError::ReauthenticationRequired)
        }
    }

    /// Before removing a factor: a recent proof, itself as strong as the
    /// strongest factor enrolled (see `domain::factors::strong_enough_to_weaken`).
    pub fn require_strong_recent_authentication(&self, caller: &Authenticated, enrolled: Enrolled) -> FactorResult<()> {
        self.require_recent_authentication(caller)?;
        strong_enough_to_weaken(enrolled, caller.session.proof_acr).map_err(FactorError::StrongerProofRequired)
    }

    /// Checks the session against a policy's `[sign_in] require`.
    #[tracing::instrument(skip_all)]
    pub async fn require_sign_in(&self, caller: &Authenticated, requirement: SignInRequirement) -> FactorResult<()> {
        if requirement == SignInRequirement::Password {
            return Ok(());
        }
        let enrolled = self.enrolled(&caller.user.id).await?;
        Ok(meets(requirement, enrolled, Acr::of(&caller.session.amr))?)
    }

    /// Request options for stepping up with a passkey.
    #[tracing::instrument(skip_all)]
    pub async fn reauthentication_options(&self, caller: &Authenticated) -> FactorResult<PasskeyOptions> {
        self.assertion_options(Purpose::Reauthenticate, &caller.user.id, caller.session.id.as_str()).await
    }

    /// Checks the proof and refreshes the session's `auth_time`; what was
    /// proved joins its `amr`, so a password session that steps up with a
    /// second factor becomes a multi-factor one.
    #[tracing::instrument(skip_all)]
    pub async fn reauthenticate(
        &self,
        caller: &Authenticated,
        proof: Proof,
        client: &ClientInfo,
    ) -> FactorResult<Vec<String>> {
        let user = &caller.user;
        let method = self.check_proof(caller, proof, client).await.map_err(|refused| match refused {
            FactorError::Refused { what, .. } => FactorError::StepUpRefused(what),
            FactorError::Account(AccountError::WrongCurrentPassword) => FactorError::StepUpRefused(Refusal::Password),
            other => other,
        })?;
        self.accounts.forget_failures(&step_up_counter(caller)).await;
        let amr = amr_with(&caller.session.amr, &[method]);
        let event = NewEvent::new(&user.id, EventKind::Reauthenticated, json!({"amr": amr}), client, self.now());
        self.store.refresh_authentication(&caller.session.id, &amr, Acr::of_proof(method), &event, self.now()).await?;
        Ok(amr)
    }

    /// Checks what the user offered; the method it proves.
    async fn check_proof(&self, caller: &Authenticated, proof: Proof, client: &ClientInfo) -> FactorResult<Method> {
        let user = &caller.user;
        let method = match proof {
            Proof::Password(password) => {
                if self.enrolled(&user.id).await?.has_second_factor() {
                    return Err(FactorError::Invalid(Invalid::new("method", Rule::SecondFactorRequired)));
                }
                self.accounts.verify_password(caller, password).await?;
                Method::Password
            }
            Proof::Code(kind, code) => {
                self.check_code(user, kind, code.expose_secret(), &[step_up_counter(caller)], client).await?;
                Method::OneTimePassword
            }
            Proof::Passkey { challenge_id, credential } => {
                self.verify_assertion(
                    Purpose::Reauthenticate,
                    &user.id,
                    caller.session.id.as_str(),
                    &challenge_id,
                    &credential,
                    client,
                )
                .await?
            }
        };
        Ok(method)
    }
}
