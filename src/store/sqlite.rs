//! Opening the embedded SQLite database: created (0600) on first use, WAL
//! journal so readers never wait for the writer, a busy timeout so writers
//! queue instead of failing, and `synchronous=FULL` unless the operator
//! trades power-loss durability for write speed.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::sql::{Pool, SqlStore};
use super::{StoreError, StoreOptions, StoreResult};
use crate::config::DatabaseUrl;

pub(super) async fn connect(url: &DatabaseUrl, options: StoreOptions) -> StoreResult<SqlStore> {
    let synchronous = match options.sqlite_synchronous {
        crate::config::SqliteSynchronous::Full => SqliteSynchronous::Full,
        crate::config::SqliteSynchronous::Normal => SqliteSynchronous::Normal,
    };
    let connect = SqliteConnectOptions::from_str(url.expose())?
        .create_if_missing(options.create)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(synchronous)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    let file = connect.get_filename().to_owned();
    if !file.exists() && file != Path::new(":memory:") {
        if !options.create {
            return Err(StoreError::Setup(format!(
                "there is no database at {}: run this from the gateway's folder, or start it first (`latchkey serve` or `latchkey migrate` create it)",
                file.display()
            )));
        }
        create_private(&file)?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(options.max_connections.max(2))
        .acquire_timeout(Duration::from_secs(10))
        // A file on this machine does not hang up: sqlx's default ping
        // before every use only doubled each statement's trips to the
        // connection's thread.
        .test_before_acquire(false)
        .connect_with(connect)
        .await?;
    Ok(SqlStore::over(Pool::Sqlite(pool)))
}

/// Creates the empty database file readable by this user only; SQLite gives
/// its `-wal` and `-shm` files the same permissions.
fn create_private(file: &Path) -> StoreResult<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let failed = |what: &Path, e: std::io::Error| StoreError::Setup(format!("cannot create {}: {e}", what.display()));
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| failed(dir, e))?;
    }
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(file) {
        Ok(_) => Ok(()),
        // Another process made it a moment ago; it opens as usual.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(failed(file, e)),
    }
}
