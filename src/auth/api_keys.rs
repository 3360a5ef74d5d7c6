//! API keys for tools: admin and support roles, stored only as hashes.

use std::sync::Arc;

use super::{AuthError, AuthResult, new_id};
use crate::clock::Clock;
use crate::secrets::{IssuedToken, TokenKind, hash_token, issue_token};
use crate::store::{ApiKey, ApiKeyRole, NewApiKey, Store};

fn kind_of(role: ApiKeyRole) -> TokenKind {
    match role {
        ApiKeyRole::Admin => TokenKind::AdminKey,
        ApiKeyRole::Support => TokenKind::SupportKey,
    }
}

/// Makes a key record and its one-time clear text, without storing it.
pub fn mint(role: ApiKeyRole, name: &str, clock: &dyn Clock) -> (NewApiKey, IssuedToken) {
    let token = issue_token(kind_of(role));
    let key = NewApiKey { id: new_id(), name: name.to_owned(), role, key_hash: token.hash.clone(), now: clock.now() };
    (key, token)
}

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
fn check_name(name: &str) -> AuthResult<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AuthError::Invalid { field: "name", problem: "must be 1 to 100 printable characters".into() });
    }
    Ok(name)
}

impl ApiKeys {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Creates a key; the clear text in the returned token is shown once.
    pub async fn create(&self, role: ApiKeyRole, name: &str) -> AuthResult<(ApiKey, IssuedToken)> {
        let (new_key, token) = mint(role, check_name(name)?, self.clock.as_ref());
        let key = self.store.create_api_key(&new_key).await?;
        Ok((key, token))
    }

    /// The live key behind a bearer value.
    pub async fn authenticate(&self, bearer: &str) -> AuthResult<ApiKey> {
        let recognised = [TokenKind::AdminKey, TokenKind::SupportKey].iter().any(|k| bearer.starts_with(k.prefix()));
        if !recognised {
            return Err(AuthError::Unauthenticated);
        }
        self.store.api_key_by_hash(&hash_token(bearer)).await?.ok_or(AuthError::Unauthenticated)
    }

    pub async fn list(&self) -> AuthResult<Vec<ApiKey>> {
        Ok(self.store.api_keys().await?)
    }

    pub async fn revoke(&self, id: &str) -> AuthResult<()> {
        if self.store.revoke_api_key(id, self.clock.now()).await? { Ok(()) } else { Err(AuthError::NotFound) }
    }
}
