//! Accounts and sign-in: sign up, sign in, who am I, sessions, password.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiResult, Problem};
use super::extract::{Attempt, Client, CurrentUser, IdPath, Json};
use crate::accounts::{Accounts, SignInOutcome, SignedIn, reveal};
use crate::domain::account::{Session, User};
use crate::domain::factors::Acr;
use crate::domain::ids::SessionId;

/// What a client sends to create an account with email and password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpRequest {
    /// The sign-in address; no other account may have it.
    pub email: String,
    /// The new password: at least 10 characters, at most 1024 bytes.
    #[schema(value_type = String, min_length = 10)]
    pub password: SecretString,
    /// A display name to greet the user by; at most 200 characters.
    pub name: Option<String>,
    /// An activation code to redeem with the new account, in one step (no
    /// account is made if it cannot be redeemed). Required when the gateway
    /// runs with `LATCHKEY_SIGNUP=activation_code_only`.
    pub activation_code: Option<String>,
}

/// Email and password, to sign in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    /// The account's address.
    pub email: String,
    /// The account's password.
    #[schema(value_type = String)]
    pub password: SecretString,
    /// The `device_token` this device was given at an earlier sign-in, if
    /// any: its failures are then counted apart from strangers' guesses at
    /// the address, so they cannot lock this device out.
    #[schema(value_type = Option<String>)]
    pub device_token: Option<SecretString>,
}

/// The current password, to prove it is the user, and the new one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The password in use now; wrong ones slow this session down, then stop it for a while.
    #[schema(value_type = String)]
    pub current_password: SecretString,
    /// The password from now on: at least 10 characters, at most 1024 bytes.
    #[schema(value_type = String, min_length = 10)]
    pub new_password: SecretString,
}

/// An end user's account.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// The user's id; tokens name the user by it (`sub`).
    pub id: String,
    /// The sign-in address.
    pub email: String,
    /// The display name the user gave, if any.
    pub name: Option<String>,
    /// Whether the user has followed a verification link sent to this address.
    pub email_verified: bool,
    /// When the account was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        Self {
            email_verified: user.email_verified(),
            id: user.id.to_string(),
            email: user.email,
            name: user.name,
            created_at: user.created_at,
        }
    }
}

/// The answer to a sign-up or an address change: identical whether or not
/// the address already has an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckYourMail {
    /// Always `check_your_email`.
    pub state: &'static str,
    /// The address as it will be kept (normalised), where the mail went.
    pub email: String,
}

/// A session that began: its bearer token and the signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionCreated {
    /// Always `authenticated`.
    pub state: &'static str,
    /// The bearer session token; shown only now.
    pub token: String,
    /// When the session ends unless used again; use extends it, up to a limit fixed at sign-in.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The signed-in user.
    pub user: UserView,
    /// Present when this device signed in without a known device token:
    /// keep it (it is not a session) and send it with later sign-ins, so
    /// strangers guessing at the address cannot lock this device out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_token: Option<String>,
}

/// One signed-in session: a device or browser the user signed in on.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// The session's id (not its token); use it to revoke the session.
    pub id: String,
    /// True for the session making this request.
    pub current: bool,
    /// When the session began.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the session was last used (updated at most once a minute).
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    /// When the session ends unless used again; use extends it, up to a limit fixed at sign-in.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// When the user last proved who they are in this session: sign-in or step-up.
    #[serde(with = "time::serde::rfc3339")]
    pub auth_time: OffsetDateTime,
    /// RFC 8176 authentication methods of this session.
    pub amr: Vec<String>,
    /// The address the session began from.
    pub ip: Option<String>,
    /// The browser or app that began the session, from its `User-Agent`.
    pub user_agent: Option<String>,
}

/// The user's live sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    /// The live sessions, newest first.
    pub sessions: Vec<SessionView>,
}

/// The signed-in user, their second factors and the current session.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The signed-in user's account.
    pub user: UserView,
    /// Enrolled second factors (`totp`, `webauthn`, `recovery_code`).
    pub factors: Vec<&'static str>,
    /// How many unused recovery codes are left.
    pub recovery_codes_remaining: usize,
    /// RFC 8176 authentication methods of this session.
    pub amr: Vec<String>,
    /// This session's level: `password`, `mfa` or `phishing_resistant`.
    pub acr: &'static str,
    /// The session making this request.
    pub session: SessionView,
}

fn session_view(accounts: &Accounts, session: Session, current_id: &SessionId) -> SessionView {
    SessionView {
        current: &session.id == current_id,
        expires_at: accounts.session_expires_at(&session),
        id: session.id.to_string(),
        created_at: session.created_at,
        last_seen_at: session.last_seen_at,
        auth_time: session.auth_time,
        amr: session.amr,
        ip: session.ip,
        user_agent: session.user_agent,
    }
}

/// Create an account. The answer is the same whether or not the address
/// already has one (so nobody learns who has an account): a new account's
/// address gets a verification link, and an existing account's owner a note
/// that someone tried. Then sign in with `POST /v1/sessions`.
#[utoipa::path(post, path = "/v1/users", tag = "accounts", request_body = SignUpRequest,
    responses((status = 202, body = CheckYourMail), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn sign_up(
    State(state): State<AppState>,
    _: Attempt,
    Json(body): Json<SignUpRequest>,
) -> ApiResult<impl IntoResponse> {
    let email =
        state.services.accounts.sign_up(&body.email, body.password, body.name, body.activation_code.as_deref()).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(CheckYourMail { state: "check_your_email", email: email.as_str().to_owned() }),
    ))
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
    /// When the pending token lapses, five minutes after the password was checked.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// The answer to every sign-in that ends in a session.
pub(crate) fn session_created(state: &AppState, signed_in: SignedIn) -> (StatusCode, axum::Json<SessionCreated>) {
    let expires_at = state.services.accounts.session_expires_at(&signed_in.session);
    (
        StatusCode::CREATED,
        axum::Json(SessionCreated {
            state: "authenticated",
            token: reveal(&signed_in.token).to_owned(),
            expires_at,
            user: signed_in.user.into(),
            device_token: signed_in.device_token.as_ref().map(|token| reveal(token).to_owned()),
        }),
    )
}

/// Sign in with email and password. With a second factor enrolled, the
/// answer is `mfa_required` and a pending token instead of a session.
#[utoipa::path(post, path = "/v1/sessions", tag = "accounts", request_body = SignInRequest,
    responses((status = 201, body = SessionCreated), (status = 200, body = SecondFactorRequired),
        (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn sign_in(
    State(state): State<AppState>,
    _: Attempt,
    client: Client,
    Json(body): Json<SignInRequest>,
) -> ApiResult<axum::response::Response> {
    Ok(
        match state
            .services
            .accounts
            .sign_in(&body.email, body.password, body.device_token.as_ref().map(ExposeSecret::expose_secret), &client.0)
            .await?
        {
            SignInOutcome::Authenticated(signed_in) => session_created(&state, *signed_in).into_response(),
            SignInOutcome::SecondFactorRequired(pending) => axum::Json(SecondFactorRequired {
                state: "mfa_required",
                pending_token: reveal(&pending.token).to_owned(),
                methods: pending.methods,
                expires_at: pending.expires_at,
            })
            .into_response(),
        },
    )
}

/// The signed-in user, their factors and this session.
#[utoipa::path(get, path = "/v1/me", tag = "accounts", security(("session" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(State(state): State<AppState>, CurrentUser(caller): CurrentUser) -> ApiResult<axum::Json<Me>> {
    let current = caller.session.id.clone();
    let enrolled = state.services.factors.enrolled(&caller.user.id).await?;
    let factors = enrolled.methods();
    Ok(axum::Json(Me {
        acr: Acr::of(&caller.session.amr).as_str(),
        amr: caller.session.amr.clone(),
        user: caller.user.into(),
        factors,
        recovery_codes_remaining: enrolled.recovery_codes,
        session: session_view(&state.services.accounts, caller.session, &current),
    }))
}

/// Sign out: this session's token stops working.
#[utoipa::path(delete, path = "/v1/sessions/current", tag = "accounts", security(("session" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn sign_out(State(state): State<AppState>, CurrentUser(caller): CurrentUser) -> ApiResult<StatusCode> {
    state.services.accounts.sign_out(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The user's live sessions (their signed-in devices).
#[utoipa::path(get, path = "/v1/me/sessions", tag = "accounts", security(("session" = [])),
    responses((status = 200, body = SessionList), (status = 401, body = Problem)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<axum::Json<SessionList>> {
    let accounts = &state.services.accounts;
    let sessions = accounts.sessions(&caller).await?;
    let current = &caller.session.id;
    Ok(axum::Json(SessionList { sessions: sessions.into_iter().map(|s| session_view(accounts, s, current)).collect() }))
}

/// Revoke one of the user's sessions.
#[utoipa::path(delete, path = "/v1/me/sessions/{id}", tag = "accounts", security(("session" = [])),
    params(("id" = String, Path, description = "session id")),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    IdPath(id): IdPath<SessionId>,
) -> ApiResult<StatusCode> {
    state.services.accounts.revoke_session(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change the password; every other session is signed out.
#[utoipa::path(post, path = "/v1/me/password", tag = "accounts", security(("session" = [])), request_body = ChangePasswordRequest,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    _: Attempt,
    client: Client,
    CurrentUser(caller): CurrentUser,
    Json(body): Json<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    state.services.accounts.change_password(&caller, body.current_password, body.new_password, &client.0).await?;
    Ok(StatusCode::NO_CONTENT)
}
