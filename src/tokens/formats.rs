//! The exact claims each consumer verifies (see `NOTES.md` for the vendors'
//! documentation). Pure: the caller supplies the user, the time and the
//! secret. Every format names the user by the stable user id, never by
//! email alone, so a changed address cannot take over another identity.

use std::collections::BTreeMap;

use aws_lc_rs::hmac;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::domain::account::User;
use crate::domain::integration::HashedIdentifier;
use crate::domain::license::License;

/// `typ` of our access tokens (RFC 9068).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// A license as our access tokens describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseClaim {
    /// License id.
    pub id: String,
    /// The product it unlocks.
    pub product: String,
    /// The policy it was issued under.
    pub policy: String,
    /// `active`, `suspended` or `revoked`; tokens list only usable
    /// licenses, so in practice `active`. Tokens minted before the claim
    /// existed held only active licenses too.
    #[serde(default = "active")]
    pub status: String,
    /// Features it grants.
    pub entitlements: Vec<String>,
    /// Expiry, Unix seconds; absent for a perpetual license.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

impl From<&License> for LicenseClaim {
    fn from(license: &License) -> Self {
        Self {
            id: license.id.to_string(),
            product: license.product.clone(),
            policy: license.policy.clone(),
            status: license.status.as_str().to_owned(),
            entitlements: license.entitlements.clone(),
            expires_at: license.expires_at.map(OffsetDateTime::unix_timestamp),
        }
    }
}

fn active() -> String {
    "active".to_owned()
}

/// Our access token: RFC 9068 claims plus who the user is, how strongly
/// they signed in, their licenses and the EULA versions they accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer: the public URL of this Latchkey.
    pub iss: String,
    /// Subject: the user id.
    pub sub: String,
    /// Audience: the integration's name.
    pub aud: String,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Unique token id: what the revocation list holds once the token is
    /// revoked. Nothing is recorded when it is minted.
    pub jti: String,
    /// The session it was minted from (OpenID's `sid`): ending the session
    /// ends the token, on every instance. An id, not the session's secret.
    pub sid: String,
    /// The integration or OAuth client the token was minted for (RFC 9068); same as `aud`.
    pub client_id: String,
    /// What an OAuth client was granted (RFC 9068), space-separated; absent
    /// on tokens minted for integrations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// When the user last proved who they are, Unix seconds.
    pub auth_time: i64,
    /// How the session signed in (RFC 8176 method references).
    pub amr: Vec<String>,
    /// Sign-in strength: `password`, `mfa` or `phishing_resistant`.
    pub acr: String,
    /// The user's email address.
    pub email: String,
    /// Whether the user proved they receive mail at it.
    pub email_verified: bool,
    /// Display name, if the user gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Licenses that allow this audience and whose requirements the session meets.
    pub licenses: Vec<LicenseClaim>,
    /// Product → accepted EULA version.
    pub eula: BTreeMap<String, String>,
    /// RFC 9449: the DPoP key the token is bound to; it is accepted only
    /// with a proof made with that key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

/// A token's confirmation claim (RFC 7800), here always a DPoP key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The RFC 7638 thumbprint of the key.
    pub jkt: String,
}

/// An OpenID Connect ID token: who signed in to the app, when and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdClaims {
    /// Issuer: the public URL of this Latchkey.
    pub iss: String,
    /// Subject: the user id.
    pub sub: String,
    /// Audience: the client id.
    pub aud: String,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// When the user last proved who they are, Unix seconds.
    pub auth_time: i64,
    /// The client's `nonce`, echoed so it can tie the token to its request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// How the user signed in (RFC 8176).
    pub amr: Vec<String>,
    /// Sign-in strength: `password`, `mfa` or `phishing_resistant`.
    pub acr: String,
    /// Authorized party: the client id.
    pub azp: String,
    /// The grant, as the app's session.
    pub sid: String,
    /// With scope `email`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// With scope `email`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// With scope `profile`, when the user gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Zendesk messaging ("authenticate users"): `scope` and `external_id` are
/// required; Zendesk rejects an `external_id` over 255 characters (ours are 36).
#[derive(Debug, Clone, Serialize)]
pub struct ZendeskMessagingClaims {
    /// Always `user`.
    pub scope: &'static str,
    /// Our user id, Zendesk's stable key for the user.
    pub external_id: String,
    /// The user's email address.
    pub email: String,
    /// Whether the user proved they receive mail at it.
    pub email_verified: bool,
    /// Display name, or the email when the user gave none.
    pub name: String,
    /// Expiry, Unix seconds.
    pub exp: i64,
}

/// Zendesk help-centre JWT SSO: Zendesk checks `iat` within ±2 minutes and
/// refuses a `jti` it has seen; `name` and `email` are required.
#[derive(Debug, Clone, Serialize)]
pub struct ZendeskSsoClaims {
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Unique token id; Zendesk accepts each only once.
    pub jti: String,
    /// The user's email address.
    pub email: String,
    /// Display name, or the email when the user gave none.
    pub name: String,
    /// Our user id, Zendesk's stable key for the user.
    pub external_id: String,
}

/// Intercom Messenger identity verification: `user_id` is required.
#[derive(Debug, Clone, Serialize)]
pub struct IntercomClaims {
    /// Our user id, Intercom's stable key for the user.
    pub user_id: String,
    /// The user's email address.
    pub email: String,
    /// Display name, if the user gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Expiry, Unix seconds.
    pub exp: i64,
}

/// Vendors that require a name get the email when the user gave none.
fn display_name(user: &User) -> String {
    user.display_name().to_owned()
}

/// Claims for Zendesk messaging, valid until `expires_at`.
pub fn zendesk_messaging(user: &User, expires_at: OffsetDateTime) -> ZendeskMessagingClaims {
    ZendeskMessagingClaims {
        scope: "user",
        external_id: user.id.to_string(),
        email: user.email.clone(),
        email_verified: user.email_verified(),
        name: display_name(user),
        exp: expires_at.unix_timestamp(),
    }
}

/// Claims for Zendesk help-centre SSO, with a fresh `jti`.
pub fn zendesk_sso(user: &User, jti: String, now: OffsetDateTime) -> ZendeskSsoClaims {
    ZendeskSsoClaims {
        iat: now.unix_timestamp(),
        jti,
        email: user.email.clone(),
        name: display_name(user),
        external_id: user.id.to_string(),
    }
}

/// Claims for Intercom Messenger, valid until `expires_at`.
pub fn intercom(user: &User, expires_at: OffsetDateTime) -> IntercomClaims {
    IntercomClaims {
        user_id: user.id.to_string(),
        email: user.email.clone(),
        name: user.name.clone(),
        exp: expires_at.unix_timestamp(),
    }
}

/// What an identity hash covers for this user.
pub fn hashed_identifier(user: &User, identifier: HashedIdentifier) -> &str {
    match identifier {
        HashedIdentifier::Email => &user.email,
        HashedIdentifier::UserId => user.id.as_str(),
    }
}

/// Lower-case hex HMAC-SHA256, the form Help Scout, Crisp, Front and Chatwoot compare.
pub fn identity_hash(secret: &[u8], identifier: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    hex::encode(hmac::sign(&key, identifier.as_bytes()).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_hash_matches_rfc_4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            identity_hash(b"Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
