//! Admin operations on API keys.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiResult, Problem};
use super::extract::{AdminKey, IdPath, Json};
use crate::domain::account::{ApiKey, ApiKeyRole};
use crate::domain::ids::ApiKeyId;
use crate::domain::reason::{Invalid, Rule};

/// A new staff API key: its name and role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    /// A name to recognise the key by in listings, such as the tool that uses it; at most 100 characters.
    pub name: String,
    /// `admin` or `support`.
    pub role: String,
}

/// A staff API key as listed; never the key itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    /// The key's id; use it to revoke the key.
    pub id: String,
    /// The name it was given.
    pub name: String,
    /// `admin` (everything) or `support` (verify callers, read timelines).
    pub role: &'static str,
    /// When the key was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the key was revoked; null while it works.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(key: ApiKey) -> Self {
        Self {
            id: key.id.to_string(),
            name: key.name,
            role: key.role.as_str(),
            created_at: key.created_at,
            revoked_at: key.revoked_at,
        }
    }
}

/// A new API key, shown in clear this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyCreated {
    /// The key itself; shown only now, stored only as a hash.
    pub key: String,
    /// The key's record, as listings show it.
    pub api_key: ApiKeyView,
}

/// Every staff API key.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    /// The keys, revoked ones included, oldest first.
    pub api_keys: Vec<ApiKeyView>,
}

/// Create an API key for a tool.
#[utoipa::path(post, path = "/v1/admin/api-keys", tag = "admin", security(("api_key" = [])), request_body = CreateApiKeyRequest,
    responses((status = 201, body = ApiKeyCreated), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_api_key(
    State(state): State<AppState>,
    AdminKey(_admin): AdminKey,
    Json(body): Json<CreateApiKeyRequest>,
) -> ApiResult<impl IntoResponse> {
    let role = ApiKeyRole::parse(&body.role).ok_or(Invalid::new("role", Rule::OneOf(&["admin", "support"])))?;
    let (key, token) = state.services.api_keys.create(role, &body.name).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ApiKeyCreated { key: token.secret.expose_secret().to_owned(), api_key: key.into() }),
    ))
}

/// List API keys (never the keys themselves).
#[utoipa::path(get, path = "/v1/admin/api-keys", tag = "admin", security(("api_key" = [])),
    responses((status = 200, body = ApiKeyList), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_api_keys(
    State(state): State<AppState>,
    AdminKey(_admin): AdminKey,
) -> ApiResult<axum::Json<ApiKeyList>> {
    let keys = state.services.api_keys.list().await?;
    Ok(axum::Json(ApiKeyList { api_keys: keys.into_iter().map(ApiKeyView::from).collect() }))
}

/// Revoke an API key; it stops working at once.
#[utoipa::path(delete, path = "/v1/admin/api-keys/{id}", tag = "admin", security(("api_key" = [])),
    params(("id" = String, Path, description = "API key id")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    AdminKey(_admin): AdminKey,
    IdPath(id): IdPath<ApiKeyId>,
) -> ApiResult<StatusCode> {
    state.services.api_keys.revoke(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}
