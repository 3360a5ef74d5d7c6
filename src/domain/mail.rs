//! Which mail goes out, when it is retried, and how often an address may be
//! sent mail it asked for. Pure rules: the outbox and the templates follow them.

use time::{Duration, OffsetDateTime};

/// Every message Latchkey sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// A link that proves the address (sign-up, or asked for again).
    VerifyEmail,
    /// A link to choose a new password.
    PasswordReset,
    /// A device took a seat; with a one-click link to free it.
    NewDevice,
    /// A passkey or authenticator app was added.
    FactorAdded,
    /// A passkey or authenticator app was removed.
    FactorRemoved,
    PasswordChanged,
    RecoveryCodeUsed,
    /// A license ends in a week or less.
    LicenseExpiring,
    /// Sent to the old address when the account's address changes.
    EmailChanged,
}

impl MailKind {
    pub const ALL: [Self; 9] = [
        Self::VerifyEmail,
        Self::PasswordReset,
        Self::NewDevice,
        Self::FactorAdded,
        Self::FactorRemoved,
        Self::PasswordChanged,
        Self::RecoveryCodeUsed,
        Self::LicenseExpiring,
        Self::EmailChanged,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::PasswordReset => "password_reset",
            Self::NewDevice => "new_device",
            Self::FactorAdded => "factor_added",
            Self::FactorRemoved => "factor_removed",
            Self::PasswordChanged => "password_changed",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::LicenseExpiring => "license_expiring",
            Self::EmailChanged => "email_changed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// The security notice a user event calls for, if any. Kept beside the
    /// event names so a new security event cannot be added without a
    /// decision here, and written in the event's own transaction.
    pub fn notice_for_event(event_kind: &str) -> Option<Self> {
        match event_kind {
            "signed_up" => Some(Self::VerifyEmail),
            "device_activated" => Some(Self::NewDevice),
            "passkey_added" | "totp_enrolled" => Some(Self::FactorAdded),
            "passkey_removed" | "totp_removed" => Some(Self::FactorRemoved),
            "password_changed" | "password_reset" => Some(Self::PasswordChanged),
            "recovery_code_used" => Some(Self::RecoveryCodeUsed),
            _ => None,
        }
    }
}

/// Mail a user asks for (verification, reset) per address per hour: enough
/// for "it did not arrive, send again", too few to flood an inbox.
pub const REQUESTED_MAIL_PER_HOUR: u32 = 3;

/// A verification link works this long.
pub const VERIFY_EMAIL_LIFETIME: Duration = Duration::hours(24);
/// A reset link works this long.
pub const PASSWORD_RESET_LIFETIME: Duration = Duration::minutes(30);
/// A one-click "remove this device" link works this long.
pub const DEVICE_REMOVAL_LIFETIME: Duration = Duration::days(7);
/// How long before expiry the user hears about it (once).
pub const EXPIRY_NOTICE_AHEAD: Duration = Duration::days(7);

/// A worker holds a claimed message this long; if it dies mid-send the
/// message becomes due again, on this or another instance.
pub const CLAIM_LEASE: Duration = Duration::minutes(2);

/// After this many failed attempts a message is given up (and logged):
/// with the hourly cap, about three days, so a weekend-long outage
/// delays mail without losing it.
pub const MAX_ATTEMPTS: i64 = 80;

/// When to try again after `attempts` failures: 15 s doubling to a cap of
/// one hour, so a short outage costs seconds and a long one little load.
pub fn next_attempt(attempts: i64, now: OffsetDateTime) -> OffsetDateTime {
    let exponent = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    let delay = 15_i64.saturating_mul(2_i64.saturating_pow(exponent)).min(3600);
    now + Duration::seconds(delay)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_an_hour() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let delays: Vec<i64> = (1..=10).map(|n| (next_attempt(n, now) - now).whole_seconds()).collect();
        assert_eq!(delays, [15, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }

    #[test]
    fn kinds_round_trip_and_security_events_notify() {
        for kind in MailKind::ALL {
            assert_eq!(MailKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(MailKind::notice_for_event("passkey_added"), Some(MailKind::FactorAdded));
        assert_eq!(MailKind::notice_for_event("signed_in"), None);
    }
}
