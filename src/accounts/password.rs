//! argon2id password hashing, kept off the async runtime.
//!
//! A hash costs ~19 MiB and tens of milliseconds of one core, so hashing runs
//! on the blocking pool behind a semaphore sized to the cores: a flood of
//! sign-ins queues there instead of starving every other request.

use std::sync::Arc;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;
use tracing::Span;

use super::{AccountError, AccountResult};
use crate::domain::NewPassword;

/// OWASP's minimum for argon2id: 19 MiB, two passes, one lane.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

/// Hashes and verifies passwords with argon2id on the blocking pool.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Verified against when the account does not exist, so unknown emails
    /// cost the same time as wrong passwords.
    dummy_hash: Arc<str>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher").field("available_permits", &self.permits.available_permits()).finish()
    }
}

fn argon2() -> AccountResult<Argon2<'static>> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None).map_err(|e| AccountError::Hashing(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_blocking(password: &[u8]) -> AccountResult<String> {
    argon2()?.hash_password(password).map(|h| h.to_string()).map_err(|e| AccountError::Hashing(e.to_string()))
}

impl PasswordHasher {
    /// Builds the hasher; computes the dummy hash once, so call it at start-up.
    pub async fn new() -> AccountResult<Self> {
        let workers = std::thread::available_parallelism().map(usize::from).unwrap_or(2);
        let permits = Arc::new(Semaphore::new(workers));
        let dummy = tokio::task::spawn_blocking(|| hash_blocking(b"latchkey dummy password for unknown accounts"))
            .await
            .map_err(|e| AccountError::Hashing(e.to_string()))??;
        Ok(Self { permits, dummy_hash: dummy.into() })
    }

    async fn on_blocking_pool<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> AccountResult<T> {
        // The permit travels with the blocking task: a cancelled request
        // does not stop its hash, so the hash must keep counting.
        let permit = self.permits.clone().acquire_owned().await.map_err(|e| AccountError::Hashing(e.to_string()))?;
        let span = Span::current();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            span.in_scope(work)
        })
        .await
        .map_err(|e| AccountError::Hashing(e.to_string()))
    }

    /// Hashes a new password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
    #[tracing::instrument(skip_all)]
    pub async fn hash(&self, password: &NewPassword) -> AccountResult<String> {
        let password = password.secret().clone();
        self.on_blocking_pool(move || hash_blocking(password.expose_secret().as_bytes())).await?
    }

    /// Checks `password` against `stored`, or against the dummy hash when
    /// there is no account, taking the same time either way.
    #[tracing::instrument(skip_all)]
    pub async fn verify(&self, password: &SecretString, stored: Option<&str>) -> AccountResult<bool> {
        let account_exists = stored.is_some();
        let hash = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let password = password.clone();
        let matched = self
            .on_blocking_pool(move || {
                let Ok(parsed) = PasswordHash::new(&hash) else {
                    return false;
                };
                // The parameters come from the stored hash, so hashes made
                // with older settings keep verifying.
                Argon2::default().verify_password(password.expose_secret().as_bytes(), &parsed).is_ok()
            })
            .await?;
        Ok(matched && account_exists)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_use_owasp_parameters() {
        let hasher = PasswordHasher::new().await.unwrap();
        let password = NewPassword::parse(SecretString::from("correct horse battery")).unwrap();
        let hash = hasher.hash(&password).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(hasher.verify(&SecretString::from("correct horse battery"), Some(&hash)).await.unwrap());
        assert!(!hasher.verify(&SecretString::from("wrong horse battery"), Some(&hash)).await.unwrap());
        // The dummy path never authenticates, even with the dummy's own password.
        assert!(
            !hasher.verify(&SecretString::from("latchkey dummy password for unknown accounts"), None).await.unwrap()
        );
        assert!(!hasher.verify(&SecretString::from("x"), Some("not a hash")).await.unwrap());
    }
}
