//! EULA evidence: the hash of a document's exact text, and the hash chain
//! that makes the acceptance ledger tamper-evident. Each record's hash covers
//! every field and the previous record's hash, so editing, removing or
//! reordering any record breaks every link after it.

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::ids::UserId;

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 of a document's exact text, as clients must send it back.
pub fn text_sha256(body: &str) -> String {
    hex::encode(Sha256::digest(body.as_bytes()))
}

/// What a user decided about a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The user accepted the version.
    Accepted,
    /// The user declined the version.
    Declined,
    /// A later withdrawal of an acceptance: a new record, never a deletion.
    Withdrawn,
}

impl Decision {
    /// Reads a decision as stored; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "accepted" => Some(Self::Accepted),
            "declined" => Some(Self::Declined),
            "withdrawn" => Some(Self::Withdrawn),
            _ => None,
        }
    }

    /// The decision as stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Withdrawn => "withdrawn",
        }
    }
}

/// How the user reached us, recorded with the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The end-user pages.
    Web,
    /// The JSON API (an app, a script).
    Api,
}

impl Channel {
    /// The channel as recorded.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Api => "api",
        }
    }
}

/// A published EULA version: immutable once stored.
#[derive(Debug, Clone)]
pub struct EulaDocument {
    /// The document's id.
    pub id: String,
    /// The product it governs.
    pub product: String,
    /// Its language tag.
    pub locale: String,
    /// The version name.
    pub version: String,
    /// Shown above the text.
    pub title: String,
    /// The exact text (Markdown).
    pub body: String,
    /// SHA-256 of `body`, hex.
    pub sha256: String,
    /// A material change: earlier acceptances stop sufficing.
    pub material: bool,
    /// When it was published.
    pub published_at: OffsetDateTime,
}

/// One record of the acceptance ledger, as stored.
#[derive(Debug, Clone)]
pub struct Acceptance {
    /// Its place in the ledger, from 1 with no gaps.
    pub seq: i64,
    /// The record's id.
    pub id: String,
    /// Who decided.
    pub user_id: UserId,
    /// The product.
    pub product: String,
    /// The language of the text shown.
    pub locale: String,
    /// The version decided on.
    pub version: String,
    /// SHA-256 of the text shown.
    pub sha256: String,
    /// `accepted`, `declined` or `withdrawn`, as stored.
    pub decision: String,
    /// Server time of the decision.
    pub at: OffsetDateTime,
    /// The same, in epoch milliseconds exactly as hashed.
    pub at_ms: i64,
    /// Where the request came from.
    pub ip: Option<String>,
    /// Which browser or app sent it.
    pub user_agent: Option<String>,
    /// `web` or `api`, as stored.
    pub channel: String,
    /// How the session had signed in (RFC 8176).
    pub amr: Vec<String>,
    /// The previous record's hash.
    pub prev_hash: String,
    /// This record's hash.
    pub hash: String,
}

impl Acceptance {
    /// The fields its hash covers, as stored now.
    pub fn chain_fields(&self) -> ChainFields<'_> {
        ChainFields {
            seq: self.seq,
            id: &self.id,
            user_id: self.user_id.as_str(),
            product: &self.product,
            locale: &self.locale,
            version: &self.version,
            sha256: &self.sha256,
            decision: &self.decision,
            at: self.at_ms,
            ip: self.ip.as_deref(),
            user_agent: self.user_agent.as_deref(),
            channel: &self.channel,
            amr: &self.amr,
            prev_hash: &self.prev_hash,
        }
    }

    /// Whether this record accepts `version`.
    pub fn accepts(&self, version: &str) -> bool {
        self.decision == Decision::Accepted.as_str() && self.version == version
    }
}

/// A user's position toward a product's EULA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// No material version is published: nothing blocks.
    NothingToAccept,
    /// The user's latest decision accepts a version that suffices.
    Accepted {
        /// The version accepted.
        version: String,
    },
    /// The user must accept before licensed features open.
    Required {
        /// The newest version, the one to show.
        current: String,
    },
}

/// Which records an export or history wants; every part optional.
#[derive(Debug, Clone, Default)]
pub struct AcceptanceFilter {
    /// Only this product's.
    pub product: Option<String>,
    /// Only this version's.
    pub version: Option<String>,
    /// Only this user's.
    pub user_id: Option<UserId>,
    /// At or after.
    pub from: Option<OffsetDateTime>,
    /// Before.
    pub until: Option<OffsetDateTime>,
}

/// Every field of a ledger record that its hash covers, in hashing order.
/// The hash is SHA-256 of this struct as compact JSON: field order is fixed
/// by the declaration, so anyone can recompute it from an export.
#[derive(Debug, Clone, Serialize)]
pub struct ChainFields<'a> {
    /// Its place in the ledger.
    pub seq: i64,
    /// The record's id.
    pub id: &'a str,
    /// Who decided.
    pub user_id: &'a str,
    /// The product the EULA governs.
    pub product: &'a str,
    /// The language of the text shown.
    pub locale: &'a str,
    /// The version decided on.
    pub version: &'a str,
    /// SHA-256 of the text shown, hex.
    pub sha256: &'a str,
    /// `accepted`, `declined` or `withdrawn`.
    pub decision: &'a str,
    /// Server time, Unix epoch milliseconds.
    pub at: i64,
    /// Where the request came from.
    pub ip: Option<&'a str>,
    /// Which browser or app sent it.
    pub user_agent: Option<&'a str>,
    /// `web` or `api`.
    pub channel: &'a str,
    /// How the session had signed in (RFC 8176).
    pub amr: &'a [String],
    /// The previous record's hash.
    pub prev_hash: &'a str,
}

impl ChainFields<'_> {
    /// SHA-256 of these fields as compact JSON, hex: the record's hash.
    pub fn hash(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(&json))
    }
}

/// Where and why a chain stops being trustworthy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// The record's fields no longer hash to its stored hash.
    #[error("record {seq} ({id}) does not match its hash: it was edited")]
    Edited {
        /// The record's place in the ledger.
        seq: i64,
        /// The record's id.
        id: String,
    },
    /// The record does not come right after, or link to, the one verified before it.
    #[error("record {seq} ({id}) does not follow record {previous}: a record before it was removed or changed")]
    Unlinked {
        /// The record's place in the ledger.
        seq: i64,
        /// The record's id.
        id: String,
        /// The place of the last record verified before it.
        previous: i64,
    },
}

impl ChainBreak {
    /// The ledger position of the broken record.
    pub fn seq(&self) -> i64 {
        match self {
            Self::Edited { seq, .. } | Self::Unlinked { seq, .. } => *seq,
        }
    }

    /// The id of the broken record.
    pub fn id(&self) -> &str {
        match self {
            Self::Edited { id, .. } | Self::Unlinked { id, .. } => id,
        }
    }
}

/// Walks the ledger in order, one record at a time, so a long ledger is
/// verified in batches without holding it all.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    previous_seq: i64,
    previous_hash: String,
    records: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self { previous_seq: 0, previous_hash: GENESIS.to_owned(), records: 0 }
    }
}

impl ChainVerifier {
    /// Checks the next record: it must come right after the previous one,
    /// link to its hash, and hash to what it says.
    pub fn push(&mut self, fields: &ChainFields<'_>, stored_hash: &str) -> Result<(), ChainBreak> {
        if fields.seq != self.previous_seq + 1 || fields.prev_hash != self.previous_hash {
            return Err(ChainBreak::Unlinked {
                seq: fields.seq,
                id: fields.id.to_owned(),
                previous: self.previous_seq,
            });
        }
        if fields.hash() != stored_hash {
            return Err(ChainBreak::Edited { seq: fields.seq, id: fields.id.to_owned() });
        }
        self.previous_seq = fields.seq;
        self.previous_hash = stored_hash.to_owned();
        self.records += 1;
        Ok(())
    }

    /// How many records have been verified so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// The last hash: publishing it elsewhere (a ticket, an email) anchors
    /// the ledger, so even removing its newest records becomes detectable.
    pub fn head(&self) -> &str {
        &self.previous_hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record<'a>(seq: i64, id: &'a str, prev_hash: &'a str, amr: &'a [String]) -> ChainFields<'a> {
        ChainFields {
            seq,
            id,
            user_id: "u1",
            product: "studio",
            locale: "en",
            version: "2026-01",
            sha256: "ab",
            decision: "accepted",
            at: 1_700_000_000_000,
            ip: Some("192.0.2.1"),
            user_agent: None,
            channel: "api",
            amr,
            prev_hash,
        }
    }

    #[test]
    fn the_chain_catches_edits_removals_and_reordering() {
        let amr = vec!["pwd".to_owned()];
        let first = record(1, "a", GENESIS, &amr);
        let first_hash = first.hash();
        let second = record(2, "b", &first_hash, &amr);
        let second_hash = second.hash();
        let third = record(3, "c", &second_hash, &amr);
        let third_hash = third.hash();

        let mut verifier = ChainVerifier::default();
        for (fields, hash) in [(&first, &first_hash), (&second, &second_hash), (&third, &third_hash)] {
            verifier.push(fields, hash).unwrap();
        }
        assert_eq!((verifier.records(), verifier.head()), (3, third_hash.as_str()));

        let mut edited = second.clone();
        edited.decision = "declined";
        let mut verifier = ChainVerifier::default();
        verifier.push(&first, &first_hash).unwrap();
        assert_eq!(verifier.push(&edited, &second_hash).unwrap_err().seq(), 2);

        let mut verifier = ChainVerifier::default();
        verifier.push(&first, &first_hash).unwrap();
        let removed = verifier.push(&third, &third_hash).unwrap_err();
        assert!(matches!(removed, ChainBreak::Unlinked { seq: 3, previous: 1, .. }), "{removed}");
    }

    #[test]
    fn text_hashes_are_of_the_exact_text() {
        assert_eq!(text_sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_ne!(text_sha256("abc"), text_sha256("abc\n"));
    }
}
