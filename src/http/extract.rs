//! Extractors: JSON bodies with our error format, the signed-in user, API
//! keys by role, where the request came from, ids in paths, and the mark a
//! credential limit leaves on a request.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use super::AppState;
use super::error::ApiError;
use super::words::MISSING_API_KEY;
use crate::config::IpNet;
use crate::domain::account::{ApiKey, ApiKeyRole, Authenticated};
use crate::domain::event::ClientInfo;
use crate::domain::ids::{ActivationId, ApiKeyId, LicenseId, PasskeyId, SessionId, UserId};

pub use super::input::Json;

/// `axum::extract::Query`, with the same kind of rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// The bearer token of the `Authorization` header, if there is one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
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
        let token = bearer(&parts.headers).ok_or(ApiError::unauthorized("A valid session token is required."))?;
        Ok(Self(state.services.accounts.authenticate(token).await?))
    }
}

async fn api_key(parts: &Parts, state: &AppState) -> Result<ApiKey, ApiError> {
    let token = bearer(&parts.headers).ok_or(ApiError::unauthorized(MISSING_API_KEY))?;
    Ok(state.services.api_keys.authenticate(token).await?)
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
            ApiKeyRole::Support => Err(ApiError::forbidden("This operation needs an admin API key.")),
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

/// The client's address. The socket peer, unless it is one of the
/// operator's proxies: then `X-Forwarded-For`, read from the right, where
/// each trusted hop appended the address it saw; the first address that is
/// not a trusted proxy is the client. Entries further left are whatever the
/// client claimed, so a header the client rotates changes nothing.
pub fn client_ip(parts: &Parts, proxies: &[IpNet]) -> Option<IpAddr> {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip())?;
    let trusted = |ip: IpAddr| proxies.iter().any(|proxy| proxy.contains(ip));
    if !trusted(peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else { break };
        client = ip;
        if !trusted(ip) {
            break;
        }
    }
    Some(client)
}

/// Where the request came from, as sessions, events and evidence record it.
#[derive(Debug, Clone)]
pub struct Client(pub ClientInfo);

impl FromRequestParts<AppState> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user_agent = parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(Self(ClientInfo { ip: client_ip(parts, &state.edge.trusted_proxies), user_agent }))
    }
}

/// Ids that appear in paths.
pub trait PathId: Sized + Send {
    /// The id in a path segment; `None` for anything that is not one of ours.
    fn from_path(text: &str) -> Option<Self>;
}

macro_rules! path_ids {
    ($($id:ty),+) => {$(
        impl PathId for $id {
            fn from_path(text: &str) -> Option<Self> {
                <$id>::parse(text)
            }
        }
    )+};
}

path_ids!(UserId, SessionId, LicenseId, ActivationId, ApiKeyId, PasskeyId);

/// The `{id}` of a path, which must be one of our UUIDs. Anything else —
/// including bytes a database refuses, such as NUL — is simply not found.
#[derive(Debug, Clone)]
pub struct IdPath<T>(pub T);

impl<S: Send + Sync, T: PathId> FromRequestParts<S> for IdPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state).await.map_err(|_| ApiError::not_found())?;
        T::from_path(&raw).map(Self).ok_or_else(ApiError::not_found)
    }
}

/// Proof that the request passed a credential limit (see `routes`): every
/// handler that checks a password, code, PIN or link token takes one, so a
/// credential endpoint placed in a group without the limit fails loudly
/// instead of allowing unlimited guessing.
#[derive(Debug, Clone, Copy)]
pub struct Attempt(());

/// Which limit a request passed, as its group's layer leaves it in the
/// request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// The credential-attempt budget.
    Credentials,
    /// The product-call budget.
    Product,
}

impl<S: Send + Sync> FromRequestParts<S> for Attempt {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Limited>() {
            Some(Limited::Credentials) => Ok(Self(())),
            _ => Err(ApiError::internal(format!(
                "{} takes credentials but is not in a group with the credential limit",
                parts.uri.path()
            ))),
        }
    }
}
