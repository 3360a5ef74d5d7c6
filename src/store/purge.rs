//! Removing rows that can no longer matter: attempts older than the lockout
//! window, ended sessions, lapsed links, devices, ceremonies and pending
//! sign-ins, mail sent long enough ago, and retired keys past their
//! publication. Every instance runs it; each statement deletes one small
//! batch by key, so two instances purging at once only find less to do,
//! and no statement holds a lock for long.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use super::sql::{Pool, SqlStore};
use super::{StoreResult, to_millis};
use crate::domain::lockout;

/// How long sent (or abandoned) mail stays in the outbox, for debugging a
/// delivery a user asks about.
pub const SENT_MAIL_KEPT: Duration = Duration::days(7);

/// Rows one statement removes at most.
const BATCH: i64 = 500;

/// Batches per table per run: a backlog larger than this (a first run on an
/// old database) is worked off over the next runs instead of in one burst.
const MAX_BATCHES: u32 = 40;

/// What one purge removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purged {
    /// Rows removed, by table; tables with nothing to remove are listed with 0.
    pub by_table: Vec<(&'static str, u64)>,
}

impl Purged {
    /// Rows removed from `table`.
    pub fn of(&self, table: &str) -> u64 {
        self.by_table.iter().filter(|(t, _)| *t == table).map(|(_, n)| n).sum()
    }
}

/// Housekeeping.
#[async_trait]
pub trait PurgeStore {
    /// Removes, batch by batch, every row that can no longer matter at `now`.
    async fn purge(&self, now: OffsetDateTime) -> StoreResult<Purged>;
}

/// What is purged: the table, its key, and the rows that are done with,
/// `$1` being the cutoff that `cutoff(now)` gives.
struct Rule {
    table: &'static str,
    key: &'static str,
    done: &'static str,
    cutoff: fn(OffsetDateTime) -> OffsetDateTime,
}

fn now(at: OffsetDateTime) -> OffsetDateTime {
    at
}

const RULES: &[Rule] = &[
    // Only failures inside the window count towards a lock or a delay.
    Rule { table: "attempts", key: "id", done: "at <= $1", cutoff: |at| at - lockout::WINDOW },
    // `expires_at` is already the earlier of the idle and absolute ends; a
    // revoked session stays until then only so its tokens read as revoked,
    // which a missing session does too.
    Rule { table: "sessions", key: "id", done: "expires_at <= $1", cutoff: now },
    // Used links are deleted when spent; these are the ones never followed.
    Rule { table: "email_tokens", key: "token_hash", done: "expires_at <= $1", cutoff: now },
    Rule { table: "outbox", key: "id", done: "(sent_at <= $1 OR failed_at <= $1)", cutoff: |at| at - SENT_MAIL_KEPT },
    Rule { table: "webauthn_challenges", key: "id", done: "expires_at <= $1", cutoff: now },
    Rule { table: "pending_sign_ins", key: "id", done: "expires_at <= $1", cutoff: now },
    Rule { table: "known_devices", key: "token_hash", done: "expires_at <= $1", cutoff: now },
    Rule { table: "support_pins", key: "user_id", done: "expires_at <= $1", cutoff: now },
    // A revoked token past its `exp` is refused as expired; its entry on
    // the revocation list has nothing left to stop.
    Rule { table: "revoked_tokens", key: "jti", done: "expires_at <= $1", cutoff: now },
    // A code is exchanged within its minute or never.
    Rule { table: "oauth_codes", key: "code_hash", done: "expires_at <= $1", cutoff: now },
    // A DPoP proof past its window would be refused for its `iat` anyway.
    Rule { table: "dpop_proofs", key: "proof_hash", done: "expires_at <= $1", cutoff: now },
    // A device request is over when its codes expire, collected or not.
    Rule { table: "oauth_device_requests", key: "device_code_hash", done: "expires_at <= $1", cutoff: now },
    // An app's sign-in that ran out or was revoked: its tokens read as
    // ended without it (as for sessions), and its codes and refresh tokens
    // go with it (foreign keys cascade).
    Rule { table: "oauth_grants", key: "id", done: "(expires_at <= $1 OR revoked_at <= $1)", cutoff: now },
    // `publish_until` was set at retirement to outlast every token the key
    // signed; past it the key verifies nothing and only swells the JWKS.
    Rule { table: "signing_keys", key: "kid", done: "retired_at IS NOT NULL AND publish_until <= $1", cutoff: now },
];

#[async_trait]
impl PurgeStore for SqlStore {
    #[tracing::instrument(skip_all)]
    async fn purge(&self, at: OffsetDateTime) -> StoreResult<Purged> {
        let mut purged = Purged::default();
        for rule in RULES {
            let Rule { table, key, done, cutoff } = rule;
            // By key through a bounded subquery: both backends accept it,
            // where `DELETE … LIMIT` is SQLite-only (and often compiled out).
            let sql = format!(
                "DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {done} ORDER BY {key} LIMIT {BATCH})"
            );
            let cutoff = to_millis(cutoff(at));
            let mut removed = 0;
            for _ in 0..MAX_BATCHES {
                let batch = on_pool!(self, |pool| sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(cutoff)
                    .execute(pool)
                    .await?
                    .rows_affected());
                removed += batch;
                if batch < BATCH.unsigned_abs() {
                    break;
                }
            }
            purged.by_table.push((table, removed));
        }
        Ok(purged)
    }
}
