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
use super::accounts::{SessionCreated, session_created};
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{Attempt, Client, CurrentUser, IdPath, Json};
use crate::domain::codes::RecoveryCode;
use crate::domain::event::UserEvent;
use crate::domain::factors::{Acr, CodeKind, RegisteredPasskey};
use crate::domain::ids::PasskeyId;
use crate::domain::reason::{Invalid, Rule};
use crate::factors::{PasskeyOptions, Proof, RegistrationOptions};

/// A pending sign-in's token and the code that finishes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PendingCode {
    /// The `pending_token` from the `mfa_required` answer to the password.
    #[schema(value_type = String)]
    pub pending_token: SecretString,
    /// Six digits from the authenticator app, or a recovery code (`XXXXX-XXXXX`), as the endpoint asks.
    #[schema(value_type = String)]
    pub code: SecretString,
}

/// A pending sign-in's token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PendingOnly {
    /// The `pending_token` from the `mfa_required` answer to the password.
    #[schema(value_type = String)]
    pub pending_token: SecretString,
}

/// A pending sign-in's token and the passkey's answer to its challenge.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PendingPasskey {
    /// The `pending_token` from the `mfa_required` answer to the password.
    #[schema(value_type = String)]
    pub pending_token: SecretString,
    /// The `challenge_id` from `/v1/sessions/webauthn/options`.
    pub challenge_id: String,
    /// The `PublicKeyCredential` from `navigator.credentials.get`, as JSON.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// A passkey's answer to a passwordless sign-in challenge.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyAnswer {
    /// The `challenge_id` from `/v1/passkey-sign-in/options`.
    pub challenge_id: String,
    /// The `PublicKeyCredential` from `navigator.credentials.get`, as JSON.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// `{challenge_id, publicKey, mediation?}`: `publicKey` is what
/// `navigator.credentials.create/get` takes.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebauthnOptions {
    /// Send it back with the credential; the challenge works once, within five minutes.
    pub challenge_id: String,
    /// `publicKey`, and `mediation` when set, for the browser's WebAuthn call.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
}

/// Holds the secret: deliberately without `Debug`.
#[derive(Serialize, ToSchema)]
pub struct TotpEnrollmentView {
    /// Base32, for typing into an app by hand.
    pub secret: String,
    /// The `otpauth://totp/…` URI that authenticator apps scan.
    pub otpauth_uri: String,
    /// The same URI as a QR code, an SVG document.
    pub qr_svg: String,
}

/// A code from the authenticator app.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// The six digits the app shows now.
    #[schema(value_type = String)]
    pub code: SecretString,
}

/// Holds the codes: deliberately without `Debug`.
#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Shown only now; each works once.
    pub recovery_codes: Vec<String>,
}

/// A new passkey: the browser's answer to the creation challenge.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterPasskey {
    /// The `challenge_id` from `/v1/me/passkeys/options`.
    pub challenge_id: String,
    /// A name to recognise the passkey by; at most 64 characters, `Passkey` when absent.
    pub name: Option<String>,
    /// The credential from `navigator.credentials.create`, as JSON.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// A passkey registered on the account.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeyView {
    /// The passkey's id; use it to rename or remove it.
    pub id: String,
    /// The name the user gave it.
    pub name: String,
    /// Synced passkeys (iCloud Keychain, Google Password Manager…) are backup eligible.
    pub backup_eligible: bool,
    /// Whether it is currently backed up.
    pub backup_state: bool,
    /// When it was registered.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last signed in or stepped up; null if never.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
}

impl From<RegisteredPasskey> for PasskeyView {
    fn from(p: RegisteredPasskey) -> Self {
        Self {
            id: p.id.to_string(),
            name: p.name,
            backup_eligible: p.backup_eligible,
            backup_state: p.backup_state,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        }
    }
}

/// The user's passkeys.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeyList {
    /// Every passkey on the account, oldest first.
    pub passkeys: Vec<PasskeyView>,
}

/// A new name for a passkey.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenamePasskey {
    /// The new name; at most 64 characters, `Passkey` when blank.
    pub name: String,
}

/// One of: `{method:"totp", code}`, `{method:"recovery_code", code}`,
/// `{method:"webauthn", challenge_id, credential}`, or — only for accounts
/// without a second factor — `{method:"password", password}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReauthenticateRequest {
    /// `totp`, `recovery_code`, `webauthn` or `password`.
    pub method: String,
    /// For `totp` and `recovery_code`: the code.
    #[schema(value_type = Option<String>)]
    pub code: Option<SecretString>,
    /// For `password`: the account password.
    #[schema(value_type = Option<String>)]
    pub password: Option<SecretString>,
    /// For `webauthn`: the `challenge_id` from `/v1/me/reauthenticate/options`.
    pub challenge_id: Option<String>,
    /// For `webauthn`: the `PublicKeyCredential` from `navigator.credentials.get`, as JSON.
    #[schema(value_type = Option<Object>)]
    pub credential: Option<serde_json::Value>,
}

/// The session after a step-up.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reauthenticated {
    /// The session's RFC 8176 authentication methods, now including this proof.
    pub amr: Vec<String>,
    /// The session's level now: `password`, `mfa` or `phishing_resistant`.
    pub acr: &'static str,
}

/// One event on an account's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// The event's id.
    pub id: String,
    /// What happened, e.g. `signed_in`, `sign_in_failed`, `passkey_added`, `device_activated`.
    pub kind: String,
    /// Facts that depend on the kind, e.g. the `reason` a sign-in failed or the `code` an activation was refused with.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// The address the request came from.
    pub ip: Option<String>,
    /// The browser or app that sent it.
    pub user_agent: Option<String>,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl From<UserEvent> for EventView {
    fn from(e: UserEvent) -> Self {
        Self { id: e.id.to_string(), kind: e.kind, detail: e.detail, ip: e.ip, user_agent: e.user_agent, at: e.at }
    }
}

/// The account's recent security events.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    /// The newest events, at most 100, newest first.
    pub events: Vec<EventView>,
}

fn credential<T: DeserializeOwned>(value: serde_json::Value) -> ApiResult<T> {
    serde_json::from_value(value).map_err(|_| Invalid::new("credential", Rule::NotACredential).into())
}

fn options_view(challenge_id: String, options: &impl Serialize) -> ApiResult<axum::Json<WebauthnOptions>> {
    let options = serde_json::to_value(options).map_err(ApiError::internal)?;
    Ok(axum::Json(WebauthnOptions { challenge_id, options }))
}

fn request_options(options: PasskeyOptions) -> ApiResult<axum::Json<WebauthnOptions>> {
    options_view(options.challenge_id, &options.options)
}

fn codes_view(codes: &[RecoveryCode]) -> RecoveryCodes {
    RecoveryCodes { recovery_codes: codes.iter().map(|c| c.as_str().to_owned()).collect() }
}

/// Both code endpoints: one path, so they cannot drift apart.
async fn sign_in_with_code(
    state: &AppState,
    client: &Client,
    body: &PendingCode,
    kind: CodeKind,
) -> ApiResult<(StatusCode, axum::Json<SessionCreated>)> {
    let signed_in = state
        .services
        .factors
        .sign_in_with_code(body.pending_token.expose_secret(), kind, body.code.expose_secret(), &client.0)
        .await?;
    Ok(session_created(state, signed_in))
}

/// Finish a sign-in with a TOTP code.
#[utoipa::path(post, path = "/v1/sessions/totp", tag = "factors", request_body = PendingCode,
    responses((status = 201, body = SessionCreated), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn sign_in_totp(
    State(state): State<AppState>,
    _: Attempt,
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
    _: Attempt,
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
    _: Attempt,
    Json(body): Json<PendingOnly>,
) -> ApiResult<axum::Json<WebauthnOptions>> {
    request_options(state.services.factors.sign_in_webauthn_options(body.pending_token.expose_secret()).await?)
}

/// Finish a sign-in with a passkey.
#[utoipa::path(post, path = "/v1/sessions/webauthn", tag = "factors", request_body = PendingPasskey,
    responses((status = 201, body = SessionCreated), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn sign_in_webauthn(
    State(state): State<AppState>,
    _: Attempt,
    client: Client,
    Json(body): Json<PendingPasskey>,
) -> ApiResult<impl IntoResponse> {
    let credential = credential(body.credential)?;
    let signed_in = state
        .services
        .factors
        .sign_in_with_passkey(body.pending_token.expose_secret(), &body.challenge_id, &credential, &client.0)
        .await?;
    Ok(session_created(&state, signed_in))
}

/// Options for signing in with a passkey alone (discoverable credential).
#[utoipa::path(post, path = "/v1/passkey-sign-in/options", tag = "factors",
    responses((status = 200, body = WebauthnOptions), (status = 429, body = Problem)))]
pub async fn passwordless_options(State(state): State<AppState>, _: Attempt) -> ApiResult<axum::Json<WebauthnOptions>> {
    request_options(state.services.factors.passwordless_options().await?)
}

/// Sign in with a passkey alone.
#[utoipa::path(post, path = "/v1/passkey-sign-in", tag = "factors", request_body = PasskeyAnswer,
    responses((status = 201, body = SessionCreated), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn passwordless(
    State(state): State<AppState>,
    _: Attempt,
    client: Client,
    Json(body): Json<PasskeyAnswer>,
) -> ApiResult<impl IntoResponse> {
    let credential = credential(body.credential)?;
    let signed_in = state.services.factors.sign_in_passwordless(&body.challenge_id, &credential, &client.0).await?;
    Ok(session_created(&state, signed_in))
}

/// Start adding an authenticator app; inactive until confirmed.
#[utoipa::path(post, path = "/v1/me/totp", tag = "factors", security(("session" = [])),
    responses((status = 201, body = TotpEnrollmentView), (status = 401, body = Problem), (status = 409, body = Problem)))]
pub async fn enroll_totp(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<impl IntoResponse> {
    let enrollment = state.services.factors.enroll_totp(&caller).await?;
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
    _: Attempt,
    client: Client,
    CurrentUser(caller): CurrentUser,
    Json(body): Json<CodeRequest>,
) -> ApiResult<axum::Json<RecoveryCodes>> {
    let codes = state.services.factors.confirm_totp(&caller, body.code.expose_secret(), &client.0).await?;
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
    state.services.factors.remove_totp(&caller, &client.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// New recovery codes; the old ones stop working (needs a recent step-up).
#[utoipa::path(post, path = "/v1/me/recovery-codes", tag = "factors", security(("session" = [])),
    responses((status = 201, body = RecoveryCodes), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn regenerate_recovery_codes(
    State(state): State<AppState>,
    client: Client,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<impl IntoResponse> {
    let codes = state.services.factors.regenerate_recovery_codes(&caller, &client.0).await?;
    Ok((StatusCode::CREATED, axum::Json(codes_view(&codes))))
}

/// WebAuthn creation options for a new passkey.
#[utoipa::path(post, path = "/v1/me/passkeys/options", tag = "factors", security(("session" = [])),
    responses((status = 200, body = WebauthnOptions), (status = 401, body = Problem)))]
pub async fn passkey_options(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<axum::Json<WebauthnOptions>> {
    let RegistrationOptions { challenge_id, options } =
        state.services.factors.passkey_registration_options(&caller).await?;
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
        .services
        .factors
        .register_passkey(&caller, &body.challenge_id, body.name.as_deref(), &credential, &client.0)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(PasskeyView::from(passkey))))
}

/// The user's passkeys.
#[utoipa::path(get, path = "/v1/me/passkeys", tag = "factors", security(("session" = [])),
    responses((status = 200, body = PasskeyList), (status = 401, body = Problem)))]
pub async fn list_passkeys(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<axum::Json<PasskeyList>> {
    let passkeys = state.services.factors.passkeys(&caller).await?;
    Ok(axum::Json(PasskeyList { passkeys: passkeys.into_iter().map(PasskeyView::from).collect() }))
}

/// Rename a passkey.
#[utoipa::path(patch, path = "/v1/me/passkeys/{id}", tag = "factors", security(("session" = [])), request_body = RenamePasskey,
    params(("id" = String, Path, description = "passkey id")),
    responses((status = 200, body = PasskeyView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn rename_passkey(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    IdPath(id): IdPath<PasskeyId>,
    Json(body): Json<RenamePasskey>,
) -> ApiResult<axum::Json<PasskeyView>> {
    Ok(axum::Json(state.services.factors.rename_passkey(&caller, &id, &body.name).await?.into()))
}

/// Remove a passkey (needs a recent step-up).
#[utoipa::path(delete, path = "/v1/me/passkeys/{id}", tag = "factors", security(("session" = [])),
    params(("id" = String, Path, description = "passkey id")),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn remove_passkey(
    State(state): State<AppState>,
    client: Client,
    CurrentUser(caller): CurrentUser,
    IdPath(id): IdPath<PasskeyId>,
) -> ApiResult<StatusCode> {
    state.services.factors.remove_passkey(&caller, &id, &client.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// WebAuthn request options for stepping up with a passkey.
#[utoipa::path(post, path = "/v1/me/reauthenticate/options", tag = "factors", security(("session" = [])),
    responses((status = 200, body = WebauthnOptions), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn reauthenticate_options(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<axum::Json<WebauthnOptions>> {
    request_options(state.services.factors.reauthentication_options(&caller).await?)
}

/// Step up: prove it is you again; refreshes the session's `auth_time`.
#[utoipa::path(post, path = "/v1/me/reauthenticate", tag = "factors", security(("session" = [])), request_body = ReauthenticateRequest,
    responses((status = 200, body = Reauthenticated), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn reauthenticate(
    State(state): State<AppState>,
    _: Attempt,
    client: Client,
    CurrentUser(caller): CurrentUser,
    Json(body): Json<ReauthenticateRequest>,
) -> ApiResult<axum::Json<Reauthenticated>> {
    let missing = |field: &'static str| ApiError::from(Invalid::new(field, Rule::Required));
    let proof = match body.method.as_str() {
        "totp" => Proof::Code(CodeKind::Totp, body.code.clone().ok_or_else(|| missing("code"))?),
        "recovery_code" => Proof::Code(CodeKind::RecoveryCode, body.code.clone().ok_or_else(|| missing("code"))?),
        "password" => Proof::Password(body.password.clone().ok_or_else(|| missing("password"))?),
        "webauthn" => Proof::Passkey {
            challenge_id: body.challenge_id.clone().ok_or_else(|| missing("challenge_id"))?,
            credential: Box::new(credential(body.credential.clone().ok_or_else(|| missing("credential"))?)?),
        },
        _ => {
            let methods = Rule::OneOf(&["totp", "recovery_code", "webauthn", "password"]);
            return Err(Invalid::new("method", methods).into());
        }
    };
    let amr = state.services.factors.reauthenticate(&caller, proof, &client.0).await?;
    Ok(axum::Json(Reauthenticated { acr: Acr::of(&amr).as_str(), amr }))
}

/// The account's recent security events, newest first.
#[utoipa::path(get, path = "/v1/me/events", tag = "factors", security(("session" = [])),
    responses((status = 200, body = EventList), (status = 401, body = Problem)))]
pub async fn events(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<axum::Json<EventList>> {
    let events = state.services.factors.events(&caller).await?;
    Ok(axum::Json(EventList { events: events.into_iter().map(EventView::from).collect() }))
}
