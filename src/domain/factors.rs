//! How strongly a session was signed in, and whether that is enough.
//!
//! A session's `amr` (RFC 8176 method references) is the record of what the
//! user proved; its `acr` level is derived from it, never stored separately,
//! so the two cannot disagree.

use time::{Duration, OffsetDateTime};

use super::ids::{PasskeyId, UserId};
use super::policy::SignInRequirement;

/// How long after proving who they are a user may do sensitive things
/// (remove a factor, change the password) without proving it again.
pub const STEP_UP_WINDOW: Duration = Duration::minutes(5);

/// A password was right; a second factor is owed within this time.
pub const PENDING_SIGN_IN_LIFETIME: Duration = Duration::minutes(5);

/// Second-factor answers one pending sign-in accepts; five wrong ones end it.
pub const PENDING_SIGN_IN_MAX_ATTEMPTS: u32 = 5;

/// A WebAuthn challenge must be answered within this time, and only once.
pub const CEREMONY_LIFETIME: Duration = Duration::minutes(5);

/// One proof a user gave, as it appears in `amr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The account password.
    Password,
    /// A TOTP code or a recovery code: both are one-time passwords.
    OneTimePassword,
    /// A passkey. `synced` passkeys (backup eligible) live in software
    /// key stores (`swk`); device-bound ones in hardware (`hwk`). Passkeys are
    /// only accepted with user verification, which adds `user`.
    Passkey {
        /// Whether the passkey is synced (backup eligible) rather than bound to one device.
        synced: bool,
    },
}

impl Method {
    fn references(self) -> &'static [&'static str] {
        match self {
            Self::Password => &["pwd"],
            Self::OneTimePassword => &["otp"],
            Self::Passkey { synced: false } => &["hwk", "user"],
            Self::Passkey { synced: true } => &["swk", "user"],
        }
    }
}

/// The `amr` of a session that proved `methods`, merged into what it had.
/// A passkey with user verification is two factors on its own (something
/// held, and a biometric or PIN), so it earns `mfa` alone.
pub fn amr_with(existing: &[String], methods: &[Method]) -> Vec<String> {
    let mut amr: Vec<String> = existing.iter().filter(|m| *m != "mfa").cloned().collect();
    for reference in methods.iter().flat_map(|m| m.references()) {
        if !amr.iter().any(|m| m == reference) {
            amr.push((*reference).to_owned());
        }
    }
    let has = |r: &str| amr.iter().any(|m| m == r);
    let factors = usize::from(has("pwd")) + usize::from(has("otp")) + usize::from(has("hwk") || has("swk"));
    if factors >= 2 || has("user") {
        amr.push("mfa".to_owned());
    }
    amr
}

/// Authentication context levels, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Acr {
    /// One factor: a password.
    Password,
    /// Two factors, at least one of them phishable (a TOTP code).
    MultiFactor,
    /// A passkey with user verification: bound to our origin, so it cannot
    /// be phished.
    PhishingResistant,
}

impl Acr {
    /// The level a session with this `amr` reached.
    pub fn of(amr: &[String]) -> Self {
        let has = |r: &str| amr.iter().any(|m| m == r);
        if (has("hwk") || has("swk")) && has("user") {
            Self::PhishingResistant
        } else if has("mfa") {
            Self::MultiFactor
        } else {
            Self::Password
        }
    }

    /// The level one proof shows by itself, given in a session that already
    /// proved the password: a code stands for the app (or the recovery codes
    /// that back it), a passkey with user verification cannot be phished.
    pub const fn of_proof(method: Method) -> Self {
        match method {
            Method::Password => Self::Password,
            Method::OneTimePassword => Self::MultiFactor,
            Method::Passkey { .. } => Self::PhishingResistant,
        }
    }

    /// Reads a level as `as_str` writes it.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Password, Self::MultiFactor, Self::PhishingResistant].into_iter().find(|acr| acr.as_str() == text)
    }

    /// The level as the API and `acr` values name it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::MultiFactor => "mfa",
            Self::PhishingResistant => "phishing_resistant",
        }
    }
}

/// The one-time codes a user can type in place of a passkey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    /// Six digits from an authenticator app.
    Totp,
    /// One of the ten single-use recovery codes.
    RecoveryCode,
}

impl CodeKind {
    /// As the API names the method (`methods` of a pending sign-in).
    pub const fn method_name(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::RecoveryCode => "recovery_code",
        }
    }
}

/// A passkey as registered on an account.
#[derive(Debug, Clone)]
pub struct RegisteredPasskey {
    /// Our id for it.
    pub id: PasskeyId,
    /// Whose it is.
    pub user_id: UserId,
    /// The authenticator's credential id, base64url.
    pub credential_id: String,
    /// The name the user gave it.
    pub name: String,
    /// webauthn-rs's `Passkey`, as JSON.
    pub credential: String,
    /// Synced passkeys (iCloud Keychain, Google Password Manager…) are backup eligible.
    pub backup_eligible: bool,
    /// Whether it is currently backed up.
    pub backup_state: bool,
    /// The authenticator's signature counter at its last accepted use.
    pub counter: u32,
    /// When it was registered.
    pub created_at: OffsetDateTime,
    /// When it last signed in or stepped up.
    pub last_used_at: Option<OffsetDateTime>,
}

/// Second factors a user has set up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Enrolled {
    /// Whether an authenticator app is set up.
    pub totp: bool,
    /// How many passkeys are registered.
    pub passkeys: usize,
    /// How many unused recovery codes remain.
    pub recovery_codes: usize,
}

impl Enrolled {
    /// Whether sign-in must go on past the password. Recovery codes alone
    /// do not count: they only stand in for a factor the user has.
    pub fn has_second_factor(&self) -> bool {
        self.totp || self.passkeys > 0
    }

    /// The ways this user can answer a second-factor challenge, as the API names them.
    pub fn methods(&self) -> Vec<&'static str> {
        [("totp", self.totp), ("webauthn", self.passkeys > 0), ("recovery_code", self.recovery_codes > 0)]
            .into_iter()
            .filter_map(|(name, enrolled)| enrolled.then_some(name))
            .collect()
    }
}

/// Why a session does not meet a policy's sign-in requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Shortfall {
    /// The user has not set up the factor the policy needs.
    #[error("set up {} first", .0.describe())]
    EnrollmentRequired(Factor),
    /// The user has it, but this session did not use it.
    #[error("sign in with {} first", .0.describe())]
    StrongerSignInRequired(Factor),
}

/// A factor a policy can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    /// A TOTP app or a passkey.
    SecondFactor,
    /// A passkey specifically, for policies that want sign-in that cannot be phished.
    Passkey,
}

impl Factor {
    /// The factor as the API names it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SecondFactor => "second_factor",
            Self::Passkey => "passkey",
        }
    }

    /// The factor in words, for messages to the user.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::SecondFactor => "a second factor (an authenticator app or a passkey)",
            Self::Passkey => "a passkey",
        }
    }
}

/// Checks a session against a policy's `[sign_in] require`.
pub fn meets(requirement: SignInRequirement, enrolled: Enrolled, acr: Acr) -> Result<(), Shortfall> {
    match requirement {
        SignInRequirement::Password => Ok(()),
        SignInRequirement::Mfa if !enrolled.has_second_factor() => {
            Err(Shortfall::EnrollmentRequired(Factor::SecondFactor))
        }
        SignInRequirement::Mfa if acr < Acr::MultiFactor => {
            Err(Shortfall::StrongerSignInRequired(Factor::SecondFactor))
        }
        SignInRequirement::Passkey if enrolled.passkeys == 0 => Err(Shortfall::EnrollmentRequired(Factor::Passkey)),
        SignInRequirement::Passkey if acr < Acr::PhishingResistant => {
            Err(Shortfall::StrongerSignInRequired(Factor::Passkey))
        }
        SignInRequirement::Mfa | SignInRequirement::Passkey => Ok(()),
    }
}

/// What must remain enrolled because the user's licenses require it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FactorFloor {
    /// A second factor must remain.
    pub second_factor: bool,
    /// A passkey must remain.
    pub passkey: bool,
}

impl FactorFloor {
    /// The floor set by the sign-in requirements of the user's licenses.
    pub fn of(requirements: impl IntoIterator<Item = SignInRequirement>) -> Self {
        requirements.into_iter().fold(Self::default(), |floor, requirement| match requirement {
            SignInRequirement::Password => floor,
            SignInRequirement::Mfa => Self { second_factor: true, ..floor },
            SignInRequirement::Passkey => Self { second_factor: true, passkey: true },
        })
    }

    /// The requirement `remaining` would no longer meet, if any.
    pub fn unmet_by(self, remaining: Enrolled) -> Option<SignInRequirement> {
        if self.passkey && remaining.passkeys == 0 {
            Some(SignInRequirement::Passkey)
        } else if self.second_factor && !remaining.has_second_factor() {
            Some(SignInRequirement::Mfa)
        } else {
            None
        }
    }
}

/// Before a factor is removed or the address moved: the session must be as
/// strong as the strongest factor enrolled, or a thief holding a weaker
/// proof (a password, a phished code) could strip the stronger one. The
/// factor it must show when it is not.
pub fn strong_enough_to_weaken(enrolled: Enrolled, acr: Acr) -> Result<(), Factor> {
    if enrolled.passkeys > 0 && acr < Acr::PhishingResistant {
        Err(Factor::Passkey)
    } else if enrolled.has_second_factor() && acr < Acr::MultiFactor {
        Err(Factor::SecondFactor)
    } else {
        Ok(())
    }
}

/// Whether the user proved who they are recently enough for a sensitive action.
pub fn recently_authenticated(auth_time: OffsetDateTime, now: OffsetDateTime) -> bool {
    now - auth_time <= STEP_UP_WINDOW && auth_time <= now
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn amr_and_acr_follow_the_methods_used() {
        let pwd = amr_with(&[], &[Method::Password]);
        assert_eq!(pwd, strings(&["pwd"]));
        assert_eq!(Acr::of(&pwd), Acr::Password);

        let otp = amr_with(&pwd, &[Method::OneTimePassword]);
        assert_eq!(otp, strings(&["pwd", "otp", "mfa"]));
        assert_eq!(Acr::of(&otp), Acr::MultiFactor);

        let passwordless = amr_with(&[], &[Method::Passkey { synced: false }]);
        assert_eq!(passwordless, strings(&["hwk", "user", "mfa"]));
        assert_eq!(Acr::of(&passwordless), Acr::PhishingResistant);

        let synced = amr_with(&pwd, &[Method::Passkey { synced: true }]);
        assert_eq!(synced, strings(&["pwd", "swk", "user", "mfa"]));
        // Stepping up again adds nothing twice.
        assert_eq!(amr_with(&otp, &[Method::OneTimePassword]), otp);
    }

    #[test]
    fn requirements_name_what_is_missing() {
        let none = Enrolled::default();
        let totp = Enrolled { totp: true, ..Enrolled::default() };
        let passkey = Enrolled { passkeys: 1, ..Enrolled::default() };
        assert_eq!(meets(SignInRequirement::Password, none, Acr::Password), Ok(()));
        assert_eq!(
            meets(SignInRequirement::Mfa, none, Acr::Password),
            Err(Shortfall::EnrollmentRequired(Factor::SecondFactor))
        );
        assert_eq!(
            meets(SignInRequirement::Mfa, totp, Acr::Password),
            Err(Shortfall::StrongerSignInRequired(Factor::SecondFactor))
        );
        assert_eq!(meets(SignInRequirement::Mfa, totp, Acr::MultiFactor), Ok(()));
        assert_eq!(meets(SignInRequirement::Mfa, passkey, Acr::PhishingResistant), Ok(()));
        assert_eq!(
            meets(SignInRequirement::Passkey, totp, Acr::MultiFactor),
            Err(Shortfall::EnrollmentRequired(Factor::Passkey))
        );
        assert_eq!(
            meets(SignInRequirement::Passkey, passkey, Acr::MultiFactor),
            Err(Shortfall::StrongerSignInRequired(Factor::Passkey))
        );
        assert_eq!(meets(SignInRequirement::Passkey, passkey, Acr::PhishingResistant), Ok(()));
    }

    #[test]
    fn the_last_factor_a_license_needs_cannot_go() {
        let none = Enrolled::default();
        let floor = FactorFloor::of([SignInRequirement::Password, SignInRequirement::Mfa]);
        assert_eq!(floor.unmet_by(none), Some(SignInRequirement::Mfa));
        assert_eq!(floor.unmet_by(Enrolled { passkeys: 1, ..none }), None);
        assert_eq!(FactorFloor::of([SignInRequirement::Password]).unmet_by(none), None);
        let passkey = FactorFloor::of([SignInRequirement::Passkey]);
        assert_eq!(passkey.unmet_by(Enrolled { totp: true, ..none }), Some(SignInRequirement::Passkey));
    }

    #[test]
    fn a_proof_alone_has_its_own_level() {
        assert_eq!(Acr::of_proof(Method::Password), Acr::Password);
        assert_eq!(Acr::of_proof(Method::OneTimePassword), Acr::MultiFactor);
        assert_eq!(Acr::of_proof(Method::Passkey { synced: true }), Acr::PhishingResistant);
        for acr in [Acr::Password, Acr::MultiFactor, Acr::PhishingResistant] {
            assert_eq!(Acr::parse(acr.as_str()), Some(acr));
        }
        assert_eq!(Acr::parse("strong"), None);
    }

    #[test]
    fn weakening_needs_the_strongest_enrolled_level() {
        let none = Enrolled::default();
        let app = Enrolled { totp: true, ..none };
        let passkey = Enrolled { passkeys: 1, ..app };
        assert_eq!(strong_enough_to_weaken(none, Acr::Password), Ok(()));
        assert_eq!(strong_enough_to_weaken(app, Acr::Password), Err(Factor::SecondFactor));
        assert_eq!(strong_enough_to_weaken(app, Acr::MultiFactor), Ok(()));
        assert_eq!(strong_enough_to_weaken(passkey, Acr::MultiFactor), Err(Factor::Passkey));
        assert_eq!(strong_enough_to_weaken(passkey, Acr::PhishingResistant), Ok(()));
        // Recovery codes alone are no factor to protect.
        assert_eq!(strong_enough_to_weaken(Enrolled { recovery_codes: 10, ..none }, Acr::Password), Ok(()));
    }

    #[test]
    fn step_up_lasts_five_minutes() {
        let t = time::macros::datetime!(2026-01-01 00:00 UTC);
        assert!(recently_authenticated(t, t + Duration::minutes(5)));
        assert!(!recently_authenticated(t, t + Duration::minutes(5) + Duration::seconds(1)));
    }
}
