//! OAuth grants: the authorization codes and refresh tokens of apps that
//! sign their users in through us. Each use of a code or a refresh token is
//! decided in one transaction, so two instances (or two requests) can never
//! both spend the same one: the second sees it spent, which is what a stolen
//! credential looks like, and the whole grant is revoked.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::sql::{Decided, Pool, SqlStore, unique_violation};
use super::{Duplicate, StoreResult, from_json, from_millis, to_json, to_millis};
use crate::domain::event::NewEvent;
use crate::domain::ids::UserId;
use crate::domain::oauth::{SeatAsked, SeatGranted};

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
    /// The seat activated with it, if the app asked for one.
    pub seat: Option<SeatGranted>,
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
    /// RFC 9449 §10: the DPoP key whose proof the exchange must bring.
    pub dpop_jkt: Option<String>,
}

/// How an app's grant reaches the app.
#[derive(Debug, Clone)]
pub enum GrantVia {
    /// Through the browser, as this authorization code.
    Code(NewCode),
    /// Through the device polling for it: the pending device request
    /// with this user code is approved with the grant.
    Device {
        /// SHA-256 of the user code typed on `/device`.
        user_code_hash: String,
    },
}

/// An app's sign-in that takes a seat: written in the seat claim's own
/// transaction, so the seat and the grant stand together or not at all.
#[derive(Debug, Clone)]
pub struct AppGrant {
    /// The grant; its `seat` is filled in with the activation the claim holds.
    pub grant: NewGrant,
    /// The seat the app asked for.
    pub asked: SeatAsked,
    /// How the grant reaches the app.
    pub via: GrantVia,
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
    /// The seat activated with it.
    pub seat: Option<SeatGranted>,
    /// The thumbprint of the DPoP key its refresh tokens are bound to.
    pub dpop_jkt: Option<String>,
}

/// An app the user is signed in to, as their security page lists it.
#[derive(Debug, Clone)]
pub struct AppSignIn {
    /// The grant.
    pub grant_id: String,
    /// The app.
    pub client_id: String,
    /// When the user approved it.
    pub signed_in_at: OffsetDateTime,
    /// When it last refreshed its tokens.
    pub last_used_at: OffsetDateTime,
    /// The seat it took, if any.
    pub seat: Option<SeatGranted>,
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
    /// The DPoP key the exchange must prove, if the app named one.
    pub dpop_jkt: Option<String>,
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
    /// The grant is bound to a DPoP key and the proof was not made with it
    /// (or there was none): nothing changed.
    WrongKey,
}

/// A device's request for a sign-in made on another screen.
#[derive(Debug, Clone)]
pub struct NewDeviceRequest {
    /// SHA-256 of the device code the device polls with.
    pub device_code_hash: String,
    /// The hash of the user code the person types.
    pub user_code_hash: String,
    /// The app.
    pub client_id: String,
    /// What it asks for.
    pub scope: String,
    /// Where the request came from, shown on the approval page.
    pub requested_ip: Option<String>,
    /// When it came.
    pub requested_at: OffsetDateTime,
    /// When both codes stop working.
    pub expires_at: OffsetDateTime,
    /// Seconds the device must wait between polls.
    pub interval_secs: i64,
    /// The seat the device asks for, if any.
    pub seat: Option<SeatAsked>,
}

/// A pending device request, as the approval page shows it.
#[derive(Debug, Clone)]
pub struct DeviceRequest {
    /// The app.
    pub client_id: String,
    /// What it asks for.
    pub scope: String,
    /// Where the request came from.
    pub requested_ip: Option<String>,
    /// When it came.
    pub requested_at: OffsetDateTime,
    /// When it stops working.
    pub expires_at: OffsetDateTime,
    /// The seat the device asks for, if any.
    pub seat: Option<SeatAsked>,
}

/// What the person decided on a device request.
#[derive(Debug, Clone, Copy)]
pub enum DeviceDecision<'a> {
    /// Approved: this grant is stored with the decision.
    Approve(&'a NewGrant),
    /// Denied.
    Deny,
}

/// What a device's poll came to (RFC 8628 §3.5).
#[derive(Debug, Clone)]
pub enum DevicePoll {
    /// No such request for this client, or its tokens were collected already.
    Unknown,
    /// The codes expired before the tokens were collected.
    Expired,
    /// Nobody has decided yet.
    Pending,
    /// Polled before its interval was up: the interval grows by five seconds.
    SlowDown,
    /// The person said no.
    Denied,
    /// Approved: the tokens are the device's, now and never again.
    Approved(Box<GrantRecord>),
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
    /// The seat it activated was freed, or its lease lapsed: the app signs in again.
    SeatLost,
}

impl GrantEnd {
    /// As stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Replay => "replay",
            Self::FailedExchange => "failed_exchange",
            Self::Revoked => "revoked",
            Self::SeatLost => "seat_lost",
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
    /// Stores the grant's first refresh token; with `bind_to`, binds the
    /// grant to that DPoP key thumbprint from now on.
    async fn add_refresh_token(
        &self,
        grant_id: &str,
        token_hash: &str,
        bind_to: Option<&str>,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Spends a current refresh token of `client_id` and stores `next` in
    /// its place. A spent one revokes the grant and records `replayed`
    /// (a security event, with its mail) on the timeline of the grant's
    /// user, whoever `replayed` names: the caller cannot know them yet.
    /// For a grant bound to a DPoP key, `proof_jkt` must be that key's, or
    /// nothing happens at all (a thief without the key cannot even spend it).
    /// An unbound grant is bound to `proof_jkt` from now on when `bind` (a
    /// public client's grant made before the app sent proofs).
    #[allow(clippy::too_many_arguments)]
    async fn rotate_refresh_token(
        &self,
        token_hash: &str,
        client_id: &str,
        next_hash: &str,
        proof_jkt: Option<&str>,
        bind: bool,
        now: OffsetDateTime,
        replayed: &NewEvent,
    ) -> StoreResult<RefreshUse>;
    /// Remembers a DPoP proof until `expires_at`; false when it was seen before.
    async fn remember_dpop_proof(&self, replay_key: &str, expires_at: OffsetDateTime) -> StoreResult<bool>;
    /// Ends a grant and so every token of it; false when it was not live.
    async fn end_grant(&self, grant_id: &str, why: GrantEnd, now: OffsetDateTime) -> StoreResult<bool>;
    /// Ends the grant of `client_id` that this refresh token (current or
    /// spent) belongs to; false when there is none.
    async fn end_grant_of_refresh_token(
        &self,
        token_hash: &str,
        client_id: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;

    /// Stores (or replaces) a confidential client's secret, as its hash.
    async fn set_client_secret(&self, client_id: &str, secret_hash: &str, now: OffsetDateTime) -> StoreResult<()>;
    /// The hash of the secret set for the client, if any.
    async fn client_secret_hash(&self, client_id: &str) -> StoreResult<Option<String>>;

    /// The user's live grants that keep an app signed in (those holding a
    /// refresh token), the most recently used first.
    async fn app_sign_ins(&self, user_id: &UserId, now: OffsetDateTime) -> StoreResult<Vec<AppSignIn>>;
    /// Ends the user's own grant; false when it was not theirs or not live.
    async fn end_grant_of_user(&self, grant_id: &str, user_id: &UserId, now: OffsetDateTime) -> StoreResult<bool>;

    /// Stores a device request; `Duplicate(RandomValue)` when its user code
    /// is already taken (the caller draws another).
    async fn create_device_request(&self, request: &NewDeviceRequest) -> StoreResult<()>;
    /// The pending, unexpired request with this user code.
    async fn pending_device_request(
        &self,
        user_code_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<DeviceRequest>>;
    /// Records the decision on a pending, unexpired request (with its grant,
    /// in the same transaction); false when there was none to decide.
    async fn decide_device_request(
        &self,
        user_code_hash: &str,
        decision: DeviceDecision<'_>,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// A device's poll: what became of its request, counting its pace.
    async fn poll_device_request(
        &self,
        device_code_hash: &str,
        client_id: &str,
        now: OffsetDateTime,
    ) -> StoreResult<DevicePoll>;
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
    authorization_details: Option<String>,
    dpop_jkt: Option<String>,
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
            seat: self.authorization_details.as_deref().map(|text| from_json("grant seat", text)).transpose()?,
            id: self.id,
            client_id: self.client_id,
            user_id: self.user_id,
            scope: self.scope,
            dpop_jkt: self.dpop_jkt,
        })
    }
}

#[derive(sqlx::FromRow)]
struct AppSignInRow {
    id: String,
    client_id: String,
    created_at: i64,
    authorization_details: Option<String>,
    last_used_at: i64,
}

#[derive(sqlx::FromRow)]
struct CodeRow {
    redirect_uri: String,
    code_challenge: String,
    nonce: Option<String>,
    code_dpop_jkt: Option<String>,
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

#[derive(sqlx::FromRow)]
struct DeviceRow {
    client_id: String,
    scope: String,
    requested_ip: Option<String>,
    requested_at: i64,
    expires_at: i64,
    authorization_details: Option<String>,
}

#[derive(sqlx::FromRow)]
struct PollRow {
    client_id: String,
    expires_at: i64,
    interval_secs: i64,
    polled_at: Option<i64>,
    status: String,
    grant_id: Option<String>,
}

/// The grant's columns, for the statements that join it.
macro_rules! grant_columns {
    () => {
        "g.id, g.client_id, g.user_id, g.scope, g.auth_time, g.amr, g.expires_at, g.revoked_at, g.authorization_details, \
         g.dpop_jkt"
    };
}

const REVOKE_GRANT: &str = "UPDATE oauth_grants SET revoked_at = $1, revoked_reason = $2 \
                            WHERE id = $3 AND revoked_at IS NULL";

#[async_trait]
impl OAuthStore for SqlStore {
    #[tracing::instrument(skip_all)]
    async fn create_grant(&self, grant: &NewGrant, code: &NewCode) -> StoreResult<()> {
        let amr = to_json(&grant.amr)?;
        let seat = grant.seat.as_ref().map(to_json).transpose()?;
        let via = GrantVia::Code(code.clone());
        in_tx!(self, |tx| {
            write_grant!(&via, grant, &amr, &seat, tx, grant.created_at);
            Ok(())
        })
    }

    #[tracing::instrument(skip_all)]
    async fn take_code(&self, code_hash: &str, client_id: &str, now: OffsetDateTime) -> StoreResult<CodeUse> {
        let select = concat!(
            // Aliased: the grant has columns of the same names.
            "SELECT c.redirect_uri, c.code_challenge, c.nonce, c.dpop_jkt AS code_dpop_jkt, c.expires_at AS code_expires_at, \
             c.used_at AS code_used_at, ",
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
                dpop_jkt: row.code_dpop_jkt,
                grant: row.grant.into_record()?,
            }))
        })
    }

    #[tracing::instrument(skip_all)]
    async fn add_refresh_token(
        &self,
        grant_id: &str,
        token_hash: &str,
        bind_to: Option<&str>,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        in_tx!(self, |tx| {
            sqlx::query("INSERT INTO oauth_refresh_tokens (token_hash, grant_id, issued_at) VALUES ($1, $2, $3)")
                .bind(token_hash)
                .bind(grant_id)
                .bind(to_millis(now))
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_violation(e, Duplicate::RandomValue))?;
            if let Some(jkt) = bind_to {
                sqlx::query("UPDATE oauth_grants SET dpop_jkt = $1 WHERE id = $2 AND dpop_jkt IS NULL")
                    .bind(jkt)
                    .bind(grant_id)
                    .execute(&mut *tx)
                    .await?;
            }
            Ok(())
        })
    }

    #[tracing::instrument(skip_all)]
    async fn rotate_refresh_token(
        &self,
        token_hash: &str,
        client_id: &str,
        next_hash: &str,
        proof_jkt: Option<&str>,
        bind: bool,
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
            if row.grant.dpop_jkt.as_deref().is_some_and(|bound| proof_jkt != Some(bound)) {
                return Ok(RefreshUse::WrongKey);
            }
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
            let mut grant = row.grant.into_record()?;
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
            if let Some(jkt) = proof_jkt.filter(|_| bind && grant.dpop_jkt.is_none()) {
                sqlx::query("UPDATE oauth_grants SET dpop_jkt = $1 WHERE id = $2 AND dpop_jkt IS NULL")
                    .bind(jkt)
                    .bind(&grant.id)
                    .execute(&mut *tx)
                    .await?;
                grant.dpop_jkt = Some(jkt.to_owned());
            }
            Ok(RefreshUse::Rotated(grant))
        })
    }

    #[tracing::instrument(skip_all)]
    async fn remember_dpop_proof(&self, replay_key: &str, expires_at: OffsetDateTime) -> StoreResult<bool> {
        let stored = on_pool!(self, |pool| sqlx::query(
            "INSERT INTO dpop_proofs (proof_hash, expires_at) VALUES ($1, $2) ON CONFLICT (proof_hash) DO NOTHING"
        )
        .bind(replay_key)
        .bind(to_millis(expires_at))
        .execute(pool)
        .await?
        .rows_affected());
        Ok(stored == 1)
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
    #[tracing::instrument(skip_all)]
    async fn end_grant_of_refresh_token(
        &self,
        token_hash: &str,
        client_id: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let ended = on_pool!(self, |pool| sqlx::query(
            "UPDATE oauth_grants SET revoked_at = $1, revoked_reason = $2 WHERE revoked_at IS NULL \
             AND client_id = $3 AND id = (SELECT grant_id FROM oauth_refresh_tokens WHERE token_hash = $4)"
        )
        .bind(to_millis(now))
        .bind(GrantEnd::Revoked.as_str())
        .bind(client_id)
        .bind(token_hash)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(ended == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn set_client_secret(&self, client_id: &str, secret_hash: &str, now: OffsetDateTime) -> StoreResult<()> {
        on_pool!(self, |pool| sqlx::query(
            "INSERT INTO client_secrets (client_id, secret_hash, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (client_id) DO UPDATE SET secret_hash = excluded.secret_hash, created_at = excluded.created_at"
        )
        .bind(client_id)
        .bind(secret_hash)
        .bind(to_millis(now))
        .execute(pool)
        .await
        .map(|_| ())?);
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn client_secret_hash(&self, client_id: &str) -> StoreResult<Option<String>> {
        Ok(on_pool!(self, |pool| sqlx::query_scalar("SELECT secret_hash FROM client_secrets WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(pool)
            .await?))
    }

    #[tracing::instrument(skip_all)]
    async fn app_sign_ins(&self, user_id: &UserId, now: OffsetDateTime) -> StoreResult<Vec<AppSignIn>> {
        let rows: Vec<AppSignInRow> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT g.id, g.client_id, g.created_at, g.authorization_details, MAX(r.issued_at) AS last_used_at \
             FROM oauth_grants g JOIN oauth_refresh_tokens r ON r.grant_id = g.id \
             WHERE g.user_id = $1 AND g.revoked_at IS NULL AND g.expires_at > $2 \
             GROUP BY g.id, g.client_id, g.created_at, g.authorization_details \
             ORDER BY last_used_at DESC, g.id"
        )
        .bind(user_id)
        .bind(to_millis(now))
        .fetch_all(pool)
        .await?);
        rows.into_iter()
            .map(|row| {
                Ok(AppSignIn {
                    signed_in_at: from_millis(row.created_at)?,
                    last_used_at: from_millis(row.last_used_at)?,
                    seat: row.authorization_details.as_deref().map(|text| from_json("grant seat", text)).transpose()?,
                    grant_id: row.id,
                    client_id: row.client_id,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all)]
    async fn end_grant_of_user(&self, grant_id: &str, user_id: &UserId, now: OffsetDateTime) -> StoreResult<bool> {
        let ended = on_pool!(self, |pool| sqlx::query(
            "UPDATE oauth_grants SET revoked_at = $1, revoked_reason = $2 \
             WHERE id = $3 AND user_id = $4 AND revoked_at IS NULL AND expires_at > $1"
        )
        .bind(to_millis(now))
        .bind(GrantEnd::Revoked.as_str())
        .bind(grant_id)
        .bind(user_id)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(ended == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn create_device_request(&self, request: &NewDeviceRequest) -> StoreResult<()> {
        let seat = request.seat.as_ref().map(to_json).transpose()?;
        on_pool!(self, |pool| sqlx::query(
            "INSERT INTO oauth_device_requests (device_code_hash, user_code_hash, client_id, scope, requested_ip, \
             requested_at, expires_at, interval_secs, status, authorization_details) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9)"
        )
        .bind(&request.device_code_hash)
        .bind(&request.user_code_hash)
        .bind(&request.client_id)
        .bind(&request.scope)
        .bind(&request.requested_ip)
        .bind(to_millis(request.requested_at))
        .bind(to_millis(request.expires_at))
        .bind(request.interval_secs)
        .bind(&seat)
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(|e| unique_violation(e, Duplicate::RandomValue))?);
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn pending_device_request(
        &self,
        user_code_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<DeviceRequest>> {
        let row: Option<DeviceRow> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT client_id, scope, requested_ip, requested_at, expires_at, authorization_details \
             FROM oauth_device_requests \
             WHERE user_code_hash = $1 AND status = 'pending' AND expires_at > $2"
        )
        .bind(user_code_hash)
        .bind(to_millis(now))
        .fetch_optional(pool)
        .await?);
        row.map(|row| {
            Ok(DeviceRequest {
                requested_at: from_millis(row.requested_at)?,
                expires_at: from_millis(row.expires_at)?,
                seat: row.authorization_details.as_deref().map(|text| from_json("device seat", text)).transpose()?,
                client_id: row.client_id,
                scope: row.scope,
                requested_ip: row.requested_ip,
            })
        })
        .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn decide_device_request(
        &self,
        user_code_hash: &str,
        decision: DeviceDecision<'_>,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let (amr, seat) = match decision {
            DeviceDecision::Approve(grant) => {
                (Some(to_json(&grant.amr)?), grant.seat.as_ref().map(to_json).transpose()?)
            }
            DeviceDecision::Deny => (None, None),
        };
        in_tx_deciding!(self, |tx| {
            let decided = match decision {
                DeviceDecision::Approve(grant) => {
                    let via = GrantVia::Device { user_code_hash: user_code_hash.to_owned() };
                    write_grant!(&via, grant, &amr, &seat, tx, now)
                }
                DeviceDecision::Deny => {
                    sqlx::query(
                        "UPDATE oauth_device_requests SET status = 'denied' \
                         WHERE user_code_hash = $1 AND status = 'pending' AND expires_at > $2",
                    )
                    .bind(user_code_hash)
                    .bind(to_millis(now))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                        == 1
                }
            };
            // Decided already (another tab, another instance): the grant made here must not stand.
            Ok(if decided { Decided::Commit(true) } else { Decided::Rollback(false) })
        })
    }

    #[tracing::instrument(skip_all)]
    async fn poll_device_request(
        &self,
        device_code_hash: &str,
        client_id: &str,
        now: OffsetDateTime,
    ) -> StoreResult<DevicePoll> {
        let at = to_millis(now);
        in_tx!(self, |tx| {
            let row: Option<PollRow> = sqlx::query_as(
                "SELECT client_id, expires_at, interval_secs, polled_at, status, grant_id \
                 FROM oauth_device_requests WHERE device_code_hash = $1",
            )
            .bind(device_code_hash)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row.filter(|row| row.client_id == client_id && row.status != "collected") else {
                return Ok(DevicePoll::Unknown);
            };
            if row.expires_at <= at {
                return Ok(DevicePoll::Expired);
            }
            match row.status.as_str() {
                "pending" => {
                    // RFC 8628 §3.5: too fast, and the interval grows by five seconds for good.
                    let too_soon = row.polled_at.is_some_and(|last| at - last < row.interval_secs * 1000);
                    sqlx::query(
                        "UPDATE oauth_device_requests SET polled_at = $1, interval_secs = interval_secs + $2 \
                         WHERE device_code_hash = $3",
                    )
                    .bind(at)
                    .bind(if too_soon { 5_i64 } else { 0 })
                    .bind(device_code_hash)
                    .execute(&mut *tx)
                    .await?;
                    Ok(if too_soon { DevicePoll::SlowDown } else { DevicePoll::Pending })
                }
                "denied" => Ok(DevicePoll::Denied),
                _ => {
                    let collected = sqlx::query(
                        "UPDATE oauth_device_requests SET status = 'collected' \
                         WHERE device_code_hash = $1 AND status = 'approved'",
                    )
                    .bind(device_code_hash)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    let grant: Option<GrantRow> =
                        sqlx::query_as(concat!("SELECT ", grant_columns!(), " FROM oauth_grants g WHERE g.id = $1"))
                            .bind(row.grant_id.as_deref().unwrap_or_default())
                            .fetch_optional(&mut *tx)
                            .await?;
                    match grant.filter(|grant| collected == 1 && grant.live(now)) {
                        Some(grant) => Ok(DevicePoll::Approved(Box::new(grant.into_record()?))),
                        None => Ok(DevicePoll::Unknown),
                    }
                }
            }
        })
    }
}
