//! API keys for staff tools: admin and support roles, stored only as hashes.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::clock::Clock;
use crate::domain::account::{ApiKey, ApiKeyRole};
use crate::domain::ids::ApiKeyId;
use crate::domain::reason::{Code, Invalid, Rule};
use crate::secrets::{IssuedToken, TokenKind, hash_token, issue_token};
use crate::store::{NewApiKey, Store, StoreError};

/// Why an API key operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    /// A field broke a rule.
    #[error("invalid input: {0}")]
    Invalid(Invalid),
    /// No key, or one unknown or revoked.
    #[error("not authenticated")]
    Unauthenticated,
    /// No such key.
    #[error("not found")]
    NotFound,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ApiKeyError {
    /// The stable code of this reason.
    pub fn code(&self) -> Code {
        match self {
            Self::Invalid(_) => Code::ValidationFailed,
            Self::Unauthenticated => Code::Unauthorized,
            Self::NotFound => Code::NotFound,
            Self::Store(e) if e.is_outage() => Code::Unavailable,
            Self::Store(_) => Code::Internal,
        }
    }
}

/// The result of an API key operation.
pub type ApiKeyResult<T> = Result<T, ApiKeyError>;

fn kind_of(role: ApiKeyRole) -> TokenKind {
    match role {
        ApiKeyRole::Admin => TokenKind::AdminKey,
        ApiKeyRole::Support => TokenKind::SupportKey,
    }
}

/// Makes a key record and its one-time clear text, without storing it.
pub fn mint(role: ApiKeyRole, name: &str, now: OffsetDateTime) -> (NewApiKey, IssuedToken) {
    let token = issue_token(kind_of(role));
    let key = NewApiKey { id: ApiKeyId::new(), name: name.to_owned(), role, key_hash: token.hash.clone(), now };
    (key, token)
}

/// Everything `ApiKeys` is built from.
pub struct ApiKeysConfig {
    /// Where keys live.
    pub store: Arc<dyn Store>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

/// Creating, checking, listing and revoking staff API keys.
#[derive(Clone)]
pub struct ApiKeys {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKeys")
    }
}

/// Names are for people reading key lists; keep them short and printable.
fn check_name(name: &str) -> ApiKeyResult<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiKeyError::Invalid(Invalid::new("name", Rule::Name { max_chars: 100 })));
    }
    Ok(name)
}

impl ApiKeys {
    /// The service, from its parts.
    pub fn new(config: ApiKeysConfig) -> Self {
        let ApiKeysConfig { store, clock } = config;
        Self { store, clock }
    }

    /// Creates a key; the clear text in the returned token is shown once.
    #[tracing::instrument(skip_all)]
    pub async fn create(&self, role: ApiKeyRole, name: &str) -> ApiKeyResult<(ApiKey, IssuedToken)> {
        let (new_key, token) = mint(role, check_name(name)?, self.clock.now());
        let key = self.store.create_api_key(&new_key).await?;
        Ok((key, token))
    }

    /// The live key behind a bearer value.
    #[tracing::instrument(skip_all)]
    pub async fn authenticate(&self, bearer: &str) -> ApiKeyResult<ApiKey> {
        let recognised = [TokenKind::AdminKey, TokenKind::SupportKey].iter().any(|k| bearer.starts_with(k.prefix()));
        if !recognised {
            return Err(ApiKeyError::Unauthenticated);
        }
        self.store.api_key_by_hash(&hash_token(bearer)).await?.ok_or(ApiKeyError::Unauthenticated)
    }

    /// Every key, revoked ones included.
    #[tracing::instrument(skip_all)]
    pub async fn list(&self) -> ApiKeyResult<Vec<ApiKey>> {
        Ok(self.store.api_keys().await?)
    }

    /// Revokes a key; it stops working at once.
    #[tracing::instrument(skip_all)]
    pub async fn revoke(&self, id: &ApiKeyId) -> ApiKeyResult<()> {
        if self.store.revoke_api_key(id, self.clock.now()).await? { Ok(()) } else { Err(ApiKeyError::NotFound) }
    }
}
