//! Second factors, pending sign-ins, WebAuthn ceremony state and the
//! user-visible security events. Every "use once" rule here is one
//! conditional statement, so it holds across instances.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::sql::{Decided, Pool, SqlStore, unique_violation};
use super::{Backend, Duplicate, NewSession, StoreError, StoreResult, from_json, from_millis, to_json, to_millis};
use crate::domain::account::Session;
use crate::domain::event::{NewEvent, UserEvent};
use crate::domain::factors::{Acr, Enrolled, FactorFloor, RegisteredPasskey};
use crate::domain::ids::{EventId, PasskeyId, SessionId, UserId};

/// An authenticator app's secret, sealed.
#[derive(Clone)]
pub struct TotpCredential {
    /// Whose.
    pub user_id: UserId,
    /// The secret, sealed with the master key under the user's id.
    pub secret_sealed: String,
    /// `None` until a right code confirmed it.
    pub confirmed_at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for TotpCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpCredential").field("user_id", &self.user_id).finish_non_exhaustive()
    }
}

/// A passkey as it is after a successful use.
#[derive(Debug, Clone)]
pub struct PasskeyUse<'a> {
    /// Which passkey.
    pub id: &'a PasskeyId,
    /// webauthn-rs's updated `Passkey`, as JSON.
    pub credential: &'a str,
    /// The counter the authenticator reported.
    pub counter: u32,
    /// Backup eligibility as reported now.
    pub backup_eligible: bool,
    /// Backup state as reported now.
    pub backup_state: bool,
    /// When.
    pub now: OffsetDateTime,
}

/// A sign-in waiting for its second factor.
#[derive(Debug, Clone)]
pub struct PendingSignIn {
    /// Its id (not its token, which is stored only hashed).
    pub id: String,
    /// Whose password was right.
    pub user_id: UserId,
    /// What was proved so far.
    pub amr: Vec<String>,
    /// The known device the password came through, by its token's hash:
    /// the second factor's failures count against it too.
    pub device_hash: Option<String>,
    /// When it lapses.
    pub expires_at: OffsetDateTime,
}

/// A pending sign-in about to be stored.
#[derive(Debug, Clone)]
pub struct NewPendingSignIn {
    /// Its id.
    pub id: String,
    /// Whose password was right.
    pub user_id: UserId,
    /// SHA-256 of the pending token.
    pub token_hash: String,
    /// What was proved so far.
    pub amr: Vec<String>,
    /// The known device the password came through, by its token's hash.
    pub device_hash: Option<String>,
    /// When.
    pub now: OffsetDateTime,
    /// When it lapses.
    pub expires_at: OffsetDateTime,
}

/// What removing a factor did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// It is gone.
    Removed,
    /// There was no such factor.
    NotFound,
    /// Refused: what would remain is below the floor the licenses need.
    BelowFloor,
}

/// WebAuthn ceremony state waiting for the client's answer.
#[derive(Debug, Clone)]
pub struct Ceremony {
    /// The challenge id handed to the client.
    pub id: String,
    /// What the ceremony is for; an answer only finishes its own kind.
    pub purpose: String,
    /// Whose ceremony it is; `None` for passwordless sign-in.
    pub user_id: Option<UserId>,
    /// What else the answer must come with: a pending sign-in or a session id.
    pub bound_to: Option<String>,
    /// webauthn-rs's serialised state; never leaves the server.
    pub state: String,
    /// When it began.
    pub created_at: OffsetDateTime,
    /// When it lapses.
    pub expires_at: OffsetDateTime,
}

/// Which factor a removal is of.
#[derive(Debug, Clone, Copy)]
enum Factor<'a> {
    Totp,
    Passkey(&'a PasskeyId),
}

/// Second factors, pending sign-ins, WebAuthn ceremonies and security events.
#[async_trait]
pub trait FactorStore {
    /// Which factors the user has confirmed, and how many unused recovery codes remain.
    async fn enrolled_factors(&self, user_id: &UserId) -> StoreResult<Enrolled>;

    /// The user's authenticator app secret, confirmed or not.
    async fn totp_credential(&self, user_id: &UserId) -> StoreResult<Option<TotpCredential>>;
    /// Stores a new unconfirmed secret, replacing an unconfirmed one; false
    /// when the user already has a confirmed authenticator.
    async fn start_totp_enrollment(
        &self,
        user_id: &UserId,
        secret_sealed: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Confirms enrollment at `step`, replaces the recovery codes and ends
    /// the user's sessions but `keep` that no second factor went into, in
    /// one transaction; false when there was nothing unconfirmed to confirm.
    /// `secret_sealed` is the secret the code was checked against: if a
    /// concurrent restart of enrollment replaced it, nothing is confirmed.
    async fn confirm_totp(
        &self,
        user_id: &UserId,
        secret_sealed: &str,
        step: i64,
        recovery_code_hashes: &[String],
        keep: &SessionId,
        event: &NewEvent,
    ) -> StoreResult<bool>;
    /// Accepts `step` only if it is newer than every step accepted before:
    /// one conditional update, so a code is good once, on any instance.
    async fn accept_totp_step(&self, user_id: &UserId, step: i64) -> StoreResult<bool>;
    /// Removes the authenticator app unless that takes the user below
    /// `floor`; when no factor remains, the recovery codes go too. Removals
    /// of one user's factors are serialised, so two at once cannot both pass.
    async fn remove_totp(&self, user_id: &UserId, floor: FactorFloor, event: &NewEvent) -> StoreResult<Removal>;

    /// Replaces all the user's recovery codes with new ones and records `event`, in one transaction.
    async fn replace_recovery_codes(
        &self,
        user_id: &UserId,
        code_hashes: &[String],
        event: &NewEvent,
    ) -> StoreResult<()>;
    /// Spends a recovery code; false when it is unknown or already spent.
    async fn use_recovery_code(&self, user_id: &UserId, code_hash: &str, event: &NewEvent) -> StoreResult<bool>;

    /// The user's passkeys, oldest first.
    async fn passkeys(&self, user_id: &UserId) -> StoreResult<Vec<RegisteredPasskey>>;
    /// The passkey with this WebAuthn credential id, whoever holds it.
    async fn passkey_by_credential_id(&self, credential_id: &str) -> StoreResult<Option<RegisteredPasskey>>;
    /// Stores a new passkey, ends the user's sessions but `keep` that no
    /// second factor went into, and records `event`, in one transaction;
    /// `Duplicate(Passkey)` when its credential is already registered.
    async fn add_passkey(&self, passkey: &RegisteredPasskey, keep: &SessionId, event: &NewEvent) -> StoreResult<()>;
    /// Saves the credential after a use, only if its counter moved forward
    /// (or it is one of the authenticators that always report 0); false
    /// means the counter did not, which is what a clone looks like.
    async fn record_passkey_use(&self, used: &PasskeyUse<'_>) -> StoreResult<bool>;
    /// Renames one of the user's passkeys; false when the user has no such passkey.
    async fn rename_passkey(&self, user_id: &UserId, id: &PasskeyId, name: &str) -> StoreResult<bool>;
    /// As `remove_totp`, for one passkey.
    async fn remove_passkey(
        &self,
        user_id: &UserId,
        id: &PasskeyId,
        floor: FactorFloor,
        event: &NewEvent,
    ) -> StoreResult<Removal>;

    /// Stores a pending sign-in (and clears expired ones).
    async fn create_pending_sign_in(&self, pending: &NewPendingSignIn) -> StoreResult<()>;
    /// The unexpired pending sign-in behind a token hash.
    async fn pending_sign_in(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<PendingSignIn>>;
    /// Claims one of the pending sign-in's `max_attempts` answers before the
    /// answer is checked, so parallel guesses cannot exceed them. Returns how
    /// many remain after this one; `None` when it is gone, expired or spent.
    async fn claim_pending_attempt(&self, id: &str, max_attempts: u32, now: OffsetDateTime)
    -> StoreResult<Option<u32>>;
    /// Ends a pending sign-in, so its token no longer leads anywhere.
    async fn end_pending_sign_in(&self, id: &str) -> StoreResult<()>;
    /// Ends the pending sign-in and starts the session in one transaction;
    /// `None` when it was already used, ended or expired.
    async fn complete_pending_sign_in(
        &self,
        pending_id: &str,
        session: &NewSession,
        event: &NewEvent,
    ) -> StoreResult<Option<Session>>;

    /// Stores a ceremony's state until the client answers (and clears expired ones).
    async fn save_ceremony(&self, ceremony: &Ceremony) -> StoreResult<()>;
    /// Removes and returns the ceremony: whatever happens next, it cannot be
    /// answered again.
    async fn take_ceremony(&self, id: &str, purpose: &str) -> StoreResult<Option<Ceremony>>;

    /// Marks a session as freshly authenticated with this `amr`, by a proof
    /// of strength `proof_acr`.
    async fn refresh_authentication(
        &self,
        session_id: &crate::domain::ids::SessionId,
        amr: &[String],
        proof_acr: Acr,
        event: &NewEvent,
        now: OffsetDateTime,
    ) -> StoreResult<()>;

    /// Adds a security event to the user's timeline.
    async fn record_event(&self, event: &NewEvent) -> StoreResult<()>;
    /// The user's most recent events, newest first.
    async fn user_events(&self, user_id: &UserId, limit: u32) -> StoreResult<Vec<UserEvent>>;

    /// The policies of the licenses the user holds that are not revoked.
    async fn held_policies(&self, user_id: &UserId) -> StoreResult<Vec<String>>;
}

#[derive(sqlx::FromRow)]
struct PasskeyRow {
    id: PasskeyId,
    user_id: UserId,
    credential_id: String,
    name: String,
    credential: String,
    backup_eligible: bool,
    backup_state: bool,
    counter: i64,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl TryFrom<PasskeyRow> for RegisteredPasskey {
    type Error = StoreError;
    fn try_from(row: PasskeyRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id,
            user_id: row.user_id,
            credential_id: row.credential_id,
            name: row.name,
            credential: row.credential,
            backup_eligible: row.backup_eligible,
            backup_state: row.backup_state,
            counter: u32::try_from(row.counter).map_err(|e| StoreError::Corrupt(format!("passkey counter: {e}")))?,
            created_at: from_millis(row.created_at)?,
            last_used_at: row.last_used_at.map(from_millis).transpose()?,
        })
    }
}

const PASSKEY_COLUMNS: &str =
    "id, user_id, credential_id, name, credential, backup_eligible, backup_state, counter, created_at, last_used_at";

#[derive(sqlx::FromRow)]
struct CeremonyRow {
    id: String,
    purpose: String,
    user_id: Option<UserId>,
    bound_to: Option<String>,
    state: String,
    created_at: i64,
    expires_at: i64,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: EventId,
    kind: String,
    detail: String,
    ip: Option<String>,
    user_agent: Option<String>,
    at: i64,
}

impl SqlStore {
    /// Deletes one factor, then checks what remains against `floor` in the
    /// same transaction and rolls back if it is too little. PostgreSQL locks
    /// the user's row first so removals of one user's factors run one after
    /// another; SQLite's write transaction already does.
    async fn remove_factor(
        &self,
        user_id: &UserId,
        factor: Factor<'_>,
        floor: FactorFloor,
        event: &NewEvent,
    ) -> StoreResult<Removal> {
        let backend = self.backend();
        in_tx_deciding!(self, |tx| {
            if backend == Backend::Postgres {
                sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE").bind(user_id).execute(&mut *tx).await?;
            }
            let delete = match factor {
                Factor::Totp => {
                    sqlx::query("DELETE FROM totp_credentials WHERE user_id = $1 AND confirmed_at IS NOT NULL")
                        .bind(user_id)
                }
                Factor::Passkey(id) => {
                    sqlx::query("DELETE FROM passkeys WHERE user_id = $1 AND id = $2").bind(user_id).bind(id)
                }
            };
            if delete.execute(&mut *tx).await?.rows_affected() != 1 {
                Ok(Decided::Rollback(Removal::NotFound))
            } else {
                let (totp, passkeys): (i64, i64) = sqlx::query_as(
                    "SELECT (SELECT COUNT(*) FROM totp_credentials WHERE user_id = $1 AND confirmed_at IS NOT NULL), \
                            (SELECT COUNT(*) FROM passkeys WHERE user_id = $1)",
                )
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
                let remaining =
                    Enrolled { totp: totp > 0, passkeys: usize::try_from(passkeys).unwrap_or(0), recovery_codes: 0 };
                if floor.unmet_by(remaining).is_some() {
                    Ok(Decided::Rollback(Removal::BelowFloor))
                } else {
                    if !remaining.has_second_factor() {
                        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                            .bind(user_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    insert_user_event!(event, &mut *tx);
                    Ok(Decided::Commit(Removal::Removed))
                }
            }
        })
    }
}

#[async_trait]
impl FactorStore for SqlStore {
    #[tracing::instrument(skip_all)]
    async fn enrolled_factors(&self, user_id: &UserId) -> StoreResult<Enrolled> {
        let (totp, passkeys, recovery_codes): (i64, i64, i64) = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT \
                   (SELECT COUNT(*) FROM totp_credentials WHERE user_id = $1 AND confirmed_at IS NOT NULL), \
                   (SELECT COUNT(*) FROM passkeys WHERE user_id = $1), \
                   (SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL)",
            )
            .bind(user_id)
            .fetch_one(pool)
            .await?
        });
        Ok(Enrolled {
            totp: totp > 0,
            passkeys: usize::try_from(passkeys).unwrap_or(0),
            recovery_codes: usize::try_from(recovery_codes).unwrap_or(0),
        })
    }

    #[tracing::instrument(skip_all)]
    async fn totp_credential(&self, user_id: &UserId) -> StoreResult<Option<TotpCredential>> {
        let row: Option<(String, Option<i64>)> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT secret_sealed, confirmed_at FROM totp_credentials WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(pool)
                .await?
        });
        row.map(|(secret_sealed, confirmed_at)| {
            Ok(TotpCredential {
                user_id: user_id.clone(),
                secret_sealed,
                confirmed_at: confirmed_at.map(from_millis).transpose()?,
            })
        })
        .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn start_totp_enrollment(
        &self,
        user_id: &UserId,
        secret_sealed: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let stored = on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO totp_credentials (user_id, secret_sealed, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, \
                 created_at = excluded.created_at WHERE totp_credentials.confirmed_at IS NULL",
            )
            .bind(user_id)
            .bind(secret_sealed)
            .bind(to_millis(now))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(stored == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn confirm_totp(
        &self,
        user_id: &UserId,
        secret_sealed: &str,
        step: i64,
        recovery_code_hashes: &[String],
        keep: &SessionId,
        event: &NewEvent,
    ) -> StoreResult<bool> {
        let now = to_millis(event.at);
        in_tx!(self, |tx| {
            let confirmed = sqlx::query(
                "UPDATE totp_credentials SET confirmed_at = $2, last_step = $3 \
                 WHERE user_id = $1 AND confirmed_at IS NULL AND secret_sealed = $4",
            )
            .bind(user_id)
            .bind(now)
            .bind(step)
            .bind(secret_sealed)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if confirmed {
                replace_recovery_codes!(tx, user_id, recovery_code_hashes, event.at);
                end_sessions_without_second_factor!(user_id, keep, event.at, &mut *tx);
                insert_user_event!(event, &mut *tx);
            }
            Ok(confirmed)
        })
    }

    #[tracing::instrument(skip_all)]
    async fn accept_totp_step(&self, user_id: &UserId, step: i64) -> StoreResult<bool> {
        let accepted = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE totp_credentials SET last_step = $2 WHERE user_id = $1 AND confirmed_at IS NOT NULL \
                 AND (last_step IS NULL OR last_step < $2)",
            )
            .bind(user_id)
            .bind(step)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(accepted == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn remove_totp(&self, user_id: &UserId, floor: FactorFloor, event: &NewEvent) -> StoreResult<Removal> {
        self.remove_factor(user_id, Factor::Totp, floor, event).await
    }

    #[tracing::instrument(skip_all)]
    async fn replace_recovery_codes(
        &self,
        user_id: &UserId,
        code_hashes: &[String],
        event: &NewEvent,
    ) -> StoreResult<()> {
        in_tx!(self, |tx| {
            replace_recovery_codes!(tx, user_id, code_hashes, event.at);
            insert_user_event!(event, &mut *tx);
            Ok(())
        })
    }

    #[tracing::instrument(skip_all)]
    async fn use_recovery_code(&self, user_id: &UserId, code_hash: &str, event: &NewEvent) -> StoreResult<bool> {
        in_tx!(self, |tx| {
            let used = sqlx::query(
                "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
            )
            .bind(user_id)
            .bind(code_hash)
            .bind(to_millis(event.at))
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if used {
                insert_user_event!(event, &mut *tx);
            }
            Ok(used)
        })
    }

    #[tracing::instrument(skip_all)]
    async fn passkeys(&self, user_id: &UserId) -> StoreResult<Vec<RegisteredPasskey>> {
        let sql = format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id");
        let rows: Vec<PasskeyRow> =
            on_pool!(self, |pool| { sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(pool).await? });
        rows.into_iter().map(RegisteredPasskey::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn passkey_by_credential_id(&self, credential_id: &str) -> StoreResult<Option<RegisteredPasskey>> {
        let sql = format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE credential_id = $1");
        let row: Option<PasskeyRow> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(credential_id).fetch_optional(pool).await?
        });
        row.map(RegisteredPasskey::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn add_passkey(&self, passkey: &RegisteredPasskey, keep: &SessionId, event: &NewEvent) -> StoreResult<()> {
        in_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO passkeys (id, user_id, credential_id, name, credential, backup_eligible, backup_state, counter, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&passkey.id)
            .bind(&passkey.user_id)
            .bind(&passkey.credential_id)
            .bind(&passkey.name)
            .bind(&passkey.credential)
            .bind(passkey.backup_eligible)
            .bind(passkey.backup_state)
            .bind(i64::from(passkey.counter))
            .bind(to_millis(passkey.created_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_violation(e, Duplicate::Passkey))?;
            end_sessions_without_second_factor!(&passkey.user_id, keep, event.at, &mut *tx);
            insert_user_event!(event, &mut *tx);
            Ok(())
        })
    }

    #[tracing::instrument(skip_all)]
    async fn record_passkey_use(&self, used: &PasskeyUse<'_>) -> StoreResult<bool> {
        let saved = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE passkeys SET credential = $2, counter = $3, backup_state = $4, backup_eligible = $5, \
                 last_used_at = $6 WHERE id = $1 AND (counter < $3 OR (counter = 0 AND $3 = 0))",
            )
            .bind(used.id)
            .bind(used.credential)
            .bind(i64::from(used.counter))
            .bind(used.backup_state)
            .bind(used.backup_eligible)
            .bind(to_millis(used.now))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(saved == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn rename_passkey(&self, user_id: &UserId, id: &PasskeyId, name: &str) -> StoreResult<bool> {
        let renamed = on_pool!(self, |pool| {
            sqlx::query("UPDATE passkeys SET name = $3 WHERE user_id = $1 AND id = $2")
                .bind(user_id)
                .bind(id)
                .bind(name)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(renamed == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn remove_passkey(
        &self,
        user_id: &UserId,
        id: &PasskeyId,
        floor: FactorFloor,
        event: &NewEvent,
    ) -> StoreResult<Removal> {
        self.remove_factor(user_id, Factor::Passkey(id), floor, event).await
    }

    #[tracing::instrument(skip_all)]
    async fn create_pending_sign_in(&self, pending: &NewPendingSignIn) -> StoreResult<()> {
        let amr = to_json(&pending.amr)?;
        let now = to_millis(pending.now);
        // Expired rows are the purge's to remove (`store::purge`), not every sign-in's.
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO pending_sign_ins (id, user_id, token_hash, amr, device_hash, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&pending.id)
            .bind(&pending.user_id)
            .bind(&pending.token_hash)
            .bind(&amr)
            .bind(&pending.device_hash)
            .bind(now)
            .bind(to_millis(pending.expires_at))
            .execute(pool)
            .await
            .map_err(|e| unique_violation(e, Duplicate::RandomValue))?
            .rows_affected()
        });
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn pending_sign_in(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<PendingSignIn>> {
        let row: Option<(String, UserId, String, Option<String>, i64)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, user_id, amr, device_hash, expires_at FROM pending_sign_ins \
                 WHERE token_hash = $1 AND expires_at > $2",
            )
            .bind(token_hash)
            .bind(to_millis(now))
            .fetch_optional(pool)
            .await?
        });
        row.map(|(id, user_id, amr, device_hash, expires_at)| {
            Ok(PendingSignIn {
                id,
                user_id,
                amr: from_json("pending amr", &amr)?,
                device_hash,
                expires_at: from_millis(expires_at)?,
            })
        })
        .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn claim_pending_attempt(
        &self,
        id: &str,
        max_attempts: u32,
        now: OffsetDateTime,
    ) -> StoreResult<Option<u32>> {
        let used: Option<i64> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "UPDATE pending_sign_ins SET failures = failures + 1 \
                 WHERE id = $1 AND failures < $2 AND expires_at > $3 RETURNING failures",
            )
            .bind(id)
            .bind(i64::from(max_attempts))
            .bind(to_millis(now))
            .fetch_optional(pool)
            .await?
        });
        Ok(used.map(|used| max_attempts.saturating_sub(u32::try_from(used).unwrap_or(max_attempts))))
    }

    #[tracing::instrument(skip_all)]
    async fn end_pending_sign_in(&self, id: &str) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM pending_sign_ins WHERE id = $1").bind(id).execute(pool).await?.rows_affected()
        });
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn complete_pending_sign_in(
        &self,
        pending_id: &str,
        session: &NewSession,
        event: &NewEvent,
    ) -> StoreResult<Option<Session>> {
        let now = to_millis(session.now);
        let amr = to_json(&session.amr)?;
        let completed: bool = in_tx!(self, |tx| {
            let taken = sqlx::query("DELETE FROM pending_sign_ins WHERE id = $1 AND expires_at > $2")
                .bind(pending_id)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if taken {
                insert_session!(session, &amr, &mut *tx);
                insert_user_event!(event, &mut *tx);
            }
            Ok(taken)
        })?;
        if completed { session.stored().map(Some) } else { Ok(None) }
    }

    #[tracing::instrument(skip_all)]
    async fn save_ceremony(&self, ceremony: &Ceremony) -> StoreResult<()> {
        let now = to_millis(ceremony.created_at);
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM webauthn_challenges WHERE expires_at <= $1").bind(now).execute(pool).await?;
            sqlx::query(
                "INSERT INTO webauthn_challenges (id, purpose, user_id, bound_to, state, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&ceremony.id)
            .bind(&ceremony.purpose)
            .bind(&ceremony.user_id)
            .bind(&ceremony.bound_to)
            .bind(&ceremony.state)
            .bind(now)
            .bind(to_millis(ceremony.expires_at))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn take_ceremony(&self, id: &str, purpose: &str) -> StoreResult<Option<Ceremony>> {
        let row: Option<CeremonyRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "DELETE FROM webauthn_challenges WHERE id = $1 AND purpose = $2 \
                 RETURNING id, purpose, user_id, bound_to, state, created_at, expires_at",
            )
            .bind(id)
            .bind(purpose)
            .fetch_optional(pool)
            .await?
        });
        row.map(|row| {
            Ok(Ceremony {
                id: row.id,
                purpose: row.purpose,
                user_id: row.user_id,
                bound_to: row.bound_to,
                state: row.state,
                created_at: from_millis(row.created_at)?,
                expires_at: from_millis(row.expires_at)?,
            })
        })
        .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn refresh_authentication(
        &self,
        session_id: &crate::domain::ids::SessionId,
        amr: &[String],
        proof_acr: Acr,
        event: &NewEvent,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let amr = to_json(&amr)?;
        in_tx!(self, |tx| {
            sqlx::query("UPDATE sessions SET auth_time = $2, amr = $3, proof_acr = $4 WHERE id = $1")
                .bind(session_id)
                .bind(to_millis(now))
                .bind(&amr)
                .bind(proof_acr.as_str())
                .execute(&mut *tx)
                .await?;
            insert_user_event!(event, &mut *tx);
            Ok(())
        })
    }

    #[tracing::instrument(skip_all)]
    async fn record_event(&self, event: &NewEvent) -> StoreResult<()> {
        in_tx!(self, |tx| {
            insert_user_event!(event, &mut *tx);
            Ok(())
        })
    }

    #[tracing::instrument(skip_all)]
    async fn user_events(&self, user_id: &UserId, limit: u32) -> StoreResult<Vec<UserEvent>> {
        let rows: Vec<EventRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, kind, detail, ip, user_agent, at FROM user_events WHERE user_id = $1 \
                 ORDER BY at DESC, id DESC LIMIT $2",
            )
            .bind(user_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|row| {
                Ok(UserEvent {
                    detail: from_json("event detail", &row.detail)?,
                    id: row.id,
                    kind: row.kind,
                    ip: row.ip,
                    user_agent: row.user_agent,
                    at: from_millis(row.at)?,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all)]
    async fn held_policies(&self, user_id: &UserId) -> StoreResult<Vec<String>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT DISTINCT l.policy FROM licenses l JOIN license_holders h ON h.license_id = l.id \
                 WHERE h.user_id = $1 AND l.status <> 'revoked'",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
        }))
    }
}
