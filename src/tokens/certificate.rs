//! Offline license certificates: a JWT (`typ: license+jwt`) any JOSE library
//! verifies against the JWKS, so a device can prove its license without
//! calling home until the offline lease runs out.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::domain::license::{Activation, License};
use crate::domain::policy::{Expiration, Policy};

/// The JWS `typ` of a license certificate.
pub const TYP: &str = "license+jwt";

/// What a license certificate says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateClaims {
    /// The public URL of this Latchkey.
    pub iss: String,
    /// `urn:latchkey:product:<product>`: a verifier that checks audience
    /// can never take a certificate for an access token, or one product's
    /// for another's. Certificates signed before it existed have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// The user who activated the device.
    pub sub: String,
    /// The activation this certificate is for.
    pub jti: String,
    /// License id.
    pub lic: String,
    /// Product.
    pub prd: String,
    /// Policy name.
    pub pol: String,
    /// Entitlements.
    pub ent: Vec<String>,
    /// SHA-256 of the device fingerprint, so the certificate only fits its device.
    pub fpr: String,
    /// The EULA version the user accepted, when the policy requires one.
    pub eula: Option<String>,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// End of the offline lease (never past a `restrict` license's expiry).
    pub exp: i64,
}

/// The audience of a product's certificates.
pub fn audience(product: &str) -> String {
    format!("urn:latchkey:product:{product}")
}

/// The claims for `activation`, issued at `now`.
pub fn claims(
    issuer: &str,
    license: &License,
    activation: &Activation,
    policy: &Policy,
    now: OffsetDateTime,
) -> CertificateClaims {
    let mut until = now + policy.offline_lease;
    if policy.expiration == Expiration::Restrict
        && let Some(expiry) = license.expires_at
    {
        until = until.min(expiry);
    }
    if let Some(lease) = activation.lease_expires_at {
        // A floating seat cannot be held offline beyond its lease.
        until = until.min(lease);
    }
    CertificateClaims {
        iss: issuer.trim_end_matches('/').to_owned(),
        aud: Some(audience(&license.product)),
        sub: activation.user_id.as_ref().map(ToString::to_string).unwrap_or_default(),
        jti: activation.id.to_string(),
        lic: license.id.to_string(),
        prd: license.product.clone(),
        pol: license.policy.clone(),
        ent: license.entitlements.clone(),
        fpr: activation.fingerprint_hash.clone(),
        eula: None,
        iat: now.unix_timestamp(),
        exp: until.unix_timestamp(),
    }
}
