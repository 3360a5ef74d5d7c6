//! Support PINs: one live PIN per user, spent by one conditional delete.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::sql::{Pool, SqlStore};
use super::{StoreResult, to_millis};
use crate::domain::event::NewEvent;
use crate::domain::ids::UserId;

/// Support PINs.
#[async_trait]
pub trait SupportStore {
    /// Stores the user's PIN, replacing any earlier one.
    async fn replace_support_pin(
        &self,
        user_id: &UserId,
        pin_hash: &str,
        expires_at: OffsetDateTime,
        event: &NewEvent,
    ) -> StoreResult<()>;
    /// Spends the PIN if it is the user's live one; false otherwise.
    async fn take_support_pin(&self, user_id: &UserId, pin_hash: &str, now: OffsetDateTime) -> StoreResult<bool>;
}

#[async_trait]
impl SupportStore for SqlStore {
    #[tracing::instrument(skip_all)]
    async fn replace_support_pin(
        &self,
        user_id: &UserId,
        pin_hash: &str,
        expires_at: OffsetDateTime,
        event: &NewEvent,
    ) -> StoreResult<()> {
        in_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO support_pins (user_id, pin_hash, created_at, expires_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id) DO UPDATE SET pin_hash = excluded.pin_hash, \
                 created_at = excluded.created_at, expires_at = excluded.expires_at",
            )
            .bind(user_id)
            .bind(pin_hash)
            .bind(to_millis(event.at))
            .bind(to_millis(expires_at))
            .execute(&mut *tx)
            .await?;
            insert_user_event!(event, &mut *tx);
            Ok(())
        })
    }

    #[tracing::instrument(skip_all)]
    async fn take_support_pin(&self, user_id: &UserId, pin_hash: &str, now: OffsetDateTime) -> StoreResult<bool> {
        let taken = on_pool!(self, |pool| {
            sqlx::query("DELETE FROM support_pins WHERE user_id = $1 AND pin_hash = $2 AND expires_at > $3")
                .bind(user_id)
                .bind(pin_hash)
                .bind(to_millis(now))
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(taken == 1)
    }
}
