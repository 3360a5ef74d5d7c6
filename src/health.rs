//! Whether this instance can serve: the database answers with a schema
//! this build may serve; and the metrics operators scrape.

use std::sync::Arc;
use std::time::Duration;

use crate::metrics::Metrics;
use crate::store::{Store, StoreError};

/// Readiness must answer quickly even when the database hangs.
const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

/// Why the instance is not ready.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    /// The database refused, or its schema is one this build cannot serve.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The database did not answer in time.
    #[error("the database did not answer within {READINESS_TIMEOUT:?}")]
    Timeout,
}

/// Everything `Health` is built from.
pub struct HealthConfig {
    /// What readiness checks.
    pub store: Arc<dyn Store>,
    /// What operators scrape.
    pub metrics: Arc<Metrics>,
}

/// Readiness and metrics.
#[derive(Clone)]
pub struct Health {
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Health")
    }
}

impl Health {
    /// The service, from its parts.
    pub fn new(config: HealthConfig) -> Self {
        let HealthConfig { store, metrics } = config;
        Self { store, metrics }
    }

    /// Succeeds when the database answers, in time, with a schema this build may serve.
    #[tracing::instrument(skip_all)]
    pub async fn ready(&self) -> Result<(), NotReady> {
        match tokio::time::timeout(READINESS_TIMEOUT, self.store.ping()).await {
            Ok(answer) => Ok(answer?),
            Err(_) => Err(NotReady::Timeout),
        }
    }

    /// The Prometheus text exposition.
    pub fn metrics(&self) -> String {
        self.metrics.render()
    }
}
