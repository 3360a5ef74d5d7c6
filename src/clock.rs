//! The one place that reads the system clock. Everything else is handed `now`,
//! so tests move time forward instead of sleeping.

use std::sync::Mutex;
use time::{Duration, OffsetDateTime};

/// Source of the current time for the whole application.
pub trait Clock: Send + Sync + 'static {
    /// The current time, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the single sanctioned read of the system clock
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to; used by tests to cross lockout
/// windows, session expiry and TOTP steps deterministically.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<OffsetDateTime>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        Self { now: Mutex::new(start) }
    }

    /// Starts at the real current time, truncated to whole milliseconds so that
    /// values survive a round trip through the database unchanged.
    pub fn starting_now() -> Self {
        let now = SystemClock.now();
        let millis = now.unix_timestamp_nanos() / 1_000_000;
        Self::new(OffsetDateTime::from_unix_timestamp_nanos(millis * 1_000_000).unwrap_or(now))
    }

    /// Moves the clock on by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
