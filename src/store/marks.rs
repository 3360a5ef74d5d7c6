//! What an instance keeps in memory between requests, and how it learns
//! that it changed.
//!
//! Product software validates, and widgets mint tokens, far more often
//! than anything they read changes, and each trip to the database cost
//! more than the rest of the answer (on SQLite mostly the hand-off to the
//! connection's thread). So an instance keeps what those reads returned,
//! and the database says when to drop it: every write to what they read
//! bumps a *change mark* by trigger, in the writing transaction
//! (`migrations/*/0013_change_marks.sql`), and each kept value remembers
//! the marks it was read under, in the same statement. A value is served
//! only while those marks are what the instance last read from the
//! database, and that reading is never older than `POLL_EVERY`, nor older
//! than this instance's own last write. So:
//!
//! - a change made through this instance is seen by its next request;
//! - a change made by another instance (or the CLI) is seen within
//!   `POLL_EVERY`;
//! - values that depend on `now` (a seat count over leases that lapse) are
//!   never kept, and time-bound facts are judged against `now` by the
//!   caller as always;
//! - when the marks cannot be read, nothing is served from memory.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// How stale another instance's change may be when this one answers.
pub const POLL_EVERY: Duration = Duration::from_millis(100);

/// Values kept at most per cache; a full cache starts over rather than
/// track use.
const MOST_ENTRIES: usize = 10_000;

/// Licenses (and holders) are spread over this many marks, by the last hex
/// digit of their ids.
const SHARDS: usize = 16;

/// License marks, then holder marks, then the EULA mark.
const MARKS: usize = 2 * SHARDS + 1;

/// One change mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mark {
    /// Licenses and their activations whose id ends in this digit.
    License(usize),
    /// Who holds licenses, for holders whose id ends in this digit.
    Holder(usize),
    /// EULA documents and decisions.
    Eula,
}

impl Mark {
    /// The license mark of a license id.
    pub fn license(id: &str) -> Option<Self> {
        shard_of(id).map(Self::License)
    }

    /// The holder mark of a user id.
    pub fn holder(id: &str) -> Option<Self> {
        shard_of(id).map(Self::Holder)
    }

    fn index(self) -> usize {
        match self {
            Self::License(shard) => shard,
            Self::Holder(shard) => SHARDS + shard,
            Self::Eula => 2 * SHARDS,
        }
    }

    fn named(name: &str) -> Option<Self> {
        match name.split_once(':') {
            Some(("license", digit)) => shard_of(digit).map(Self::License),
            Some(("holder", digit)) => shard_of(digit).map(Self::Holder),
            _ => (name == "eula").then_some(Self::Eula),
        }
    }
}

/// Which shard a row falls under: the last hex digit of its UUID.
fn shard_of(id: &str) -> Option<usize> {
    id.chars().last().and_then(|c| c.to_digit(16)).and_then(|d| usize::try_from(d).ok())
}

#[derive(Debug)]
struct Known {
    marks: [i64; MARKS],
    read_at: Instant,
    /// `local_writes` as it was just before the marks were read.
    after_writes: u64,
}

/// This instance's reading of the change marks (see the module docs).
#[derive(Debug, Default)]
pub(super) struct ChangeMarks {
    known: RwLock<Option<Known>>,
    /// Writes this instance committed; bumped after each commit.
    local_writes: AtomicU64,
    /// One reading of the marks at a time.
    reading: tokio::sync::Mutex<()>,
}

impl ChangeMarks {
    /// Called after this instance commits a write: the marks read before it
    /// no longer tell whether what it changed is kept.
    pub fn wrote(&self) {
        self.local_writes.fetch_add(1, Ordering::AcqRel);
    }

    /// The marks, if the last reading may still be trusted.
    fn fresh(&self) -> Option<CurrentMarks> {
        let known = self.known.read().unwrap_or_else(PoisonError::into_inner);
        known
            .as_ref()
            .filter(|known| {
                known.read_at.elapsed() < POLL_EVERY && known.after_writes == self.local_writes.load(Ordering::Acquire)
            })
            .map(|known| CurrentMarks(known.marks))
    }

    /// The marks a request may trust, read with `read` (name and value)
    /// unless the last reading is fresh. One reader at a time: while it
    /// reads, the others get `None` and go to the database for their answer
    /// rather than queue behind it (during an outage they would each wait
    /// out the pool's timeout in turn).
    pub async fn current<F, E>(&self, read: F) -> Result<Option<CurrentMarks>, E>
    where
        F: AsyncFnOnce() -> Result<Vec<(String, i64)>, E>,
    {
        if let Some(fresh) = self.fresh() {
            return Ok(Some(fresh));
        }
        let Ok(_reading) = self.reading.try_lock() else { return Ok(None) };
        let after_writes = self.local_writes.load(Ordering::Acquire);
        let read_at = Instant::now();
        let mut marks = [0; MARKS];
        for (name, n) in read().await? {
            if let Some(slot) = Mark::named(&name).and_then(|mark| marks.get_mut(mark.index())) {
                *slot = n;
            }
        }
        *self.known.write().unwrap_or_else(PoisonError::into_inner) = Some(Known { marks, read_at, after_writes });
        Ok(Some(CurrentMarks(marks)))
    }
}

/// The marks as one request trusts them: read once, then every kept value
/// it looks up is judged against them.
#[derive(Debug, Clone, Copy)]
pub(super) struct CurrentMarks([i64; MARKS]);

/// The marks a kept value was read under.
pub(super) type ReadUnder = Vec<(Mark, i64)>;

#[derive(Debug)]
struct Kept<V> {
    /// Shared, so a reader holds the lock only to count a reference.
    value: Arc<V>,
    read_under: ReadUnder,
}

/// Values read from the database, each served while the marks it was read
/// under stand. Readers share the lock: every worker thread reads at once.
#[derive(Debug)]
pub(super) struct MarkedCache<K, V> {
    entries: RwLock<HashMap<K, Kept<V>>>,
}

impl<K, V> Default for MarkedCache<K, V> {
    fn default() -> Self {
        Self { entries: RwLock::new(HashMap::new()) }
    }
}

impl<K: Hash + Eq, V: Clone> MarkedCache<K, V> {
    /// The kept value, if the marks it was read under are the current ones.
    pub fn get<Q>(&self, current: CurrentMarks, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let value = {
            let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
            let kept = entries.get(key)?;
            let stands = kept.read_under.iter().all(|(mark, n)| current.0.get(mark.index()) == Some(n));
            stands.then(|| kept.value.clone())?
        };
        Some(V::clone(&value))
    }

    /// Keeps a value just read under `read_under`.
    pub fn put(&self, key: K, value: V, read_under: ReadUnder) {
        let kept = Kept { value: Arc::new(value), read_under };
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MOST_ENTRIES {
            entries.clear();
        }
        entries.insert(key, kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_falls_under_its_last_hex_digit() {
        assert_eq!(Mark::license("0190f5e2-7c1a-7b3e-9d4f-12345678abcf"), Some(Mark::License(15)));
        assert_eq!(Mark::holder("0190f5e2-7c1a-7b3e-9d4f-123456789ab0"), Some(Mark::Holder(0)));
        assert_eq!(Mark::license(""), None);
        assert_eq!(Mark::license("x"), None);
    }

    #[test]
    fn marks_read_back_by_name() {
        assert_eq!(Mark::named("license:0"), Some(Mark::License(0)));
        assert_eq!(Mark::named("license:f"), Some(Mark::License(15)));
        assert_eq!(Mark::named("holder:a"), Some(Mark::Holder(10)));
        assert_eq!(Mark::named("eula"), Some(Mark::Eula));
        assert_eq!(Mark::named("unknown"), None);
        assert_eq!(Mark::named("license:g"), None);
        let indexes: std::collections::BTreeSet<usize> = (0..SHARDS)
            .flat_map(|s| [Mark::License(s), Mark::Holder(s)])
            .chain([Mark::Eula])
            .map(Mark::index)
            .collect();
        assert_eq!(indexes.len(), MARKS, "every mark has its own slot");
        assert!(indexes.iter().all(|i| *i < MARKS));
    }

    async fn read(marks: &ChangeMarks, rows: &[(&str, i64)]) {
        let rows: Vec<(String, i64)> = rows.iter().map(|(name, n)| ((*name).to_owned(), *n)).collect();
        marks.current(async || Ok::<_, ()>(rows)).await.unwrap();
    }

    /// What a request is served from memory when it reads no marks itself.
    fn served(cache: &MarkedCache<String, u32>, marks: &ChangeMarks, key: &str) -> Option<u32> {
        marks.fresh().and_then(|current| cache.get(current, key))
    }

    #[tokio::test]
    async fn a_value_is_served_while_its_marks_stand() {
        let marks = ChangeMarks::default();
        let cache: MarkedCache<String, u32> = MarkedCache::default();
        cache.put("k".into(), 7, vec![(Mark::License(3), 5), (Mark::Eula, 1)]);
        assert_eq!(served(&cache, &marks, "k"), None, "nothing is served before the marks are read");

        read(&marks, &[("license:3", 5), ("eula", 1)]).await;
        assert_eq!(served(&cache, &marks, "k"), Some(7));
        assert_eq!(served(&cache, &marks, "other"), None);

        // A write here: the marks must be read again before anything is served.
        marks.wrote();
        assert_eq!(served(&cache, &marks, "k"), None);
        read(&marks, &[("license:3", 5), ("eula", 1)]).await;
        assert_eq!(served(&cache, &marks, "k"), Some(7), "the write changed nothing this value was read under");

        // Another shard moving leaves it; its own shard or the EULA mark moving drops it.
        marks.wrote();
        read(&marks, &[("license:3", 5), ("license:4", 9), ("eula", 1)]).await;
        assert_eq!(served(&cache, &marks, "k"), Some(7));
        marks.wrote();
        read(&marks, &[("license:3", 6), ("eula", 1)]).await;
        assert_eq!(served(&cache, &marks, "k"), None);
        cache.put("k".into(), 8, vec![(Mark::License(3), 6), (Mark::Eula, 1)]);
        assert_eq!(served(&cache, &marks, "k"), Some(8));
        marks.wrote();
        read(&marks, &[("license:3", 6), ("eula", 2)]).await;
        assert_eq!(served(&cache, &marks, "k"), None);
    }

    #[tokio::test]
    async fn while_one_request_reads_the_marks_the_others_do_not_wait() {
        let marks = std::sync::Arc::new(ChangeMarks::default());
        let (release, held) = tokio::sync::oneshot::channel::<()>();
        let first = tokio::spawn({
            let marks = marks.clone();
            async move {
                marks
                    .current(async || {
                        held.await.ok();
                        Ok::<_, ()>(vec![("eula".to_owned(), 1)])
                    })
                    .await
            }
        });
        while marks.reading.try_lock().is_ok() {
            tokio::task::yield_now().await;
        }
        let second = marks.current(async || -> Result<Vec<(String, i64)>, ()> { panic!("a second reading") }).await;
        assert!(matches!(second, Ok(None)), "{second:?}");
        assert!(marks.fresh().is_none(), "nothing is trusted until the reading ends");
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
        assert!(marks.fresh().is_some());
    }

    #[tokio::test]
    async fn marks_older_than_the_poll_interval_are_read_again() {
        let marks = ChangeMarks::default();
        read(&marks, &[("eula", 1)]).await;
        assert!(marks.fresh().is_some());
        std::thread::sleep(POLL_EVERY);
        assert!(marks.fresh().is_none(), "a reading older than the poll interval is not trusted");
        read(&marks, &[("eula", 1)]).await;
        assert!(marks.fresh().is_some());
    }
}
