//! Step-up: proving identity again within a session before sensitive
//! actions, and checking a session against a policy's sign-in requirement.

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use webauthn_rs::prelude::PublicKeyCredential;

use super::passkeys::{PasskeyOptions, Purpose};
use super::{CodeKind, Factors};
use crate::auth::accounts::Authenticated;
use crate::auth::{AuthError, AuthResult, ClientInfo};
use crate::domain::factors::{Acr, Method, amr_with, meets, recently_authenticated};
use crate::domain::policy::SignInRequirement;

/// What the user offers to step up with.
#[derive(Debug)]
pub enum Proof {
    /// Only for accounts without a second factor; otherwise a stolen
    /// password would be enough to remove the factor that protects them.
    Password(SecretString),
    Code(CodeKind, SecretString),
    Passkey {
        challenge_id: String,
        credential: Box<PublicKeyCredential>,
    },
}

impl Factors {
    /// Refuses unless the session proved who it is within the last five minutes.
    pub fn require_recent_authentication(&self, caller: &Authenticated) -> AuthResult<()> {
        if recently_authenticated(caller.session.auth_time, self.now()) {
            Ok(())
        } else {
            Err(AuthError::ReauthenticationRequired)
        }
    }

    /// Checks the session against a policy's `[sign_in] require`.
    pub async fn require_sign_in(&self, caller: &Authenticated, requirement: SignInRequirement) -> AuthResult<()> {
        if requirement == SignInRequirement::Password {
            return Ok(());
        }
        let enrolled = self.enrolled(&caller.user.id).await?;
        Ok(meets(requirement, enrolled, Acr::of(&caller.session.amr))?)
    }

    pub async fn reauthentication_options(&self, caller: &Authenticated) -> AuthResult<PasskeyOptions> {
        self.assertion_options(Purpose::Reauthenticate, &caller.user.id, &caller.session.id).await
    }

    /// Checks the proof and refreshes the session's `auth_time`; what was
    /// proved joins its `amr`, so a password session that steps up with a
    /// second factor becomes a multi-factor one.
    pub async fn reauthenticate(
        &self,
        caller: &Authenticated,
        proof: Proof,
        client: &ClientInfo,
    ) -> AuthResult<Vec<String>> {
        let user = &caller.user;
        let method = match proof {
            Proof::Password(password) => {
                if self.enrolled(&user.id).await?.has_second_factor() {
                    return Err(AuthError::Invalid {
                        field: "method",
                        problem: "must be a second factor (totp, webauthn or recovery_code) for this account".into(),
                    });
                }
                self.accounts.verify_password(user, password).await?;
                Method::Password
            }
            Proof::Code(kind, code) => {
                self.check_code(user, kind, code.expose_secret(), client).await?;
                Method::OneTimePassword
            }
            Proof::Passkey { challenge_id, credential } => {
                self.verify_assertion(
                    Purpose::Reauthenticate,
                    &user.id,
                    &caller.session.id,
                    &challenge_id,
                    &credential,
                    client,
                )
                .await?
            }
        };
        self.store.clear_sign_in_failures(&user.email).await?;
        let amr = amr_with(&caller.session.amr, &[method]);
        let event = crate::auth::event(&user.id, "reauthenticated", json!({"amr": amr}), client, self.now());
        self.store.refresh_authentication(&caller.session.id, &amr, &event, self.now()).await?;
        Ok(amr)
    }
}
