//! Per-client-IP token buckets, applied as a layer to route groups (see
//! `routes`). Kept in memory: per-IP limits may be per instance; the
//! per-account lockout, which must hold across instances, lives in the
//! database.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use super::error::ApiError;
use super::extract::{Limited, client_ip};
use crate::clock::Clock;
use crate::config::IpNet;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: OffsetDateTime,
}

/// Past this many tracked addresses, full buckets are forgotten; an attacker
/// spraying addresses cannot grow the map without bound.
const MAX_TRACKED: usize = 100_000;

/// A token bucket per client address (per /64 for IPv6).
#[derive(Debug)]
pub struct IpRateLimiter {
    capacity: f64,
    refill_per_sec: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl IpRateLimiter {
    /// `limit` requests per minute per address, all of them at once if need be.
    pub fn per_minute(limit: u32) -> Self {
        let capacity = f64::from(limit.max(1));
        Self { capacity, refill_per_sec: capacity / 60.0, buckets: Mutex::new(HashMap::new()) }
    }

    fn refilled(&self, bucket: Bucket, now: OffsetDateTime) -> f64 {
        let elapsed = (now - bucket.updated).as_seconds_f64().max(0.0);
        (bucket.tokens + elapsed * self.refill_per_sec).min(self.capacity)
    }

    /// Takes one token for `ip`; when none is left, says how many whole
    /// seconds until one is.
    pub fn check(&self, ip: IpAddr, now: OffsetDateTime) -> Result<(), u64> {
        let ip = client_block(ip);
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_TRACKED {
            buckets.retain(|_, b| {
                let elapsed = (now - b.updated).as_seconds_f64();
                b.tokens + elapsed * self.refill_per_sec < self.capacity
            });
        }
        let bucket = buckets.entry(ip).or_insert(Bucket { tokens: self.capacity, updated: now });
        let tokens = self.refilled(*bucket, now);
        if tokens >= 1.0 {
            *bucket = Bucket { tokens: tokens - 1.0, updated: now };
            Ok(())
        } else {
            *bucket = Bucket { tokens, updated: now };
            let wait = ((1.0 - tokens) / self.refill_per_sec).ceil();
            // Bounded by 60 s for any limit of at least one per minute.
            Err(if wait.is_finite() && wait >= 1.0 { wait as u64 } else { 1 })
        }
    }
}

/// One IPv6 client usually holds a whole /64, so that is what is limited;
/// otherwise every address in it would get a fresh bucket.
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
    clock: Arc<dyn Clock>,
    trusted_proxies: Arc<[IpNet]>,
}

impl GroupLimit {
    /// The `kind` budget kept by `limiter`, reading the time from `clock`.
    pub fn new(
        kind: Limited,
        limiter: Arc<IpRateLimiter>,
        clock: Arc<dyn Clock>,
        trusted_proxies: Arc<[IpNet]>,
    ) -> Self {
        Self { kind, limiter, clock, trusted_proxies }
    }
}

/// The layer: refuses a client past its budget, and marks the requests it
/// lets through with the budget they passed, so credential handlers can
/// tell they are behind the credential limit.
pub async fn enforce(State(limit): State<GroupLimit>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    if let Some(ip) = client_ip(&parts, &limit.trusted_proxies)
        && let Err(retry_after_secs) = limit.limiter.check(ip, limit.clock.now())
    {
        return ApiError::rate_limited(retry_after_secs).into_response();
    }
    parts.extensions.insert(limit.kind);
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::{Duration, macros::datetime};

    #[test]
    fn allows_the_limit_then_refills_over_a_minute() {
        let limiter = IpRateLimiter::per_minute(3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = datetime!(2026-01-01 00:00 UTC);
        for _ in 0..3 {
            limiter.check(ip, t0).unwrap();
        }
        assert_eq!(limiter.check(ip, t0), Err(20));
        limiter.check(other, t0).unwrap();
        assert!(limiter.check(ip, t0 + Duration::seconds(19)).is_err());
        limiter.check(ip, t0 + Duration::seconds(40)).unwrap();
    }

    #[test]
    fn an_ipv6_slash_64_shares_one_bucket() {
        let limiter = IpRateLimiter::per_minute(1);
        let t0 = datetime!(2026-01-01 00:00 UTC);
        limiter.check("2001:db8:1:2::1".parse().unwrap(), t0).unwrap();
        assert!(limiter.check("2001:db8:1:2:ffff::9".parse().unwrap(), t0).is_err());
        limiter.check("2001:db8:1:3::1".parse().unwrap(), t0).unwrap();
    }
}
