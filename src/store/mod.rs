//! Persistence. The `Store` trait names use cases, not tables; it is the only
//! way the rest of the crate touches the database, and the only place with SQL.
//! Two backends implement it — SQLite (embedded default) and PostgreSQL (shared
//! by many instances) — and one conformance suite holds them to the same
//! behaviour. Anything that must hold across instances (seat counts, lockouts,
//! used TOTP steps, revocations) is decided inside one transaction here.

#[macro_use]
mod macros;
mod eula;
mod factors;
mod keys;
mod licenses;
mod mail;
mod postgres;
mod sql;
mod sqlite;
mod support;
mod tokens;

use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::config::DatabaseUrl;

pub use eula::*;
pub use factors::*;
pub use keys::*;
pub use licenses::*;
pub use mail::*;
pub use sql::SqlStore;
pub use support::*;
pub use tokens::*;

/// The file behind a `sqlite:` URL, if that is what the URL names.
pub fn sqlite_file(url: &DatabaseUrl) -> Option<std::path::PathBuf> {
    use std::str::FromStr;
    if !url.is_sqlite() {
        return None;
    }
    sqlx::sqlite::SqliteConnectOptions::from_str(url.expose()).ok().map(|o| o.get_filename().to_owned())
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write (duplicate email, token hash, …).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database schema is behind this build (run `latchkey migrate`)")]
    SchemaBehind,
    #[error("stored value is corrupt: {0}")]
    Corrupt(String),
    #[error("cannot prepare the database: {0}")]
    Setup(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Opens the store the URL names and brings its schema up to date.
pub async fn connect(url: &DatabaseUrl, max_connections: u32) -> StoreResult<Arc<dyn Store>> {
    let store = if url.is_postgres() {
        postgres::connect(url, max_connections).await?
    } else {
        sqlite::connect(url, max_connections).await?
    };
    store.migrate().await?;
    Ok(Arc::new(store))
}

/// Opens the store without migrating; for `latchkey migrate` and the checks
/// that must see the schema as it is.
pub async fn connect_unmigrated(url: &DatabaseUrl, max_connections: u32) -> StoreResult<SqlStore> {
    if url.is_postgres() {
        postgres::connect(url, max_connections).await
    } else {
        sqlite::connect(url, max_connections).await
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where an account's password check stands before the password is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptReservation {
    /// A provisional failure was recorded under this id; clear it on success.
    Reserved,
    /// Too many recent failures; try again at this time.
    Locked { until: OffsetDateTime },
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub email_verified_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

/// A user together with the stored password hash, for sign-in only.
#[derive(Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

impl std::fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCredentials").field("user", &self.user).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub password_hash: String,
    pub now: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    /// The absolute end of the session.
    pub expires_at: OffsetDateTime,
    /// When the user last proved who they are (sign-in or step-up).
    pub auth_time: OffsetDateTime,
    /// RFC 8176 authentication method references.
    pub amr: Vec<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub revoked_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: String,
    pub user_id: String,
    pub token_hash: String,
    pub now: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub amr: Vec<String>,
    pub ip: Option<String>,
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
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
            revoked_at: None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyRole {
    Admin,
    Support,
}

impl ApiKeyRole {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Support => "support",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Self::Admin),
            "support" => Some(Self::Support),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub role: ApiKeyRole,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: String,
    pub name: String,
    pub role: ApiKeyRole,
    pub key_hash: String,
    pub now: OffsetDateTime,
}

/// The use cases the application needs from a database.
#[async_trait]
pub trait Store:
    LicenseStore + KeyStore + FactorStore + EulaStore + SupportStore + TokenStore + MailStore + Send + Sync + 'static
{
    fn backend(&self) -> Backend;

    /// Closes every pooled connection; called once serving has stopped.
    async fn close(&self);

    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;

    /// Succeeds when the database answers and its schema matches this build.
    async fn ping(&self) -> StoreResult<()>;

    /// Reads an instance-wide value (e.g. the master key check).
    async fn meta(&self, key: &str) -> StoreResult<Option<String>>;

    /// Runs first-start work exactly once across all instances: records the
    /// master key check and, unless an admin key exists already, stores
    /// `first_admin_key`. Returns whether that key was stored.
    async fn bootstrap(&self, master_key_check: &str, first_admin_key: &NewApiKey) -> StoreResult<bool>;

    async fn create_user(&self, user: &NewUser) -> StoreResult<User>;
    async fn user(&self, id: &str) -> StoreResult<Option<User>>;
    async fn user_credentials_by_email(&self, email: &str) -> StoreResult<Option<UserCredentials>>;
    async fn user_credentials(&self, id: &str) -> StoreResult<Option<UserCredentials>>;

    /// Sets a new password hash and revokes every session of the user except
    /// `keep_session` (none kept when `None`), recording `event` (and the
    /// notice it calls for), in one transaction.
    async fn change_password(
        &self,
        user_id: &str,
        password_hash: &str,
        keep_session: Option<&str>,
        event: &NewEvent,
    ) -> StoreResult<()>;

    /// Changes the user's address (unverified until its link is followed),
    /// queues the verification mail to the new address and a notice to the
    /// old one, drops unsent links to the old one, and records `event`, in
    /// one transaction. False (and nothing changed) when `limit`
    /// verification mails went out since `since`.
    async fn change_email(
        &self,
        user_id: &str,
        old_email: &str,
        new_email: &str,
        event: &NewEvent,
        limit: u32,
        since: OffsetDateTime,
    ) -> StoreResult<bool>;

    /// Records a provisional failure under `key` (a normalised email for
    /// sign-in, a prefixed one for support PINs) unless `limit` failures in
    /// the lockout window already lock it; atomic, so concurrent guesses
    /// cannot exceed the limit.
    async fn reserve_sign_in_attempt(
        &self,
        key: &str,
        limit: usize,
        attempt_id: &str,
        now: OffsetDateTime,
    ) -> StoreResult<AttemptReservation>;
    /// After a success: forget the failures under `key`.
    async fn clear_sign_in_failures(&self, key: &str) -> StoreResult<()>;

    async fn create_session(&self, session: &NewSession) -> StoreResult<Session>;
    /// The session whose token hashes to `token_hash`, revoked or not.
    async fn session_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<Session>>;
    async fn touch_session(&self, session_id: &str, now: OffsetDateTime) -> StoreResult<()>;
    /// The user's sessions that are not revoked and not past their absolute end.
    async fn sessions_of_user(&self, user_id: &str, now: OffsetDateTime) -> StoreResult<Vec<Session>>;
    /// Revokes one of the user's sessions; false when there is no such live session.
    async fn revoke_session(&self, user_id: &str, session_id: &str, now: OffsetDateTime) -> StoreResult<bool>;

    async fn create_api_key(&self, key: &NewApiKey) -> StoreResult<ApiKey>;
    /// The unrevoked key whose hash is `key_hash`.
    async fn api_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<ApiKey>>;
    async fn api_keys(&self) -> StoreResult<Vec<ApiKey>>;
    async fn revoke_api_key(&self, id: &str, now: OffsetDateTime) -> StoreResult<bool>;
}

/// Epoch milliseconds, the portable time column of both backends.
pub(crate) fn to_millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

pub(crate) fn from_millis(millis: i64) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {millis}: {e}")))
}
