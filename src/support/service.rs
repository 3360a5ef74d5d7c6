//! The `Support` service.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::{SupportError, SupportResult};
use crate::clock::Clock;
use crate::domain::Email;
use crate::domain::account::{ApiKey, Authenticated, User};
use crate::domain::eula::Standing;
use crate::domain::event::{ClientInfo, EventKind, NewEvent, UserEvent};
use crate::domain::ids::UserId;
use crate::domain::license::{License, LicenseFilter};
use crate::domain::lockout::{AttemptKey, AttemptKind, seconds_until};
use crate::domain::policy::PolicySet;
use crate::domain::reason::{Invalid, Rule};
use crate::eula::Eulas;
use crate::secrets::MasterKey;
use crate::store::{AttemptReservation, Store};
use crate::tokens::{Introspection, Tokens};

/// How long a PIN can be read out.
pub const PIN_LIFETIME: Duration = Duration::minutes(10);
const RECENT_EVENTS: u32 = 20;
/// Most events one timeline read returns.
pub const MAX_TIMELINE: u32 = 500;

/// A PIN for the user to read out; shown once.
pub struct IssuedPin {
    /// Six digits.
    pub pin: String,
    /// When it stops working.
    pub expires_at: OffsetDateTime,
}

impl std::fmt::Debug for IssuedPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedPin").field("expires_at", &self.expires_at).finish_non_exhaustive()
    }
}

/// What an agent learns about a verified caller.
#[derive(Debug, Clone)]
pub struct CallerFacts {
    /// Who the caller is.
    pub user: User,
    /// Their second factors (`totp`, `webauthn`, `recovery_code`).
    pub factors: Vec<&'static str>,
    /// The licenses they hold.
    pub licenses: Vec<License>,
    /// Their standing with each licensed product's EULA, where a policy asks for one.
    pub eula: Vec<(String, Standing)>,
    /// Their newest events.
    pub recent_events: Vec<UserEvent>,
}

/// Six uniformly random digits (rejection sampling keeps them uniform).
fn random_pin() -> String {
    const LIMIT: u32 = u32::MAX - u32::MAX % 1_000_000;
    loop {
        let mut bytes = [0u8; 4];
        rand::fill(&mut bytes[..]);
        let value = u32::from_le_bytes(bytes);
        if value < LIMIT {
            return format!("{:06}", value % 1_000_000);
        }
    }
}

/// Everything `Support` is built from.
pub struct SupportConfig {
    /// PINs, users and events.
    pub store: Arc<dyn Store>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Keys the PIN hashes.
    pub master_key: Arc<MasterKey>,
    /// EULA standing.
    pub eulas: Eulas,
    /// Which policies require a EULA.
    pub policies: Arc<PolicySet>,
    /// Checks widget tokens.
    pub tokens: Tokens,
}

/// Caller verification and timelines for support agents.
#[derive(Clone)]
pub struct Support {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    master_key: Arc<MasterKey>,
    eulas: Eulas,
    policies: Arc<PolicySet>,
    tokens: Tokens,
    /// Refused checks being recorded after their answer, at most this many at once.
    detached_writes: Arc<tokio::sync::Semaphore>,
}

/// Concurrent background writes of refused support checks.
const MAX_DETACHED_WRITES: usize = 16;

impl std::fmt::Debug for Support {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Support").finish_non_exhaustive()
    }
}

impl Support {
    /// The service, from its parts.
    pub fn new(config: SupportConfig) -> Self {
        let SupportConfig { store, clock, master_key, eulas, policies, tokens } = config;
        let detached_writes = Arc::new(tokio::sync::Semaphore::new(MAX_DETACHED_WRITES));
        Self { store, clock, master_key, eulas, policies, tokens, detached_writes }
    }

    /// Six digits have too little entropy for a plain hash: the keyed hash
    /// cannot be searched without the master key.
    fn pin_hash(&self, user_id: &UserId, pin: &str) -> String {
        self.master_key.keyed_hash("support-pin", format!("{user_id}:{pin}").as_bytes())
    }

    /// A new PIN for the signed-in user; it replaces any earlier one.
    #[tracing::instrument(skip_all)]
    pub async fn issue_pin(&self, caller: &Authenticated, client: &ClientInfo) -> SupportResult<IssuedPin> {
        let now = self.clock.now();
        let pin = random_pin();
        let expires_at = now + PIN_LIFETIME;
        let created = NewEvent::new(&caller.user.id, EventKind::SupportPinCreated, json!({}), client, now);
        self.store
            .replace_support_pin(&caller.user.id, &self.pin_hash(&caller.user.id, &pin), expires_at, &created)
            .await?;
        Ok(IssuedPin { pin, expires_at })
    }

    /// Checks a PIN read out to `agent`. Every attempt counts toward a lock
    /// of five per address in 15 minutes, known address or not, and is an
    /// event on a known account; a wrong answer says nothing about why, in
    /// its words or its time.
    #[tracing::instrument(skip_all)]
    pub async fn verify_pin(
        &self,
        agent: &ApiKey,
        email: &str,
        pin: &str,
        client: &ClientInfo,
    ) -> SupportResult<Option<CallerFacts>> {
        let now = self.clock.now();
        let Ok(email) = Email::parse(email) else { return Ok(None) };
        let counter = AttemptKey::new(AttemptKind::SupportPin, email.as_str());
        match self.store.reserve_attempts(std::slice::from_ref(&counter), now).await? {
            AttemptReservation::Reserved(_) => {}
            AttemptReservation::Locked { until, .. } => {
                return Err(SupportError::Locked { retry_after_secs: seconds_until(until, now) });
            }
        }
        let account = self.store.user_credentials_by_email(email.as_str()).await?;
        // An unknown address runs the same check against an id that has no
        // PIN, so the answer takes as long either way.
        let checked_id = account.as_ref().map_or_else(UserId::new, |a| a.user.id.clone());
        let digits: String = pin.chars().filter(|c| !c.is_whitespace()).collect();
        let verified = digits.len() == 6
            && digits.bytes().all(|b| b.is_ascii_digit())
            && self.store.take_support_pin(&checked_id, &self.pin_hash(&checked_id, &digits), now).await?;
        let Some(account) = account else { return Ok(None) };
        let user = account.user;
        let attempt = NewEvent::new(
            &user.id,
            EventKind::SupportVerification,
            json!({"verified": verified, "agent": agent.name, "agent_key_id": agent.id}),
            client,
            now,
        );
        if !verified {
            // Written after the answer: waiting for it would tell a known
            // address from an unknown one by time alone.
            self.record_detached(attempt);
            return Ok(None);
        }
        self.store.record_event(&attempt).await?;
        self.store.clear_attempts(&counter).await?;
        Ok(Some(self.facts(user).await?))
    }

    /// Records a refused check in the background, a few at a time; beyond
    /// that the event is dropped with a warning (the attempt still counts).
    fn record_detached(&self, event: NewEvent) {
        let Ok(permit) = self.detached_writes.clone().try_acquire_owned() else {
            tracing::warn!("too many support events being written; this one is dropped");
            return;
        };
        let store = self.store.clone();
        tokio::spawn(async move {
            crate::store::record_best_effort(store.as_ref(), &event).await;
            drop(permit);
        });
    }

    /// Checks a token the caller's widget or app holds: one of our access
    /// tokens, live. Unguessable, so no lockout; a success is an event.
    #[tracing::instrument(skip_all)]
    pub async fn verify_token(
        &self,
        agent: &ApiKey,
        token: &str,
        client: &ClientInfo,
    ) -> SupportResult<Option<CallerFacts>> {
        let Introspection::Active(claims) = self.tokens.introspect(token).await? else {
            // No user to put it on; the log keeps who tried.
            tracing::warn!(agent = %agent.name, agent_key_id = %agent.id, "support verification with a token that is not live");
            return Ok(None);
        };
        let Some(user_id) = UserId::parse(&claims.sub) else { return Ok(None) };
        let Some(user) = self.store.user(&user_id).await? else { return Ok(None) };
        let detail = json!({"verified": true, "method": "token", "audience": claims.aud, "agent": agent.name,
            "agent_key_id": agent.id});
        let verified = NewEvent::new(&user.id, EventKind::SupportVerification, detail, client, self.clock.now());
        self.store.record_event(&verified).await?;
        Ok(Some(self.facts(user).await?))
    }

    /// Everything recorded about a user, newest first: what an agent reads
    /// to answer "why can't I activate?".
    #[tracing::instrument(skip_all)]
    pub async fn timeline(&self, user_id: &UserId, limit: u32) -> SupportResult<(User, Vec<UserEvent>)> {
        if !(1..=MAX_TIMELINE).contains(&limit) {
            let rule = Rule::Between { min: 1, max: i64::from(MAX_TIMELINE) };
            return Err(SupportError::Invalid(Invalid::new("limit", rule)));
        }
        let user = self.store.user(user_id).await?.ok_or(SupportError::NotFound)?;
        let events = self.store.user_events(user_id, limit).await?;
        Ok((user, events))
    }

    async fn facts(&self, user: User) -> SupportResult<CallerFacts> {
        let factors = self.store.enrolled_factors(&user.id).await?.methods();
        let filter = LicenseFilter { holder: Some(user.id.clone()), limit: 1000, ..LicenseFilter::default() };
        let licenses = self.store.licenses(&filter).await?;
        let gated: BTreeSet<&str> = licenses
            .iter()
            .filter(|l| self.policies.get(&l.policy).is_some_and(|p| p.eula_required))
            .map(|l| l.product.as_str())
            .collect();
        let mut eula = Vec::new();
        for product in gated {
            eula.push((product.to_owned(), self.eulas.standing(&user.id, product).await?));
        }
        let recent_events = self.store.user_events(&user.id, RECENT_EVENTS).await?;
        Ok(CallerFacts { user, factors, licenses, eula, recent_events })
    }
}
