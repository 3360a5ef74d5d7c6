//! The mail outbox, link tokens from mail, and expiry notices. Claiming is
//! one statement (with `FOR UPDATE SKIP LOCKED` on PostgreSQL), so several
//! instances never send the same message at once; a message is marked sent
//! only after the SMTP server accepted it.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::sql::{Pool, SqlStore};
use super::{Backend, StoreResult, from_millis, to_millis};
use crate::domain::event::NewEvent;
use crate::domain::ids::{UserId, new_id};
use crate::domain::mail::{LinkPurpose, MailKind};

/// A message to send later.
#[derive(Debug, Clone)]
pub struct NewMail {
    /// Its id (also its `Message-ID`).
    pub id: String,
    /// Which message.
    pub kind: MailKind,
    /// Whose.
    pub user_id: UserId,
    /// `None`: the user's address as it is in the same transaction.
    pub recipient: Option<String>,
    /// What the template needs; never a secret.
    pub detail: serde_json::Value,
    /// When it was queued.
    pub at: OffsetDateTime,
}

/// A claimed message, ready to render and send.
#[derive(Debug, Clone)]
pub struct OutboxMessage {
    /// Its id (also its `Message-ID`).
    pub id: String,
    /// Which message, as stored.
    pub kind: String,
    /// Whose.
    pub user_id: UserId,
    /// Where it goes.
    pub recipient: String,
    /// What the template needs.
    pub detail: serde_json::Value,
    /// When it was queued.
    pub created_at: OffsetDateTime,
    /// Failed attempts so far.
    pub attempts: i64,
    /// This claim's token; outcomes are recorded only while it still holds the row.
    pub claim_token: String,
}

/// How a send went, to record.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// The SMTP server accepted it.
    Sent,
    /// Try again at this time.
    Retry {
        /// What went wrong.
        error: String,
        /// When to try again.
        at: OffsetDateTime,
    },
    /// Given up: permanent refusal or too many attempts.
    Failed {
        /// What went wrong.
        error: String,
    },
}

/// A mailed link's token, about to be stored.
#[derive(Debug, Clone)]
pub struct NewEmailToken {
    /// SHA-256 of the link token; the token itself goes only into the mail.
    pub token_hash: String,
    /// What the link proves.
    pub purpose: LinkPurpose,
    /// Whose.
    pub user_id: UserId,
    /// The address the link was sent to.
    pub email: String,
    /// When it was minted.
    pub created_at: OffsetDateTime,
    /// When it stops working.
    pub expires_at: OffsetDateTime,
}

/// A spent link token: whose, and for which address.
#[derive(Debug, Clone)]
pub struct SpentEmailToken {
    /// Whose.
    pub user_id: UserId,
    /// The address it was sent to.
    pub email: String,
}

/// The outbox and mailed link tokens.
#[async_trait]
pub trait MailStore {
    /// Queues a message, unless `limit` of its kind were queued for the
    /// user since `since` (then false). Serialised per user, so parallel
    /// requests cannot exceed the limit.
    async fn enqueue_requested_mail(&self, mail: &NewMail, limit: u32, since: OffsetDateTime) -> StoreResult<bool>;
    /// Claims the next due message until `lease_until` under `claim_token`.
    async fn claim_due_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        claim_token: &str,
    ) -> StoreResult<Option<OutboxMessage>>;
    /// Records how a send went, if the claim still holds the message; false
    /// when its lease ran out and another worker took it.
    async fn record_delivery(
        &self,
        message: &OutboxMessage,
        delivery: &Delivery,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;

    /// Stores the token of a link going out in a message.
    async fn create_email_token(&self, token: &NewEmailToken) -> StoreResult<()>;
    /// Spends a live token of `purpose`; `None` if unknown, spent or expired.
    async fn take_email_token(
        &self,
        token_hash: &str,
        purpose: LinkPurpose,
        now: OffsetDateTime,
    ) -> StoreResult<Option<SpentEmailToken>>;
    /// Marks the address verified if it is still the user's; false otherwise.
    async fn mark_email_verified(&self, user_id: &UserId, email: &str, now: OffsetDateTime) -> StoreResult<bool>;

    /// Queues one notice per holder for every active license that expires
    /// within `(now, until]` and has not been noticed for that expiry date.
    /// Returns how many messages were queued.
    async fn enqueue_expiry_notices(&self, now: OffsetDateTime, until: OffsetDateTime) -> StoreResult<u64>;
}

/// The notice an event calls for, as a message to queue.
pub(crate) fn notice_of(event: &NewEvent) -> Option<NewMail> {
    MailKind::notice_for_event(event.kind).map(|kind| NewMail {
        id: new_id(),
        kind,
        user_id: event.user_id.clone(),
        recipient: None,
        detail: event.detail.clone(),
        at: event.at,
    })
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: String,
    kind: String,
    user_id: UserId,
    recipient: String,
    detail: String,
    created_at: i64,
    attempts: i64,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    user_id: UserId,
    email: String,
}

#[async_trait]
impl MailStore for SqlStore {
    #[tracing::instrument(skip_all)]
    async fn enqueue_requested_mail(&self, mail: &NewMail, limit: u32, since: OffsetDateTime) -> StoreResult<bool> {
        let backend = self.backend();
        in_tx!(self, |tx| {
            if backend == Backend::Postgres {
                // SQLite's BEGIN IMMEDIATE already serialises writers.
                sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
                    .bind(&mail.user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let (recent,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE user_id = $1 AND kind = $2 AND created_at > $3")
                    .bind(&mail.user_id)
                    .bind(mail.kind.as_str())
                    .bind(to_millis(since))
                    .fetch_one(&mut *tx)
                    .await?;
            if recent >= i64::from(limit) {
                return Ok(false);
            }
            insert_mail!(mail, &mut *tx);
            Ok(true)
        })
    }

    #[tracing::instrument(skip_all)]
    async fn claim_due_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        claim_token: &str,
    ) -> StoreResult<Option<OutboxMessage>> {
        let lock = if self.backend() == Backend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE outbox SET claimed_until = $1, claim_token = $2 WHERE id = (\
               SELECT id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $3 \
               AND (claimed_until IS NULL OR claimed_until <= $3) ORDER BY next_attempt_at, id LIMIT 1 {lock}) \
             RETURNING id, kind, user_id, recipient, detail, created_at, attempts"
        );
        let row: Option<OutboxRow> = on_pool!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(to_millis(lease_until))
            .bind(claim_token)
            .bind(to_millis(now))
            .fetch_optional(pool)
            .await?);
        Ok(row.map(|row| OutboxMessage {
            // A detail that no longer parses must not stall the queue: the
            // templates cope with an empty one.
            detail: serde_json::from_str(&row.detail).unwrap_or(serde_json::Value::Null),
            created_at: from_millis(row.created_at).unwrap_or(OffsetDateTime::UNIX_EPOCH),
            id: row.id,
            kind: row.kind,
            user_id: row.user_id,
            recipient: row.recipient,
            attempts: row.attempts,
            claim_token: claim_token.to_owned(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn record_delivery(
        &self,
        message: &OutboxMessage,
        delivery: &Delivery,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let now = to_millis(now);
        let (id, token) = (&message.id, &message.claim_token);
        let updated = on_pool!(self, |pool| match delivery {
            Delivery::Sent =>
                sqlx::query("UPDATE outbox SET sent_at = $1, claimed_until = NULL WHERE id = $2 AND claim_token = $3",)
                    .bind(now)
                    .bind(id)
                    .bind(token)
                    .execute(pool)
                    .await?
                    .rows_affected(),
            Delivery::Retry { error, at } => sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, claimed_until = NULL, \
                 last_error = $2 WHERE id = $3 AND claim_token = $4",
            )
            .bind(to_millis(*at))
            .bind(error)
            .bind(id)
            .bind(token)
            .execute(pool)
            .await?
            .rows_affected(),
            Delivery::Failed { error } => sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, failed_at = $1, claimed_until = NULL, last_error = $2 \
                 WHERE id = $3 AND claim_token = $4",
            )
            .bind(now)
            .bind(error)
            .bind(id)
            .bind(token)
            .execute(pool)
            .await?
            .rows_affected(),
        });
        Ok(updated == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn create_email_token(&self, token: &NewEmailToken) -> StoreResult<()> {
        on_pool!(self, |pool| sqlx::query(
            "INSERT INTO email_tokens (token_hash, purpose, user_id, email, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(&token.token_hash)
        .bind(token.purpose.as_str())
        .bind(&token.user_id)
        .bind(&token.email)
        .bind(to_millis(token.created_at))
        .bind(to_millis(token.expires_at))
        .execute(pool)
        .await
        .map(|_| ())?);
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn take_email_token(
        &self,
        token_hash: &str,
        purpose: LinkPurpose,
        now: OffsetDateTime,
    ) -> StoreResult<Option<SpentEmailToken>> {
        let row: Option<TokenRow> = on_pool!(self, |pool| sqlx::query_as(
            "DELETE FROM email_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3 \
             RETURNING user_id, email"
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(to_millis(now))
        .fetch_optional(pool)
        .await?);
        Ok(row.map(|row| SpentEmailToken { user_id: row.user_id, email: row.email }))
    }

    #[tracing::instrument(skip_all)]
    async fn mark_email_verified(&self, user_id: &UserId, email: &str, now: OffsetDateTime) -> StoreResult<bool> {
        let updated = on_pool!(self, |pool| sqlx::query(
            "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1), updated_at = $1 \
             WHERE id = $2 AND email = $3"
        )
        .bind(to_millis(now))
        .bind(user_id)
        .bind(email)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(updated == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn enqueue_expiry_notices(&self, now: OffsetDateTime, until: OffsetDateTime) -> StoreResult<u64> {
        let (now, until) = (to_millis(now), to_millis(until));
        in_tx!(self, |tx| {
            let due: Vec<(crate::domain::ids::LicenseId, i64, String)> = sqlx::query_as(
                "SELECT l.id, l.expires_at, l.product FROM licenses l \
                 WHERE l.status = 'active' AND l.expires_at > $1 AND l.expires_at <= $2 \
                 AND NOT EXISTS (SELECT 1 FROM expiry_notices n WHERE n.license_id = l.id AND n.expires_at = l.expires_at)",
            )
            .bind(now)
            .bind(until)
            .fetch_all(&mut *tx)
            .await?;
            let mut queued = 0;
            for (license_id, expires_at, product) in due {
                // Another instance may have noticed it since the read; only the insert that wins queues mail.
                let claimed = sqlx::query(
                    "INSERT INTO expiry_notices (license_id, expires_at, noticed_at) VALUES ($1, $2, $3) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(&license_id)
                .bind(expires_at)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if claimed == 0 {
                    continue;
                }
                let holders: Vec<(UserId,)> =
                    sqlx::query_as("SELECT user_id FROM license_holders WHERE license_id = $1 ORDER BY user_id")
                        .bind(&license_id)
                        .fetch_all(&mut *tx)
                        .await?;
                for (user_id,) in holders {
                    let mail = NewMail {
                        id: new_id(),
                        kind: MailKind::LicenseExpiring,
                        user_id,
                        recipient: None,
                        detail: serde_json::json!({
                            "license_id": license_id, "product": product, "expires_at": expires_at / 1000,
                        }),
                        at: from_millis(now)?,
                    };
                    insert_mail!(mail, &mut *tx);
                    queued += 1;
                }
            }
            Ok(queued)
        })
    }
}
