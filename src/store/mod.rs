//! Persistence. The `Store` trait names use cases, not tables; it is the only
//! way the rest of the crate touches the database, and the only place with SQL.
//! Two backends implement it (SQLite, the embedded default, and PostgreSQL,
//! shared by many instances) and one conformance suite holds them to the same
//! behaviour. Anything that must hold across instances (seat counts, lockouts,
//! used TOTP steps, revocations) is decided inside one transaction here.
//!
//! The entities read and written here live in `domain`; the types defined
//! here are the store's own requests and answers.

#[macro_use]
mod macros;
mod accounts;
mod eula;
mod factors;
mod ids;
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
use crate::domain::event::NewEvent;

pub use accounts::*;
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

/// What a uniqueness rule refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duplicate {
    /// An account already has this address.
    Email,
    /// The idempotency key was already used by this caller.
    IdempotencyKey,
    /// This authenticator is already registered.
    Passkey,
    /// This product, locale and version is already published.
    EulaVersion,
    /// Random values that collided (keys, codes, tokens): in practice never.
    RandomValue,
}

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write.
    #[error("duplicate: {0:?}")]
    Duplicate(Duplicate),
    /// The database failed or refused the statement.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration could not be applied.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database's schema is older than this build.
    #[error("database schema is behind this build (run `latchkey migrate`)")]
    SchemaBehind,
    /// A stored value does not read back (a bug, or edited data).
    #[error("stored value is corrupt: {0}")]
    Corrupt(String),
    /// The database could not be opened or created.
    #[error("cannot prepare the database: {0}")]
    Setup(String),
}

impl StoreError {
    /// Whether the database could not be reached or the connection broke:
    /// a retryable outage, not a bug.
    pub fn is_outage(&self) -> bool {
        matches!(
            self,
            Self::Database(
                sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::Io(_)
                    | sqlx::Error::Tls(_)
                    | sqlx::Error::Protocol(_)
                    | sqlx::Error::WorkerCrashed
            )
        )
    }
}

/// The result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Opens the store the URL names and brings its schema up to date.
pub async fn connect(url: &DatabaseUrl, max_connections: u32) -> StoreResult<Arc<dyn Store>> {
    let store = connect_unmigrated(url, max_connections).await?;
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

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default.
    Sqlite,
    /// Shared by many instances.
    Postgres,
}

/// Records an event after the fact it describes has happened: a failure
/// is logged, never turned into an error that would hide what already happened.
pub async fn record_best_effort(store: &dyn Store, event: &NewEvent) {
    if let Err(error) = store.record_event(event).await {
        tracing::warn!(%error, kind = event.kind.as_str(), "could not record a user event");
    }
}

/// The use cases the application needs from a database.
#[async_trait]
pub trait Store:
    AccountStore
    + LicenseStore
    + KeyStore
    + FactorStore
    + EulaStore
    + SupportStore
    + TokenStore
    + MailStore
    + Send
    + Sync
    + 'static
{
    /// Which database this is.
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
}

/// Epoch milliseconds, the portable time column of both backends.
pub(crate) fn to_millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

pub(crate) fn from_millis(millis: i64) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {millis}: {e}")))
}

/// A JSON column's text, for a value we made.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A JSON column read back.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}
