//! Every refusal a service makes, worded for people in their language: the
//! pages' counterpart of `http::words`. A refusal becomes a [`Said`]: the
//! message keys of what happened and what to do next, their arguments, and
//! the field it concerns, if any. The words are in `locales/*/reasons.ftl`.

use axum::http::StatusCode;
use fluent_templates::fluent_bundle::FluentValue;

use super::i18n::{Args, Lang, arg};
use crate::accounts::{AccountError, CodeRefusal};
use crate::domain::codes::{CodeError, FingerprintError};
use crate::domain::email::EmailError;
use crate::domain::factors::{Factor, Shortfall};
use crate::domain::password::PasswordError;
use crate::domain::reason::{Code, Invalid, Rule};
use crate::eula::EulaError;
use crate::factors::{FactorError, Refusal};
use crate::licensing::LicenseError;
use crate::oauth::{OAuthError, Problem};
use crate::support::SupportError;
use crate::tokens::TokenError;

/// A refusal, ready to be worded in any language.
#[derive(Debug, Clone)]
pub struct Said {
    /// The stable code, for the status and for tests.
    pub code: Code,
    /// What happened: a message key.
    pub what: &'static str,
    /// What to do next: a message key.
    pub next: &'static str,
    /// Arguments of both messages; durations and factor names are worded
    /// when shown, so they come in the page's language.
    pub args: Vec<(&'static str, Arg)>,
    /// The form field it concerns, when one was wrong.
    pub field: Option<&'static str>,
    /// For failures: what really happened, logged once and never shown.
    pub cause: Option<String>,
}

/// An argument of a reason's message.
#[derive(Debug, Clone)]
pub enum Arg {
    /// A number.
    Number(i64),
    /// Text shown as it is.
    Text(String),
    /// A wait of this many seconds, worded in the page's language.
    Wait(u64),
    /// A factor's name, worded in the page's language.
    Factor(Factor),
}

impl Said {
    /// The general wording of `code`.
    pub fn code(code: Code) -> Self {
        let (what, next) = keys(code);
        Self { code, what, next, args: Vec::new(), field: None, cause: None }
    }

    /// The wording of `code`, with a more specific first sentence.
    fn specific(code: Code, what: &'static str) -> Self {
        Self { what, ..Self::code(code) }
    }

    /// The factor the refusal asks for, when it names one.
    pub fn factor(&self) -> Option<Factor> {
        self.args.iter().find_map(|(_, value)| match value {
            Arg::Factor(factor) => Some(*factor),
            _ => None,
        })
    }

    /// How long to wait before trying again, when the refusal says.
    pub fn wait_secs(&self) -> Option<u64> {
        self.args.iter().find_map(|(_, value)| match value {
            Arg::Wait(seconds) => Some(*seconds),
            _ => None,
        })
    }

    /// Too many attempts from this client: wait this many seconds.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::code(Code::RateLimited).with("wait", Arg::Wait(retry_after_secs))
    }

    /// The same, naming the factor it asks for.
    pub fn with_factor(self, factor: Factor) -> Self {
        self.with("factor", Arg::Factor(factor))
    }

    fn with(mut self, name: &'static str, value: Arg) -> Self {
        self.args.push((name, value));
        self
    }

    fn failure(code: Code, cause: impl std::fmt::Display) -> Self {
        Self { cause: Some(cause.to_string()), ..Self::code(code) }
    }

    /// The HTTP status a page showing this answers with.
    pub fn status(&self) -> StatusCode {
        match self.code {
            Code::ValidationFailed | Code::MalformedBody => StatusCode::UNPROCESSABLE_ENTITY,
            Code::InvalidCredentials | Code::Unauthorized => StatusCode::UNAUTHORIZED,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Code::Conflict
            | Code::SeatLimitReached
            | Code::LicenseSuspended
            | Code::LicenseRevoked
            | Code::LicenseExpired
            | Code::ActivationCodeUsed
            | Code::LeaseLapsed
            | Code::FactorRequiredByLicense => StatusCode::CONFLICT,
            Code::AccountLocked | Code::RateLimited | Code::TransferLimitReached => StatusCode::TOO_MANY_REQUESTS,
            Code::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Code::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::Timeout | Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::FORBIDDEN,
        }
    }

    fn args_in(&self, lang: Lang) -> Args {
        self.args
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    Arg::Number(n) => FluentValue::from(*n),
                    Arg::Text(text) => arg(text.clone()),
                    Arg::Wait(seconds) => arg(lang.wait(*seconds)),
                    Arg::Factor(factor) => arg(lang.t(factor_key(*factor))),
                };
                (*name, value)
            })
            .collect()
    }

    /// What happened, in `lang`.
    pub fn what_in(&self, lang: Lang) -> String {
        lang.t_with(self.what, self.args_in(lang))
    }

    /// What to do next, in `lang`.
    pub fn next_in(&self, lang: Lang) -> String {
        lang.t_with(self.next, self.args_in(lang))
    }
}

/// The message keys of a code's general wording.
pub fn keys(code: Code) -> (&'static str, &'static str) {
    macro_rules! keys {
        ($($variant:ident => $word:literal),+ $(,)?) => {
            match code { $(Code::$variant => (concat!("reason-", $word), concat!("reason-", $word, "-next"))),+ }
        };
    }
    keys! {
        ValidationFailed => "validation_failed",
        MalformedBody => "validation_failed",
        InvalidCredentials => "invalid_credentials",
        StepUpFailed => "step_up_failed",
        MfaRequired => "mfa_required",
        FactorEnrollmentRequired => "factor_enrollment_required",
        ReauthenticationRequired => "reauthentication_required",
        EulaAcceptanceRequired => "eula_acceptance_required",
        EmailVerificationRequired => "email_verification_required",
        Unauthorized => "unauthorized",
        Forbidden => "forbidden",
        NotFound => "not_found",
        MethodNotAllowed => "method_not_allowed",
        Conflict => "conflict",
        SeatLimitReached => "seat_limit_reached",
        TransferLimitReached => "transfer_limit_reached",
        LicenseSuspended => "license_suspended",
        LicenseRevoked => "license_revoked",
        LicenseExpired => "license_expired",
        ActivationCodeUsed => "activation_code_used",
        LeaseLapsed => "lease_lapsed",
        FactorRequiredByLicense => "factor_required_by_license",
        PasskeysUnavailable => "passkeys_unavailable",
        AccountLocked => "account_locked",
        RateLimited => "rate_limited",
        PayloadTooLarge => "payload_too_large",
        UnsupportedMediaType => "unsupported_media_type",
        Timeout => "timeout",
        Unavailable => "unavailable",
        Internal => "internal",
    }
}

/// The message key of a factor's name.
pub const fn factor_key(factor: Factor) -> &'static str {
    match factor {
        Factor::SecondFactor => "factor-second_factor",
        Factor::Passkey => "factor-passkey",
    }
}

/// The message key and arguments of a field's rule.
pub fn rule(rule: &Rule) -> (&'static str, Vec<(&'static str, Arg)>) {
    let max = |n: usize| vec![("max", Arg::Number(i64::try_from(n).unwrap_or(i64::MAX)))];
    match rule {
        Rule::Email(EmailError::Empty) => ("rule-email-empty", vec![]),
        Rule::Email(EmailError::TooLong) => ("rule-email-too_long", vec![]),
        Rule::Email(EmailError::Malformed) => ("rule-email-malformed", vec![]),
        Rule::Email(EmailError::InvisibleCharacter) => ("rule-email-invisible", vec![]),
        Rule::Password(PasswordError::TooShort) => (
            "rule-password-too_short",
            vec![("min", Arg::Number(i64::try_from(crate::domain::password::MIN_CHARS).unwrap_or(10)))],
        ),
        Rule::Password(PasswordError::TooLong) => ("rule-password-too_long", max(crate::domain::password::MAX_BYTES)),
        Rule::ActivationCode(CodeError::WrongLength(n)) => {
            ("rule-code-wrong_length", vec![("n", Arg::Number(i64::try_from(*n).unwrap_or(0)))])
        }
        Rule::ActivationCode(CodeError::BadSymbol(c)) => {
            ("rule-code-bad_symbol", vec![("symbol", Arg::Text(c.to_string()))])
        }
        Rule::ActivationCode(CodeError::CheckFailed) => ("rule-code-check_failed", vec![]),
        Rule::Fingerprint(FingerprintError::Empty) => ("rule-fingerprint-empty", vec![]),
        Rule::Fingerprint(FingerprintError::TooLong) => {
            ("rule-fingerprint-too_long", max(crate::domain::codes::MAX_FINGERPRINT_BYTES))
        }
        Rule::Required => ("rule-required", vec![]),
        Rule::Text { max_chars } => ("rule-text", max(*max_chars)),
        Rule::Name { max_chars } => ("rule-name", max(*max_chars)),
        Rule::PathSafeName { max_chars } => ("rule-path_safe_name", max(*max_chars)),
        Rule::Bytes { max_bytes } => ("rule-bytes", max(*max_bytes)),
        Rule::LanguageTag => ("rule-language_tag", vec![]),
        Rule::OneOf(words) => ("rule-one_of", vec![("words", Arg::Text(words.join(", ")))]),
        Rule::Between { min, max } => ("rule-between", vec![("min", Arg::Number(*min)), ("max", Arg::Number(*max))]),
        Rule::InFuture => ("rule-in_future", vec![]),
        Rule::UnknownPolicy => ("rule-unknown_policy", vec![]),
        Rule::PerpetualPolicy => ("rule-perpetual_policy", vec![]),
        Rule::UnknownAudience => ("rule-unknown_audience", vec![]),
        Rule::NotPublished => ("rule-not_published", vec![]),
        Rule::HashMismatch => ("rule-hash_mismatch", vec![]),
        Rule::LinkExpired => ("rule-link_expired", vec![]),
        Rule::RemovalLinkExpired => ("rule-removal_link_expired", vec![]),
        Rule::SecondFactorRequired => ("rule-second_factor_required", vec![]),
        Rule::NotACredential => ("rule-not_a_credential", vec![]),
        Rule::Id => ("rule-id", vec![]),
        Rule::NoControlCharacters => ("rule-no_control_characters", vec![]),
    }
}

impl From<Invalid> for Said {
    fn from(invalid: Invalid) -> Self {
        let (what, args) = rule(&invalid.rule);
        // A link has no highlighted field to check: the link itself is the next thing to look at.
        let next = if invalid.field == "link" { "reason-not_found-next" } else { keys(Code::ValidationFailed).1 };
        Self { field: Some(invalid.field), args, next, ..Self::specific(Code::ValidationFailed, what) }
    }
}

impl From<AccountError> for Said {
    fn from(error: AccountError) -> Self {
        let code = error.code();
        match error {
            AccountError::Invalid(invalid) => invalid.into(),
            AccountError::WrongCurrentPassword => Self::specific(code, "refusal-password"),
            AccountError::AccountLocked { retry_after_secs } | AccountError::RateLimited { retry_after_secs } => {
                Self::code(code).with("wait", Arg::Wait(retry_after_secs))
            }
            AccountError::SameEmail => Self::specific(code, "account-same_email"),
            AccountError::AlreadyVerified => Self::specific(code, "account-already_verified"),
            AccountError::CodeRefused(CodeRefusal::Unknown) => Self::specific(code, "code-unknown"),
            AccountError::CodeRefused(CodeRefusal::UsedUp) => Self::specific(code, "code-used_up"),
            AccountError::StrongerProofRequired(factor) => Self::code(code).with("factor", Arg::Factor(factor)),
            AccountError::ReauthenticationRequired => {
                Self::code(code).with("factor", Arg::Factor(Factor::SecondFactor))
            }
            AccountError::Busy => Self::specific(code, "busy"),
            AccountError::Store(e) => Self::failure(code, e),
            AccountError::Hashing(cause) => Self::failure(code, cause),
            AccountError::InvalidCredentials | AccountError::Unauthenticated | AccountError::NotFound => {
                Self::code(code)
            }
        }
    }
}

impl From<Shortfall> for Said {
    fn from(shortfall: Shortfall) -> Self {
        match shortfall {
            Shortfall::EnrollmentRequired(factor) => {
                Self::code(Code::FactorEnrollmentRequired).with("factor", Arg::Factor(factor))
            }
            Shortfall::StrongerSignInRequired(factor) => {
                Self::code(Code::MfaRequired).with("factor", Arg::Factor(factor))
            }
        }
    }
}

const fn refusal(what: Refusal) -> &'static str {
    match what {
        Refusal::Password => "refusal-password",
        Refusal::TotpCode => "refusal-totp_code",
        Refusal::RecoveryCode => "refusal-recovery_code",
        Refusal::Passkey => "refusal-passkey",
        Refusal::PossiblyCloned => "refusal-possibly_cloned",
    }
}

impl From<FactorError> for Said {
    fn from(error: FactorError) -> Self {
        let code = error.code();
        match error {
            FactorError::Invalid(invalid) => invalid.into(),
            FactorError::Account(e) => e.into(),
            FactorError::PendingSignInGone => Self::specific(code, "pending-gone"),
            FactorError::Refused { attempts_left: Some(0), .. } => Self::specific(code, "refusal-no_attempts_left"),
            FactorError::Refused { what, .. } | FactorError::StepUpRefused(what) => Self::specific(code, refusal(what)),
            FactorError::Shortfall(shortfall) => shortfall.into(),
            FactorError::ReauthenticationRequired => AccountError::ReauthenticationRequired.into(),
            FactorError::StrongerProofRequired(factor) => AccountError::StrongerProofRequired(factor).into(),
            FactorError::TotpAlreadySetUp => Self::specific(code, "totp-already_set_up"),
            FactorError::NothingToConfirm => Self::specific(code, "totp-nothing_to_confirm"),
            FactorError::RequiredByLicense { factor, .. } => Self::code(code).with("factor", Arg::Factor(factor)),
            FactorError::PasskeyAlreadyRegistered => Self::specific(code, "passkey-already_registered"),
            FactorError::PasskeysUnavailable | FactorError::NotFound => Self::code(code),
            FactorError::Store(e) => Self::failure(code, e),
            FactorError::Corrupt(cause) => Self::failure(code, cause),
        }
    }
}

impl From<EulaError> for Said {
    fn from(error: EulaError) -> Self {
        let code = error.code();
        match error {
            EulaError::Invalid(invalid) => invalid.into(),
            EulaError::NothingToWithdraw => Self::specific(code, "eula-already_decided"),
            EulaError::Store(e) => Self::failure(code, e),
            EulaError::NotFound | EulaError::AlreadyPublished { .. } | EulaError::AcceptanceRequired { .. } => {
                Self::code(code)
            }
        }
    }
}

impl From<LicenseError> for Said {
    fn from(error: LicenseError) -> Self {
        let code = error.code();
        match error {
            LicenseError::Invalid(invalid) => invalid.into(),
            LicenseError::CodeUsedUp => Self::specific(code, "code-used_up"),
            LicenseError::TransferLimitReached { retry_after_secs } => {
                Self::code(code).with("wait", Arg::Wait(retry_after_secs))
            }
            LicenseError::Factor(e) => e.into(),
            LicenseError::Eula(e) => e.into(),
            LicenseError::Keys(e) => Self::failure(e.code(), e),
            LicenseError::Store(e) => Self::failure(code, e),
            _ => Self::code(code),
        }
    }
}

impl From<TokenError> for Said {
    fn from(error: TokenError) -> Self {
        let code = error.code();
        match error {
            TokenError::Invalid(invalid) => invalid.into(),
            TokenError::Factor(e) => e.into(),
            TokenError::Eula(e) => e.into(),
            TokenError::Keys(e) => Self::failure(e.code(), e),
            TokenError::Store(e) => Self::failure(code, e),
            _ => Self::code(code),
        }
    }
}

impl From<OAuthError> for Said {
    fn from(error: OAuthError) -> Self {
        match error {
            OAuthError::Factor(e) => e.into(),
            OAuthError::Eula(e) => e.into(),
            OAuthError::License(e) => e.into(),
            OAuthError::Keys(e) => Self::failure(e.code(), e),
            OAuthError::Store(e) if e.is_outage() => Self::failure(Code::Unavailable, e),
            OAuthError::Store(e) => Self::failure(Code::Internal, e),
            OAuthError::Locked { retry_after_secs } => {
                Self::code(Code::RateLimited).with("wait", Arg::Wait(retry_after_secs))
            }
            OAuthError::Refused(Problem::UserCode) => {
                Self { field: Some("user_code"), ..Self::specific(Code::ValidationFailed, "device-code-wrong") }
            }
            // The pages check requests before they act; another refusal here is ours.
            OAuthError::Refused(problem) => Self::failure(Code::Internal, format!("{problem:?}")),
        }
    }
}

impl From<SupportError> for Said {
    fn from(error: SupportError) -> Self {
        let code = error.code();
        match error {
            SupportError::Invalid(invalid) => invalid.into(),
            SupportError::Locked { retry_after_secs } => {
                Self::code(Code::RateLimited).with("wait", Arg::Wait(retry_after_secs))
            }
            SupportError::Eula(e) => e.into(),
            SupportError::Token(e) => e.into(),
            SupportError::Store(e) => Self::failure(code, e),
            SupportError::NotFound => Self::code(code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_rule() -> Vec<Rule> {
        vec![
            Rule::Email(EmailError::Empty),
            Rule::Email(EmailError::TooLong),
            Rule::Email(EmailError::Malformed),
            Rule::Email(EmailError::InvisibleCharacter),
            Rule::Password(PasswordError::TooShort),
            Rule::Password(PasswordError::TooLong),
            Rule::ActivationCode(CodeError::WrongLength(16)),
            Rule::ActivationCode(CodeError::BadSymbol('U')),
            Rule::ActivationCode(CodeError::CheckFailed),
            Rule::Fingerprint(FingerprintError::Empty),
            Rule::Fingerprint(FingerprintError::TooLong),
            Rule::Required,
            Rule::Text { max_chars: 200 },
            Rule::Name { max_chars: 100 },
            Rule::PathSafeName { max_chars: 64 },
            Rule::Bytes { max_bytes: 1024 },
            Rule::LanguageTag,
            Rule::OneOf(&["a", "b"]),
            Rule::Between { min: 1, max: 9 },
            Rule::InFuture,
            Rule::UnknownPolicy,
            Rule::PerpetualPolicy,
            Rule::UnknownAudience,
            Rule::NotPublished,
            Rule::HashMismatch,
            Rule::LinkExpired,
            Rule::RemovalLinkExpired,
            Rule::SecondFactorRequired,
            Rule::NotACredential,
            Rule::Id,
            Rule::NoControlCharacters,
        ]
    }

    /// Every reason a service can give, and every rule a field can break,
    /// has its words in every language: a new code or a new language
    /// without them fails here, not in front of a user.
    #[test]
    fn every_reason_is_worded_in_every_language() {
        let mut keys: Vec<&'static str> = Vec::new();
        for code in Code::ALL {
            let (what, next) = super::keys(code);
            keys.extend([what, next]);
        }
        for rule in every_rule() {
            keys.push(super::rule(&rule).0);
        }
        keys.extend([factor_key(Factor::SecondFactor), factor_key(Factor::Passkey), "wait-seconds", "wait-minutes"]);
        for what in
            [Refusal::Password, Refusal::TotpCode, Refusal::RecoveryCode, Refusal::Passkey, Refusal::PossiblyCloned]
        {
            keys.push(refusal(what));
        }
        keys.extend([
            "refusal-no_attempts_left",
            "code-unknown",
            "code-used_up",
            "pending-gone",
            "account-same_email",
            "account-already_verified",
            "totp-already_set_up",
            "totp-nothing_to_confirm",
            "passkey-already_registered",
            "eula-already_decided",
            "busy",
            "error-form-expired",
            "error-form-expired-next",
            "error-timeout-unsure",
            "error-timeout-unsure-next",
        ]);
        let mut missing = Vec::new();
        for lang in Lang::ALL {
            for key in &keys {
                if !lang.has(key) {
                    missing.push(format!("{}: {key}", lang.tag()));
                }
            }
        }
        assert!(missing.is_empty(), "reasons without words: {missing:?}");
    }

    #[test]
    fn a_wait_reads_in_the_pages_language() {
        let said = Said::from(AccountError::AccountLocked { retry_after_secs: 600 });
        assert_eq!(said.code, Code::AccountLocked);
        let said_in = |lang| format!("{} {}", said.what_in(lang), said.next_in(lang));
        assert!(said_in(Lang::En).contains("10 minutes"), "{}", said_in(Lang::En));
        assert!(said_in(Lang::Et).contains("10 minutit"), "{}", said_in(Lang::Et));
        assert!(said_in(Lang::Ru).contains("10 минут"), "{}", said_in(Lang::Ru));
    }
}
