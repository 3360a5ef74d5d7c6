//! Opening a PostgreSQL pool shared by any number of Latchkey instances.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::pg_exec::PgExec;
use super::sql::{Pool, SqlStore};
use super::{StoreOptions, StoreResult};
use crate::config::DatabaseUrl;

/// The longest a request waits for a connection before it is answered
/// `unavailable`.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(1);

/// A pooled connection idle longer than this is pinged before it is used.
const PING_AFTER_IDLE: Duration = Duration::from_secs(5);

pub(super) async fn connect(url: &DatabaseUrl, options: StoreOptions) -> StoreResult<SqlStore> {
    let connect = PgConnectOptions::from_str(url.expose())?
        .application_name("latchkey")
        .statement_cache_capacity(options.statement_cache);
    let pool = PgPoolOptions::new()
        .max_connections(options.max_connections)
        // Fail fast when the database is gone, so a client can retry
        // elsewhere at once; /readyz reports the outage meanwhile.
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // sqlx pings every connection it hands out by default: a second
        // round trip per statement, which halved validation's throughput.
        // Only a connection that sat idle a while (and may have been cut
        // by a restart or a pooler) is checked before use.
        .test_before_acquire(false)
        .before_acquire(|connection, meta| {
            Box::pin(async move {
                if meta.idle_for > PING_AFTER_IDLE {
                    sqlx::Connection::ping(connection).await?;
                }
                Ok(true)
            })
        })
        .connect_with(connect)
        .await?;
    let unnamed = options.statement_cache == 0;
    Ok(SqlStore::over(Pool::Postgres(PgExec::new(pool, unnamed))))
}
