//! OAuth clients: the apps that sign their users in through Latchkey
//! instead of asking for passwords themselves. Like integrations they live
//! in the settings file (`[[clients]]`), never in `policies/`: a
//! confidential client's secret is a deployment secret.

use std::path::PathBuf;

use serde::Deserialize;

use super::oauth::RedirectUri;
use super::policy::is_identifier;

/// Whether a client can keep a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    /// A desktop app, CLI or mobile app: anything shipped to users can be
    /// taken apart, so it holds no secret and proves itself with PKCE alone.
    Public,
    /// A vendor's server, which authenticates with a secret as well.
    Confidential,
}

/// What a client may exchange at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// An authorization code from the browser (with PKCE).
    AuthorizationCode,
    /// A refresh token, rotated on every use.
    RefreshToken,
    /// A device code approved on another screen (RFC 8628).
    DeviceCode,
}

impl Grant {
    /// The grant as written in the settings file.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::DeviceCode => "device_code",
        }
    }
}

/// What a client's ID tokens are signed with (OpenID Connect Dynamic
/// Client Registration's `id_token_signed_response_alg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum IdTokenAlg {
    /// RS256, OpenID Connect's default and the one algorithm every relying
    /// party library accepts without being told.
    #[default]
    RS256,
    /// ES256: the server's own key, when it is ES256.
    ES256,
    /// EdDSA: the server's own key, when it is Ed25519.
    EdDSA,
}

impl IdTokenAlg {
    /// The JOSE name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::ES256 => "ES256",
            Self::EdDSA => "EdDSA",
        }
    }
}

/// Longest client name: it is shown on approval pages, in one line.
const MAX_NAME_CHARS: usize = 64;

/// A validated client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The `client_id`.
    pub id: String,
    /// The name users see on approval pages.
    pub name: String,
    /// Public or confidential.
    pub kind: ClientKind,
    /// Where the browser may be sent back to.
    pub redirect_uris: Vec<RedirectUri>,
    /// What it may exchange, sorted, without repeats.
    pub grants: Vec<Grant>,
    /// The product whose license its tokens speak for.
    pub product: String,
    /// The vendor's own app: no approval page where its identity is sure
    /// (see [`Client::skips_approval`]).
    pub first_party: bool,
    /// Where a confidential client's secret is read from; without it the
    /// secret is set with the CLI (`latchkey admin client set-secret`) and
    /// only its hash is stored.
    pub secret_file: Option<PathBuf>,
    /// What its ID tokens are signed with.
    pub id_token_alg: IdTokenAlg,
}

impl Client {
    /// Whether the client may use `grant`.
    pub fn allows(&self, grant: Grant) -> bool {
        self.grants.contains(&grant)
    }

    /// The registered redirect URI that `presented` is, if any.
    pub fn redirect_uri(&self, presented: &str) -> Option<&RedirectUri> {
        self.redirect_uris.iter().find(|uri| uri.matches(presented))
    }

    /// Whether a sign-in sent back to `presented` may skip the approval
    /// page: only for the vendor's own app, and only where the code can
    /// reach that app alone (a confidential client, which must also prove
    /// its secret, or an https return address). Any program on a user's
    /// machine can listen on a loopback port or claim an app scheme and
    /// present the vendor's client id, so there the user approves every
    /// time, first party or not (RFC 8252 §8.6; Auth0 does the same).
    pub fn skips_approval(&self, presented: &str) -> bool {
        self.first_party
            && (self.kind == ClientKind::Confidential
                || self.redirect_uri(presented).is_some_and(RedirectUri::proves_the_app))
    }
}

/// One `[[clients]]` table exactly as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClient {
    id: String,
    name: String,
    kind: ClientKind,
    #[serde(default)]
    redirect_uris: Vec<String>,
    grants: Vec<Grant>,
    product: String,
    #[serde(default)]
    first_party: bool,
    #[serde(default)]
    device_flow: bool,
    secret_file: Option<PathBuf>,
    #[serde(default)]
    id_token_signed_response_alg: IdTokenAlg,
}

impl RawClient {
    /// Checks one client; the error names what to fix.
    pub fn validate(self) -> Result<Client, String> {
        let id = self.id;
        if !is_identifier(&id) {
            return Err(format!("client id `{id}`: use 1-64 lower-case letters, digits, `-` or `_`"));
        }
        let at = |problem: String| format!("client `{id}`: {problem}");
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(at(format!("`name` is shown to users: 1-{MAX_NAME_CHARS} characters on one line")));
        }
        if !is_identifier(&self.product) {
            return Err(at(format!("product `{}`: name a product of your policies", self.product)));
        }
        let mut grants = self.grants;
        grants.sort_unstable();
        grants.dedup();
        if grants.is_empty() {
            return Err(at("`grants` is empty: list authorization_code, refresh_token or device_code".into()));
        }
        let refreshes_only = grants == [Grant::RefreshToken];
        if refreshes_only {
            return Err(at("`refresh_token` alone grants nothing: add authorization_code or device_code".into()));
        }
        // The grant and the switch say the same thing; both must, so that
        // turning device flow off is never half done.
        match (grants.contains(&Grant::DeviceCode), self.device_flow) {
            (true, false) => return Err(at("grant `device_code` needs `device_flow = true`".into())),
            (false, true) => return Err(at("`device_flow = true` needs the `device_code` grant".into())),
            _ => {}
        }
        let redirect_uris = self
            .redirect_uris
            .iter()
            .map(|text| RedirectUri::parse(text).map_err(|e| at(format!("redirect URI `{text}` {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        if grants.contains(&Grant::AuthorizationCode) && redirect_uris.is_empty() {
            return Err(at("grant `authorization_code` needs at least one of `redirect_uris`".into()));
        }
        match self.kind {
            ClientKind::Public if self.secret_file.is_some() => {
                return Err(at(
                    "a public client ships to users and cannot keep a secret; remove `secret_file`, or make it confidential"
                        .into(),
                ));
            }
            // A server has an https address: loopback and private-use
            // schemes are for apps on the user's machine.
            ClientKind::Confidential => {
                if let Some(uri) = redirect_uris.iter().find(|uri| !uri.as_str().starts_with("https://")) {
                    return Err(at(format!("a confidential client is a server: redirect URI `{uri}` must be https")));
                }
            }
            ClientKind::Public => {}
        }
        Ok(Client {
            id,
            name,
            kind: self.kind,
            redirect_uris,
            grants,
            product: self.product,
            first_party: self.first_party,
            secret_file: self.secret_file,
            id_token_alg: self.id_token_signed_response_alg,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Client, String> {
        let raw: RawClient = toml::from_str(text).map_err(|e| e.to_string())?;
        raw.validate()
    }

    const DESKTOP: &str = "id = \"studio-desktop\"\nname = \"Studio for desktop\"\nkind = \"public\"\n\
        redirect_uris = [\"http://127.0.0.1/callback\", \"com.example.studio:/callback\"]\n\
        grants = [\"refresh_token\", \"authorization_code\", \"device_code\", \"refresh_token\"]\n\
        device_flow = true\nproduct = \"studio\"\nfirst_party = true\n";

    #[test]
    fn a_desktop_app_with_browser_and_device_sign_in() {
        let client = parse(DESKTOP).unwrap();
        assert_eq!(client.grants, vec![Grant::AuthorizationCode, Grant::RefreshToken, Grant::DeviceCode]);
        assert!(client.allows(Grant::DeviceCode) && client.first_party);
        assert!(client.redirect_uri("http://127.0.0.1:53122/callback").is_some());
        assert!(client.redirect_uri("com.example.studio:/callback").is_some());
        assert!(client.redirect_uri("https://evil.example/callback").is_none());
    }

    #[test]
    fn only_a_first_party_app_whose_return_address_proves_it_skips_approval() {
        let desktop = Client {
            redirect_uris: vec![
                RedirectUri::parse("http://127.0.0.1/callback").unwrap(),
                RedirectUri::parse("com.example.studio:/callback").unwrap(),
                RedirectUri::parse("https://studio.example.com/callback").unwrap(),
                RedirectUri::parse("https://127.0.0.1:8443/callback").unwrap(),
                RedirectUri::parse("https://localhost/callback").unwrap(),
            ],
            ..parse(DESKTOP).unwrap()
        };
        assert!(!desktop.skips_approval("http://127.0.0.1:53122/callback"), "any program can listen on loopback");
        assert!(!desktop.skips_approval("com.example.studio:/callback"), "any program can claim a scheme");
        assert!(!desktop.skips_approval("https://127.0.0.1:8443/callback"), "nor is https on this machine proof");
        assert!(!desktop.skips_approval("https://localhost/callback"));
        assert!(desktop.skips_approval("https://studio.example.com/callback"));
        assert!(!desktop.skips_approval("https://evil.example/callback"), "not registered");
        let third_party = Client { first_party: false, ..desktop.clone() };
        assert!(!third_party.skips_approval("https://studio.example.com/callback"));
        let portal = Client { kind: ClientKind::Confidential, ..desktop };
        assert!(portal.skips_approval("https://studio.example.com/callback"));
    }

    #[test]
    fn a_bad_client_says_what_to_fix() {
        let with = |from: &str, to: &str| DESKTOP.replace(from, to);
        let cases = [
            (with("studio-desktop", "Studio Desktop"), "lower-case"),
            (with("Studio for desktop", ""), "`name` is shown to users"),
            (with("device_flow = true", "device_flow = false"), "needs `device_flow = true`"),
            (with(", \"device_code\"", ""), "needs the `device_code` grant"),
            (with("http://127.0.0.1/callback", "http://example.com/callback"), "uses http to another machine"),
            (with("kind = \"public\"", "kind = \"public\"\nsecret_file = \"s\""), "cannot keep a secret"),
            (with("kind = \"public\"", "kind = \"confidential\""), "must be https"),
            (with("product = \"studio\"", "product = \"Studio!\""), "name a product"),
        ];
        for (text, expected) in cases {
            let error = parse(&text).unwrap_err();
            assert!(error.contains(expected), "{expected:?} not in {error:?}");
        }
        let no_redirect =
            "id = \"cli\"\nname = \"CLI\"\nkind = \"public\"\ngrants = [\"authorization_code\"]\nproduct = \"studio\"";
        assert!(parse(no_redirect).unwrap_err().contains("at least one of `redirect_uris`"));
        let refresh_only =
            "id = \"cli\"\nname = \"CLI\"\nkind = \"public\"\ngrants = [\"refresh_token\"]\nproduct = \"studio\"";
        assert!(parse(refresh_only).unwrap_err().contains("alone grants nothing"));
        assert!(parse(&with("first_party = true", "first_party = true\ncolour = 1")).is_err(), "unknown keys");
        assert!(parse(&with("\"device_code\"", "\"password\"")).is_err(), "no password grant");
    }

    #[test]
    fn a_cli_with_device_flow_alone_needs_no_redirect() {
        let cli = "id = \"cli\"\nname = \"Studio CLI\"\nkind = \"public\"\ngrants = [\"device_code\", \"refresh_token\"]\n\
                   device_flow = true\nproduct = \"studio\"";
        let client = parse(cli).unwrap();
        assert!(client.redirect_uris.is_empty() && !client.allows(Grant::AuthorizationCode));
    }
}
