//! The `Store` implementation shared by both backends.
//!
//! SQLite and PostgreSQL both accept `$N` placeholders, and every column is
//! TEXT or BIGINT, so almost every statement is written once. The `on_pool!`
//! and `in_tx!` macros expand a body once per backend, each arm compiled
//! against that backend's concrete types; where the dialects differ (write
//! locks) the code says so with `self.backend()`.

use async_trait::async_trait;
use sqlx::SqlitePool;
use sqlx::error::ErrorKind;
use sqlx::migrate::Migrator;

use super::marks::{ChangeMarks, CurrentMarks, MarkedCache};
use super::{
    Backend, Duplicate, EulaStanding, NewApiKey, SchemaStanding, Store, StoreError, StoreResult, ValidationFacts,
    to_millis,
};
use crate::domain::ids::UserId;
use crate::domain::license::License;

pub(super) static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
pub(super) static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

pub(super) enum Pool {
    Sqlite(SqlitePool),
    Postgres(super::pg_exec::PgExec),
}

/// A `Store` over either backend's connection pool.
pub struct SqlStore {
    pub(super) pool: Pool,
    /// This instance's reading of the change marks (see `marks.rs`).
    pub(super) marks: ChangeMarks,
    /// Validation facts by key hash and fingerprint hash.
    pub(super) validations: MarkedCache<(String, Option<String>), ValidationFacts>,
    /// The licenses each user holds.
    pub(super) holdings: MarkedCache<UserId, Vec<License>>,
    /// EULA standings by user and product.
    pub(super) standings: MarkedCache<(UserId, String), EulaStanding>,
}

impl SqlStore {
    pub(super) fn over(pool: Pool) -> Self {
        Self {
            pool,
            marks: ChangeMarks::default(),
            validations: MarkedCache::default(),
            holdings: MarkedCache::default(),
            standings: MarkedCache::default(),
        }
    }
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore").field("backend", &self.backend()).finish()
    }
}

/// A uniqueness violation becomes `Duplicate(what)`; anything else stays a database error.
pub(super) fn unique_violation(error: sqlx::Error, what: Duplicate) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.kind() == ErrorKind::UniqueViolation => StoreError::Duplicate(what),
        _ => StoreError::Database(error),
    }
}

/// What a transaction body decided about its own writes (see `in_tx_deciding!`).
pub(crate) enum Decided<T> {
    /// Keep the writes; answer `T`.
    Commit(T),
    /// Undo the writes; answer `T` all the same.
    Rollback(T),
}

/// Commits or rolls back as the body decided, and returns its answer.
pub(crate) async fn settle<DB: sqlx::Database, T>(
    tx: sqlx::Transaction<'_, DB>,
    decided: Decided<T>,
) -> StoreResult<T> {
    match decided {
        Decided::Commit(value) => {
            tx.commit().await?;
            Ok(value)
        }
        // Dropped, the transaction rolls back; the decided answer stands
        // even if the connection then fails.
        Decided::Rollback(value) => {
            drop(tx);
            Ok(value)
        }
    }
}

impl SqlStore {
    /// Which database this is.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// The change marks this request may trust (see `marks.rs`); `None`
    /// while another request is reading them.
    pub(super) async fn current_marks(&self) -> StoreResult<Option<CurrentMarks>> {
        self.marks
            .current(async || {
                Ok(on_pool!(self, |pool| sqlx::query_as("SELECT name, n FROM change_marks").fetch_all(pool).await?))
            })
            .await
    }

    fn migrator(&self) -> &'static Migrator {
        match self.pool {
            Pool::Sqlite(_) => &SQLITE_MIGRATOR,
            Pool::Postgres(_) => &POSTGRES_MIGRATOR,
        }
    }
}

/// "No such table", in either dialect.
fn is_undefined_table(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.code().as_deref() == Some("42P01") || e.message().starts_with("no such table"))
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        SqlStore::backend(self)
    }

    async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }

    #[tracing::instrument(skip_all)]
    async fn migrate(&self) -> StoreResult<()> {
        let migrator = self.migrator();
        match &self.pool {
            Pool::Sqlite(pool) => migrator.run(pool).await?,
            Pool::Postgres(pool) => migrator.run(&**pool).await?,
        }
        // What SQL cannot normalise, Rust does right after (see `emails.rs`).
        self.renormalize_emails().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn check_schema(&self) -> StoreResult<SchemaStanding> {
        let known: Vec<i64> = self.migrator().iter().map(|m| m.version).collect();
        let knows = known.iter().copied().max().unwrap_or(0);
        let applied: Vec<(i64, bool)> = match on_pool!(self, |pool| {
            sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version").fetch_all(pool).await
        }) {
            Ok(applied) => applied,
            // A database nobody has migrated yet.
            Err(error) if is_undefined_table(&error) => Vec::new(),
            Err(error) => return Err(error.into()),
        };
        if let Some((version, _)) = applied.iter().find(|(_, success)| !success) {
            return Err(StoreError::SchemaDirty { version: *version });
        }
        let at = applied.iter().map(|(version, _)| *version).max().unwrap_or(0);
        if known.iter().any(|version| !applied.iter().any(|(applied, _)| applied == version)) {
            return Err(StoreError::SchemaBehind { at, needs: knows });
        }
        if at == knows {
            return Ok(SchemaStanding::Current);
        }
        let compat: Vec<(i64, i64)> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT version, oldest_build FROM schema_compat WHERE version > $1")
                .bind(knows)
                .fetch_all(pool)
                .await?
        });
        for (version, _) in applied.iter().filter(|(version, _)| *version > knows) {
            let oldest_build = compat.iter().find(|(v, _)| v == version).map(|(_, oldest)| *oldest);
            if oldest_build.is_none_or(|oldest| oldest > knows) {
                return Err(StoreError::SchemaAhead { at, knows, breaking: *version });
            }
        }
        Ok(SchemaStanding::AheadByAdditions { at, knows })
    }

    #[tracing::instrument(skip_all)]
    async fn server_connection_limit(&self) -> StoreResult<Option<u32>> {
        let Pool::Postgres(pool) = &self.pool else { return Ok(None) };
        let shown: String = sqlx::query_scalar("SHOW max_connections").fetch_one(pool).await?;
        Ok(shown.trim().parse().ok())
    }

    #[tracing::instrument(skip_all)]
    async fn ping(&self) -> StoreResult<()> {
        // The same judgement as at start, so that a migration this build
        // cannot serve, applied while it runs, takes it out of the load
        // balancer rather than leaving it to misread the new shape.
        self.check_schema().await.map(drop)
    }

    #[tracing::instrument(skip_all)]
    async fn meta(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT value FROM instance_meta WHERE key = $1").bind(key).fetch_optional(pool).await?
        }))
    }

    #[tracing::instrument(skip_all)]
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
}
