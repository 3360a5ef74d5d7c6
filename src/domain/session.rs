//! When a session is still good.

use time::{Duration, OffsetDateTime};

/// How long sessions last; both limits come from settings.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    /// Unused this long, the session ends.
    pub idle: Duration,
    /// This long after sign-in, the session ends however active.
    pub absolute: Duration,
}

/// Last-seen times are written at most this often, so an active session does
/// not cost a database write on every request; idle expiry is off by at most this.
pub const TOUCH_INTERVAL: Duration = Duration::seconds(60);

/// The moment the session stops being accepted, given its activity.
pub fn expires_at(limits: SessionLimits, created_at: OffsetDateTime, last_seen_at: OffsetDateTime) -> OffsetDateTime {
    (created_at + limits.absolute).min(last_seen_at + limits.idle)
}

/// Whether the last-seen time is old enough to be written again; see [`TOUCH_INTERVAL`].
pub fn needs_touch(last_seen_at: OffsetDateTime, now: OffsetDateTime) -> bool {
    now - last_seen_at >= TOUCH_INTERVAL
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const LIMITS: SessionLimits = SessionLimits { idle: Duration::days(7), absolute: Duration::days(30) };

    #[test]
    fn the_earlier_of_idle_and_absolute_limit_ends_a_session() {
        let t0 = datetime!(2026-01-01 00:00 UTC);
        assert!(t0 + Duration::days(6) < expires_at(LIMITS, t0, t0));
        assert_eq!(expires_at(LIMITS, t0, t0), t0 + Duration::days(7));
        // Kept active, it still ends at the absolute limit.
        let seen = t0 + Duration::days(29);
        assert_eq!(expires_at(LIMITS, t0, seen), t0 + Duration::days(30));
    }
}
