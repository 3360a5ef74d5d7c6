//! Signing keys and the JWKS. Keys are made by the server, kept sealed in the
//! database, and cached briefly in each instance, so a rotation on one
//! instance reaches every other within `REFRESH`.

use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use time::{Duration, OffsetDateTime};
use tokio::sync::RwLock;

use crate::clock::Clock;
use crate::secrets::MasterKey;
use crate::store::{SigningKeyRecord, Store, StoreError};

/// How long an instance trusts its cached idea of the current key.
pub const REFRESH: Duration = Duration::seconds(30);

const SEAL_CONTEXT: &str = "signing-key";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("signing key: {0}")]
    Crypto(String),
}

pub type KeyResult<T> = Result<T, KeyError>;

/// The current key, opened and ready to sign.
struct Loaded {
    kid: String,
    encoding: EncodingKey,
    loaded_at: OffsetDateTime,
}

pub struct SigningKeys {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    master_key: Arc<MasterKey>,
    current: RwLock<Option<Arc<Loaded>>>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKeys(..)")
    }
}

/// Makes a new ES256 key: the record to store (private half sealed) and nothing in clear.
pub fn generate(master_key: &MasterKey, now: OffsetDateTime) -> KeyResult<SigningKeyRecord> {
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .map_err(|e| KeyError::Crypto(e.to_string()))?;
    let kid = format!("{}-{}", now.date(), &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let mut jwk = Jwk::from_encoding_key(&EncodingKey::from_ec_der(pkcs8.as_ref()), Algorithm::ES256)
        .map_err(|e| KeyError::Crypto(e.to_string()))?;
    jwk.common.key_id = Some(kid.clone());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    jwk.common.key_algorithm = Some(KeyAlgorithm::ES256);
    Ok(SigningKeyRecord {
        private_sealed: master_key.seal(&format!("{SEAL_CONTEXT}:{kid}"), pkcs8.as_ref()),
        public_jwk: serde_json::to_string(&jwk).map_err(|e| KeyError::Crypto(e.to_string()))?,
        alg: "ES256".into(),
        kid,
        created_at: now,
        retired_at: None,
        publish_until: None,
    })
}

impl SigningKeys {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, master_key: Arc<MasterKey>) -> Self {
        Self { store, clock, master_key, current: RwLock::new(None) }
    }

    fn open(&self, record: &SigningKeyRecord, now: OffsetDateTime) -> KeyResult<Loaded> {
        let der = self
            .master_key
            .open(&format!("{SEAL_CONTEXT}:{}", record.kid), &record.private_sealed)
            .map_err(|e| KeyError::Crypto(format!("{}: {e}", record.kid)))?;
        Ok(Loaded { kid: record.kid.clone(), encoding: EncodingKey::from_ec_der(&der), loaded_at: now })
    }

    async fn current(&self) -> KeyResult<Arc<Loaded>> {
        let now = self.clock.now();
        if let Some(loaded) = self.current.read().await.as_ref().filter(|l| now - l.loaded_at < REFRESH) {
            return Ok(loaded.clone());
        }
        let candidate = generate(&self.master_key, now)?;
        let record = self.store.current_signing_key(&candidate).await?;
        let loaded = Arc::new(self.open(&record, now)?);
        *self.current.write().await = Some(loaded.clone());
        Ok(loaded)
    }

    /// A JWT with `typ` in its header, signed by the current key.
    pub async fn sign_jwt<T: Serialize>(&self, typ: &str, claims: &T) -> KeyResult<String> {
        let key = self.current().await?;
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(key.kid.clone());
        header.typ = Some(typ.to_owned());
        jsonwebtoken::encode(&header, claims, &key.encoding).map_err(|e| KeyError::Crypto(e.to_string()))
    }

    /// A JWS with a detached payload (RFC 7515 appendix F):
    /// `<protected header>..<signature>`, verifiable with the JWKS by putting
    /// the base64url of the exact body between the dots.
    pub async fn sign_detached(&self, payload: &[u8]) -> KeyResult<String> {
        let key = self.current().await?;
        let header = serde_json::json!({"alg": "ES256", "kid": key.kid});
        let protected = URL_SAFE_NO_PAD.encode(header.to_string());
        let signing_input = format!("{protected}.{}", URL_SAFE_NO_PAD.encode(payload));
        let signature = jsonwebtoken::crypto::sign(signing_input.as_bytes(), &key.encoding, Algorithm::ES256)
            .map_err(|e| KeyError::Crypto(e.to_string()))?;
        Ok(format!("{protected}..{signature}"))
    }

    /// Every key that can still verify a live token.
    pub async fn jwks(&self) -> KeyResult<serde_json::Value> {
        // Make sure a key exists before the first token is ever verified.
        self.current().await?;
        let records = self.store.published_signing_keys(self.clock.now()).await?;
        let keys = records
            .iter()
            .map(|r| serde_json::from_str::<serde_json::Value>(&r.public_jwk))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| KeyError::Crypto(e.to_string()))?;
        Ok(serde_json::json!({ "keys": keys }))
    }

    /// Makes a new key current at once; the old one stays published for
    /// `keep_published` (the longest lifetime of anything it signed).
    pub async fn rotate(&self, keep_published: Duration) -> KeyResult<String> {
        let now = self.clock.now();
        let next = generate(&self.master_key, now)?;
        self.store.rotate_signing_key(&next, now + keep_published).await?;
        let loaded = Arc::new(self.open(&next, now)?);
        *self.current.write().await = Some(loaded);
        Ok(next.kid)
    }
}
