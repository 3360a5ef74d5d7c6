//! Confidential clients' secrets: read from `secret_file`, or set with
//! `latchkey admin client set-secret` and kept only as a hash, since we
//! only ever check one.

use secrecy::{ExposeSecret, SecretString};

use super::error::OAuthResult;
use super::service::OAuth;
use crate::domain::client::{Client, ClientKind};
use crate::domain::codes::constant_time_eq;
use crate::secrets::hash_token;
use crate::store::StoreError;

/// Why a client's secret was not set.
#[derive(Debug, thiserror::Error)]
pub enum ClientSecretError {
    /// No such client in the settings file.
    #[error("no client `{0}` in the settings file")]
    Unknown(String),
    /// A public client proves itself with PKCE, never a secret.
    #[error("client `{0}` is public: an app shipped to users cannot keep a secret")]
    Public(String),
    /// The secret comes from its `secret_file`.
    #[error("client `{0}` reads its secret from its `secret_file`; replace the file instead")]
    ReadsSecretFile(String),
    /// Too short to resist guessing, or absurdly long.
    #[error("{0}")]
    Length(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OAuth {
    /// Whether `presented` is the confidential client's secret.
    pub(super) async fn secret_matches(&self, client: &Client, presented: &SecretString) -> OAuthResult<bool> {
        if let Some(path) = &client.secret_file {
            let expected = crate::tokens::read_secret_file(path)
                .await
                .map_err(|problem| StoreError::Corrupt(format!("client {}: {problem}", client.id)))?;
            return Ok(constant_time_eq(expected.expose_secret().as_bytes(), presented.expose_secret().as_bytes()));
        }
        let Some(expected) = self.store.client_secret_hash(&client.id).await? else {
            tracing::warn!(client = %client.id, "a confidential client has no secret yet: `latchkey admin client set-secret`");
            return Ok(false);
        };
        let presented = hash_token(presented.expose_secret());
        Ok(constant_time_eq(expected.as_bytes(), presented.as_bytes()))
    }

    /// Sets a confidential client's secret (when it has no `secret_file`);
    /// the old one stops working at once, on every instance.
    pub async fn set_client_secret(&self, id: &str, secret: &SecretString) -> Result<(), ClientSecretError> {
        let client = self.client(id).ok_or_else(|| ClientSecretError::Unknown(id.to_owned()))?;
        if client.kind == ClientKind::Public {
            return Err(ClientSecretError::Public(id.to_owned()));
        }
        if client.secret_file.is_some() {
            return Err(ClientSecretError::ReadsSecretFile(id.to_owned()));
        }
        crate::tokens::check_secret_length(secret.expose_secret().len()).map_err(ClientSecretError::Length)?;
        self.store.set_client_secret(id, &hash_token(secret.expose_secret()), self.clock.now()).await?;
        Ok(())
    }

    /// Confidential clients with neither a `secret_file` nor a secret set:
    /// they cannot sign anyone in until one is, which the start says by name.
    pub async fn clients_without_secret(&self) -> OAuthResult<Vec<String>> {
        let mut missing = Vec::new();
        for client in self.clients.iter().filter(|c| c.kind == ClientKind::Confidential && c.secret_file.is_none()) {
            if self.store.client_secret_hash(&client.id).await?.is_none() {
                missing.push(client.id.clone());
            }
        }
        Ok(missing)
    }
}
