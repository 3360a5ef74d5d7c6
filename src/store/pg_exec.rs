//! How the store's statements reach PostgreSQL: directly on the pool, or,
//! behind a pooler in transaction mode (`database_statement_cache = 0`),
//! each as an unnamed statement inside a transaction.
//!
//! A transaction-mode pooler (PgBouncer's `pool_mode = transaction`) hands
//! every transaction to whichever server connection is free. sqlx prepares
//! statements under names (`sqlx_s_1`, …) that live on the server
//! connection, even with its statement cache off, so the next client given
//! that connection fails with `prepared statement "sqlx_s_1" already
//! exists`. An unnamed statement lives only until the next one; but sqlx
//! parses it and binds it in two exchanges, and between them, outside a
//! transaction, the pooler may switch connections. So in that mode every
//! statement is unnamed and runs inside a transaction: the store's own
//! transactions already are, and a statement on the pool gets one of its
//! own (two more round trips, the price of the pooler).

use std::ops::Deref;

use futures::{StreamExt, TryStreamExt, future::BoxFuture, stream::BoxStream};
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgConnection, PgQueryResult, PgRow, PgStatement, PgTypeInfo};
use sqlx::{Either, Execute, Executor, PgPool, Postgres, SqlStr, Transaction};

/// A statement that is never prepared under a name.
struct Unnamed<E>(E);

impl<'q, E: Execute<'q, Postgres>> Execute<'q, Postgres> for Unnamed<E> {
    fn sql(self) -> SqlStr {
        self.0.sql()
    }

    fn statement(&self) -> Option<&PgStatement> {
        self.0.statement()
    }

    fn take_arguments(&mut self) -> Result<Option<PgArguments>, BoxDynError> {
        self.0.take_arguments()
    }

    fn persistent(&self) -> bool {
        false
    }
}

/// The PostgreSQL pool the store's statements run on.
#[derive(Debug, Clone)]
pub struct PgExec {
    pool: PgPool,
    /// Behind a transaction-mode pooler: unnamed statements in transactions.
    unnamed: bool,
}

impl PgExec {
    pub(super) fn new(pool: PgPool, unnamed: bool) -> Self {
        Self { pool, unnamed }
    }

    /// A transaction whose statements follow this pool's mode.
    pub(super) async fn begin(&self) -> Result<PgTx, sqlx::Error> {
        Ok(PgTx { tx: self.pool.begin().await?, unnamed: self.unnamed })
    }
}

impl Deref for PgExec {
    type Target = PgPool;

    fn deref(&self) -> &PgPool {
        &self.pool
    }
}

impl<'c> Executor<'c> for &'c PgExec {
    type Database = Postgres;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Result<Either<PgQueryResult, PgRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        if !self.unnamed {
            return (&self.pool).fetch_many(query);
        }
        let pool = self.pool.clone();
        // The results are few (the store reads rows by key), so they are
        // gathered inside the transaction and handed out after it commits.
        let gathered = async move {
            let mut tx = pool.begin().await?;
            let results: Vec<_> = (&mut *tx).fetch_many(Unnamed(query)).try_collect().await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(results)
        };
        Box::pin(futures::stream::once(gathered).flat_map(|gathered| match gathered {
            Ok(results) => futures::stream::iter(results.into_iter().map(Ok)).left_stream(),
            Err(error) => futures::stream::once(async move { Err(error) }).right_stream(),
        }))
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<PgRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        if !self.unnamed {
            return (&self.pool).fetch_optional(query);
        }
        let pool = self.pool.clone();
        Box::pin(async move {
            let mut tx = pool.begin().await?;
            let row = (&mut *tx).fetch_optional(Unnamed(query)).await?;
            tx.commit().await?;
            Ok(row)
        })
    }

    // The store never prepares or describes statements itself (queries do
    // it for themselves, above); these two pass through for completeness.
    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [PgTypeInfo],
    ) -> BoxFuture<'e, Result<PgStatement, sqlx::Error>>
    where
        'c: 'e,
    {
        (&self.pool).prepare_with(sql, parameters)
    }

    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, Result<sqlx::Describe<Postgres>, sqlx::Error>>
    where
        'c: 'e,
    {
        (&self.pool).describe(sql)
    }
}

/// A transaction the store's statements run in.
#[derive(Debug)]
pub struct PgTx {
    tx: Transaction<'static, Postgres>,
    unnamed: bool,
}

impl PgTx {
    /// The transaction itself, to commit or roll back.
    pub(super) fn into_inner(self) -> Transaction<'static, Postgres> {
        self.tx
    }
}

impl<'c> Executor<'c> for &'c mut PgTx {
    type Database = Postgres;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Result<Either<PgQueryResult, PgRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        let unnamed = self.unnamed;
        let connection: &'c mut PgConnection = &mut self.tx;
        if unnamed { connection.fetch_many(Unnamed(query)) } else { connection.fetch_many(query) }
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<PgRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        let unnamed = self.unnamed;
        let connection: &'c mut PgConnection = &mut self.tx;
        if unnamed { connection.fetch_optional(Unnamed(query)) } else { connection.fetch_optional(query) }
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [PgTypeInfo],
    ) -> BoxFuture<'e, Result<PgStatement, sqlx::Error>>
    where
        'c: 'e,
    {
        let connection: &'c mut PgConnection = &mut self.tx;
        connection.prepare_with(sql, parameters)
    }

    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, Result<sqlx::Describe<Postgres>, sqlx::Error>>
    where
        'c: 'e,
    {
        let connection: &'c mut PgConnection = &mut self.tx;
        connection.describe(sql)
    }
}
