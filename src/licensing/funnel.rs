//! What the activation pages need from licensing beyond redeeming: a look
//! at a code before anything changes (so the page can say what the code
//! will ask for), and the funnel's counters, timed by the service's clock
//! because pages never read the time.

use std::sync::Arc;

use super::{LicenseError, LicenseResult, Licensing, OwnedLicense};
use crate::domain::account::Authenticated;
use crate::domain::codes::ActivationCode;
use crate::domain::event::EventKind;
use crate::domain::ids::LicenseId;
use crate::domain::policy::Policy;
use crate::domain::reason::{Code, Rule};

/// Timeline events read to find the product's last refused activation.
const RECENT_EVENTS: u32 = 100;

/// Longest gap between opening `/activate` and a working license that the
/// histogram believes; anything longer is a stale cookie, not a journey.
const LONGEST_JOURNEY_SECS: i64 = 30 * 24 * 3600;

/// What a code would give the caller, read without changing anything.
#[derive(Debug, Clone)]
pub struct CodePreview {
    /// The code, in its canonical form.
    pub code: String,
    /// The policy of the license behind it: what it asks of the holder.
    pub policy: Arc<Policy>,
    /// The license, when the caller holds it already.
    pub held: Option<OwnedLicense>,
    /// The code is reserved for the caller's address, which they have not
    /// confirmed yet: redeeming it waits for that.
    pub needs_verified_email: bool,
}

impl Licensing {
    /// The code as typed, checked for typos only: for visitors not signed
    /// in, whose code is judged when they create their account.
    pub fn check_typed_code(typed: &str) -> LicenseResult<String> {
        ActivationCode::parse(typed)
            .map(|code| code.as_str().to_owned())
            .map_err(|e| LicenseError::invalid("activation_code", Rule::ActivationCode(e)))
    }

    /// What `typed` would give the signed-in caller, with the refusals
    /// redeeming would give about the code itself (unknown, reserved for
    /// another address, a license no longer usable). Nothing is spent.
    #[tracing::instrument(skip_all)]
    pub async fn preview_code(&self, caller: &Authenticated, typed: &str) -> LicenseResult<CodePreview> {
        let code = ActivationCode::parse(typed)
            .map_err(|e| LicenseError::invalid("activation_code", Rule::ActivationCode(e)))?;
        let user = &caller.user;
        let license = self.store.license_by_code_hash(&code.hash()).await?;
        // A code reserved for another address looks unknown, as when redeeming.
        let Some(license) = license.filter(|l| l.owner_email.as_ref().is_none_or(|owner| owner == &user.email)) else {
            return Err(LicenseError::NotFound);
        };
        let policy = self.policy_of(&license)?.clone();
        if self.store.is_holder(&license.id, &user.id).await? {
            let activations = self.store.activations_of_license(&license.id).await?;
            let activations = activations.into_iter().filter(|a| a.deactivated_at.is_none()).collect();
            let held =
                OwnedLicense { key: self.reveal_key(&license)?, license, activations, checked_at: self.clock.now() };
            return Ok(CodePreview {
                code: code.as_str().to_owned(),
                policy,
                held: Some(held),
                needs_verified_email: false,
            });
        }
        if let Some(unusable) = license.unusable(policy.expiration, self.clock.now()) {
            return Err(unusable.into());
        }
        let needs_verified_email = license.owner_email.is_some() && !user.email_verified();
        Ok(CodePreview { code: code.as_str().to_owned(), policy, held: None, needs_verified_email })
    }

    /// For each of the caller's licenses whose latest device event is a
    /// refused activation, why it was refused: the product sends the person
    /// to their licenses page, which then says what the product was told
    /// (all seats taken, the license expired…). Read from the timeline,
    /// where `activate` records each refusal; a later activation or removal
    /// on the same license makes it old news.
    #[tracing::instrument(skip_all)]
    pub async fn refused_activations(&self, caller: &Authenticated) -> LicenseResult<Vec<(LicenseId, Code)>> {
        let events = self.store.user_events(&caller.user.id, RECENT_EVENTS).await?;
        let device_events = [
            EventKind::ActivationFailed,
            EventKind::DeviceActivated,
            EventKind::DeviceDeactivated,
            EventKind::CodeRedeemed,
        ]
        .map(EventKind::as_str);
        let mut seen = std::collections::HashSet::new();
        let mut refused = Vec::new();
        // Newest first: the first event naming a license is its latest.
        for event in events.iter().filter(|e| device_events.contains(&e.kind.as_str())) {
            let Some(license) = event.detail.get("license_id").and_then(serde_json::Value::as_str) else { continue };
            if !seen.insert(license.to_owned()) || event.kind != EventKind::ActivationFailed.as_str() {
                continue;
            }
            let code = event.detail.get("code").and_then(serde_json::Value::as_str);
            let code = Code::ALL.into_iter().find(|c| Some(c.as_str()) == code);
            if let (Some(license), Some(code)) = (LicenseId::parse(license), code) {
                refused.push((license, code));
            }
        }
        Ok(refused)
    }

    /// When someone began activating, as the funnel's cookie keeps it.
    pub fn funnel_started(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    /// A step of the activation checklist was shown as the next one.
    pub fn record_activation_step(&self, product: Option<&str>, step: &'static str) {
        self.metrics.activation_step(product.unwrap_or("unknown"), step);
    }

    /// A license is ready to use: how long since the journey began. A
    /// start in the future or long ago is a tampered or stale cookie and
    /// is not counted.
    pub fn record_time_to_value(&self, product: &str, started: i64) {
        let elapsed = self.clock.now().unix_timestamp().saturating_sub(started);
        if (0..=LONGEST_JOURNEY_SECS).contains(&elapsed) {
            #[allow(clippy::cast_precision_loss)] // at most 30 days of seconds: exact in f64
            self.metrics.activation_time_to_value(product, elapsed as f64);
        }
    }
}
