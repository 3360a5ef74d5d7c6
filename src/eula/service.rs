//! The `Eulas` service.

use std::sync::Arc;

use super::{EulaError, EulaResult};
use crate::clock::Clock;
use crate::domain::account::Authenticated;
use crate::domain::eula::{
    Acceptance, AcceptanceFilter, ChainBreak, ChainVerifier, Channel, Decision, EulaDocument, Standing, text_sha256,
};
use crate::domain::event::{ClientInfo, EventKind, NewEvent};
use crate::domain::ids::{UserId, new_id};
use crate::domain::reason::Rule;
use crate::metrics::Metrics;
use crate::store::{Duplicate, EulaStanding, NewAcceptance, Store, StoreError};

/// What an admin publishes.
#[derive(Debug, Clone)]
pub struct Publication {
    /// The product it governs.
    pub product: String,
    /// The version name.
    pub version: String,
    /// Its language; `en` when absent.
    pub locale: Option<String>,
    /// Shown above the text.
    pub title: String,
    /// The exact text.
    pub body: String,
    /// Whether earlier acceptances stop sufficing.
    pub material: bool,
}

/// What a user sends: the version and the hash of the text they were shown.
#[derive(Debug, Clone)]
pub struct DecisionRequest {
    /// The product.
    pub product: String,
    /// The version shown.
    pub version: String,
    /// Its language, when several are published.
    pub locale: Option<String>,
    /// SHA-256 of the exact text shown.
    pub sha256: String,
    /// `accepted`, `declined` or `withdrawn`.
    pub decision: String,
}

impl DecisionRequest {
    /// Accepting the text shown in `locale`, as a page's form carries it.
    pub fn acceptance(product: String, version: String, locale: String, sha256: String) -> Self {
        Self { product, version, locale: Some(locale), sha256, decision: "accepted".to_owned() }
    }
}

/// The outcome of walking the whole ledger.
#[derive(Debug, Clone)]
pub struct Verification {
    /// Records verified before the first broken one (all, when none is).
    pub records: u64,
    /// The newest verified record's hash; kept elsewhere, it anchors the ledger.
    pub head: String,
    /// The first record that does not verify.
    pub first_broken: Option<ChainBreak>,
}

/// The language of a version published without one.
pub const DEFAULT_LOCALE: &str = "en";
/// Largest EULA text accepted (the HTTP body limit is lower; the CLI is not).
pub const MAX_BODY_BYTES: usize = 512 * 1024;
/// Records read per query while verifying or exporting.
const BATCH: u32 = 1000;

/// Product names, versions and titles are names people type, and appear in URLs.
fn path_safe(field: &'static str, value: &str, max_chars: usize) -> EulaResult<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max_chars || value.chars().any(|c| c.is_control() || c == '/') {
        return Err(EulaError::invalid(field, Rule::PathSafeName { max_chars }));
    }
    Ok(value.to_owned())
}

fn locale(value: Option<&str>) -> EulaResult<Option<String>> {
    value
        .map(|l| {
            let ok = (2..=35).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if ok { Ok(l.to_owned()) } else { Err(EulaError::invalid("locale", Rule::LanguageTag)) }
        })
        .transpose()
}

/// Everything `Eulas` is built from.
pub struct EulasConfig {
    /// Where versions and the ledger live.
    pub store: Arc<dyn Store>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// The acceptance counter.
    pub metrics: Arc<Metrics>,
}

/// EULA versions, decisions and evidence.
#[derive(Clone)]
pub struct Eulas {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Eulas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Eulas").finish_non_exhaustive()
    }
}

impl Eulas {
    /// The service, from its parts.
    pub fn new(config: EulasConfig) -> Self {
        let EulasConfig { store, clock, metrics } = config;
        Self { store, clock, metrics }
    }

    /// Publishes a version. Versions are never edited: publishing one that
    /// exists is refused, even with the same text.
    #[tracing::instrument(skip_all)]
    pub async fn publish(&self, publication: Publication) -> EulaResult<EulaDocument> {
        let product = path_safe("product", &publication.product, 100)?;
        let version = path_safe("version", &publication.version, 100)?;
        let locale = locale(publication.locale.as_deref())?.unwrap_or_else(|| DEFAULT_LOCALE.to_owned());
        let title = path_safe("title", &publication.title, 200)?;
        if publication.body.trim().is_empty() || publication.body.len() > MAX_BODY_BYTES {
            return Err(EulaError::invalid("body", Rule::Bytes { max_bytes: MAX_BODY_BYTES }));
        }
        let document = EulaDocument {
            id: new_id(),
            sha256: text_sha256(&publication.body),
            product,
            locale,
            version,
            title,
            body: publication.body,
            material: publication.material,
            published_at: self.clock.now(),
        };
        match self.store.publish_eula(&document).await {
            Ok(()) => Ok(document),
            Err(StoreError::Duplicate(Duplicate::EulaVersion)) => Err(EulaError::AlreadyPublished {
                product: document.product,
                version: document.version,
                locale: document.locale,
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// The newest version of a product's EULA, in `locale_tag` when there is one.
    #[tracing::instrument(skip_all)]
    pub async fn current(&self, product: &str, locale_tag: Option<&str>) -> EulaResult<EulaDocument> {
        let locale = locale(locale_tag)?;
        self.store.current_eula(product, locale.as_deref()).await?.ok_or(EulaError::NotFound)
    }

    /// The newest version of a product's EULA, in `locale_tag` when that
    /// version is published in it, else in the default language, else in
    /// the language it was first published in. Unlike [`Self::current`],
    /// never an older version because an older one has the language.
    #[tracing::instrument(skip_all)]
    pub async fn current_version_in(&self, product: &str, locale_tag: &str) -> EulaResult<EulaDocument> {
        let newest = self.store.current_eula(product, None).await?.ok_or(EulaError::NotFound)?;
        let wanted = locale(Some(locale_tag))?;
        for candidate in [wanted.as_deref(), Some(DEFAULT_LOCALE), None] {
            if let Some(document) = self.store.eula_version(product, &newest.version, candidate).await? {
                return Ok(document);
            }
        }
        Ok(newest)
    }

    /// Records a decision. The hash must be that of the published text, so
    /// nobody can claim acceptance of a text the client did not show.
    #[tracing::instrument(skip_all)]
    pub async fn decide(
        &self,
        caller: &Authenticated,
        request: DecisionRequest,
        client: &ClientInfo,
        channel: Channel,
    ) -> EulaResult<Acceptance> {
        let decision = Decision::parse(&request.decision)
            .ok_or(EulaError::invalid("decision", Rule::OneOf(&["accepted", "declined", "withdrawn"])))?;
        let locale = locale(request.locale.as_deref())?;
        let document = self
            .store
            .eula_version(&request.product, &request.version, locale.as_deref())
            .await?
            .ok_or(EulaError::invalid("version", Rule::NotPublished))?;
        if !request.sha256.eq_ignore_ascii_case(&document.sha256) {
            return Err(EulaError::invalid("sha256", Rule::HashMismatch));
        }
        if decision == Decision::Withdrawn {
            let latest = self.store.latest_decision(&caller.user.id, &document.product).await?;
            if !latest.is_some_and(|a| a.accepts(&document.version)) {
                return Err(EulaError::NothingToWithdraw);
            }
        }
        let record = NewAcceptance {
            id: new_id(),
            user_id: caller.user.id.clone(),
            product: document.product,
            locale: document.locale,
            version: document.version,
            sha256: document.sha256,
            decision,
            at: self.clock.now(),
            ip: client.ip_text(),
            user_agent: client.bounded_user_agent(),
            channel,
            amr: caller.session.amr.clone(),
        };
        let acceptance = self.store.append_acceptance(&record).await?;
        if decision == Decision::Accepted {
            self.metrics.eula_accepted(&acceptance.product);
        }
        // The ledger is the evidence; the timeline event is for support to read in context.
        let detail = serde_json::json!({
            "product": acceptance.product,
            "version": acceptance.version,
            "decision": acceptance.decision,
            "channel": acceptance.channel,
        });
        let noted = NewEvent::new(&caller.user.id, EventKind::EulaDecision, detail, client, record.at);
        crate::store::record_best_effort(self.store.as_ref(), &noted).await;
        Ok(acceptance)
    }

    /// Records matching `filter`, in ledger order, read in batches.
    #[tracing::instrument(skip_all)]
    pub async fn records(&self, filter: &AcceptanceFilter) -> EulaResult<Vec<Acceptance>> {
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let batch = self.store.acceptances(filter, after, BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            let full = batch.len() == BATCH as usize;
            all.extend(batch);
            if !full {
                break;
            }
        }
        Ok(all)
    }

    /// The caller's own decisions, oldest first.
    #[tracing::instrument(skip_all)]
    pub async fn history(&self, caller: &Authenticated) -> EulaResult<Vec<Acceptance>> {
        self.records(&AcceptanceFilter { user_id: Some(caller.user.id.clone()), ..AcceptanceFilter::default() }).await
    }

    /// Recomputes the whole chain and names the first record that does not match.
    #[tracing::instrument(skip_all)]
    pub async fn verify(&self) -> EulaResult<Verification> {
        let mut verifier = ChainVerifier::default();
        let mut after = 0;
        loop {
            let batch = self.store.acceptances(&AcceptanceFilter::default(), after, BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            for record in &batch {
                if let Err(broken) = verifier.push(&record.chain_fields(), &record.hash) {
                    return Ok(Verification {
                        records: verifier.records(),
                        head: verifier.head().to_owned(),
                        first_broken: Some(broken),
                    });
                }
            }
            if batch.len() < BATCH as usize {
                break;
            }
        }
        Ok(Verification { records: verifier.records(), head: verifier.head().to_owned(), first_broken: None })
    }

    /// Where the user stands with `product`'s EULA. An acceptance suffices
    /// while it is the user's latest decision and its version was published
    /// no earlier than the newest material version: non-material versions
    /// published since are offered but do not block. One read, and one more
    /// only for a user who must act (to name the newest version).
    #[tracing::instrument(skip_all)]
    pub async fn standing(&self, user_id: &UserId, product: &str) -> EulaResult<Standing> {
        let EulaStanding { material_published, accepted_version, stands } =
            self.store.eula_standing(user_id, product).await?;
        match (material_published, accepted_version) {
            (false, _) => Ok(Standing::NothingToAccept),
            (true, Some(version)) if stands => Ok(Standing::Accepted { version }),
            (true, _) => match self.store.current_eula(product, None).await? {
                Some(current) => Ok(Standing::Required { current: current.version }),
                // Cannot happen (versions are never removed); nothing blocks then.
                None => Ok(Standing::NothingToAccept),
            },
        }
    }

    /// Refuses unless the user's acceptance suffices; returns the accepted
    /// version (`None` when nothing material has been published).
    #[tracing::instrument(skip_all)]
    pub async fn require_accepted(&self, user_id: &UserId, product: &str) -> EulaResult<Option<String>> {
        match self.standing(user_id, product).await? {
            Standing::NothingToAccept => Ok(None),
            Standing::Accepted { version } => Ok(Some(version)),
            Standing::Required { current } => {
                Err(EulaError::AcceptanceRequired { product: product.to_owned(), version: current })
            }
        }
    }
}
