//! Expanding one body per backend; see `sql.rs` for why.

/// Runs `$body` with `$pool` bound to the concrete pool of either backend.
macro_rules! on_pool {
    ($self:expr, |$pool:ident| $body:expr) => {
        match &$self.pool {
            Pool::Sqlite($pool) => $body,
            Pool::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` inside a write transaction bound to `$tx`, committing when it
/// returns `Ok`. SQLite takes the write lock up front (`BEGIN IMMEDIATE`):
/// a deferred transaction that reads and then writes can fail with
/// SQLITE_BUSY at the upgrade, which the busy timeout does not retry.
macro_rules! in_tx {
    ($self:expr, |$tx:ident| $body:expr) => {
        match &$self.pool {
            Pool::Sqlite(pool) => {
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let result: StoreResult<_> = $body;
                if result.is_ok() {
                    $tx.commit().await?;
                }
                result
            }
            Pool::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let result: StoreResult<_> = $body;
                if result.is_ok() {
                    $tx.commit().await?;
                }
                result
            }
        }
    };
}
