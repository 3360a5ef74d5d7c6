//! The revocation list of the access tokens we mint, and the sealed shared
//! secrets of vendor integrations. Minting writes nothing: a token is ours
//! when one of our published keys signed it, and it is recorded only when
//! it is revoked.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::sql::{Pool, SqlStore};
use super::{StoreResult, from_millis, to_millis};

/// An access token put on the revocation list.
#[derive(Debug, Clone)]
pub struct Revocation {
    /// Its `jti`.
    pub jti: String,
    /// Its `exp`: past it the token is refused anyway, and the entry is purged.
    pub expires_at: OffsetDateTime,
    /// When it was revoked.
    pub revoked_at: OffsetDateTime,
}

/// Whether a validly signed, unexpired access token still stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// It stands: not revoked, and its session is live.
    Live,
    /// It is on the revocation list.
    Revoked,
    /// The session it was minted from was ended, ran out, or is gone.
    SessionEnded,
}

/// A shared secret as stored: sealed, under the vendor's key id.
#[derive(Clone)]
pub struct IntegrationSecretRecord {
    /// The integration's name.
    pub integration: String,
    /// Empty when the vendor has no key ids.
    pub key_id: String,
    /// The secret, sealed with the master key under the name and key id.
    pub secret_sealed: String,
    /// When it was stored.
    pub created_at: OffsetDateTime,
}

impl std::fmt::Debug for IntegrationSecretRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntegrationSecretRecord")
            .field("integration", &self.integration)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// The revocation list and integration secrets.
#[async_trait]
pub trait TokenStore {
    /// Whether the token `jti`, minted from session `session_id` (or OAuth
    /// grant of that id), stands at `now`: not on the revocation list, and
    /// the session neither ended nor past its end. One read.
    async fn token_state(&self, jti: &str, session_id: &str, now: OffsetDateTime) -> StoreResult<TokenState>;
    /// Puts a token on the revocation list, on every instance at once.
    /// True when it was not on it already.
    async fn revoke_token(&self, revocation: &Revocation) -> StoreResult<bool>;

    /// Stores (or replaces, for the same key id) an integration's secret.
    async fn set_integration_secret(&self, secret: &IntegrationSecretRecord) -> StoreResult<()>;
    /// The newest secret of an integration.
    async fn integration_secret(&self, integration: &str) -> StoreResult<Option<IntegrationSecretRecord>>;
}

#[derive(sqlx::FromRow)]
struct StateRow {
    session_revoked_at: Option<i64>,
    revoked_jti: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SecretRow {
    integration: String,
    key_id: String,
    secret_sealed: String,
    created_at: i64,
}

#[async_trait]
impl TokenStore for SqlStore {
    #[tracing::instrument(skip_all)]
    async fn token_state(&self, jti: &str, session_id: &str, now: OffsetDateTime) -> StoreResult<TokenState> {
        // The session by its key, and the list by the token's: one indexed
        // read. No row means the session ran out or was purged. A token an
        // app got through OAuth names its grant instead: the app's sign-in
        // is its session.
        let row: Option<StateRow> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT s.revoked_at AS session_revoked_at, r.jti AS revoked_jti \
             FROM sessions s LEFT JOIN revoked_tokens r ON r.jti = $1 \
             WHERE s.id = $2 AND s.expires_at > $3 \
             UNION ALL \
             SELECT g.revoked_at, r.jti FROM oauth_grants g LEFT JOIN revoked_tokens r ON r.jti = $1 \
             WHERE g.id = $2 AND g.expires_at > $3"
        )
        .bind(jti)
        .bind(session_id)
        .bind(to_millis(now))
        .fetch_optional(pool)
        .await?);
        Ok(match row {
            Some(StateRow { revoked_jti: Some(_), .. }) => TokenState::Revoked,
            None | Some(StateRow { session_revoked_at: Some(_), .. }) => TokenState::SessionEnded,
            Some(StateRow { session_revoked_at: None, revoked_jti: None }) => TokenState::Live,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_token(&self, revocation: &Revocation) -> StoreResult<bool> {
        let added = on_pool!(self, |pool| sqlx::query(
            "INSERT INTO revoked_tokens (jti, expires_at, revoked_at) VALUES ($1, $2, $3) \
             ON CONFLICT (jti) DO NOTHING"
        )
        .bind(&revocation.jti)
        .bind(to_millis(revocation.expires_at))
        .bind(to_millis(revocation.revoked_at))
        .execute(pool)
        .await?
        .rows_affected());
        Ok(added == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn set_integration_secret(&self, secret: &IntegrationSecretRecord) -> StoreResult<()> {
        on_pool!(self, |pool| sqlx::query(
            "INSERT INTO integration_secrets (integration, key_id, secret_sealed, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (integration, key_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, \
             created_at = excluded.created_at"
        )
        .bind(&secret.integration)
        .bind(&secret.key_id)
        .bind(&secret.secret_sealed)
        .bind(to_millis(secret.created_at))
        .execute(pool)
        .await
        .map(|_| ())?);
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn integration_secret(&self, integration: &str) -> StoreResult<Option<IntegrationSecretRecord>> {
        let row: Option<SecretRow> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT integration, key_id, secret_sealed, created_at FROM integration_secrets \
             WHERE integration = $1 ORDER BY created_at DESC, key_id DESC LIMIT 1"
        )
        .bind(integration)
        .fetch_optional(pool)
        .await?);
        row.map(|row| {
            Ok(IntegrationSecretRecord {
                created_at: from_millis(row.created_at)?,
                integration: row.integration,
                key_id: row.key_id,
                secret_sealed: row.secret_sealed,
            })
        })
        .transpose()
    }
}
