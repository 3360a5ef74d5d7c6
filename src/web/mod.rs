//! The end-user pages: server-rendered HTML in four languages, an adapter
//! over the same services as the JSON API. Handlers extract, call one
//! service, and render; the words are in `locales/`, the look in `layout`.
//!
//! One module per page group; `guard` stands in front of them all (language,
//! form tokens, security headers), and `errors` draws what went wrong.

pub mod account;
pub mod activate;
pub mod assets;
pub mod cookies;
pub mod device;
pub mod errors;
pub mod eula;
pub mod guard;
pub mod help;
pub mod i18n;
pub mod layout;
pub mod licenses;
pub mod links;
pub mod oauth;
pub mod page;
pub mod reasons;
pub mod second_step;
pub mod security;
pub mod sign_in;
pub mod support;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::config::Settings;
use crate::http::AppState;
use crate::secrets::MasterKey;

/// What pages need beyond the services.
pub struct Pages {
    /// Key of the form tokens (derived from the master key, so every
    /// instance accepts every other's forms).
    form_key: aws_lc_rs::hmac::Key,
    /// How cookies are named and marked here.
    pub jar: cookies::Jar,
    /// This site's origin (`https://login.example.com`), which POSTs must come from.
    pub origin: String,
    /// The product's name, in titles.
    pub product: Arc<str>,
    /// The vendor's own help page, if they have one.
    pub help_url: Option<String>,
    /// Accounts must verify their address before redeeming a code.
    pub require_verified_email: bool,
    /// Origins whose scripts may call the JSON API.
    cors_origins: Vec<HeaderValue>,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages").field("origin", &self.origin).finish_non_exhaustive()
    }
}

impl Pages {
    /// The pages' settings.
    pub fn new(settings: &Settings, master_key: &MasterKey) -> Self {
        let form_key = master_key.keyed_hash("web-form-tokens", b"");
        Self {
            form_key: aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, form_key.as_bytes()),
            jar: cookies::Jar::new(settings.public_url.scheme() == "https"),
            origin: settings.public_url.origin().ascii_serialization(),
            product: settings.product_name.as_str().into(),
            help_url: settings.help_url.as_ref().map(ToString::to_string),
            require_verified_email: settings.require_verified_email,
            cors_origins: settings.cors_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect(),
        }
    }

    /// The form token of the browser with this id.
    pub fn form_token(&self, browser: &str) -> String {
        let tag = aws_lc_rs::hmac::sign(&self.form_key, browser.as_bytes());
        hex::encode(tag.as_ref().get(..24).unwrap_or_default())
    }
}

/// The state page handlers see.
#[derive(Clone)]
pub struct Web {
    /// The application and the edge, as the API has them.
    pub app: AppState,
    /// The pages' own settings.
    pub pages: Arc<Pages>,
}

/// Everything served: the JSON API and the pages, with one fallback that
/// answers an unknown API path in JSON and anything else with a page.
pub fn app(state: AppState, pages: Arc<Pages>) -> Router {
    let api = cors(crate::http::api(state.clone()), &pages.cors_origins);
    let web = Web { app: state.clone(), pages };
    let pages = Router::new()
        .merge(sign_in::routes())
        .merge(second_step::routes())
        .merge(account::routes())
        .merge(activate::routes())
        .merge(licenses::routes())
        .merge(security::routes())
        .merge(links::routes())
        .merge(support::routes())
        .merge(eula::routes())
        .merge(help::routes())
        .merge(oauth::routes())
        .merge(device::routes())
        .route("/assets/{file}", get(assets::serve))
        .route_layer(axum::middleware::from_fn(carry_matched_path))
        .fallback(fallback)
        .method_not_allowed_fallback(|| async {
            errors::PageError::said(reasons::Said::code(crate::domain::reason::Code::MethodNotAllowed))
        })
        .layer(axum::middleware::from_fn_with_state(web.clone(), guard::guard))
        .with_state(web);
    Router::new()
        .merge(api)
        .fallback_service(pages)
        .layer(axum::middleware::from_fn(api_input))
        .layer(axum::middleware::from_fn_with_state(state, crate::http::middleware::envelope))
        .layer(DefaultBodyLimit::max(crate::http::BODY_LIMIT))
}

/// The API, callable from the vendor's own sites' scripts when they are
/// listed; closed to every other origin. Bearer tokens, not cookies, so
/// credentials are never allowed.
fn cors(api: Router, origins: &[HeaderValue]) -> Router {
    if origins.is_empty() {
        return api;
    }
    use axum::http::{Method, header};
    let layer = tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::AllowOrigin::list(origins.iter().cloned()))
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([header::RETRY_AFTER, header::HeaderName::from_static("x-request-id")])
        .max_age(std::time::Duration::from_secs(600));
    api.layer(layer)
}

/// The pages are the API's fallback, so the envelope sees a page's request
/// before the pages' router has matched it: the matched route comes back
/// on the response, for the request metrics and the access log.
async fn carry_matched_path(matched: MatchedPath, request: Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    response.extensions_mut().insert(matched);
    response
}

/// Control characters in an API path or query are refused before routing
/// (in JSON); the guard does the same for pages, with a page.
async fn api_input(request: Request, next: axum::middleware::Next) -> Response {
    if is_api_path(request.uri().path()) {
        crate::http::input::refuse_control_characters(request, next).await
    } else {
        next.run(request).await
    }
}

/// Any path nothing else answers: under the API's prefix the API's
/// problem+json (clients parse that), elsewhere a page.
async fn fallback(request: Request) -> Response {
    if is_api_path(request.uri().path()) {
        crate::http::error::ApiError::not_found().into_response()
    } else {
        errors::PageError::not_found().into_response()
    }
}

/// Paths the pages leave to the API: its prefix, and the operators' and
/// machines' paths beside it (which answer 404 in JSON when not served here).
pub fn is_api_path(path: &str) -> bool {
    path == "/v1"
        || path.starts_with("/v1/")
        || path.starts_with("/.well-known/")
        || matches!(
            path,
            "/metrics"
                | "/healthz"
                | "/readyz"
                | "/openapi.json"
                | "/oauth/token"
                | "/oauth/userinfo"
                | "/oauth/device_authorization"
                | "/oauth/revoke"
        )
}
