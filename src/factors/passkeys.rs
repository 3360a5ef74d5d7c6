//! Passkeys through webauthn-rs's passkey flow: user verification is always
//! required, so a passkey is the "biometric" factor. Ceremony state lives in
//! the store under an unguessable challenge id, is taken (deleted) when the
//! answer arrives, and expires after five minutes; it never reaches the client.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use webauthn_rs::Webauthn;
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Uuid, WebauthnError,
};

use super::{FactorError, FactorResult, Factors, Refusal};
use crate::domain::account::Authenticated;
use crate::domain::event::{ClientInfo, EventKind, NewEvent};
use crate::domain::factors::{CEREMONY_LIFETIME, Enrolled, Factor, Method, RegisteredPasskey, Shortfall};
use crate::domain::ids::{PasskeyId, UserId};
use crate::domain::reason::{Invalid, Rule};
use crate::store::{Ceremony, Duplicate, PasskeyUse, StoreError};

/// Creation options for `navigator.credentials.create`, under a challenge id.
#[derive(Debug)]
pub struct RegistrationOptions {
    /// Sent back with the answer.
    pub challenge_id: String,
    /// What the browser takes.
    pub options: CreationChallengeResponse,
}

/// Request options for `navigator.credentials.get`, under a challenge id.
#[derive(Debug)]
pub struct PasskeyOptions {
    /// Sent back with the answer.
    pub challenge_id: String,
    /// What the browser takes.
    pub options: RequestChallengeResponse,
}

/// What a ceremony was started for; an answer only finishes its own kind.
#[derive(Debug, Clone, Copy)]
pub(super) enum Purpose {
    Register,
    SecondFactor,
    Reauthenticate,
    Passwordless,
}

impl Purpose {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::SecondFactor => "second_factor",
            Self::Reauthenticate => "reauthenticate",
            Self::Passwordless => "passwordless",
        }
    }
}

const MAX_NAME_CHARS: usize = 64;

/// An answer for another site or challenge, without user verification, or
/// to a challenge that expired or was used: the user starts again.
fn not_accepted() -> FactorError {
    FactorError::Refused { what: Refusal::Passkey, attempts_left: None }
}

/// 128 random bits: knowing one challenge id tells nothing about another.
fn challenge_id() -> String {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes[..]);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn credential_id_text(id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

fn clean_name(name: Option<&str>) -> FactorResult<String> {
    let name = name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or("Passkey");
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(FactorError::Invalid(Invalid::new("name", Rule::Text { max_chars: MAX_NAME_CHARS })));
    }
    Ok(name.to_owned())
}

/// What webauthn-rs keeps inside the credential but does not expose:
/// the backup flags and the counter.
fn credential_facts(passkey: &Passkey) -> (bool, bool, u32) {
    let value = serde_json::to_value(passkey).unwrap_or_default();
    let flag =
        |name: &str| value.pointer(&format!("/cred/{name}")).and_then(serde_json::Value::as_bool).unwrap_or(false);
    let counter = value.pointer("/cred/counter").and_then(serde_json::Value::as_u64);
    (flag("backup_eligible"), flag("backup_state"), counter.and_then(|c| u32::try_from(c).ok()).unwrap_or(0))
}

impl Factors {
    fn webauthn(&self) -> FactorResult<&Webauthn> {
        self.webauthn.as_deref().ok_or(FactorError::PasskeysUnavailable)
    }

    async fn save_state(
        &self,
        purpose: Purpose,
        user_id: Option<&UserId>,
        bound_to: Option<&str>,
        state: &impl Serialize,
    ) -> FactorResult<String> {
        let now = self.now();
        let id = challenge_id();
        self.store
            .save_ceremony(&Ceremony {
                id: id.clone(),
                purpose: purpose.as_str().to_owned(),
                user_id: user_id.cloned(),
                bound_to: bound_to.map(str::to_owned),
                state: serde_json::to_string(state).map_err(|e| FactorError::corrupt("ceremony state", e))?,
                created_at: now,
                expires_at: now + CEREMONY_LIFETIME,
            })
            .await?;
        Ok(id)
    }

    /// Takes the ceremony (so it cannot be answered twice) and checks it
    /// belongs to this user and binding and has not expired.
    async fn take_state<T: DeserializeOwned>(
        &self,
        purpose: Purpose,
        challenge_id: &str,
        user_id: Option<&UserId>,
        bound_to: Option<&str>,
    ) -> FactorResult<T> {
        let ceremony = self.store.take_ceremony(challenge_id, purpose.as_str()).await?.ok_or_else(not_accepted)?;
        if ceremony.expires_at <= self.now()
            || ceremony.user_id.as_ref() != user_id
            || ceremony.bound_to.as_deref() != bound_to
        {
            return Err(not_accepted());
        }
        serde_json::from_str(&ceremony.state).map_err(|e| FactorError::corrupt("ceremony state", e))
    }

    fn user_handle(user_id: &UserId) -> FactorResult<Uuid> {
        Uuid::parse_str(user_id.as_str()).map_err(|e| FactorError::corrupt("user id", e))
    }

    fn stored_passkey(stored: &RegisteredPasskey) -> FactorResult<Passkey> {
        serde_json::from_str(&stored.credential).map_err(|e| FactorError::corrupt("passkey", e))
    }

    /// Options for adding a passkey. Existing ones are excluded so the same
    /// authenticator is not registered twice; a resident (discoverable) key
    /// is preferred so the passkey also works without a password.
    /// Needs a recent proof of identity, like every added factor.
    #[tracing::instrument(skip_all)]
    pub async fn passkey_registration_options(&self, caller: &Authenticated) -> FactorResult<RegistrationOptions> {
        self.require_recent_authentication(caller)?;
        let webauthn = self.webauthn()?;
        let user = &caller.user;
        let existing = self.store.passkeys(&user.id).await?;
        let exclude = existing
            .iter()
            .map(|p| Self::stored_passkey(p).map(|k| k.cred_id().clone()))
            .collect::<FactorResult<Vec<_>>>()?;
        let display_name = user.name.clone().unwrap_or_else(|| user.email.clone());
        let (mut options, state) = webauthn
            .start_passkey_registration(Self::user_handle(&user.id)?, &user.email, &display_name, Some(exclude))
            .map_err(|e| FactorError::corrupt("passkey registration", e))?;
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(webauthn_rs_proto::ResidentKeyRequirement::Preferred);
        }
        let challenge_id = self.save_state(Purpose::Register, Some(&user.id), None, &state).await?;
        Ok(RegistrationOptions { challenge_id, options })
    }

    /// Finishes adding a passkey. The account's other sessions that no
    /// second factor went into end.
    #[tracing::instrument(skip_all)]
    pub async fn register_passkey(
        &self,
        caller: &Authenticated,
        challenge_id: &str,
        name: Option<&str>,
        credential: &RegisterPublicKeyCredential,
        client: &ClientInfo,
    ) -> FactorResult<RegisteredPasskey> {
        self.require_recent_authentication(caller)?;
        let name = clean_name(name)?;
        let webauthn = self.webauthn()?;
        let state: PasskeyRegistration =
            self.take_state(Purpose::Register, challenge_id, Some(&caller.user.id), None).await?;
        let passkey = webauthn.finish_passkey_registration(credential, &state).map_err(|error| {
            tracing::info!(%error, "passkey registration refused");
            not_accepted()
        })?;
        let (backup_eligible, backup_state, counter) = credential_facts(&passkey);
        let stored = RegisteredPasskey {
            id: PasskeyId::new(),
            user_id: caller.user.id.clone(),
            credential_id: credential_id_text(passkey.cred_id()),
            name,
            credential: serde_json::to_string(&passkey).map_err(|e| FactorError::corrupt("passkey", e))?,
            backup_eligible,
            backup_state,
            counter,
            created_at: self.now(),
            last_used_at: None,
        };
        let event = NewEvent::new(
            &caller.user.id,
            EventKind::PasskeyAdded,
            json!({"passkey_id": stored.id, "name": stored.name}),
            client,
            self.now(),
        );
        match self.store.add_passkey(&stored, &caller.session.id, &event).await {
            Ok(()) => {
                self.metrics.factor_enrolled("passkey");
                Ok(stored)
            }
            Err(StoreError::Duplicate(Duplicate::Passkey)) => Err(FactorError::PasskeyAlreadyRegistered),
            Err(e) => Err(e.into()),
        }
    }

    /// The caller's passkeys.
    #[tracing::instrument(skip_all)]
    pub async fn passkeys(&self, caller: &Authenticated) -> FactorResult<Vec<RegisteredPasskey>> {
        Ok(self.store.passkeys(&caller.user.id).await?)
    }

    /// Gives one of the caller's passkeys a new name.
    #[tracing::instrument(skip_all)]
    pub async fn rename_passkey(
        &self,
        caller: &Authenticated,
        id: &PasskeyId,
        name: &str,
    ) -> FactorResult<RegisteredPasskey> {
        let name = clean_name(Some(name))?;
        if !self.store.rename_passkey(&caller.user.id, id, &name).await? {
            return Err(FactorError::NotFound);
        }
        let passkeys = self.store.passkeys(&caller.user.id).await?;
        passkeys.into_iter().find(|p| &p.id == id).ok_or(FactorError::NotFound)
    }

    /// Removes a passkey; needs a recent step-up, and is refused when a
    /// license needs what would no longer be there.
    #[tracing::instrument(skip_all)]
    pub async fn remove_passkey(
        &self,
        caller: &Authenticated,
        id: &PasskeyId,
        client: &ClientInfo,
    ) -> FactorResult<()> {
        let enrolled = self.enrolled(&caller.user.id).await?;
        self.require_strong_recent_authentication(caller, enrolled)?;
        let passkeys = self.store.passkeys(&caller.user.id).await?;
        let Some(passkey) = passkeys.iter().find(|p| &p.id == id) else { return Err(FactorError::NotFound) };
        let remaining = Enrolled { passkeys: enrolled.passkeys.saturating_sub(1), ..enrolled };
        let floor = self.floor_for_removal(&caller.user.id, remaining).await?;
        let event = NewEvent::new(
            &caller.user.id,
            EventKind::PasskeyRemoved,
            json!({"passkey_id": passkey.id, "name": passkey.name}),
            client,
            self.now(),
        );
        Self::removed(self.store.remove_passkey(&caller.user.id, id, floor, &event).await?)
    }

    /// Request options for one user's passkeys (second factor or step-up).
    pub(super) async fn assertion_options(
        &self,
        purpose: Purpose,
        user_id: &UserId,
        bound_to: &str,
    ) -> FactorResult<PasskeyOptions> {
        let webauthn = self.webauthn()?;
        let passkeys = self
            .store
            .passkeys(user_id)
            .await?
            .iter()
            .map(Self::stored_passkey)
            .collect::<FactorResult<Vec<Passkey>>>()?;
        if passkeys.is_empty() {
            return Err(FactorError::Shortfall(Shortfall::EnrollmentRequired(Factor::Passkey)));
        }
        let (options, state) = webauthn
            .start_passkey_authentication(&passkeys)
            .map_err(|e| FactorError::corrupt("passkey authentication", e))?;
        let challenge_id = self.save_state(purpose, Some(user_id), Some(bound_to), &state).await?;
        Ok(PasskeyOptions { challenge_id, options })
    }

    /// Verifies an answer to `assertion_options` and records the use.
    pub(super) async fn verify_assertion(
        &self,
        purpose: Purpose,
        user_id: &UserId,
        bound_to: &str,
        challenge_id: &str,
        credential: &PublicKeyCredential,
        client: &ClientInfo,
    ) -> FactorResult<Method> {
        let webauthn = self.webauthn()?;
        let state: PasskeyAuthentication =
            self.take_state(purpose, challenge_id, Some(user_id), Some(bound_to)).await?;
        let stored = self.passkey_of_answer(credential).await?.filter(|p| &p.user_id == user_id);
        let Some(stored) = stored else { return Err(not_accepted()) };
        let result = webauthn.finish_passkey_authentication(credential, &state);
        self.settle_assertion(stored, result, client).await
    }

    /// Options for signing in with a passkey alone: no user is named; the
    /// authenticator offers whichever discoverable passkey it holds.
    #[tracing::instrument(skip_all)]
    pub async fn passwordless_options(&self) -> FactorResult<PasskeyOptions> {
        let webauthn = self.webauthn()?;
        let (options, state) = webauthn
            .start_discoverable_authentication()
            .map_err(|e| FactorError::corrupt("passkey authentication", e))?;
        let challenge_id = self.save_state(Purpose::Passwordless, None, None, &state).await?;
        Ok(PasskeyOptions { challenge_id, options })
    }

    /// Verifies a discoverable answer; returns whose passkey it was.
    pub(super) async fn verify_passwordless(
        &self,
        challenge_id: &str,
        credential: &PublicKeyCredential,
        client: &ClientInfo,
    ) -> FactorResult<(UserId, Method)> {
        let webauthn = self.webauthn()?;
        let state: DiscoverableAuthentication =
            self.take_state(Purpose::Passwordless, challenge_id, None, None).await?;
        let (user_handle, _) = webauthn.identify_discoverable_authentication(credential).map_err(|_| not_accepted())?;
        let stored = self.passkey_of_answer(credential).await?;
        // The authenticator's user handle must name the passkey's owner.
        let Some(stored) = stored.filter(|p| Uuid::parse_str(p.user_id.as_str()).ok() == Some(user_handle)) else {
            return Err(not_accepted());
        };
        let passkey = Self::stored_passkey(&stored)?;
        let result = webauthn.finish_discoverable_authentication_v2(credential, state, &passkey);
        let user_id = stored.user_id.clone();
        let method = self.settle_assertion(stored, result, client).await?;
        Ok((user_id, method))
    }

    async fn passkey_of_answer(&self, credential: &PublicKeyCredential) -> FactorResult<Option<RegisteredPasskey>> {
        Ok(self.store.passkey_by_credential_id(&credential_id_text(credential.get_credential_id())).await?)
    }

    /// After webauthn-rs has judged an answer: save the new counter and
    /// backup state, or report a counter that did not move forward — a
    /// cloned authenticator — to the owner's security events.
    ///
    /// webauthn-rs compares the counter with the copy of the credential taken
    /// when the ceremony started; a clone answering an older ceremony after
    /// the original answered a newer one would pass that check, so the store
    /// compares again, atomically, with the counter saved last.
    async fn settle_assertion(
        &self,
        stored: RegisteredPasskey,
        result: Result<webauthn_rs::prelude::AuthenticationResult, WebauthnError>,
        client: &ClientInfo,
    ) -> FactorResult<Method> {
        let result = match result {
            Ok(result) => result,
            Err(WebauthnError::CredentialPossibleCompromise) => return Err(self.possible_clone(&stored, client).await),
            Err(error) => {
                tracing::info!(%error, "passkey assertion refused");
                return Err(not_accepted());
            }
        };
        let mut passkey = Self::stored_passkey(&stored)?;
        passkey.update_credential(&result);
        let credential = serde_json::to_string(&passkey).map_err(|e| FactorError::corrupt("passkey", e))?;
        let saved = self
            .store
            .record_passkey_use(&PasskeyUse {
                id: &stored.id,
                credential: &credential,
                counter: result.counter(),
                backup_eligible: result.backup_eligible(),
                backup_state: result.backup_state(),
                now: self.now(),
            })
            .await?;
        if !saved {
            // Removed while the ceremony ran is not a clone; it is simply gone.
            if self.store.passkey_by_credential_id(&stored.credential_id).await?.is_none() {
                return Err(not_accepted());
            }
            return Err(self.possible_clone(&stored, client).await);
        }
        Ok(Method::Passkey { synced: result.backup_eligible() })
    }

    async fn possible_clone(&self, stored: &RegisteredPasskey, client: &ClientInfo) -> FactorError {
        tracing::warn!(passkey_id = %stored.id, user_id = %stored.user_id, "passkey counter did not move forward");
        let event = NewEvent::new(
            &stored.user_id,
            EventKind::PasskeyPossiblyCloned,
            json!({"passkey_id": stored.id, "name": stored.name}),
            client,
            self.now(),
        );
        if let Err(error) = self.store.record_event(&event).await {
            return error.into();
        }
        FactorError::Refused { what: Refusal::PossiblyCloned, attempts_left: None }
    }
}
