//! The OAuth endpoints apps call directly: the token endpoint and
//! userinfo, and the discovery documents that name them (the browser side,
//! `/oauth/authorize`, is a page). Errors here take the RFC 6749 shape,
//! `{"error", "error_description"}`, since OAuth client libraries parse
//! that, not problem+json.

use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::ApiResult;
use super::extract::{Attempt, Client};
use crate::domain::oauth::SCOPES;
use crate::oauth::{
    ClientCredentials, DEVICE_CODE_GRANT, DPOP_ALGORITHMS, DpopRefusal, ErrorCode, OAuthError, PresentedToken, Problem,
    TokenParams,
};

/// The token endpoint's form (RFC 6749 §4.1.3, §6), as documented.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TokenForm {
    /// `authorization_code` or `refresh_token`.
    grant_type: String,
    /// The code from the redirect.
    code: Option<String>,
    /// The redirect URI of the authorization request, exactly.
    redirect_uri: Option<String>,
    /// The PKCE verifier the challenge was made from.
    code_verifier: Option<String>,
    /// The current refresh token.
    refresh_token: Option<String>,
    /// The client id, unless sent with HTTP Basic.
    client_id: Option<String>,
    /// A confidential client's secret, unless sent with HTTP Basic.
    client_secret: Option<String>,
    /// On refresh, a narrower scope.
    scope: Option<String>,
    /// For the device grant: the device code from `/oauth/device_authorization`.
    device_code: Option<String>,
}

/// Fresh tokens (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3).
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// An RFC 9068 JWT (`typ` `at+jwt`).
    access_token: String,
    /// `DPoP` when the request carried a DPoP proof (the tokens are bound to
    /// its key), else `Bearer`.
    token_type: &'static str,
    /// Seconds until the access token expires.
    expires_in: i64,
    /// The next refresh token; the one presented is spent.
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    /// With scope `openid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    /// What was granted, space-separated.
    scope: String,
    /// RFC 9396: the seat activated with the sign-in, with its `license_id`,
    /// `activation_id`, a fresh offline `certificate` and, for a floating
    /// seat, `lease_expires_at`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    authorization_details: Option<serde_json::Value>,
}

/// An OAuth error (RFC 6749 §5.2, RFC 6750 §3).
#[derive(Serialize, ToSchema)]
pub struct OAuthErrorBody {
    /// The error code clients branch on.
    error: &'static str,
    /// For the developer: what was wrong.
    error_description: String,
}

/// The standard claims a token's scope allows (OpenID Connect Core §5.3).
#[derive(Serialize, ToSchema)]
pub struct UserInfoView {
    /// The user id.
    sub: String,
    /// With scope `email`.
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    /// With scope `email`.
    #[serde(skip_serializing_if = "Option::is_none")]
    email_verified: Option<bool>,
    /// With scope `profile`.
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

/// For the developer reading `error_description`.
fn describe(problem: Problem) -> String {
    match problem {
        Problem::Missing(name) => format!("`{name}` is required"),
        Problem::Malformed(name) => format!("`{name}` is malformed or repeated"),
        Problem::ResponseType => "response_type must be `code`".into(),
        Problem::Pkce => "PKCE is required: code_challenge with code_challenge_method=S256".into(),
        Problem::Scope => format!("scope may hold only: {}", SCOPES.join(" ")),
        Problem::AuthorizationDetails => {
            "authorization_details must be a JSON array with at most one object of type license_activation, \
             with a fingerprint (and optionally a name and platform)"
                .into()
        }
        Problem::Client => "client authentication failed".into(),
        Problem::GrantNotAllowed => "this client may not use this grant".into(),
        Problem::GrantType => format!("grant_type must be authorization_code, refresh_token or {DEVICE_CODE_GRANT}"),
        Problem::Code => "the code is unknown, expired, already used or another client's".into(),
        Problem::CodeReplayed => "the code was already used; every token issued from it is revoked".into(),
        Problem::RedirectUri => "redirect_uri differs from the authorization request's".into(),
        Problem::Verifier => "code_verifier does not match the code_challenge".into(),
        Problem::RefreshToken => "the refresh token is unknown, expired, revoked or another client's".into(),
        Problem::RefreshReplayed => "the refresh token was already used; the sign-in it belonged to is revoked".into(),
        Problem::Declined => "the user declined".into(),
        Problem::DeviceCode => "the device code is unknown, another client's, or was already used".into(),
        Problem::DevicePending => "the user has not approved the request yet; poll again after the interval".into(),
        Problem::DeviceTooFast => "polling too fast: the interval is five seconds longer from now on".into(),
        Problem::DeviceExpired => "the device code expired; start the sign-in again".into(),
        Problem::UserCode => "the user code is not a pending request's".into(),
        Problem::Dpop(refusal) => format!("DPoP proof refused: {}", describe_dpop(refusal)),
    }
}

fn describe_dpop(refusal: DpopRefusal) -> &'static str {
    match refusal {
        DpopRefusal::Malformed => {
            "send one `DPoP` header holding a JWT of typ `dpop+jwt` with jti, htm, htu and iat (RFC 9449 §4.2)"
        }
        DpopRefusal::Key => "alg must be ES256, EdDSA or RS256 (2048 bits or more) with the public key as `jwk`",
        DpopRefusal::Signature => "the signature does not verify with the header's `jwk`",
        DpopRefusal::Target => "htm and htu must name this request's method and URL",
        DpopRefusal::Time => "iat is more than five minutes from our clock",
        DpopRefusal::AccessToken => "ath must be the base64url SHA-256 of the access token",
        DpopRefusal::Replayed => "this proof was used before; make a new one for every request",
        DpopRefusal::WrongKey => "the tokens are bound to another DPoP key; sign the proof with that key",
    }
}

/// The `DPoP` header's proof, if one was sent; two, or one that is not
/// text, are refused.
fn dpop_proof(headers: &HeaderMap) -> Result<Option<&str>, OAuthError> {
    let mut proofs = headers.get_all("dpop").iter();
    let malformed = || OAuthError::Refused(Problem::Dpop(DpopRefusal::Malformed));
    let proof = proofs.next().map(|value| value.to_str().map_err(|_| malformed())).transpose()?;
    if proofs.next().is_some() {
        return Err(malformed());
    }
    Ok(proof)
}

/// An OAuth error answer, never cached.
fn error_response(status: StatusCode, error: ErrorCode, description: String) -> Response {
    let mut response =
        (status, no_store(), axum::Json(OAuthErrorBody { error: error.as_str(), error_description: description }))
            .into_response();
    match error {
        ErrorCode::InvalidClient => {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"latchkey\""));
        }
        ErrorCode::TemporarilyUnavailable => {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        _ => {}
    }
    response
}

fn no_store() -> [(header::HeaderName, &'static str); 2] {
    [(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")]
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let code = self.code();
        let (status, description) = match (&self, code) {
            (Self::Refused(problem), ErrorCode::InvalidClient) => (StatusCode::UNAUTHORIZED, describe(*problem)),
            (Self::Refused(problem), _) => (StatusCode::BAD_REQUEST, describe(*problem)),
            (Self::Locked { retry_after_secs }, _) => {
                return rate_limited(*retry_after_secs);
            }
            (_, ErrorCode::TemporarilyUnavailable) => {
                tracing::warn!(error = %self, "the token endpoint could not reach the database");
                (StatusCode::SERVICE_UNAVAILABLE, "the service is briefly unavailable; retry".into())
            }
            (Self::License(error), ErrorCode::InvalidGrant) => (
                StatusCode::BAD_REQUEST,
                format!(
                    "the seat for this machine cannot be had or kept ({}); sign the user in again",
                    error.code().as_str()
                ),
            ),
            (Self::Factor(_) | Self::Eula(_), _) => {
                (StatusCode::BAD_REQUEST, "the user must meet the product's requirements first".into())
            }
            _ => {
                tracing::error!(error = %self, "the token endpoint failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "the server failed; retry later".into())
            }
        };
        error_response(status, code, description)
    }
}

/// The form an app posted; one that is not the form (not url-encoded, a
/// parameter repeated, bytes that are not text) is `invalid_request`.
fn app_form<T>(form: Result<axum::Form<T>, FormRejection>) -> Result<T, OAuthError> {
    form.map(|axum::Form(params)| params).map_err(|_| OAuthError::Refused(Problem::Malformed("body")))
}

/// The client's id and secret from HTTP Basic (RFC 6749 §2.3.1: each
/// form-urlencoded, then joined by a colon) or the body, not both.
fn credentials(headers: &HeaderMap, params: &TokenParams) -> Result<ClientCredentials, OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"));
    let Some((_, encoded)) = basic else {
        return Ok(ClientCredentials { id: params.client_id.clone(), secret: params.client_secret.clone() });
    };
    let malformed = || OAuthError::Refused(Problem::Client);
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let text = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = text.split_once(':').ok_or_else(malformed)?;
    let unescape = |part: &str| -> String {
        url::form_urlencoded::parse(format!("v={part}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let id = unescape(id);
    // Two ways at once is refused (RFC 6749 §2.3): which one would count?
    if params.client_secret.is_some() || params.client_id.as_deref().is_some_and(|body_id| body_id != id) {
        return Err(OAuthError::Refused(Problem::Malformed("client_id")));
    }
    // Some libraries send a public client's id by Basic with an empty secret.
    let secret = Some(unescape(secret)).filter(|secret| !secret.is_empty()).map(SecretString::from);
    Ok(ClientCredentials { id: Some(id), secret })
}

/// Exchanges an authorization code (with its PKCE verifier) or a refresh
/// token for fresh tokens. A refresh token is replaced at every use; one
/// presented again revokes the sign-in it belonged to.
#[utoipa::path(post, path = "/oauth/token", operation_id = "oauth_token", tag = "oauth",
    request_body(content((TokenForm = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, body = TokenResponse, headers(("Cache-Control" = String), ("Pragma" = String))),
        (status = 400, body = OAuthErrorBody, description = "`invalid_request`, `invalid_grant`, `unauthorized_client`, `unsupported_grant_type` or `invalid_scope`; for the device grant also `authorization_pending`, `slow_down`, `expired_token` or `access_denied`; `invalid_dpop_proof` for a `DPoP` proof that is malformed, replayed, for another request, or not made with the key the tokens are bound to"),
        (status = 401, body = OAuthErrorBody, description = "`invalid_client`", headers(("WWW-Authenticate" = String))),
        (status = 429, body = OAuthErrorBody, description = "`temporarily_unavailable`: too many requests from this client", headers(("Retry-After" = i64))),
    ))]
pub async fn token(
    State(state): State<AppState>,
    _attempt: Attempt,
    Client(from): Client,
    headers: HeaderMap,
    form: Result<axum::Form<TokenParams>, FormRejection>,
) -> Result<Response, OAuthError> {
    let params = app_form(form)?;
    let credentials = credentials(&headers, &params)?;
    let issued = state.services.oauth.token(&credentials, &params, dpop_proof(&headers)?, &from).await?;
    let body = TokenResponse {
        access_token: issued.access_token,
        token_type: issued.token_type,
        expires_in: issued.expires_in,
        refresh_token: issued.refresh_token.map(|token| token.expose_secret().to_owned()),
        id_token: issued.id_token,
        scope: issued.scope,
        authorization_details: issued.authorization_details,
    };
    Ok((no_store(), axum::Json(body)).into_response())
}

/// The device authorization request's form (RFC 8628 §3.1), as documented.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DeviceAuthorizationForm {
    /// The client id, unless sent with HTTP Basic.
    client_id: Option<String>,
    /// A confidential client's secret, unless sent with HTTP Basic.
    client_secret: Option<String>,
    /// Space-separated scopes.
    scope: Option<String>,
    /// RFC 9396: `[{"type":"license_activation","fingerprint":…,"name":…,"platform":…}]`, a seat for this machine.
    authorization_details: Option<String>,
}

/// A device's codes (RFC 8628 §3.2).
#[derive(Serialize, ToSchema)]
pub struct DeviceAuthorizationResponse {
    /// What the device polls the token endpoint with.
    device_code: String,
    /// What the person types, `XXXX-XXXX`.
    user_code: String,
    /// Where the person types it.
    verification_uri: String,
    /// The same with the code filled in (for a QR code).
    verification_uri_complete: String,
    /// Seconds until both codes expire.
    expires_in: i64,
    /// Seconds to wait between polls.
    interval: i64,
}

/// A device without a browser (a CLI, a TV) asks to sign its user in on
/// another screen: it shows the user code and the address, then polls the
/// token endpoint with the device code.
#[utoipa::path(post, path = "/oauth/device_authorization", operation_id = "oauth_device_authorization", tag = "oauth",
    request_body(content((DeviceAuthorizationForm = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, body = DeviceAuthorizationResponse, headers(("Cache-Control" = String), ("Pragma" = String))),
        (status = 400, body = OAuthErrorBody, description = "`invalid_request`, `unauthorized_client` or `invalid_scope`"),
        (status = 401, body = OAuthErrorBody, description = "`invalid_client`", headers(("WWW-Authenticate" = String))),
        (status = 429, body = OAuthErrorBody, description = "`temporarily_unavailable`: too many requests from this client", headers(("Retry-After" = i64))),
    ))]
pub async fn device_authorization(
    State(state): State<AppState>,
    _attempt: Attempt,
    Client(from): Client,
    headers: HeaderMap,
    form: Result<axum::Form<TokenParams>, FormRejection>,
) -> Result<Response, OAuthError> {
    let params = app_form(form)?;
    let credentials = credentials(&headers, &params)?;
    let details = params.authorization_details.as_deref();
    let issued = state.services.oauth.authorize_device(&credentials, params.scope.as_deref(), details, &from).await?;
    let body = DeviceAuthorizationResponse {
        device_code: issued.device_code.expose_secret().to_owned(),
        user_code: issued.user_code,
        verification_uri: issued.verification_uri,
        verification_uri_complete: issued.verification_uri_complete,
        expires_in: issued.expires_in,
        interval: issued.interval,
    };
    Ok((no_store(), axum::Json(body)).into_response())
}

/// RFC 7009 for apps: the form.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RevocationForm {
    /// A refresh token (ends the whole sign-in) or an access token.
    token: String,
    /// `refresh_token` or `access_token`; the token's own form decides.
    token_type_hint: Option<String>,
    /// The client id, unless sent with HTTP Basic.
    client_id: Option<String>,
    /// A confidential client's secret, unless sent with HTTP Basic.
    client_secret: Option<String>,
}

/// The app's own tokens, as RFC 7009 reads the form.
#[derive(serde::Deserialize)]
pub struct RevocationParams {
    token: Option<SecretString>,
    #[serde(flatten)]
    client: TokenParams,
}

/// An app signs its user out: a refresh token ends the whole sign-in, an
/// access token is revoked. Always 200 for a token that is not the app's
/// or not ours (RFC 7009 §2.2).
#[utoipa::path(post, path = "/oauth/revoke", operation_id = "oauth_revoke", tag = "oauth",
    request_body(content((RevocationForm = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, headers(("Cache-Control" = String), ("Pragma" = String))),
        (status = 400, body = OAuthErrorBody, description = "`invalid_request`: no token"),
        (status = 401, body = OAuthErrorBody, description = "`invalid_client`", headers(("WWW-Authenticate" = String))),
        (status = 429, body = OAuthErrorBody, description = "`temporarily_unavailable`: too many requests from this client", headers(("Retry-After" = i64))),
    ))]
pub async fn revoke(
    State(state): State<AppState>,
    _attempt: Attempt,
    headers: HeaderMap,
    form: Result<axum::Form<RevocationParams>, FormRejection>,
) -> Result<Response, OAuthError> {
    let params = app_form(form)?;
    let credentials = credentials(&headers, &params.client)?;
    let token = params.token.ok_or(OAuthError::Refused(Problem::Missing("token")))?;
    state.services.oauth.revoke(&credentials, token.expose_secret()).await?;
    Ok((StatusCode::OK, no_store()).into_response())
}

/// The rate limit's answer on OAuth paths: clients there parse the RFC 6749 shape.
pub fn rate_limited(retry_after_secs: u64) -> Response {
    let mut response = error_response(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::TemporarilyUnavailable,
        format!("too many requests from this client; retry after {retry_after_secs} seconds"),
    );
    if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// 401 at userinfo, with both challenges: an app learns from it that
/// `DPoP` is accepted, and with which algorithms (RFC 9449 §7.1).
fn invalid_token(error: ErrorCode, description: &str) -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        axum::Json(OAuthErrorBody { error: error.as_str(), error_description: description.to_owned() }),
    )
        .into_response();
    let challenges = [
        format!("Bearer realm=\"latchkey\", error=\"{}\"", ErrorCode::InvalidToken.as_str()),
        format!("DPoP realm=\"latchkey\", error=\"{}\", algs=\"{}\"", error.as_str(), DPOP_ALGORITHMS.join(" ")),
    ];
    for challenge in challenges {
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response.headers_mut().append(header::WWW_AUTHENTICATE, value);
        }
    }
    response
}

/// The access token and how it came: `Bearer` or `DPoP` (RFC 9449 §7.1).
fn presented_token(headers: &HeaderMap) -> Option<(&str, bool)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    if token.is_empty() {
        return None;
    }
    if scheme.eq_ignore_ascii_case("bearer") {
        Some((token, false))
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Some((token, true))
    } else {
        None
    }
}

const NOT_LIVE: &str = "the access token is not one of ours, has expired, was revoked, or lacks scope openid";

/// OpenID Connect userinfo: who the access token's user is, as far as its
/// scope allows. Read fresh, so a changed address shows at once. A token
/// bound to a DPoP key comes as `Authorization: DPoP` with a proof naming it.
#[utoipa::path(get, path = "/oauth/userinfo", operation_id = "oauth_userinfo", tag = "oauth", security(("oauth_access_token" = [])),
    responses(
        (status = 200, body = UserInfoView),
        (status = 401, body = OAuthErrorBody, description = "`invalid_token`, or `invalid_dpop_proof` for a DPoP-bound token", headers(("WWW-Authenticate" = String))),
    ))]
pub async fn userinfo(State(state): State<AppState>, method: Method, headers: HeaderMap) -> ApiResult<Response> {
    let Some((token, as_dpop)) = presented_token(&headers) else {
        return Ok(invalid_token(ErrorCode::InvalidToken, NOT_LIVE));
    };
    let dpop = match dpop_proof(&headers) {
        Ok(dpop) => dpop,
        Err(_) => return Ok(invalid_token(ErrorCode::InvalidDpopProof, describe_dpop(DpopRefusal::Malformed))),
    };
    let presented = PresentedToken { token, as_dpop, dpop, method: method.as_str() };
    match state.services.oauth.userinfo(&presented).await {
        Ok(Some(info)) => {
            let view =
                UserInfoView { sub: info.sub, email: info.email, email_verified: info.email_verified, name: info.name };
            Ok((no_store(), axum::Json(view)).into_response())
        }
        Ok(None) => Ok(invalid_token(ErrorCode::InvalidToken, NOT_LIVE)),
        Err(OAuthError::Refused(Problem::Dpop(refusal))) => {
            Ok(invalid_token(ErrorCode::InvalidDpopProof, describe_dpop(refusal)))
        }
        Err(error) => Err(oauth_failure(error)),
    }
}

/// Userinfo, by POST (OpenID Connect Core §5.3.1 allows both).
#[utoipa::path(post, path = "/oauth/userinfo", operation_id = "oauth_userinfo_post", tag = "oauth", security(("oauth_access_token" = [])),
    responses(
        (status = 200, body = UserInfoView),
        (status = 401, body = OAuthErrorBody, description = "`invalid_token`, or `invalid_dpop_proof` for a DPoP-bound token", headers(("WWW-Authenticate" = String))),
    ))]
pub async fn userinfo_post(state: State<AppState>, method: Method, headers: HeaderMap) -> ApiResult<Response> {
    userinfo(state, method, headers).await
}

/// Userinfo's own failures are ours (the database), answered as every API failure is.
fn oauth_failure(error: OAuthError) -> super::error::ApiError {
    match error {
        OAuthError::Store(error) => crate::tokens::TokenError::Store(error).into(),
        OAuthError::Keys(error) => error.into(),
        other => super::error::ApiError::internal(other.to_string()),
    }
}
