//! Tokens minted for our own audiences (by `jti`, for introspection and
//! revocation) and the sealed shared secrets of vendor integrations.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::sql::{Pool, SqlStore};
use super::{StoreResult, from_millis, to_millis};
use crate::domain::ids::{SessionId, UserId};

/// An access token we minted, recorded for introspection and revocation.
#[derive(Debug, Clone)]
pub struct MintedToken {
    /// Its `jti`.
    pub jti: String,
    /// Whose.
    pub user_id: UserId,
    /// The session that asked for it; ending the session ends the token.
    pub session_id: SessionId,
    /// Its `aud`.
    pub audience: String,
    /// Its `iat`.
    pub issued_at: OffsetDateTime,
    /// Its `exp`.
    pub expires_at: OffsetDateTime,
}

/// Whether a minted token still stands: neither it nor its session revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MintedTokenState {
    /// It stands.
    Live,
    /// It or its session was revoked, or the session ended.
    Revoked,
    /// Never minted here, or purged after expiry.
    Unknown,
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

/// Minted tokens and integration secrets.
#[async_trait]
pub trait TokenStore {
    /// Records a minted token, and forgets tokens expired before `now`.
    async fn record_issued_token(&self, token: &MintedToken) -> StoreResult<()>;
    /// Live means: not revoked, and its session neither revoked nor past its absolute end at `now`.
    async fn issued_token_state(&self, jti: &str, now: OffsetDateTime) -> StoreResult<MintedTokenState>;
    /// Revokes a token; with `owner`, only if it is that user's. True when
    /// a live token was revoked.
    async fn revoke_issued_token(&self, jti: &str, owner: Option<&UserId>, now: OffsetDateTime) -> StoreResult<bool>;

    /// Stores (or replaces, for the same key id) an integration's secret.
    async fn set_integration_secret(&self, secret: &IntegrationSecretRecord) -> StoreResult<()>;
    /// The newest secret of an integration.
    async fn integration_secret(&self, integration: &str) -> StoreResult<Option<IntegrationSecretRecord>>;
}

#[derive(sqlx::FromRow)]
struct StateRow {
    revoked_at: Option<i64>,
    session_revoked_at: Option<i64>,
    live_session: Option<String>,
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
    async fn record_issued_token(&self, token: &MintedToken) -> StoreResult<()> {
        in_tx!(self, |tx| {
            // Expired tokens are inactive whatever their row says; dropping
            // them keeps the table as small as the set of live tokens.
            sqlx::query("DELETE FROM issued_tokens WHERE expires_at < $1")
                .bind(to_millis(token.issued_at))
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO issued_tokens (jti, user_id, session_id, audience, issued_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&token.jti)
            .bind(&token.user_id)
            .bind(&token.session_id)
            .bind(&token.audience)
            .bind(to_millis(token.issued_at))
            .bind(to_millis(token.expires_at))
            .execute(&mut *tx)
            .await?;
            Ok(())
        })
    }

    #[tracing::instrument(skip_all)]
    async fn issued_token_state(&self, jti: &str, now: OffsetDateTime) -> StoreResult<MintedTokenState> {
        let row: Option<StateRow> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT t.revoked_at, s.revoked_at AS session_revoked_at, \
             s.id AS live_session \
             FROM issued_tokens t LEFT JOIN sessions s ON s.id = t.session_id AND s.expires_at > $2 \
             WHERE t.jti = $1"
        )
        .bind(jti)
        .bind(to_millis(now))
        .fetch_optional(pool)
        .await?);
        Ok(match row {
            None => MintedTokenState::Unknown,
            Some(row) if row.revoked_at.is_some() || row.session_revoked_at.is_some() || row.live_session.is_none() => {
                MintedTokenState::Revoked
            }
            Some(_) => MintedTokenState::Live,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_issued_token(&self, jti: &str, owner: Option<&UserId>, now: OffsetDateTime) -> StoreResult<bool> {
        let revoked = on_pool!(self, |pool| sqlx::query(
            "UPDATE issued_tokens SET revoked_at = $1 \
             WHERE jti = $2 AND revoked_at IS NULL AND ($3 IS NULL OR user_id = $3)"
        )
        .bind(to_millis(now))
        .bind(jti)
        .bind(owner)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(revoked == 1)
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
