//! The one call product software makes: what is this key worth, on this device, now?

use time::OffsetDateTime;

use super::{LicenseError, LicenseResult, Licensing};
use crate::domain::codes::{Fingerprint, LicenseKey};
use crate::domain::license::{Activation, License, LicenseStatus};
use crate::domain::reason::Rule;
use crate::domain::validation::{self, DeviceFacts, LicenseFacts, ValidationCode};
use crate::store::{DeviceOnRecord, ValidationFacts};

/// The outcome of one validation.
#[derive(Debug, Clone)]
pub struct Validation {
    /// The result code product software branches on.
    pub code: ValidationCode,
    /// Whether the product may run.
    pub valid: bool,
    /// The license, when the key is one of ours.
    pub license: Option<License>,
    /// The device's activation, when it has one.
    pub activation: Option<Activation>,
    /// When the answer was given, for replay detection with the nonce.
    pub checked_at: OffsetDateTime,
}

impl Licensing {
    /// What a license key is worth now, on a device when a fingerprint is
    /// given and for a product when one is named. Unknown and malformed keys
    /// answer the same.
    // Debug, like the store's hot reads: at info the span cost about a
    // microsecond a validation and adds no line to the log.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn validate(
        &self,
        key: &str,
        fingerprint: Option<&str>,
        product: Option<&str>,
    ) -> LicenseResult<Validation> {
        let now = self.clock.now();
        let fingerprint = fingerprint
            .map(Fingerprint::parse)
            .transpose()
            .map_err(|e| LicenseError::invalid("fingerprint", Rule::Fingerprint(e)))?;
        let outcome = self.judge(key, fingerprint.as_ref(), product, now).await?;
        self.metrics.validation(outcome.code.as_str());
        Ok(outcome)
    }

    async fn judge(
        &self,
        key: &str,
        fingerprint: Option<&Fingerprint>,
        product: Option<&str>,
        now: OffsetDateTime,
    ) -> LicenseResult<Validation> {
        let not_found = Validation {
            code: ValidationCode::NotFound,
            valid: false,
            license: None,
            activation: None,
            checked_at: now,
        };
        // Malformed keys cannot exist; they answer exactly like unknown ones.
        let Some(key) = LicenseKey::parse(key) else { return Ok(not_found) };
        // One statement: the license, and the device's activation with its
        // user's EULA standing, or the seat count when it has none.
        let fingerprint_hash = fingerprint.map(Fingerprint::hash);
        let Some(ValidationFacts { license, device }) =
            self.store.validation_facts(&key.hash(), fingerprint_hash.as_deref(), now).await?
        else {
            return Ok(not_found);
        };
        let policy = self.policy_of(&license)?;
        let (device, activation) = match device {
            DeviceOnRecord::Unnamed => (DeviceFacts::NoFingerprint, None),
            DeviceOnRecord::Activated { activation, eula_accepted } => {
                let eula_accepted = eula_accepted || !policy.eula_required;
                (DeviceFacts::Activated { leased: activation.holds_seat(now), eula_accepted }, Some(*activation))
            }
            DeviceOnRecord::NotActivated { seats_taken } => {
                (DeviceFacts::NotActivated { seats_free: seats_taken < i64::from(license.max_activations) }, None)
            }
        };
        let facts = LicenseFacts {
            suspended: license.status == LicenseStatus::Suspended,
            revoked: license.status == LicenseStatus::Revoked,
            product: &license.product,
            expires_at: license.expires_at,
        };
        let (code, valid) = validation::validate(policy, facts, product, device, now);
        Ok(Validation { code, valid, license: Some(license), activation, checked_at: now })
    }
}
