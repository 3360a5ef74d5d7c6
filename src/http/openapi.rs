//! The served OpenAPI document is generated from the handlers themselves, so
//! it cannot drift from the routes.

use std::sync::Arc;

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, accounts, admin, email, eula, factors, health, keys, licenses, support, tokens};

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
        .routes(routes!(email::request_verification))
        .routes(routes!(email::change_email))
        .routes(routes!(email::verify))
        .routes(routes!(email::request_reset))
        .routes(routes!(email::complete_reset))
        .routes(routes!(email::remove_device))
        .routes(routes!(factors::sign_in_totp))
        .routes(routes!(factors::sign_in_recovery_code))
        .routes(routes!(factors::sign_in_webauthn_options))
        .routes(routes!(factors::sign_in_webauthn))
        .routes(routes!(factors::passwordless_options))
        .routes(routes!(factors::passwordless))
        .routes(routes!(factors::enroll_totp, factors::remove_totp))
        .routes(routes!(factors::confirm_totp))
        .routes(routes!(factors::regenerate_recovery_codes))
        .routes(routes!(factors::passkey_options))
        .routes(routes!(factors::register_passkey, factors::list_passkeys))
        .routes(routes!(factors::rename_passkey, factors::remove_passkey))
        .routes(routes!(factors::reauthenticate_options))
        .routes(routes!(factors::reauthenticate))
        .routes(routes!(factors::events))
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
        .routes(routes!(eula::publish))
        .routes(routes!(eula::current))
        .routes(routes!(eula::decide, eula::history))
        .routes(routes!(eula::export))
        .routes(routes!(eula::verify))
        .routes(routes!(support::create_pin))
        .routes(routes!(support::verify))
        .routes(routes!(support::timeline))
        .routes(routes!(keys::jwks))
        .routes(routes!(keys::rotate))
        .routes(routes!(tokens::mint))
        .routes(routes!(tokens::introspect))
        .routes(routes!(tokens::revoke))
        .routes(routes!(tokens::discovery))
}

pub async fn serve(spec: Arc<utoipa::openapi::OpenApi>) -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json((*spec).clone())
}
