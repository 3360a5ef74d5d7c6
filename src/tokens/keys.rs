//! Signing keys and the JWKS. Keys are made by the server, kept sealed in the
//! database, and cached briefly in each instance, so a rotation on one
//! instance reaches every other within `REFRESH`.

use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::{Duration, OffsetDateTime};
use tokio::sync::RwLock;

use crate::clock::Clock;
use crate::config::SigningAlgorithm;
use crate::domain::reason::Code;
use crate::secrets::MasterKey;
use crate::store::{Rotation, RotationLimits, SigningKeyRecord, Store, StoreError};

/// How long an instance trusts its cached idea of the current key.
pub const REFRESH: Duration = Duration::seconds(30);

const SEAL_CONTEXT: &str = "signing-key";

/// Keys made in an hour at most (the first key counts): enough to undo a
/// mistaken rotation or two, not enough for a script to flood the JWKS.
pub const ROTATIONS_PER_HOUR: u32 = 6;

/// Retired keys published at most. Each stays in every JWKS answer for the
/// key retention (a day or the longest offline lease); past this many,
/// rotation waits until the oldest has expired.
pub const MAX_PUBLISHED: u32 = 16;

const ROTATION_LIMITS: RotationLimits = RotationLimits { per_hour: ROTATIONS_PER_HOUR, max_published: MAX_PUBLISHED };

/// The JOSE name of the algorithm of the RSA key.
pub const RS256: &str = "RS256";

/// Which line of keys signs: the server's own (the configured algorithm,
/// for everything it signs), or the RSA line that signs only ID tokens for
/// relying parties that know nothing but RS256, the one algorithm OpenID
/// Connect requires them to. Each line has its own current key and rotates
/// with the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLine {
    /// The configured algorithm (ES256 or EdDSA).
    Main,
    /// RS256, for ID tokens only.
    Rsa,
}

impl KeyLine {
    /// The line a stored key with this `alg` belongs to.
    pub fn of(alg: &str) -> Self {
        if alg == RS256 { Self::Rsa } else { Self::Main }
    }
}

/// Why signing or the key store failed (never the caller's doing).
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A key did not open or sign.
    #[error("signing key: {0}")]
    Crypto(String),
    /// More than `ROTATIONS_PER_HOUR` keys would have been made in an hour.
    #[error("too many signing key rotations in the last hour")]
    RotatedTooOften {
        /// Seconds until a rotation is allowed again.
        retry_after_secs: u64,
    },
    /// `MAX_PUBLISHED` retired keys are still published.
    #[error("too many retired signing keys are still published")]
    TooManyPublished {
        /// Seconds until enough of them have left the JWKS.
        retry_after_secs: u64,
    },
}

impl KeyError {
    /// The stable code of this failure.
    pub fn code(&self) -> Code {
        match self {
            Self::Store(e) if e.is_outage() => Code::Unavailable,
            Self::Store(_) | Self::Crypto(_) => Code::Internal,
            Self::RotatedTooOften { .. } | Self::TooManyPublished { .. } => Code::RateLimited,
        }
    }
}

/// The result of a key operation.
pub type KeyResult<T> = Result<T, KeyError>;

/// Everything `SigningKeys` is built from.
pub struct SigningKeysConfig {
    /// Where keys live, sealed.
    pub store: Arc<dyn Store>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Seals and opens private keys.
    pub master_key: Arc<MasterKey>,
    /// What new keys are made with.
    pub algorithm: SigningAlgorithm,
    /// How long a retired key stays published: long enough for everything
    /// it signed to expire (see `PolicySet::key_retention`).
    pub retention: Duration,
    /// Whether the RSA line is in use (an app's ID tokens are RS256): only
    /// then is an RSA key made and published.
    pub rsa_line: bool,
}

/// The current key, opened and ready to sign.
struct Loaded {
    kid: String,
    algorithm: Algorithm,
    private: PrivateKey,
    /// The base64url protected header of detached signatures, made once per
    /// key rather than for every signed answer.
    detached_header: String,
    loaded_at: OffsetDateTime,
}

/// The signing keys: the current one signs, published ones verify.
pub struct SigningKeys {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    master_key: Arc<MasterKey>,
    /// What new keys are made with.
    algorithm: SigningAlgorithm,
    retention: Duration,
    rsa_line: bool,
    current: RwLock<Option<Arc<Loaded>>>,
    current_rsa: RwLock<Option<Arc<Loaded>>>,
}

/// Why a JWT presented to us is not one we signed, or no longer valid.
#[derive(Debug, thiserror::Error)]
pub enum Rejected {
    /// Not a JWT, or not one of ours (unknown key, wrong `typ`).
    #[error("not a JWT, or not one of ours")]
    Foreign,
    /// Past its `exp` by our clock.
    #[error("expired")]
    Expired,
    /// Signed by one of our key ids, but the signature does not verify.
    #[error("bad signature")]
    Signature,
    /// Our key store failed.
    #[error(transparent)]
    Keys(#[from] KeyError),
}

/// A private key parsed once when the key is loaded: jsonwebtoken parses
/// its `EncodingKey` (and checks the point is on the curve) for every
/// signature, which cost more than the signature itself.
enum PrivateKey {
    Es256(EcdsaKeyPair),
    EdDsa(Ed25519KeyPair),
    Rs256(RsaKeyPair),
}

impl PrivateKey {
    fn parse(algorithm: Algorithm, der: &[u8]) -> KeyResult<Self> {
        let rejected = |e: aws_lc_rs::error::KeyRejected| KeyError::Crypto(e.to_string());
        match algorithm {
            Algorithm::ES256 => {
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).map(Self::Es256).map_err(rejected)
            }
            Algorithm::EdDSA => Ed25519KeyPair::from_pkcs8(der).map(Self::EdDsa).map_err(rejected),
            Algorithm::RS256 => RsaKeyPair::from_pkcs8(der).map(Self::Rs256).map_err(rejected),
            other => Err(KeyError::Crypto(format!("cannot sign with {other:?}"))),
        }
    }

    /// The base64url JWS signature over `message` (ES256 as R‖S, RFC 7518 §3.4).
    fn sign(&self, message: &[u8]) -> KeyResult<String> {
        let signature = match self {
            Self::Es256(key) => {
                key.sign(&SystemRandom::new(), message).map_err(|e| KeyError::Crypto(e.to_string()))?.as_ref().to_vec()
            }
            Self::EdDsa(key) => key.sign(message).as_ref().to_vec(),
            Self::Rs256(key) => {
                let mut signature = vec![0; key.public_modulus_len()];
                key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut signature)
                    .map_err(|e| KeyError::Crypto(e.to_string()))?;
                signature
            }
        };
        Ok(URL_SAFE_NO_PAD.encode(signature))
    }
}

/// A JWT part: the value as JSON, base64url without padding.
fn base64url_json<T: Serialize + ?Sized>(value: &T) -> KeyResult<String> {
    let json = serde_json::to_vec(value).map_err(|e| KeyError::Crypto(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

fn jose_algorithm(alg: &str) -> KeyResult<Algorithm> {
    match alg {
        "ES256" => Ok(Algorithm::ES256),
        "EdDSA" => Ok(Algorithm::EdDSA),
        RS256 => Ok(Algorithm::RS256),
        other => Err(KeyError::Crypto(format!("unknown signing algorithm {other}"))),
    }
}

/// The PKCS#8 document of a new private key: v1 for Ed25519, the form
/// jsonwebtoken derives the public JWK from.
fn new_private_key(algorithm: SigningAlgorithm) -> KeyResult<(Vec<u8>, EncodingKey, Algorithm)> {
    let crypto = |e: aws_lc_rs::error::Unspecified| KeyError::Crypto(e.to_string());
    Ok(match algorithm {
        SigningAlgorithm::Es256 => {
            let pkcs8 =
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new()).map_err(crypto)?;
            let der = pkcs8.as_ref().to_vec();
            let key = EncodingKey::from_ec_der(&der);
            (der, key, Algorithm::ES256)
        }
        SigningAlgorithm::EdDsa => {
            let pkcs8 = Ed25519KeyPair::generate_pkcs8v1(&SystemRandom::new()).map_err(crypto)?;
            let der = pkcs8.as_ref().to_vec();
            let key = EncodingKey::from_ed_der(&der);
            (der, key, Algorithm::EdDSA)
        }
    })
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKeys(..)")
    }
}

/// Makes a new key: the record to store (private half sealed) and nothing in clear.
pub fn generate(
    master_key: &MasterKey,
    algorithm: SigningAlgorithm,
    now: OffsetDateTime,
) -> KeyResult<SigningKeyRecord> {
    let (mut der, encoding, jose) = new_private_key(algorithm)?;
    let kid = format!("{}-{}", now.date(), &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let mut jwk = Jwk::from_encoding_key(&encoding, jose).map_err(|e| KeyError::Crypto(e.to_string()))?;
    jwk.common.key_id = Some(kid.clone());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    jwk.common.key_algorithm = Some(match algorithm {
        SigningAlgorithm::Es256 => KeyAlgorithm::ES256,
        SigningAlgorithm::EdDsa => KeyAlgorithm::EdDSA,
    });
    let private_sealed = master_key.seal(&format!("{SEAL_CONTEXT}:{kid}"), &der);
    zeroize::Zeroize::zeroize(&mut der);
    Ok(SigningKeyRecord {
        private_sealed,
        public_jwk: serde_json::to_string(&jwk).map_err(|e| KeyError::Crypto(e.to_string()))?,
        alg: algorithm.as_str().into(),
        kid,
        created_at: now,
        retired_at: None,
        publish_until: None,
    })
}

/// Makes a new RS256 key for the RSA line (2048 bits, as RFC 7518 §3.3
/// asks at least): the record to store, private half sealed.
pub fn generate_rsa(master_key: &MasterKey, now: OffsetDateTime) -> KeyResult<SigningKeyRecord> {
    let crypto = |e: aws_lc_rs::error::Unspecified| KeyError::Crypto(e.to_string());
    let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(crypto)?;
    let mut der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair).map_err(crypto)?.as_ref().to_vec();
    let public = pair.public_key();
    let kid = format!("{}-rsa-{}", now.date(), &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let jwk = serde_json::json!({
        "kty": "RSA",
        "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
        "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
        "kid": kid,
        "use": "sig",
        "alg": RS256,
    });
    let private_sealed = master_key.seal(&format!("{SEAL_CONTEXT}:{kid}"), &der);
    zeroize::Zeroize::zeroize(&mut der);
    Ok(SigningKeyRecord {
        private_sealed,
        public_jwk: jwk.to_string(),
        alg: RS256.into(),
        kid,
        created_at: now,
        retired_at: None,
        publish_until: None,
    })
}

/// `generate_rsa` on a blocking thread: finding RSA primes takes long
/// enough to stall the requests sharing a runtime thread.
async fn generate_rsa_off_the_runtime(master_key: &Arc<MasterKey>, now: OffsetDateTime) -> KeyResult<SigningKeyRecord> {
    let master_key = master_key.clone();
    tokio::task::spawn_blocking(move || generate_rsa(&master_key, now))
        .await
        .map_err(|e| KeyError::Crypto(format!("RSA key generation: {e}")))?
}

impl SigningKeys {
    /// The service, from its parts; no key is read until the first use.
    pub fn new(config: SigningKeysConfig) -> Self {
        let SigningKeysConfig { store, clock, master_key, algorithm, retention, rsa_line } = config;
        Self {
            store,
            clock,
            master_key,
            algorithm,
            retention,
            rsa_line,
            current: RwLock::new(None),
            current_rsa: RwLock::new(None),
        }
    }

    fn open(&self, record: &SigningKeyRecord, now: OffsetDateTime) -> KeyResult<Loaded> {
        let der = self
            .master_key
            .open(&format!("{SEAL_CONTEXT}:{}", record.kid), &record.private_sealed)
            .map_err(|e| KeyError::Crypto(format!("{}: {e}", record.kid)))?;
        let algorithm = jose_algorithm(&record.alg)?;
        let private = PrivateKey::parse(algorithm, &der)?;
        let detached_header =
            URL_SAFE_NO_PAD.encode(serde_json::json!({"alg": record.alg, "kid": record.kid}).to_string());
        Ok(Loaded { kid: record.kid.clone(), algorithm, private, detached_header, loaded_at: now })
    }

    async fn current(&self) -> KeyResult<Arc<Loaded>> {
        self.current_of(KeyLine::Main).await
    }

    /// The current key of `line`, from the cache while it is fresh. A new
    /// key is made only when the line has none (an RSA key takes a while).
    async fn current_of(&self, line: KeyLine) -> KeyResult<Arc<Loaded>> {
        let cache = match line {
            KeyLine::Main => &self.current,
            KeyLine::Rsa => &self.current_rsa,
        };
        let now = self.clock.now();
        if let Some(loaded) = cache.read().await.as_ref().filter(|l| now - l.loaded_at < REFRESH) {
            return Ok(loaded.clone());
        }
        let published = self.store.published_signing_keys(now).await?;
        let record = match published.into_iter().find(|r| r.retired_at.is_none() && KeyLine::of(&r.alg) == line) {
            Some(record) => record,
            None => {
                let candidate = match line {
                    KeyLine::Main => generate(&self.master_key, self.algorithm, now)?,
                    KeyLine::Rsa => generate_rsa_off_the_runtime(&self.master_key, now).await?,
                };
                self.store.current_signing_key(&candidate).await?
            }
        };
        let loaded = Arc::new(self.open(&record, now)?);
        *cache.write().await = Some(loaded.clone());
        Ok(loaded)
    }

    /// A JWT with `typ` in its header, signed by the current key.
    pub async fn sign_jwt<T: Serialize>(&self, typ: &str, claims: &T) -> KeyResult<String> {
        self.sign_jwt_with(KeyLine::Main, typ, claims).await
    }

    /// A JWT with `typ` in its header, signed by the current key of `line`.
    pub async fn sign_jwt_with<T: Serialize>(&self, line: KeyLine, typ: &str, claims: &T) -> KeyResult<String> {
        let key = self.current_of(line).await?;
        let mut header = Header::new(key.algorithm);
        header.kid = Some(key.kid.clone());
        header.typ = Some(typ.to_owned());
        let signing_input = format!("{}.{}", base64url_json(&header)?, base64url_json(claims)?);
        let signature = key.private.sign(signing_input.as_bytes())?;
        Ok(format!("{signing_input}.{signature}"))
    }

    /// A JWS with a detached payload (RFC 7515 appendix F):
    /// `<protected header>..<signature>`, verifiable with the JWKS by putting
    /// the base64url of the exact body between the dots.
    pub async fn sign_detached(&self, payload: &[u8]) -> KeyResult<String> {
        let key = self.current().await?;
        let protected = &key.detached_header;
        let signing_input = format!("{protected}.{}", URL_SAFE_NO_PAD.encode(payload));
        let signature = key.private.sign(signing_input.as_bytes())?;
        Ok(format!("{protected}..{signature}"))
    }

    /// Every key that can still verify a live token.
    pub async fn jwks(&self) -> KeyResult<serde_json::Value> {
        // Make sure every line in use has a key before the first token is
        // ever verified: relying parties fetch the JWKS once, at discovery.
        self.current().await?;
        if self.rsa_line {
            self.current_of(KeyLine::Rsa).await?;
        }
        let records = self.store.published_signing_keys(self.clock.now()).await?;
        let keys = records
            .iter()
            .map(|r| serde_json::from_str::<serde_json::Value>(&r.public_jwk))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| KeyError::Crypto(e.to_string()))?;
        Ok(serde_json::json!({ "keys": keys }))
    }

    /// Checks a JWT of type `typ` against every published key and decodes
    /// its claims. `exp` is checked here with no leeway; `aud` is the
    /// caller's business (introspection reports it rather than demands one).
    pub async fn verify_jwt<T: DeserializeOwned>(&self, typ: &str, token: &str) -> Result<T, Rejected> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| Rejected::Foreign)?;
        if header.typ.as_deref() != Some(typ) {
            return Err(Rejected::Foreign);
        }
        let kid = header.kid.ok_or(Rejected::Foreign)?;
        let records = self.store.published_signing_keys(self.clock.now()).await.map_err(KeyError::from)?;
        let record = records.iter().find(|r| r.kid == kid).ok_or(Rejected::Foreign)?;
        // The RSA line signs only ID tokens, which are for apps to check,
        // never presented back to us.
        if KeyLine::of(&record.alg) == KeyLine::Rsa {
            return Err(Rejected::Foreign);
        }
        let algorithm = jose_algorithm(&record.alg)?;
        // The header's `alg` must be the key's own: no algorithm confusion.
        if header.alg != algorithm {
            return Err(Rejected::Signature);
        }
        let jwk: Jwk = serde_json::from_str(&record.public_jwk).map_err(|e| KeyError::Crypto(e.to_string()))?;
        let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| KeyError::Crypto(e.to_string()))?;
        let mut validation = Validation::new(algorithm);
        validation.validate_aud = false;
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let data =
            jsonwebtoken::decode::<serde_json::Value>(token, &decoding, &validation).map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => Rejected::Signature,
                _ => Rejected::Foreign,
            })?;
        // Expiry against our clock, not the system's, so it is testable.
        let exp = data.claims.get("exp").and_then(serde_json::Value::as_i64).ok_or(Rejected::Foreign)?;
        if exp <= self.clock.now().unix_timestamp() {
            return Err(Rejected::Expired);
        }
        serde_json::from_value(data.claims).map_err(|_| Rejected::Foreign)
    }

    /// The algorithms of the published keys of the server's own line (what
    /// access tokens and certificates may be signed with), for discovery.
    pub async fn algorithms(&self) -> KeyResult<Vec<String>> {
        self.current().await?;
        let mut algs: Vec<String> = self
            .store
            .published_signing_keys(self.clock.now())
            .await?
            .into_iter()
            .filter(|r| KeyLine::of(&r.alg) == KeyLine::Main)
            .map(|r| r.alg)
            .collect();
        algs.sort();
        algs.dedup();
        Ok(algs)
    }

    /// Makes a new key current at once; the old one stays published until
    /// everything it signed has expired. The new key uses `algorithm`, or
    /// the configured one. Returns the new key's id. Refused while
    /// `ROTATIONS_PER_HOUR` or `MAX_PUBLISHED` would be exceeded.
    #[tracing::instrument(skip_all)]
    pub async fn rotate(&self, algorithm: Option<SigningAlgorithm>) -> KeyResult<String> {
        let now = self.clock.now();
        let next = generate(&self.master_key, algorithm.unwrap_or(self.algorithm), now)?;
        self.rotate_to(&next, &self.current).await?;
        // A rotation answers a suspected leak, so the RSA line goes too. The
        // server's key has rotated whatever happens here: an RSA line held
        // back by its own limits keeps its key and says so, rather than
        // failing a rotation that took place (a retry would rotate again).
        let published = self.store.published_signing_keys(now).await?;
        if published.iter().any(|r| r.retired_at.is_none() && KeyLine::of(&r.alg) == KeyLine::Rsa) {
            let rsa = generate_rsa_off_the_runtime(&self.master_key, now).await?;
            if let Err(error) = self.rotate_to(&rsa, &self.current_rsa).await {
                tracing::warn!(%error, "the RSA key that signs ID tokens was not rotated with the server's key");
            }
        }
        Ok(next.kid)
    }

    async fn rotate_to(&self, next: &SigningKeyRecord, cache: &RwLock<Option<Arc<Loaded>>>) -> KeyResult<()> {
        let now = next.created_at;
        let wait = |retry_at: OffsetDateTime| u64::try_from((retry_at - now).whole_seconds()).unwrap_or(0).max(1);
        match self.store.rotate_signing_key(next, now + self.retention, ROTATION_LIMITS).await? {
            Rotation::Rotated => {}
            Rotation::TooFrequent { retry_at } => {
                return Err(KeyError::RotatedTooOften { retry_after_secs: wait(retry_at) });
            }
            Rotation::TooManyPublished { retry_at } => {
                return Err(KeyError::TooManyPublished { retry_after_secs: wait(retry_at) });
            }
        }
        let loaded = Arc::new(self.open(next, now)?);
        *cache.write().await = Some(loaded);
        Ok(())
    }
}
