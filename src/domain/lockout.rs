//! How guessing is slowed and stopped, without handing an attacker a switch
//! that locks the owner out.
//!
//! Failures are counted per kind of subject: an address tried from devices
//! it does not know, a client address, one known device, one session, or an
//! address whose support PIN is read out. Each kind has a [`Throttle`]: a
//! few failures are free, then each further attempt waits twice as long as
//! the one before, and at the limit the subject is locked until the window
//! passes. An owner who signs in through a device that signed in before is
//! judged by that device's own count, so strangers' failures for the
//! address do not keep them out.

use time::{Duration, OffsetDateTime};

/// How far back failures count.
pub const WINDOW: Duration = Duration::minutes(15);

/// Longest wait between two attempts before the lock itself.
const MAX_DELAY: Duration = Duration::minutes(1);

/// How long a device stays known after it last received its token.
pub const KNOWN_DEVICE_LIFETIME: Duration = Duration::days(90);

/// Known devices kept per account; signing in on a new one forgets the oldest.
pub const KNOWN_DEVICES_KEPT: u32 = 20;

/// What a failure counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttemptKind {
    /// An address, tried from a device it does not know.
    Password,
    /// A client address, whatever address it tries.
    Client,
    /// One known device (the hash of its token).
    Device,
    /// One session stepping up.
    Session,
    /// An address whose support PIN is read out.
    SupportPin,
    /// A client address typing device sign-in codes (RFC 8628).
    UserCodeClient,
    /// An account typing device sign-in codes.
    UserCodeAccount,
    /// Every wrong device sign-in code, from anyone: guessing spread over
    /// many addresses and accounts still meets this.
    UserCodeAll,
}

impl AttemptKind {
    /// The kind as stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Client => "client",
            Self::Device => "device",
            Self::Session => "session",
            Self::SupportPin => "support_pin",
            Self::UserCodeClient => "user_code_client",
            Self::UserCodeAccount => "user_code_account",
            Self::UserCodeAll => "user_code_all",
        }
    }

    /// How failures of this kind are slowed and stopped.
    pub const fn throttle(self) -> Throttle {
        match self {
            Self::Password | Self::Device | Self::Session => Throttle { free: 5, limit: 10 },
            // Many people share one address behind a NAT; one client guessing
            // many accounts is still slowed long before it gets far.
            Self::Client => Throttle { free: 10, limit: 50 },
            // Six digits read out to a person: no second chances to speak of.
            Self::SupportPin => Throttle { free: 5, limit: 5 },
            // A person retypes a code they misread a few times, not twenty.
            Self::UserCodeClient | Self::UserCodeAccount => Throttle { free: 5, limit: 20 },
            // 20^8 codes: 2,000 guesses in 15 minutes find one of a thousand
            // pending requests with odds below one in ten thousand. Set high
            // enough that no real crowd of typos locks everyone out.
            Self::UserCodeAll => Throttle { free: 1_000, limit: 2_000 },
        }
    }
}

/// A counter's bounds, inside the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Failures that cost nothing.
    pub free: usize,
    /// Failures that lock the subject until the oldest that counts leaves the window.
    pub limit: usize,
}

/// A counter: the kind and what it counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttemptKey {
    /// What is counted.
    pub kind: AttemptKind,
    /// Against what: an address, a client address, a token hash, a session id.
    pub subject: String,
}

impl AttemptKey {
    /// The counter of `kind` for `subject`.
    pub fn new(kind: AttemptKind, subject: impl Into<String>) -> Self {
        Self { kind, subject: subject.into() }
    }
}

/// Given the times of recent failures (any order), until when is the next
/// attempt refused? `None`: it may go ahead at `now`.
///
/// Past `free` failures, the next attempt waits 1 s after the latest one,
/// then 2 s, 4 s… (at most a minute); with `limit` failures in the window
/// the subject is locked until the `limit`-th most recent leaves it.
pub fn refused_until(failures: &[OffsetDateTime], throttle: Throttle, now: OffsetDateTime) -> Option<OffsetDateTime> {
    let mut recent: Vec<OffsetDateTime> = failures.iter().copied().filter(|at| *at > now - WINDOW).collect();
    recent.sort_unstable_by(|a, b| b.cmp(a));
    let limit = throttle.limit.max(1);
    if recent.len() >= limit {
        return recent.get(limit - 1).map(|oldest_that_counts| *oldest_that_counts + WINDOW);
    }
    let beyond_free = recent.len().checked_sub(throttle.free)?;
    let delay = Duration::seconds(1_i64 << beyond_free.min(16)).min(MAX_DELAY);
    let next = *recent.first()? + delay;
    (next > now).then_some(next)
}

/// How long until `until`, rounded up to whole seconds, at least one:
/// what a `Retry-After` says.
pub fn seconds_until(until: OffsetDateTime, now: OffsetDateTime) -> u64 {
    let remaining = until - now;
    let secs = remaining.whole_seconds() + i64::from(remaining.subsec_nanoseconds() > 0);
    u64::try_from(secs.max(1)).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const PASSWORD: Throttle = AttemptKind::Password.throttle();

    #[test]
    fn locks_at_ten_failures_and_lifts_when_the_window_passes() {
        let t0 = datetime!(2026-01-01 00:00 UTC);
        // Spaced out, so the growing delays never hold an attempt back.
        let failures: Vec<_> = (0..10).map(|i| t0 + Duration::minutes(i)).collect();
        let now = t0 + Duration::minutes(10);
        assert_eq!(refused_until(&failures[..9], PASSWORD, now), None);
        let until = refused_until(&failures, PASSWORD, now).unwrap();
        assert_eq!(until, t0 + WINDOW);
        assert!(refused_until(&failures, PASSWORD, until - Duration::milliseconds(1)).is_some());
        assert_eq!(refused_until(&failures, PASSWORD, until), None);
    }

    #[test]
    fn past_the_free_failures_each_attempt_waits_twice_as_long() {
        let t0 = datetime!(2026-01-01 00:00 UTC);
        let mut failures = Vec::new();
        for n in 0..5 {
            assert_eq!(refused_until(&failures, PASSWORD, t0), None, "failure {n} is free");
            failures.push(t0);
        }
        for (n, wait) in [(5, 1), (6, 2), (7, 4), (8, 8), (9, 16)] {
            let latest = *failures.last().unwrap();
            let until = refused_until(&failures, PASSWORD, latest).unwrap();
            assert_eq!(until - latest, Duration::seconds(wait), "after {n} failures");
            assert_eq!(refused_until(&failures, PASSWORD, until), None);
            failures.push(until);
        }
        assert!(refused_until(&failures, PASSWORD, *failures.last().unwrap() + Duration::minutes(2)).is_some());
    }

    #[test]
    fn old_failures_do_not_count() {
        let now = datetime!(2026-01-01 12:00 UTC);
        let failures: Vec<_> = (0..20).map(|i| now - WINDOW - Duration::seconds(i)).collect();
        assert_eq!(refused_until(&failures, PASSWORD, now), None);
    }

    #[test]
    fn support_pins_lock_at_five_without_delays() {
        let t0 = datetime!(2026-01-01 00:00 UTC);
        let pins = AttemptKind::SupportPin.throttle();
        assert_eq!(refused_until(&[t0; 4], pins, t0), None);
        assert_eq!(refused_until(&[t0; 5], pins, t0), Some(t0 + WINDOW));
    }
}
