//! Issuing, redeeming, activating and validating licenses.

use std::sync::Arc;

use serde_json::json;
use time::OffsetDateTime;

use crate::auth::accounts::Authenticated;
use crate::auth::{AuthError, ClientInfo, Factors, event, new_id, record_best_effort};
use crate::clock::Clock;
use crate::domain::codes::{ActivationCode, CodeError, Fingerprint, LicenseKey};
use crate::domain::policy::{Binding, Policy, PolicySet};
use crate::domain::validation::{self, DeviceFacts, LicenseFacts, ValidationCode};
use crate::eula::{EulaError, Eulas, Standing};
use crate::secrets::MasterKey;
use crate::store::{
    Activation, IdempotentAnswer, License, LicenseFilter, LicenseStatus, NewLicense, Redemption, SeatClaim,
    SeatRequest, Store, StoreError, User,
};

/// Most licenses one request may issue; bulk runs use the CLI in batches.
pub const MAX_ISSUE_COUNT: u32 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum LicenseError {
    #[error("{field} {problem}")]
    Invalid { field: &'static str, problem: String },
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("every seat of this license is taken")]
    SeatLimitReached,
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The session does not meet the policy's sign-in requirement, or a
    /// step-up is needed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The product's current EULA is not accepted.
    #[error(transparent)]
    Eula(#[from] EulaError),
    /// The operator asks for a verified address before codes are redeemed.
    #[error("verify your email address first")]
    EmailUnverified,
}

/// A device holding a seat, and the EULA version its user accepted (for
/// the certificate), when the policy requires one.
#[derive(Debug, Clone)]
pub struct Granted {
    pub license: License,
    pub activation: Activation,
    pub eula_version: Option<String>,
    /// A seat was taken now (not a device already activated).
    pub new: bool,
    /// This device took the license's only occupied seat: the license went into use.
    pub first_seat: bool,
}

/// A device asking for a seat.
#[derive(Debug, Clone)]
pub struct DeviceRequest {
    pub license_id: String,
    pub fingerprint: String,
    pub name: Option<String>,
    pub platform: Option<String>,
}

/// What a failure looks like on the timeline: the API's code and its words.
fn failure_detail(error: &LicenseError) -> serde_json::Map<String, serde_json::Value> {
    let mut detail = serde_json::Map::new();
    detail.insert("code".into(), json!(error.code()));
    detail.insert("detail".into(), json!(error.to_string()));
    if let LicenseError::Eula(EulaError::AcceptanceRequired { product, version }) = error {
        detail.insert("product".into(), json!(product));
        detail.insert("eula_version".into(), json!(version));
    }
    detail
}

pub type LicenseResult<T> = Result<T, LicenseError>;

impl LicenseError {
    /// The stable code the HTTP API answers with, for the user's timeline:
    /// what a support agent reads to explain a failure.
    pub fn code(&self) -> &'static str {
        use crate::domain::factors::Shortfall;
        match self {
            Self::Invalid { .. } => "validation_failed",
            Self::NotFound => "not_found",
            Self::Conflict(_) => "conflict",
            Self::SeatLimitReached => "seat_limit_reached",
            Self::Store(_) => "internal",
            Self::Auth(AuthError::Shortfall(Shortfall::EnrollmentRequired(_))) => "factor_enrollment_required",
            Self::Auth(AuthError::Shortfall(Shortfall::StrongerSignInRequired(_))) => "mfa_required",
            Self::Auth(AuthError::ReauthenticationRequired) => "reauthentication_required",
            Self::Auth(_) => "unauthorized",
            Self::Eula(EulaError::AcceptanceRequired { .. }) => "eula_acceptance_required",
            Self::Eula(_) => "conflict",
            Self::EmailUnverified => "email_verification_required",
        }
    }
}

fn invalid(field: &'static str, problem: impl Into<String>) -> LicenseError {
    LicenseError::Invalid { field, problem: problem.into() }
}

/// What an admin asks to issue.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    pub policy: String,
    pub count: u32,
    pub owner_email: Option<String>,
    pub expires_at: Option<OffsetDateTime>,
    pub entitlements: Option<Vec<String>>,
    pub metadata: Option<serde_json::Value>,
}

/// A new license with its key and code in clear, shown once.
#[derive(Debug, Clone)]
pub struct IssuedLicense {
    pub license: License,
    pub key: LicenseKey,
    pub code: ActivationCode,
}

/// An `Idempotency-Key` and a digest of the request it came with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub scope: String,
    pub key: String,
    pub request_hash: String,
}

/// Either the fresh result, or the answer first given to the same request.
#[derive(Debug)]
pub enum Issued {
    Fresh(Vec<IssuedLicense>),
    Replayed(serde_json::Value),
}

/// The outcome of one validation.
#[derive(Debug, Clone)]
pub struct Validation {
    pub code: ValidationCode,
    pub valid: bool,
    pub license: Option<License>,
    pub activation: Option<Activation>,
}

#[derive(Clone)]
pub struct Licensing {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    policies: Arc<PolicySet>,
    master_key: Arc<MasterKey>,
    factors: Factors,
    eulas: Eulas,
    require_verified_email: bool,
}

impl std::fmt::Debug for Licensing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Licensing").field("policies", &self.policies.len()).finish_non_exhaustive()
    }
}

const KEY_CONTEXT: &str = "license-key";
const ANSWER_CONTEXT: &str = "idempotent-answer";

impl Licensing {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        policies: Arc<PolicySet>,
        master_key: Arc<MasterKey>,
        factors: Factors,
        eulas: Eulas,
        require_verified_email: bool,
    ) -> Self {
        Self { store, clock, policies, master_key, factors, eulas, require_verified_email }
    }

    /// What a user must have done before a licensed feature opens: signed
    /// in as strongly as the policy asks, and accepted the current EULA.
    /// Returns the accepted EULA version, if the policy needs one.
    async fn require_entry(&self, caller: &Authenticated, policy: &Policy) -> LicenseResult<Option<String>> {
        self.factors.require_sign_in(caller, policy.sign_in).await?;
        if !policy.eula_required {
            return Ok(None);
        }
        Ok(self.eulas.require_accepted(&caller.user.id, &policy.product).await?)
    }

    pub fn policy_of(&self, license: &License) -> LicenseResult<&Arc<Policy>> {
        // A license whose policy file was removed cannot be judged; say so loudly.
        self.policies.get(&license.policy).ok_or_else(|| {
            StoreError::Corrupt(format!("license {} refers to missing policy {}", license.id, license.policy)).into()
        })
    }

    /// Issues `count` licenses. With an idempotency key, a retry of the same
    /// request returns the first answer (`render`'s output, stored sealed)
    /// and a different request under the same key is refused.
    pub async fn issue(
        &self,
        request: IssueRequest,
        actor: &str,
        idempotency: Option<Idempotency>,
        render: impl FnOnce(&[IssuedLicense]) -> serde_json::Value,
    ) -> LicenseResult<Issued> {
        if let Some(idem) = &idempotency
            && let Some(previous) = self.replay(idem).await?
        {
            return Ok(Issued::Replayed(previous));
        }
        let policy = self.policies.get(&request.policy).ok_or_else(|| invalid("policy", "no policy has this name"))?;
        if request.count == 0 || request.count > MAX_ISSUE_COUNT {
            return Err(invalid("count", format!("must be between 1 and {MAX_ISSUE_COUNT}")));
        }
        let now = self.clock.now();
        if request.expires_at.is_some_and(|at| at <= now) {
            return Err(invalid("expires_at", "must be in the future"));
        }
        let owner_email = request
            .owner_email
            .as_deref()
            .map(crate::domain::Email::parse)
            .transpose()
            .map_err(|e| invalid("owner_email", e.to_string()))?
            .map(|email| email.as_str().to_owned());
        let entitlements = request.entitlements.clone().unwrap_or_else(|| policy.entitlements.clone());
        let expires_at = request.expires_at.or_else(|| policy.duration.map(|d| now + d));
        let mut issued = Vec::with_capacity(request.count as usize);
        let mut rows = Vec::with_capacity(request.count as usize);
        for _ in 0..request.count {
            let key = LicenseKey::generate();
            let code = ActivationCode::generate();
            let row = NewLicense {
                id: new_id(),
                key_hash: key.hash(),
                key_sealed: self.master_key.seal(KEY_CONTEXT, key.as_str().as_bytes()),
                policy: policy.name.clone(),
                policy_revision: policy.revision.clone(),
                product: policy.product.clone(),
                max_activations: policy.max_activations,
                entitlements: entitlements.clone(),
                metadata: request.metadata.clone(),
                owner_email: owner_email.clone(),
                expires_at,
                code_hash: code.hash(),
                code_uses: policy.activation_code_uses,
            };
            issued.push(IssuedLicense { license: license_from_new(&row, now), key, code });
            rows.push(row);
        }
        let answer = idempotency.as_ref().map(|idem| IdempotentAnswer {
            scope: idem.scope.clone(),
            key: idem.key.clone(),
            request_hash: idem.request_hash.clone(),
            sealed_response: self.master_key.seal(ANSWER_CONTEXT, render(&issued).to_string().as_bytes()),
        });
        match self.store.issue_licenses(&rows, actor, answer.as_ref(), now).await {
            Ok(()) => Ok(Issued::Fresh(issued)),
            // A concurrent retry with the same key won the race: answer as it did.
            Err(StoreError::Conflict("idempotency key in use")) => match &idempotency {
                Some(idem) => self.replay(idem).await?.map(Issued::Replayed).ok_or(LicenseError::NotFound),
                None => Err(LicenseError::Conflict("idempotency key in use".into())),
            },
            Err(e) => Err(e.into()),
        }
    }

    async fn replay(&self, idem: &Idempotency) -> LicenseResult<Option<serde_json::Value>> {
        let Some(previous) = self.store.idempotent_answer(&idem.scope, &idem.key).await? else { return Ok(None) };
        if previous.request_hash != idem.request_hash {
            return Err(LicenseError::Conflict("This Idempotency-Key was used with a different request.".into()));
        }
        let opened = self
            .master_key
            .open(ANSWER_CONTEXT, &previous.sealed_response)
            .map_err(|e| StoreError::Corrupt(format!("idempotent answer: {e}")))?;
        serde_json::from_slice(&opened).map(Some).map_err(|e| StoreError::Corrupt(e.to_string()).into())
    }

    /// The license key in clear, for its holders.
    pub fn reveal_key(&self, license: &License) -> LicenseResult<String> {
        let bytes = self
            .master_key
            .open(KEY_CONTEXT, &license.key_sealed)
            .map_err(|e| StoreError::Corrupt(format!("license key of {}: {e}", license.id)))?;
        String::from_utf8(bytes.to_vec()).map_err(|e| StoreError::Corrupt(e.to_string()).into())
    }

    pub async fn licenses(&self, filter: &LicenseFilter) -> LicenseResult<Vec<License>> {
        Ok(self.store.licenses(filter).await?)
    }

    pub async fn license(&self, id: &str) -> LicenseResult<License> {
        self.store.license(id).await?.ok_or(LicenseError::NotFound)
    }

    /// Redeems a typed code onto the user's account. A typo is refused
    /// before any lookup; a session weaker than the license's policy asks
    /// for is refused before the code is spent.
    pub async fn redeem(
        &self,
        caller: &Authenticated,
        typed_code: &str,
        client: &ClientInfo,
    ) -> LicenseResult<License> {
        let result = self.redeem_code(caller, typed_code).await;
        let (kind, detail) = match &result {
            Ok(license) => ("code_redeemed", json!({"license_id": license.id, "product": license.product})),
            Err(error) => ("redeem_failed", failure_detail(error).into()),
        };
        self.record(&caller.user, kind, detail, client).await;
        result
    }

    async fn redeem_code(&self, caller: &Authenticated, typed_code: &str) -> LicenseResult<License> {
        let user = &caller.user;
        if self.require_verified_email && user.email_verified_at.is_none() {
            return Err(LicenseError::EmailUnverified);
        }
        let code =
            ActivationCode::parse(typed_code).map_err(|e: CodeError| invalid("activation_code", e.to_string()))?;
        let license = self.store.license_by_code_hash(&code.hash()).await?;
        // A code reserved for another address looks unknown, before any other answer.
        let Some(license) = license.filter(|l| l.owner_email.as_ref().is_none_or(|owner| owner == &user.email)) else {
            return Err(LicenseError::NotFound);
        };
        self.require_entry(caller, self.policy_of(&license)?).await?;
        match self.store.redeem(&code.hash(), &user.id, &user.email, self.clock.now()).await? {
            Redemption::Redeemed(license) | Redemption::AlreadyHolder(license) => Ok(license),
            // An address-bound code looks unknown to everyone else.
            Redemption::UnknownCode | Redemption::ReservedForSomeoneElse => Err(LicenseError::NotFound),
            Redemption::UsedUp => Err(LicenseError::Conflict("This activation code has already been used.".into())),
        }
    }

    /// A license the user holds; anyone else's is simply not found.
    pub async fn held_license(&self, user: &User, license_id: &str) -> LicenseResult<License> {
        let license = self.store.license(license_id).await?.ok_or(LicenseError::NotFound)?;
        if !self.store.is_holder(license_id, &user.id).await? {
            return Err(LicenseError::NotFound);
        }
        Ok(license)
    }

    /// Claims a seat for a device. The same device twice gets its existing
    /// activation. Success and failure alike go on the user's timeline.
    pub async fn activate(
        &self,
        caller: &Authenticated,
        device: DeviceRequest,
        client: &ClientInfo,
    ) -> LicenseResult<Granted> {
        let license_id = device.license_id.clone();
        let result = self.claim_device(caller, device, client).await;
        // A new seat's event (and its mail) is written with the seat; a
        // failure is written here.
        if let Err(error) = &result {
            let mut detail = failure_detail(error);
            detail.insert("license_id".into(), json!(license_id));
            self.record(&caller.user, "activation_failed", detail.into(), client).await;
        }
        result
    }

    async fn claim_device(
        &self,
        caller: &Authenticated,
        device: DeviceRequest,
        client: &ClientInfo,
    ) -> LicenseResult<Granted> {
        let DeviceRequest { license_id, fingerprint, name, platform } = device;
        let license_id = license_id.as_str();
        let fingerprint = fingerprint.as_str();
        let user = &caller.user;
        let fingerprint = Fingerprint::parse(fingerprint).map_err(|e| invalid("fingerprint", e))?;
        let name = bounded("name", name, 200)?;
        let platform = bounded("platform", platform, 100)?;
        let license = self.held_license(user, license_id).await?;
        let policy = self.policy_of(&license)?;
        let eula_version = self.require_entry(caller, policy).await?;
        let now = self.clock.now();
        match license.status {
            LicenseStatus::Active => {}
            LicenseStatus::Suspended => return Err(LicenseError::Conflict("This license is suspended.".into())),
            LicenseStatus::Revoked => return Err(LicenseError::Conflict("This license has been revoked.".into())),
        }
        if license.expires_at.is_some_and(|at| at <= now)
            && policy.expiration == crate::domain::policy::Expiration::Restrict
        {
            return Err(LicenseError::Conflict("This license has expired.".into()));
        }
        let lease = match policy.binding {
            Binding::Floating { lease } => Some(lease),
            Binding::NodeLocked => None,
        };
        let activation_id = new_id();
        let detail =
            json!({"license_id": license.id, "activation_id": activation_id, "name": name, "platform": platform});
        let activated = event(&user.id, "device_activated", detail, client, now);
        let claim = self
            .store
            .claim_seat(&SeatRequest {
                activated,
                activation_id,
                license_id: license.id.clone(),
                user_id: user.id.clone(),
                fingerprint_hash: fingerprint.hash(),
                name,
                platform,
                lease,
                max_activations: license.max_activations,
                now,
            })
            .await?;
        match claim {
            SeatClaim::New(activation) => {
                let taken = self.store.activations_of_license(&license.id).await?;
                let first_seat = taken.iter().filter(|a| a.deactivated_at.is_none()).count() == 1;
                Ok(Granted { license, activation, eula_version, new: true, first_seat })
            }
            SeatClaim::Existing(activation) => {
                Ok(Granted { license, activation, eula_version, new: false, first_seat: false })
            }
            SeatClaim::LimitReached => Err(LicenseError::SeatLimitReached),
        }
    }

    /// The user's activation on a license they hold.
    async fn own_activation(&self, user: &User, activation_id: &str) -> LicenseResult<(License, Activation)> {
        let activation = self.store.activation(activation_id).await?.ok_or(LicenseError::NotFound)?;
        let license = self.held_license(user, &activation.license_id).await?;
        Ok((license, activation))
    }

    /// Frees the device's seat; some policies ask for a recent step-up first,
    /// so a stolen session cannot move seats to the thief's machines.
    pub async fn deactivate(
        &self,
        caller: &Authenticated,
        activation_id: &str,
        client: &ClientInfo,
    ) -> LicenseResult<()> {
        let user = &caller.user;
        let (license, activation) = self.own_activation(user, activation_id).await?;
        if self.policy_of(&license)?.deactivation_requires_step_up {
            self.factors.require_recent_authentication(caller)?;
        }
        if !self.store.deactivate(&activation.id, &format!("user:{}", user.id), self.clock.now()).await? {
            return Err(LicenseError::NotFound);
        }
        let detail = json!({"license_id": license.id, "activation_id": activation.id});
        self.record(user, "device_deactivated", detail, client).await;
        Ok(())
    }

    /// The one-click link from a "new device" mail: frees the seat without
    /// signing in, because whoever reads the account's mail may say "not me".
    /// The link is a keyed hash of the activation and its end, so it cannot
    /// be made up, stops working when it expires, and does nothing twice.
    pub async fn remove_device_by_link(
        &self,
        activation_id: &str,
        expires: i64,
        signature: &str,
        client: &ClientInfo,
    ) -> LicenseResult<()> {
        let expected = crate::mail::outbox::device_removal_signature(&self.master_key, activation_id, expires);
        let genuine =
            aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), signature.as_bytes()).is_ok();
        if !genuine || expires <= self.clock.now().unix_timestamp() {
            return Err(invalid("link", "is not valid or has expired; sign in to manage your devices"));
        }
        let activation = self.store.activation(activation_id).await?.ok_or(LicenseError::NotFound)?;
        if activation.deactivated_at.is_some() {
            return Ok(());
        }
        let now = self.clock.now();
        if self.store.deactivate(&activation.id, "mailed-link", now).await?
            && let Some(user_id) = &activation.user_id
        {
            let detail =
                json!({"license_id": activation.license_id, "activation_id": activation.id, "via": "mailed_link"});
            record_best_effort(self.store.as_ref(), &event(user_id, "device_deactivated", detail, client, now)).await;
        }
        Ok(())
    }

    /// Puts an event on the user's timeline after the fact it describes: a
    /// failure to record is logged, never turned into the request's error.
    async fn record(&self, user: &User, kind: &'static str, detail: serde_json::Value, client: &ClientInfo) {
        record_best_effort(self.store.as_ref(), &event(&user.id, kind, detail, client, self.clock.now())).await;
    }

    /// Extends a floating lease. A lapsed lease cannot be revived this way:
    /// the device must activate again, which checks the seat limit.
    pub async fn heartbeat(&self, user: &User, activation_id: &str) -> LicenseResult<Activation> {
        let (license, activation) = self.own_activation(user, activation_id).await?;
        self.extend_lease(&license, activation).await
    }

    /// The same for product software that holds only the license key: the
    /// activation must belong to that key's license.
    pub async fn heartbeat_by_key(&self, key: &str, activation_id: &str) -> LicenseResult<Activation> {
        let key = LicenseKey::parse(key).ok_or(LicenseError::NotFound)?;
        let license = self.store.license_by_key_hash(&key.hash()).await?.ok_or(LicenseError::NotFound)?;
        let activation = self.store.activation(activation_id).await?.ok_or(LicenseError::NotFound)?;
        if activation.license_id != license.id {
            return Err(LicenseError::NotFound);
        }
        self.extend_lease(&license, activation).await
    }

    async fn extend_lease(&self, license: &License, activation: Activation) -> LicenseResult<Activation> {
        if activation.deactivated_at.is_some() {
            return Err(LicenseError::NotFound);
        }
        match self.policy_of(license)?.binding {
            Binding::NodeLocked => Ok(activation),
            Binding::Floating { lease } => self
                .store
                .heartbeat(&activation.id, lease, self.clock.now())
                .await?
                .ok_or_else(|| LicenseError::Conflict("The lease has lapsed; activate again.".into())),
        }
    }

    /// One call for product software: what is the state of this key (on this device)?
    pub async fn validate(
        &self,
        key: &str,
        fingerprint: Option<&str>,
        product: Option<&str>,
    ) -> LicenseResult<Validation> {
        let not_found = Validation { code: ValidationCode::NotFound, valid: false, license: None, activation: None };
        // Malformed keys cannot exist; they answer exactly like unknown ones.
        let Some(key) = LicenseKey::parse(key) else { return Ok(not_found) };
        let Some(license) = self.store.license_by_key_hash(&key.hash()).await? else { return Ok(not_found) };
        let policy = self.policy_of(&license)?.clone();
        let now = self.clock.now();
        let fingerprint = fingerprint.map(Fingerprint::parse).transpose().map_err(|e| invalid("fingerprint", e))?;
        let (device, activation) = match &fingerprint {
            None => (DeviceFacts::NoFingerprint, None),
            Some(fingerprint) => match self.store.activation_by_fingerprint(&license.id, &fingerprint.hash()).await? {
                Some(activation) => {
                    let eula_accepted = self.eula_accepted(&policy, &license, &activation).await?;
                    (DeviceFacts::Activated { leased: activation.holds_seat(now), eula_accepted }, Some(activation))
                }
                None => {
                    let taken = self
                        .store
                        .activations_of_license(&license.id)
                        .await?
                        .iter()
                        .filter(|a| a.holds_seat(now))
                        .count();
                    (DeviceFacts::NotActivated { seats_free: taken < license.max_activations as usize }, None)
                }
            },
        };
        let facts = LicenseFacts {
            suspended: license.status == LicenseStatus::Suspended,
            revoked: license.status == LicenseStatus::Revoked,
            product: &license.product,
            expires_at: license.expires_at,
        };
        let (code, valid) = validation::validate(&policy, facts, product, device, now);
        Ok(Validation { code, valid, license: Some(license), activation })
    }

    /// Whether the user who activated the device still stands by the
    /// product's current EULA; a device whose user is gone cannot.
    async fn eula_accepted(&self, policy: &Policy, license: &License, activation: &Activation) -> LicenseResult<bool> {
        if !policy.eula_required {
            return Ok(true);
        }
        let Some(user_id) = &activation.user_id else { return Ok(false) };
        Ok(!matches!(self.eulas.standing(user_id, &license.product).await?, Standing::Required { .. }))
    }

    pub async fn change_status(&self, license_id: &str, to: LicenseStatus, actor: &str) -> LicenseResult<License> {
        let from: &[LicenseStatus] = match to {
            LicenseStatus::Suspended => &[LicenseStatus::Active],
            LicenseStatus::Active => &[LicenseStatus::Suspended],
            LicenseStatus::Revoked => &[LicenseStatus::Active, LicenseStatus::Suspended],
        };
        match self.store.change_status(license_id, from, to, actor, self.clock.now()).await? {
            Some(license) => Ok(license),
            None => {
                let current = self.license(license_id).await?;
                Err(LicenseError::Conflict(format!("The license is {}.", current.status.as_str())))
            }
        }
    }

    /// Extends the license to `expires_at`, or by one policy term from the
    /// later of now and its current expiry.
    pub async fn renew(
        &self,
        license_id: &str,
        expires_at: Option<OffsetDateTime>,
        actor: &str,
    ) -> LicenseResult<License> {
        let license = self.license(license_id).await?;
        let now = self.clock.now();
        let until = match expires_at {
            Some(at) if at <= now => return Err(invalid("expires_at", "must be in the future")),
            Some(at) => at,
            None => {
                let term = self
                    .policy_of(&license)?
                    .duration
                    .ok_or_else(|| invalid("expires_at", "this policy is perpetual; give the new expiry explicitly"))?;
                license.expires_at.map_or(now, |current| current.max(now)) + term
            }
        };
        self.store
            .renew(license_id, until, actor, now)
            .await?
            .ok_or_else(|| LicenseError::Conflict("A revoked license cannot be renewed.".into()))
    }

    /// Frees a seat on an admin's word.
    pub async fn free_seat(&self, activation_id: &str, actor: &str) -> LicenseResult<()> {
        if self.store.deactivate(activation_id, actor, self.clock.now()).await? {
            Ok(())
        } else {
            Err(LicenseError::NotFound)
        }
    }
}

fn bounded(field: &'static str, value: Option<String>, max_chars: usize) -> LicenseResult<Option<String>> {
    match value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > max_chars || v.chars().any(char::is_control) => {
            Err(invalid(field, format!("must be at most {max_chars} characters, without control characters")))
        }
        other => Ok(other),
    }
}

fn license_from_new(row: &NewLicense, now: OffsetDateTime) -> License {
    License {
        id: row.id.clone(),
        key_sealed: row.key_sealed.clone(),
        policy: row.policy.clone(),
        policy_revision: row.policy_revision.clone(),
        product: row.product.clone(),
        status: LicenseStatus::Active,
        max_activations: row.max_activations,
        entitlements: row.entitlements.clone(),
        metadata: row.metadata.clone(),
        owner_email: row.owner_email.clone(),
        expires_at: row.expires_at,
        created_at: now,
        updated_at: now,
    }
}
