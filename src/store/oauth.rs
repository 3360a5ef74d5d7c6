//! OAuth grants: the authorization codes and refresh tokens of apps that
//! sign their users in through us. Each use of a code or a refresh token is
//! decided in one transaction, so two instances (or two requests) can never
//! both spend the same one: the second sees it spent, which is what a stolen
//! credential looks like, and the whole grant is revoked.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::sql::{Pool, SqlStore, unique_violation};
use super::{Duplicate, StoreResult, from_json, from_millis, to_json, to_millis};
use crate::domain::event::NewEvent;
use crate::domain::ids::UserId;

/// A grant about to be stored, with the code that hands it to the app.
#[derive(Debug, Clone)]
pub struct NewGrant {
    /// The grant's id; its access tokens carry it as `sid`.
    pub id: String,
    /// The app.
    pub client_id: String,
    /// The user who approved.
    pub user_id: UserId,
    /// What the app was granted, space-separated.
    pub scope: String,
    /// When the user last proved who they are.
    pub auth_time: OffsetDateTime,
    /// How (RFC 8176 method references).
    pub amr: Vec<String>,
    /// Now.
    pub created_at: OffsetDateTime,
    /// When the whole family ends, however often it is refreshed.
    pub expires_at: OffsetDateTime,
}

/// The authorization code of a new grant, by hash.
#[derive(Debug, Clone)]
pub struct NewCode {
    /// SHA-256 of the code.
    pub code_hash: String,
    /// The redirect URI it was issued for; the exchange must name the same.
    pub redirect_uri: String,
    /// The PKCE challenge (S256) the exchange's verifier must answer.
    pub code_challenge: String,
    /// The client's `nonce`, for the ID token.
    pub nonce: Option<String>,
    /// When it stops being accepted.
    pub expires_at: OffsetDateTime,
}

/// A grant as stored.
#[derive(Debug, Clone)]
pub struct GrantRecord {
    /// Its id.
    pub id: String,
    /// The app.
    pub client_id: String,
    /// The user.
    pub user_id: UserId,
    /// What was granted.
    pub scope: String,
    /// When the user last proved who they are.
    pub auth_time: OffsetDateTime,
    /// How.
    pub amr: Vec<String>,
    /// When the family ends.
    pub expires_at: OffsetDateTime,
}

/// What an exchanged code carried.
#[derive(Debug, Clone)]
pub struct TakenCode {
    /// The grant it belongs to.
    pub grant: GrantRecord,
    /// The redirect URI it was issued for.
    pub redirect_uri: String,
    /// The PKCE challenge.
    pub code_challenge: String,
    /// The client's `nonce`.
    pub nonce: Option<String>,
}

/// What presenting an authorization code came to.
#[derive(Debug, Clone)]
pub enum CodeUse {
    /// First use: the code is spent now, and here is what it carried.
    Taken(TakenCode),
    /// No such code for this client, or it expired, or its grant was revoked.
    Unknown,
    /// Spent before: its grant, and every token from it, is revoked now.
    Replayed(GrantRecord),
}

/// What presenting a refresh token came to.
#[derive(Debug, Clone)]
pub enum RefreshUse {
    /// It was current: it is spent, and the next one is stored.
    Rotated(GrantRecord),
    /// No such token for this client, or its grant ended or was revoked.
    Unknown,
    /// Spent before: its grant is revoked now, and `event` recorded.
    Replayed(GrantRecord),
}

/// Why a grant ended early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantEnd {
    /// A spent code or refresh token came back.
    Replay,
    /// The exchange that would have finished it failed a check (PKCE, redirect URI).
    FailedExchange,
    /// The user or the app asked.
    Revoked,
}

impl GrantEnd {
    /// As stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Replay => "replay",
            Self::FailedExchange => "failed_exchange",
            Self::Revoked => "revoked",
        }
    }
}

/// OAuth grants, codes and refresh tokens.
#[async_trait]
pub trait OAuthStore {
    /// Stores a grant and its authorization code together.
    async fn create_grant(&self, grant: &NewGrant, code: &NewCode) -> StoreResult<()>;
    /// Spends the code if it is `client_id`'s, unexpired, unspent and its
    /// grant live; a spent one revokes its grant, in the same transaction.
    async fn take_code(&self, code_hash: &str, client_id: &str, now: OffsetDateTime) -> StoreResult<CodeUse>;
    /// Stores the grant's next refresh token.
    async fn add_refresh_token(&self, grant_id: &str, token_hash: &str, now: OffsetDateTime) -> StoreResult<()>;
    /// Spends a current refresh token of `client_id` and stores `next` in
    /// its place. A spent one revokes the grant and records `replayed`
    /// (a security event, with its mail) on the timeline of the grant's
    /// user, whoever `replayed` names: the caller cannot know them yet.
    async fn rotate_refresh_token(
        &self,
        token_hash: &str,
        client_id: &str,
        next_hash: &str,
        now: OffsetDateTime,
        replayed: &NewEvent,
    ) -> StoreResult<RefreshUse>;
    /// Ends a grant and so every token of it; false when it was not live.
    async fn end_grant(&self, grant_id: &str, why: GrantEnd, now: OffsetDateTime) -> StoreResult<bool>;
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    id: String,
    client_id: String,
    user_id: UserId,
    scope: String,
    auth_time: i64,
    amr: String,
    expires_at: i64,
    revoked_at: Option<i64>,
}

impl GrantRow {
    fn live(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at > to_millis(now)
    }

    fn into_record(self) -> StoreResult<GrantRecord> {
        Ok(GrantRecord {
            auth_time: from_millis(self.auth_time)?,
            amr: from_json("grant amr", &self.amr)?,
            expires_at: from_millis(self.expires_at)?,
            id: self.id,
            client_id: self.client_id,
            user_id: self.user_id,
            scope: self.scope,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CodeRow {
    redirect_uri: String,
    code_challenge: String,
    nonce: Option<String>,
    code_expires_at: i64,
    code_used_at: Option<i64>,
    #[sqlx(flatten)]
    grant: GrantRow,
}

#[derive(sqlx::FromRow)]
struct RefreshRow {
    used_at: Option<i64>,
    #[sqlx(flatten)]
    grant: GrantRow,
}

/// The grant's columns, for the statements that join it.
macro_rules! grant_columns {
    () => {
        "g.id, g.client_id, g.user_id, g.scope, g.auth_time, g.amr, g.expires_at, g.revoked_at"
    };
}

const REVOKE_GRANT: &str = "UPDATE oauth_grants SET revoked_at = $1, revoked_reason = $2 \
                            WHERE id = $3 AND revoked_at IS NULL";

#[async_trait]
impl OAuthStore for SqlStore {
    #[tracing::instrument(skip_all)]
    async fn create_grant(&self, grant: &NewGrant, code: &NewCode) -> StoreResult<()> {
        let amr = to_json(&grant.amr)?;
        in_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO oauth_grants (id, client_id, user_id, scope, auth_time, amr, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&grant.id)
            .bind(&grant.client_id)
            .bind(&grant.user_id)
            .bind(&grant.scope)
            .bind(to_millis(grant.auth_time))
            .bind(&amr)
            .bind(to_millis(grant.created_at))
            .bind(to_millis(grant.expires_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_violation(e, Duplicate::RandomValue))?;
            sqlx::query(
                "INSERT INTO oauth_codes (code_hash, grant_id, redirect_uri, code_challenge, nonce, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&code.code_hash)
            .bind(&grant.id)
            .bind(&code.redirect_uri)
            .bind(&code.code_challenge)
            .bind(&code.nonce)
            .bind(to_millis(code.expires_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_violation(e, Duplicate::RandomValue))?;
            Ok(())
        })
    }

    #[tracing::instrument(skip_all)]
    async fn take_code(&self, code_hash: &str, client_id: &str, now: OffsetDateTime) -> StoreResult<CodeUse> {
        let select = concat!(
            // Aliased: the grant has columns of the same names.
            "SELECT c.redirect_uri, c.code_challenge, c.nonce, c.expires_at AS code_expires_at, c.used_at AS code_used_at, ",
            grant_columns!(),
            " FROM oauth_codes c JOIN oauth_grants g ON g.id = c.grant_id WHERE c.code_hash = $1"
        );
        in_tx!(self, |tx| {
            let row: Option<CodeRow> = sqlx::query_as(select).bind(code_hash).fetch_optional(&mut *tx).await?;
            // Another client's code is not spent by this attempt: it would
            // let any client burn codes it intercepted but cannot use.
            let Some(row) = row.filter(|row| row.grant.client_id == client_id) else { return Ok(CodeUse::Unknown) };
            if row.code_used_at.is_some() {
                if row.grant.live(now) {
                    sqlx::query(REVOKE_GRANT)
                        .bind(to_millis(now))
                        .bind(GrantEnd::Replay.as_str())
                        .bind(&row.grant.id)
                        .execute(&mut *tx)
                        .await?;
                }
                return Ok(CodeUse::Replayed(row.grant.into_record()?));
            }
            if row.code_expires_at <= to_millis(now) || !row.grant.live(now) {
                return Ok(CodeUse::Unknown);
            }
            // Spent only if nobody spent it since the read (PostgreSQL reads
            // without a lock); the loser is a replay like any other.
            let spent = sqlx::query("UPDATE oauth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL")
                .bind(to_millis(now))
                .bind(code_hash)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if spent != 1 {
                sqlx::query(REVOKE_GRANT)
                    .bind(to_millis(now))
                    .bind(GrantEnd::Replay.as_str())
                    .bind(&row.grant.id)
                    .execute(&mut *tx)
                    .await?;
                return Ok(CodeUse::Replayed(row.grant.into_record()?));
            }
            Ok(CodeUse::Taken(TakenCode {
                redirect_uri: row.redirect_uri,
                code_challenge: row.code_challenge,
                nonce: row.nonce,
                grant: row.grant.into_record()?,
            }))
        })
    }

    #[tracing::instrument(skip_all)]
    async fn add_refresh_token(&self, grant_id: &str, token_hash: &str, now: OffsetDateTime) -> StoreResult<()> {
        on_pool!(self, |pool| sqlx::query(
            "INSERT INTO oauth_refresh_tokens (token_hash, grant_id, issued_at) VALUES ($1, $2, $3)"
        )
        .bind(token_hash)
        .bind(grant_id)
        .bind(to_millis(now))
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(|e| unique_violation(e, Duplicate::RandomValue))?);
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn rotate_refresh_token(
        &self,
        token_hash: &str,
        client_id: &str,
        next_hash: &str,
        now: OffsetDateTime,
        replayed: &NewEvent,
    ) -> StoreResult<RefreshUse> {
        let select = concat!(
            "SELECT r.used_at, ",
            grant_columns!(),
            " FROM oauth_refresh_tokens r JOIN oauth_grants g ON g.id = r.grant_id WHERE r.token_hash = $1"
        );
        in_tx!(self, |tx| {
            let row: Option<RefreshRow> = sqlx::query_as(select).bind(token_hash).fetch_optional(&mut *tx).await?;
            let Some(row) = row.filter(|row| row.grant.client_id == client_id && row.grant.live(now)) else {
                return Ok(RefreshUse::Unknown);
            };
            let spent = match row.used_at {
                Some(_) => 0,
                None => sqlx::query(
                    "UPDATE oauth_refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
                )
                .bind(to_millis(now))
                .bind(token_hash)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
            };
            let grant = row.grant.into_record()?;
            if spent != 1 {
                let revoked = sqlx::query(REVOKE_GRANT)
                    .bind(to_millis(now))
                    .bind(GrantEnd::Replay.as_str())
                    .bind(&grant.id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                // Racing replays all land here; the one that ended the grant tells the user.
                if revoked == 1 {
                    let event = NewEvent { user_id: grant.user_id.clone(), ..replayed.clone() };
                    insert_user_event!(event, &mut *tx);
                }
                return Ok(RefreshUse::Replayed(grant));
            }
            sqlx::query("INSERT INTO oauth_refresh_tokens (token_hash, grant_id, issued_at) VALUES ($1, $2, $3)")
                .bind(next_hash)
                .bind(&grant.id)
                .bind(to_millis(now))
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_violation(e, Duplicate::RandomValue))?;
            Ok(RefreshUse::Rotated(grant))
        })
    }

    #[tracing::instrument(skip_all)]
    async fn end_grant(&self, grant_id: &str, why: GrantEnd, now: OffsetDateTime) -> StoreResult<bool> {
        let ended = on_pool!(self, |pool| sqlx::query(REVOKE_GRANT)
            .bind(to_millis(now))
            .bind(why.as_str())
            .bind(grant_id)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(ended == 1)
    }
}
