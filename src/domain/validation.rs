//! What a license validation answers, as a pure function of the facts.

use time::OffsetDateTime;

use super::policy::{Binding, Expiration, Policy};

/// The stable result codes product software branches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidationCode {
    /// The license is valid for this request.
    Valid,
    /// No license has this key.
    NotFound,
    /// The license is suspended.
    Suspended,
    /// The license has been revoked.
    Revoked,
    /// The license is past its expiry; still valid under `maintain`.
    Expired,
    /// The device is not activated, but a seat is free.
    NotActivated,
    /// A floating license was checked without a device fingerprint.
    FingerprintRequired,
    /// The license is for another product.
    ProductMismatch,
    /// The device is not activated and every seat is taken.
    SeatLimitReached,
    /// The device's floating seat lapsed without a heartbeat.
    LeaseExpired,
    /// The device's user has not accepted the current EULA.
    EulaAcceptanceRequired,
}

impl ValidationCode {
    /// The code as product software sees it, e.g. `SEAT_LIMIT_REACHED`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "VALID",
            Self::NotFound => "NOT_FOUND",
            Self::Suspended => "SUSPENDED",
            Self::Revoked => "REVOKED",
            Self::Expired => "EXPIRED",
            Self::NotActivated => "NOT_ACTIVATED",
            Self::FingerprintRequired => "FINGERPRINT_REQUIRED",
            Self::ProductMismatch => "PRODUCT_MISMATCH",
            Self::SeatLimitReached => "SEAT_LIMIT_REACHED",
            Self::LeaseExpired => "LEASE_EXPIRED",
            Self::EulaAcceptanceRequired => "EULA_ACCEPTANCE_REQUIRED",
        }
    }

    /// One sentence explaining the code to a person.
    pub const fn detail(self) -> &'static str {
        match self {
            Self::Valid => "The license is valid.",
            Self::NotFound => "No license has this key.",
            Self::Suspended => "The license is suspended.",
            Self::Revoked => "The license has been revoked.",
            Self::Expired => "The license has expired.",
            Self::NotActivated => "This device is not activated for the license.",
            Self::FingerprintRequired => "This license is checked per device: send the device fingerprint.",
            Self::ProductMismatch => "The license is for another product.",
            Self::SeatLimitReached => "This device is not activated and every seat is taken.",
            Self::LeaseExpired => "This device's floating seat lapsed; activate again.",
            Self::EulaAcceptanceRequired => "The current EULA must be accepted first.",
        }
    }
}

/// The license facts a validation needs.
#[derive(Debug, Clone, Copy)]
pub struct LicenseFacts<'a> {
    /// Whether the license is suspended.
    pub suspended: bool,
    /// Whether the license is revoked.
    pub revoked: bool,
    /// The product the license unlocks.
    pub product: &'a str,
    /// When the license expires; `None` if perpetual.
    pub expires_at: Option<OffsetDateTime>,
}

/// What is known about the requesting device, when it sent a fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceFacts {
    /// The request carried no device fingerprint.
    NoFingerprint,
    /// Fingerprint sent; no live activation for it. `seats_free` says whether it could activate.
    NotActivated {
        /// Whether a seat is free for it.
        seats_free: bool,
    },
    /// Activated; `leased` is false when a floating lease has lapsed, and
    /// `eula_accepted` when its user no longer stands by the current EULA.
    Activated {
        /// False when its floating lease has lapsed.
        leased: bool,
        /// False when its user no longer stands by the current EULA.
        eula_accepted: bool,
    },
}

/// The outcome and whether it counts as valid.
pub fn validate(
    policy: &Policy,
    license: LicenseFacts<'_>,
    requested_product: Option<&str>,
    device: DeviceFacts,
    now: OffsetDateTime,
) -> (ValidationCode, bool) {
    use ValidationCode as C;
    if license.revoked {
        return (C::Revoked, false);
    }
    if license.suspended {
        return (C::Suspended, false);
    }
    if requested_product.is_some_and(|p| p != license.product) {
        return (C::ProductMismatch, false);
    }
    let expired = license.expires_at.is_some_and(|at| at <= now);
    if expired && policy.expiration == Expiration::Restrict {
        return (C::Expired, false);
    }
    match device {
        DeviceFacts::NoFingerprint if matches!(policy.binding, Binding::Floating { .. }) => {
            return (C::FingerprintRequired, false);
        }
        DeviceFacts::NoFingerprint => {}
        DeviceFacts::NotActivated { seats_free: true } => return (C::NotActivated, false),
        DeviceFacts::NotActivated { seats_free: false } => return (C::SeatLimitReached, false),
        DeviceFacts::Activated { leased: false, .. } => return (C::LeaseExpired, false),
        DeviceFacts::Activated { eula_accepted: false, .. } => return (C::EulaAcceptanceRequired, false),
        DeviceFacts::Activated { leased: true, eula_accepted: true } => {}
    }
    // Under `maintain`, an expired license keeps working and says so.
    if expired { (C::Expired, true) } else { (C::Valid, true) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn policy(text_binding: &str, expiration: &str) -> Policy {
        let text = format!(
            "name = \"p\"\nproduct = \"studio\"\nmax_activations = 2\nbinding = \"{text_binding}\"\nexpiration = \"{expiration}\"\n{}",
            if text_binding == "floating" { "lease = \"30m\"\n" } else { "" }
        );
        Policy::parse("p.toml", &text).unwrap()
    }

    #[test]
    fn codes_follow_the_facts() {
        let now = datetime!(2026-06-01 00:00 UTC);
        let active = LicenseFacts {
            suspended: false,
            revoked: false,
            product: "studio",
            expires_at: Some(now + time::Duration::days(1)),
        };
        let expired = LicenseFacts { expires_at: Some(now), ..active };
        let locked = policy("node_locked", "restrict");
        let maintained = policy("node_locked", "maintain");
        let floating = policy("floating", "restrict");
        let ok = DeviceFacts::Activated { leased: true, eula_accepted: true };
        assert_eq!(validate(&locked, active, None, DeviceFacts::NoFingerprint, now), (ValidationCode::Valid, true));
        assert_eq!(validate(&locked, active, Some("other"), ok, now), (ValidationCode::ProductMismatch, false));
        assert_eq!(
            validate(&locked, LicenseFacts { revoked: true, suspended: true, ..active }, None, ok, now).0,
            ValidationCode::Revoked
        );
        assert_eq!(
            validate(&locked, LicenseFacts { suspended: true, ..active }, None, ok, now).0,
            ValidationCode::Suspended
        );
        assert_eq!(validate(&locked, expired, None, ok, now), (ValidationCode::Expired, false));
        assert_eq!(validate(&maintained, expired, None, ok, now), (ValidationCode::Expired, true));
        assert_eq!(
            validate(&maintained, expired, None, DeviceFacts::NotActivated { seats_free: true }, now).0,
            ValidationCode::NotActivated
        );
        assert_eq!(
            validate(&floating, active, None, DeviceFacts::NoFingerprint, now).0,
            ValidationCode::FingerprintRequired
        );
        assert_eq!(
            validate(&floating, active, None, DeviceFacts::Activated { leased: false, eula_accepted: true }, now).0,
            ValidationCode::LeaseExpired
        );
        assert_eq!(
            validate(&locked, active, None, DeviceFacts::NotActivated { seats_free: false }, now).0,
            ValidationCode::SeatLimitReached
        );
        assert_eq!(
            validate(&locked, active, None, DeviceFacts::Activated { leased: true, eula_accepted: false }, now),
            (ValidationCode::EulaAcceptanceRequired, false)
        );
    }
}
