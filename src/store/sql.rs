//! The `Store` implementation shared by both backends.
//!
//! SQLite and PostgreSQL both accept `$N` placeholders, and every column is
//! TEXT or BIGINT, so almost every statement is written once. The `on_pool!`
//! and `in_tx!` macros expand a body once per backend, each arm compiled
//! against that backend's concrete types; where the dialects differ (write
//! locks) the code says so with `self.backend()`.

use async_trait::async_trait;
use sqlx::error::ErrorKind;
use sqlx::migrate::Migrator;
use sqlx::{PgPool, SqlitePool};
use time::OffsetDateTime;

use super::{
    ApiKey, ApiKeyRole, AttemptReservation, Backend, NewApiKey, NewEvent, NewSession, NewUser, Session, Store,
    StoreError, StoreResult, User, UserCredentials, from_millis, to_millis,
};
use crate::domain::lockout;

pub(super) static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
pub(super) static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

pub(super) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A `Store` over either backend's connection pool.
pub struct SqlStore {
    pub(super) pool: Pool,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore").field("backend", &self.backend()).finish()
    }
}

pub(super) fn unique_violation(error: sqlx::Error, what: &'static str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.kind() == ErrorKind::UniqueViolation => StoreError::Conflict(what),
        _ => StoreError::Database(error),
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
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
    id: String,
    user_id: String,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    auth_time: i64,
    amr: String,
    ip: Option<String>,
    user_agent: Option<String>,
    revoked_at: Option<i64>,
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;
    fn try_from(row: SessionRow) -> StoreResult<Self> {
        Ok(Session {
            amr: serde_json::from_str(&row.amr).map_err(|e| StoreError::Corrupt(format!("session amr: {e}")))?,
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
    "id, user_id, created_at, last_seen_at, expires_at, auth_time, amr, ip, user_agent, revoked_at";

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    id: String,
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

impl SqlStore {
    fn migrator(&self) -> &'static Migrator {
        match self.pool {
            Pool::Sqlite(_) => &SQLITE_MIGRATOR,
            Pool::Postgres(_) => &POSTGRES_MIGRATOR,
        }
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let migrator = self.migrator();
        on_pool!(self, |pool| migrator.run(pool).await?);
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        let expected = self.migrator().iter().map(|m| m.version).max().unwrap_or(0);
        let applied: Option<i64> = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE").fetch_one(pool).await?
        });
        if applied.unwrap_or(0) < expected { Err(StoreError::SchemaBehind) } else { Ok(()) }
    }

    async fn meta(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT value FROM instance_meta WHERE key = $1").bind(key).fetch_optional(pool).await?
        }))
    }

    async fn bootstrap(&self, master_key_check: &str, first_admin_key: &NewApiKey) -> StoreResult<bool> {
        let now = to_millis(first_admin_key.now).to_string();
        in_tx!(self, |tx| {
            let claimed = sqlx::query(
                "INSERT INTO instance_meta (key, value) VALUES ('bootstrapped_at', $1) ON CONFLICT (key) DO NOTHING",
            )
            .bind(&now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !claimed {
                return Ok(false);
            }
            sqlx::query("INSERT INTO instance_meta (key, value) VALUES ('master_key_check', $1)")
                .bind(master_key_check)
                .execute(&mut *tx)
                .await?;
            // An operator who already made an admin key with the CLI needs no second one.
            let created = sqlx::query(
                "INSERT INTO api_keys (id, name, role, key_hash, created_at) \
                 SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM api_keys WHERE role = 'admin')",
            )
            .bind(&first_admin_key.id)
            .bind(&first_admin_key.name)
            .bind(first_admin_key.role.as_str())
            .bind(&first_admin_key.key_hash)
            .bind(to_millis(first_admin_key.now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            Ok(created == 1)
        })
    }

    async fn create_user(&self, user: &NewUser) -> StoreResult<User> {
        let now = to_millis(user.now);
        // The sign-up event queues the verification mail in the same transaction.
        let signed_up = NewEvent {
            id: crate::auth::new_id(),
            user_id: user.id.clone(),
            kind: "signed_up",
            detail: serde_json::json!({}),
            ip: None,
            user_agent: None,
            at: user.now,
        };
        in_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(&user.id)
            .bind(&user.email)
            .bind(&user.name)
            .bind(&user.password_hash)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_violation(e, "email already registered"))?;
            insert_event!(signed_up, &mut *tx);
            Ok(())
        })?;
        Ok(User {
            id: user.id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
            email_verified_at: None,
            created_at: from_millis(now)?,
        })
    }

    async fn user(&self, id: &str) -> StoreResult<Option<User>> {
        Ok(self.user_credentials(id).await?.map(|c| c.user))
    }

    async fn user_credentials_by_email(&self, email: &str) -> StoreResult<Option<UserCredentials>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let row: Option<UserRow> =
            on_pool!(self, |pool| { sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(email).fetch_optional(pool).await? });
        row.map(UserRow::into_credentials).transpose()
    }

    async fn user_credentials(&self, id: &str) -> StoreResult<Option<UserCredentials>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> =
            on_pool!(self, |pool| { sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await? });
        row.map(UserRow::into_credentials).transpose()
    }

    async fn change_password(
        &self,
        user_id: &str,
        password_hash: &str,
        keep_session: Option<&str>,
        event: &NewEvent,
    ) -> StoreResult<()> {
        let now = to_millis(event.at);
        in_tx!(self, |tx| {
            sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                .bind(password_hash)
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND id <> COALESCE($3, '')",
            )
            .bind(now)
            .bind(user_id)
            .bind(keep_session)
            .execute(&mut *tx)
            .await?;
            // A sign-in begun with the old password must not finish.
            sqlx::query("DELETE FROM pending_sign_ins WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            // Nor may an older reset link set it again.
            sqlx::query("DELETE FROM email_tokens WHERE user_id = $1 AND purpose = 'password_reset'")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            insert_event!(event, &mut *tx);
            Ok(())
        })
    }

    async fn change_email(
        &self,
        user_id: &str,
        old_email: &str,
        new_email: &str,
        event: &NewEvent,
        limit: u32,
        since: OffsetDateTime,
    ) -> StoreResult<bool> {
        let backend = self.backend();
        use crate::domain::mail::MailKind;
        let mail = |kind, recipient: Option<&str>| super::NewMail {
            id: crate::auth::new_id(),
            kind,
            user_id: user_id.to_owned(),
            recipient: recipient.map(str::to_owned),
            detail: serde_json::json!({"new_email": new_email}),
            at: event.at,
        };
        let (verify, notice) = (mail(MailKind::VerifyEmail, None), mail(MailKind::EmailChanged, Some(old_email)));
        in_tx!(self, |tx| {
            if backend == Backend::Postgres {
                sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE").bind(user_id).execute(&mut *tx).await?;
            }
            // Each change mails a stranger's address if it is not the user's: limited like a resend.
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
            // Unsent links addressed to the old mailbox must not go out (a reset link there would undo the change).
            sqlx::query(
                "UPDATE outbox SET failed_at = $1, last_error = 'the address changed before it was sent' \
                 WHERE user_id = $2 AND sent_at IS NULL AND failed_at IS NULL AND kind IN ('verify_email', 'password_reset')",
            )
            .bind(to_millis(event.at))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE users SET email = $1, email_verified_at = NULL, updated_at = $2 WHERE id = $3")
                .bind(new_email)
                .bind(to_millis(event.at))
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_violation(e, "email already registered"))?;
            // Links sent to the old address no longer prove anything.
            sqlx::query("DELETE FROM email_tokens WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            insert_event!(event, &mut *tx);
            insert_mail!(verify, &mut *tx);
            insert_mail!(notice, &mut *tx);
            Ok(true)
        })
    }

    async fn reserve_sign_in_attempt(
        &self,
        email: &str,
        limit: usize,
        attempt_id: &str,
        now: OffsetDateTime,
    ) -> StoreResult<AttemptReservation> {
        let window_start = to_millis(now - lockout::WINDOW);
        let backend = self.backend();
        in_tx!(self, |tx| {
            if backend == Backend::Postgres {
                // Serialise attempts on one account across instances; SQLite's
                // IMMEDIATE transaction already serialises every writer.
                sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('sign_in:' || $1, 0))")
                    .bind(email)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("DELETE FROM sign_in_attempts WHERE email = $1 AND at <= $2")
                .bind(email)
                .bind(window_start)
                .execute(&mut *tx)
                .await?;
            let recent: Vec<i64> = sqlx::query_scalar("SELECT at FROM sign_in_attempts WHERE email = $1")
                .bind(email)
                .fetch_all(&mut *tx)
                .await?;
            let recent = recent.into_iter().map(from_millis).collect::<StoreResult<Vec<_>>>()?;
            if let Some(until) = lockout::locked_until(&recent, limit, now) {
                return Ok(AttemptReservation::Locked { until });
            }
            sqlx::query("INSERT INTO sign_in_attempts (id, email, at) VALUES ($1, $2, $3)")
                .bind(attempt_id)
                .bind(email)
                .bind(to_millis(now))
                .execute(&mut *tx)
                .await?;
            Ok(AttemptReservation::Reserved)
        })
    }

    async fn clear_sign_in_failures(&self, email: &str) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM sign_in_attempts WHERE email = $1")
                .bind(email)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    async fn create_session(&self, session: &NewSession) -> StoreResult<Session> {
        let amr = serde_json::to_string(&session.amr).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        on_pool!(self, |pool| insert_session!(session, &amr, pool));
        session.stored()
    }

    async fn session_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<Session>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1");
        let row: Option<SessionRow> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(token_hash).fetch_optional(pool).await?
        });
        row.map(Session::try_from).transpose()
    }

    async fn touch_session(&self, session_id: &str, now: OffsetDateTime) -> StoreResult<()> {
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

    async fn sessions_of_user(&self, user_id: &str, now: OffsetDateTime) -> StoreResult<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC, id DESC"
        );
        let rows: Vec<SessionRow> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(to_millis(now)).fetch_all(pool).await?
        });
        rows.into_iter().map(Session::try_from).collect()
    }

    async fn revoke_session(&self, user_id: &str, session_id: &str, now: OffsetDateTime) -> StoreResult<bool> {
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
                .map_err(|e| unique_violation(e, "api key collision"))?
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

    async fn api_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<ApiKey>> {
        let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL");
        let row: Option<ApiKeyRow> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(key_hash).fetch_optional(pool).await?
        });
        row.map(ApiKey::try_from).transpose()
    }

    async fn api_keys(&self) -> StoreResult<Vec<ApiKey>> {
        let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys ORDER BY created_at, id");
        let rows: Vec<ApiKeyRow> =
            on_pool!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?);
        rows.into_iter().map(ApiKey::try_from).collect()
    }

    async fn revoke_api_key(&self, id: &str, now: OffsetDateTime) -> StoreResult<bool> {
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
