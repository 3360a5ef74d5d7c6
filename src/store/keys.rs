//! Signing keys: one current key signs; retired keys stay published until the
//! tokens they signed have expired. Rotation is one transaction, so every
//! instance agrees on which key is current.
//!
//! Keys come in two lines, told apart by `alg`: RS256 keys sign only ID
//! tokens and have their own current key, limits and rotation; every other
//! key is of the server's own line. `is_rsa` binds which line a statement
//! is about.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use super::sql::{Pool, SqlStore};
use super::{Backend, StoreResult, from_millis, to_millis};

/// A signing key as stored.
#[derive(Debug, Clone)]
pub struct SigningKeyRecord {
    /// Its key id (JWS `kid`).
    pub kid: String,
    /// Its JOSE algorithm.
    pub alg: String,
    /// PKCS#8, sealed with the master key.
    pub private_sealed: String,
    /// The public JWK as JSON.
    pub public_jwk: String,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When another key replaced it.
    pub retired_at: Option<OffsetDateTime>,
    /// Until when it stays in the JWKS after retiring.
    pub publish_until: Option<OffsetDateTime>,
}

/// Bounds on rotation, checked inside the rotation's own transaction so
/// that every instance counts the same keys.
#[derive(Debug, Clone, Copy)]
pub struct RotationLimits {
    /// Keys made in the last hour (the first key included) before a
    /// rotation is refused.
    pub per_hour: u32,
    /// Retired keys still published before a rotation is refused: each
    /// one is in every JWKS answer until its tokens expire.
    pub max_published: u32,
}

/// What a rotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// The new key signs from now on.
    Rotated,
    /// Too many keys were made in the last hour; one may be made at `retry_at`.
    TooFrequent {
        /// When the hourly count drops below the limit.
        retry_at: OffsetDateTime,
    },
    /// Too many retired keys are still published; one may be made at `retry_at`.
    TooManyPublished {
        /// When enough of them stop being published.
        retry_at: OffsetDateTime,
    },
}

/// Signing keys.
#[async_trait]
pub trait KeyStore {
    /// The key of `candidate`'s line that signs now; when there is none,
    /// `candidate` becomes it. Safe when several instances start at once:
    /// exactly one candidate wins.
    async fn current_signing_key(&self, candidate: &SigningKeyRecord) -> StoreResult<SigningKeyRecord>;
    /// Retires the current key of `next`'s line (published until
    /// `publish_until`) and makes `next` current, unless that would break
    /// `limits` (counted in that line); the time is `next.created_at`.
    async fn rotate_signing_key(
        &self,
        next: &SigningKeyRecord,
        publish_until: OffsetDateTime,
        limits: RotationLimits,
    ) -> StoreResult<Rotation>;
    /// Every key that may still verify a live token at `now`.
    async fn published_signing_keys(&self, now: OffsetDateTime) -> StoreResult<Vec<SigningKeyRecord>>;
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    kid: String,
    alg: String,
    private_sealed: String,
    public_jwk: String,
    created_at: i64,
    retired_at: Option<i64>,
    publish_until: Option<i64>,
}

impl TryFrom<KeyRow> for SigningKeyRecord {
    type Error = super::StoreError;
    fn try_from(row: KeyRow) -> StoreResult<Self> {
        Ok(Self {
            created_at: from_millis(row.created_at)?,
            retired_at: row.retired_at.map(from_millis).transpose()?,
            publish_until: row.publish_until.map(from_millis).transpose()?,
            kid: row.kid,
            alg: row.alg,
            private_sealed: row.private_sealed,
            public_jwk: row.public_jwk,
        })
    }
}

const COLUMNS: &str = "kid, alg, private_sealed, public_jwk, created_at, retired_at, publish_until";

/// Whether a key of this `alg` is of the RSA line.
fn is_rsa(alg: &str) -> bool {
    alg == "RS256"
}

macro_rules! lock_keys {
    ($backend:expr, $tx:expr) => {
        if $backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('signing_keys', 0))").execute(&mut *$tx).await?;
        }
    };
}

macro_rules! insert_key {
    ($tx:expr, $key:expr) => {
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, private_sealed, public_jwk, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&$key.kid)
        .bind(&$key.alg)
        .bind(&$key.private_sealed)
        .bind(&$key.public_jwk)
        .bind(to_millis($key.created_at))
        .execute(&mut *$tx)
        .await?
    };
}

#[async_trait]
impl KeyStore for SqlStore {
    #[tracing::instrument(skip_all)]
    async fn current_signing_key(&self, candidate: &SigningKeyRecord) -> StoreResult<SigningKeyRecord> {
        let backend = self.backend();
        let sql = format!(
            "SELECT {COLUMNS} FROM signing_keys WHERE retired_at IS NULL AND (alg = 'RS256') = $1 \
             ORDER BY created_at DESC, kid DESC LIMIT 1"
        );
        let rsa = is_rsa(&candidate.alg);
        in_tx!(self, |tx| {
            lock_keys!(backend, tx);
            let current: Option<KeyRow> =
                sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(rsa).fetch_optional(&mut *tx).await?;
            if let Some(current) = current {
                return SigningKeyRecord::try_from(current);
            }
            insert_key!(tx, candidate);
            Ok(candidate.clone())
        })
    }

    #[tracing::instrument(skip_all)]
    async fn rotate_signing_key(
        &self,
        next: &SigningKeyRecord,
        publish_until: OffsetDateTime,
        limits: RotationLimits,
    ) -> StoreResult<Rotation> {
        let backend = self.backend();
        let now = next.created_at;
        let rsa = is_rsa(&next.alg);
        in_tx!(self, |tx| {
            lock_keys!(backend, tx);
            let made: Vec<i64> = sqlx::query_scalar(
                "SELECT created_at FROM signing_keys WHERE created_at > $1 AND (alg = 'RS256') = $2 ORDER BY created_at",
            )
            .bind(to_millis(now - Duration::hours(1)))
            .bind(rsa)
            .fetch_all(&mut *tx)
            .await?;
            // The count drops below the limit when the newest `per_hour - 1` are all that is left.
            if let Some(excess) = made.len().checked_sub(limits.per_hour as usize) {
                let oldest_to_age_out = made.get(excess).copied().unwrap_or(to_millis(now));
                return Ok(Rotation::TooFrequent { retry_at: from_millis(oldest_to_age_out)? + Duration::hours(1) });
            }
            let published: Vec<i64> = sqlx::query_scalar(
                "SELECT publish_until FROM signing_keys \
                 WHERE retired_at IS NOT NULL AND publish_until > $1 AND (alg = 'RS256') = $2 ORDER BY publish_until",
            )
            .bind(to_millis(now))
            .bind(rsa)
            .fetch_all(&mut *tx)
            .await?;
            if let Some(excess) = published.len().checked_sub(limits.max_published as usize) {
                let until = published.get(excess).copied().unwrap_or(to_millis(now));
                return Ok(Rotation::TooManyPublished { retry_at: from_millis(until)? });
            }
            sqlx::query(
                "UPDATE signing_keys SET retired_at = $1, publish_until = $2 \
                 WHERE retired_at IS NULL AND (alg = 'RS256') = $3",
            )
            .bind(to_millis(next.created_at))
            .bind(to_millis(publish_until))
            .bind(rsa)
            .execute(&mut *tx)
            .await?;
            insert_key!(tx, next);
            Ok(Rotation::Rotated)
        })
    }

    #[tracing::instrument(skip_all)]
    async fn published_signing_keys(&self, now: OffsetDateTime) -> StoreResult<Vec<SigningKeyRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM signing_keys WHERE retired_at IS NULL OR publish_until > $1 ORDER BY created_at DESC, kid DESC"
        );
        let rows: Vec<KeyRow> = on_pool!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(to_millis(now))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(SigningKeyRecord::try_from).collect()
    }
}
