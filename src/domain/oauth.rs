//! The OAuth 2.0 rules that need no database: where a client may be sent
//! back to (RFC 6749 §3.1.2, RFC 8252 for native apps) and proof keys for
//! code exchange (RFC 7636, S256 only). The codes people type to approve a
//! device are with the other typed codes (`codes::UserCode`).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use url::{Host, Url};

use super::codes::constant_time_eq;

/// Why a redirect URI cannot be registered for a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectUriError {
    /// Not an absolute URI.
    #[error("is not an absolute URI")]
    NotAbsolute,
    /// Has a `#fragment`, which RFC 6749 forbids.
    #[error("must not have a #fragment")]
    Fragment,
    /// Plain `http` to anything but this machine.
    #[error(
        "uses http to another machine; use https, or http://127.0.0.1 or http://[::1] for an app on the user's machine"
    )]
    InsecureHttp,
    /// `http://localhost`, which a local firewall or hosts file can point elsewhere.
    #[error("names localhost; use http://127.0.0.1 or http://[::1] (RFC 8252 §8.3)")]
    Localhost,
    /// A custom scheme that is not a reverse domain name.
    #[error(
        "uses a private scheme that is not a reverse domain name, such as com.example.app:/callback (RFC 8252 §7.1)"
    )]
    PrivateScheme,
}

/// A redirect URI registered for a client. A presented URI must match it
/// exactly, except that a loopback one matches any port: a native app
/// listens on whatever port is free when it starts (RFC 8252 §7.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri {
    url: Url,
    loopback: bool,
}

impl RedirectUri {
    /// A redirect URI as written in the settings.
    pub fn parse(text: &str) -> Result<Self, RedirectUriError> {
        let url = Url::parse(text).map_err(|_| RedirectUriError::NotAbsolute)?;
        if url.fragment().is_some() {
            return Err(RedirectUriError::Fragment);
        }
        let loopback = is_loopback(&url);
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" if url.host_str() == Some("localhost") => return Err(RedirectUriError::Localhost),
            "http" => return Err(RedirectUriError::InsecureHttp),
            // A private-use scheme must be a reverse domain name the vendor owns.
            scheme if scheme.contains('.') => {}
            _ => return Err(RedirectUriError::PrivateScheme),
        }
        Ok(Self { url, loopback })
    }

    /// Whether `presented` (from an authorization request) is this URI.
    pub fn matches(&self, presented: &str) -> bool {
        let Ok(presented) = Url::parse(presented) else { return false };
        if presented.fragment().is_some() {
            return false;
        }
        if self.loopback {
            return presented.scheme() == "http"
                && presented.host() == self.url.host()
                && presented.path() == self.url.path()
                && presented.query() == self.url.query()
                && presented.username().is_empty()
                && presented.password().is_none();
        }
        presented == self.url
    }

    /// The URI as registered.
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// Whether what is sent here can only reach the app registered with
    /// it: an https address on another machine reaches its host's owner
    /// alone, while a port on the user's own machine (over http or https)
    /// or a private-use scheme can be taken by any program there (RFC 8252
    /// §8.6).
    pub fn proves_the_app(&self) -> bool {
        self.url.scheme() == "https" && !super::is_this_machine(&self.url)
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str())
    }
}

fn is_loopback(url: &Url) -> bool {
    url.scheme() == "http"
        && match url.host() {
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            _ => false,
        }
}

/// Why a PKCE value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PkceError {
    /// No `code_challenge`: every client must use PKCE.
    #[error("code_challenge is required")]
    Missing,
    /// A method other than `S256` (`plain` included).
    #[error("code_challenge_method must be S256")]
    Method,
    /// Not the base64url of a SHA-256 digest.
    #[error("code_challenge must be the base64url SHA-256 of the code verifier (43 characters)")]
    Malformed,
}

/// The `code_challenge` of an authorization request: the base64url SHA-256
/// of a verifier only the client knows, so a stolen code is useless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// The challenge and method as sent; the method defaults to `plain` in
    /// RFC 7636, which is refused, so it must be given.
    pub fn parse(challenge: Option<&str>, method: Option<&str>) -> Result<Self, PkceError> {
        let challenge = challenge.ok_or(PkceError::Missing)?;
        if method != Some("S256") {
            return Err(PkceError::Method);
        }
        let decoded = URL_SAFE_NO_PAD.decode(challenge).map_err(|_| PkceError::Malformed)?;
        if challenge.len() != 43 || decoded.len() != 32 {
            return Err(PkceError::Malformed);
        }
        Ok(Self(challenge.to_owned()))
    }

    /// The challenge as sent and stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `verifier` (from the token request) is the one this
    /// challenge was made from: 43 to 128 unreserved characters whose
    /// SHA-256 is the challenge, compared in constant time.
    pub fn verifies(&self, verifier: &str) -> bool {
        let well_formed = (43..=128).contains(&verifier.len())
            && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let same = constant_time_eq(computed.as_bytes(), self.0.as_bytes());
        well_formed && same
    }
}

/// What an app may ask for. `openid` brings an ID token; `email` and
/// `profile` the user's address and name in it and at userinfo; `license`
/// the user's licenses for the app's product in its access tokens;
/// `offline_access` is accepted for clients that always ask for it (every
/// client allowed the refresh grant gets a refresh token).
pub const SCOPES: [&str; 5] = ["openid", "email", "profile", "license", "offline_access"];

/// A scope value that is not one of [`SCOPES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope")]
pub struct UnknownScope;

/// The scopes of a request, known ones only, in the order of [`SCOPES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope(Vec<&'static str>);

impl Scope {
    /// The space-separated `scope` parameter; absent or empty means `openid`.
    pub fn parse(text: Option<&str>) -> Result<Self, UnknownScope> {
        let asked: Vec<&str> = text.unwrap_or("").split(' ').filter(|s| !s.is_empty()).collect();
        if let Some(_unknown) = asked.iter().find(|s| !SCOPES.contains(s)) {
            return Err(UnknownScope);
        }
        let mut granted: Vec<&'static str> = SCOPES.into_iter().filter(|known| asked.contains(known)).collect();
        if granted.is_empty() {
            granted.push("openid");
        }
        Ok(Self(granted))
    }

    /// Whether `scope` was granted.
    pub fn has(&self, scope: &str) -> bool {
        self.0.contains(&scope)
    }

    /// The granted scopes, each once.
    pub fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().copied()
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

/// The RFC 9396 authorization details type of a seat request.
pub const LICENSE_ACTIVATION: &str = "license_activation";

/// Longest device name and platform an app may send, as activation allows.
const MAX_DEVICE_NAME_CHARS: usize = 200;
const MAX_PLATFORM_CHARS: usize = 100;

/// A seat for this machine, asked for with the sign-in (RFC 9396
/// `authorization_details` of type `license_activation`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SeatAsked {
    /// The device's fingerprint, as the product computes it.
    pub fingerprint: String,
    /// The machine's name, shown to the user ("Ada's laptop").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The platform the product reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

/// A seat granted with a sign-in: what was asked, and the activation it became.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SeatGranted {
    /// What the app asked for.
    #[serde(flatten)]
    pub asked: SeatAsked,
    /// The license the seat is on.
    pub license_id: String,
    /// The device's activation.
    pub activation_id: String,
}

/// Why `authorization_details` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetailsError {
    /// Not a JSON array of objects.
    #[error("authorization_details must be a JSON array of objects")]
    Shape,
    /// A type we do not grant.
    #[error("only type `license_activation` is offered")]
    Type,
    /// More than one seat in one sign-in.
    #[error("at most one license_activation per request")]
    TooMany,
    /// The fingerprint, name or platform breaks activation's rules.
    #[error("license_activation needs a fingerprint (1-1024 bytes), and a name and platform of one short line")]
    Device,
}

/// Reads `authorization_details`: nothing, or one seat request.
pub fn seat_asked(details: Option<&str>) -> Result<Option<SeatAsked>, DetailsError> {
    let Some(text) = details.filter(|text| !text.trim().is_empty()) else { return Ok(None) };
    let items: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(text).map_err(|_| DetailsError::Shape)?;
    let mut seats = Vec::new();
    for mut item in items {
        if item.remove("type").as_ref().and_then(serde_json::Value::as_str) != Some(LICENSE_ACTIVATION) {
            return Err(DetailsError::Type);
        }
        let seat: SeatAsked = serde_json::from_value(item.into()).map_err(|_| DetailsError::Device)?;
        let one_line = |text: &Option<String>, max: usize| {
            text.as_deref().is_none_or(|t| t.chars().count() <= max && !t.chars().any(char::is_control))
        };
        if super::codes::Fingerprint::parse(&seat.fingerprint).is_err()
            || !one_line(&seat.name, MAX_DEVICE_NAME_CHARS)
            || !one_line(&seat.platform, MAX_PLATFORM_CHARS)
        {
            return Err(DetailsError::Device);
        }
        seats.push(seat);
    }
    match seats.len() {
        0 => Ok(None),
        1 => Ok(seats.pop()),
        _ => Err(DetailsError::TooMany),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seat_is_asked_for_with_one_license_activation() {
        let asked = seat_asked(Some(
            r#"[{"type":"license_activation","fingerprint":"fp-1","name":"Ada's laptop","platform":"macos"}]"#,
        ));
        let seat = asked.unwrap().unwrap();
        assert_eq!((seat.fingerprint.as_str(), seat.name.as_deref()), ("fp-1", Some("Ada's laptop")));
        assert_eq!(seat_asked(None), Ok(None));
        assert_eq!(seat_asked(Some("[]")), Ok(None));
        for (text, error) in [
            ("{}", DetailsError::Shape),
            ("[1]", DetailsError::Shape),
            (r#"[{"type":"payment"}]"#, DetailsError::Type),
            (r#"[{"fingerprint":"x"}]"#, DetailsError::Type),
            (r#"[{"type":"license_activation"}]"#, DetailsError::Device),
            (r#"[{"type":"license_activation","fingerprint":""}]"#, DetailsError::Device),
            (r#"[{"type":"license_activation","fingerprint":"x","name":"a\nb"}]"#, DetailsError::Device),
            (
                r#"[{"type":"license_activation","fingerprint":"x"},{"type":"license_activation","fingerprint":"y"}]"#,
                DetailsError::TooMany,
            ),
        ] {
            assert_eq!(seat_asked(Some(text)), Err(error), "{text}");
        }
    }

    #[test]
    fn scopes_are_known_words_each_once() {
        let scope = Scope::parse(Some("license  openid email openid")).unwrap();
        assert_eq!(scope.to_string(), "openid email license");
        assert!(scope.has("license") && !scope.has("profile"));
        assert_eq!(Scope::parse(None).unwrap().to_string(), "openid");
        assert_eq!(Scope::parse(Some("")).unwrap().to_string(), "openid");
        assert_eq!(Scope::parse(Some("openid admin")), Err(UnknownScope));
    }

    #[test]
    fn redirect_uris_register_by_the_native_app_rules() {
        for ok in [
            "https://app.example.com/callback",
            "http://127.0.0.1/callback",
            "http://[::1]/oauth",
            "com.example.studio:/callback",
            "com.example.studio://callback",
        ] {
            assert!(RedirectUri::parse(ok).is_ok(), "{ok}");
        }
        let refused = [
            ("/callback", RedirectUriError::NotAbsolute),
            ("https://app.example.com/cb#x", RedirectUriError::Fragment),
            ("http://app.example.com/cb", RedirectUriError::InsecureHttp),
            ("http://localhost/cb", RedirectUriError::Localhost),
            ("myapp:/callback", RedirectUriError::PrivateScheme),
        ];
        for (uri, error) in refused {
            assert_eq!(RedirectUri::parse(uri), Err(error), "{uri}");
        }
    }

    #[test]
    fn a_loopback_uri_matches_any_port_and_nothing_else_varies() {
        let loopback = RedirectUri::parse("http://127.0.0.1/callback").unwrap();
        assert!(loopback.matches("http://127.0.0.1/callback"));
        assert!(loopback.matches("http://127.0.0.1:49152/callback"));
        assert!(!loopback.matches("http://127.0.0.1:49152/other"));
        assert!(!loopback.matches("http://127.0.0.2:49152/callback"));
        assert!(!loopback.matches("https://127.0.0.1:49152/callback"));
        assert!(!loopback.matches("http://[::1]:49152/callback"));
        assert!(!loopback.matches("http://127.0.0.1:49152/callback?x=1"));
        assert!(!loopback.matches("http://127.0.0.1:49152/callback#frag"));
        assert!(!loopback.matches("http://user@127.0.0.1:49152/callback"));

        let web = RedirectUri::parse("https://app.example.com/callback").unwrap();
        assert!(web.matches("https://app.example.com/callback"));
        assert!(!web.matches("https://app.example.com:8443/callback"));
        assert!(!web.matches("https://app.example.com/callback/"));
        assert!(!web.matches("https://app.example.com.evil.test/callback"));
        assert!(!web.matches("not a uri"));

        let private = RedirectUri::parse("com.example.studio:/callback").unwrap();
        assert!(private.matches("com.example.studio:/callback"));
        assert!(!private.matches("com.example.studio:/other"));
    }

    /// RFC 7636 appendix B.
    #[test]
    fn pkce_follows_the_rfc_example_and_refuses_plain() {
        let rfc_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        let challenge = CodeChallenge::parse(Some(rfc_challenge), Some("S256")).unwrap();
        assert!(challenge.verifies("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        assert!(!challenge.verifies("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj"));
        assert!(!challenge.verifies("short"));
        assert!(!challenge.verifies(rfc_challenge), "the challenge is not its own verifier");
        assert_eq!(CodeChallenge::parse(Some(rfc_challenge), Some("plain")), Err(PkceError::Method));
        assert_eq!(CodeChallenge::parse(Some(rfc_challenge), None), Err(PkceError::Method));
        assert_eq!(CodeChallenge::parse(None, Some("S256")), Err(PkceError::Missing));
        assert_eq!(CodeChallenge::parse(Some("too-short"), Some("S256")), Err(PkceError::Malformed));
    }
}
