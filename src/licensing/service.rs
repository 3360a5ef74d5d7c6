//! The `Licensing` service: its parts, issuing licenses, and the changes
//! admins make to them.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::{LicenseError, LicenseResult};
use crate::clock::Clock;
use crate::domain::account::Authenticated;
use crate::domain::codes::{ActivationCode, LicenseKey};
use crate::domain::event::{ClientInfo, EventKind, NewEvent};
use crate::domain::ids::{ActivationId, LicenseId, UserId};
use crate::domain::license::{Activation, Actor, License, LicenseEvent, LicenseFilter, LicenseStatus};
use crate::domain::policy::{Policy, PolicySet};
use crate::domain::reason::Rule;
use crate::eula::Eulas;
use crate::factors::Factors;
use crate::metrics::Metrics;
use crate::secrets::MasterKey;
use crate::store::{Duplicate, IdempotentAnswer, NewLicense, Store, StoreError};
use crate::tokens::SigningKeys;

/// Most licenses one request may issue; bulk runs use the CLI in batches.
pub const MAX_ISSUE_COUNT: u32 = 1000;

const KEY_CONTEXT: &str = "license-key";
/// Sealing context of stored idempotent answers (the issued licenses with
/// their keys and codes).
const ANSWER_CONTEXT: &str = "issued-licenses";

/// What an admin asks to issue.
#[derive(Debug, Clone, Serialize)]
pub struct IssueRequest {
    /// The policy to issue under.
    pub policy: String,
    /// How many licenses (1 to [`MAX_ISSUE_COUNT`]).
    pub count: u32,
    /// Only this address may redeem the codes.
    pub owner_email: Option<String>,
    /// When they end; default: one policy term from now.
    pub expires_at: Option<OffsetDateTime>,
    /// What they unlock; default: the policy's.
    pub entitlements: Option<Vec<String>>,
    /// Whatever the issuer attaches.
    pub metadata: Option<serde_json::Value>,
}

/// A new license with its key and code in clear, shown once.
#[derive(Debug, Clone)]
pub struct IssuedLicense {
    /// The license.
    pub license: License,
    /// Its key, for product software.
    pub key: LicenseKey,
    /// Its code, for the end user.
    pub code: ActivationCode,
}

/// Licenses issued now, or the answer first given to the same request.
#[derive(Debug)]
pub struct Issued {
    /// The licenses, keys and codes.
    pub licenses: Vec<IssuedLicense>,
    /// Whether this repeats the first answer to the same idempotency key.
    pub replayed: bool,
}

/// What is sealed under an idempotency key: enough to give the first answer again.
#[derive(Serialize, Deserialize)]
struct SealedIssue {
    licenses: Vec<(License, String, String)>,
}

/// One license with its activations and history, for admins.
#[derive(Debug, Clone)]
pub struct LicenseDetail {
    /// The license.
    pub license: License,
    /// Every activation, ended ones included.
    pub activations: Vec<Activation>,
    /// Its history, oldest first.
    pub events: Vec<LicenseEvent>,
}

/// Revoked license ids for offline clients.
#[derive(Debug, Clone)]
pub struct Revocations {
    /// Every revoked license.
    pub revoked: Vec<LicenseId>,
    /// When the list was read.
    pub issued_at: OffsetDateTime,
}

/// Everything `Licensing` is built from.
pub struct LicensingConfig {
    /// Licenses, codes and seats.
    pub store: Arc<dyn Store>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// The loaded policies.
    pub policies: Arc<PolicySet>,
    /// Seals license keys and idempotent answers.
    pub master_key: Arc<MasterKey>,
    /// Sign-in requirements and step-up.
    pub factors: Factors,
    /// EULA requirements.
    pub eulas: Eulas,
    /// Signs offline certificates.
    pub keys: Arc<SigningKeys>,
    /// `iss` of certificates: the public URL.
    pub issuer: String,
    /// Whether codes need a verified address.
    pub require_verified_email: bool,
    /// Funnel counters.
    pub metrics: Arc<Metrics>,
}

/// Licenses, seats and validation.
#[derive(Clone)]
pub struct Licensing {
    pub(super) store: Arc<dyn Store>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) policies: Arc<PolicySet>,
    pub(super) master_key: Arc<MasterKey>,
    pub(super) factors: Factors,
    pub(super) eulas: Eulas,
    pub(super) keys: Arc<SigningKeys>,
    pub(super) issuer: String,
    pub(super) require_verified_email: bool,
    pub(super) metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Licensing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Licensing").field("policies", &self.policies.len()).finish_non_exhaustive()
    }
}

impl Licensing {
    /// The service, from its parts.
    pub fn new(config: LicensingConfig) -> Self {
        let LicensingConfig {
            store,
            clock,
            policies,
            master_key,
            factors,
            eulas,
            keys,
            issuer,
            require_verified_email,
            metrics,
        } = config;
        Self {
            store,
            clock,
            policies,
            master_key,
            factors,
            eulas,
            keys,
            issuer: issuer.trim_end_matches('/').to_owned(),
            require_verified_email,
            metrics,
        }
    }

    /// What a user must have done before a licensed feature opens: signed
    /// in as strongly as the policy asks, and accepted the current EULA.
    /// Returns the accepted EULA version, if the policy needs one.
    pub(super) async fn require_entry(&self, caller: &Authenticated, policy: &Policy) -> LicenseResult<Option<String>> {
        self.factors.require_sign_in(caller, policy.sign_in).await?;
        if !policy.eula_required {
            return Ok(None);
        }
        Ok(self.eulas.require_accepted(&caller.user.id, &policy.product).await?)
    }

    /// The policy a license was issued under.
    pub(super) fn policy_of(&self, license: &License) -> LicenseResult<&Arc<Policy>> {
        // A license whose policy file was removed cannot be judged; say so loudly.
        self.policies.get(&license.policy).ok_or_else(|| {
            LicenseError::corrupt(format!("license {} refers to missing policy {}", license.id, license.policy))
        })
    }

    /// Puts an event on the user's timeline after the fact it describes: a
    /// failure to record is logged, never turned into the request's error.
    pub(super) async fn record(
        &self,
        user_id: &UserId,
        kind: EventKind,
        detail: serde_json::Value,
        client: &ClientInfo,
    ) {
        let event = NewEvent::new(user_id, kind, detail, client, self.clock.now());
        crate::store::record_best_effort(self.store.as_ref(), &event).await;
    }

    /// Issues `count` licenses. With an idempotency key, a retry of the same
    /// request gives the first answer again, and a different request under
    /// the same key is refused.
    #[tracing::instrument(skip_all)]
    pub async fn issue(
        &self,
        request: IssueRequest,
        actor: &Actor,
        idempotency_key: Option<&str>,
    ) -> LicenseResult<Issued> {
        let idempotency = idempotency_key.map(|key| Idempotency::of(actor, key, &request)).transpose()?;
        if let Some(idem) = &idempotency
            && let Some(previous) = self.replay(idem).await?
        {
            return Ok(previous);
        }
        let policy = self.policies.get(&request.policy).ok_or(LicenseError::invalid("policy", Rule::UnknownPolicy))?;
        if request.count == 0 || request.count > MAX_ISSUE_COUNT {
            return Err(LicenseError::invalid("count", Rule::Between { min: 1, max: i64::from(MAX_ISSUE_COUNT) }));
        }
        let now = self.clock.now();
        if request.expires_at.is_some_and(|at| at <= now) {
            return Err(LicenseError::invalid("expires_at", Rule::InFuture));
        }
        let owner_email = request
            .owner_email
            .as_deref()
            .map(crate::domain::Email::parse)
            .transpose()
            .map_err(|e| LicenseError::invalid("owner_email", Rule::Email(e)))?
            .map(|email| email.as_str().to_owned());
        let entitlements = request.entitlements.clone().unwrap_or_else(|| policy.entitlements.clone());
        let expires_at = request.expires_at.or_else(|| policy.duration.map(|d| now + d));
        let mut issued = Vec::with_capacity(request.count as usize);
        let mut rows = Vec::with_capacity(request.count as usize);
        for _ in 0..request.count {
            let key = LicenseKey::generate();
            let code = ActivationCode::generate();
            let row = NewLicense {
                id: LicenseId::new(),
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
        let answer = idempotency.as_ref().map(|idem| self.seal_answer(idem, &issued)).transpose()?;
        match self.store.issue_licenses(&rows, actor, answer.as_ref(), now).await {
            Ok(()) => Ok(Issued { licenses: issued, replayed: false }),
            // A concurrent retry with the same key won the race: answer as it did.
            Err(StoreError::Duplicate(Duplicate::IdempotencyKey)) => match &idempotency {
                Some(idem) => self.replay(idem).await?.ok_or(LicenseError::IdempotencyKeyReused),
                None => Err(LicenseError::IdempotencyKeyReused),
            },
            Err(e) => Err(e.into()),
        }
    }

    fn seal_answer(&self, idem: &Idempotency, issued: &[IssuedLicense]) -> LicenseResult<IdempotentAnswer> {
        let sealed = SealedIssue {
            licenses: issued
                .iter()
                .map(|i| (i.license.clone(), i.key.as_str().to_owned(), i.code.as_str().to_owned()))
                .collect(),
        };
        let json = serde_json::to_vec(&sealed).map_err(LicenseError::corrupt)?;
        Ok(IdempotentAnswer {
            scope: idem.scope.clone(),
            key: idem.key.clone(),
            request_hash: idem.request_hash.clone(),
            sealed_response: self.master_key.seal(ANSWER_CONTEXT, &json),
        })
    }

    async fn replay(&self, idem: &Idempotency) -> LicenseResult<Option<Issued>> {
        let Some(previous) = self.store.idempotent_answer(&idem.scope, &idem.key).await? else { return Ok(None) };
        if previous.request_hash != idem.request_hash {
            return Err(LicenseError::IdempotencyKeyReused);
        }
        let opened = self
            .master_key
            .open(ANSWER_CONTEXT, &previous.sealed_response)
            .map_err(|e| LicenseError::corrupt(format!("idempotent answer: {e}")))?;
        let sealed: SealedIssue = serde_json::from_slice(&opened).map_err(LicenseError::corrupt)?;
        let licenses = sealed
            .licenses
            .into_iter()
            .map(|(license, key, code)| {
                let key = LicenseKey::parse(&key).ok_or_else(|| LicenseError::corrupt("replayed license key"))?;
                let code = ActivationCode::parse(&code).map_err(LicenseError::corrupt)?;
                Ok(IssuedLicense { license, key, code })
            })
            .collect::<LicenseResult<Vec<_>>>()?;
        Ok(Some(Issued { licenses, replayed: true }))
    }

    /// The license key in clear, for its holders.
    pub(super) fn reveal_key(&self, license: &License) -> LicenseResult<String> {
        let bytes = self
            .master_key
            .open(KEY_CONTEXT, &license.key_sealed)
            .map_err(|e| LicenseError::corrupt(format!("license key of {}: {e}", license.id)))?;
        String::from_utf8(bytes.to_vec()).map_err(LicenseError::corrupt)
    }

    /// Licenses matching `filter`, newest first.
    #[tracing::instrument(skip_all)]
    pub async fn licenses(&self, filter: &LicenseFilter) -> LicenseResult<Vec<License>> {
        Ok(self.store.licenses(filter).await?)
    }

    /// One license with its activations and history.
    #[tracing::instrument(skip_all)]
    pub async fn detail(&self, id: &LicenseId) -> LicenseResult<LicenseDetail> {
        let license = self.store.license(id).await?.ok_or(LicenseError::NotFound)?;
        let activations = self.store.activations_of_license(id).await?;
        let events = self.store.license_events(id).await?;
        Ok(LicenseDetail { license, activations, events })
    }

    /// Every revoked license, for offline clients.
    #[tracing::instrument(skip_all)]
    pub async fn revocations(&self) -> LicenseResult<Revocations> {
        Ok(Revocations { revoked: self.store.revoked_license_ids().await?, issued_at: self.clock.now() })
    }

    /// Suspends, reinstates or revokes a license. A revoked license stays revoked.
    #[tracing::instrument(skip_all)]
    pub async fn change_status(
        &self,
        license_id: &LicenseId,
        to: LicenseStatus,
        actor: &Actor,
    ) -> LicenseResult<License> {
        let from: &[LicenseStatus] = match to {
            LicenseStatus::Suspended => &[LicenseStatus::Active],
            LicenseStatus::Active => &[LicenseStatus::Suspended],
            LicenseStatus::Revoked => &[LicenseStatus::Active, LicenseStatus::Suspended],
        };
        if let Some(license) = self.store.change_status(license_id, from, to, actor, self.clock.now()).await? {
            return Ok(license);
        }
        let current = self.store.license(license_id).await?.ok_or(LicenseError::NotFound)?;
        Err(match current.status {
            LicenseStatus::Revoked => LicenseError::LicenseRevoked,
            status => LicenseError::AlreadyInStatus(status),
        })
    }

    /// Extends the license to `expires_at`, or by one policy term from the
    /// later of now and its current expiry.
    #[tracing::instrument(skip_all)]
    pub async fn renew(
        &self,
        license_id: &LicenseId,
        expires_at: Option<OffsetDateTime>,
        actor: &Actor,
    ) -> LicenseResult<License> {
        let license = self.store.license(license_id).await?.ok_or(LicenseError::NotFound)?;
        let now = self.clock.now();
        let until = match expires_at {
            Some(at) if at <= now => return Err(LicenseError::invalid("expires_at", Rule::InFuture)),
            Some(at) => at,
            None => {
                let term = self
                    .policy_of(&license)?
                    .duration
                    .ok_or(LicenseError::invalid("expires_at", Rule::PerpetualPolicy))?;
                license.expires_at.map_or(now, |current| current.max(now)) + term
            }
        };
        self.store.renew(license_id, until, actor, now).await?.ok_or(LicenseError::LicenseRevoked)
    }

    /// Frees a seat on an admin's word.
    #[tracing::instrument(skip_all)]
    pub async fn free_seat(&self, activation_id: &ActivationId, actor: &Actor) -> LicenseResult<()> {
        if self.store.deactivate(activation_id, actor, self.clock.now()).await? {
            Ok(())
        } else {
            Err(LicenseError::NotFound)
        }
    }
}

/// An `Idempotency-Key` and a digest of the request it came with, scoped
/// to its caller so two admins' keys never collide.
struct Idempotency {
    scope: String,
    key: String,
    request_hash: String,
}

impl Idempotency {
    fn of(actor: &Actor, key: &str, request: &IssueRequest) -> LicenseResult<Self> {
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            return Err(LicenseError::invalid("Idempotency-Key", Rule::Name { max_chars: 255 }));
        }
        let canonical = serde_json::to_vec(request).map_err(LicenseError::corrupt)?;
        // An admin's keys are scoped to the key's id, as they always were.
        let scope = match actor {
            Actor::Admin(id) => format!("issue:{id}"),
            other => format!("issue:{other}"),
        };
        Ok(Self { scope, key: key.to_owned(), request_hash: hex::encode(Sha256::digest(&canonical)) })
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
