//! Support verification: a PIN the user makes, and the check an agent runs.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::accounts::UserView;
use super::error::{ApiResult, Problem};
use super::extract::{Attempt, Client, CurrentUser, IdPath, Json, Query, SupportKey};
use super::factors::EventView;
use super::licenses::LicenseView;
use crate::domain::eula::Standing;
use crate::domain::ids::UserId;
use crate::domain::reason::{Invalid, Rule};

/// Holds the PIN: deliberately without `Debug`.
#[derive(Serialize, ToSchema)]
pub struct SupportPin {
    /// Six digits to read out to the support agent; works once.
    pub pin: String,
    /// When the PIN stops working, ten minutes after it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// `{email, pin}` read out by the caller, or `{token}` from their widget or app.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The caller's account address; send it with `pin`.
    pub email: Option<String>,
    /// The six digits the caller reads out; send them with `email`.
    #[schema(value_type = Option<String>)]
    pub pin: Option<SecretString>,
    /// One of our access tokens (`POST /v1/tokens` for a `jwt` audience).
    #[schema(value_type = Option<String>)]
    pub token: Option<SecretString>,
}

/// How much of the timeline to read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TimelineParams {
    /// How many events, newest first (1-500, default 100).
    pub limit: Option<u32>,
}

/// A user's account and what happened to it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Timeline {
    /// The user's account.
    pub user: UserView,
    /// Sign-ins and failures with their reasons, redemptions, activations and
    /// failed activations with their codes, EULA decisions, factor changes,
    /// support verifications; newest first.
    pub events: Vec<EventView>,
}

/// Where the user stands with one product's EULA.
#[derive(Debug, Serialize, ToSchema)]
pub struct EulaStatus {
    /// A product the user holds a license for, under a policy that requires EULA acceptance.
    pub product: String,
    /// `accepted`, `required` or `nothing_to_accept`.
    pub status: &'static str,
    /// The accepted version, or the one to accept.
    pub version: Option<String>,
}

/// The outcome of a support verification; the caller's details come only when verified.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verification {
    /// Whether the PIN or token proved who the caller is; the other fields are present only when true.
    pub verified: bool,
    /// The caller's account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserView>,
    /// Their second factors: `totp`, `webauthn`, `recovery_code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factors: Option<Vec<&'static str>>,
    /// The licenses they hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licenses: Option<Vec<LicenseView>>,
    /// Their EULA standing for each licensed product whose policy requires acceptance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eula: Option<Vec<EulaStatus>>,
    /// Their 20 newest events, newest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recent_events: Option<Vec<EventView>>,
}

/// Make a support PIN (six digits, ten minutes, single use); it replaces any earlier one.
#[utoipa::path(post, path = "/v1/me/support-pin", tag = "support", security(("session" = [])),
    responses((status = 201, body = SupportPin), (status = 401, body = Problem)))]
pub async fn create_pin(
    State(state): State<AppState>,
    client: Client,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<impl IntoResponse> {
    let issued = state.services.support.issue_pin(&caller, &client.0).await?;
    Ok((StatusCode::CREATED, axum::Json(SupportPin { pin: issued.pin, expires_at: issued.expires_at })))
}

/// Verify a caller by the PIN they read out, or by a token their widget
/// holds. A wrong answer says nothing about why; five wrong PINs for one
/// address in 15 minutes lock it.
#[utoipa::path(post, path = "/v1/support/verify", operation_id = "verify_caller", tag = "support", security(("api_key" = [])), request_body = VerifyRequest,
    responses((status = 200, body = Verification), (status = 401, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem)))]
pub async fn verify(
    State(state): State<AppState>,
    _: Attempt,
    client: Client,
    SupportKey(agent): SupportKey,
    Json(body): Json<VerifyRequest>,
) -> ApiResult<axum::Json<Verification>> {
    let support = &state.services.support;
    let facts = match (body.email, body.pin, body.token) {
        (Some(email), Some(pin), None) => support.verify_pin(&agent, &email, pin.expose_secret(), &client.0).await?,
        (None, None, Some(token)) => support.verify_token(&agent, token.expose_secret(), &client.0).await?,
        _ => return Err(Invalid::new("body", Rule::OneOf(&["email and pin", "token"])).into()),
    };
    let Some(facts) = facts else {
        return Ok(axum::Json(Verification {
            verified: false,
            user: None,
            factors: None,
            licenses: None,
            eula: None,
            recent_events: None,
        }));
    };
    let eula = facts
        .eula
        .into_iter()
        .map(|(product, standing)| {
            let (status, version) = match standing {
                Standing::NothingToAccept => ("nothing_to_accept", None),
                Standing::Accepted { version } => ("accepted", Some(version)),
                Standing::Required { current } => ("required", Some(current)),
            };
            EulaStatus { product, status, version }
        })
        .collect();
    Ok(axum::Json(Verification {
        verified: true,
        user: Some(facts.user.into()),
        factors: Some(facts.factors),
        licenses: Some(facts.licenses.iter().map(LicenseView::from).collect()),
        eula: Some(eula),
        recent_events: Some(facts.recent_events.into_iter().map(EventView::from).collect()),
    }))
}

/// A user's timeline for a support agent: what happened, when, from where,
/// and for failures the code the user was given.
#[utoipa::path(get, path = "/v1/support/users/{id}/timeline", tag = "support", security(("api_key" = [])),
    params(("id" = String, Path), TimelineParams),
    responses((status = 200, body = Timeline), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn timeline(
    State(state): State<AppState>,
    SupportKey(_): SupportKey,
    IdPath(user_id): IdPath<UserId>,
    Query(params): Query<TimelineParams>,
) -> ApiResult<axum::Json<Timeline>> {
    let (user, events) = state.services.support.timeline(&user_id, params.limit.unwrap_or(100)).await?;
    Ok(axum::Json(Timeline { user: user.into(), events: events.into_iter().map(EventView::from).collect() }))
}
