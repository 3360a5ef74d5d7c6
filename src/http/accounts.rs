//! Accounts and sign-in: sign up, sign in, who am I, sessions, password.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{Client, CurrentUser, IdPath, Json};
use super::metrics::OutcomeLabels;
use crate::auth::accounts::reveal;
use crate::auth::{AuthError, SignInOutcome, SignedIn};
use crate::domain::factors::Acr;
use crate::store::{Session, User};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpRequest {
    pub email: String,
    #[schema(value_type = String, min_length = 10)]
    pub password: SecretString,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub email: String,
    #[schema(value_type = String)]
    pub password: SecretString,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[schema(value_type = String)]
    pub current_password: SecretString,
    #[schema(value_type = String, min_length = 10)]
    pub new_password: SecretString,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub email_verified: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        Self {
            email_verified: user.email_verified_at.is_some(),
            id: user.id,
            email: user.email,
            name: user.name,
            created_at: user.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserEnvelope {
    pub user: UserView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionCreated {
    /// Always `authenticated`.
    pub state: &'static str,
    /// The bearer session token; shown only now.
    pub token: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub user: UserView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: String,
    /// True for the session making this request.
    pub current: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub auth_time: OffsetDateTime,
    /// RFC 8176 authentication methods of this session.
    pub amr: Vec<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub sessions: Vec<SessionView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: UserView,
    /// Enrolled second factors (`totp`, `webauthn`, `recovery_code`).
    pub factors: Vec<&'static str>,
    /// How many unused recovery codes are left.
    pub recovery_codes_remaining: usize,
    /// RFC 8176 authentication methods of this session.
    pub amr: Vec<String>,
    /// This session's level: `password`, `mfa` or `phishing_resistant`.
    pub acr: &'static str,
    pub session: SessionView,
}

fn session_view(state: &AppState, session: Session, current_id: &str) -> SessionView {
    SessionView {
        current: session.id == current_id,
        expires_at: state.accounts.session_expires_at(&session),
        id: session.id,
        created_at: session.created_at,
        last_seen_at: session.last_seen_at,
        auth_time: session.auth_time,
        amr: session.amr,
        ip: session.ip,
        user_agent: session.user_agent,
    }
}

pub(crate) fn limit_attempts(state: &AppState, client: &Client) -> ApiResult<()> {
    match client.0.ip {
        Some(ip) => state
            .ip_limiter
            .check(ip, state.clock.now())
            .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs }),
        None => Ok(()),
    }
}

fn count(
    family: &prometheus_client::metrics::family::Family<OutcomeLabels, prometheus_client::metrics::counter::Counter>,
    outcome: &'static str,
) {
    family.get_or_create(&OutcomeLabels { outcome }).inc();
}

/// Create an account.
#[utoipa::path(post, path = "/v1/users", tag = "accounts", request_body = SignUpRequest,
    responses((status = 201, body = UserEnvelope), (status = 409, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn sign_up(
    State(state): State<AppState>,
    client: Client,
    Json(body): Json<SignUpRequest>,
) -> ApiResult<impl IntoResponse> {
    if state.settings.signup == crate::config::SignupMode::ActivationCodeOnly {
        return Err(ApiError::Forbidden("Accounts are created by redeeming an activation code."));
    }
    limit_attempts(&state, &client)?;
    let result = state.accounts.sign_up(&body.email, body.password, body.name).await;
    count(&state.metrics.sign_ups, if result.is_ok() { "created" } else { "refused" });
    let user = result?;
    Ok((StatusCode::CREATED, axum::Json(UserEnvelope { user: user.into() })))
}

/// What a correct password leads to when a second factor is owed. Holds
/// the pending token: deliberately without `Debug`.
#[derive(Serialize, ToSchema)]
pub struct SecondFactorRequired {
    /// Always `mfa_required`.
    pub state: &'static str,
    /// Leads only to the `/v1/sessions/…` second-factor endpoints; not a session.
    pub pending_token: String,
    /// Which of `totp`, `webauthn`, `recovery_code` this user can answer with.
    pub methods: Vec<&'static str>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

pub(crate) fn session_created(state: &AppState, signed_in: SignedIn) -> (StatusCode, axum::Json<SessionCreated>) {
    let expires_at = state.accounts.session_expires_at(&signed_in.session);
    (
        StatusCode::CREATED,
        axum::Json(SessionCreated {
            state: "authenticated",
            token: reveal(&signed_in.token).to_owned(),
            expires_at,
            user: signed_in.user.into(),
        }),
    )
}

pub(crate) fn count_sign_in<T>(state: &AppState, result: &Result<T, AuthError>) {
    count(
        &state.metrics.sign_ins,
        match result {
            Ok(_) => "success",
            Err(AuthError::InvalidCredentials | AuthError::CredentialRefused(_)) => "invalid_credentials",
            Err(AuthError::AccountLocked { .. }) => "locked",
            Err(_) => "error",
        },
    );
}

/// Sign in with email and password. With a second factor enrolled, the
/// answer is `mfa_required` and a pending token instead of a session.
#[utoipa::path(post, path = "/v1/sessions", tag = "accounts", request_body = SignInRequest,
    responses((status = 201, body = SessionCreated), (status = 200, body = SecondFactorRequired),
        (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn sign_in(
    State(state): State<AppState>,
    client: Client,
    Json(body): Json<SignInRequest>,
) -> ApiResult<axum::response::Response> {
    limit_attempts(&state, &client)?;
    let result = state.accounts.sign_in(&body.email, body.password, &client.0).await;
    count_sign_in(&state, &result);
    Ok(match result? {
        SignInOutcome::Authenticated(signed_in) => session_created(&state, *signed_in).into_response(),
        SignInOutcome::SecondFactorRequired(pending) => axum::Json(SecondFactorRequired {
            state: "mfa_required",
            pending_token: reveal(&pending.token).to_owned(),
            methods: pending.methods,
            expires_at: pending.expires_at,
        })
        .into_response(),
    })
}

/// The signed-in user, their factors and this session.
#[utoipa::path(get, path = "/v1/me", tag = "accounts", security(("session" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(State(state): State<AppState>, CurrentUser(caller): CurrentUser) -> ApiResult<axum::Json<Me>> {
    let current = caller.session.id.clone();
    let enrolled = state.factors.enrolled(&caller.user.id).await?;
    let factors = enrolled.methods();
    Ok(axum::Json(Me {
        acr: Acr::of(&caller.session.amr).as_str(),
        amr: caller.session.amr.clone(),
        user: caller.user.into(),
        factors,
        recovery_codes_remaining: enrolled.recovery_codes,
        session: session_view(&state, caller.session, &current),
    }))
}

/// Sign out: this session's token stops working.
#[utoipa::path(delete, path = "/v1/sessions/current", tag = "accounts", security(("session" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn sign_out(State(state): State<AppState>, CurrentUser(caller): CurrentUser) -> ApiResult<StatusCode> {
    state.accounts.sign_out(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The user's live sessions (their signed-in devices).
#[utoipa::path(get, path = "/v1/me/sessions", tag = "accounts", security(("session" = [])),
    responses((status = 200, body = SessionList), (status = 401, body = Problem)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<axum::Json<SessionList>> {
    let sessions = state.accounts.sessions(&caller).await?;
    let current = caller.session.id.as_str();
    Ok(axum::Json(SessionList { sessions: sessions.into_iter().map(|s| session_view(&state, s, current)).collect() }))
}

/// Revoke one of the user's sessions.
#[utoipa::path(delete, path = "/v1/me/sessions/{id}", tag = "accounts", security(("session" = [])),
    params(("id" = String, Path, description = "session id")),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    state.accounts.revoke_session(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change the password; every other session is signed out.
#[utoipa::path(post, path = "/v1/me/password", tag = "accounts", security(("session" = [])), request_body = ChangePasswordRequest,
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    client: Client,
    CurrentUser(caller): CurrentUser,
    Json(body): Json<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    limit_attempts(&state, &client)?;
    state.accounts.change_password(&caller, body.current_password, body.new_password, &client.0).await?;
    Ok(StatusCode::NO_CONTENT)
}
