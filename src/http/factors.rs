//! Second factors: finishing a sign-in with one, passwordless passkey
//! sign-in, enrolling and removing factors, and step-up.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::AppState;
use super::accounts::{SessionCreated, count_sign_in, limit_attempts, session_created};
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{Client, CurrentUser, IdPath, Json};
use crate::auth::factors::{CodeKind, PasskeyOptions, Proof, RegistrationOptions};
use crate::domain::codes::RecoveryCode;
use crate::domain::factors::Acr;
use crate::store::{StoredPasskey, UserEvent};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PendingCode {
    #[schema(value_type = String)]
    pub pending_token: SecretString,
    #[schema(value_type = String)]
    pub code: SecretString,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PendingOnly {
    #[schema(value_type = String)]
    pub pending_token: SecretString,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PendingPasskey {
    #[schema(value_type = String)]
    pub pending_token: SecretString,
    pub challenge_id: String,
    /// The `PublicKeyCredential` from `navigator.credentials.get`, as JSON.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyAnswer {
    pub challenge_id: String,
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// `{challenge_id, publicKey, mediation?}`: `publicKey` is what
/// `navigator.credentials.create/get` takes.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebauthnOptions {
    pub challenge_id: String,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
}

/// Holds the secret: deliberately without `Debug`.
#[derive(Serialize, ToSchema)]
pub struct TotpEnrollmentView {
    /// Base32, for typing into an app by hand.
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    #[schema(value_type = String)]
    pub code: SecretString,
}

/// Holds the codes: deliberately without `Debug`.
#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Shown only now; each works once.
    pub recovery_codes: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterPasskey {
    pub challenge_id: String,
    pub name: Option<String>,
    /// The credential from `navigator.credentials.create`, as JSON.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeyView {
    pub id: String,
    pub name: String,
    /// Synced passkeys (iCloud Keychain, Google Password Manager…) are backup eligible.
    pub backup_eligible: bool,
    pub backup_state: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
}

impl From<StoredPasskey> for PasskeyView {
    fn from(p: StoredPasskey) -> Self {
        Self {
            id: p.id,
            name: p.name,
            backup_eligible: p.backup_eligible,
            backup_state: p.backup_state,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeyList {
    pub passkeys: Vec<PasskeyView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenamePasskey {
    pub name: String,
}

/// One of: `{method:"totp", code}`, `{method:"recovery_code", code}`,
/// `{method:"webauthn", challenge_id, credential}`, or — only for accounts
/// without a second factor — `{method:"password", password}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReauthenticateRequest {
    pub method: String,
    #[schema(value_type = Option<String>)]
    pub code: Option<SecretString>,
    #[schema(value_type = Option<String>)]
    pub password: Option<SecretString>,
    pub challenge_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub credential: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Reauthenticated {
    pub amr: Vec<String>,
    pub acr: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: String,
    pub kind: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl From<UserEvent> for EventView {
    fn from(e: UserEvent) -> Self {
        Self { id: e.id, kind: e.kind, detail: e.detail, ip: e.ip, user_agent: e.user_agent, at: e.at }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    pub events: Vec<EventView>,
}

fn credential<T: DeserializeOwned>(value: serde_json::Value) -> ApiResult<T> {
    serde_json::from_value(value)
        .map_err(|e| ApiError::validation("credential", format!("is not a WebAuthn credential: {e}")))
}

fn options_view(challenge_id: String, options: &impl Serialize) -> ApiResult<axum::Json<WebauthnOptions>> {
    let options = serde_json::to_value(options).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(axum::Json(WebauthnOptions { challenge_id, options }))
}

fn request_options(options: PasskeyOptions) -> ApiResult<axum::Json<WebauthnOptions>> {
    options_view(options.challenge_id, &options.options)
}

fn codes_view(codes: &[RecoveryCode]) -> RecoveryCodes {
    RecoveryCodes { recovery_codes: codes.iter().map(|c| c.as_str().to_owned()).collect() }
}

/// Both code endpoints: one path, so the limits and metrics cannot drift apart.
async fn sign_in_with_code(
    state: &AppState,
    client: &Client,
    body: &PendingCode,
    kind: CodeKind,
) -> ApiResult<(StatusCode, axum::Json<SessionCreated>)> {
    limit_attempts(state, client)?;
    let result = state
        .factors
        .sign_in_with_code(body.pending_token.expose_secret(), kind, body.code.expose_secret(), &client.0)
        .await;
    count_sign_in(state, &result);
    Ok(session_created(state, result?))
}

/// Finish a sign-in with a TOTP code.
#[utoipa::path(post, path = "/v1/sessions/totp", tag = "factors", request_body = PendingCode,
    responses((status = 201, body = SessionCreated), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn sign_in_totp(
    State(state): State<AppState>,
    client: Client,
    Json(body): Json<PendingCode>,
) -> ApiResult<impl IntoResponse> {
    sign_in_with_code(&state, &client, &body, CodeKind::Totp).await
}

/// Finish a sign-in with a recovery code; the code is spent.
#[utoipa::path(post, path = "/v1/sessions/recovery-code", tag = "factors", request_body = PendingCode,
    responses((status = 201, body = SessionCreated), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn sign_in_recovery_code(
    State(state): State<AppState>,
    client: Client,
    Json(body): Json<PendingCode>,
) -> ApiResult<impl IntoResponse> {
    sign_in_with_code(&state, &client, &body, CodeKind::RecoveryCode).await
}

/// WebAuthn request options for the pending user's passkeys.
#[utoipa::path(post, path = "/v1/sessions/webauthn/options", tag = "factors", request_body = PendingOnly,
    responses((status = 200, body = WebauthnOptions), (status = 401, body = Problem)))]
pub async fn sign_in_webauthn_options(
    State(state): State<AppState>,
    client: Client,
    Json(body): Json<PendingOnly>,
) -> ApiResult<axum::Json<WebauthnOptions>> {
    limit_attempts(&state, &client)?;
    request_options(state.factors.sign_in_webauthn_options(body.pending_token.expose_secret()).await?)
}

/// Finish a sign-in with a passkey.
#[utoipa::path(post, path = "/v1/sessions/webauthn", tag = "factors", request_body = PendingPasskey,
    responses((status = 201, body = SessionCreated), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn sign_in_webauthn(
    State(state): State<AppState>,
    client: Client,
    Json(body): Json<PendingPasskey>,
) -> ApiResult<impl IntoResponse> {
    limit_attempts(&state, &client)?;
    let credential = credential(body.credential)?;
    let result = state
        .factors
        .sign_in_with_passkey(body.pending_token.expose_secret(), &body.challenge_id, &credential, &client.0)
        .await;
    count_sign_in(&state, &result);
    Ok(session_created(&state, result?))
}

/// Options for signing in with a passkey alone (discoverable credential).
#[utoipa::path(post, path = "/v1/passkey-sign-in/options", tag = "factors",
    responses((status = 200, body = WebauthnOptions), (status = 429, body = Problem)))]
pub async fn passwordless_options(
    State(state): State<AppState>,
    client: Client,
) -> ApiResult<axum::Json<WebauthnOptions>> {
    limit_attempts(&state, &client)?;
    request_options(state.factors.passwordless_options().await?)
}

/// Sign in with a passkey alone.
#[utoipa::path(post, path = "/v1/passkey-sign-in", tag = "factors", request_body = PasskeyAnswer,
    responses((status = 201, body = SessionCreated), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn passwordless(
    State(state): State<AppState>,
    client: Client,
    Json(body): Json<PasskeyAnswer>,
) -> ApiResult<impl IntoResponse> {
    limit_attempts(&state, &client)?;
    let credential = credential(body.credential)?;
    let result = state.factors.sign_in_passwordless(&body.challenge_id, &credential, &client.0).await;
    count_sign_in(&state, &result);
    Ok(session_created(&state, result?))
}

/// Start adding an authenticator app; inactive until confirmed.
#[utoipa::path(post, path = "/v1/me/totp", tag = "factors", security(("session" = [])),
    responses((status = 201, body = TotpEnrollmentView), (status = 401, body = Problem), (status = 409, body = Problem)))]
pub async fn enroll_totp(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<impl IntoResponse> {
    let enrollment = state.factors.enroll_totp(&caller).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(TotpEnrollmentView {
            secret: enrollment.secret.clone(),
            otpauth_uri: enrollment.otpauth_uri.clone(),
            qr_svg: enrollment.qr_svg.clone(),
        }),
    ))
}

/// Confirm the authenticator app with a code; returns ten recovery codes, once.
#[utoipa::path(post, path = "/v1/me/totp/confirm", tag = "factors", security(("session" = [])), request_body = CodeRequest,
    responses((status = 200, body = RecoveryCodes), (status = 401, body = Problem), (status = 409, body = Problem)))]
pub async fn confirm_totp(
    State(state): State<AppState>,
    client: Client,
    CurrentUser(caller): CurrentUser,
    Json(body): Json<CodeRequest>,
) -> ApiResult<axum::Json<RecoveryCodes>> {
    limit_attempts(&state, &client)?;
    let codes = state.factors.confirm_totp(&caller, body.code.expose_secret(), &client.0).await?;
    state.metrics.factors_enrolled.get_or_create(&super::metrics::FactorLabels { factor: "totp" }).inc();
    Ok(axum::Json(codes_view(&codes)))
}

/// Remove the authenticator app (needs a recent step-up).
#[utoipa::path(delete, path = "/v1/me/totp", tag = "factors", security(("session" = [])),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn remove_totp(
    State(state): State<AppState>,
    client: Client,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<StatusCode> {
    state.factors.remove_totp(&caller, &client.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// New recovery codes; the old ones stop working (needs a recent step-up).
#[utoipa::path(post, path = "/v1/me/recovery-codes", tag = "factors", security(("session" = [])),
    responses((status = 201, body = RecoveryCodes), (status = 401, body = Problem), (status = 409, body = Problem)))]
pub async fn regenerate_recovery_codes(
    State(state): State<AppState>,
    client: Client,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<impl IntoResponse> {
    let codes = state.factors.regenerate_recovery_codes(&caller, &client.0).await?;
    Ok((StatusCode::CREATED, axum::Json(codes_view(&codes))))
}

/// WebAuthn creation options for a new passkey.
#[utoipa::path(post, path = "/v1/me/passkeys/options", tag = "factors", security(("session" = [])),
    responses((status = 200, body = WebauthnOptions), (status = 401, body = Problem)))]
pub async fn passkey_options(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<axum::Json<WebauthnOptions>> {
    let RegistrationOptions { challenge_id, options } = state.factors.passkey_registration_options(&caller).await?;
    options_view(challenge_id, &options)
}

/// Add a passkey.
#[utoipa::path(post, path = "/v1/me/passkeys", tag = "factors", security(("session" = [])), request_body = RegisterPasskey,
    responses((status = 201, body = PasskeyView), (status = 401, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn register_passkey(
    State(state): State<AppState>,
    client: Client,
    CurrentUser(caller): CurrentUser,
    Json(body): Json<RegisterPasskey>,
) -> ApiResult<impl IntoResponse> {
    let credential = credential(body.credential)?;
    let passkey = state
        .factors
        .register_passkey(&caller, &body.challenge_id, body.name.as_deref(), &credential, &client.0)
        .await?;
    state.metrics.factors_enrolled.get_or_create(&super::metrics::FactorLabels { factor: "passkey" }).inc();
    Ok((StatusCode::CREATED, axum::Json(PasskeyView::from(passkey))))
}

/// The user's passkeys.
#[utoipa::path(get, path = "/v1/me/passkeys", tag = "factors", security(("session" = [])),
    responses((status = 200, body = PasskeyList), (status = 401, body = Problem)))]
pub async fn list_passkeys(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<axum::Json<PasskeyList>> {
    let passkeys = state.factors.passkeys(&caller).await?;
    Ok(axum::Json(PasskeyList { passkeys: passkeys.into_iter().map(PasskeyView::from).collect() }))
}

/// Rename a passkey.
#[utoipa::path(patch, path = "/v1/me/passkeys/{id}", tag = "factors", security(("session" = [])), request_body = RenamePasskey,
    params(("id" = String, Path, description = "passkey id")),
    responses((status = 200, body = PasskeyView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn rename_passkey(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    IdPath(id): IdPath,
    Json(body): Json<RenamePasskey>,
) -> ApiResult<axum::Json<PasskeyView>> {
    Ok(axum::Json(state.factors.rename_passkey(&caller, &id, &body.name).await?.into()))
}

/// Remove a passkey (needs a recent step-up).
#[utoipa::path(delete, path = "/v1/me/passkeys/{id}", tag = "factors", security(("session" = [])),
    params(("id" = String, Path, description = "passkey id")),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn remove_passkey(
    State(state): State<AppState>,
    client: Client,
    CurrentUser(caller): CurrentUser,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    state.factors.remove_passkey(&caller, &id, &client.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// WebAuthn request options for stepping up with a passkey.
#[utoipa::path(post, path = "/v1/me/reauthenticate/options", tag = "factors", security(("session" = [])),
    responses((status = 200, body = WebauthnOptions), (status = 401, body = Problem), (status = 409, body = Problem)))]
pub async fn reauthenticate_options(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<axum::Json<WebauthnOptions>> {
    request_options(state.factors.reauthentication_options(&caller).await?)
}

/// Step up: prove it is you again; refreshes the session's `auth_time`.
#[utoipa::path(post, path = "/v1/me/reauthenticate", tag = "factors", security(("session" = [])), request_body = ReauthenticateRequest,
    responses((status = 200, body = Reauthenticated), (status = 401, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn reauthenticate(
    State(state): State<AppState>,
    client: Client,
    CurrentUser(caller): CurrentUser,
    Json(body): Json<ReauthenticateRequest>,
) -> ApiResult<axum::Json<Reauthenticated>> {
    limit_attempts(&state, &client)?;
    let missing = |field: &str| ApiError::validation(field, format!("is required for method {}", body.method));
    let proof = match body.method.as_str() {
        "totp" => Proof::Code(CodeKind::Totp, body.code.clone().ok_or_else(|| missing("code"))?),
        "recovery_code" => Proof::Code(CodeKind::RecoveryCode, body.code.clone().ok_or_else(|| missing("code"))?),
        "password" => Proof::Password(body.password.clone().ok_or_else(|| missing("password"))?),
        "webauthn" => Proof::Passkey {
            challenge_id: body.challenge_id.clone().ok_or_else(|| missing("challenge_id"))?,
            credential: Box::new(credential(body.credential.clone().ok_or_else(|| missing("credential"))?)?),
        },
        _ => return Err(ApiError::validation("method", "must be totp, recovery_code, webauthn or password")),
    };
    let amr = state.factors.reauthenticate(&caller, proof, &client.0).await?;
    Ok(axum::Json(Reauthenticated { acr: Acr::of(&amr).as_str(), amr }))
}

/// The account's recent security events, newest first.
#[utoipa::path(get, path = "/v1/me/events", tag = "factors", security(("session" = [])),
    responses((status = 200, body = EventList), (status = 401, body = Problem)))]
pub async fn events(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<axum::Json<EventList>> {
    let events = state.factors.events(&caller).await?;
    Ok(axum::Json(EventList { events: events.into_iter().map(EventView::from).collect() }))
}
