//! EULAs as evidence: immutable published versions, an append-only ledger
//! of decisions, its verification and export, and the gate that keeps a
//! product's features closed until its current material version is accepted.

use std::sync::Arc;

use crate::auth::accounts::Authenticated;
use crate::auth::{ClientInfo, new_id};
use crate::clock::Clock;
use crate::domain::eula::{ChainBreak, ChainVerifier, Decision, text_sha256};
use crate::store::{Acceptance, AcceptanceFilter, EulaDocument, NewAcceptance, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum EulaError {
    #[error("{field} {problem}")]
    Invalid { field: &'static str, problem: String },
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// The product's current EULA must be accepted first.
    #[error("the {product} EULA (version {version}) must be accepted first")]
    AcceptanceRequired { product: String, version: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type EulaResult<T> = Result<T, EulaError>;

fn invalid(field: &'static str, problem: impl Into<String>) -> EulaError {
    EulaError::Invalid { field, problem: problem.into() }
}

/// What an admin publishes.
#[derive(Debug, Clone)]
pub struct Publication {
    pub product: String,
    pub version: String,
    pub locale: Option<String>,
    pub title: String,
    pub body: String,
    pub material: bool,
}

/// What a user sends: the version and the hash of the text they were shown.
#[derive(Debug, Clone)]
pub struct DecisionRequest {
    pub product: String,
    pub version: String,
    pub locale: Option<String>,
    pub sha256: String,
    pub decision: String,
}

/// How the user reached us, recorded with the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Web,
    Api,
}

impl Channel {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Api => "api",
        }
    }
}

/// A user's position toward a product's EULA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// No material version is published: nothing blocks.
    NothingToAccept,
    Accepted {
        version: String,
    },
    /// Must accept (the newest version is `current`).
    Required {
        current: String,
    },
}

/// The outcome of walking the whole ledger.
#[derive(Debug, Clone)]
pub struct Verification {
    pub records: u64,
    /// The newest record's hash; kept elsewhere, it anchors the ledger.
    pub head: String,
    pub first_broken: Option<ChainBreak>,
}

pub const DEFAULT_LOCALE: &str = "en";
/// Largest EULA text accepted (the HTTP body limit is lower; the CLI is not).
pub const MAX_BODY_BYTES: usize = 512 * 1024;
/// Records read per query while verifying or exporting.
const BATCH: u32 = 1000;

/// Product names, versions and locales are identifiers people type.
fn identifier(field: &'static str, value: &str, max: usize) -> EulaResult<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max || value.chars().any(|c| c.is_control() || c == '/') {
        return Err(invalid(field, format!("must be 1 to {max} characters, without control characters or '/'")));
    }
    Ok(value.to_owned())
}

fn locale(value: Option<&str>) -> EulaResult<Option<String>> {
    value
        .map(|l| {
            let ok = (2..=35).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if ok { Ok(l.to_owned()) } else { Err(invalid("locale", "must be a language tag such as en or de-CH")) }
        })
        .transpose()
}

#[derive(Clone)]
pub struct Eulas {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Eulas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Eulas").finish_non_exhaustive()
    }
}

impl Eulas {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Publishes a version. Versions are never edited: publishing one that
    /// exists is a conflict, even with the same text.
    pub async fn publish(&self, publication: Publication) -> EulaResult<EulaDocument> {
        let product = identifier("product", &publication.product, 100)?;
        let version = identifier("version", &publication.version, 100)?;
        let locale = locale(publication.locale.as_deref())?.unwrap_or_else(|| DEFAULT_LOCALE.to_owned());
        let title = identifier("title", &publication.title, 200)?;
        if publication.body.trim().is_empty() || publication.body.len() > MAX_BODY_BYTES {
            return Err(invalid("body", format!("must be text of at most {MAX_BODY_BYTES} bytes")));
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
            Err(StoreError::Conflict(_)) => Err(EulaError::Conflict(format!(
                "Version {} of the {} EULA ({}) is already published; published versions never change.",
                document.version, document.product, document.locale
            ))),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn current(&self, product: &str, locale_tag: Option<&str>) -> EulaResult<EulaDocument> {
        let locale = locale(locale_tag)?;
        self.store.current_eula(product, locale.as_deref()).await?.ok_or(EulaError::NotFound)
    }

    /// Records a decision. The hash must be that of the published text, so
    /// nobody can claim acceptance of a text the client did not show.
    pub async fn decide(
        &self,
        caller: &Authenticated,
        request: DecisionRequest,
        client: &ClientInfo,
        channel: Channel,
    ) -> EulaResult<Acceptance> {
        let decision = Decision::parse(&request.decision)
            .ok_or_else(|| invalid("decision", "must be accepted, declined or withdrawn"))?;
        let locale = locale(request.locale.as_deref())?;
        let document = self
            .store
            .eula_version(&request.product, &request.version, locale.as_deref())
            .await?
            .ok_or_else(|| invalid("version", "is not a published version of this product's EULA"))?;
        if !request.sha256.eq_ignore_ascii_case(&document.sha256) {
            return Err(invalid("sha256", "is not the SHA-256 of this version's published text"));
        }
        if decision == Decision::Withdrawn {
            let latest = self.store.latest_decision(&caller.user.id, &document.product).await?;
            if !latest
                .is_some_and(|a| a.row.decision == Decision::Accepted.as_str() && a.row.version == document.version)
            {
                return Err(EulaError::Conflict("Only the version you last accepted can be withdrawn.".into()));
            }
        }
        let record = NewAcceptance {
            id: new_id(),
            user_id: caller.user.id.clone(),
            product: document.product,
            locale: document.locale,
            version: document.version,
            sha256: document.sha256,
            decision: decision.as_str(),
            at: self.clock.now(),
            ip: client.ip.map(|ip| ip.to_string()),
            user_agent: client.bounded_user_agent(),
            channel: channel.as_str(),
            amr: caller.session.amr.clone(),
        };
        let acceptance = self.store.append_acceptance(&record).await?;
        // The ledger is the evidence; the timeline event is for support to read in context.
        let detail = serde_json::json!({
            "product": record.product,
            "version": record.version,
            "decision": record.decision,
            "channel": record.channel,
        });
        let noted = crate::auth::event(&caller.user.id, "eula_decision", detail, client, record.at);
        crate::auth::record_best_effort(self.store.as_ref(), &noted).await;
        Ok(acceptance)
    }

    /// Records matching `filter`, in ledger order, read in batches.
    pub async fn records(&self, filter: &AcceptanceFilter) -> EulaResult<Vec<Acceptance>> {
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let batch = self.store.acceptances(filter, after, BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.row.seq;
            let full = batch.len() == BATCH as usize;
            all.extend(batch);
            if !full {
                break;
            }
        }
        Ok(all)
    }

    /// Recomputes the whole chain and names the first record that does not match.
    pub async fn verify(&self) -> EulaResult<Verification> {
        let mut verifier = ChainVerifier::default();
        let mut after = 0;
        loop {
            let batch = self.store.acceptances(&AcceptanceFilter::default(), after, BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.row.seq;
            for record in &batch {
                if let Err(broken) = verifier.push(&record.chain_fields(), &record.row.hash) {
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
    /// published since are offered but do not block.
    pub async fn standing(&self, user_id: &str, product: &str) -> EulaResult<Standing> {
        let Some(required) = self.store.latest_material_eula(product).await? else {
            return Ok(Standing::NothingToAccept);
        };
        let latest = self.store.latest_decision(user_id, product).await?;
        if let Some(latest) = latest.filter(|d| d.row.decision == Decision::Accepted.as_str()) {
            let accepted_published = self.store.eula_published_at(product, &latest.row.version).await?;
            if accepted_published.is_some_and(|at| at >= required.published_at) {
                return Ok(Standing::Accepted { version: latest.row.version });
            }
        }
        // Only a user who must act needs to know the newest version.
        let current = self.store.current_eula(product, None).await?.map_or(required.version, |d| d.version);
        Ok(Standing::Required { current })
    }

    /// Refuses unless the user's acceptance suffices; returns the accepted
    /// version (`None` when nothing material has been published).
    pub async fn require_accepted(&self, user_id: &str, product: &str) -> EulaResult<Option<String>> {
        match self.standing(user_id, product).await? {
            Standing::NothingToAccept => Ok(None),
            Standing::Accepted { version } => Ok(Some(version)),
            Standing::Required { current } => {
                Err(EulaError::AcceptanceRequired { product: product.to_owned(), version: current })
            }
        }
    }
}
