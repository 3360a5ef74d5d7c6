//! Routes, grouped by how their callers authenticate. Each group is its
//! own router with its own layer, so where a route is written decides what
//! guards it:
//!
//! | group | caller | limit |
//! |---|---|---|
//! | `public` | anyone; nothing to guess (`/metrics` too, unless it has its own listener) | none |
//! | `sign_in` | anyone presenting a password, code or link token (an OAuth code or refresh token too) | credential attempts per IP |
//! | `session` | a signed-in user | none (a session token cannot be guessed) |
//! | `session_credentials` | a signed-in user presenting a password, code or activation code | credential attempts per IP |
//! | `product` | product software with a license key | product calls per IP |
//! | `support` | a support or admin key | none |
//! | `support_credentials` | a support key checking a caller's PIN | credential attempts per IP |
//! | `admin` | an admin key | none |
//!
//! Every handler that checks a credential takes `extract::Attempt`, which
//! only a limited group provides: one put in the wrong group fails at once.

use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::{self, ApiDoc};
use super::rate_limit::{GroupLimit, enforce};
use super::{AppState, accounts, admin, email, eula, factors, health, keys, licenses, oauth, support, tokens};

fn limited(mut group: OpenApiRouter<AppState>, limit: &GroupLimit) -> OpenApiRouter<AppState> {
    openapi::add_to_every_operation(group.get_openapi_mut(), StatusCode::TOO_MANY_REQUESTS, &openapi::rate_limited());
    group.route_layer(from_fn_with_state(limit.clone(), enforce))
}

/// Every route, each in its group.
pub fn all(state: &AppState) -> OpenApiRouter<AppState> {
    let credentials = &state.edge.credentials;
    let public = if state.edge.metrics_apart { public() } else { public().routes(routes!(health::metrics)) };
    let mut all = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(public)
        .merge(limited(sign_in(), credentials))
        .merge(session())
        .merge(limited(session_credentials(), credentials))
        .merge(limited(product(), &state.edge.product))
        .merge(support())
        .merge(limited(support_credentials(), credentials))
        .merge(admin());
    openapi::finish(all.get_openapi_mut());
    all
}

fn public() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(keys::jwks))
        .routes(routes!(tokens::discovery))
        .routes(routes!(tokens::oauth_metadata))
        .routes(routes!(oauth::userinfo, oauth::userinfo_post))
        .routes(routes!(eula::current))
        .routes(routes!(licenses::revocations))
}

fn sign_in() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(accounts::sign_up))
        .routes(routes!(accounts::sign_in))
        .routes(routes!(factors::sign_in_totp))
        .routes(routes!(factors::sign_in_recovery_code))
        .routes(routes!(factors::sign_in_webauthn_options))
        .routes(routes!(factors::sign_in_webauthn))
        .routes(routes!(factors::passwordless_options))
        .routes(routes!(factors::passwordless))
        .routes(routes!(email::verify))
        .routes(routes!(email::request_reset))
        .routes(routes!(email::complete_reset))
        .routes(routes!(email::remove_device))
        .routes(routes!(oauth::token))
        .routes(routes!(oauth::device_authorization))
        .routes(routes!(oauth::revoke))
}

fn session() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(accounts::sign_out))
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::list_sessions))
        .routes(routes!(accounts::revoke_session))
        .routes(routes!(email::request_verification))
        .routes(routes!(email::change_email))
        .routes(routes!(factors::enroll_totp, factors::remove_totp))
        .routes(routes!(factors::regenerate_recovery_codes))
        .routes(routes!(factors::passkey_options))
        .routes(routes!(factors::register_passkey, factors::list_passkeys))
        .routes(routes!(factors::rename_passkey, factors::remove_passkey))
        .routes(routes!(factors::reauthenticate_options))
        .routes(routes!(factors::events))
        .routes(routes!(licenses::mine))
        .routes(routes!(licenses::activate))
        .routes(routes!(licenses::deactivate))
        .routes(routes!(eula::decide, eula::history))
        .routes(routes!(support::create_pin))
        .routes(routes!(tokens::mint))
        // The token's holder or staff: revoking is harmless either way.
        .routes(routes!(tokens::revoke))
}

fn session_credentials() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(accounts::change_password))
        .routes(routes!(factors::confirm_totp))
        .routes(routes!(factors::reauthenticate))
        .routes(routes!(licenses::redeem))
}

fn product() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(licenses::validate)).routes(routes!(licenses::heartbeat))
}

fn support() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(support::timeline)).routes(routes!(tokens::introspect))
}

fn support_credentials() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(support::verify))
}

fn admin() -> OpenApiRouter<AppState> {
    let mut admin = OpenApiRouter::new()
        .routes(routes!(admin::create_api_key, admin::list_api_keys))
        .routes(routes!(admin::revoke_api_key))
        .routes(routes!(licenses::issue, licenses::list))
        .routes(routes!(licenses::show))
        .routes(routes!(licenses::suspend))
        .routes(routes!(licenses::reinstate))
        .routes(routes!(licenses::revoke))
        .routes(routes!(licenses::renew))
        .routes(routes!(licenses::free_seat))
        .routes(routes!(eula::publish))
        .routes(routes!(eula::export))
        .routes(routes!(eula::verify))
        .routes(routes!(keys::rotate));
    // A support key is a valid credential, just not enough here.
    openapi::add_to_every_operation(admin.get_openapi_mut(), StatusCode::FORBIDDEN, &openapi::admin_only());
    admin
}
