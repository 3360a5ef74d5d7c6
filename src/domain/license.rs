//! Licenses and the seats devices hold on them, with the rules that decide
//! whether a license can be used and whether a device holds a seat. The
//! store counts seats in SQL with the same rule (`store::licenses::HOLDS_SEAT`);
//! the conformance suite holds the two to each other.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::ids::{ActivationId, ApiKeyId, LicenseId, UserId};
use super::policy::Expiration;

/// Where a license stands, as an admin set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenseStatus {
    /// In force.
    Active,
    /// Paused; can be reinstated.
    Suspended,
    /// Ended for good.
    Revoked,
}

impl LicenseStatus {
    /// The status as stored and sent.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Revoked => "revoked",
        }
    }

    /// The status named by `s`, if any.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "suspended" => Some(Self::Suspended),
            "revoked" => Some(Self::Revoked),
            _ => None,
        }
    }
}

/// Why a license cannot be put to new use now (a seat, a token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// An admin suspended it.
    Suspended,
    /// An admin revoked it.
    Revoked,
    /// Past its expiry, under a `restrict` policy.
    Expired,
}

/// A license.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct License {
    /// The license's id.
    pub id: LicenseId,
    /// The key sealed with the master key; its holders may see it again.
    pub key_sealed: String,
    /// The policy it was issued under.
    pub policy: String,
    /// SHA-256 of that policy file when the license was issued.
    pub policy_revision: String,
    /// The product it is for.
    pub product: String,
    /// Active, suspended or revoked.
    pub status: LicenseStatus,
    /// Seats.
    pub max_activations: u32,
    /// What it unlocks in the product.
    pub entitlements: Vec<String>,
    /// Whatever the issuer attached (an order number…).
    pub metadata: Option<serde_json::Value>,
    /// Only this address may redeem its code, when set.
    pub owner_email: Option<String>,
    /// When it ends; `None` is perpetual.
    pub expires_at: Option<OffsetDateTime>,
    /// When it was issued.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

impl License {
    /// Whether its expiry has passed at `now`.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// Why the license cannot take a new seat or vouch for a token, if it
    /// cannot: status first, then expiry (which only a `restrict` policy enforces).
    pub fn unusable(&self, expiration: Expiration, now: OffsetDateTime) -> Option<Unusable> {
        match self.status {
            LicenseStatus::Revoked => Some(Unusable::Revoked),
            LicenseStatus::Suspended => Some(Unusable::Suspended),
            LicenseStatus::Active if self.is_expired(now) && expiration == Expiration::Restrict => {
                Some(Unusable::Expired)
            }
            LicenseStatus::Active => None,
        }
    }
}

/// A device's activation on a license.
#[derive(Debug, Clone)]
pub struct Activation {
    /// The activation's id.
    pub id: ActivationId,
    /// The license it holds a seat on.
    pub license_id: LicenseId,
    /// Who activated it; `None` once that user is gone.
    pub user_id: Option<UserId>,
    /// SHA-256 of the device fingerprint; the fingerprint itself is not kept.
    pub fingerprint_hash: String,
    /// A name the user gave the device.
    pub name: Option<String>,
    /// The platform the product reported.
    pub platform: Option<String>,
    /// When the seat was taken.
    pub created_at: OffsetDateTime,
    /// When the device last activated or sent a heartbeat.
    pub last_seen_at: OffsetDateTime,
    /// Floating seats only: the seat counts until then.
    pub lease_expires_at: Option<OffsetDateTime>,
    /// When the seat was freed, if it was.
    pub deactivated_at: Option<OffsetDateTime>,
}

impl Activation {
    /// Whether it holds a seat at `now` (see [`holds_seat`]).
    pub fn holds_seat(&self, now: OffsetDateTime) -> bool {
        holds_seat(self.deactivated_at, self.lease_expires_at, now)
    }
}

/// The seat rule: an activation holds a seat until it is deactivated, and a
/// floating one only while its lease runs. A lapsed lease frees the seat
/// with no background job; the row stays until the device activates again.
pub fn holds_seat(
    deactivated_at: Option<OffsetDateTime>,
    lease_expires_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> bool {
    deactivated_at.is_none() && lease_expires_at.is_none_or(|until| until > now)
}

/// Who did something to a license, as its events record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An admin API key.
    Admin(ApiKeyId),
    /// An end user, for their own seats and codes.
    User(UserId),
    /// The command line on the server.
    Cli,
    /// Someone holding the one-click link from a "new device" mail.
    MailedLink,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Admin(id) => write!(f, "admin:{id}"),
            Self::User(id) => write!(f, "user:{id}"),
            Self::Cli => f.write_str("cli"),
            Self::MailedLink => f.write_str("mailed-link"),
        }
    }
}

/// Every kind of event in a license's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenseEventKind {
    /// Issued under its policy.
    Issued,
    /// Its code put it on an account.
    Redeemed,
    /// A device took a seat.
    Activated,
    /// A seat was freed.
    Deactivated,
    /// An admin changed its status to this.
    StatusChanged(LicenseStatus),
    /// Its expiry moved.
    Renewed,
}

impl LicenseEventKind {
    /// The name stored and shown (a status change is named by the new status).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Redeemed => "redeemed",
            Self::Activated => "activated",
            Self::Deactivated => "deactivated",
            Self::StatusChanged(status) => status.as_str(),
            Self::Renewed => "renewed",
        }
    }
}

/// One event in a license's history.
#[derive(Debug, Clone)]
pub struct LicenseEvent {
    /// The event's id.
    pub id: String,
    /// The license it is about.
    pub license_id: LicenseId,
    /// When it happened.
    pub at: OffsetDateTime,
    /// Who did it, as [`Actor`] wrote it.
    pub actor: String,
    /// What happened, as [`LicenseEventKind`] names it.
    pub kind: String,
    /// Facts about it.
    pub detail: serde_json::Value,
}

/// Which licenses a listing wants.
#[derive(Debug, Clone, Default)]
pub struct LicenseFilter {
    /// Only this policy's.
    pub policy: Option<String>,
    /// Only in this status.
    pub status: Option<LicenseStatus>,
    /// Only those this user holds.
    pub holder: Option<UserId>,
    /// At most this many (1 to 1000).
    pub limit: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_lapsed_lease_or_a_deactivation_frees_the_seat() {
        let now = datetime!(2026-01-01 00:00 UTC);
        assert!(holds_seat(None, None, now));
        assert!(holds_seat(None, Some(now + time::Duration::seconds(1)), now));
        assert!(!holds_seat(None, Some(now), now));
        assert!(!holds_seat(Some(now), None, now));
    }
}
