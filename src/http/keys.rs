//! The JWKS, and rotating the signing key.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiResult, Problem};
use super::extract::{AdminKey, Query};
use crate::config::SigningAlgorithm;
use crate::domain::reason::{Invalid, Rule};

/// Public keys that verify certificates, signed answers and tokens.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "keys", responses((status = 200, content_type = "application/json")))]
pub async fn jwks(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    let set = state.services.keys.jwks().await?;
    // Short enough that a rotation reaches verifiers quickly.
    Ok(([(header::CACHE_CONTROL, "public, max-age=60")], axum::Json(set)))
}

/// The outcome of a signing-key rotation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Rotated {
    /// The key id that signs from now on.
    pub kid: String,
}

/// How to rotate the signing key.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
        .map_err(|_| Invalid::new("algorithm", Rule::OneOf(&["ES256", "EdDSA"])))?;
    let kid = state.services.keys.rotate(algorithm).await?;
    Ok(axum::Json(Rotated { kid }))
}
