//! The periodic purge: every instance, every `purge_interval`, removes the
//! rows that can no longer matter (see `store::PurgeStore`) and counts them.
//! Instances need not agree on who purges: the deletes are small, bounded
//! by time, and harmless when two run at once.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::metrics::Metrics;
use crate::store::{Purged, Store, StoreError};

/// Everything `Purger` is built from.
pub struct PurgerConfig {
    /// Where the rows are.
    pub store: Arc<dyn Store>,
    /// The time the cutoffs are measured from.
    pub clock: Arc<dyn Clock>,
    /// Counts rows removed, by table.
    pub metrics: Arc<Metrics>,
}

/// Removes stale rows, once or on a timer.
#[derive(Clone)]
pub struct Purger {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Purger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Purger(..)")
    }
}

impl Purger {
    /// The purger, from its parts.
    pub fn new(config: PurgerConfig) -> Self {
        let PurgerConfig { store, clock, metrics } = config;
        Self { store, clock, metrics }
    }

    /// One purge at the clock's current time.
    #[tracing::instrument(skip_all)]
    pub async fn purge_once(&self) -> Result<Purged, StoreError> {
        let purged = self.store.purge(self.clock.now()).await?;
        for &(table, rows) in &purged.by_table {
            self.metrics.rows_purged(table, rows);
        }
        let total: u64 = purged.by_table.iter().map(|(_, rows)| rows).sum();
        if total > 0 {
            tracing::info!(rows = total, "purged stale rows");
        }
        Ok(purged)
    }

    /// Purges every `interval` (the first time at once) until `shutdown`
    /// says to stop. A failure is logged and the next tick tries again: an
    /// unreachable database delays the purge, it does not end it.
    pub async fn run(self, interval: Duration, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut ticks = tokio::time::interval(interval);
        // After a slow purge or a paused process, one purge, not a burst of them.
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !*shutdown.borrow() {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = shutdown.changed() => break,
            }
            // A purge working off a large backlog must not hold up shutdown:
            // each batch is its own statement, so stopping between two loses nothing.
            tokio::select! {
                purged = self.purge_once() => if let Err(error) = purged {
                    tracing::warn!(%error, "could not purge stale rows");
                },
                _ = shutdown.changed() => break,
            }
        }
    }
}
