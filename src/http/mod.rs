//! The HTTP edge: the JSON API. Each handler extracts what the request
//! carries, calls one service method, and renders the answer as JSON or
//! problem+json; no business rule lives here, and no handler sees the
//! store or the clock (only the per-IP limiter reads the time, for its
//! buckets). Routes are grouped by how callers authenticate, each group
//! with its limit (see `routes`).

pub mod accounts;
pub mod admin;
pub mod email;
pub mod error;
pub mod eula;
pub mod extract;
pub mod factors;
pub mod health;
pub mod input;
pub mod keys;
pub mod licenses;
pub mod middleware;
pub mod oauth;
pub mod openapi;
pub mod rate_limit;
pub mod routes;
pub mod server;
pub mod support;
pub mod tokens;
pub mod words;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;

use crate::clock::Clock;
use crate::config::{IpNet, Settings};
use crate::metrics::Metrics;
use crate::services::Services;

/// Largest request body accepted anywhere.
pub const BODY_LIMIT: usize = 64 * 1024;

/// How the edge itself behaves: where clients are, how long a request may
/// take, the per-group limits, and the request metrics.
pub struct Edge {
    /// The proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<[IpNet]>,
    /// Send `Strict-Transport-Security`: the public URL is https.
    pub hsts: bool,
    /// Upper bound on one request.
    pub request_timeout: Duration,
    /// Credential attempts (passwords, codes, PINs, link tokens).
    pub credentials: rate_limit::GroupLimit,
    /// Product software's calls (validation, heartbeats by key).
    pub product: rate_limit::GroupLimit,
    /// Request counts and latencies.
    pub metrics: Arc<Metrics>,
    /// `/metrics` is served on its own listener, not beside the API.
    pub metrics_apart: bool,
}

/// What every handler can reach: the services, and the edge's own settings.
/// Cheap to clone: everything is shared.
#[derive(Clone)]
pub struct AppState {
    /// The application. Behind one `Arc`: axum clones the state for every
    /// request, and cloning each service's handles one by one (then
    /// dropping them) took a third of a validation's CPU.
    pub services: Arc<Services>,
    /// The edge's settings and limits.
    pub edge: Arc<Edge>,
}

impl AppState {
    /// The state the router serves with.
    pub fn new(services: Services, settings: &Settings, clock: Arc<dyn Clock>, metrics: Arc<Metrics>) -> Self {
        let trusted_proxies: Arc<[IpNet]> = settings.trusted_proxies.clone().into();
        let limit = |kind, per_minute: u32| {
            let limiter = Arc::new(rate_limit::IpRateLimiter::per_minute(per_minute, clock.clone()));
            rate_limit::GroupLimit::new(kind, limiter, trusted_proxies.clone())
        };
        let edge = Edge {
            trusted_proxies: trusted_proxies.clone(),
            hsts: settings.public_url.scheme() == "https",
            metrics_apart: settings.metrics_listen.is_some(),
            request_timeout: settings.request_timeout,
            credentials: limit(extract::Limited::Credentials, settings.ip_rate_per_minute),
            product: limit(extract::Limited::Product, settings.product_rate_per_minute),
            metrics,
        };
        Self { services: Arc::new(services), edge: Arc::new(edge) }
    }
}

/// `/metrics` alone, for its own listener.
pub fn metrics_router(state: AppState) -> Router {
    Router::new().route("/metrics", get(health::metrics)).with_state(state)
}

/// The JSON API's routes with their input checks; the envelope (request
/// ids, time limit, metrics) and the fallback are added where it is served
/// beside the pages (`web::app`).
pub fn api(state: AppState) -> Router {
    let (api, spec) = routes::all(&state).split_for_parts();
    let spec = Arc::new(spec);
    api.route("/openapi.json", get(move || openapi::serve(spec.clone())))
        .method_not_allowed_fallback(|| async {
            error::ApiError::new(crate::domain::reason::Code::MethodNotAllowed, "method not allowed")
        })
        .with_state(state)
}
