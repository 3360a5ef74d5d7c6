//! Accounts, sessions, staff API keys and the sign-in lockout counters.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::sql::{Pool, SqlStore, unique_violation};
use super::{Backend, Duplicate, StoreError, StoreResult, from_json, from_millis, to_json, to_millis};
use crate::domain::account::{ApiKey, ApiKeyRole, Session, User, UserCredentials};
use crate::domain::event::{EventKind, NewEvent};
use crate::domain::factors::Acr;
use crate::domain::ids::{ApiKeyId, EventId, SessionId, UserId, new_id};
use crate::domain::lockout::{self, AttemptKey, AttemptKind};
use crate::domain::mail::MailKind;

/// Where a guessable check stands before it is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptReservation {
    /// A provisional failure was recorded under every counter: a right
    /// answer takes back its own (`forget_attempts`), a success clears the
    /// owner's counter.
    Reserved(ReservedAttempt),
    /// A counter refuses the attempt until this time; nothing was recorded.
    Locked {
        /// When the attempt may go ahead.
        until: OffsetDateTime,
        /// The kind of the counter that holds it back longest.
        by: AttemptKind,
    },
}

/// The provisional failures one attempt recorded, one per counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservedAttempt {
    /// Each counter's kind and the id of the row recorded under it.
    pub rows: Vec<(AttemptKind, String)>,
}

impl ReservedAttempt {
    /// The ids of the rows recorded under `kind`.
    pub fn ids_of(&self, kind: AttemptKind) -> Vec<String> {
        self.rows.iter().filter(|(k, _)| *k == kind).map(|(_, id)| id.clone()).collect()
    }
}

/// An account about to be created.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Its id.
    pub id: UserId,
    /// The normalised address.
    pub email: String,
    /// The name the user gave.
    pub name: Option<String>,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// When.
    pub now: OffsetDateTime,
}

impl NewUser {
    /// The account as stored.
    pub(crate) fn stored(&self) -> StoreResult<User> {
        Ok(User {
            id: self.id.clone(),
            email: self.email.clone(),
            name: self.name.clone(),
            email_verified_at: None,
            created_at: from_millis(to_millis(self.now))?,
        })
    }

    /// Its sign-up event, which queues the verification mail.
    pub(crate) fn signed_up(&self) -> NewEvent {
        NewEvent {
            id: EventId::new(),
            user_id: self.id.clone(),
            kind: EventKind::SignedUp,
            detail: serde_json::json!({}),
            ip: None,
            user_agent: None,
            at: self.now,
        }
    }
}

/// A session about to start.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Its id.
    pub id: SessionId,
    /// Whose.
    pub user_id: UserId,
    /// SHA-256 of the bearer token; the token itself is never stored.
    pub token_hash: String,
    /// When it starts (and the user proved who they are).
    pub now: OffsetDateTime,
    /// Its absolute end.
    pub expires_at: OffsetDateTime,
    /// How the user signed in (RFC 8176).
    pub amr: Vec<String>,
    /// Where from.
    pub ip: Option<String>,
    /// Which browser or app.
    pub user_agent: Option<String>,
}

impl NewSession {
    /// The session as it reads back once stored (times at millisecond precision).
    pub(crate) fn stored(&self) -> StoreResult<Session> {
        let created = from_millis(to_millis(self.now))?;
        Ok(Session {
            id: self.id.clone(),
            user_id: self.user_id.clone(),
            created_at: created,
            last_seen_at: created,
            expires_at: from_millis(to_millis(self.expires_at))?,
            auth_time: created,
            amr: self.amr.clone(),
            proof_acr: Acr::of(&self.amr),
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
            revoked_at: None,
        })
    }
}

/// A staff API key about to be stored.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// Its id.
    pub id: ApiKeyId,
    /// A name to recognise it by.
    pub name: String,
    /// What it may do.
    pub role: ApiKeyRole,
    /// SHA-256 of the key; the key itself is never stored.
    pub key_hash: String,
    /// When.
    pub now: OffsetDateTime,
}

/// Accounts, sessions, API keys and lockout counters.
#[async_trait]
pub trait AccountStore {
    /// Creates the account and queues its verification mail, in one transaction;
    /// `Duplicate(Email)` when the address is taken.
    async fn create_user(&self, user: &NewUser) -> StoreResult<User>;
    /// The account with this id.
    async fn user(&self, id: &UserId) -> StoreResult<Option<User>>;
    /// The account with this address, with its password hash.
    async fn user_credentials_by_email(&self, email: &str) -> StoreResult<Option<UserCredentials>>;
    /// The account with this id, with its password hash.
    async fn user_credentials(&self, id: &UserId) -> StoreResult<Option<UserCredentials>>;

    /// Sets a new password hash and revokes every session of the user except
    /// `keep_session` (none kept when `None`), recording `event` (and the
    /// notice it calls for), in one transaction.
    async fn change_password(
        &self,
        user_id: &UserId,
        password_hash: &str,
        keep_session: Option<&SessionId>,
        event: &NewEvent,
    ) -> StoreResult<()>;

    /// Asks to move the user to `new_email`: queues the link that proves
    /// it (a verification mail to that address), and drops earlier such
    /// links not yet followed, in one transaction. Nothing about the
    /// account changes until the link is followed. False (and nothing done)
    /// when `limit` verification mails went out since `since`.
    async fn request_email_change(
        &self,
        user_id: &UserId,
        new_email: &str,
        limit: u32,
        since: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;

    /// Moves the user from `old_email` to `new_email`, which a followed link
    /// just proved; the new address is verified. Drops links to the old
    /// address (sent or not), records `event` and tells the old address, in
    /// one transaction. False when the address is no longer `old_email`.
    async fn complete_email_change(
        &self,
        user_id: &UserId,
        old_email: &str,
        new_email: &str,
        event: &NewEvent,
    ) -> StoreResult<bool>;

    /// Records a provisional failure under every one of `keys` unless one of
    /// them refuses the attempt now (see `lockout::refused_until`); atomic,
    /// so concurrent guesses cannot get past a counter's limit.
    async fn reserve_attempts(&self, keys: &[AttemptKey], now: OffsetDateTime) -> StoreResult<AttemptReservation>;
    /// After a success: forget the failures counted under `key`.
    async fn clear_attempts(&self, key: &AttemptKey) -> StoreResult<()>;
    /// After a right answer: take back the provisional failures with these ids.
    async fn forget_attempts(&self, ids: &[String]) -> StoreResult<()>;

    /// The user a device token (by hash) was given to, while it lasts.
    async fn known_device(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<UserId>>;
    /// Remembers a device that signed in, keeping only the user's `keep`
    /// newest: the oldest stop counting as known.
    async fn remember_device(
        &self,
        user_id: &UserId,
        token_hash: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
        keep: u32,
    ) -> StoreResult<()>;

    /// Starts a session.
    async fn create_session(&self, session: &NewSession) -> StoreResult<Session>;
    /// The session whose token hashes to `token_hash`, revoked or not.
    async fn session_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<Session>>;
    /// Notes that the session was used at `now`.
    async fn touch_session(&self, session_id: &SessionId, now: OffsetDateTime) -> StoreResult<()>;
    /// The user's sessions that are not revoked and not past their absolute end.
    async fn sessions_of_user(&self, user_id: &UserId, now: OffsetDateTime) -> StoreResult<Vec<Session>>;
    /// Revokes one of the user's sessions; false when there is no such live session.
    async fn revoke_session(&self, user_id: &UserId, session_id: &SessionId, now: OffsetDateTime) -> StoreResult<bool>;

    /// Stores a new API key.
    async fn create_api_key(&self, key: &NewApiKey) -> StoreResult<ApiKey>;
    /// The unrevoked key whose hash is `key_hash`.
    async fn api_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<ApiKey>>;
    /// Every key, revoked ones included, oldest first.
    async fn api_keys(&self) -> StoreResult<Vec<ApiKey>>;
    /// Revokes a key; false when there is no such live key.
    async fn revoke_api_key(&self, id: &ApiKeyId, now: OffsetDateTime) -> StoreResult<bool>;
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: UserId,
    email: String,
    name: Option<String>,
    password_hash: String,
    email_verified_at: Option<i64>,
    created_at: i64,
}

impl UserRow {
    fn into_credentials(self) -> StoreResult<UserCredentials> {
        Ok(UserCredentials {
            user: User {
                id: self.id,
                email: self.email,
                name: self.name,
                email_verified_at: self.email_verified_at.map(from_millis).transpose()?,
                created_at: from_millis(self.created_at)?,
            },
            password_hash: self.password_hash,
        })
    }
}

const USER_COLUMNS: &str = "id, email, name, password_hash, email_verified_at, created_at";

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: SessionId,
    user_id: UserId,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    auth_time: i64,
    amr: String,
    proof_acr: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    revoked_at: Option<i64>,
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;
    fn try_from(row: SessionRow) -> StoreResult<Self> {
        let amr: Vec<String> = from_json("session amr", &row.amr)?;
        let proof_acr = match row.proof_acr.as_deref() {
            None => Acr::of(&amr),
            Some(text) => Acr::parse(text).ok_or_else(|| StoreError::Corrupt(format!("session proof_acr {text:?}")))?,
        };
        Ok(Session {
            amr,
            proof_acr,
            id: row.id,
            user_id: row.user_id,
            created_at: from_millis(row.created_at)?,
            last_seen_at: from_millis(row.last_seen_at)?,
            expires_at: from_millis(row.expires_at)?,
            auth_time: from_millis(row.auth_time)?,
            ip: row.ip,
            user_agent: row.user_agent,
            revoked_at: row.revoked_at.map(from_millis).transpose()?,
        })
    }
}

const SESSION_COLUMNS: &str =
    "id, user_id, created_at, last_seen_at, expires_at, auth_time, amr, proof_acr, ip, user_agent, revoked_at";

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    id: ApiKeyId,
    name: String,
    role: String,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = StoreError;
    fn try_from(row: ApiKeyRow) -> StoreResult<Self> {
        Ok(ApiKey {
            role: ApiKeyRole::parse(&row.role)
                .ok_or_else(|| StoreError::Corrupt(format!("api key role {}", row.role)))?,
            id: row.id,
            name: row.name,
            created_at: from_millis(row.created_at)?,
            revoked_at: row.revoked_at.map(from_millis).transpose()?,
        })
    }
}

const API_KEY_COLUMNS: &str = "id, name, role, created_at, revoked_at";

#[async_trait]
impl AccountStore for SqlStore {
    #[tracing::instrument(skip_all)]
    async fn create_user(&self, user: &NewUser) -> StoreResult<User> {
        in_tx!(self, |tx| {
            insert_new_user!(user, &mut *tx);
            Ok(())
        })?;
        user.stored()
    }

    #[tracing::instrument(skip_all)]
    async fn user(&self, id: &UserId) -> StoreResult<Option<User>> {
        Ok(self.user_credentials(id).await?.map(|c| c.user))
    }

    #[tracing::instrument(skip_all)]
    async fn user_credentials_by_email(&self, email: &str) -> StoreResult<Option<UserCredentials>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let row: Option<UserRow> =
            on_pool!(self, |pool| { sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(email).fetch_optional(pool).await? });
        row.map(UserRow::into_credentials).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn user_credentials(&self, id: &UserId) -> StoreResult<Option<UserCredentials>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> =
            on_pool!(self, |pool| { sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await? });
        row.map(UserRow::into_credentials).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn change_password(
        &self,
        user_id: &UserId,
        password_hash: &str,
        keep_session: Option<&SessionId>,
        event: &NewEvent,
    ) -> StoreResult<()> {
        let now = to_millis(event.at);
        // Every session but the kept one ends; without one to keep, all do.
        let revoke_sessions = match keep_session {
            Some(_) => "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND id <> $3",
            None => "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        };
        in_tx!(self, |tx| {
            sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                .bind(password_hash)
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            let mut revoke = sqlx::query(revoke_sessions).bind(now).bind(user_id);
            if let Some(keep) = keep_session {
                revoke = revoke.bind(keep);
            }
            revoke.execute(&mut *tx).await?;
            // A sign-in begun with the old password must not finish.
            sqlx::query("DELETE FROM pending_sign_ins WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            // Nor may an older reset link set it again.
            sqlx::query("DELETE FROM email_tokens WHERE user_id = $1 AND purpose = 'password_reset'")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            insert_user_event!(event, &mut *tx);
            Ok(())
        })
    }

    #[tracing::instrument(skip_all)]
    async fn request_email_change(
        &self,
        user_id: &UserId,
        new_email: &str,
        limit: u32,
        since: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let backend = self.backend();
        let link = super::NewMail {
            id: new_id(),
            kind: MailKind::VerifyEmail,
            user_id: user_id.clone(),
            recipient: Some(new_email.to_owned()),
            detail: serde_json::json!({"new_email": new_email}),
            at: now,
        };
        in_tx!(self, |tx| {
            if backend == Backend::Postgres {
                sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE").bind(user_id).execute(&mut *tx).await?;
            }
            // Each request mails a stranger's address if it is not the user's: limited like a resend.
            let recent: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM outbox WHERE user_id = $1 AND kind = 'verify_email' AND created_at > $2",
            )
            .bind(user_id)
            .bind(to_millis(since))
            .fetch_one(&mut *tx)
            .await?;
            if recent >= i64::from(limit) {
                return Ok(false);
            }
            // Only the latest request stands: earlier links to other addresses stop working.
            sqlx::query(
                "DELETE FROM email_tokens WHERE user_id = $1 AND purpose = 'verify_email' \
                 AND email <> (SELECT email FROM users WHERE id = $1)",
            )
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE outbox SET failed_at = $1, last_error = 'a later address change replaced it' \
                 WHERE user_id = $2 AND kind = 'verify_email' AND recipient IS NOT NULL \
                 AND sent_at IS NULL AND failed_at IS NULL",
            )
            .bind(to_millis(now))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            insert_mail!(link, &mut *tx);
            Ok(true)
        })
    }

    #[tracing::instrument(skip_all)]
    async fn complete_email_change(
        &self,
        user_id: &UserId,
        old_email: &str,
        new_email: &str,
        event: &NewEvent,
    ) -> StoreResult<bool> {
        let notice = super::NewMail {
            id: new_id(),
            kind: MailKind::EmailChanged,
            user_id: user_id.clone(),
            recipient: Some(old_email.to_owned()),
            detail: serde_json::json!({"new_email": new_email}),
            at: event.at,
        };
        in_tx!(self, |tx| {
            let moved = sqlx::query(
                "UPDATE users SET email = $1, email_verified_at = $2, updated_at = $2 WHERE id = $3 AND email = $4",
            )
            .bind(new_email)
            .bind(to_millis(event.at))
            .bind(user_id)
            .bind(old_email)
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_violation(e, Duplicate::Email))?
            .rows_affected();
            if moved == 0 {
                return Ok(false);
            }
            // Unsent links addressed to the old mailbox must not go out (a reset link there would undo the change).
            sqlx::query(
                "UPDATE outbox SET failed_at = $1, last_error = 'the address changed before it was sent' \
                 WHERE user_id = $2 AND sent_at IS NULL AND failed_at IS NULL AND kind IN ('verify_email', 'password_reset')",
            )
            .bind(to_millis(event.at))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            // Links sent to the old address no longer prove anything.
            sqlx::query("DELETE FROM email_tokens WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            insert_user_event!(event, &mut *tx);
            insert_mail!(notice, &mut *tx);
            Ok(true)
        })
    }

    #[tracing::instrument(skip_all)]
    async fn reserve_attempts(&self, keys: &[AttemptKey], now: OffsetDateTime) -> StoreResult<AttemptReservation> {
        let window_start = to_millis(now - lockout::WINDOW);
        let backend = self.backend();
        // One order for every caller, so two attempts sharing counters cannot
        // wait on each other's locks.
        let mut keys: Vec<&AttemptKey> = keys.iter().collect();
        keys.sort_by(|a, b| (a.kind.as_str(), &a.subject).cmp(&(b.kind.as_str(), &b.subject)));
        keys.dedup();
        in_tx!(self, |tx| {
            let mut refused: Option<(OffsetDateTime, AttemptKind)> = None;
            for key in &keys {
                if backend == Backend::Postgres {
                    // Serialise attempts on one counter across instances;
                    // SQLite's IMMEDIATE transaction already serialises writers.
                    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || $2, 0))")
                        .bind(key.kind.as_str())
                        .bind(&key.subject)
                        .execute(&mut *tx)
                        .await?;
                }
                // Rows past the window are the purge's to remove (`store::purge`).
                let recent: Vec<i64> =
                    sqlx::query_scalar("SELECT at FROM attempts WHERE kind = $1 AND subject = $2 AND at > $3")
                        .bind(key.kind.as_str())
                        .bind(&key.subject)
                        .bind(window_start)
                        .fetch_all(&mut *tx)
                        .await?;
                let recent = recent.into_iter().map(from_millis).collect::<StoreResult<Vec<_>>>()?;
                if let Some(until) = lockout::refused_until(&recent, key.kind.throttle(), now)
                    && refused.is_none_or(|(latest, _)| until > latest)
                {
                    refused = Some((until, key.kind));
                }
            }
            if let Some((until, by)) = refused {
                return Ok(AttemptReservation::Locked { until, by });
            }
            let mut rows = Vec::with_capacity(keys.len());
            for key in &keys {
                let id = new_id();
                sqlx::query("INSERT INTO attempts (id, kind, subject, at) VALUES ($1, $2, $3, $4)")
                    .bind(&id)
                    .bind(key.kind.as_str())
                    .bind(&key.subject)
                    .bind(to_millis(now))
                    .execute(&mut *tx)
                    .await?;
                rows.push((key.kind, id));
            }
            Ok(AttemptReservation::Reserved(ReservedAttempt { rows }))
        })
    }

    #[tracing::instrument(skip_all)]
    async fn clear_attempts(&self, key: &AttemptKey) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM attempts WHERE kind = $1 AND subject = $2")
                .bind(key.kind.as_str())
                .bind(&key.subject)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn forget_attempts(&self, ids: &[String]) -> StoreResult<()> {
        for id in ids {
            on_pool!(self, |pool| {
                sqlx::query("DELETE FROM attempts WHERE id = $1").bind(id).execute(pool).await?.rows_affected()
            });
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn known_device(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<UserId>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT user_id FROM known_devices WHERE token_hash = $1 AND expires_at > $2")
                .bind(token_hash)
                .bind(to_millis(now))
                .fetch_optional(pool)
                .await?
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn remember_device(
        &self,
        user_id: &UserId,
        token_hash: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
        keep: u32,
    ) -> StoreResult<()> {
        in_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO known_devices (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash)
            .bind(user_id)
            .bind(to_millis(now))
            .bind(to_millis(expires_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_violation(e, Duplicate::RandomValue))?;
            // Lapsed tokens and all but the newest `keep` go: a thief who
            // signs in again and again cannot grow the table.
            sqlx::query(
                "DELETE FROM known_devices WHERE user_id = $1 AND (expires_at <= $2 OR token_hash NOT IN \
                 (SELECT token_hash FROM known_devices WHERE user_id = $1 ORDER BY created_at DESC, token_hash LIMIT $3))",
            )
            .bind(user_id)
            .bind(to_millis(now))
            .bind(i64::from(keep))
            .execute(&mut *tx)
            .await?;
            Ok(())
        })
    }

    #[tracing::instrument(skip_all)]
    async fn create_session(&self, session: &NewSession) -> StoreResult<Session> {
        let amr = to_json(&session.amr)?;
        on_pool!(self, |pool| insert_session!(session, &amr, pool));
        session.stored()
    }

    #[tracing::instrument(skip_all)]
    async fn session_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<Session>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1");
        let row: Option<SessionRow> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(token_hash).fetch_optional(pool).await?
        });
        row.map(Session::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn touch_session(&self, session_id: &SessionId, now: OffsetDateTime) -> StoreResult<()> {
        let now = to_millis(now);
        on_pool!(self, |pool| {
            // Never move last_seen_at backwards when two requests race.
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $1")
                .bind(now)
                .bind(session_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn sessions_of_user(&self, user_id: &UserId, now: OffsetDateTime) -> StoreResult<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC, id DESC"
        );
        let rows: Vec<SessionRow> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(to_millis(now)).fetch_all(pool).await?
        });
        rows.into_iter().map(Session::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_session(&self, user_id: &UserId, session_id: &SessionId, now: OffsetDateTime) -> StoreResult<bool> {
        let affected = on_pool!(self, |pool| {
            sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
                .bind(to_millis(now))
                .bind(session_id)
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn create_api_key(&self, key: &NewApiKey) -> StoreResult<ApiKey> {
        on_pool!(self, |pool| {
            sqlx::query("INSERT INTO api_keys (id, name, role, key_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(&key.id)
                .bind(&key.name)
                .bind(key.role.as_str())
                .bind(&key.key_hash)
                .bind(to_millis(key.now))
                .execute(pool)
                .await
                .map_err(|e| unique_violation(e, Duplicate::RandomValue))?
                .rows_affected()
        });
        Ok(ApiKey {
            id: key.id.clone(),
            name: key.name.clone(),
            role: key.role,
            created_at: from_millis(to_millis(key.now))?,
            revoked_at: None,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn api_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<ApiKey>> {
        let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL");
        let row: Option<ApiKeyRow> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(key_hash).fetch_optional(pool).await?
        });
        row.map(ApiKey::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn api_keys(&self) -> StoreResult<Vec<ApiKey>> {
        let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys ORDER BY created_at, id");
        let rows: Vec<ApiKeyRow> =
            on_pool!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?);
        rows.into_iter().map(ApiKey::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_api_key(&self, id: &ApiKeyId, now: OffsetDateTime) -> StoreResult<bool> {
        let affected = on_pool!(self, |pool| {
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(to_millis(now))
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected == 1)
    }
}
