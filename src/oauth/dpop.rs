//! DPoP (RFC 9449): a public app signs a small proof with a key that never
//! leaves its machine, on every request; its tokens are bound to that key,
//! so a refresh or access token copied off the machine is worth nothing.
//!
//! This module checks one proof against the request it came with and our
//! clock. That each proof is used once is the service's part: it remembers
//! proofs in the database, so a proof spent at one instance is refused at
//! every other.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

/// What proofs may be signed with (asymmetric only: the point is a key
/// only the app holds).
pub const DPOP_ALGORITHMS: &[&str] = &["ES256", "EdDSA", "RS256"];

/// How far a proof's `iat` may lie from our clock, either way: desktop
/// clocks drift, and a proof is single use whatever its age.
pub const PROOF_WINDOW: Duration = Duration::minutes(5);

/// How long past the end of its window a used proof is still remembered:
/// instances' clocks differ a little, and the one that purges the record
/// must not be ahead of one that would still take the proof.
const REMEMBER_BEYOND_WINDOW: Duration = Duration::minutes(2);

/// Longest proof accepted: an RSA-4096 key in the header fits with room.
const MAX_PROOF_BYTES: usize = 8 * 1024;

/// Longest `jti`: the RFC suggests 96 bits of randomness; this is ample.
const MAX_JTI_CHARS: usize = 256;

/// Smallest RSA modulus accepted, in bytes (2048 bits).
const MIN_RSA_MODULUS_BYTES: usize = 256;

/// The request a proof must be for.
#[derive(Debug, Clone, Copy)]
pub struct ProofTarget<'a> {
    /// `htm`: the HTTP method.
    pub method: &'a str,
    /// `htu`: the endpoint's public URL, without query or fragment.
    pub url: &'a str,
    /// At a resource (userinfo), the access token the proof must name by `ath`.
    pub access_token: Option<&'a str>,
}

/// A proof that checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proven {
    /// The RFC 7638 thumbprint of the app's key: what tokens are bound to (`cnf.jkt`).
    pub jkt: String,
    /// What the proof is remembered by to refuse it a second time: a hash of
    /// the key and `jti`, so one app's ids cannot collide with another's.
    pub replay_key: String,
    /// Until when to remember it: after that, no instance takes it anyway.
    pub remember_until: OffsetDateTime,
}

/// Why a proof was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DpopRefusal {
    /// Not a DPoP proof: not a JWT, wrong `typ`, a claim missing, too long,
    /// more than one `DPoP` header.
    #[error("not a DPoP proof")]
    Malformed,
    /// `alg` is not one we accept, or the key does not fit it, or the
    /// header carries a private key.
    #[error("algorithm or key not accepted")]
    Key,
    /// The signature does not verify with the header's key.
    #[error("bad signature")]
    Signature,
    /// `htm` or `htu` name another request.
    #[error("for another request")]
    Target,
    /// `iat` is too far from our clock.
    #[error("issued too long ago or in the future")]
    Time,
    /// `ath` is missing or is not the presented access token's hash.
    #[error("for another access token")]
    AccessToken,
    /// This proof was used before.
    #[error("already used")]
    Replayed,
    /// The tokens are bound to another key, or a proof is missing for tokens bound to one.
    #[error("not the key the tokens are bound to")]
    WrongKey,
}

#[derive(serde::Deserialize)]
struct ProofClaims {
    jti: String,
    htm: String,
    htu: String,
    iat: i64,
    #[serde(default)]
    ath: Option<String>,
}

/// Checks `proof` for `target` at `now`: everything but single use.
pub fn verify(proof: &str, target: &ProofTarget<'_>, now: OffsetDateTime) -> Result<Proven, DpopRefusal> {
    if proof.len() > MAX_PROOF_BYTES {
        return Err(DpopRefusal::Malformed);
    }
    let header_part = proof.split('.').next().ok_or(DpopRefusal::Malformed)?;
    let header: serde_json::Value = URL_SAFE_NO_PAD
        .decode(header_part)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(DpopRefusal::Malformed)?;
    if header.get("typ").and_then(serde_json::Value::as_str) != Some("dpop+jwt") {
        return Err(DpopRefusal::Malformed);
    }
    let alg = header.get("alg").and_then(serde_json::Value::as_str).ok_or(DpopRefusal::Malformed)?;
    let jwk = header.get("jwk").and_then(serde_json::Value::as_object).ok_or(DpopRefusal::Malformed)?;
    let algorithm = key_algorithm(alg, jwk)?;
    let key: Jwk = serde_json::from_value(serde_json::Value::Object(jwk.clone())).map_err(|_| DpopRefusal::Key)?;
    let decoding = DecodingKey::from_jwk(&key).map_err(|_| DpopRefusal::Key)?;
    let mut validation = Validation::new(algorithm);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<ProofClaims>(proof, &decoding, &validation)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => DpopRefusal::Signature,
            jsonwebtoken::errors::ErrorKind::InvalidAlgorithm
            | jsonwebtoken::errors::ErrorKind::InvalidKeyFormat
            | jsonwebtoken::errors::ErrorKind::InvalidEcdsaKey
            | jsonwebtoken::errors::ErrorKind::InvalidRsaKey(_) => DpopRefusal::Key,
            _ => DpopRefusal::Malformed,
        })?
        .claims;
    if claims.jti.is_empty() || claims.jti.chars().count() > MAX_JTI_CHARS {
        return Err(DpopRefusal::Malformed);
    }
    if claims.htm != target.method || !same_endpoint(&claims.htu, target.url) {
        return Err(DpopRefusal::Target);
    }
    let iat = OffsetDateTime::from_unix_timestamp(claims.iat).map_err(|_| DpopRefusal::Time)?;
    if (iat - now).abs() > PROOF_WINDOW {
        return Err(DpopRefusal::Time);
    }
    if let Some(token) = target.access_token {
        let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()));
        if claims.ath.as_deref() != Some(expected.as_str()) {
            return Err(DpopRefusal::AccessToken);
        }
    }
    let jkt = thumbprint(jwk)?;
    let replay_key = hex::encode(Sha256::digest(format!("{jkt}.{}", claims.jti).as_bytes()));
    let remember_until = iat.max(now) + PROOF_WINDOW + REMEMBER_BEYOND_WINDOW;
    Ok(Proven { jkt, replay_key, remember_until })
}

/// The algorithm `alg` names, if we accept it and the header's key is a
/// public key of its kind.
fn key_algorithm(alg: &str, jwk: &serde_json::Map<String, serde_json::Value>) -> Result<Algorithm, DpopRefusal> {
    // A private key in the header would be a gift to anyone watching.
    const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
    if PRIVATE_MEMBERS.iter().any(|member| jwk.contains_key(*member)) {
        return Err(DpopRefusal::Key);
    }
    let member = |name: &str| jwk.get(name).and_then(serde_json::Value::as_str);
    match (alg, member("kty"), member("crv")) {
        ("ES256", Some("EC"), Some("P-256")) => Ok(Algorithm::ES256),
        ("EdDSA", Some("OKP"), Some("Ed25519")) => Ok(Algorithm::EdDSA),
        ("RS256", Some("RSA"), _) => {
            let modulus = member("n").and_then(|n| URL_SAFE_NO_PAD.decode(n).ok()).ok_or(DpopRefusal::Key)?;
            let significant = modulus.iter().skip_while(|byte| **byte == 0).count();
            if significant < MIN_RSA_MODULUS_BYTES {
                return Err(DpopRefusal::Key);
            }
            Ok(Algorithm::RS256)
        }
        _ => Err(DpopRefusal::Key),
    }
}

/// The RFC 7638 thumbprint: SHA-256 over the key's required members,
/// sorted, without whitespace; base64url.
pub fn thumbprint(jwk: &serde_json::Map<String, serde_json::Value>) -> Result<String, DpopRefusal> {
    let required: &[&str] = match jwk.get("kty").and_then(serde_json::Value::as_str) {
        Some("EC") => &["crv", "kty", "x", "y"],
        Some("OKP") => &["crv", "kty", "x"],
        Some("RSA") => &["e", "kty", "n"],
        _ => return Err(DpopRefusal::Key),
    };
    let mut members = BTreeMap::new();
    for name in required {
        let value = jwk.get(*name).and_then(serde_json::Value::as_str).ok_or(DpopRefusal::Key)?;
        members.insert(*name, value);
    }
    let canonical = serde_json::to_string(&members).map_err(|_| DpopRefusal::Key)?;
    Ok(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())))
}

/// Whether `htu` names the endpoint at `ours`: scheme, host, port and
/// path alike; query and fragment ignored (RFC 9449 §4.3).
fn same_endpoint(htu: &str, ours: &str) -> bool {
    let (Ok(theirs), Ok(ours)) = (url::Url::parse(htu), url::Url::parse(ours)) else { return false };
    theirs.scheme() == ours.scheme()
        && theirs.host_str() == ours.host_str()
        && theirs.port_or_known_default() == ours.port_or_known_default()
        && theirs.path() == ours.path()
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    use jsonwebtoken::{EncodingKey, Header};

    use super::*;

    struct AppKey {
        encoding: EncodingKey,
        jwk: serde_json::Value,
    }

    fn app_key() -> AppKey {
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new()).unwrap();
        let encoding = EncodingKey::from_ec_der(pkcs8.as_ref());
        let jwk = serde_json::to_value(Jwk::from_encoding_key(&encoding, Algorithm::ES256).unwrap()).unwrap();
        AppKey { encoding, jwk }
    }

    fn proof(key: &AppKey, claims: serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(serde_json::from_value(key.jwk.clone()).unwrap());
        jsonwebtoken::encode(&header, &claims, &key.encoding).unwrap()
    }

    const URL: &str = "https://id.example.com/oauth/token";

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    fn target() -> ProofTarget<'static> {
        ProofTarget { method: "POST", url: URL, access_token: None }
    }

    #[test]
    fn a_fresh_proof_for_this_request_binds_to_its_key() {
        let key = app_key();
        let now = now();
        let claims = serde_json::json!({"jti": "a", "htm": "POST", "htu": URL, "iat": now.unix_timestamp()});
        let proven = verify(&proof(&key, claims), &target(), now).unwrap();
        assert_eq!(proven.jkt, thumbprint(key.jwk.as_object().unwrap()).unwrap());
        // RFC 7638 §3.1's example key and thumbprint.
        let example = serde_json::json!({"kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"});
        assert_eq!(thumbprint(example.as_object().unwrap()).unwrap(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn proofs_for_another_request_time_or_token_are_refused() {
        let key = app_key();
        let now = now();
        let at = now.unix_timestamp();
        let refused = |claims: serde_json::Value, target: ProofTarget<'_>| verify(&proof(&key, claims), &target, now);
        let cases = [
            (serde_json::json!({"jti": "a", "htm": "GET", "htu": URL, "iat": at}), DpopRefusal::Target),
            (
                serde_json::json!({"jti": "a", "htm": "POST", "htu": "https://id.example.com/oauth/revoke", "iat": at}),
                DpopRefusal::Target,
            ),
            (
                serde_json::json!({"jti": "a", "htm": "POST", "htu": "https://evil.example/oauth/token", "iat": at}),
                DpopRefusal::Target,
            ),
            (serde_json::json!({"jti": "a", "htm": "POST", "htu": URL, "iat": at - 301}), DpopRefusal::Time),
            (serde_json::json!({"jti": "a", "htm": "POST", "htu": URL, "iat": at + 301}), DpopRefusal::Time),
            (serde_json::json!({"htm": "POST", "htu": URL, "iat": at}), DpopRefusal::Malformed),
        ];
        for (claims, expected) in cases {
            assert_eq!(refused(claims.clone(), target()), Err(expected), "{claims}");
        }
        // A query on htu is ignored, a default port is the same port.
        let with_query = serde_json::json!({"jti": "a", "htm": "POST", "htu": "https://id.example.com:443/oauth/token?x=1", "iat": at});
        assert!(refused(with_query, target()).is_ok());
        // At a resource, `ath` must be the presented token's hash.
        let resource = ProofTarget { method: "GET", url: URL, access_token: Some("token") };
        let without_ath = serde_json::json!({"jti": "a", "htm": "GET", "htu": URL, "iat": at});
        assert_eq!(refused(without_ath, resource), Err(DpopRefusal::AccessToken));
        let ath = URL_SAFE_NO_PAD.encode(Sha256::digest(b"token"));
        let with_ath = serde_json::json!({"jti": "a", "htm": "GET", "htu": URL, "iat": at, "ath": ath});
        assert!(refused(with_ath, resource).is_ok());
    }

    #[test]
    fn forged_or_careless_proofs_are_refused() {
        let key = app_key();
        let now = now();
        let claims = serde_json::json!({"jti": "a", "htm": "POST", "htu": URL, "iat": now.unix_timestamp()});
        let good = proof(&key, claims.clone());
        // Signed by one key, naming another.
        let other = app_key();
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        let forged_header = serde_json::json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": other.jwk});
        parts[0] = URL_SAFE_NO_PAD.encode(forged_header.to_string());
        assert_eq!(verify(&parts.join("."), &target(), now), Err(DpopRefusal::Signature));
        // A private key in the header.
        let mut leaked = key.jwk.clone();
        leaked["d"] = "AAAA".into();
        parts[0] =
            URL_SAFE_NO_PAD.encode(serde_json::json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": leaked}).to_string());
        assert_eq!(verify(&parts.join("."), &target(), now), Err(DpopRefusal::Key));
        // A symmetric algorithm, or none.
        for alg in ["HS256", "none"] {
            parts[0] =
                URL_SAFE_NO_PAD.encode(serde_json::json!({"typ": "dpop+jwt", "alg": alg, "jwk": key.jwk}).to_string());
            assert_eq!(verify(&parts.join("."), &target(), now), Err(DpopRefusal::Key), "{alg}");
        }
        // Another typ, or not a JWT at all.
        parts[0] =
            URL_SAFE_NO_PAD.encode(serde_json::json!({"typ": "JWT", "alg": "ES256", "jwk": key.jwk}).to_string());
        assert_eq!(verify(&parts.join("."), &target(), now), Err(DpopRefusal::Malformed));
        assert_eq!(verify("not a proof", &target(), now), Err(DpopRefusal::Malformed));
        assert_eq!(verify(&"a".repeat(9000), &target(), now), Err(DpopRefusal::Malformed));
    }
}
