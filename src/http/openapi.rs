//! The served OpenAPI document is generated from the handlers themselves, so
//! it cannot drift from the routes. Handlers declare what is particular to
//! them (their bodies, their 404s and 409s); [`finish`] and the route groups
//! add the answers every operation shares, so a new handler cannot forget
//! them and a client generated from the document knows every status it may see.

use std::sync::Arc;

use axum::http::StatusCode;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::schema::{Object, Ref, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, Header, RefOr, Response};
use utoipa::{Modify, OpenApi};

/// The media type of every error body (RFC 9457).
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

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
        (name = "oauth", description = "OAuth 2.0 and OpenID Connect for apps: the token endpoint and userinfo (the browser signs in at /oauth/authorize, a page)"),
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
        components.add_security_scheme("oauth_access_token", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// A problem answer with `description`, and the headers that come with its status.
fn problem(status: StatusCode, description: &str) -> Response {
    let mut response = Response::new(description);
    let schema = Ref::from_schema_name("Problem");
    response.content.insert(PROBLEM_CONTENT_TYPE.to_owned(), RefOr::T(Content::new(Some(schema))));
    let mut header = |name: &str, schema: Type, description: &str| {
        let mut header = Header::new(Object::with_type(schema));
        header.description = Some(description.to_owned());
        response.headers.insert(name.to_owned(), RefOr::T(header));
    };
    match status {
        StatusCode::TOO_MANY_REQUESTS => header("Retry-After", Type::Integer, "Seconds to wait before trying again."),
        StatusCode::SERVICE_UNAVAILABLE => header("Retry-After", Type::Integer, "Seconds to wait before retrying."),
        StatusCode::UNAUTHORIZED => {
            header("WWW-Authenticate", Type::String, "The Bearer challenge (RFC 6750, RFC 9470).")
        }
        _ => {}
    }
    response
}

/// `rate_limited`, on every operation of a limited route group.
pub fn rate_limited() -> Response {
    problem(
        StatusCode::TOO_MANY_REQUESTS,
        "`rate_limited`: too many requests from this client (or, on a sign-in, `account_locked`: too many \
         failed sign-ins for the account). Retry after `Retry-After` seconds.",
    )
}

/// `forbidden`, on every operation that needs an admin key.
pub fn admin_only() -> Response {
    problem(StatusCode::FORBIDDEN, "`forbidden`: the API key is a support key; this needs an admin key.")
}

/// What every operation may answer whatever it does.
fn shared() -> [(StatusCode, Response); 2] {
    [
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "`validation_failed`: a field broke a rule (see `errors`), or the path, query or body \
                 holds a control character.",
            ),
        ),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "`unavailable`: a dependency is down; `timeout`: the request took too long. Safe to retry \
                 after `Retry-After` seconds.",
            ),
        ),
    ]
}

/// What every operation with a request body may answer about the body itself.
fn about_the_body() -> [(StatusCode, Response); 3] {
    [
        (
            StatusCode::BAD_REQUEST,
            problem(StatusCode::BAD_REQUEST, "`validation_failed`: the body is not of the expected shape."),
        ),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("`payload_too_large`: the body is larger than {} KiB.", super::BODY_LIMIT / 1024),
            ),
        ),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "`unsupported_media_type`: the body is not in a documented media type.",
            ),
        ),
    ]
}

fn unauthorized() -> Response {
    problem(
        StatusCode::UNAUTHORIZED,
        "`unauthorized`: no valid credential; `mfa_required` or `reauthentication_required`: the session \
         must prove more first (see `WWW-Authenticate`).",
    )
}

/// Every operation of a path item.
fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .flatten()
}

/// Adds `response` as the answer for `status` to every operation of `spec`
/// that does not document that status itself.
pub fn add_to_every_operation(spec: &mut utoipa::openapi::OpenApi, status: StatusCode, response: &Response) {
    for item in spec.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            add(operation, status, response);
        }
    }
}

/// A handler's own words for a status win; a bare `(status = 429, body = Problem)` gets the shared
/// answer, which says which codes and headers come with it.
fn add(operation: &mut Operation, status: StatusCode, response: &Response) {
    let entry = operation.responses.responses.entry(status.as_u16().to_string());
    let declared = entry.or_insert_with(|| RefOr::T(response.clone()));
    if let RefOr::T(declared) = declared
        && declared.description.is_empty()
    {
        *declared = response.clone();
    }
}

/// Whether calling the operation needs a credential (an empty requirement
/// means anonymous callers are welcome too, but a credential that is sent is checked).
fn takes_credentials(operation: &Operation) -> bool {
    operation.security.iter().flatten().any(|requirement| {
        serde_json::to_value(requirement).is_ok_and(|value| value.as_object().is_some_and(|map| !map.is_empty()))
    })
}

/// Completes the generated document: the shared answers on every operation,
/// a description on every answer, and problems as `application/problem+json`.
pub fn finish(spec: &mut utoipa::openapi::OpenApi) {
    let shared = shared();
    let about_the_body = about_the_body();
    let unauthorized = unauthorized();
    for item in spec.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            for (status, response) in &shared {
                add(operation, *status, response);
            }
            if operation.request_body.is_some() {
                for (status, response) in &about_the_body {
                    add(operation, *status, response);
                }
            }
            if takes_credentials(operation) {
                add(operation, StatusCode::UNAUTHORIZED, &unauthorized);
            }
            for (status, response) in &mut operation.responses.responses {
                if let RefOr::T(response) = response {
                    complete(status, response);
                }
            }
        }
    }
}

/// Handlers write `body = Problem`, which utoipa files under
/// `application/json`; the body is really sent as problem+json, and a
/// client that dispatches on the media type would miss it. An answer
/// declared without words gets the status's own name.
fn complete(status: &str, response: &mut Response) {
    let is_problem = |content: &RefOr<Content>| match content {
        RefOr::T(content) => matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem")),
        RefOr::Ref(_) => false,
    };
    let problem = response.content.get("application/json").is_some_and(is_problem);
    if problem && let Some(content) = response.content.shift_remove("application/json") {
        response.content.insert(PROBLEM_CONTENT_TYPE.to_owned(), content);
    }
    if response.description.is_empty() {
        let reason =
            status.parse::<u16>().ok().and_then(|s| StatusCode::from_u16(s).ok()).and_then(|s| s.canonical_reason());
        let reason = reason.unwrap_or("Answer");
        response.description = if problem { format!("{reason}; `code` says why.") } else { reason.to_owned() };
    }
}

/// Serves the document generated from the routes.
pub async fn serve(spec: Arc<utoipa::openapi::OpenApi>) -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json((*spec).clone())
}
