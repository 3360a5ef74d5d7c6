//! The served OpenAPI document is generated from the handlers themselves, so
//! it cannot drift from the routes.

use std::sync::Arc;

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, accounts, admin, health, keys, licenses};

#[derive(OpenApi)]
#[openapi(
    info(title = "Latchkey", description = "Authentication and license gateway for end users."),
    modifiers(&SecuritySchemes),
    tags(
        (name = "accounts", description = "Sign-up, sign-in and sessions"),
        (name = "admin", description = "Operations that need an admin API key"),
        (name = "licenses", description = "Issuing, redeeming, activating and validating licenses"),
        (name = "keys", description = "Signing keys and the JWKS"),
        (name = "operations", description = "Health and metrics"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("session", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        components.add_security_scheme("api_key", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
        .routes(routes!(accounts::sign_up))
        .routes(routes!(accounts::sign_in))
        .routes(routes!(accounts::sign_out))
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::list_sessions))
        .routes(routes!(accounts::revoke_session))
        .routes(routes!(accounts::change_password))
        .routes(routes!(admin::create_api_key, admin::list_api_keys))
        .routes(routes!(admin::revoke_api_key))
        .routes(routes!(licenses::issue, licenses::list))
        .routes(routes!(licenses::show))
        .routes(routes!(licenses::suspend))
        .routes(routes!(licenses::reinstate))
        .routes(routes!(licenses::revoke))
        .routes(routes!(licenses::renew))
        .routes(routes!(licenses::free_seat))
        .routes(routes!(licenses::redeem))
        .routes(routes!(licenses::mine))
        .routes(routes!(licenses::activate))
        .routes(routes!(licenses::deactivate))
        .routes(routes!(licenses::heartbeat))
        .routes(routes!(licenses::validate))
        .routes(routes!(licenses::revocations))
        .routes(routes!(keys::jwks))
        .routes(routes!(keys::rotate))
}

pub async fn serve(spec: Arc<utoipa::openapi::OpenApi>) -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json((*spec).clone())
}
