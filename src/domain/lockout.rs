//! The per-account sign-in lockout rule.

use time::{Duration, OffsetDateTime};

/// Failures tolerated inside the window before the account locks.
pub const MAX_FAILURES: usize = 10;
/// How far back failures count.
pub const WINDOW: Duration = Duration::minutes(15);

/// Wrong support PINs tolerated for one account inside the window.
pub const MAX_SUPPORT_PIN_FAILURES: usize = 5;

/// Given the times of recent failures (any order), when does the lock lift?
/// `None` means the account is not locked at `now`.
///
/// The account is locked while `limit` or more failures lie inside the
/// window; it unlocks when the `limit`-th most recent one leaves it.
pub fn locked_until(failures: &[OffsetDateTime], limit: usize, now: OffsetDateTime) -> Option<OffsetDateTime> {
    let mut recent: Vec<OffsetDateTime> = failures.iter().copied().filter(|at| *at > now - WINDOW).collect();
    if recent.len() < limit.max(1) {
        return None;
    }
    recent.sort_unstable_by(|a, b| b.cmp(a));
    recent.get(limit.max(1) - 1).map(|oldest_that_counts| *oldest_that_counts + WINDOW)
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

    #[test]
    fn locks_at_ten_failures_and_lifts_when_the_window_passes() {
        let t0 = datetime!(2026-01-01 00:00 UTC);
        let failures: Vec<_> = (0..10).map(|i| t0 + Duration::seconds(i)).collect();
        assert_eq!(locked_until(&failures[..9], MAX_FAILURES, t0 + Duration::seconds(10)), None);
        let until = locked_until(&failures, MAX_FAILURES, t0 + Duration::seconds(10)).unwrap();
        assert_eq!(until, t0 + WINDOW);
        assert!(locked_until(&failures, MAX_FAILURES, until - Duration::milliseconds(1)).is_some());
        assert_eq!(locked_until(&failures, MAX_FAILURES, until), None);
    }

    #[test]
    fn old_failures_do_not_count() {
        let now = datetime!(2026-01-01 12:00 UTC);
        let failures: Vec<_> = (0..20).map(|i| now - WINDOW - Duration::seconds(i)).collect();
        assert_eq!(locked_until(&failures, MAX_FAILURES, now), None);
    }
}
