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
mod emails;
mod eula;
mod factors;
mod ids;
mod keys;
mod licenses;
mod mail;
mod marks;
mod oauth;
mod pg_exec;
mod postgres;
mod purge;
mod sql;
mod sqlite;
mod support;
mod tokens;

use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::config::{DatabaseUrl, SqliteSynchronous};
use crate::domain::event::NewEvent;

pub use accounts::*;
pub use emails::*;
pub use eula::*;
pub use factors::*;
pub use keys::*;
pub use licenses::*;
pub use mail::*;
pub use marks::POLL_EVERY as CACHE_POLL_EVERY;
pub use oauth::*;
pub use purge::*;
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
    #[error(
        "the database schema is at version {at}, and this build needs {needs}: run `latchkey migrate` with this build first"
    )]
    SchemaBehind {
        /// The newest migration applied.
        at: i64,
        /// The newest migration this build has.
        needs: i64,
    },
    /// The database's schema is newer than this build, by a migration that
    /// changed what this build reads.
    #[error(
        "the database schema is at version {at}, newer than this build knows ({knows}), and migration {breaking} \
         is not compatible with older builds: run the newer build"
    )]
    SchemaAhead {
        /// The newest migration applied.
        at: i64,
        /// The newest migration this build has.
        knows: i64,
        /// The first migration this build cannot serve.
        breaking: i64,
    },
    /// A migration started and did not finish.
    #[error("migration {version} did not finish: run `latchkey migrate` again")]
    SchemaDirty {
        /// The migration.
        version: i64,
    },
    /// A stored value does not read back (a bug, or edited data).
    #[error("stored value is corrupt: {0}")]
    Corrupt(String),
    /// The database could not be opened or created.
    #[error("cannot prepare the database: {0}")]
    Setup(String),
}

impl StoreError {
    /// Whether the database could not be reached, the connection broke, or
    /// the server is going away: a retryable outage, not a bug.
    pub fn is_outage(&self) -> bool {
        match self {
            Self::Database(
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::Protocol(_)
                | sqlx::Error::WorkerCrashed,
            ) => true,
            Self::Database(sqlx::Error::Database(error)) => error.code().is_some_and(|code| is_outage_sqlstate(&code)),
            _ => false,
        }
    }
}

/// SQLSTATEs that mean the connection, not the statement, failed: class 08
/// (connection exceptions) and 57P01-57P05 (the server shutting down,
/// crashing, not yet accepting connections, or dropping an idle session).
pub fn is_outage_sqlstate(code: &str) -> bool {
    code.starts_with("08") || (code.starts_with("57P0") && code.len() == 5)
}

#[cfg(test)]
mod tests {
    use super::is_outage_sqlstate;

    #[test]
    fn connection_class_errors_are_outages() {
        for code in ["08000", "08003", "08006", "08001", "08004", "57P01", "57P02", "57P03", "57P05"] {
            assert!(is_outage_sqlstate(code), "{code}");
        }
        for code in ["23505", "40001", "57014", "22P02", "P0001"] {
            assert!(!is_outage_sqlstate(code), "{code}");
        }
    }
}

/// The result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// How to open the store.
#[derive(Debug, Clone, Copy)]
pub struct StoreOptions {
    /// Most connections held open at once.
    pub max_connections: u32,
    /// How SQLite commits.
    pub sqlite_synchronous: SqliteSynchronous,
    /// Whether a missing SQLite file may be created. Only serving and
    /// migrating create one: an admin command run from the wrong folder
    /// must say so, not quietly start an empty database.
    pub create: bool,
    /// Prepared statements kept per PostgreSQL connection; 0 prepares none
    /// under a name and runs every statement in a transaction, for a
    /// transaction-mode pooler (see `pg_exec.rs`).
    pub statement_cache: usize,
}

impl StoreOptions {
    /// `max_connections`, durable commits, creating the database if need be.
    pub fn new(max_connections: u32) -> Self {
        Self { max_connections, sqlite_synchronous: SqliteSynchronous::Full, create: true, statement_cache: 100 }
    }
}

/// Opens the store the URL names, ready for this build. An SQLite file
/// belongs to this one process, which brings its schema up to date. A
/// PostgreSQL database is shared by many instances and migrated as a
/// deliberate step (`latchkey migrate`), never by whichever instance starts
/// first: here its schema is only checked. Behind this build, or ahead of
/// it by a migration older builds cannot serve, the start is refused with
/// what to do; ahead by additions only (a rolling upgrade), it goes on.
pub async fn connect(url: &DatabaseUrl, options: StoreOptions) -> StoreResult<Arc<dyn Store>> {
    let store = connect_unmigrated(url, options).await?;
    match store.backend() {
        Backend::Sqlite => store.migrate().await?,
        Backend::Postgres => {
            if let SchemaStanding::AheadByAdditions { at, knows } = store.check_schema().await? {
                tracing::warn!(
                    at,
                    knows,
                    "the database schema is newer than this build, by additions only: serving (a rolling upgrade); \
                     upgrade this instance soon"
                );
            }
        }
    }
    Ok(Arc::new(store))
}

/// How the database's schema stands against this build's migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaStanding {
    /// Exactly the migrations this build has.
    Current,
    /// Newer, by migrations that only add what this build never reads.
    AheadByAdditions {
        /// The newest migration applied.
        at: i64,
        /// The newest migration this build has.
        knows: i64,
    },
}

/// Opens the store without migrating; for `latchkey migrate` and the checks
/// that must see the schema as it is.
pub async fn connect_unmigrated(url: &DatabaseUrl, options: StoreOptions) -> StoreResult<SqlStore> {
    if url.is_postgres() { postgres::connect(url, options).await } else { sqlite::connect(url, options).await }
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
    + OAuthStore
    + PurgeStore
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

    /// Whether this build may serve the schema as it is (see `connect`).
    async fn check_schema(&self) -> StoreResult<SchemaStanding>;

    /// The server's `max_connections`, on PostgreSQL (through a pooler,
    /// still the server's); `None` on SQLite.
    async fn server_connection_limit(&self) -> StoreResult<Option<u32>>;

    /// Succeeds when the database answers with a schema this build may
    /// serve (see `check_schema`).
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
