//! Opening a PostgreSQL pool shared by any number of Latchkey instances.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::StoreResult;
use super::sql::{Pool, SqlStore};
use crate::config::DatabaseUrl;

pub(super) async fn connect(url: &DatabaseUrl, max_connections: u32) -> StoreResult<SqlStore> {
    let options = PgConnectOptions::from_str(url.expose())?.application_name("latchkey");
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        // Fail a request rather than queue it forever when the database is gone;
        // /readyz reports the outage meanwhile.
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await?;
    Ok(SqlStore { pool: Pool::Postgres(pool) })
}
