//! Authenticator apps: the secret is shown once at enrollment, sealed at
//! rest, and nothing is active until a right code confirms it.

use serde_json::json;

use super::{FactorError, FactorResult, Factors, Refusal};
use crate::domain::account::Authenticated;
use crate::domain::codes::RecoveryCode;
use crate::domain::event::{ClientInfo, EventKind, NewEvent};
use crate::domain::factors::Enrolled;
use crate::domain::ids::UserId;
use crate::domain::totp;

/// What a user needs to add the account to an app; shown once.
pub struct TotpEnrollment {
    /// The secret in base32, for typing into an app by hand.
    pub secret: String,
    /// The `otpauth://` URI an app scans.
    pub otpauth_uri: String,
    /// The URI as a QR code (SVG).
    pub qr_svg: String,
}

impl std::fmt::Debug for TotpEnrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpEnrollment(..)")
    }
}

/// The sealed secret is bound to its user, so a row copied onto another
/// account does not open.
fn secret_context(user_id: &UserId) -> String {
    format!("totp:{user_id}")
}

impl Factors {
    /// Starts (or restarts) enrollment with a fresh secret.
    /// Adding a factor needs a recent proof of identity: otherwise a stolen
    /// session could add the thief's own factor and step up with it.
    #[tracing::instrument(skip_all)]
    pub async fn enroll_totp(&self, caller: &Authenticated) -> FactorResult<TotpEnrollment> {
        self.require_recent_authentication(caller)?;
        let user = &caller.user;
        let secret = totp::generate_secret();
        let otpauth_uri = totp::otpauth_uri(&secret, &self.issuer, &user.email)
            .map_err(|e| FactorError::corrupt("totp secret", e))?;
        let sealed = self.master_key.seal(&secret_context(&user.id), &secret);
        if !self.store.start_totp_enrollment(&user.id, &sealed, self.now()).await? {
            return Err(FactorError::TotpAlreadySetUp);
        }
        Ok(TotpEnrollment { secret: totp::base32(&secret), qr_svg: totp::qr_svg(&otpauth_uri), otpauth_uri })
    }

    /// The enrollment waiting for its code, shown again (a page that
    /// refused a wrong code asks for another one with the same key).
    pub async fn pending_totp(&self, caller: &Authenticated) -> FactorResult<TotpEnrollment> {
        let user = &caller.user;
        let credential = self.store.totp_credential(&user.id).await?;
        let Some(credential) = credential.filter(|c| c.confirmed_at.is_none()) else {
            return Err(FactorError::NothingToConfirm);
        };
        let secret = self
            .master_key
            .open(&secret_context(&user.id), &credential.secret_sealed)
            .map_err(|e| FactorError::corrupt("totp secret", e))?;
        let otpauth_uri = totp::otpauth_uri(&secret, &self.issuer, &user.email)
            .map_err(|e| FactorError::corrupt("totp secret", e))?;
        Ok(TotpEnrollment { secret: totp::base32(&secret), qr_svg: totp::qr_svg(&otpauth_uri), otpauth_uri })
    }

    /// Activates the pending secret with a right code; returns the new
    /// recovery codes, which replace any old ones. The account's other
    /// sessions that no second factor went into end.
    #[tracing::instrument(skip_all)]
    pub async fn confirm_totp(
        &self,
        caller: &Authenticated,
        code: &str,
        client: &ClientInfo,
    ) -> FactorResult<Vec<RecoveryCode>> {
        self.require_recent_authentication(caller)?;
        let user_id = &caller.user.id;
        let credential = self.store.totp_credential(user_id).await?;
        let Some(credential) = credential.filter(|c| c.confirmed_at.is_none()) else {
            return Err(FactorError::NothingToConfirm);
        };
        let Some(step) = self.matching_step(user_id, &credential.secret_sealed, code)? else {
            return Err(FactorError::Refused { what: Refusal::TotpCode, attempts_left: None });
        };
        let (codes, hashes) = self.new_recovery_codes(user_id);
        let event = NewEvent::new(user_id, EventKind::TotpEnrolled, json!({}), client, self.now());
        if !self
            .store
            .confirm_totp(user_id, &credential.secret_sealed, step, &hashes, &caller.session.id, &event)
            .await?
        {
            return Err(FactorError::NothingToConfirm);
        }
        self.metrics.factor_enrolled("totp");
        Ok(codes)
    }

    /// Removes the authenticator app; needs a recent step-up as strong as
    /// the strongest factor, and is refused when a license needs a second
    /// factor and none would remain.
    #[tracing::instrument(skip_all)]
    pub async fn remove_totp(&self, caller: &Authenticated, client: &ClientInfo) -> FactorResult<()> {
        let enrolled = self.enrolled(&caller.user.id).await?;
        self.require_strong_recent_authentication(caller, enrolled)?;
        if !enrolled.totp {
            return Err(FactorError::NotFound);
        }
        let floor = self.floor_for_removal(&caller.user.id, Enrolled { totp: false, ..enrolled }).await?;
        let event = NewEvent::new(&caller.user.id, EventKind::TotpRemoved, json!({}), client, self.now());
        Self::removed(self.store.remove_totp(&caller.user.id, floor, &event).await?)
    }

    /// Checks a code against the user's confirmed app and spends its time
    /// step. False for a wrong code and for a step already used.
    pub(super) async fn verify_totp(&self, user_id: &UserId, code: &str) -> FactorResult<bool> {
        let credential = self.store.totp_credential(user_id).await?;
        let Some(credential) = credential.filter(|c| c.confirmed_at.is_some()) else { return Ok(false) };
        let Some(step) = self.matching_step(user_id, &credential.secret_sealed, code)? else { return Ok(false) };
        Ok(self.store.accept_totp_step(user_id, step).await?)
    }

    fn matching_step(&self, user_id: &UserId, sealed: &str, code: &str) -> FactorResult<Option<i64>> {
        let secret = self
            .master_key
            .open(&secret_context(user_id), sealed)
            .map_err(|e| FactorError::corrupt("totp secret", e))?;
        let step =
            totp::matching_step(&secret, code, self.now()).map_err(|e| FactorError::corrupt("totp secret", e))?;
        Ok(step.and_then(|s| i64::try_from(s).ok()))
    }
}
