//! The served OpenAPI document is generated from the handlers themselves, so
//! it cannot drift from the routes.

use std::sync::Arc;

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The document's frame: title, tags and security schemes; the routes add their paths.
#[derive(OpenApi)]
#[openapi(
    info(title = "Latchkey", description = "Authentication and license gateway for end users."),
    modifiers(&SecuritySchemes),
    tags(
        (name = "accounts", description = "Sign-up, sign-in and sessions"),
        (name = "factors", description = "Second factors, passkeys and step-up"),
        (name = "eula", description = "EULA versions and the acceptance ledger"),
        (name = "support", description = "Verifying callers for support agents"),
        (name = "admin", description = "Operations that need an admin API key"),
        (name = "licenses", description = "Issuing, redeeming, activating and validating licenses"),
        (name = "keys", description = "Signing keys and the JWKS"),
        (name = "tokens", description = "Tokens for help desks, widgets and back ends; introspection and revocation"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("session", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        components.add_security_scheme("api_key", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// Serves the document generated from the routes.
pub async fn serve(spec: Arc<utoipa::openapi::OpenApi>) -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json((*spec).clone())
}
