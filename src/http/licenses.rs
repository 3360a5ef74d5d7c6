//! Licenses over HTTP: admin issuance and state changes, user redemption and
//! activation, and the public validation call.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{AdminKey, Attempt, Client, CurrentUser, IdPath, Json, Query};
use crate::domain::ids::{ActivationId, LicenseId, UserId};
use crate::domain::license::LicenseFilter;
use crate::domain::license::{Activation, Actor, License, LicenseEvent, LicenseStatus};
use crate::domain::reason::{Invalid, Rule};
use crate::licensing::{DeviceRequest, IssueRequest, IssuedLicense, OwnedLicense};

/// Header carrying a detached JWS (ES256, key in the JWKS) over the exact body.
pub const SIGNATURE_HEADER: &str = "x-latchkey-signature";

/// Serialises `body` and signs the exact bytes sent, so clients can detect tampering.
async fn signed_json<T: Serialize>(state: &AppState, body: &T) -> ApiResult<axum::response::Response> {
    let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
    let signature = state.services.keys.sign_detached(&bytes).await?;
    let mut response =
        (StatusCode::OK, [(axum::http::header::CONTENT_TYPE, "application/json")], bytes).into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&signature) {
        response.headers_mut().insert(SIGNATURE_HEADER, value);
    }
    Ok(response)
}

/// A license: its policy, product, seats, entitlements and status.
#[derive(Debug, Serialize, ToSchema)]
pub struct LicenseView {
    /// The license's id.
    pub id: String,
    /// The name of the policy it was issued under.
    pub policy: String,
    /// SHA-256 (hex) of that policy file when the license was issued.
    pub policy_revision: String,
    /// The product it licenses.
    pub product: String,
    /// `active`, `suspended` or `revoked`.
    pub status: &'static str,
    /// How many devices may hold a seat at once.
    pub max_activations: u32,
    /// What it unlocks in the product.
    pub entitlements: Vec<String>,
    /// Whatever the issuer attached (an order number…), as given.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    /// When it ends; null for a perpetual license.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// When it was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&License> for LicenseView {
    fn from(l: &License) -> Self {
        Self {
            id: l.id.to_string(),
            policy: l.policy.clone(),
            policy_revision: l.policy_revision.clone(),
            product: l.product.clone(),
            status: l.status.as_str(),
            max_activations: l.max_activations,
            entitlements: l.entitlements.clone(),
            metadata: l.metadata.clone(),
            expires_at: l.expires_at,
            created_at: l.created_at,
        }
    }
}

/// A device's activation: the seat it holds on a license.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivationView {
    /// The activation's id; use it to deactivate the device or to send heartbeats.
    pub id: String,
    /// The license it holds a seat on.
    pub license_id: String,
    /// SHA-256 of the device fingerprint; the fingerprint itself is not kept.
    pub fingerprint_hash: String,
    /// A name for the device, as given at activation.
    pub name: Option<String>,
    /// The platform the product reported.
    pub platform: Option<String>,
    /// When the device took its seat.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the device last activated or sent a heartbeat.
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    /// Floating licenses only: the seat is held until then unless a heartbeat extends it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub lease_expires_at: Option<OffsetDateTime>,
    /// When the device was deactivated, freeing its seat; null if it was not.
    #[serde(with = "time::serde::rfc3339::option")]
    pub deactivated_at: Option<OffsetDateTime>,
}

impl From<&Activation> for ActivationView {
    fn from(a: &Activation) -> Self {
        Self {
            id: a.id.to_string(),
            license_id: a.license_id.to_string(),
            fingerprint_hash: a.fingerprint_hash.clone(),
            name: a.name.clone(),
            platform: a.platform.clone(),
            created_at: a.created_at,
            last_seen_at: a.last_seen_at,
            lease_expires_at: a.lease_expires_at,
            deactivated_at: a.deactivated_at,
        }
    }
}

/// One event in a license's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// The event's id.
    pub id: String,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who did it: `admin:<key id>`, `user:<user id>`, `cli` or `mailed-link`.
    pub actor: String,
    /// `issued`, `redeemed`, `activated`, `deactivated`, `renewed`, or the new status after a status change.
    pub kind: String,
    /// Facts about the event, depending on its kind.
    #[schema(value_type = Object)]
    pub detail: Value,
}

impl From<&LicenseEvent> for EventView {
    fn from(e: &LicenseEvent) -> Self {
        Self { id: e.id.clone(), at: e.at, actor: e.actor.clone(), kind: e.kind.clone(), detail: e.detail.clone() }
    }
}

/// What to issue: a policy, how many, and any overrides of its defaults.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    /// The name of a configured policy; it sets the product, the seats and the defaults below.
    pub policy: String,
    /// How many licenses to issue, 1 to 1000; default 1.
    pub count: Option<u32>,
    /// Only this address may redeem the activation codes.
    pub owner_email: Option<String>,
    /// When the licenses end (must be in the future); default: one policy term from now, none for a perpetual policy.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// What the licenses unlock; default: the policy's entitlements.
    pub entitlements: Option<Vec<String>>,
    /// Any JSON to keep with each license (an order number…).
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
}

/// A newly issued license, with its key and activation code in clear.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedView {
    /// The license.
    #[serde(flatten)]
    pub license: LicenseView,
    /// The license key, for product software; its holders can see it again.
    pub key: String,
    /// The code the end user redeems; shown only now, stored only as a hash.
    pub activation_code: String,
}

/// The licenses issued; a retry with the same `Idempotency-Key` gets the first answer again.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedList {
    /// One entry per license.
    pub licenses: Vec<IssuedView>,
}

impl From<&IssuedLicense> for IssuedView {
    fn from(issued: &IssuedLicense) -> Self {
        Self {
            license: LicenseView::from(&issued.license),
            key: issued.key.as_str().to_owned(),
            activation_code: issued.code.as_str().to_owned(),
        }
    }
}

/// Issue one or many licenses under a policy.
#[utoipa::path(post, path = "/v1/admin/licenses", tag = "licenses", security(("api_key" = [])), request_body = IssueBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "retries with the same key return the first answer")),
    responses((status = 201, body = IssuedList), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn issue(
    State(state): State<AppState>,
    AdminKey(admin): AdminKey,
    headers: HeaderMap,
    Json(body): Json<IssueBody>,
) -> ApiResult<impl IntoResponse> {
    let idempotency_key = headers
        .get("idempotency-key")
        .map(|value| value.to_str().map_err(|_| Invalid::new("Idempotency-Key", Rule::Name { max_chars: 255 })))
        .transpose()?;
    let request = IssueRequest {
        policy: body.policy,
        count: body.count.unwrap_or(1),
        owner_email: body.owner_email,
        expires_at: body.expires_at,
        entitlements: body.entitlements,
        metadata: body.metadata,
    };
    let issued = state.services.licensing.issue(request, &Actor::Admin(admin.id), idempotency_key).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(IssuedList { licenses: issued.licenses.iter().map(IssuedView::from).collect() }),
    ))
}

/// Filters for listing licenses.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only licenses issued under this policy.
    pub policy: Option<String>,
    /// `active`, `suspended` or `revoked`.
    pub status: Option<String>,
    /// A user id: only licenses that user holds.
    pub holder: Option<String>,
    /// At most 1000; default 100.
    pub limit: Option<u32>,
}

/// Licenses matching the filters.
#[derive(Debug, Serialize, ToSchema)]
pub struct LicenseList {
    /// The licenses, newest first.
    pub licenses: Vec<LicenseView>,
}

/// List licenses, newest first.
#[utoipa::path(get, path = "/v1/admin/licenses", tag = "licenses", security(("api_key" = [])), params(ListQuery),
    responses((status = 200, body = LicenseList), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    AdminKey(_): AdminKey,
    Query(query): Query<ListQuery>,
) -> ApiResult<axum::Json<LicenseList>> {
    let status = query
        .status
        .as_deref()
        .map(|s| {
            LicenseStatus::parse(s).ok_or(Invalid::new("status", Rule::OneOf(&["active", "suspended", "revoked"])))
        })
        .transpose()?;
    let holder = query.holder.map(|h| UserId::parse(&h).ok_or(Invalid::new("holder", Rule::Id))).transpose()?;
    let filter = LicenseFilter { policy: query.policy, status, holder, limit: query.limit.unwrap_or(100) };
    let licenses = state.services.licensing.licenses(&filter).await?;
    Ok(axum::Json(LicenseList { licenses: licenses.iter().map(LicenseView::from).collect() }))
}

/// One license, with its activations and history.
#[derive(Debug, Serialize, ToSchema)]
pub struct LicenseDetail {
    /// The license.
    pub license: LicenseView,
    /// Every activation of the license, deactivated ones included, oldest first.
    pub activations: Vec<ActivationView>,
    /// Its history, oldest first.
    pub events: Vec<EventView>,
}

/// One license with its activations and events.
#[utoipa::path(get, path = "/v1/admin/licenses/{id}", tag = "licenses", security(("api_key" = [])),
    params(("id" = String, Path)), responses((status = 200, body = LicenseDetail), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    AdminKey(_): AdminKey,
    IdPath(id): IdPath<LicenseId>,
) -> ApiResult<axum::Json<LicenseDetail>> {
    let detail = state.services.licensing.detail(&id).await?;
    Ok(axum::Json(LicenseDetail {
        license: LicenseView::from(&detail.license),
        activations: detail.activations.iter().map(ActivationView::from).collect(),
        events: detail.events.iter().map(EventView::from).collect(),
    }))
}

async fn set_status(
    state: &AppState,
    admin: crate::domain::account::ApiKey,
    id: &LicenseId,
    to: LicenseStatus,
) -> ApiResult<axum::Json<LicenseView>> {
    let license = state.services.licensing.change_status(id, to, &Actor::Admin(admin.id)).await?;
    Ok(axum::Json(LicenseView::from(&license)))
}

/// Suspend: validation answers `SUSPENDED` until reinstated.
#[utoipa::path(post, path = "/v1/admin/licenses/{id}/suspend", tag = "licenses", security(("api_key" = [])),
    params(("id" = String, Path)), responses((status = 200, body = LicenseView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn suspend(
    State(state): State<AppState>,
    AdminKey(admin): AdminKey,
    IdPath(id): IdPath<LicenseId>,
) -> ApiResult<axum::Json<LicenseView>> {
    set_status(&state, admin, &id, LicenseStatus::Suspended).await
}

/// Reinstate a suspended license.
#[utoipa::path(post, path = "/v1/admin/licenses/{id}/reinstate", tag = "licenses", security(("api_key" = [])),
    params(("id" = String, Path)), responses((status = 200, body = LicenseView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn reinstate(
    State(state): State<AppState>,
    AdminKey(admin): AdminKey,
    IdPath(id): IdPath<LicenseId>,
) -> ApiResult<axum::Json<LicenseView>> {
    set_status(&state, admin, &id, LicenseStatus::Active).await
}

/// Revoke for good.
#[utoipa::path(post, path = "/v1/admin/licenses/{id}/revoke", operation_id = "revoke_license", tag = "licenses", security(("api_key" = [])),
    params(("id" = String, Path)), responses((status = 200, body = LicenseView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    AdminKey(admin): AdminKey,
    IdPath(id): IdPath<LicenseId>,
) -> ApiResult<axum::Json<LicenseView>> {
    set_status(&state, admin, &id, LicenseStatus::Revoked).await
}

/// A new expiry for a license.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewBody {
    /// The new expiry; default: one policy term past the later of now and the current expiry.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

/// Extend a license.
#[utoipa::path(post, path = "/v1/admin/licenses/{id}/renew", tag = "licenses", security(("api_key" = [])), request_body = RenewBody,
    params(("id" = String, Path)), responses((status = 200, body = LicenseView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn renew(
    State(state): State<AppState>,
    AdminKey(admin): AdminKey,
    IdPath(id): IdPath<LicenseId>,
    Json(body): Json<RenewBody>,
) -> ApiResult<axum::Json<LicenseView>> {
    let license = state.services.licensing.renew(&id, body.expires_at, &Actor::Admin(admin.id)).await?;
    Ok(axum::Json(LicenseView::from(&license)))
}

/// Free a seat.
#[utoipa::path(delete, path = "/v1/admin/activations/{id}", tag = "licenses", security(("api_key" = [])),
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn free_seat(
    State(state): State<AppState>,
    AdminKey(admin): AdminKey,
    IdPath(id): IdPath<ActivationId>,
) -> ApiResult<StatusCode> {
    state.services.licensing.free_seat(&id, &Actor::Admin(admin.id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An activation code to redeem onto the signed-in account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemBody {
    /// The code as issued (`XXXX-XXXX-XXXX-XXXX`); any case, dashes and spaces optional.
    pub activation_code: String,
}

/// A license on the user's account, with its key and devices.
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnLicense {
    /// The license.
    #[serde(flatten)]
    pub license: LicenseView,
    /// The license key (`LK-…`), for product software.
    pub key: String,
    /// The devices activated on it, not the deactivated ones.
    pub activations: Vec<ActivationView>,
}

impl From<&OwnedLicense> for OwnLicense {
    fn from(owned: &OwnedLicense) -> Self {
        Self {
            license: LicenseView::from(&owned.license),
            key: owned.key.clone(),
            activations: owned.activations.iter().map(ActivationView::from).collect(),
        }
    }
}

/// Redeem an activation code onto the signed-in account.
#[utoipa::path(post, path = "/v1/me/licenses/redeem", tag = "licenses", security(("session" = [])), request_body = RedeemBody,
    responses((status = 201, body = OwnLicense), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn redeem(
    State(state): State<AppState>,
    _: Attempt,
    client: Client,
    CurrentUser(caller): CurrentUser,
    Json(body): Json<RedeemBody>,
) -> ApiResult<impl IntoResponse> {
    let owned = state.services.licensing.redeem(&caller, &body.activation_code, &client.0).await?;
    Ok((StatusCode::CREATED, axum::Json(OwnLicense::from(&owned))))
}

/// The licenses on the signed-in account.
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnLicenses {
    /// Each license with its key and activations.
    pub licenses: Vec<OwnLicense>,
}

/// The licenses on the signed-in account, with their keys and live activations.
#[utoipa::path(get, path = "/v1/me/licenses", tag = "licenses", security(("session" = [])),
    responses((status = 200, body = OwnLicenses), (status = 401, body = Problem)))]
pub async fn mine(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<axum::Json<OwnLicenses>> {
    let owned = state.services.licensing.owned(&caller).await?;
    Ok(axum::Json(OwnLicenses { licenses: owned.iter().map(OwnLicense::from).collect() }))
}

/// A device to activate on one of the user's licenses.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivateBody {
    /// The license to take a seat on; the user must hold it.
    pub license_id: String,
    /// Opaque device identifier computed by the product; at most 1 KiB.
    pub fingerprint: String,
    /// A name to recognise the device by; at most 200 characters.
    pub name: Option<String>,
    /// The platform the product runs on; at most 100 characters.
    pub platform: Option<String>,
}

/// A device's seat on a license, with its offline certificate.
#[derive(Debug, Serialize, ToSchema)]
pub struct Activated {
    /// The device's activation.
    pub activation: ActivationView,
    /// The license it holds a seat on.
    pub license: LicenseView,
    /// Offline license certificate: a JWT (`typ: license+jwt`) verifiable with the JWKS.
    pub certificate: String,
}

/// Activate a device on a license the user holds.
#[utoipa::path(post, path = "/v1/activations", tag = "licenses", security(("session" = [])), request_body = ActivateBody,
    responses((status = 201, body = Activated), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn activate(
    State(state): State<AppState>,
    client: Client,
    CurrentUser(caller): CurrentUser,
    Json(body): Json<ActivateBody>,
) -> ApiResult<impl IntoResponse> {
    // A license id that is not one of ours names no license the caller holds.
    let license_id = LicenseId::parse(&body.license_id).ok_or_else(ApiError::not_found)?;
    let device = DeviceRequest { license_id, fingerprint: body.fingerprint, name: body.name, platform: body.platform };
    let granted = state.services.licensing.activate(&caller, device, &client.0).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Activated {
            activation: ActivationView::from(&granted.activation),
            license: LicenseView::from(&granted.license),
            certificate: granted.certificate,
        }),
    ))
}

/// Deactivate one of the user's devices, freeing its seat.
#[utoipa::path(delete, path = "/v1/activations/{id}", tag = "licenses", security(("session" = [])),
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn deactivate(
    State(state): State<AppState>,
    client: Client,
    CurrentUser(caller): CurrentUser,
    IdPath(id): IdPath<ActivationId>,
) -> ApiResult<StatusCode> {
    state.services.licensing.deactivate(&caller, &id, &client.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The license key, for product software sending a heartbeat without a user session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatBody {
    /// The license key, for product software without a user session.
    pub key: String,
}

/// Keep a floating seat: extends its lease. Authenticated by the user's
/// session, or by the license key in the body.
#[utoipa::path(post, path = "/v1/activations/{id}/heartbeat", tag = "licenses", security((), ("session" = [])),
    request_body(content = Option<HeartbeatBody>),
    params(("id" = String, Path)), responses((status = 200, body = ActivationView), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 429, body = Problem)))]
pub async fn heartbeat(
    State(state): State<AppState>,
    IdPath(id): IdPath<ActivationId>,
    request: axum::extract::Request,
) -> ApiResult<axum::Json<ActivationView>> {
    let licensing = &state.services.licensing;
    let activation = if request.headers().contains_key(axum::http::header::AUTHORIZATION) {
        let (mut parts, _) = request.into_parts();
        let CurrentUser(caller) =
            <CurrentUser as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, &state).await?;
        licensing.heartbeat(&caller, &id).await?
    } else {
        let Json(body) =
            <Json<HeartbeatBody> as axum::extract::FromRequest<AppState>>::from_request(request, &state).await?;
        licensing.heartbeat_by_key(&body.key, &id).await?
    };
    Ok(axum::Json(ActivationView::from(&activation)))
}

/// A license key to validate, optionally for one device and one product.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateBody {
    /// The license key (`LK-…`).
    pub key: String,
    /// The device's fingerprint, as sent at activation, to check this device's seat; floating licenses need it.
    pub fingerprint: Option<String>,
    /// The product asking; a license for another product answers `PRODUCT_MISMATCH`.
    pub product: Option<String>,
    /// Echoed back, so a client can tell a fresh answer from a replayed one.
    pub nonce: Option<String>,
}

/// The license behind the key.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationLicense {
    /// The license's id.
    pub id: String,
    /// The product it licenses.
    pub product: String,
    /// The name of the policy it was issued under.
    pub policy: String,
    /// `active`, `suspended` or `revoked`.
    pub status: &'static str,
    /// When it ends; null for a perpetual license.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// What it unlocks in the product.
    pub entitlements: Vec<String>,
}

/// What a license key is worth now; signed in the `X-Latchkey-Signature` header.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationAnswer {
    /// Whether the product may run; also true for `EXPIRED` under a policy that keeps expired licenses working.
    pub valid: bool,
    /// `VALID`, `NOT_FOUND`, `SUSPENDED`, `REVOKED`, `EXPIRED`, `NOT_ACTIVATED`, `FINGERPRINT_REQUIRED`,
    /// `PRODUCT_MISMATCH`, `SEAT_LIMIT_REACHED`, `LEASE_EXPIRED`, `EULA_ACCEPTANCE_REQUIRED`.
    pub code: &'static str,
    /// One sentence explaining `code` to a person.
    pub detail: &'static str,
    /// The license, when the key is one of ours.
    pub license: Option<ValidationLicense>,
    /// The device's activation, when a fingerprint was sent and the device has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activation: Option<ActivationView>,
    /// The `nonce` from the request, echoed.
    pub nonce: Option<String>,
    /// When the answer was given; with the nonce, it tells a fresh answer from a replayed one.
    #[serde(with = "time::serde::rfc3339")]
    pub ts: OffsetDateTime,
}

/// Validate a license key (optionally for one device and product). 200 for every key, known or not;
/// the body is signed in the `X-Latchkey-Signature` header.
#[utoipa::path(post, path = "/v1/licenses/validate", tag = "licenses", request_body = ValidateBody,
    responses((status = 200, body = ValidationAnswer), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn validate(
    State(state): State<AppState>,
    Json(body): Json<ValidateBody>,
) -> ApiResult<axum::response::Response> {
    if body.nonce.as_ref().is_some_and(|n| n.len() > 256) {
        return Err(Invalid::new("nonce", Rule::Bytes { max_bytes: 256 }).into());
    }
    let outcome =
        state.services.licensing.validate(&body.key, body.fingerprint.as_deref(), body.product.as_deref()).await?;
    let answer = ValidationAnswer {
        valid: outcome.valid,
        code: outcome.code.as_str(),
        detail: outcome.code.detail(),
        license: outcome.license.as_ref().map(|l| ValidationLicense {
            id: l.id.to_string(),
            product: l.product.clone(),
            policy: l.policy.clone(),
            status: l.status.as_str(),
            expires_at: l.expires_at,
            entitlements: l.entitlements.clone(),
        }),
        activation: outcome.activation.as_ref().map(ActivationView::from),
        nonce: body.nonce,
        ts: outcome.checked_at,
    };
    signed_json(&state, &answer).await
}

/// Every revoked license, for clients that validate offline.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevocationList {
    /// Ids of every revoked license.
    pub revoked: Vec<String>,
    /// When this list was made.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
}

/// Revoked license ids for offline clients; the body is signed in the `X-Latchkey-Signature` header.
#[utoipa::path(get, path = "/v1/licenses/revocations", tag = "licenses",
    responses((status = 200, body = RevocationList)))]
pub async fn revocations(State(state): State<AppState>) -> ApiResult<axum::response::Response> {
    let revocations = state.services.licensing.revocations().await?;
    let list = RevocationList {
        revoked: revocations.revoked.iter().map(ToString::to_string).collect(),
        issued_at: revocations.issued_at,
    };
    signed_json(&state, &list).await
}
