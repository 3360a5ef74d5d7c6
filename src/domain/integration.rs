//! Integrations: the audiences a signed-in user may ask a token for, each in
//! the exact format its consumer verifies. They live in the settings file,
//! not in `policies/`, because they hold deployment secrets; policies only
//! name which integrations their license holders may use.

use std::path::PathBuf;

use serde::Deserialize;
use time::Duration;

use super::policy::{SignInRequirement, is_identifier, parse_duration};

mod widget;
pub use widget::HelpWidget;

/// Longest lifetime of a token a browser widget carries: long enough to
/// load the widget, short enough that a leaked one is soon worthless.
pub const WIDGET_MAX_LIFETIME: Duration = Duration::minutes(10);
/// Longest lifetime of our own JWTs (support sidebars, product back ends).
pub const JWT_MAX_LIFETIME: Duration = Duration::hours(1);
/// Zendesk wants SSO tokens used at once; its `iat` check allows ±2 minutes.
pub const SSO_MAX_LIFETIME: Duration = Duration::minutes(2);

/// The token format an integration's consumer verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationKind {
    /// Ours: signed with the JWKS keys, verifiable by anyone who fetches them.
    Jwt,
    /// Zendesk messaging "authenticate users": HS256 with header `kid`.
    ZendeskMessaging,
    /// Zendesk help-centre JWT single sign-on: HS256, `iat` + single-use `jti`.
    ZendeskSso,
    /// Intercom Messenger identity JWT: HS256, `user_id`.
    Intercom,
    /// A hex HMAC-SHA256 identity hash (Help Scout, Crisp, Front, Chatwoot).
    Hmac,
}

impl IntegrationKind {
    /// The kind as written in the settings file.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Jwt => "jwt",
            Self::ZendeskMessaging => "zendesk_messaging",
            Self::ZendeskSso => "zendesk_sso",
            Self::Intercom => "intercom",
            Self::Hmac => "hmac",
        }
    }

    /// Whether tokens of this kind are signed with a secret shared with the vendor.
    pub const fn uses_shared_secret(self) -> bool {
        !matches!(self, Self::Jwt)
    }

    /// The longest lifetime allowed; `None` for identity hashes, which never expire.
    pub const fn max_lifetime(self) -> Option<Duration> {
        match self {
            Self::Jwt => Some(JWT_MAX_LIFETIME),
            Self::ZendeskMessaging | Self::Intercom => Some(WIDGET_MAX_LIFETIME),
            Self::ZendeskSso => Some(SSO_MAX_LIFETIME),
            Self::Hmac => None,
        }
    }

    const fn default_lifetime(self) -> Duration {
        match self {
            Self::Jwt => Duration::minutes(10),
            Self::ZendeskMessaging | Self::Intercom => Duration::minutes(5),
            Self::ZendeskSso | Self::Hmac => Duration::minutes(2),
        }
    }
}

/// What an identity hash is computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HashedIdentifier {
    /// The user's email address; the default.
    #[default]
    Email,
    /// Our user id.
    UserId,
}

/// A validated integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    /// The `audience` clients ask for; `aud` of our JWTs.
    pub name: String,
    /// The token format.
    pub kind: IntegrationKind,
    /// How long each token is valid.
    pub lifetime: Duration,
    /// Sign-in strength the session must have.
    pub require: SignInRequirement,
    /// Whether every licensed product's current EULA must be accepted, even
    /// where the policy itself does not ask.
    pub require_eula: bool,
    /// Zendesk's key id (header `kid`); required for `zendesk_messaging`.
    pub key_id: Option<String>,
    /// What an `hmac` identity hash is computed over.
    pub identifier: HashedIdentifier,
    /// Where the shared secret is read from; without it the secret is set
    /// with `latchkey admin integration set-secret` and stored sealed.
    pub secret_file: Option<PathBuf>,
    /// Whether tokens need a live license whose policy lists the audience.
    /// A help widget is better open to every signed-in user: the people
    /// without a working license are the ones who most need help.
    pub licensed_only: bool,
    /// The vendor's chat widget the support page loads, when set.
    pub widget: Option<HelpWidget>,
}

impl Integration {
    /// Whether the consumer identifies users by their email address: then
    /// only a verified address may be vouched for.
    pub fn keys_on_email(&self) -> bool {
        match self.kind {
            IntegrationKind::Hmac => self.identifier == HashedIdentifier::Email,
            // Zendesk SSO matches existing help-centre users by email.
            IntegrationKind::ZendeskSso => true,
            IntegrationKind::Jwt | IntegrationKind::ZendeskMessaging | IntegrationKind::Intercom => false,
        }
    }
}

/// One `[[integrations]]` table exactly as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIntegration {
    name: String,
    kind: IntegrationKind,
    lifetime: Option<String>,
    #[serde(default)]
    require: SignInRequirement,
    #[serde(default)]
    require_eula: bool,
    key_id: Option<String>,
    identifier: Option<HashedIdentifier>,
    secret_file: Option<PathBuf>,
    #[serde(default = "licensed_only_by_default")]
    licensed_only: bool,
    widget_script: Option<String>,
    #[serde(default)]
    widget_sources: Vec<String>,
}

const fn licensed_only_by_default() -> bool {
    true
}

/// Zendesk shows key ids like `app_64a1b2…`; anything printable and short fits a header.
fn is_key_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= 128 && text.chars().all(|c| c.is_ascii_graphic())
}

impl RawIntegration {
    /// Checks one integration; the error names what to fix.
    pub fn validate(self) -> Result<Integration, String> {
        let name = self.name;
        let kind = self.kind;
        if !is_identifier(&name) {
            return Err(format!("name `{name}`: use 1-64 lower-case letters, digits, `-` or `_`"));
        }
        let at = |problem: String| format!("integration `{name}`: {problem}");
        let lifetime = match (&self.lifetime, kind.max_lifetime()) {
            (None, _) => kind.default_lifetime(),
            (Some(_), None) => return Err(at("`lifetime` does not apply: identity hashes never expire".into())),
            (Some(text), Some(max)) => {
                let lifetime = parse_duration(text).map_err(|e| at(format!("lifetime: {e}")))?;
                if lifetime > max {
                    return Err(at(format!(
                        "lifetime {text} is longer than the {} allowed for `{}` tokens",
                        humantime::format_duration(max.unsigned_abs()),
                        kind.as_str()
                    )));
                }
                lifetime
            }
        };
        if let Some(key_id) = &self.key_id {
            if !matches!(
                kind,
                IntegrationKind::ZendeskMessaging | IntegrationKind::ZendeskSso | IntegrationKind::Intercom
            ) {
                return Err(at(format!("`key_id` does not apply to `{}`", kind.as_str())));
            }
            if !is_key_id(key_id) {
                return Err(at("`key_id` must be 1-128 printable characters".into()));
            }
        }
        if self.identifier.is_some() && kind != IntegrationKind::Hmac {
            return Err(at("`identifier` applies to `hmac` only".into()));
        }
        if kind == IntegrationKind::ZendeskMessaging && self.secret_file.is_some() && self.key_id.is_none() {
            return Err(at("`zendesk_messaging` signs with a key id: set `key_id` to the id Zendesk shows".into()));
        }
        if self.secret_file.is_some() && !kind.uses_shared_secret() {
            return Err(at("`jwt` tokens are signed with the JWKS keys; remove `secret_file`".into()));
        }
        let widget = match self.widget_script {
            Some(script) => Some(HelpWidget::new(kind, &script, self.widget_sources).map_err(at)?),
            None if !self.widget_sources.is_empty() => return Err(at("`widget_sources` needs `widget_script`".into())),
            None => None,
        };
        Ok(Integration {
            name,
            kind,
            lifetime,
            require: self.require,
            require_eula: self.require_eula,
            key_id: self.key_id,
            identifier: self.identifier.unwrap_or_default(),
            secret_file: self.secret_file,
            licensed_only: self.licensed_only,
            widget,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn parse(text: &str) -> Result<Integration, String> {
        let raw: RawIntegration = toml::from_str(text).map_err(|e| e.to_string())?;
        raw.validate()
    }

    #[test]
    fn integrations_need_a_license_unless_they_say_otherwise() {
        assert!(parse("name = \"backend\"\nkind = \"jwt\"").unwrap().licensed_only);
        let open = parse("name = \"chat\"\nkind = \"intercom\"\nlicensed_only = false").unwrap();
        assert!(!open.licensed_only);
    }

    #[test]
    fn widget_tokens_cannot_outlive_ten_minutes() {
        let ok =
            parse("name = \"zendesk\"\nkind = \"zendesk_messaging\"\nkey_id = \"app_1\"\nlifetime = \"10m\"").unwrap();
        assert_eq!(ok.lifetime, Duration::minutes(10));
        let err = parse("name = \"zendesk\"\nkind = \"zendesk_messaging\"\nlifetime = \"11m\"").unwrap_err();
        assert!(err.contains("longer than the 10m"), "{err}");
        let err = parse("name = \"chat\"\nkind = \"intercom\"\nlifetime = \"1h\"").unwrap_err();
        assert!(err.contains("10m"), "{err}");
    }

    #[test]
    fn defaults_and_misplaced_keys() {
        let hmac = parse("name = \"helpscout\"\nkind = \"hmac\"").unwrap();
        assert_eq!(hmac.identifier, HashedIdentifier::Email);
        assert_eq!(hmac.require, SignInRequirement::Password);
        assert!(
            parse("name = \"helpscout\"\nkind = \"hmac\"\nlifetime = \"5m\"").unwrap_err().contains("never expire")
        );
        assert!(
            parse("name = \"w\"\nkind = \"jwt\"\nidentifier = \"email\"")
                .unwrap_err()
                .contains("applies to `hmac` only")
        );
        assert!(parse("name = \"w\"\nkind = \"jwt\"\nsecret_file = \"/x\"").unwrap_err().contains("JWKS"));
        assert!(parse("name = \"Widget!\"\nkind = \"jwt\"").unwrap_err().contains("lower-case"));
        assert!(parse("name = \"w\"\nkind = \"saml\"").is_err());
        assert!(parse("name = \"w\"\nkind = \"jwt\"\nrequire = \"mfa\"\ncolour = 1").is_err());
        let jwt = parse("name = \"w\"\nkind = \"jwt\"\nrequire = \"mfa\"\nrequire_eula = true").unwrap();
        assert_eq!(
            (jwt.require, jwt.require_eula, jwt.lifetime),
            (SignInRequirement::Mfa, true, Duration::minutes(10))
        );
    }
}
