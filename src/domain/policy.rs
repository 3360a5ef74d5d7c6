//! License policies: declarative TOML files that say what a license grants.
//! Parsing is strict (unknown keys are errors) and every error names the line,
//! because a policy mistake found at start is far cheaper than one found by a
//! customer.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use time::Duration;

/// What happens when a license of this policy passes its expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expiration {
    /// Validation fails after expiry.
    Restrict,
    /// Stays valid but reports `EXPIRED` (e.g. perpetual fallback licenses).
    Maintain,
}

/// How seats are held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// One fingerprint per seat until it is deactivated.
    NodeLocked,
    /// Seats are leases that lapse without a heartbeat within `lease`.
    Floating {
        /// How long a seat lasts without a heartbeat.
        lease: Duration,
    },
}

/// Which sign-in strength users of this policy's licenses need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInRequirement {
    /// A password alone is enough.
    #[default]
    Password,
    /// A second factor: an authenticator app or a passkey.
    Mfa,
    /// A passkey with user verification, which cannot be phished.
    Passkey,
}

/// A validated policy, as loaded from one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The policy's name, unique among loaded policies.
    pub name: String,
    /// The product its licenses unlock.
    pub product: String,
    /// How long a license lasts from issue; `None` is perpetual.
    pub duration: Option<Duration>,
    /// What happens at expiry.
    pub expiration: Expiration,
    /// Seats.
    pub max_activations: u32,
    /// How seats are held: node-locked or floating.
    pub binding: Binding,
    /// Lifetime of the offline certificate handed out at activation.
    pub offline_lease: Duration,
    /// How many users may redeem one activation code.
    pub activation_code_uses: u32,
    /// Features a license grants, as named in certificates and tokens.
    pub entitlements: Vec<String>,
    /// Whether freeing a seat needs a recent re-authentication.
    pub deactivation_requires_step_up: bool,
    /// How many seats a holder may free in any 30 days, so that one shared
    /// account cannot rotate a seat among many machines; `None`: no bound.
    pub transfers_per_30d: Option<u32>,
    /// Sign-in strength users must have to use a license.
    pub sign_in: SignInRequirement,
    /// Whether the product's current EULA must be accepted before licensed features open.
    pub eula_required: bool,
    /// Integrations whose tokens license holders may ask for.
    pub token_audiences: Vec<String>,
    /// SHA-256 of the file's exact bytes; licenses record the revision they were issued under.
    pub revision: String,
}

/// A policy file that could not be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// The file, as named in errors.
    pub file: String,
    /// The line at fault, when known.
    pub line: Option<usize>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for PolicyError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    name: String,
    product: String,
    duration: Option<String>,
    #[serde(default = "default_expiration")]
    expiration: Expiration,
    max_activations: i64,
    binding: RawBinding,
    lease: Option<String>,
    offline_lease: Option<String>,
    activation_code_uses: Option<i64>,
    #[serde(default)]
    entitlements: Vec<String>,
    #[serde(default)]
    deactivation_requires_step_up: bool,
    transfers_per_30d: Option<i64>,
    #[serde(default)]
    sign_in: RawSignIn,
    #[serde(default)]
    eula: RawEula,
    #[serde(default)]
    tokens: RawTokens,
}

fn default_expiration() -> Expiration {
    Expiration::Restrict
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum RawBinding {
    NodeLocked,
    Floating,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSignIn {
    #[serde(default)]
    require: SignInRequirement,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawEula {
    #[serde(default)]
    required: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTokens {
    #[serde(default)]
    audiences: Vec<String>,
}

/// Upper bounds that catch typos (`3650000d`) before they become licenses.
const MAX_SEATS: i64 = 100_000;
const MAX_CODE_USES: i64 = 100_000;
/// More freed seats a month than this is no bound at all.
const MAX_TRANSFERS: i64 = 1_000;
const DEFAULT_OFFLINE_LEASE: Duration = Duration::days(14);

/// The 1-based line on which `key` is assigned, for errors found after parsing.
fn line_of(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let line = line.trim_start();
            line.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|index| index + 1)
}

fn line_at(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(1, |before| before.matches('\n').count() + 1)
}

/// Parses a human duration (`30m`, `14d`, `365d`), positive and at most 100 years.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let parsed = humantime::parse_duration(text.trim())
        .map_err(|e| format!("`{text}` is not a duration ({e}); write e.g. \"30m\", \"14d\", \"365d\""))?;
    let duration = Duration::try_from(parsed).map_err(|_| format!("`{text}` is too long"))?;
    if duration <= Duration::ZERO {
        return Err(format!("`{text}` must be longer than zero"));
    }
    if duration > Duration::days(36_525) {
        return Err(format!("`{text}` is longer than 100 years"));
    }
    Ok(duration)
}

/// A name in files and URLs: 1-64 lower-case letters, digits, `-` or `_`.
pub fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

impl Policy {
    /// Parses one policy file's text; `file` is only used in error messages.
    pub fn parse(file: &str, text: &str) -> Result<Self, PolicyError> {
        let err = |line: Option<usize>, message: String| PolicyError { file: file.to_owned(), line, message };
        let at = |key: &str, message: String| err(line_of(text, key), format!("`{key}`: {message}"));
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|span| line_at(text, span.start));
            err(line, e.message().trim().to_owned())
        })?;
        if !is_identifier(&raw.name) {
            return Err(at("name", "use 1 to 64 lower-case letters, digits, `-` or `_`".into()));
        }
        if !is_identifier(&raw.product) {
            return Err(at("product", "use 1 to 64 lower-case letters, digits, `-` or `_`".into()));
        }
        let duration = raw.duration.as_deref().map(parse_duration).transpose().map_err(|m| at("duration", m))?;
        if !(1..=MAX_SEATS).contains(&raw.max_activations) {
            return Err(at("max_activations", format!("must be between 1 and {MAX_SEATS}")));
        }
        let binding = match (raw.binding, raw.lease.as_deref()) {
            (RawBinding::NodeLocked, None) => Binding::NodeLocked,
            (RawBinding::NodeLocked, Some(_)) => {
                return Err(at(
                    "lease",
                    "only floating licenses have a lease; remove it or set binding = \"floating\"".into(),
                ));
            }
            (RawBinding::Floating, Some(lease)) => {
                Binding::Floating { lease: parse_duration(lease).map_err(|m| at("lease", m))? }
            }
            (RawBinding::Floating, None) => {
                return Err(at(
                    "binding",
                    "a floating license needs `lease` (how long a seat lasts without a heartbeat)".into(),
                ));
            }
        };
        let offline_lease = raw
            .offline_lease
            .as_deref()
            .map(parse_duration)
            .transpose()
            .map_err(|m| at("offline_lease", m))?
            .unwrap_or(DEFAULT_OFFLINE_LEASE);
        let uses = raw.activation_code_uses.unwrap_or(1);
        if !(1..=MAX_CODE_USES).contains(&uses) {
            return Err(at("activation_code_uses", format!("must be between 1 and {MAX_CODE_USES}")));
        }
        if raw.transfers_per_30d.is_some_and(|n| !(1..=MAX_TRANSFERS).contains(&n)) {
            return Err(at("transfers_per_30d", format!("must be between 1 and {MAX_TRANSFERS}")));
        }
        if let Some(bad) = raw.entitlements.iter().find(|e| !is_identifier(e)) {
            return Err(at("entitlements", format!("`{bad}`: use lower-case letters, digits, `-` or `_`")));
        }
        Ok(Self {
            name: raw.name,
            product: raw.product,
            duration,
            expiration: raw.expiration,
            max_activations: u32::try_from(raw.max_activations).unwrap_or(1),
            binding,
            offline_lease,
            activation_code_uses: u32::try_from(uses).unwrap_or(1),
            entitlements: raw.entitlements,
            deactivation_requires_step_up: raw.deactivation_requires_step_up,
            transfers_per_30d: raw.transfers_per_30d.and_then(|n| u32::try_from(n).ok()),
            sign_in: raw.sign_in.require,
            eula_required: raw.eula.required,
            token_audiences: raw.tokens.audiences,
            revision: hex::encode(Sha256::digest(text.as_bytes())),
        })
    }
}

/// All loaded policies by name.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    policies: BTreeMap<String, Arc<Policy>>,
}

impl PolicySet {
    /// Builds the set from parsed files; two files with one name is an error.
    pub fn from_files(files: Vec<(String, Policy)>) -> Result<Self, PolicyError> {
        let mut policies: BTreeMap<String, (String, Arc<Policy>)> = BTreeMap::new();
        for (file, policy) in files {
            if let Some((first, _)) = policies.get(&policy.name) {
                return Err(PolicyError {
                    line: None,
                    message: format!("policy name `{}` is already used by {first}", policy.name),
                    file,
                });
            }
            policies.insert(policy.name.clone(), (file, Arc::new(policy)));
        }
        Ok(Self { policies: policies.into_iter().map(|(name, (_, policy))| (name, policy)).collect() })
    }

    /// The policy of that name.
    pub fn get(&self, name: &str) -> Option<&Arc<Policy>> {
        self.policies.get(name)
    }

    /// Every policy, in name order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Policy>> {
        self.policies.values()
    }

    /// The longest offline lease of any policy.
    pub fn longest_offline_lease(&self) -> Option<Duration> {
        self.policies.values().map(|p| p.offline_lease).max()
    }

    /// How long a retired signing key stays published: the longest offline
    /// lease, and at least a day, so nothing it signed (certificates, access
    /// tokens of at most an hour) stops verifying early.
    pub fn key_retention(&self) -> Duration {
        self.longest_offline_lease().unwrap_or(Duration::ZERO).max(Duration::days(1))
    }

    /// How many policies are loaded.
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    /// Whether no policies are loaded.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const YEARLY: &str = r#"
name = "studio-pro-yearly"
product = "studio"
duration = "365d"
expiration = "restrict"
max_activations = 3
binding = "node_locked"
offline_lease = "14d"
entitlements = ["export", "plugins"]
deactivation_requires_step_up = true

[sign_in]
require = "mfa"

[eula]
required = true

[tokens]
audiences = ["helpdesk", "widget"]
"#;

    #[test]
    fn parses_every_section() {
        let policy = Policy::parse("yearly.toml", YEARLY).unwrap();
        assert_eq!(policy.name, "studio-pro-yearly");
        assert_eq!(policy.duration, Some(Duration::days(365)));
        assert_eq!(policy.binding, Binding::NodeLocked);
        assert_eq!(policy.activation_code_uses, 1);
        assert_eq!(policy.sign_in, SignInRequirement::Mfa);
        assert!(policy.eula_required && policy.deactivation_requires_step_up);
        assert_eq!(policy.token_audiences, ["helpdesk", "widget"]);
        assert_eq!(policy.revision.len(), 64);
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let typo = YEARLY.replace("max_activations = 3", "max_activation = 3");
        let error = Policy::parse("policies/yearly.toml", &typo).unwrap_err();
        assert_eq!(error.line, Some(6), "{error}");
        assert!(error.to_string().starts_with("policies/yearly.toml:6: unknown field `max_activation`"), "{error}");

        let floating = YEARLY.replace("binding = \"node_locked\"", "binding = \"floating\"");
        let error = Policy::parse("f.toml", &floating).unwrap_err();
        assert_eq!(error.line, Some(7), "{error}");
        assert!(error.message.contains("lease"), "{error}");

        let negative = YEARLY.replace("\"365d\"", "\"-5d\"");
        assert_eq!(Policy::parse("n.toml", &negative).unwrap_err().line, Some(4));
        let zero_seats = YEARLY.replace("max_activations = 3", "max_activations = 0");
        assert_eq!(Policy::parse("z.toml", &zero_seats).unwrap_err().line, Some(6));
        let bad_section = format!("{YEARLY}\n[sign_in2]\nrequire = \"mfa\"\n");
        assert!(Policy::parse("s.toml", &bad_section).unwrap_err().line.is_some());
    }

    #[test]
    fn duplicate_names_are_refused() {
        let a = Policy::parse("a.toml", YEARLY).unwrap();
        let error = PolicySet::from_files(vec![("a.toml".into(), a.clone()), ("b.toml".into(), a)]).unwrap_err();
        assert!(error.to_string().contains("already used by a.toml"), "{error}");
    }

    proptest! {
        #[test]
        fn never_panics_on_any_text(text in ".{0,400}") {
            let _ = Policy::parse("fuzz.toml", &text);
        }

        #[test]
        fn never_panics_on_mutated_policies(cut in 0usize..400, insert in "[a-z_=\"\\[\\]0-9 \n-]{0,12}") {
            let cut = cut.min(YEARLY.len());
            if YEARLY.is_char_boundary(cut) {
                let mutated = format!("{}{insert}{}", &YEARLY[..cut], &YEARLY[cut..]);
                if let Err(error) = Policy::parse("m.toml", &mutated) {
                    prop_assert!(error.line.is_none_or(|line| line >= 1 && line <= mutated.lines().count() + 1));
                }
            }
        }

        #[test]
        fn durations_round_trip(days in 1i64..36_500) {
            let text = YEARLY.replace("\"365d\"", &format!("\"{days}d\""));
            prop_assert_eq!(Policy::parse("d.toml", &text).unwrap().duration, Some(Duration::days(days)));
        }
    }
}
