//! The vocabulary of refusals. Services fail with enums of reasons that
//! carry data; each reason names one [`Code`] here, the stable word clients
//! branch on, and adapters word it for people (English on the API, every
//! supported language on pages). Nothing here is a sentence.

use super::codes::{CodeError, FingerprintError};
use super::email::EmailError;
use super::password::PasswordError;

/// The stable codes of every refusal. The API sends [`Code::as_str`] as
/// `code`; pages look their words up by the variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// Well-formed input that breaks a rule.
    ValidationFailed,
    /// A body that is not JSON of the expected shape (sent as `validation_failed`).
    MalformedBody,
    /// Wrong email or password, or a refused code or passkey.
    InvalidCredentials,
    /// A signed-in user's proof (step-up, current password) was refused;
    /// the session itself stays good.
    StepUpFailed,
    /// The session did not use the factor this needs.
    MfaRequired,
    /// The account lacks the factor this needs.
    FactorEnrollmentRequired,
    /// A sensitive action needs a proof of identity in the last five minutes.
    ReauthenticationRequired,
    /// The product's current EULA must be accepted first.
    EulaAcceptanceRequired,
    /// The address must be verified first.
    EmailVerificationRequired,
    /// No valid credential came with the request.
    Unauthorized,
    /// The credential does not allow this.
    Forbidden,
    /// No such thing (or not the caller's).
    NotFound,
    /// The route exists, the method does not.
    MethodNotAllowed,
    /// A true duplicate: the thing exists already, or the request was made before.
    Conflict,
    /// Every seat of the license is taken.
    SeatLimitReached,
    /// The license is suspended.
    LicenseSuspended,
    /// The license is revoked.
    LicenseRevoked,
    /// The license has expired (under a `restrict` policy).
    LicenseExpired,
    /// The activation code has no uses left.
    ActivationCodeUsed,
    /// A floating seat's lease lapsed; the device must activate again.
    LeaseLapsed,
    /// The holder freed as many seats as the policy allows in 30 days.
    TransferLimitReached,
    /// A license needs the factor that was to be removed.
    FactorRequiredByLicense,
    /// The deployment cannot offer passkeys (its public URL has no domain name).
    PasskeysUnavailable,
    /// Too many failed sign-ins for the account.
    AccountLocked,
    /// Too many attempts from this client, or mails to this address.
    RateLimited,
    /// The body is too large.
    PayloadTooLarge,
    /// The body is not JSON.
    UnsupportedMediaType,
    /// The request took too long and was abandoned.
    Timeout,
    /// A dependency (the database) is unavailable.
    Unavailable,
    /// A bug or corrupt data; the cause is logged, never shown.
    Internal,
}

impl Code {
    /// Every code, for checks that each is worded everywhere.
    pub const ALL: [Self; 30] = [
        Self::ValidationFailed,
        Self::MalformedBody,
        Self::InvalidCredentials,
        Self::StepUpFailed,
        Self::MfaRequired,
        Self::FactorEnrollmentRequired,
        Self::ReauthenticationRequired,
        Self::EulaAcceptanceRequired,
        Self::EmailVerificationRequired,
        Self::Unauthorized,
        Self::Forbidden,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::Conflict,
        Self::SeatLimitReached,
        Self::LicenseSuspended,
        Self::LicenseRevoked,
        Self::LicenseExpired,
        Self::ActivationCodeUsed,
        Self::LeaseLapsed,
        Self::TransferLimitReached,
        Self::FactorRequiredByLicense,
        Self::PasskeysUnavailable,
        Self::AccountLocked,
        Self::RateLimited,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::Timeout,
        Self::Unavailable,
        Self::Internal,
    ];

    /// The word clients branch on.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ValidationFailed | Self::MalformedBody => "validation_failed",
            Self::InvalidCredentials => "invalid_credentials",
            Self::StepUpFailed => "step_up_failed",
            Self::MfaRequired => "mfa_required",
            Self::FactorEnrollmentRequired => "factor_enrollment_required",
            Self::ReauthenticationRequired => "reauthentication_required",
            Self::EulaAcceptanceRequired => "eula_acceptance_required",
            Self::EmailVerificationRequired => "email_verification_required",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict => "conflict",
            Self::SeatLimitReached => "seat_limit_reached",
            Self::LicenseSuspended => "license_suspended",
            Self::LicenseRevoked => "license_revoked",
            Self::LicenseExpired => "license_expired",
            Self::ActivationCodeUsed => "activation_code_used",
            Self::LeaseLapsed => "lease_lapsed",
            Self::TransferLimitReached => "transfer_limit_reached",
            Self::FactorRequiredByLicense => "factor_required_by_license",
            Self::PasskeysUnavailable => "passkeys_unavailable",
            Self::AccountLocked => "account_locked",
            Self::RateLimited => "rate_limited",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Timeout => "timeout",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }
}

/// Which rule a field of a request broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Not an email address.
    Email(EmailError),
    /// Not an acceptable password.
    Password(PasswordError),
    /// Not an activation code as we print them.
    ActivationCode(CodeError),
    /// Not a usable device fingerprint.
    Fingerprint(FingerprintError),
    /// Must be present for this request.
    Required,
    /// Optional text: at most `max_chars` characters, no control characters.
    Text {
        /// The most characters allowed.
        max_chars: usize,
    },
    /// A name: 1 to `max_chars` printable characters.
    Name {
        /// The most characters allowed.
        max_chars: usize,
    },
    /// A name in URLs: 1 to `max_chars` characters, no control characters or `/`.
    PathSafeName {
        /// The most characters allowed.
        max_chars: usize,
    },
    /// Non-empty, at most `max_bytes` bytes.
    Bytes {
        /// The most bytes allowed.
        max_bytes: usize,
    },
    /// A language tag such as `en` or `de-CH`.
    LanguageTag,
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// A whole number in this range.
    Between {
        /// The smallest allowed.
        min: i64,
        /// The largest allowed.
        max: i64,
    },
    /// A time that has not passed yet.
    InFuture,
    /// No license policy has this name.
    UnknownPolicy,
    /// The policy is perpetual, so the new expiry must be given.
    PerpetualPolicy,
    /// No integration has this name.
    UnknownAudience,
    /// Not a published version of the product's EULA.
    NotPublished,
    /// Not the SHA-256 of the published text.
    HashMismatch,
    /// A mailed link that is unknown, used or expired.
    LinkExpired,
    /// A one-click "remove this device" link that is forged or expired.
    RemovalLinkExpired,
    /// Accounts with a second factor must step up with it, not the password.
    SecondFactorRequired,
    /// Not a WebAuthn credential as browsers send it.
    NotACredential,
    /// Not one of our ids (a UUID).
    Id,
    /// Holds a control character (NUL, escape…), which nothing a person types does.
    NoControlCharacters,
}

/// A field that broke a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The field as the request named it.
    pub field: &'static str,
    /// What it broke.
    pub rule: Rule,
}

impl Invalid {
    /// `field` broke `rule`.
    pub const fn new(field: &'static str, rule: Rule) -> Self {
        Self { field, rule }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {:?}", self.field, self.rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_snake_case_word() {
        for code in Code::ALL {
            let word = code.as_str();
            assert!(!word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{word}");
        }
    }
}
