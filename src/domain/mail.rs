//! Which mail goes out, when it is retried, and how often an address may be
//! sent mail it asked for. Pure rules: the outbox and the templates follow them.

use time::{Duration, OffsetDateTime};

use super::event::EventKind;

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
    /// The password was changed or reset.
    PasswordChanged,
    /// A recovery code was used in place of a second factor.
    RecoveryCodeUsed,
    /// A license ends in a week or less.
    LicenseExpiring,
    /// Sent to the old address when the account's address changes.
    EmailChanged,
    /// Someone tried to create an account, or move one, to an address that
    /// already has an account: its owner hears of it, the stranger learns nothing.
    AddressInUse,
    /// An app's sign-in was ended because its token was used twice.
    AppSignedOut,
}

impl MailKind {
    /// Every kind of message.
    pub const ALL: [Self; 11] = [
        Self::VerifyEmail,
        Self::PasswordReset,
        Self::NewDevice,
        Self::FactorAdded,
        Self::FactorRemoved,
        Self::PasswordChanged,
        Self::RecoveryCodeUsed,
        Self::LicenseExpiring,
        Self::EmailChanged,
        Self::AddressInUse,
        Self::AppSignedOut,
    ];

    /// The kind as stored in the outbox.
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
            Self::AddressInUse => "address_in_use",
            Self::AppSignedOut => "app_signed_out",
        }
    }

    /// Reads a kind as stored; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// The mail a user event calls for, if any, written in the event's own
    /// transaction. Exhaustive: a new kind of event does not compile until
    /// someone decides here whether the user hears about it.
    pub const fn notice_for_event(kind: EventKind) -> Option<Self> {
        match kind {
            EventKind::SignedUp => Some(Self::VerifyEmail),
            EventKind::DeviceActivated => Some(Self::NewDevice),
            EventKind::PasskeyAdded | EventKind::TotpEnrolled => Some(Self::FactorAdded),
            EventKind::PasskeyRemoved | EventKind::TotpRemoved => Some(Self::FactorRemoved),
            EventKind::PasswordChanged | EventKind::PasswordReset => Some(Self::PasswordChanged),
            EventKind::RecoveryCodeUsed => Some(Self::RecoveryCodeUsed),
            EventKind::AppTokenReplayed => Some(Self::AppSignedOut),
            // A clone warning is on the account's security events; mail is
            // no stronger a signal to whoever holds the clone.
            EventKind::PasskeyPossiblyCloned
            // Routine, or the user is looking at the answer already.
            | EventKind::SignedIn
            | EventKind::SignInFailed
            | EventKind::Reauthenticated
            | EventKind::RecoveryCodesGenerated
            | EventKind::CodeRedeemed
            | EventKind::RedeemFailed
            | EventKind::ActivationFailed
            | EventKind::DeviceDeactivated
            | EventKind::EulaDecision
            | EventKind::SupportPinCreated
            | EventKind::SupportVerification
            | EventKind::AppSignedIn => None,
            // The change queues its own two messages (to the new address and the old).
            EventKind::EmailChanged => None,
        }
    }
}

/// What a mailed link token proves when it comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// The user receives mail at the address.
    VerifyEmail,
    /// The user may choose a new password.
    PasswordReset,
}

impl LinkPurpose {
    /// The purpose as stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::PasswordReset => "password_reset",
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
        assert_eq!(MailKind::notice_for_event(EventKind::PasskeyAdded), Some(MailKind::FactorAdded));
        assert_eq!(MailKind::notice_for_event(EventKind::SignedIn), None);
    }
}
