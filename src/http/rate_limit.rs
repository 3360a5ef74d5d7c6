//! Per-client-IP limits, applied as a layer to route groups (see `routes`).
//! Kept in memory: per-IP limits may be per instance; the per-account
//! lockout, which must hold across instances, lives in the database.
//!
//! `governor` keeps one GCRA cell per client in a sharded map, so requests
//! from different clients do not wait on one lock. It reads the time from the
//! application's `Clock`, so tests move it with `ManualClock`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock as _;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use super::error::ApiError;
use super::extract::{Limited, client_ip};
use crate::clock::Clock;
use crate::config::IpNet;

/// Past this many tracked addresses, addresses back to a full budget are
/// forgotten; an attacker spraying addresses cannot grow the map without bound.
const MAX_TRACKED: usize = 100_000;

/// The application's clock as governor's: nanoseconds since the Unix epoch.
#[derive(Clone)]
pub struct AppClock(Arc<dyn Clock>);

impl std::fmt::Debug for AppClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppClock")
    }
}

impl governor::clock::Clock for AppClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        // Before 1970 or after 2554 cannot happen on a working clock; saturate rather than panic.
        let nanos = self.0.now().unix_timestamp_nanos().clamp(0, i128::from(u64::MAX));
        Nanos::from(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

/// A budget per client address (per /64 for IPv6).
#[derive(Debug)]
pub struct IpRateLimiter {
    limiter: RateLimiter<IpAddr, DashMapStateStore<IpAddr>, AppClock, NoOpMiddleware<Nanos>>,
    clock: AppClock,
}

impl IpRateLimiter {
    /// `limit` requests per minute per address, all of them at once if need
    /// be, refilled evenly over the minute; the time comes from `clock`.
    pub fn per_minute(limit: u32, clock: Arc<dyn Clock>) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(limit.max(1)).unwrap_or(NonZeroU32::MIN));
        let clock = AppClock(clock);
        Self { limiter: RateLimiter::dashmap_with_clock(quota, clock.clone()), clock }
    }

    /// Takes one request from `ip`'s budget; when it is spent, says how many
    /// whole seconds until the next request would pass.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        if self.limiter.len() >= MAX_TRACKED {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&client_block(ip)).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            // Rounded up: a client that waits exactly this long passes. Bounded by 60 s.
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }
}

/// One IPv6 client usually holds a whole /64, so that is what is limited;
/// otherwise every address in it would get a fresh budget.
fn client_block(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => ip,
        IpAddr::V6(v6) => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
    }
}

/// A limit as a route group's layer: which budget, the limiter, and how to
/// find the client.
#[derive(Clone)]
pub struct GroupLimit {
    kind: Limited,
    limiter: Arc<IpRateLimiter>,
    trusted_proxies: Arc<[IpNet]>,
}

impl GroupLimit {
    /// The `kind` budget kept by `limiter`.
    pub fn new(kind: Limited, limiter: Arc<IpRateLimiter>, trusted_proxies: Arc<[IpNet]>) -> Self {
        Self { kind, limiter, trusted_proxies }
    }

    /// Takes one from the budget of the request's client; `Err` holds the
    /// seconds to wait. For the pages, which answer a refusal with a page.
    pub fn take(&self, parts: &axum::http::request::Parts) -> Result<(), u64> {
        match client_ip(parts, &self.trusted_proxies) {
            Some(ip) => self.limiter.check(ip),
            None => Ok(()),
        }
    }
}

/// The layer: refuses a client past its budget, and marks the requests it
/// lets through with the budget they passed, so credential handlers can
/// tell they are behind the credential limit.
pub async fn enforce(State(limit): State<GroupLimit>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    if let Some(ip) = client_ip(&parts, &limit.trusted_proxies)
        && let Err(retry_after_secs) = limit.limiter.check(ip)
    {
        // OAuth clients parse RFC 6749 errors, not problem+json.
        if parts.uri.path().starts_with("/oauth/") {
            return super::oauth::rate_limited(retry_after_secs);
        }
        return ApiError::rate_limited(retry_after_secs).into_response();
    }
    parts.extensions.insert(limit.kind);
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use time::{Duration, macros::datetime};

    #[test]
    fn allows_the_limit_then_refills_over_a_minute() {
        let clock = Arc::new(ManualClock::new(datetime!(2026-01-01 00:00 UTC)));
        let limiter = IpRateLimiter::per_minute(3, clock.clone());
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            limiter.check(ip).unwrap();
        }
        assert_eq!(limiter.check(ip), Err(20));
        limiter.check(other).unwrap();
        clock.advance(Duration::seconds(19));
        assert_eq!(limiter.check(ip), Err(1));
        clock.advance(Duration::seconds(21));
        limiter.check(ip).unwrap();
    }

    #[test]
    fn an_ipv6_slash_64_shares_one_budget() {
        let clock = Arc::new(ManualClock::new(datetime!(2026-01-01 00:00 UTC)));
        let limiter = IpRateLimiter::per_minute(1, clock);
        limiter.check("2001:db8:1:2::1".parse().unwrap()).unwrap();
        assert!(limiter.check("2001:db8:1:2:ffff::9".parse().unwrap()).is_err());
        limiter.check("2001:db8:1:3::1".parse().unwrap()).unwrap();
    }
}
