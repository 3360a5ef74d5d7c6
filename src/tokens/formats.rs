//! The exact claims each consumer verifies (see `NOTES.md` for the vendors'
//! documentation). Pure: the caller supplies the user, the time and the
//! secret. Every format names the user by the stable user id, never by
//! email alone, so a changed address cannot take over another identity.

use std::collections::BTreeMap;

use aws_lc_rs::hmac;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::domain::integration::HashedIdentifier;
use crate::store::{License, User};

/// `typ` of our access tokens (RFC 9068).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// A license as our access tokens describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseClaim {
    pub id: String,
    pub product: String,
    pub policy: String,
    pub entitlements: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

impl From<&License> for LicenseClaim {
    fn from(license: &License) -> Self {
        Self {
            id: license.id.clone(),
            product: license.product.clone(),
            policy: license.policy.clone(),
            entitlements: license.entitlements.clone(),
            expires_at: license.expires_at.map(OffsetDateTime::unix_timestamp),
        }
    }
}

/// Our access token: RFC 9068 claims plus who the user is, how strongly
/// they signed in, their licenses and the EULA versions they accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    pub auth_time: i64,
    pub amr: Vec<String>,
    pub acr: String,
    pub email: String,
    pub email_verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub licenses: Vec<LicenseClaim>,
    /// Product → accepted EULA version.
    pub eula: BTreeMap<String, String>,
}

/// Zendesk messaging ("authenticate users"): `scope` and `external_id` are
/// required; Zendesk rejects an `external_id` over 255 characters (ours are 36).
#[derive(Debug, Clone, Serialize)]
pub struct ZendeskMessagingClaims {
    pub scope: &'static str,
    pub external_id: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub exp: i64,
}

/// Zendesk help-centre JWT SSO: Zendesk checks `iat` within ±2 minutes and
/// refuses a `jti` it has seen; `name` and `email` are required.
#[derive(Debug, Clone, Serialize)]
pub struct ZendeskSsoClaims {
    pub iat: i64,
    pub jti: String,
    pub email: String,
    pub name: String,
    pub external_id: String,
}

/// Intercom Messenger identity verification: `user_id` is required.
#[derive(Debug, Clone, Serialize)]
pub struct IntercomClaims {
    pub user_id: String,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub exp: i64,
}

/// Vendors that require a name get the email when the user gave none.
fn display_name(user: &User) -> String {
    user.name.clone().unwrap_or_else(|| user.email.clone())
}

pub fn zendesk_messaging(user: &User, expires_at: OffsetDateTime) -> ZendeskMessagingClaims {
    ZendeskMessagingClaims {
        scope: "user",
        external_id: user.id.clone(),
        email: user.email.clone(),
        email_verified: user.email_verified_at.is_some(),
        name: display_name(user),
        exp: expires_at.unix_timestamp(),
    }
}

pub fn zendesk_sso(user: &User, jti: String, now: OffsetDateTime) -> ZendeskSsoClaims {
    ZendeskSsoClaims {
        iat: now.unix_timestamp(),
        jti,
        email: user.email.clone(),
        name: display_name(user),
        external_id: user.id.clone(),
    }
}

pub fn intercom(user: &User, expires_at: OffsetDateTime) -> IntercomClaims {
    IntercomClaims {
        user_id: user.id.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
        exp: expires_at.unix_timestamp(),
    }
}

/// What an identity hash covers for this user.
pub fn hashed_identifier(user: &User, identifier: HashedIdentifier) -> &str {
    match identifier {
        HashedIdentifier::Email => &user.email,
        HashedIdentifier::UserId => &user.id,
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
