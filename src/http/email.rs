//! Mailed links: verifying an address, resetting a password, and removing a
//! device from the "new device" notice.

use axum::extract::State;
use axum::http::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::accounts::{CheckYourMail, UserView};
use super::error::{ApiResult, Problem};
use super::extract::{Attempt, Client, CurrentUser, Json};
use crate::accounts::reveal;

/// Send (again) the link that verifies the signed-in user's address; a few per hour.
#[utoipa::path(post, path = "/v1/me/email-verification", tag = "accounts", security(("session" = [])),
    responses((status = 202), (status = 401, body = Problem), (status = 409, body = Problem), (status = 429, body = Problem)))]
pub async fn request_verification(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<StatusCode> {
    state.services.email.request_verification(&caller).await?;
    Ok(StatusCode::ACCEPTED)
}

/// The token from a mailed verification link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkToken {
    /// The `token` from the mailed link.
    #[schema(value_type = String)]
    pub token: SecretString,
}

/// Follow a verification link: the address it was sent to is verified, and
/// after an address change it becomes the account's address.
#[utoipa::path(post, path = "/v1/email-verifications", operation_id = "verify_email", tag = "accounts", request_body = LinkToken,
    responses((status = 200, body = UserView), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn verify(
    State(state): State<AppState>,
    _: Attempt,
    client: Client,
    Json(body): Json<LinkToken>,
) -> ApiResult<axum::Json<UserView>> {
    let user = state.services.email.verify(body.token.expose_secret(), &client.0).await?;
    Ok(axum::Json(user.into()))
}

/// The address to send a password reset link to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The account's address; the answer is the same whether or not an account has it.
    pub email: String,
}

/// Ask for a password reset link. 202 with an empty body, at once: whether
/// the account exists, and whether mail went out, is not said. 503 with
/// Retry-After when too many requests are in progress, whatever the address.
#[utoipa::path(post, path = "/v1/password-resets", tag = "accounts", request_body = ResetRequest,
    responses((status = 202), (status = 429, body = Problem), (status = 503, body = Problem)))]
pub async fn request_reset(
    State(state): State<AppState>,
    _: Attempt,
    Json(body): Json<ResetRequest>,
) -> ApiResult<StatusCode> {
    state.services.email.request_reset(&body.email)?;
    Ok(StatusCode::ACCEPTED)
}

/// The token from a reset link, and the password to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetCompletion {
    /// The `token` from the mailed reset link; it works once, within 30 minutes of the mail.
    #[schema(value_type = String)]
    pub token: SecretString,
    /// The new password: at least 10 characters, at most 1024 bytes.
    #[schema(value_type = String)]
    pub new_password: SecretString,
}

/// After a reset: the device that followed the link is a known one now.
#[derive(Serialize, ToSchema)]
pub struct ResetCompleted {
    /// Send it with this device's sign-ins (see `SignInRequest`), so
    /// strangers guessing at the address cannot lock it out.
    pub device_token: String,
}

/// Set a new password with a reset link: every session ends, and a second
/// factor, if set up, is still asked for at the next sign-in.
#[utoipa::path(post, path = "/v1/password-resets/complete", tag = "accounts", request_body = ResetCompletion,
    responses((status = 200, body = ResetCompleted), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn complete_reset(
    State(state): State<AppState>,
    _: Attempt,
    client: Client,
    Json(body): Json<ResetCompletion>,
) -> ApiResult<axum::Json<ResetCompleted>> {
    let device = state.services.email.complete_reset(body.token.expose_secret(), body.new_password, &client.0).await?;
    Ok(axum::Json(ResetCompleted { device_token: reveal(&device).to_owned() }))
}

/// The query of the link in a "new device" mail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceRemoval {
    /// The link's `activation`: the id of the device's activation.
    pub activation: String,
    /// The link's `expires`: when the link stops working, in Unix seconds.
    pub expires: i64,
    /// The link's `sig`: its signature, hex.
    pub sig: String,
}

/// One click from the "new device" mail: free that device's seat, no sign-in needed.
#[utoipa::path(post, path = "/v1/device-removals", tag = "licenses", request_body = DeviceRemoval,
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn remove_device(
    State(state): State<AppState>,
    _: Attempt,
    client: Client,
    Json(body): Json<DeviceRemoval>,
) -> ApiResult<StatusCode> {
    state.services.licensing.remove_device_by_link(&body.activation, body.expires, &body.sig, &client.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The address to move the account to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailChange {
    /// The new sign-in address; unverified until the link mailed to it is followed.
    pub email: String,
}

/// Move the account to another address (needs a sign-in or step-up in the
/// last five minutes). A link goes to the new address; the address changes
/// when it is followed, and the old address is told. The answer is the same
/// whether or not the new address already has an account (its owner is told
/// instead), so nobody learns who has one.
#[utoipa::path(post, path = "/v1/me/email", tag = "accounts", security(("session" = [])), request_body = EmailChange,
    responses((status = 202, body = CheckYourMail), (status = 401, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn change_email(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Json(body): Json<EmailChange>,
) -> ApiResult<(StatusCode, axum::Json<CheckYourMail>)> {
    let email = state.services.accounts.change_email(&caller, &body.email).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(CheckYourMail { state: "check_your_email", email: email.as_str().to_owned() }),
    ))
}
