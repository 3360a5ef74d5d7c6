//! EULA documents and the append-only acceptance ledger. Appends are
//! serialised (an advisory lock on PostgreSQL, SQLite's write lock), so the
//! chain never forks or skips a number, on any number of instances.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::sql::{Pool, SqlStore, unique_violation};
use super::{Backend, Store, StoreError, StoreResult, from_millis, to_millis};
use crate::domain::eula::{ChainFields, GENESIS};

#[derive(Debug, Clone)]
pub struct EulaDocument {
    pub id: String,
    pub product: String,
    pub locale: String,
    pub version: String,
    pub title: String,
    pub body: String,
    pub sha256: String,
    pub material: bool,
    pub published_at: OffsetDateTime,
}

/// A ledger record before the ledger numbers and links it.
#[derive(Debug, Clone)]
pub struct NewAcceptance {
    pub id: String,
    pub user_id: String,
    pub product: String,
    pub locale: String,
    pub version: String,
    pub sha256: String,
    pub decision: &'static str,
    pub at: OffsetDateTime,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub channel: &'static str,
    pub amr: Vec<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AcceptanceRow {
    pub seq: i64,
    pub id: String,
    pub user_id: String,
    pub product: String,
    pub locale: String,
    pub version: String,
    pub sha256: String,
    pub decision: String,
    pub at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub channel: String,
    /// JSON array, exactly as hashed.
    pub amr: String,
    pub prev_hash: String,
    pub hash: String,
}

/// A stored record, as the ledger holds it.
#[derive(Debug, Clone)]
pub struct Acceptance {
    pub row: AcceptanceRow,
    pub amr: Vec<String>,
    pub at: OffsetDateTime,
}

impl Acceptance {
    /// The fields its hash covers, as stored now.
    pub fn chain_fields(&self) -> ChainFields<'_> {
        let row = &self.row;
        ChainFields {
            seq: row.seq,
            id: &row.id,
            user_id: &row.user_id,
            product: &row.product,
            locale: &row.locale,
            version: &row.version,
            sha256: &row.sha256,
            decision: &row.decision,
            at: row.at,
            ip: row.ip.as_deref(),
            user_agent: row.user_agent.as_deref(),
            channel: &row.channel,
            amr: &self.amr,
            prev_hash: &row.prev_hash,
        }
    }
}

impl TryFrom<AcceptanceRow> for Acceptance {
    type Error = StoreError;
    fn try_from(row: AcceptanceRow) -> StoreResult<Self> {
        Ok(Self {
            amr: serde_json::from_str(&row.amr).map_err(|e| StoreError::Corrupt(format!("acceptance amr: {e}")))?,
            at: from_millis(row.at)?,
            row,
        })
    }
}

/// Which records an export or history wants; every part optional.
#[derive(Debug, Clone, Default)]
pub struct AcceptanceFilter {
    pub product: Option<String>,
    pub version: Option<String>,
    pub user_id: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

#[async_trait]
pub trait EulaStore {
    /// Stores a new version; `Conflict` when (product, locale, version) exists.
    async fn publish_eula(&self, document: &EulaDocument) -> StoreResult<()>;
    /// The version in that locale, or in any locale when `locale` is `None`.
    async fn eula_version(
        &self,
        product: &str,
        version: &str,
        locale: Option<&str>,
    ) -> StoreResult<Option<EulaDocument>>;
    /// The newest version, preferring `locale` and falling back to any.
    async fn current_eula(&self, product: &str, locale: Option<&str>) -> StoreResult<Option<EulaDocument>>;
    /// The newest version whose `material` flag is set, in any locale.
    async fn latest_material_eula(&self, product: &str) -> StoreResult<Option<EulaDocument>>;
    /// When `version` of `product` was first published, in any locale.
    async fn eula_published_at(&self, product: &str, version: &str) -> StoreResult<Option<OffsetDateTime>>;

    /// Numbers, links and stores one record.
    async fn append_acceptance(&self, record: &NewAcceptance) -> StoreResult<Acceptance>;
    /// The user's newest decision about `product`.
    async fn latest_decision(&self, user_id: &str, product: &str) -> StoreResult<Option<Acceptance>>;
    /// Records in ledger order after `after_seq`, at most `limit`.
    async fn acceptances(&self, filter: &AcceptanceFilter, after_seq: i64, limit: u32) -> StoreResult<Vec<Acceptance>>;
}

#[derive(sqlx::FromRow)]
struct DocumentRow {
    id: String,
    product: String,
    locale: String,
    version: String,
    title: String,
    body: String,
    sha256: String,
    material: bool,
    published_at: i64,
}

impl TryFrom<DocumentRow> for EulaDocument {
    type Error = StoreError;
    fn try_from(row: DocumentRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id,
            product: row.product,
            locale: row.locale,
            version: row.version,
            title: row.title,
            body: row.body,
            sha256: row.sha256,
            material: row.material,
            published_at: from_millis(row.published_at)?,
        })
    }
}

const DOCUMENT_COLUMNS: &str = "id, product, locale, version, title, body, sha256, material, published_at";
const ACCEPTANCE_COLUMNS: &str =
    "seq, id, user_id, product, locale, version, sha256, decision, at, ip, user_agent, channel, amr, prev_hash, hash";

impl SqlStore {
    async fn fetch_document(&self, condition: &str, binds: &[&str]) -> StoreResult<Option<EulaDocument>> {
        let sql = format!("SELECT {DOCUMENT_COLUMNS} FROM eula_documents WHERE {condition} LIMIT 1");
        let row: Option<DocumentRow> = on_pool!(self, |pool| {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for bind in binds {
                query = query.bind(*bind);
            }
            query.fetch_optional(pool).await?
        });
        row.map(EulaDocument::try_from).transpose()
    }
}

#[async_trait]
impl EulaStore for SqlStore {
    async fn publish_eula(&self, document: &EulaDocument) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO eula_documents (id, product, locale, version, title, body, sha256, material, published_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&document.id)
            .bind(&document.product)
            .bind(&document.locale)
            .bind(&document.version)
            .bind(&document.title)
            .bind(&document.body)
            .bind(&document.sha256)
            .bind(document.material)
            .bind(to_millis(document.published_at))
            .execute(pool)
            .await
            .map_err(|e| unique_violation(e, "eula version exists"))?
            .rows_affected()
        });
        Ok(())
    }

    async fn eula_version(
        &self,
        product: &str,
        version: &str,
        locale: Option<&str>,
    ) -> StoreResult<Option<EulaDocument>> {
        match locale {
            Some(locale) => {
                self.fetch_document("product = $1 AND version = $2 AND locale = $3", &[product, version, locale]).await
            }
            None => {
                self.fetch_document("product = $1 AND version = $2 ORDER BY published_at, id", &[product, version])
                    .await
            }
        }
    }

    async fn current_eula(&self, product: &str, locale: Option<&str>) -> StoreResult<Option<EulaDocument>> {
        const NEWEST: &str = "ORDER BY published_at DESC, id DESC";
        if let Some(locale) = locale
            && let Some(document) =
                self.fetch_document(&format!("product = $1 AND locale = $2 {NEWEST}"), &[product, locale]).await?
        {
            return Ok(Some(document));
        }
        self.fetch_document(&format!("product = $1 {NEWEST}"), &[product]).await
    }

    async fn latest_material_eula(&self, product: &str) -> StoreResult<Option<EulaDocument>> {
        self.fetch_document("product = $1 AND material = TRUE ORDER BY published_at DESC, id DESC", &[product]).await
    }

    async fn eula_published_at(&self, product: &str, version: &str) -> StoreResult<Option<OffsetDateTime>> {
        let at: Option<i64> = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT MIN(published_at) FROM eula_documents WHERE product = $1 AND version = $2")
                .bind(product)
                .bind(version)
                .fetch_one(pool)
                .await?
        });
        at.map(from_millis).transpose()
    }

    async fn append_acceptance(&self, record: &NewAcceptance) -> StoreResult<Acceptance> {
        let amr = serde_json::to_string(&record.amr).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let backend = self.backend();
        let row: AcceptanceRow = in_tx!(self, |tx| {
            if backend == Backend::Postgres {
                // One writer at a time extends the chain; SQLite's IMMEDIATE
                // transaction already is the only writer.
                sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('eula_ledger', 0))")
                    .execute(&mut *tx)
                    .await?;
            }
            let head: Option<(i64, String)> =
                sqlx::query_as("SELECT seq, hash FROM eula_acceptances ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await?;
            let (previous_seq, prev_hash) = head.unwrap_or_else(|| (0, GENESIS.to_owned()));
            let row = AcceptanceRow {
                seq: previous_seq + 1,
                id: record.id.clone(),
                user_id: record.user_id.clone(),
                product: record.product.clone(),
                locale: record.locale.clone(),
                version: record.version.clone(),
                sha256: record.sha256.clone(),
                decision: record.decision.to_owned(),
                at: to_millis(record.at),
                ip: record.ip.clone(),
                user_agent: record.user_agent.clone(),
                channel: record.channel.to_owned(),
                amr: amr.clone(),
                prev_hash,
                hash: String::new(),
            };
            let hash = Acceptance { amr: record.amr.clone(), at: record.at, row: row.clone() }.chain_fields().hash();
            let row = AcceptanceRow { hash, ..row };
            sqlx::query(
                "INSERT INTO eula_acceptances (seq, id, user_id, product, locale, version, sha256, decision, at, ip, \
                 user_agent, channel, amr, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(row.seq)
            .bind(&row.id)
            .bind(&row.user_id)
            .bind(&row.product)
            .bind(&row.locale)
            .bind(&row.version)
            .bind(&row.sha256)
            .bind(&row.decision)
            .bind(row.at)
            .bind(&row.ip)
            .bind(&row.user_agent)
            .bind(&row.channel)
            .bind(&row.amr)
            .bind(&row.prev_hash)
            .bind(&row.hash)
            .execute(&mut *tx)
            .await?;
            Ok(row)
        })?;
        Acceptance::try_from(row)
    }

    async fn latest_decision(&self, user_id: &str, product: &str) -> StoreResult<Option<Acceptance>> {
        let sql = format!(
            "SELECT {ACCEPTANCE_COLUMNS} FROM eula_acceptances WHERE user_id = $1 AND product = $2 \
             ORDER BY seq DESC LIMIT 1"
        );
        let row: Option<AcceptanceRow> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(product).fetch_optional(pool).await?
        });
        row.map(Acceptance::try_from).transpose()
    }

    async fn acceptances(&self, filter: &AcceptanceFilter, after_seq: i64, limit: u32) -> StoreResult<Vec<Acceptance>> {
        // Optional filters as optional binds: one statement for every combination.
        let sql = format!(
            "SELECT {ACCEPTANCE_COLUMNS} FROM eula_acceptances WHERE seq > $1 \
             AND ($2 IS NULL OR product = $2) AND ($3 IS NULL OR version = $3) AND ($4 IS NULL OR user_id = $4) \
             AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at < $6) ORDER BY seq LIMIT $7"
        );
        let rows: Vec<AcceptanceRow> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(after_seq)
                .bind(&filter.product)
                .bind(&filter.version)
                .bind(&filter.user_id)
                .bind(filter.from.map(to_millis))
                .bind(filter.until.map(to_millis))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(Acceptance::try_from).collect()
    }
}
