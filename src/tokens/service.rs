//! Minting tokens for configured audiences, and introspecting and revoking
//! our own. The session asks; the integration and the user's license
//! policies decide what it must have shown first.

use std::collections::BTreeMap;
use std::sync::Arc;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use time::OffsetDateTime;

use super::formats::{self, ACCESS_TOKEN_TYP, AccessClaims, LicenseClaim};
use super::keys::{KeyError, Rejected, SigningKeys};
use super::{NotSettable, TokenError, TokenResult};
use crate::clock::Clock;
use crate::domain::account::{Authenticated, User};
use crate::domain::factors::Acr;
use crate::domain::ids::new_id;
use crate::domain::integration::{Integration, IntegrationKind};
use crate::domain::license::License;
use crate::domain::policy::PolicySet;
use crate::domain::reason::{Invalid, Rule};
use crate::eula::Eulas;
use crate::factors::Factors;
use crate::metrics::Metrics;
use crate::secrets::MasterKey;
use crate::store::{IntegrationSecretRecord, Revocation, Store, StoreError, TokenState};

const SECRET_CONTEXT: &str = "integration-secret";
/// Most licenses one token describes, so it stays small enough for a header.
pub const MAX_LICENSES_IN_TOKEN: usize = 50;
/// Longest shared secret accepted; vendors issue 32-64 characters.
const MAX_SECRET_LEN: usize = 512;

/// What `POST /v1/tokens` hands back.
pub enum Minted {
    /// A JWT.
    Token {
        /// The token itself, for the caller alone.
        token: String,
        /// `Bearer` for our own JWTs, `JWT` for a vendor's.
        token_type: &'static str,
        /// When it stops being accepted.
        expires_at: OffsetDateTime,
        /// The integration it is for.
        audience: String,
    },
    /// An identity hash for vendors that compare one.
    IdentityHash {
        /// What the hash covers (the email or the user id).
        identifier: String,
        /// Lower-case hex HMAC-SHA256.
        hash: String,
        /// The integration it is for.
        audience: String,
    },
}

impl std::fmt::Debug for Minted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token { audience, expires_at, .. } => {
                f.debug_struct("Token").field("audience", audience).field("expires_at", expires_at).finish()
            }
            Self::IdentityHash { audience, .. } => f.debug_struct("IdentityHash").field("audience", audience).finish(),
        }
    }
}

/// A token of ours as introspection describes it.
#[derive(Debug, Clone)]
pub enum Introspection {
    /// Live, with its claims.
    Active(Box<AccessClaims>),
    /// Revoked, expired, tampered with, or not ours.
    Inactive,
}

/// Who is revoking: a user only their own tokens, staff any.
#[derive(Debug, Clone, Copy)]
pub enum Revoker<'a> {
    /// The user the token names.
    User(&'a User),
    /// A support or admin key.
    Staff,
    /// An OAuth client, for the tokens it was given.
    Client(&'a str),
}

/// A shared secret, opened; never printed.
struct SharedSecret {
    key_id: Option<String>,
    secret: SecretString,
}

/// Tokens for configured audiences, introspection and revocation.
#[derive(Clone)]
pub struct Tokens {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    keys: Arc<SigningKeys>,
    master_key: Arc<MasterKey>,
    integrations: Arc<Vec<Integration>>,
    policies: Arc<PolicySet>,
    factors: Factors,
    eulas: Eulas,
    issuer: String,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens").field("integrations", &self.integrations.len()).finish_non_exhaustive()
    }
}

/// Everything `Tokens` is built from.
pub struct TokensConfig {
    /// Minted tokens and sealed secrets.
    pub store: Arc<dyn Store>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Signs our JWTs.
    pub keys: Arc<SigningKeys>,
    /// Seals vendor secrets.
    pub master_key: Arc<MasterKey>,
    /// The audiences, from the settings file.
    pub integrations: Arc<Vec<Integration>>,
    /// Which policies allow which audiences.
    pub policies: Arc<PolicySet>,
    /// Sign-in requirements.
    pub factors: Factors,
    /// EULA requirements.
    pub eulas: Eulas,
    /// `iss` of our tokens: the public URL.
    pub issuer: String,
    /// The minting counter.
    pub metrics: Arc<Metrics>,
}

impl Tokens {
    /// The service, from its parts.
    pub fn new(config: TokensConfig) -> Self {
        let TokensConfig { store, clock, keys, master_key, integrations, policies, factors, eulas, issuer, metrics } =
            config;
        Self { store, clock, keys, master_key, integrations, policies, factors, eulas, issuer, metrics }
    }

    /// `iss` of our tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    fn integration(&self, name: &str) -> TokenResult<&Integration> {
        self.integrations
            .iter()
            .find(|i| i.name == name)
            .ok_or(TokenError::Invalid(Invalid::new("audience", Rule::UnknownAudience)))
    }

    /// Mints a token for `audience` after checking, in order: the
    /// integration's sign-in requirement; that a live license's policy lists
    /// the audience; and that policy's own sign-in and EULA requirements.
    /// The token describes every license that passed.
    #[tracing::instrument(skip_all, fields(%audience))]
    pub async fn mint(&self, caller: &Authenticated, audience: &str) -> TokenResult<Minted> {
        let minted = self.mint_checked(caller, audience).await?;
        self.metrics.token_minted(audience);
        Ok(minted)
    }

    async fn mint_checked(&self, caller: &Authenticated, audience: &str) -> TokenResult<Minted> {
        let integration = self.integration(audience)?;
        self.factors.require_sign_in(caller, integration.require).await?;
        let (licenses, eula) = match self.entitled_licenses(caller, integration).await {
            Err(shortfall) if !integration.licensed_only && !shortfall.is_failure() => (Vec::new(), BTreeMap::new()),
            entitled => entitled?,
        };
        let user = &caller.user;
        // Anyone can sign up with any address; a vendor that keys its
        // identities (and conversation history) on the email must only be
        // told addresses the user proved they receive mail at.
        if integration.keys_on_email() && !user.email_verified() {
            return Err(TokenError::EmailUnverified);
        }
        let now = self.clock.now();
        let expires_at = now + integration.lifetime;
        let token = match integration.kind {
            IntegrationKind::Jwt => return self.mint_access_token(caller, integration, licenses, eula).await,
            IntegrationKind::Hmac => {
                let secret = self.shared_secret(integration).await?;
                let identifier = formats::hashed_identifier(user, integration.identifier).to_owned();
                let hash = formats::identity_hash(secret.secret.expose_secret().as_bytes(), &identifier);
                return Ok(Minted::IdentityHash { identifier, hash, audience: integration.name.clone() });
            }
            IntegrationKind::ZendeskMessaging => {
                let secret = self.shared_secret(integration).await?;
                hs256(&secret, &formats::zendesk_messaging(user, expires_at))?
            }
            IntegrationKind::ZendeskSso => {
                let secret = self.shared_secret(integration).await?;
                hs256(&secret, &formats::zendesk_sso(user, new_id(), now))?
            }
            IntegrationKind::Intercom => {
                let secret = self.shared_secret(integration).await?;
                hs256(&secret, &formats::intercom(user, expires_at))?
            }
        };
        Ok(Minted::Token { token, token_type: "JWT", expires_at, audience: integration.name.clone() })
    }

    /// The caller's live licenses whose policies allow this audience and
    /// whose requirements the session meets, with the EULA versions
    /// accepted for them. Fails with the first unmet requirement when no
    /// license passes, so the user learns what to do.
    async fn entitled_licenses(
        &self,
        caller: &Authenticated,
        integration: &Integration,
    ) -> TokenResult<(Vec<License>, BTreeMap<String, String>)> {
        let now = self.clock.now();
        let mut passed = Vec::new();
        let mut eula = BTreeMap::new();
        let mut first_failure = None;
        for license in self.store.licenses_of_holder(&caller.user.id).await? {
            let Some(policy) = self.policies.get(&license.policy) else { continue };
            if license.unusable(policy.expiration, now).is_some() || !policy.token_audiences.contains(&integration.name)
            {
                continue;
            }
            let checked = async {
                self.factors.require_sign_in(caller, policy.sign_in).await?;
                if policy.eula_required || integration.require_eula {
                    return Ok::<_, TokenError>(self.eulas.require_accepted(&caller.user.id, &license.product).await?);
                }
                Ok(None)
            }
            .await;
            match checked {
                Ok(accepted) => {
                    if let Some(version) = accepted {
                        eula.insert(license.product.clone(), version);
                    }
                    passed.push(license);
                }
                // Our failures stop the mint; the user's shortfalls are tried on the next license.
                Err(error) if error.is_failure() => return Err(error),
                Err(failure) => {
                    first_failure.get_or_insert(failure);
                }
            }
        }
        if passed.is_empty() {
            return Err(first_failure.unwrap_or_else(|| TokenError::NotAllowed(integration.name.clone())));
        }
        Ok((passed, eula))
    }

    async fn mint_access_token(
        &self,
        caller: &Authenticated,
        integration: &Integration,
        licenses: Vec<License>,
        eula: BTreeMap<String, String>,
    ) -> TokenResult<Minted> {
        let now = self.clock.now();
        let expires_at = now + integration.lifetime;
        let user = &caller.user;
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            sub: user.id.to_string(),
            aud: integration.name.clone(),
            exp: expires_at.unix_timestamp(),
            iat: now.unix_timestamp(),
            jti: new_id(),
            sid: caller.session.id.as_str().to_owned(),
            client_id: integration.name.clone(),
            scope: None,
            auth_time: caller.session.auth_time.unix_timestamp(),
            acr: Acr::of(&caller.session.amr).as_str().to_owned(),
            amr: caller.session.amr.clone(),
            email: user.email.clone(),
            email_verified: user.email_verified(),
            name: user.name.clone(),
            licenses: licenses.iter().take(MAX_LICENSES_IN_TOKEN).map(LicenseClaim::from).collect(),
            eula,
            cnf: None,
        };
        // Nothing is written: the signature makes it ours, its `sid` ties it
        // to the session, and revoking it puts its `jti` on the list.
        let token = self.keys.sign_jwt(ACCESS_TOKEN_TYP, &claims).await?;
        Ok(Minted::Token { token, token_type: "Bearer", expires_at, audience: integration.name.clone() })
    }

    /// One of our access tokens, if it is live: signed by one of our
    /// published keys (retired ones stay published until what they signed
    /// has expired), unexpired, not on the revocation list, and the session
    /// it came from (its `sid`) not ended. Tokens minted before `sid`
    /// existed do not decode, and are inactive.
    #[tracing::instrument(skip_all)]
    pub async fn introspect(&self, token: &str) -> TokenResult<Introspection> {
        let claims: AccessClaims = match self.keys.verify_jwt(ACCESS_TOKEN_TYP, token).await {
            Ok(claims) => claims,
            Err(Rejected::Keys(e)) => return Err(e.into()),
            Err(Rejected::Foreign | Rejected::Expired | Rejected::Signature) => return Ok(Introspection::Inactive),
        };
        match self.store.token_state(&claims.jti, &claims.sid, self.clock.now()).await? {
            TokenState::Live => Ok(Introspection::Active(Box::new(claims))),
            TokenState::Revoked | TokenState::SessionEnded => Ok(Introspection::Inactive),
        }
    }

    /// Revokes one of our access tokens (RFC 7009): its `jti` goes on the
    /// revocation list, which every instance reads, until the token's own
    /// expiry. Ours means signed by one of our published keys and unexpired;
    /// it was never recorded at mint, so this is its first row. Anything
    /// else, or a token of another user, is quietly left alone, as the RFC
    /// asks.
    #[tracing::instrument(skip_all)]
    pub async fn revoke(&self, token: &str, by: Revoker<'_>) -> TokenResult<()> {
        let claims: AccessClaims = match self.keys.verify_jwt(ACCESS_TOKEN_TYP, token).await {
            Ok(claims) => claims,
            Err(Rejected::Keys(e)) => return Err(e.into()),
            Err(_) => return Ok(()),
        };
        // The signature vouches for `sub`: a user revokes only the tokens that name them.
        let theirs = match by {
            Revoker::User(user) => claims.sub == user.id.as_str(),
            Revoker::Client(client_id) => claims.client_id == client_id,
            Revoker::Staff => true,
        };
        if !theirs {
            return Ok(());
        }
        // `verify_jwt` checked `exp`; one beyond the calendar is no lifetime we ever give.
        let Ok(expires_at) = OffsetDateTime::from_unix_timestamp(claims.exp) else { return Ok(()) };
        self.store.revoke_token(&Revocation { jti: claims.jti, expires_at, revoked_at: self.clock.now() }).await?;
        Ok(())
    }

    /// The integrations a help widget on the support page can be fed.
    /// Zendesk SSO is left out: its token is single-use and
    /// belongs in a redirect to the help centre, not in a page.
    pub fn widget_integrations(&self) -> impl Iterator<Item = &Integration> {
        self.integrations.iter().filter(|i| i.kind != IntegrationKind::ZendeskSso)
    }

    /// The integrations that sign with a shared secret but have none yet:
    /// their tokens answer `unavailable` until the operator sets one, which
    /// the start says by name.
    pub async fn integrations_without_secret(&self) -> TokenResult<Vec<String>> {
        let mut missing = Vec::new();
        for integration in self.integrations.iter() {
            if integration.kind.uses_shared_secret()
                && integration.secret_file.is_none()
                && self.store.integration_secret(&integration.name).await?.is_none()
            {
                missing.push(integration.name.clone());
            }
        }
        Ok(missing)
    }

    /// Stores an integration's shared secret sealed; returns the key id it is filed under.
    #[tracing::instrument(skip_all)]
    pub async fn set_secret(
        &self,
        name: &str,
        key_id: Option<String>,
        secret: SecretString,
    ) -> TokenResult<Option<String>> {
        let integration = self.integration(name)?;
        let refuse = |reason| TokenError::NotSettable { integration: name.to_owned(), reason };
        if !integration.kind.uses_shared_secret() {
            return Err(refuse(NotSettable::SignsWithJwks));
        }
        if integration.secret_file.is_some() {
            return Err(refuse(NotSettable::ReadsSecretFile));
        }
        check_secret_length(secret.expose_secret().len()).map_err(|_| refuse(NotSettable::SecretLength))?;
        let key_id = key_id.or_else(|| integration.key_id.clone());
        if integration.kind == IntegrationKind::ZendeskMessaging && key_id.is_none() {
            return Err(refuse(NotSettable::KeyIdRequired));
        }
        let stored_key_id = key_id.clone().unwrap_or_default();
        self.store
            .set_integration_secret(&IntegrationSecretRecord {
                integration: name.to_owned(),
                secret_sealed: self
                    .master_key
                    .seal(&secret_context(name, &stored_key_id), secret.expose_secret().as_bytes()),
                key_id: stored_key_id,
                created_at: self.clock.now(),
            })
            .await?;
        Ok(key_id)
    }

    async fn shared_secret(&self, integration: &Integration) -> TokenResult<SharedSecret> {
        if let Some(path) = &integration.secret_file {
            let secret = read_secret_file(path)
                .await
                .map_err(|problem| StoreError::Corrupt(format!("integration {}: {problem}", integration.name)))?;
            return Ok(SharedSecret { key_id: integration.key_id.clone(), secret });
        }
        let record = self
            .store
            .integration_secret(&integration.name)
            .await?
            .ok_or_else(|| TokenError::SecretMissing(integration.name.clone()))?;
        let opened = self
            .master_key
            .open(&secret_context(&record.integration, &record.key_id), &record.secret_sealed)
            .map_err(|e| StoreError::Corrupt(format!("integration {} secret: {e}", record.integration)))?;
        let secret = String::from_utf8(opened.to_vec())
            .map_err(|_| StoreError::Corrupt(format!("integration {} secret is not text", record.integration)))?;
        Ok(SharedSecret { key_id: Some(record.key_id).filter(|k| !k.is_empty()), secret: SecretString::from(secret) })
    }
}

/// A deployment secret kept in a file (an integration's, a confidential
/// client's): the file without its final line break. Read at each use, so
/// replacing the file rotates the secret without a restart.
pub async fn read_secret_file(path: &std::path::Path) -> Result<SecretString, String> {
    let text = tokio::fs::read_to_string(path).await.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    secret_in_file(path, &text)
}

/// The same at start, where a bad file stops the start rather than the first use.
pub fn check_secret_file(path: &std::path::Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read secret_file {}: {e}", path.display()))?;
    secret_in_file(path, &text).map(|_| ())
}

fn secret_in_file(path: &std::path::Path, text: &str) -> Result<SecretString, String> {
    let secret = text.trim_end_matches(['\n', '\r']);
    check_secret_length(secret.len()).map_err(|problem| format!("secret_file {}: {problem}", path.display()))?;
    Ok(SecretString::from(secret.to_owned()))
}

/// Vendors issue 32-64 characters; fewer than 16 is a mistake (an empty file, a truncated paste).
pub fn check_secret_length(length: usize) -> Result<(), String> {
    if (16..=MAX_SECRET_LEN).contains(&length) {
        Ok(())
    } else {
        Err(format!("a shared secret must be 16 to {MAX_SECRET_LEN} characters (got {length})"))
    }
}

fn secret_context(integration: &str, key_id: &str) -> String {
    format!("{SECRET_CONTEXT}:{integration}:{key_id}")
}

/// An HS256 JWT under a vendor's shared secret, with its key id as `kid`.
fn hs256<T: Serialize>(secret: &SharedSecret, claims: &T) -> TokenResult<String> {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = secret.key_id.clone();
    let key = EncodingKey::from_secret(secret.secret.expose_secret().as_bytes());
    jsonwebtoken::encode(&header, claims, &key).map_err(|e| KeyError::Crypto(e.to_string()).into())
}
