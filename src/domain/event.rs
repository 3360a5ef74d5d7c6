//! What happened to an account or a license, as the user, support and
//! auditors read it later. Every kind is a variant here, so a new kind
//! cannot be added without deciding (in `mail`) whether it sends a notice.

use std::net::IpAddr;

use time::OffsetDateTime;

use super::ids::{EventId, UserId};

/// Where a request came from, recorded on sessions, events and evidence.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// The client's address (the socket peer, or the proxy's last hop when trusted).
    pub ip: Option<IpAddr>,
    /// The `User-Agent` header as sent.
    pub user_agent: Option<String>,
}

/// User agents are attacker-controlled; keep what identifies a browser and drop the rest.
const MAX_USER_AGENT: usize = 512;

impl ClientInfo {
    /// The user agent cut to a length worth storing.
    pub fn bounded_user_agent(&self) -> Option<String> {
        self.user_agent.as_ref().map(|ua| ua.chars().take(MAX_USER_AGENT).collect())
    }

    /// The address as stored.
    pub fn ip_text(&self) -> Option<String> {
        self.ip.map(|ip| ip.to_string())
    }
}

/// Every kind of event on a user's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The account was created.
    SignedUp,
    /// A session began.
    SignedIn,
    /// A sign-in was refused; `detail.reason` says why.
    SignInFailed,
    /// The session proved who it is again (step-up).
    Reauthenticated,
    /// The user changed their password.
    PasswordChanged,
    /// The password was set through a mailed reset link.
    PasswordReset,
    /// The account moved to another address.
    EmailChanged,
    /// An authenticator app was confirmed.
    TotpEnrolled,
    /// The authenticator app was removed.
    TotpRemoved,
    /// A passkey was registered.
    PasskeyAdded,
    /// A passkey was removed.
    PasskeyRemoved,
    /// A passkey answered with a counter that did not move forward.
    PasskeyPossiblyCloned,
    /// New recovery codes replaced the old ones.
    RecoveryCodesGenerated,
    /// A recovery code was spent.
    RecoveryCodeUsed,
    /// An activation code put a license on the account.
    CodeRedeemed,
    /// An activation code was refused; `detail.code` says why.
    RedeemFailed,
    /// A device took a seat.
    DeviceActivated,
    /// A device was refused a seat; `detail.code` says why.
    ActivationFailed,
    /// A device's seat was freed.
    DeviceDeactivated,
    /// A EULA was accepted, declined or withdrawn.
    EulaDecision,
    /// The user made a support PIN.
    SupportPinCreated,
    /// A support agent checked the user's PIN or token.
    SupportVerification,
    /// The user let an app sign them in (OAuth).
    AppSignedIn,
    /// A spent sign-in token of an app came back, so someone else holds a
    /// copy: the app's sign-in was ended.
    AppTokenReplayed,
}

impl EventKind {
    /// Every kind, for exhaustive checks.
    pub const ALL: [Self; 24] = [
        Self::SignedUp,
        Self::SignedIn,
        Self::SignInFailed,
        Self::Reauthenticated,
        Self::PasswordChanged,
        Self::PasswordReset,
        Self::EmailChanged,
        Self::TotpEnrolled,
        Self::TotpRemoved,
        Self::PasskeyAdded,
        Self::PasskeyRemoved,
        Self::PasskeyPossiblyCloned,
        Self::RecoveryCodesGenerated,
        Self::RecoveryCodeUsed,
        Self::CodeRedeemed,
        Self::RedeemFailed,
        Self::DeviceActivated,
        Self::ActivationFailed,
        Self::DeviceDeactivated,
        Self::EulaDecision,
        Self::SupportPinCreated,
        Self::SupportVerification,
        Self::AppSignedIn,
        Self::AppTokenReplayed,
    ];

    /// The name stored and shown on timelines.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SignedUp => "signed_up",
            Self::SignedIn => "signed_in",
            Self::SignInFailed => "sign_in_failed",
            Self::Reauthenticated => "reauthenticated",
            Self::PasswordChanged => "password_changed",
            Self::PasswordReset => "password_reset",
            Self::EmailChanged => "email_changed",
            Self::TotpEnrolled => "totp_enrolled",
            Self::TotpRemoved => "totp_removed",
            Self::PasskeyAdded => "passkey_added",
            Self::PasskeyRemoved => "passkey_removed",
            Self::PasskeyPossiblyCloned => "passkey_possibly_cloned",
            Self::RecoveryCodesGenerated => "recovery_codes_generated",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::CodeRedeemed => "code_redeemed",
            Self::RedeemFailed => "redeem_failed",
            Self::DeviceActivated => "device_activated",
            Self::ActivationFailed => "activation_failed",
            Self::DeviceDeactivated => "device_deactivated",
            Self::EulaDecision => "eula_decision",
            Self::SupportPinCreated => "support_pin_created",
            Self::SupportVerification => "support_verification",
            Self::AppSignedIn => "app_signed_in",
            Self::AppTokenReplayed => "app_token_replayed",
        }
    }
}

/// An event about to be recorded.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The event's own id.
    pub id: EventId,
    /// Whose timeline it goes on.
    pub user_id: UserId,
    /// What happened.
    pub kind: EventKind,
    /// Facts about it (never a secret).
    pub detail: serde_json::Value,
    /// Where the request came from.
    pub ip: Option<String>,
    /// Which browser or app sent it (bounded).
    pub user_agent: Option<String>,
    /// When it happened.
    pub at: OffsetDateTime,
}

impl NewEvent {
    /// An event for `user_id`, from the request described by `client`.
    pub fn new(
        user_id: &UserId,
        kind: EventKind,
        detail: serde_json::Value,
        client: &ClientInfo,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            id: EventId::new(),
            user_id: user_id.clone(),
            kind,
            detail,
            ip: client.ip_text(),
            user_agent: client.bounded_user_agent(),
            at,
        }
    }
}

/// A recorded event, as timelines show it.
#[derive(Debug, Clone)]
pub struct UserEvent {
    /// The event's id.
    pub id: EventId,
    /// The kind as stored; kinds retired by later versions still read back.
    pub kind: String,
    /// Facts about it.
    pub detail: serde_json::Value,
    /// Where the request came from.
    pub ip: Option<String>,
    /// Which browser or app sent it.
    pub user_agent: Option<String>,
    /// When it happened.
    pub at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EventKind::ALL.len());
    }
}
