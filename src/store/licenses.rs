//! Licenses, activation codes, seats and license events. Redemption and seat
//! claims are decided inside one transaction each, so two instances racing
//! for the last use or the last seat cannot both win.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use super::NewUser;
use super::marks::{Mark, ReadUnder};
use super::sql::Decided;
use super::sql::{Pool, SqlStore, unique_violation};
use super::{Backend, Duplicate, StoreError, StoreResult, from_json, from_millis, to_json, to_millis};
use crate::domain::event::{EventKind, NewEvent};
use crate::domain::ids::{ActivationId, EventId, LicenseId, UserId, new_id};
use crate::domain::license::{
    Activation, Actor, License, LicenseEvent, LicenseEventKind, LicenseFilter, LicenseStatus,
};

/// The seat rule of `domain::license::holds_seat` in SQL, for counting
/// seats without loading them; `$now` is bound by each statement. The
/// conformance suite checks the two agree.
const HOLDS_SEAT: &str = "deactivated_at IS NULL AND (lease_expires_at IS NULL OR lease_expires_at > $2)";

/// A license about to be issued, with its key and code hashed.
#[derive(Debug, Clone)]
pub struct NewLicense {
    /// Its id.
    pub id: LicenseId,
    /// SHA-256 of the key, for lookups.
    pub key_hash: String,
    /// The key sealed with the master key, for its holders.
    pub key_sealed: String,
    /// The policy it is issued under.
    pub policy: String,
    /// SHA-256 of the policy file.
    pub policy_revision: String,
    /// The product.
    pub product: String,
    /// Seats.
    pub max_activations: u32,
    /// What it unlocks.
    pub entitlements: Vec<String>,
    /// Whatever the issuer attached.
    pub metadata: Option<serde_json::Value>,
    /// Only this address may redeem the code.
    pub owner_email: Option<String>,
    /// When it ends.
    pub expires_at: Option<OffsetDateTime>,
    /// SHA-256 of the activation code.
    pub code_hash: String,
    /// How many users may redeem the code.
    pub code_uses: u32,
}

/// A device asking for a seat, with everything the claim writes.
#[derive(Debug, Clone)]
pub struct SeatRequest {
    /// The id the new activation gets.
    pub activation_id: ActivationId,
    /// The license.
    pub license_id: LicenseId,
    /// Who activates.
    pub user_id: UserId,
    /// SHA-256 of the device fingerprint.
    pub fingerprint_hash: String,
    /// The device's name.
    pub name: Option<String>,
    /// The device's platform.
    pub platform: Option<String>,
    /// `Some` for floating licenses.
    pub lease: Option<Duration>,
    /// Seats of the license.
    pub max_activations: u32,
    /// When.
    pub now: OffsetDateTime,
    /// The user's `device_activated` event, recorded (with its notice, and
    /// `first_seat` added to its detail) only if a new seat is taken.
    pub activated: NewEvent,
    /// An app's sign-in that asked for this seat: written in the same
    /// transaction, with the seat it got.
    pub app: Option<super::AppGrant>,
}

/// How a seat claim went.
#[derive(Debug, Clone)]
pub enum SeatClaim {
    /// This device already held a seat; for floating seats the lease was renewed.
    Existing(Activation),
    /// A new seat was taken.
    New {
        /// The new activation.
        activation: Activation,
        /// No other seat of the license was held: the license just went into
        /// use. Decided in the claim's transaction, by the seat rule.
        first_seat: bool,
    },
    /// Every seat is held.
    LimitReached,
    /// The app's device request was decided elsewhere or expired meanwhile:
    /// nothing was written, no seat taken.
    AppRequestGone,
}

/// How a redemption went.
#[derive(Debug, Clone)]
pub enum Redemption {
    /// A use was spent; the user now holds the license.
    Redeemed(License),
    /// The user already holds this license; no use was spent.
    AlreadyHolder(License),
    /// No code has this hash.
    UnknownCode,
    /// The code has no uses left.
    UsedUp,
    /// The license was issued to another email address.
    ReservedForSomeoneElse,
}

/// A first answer stored under an `Idempotency-Key`, sealed (it holds keys
/// and codes in clear).
#[derive(Debug, Clone)]
pub struct IdempotentAnswer {
    /// Whose keys these are (one admin's keys do not collide with another's).
    pub scope: String,
    /// The key the client sent.
    pub key: String,
    /// SHA-256 of the request the key first came with.
    pub request_hash: String,
    /// The answer, sealed with the master key.
    pub sealed_response: String,
}

/// A license with its live (not deactivated) activations.
#[derive(Debug, Clone)]
pub struct LicenseWithSeats {
    /// The license.
    pub license: License,
    /// Its activations that are not deactivated, lapsed leases included.
    pub activations: Vec<Activation>,
}

/// What validating a key on a device needs, read in one statement.
#[derive(Debug, Clone)]
pub struct ValidationFacts {
    /// The license the key belongs to.
    pub license: License,
    /// What is on record for the device asking.
    pub device: DeviceOnRecord,
}

/// The device's side of a validation: only what the answer depends on is
/// read (the seat count only for a device not yet activated, the EULA
/// standing only for one that is).
#[derive(Debug, Clone)]
pub enum DeviceOnRecord {
    /// No fingerprint was given.
    Unnamed,
    /// The fingerprint's live (not deactivated) activation, lapsed lease or not.
    Activated {
        /// The activation.
        activation: Box<Activation>,
        /// Whether the user who activated it stands by the product's newest
        /// material EULA: their newest decision is an acceptance of a
        /// version first published no earlier than it. True when there is
        /// none; false when the user is gone.
        eula_accepted: bool,
    },
    /// The fingerprint has no live activation; the seats of the license
    /// held at `now`, by the seat rule (as `seats_taken` counts them).
    NotActivated {
        /// Seats held at `now`.
        seats_taken: i64,
    },
}

/// How long freed seats count against a policy's `transfers_per_30d`.
pub const TRANSFER_WINDOW: Duration = Duration::days(30);

/// What freeing a holder's own seat came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deactivation {
    /// The seat is free.
    Done,
    /// No such live activation.
    Gone,
    /// The holder freed as many seats as allowed in 30 days; again at `until`.
    LimitReached {
        /// When one of the counted transfers leaves the window.
        until: OffsetDateTime,
    },
}

/// Licenses, codes, seats and license history.
#[async_trait]
pub trait LicenseStore {
    /// Inserts the licenses, their codes and `issued` events in one
    /// transaction, with the idempotent answer if given. A concurrent request
    /// with the same idempotency key makes this fail with `Duplicate(IdempotencyKey)`.
    async fn issue_licenses(
        &self,
        licenses: &[NewLicense],
        actor: &Actor,
        answer: Option<&IdempotentAnswer>,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    /// The answer stored under an idempotency key.
    async fn idempotent_answer(&self, scope: &str, key: &str) -> StoreResult<Option<IdempotentAnswer>>;

    /// The license with this id.
    async fn license(&self, id: &LicenseId) -> StoreResult<Option<License>>;
    /// The license whose key hashes to `key_hash`.
    async fn license_by_key_hash(&self, key_hash: &str) -> StoreResult<Option<License>>;
    /// The license an activation code belongs to, whether or not it has uses left.
    async fn license_by_code_hash(&self, code_hash: &str) -> StoreResult<Option<License>>;
    /// Licenses matching `filter`, newest first.
    async fn licenses(&self, filter: &LicenseFilter) -> StoreResult<Vec<License>>;
    /// The licenses `user_id` holds, newest first (at most 1000): what a
    /// token speaks for, kept in memory while unchanged.
    async fn licenses_of_holder(&self, user_id: &UserId) -> StoreResult<Vec<License>>;
    /// The licenses `user_id` holds, newest first, each with its live
    /// activations: two statements, however many licenses.
    async fn held_licenses(&self, user_id: &UserId) -> StoreResult<Vec<LicenseWithSeats>>;
    /// Whether `user_id` holds the license.
    async fn is_holder(&self, license_id: &LicenseId, user_id: &UserId) -> StoreResult<bool>;

    /// Spends one use of the code and makes the user a holder, atomically.
    async fn redeem(
        &self,
        code_hash: &str,
        user_id: &UserId,
        user_email: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Redemption>;

    /// Creates the account and redeems the code for it, in one transaction:
    /// when the code is not `Redeemed`, no account is made either.
    /// `Duplicate(Email)` when the address is taken (nothing spent).
    async fn create_user_holding(&self, user: &NewUser, code_hash: &str) -> StoreResult<Redemption>;

    /// Claims a seat for a device, atomically against every other claim on the license.
    async fn claim_seat(&self, request: &SeatRequest) -> StoreResult<SeatClaim>;
    /// The activation with this id.
    async fn activation(&self, id: &ActivationId) -> StoreResult<Option<Activation>>;
    /// Every activation of the license, ended ones included, oldest first.
    async fn activations_of_license(&self, license_id: &LicenseId) -> StoreResult<Vec<Activation>>;
    /// How many seats of the license are held at `now`, by the seat rule.
    async fn seats_taken(&self, license_id: &LicenseId, now: OffsetDateTime) -> StoreResult<u32>;
    /// The live (not deactivated) activation of a device, lapsed lease or not.
    async fn activation_by_fingerprint(
        &self,
        license_id: &LicenseId,
        fingerprint_hash: &str,
    ) -> StoreResult<Option<Activation>>;
    /// The license whose key hashes to `key_hash`, with the live activation
    /// of the device whose fingerprint hashes to `fingerprint_hash` (when
    /// given) and the seats held at `now`: `license_by_key_hash`,
    /// `activation_by_fingerprint` and `seats_taken` in one statement.
    async fn validation_facts(
        &self,
        key_hash: &str,
        fingerprint_hash: Option<&str>,
        now: OffsetDateTime,
    ) -> StoreResult<Option<ValidationFacts>>;
    /// Ends an activation; false when it was already ended.
    async fn deactivate(&self, activation_id: &ActivationId, actor: &Actor, now: OffsetDateTime) -> StoreResult<bool>;
    /// The same for a holder freeing their own seat, when the policy bounds
    /// how many seats a holder may free in any 30 days: the count and the
    /// freeing are one decision, so two at once cannot both slip under it.
    async fn deactivate_within(
        &self,
        activation_id: &ActivationId,
        actor: &Actor,
        per_30_days: u32,
        now: OffsetDateTime,
    ) -> StoreResult<Deactivation>;
    /// Extends a floating lease that has not lapsed; `None` when it has (or is gone).
    async fn heartbeat(
        &self,
        activation_id: &ActivationId,
        lease: Duration,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Activation>>;

    /// Moves the license from one of `from` to `to`, with an event; `None`
    /// when its status was not one of `from`.
    async fn change_status(
        &self,
        license_id: &LicenseId,
        from: &[LicenseStatus],
        to: LicenseStatus,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> StoreResult<Option<License>>;
    /// Sets a new expiry, with an event; `None` when the license is revoked (or gone).
    async fn renew(
        &self,
        license_id: &LicenseId,
        expires_at: OffsetDateTime,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> StoreResult<Option<License>>;

    /// The license's history, oldest first.
    async fn license_events(&self, license_id: &LicenseId) -> StoreResult<Vec<LicenseEvent>>;
    /// Ids of every revoked license.
    async fn revoked_license_ids(&self) -> StoreResult<Vec<LicenseId>>;
}

#[derive(sqlx::FromRow)]
struct LicenseRow {
    id: LicenseId,
    key_sealed: String,
    policy: String,
    policy_revision: String,
    product: String,
    status: String,
    max_activations: i64,
    entitlements: String,
    metadata: Option<String>,
    owner_email: Option<String>,
    expires_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<LicenseRow> for License {
    type Error = StoreError;
    fn try_from(row: LicenseRow) -> StoreResult<Self> {
        Ok(License {
            status: LicenseStatus::parse(&row.status)
                .ok_or_else(|| StoreError::Corrupt(format!("license status {}", row.status)))?,
            max_activations: u32::try_from(row.max_activations).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            entitlements: from_json("entitlements", &row.entitlements)?,
            metadata: row.metadata.as_deref().map(|m| from_json("metadata", m)).transpose()?,
            expires_at: row.expires_at.map(from_millis).transpose()?,
            created_at: from_millis(row.created_at)?,
            updated_at: from_millis(row.updated_at)?,
            id: row.id,
            key_sealed: row.key_sealed,
            policy: row.policy,
            policy_revision: row.policy_revision,
            product: row.product,
            owner_email: row.owner_email,
        })
    }
}

const LICENSE_COLUMNS: &str = "licenses.id, licenses.key_sealed, licenses.policy, licenses.policy_revision, licenses.product, \
     licenses.status, licenses.max_activations, licenses.entitlements, licenses.metadata, licenses.owner_email, \
     licenses.expires_at, licenses.created_at, licenses.updated_at";

#[derive(sqlx::FromRow)]
struct ActivationRow {
    id: ActivationId,
    license_id: LicenseId,
    user_id: Option<UserId>,
    fingerprint_hash: String,
    name: Option<String>,
    platform: Option<String>,
    created_at: i64,
    last_seen_at: i64,
    lease_expires_at: Option<i64>,
    deactivated_at: Option<i64>,
}

impl TryFrom<ActivationRow> for Activation {
    type Error = StoreError;
    fn try_from(row: ActivationRow) -> StoreResult<Self> {
        Ok(Activation {
            created_at: from_millis(row.created_at)?,
            last_seen_at: from_millis(row.last_seen_at)?,
            lease_expires_at: row.lease_expires_at.map(from_millis).transpose()?,
            deactivated_at: row.deactivated_at.map(from_millis).transpose()?,
            id: row.id,
            license_id: row.license_id,
            user_id: row.user_id,
            fingerprint_hash: row.fingerprint_hash,
            name: row.name,
            platform: row.platform,
        })
    }
}

const ACTIVATION_COLUMNS: &str = "id, license_id, user_id, fingerprint_hash, name, platform, created_at, last_seen_at, lease_expires_at, deactivated_at";

/// A license row with the device's activation (its columns prefixed
/// `a_`, all null when there is none), its user's EULA standing (null
/// without an activation) and the seat count (null unless a fingerprint
/// without an activation asked).
#[derive(sqlx::FromRow)]
struct ValidationRow {
    #[sqlx(flatten)]
    license: LicenseRow,
    a_id: Option<ActivationId>,
    a_license_id: Option<LicenseId>,
    a_user_id: Option<UserId>,
    a_fingerprint_hash: Option<String>,
    a_name: Option<String>,
    a_platform: Option<String>,
    a_created_at: Option<i64>,
    a_last_seen_at: Option<i64>,
    a_lease_expires_at: Option<i64>,
    a_deactivated_at: Option<i64>,
    eula_accepted: Option<bool>,
    seats_taken: Option<i64>,
    license_mark: Option<i64>,
    eula_mark: Option<i64>,
}

impl ValidationRow {
    /// The change marks the row was read under.
    fn read_under(&self) -> Option<ReadUnder> {
        Some(vec![(Mark::license(self.license.id.as_str())?, self.license_mark?), (Mark::Eula, self.eula_mark?)])
    }
}

impl TryFrom<ValidationRow> for ValidationFacts {
    type Error = StoreError;
    fn try_from(row: ValidationRow) -> StoreResult<Self> {
        let missing = |column: &str| StoreError::Corrupt(format!("joined activation without {column}"));
        let device = match (row.a_id, row.seats_taken) {
            (Some(id), _) => DeviceOnRecord::Activated {
                activation: Box::new(Activation::try_from(ActivationRow {
                    id,
                    license_id: row.a_license_id.ok_or_else(|| missing("license_id"))?,
                    user_id: row.a_user_id,
                    fingerprint_hash: row.a_fingerprint_hash.ok_or_else(|| missing("fingerprint_hash"))?,
                    name: row.a_name,
                    platform: row.a_platform,
                    created_at: row.a_created_at.ok_or_else(|| missing("created_at"))?,
                    last_seen_at: row.a_last_seen_at.ok_or_else(|| missing("last_seen_at"))?,
                    lease_expires_at: row.a_lease_expires_at,
                    deactivated_at: row.a_deactivated_at,
                })?),
                eula_accepted: row.eula_accepted.ok_or_else(|| missing("its EULA standing"))?,
            },
            (None, Some(seats_taken)) => DeviceOnRecord::NotActivated { seats_taken },
            (None, None) => DeviceOnRecord::Unnamed,
        };
        Ok(ValidationFacts { license: License::try_from(row.license)?, device })
    }
}

/// A held license with the change marks it was read under.
#[derive(sqlx::FromRow)]
struct HoldingRow {
    #[sqlx(flatten)]
    license: LicenseRow,
    license_mark: Option<i64>,
    holder_mark: Option<i64>,
}

/// `validation_facts` in one statement: $1 the key hash, $2 `now` (as
/// `HOLDS_SEAT` expects), $3 the fingerprint hash or NULL (which joins
/// nothing). The join condition is `activation_by_fingerprint`'s, the
/// correlated count is `seats_taken`'s; the live-fingerprint unique index
/// keeps it to one row. Each `CASE` runs its subquery only when the answer
/// needs it, which both databases honour.
///
/// The EULA standing is `eula_standing`'s rule, in the same SQL; the
/// change marks come with the facts, read in the same snapshot.
fn validation_facts_sql() -> String {
    let stands_by_eula = super::eula::stands_by_eula_sql("a.user_id", "licenses.product");
    format!(
        "SELECT {LICENSE_COLUMNS}, \
         a.id AS a_id, a.license_id AS a_license_id, a.user_id AS a_user_id, a.fingerprint_hash AS a_fingerprint_hash, \
         a.name AS a_name, a.platform AS a_platform, a.created_at AS a_created_at, a.last_seen_at AS a_last_seen_at, \
         a.lease_expires_at AS a_lease_expires_at, a.deactivated_at AS a_deactivated_at, \
         CASE WHEN a.id IS NULL THEN NULL WHEN a.user_id IS NULL THEN FALSE \
              ELSE {stands_by_eula} END AS eula_accepted, \
         CASE WHEN $3 IS NOT NULL AND a.id IS NULL \
              THEN (SELECT COUNT(*) FROM activations WHERE activations.license_id = licenses.id AND {HOLDS_SEAT}) \
         END AS seats_taken, \
         (SELECT n FROM change_marks WHERE name = 'license:' || substr(licenses.id, 36, 1)) AS license_mark, \
         (SELECT n FROM change_marks WHERE name = 'eula') AS eula_mark \
         FROM licenses LEFT JOIN activations a \
         ON a.license_id = licenses.id AND a.fingerprint_hash = $3 AND a.deactivated_at IS NULL \
         WHERE licenses.key_hash = $1"
    )
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: String,
    license_id: LicenseId,
    at: i64,
    actor: String,
    kind: String,
    detail: String,
}

/// Appends to a license's history inside an open transaction.
macro_rules! insert_license_event {
    ($tx:expr, $license_id:expr, $actor:expr, $kind:expr, $detail:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO license_events (id, license_id, at, actor, kind, detail) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id())
        .bind($license_id)
        .bind(to_millis($now))
        .bind($actor.to_string())
        .bind(LicenseEventKind::as_str($kind))
        .bind($detail.to_string())
        .execute(&mut *$tx)
        .await?
    };
}

impl SqlStore {
    async fn fetch_license(&self, condition: &str, value: &str) -> StoreResult<Option<License>> {
        let sql = format!("SELECT {LICENSE_COLUMNS} FROM licenses {condition}");
        let row: Option<LicenseRow> =
            on_pool!(self, |pool| { sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(value).fetch_optional(pool).await? });
        row.map(License::try_from).transpose()
    }
}

/// Spends one use of the code and makes the user a holder, inside the
/// caller's transaction `$tx`: the one rule for `redeem` and for a sign-up
/// that redeems. Evaluates to `StoreResult<Redemption>`.
macro_rules! redeem_in_tx {
    ($tx:ident, $code_hash:expr, $user_id:expr, $user_email:expr, $now:expr) => {
        async {
            let (code_hash, user_id, user_email, now): (&str, &UserId, &str, OffsetDateTime) =
                ($code_hash, $user_id, $user_email, $now);
            let sql = format!(
                "SELECT {LICENSE_COLUMNS} FROM licenses JOIN activation_codes c ON c.license_id = licenses.id WHERE c.code_hash = $1"
            );
            let actor = Actor::User(user_id.clone());
            let row: Option<LicenseRow> =
                sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(code_hash).fetch_optional(&mut *$tx).await?;
            let Some(license) = row.map(License::try_from).transpose()? else { return Ok(Redemption::UnknownCode) };
            let holder: Option<i64> = sqlx::query_scalar(
                "SELECT CAST(1 AS BIGINT) FROM license_holders WHERE license_id = $1 AND user_id = $2",
            )
            .bind(&license.id)
            .bind(user_id)
            .fetch_optional(&mut *$tx)
            .await?;
            if holder.is_some() {
                return Ok(Redemption::AlreadyHolder(license));
            }
            if license.owner_email.as_deref().is_some_and(|owner| owner != user_email) {
                return Ok(Redemption::ReservedForSomeoneElse);
            }
            // The conditional decrement is the race guard: of two concurrent
            // redemptions of a last use, exactly one sees a row change.
            let spent = sqlx::query(
                "UPDATE activation_codes SET uses_left = uses_left - 1 WHERE code_hash = $1 AND uses_left > 0",
            )
            .bind(code_hash)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
            if spent != 1 {
                return Ok(Redemption::UsedUp);
            }
            sqlx::query("INSERT INTO license_holders (license_id, user_id, redeemed_at) VALUES ($1, $2, $3)")
                .bind(&license.id)
                .bind(user_id)
                .bind(to_millis(now))
                .execute(&mut *$tx)
                .await?;
            insert_license_event!($tx, &license.id, actor, LicenseEventKind::Redeemed, serde_json::json!({}), now);
            StoreResult::Ok(Redemption::Redeemed(license))
        }
        .await
    };
}

/// Writes the app's grant of a seat claim, if any, naming `$activation` as
/// its seat; `false` when the app's device request is gone.
macro_rules! with_app_grant {
    ($request:expr, $activation:expr, $amr:expr, $tx:ident) => {
        match (&$request.app, $amr) {
            (Some(app), Some(amr)) => {
                let seat = crate::domain::oauth::SeatGranted {
                    asked: app.asked.clone(),
                    license_id: $request.license_id.to_string(),
                    activation_id: $activation.id.to_string(),
                };
                let grant = super::NewGrant { seat: Some(seat), ..app.grant.clone() };
                let seat = grant.seat.as_ref().map(to_json).transpose()?;
                write_grant!(&app.via, &grant, amr, &seat, $tx, $request.now)
            }
            _ => true,
        }
    };
}

#[async_trait]
impl LicenseStore for SqlStore {
    #[tracing::instrument(skip_all)]
    async fn issue_licenses(
        &self,
        licenses: &[NewLicense],
        actor: &Actor,
        answer: Option<&IdempotentAnswer>,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let at = to_millis(now);
        in_tx!(self, |tx| {
            if let Some(answer) = answer {
                sqlx::query(
                    "INSERT INTO idempotent_requests (scope, key, request_hash, response, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&answer.scope)
                .bind(&answer.key)
                .bind(&answer.request_hash)
                .bind(&answer.sealed_response)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_violation(e, Duplicate::IdempotencyKey))?;
            }
            for license in licenses {
                let entitlements = to_json(&license.entitlements)?;
                let metadata = license.metadata.as_ref().map(ToString::to_string);
                sqlx::query(
                    "INSERT INTO licenses (id, key_hash, key_sealed, policy, policy_revision, product, status, max_activations, \
                     entitlements, metadata, owner_email, expires_at, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $10, $11, $12, $12)",
                )
                .bind(&license.id)
                .bind(&license.key_hash)
                .bind(&license.key_sealed)
                .bind(&license.policy)
                .bind(&license.policy_revision)
                .bind(&license.product)
                .bind(i64::from(license.max_activations))
                .bind(&entitlements)
                .bind(&metadata)
                .bind(&license.owner_email)
                .bind(license.expires_at.map(to_millis))
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_violation(e, Duplicate::RandomValue))?;
                sqlx::query("INSERT INTO activation_codes (code_hash, license_id, uses_left, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(&license.code_hash)
                    .bind(&license.id)
                    .bind(i64::from(license.code_uses))
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| unique_violation(e, Duplicate::RandomValue))?;
                let detail = serde_json::json!({"policy": license.policy, "policy_revision": license.policy_revision});
                insert_license_event!(tx, &license.id, actor, LicenseEventKind::Issued, detail, now);
            }
            Ok(())
        })
    }

    #[tracing::instrument(skip_all)]
    async fn idempotent_answer(&self, scope: &str, key: &str) -> StoreResult<Option<IdempotentAnswer>> {
        let row: Option<(String, String)> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT request_hash, response FROM idempotent_requests WHERE scope = $1 AND key = $2")
                .bind(scope)
                .bind(key)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(request_hash, sealed_response)| IdempotentAnswer {
            scope: scope.to_owned(),
            key: key.to_owned(),
            request_hash,
            sealed_response,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn license(&self, id: &LicenseId) -> StoreResult<Option<License>> {
        self.fetch_license("WHERE id = $1", id.as_str()).await
    }

    #[tracing::instrument(skip_all)]
    async fn license_by_key_hash(&self, key_hash: &str) -> StoreResult<Option<License>> {
        self.fetch_license("WHERE key_hash = $1", key_hash).await
    }

    #[tracing::instrument(skip_all)]
    async fn license_by_code_hash(&self, code_hash: &str) -> StoreResult<Option<License>> {
        self.fetch_license("WHERE id = (SELECT license_id FROM activation_codes WHERE code_hash = $1)", code_hash).await
    }

    // Hot reads served from memory trace at debug: an info span cost about
    // a microsecond a request and adds no line to the log.
    #[tracing::instrument(level = "debug", skip_all)]
    async fn licenses_of_holder(&self, user_id: &UserId) -> StoreResult<Vec<License>> {
        let current = self.current_marks().await?;
        if let Some(licenses) = current.and_then(|current| self.holdings.get(current, user_id)) {
            return Ok(licenses);
        }
        let sql = format!(
            "SELECT {LICENSE_COLUMNS}, \
             (SELECT n FROM change_marks WHERE name = 'license:' || substr(licenses.id, 36, 1)) AS license_mark, \
             (SELECT n FROM change_marks WHERE name = 'holder:' || substr(h.user_id, 36, 1)) AS holder_mark \
             FROM licenses JOIN license_holders h ON h.license_id = licenses.id WHERE h.user_id = $1 \
             ORDER BY licenses.created_at DESC, licenses.id DESC LIMIT 1000"
        );
        let rows: Vec<HoldingRow> =
            on_pool!(self, |pool| { sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(pool).await? });
        // The holder's mark, then each license's. Holding nothing reads no
        // mark at all: such an answer is not kept.
        let holder = rows.first().map(|row| Mark::holder(user_id.as_str()).zip(row.holder_mark));
        let each_license = rows.iter().map(|row| Mark::license(row.license.id.as_str()).zip(row.license_mark));
        let read_under: Option<ReadUnder> = holder.into_iter().chain(each_license).collect();
        let licenses = rows.into_iter().map(|row| License::try_from(row.license)).collect::<StoreResult<Vec<_>>>()?;
        if let Some(read_under) = read_under.filter(|marks| !marks.is_empty()) {
            self.holdings.put(user_id.clone(), licenses.clone(), read_under);
        }
        Ok(licenses)
    }

    #[tracing::instrument(skip_all)]
    async fn licenses(&self, filter: &LicenseFilter) -> StoreResult<Vec<License>> {
        // Filters are optional binds, so one statement serves every combination.
        let sql = format!(
            "SELECT {LICENSE_COLUMNS} FROM licenses \
             WHERE ($1 IS NULL OR policy = $1) AND ($2 IS NULL OR status = $2) \
             AND ($3 IS NULL OR EXISTS (SELECT 1 FROM license_holders h WHERE h.license_id = licenses.id AND h.user_id = $3)) \
             ORDER BY created_at DESC, id DESC LIMIT $4"
        );
        let status = filter.status.map(LicenseStatus::as_str);
        let limit = i64::from(filter.limit.clamp(1, 1000));
        let rows: Vec<LicenseRow> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(filter.policy.as_deref())
                .bind(status)
                .bind(filter.holder.as_ref())
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(License::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn held_licenses(&self, user_id: &UserId) -> StoreResult<Vec<LicenseWithSeats>> {
        let licenses_sql = format!(
            "SELECT {LICENSE_COLUMNS} FROM licenses JOIN license_holders h ON h.license_id = licenses.id \
             WHERE h.user_id = $1 ORDER BY licenses.created_at DESC, licenses.id DESC"
        );
        let activations_sql = format!(
            "SELECT {ACTIVATION_COLUMNS} FROM activations WHERE deactivated_at IS NULL \
             AND license_id IN (SELECT license_id FROM license_holders WHERE user_id = $1) ORDER BY created_at, id"
        );
        let (licenses, activations): (Vec<LicenseRow>, Vec<ActivationRow>) = on_pool!(self, |pool| {
            (
                sqlx::query_as(sqlx::AssertSqlSafe(licenses_sql)).bind(user_id).fetch_all(pool).await?,
                sqlx::query_as(sqlx::AssertSqlSafe(activations_sql)).bind(user_id).fetch_all(pool).await?,
            )
        });
        let activations = activations.into_iter().map(Activation::try_from).collect::<StoreResult<Vec<_>>>()?;
        licenses
            .into_iter()
            .map(|row| {
                let license = License::try_from(row)?;
                let seats = activations.iter().filter(|a| a.license_id == license.id).cloned().collect();
                Ok(LicenseWithSeats { license, activations: seats })
            })
            .collect()
    }

    #[tracing::instrument(skip_all)]
    async fn is_holder(&self, license_id: &LicenseId, user_id: &UserId) -> StoreResult<bool> {
        let found: Option<i64> = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT CAST(1 AS BIGINT) FROM license_holders WHERE license_id = $1 AND user_id = $2")
                .bind(license_id)
                .bind(user_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(found.is_some())
    }

    #[tracing::instrument(skip_all)]
    async fn redeem(
        &self,
        code_hash: &str,
        user_id: &UserId,
        user_email: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Redemption> {
        in_tx!(self, |tx| redeem_in_tx!(tx, code_hash, user_id, user_email, now))
    }

    #[tracing::instrument(skip_all)]
    async fn create_user_holding(&self, user: &NewUser, code_hash: &str) -> StoreResult<Redemption> {
        in_tx_deciding!(self, |tx| {
            insert_new_user!(user, &mut *tx);
            let redemption = redeem_in_tx!(tx, code_hash, &user.id, &user.email, user.now)?;
            Ok(match redemption {
                Redemption::Redeemed(license) => {
                    let detail = serde_json::json!({"license_id": license.id, "product": license.product});
                    let redeemed = NewEvent {
                        id: EventId::new(),
                        user_id: user.id.clone(),
                        kind: EventKind::CodeRedeemed,
                        detail,
                        ip: None,
                        user_agent: None,
                        at: user.now,
                    };
                    insert_user_event!(redeemed, &mut *tx);
                    Decided::Commit(Redemption::Redeemed(license))
                }
                // No account without the license it was made for.
                refused => Decided::Rollback(refused),
            })
        })
    }

    #[tracing::instrument(skip_all)]
    async fn claim_seat(&self, request: &SeatRequest) -> StoreResult<SeatClaim> {
        let now = to_millis(request.now);
        let lease_until = request.lease.map(|lease| to_millis(request.now + lease));
        let backend = self.backend();
        let existing_sql = format!(
            "SELECT {ACTIVATION_COLUMNS} FROM activations WHERE license_id = $1 AND fingerprint_hash = $2 AND deactivated_at IS NULL"
        );
        let taken_sql = format!("SELECT COUNT(*) FROM activations WHERE license_id = $1 AND {HOLDS_SEAT}");
        let actor = Actor::User(request.user_id.clone());
        let app_amr = request.app.as_ref().map(|app| to_json(&app.grant.amr)).transpose()?;
        in_tx_deciding!(self, |tx| {
            if backend == Backend::Postgres {
                // Every claim on this license queues here; SQLite's IMMEDIATE
                // transaction already admits one writer at a time.
                sqlx::query("SELECT id FROM licenses WHERE id = $1 FOR UPDATE")
                    .bind(&request.license_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let existing: Option<ActivationRow> = sqlx::query_as(sqlx::AssertSqlSafe(existing_sql))
                .bind(&request.license_id)
                .bind(&request.fingerprint_hash)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(existing) = existing.map(Activation::try_from).transpose()? {
                if existing.holds_seat(request.now) {
                    sqlx::query("UPDATE activations SET last_seen_at = $1, lease_expires_at = $2 WHERE id = $3")
                        .bind(now)
                        .bind(lease_until)
                        .bind(&existing.id)
                        .execute(&mut *tx)
                        .await?;
                    let refreshed = Activation {
                        last_seen_at: request.now,
                        lease_expires_at: lease_until.map(from_millis).transpose()?,
                        ..existing
                    };
                    let written = with_app_grant!(request, &refreshed, &app_amr, tx);
                    return Ok(if written {
                        Decided::Commit(SeatClaim::Existing(refreshed))
                    } else {
                        Decided::Rollback(SeatClaim::AppRequestGone)
                    });
                }
                // A lapsed lease: close it, then claim afresh like any device.
                sqlx::query("UPDATE activations SET deactivated_at = $1 WHERE id = $2")
                    .bind(existing.lease_expires_at.map_or(now, to_millis))
                    .bind(&existing.id)
                    .execute(&mut *tx)
                    .await?;
            }
            let taken: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(taken_sql))
                .bind(&request.license_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            if taken >= i64::from(request.max_activations) {
                return Ok(Decided::Commit(SeatClaim::LimitReached));
            }
            sqlx::query(
                "INSERT INTO activations (id, license_id, user_id, fingerprint_hash, name, platform, created_at, last_seen_at, lease_expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
            )
            .bind(&request.activation_id)
            .bind(&request.license_id)
            .bind(&request.user_id)
            .bind(&request.fingerprint_hash)
            .bind(&request.name)
            .bind(&request.platform)
            .bind(now)
            .bind(lease_until)
            .execute(&mut *tx)
            .await?;
            // The one place "first seat" is decided: by the seat rule, inside
            // the claim, so the event, its mail and the funnel metric agree.
            let first_seat = taken == 0;
            let mut activated = request.activated.clone();
            if let Some(detail) = activated.detail.as_object_mut() {
                detail.insert("first_seat".into(), serde_json::json!(first_seat));
            }
            insert_user_event!(activated, &mut *tx);
            let detail = serde_json::json!({"activation_id": request.activation_id, "fingerprint_hash": request.fingerprint_hash});
            insert_license_event!(tx, &request.license_id, actor, LicenseEventKind::Activated, detail, request.now);
            let activation = Activation {
                id: request.activation_id.clone(),
                license_id: request.license_id.clone(),
                user_id: Some(request.user_id.clone()),
                fingerprint_hash: request.fingerprint_hash.clone(),
                name: request.name.clone(),
                platform: request.platform.clone(),
                created_at: from_millis(now)?,
                last_seen_at: from_millis(now)?,
                lease_expires_at: lease_until.map(from_millis).transpose()?,
                deactivated_at: None,
            };
            if !with_app_grant!(request, &activation, &app_amr, tx) {
                return Ok(Decided::Rollback(SeatClaim::AppRequestGone));
            }
            Ok(Decided::Commit(SeatClaim::New { activation, first_seat }))
        })
    }

    #[tracing::instrument(skip_all)]
    async fn activation(&self, id: &ActivationId) -> StoreResult<Option<Activation>> {
        let sql = format!("SELECT {ACTIVATION_COLUMNS} FROM activations WHERE id = $1");
        let row: Option<ActivationRow> =
            on_pool!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?);
        row.map(Activation::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn activations_of_license(&self, license_id: &LicenseId) -> StoreResult<Vec<Activation>> {
        let sql = format!("SELECT {ACTIVATION_COLUMNS} FROM activations WHERE license_id = $1 ORDER BY created_at, id");
        let rows: Vec<ActivationRow> =
            on_pool!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(license_id).fetch_all(pool).await?);
        rows.into_iter().map(Activation::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn seats_taken(&self, license_id: &LicenseId, now: OffsetDateTime) -> StoreResult<u32> {
        let sql = format!("SELECT COUNT(*) FROM activations WHERE license_id = $1 AND {HOLDS_SEAT}");
        let taken: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(license_id).bind(to_millis(now)).fetch_one(pool).await?
        });
        u32::try_from(taken).map_err(|e| StoreError::Corrupt(format!("seat count: {e}")))
    }

    #[tracing::instrument(skip_all)]
    async fn activation_by_fingerprint(
        &self,
        license_id: &LicenseId,
        fingerprint_hash: &str,
    ) -> StoreResult<Option<Activation>> {
        let sql = format!(
            "SELECT {ACTIVATION_COLUMNS} FROM activations WHERE license_id = $1 AND fingerprint_hash = $2 AND deactivated_at IS NULL"
        );
        let row: Option<ActivationRow> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(license_id)
                .bind(fingerprint_hash)
                .fetch_optional(pool)
                .await?
        });
        row.map(Activation::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn validation_facts(
        &self,
        key_hash: &str,
        fingerprint_hash: Option<&str>,
        now: OffsetDateTime,
    ) -> StoreResult<Option<ValidationFacts>> {
        let current = self.current_marks().await?;
        let key = (key_hash.to_owned(), fingerprint_hash.map(str::to_owned));
        if let Some(facts) = current.and_then(|current| self.validations.get(current, &key)) {
            return Ok(Some(facts));
        }
        let sql = validation_facts_sql();
        let row: Option<ValidationRow> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(key_hash)
                .bind(to_millis(now))
                .bind(fingerprint_hash)
                .fetch_optional(pool)
                .await?
        });
        let Some(row) = row else { return Ok(None) };
        let read_under = row.read_under();
        let facts = ValidationFacts::try_from(row)?;
        // A seat count depends on when it was counted: never kept.
        if let Some(read_under) = read_under.filter(|_| !matches!(facts.device, DeviceOnRecord::NotActivated { .. })) {
            self.validations.put(key, facts.clone(), read_under);
        }
        Ok(Some(facts))
    }

    #[tracing::instrument(skip_all)]
    async fn deactivate(&self, activation_id: &ActivationId, actor: &Actor, now: OffsetDateTime) -> StoreResult<bool> {
        in_tx!(self, |tx| {
            let license_id: Option<LicenseId> = sqlx::query_scalar(
                "UPDATE activations SET deactivated_at = $1 WHERE id = $2 AND deactivated_at IS NULL RETURNING license_id",
            )
            .bind(to_millis(now))
            .bind(activation_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(license_id) = license_id else { return Ok(false) };
            let detail = serde_json::json!({"activation_id": activation_id});
            insert_license_event!(tx, &license_id, actor, LicenseEventKind::Deactivated, detail, now);
            Ok(true)
        })
    }

    #[tracing::instrument(skip_all)]
    async fn deactivate_within(
        &self,
        activation_id: &ActivationId,
        actor: &Actor,
        per_30_days: u32,
        now: OffsetDateTime,
    ) -> StoreResult<Deactivation> {
        let window_start = now - TRANSFER_WINDOW;
        in_tx!(self, |tx| {
            let license_id: Option<LicenseId> =
                sqlx::query_scalar("SELECT license_id FROM activations WHERE id = $1 AND deactivated_at IS NULL")
                    .bind(activation_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(license_id) = license_id else { return Ok(Deactivation::Gone) };
            // Writing the license row holds it on PostgreSQL until commit, so
            // a second transfer waits for this one's count (SQLite writes one at a time).
            sqlx::query("UPDATE licenses SET updated_at = updated_at WHERE id = $1")
                .bind(&license_id)
                .execute(&mut *tx)
                .await?;
            let freed: Vec<i64> = sqlx::query_scalar(
                "SELECT at FROM license_events WHERE license_id = $1 AND kind = $2 AND actor = $3 AND at > $4 \
                 ORDER BY at",
            )
            .bind(&license_id)
            .bind(LicenseEventKind::Deactivated.as_str())
            .bind(actor.to_string())
            .bind(to_millis(window_start))
            .fetch_all(&mut *tx)
            .await?;
            let allowed = usize::try_from(per_30_days).unwrap_or(usize::MAX);
            if freed.len() >= allowed {
                // Free again once enough of them have left the window.
                let oldest_that_counts = freed.get(freed.len() - allowed).copied().unwrap_or_default();
                return Ok(Deactivation::LimitReached { until: from_millis(oldest_that_counts)? + TRANSFER_WINDOW });
            }
            sqlx::query("UPDATE activations SET deactivated_at = $1 WHERE id = $2 AND deactivated_at IS NULL")
                .bind(to_millis(now))
                .bind(activation_id)
                .execute(&mut *tx)
                .await?;
            let detail = serde_json::json!({"activation_id": activation_id});
            insert_license_event!(tx, &license_id, actor, LicenseEventKind::Deactivated, detail, now);
            Ok(Deactivation::Done)
        })
    }

    #[tracing::instrument(skip_all)]
    async fn heartbeat(
        &self,
        activation_id: &ActivationId,
        lease: Duration,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Activation>> {
        let sql = format!(
            "UPDATE activations SET last_seen_at = $1, lease_expires_at = $2 \
             WHERE id = $3 AND deactivated_at IS NULL AND lease_expires_at IS NOT NULL AND lease_expires_at > $1 \
             RETURNING {ACTIVATION_COLUMNS}"
        );
        let row: Option<ActivationRow> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(to_millis(now))
                .bind(to_millis(now + lease))
                .bind(activation_id)
                .fetch_optional(pool)
                .await?
        });
        self.marks.wrote();
        row.map(Activation::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn change_status(
        &self,
        license_id: &LicenseId,
        from: &[LicenseStatus],
        to: LicenseStatus,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> StoreResult<Option<License>> {
        // The statuses are our own enum's fixed words, never input, so they may be inlined.
        let allowed = from.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ");
        let update =
            format!("UPDATE licenses SET status = $1, updated_at = $2 WHERE id = $3 AND status IN ({allowed})");
        let sql = format!("SELECT {LICENSE_COLUMNS} FROM licenses WHERE id = $1");
        in_tx!(self, |tx| {
            let changed = sqlx::query(sqlx::AssertSqlSafe(update))
                .bind(to.as_str())
                .bind(to_millis(now))
                .bind(license_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed != 1 {
                return Ok(None);
            }
            let kind = LicenseEventKind::StatusChanged(to);
            insert_license_event!(tx, license_id, actor, kind, serde_json::json!({}), now);
            let row: LicenseRow = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(license_id).fetch_one(&mut *tx).await?;
            License::try_from(row).map(Some)
        })
    }

    #[tracing::instrument(skip_all)]
    async fn renew(
        &self,
        license_id: &LicenseId,
        expires_at: OffsetDateTime,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> StoreResult<Option<License>> {
        let sql = format!("SELECT {LICENSE_COLUMNS} FROM licenses WHERE id = $1");
        in_tx!(self, |tx| {
            let changed = sqlx::query(
                "UPDATE licenses SET expires_at = $1, updated_at = $2 WHERE id = $3 AND status <> 'revoked'",
            )
            .bind(to_millis(expires_at))
            .bind(to_millis(now))
            .bind(license_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Ok(None);
            }
            let detail = serde_json::json!({"expires_at": to_millis(expires_at)});
            insert_license_event!(tx, license_id, actor, LicenseEventKind::Renewed, detail, now);
            let row: LicenseRow = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(license_id).fetch_one(&mut *tx).await?;
            License::try_from(row).map(Some)
        })
    }

    #[tracing::instrument(skip_all)]
    async fn license_events(&self, license_id: &LicenseId) -> StoreResult<Vec<LicenseEvent>> {
        let rows: Vec<EventRow> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT id, license_id, at, actor, kind, detail FROM license_events WHERE license_id = $1 ORDER BY at, id")
                .bind(license_id)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|row| {
                Ok(LicenseEvent {
                    at: from_millis(row.at)?,
                    detail: from_json("event detail", &row.detail)?,
                    id: row.id,
                    license_id: row.license_id,
                    actor: row.actor,
                    kind: row.kind,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all)]
    async fn revoked_license_ids(&self) -> StoreResult<Vec<LicenseId>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT id FROM licenses WHERE status = 'revoked' ORDER BY id").fetch_all(pool).await?
        }))
    }
}
