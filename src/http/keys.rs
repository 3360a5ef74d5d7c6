//! The JWKS, and rotating the signing key.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use time::Duration;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiResult, Problem};
use super::extract::{AdminKey, Query};
use crate::config::SigningAlgorithm;

/// Public keys that verify certificates, signed answers and tokens.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "keys", responses((status = 200, content_type = "application/json")))]
pub async fn jwks(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    let set = state.keys.jwks().await?;
    // Short enough that a rotation reaches verifiers quickly.
    Ok(([(header::CACHE_CONTROL, "public, max-age=60")], axum::Json(set)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rotated {
    /// The key id that signs from now on.
    pub kid: String,
}

/// How long a retired key stays published: the longest offline lease, and at
/// least a day, so nothing it signed stops verifying early.
pub fn retention(state: &AppState) -> Duration {
    state.policies.longest_offline_lease().unwrap_or(Duration::ZERO).max(Duration::days(1))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RotateParams {
    /// `ES256` or `EdDSA`; default: the `signing_algorithm` setting.
    pub algorithm: Option<String>,
}

/// Make a new signing key current; the old one stays in the JWKS until what it signed has expired.
#[utoipa::path(post, path = "/v1/admin/signing-keys/rotate", tag = "keys", security(("api_key" = [])), params(RotateParams),
    responses((status = 200, body = Rotated), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn rotate(
    State(state): State<AppState>,
    AdminKey(_): AdminKey,
    Query(params): Query<RotateParams>,
) -> ApiResult<axum::Json<Rotated>> {
    let algorithm = params
        .algorithm
        .map(|a| a.parse::<SigningAlgorithm>())
        .transpose()
        .map_err(|e| super::error::ApiError::validation("algorithm", e))?;
    let kid = state.keys.rotate(retention(&state), algorithm).await?;
    Ok(axum::Json(Rotated { kid }))
}
