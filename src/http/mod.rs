//! The HTTP edge: translates requests into calls on `auth` and `store`, and
//! their results into JSON or problem+json. No business rules live here.

pub mod accounts;
pub mod admin;
pub mod email;
pub mod error;
pub mod eula;
pub mod extract;
pub mod factors;
pub mod health;
pub mod keys;
pub mod licenses;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod rate_limit;
pub mod support;
pub mod tokens;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;

use crate::auth::Accounts;
use crate::auth::api_keys::ApiKeys;
use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::policy::PolicySet;
use crate::store::Store;

/// Largest request body accepted anywhere.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler can reach. Cheap to clone: everything is shared.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub policies: Arc<PolicySet>,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub accounts: Accounts,
    pub email: crate::auth::EmailFlows,
    pub factors: crate::auth::Factors,
    pub eulas: crate::eula::Eulas,
    pub support: crate::support::Support,
    pub api_keys: ApiKeys,
    pub licensing: crate::licensing::Licensing,
    pub keys: Arc<crate::tokens::SigningKeys>,
    pub tokens: crate::tokens::Tokens,
    pub ip_limiter: Arc<rate_limit::IpRateLimiter>,
    pub metrics: Arc<metrics::Metrics>,
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let (api, spec) = openapi::routes().split_for_parts();
    let spec = Arc::new(spec);
    api.route("/openapi.json", get(move || openapi::serve(spec.clone())))
        .fallback(|| async { error::ApiError::NotFound })
        .method_not_allowed_fallback(|| async { error::ApiError::MethodNotAllowed })
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::envelope))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}
