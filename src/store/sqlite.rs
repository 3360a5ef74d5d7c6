//! Opening the embedded SQLite database: created on first use, WAL journal so
//! readers never wait for the writer, a busy timeout so writers queue instead
//! of failing.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::sql::{Pool, SqlStore};
use super::{StoreError, StoreResult};
use crate::config::DatabaseUrl;

pub(super) async fn connect(url: &DatabaseUrl, max_connections: u32) -> StoreResult<SqlStore> {
    let options = SqliteConnectOptions::from_str(url.expose())?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    let file = options.get_filename();
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Setup(format!("cannot create {}: {e}", dir.display())))?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(max_connections.max(2))
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?;
    Ok(SqlStore { pool: Pool::Sqlite(pool) })
}
