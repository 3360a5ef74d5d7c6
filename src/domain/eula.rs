//! EULA evidence: the hash of a document's exact text, and the hash chain
//! that makes the acceptance ledger tamper-evident. Each record's hash covers
//! every field and the previous record's hash, so editing, removing or
//! reordering any record breaks every link after it.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 of a document's exact text, as clients must send it back.
pub fn text_sha256(body: &str) -> String {
    hex::encode(Sha256::digest(body.as_bytes()))
}

/// What a user decided about a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Accepted,
    Declined,
    /// A later withdrawal of an acceptance: a new record, never a deletion.
    Withdrawn,
}

impl Decision {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "accepted" => Some(Self::Accepted),
            "declined" => Some(Self::Declined),
            "withdrawn" => Some(Self::Withdrawn),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Withdrawn => "withdrawn",
        }
    }
}

/// Every field of a ledger record that its hash covers, in hashing order.
/// The hash is SHA-256 of this struct as compact JSON: field order is fixed
/// by the declaration, so anyone can recompute it from an export.
#[derive(Debug, Clone, Serialize)]
pub struct ChainFields<'a> {
    pub seq: i64,
    pub id: &'a str,
    pub user_id: &'a str,
    pub product: &'a str,
    pub locale: &'a str,
    pub version: &'a str,
    pub sha256: &'a str,
    pub decision: &'a str,
    /// Server time, Unix epoch milliseconds.
    pub at: i64,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub channel: &'a str,
    pub amr: &'a [String],
    pub prev_hash: &'a str,
}

impl ChainFields<'_> {
    pub fn hash(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(&json))
    }
}

/// Where and why a chain stops being trustworthy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("record {seq} ({id}) does not match its hash: it was edited")]
    Edited { seq: i64, id: String },
    #[error("record {seq} ({id}) does not follow record {previous}: a record before it was removed or changed")]
    Unlinked { seq: i64, id: String, previous: i64 },
}

impl ChainBreak {
    pub fn seq(&self) -> i64 {
        match self {
            Self::Edited { seq, .. } | Self::Unlinked { seq, .. } => *seq,
        }
    }

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
