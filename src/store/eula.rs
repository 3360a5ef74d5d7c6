//! EULA documents and the append-only acceptance ledger. Appends are
//! serialised (an advisory lock on PostgreSQL, SQLite's write lock), so the
//! chain never forks or skips a number, on any number of instances.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::marks::Mark;
use super::sql::{Pool, SqlStore, unique_violation};
use super::{Backend, Duplicate, StoreError, StoreResult, from_json, from_millis, to_json, to_millis};
use crate::domain::eula::{Acceptance, AcceptanceFilter, Channel, Decision, EulaDocument, GENESIS};
use crate::domain::ids::UserId;

/// A ledger record before the ledger numbers and links it.
#[derive(Debug, Clone)]
pub struct NewAcceptance {
    /// Its id.
    pub id: String,
    /// Who decided.
    pub user_id: UserId,
    /// The product.
    pub product: String,
    /// The language of the text shown.
    pub locale: String,
    /// The version decided on.
    pub version: String,
    /// SHA-256 of the text shown.
    pub sha256: String,
    /// What was decided.
    pub decision: Decision,
    /// Server time.
    pub at: OffsetDateTime,
    /// Where the request came from.
    pub ip: Option<String>,
    /// Which browser or app.
    pub user_agent: Option<String>,
    /// How the user reached us.
    pub channel: Channel,
    /// How the session had signed in.
    pub amr: Vec<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct AcceptanceRow {
    seq: i64,
    id: String,
    user_id: UserId,
    product: String,
    locale: String,
    version: String,
    sha256: String,
    decision: String,
    at: i64,
    ip: Option<String>,
    user_agent: Option<String>,
    channel: String,
    /// JSON array, exactly as hashed.
    amr: String,
    prev_hash: String,
    hash: String,
}

impl TryFrom<AcceptanceRow> for Acceptance {
    type Error = StoreError;
    fn try_from(row: AcceptanceRow) -> StoreResult<Self> {
        Ok(Self {
            amr: from_json("acceptance amr", &row.amr)?,
            at: from_millis(row.at)?,
            at_ms: row.at,
            seq: row.seq,
            id: row.id,
            user_id: row.user_id,
            product: row.product,
            locale: row.locale,
            version: row.version,
            sha256: row.sha256,
            decision: row.decision,
            ip: row.ip,
            user_agent: row.user_agent,
            channel: row.channel,
            prev_hash: row.prev_hash,
            hash: row.hash,
        })
    }
}

/// EULA versions and the acceptance ledger.
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

    /// Where `user_id` stands with `product`'s EULA, in one statement.
    async fn eula_standing(&self, user_id: &UserId, product: &str) -> StoreResult<EulaStanding>;

    /// Numbers, links and stores one record.
    async fn append_acceptance(&self, record: &NewAcceptance) -> StoreResult<Acceptance>;
    /// The user's newest decision about `product`.
    async fn latest_decision(&self, user_id: &UserId, product: &str) -> StoreResult<Option<Acceptance>>;
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

/// What decides a user's standing with a product's EULA.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EulaStanding {
    /// Whether any version of the product is published as material.
    pub material_published: bool,
    /// The version the user's newest decision accepted; `None` when that
    /// decision was no acceptance, or there is none.
    pub accepted_version: Option<String>,
    /// Whether that acceptance suffices: no material version was published
    /// after the accepted version was first published. Always true when
    /// nothing material is published.
    pub stands: bool,
}

/// A standing with the EULA change mark it was read under.
#[derive(sqlx::FromRow)]
struct StandingRow {
    #[sqlx(flatten)]
    standing: EulaStanding,
    eula_mark: Option<i64>,
}

/// The standing rule as an SQL condition on a user and a product (SQL
/// expressions): no material version published after the version the
/// user's newest decision accepted was first published. Shared by
/// `eula_standing` and the validation statement, so both judge alike.
pub(super) fn stands_by_eula_sql(user_id: &str, product: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM eula_documents m WHERE m.product = {product} AND m.material = TRUE \
         AND NOT COALESCE(m.published_at <= ({}), FALSE))",
        accepted_first_published_sql(user_id, product)
    )
}

/// When the version the user's newest decision accepted was first
/// published; NULL when that decision was no acceptance.
fn accepted_first_published_sql(user_id: &str, product: &str) -> String {
    format!(
        "SELECT MIN(d.published_at) FROM eula_documents d WHERE d.product = {product} AND d.version = ({})",
        accepted_version_sql(user_id, product)
    )
}

fn accepted_version_sql(user_id: &str, product: &str) -> String {
    format!(
        "SELECT CASE WHEN e.decision = 'accepted' THEN e.version END FROM eula_acceptances e \
         WHERE e.user_id = {user_id} AND e.product = {product} ORDER BY e.seq DESC LIMIT 1"
    )
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
    #[tracing::instrument(skip_all)]
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
            .map_err(|e| unique_violation(e, Duplicate::EulaVersion))?
            .rows_affected()
        });
        self.marks.wrote();
        Ok(())
    }

    #[tracing::instrument(skip_all)]
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

    #[tracing::instrument(skip_all)]
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

    #[tracing::instrument(level = "debug", skip_all)]
    async fn eula_standing(&self, user_id: &UserId, product: &str) -> StoreResult<EulaStanding> {
        let current = self.current_marks().await?;
        let key = (user_id.clone(), product.to_owned());
        if let Some(standing) = current.and_then(|current| self.standings.get(current, &key)) {
            return Ok(standing);
        }
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM eula_documents WHERE product = $2 AND material = TRUE) AS material_published, \
             ({}) AS accepted_version, {} AS stands, \
             (SELECT n FROM change_marks WHERE name = 'eula') AS eula_mark",
            accepted_version_sql("$1", "$2"),
            stands_by_eula_sql("$1", "$2")
        );
        let row: StandingRow = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(product).fetch_one(pool).await?
        });
        if let Some(mark) = row.eula_mark {
            self.standings.put(key, row.standing.clone(), vec![(Mark::Eula, mark)]);
        }
        Ok(row.standing)
    }

    #[tracing::instrument(skip_all)]
    async fn append_acceptance(&self, record: &NewAcceptance) -> StoreResult<Acceptance> {
        let amr = to_json(&record.amr)?;
        let backend = self.backend();
        in_tx!(self, |tx| {
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
            let at_ms = to_millis(record.at);
            let mut acceptance = Acceptance {
                seq: previous_seq + 1,
                id: record.id.clone(),
                user_id: record.user_id.clone(),
                product: record.product.clone(),
                locale: record.locale.clone(),
                version: record.version.clone(),
                sha256: record.sha256.clone(),
                decision: record.decision.as_str().to_owned(),
                at: from_millis(at_ms)?,
                at_ms,
                ip: record.ip.clone(),
                user_agent: record.user_agent.clone(),
                channel: record.channel.as_str().to_owned(),
                amr: record.amr.clone(),
                prev_hash,
                hash: String::new(),
            };
            acceptance.hash = acceptance.chain_fields().hash();
            sqlx::query(
                "INSERT INTO eula_acceptances (seq, id, user_id, product, locale, version, sha256, decision, at, ip, \
                 user_agent, channel, amr, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(acceptance.seq)
            .bind(&acceptance.id)
            .bind(&acceptance.user_id)
            .bind(&acceptance.product)
            .bind(&acceptance.locale)
            .bind(&acceptance.version)
            .bind(&acceptance.sha256)
            .bind(&acceptance.decision)
            .bind(acceptance.at_ms)
            .bind(&acceptance.ip)
            .bind(&acceptance.user_agent)
            .bind(&acceptance.channel)
            .bind(&amr)
            .bind(&acceptance.prev_hash)
            .bind(&acceptance.hash)
            .execute(&mut *tx)
            .await?;
            Ok(acceptance)
        })
    }

    #[tracing::instrument(skip_all)]
    async fn latest_decision(&self, user_id: &UserId, product: &str) -> StoreResult<Option<Acceptance>> {
        let sql = format!(
            "SELECT {ACCEPTANCE_COLUMNS} FROM eula_acceptances WHERE user_id = $1 AND product = $2 \
             ORDER BY seq DESC LIMIT 1"
        );
        let row: Option<AcceptanceRow> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(product).fetch_optional(pool).await?
        });
        row.map(Acceptance::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
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
