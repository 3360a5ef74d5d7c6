//! English for every reason a service refuses: the API's wording. Pages
//! word the same reasons in each language from their own messages.

use super::error::ApiError;
use crate::accounts::{AccountError, CodeRefusal};
use crate::api_keys::ApiKeyError;
use crate::domain::codes::{CodeError, FingerprintError};
use crate::domain::email::EmailError;
use crate::domain::factors::{Factor, Shortfall};
use crate::domain::password::PasswordError;
use crate::domain::reason::{Code, Invalid, Rule};
use crate::eula::EulaError;
use crate::factors::{FactorError, Refusal};
use crate::health::NotReady;
use crate::licensing::LicenseError;
use crate::support::SupportError;
use crate::tokens::{KeyError, TokenError};

/// What a field's rule says, as a sentence about the field.
pub fn rule(rule: &Rule) -> String {
    match rule {
        Rule::Email(EmailError::Empty) => "is empty".into(),
        Rule::Email(EmailError::TooLong) => "is longer than 254 characters".into(),
        Rule::Email(EmailError::Malformed) => "is not an email address (expected name@example.com)".into(),
        Rule::Email(EmailError::InvisibleCharacter) => "contains an invisible or text-direction character".into(),
        Rule::Password(PasswordError::TooShort) => {
            format!("must be at least {} characters", crate::domain::password::MIN_CHARS)
        }
        Rule::Password(PasswordError::TooLong) => {
            format!("must be at most {} bytes", crate::domain::password::MAX_BYTES)
        }
        Rule::ActivationCode(CodeError::WrongLength(n)) => {
            format!("must be {n} characters (dashes and spaces are ignored)")
        }
        Rule::ActivationCode(CodeError::BadSymbol(c)) => format!("contains `{c}`, which is not used in codes"),
        Rule::ActivationCode(CodeError::CheckFailed) => "has a typo: a character is wrong or two are swapped".into(),
        Rule::Fingerprint(FingerprintError::Empty) => "must not be empty".into(),
        Rule::Fingerprint(FingerprintError::TooLong) => {
            format!("must be at most {} bytes", crate::domain::codes::MAX_FINGERPRINT_BYTES)
        }
        Rule::Required => "is required".into(),
        Rule::Text { max_chars } => format!("must be at most {max_chars} characters, without control characters"),
        Rule::Name { max_chars } => format!("must be 1 to {max_chars} printable characters"),
        Rule::PathSafeName { max_chars } => {
            format!("must be 1 to {max_chars} characters, without control characters or '/'")
        }
        Rule::Bytes { max_bytes } => format!("must be text of at most {max_bytes} bytes"),
        Rule::LanguageTag => "must be a language tag such as en or de-CH".into(),
        Rule::OneOf(words) => format!("must be one of: {}", words.join(", ")),
        Rule::Between { min, max } => format!("must be between {min} and {max}"),
        Rule::InFuture => "must be in the future".into(),
        Rule::UnknownPolicy => "no policy has this name".into(),
        Rule::PerpetualPolicy => "this policy is perpetual; give the new expiry explicitly".into(),
        Rule::UnknownAudience => "no integration has this name".into(),
        Rule::NotPublished => "is not a published version of this product's EULA".into(),
        Rule::HashMismatch => "is not the SHA-256 of this version's published text".into(),
        Rule::LinkExpired => "is unknown, used or expired; ask for a new link".into(),
        Rule::RemovalLinkExpired => "is not valid or has expired; sign in to manage your devices".into(),
        Rule::SecondFactorRequired => {
            "must be a second factor (totp, webauthn or recovery_code) for this account".into()
        }
        Rule::NotACredential => "is not a WebAuthn credential".into(),
        Rule::Id => "is not an id (a UUID)".into(),
        Rule::NoControlCharacters => "must not contain control characters".into(),
    }
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        ApiError::validation(invalid.field, rule(&invalid.rule))
    }
}

/// What a factor is, in a sentence.
fn describe(factor: Factor) -> &'static str {
    match factor {
        Factor::SecondFactor => "a second factor (an authenticator app or a passkey)",
        Factor::Passkey => "a passkey",
    }
}

/// Our own failure, by the code its service gave it: an outage answers as
/// retryable, anything else opaquely; either way the cause is logged.
fn failure(code: Code, cause: impl std::fmt::Display) -> ApiError {
    if code == Code::Unavailable { ApiError::unavailable(cause) } else { ApiError::internal(cause) }
}

impl From<KeyError> for ApiError {
    fn from(error: KeyError) -> Self {
        let code = error.code();
        match error {
            KeyError::RotatedTooOften { retry_after_secs } => Self::new(
                code,
                format!(
                    "The signing key was rotated {} times in the last hour, the most allowed. \
                     Try again in {retry_after_secs} seconds.",
                    crate::tokens::ROTATIONS_PER_HOUR
                ),
            )
            .retry_after(retry_after_secs),
            KeyError::TooManyPublished { retry_after_secs } => Self::new(
                code,
                format!(
                    "{} retired signing keys are still published, the most allowed. \
                     Try again in {retry_after_secs} seconds, when the oldest has expired.",
                    crate::tokens::MAX_PUBLISHED
                ),
            )
            .retry_after(retry_after_secs),
            KeyError::Store(_) | KeyError::Crypto(_) => failure(code, error),
        }
    }
}

impl From<NotReady> for ApiError {
    fn from(error: NotReady) -> Self {
        tracing::warn!(%error, "not ready");
        Self::new(Code::Unavailable, "").retry_after(super::error::RETRY_UNAVAILABLE_SECS)
    }
}

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        let code = error.code();
        match error {
            AccountError::Invalid(invalid) => invalid.into(),
            AccountError::InvalidCredentials => Self::new(code, "The email or password is incorrect."),
            AccountError::WrongCurrentPassword => Self::new(code, "That is not your current password."),
            AccountError::AccountLocked { retry_after_secs } => Self::new(
                code,
                format!("Too many failed sign-in attempts for this account. Try again in {retry_after_secs} seconds."),
            )
            .retry_after(retry_after_secs),
            AccountError::SameEmail => Self::new(code, "This is already your email address."),
            AccountError::AlreadyVerified => Self::new(code, "Your email address is already verified."),
            AccountError::CodeRefused(CodeRefusal::Unknown) => Self::new(
                code,
                "That activation code was not found. Check it against your receipt or the mail it came in.",
            ),
            AccountError::CodeRefused(CodeRefusal::UsedUp) => {
                Self::new(code, "This activation code has already been used.")
            }
            AccountError::Unauthenticated => Self::new(code, "A valid session token is required."),
            AccountError::NotFound => Self::not_found(),
            AccountError::ReauthenticationRequired => {
                Self::new(code, "Confirm it is you at POST /v1/me/reauthenticate, then try again within five minutes.")
            }
            AccountError::StrongerProofRequired(factor) => Self::new(
                code,
                format!(
                    "Confirm it is you with {} at POST /v1/me/reauthenticate, then try again within five minutes.",
                    factor.describe()
                ),
            )
            .with_factor(factor),
            AccountError::RateLimited { retry_after_secs } => {
                Self::new(code, format!("Too many requests of this kind. Try again in {retry_after_secs} seconds."))
                    .retry_after(retry_after_secs)
            }
            AccountError::Busy => Self::new(code, "").retry_after(super::error::RETRY_UNAVAILABLE_SECS),
            AccountError::Store(e) => failure(code, e),
            AccountError::Hashing(cause) => Self::internal(format!("password hashing: {cause}")),
        }
    }
}

impl From<Shortfall> for ApiError {
    fn from(shortfall: Shortfall) -> Self {
        match shortfall {
            Shortfall::EnrollmentRequired(factor) => Self::new(
                Code::FactorEnrollmentRequired,
                format!("This needs {} on your account: set one up first.", describe(factor)),
            )
            .with_factor(factor),
            Shortfall::StrongerSignInRequired(factor) => Self::new(
                Code::MfaRequired,
                format!(
                    "This needs a session that used {}: confirm it at POST /v1/me/reauthenticate, or sign in again with it.",
                    describe(factor)
                ),
            )
            .with_factor(factor),
        }
    }
}

fn refusal(what: Refusal) -> &'static str {
    match what {
        Refusal::Password => "That is not your current password.",
        Refusal::TotpCode => "That code is not right; check the time on your device.",
        Refusal::RecoveryCode => "That recovery code is not right, or was already used.",
        Refusal::Passkey => {
            "The passkey answer was not accepted: it was for another site or challenge, lacked user \
             verification, or the challenge expired or was already used. Start again."
        }
        Refusal::PossiblyCloned => {
            "This passkey's signature counter did not move forward, which is what a cloned authenticator \
             looks like. The sign-in was refused and the account's security events record it."
        }
    }
}

impl From<FactorError> for ApiError {
    fn from(error: FactorError) -> Self {
        let code = error.code();
        match error {
            FactorError::Invalid(invalid) => invalid.into(),
            FactorError::Account(e) => e.into(),
            FactorError::PendingSignInGone => {
                Self::new(code, "This sign-in has expired or ended; start again with your email and password.")
            }
            FactorError::Refused { what, attempts_left: Some(0) } => Self::new(
                code,
                format!(
                    "{} Too many wrong answers: this sign-in has ended; start again with your password.",
                    refusal(what)
                ),
            ),
            FactorError::Refused { what, .. } => Self::new(code, refusal(what)),
            FactorError::StepUpRefused(what) => {
                Self::new(code, format!("{} You are still signed in; try again.", refusal(what)))
            }
            FactorError::Shortfall(shortfall) => shortfall.into(),
            FactorError::ReauthenticationRequired => AccountError::ReauthenticationRequired.into(),
            FactorError::StrongerProofRequired(factor) => AccountError::StrongerProofRequired(factor).into(),
            FactorError::TotpAlreadySetUp => {
                Self::new(code, "An authenticator app is already set up; remove it before adding another.")
            }
            FactorError::NothingToConfirm => Self::new(code, "There is no authenticator app waiting for confirmation."),
            FactorError::RequiredByLicense { product, factor } => Self::new(
                code,
                format!(
                    "Your license for {} requires {}; add another one before removing this one.",
                    product.as_deref().unwrap_or("a product"),
                    describe(factor)
                ),
            )
            .with_factor(factor),
            FactorError::PasskeysUnavailable => Self::new(
                code,
                "Passkeys need LATCHKEY_PUBLIC_URL to name the site by a domain name, not an IP address.",
            ),
            FactorError::PasskeyAlreadyRegistered => Self::new(code, "This passkey is already registered."),
            FactorError::NotFound => Self::not_found(),
            FactorError::Store(e) => failure(code, e),
            FactorError::Corrupt(cause) => Self::internal(cause),
        }
    }
}

impl From<EulaError> for ApiError {
    fn from(error: EulaError) -> Self {
        let code = error.code();
        match error {
            EulaError::Invalid(invalid) => invalid.into(),
            EulaError::NotFound => Self::not_found(),
            EulaError::AlreadyPublished { product, version, locale } => Self::new(
                code,
                format!(
                    "Version {version} of the {product} EULA ({locale}) is already published; published versions never change."
                ),
            ),
            EulaError::NothingToWithdraw => Self::new(code, "Only the version you last accepted can be withdrawn."),
            EulaError::AcceptanceRequired { product, version } => Self::new(
                code,
                format!("Accept version {version} of the {product} EULA first (POST /v1/me/eula-acceptances)."),
            )
            .with_eula(product, version),
            EulaError::Store(e) => failure(code, e),
        }
    }
}

const VERIFY_FIRST: &str =
    "Verify your email address first: follow the link we sent, or ask for a new one at POST /v1/me/email-verification.";

impl From<LicenseError> for ApiError {
    fn from(error: LicenseError) -> Self {
        let code = error.code();
        match error {
            LicenseError::Invalid(invalid) => invalid.into(),
            LicenseError::NotFound => Self::not_found(),
            LicenseError::LicenseSuspended => Self::new(code, "This license is suspended."),
            LicenseError::LicenseRevoked => Self::new(code, "This license has been revoked."),
            LicenseError::LicenseExpired => Self::new(code, "This license has expired."),
            LicenseError::CodeUsedUp => Self::new(code, "This activation code has already been used."),
            LicenseError::LeaseLapsed => Self::new(code, "The lease has lapsed; activate again."),
            LicenseError::SeatLimitReached => Self::new(code, "Every seat of this license is taken."),
            LicenseError::TransferLimitReached { retry_after_secs } => {
                Self::new(code, "You have moved this license between devices as often as its policy allows in 30 days.")
                    .retry_after(retry_after_secs)
            }
            LicenseError::AlreadyInStatus(status) => Self::new(code, format!("The license is {}.", status.as_str())),
            LicenseError::IdempotencyKeyReused => {
                Self::new(code, "This Idempotency-Key was used with a different request.")
            }
            LicenseError::EmailUnverified => Self::new(code, VERIFY_FIRST),
            LicenseError::Factor(e) => e.into(),
            LicenseError::Eula(e) => e.into(),
            LicenseError::Keys(e) => e.into(),
            LicenseError::Store(e) => failure(code, e),
        }
    }
}

impl From<TokenError> for ApiError {
    fn from(error: TokenError) -> Self {
        let code = error.code();
        match error {
            TokenError::Invalid(invalid) => invalid.into(),
            TokenError::NotAllowed(_) => Self::new(code, "None of your licenses allows tokens for this audience."),
            TokenError::SecretMissing(name) => Self::new(
                code,
                format!(
                    "The `{name}` integration is not set up yet, so its token cannot be made. \
                     The operator sets it up with `latchkey admin integration set-secret {name}`."
                ),
            )
            // Waiting on a person, not a blip: clients should not retry every second.
            .retry_after(300),
            TokenError::EmailUnverified => Self::new(code, VERIFY_FIRST),
            TokenError::NotSettable { integration, reason } => {
                ApiError::validation("integration", format!("`{integration}`: {reason}"))
            }
            TokenError::Factor(e) => e.into(),
            TokenError::Eula(e) => e.into(),
            TokenError::Store(e) => failure(code, e),
            TokenError::Keys(e) => e.into(),
        }
    }
}

impl From<SupportError> for ApiError {
    fn from(error: SupportError) -> Self {
        let code = error.code();
        match error {
            SupportError::Invalid(invalid) => invalid.into(),
            SupportError::Locked { retry_after_secs } => Self::rate_limited(retry_after_secs),
            SupportError::NotFound => Self::not_found(),
            SupportError::Eula(e) => e.into(),
            SupportError::Token(e) => e.into(),
            SupportError::Store(e) => failure(code, e),
        }
    }
}

impl From<ApiKeyError> for ApiError {
    fn from(error: ApiKeyError) -> Self {
        let code = error.code();
        match error {
            ApiKeyError::Invalid(invalid) => invalid.into(),
            ApiKeyError::Unauthenticated => Self::unauthorized(MISSING_API_KEY),
            ApiKeyError::NotFound => Self::not_found(),
            ApiKeyError::Store(e) => failure(code, e),
        }
    }
}

/// Why a staff route refused a request without a key.
pub const MISSING_API_KEY: &str = "An API key is required (Authorization: Bearer lk_adm_… or lk_sup_…).";

#[cfg(test)]
mod tests {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;

    use super::*;

    #[test]
    fn a_busy_reset_is_a_retryable_503_that_names_no_account() {
        let response = ApiError::from(AccountError::Busy).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn rotation_limits_are_rate_limited_with_the_wait() {
        let error = ApiError::from(KeyError::RotatedTooOften { retry_after_secs: 1800 });
        assert_eq!(error.code(), Code::RateLimited);
        assert!(error.message().contains("1800 seconds"), "{}", error.message());
        let response = ApiError::from(KeyError::TooManyPublished { retry_after_secs: 60 }).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "60");
    }
}
