//! Tokens for help desks, chat widgets and back ends; introspection
//! (RFC 7662) and revocation (RFC 7009) of our own; the discovery document.

use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{CurrentUser, Json, SupportKey, bearer};
use crate::domain::reason::{Invalid, Rule};
use crate::secrets::TokenKind;
use crate::tokens::{Introspection, Minted, Revoker};

/// Which integration to mint a token for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MintRequest {
    /// The name of a configured integration.
    pub audience: String,
}

/// A JWT, or for `hmac` integrations an identity hash.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum MintedView {
    /// A signed JWT for the integration.
    Token {
        /// The JWT itself.
        token: String,
        /// `Bearer` for our own JWTs, `JWT` for a vendor's.
        token_type: &'static str,
        /// When the token stops being accepted.
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
        /// The integration it is for.
        audience: String,
    },
    /// An identity hash, for integrations that check users by an HMAC with a shared secret.
    IdentityHash {
        /// What the hash covers (the email or the user id), to pass along with it.
        identifier: String,
        /// Lower-case hex HMAC-SHA256.
        hash: String,
        /// The integration it is for.
        audience: String,
    },
}

/// Mint a token for an audience; its requirements (sign-in strength, licenses, EULA) are checked first.
#[utoipa::path(post, path = "/v1/tokens", tag = "tokens", security(("session" = [])), request_body = MintRequest,
    responses((status = 200, body = MintedView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn mint(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Json(body): Json<MintRequest>,
) -> ApiResult<axum::Json<MintedView>> {
    let view = match state.services.tokens.mint(&caller, &body.audience).await? {
        Minted::Token { token, token_type, expires_at, audience } => {
            MintedView::Token { token, token_type, expires_at, audience }
        }
        Minted::IdentityHash { identifier, hash, audience } => MintedView::IdentityHash { identifier, hash, audience },
    };
    Ok(axum::Json(view))
}

/// `token` (and an optional `token_type_hint`), as a form (the RFCs' way) or
/// JSON. Other parameters (`client_id`…) are ignored, as RFC 7662 allows.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenParams {
    /// The access token to introspect or revoke.
    #[schema(value_type = String)]
    pub token: secrecy::SecretString,
    /// Accepted and ignored: only access tokens are ours to describe.
    pub token_type_hint: Option<String>,
}

/// A body in either `application/x-www-form-urlencoded` or JSON.
pub struct FormOrJson<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequest<S> for FormOrJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if is_form {
            let malformed = |text: String| ApiError::new(crate::domain::reason::Code::MalformedBody, text);
            let bytes = axum::body::Bytes::from_request(request, state).await.map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        crate::domain::reason::Code::PayloadTooLarge,
                        "The request body is larger than 64 KiB.",
                    )
                } else {
                    malformed(e.body_text())
                }
            })?;
            let text = std::str::from_utf8(&bytes).map_err(|e| malformed(e.to_string()))?;
            if super::input::percent_decodes_to_control(text) {
                return Err(Invalid::new("body", Rule::NoControlCharacters).into());
            }
            let value = serde_urlencoded_from(text).map_err(malformed)?;
            return Ok(Self(value));
        }
        let Json(value) = Json::<T>::from_request(request, state).await?;
        Ok(Self(value))
    }
}

/// A form body as `T`, by way of axum's own form decoding.
fn serde_urlencoded_from<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let query = axum::http::Uri::builder()
        .path_and_query(format!("/?{text}"))
        .build()
        .map_err(|e| format!("not a form: {e}"))?;
    axum::extract::Query::<T>::try_from_uri(&query).map(|q| q.0).map_err(|e| e.body_text())
}

/// RFC 7662: `active` and, for a live token, its claims.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntrospectionView {
    /// Whether the token is live: one of ours, unexpired and not revoked.
    pub active: bool,
    /// For a live token, its claims (`sub`, `aud`, `exp`, `amr`, `licenses`, `eula`…), at the top level.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub claims: Option<serde_json::Value>,
    /// For a live token: `DPoP` when it is bound to an app's key (its `cnf`
    /// holds the key's thumbprint, RFC 9449 §6.2), else `Bearer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    /// The user's email, RFC 7662's human-readable identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

/// Is this token live? `{active:false}` for revoked, expired, malformed or foreign tokens.
#[utoipa::path(post, path = "/v1/tokens/introspect", tag = "tokens", security(("api_key" = [])),
    request_body(content((TokenParams = "application/x-www-form-urlencoded"), (TokenParams = "application/json"))),
    responses((status = 200, body = IntrospectionView), (status = 401, body = Problem)))]
pub async fn introspect(
    State(state): State<AppState>,
    SupportKey(_): SupportKey,
    FormOrJson(params): FormOrJson<TokenParams>,
) -> ApiResult<impl IntoResponse> {
    let view = match state.services.tokens.introspect(secrecy::ExposeSecret::expose_secret(&params.token)).await? {
        Introspection::Inactive => IntrospectionView { active: false, claims: None, token_type: None, username: None },
        Introspection::Active(claims) => IntrospectionView {
            active: true,
            username: Some(claims.email.clone()),
            token_type: Some(if claims.cnf.is_some() { "DPoP" } else { "Bearer" }),
            claims: Some(serde_json::to_value(&*claims).map_err(ApiError::internal)?),
        },
    };
    // RFC 7662 §4: answers must not be cached.
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(view)))
}

/// Who may revoke: the user who holds the token, or a support or admin key.
pub enum TokenOwnerOrStaff {
    /// The user holding a session; only their own tokens are revoked.
    User(Box<CurrentUser>),
    /// A support or admin API key; any of our tokens is revoked.
    Staff,
}

impl axum::extract::FromRequestParts<AppState> for TokenOwnerOrStaff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let is_session = bearer(&parts.headers).is_some_and(|token| token.starts_with(TokenKind::Session.prefix()));
        if is_session {
            return CurrentUser::from_request_parts(parts, state).await.map(|user| Self::User(Box::new(user)));
        }
        SupportKey::from_request_parts(parts, state).await.map(|_| Self::Staff)
    }
}

/// RFC 7009: revoke one of our tokens. Always 200, whatever the token was.
#[utoipa::path(post, path = "/v1/tokens/revoke", operation_id = "revoke_token", tag = "tokens", security(("session" = []), ("api_key" = [])),
    request_body(content((TokenParams = "application/x-www-form-urlencoded"), (TokenParams = "application/json"))),
    responses((status = 200), (status = 401, body = Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: TokenOwnerOrStaff,
    FormOrJson(params): FormOrJson<TokenParams>,
) -> ApiResult<StatusCode> {
    let by = match &caller {
        TokenOwnerOrStaff::User(user) => Revoker::User(&user.0.user),
        TokenOwnerOrStaff::Staff => Revoker::Staff,
    };
    state.services.tokens.revoke(secrecy::ExposeSecret::expose_secret(&params.token), by).await?;
    Ok(StatusCode::OK)
}

/// Where apps and verifiers find our endpoints, keys and what we offer
/// (OpenID Connect Discovery 1.0; the same fields serve RFC 8414).
#[derive(Debug, Serialize, ToSchema)]
pub struct Discovery {
    /// This Latchkey's public URL: the `iss` of every token it signs.
    pub issuer: String,
    /// Where apps send the browser to sign in (a page).
    pub authorization_endpoint: String,
    /// Where apps exchange codes and refresh tokens.
    pub token_endpoint: String,
    /// Where a device without a browser asks for codes (RFC 8628).
    pub device_authorization_endpoint: String,
    /// OpenID Connect userinfo.
    pub userinfo_endpoint: String,
    /// The JWKS: public keys that verify our tokens, certificates and signed answers.
    pub jwks_uri: String,
    /// The RFC 7662 introspection endpoint.
    pub introspection_endpoint: String,
    /// The RFC 7009 revocation endpoint for apps (`/oauth/revoke`, with
    /// client authentication); users and staff revoke at `/v1/tokens/revoke`.
    pub revocation_endpoint: String,
    /// `code`: the authorization code flow only.
    pub response_types_supported: Vec<&'static str>,
    /// `query`: the code comes back in the redirect URI's query.
    pub response_modes_supported: Vec<&'static str>,
    /// What the token endpoint exchanges.
    pub grant_types_supported: Vec<&'static str>,
    /// `S256` only: PKCE is required, `plain` refused.
    pub code_challenge_methods_supported: Vec<&'static str>,
    /// `none` for public clients (PKCE alone), a secret for confidential ones.
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    /// The scopes apps may ask for.
    pub scopes_supported: Vec<&'static str>,
    /// Redirects carry `iss` (RFC 9207), so an app can tell which server answered.
    pub authorization_response_iss_parameter_supported: bool,
    /// `bearer`: a support or admin API key.
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    /// How apps authenticate at the revocation endpoint, as at the token endpoint.
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    /// What ID tokens may be signed with: RS256, and the server's own algorithm.
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// Algorithms of the server's own keys in the JWKS, which sign access tokens.
    pub access_token_signing_alg_values_supported: Vec<String>,
    /// `public`: `sub` is the same user id for every audience.
    pub subject_types_supported: Vec<&'static str>,
    /// The claims our ID and access tokens carry.
    pub claims_supported: Vec<&'static str>,
    /// RFC 9396: `license_activation`, a seat for the app's machine.
    pub authorization_details_types_supported: Vec<&'static str>,
    /// RFC 9449: what DPoP proofs may be signed with.
    pub dpop_signing_alg_values_supported: Vec<&'static str>,
}

async fn discovery_document(state: &AppState) -> ApiResult<Discovery> {
    let issuer = state.services.tokens.issuer().to_owned();
    let algorithms = state.services.keys.algorithms().await?;
    let mut id_token_algorithms = vec![crate::tokens::keys::RS256.to_owned()];
    id_token_algorithms.extend(algorithms.iter().cloned());
    Ok(Discovery {
        authorization_endpoint: format!("{issuer}/oauth/authorize"),
        token_endpoint: format!("{issuer}/oauth/token"),
        device_authorization_endpoint: format!("{issuer}/oauth/device_authorization"),
        userinfo_endpoint: format!("{issuer}/oauth/userinfo"),
        jwks_uri: format!("{issuer}/.well-known/jwks.json"),
        introspection_endpoint: format!("{issuer}/v1/tokens/introspect"),
        revocation_endpoint: format!("{issuer}/oauth/revoke"),
        response_types_supported: vec!["code"],
        response_modes_supported: vec!["query"],
        grant_types_supported: vec!["authorization_code", "refresh_token", crate::oauth::DEVICE_CODE_GRANT],
        code_challenge_methods_supported: vec!["S256"],
        token_endpoint_auth_methods_supported: vec!["none", "client_secret_basic", "client_secret_post"],
        scopes_supported: crate::domain::oauth::SCOPES.to_vec(),
        authorization_response_iss_parameter_supported: true,
        introspection_endpoint_auth_methods_supported: vec!["bearer"],
        revocation_endpoint_auth_methods_supported: vec!["none", "client_secret_basic", "client_secret_post"],
        id_token_signing_alg_values_supported: id_token_algorithms,
        access_token_signing_alg_values_supported: algorithms,
        subject_types_supported: vec!["public"],
        claims_supported: vec![
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "jti",
            "sid",
            "azp",
            "nonce",
            "client_id",
            "scope",
            "auth_time",
            "amr",
            "acr",
            "email",
            "email_verified",
            "name",
            "licenses",
            "eula",
            "cnf",
        ],
        authorization_details_types_supported: vec![crate::domain::oauth::LICENSE_ACTIVATION],
        dpop_signing_alg_values_supported: crate::oauth::DPOP_ALGORITHMS.to_vec(),
        issuer,
    })
}

/// The OpenID Connect discovery document.
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "tokens",
    responses((status = 200, body = Discovery)))]
pub async fn discovery(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    let document = discovery_document(&state).await?;
    Ok(([(header::CACHE_CONTROL, "public, max-age=60")], axum::Json(document)))
}

/// The same document as RFC 8414 authorization server metadata.
#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", operation_id = "oauth_metadata", tag = "tokens",
    responses((status = 200, body = Discovery)))]
pub async fn oauth_metadata(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    let document = discovery_document(&state).await?;
    Ok(([(header::CACHE_CONTROL, "public, max-age=60")], axum::Json(document)))
}
