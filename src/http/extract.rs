//! Extractors: JSON bodies with our error format, the signed-in user, API
//! keys by role, and where the request came from.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use super::AppState;
use super::error::ApiError;
use crate::auth::ClientInfo;
use crate::auth::accounts::Authenticated;
use crate::store::{ApiKey, ApiKeyRole};

/// `axum::Json`, but rejections are problem+json with our codes.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

/// `axum::extract::Query`, with the same kind of rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// The end user behind a session token (`Authorization: Bearer lk_ses_…`).
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Authenticated);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers).ok_or(ApiError::Unauthorized("A valid session token is required."))?;
        Ok(Self(state.accounts.authenticate(token).await?))
    }
}

async fn api_key(parts: &Parts, state: &AppState) -> Result<ApiKey, ApiError> {
    const MISSING: &str = "An API key is required (Authorization: Bearer lk_adm_… or lk_sup_…).";
    let token = bearer(&parts.headers).ok_or(ApiError::Unauthorized(MISSING))?;
    match state.api_keys.authenticate(token).await {
        Ok(key) => Ok(key),
        // Only an unknown or revoked key is the caller's fault.
        Err(crate::auth::AuthError::Unauthenticated) => Err(ApiError::Unauthorized(MISSING)),
        Err(other) => Err(other.into()),
    }
}

/// A caller holding an admin API key.
#[derive(Debug, Clone)]
pub struct AdminKey(pub ApiKey);

impl FromRequestParts<AppState> for AdminKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let key = api_key(parts, state).await?;
        match key.role {
            ApiKeyRole::Admin => Ok(Self(key)),
            ApiKeyRole::Support => Err(ApiError::Forbidden("This operation needs an admin API key.")),
        }
    }
}

/// A caller holding a support API key; admin keys may do what support does.
#[derive(Debug, Clone)]
pub struct SupportKey(pub ApiKey);

impl FromRequestParts<AppState> for SupportKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        api_key(parts, state).await.map(Self)
    }
}

/// Where the request came from: the socket peer, or — only when the operator
/// says a proxy sets it — the last `X-Forwarded-For` hop, the one our own
/// proxy appended (earlier entries are whatever the client claimed).
#[derive(Debug, Clone)]
pub struct Client(pub ClientInfo);

impl FromRequestParts<AppState> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
        let forwarded = state
            .settings
            .trust_forwarded_for
            .then(|| {
                parts.headers.get("x-forwarded-for")?.to_str().ok()?.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
            })
            .flatten();
        let user_agent = parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(Self(ClientInfo { ip: forwarded.or(peer), user_agent }))
    }
}

/// The `{id}` of a path, which must be one of our UUIDs. Anything else —
/// including bytes a database refuses, such as NUL — is simply not found.
#[derive(Debug, Clone)]
pub struct IdPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state).await.map_err(|_| ApiError::NotFound)?;
        uuid::Uuid::parse_str(&raw).map(|id| Self(id.hyphenated().to_string())).map_err(|_| ApiError::NotFound)
    }
}
