//! Licenses over HTTP: admin issuance and state changes, user redemption and
//! activation, and the public validation call.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{AdminKey, Client, CurrentUser, IdPath, Json, Query};
use super::metrics::{ProductLabels, ValidationLabels};
use crate::licensing::service::{DeviceRequest, Idempotency, IssueRequest, Issued, IssuedLicense, LicenseError};
use crate::store::{Activation, License, LicenseEvent, LicenseFilter, LicenseStatus};
use crate::tokens::certificate;

/// Header carrying a detached JWS (ES256, key in the JWKS) over the exact body.
pub const SIGNATURE_HEADER: &str = "x-latchkey-signature";

/// Serialises `body` and signs the exact bytes sent, so clients can detect tampering.
async fn signed_json<T: Serialize>(state: &AppState, body: &T) -> ApiResult<axum::response::Response> {
    let bytes = serde_json::to_vec(body).map_err(|e| ApiError::Internal(e.to_string()))?;
    let signature = state.keys.sign_detached(&bytes).await?;
    let mut response =
        (StatusCode::OK, [(axum::http::header::CONTENT_TYPE, "application/json")], bytes).into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&signature) {
        response.headers_mut().insert(SIGNATURE_HEADER, value);
    }
    Ok(response)
}

impl From<LicenseError> for ApiError {
    fn from(error: LicenseError) -> Self {
        match error {
            LicenseError::Invalid { field, problem } => Self::validation(field, problem),
            LicenseError::NotFound => Self::NotFound,
            LicenseError::Conflict(detail) => Self::Conflict(detail),
            LicenseError::SeatLimitReached => Self::SeatLimitReached,
            LicenseError::Store(e) => e.into(),
            LicenseError::Auth(e) => e.into(),
            LicenseError::Eula(e) => e.into(),
            LicenseError::EmailUnverified => Self::EmailVerificationRequired,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LicenseView {
    pub id: String,
    pub policy: String,
    pub policy_revision: String,
    pub product: String,
    /// `active`, `suspended` or `revoked`.
    pub status: &'static str,
    pub max_activations: u32,
    pub entitlements: Vec<String>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&License> for LicenseView {
    fn from(l: &License) -> Self {
        Self {
            id: l.id.clone(),
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

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivationView {
    pub id: String,
    pub license_id: String,
    /// SHA-256 of the device fingerprint; the fingerprint itself is not kept.
    pub fingerprint_hash: String,
    pub name: Option<String>,
    pub platform: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub lease_expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub deactivated_at: Option<OffsetDateTime>,
}

impl From<&Activation> for ActivationView {
    fn from(a: &Activation) -> Self {
        Self {
            id: a.id.clone(),
            license_id: a.license_id.clone(),
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

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: String,
    pub kind: String,
    #[schema(value_type = Object)]
    pub detail: Value,
}

impl From<&LicenseEvent> for EventView {
    fn from(e: &LicenseEvent) -> Self {
        Self { id: e.id.clone(), at: e.at, actor: e.actor.clone(), kind: e.kind.clone(), detail: e.detail.clone() }
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    pub policy: String,
    pub count: Option<u32>,
    pub owner_email: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    pub entitlements: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedView {
    #[serde(flatten)]
    pub license: LicenseView,
    /// The license key, for product software; its holders can see it again.
    pub key: String,
    /// The code the end user redeems; shown only now, stored only as a hash.
    pub activation_code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedList {
    pub licenses: Vec<IssuedView>,
}

fn render_issued(issued: &[IssuedLicense]) -> Value {
    let list = IssuedList {
        licenses: issued
            .iter()
            .map(|i| IssuedView {
                license: LicenseView::from(&i.license),
                key: i.key.as_str().to_owned(),
                activation_code: i.code.as_str().to_owned(),
            })
            .collect(),
    };
    serde_json::to_value(list).unwrap_or(Value::Null)
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
    let idempotency = match headers.get("idempotency-key") {
        None => None,
        Some(value) => {
            let key =
                value.to_str().ok().filter(|k| !k.is_empty() && k.len() <= 255).ok_or_else(|| {
                    ApiError::validation("Idempotency-Key", "must be 1 to 255 visible ASCII characters")
                })?;
            let canonical = serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
            Some(Idempotency {
                scope: format!("issue:{}", admin.id),
                key: key.to_owned(),
                request_hash: hex::encode(Sha256::digest(&canonical)),
            })
        }
    };
    let request = IssueRequest {
        policy: body.policy,
        count: body.count.unwrap_or(1),
        owner_email: body.owner_email,
        expires_at: body.expires_at,
        entitlements: body.entitlements,
        metadata: body.metadata,
    };
    let answer =
        match state.licensing.issue(request, &format!("admin:{}", admin.id), idempotency, render_issued).await? {
            Issued::Fresh(issued) => render_issued(&issued),
            Issued::Replayed(previous) => previous,
        };
    Ok((StatusCode::CREATED, axum::Json(answer)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub policy: Option<String>,
    /// `active`, `suspended` or `revoked`.
    pub status: Option<String>,
    /// A user id: only licenses that user holds.
    pub holder: Option<String>,
    /// At most 1000; default 100.
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LicenseList {
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
            LicenseStatus::parse(s)
                .ok_or_else(|| ApiError::validation("status", "must be active, suspended or revoked"))
        })
        .transpose()?;
    let filter =
        LicenseFilter { policy: query.policy, status, holder: query.holder, limit: query.limit.unwrap_or(100) };
    let licenses = state.licensing.licenses(&filter).await?;
    Ok(axum::Json(LicenseList { licenses: licenses.iter().map(LicenseView::from).collect() }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LicenseDetail {
    pub license: LicenseView,
    pub activations: Vec<ActivationView>,
    pub events: Vec<EventView>,
}

/// One license with its activations and events.
#[utoipa::path(get, path = "/v1/admin/licenses/{id}", tag = "licenses", security(("api_key" = [])),
    params(("id" = String, Path)), responses((status = 200, body = LicenseDetail), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    AdminKey(_): AdminKey,
    IdPath(id): IdPath,
) -> ApiResult<axum::Json<LicenseDetail>> {
    let license = state.licensing.license(&id).await?;
    let activations = state.store.activations_of_license(&id).await?;
    let events = state.store.license_events(&id).await?;
    Ok(axum::Json(LicenseDetail {
        license: LicenseView::from(&license),
        activations: activations.iter().map(ActivationView::from).collect(),
        events: events.iter().map(EventView::from).collect(),
    }))
}

async fn set_status(
    state: &AppState,
    admin: &crate::store::ApiKey,
    id: &str,
    to: LicenseStatus,
) -> ApiResult<axum::Json<LicenseView>> {
    let license = state.licensing.change_status(id, to, &format!("admin:{}", admin.id)).await?;
    Ok(axum::Json(LicenseView::from(&license)))
}

/// Suspend: validation answers `SUSPENDED` until reinstated.
#[utoipa::path(post, path = "/v1/admin/licenses/{id}/suspend", tag = "licenses", security(("api_key" = [])),
    params(("id" = String, Path)), responses((status = 200, body = LicenseView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn suspend(
    State(state): State<AppState>,
    AdminKey(admin): AdminKey,
    IdPath(id): IdPath,
) -> ApiResult<axum::Json<LicenseView>> {
    set_status(&state, &admin, &id, LicenseStatus::Suspended).await
}

/// Reinstate a suspended license.
#[utoipa::path(post, path = "/v1/admin/licenses/{id}/reinstate", tag = "licenses", security(("api_key" = [])),
    params(("id" = String, Path)), responses((status = 200, body = LicenseView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn reinstate(
    State(state): State<AppState>,
    AdminKey(admin): AdminKey,
    IdPath(id): IdPath,
) -> ApiResult<axum::Json<LicenseView>> {
    set_status(&state, &admin, &id, LicenseStatus::Active).await
}

/// Revoke for good.
#[utoipa::path(post, path = "/v1/admin/licenses/{id}/revoke", tag = "licenses", security(("api_key" = [])),
    params(("id" = String, Path)), responses((status = 200, body = LicenseView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    AdminKey(admin): AdminKey,
    IdPath(id): IdPath,
) -> ApiResult<axum::Json<LicenseView>> {
    set_status(&state, &admin, &id, LicenseStatus::Revoked).await
}

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
    IdPath(id): IdPath,
    Json(body): Json<RenewBody>,
) -> ApiResult<axum::Json<LicenseView>> {
    let license = state.licensing.renew(&id, body.expires_at, &format!("admin:{}", admin.id)).await?;
    Ok(axum::Json(LicenseView::from(&license)))
}

/// Free a seat.
#[utoipa::path(delete, path = "/v1/admin/activations/{id}", tag = "licenses", security(("api_key" = [])),
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn free_seat(
    State(state): State<AppState>,
    AdminKey(admin): AdminKey,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    state.licensing.free_seat(&id, &format!("admin:{}", admin.id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemBody {
    pub activation_code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OwnLicense {
    #[serde(flatten)]
    pub license: LicenseView,
    pub key: String,
    pub activations: Vec<ActivationView>,
}

async fn own_view(state: &AppState, license: &License) -> ApiResult<OwnLicense> {
    let activations = state.store.activations_of_license(&license.id).await?;
    Ok(OwnLicense {
        license: LicenseView::from(license),
        key: state.licensing.reveal_key(license)?,
        activations: activations.iter().filter(|a| a.deactivated_at.is_none()).map(ActivationView::from).collect(),
    })
}

/// Redeem an activation code onto the signed-in account.
#[utoipa::path(post, path = "/v1/me/licenses/redeem", tag = "licenses", security(("session" = [])), request_body = RedeemBody,
    responses((status = 201, body = OwnLicense), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn redeem(
    State(state): State<AppState>,
    client: Client,
    CurrentUser(caller): CurrentUser,
    Json(body): Json<RedeemBody>,
) -> ApiResult<impl IntoResponse> {
    super::accounts::limit_attempts(&state, &client)?;
    let license = state.licensing.redeem(&caller, &body.activation_code, &client.0).await?;
    state.metrics.codes_redeemed.get_or_create(&ProductLabels { product: license.product.clone() }).inc();
    Ok((StatusCode::CREATED, axum::Json(own_view(&state, &license).await?)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OwnLicenses {
    pub licenses: Vec<OwnLicense>,
}

/// The licenses on the signed-in account, with their keys and live activations.
#[utoipa::path(get, path = "/v1/me/licenses", tag = "licenses", security(("session" = [])),
    responses((status = 200, body = OwnLicenses), (status = 401, body = Problem)))]
pub async fn mine(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<axum::Json<OwnLicenses>> {
    let filter = LicenseFilter { holder: Some(caller.user.id.clone()), limit: 1000, ..LicenseFilter::default() };
    let mut licenses = Vec::new();
    for license in state.licensing.licenses(&filter).await? {
        licenses.push(own_view(&state, &license).await?);
    }
    Ok(axum::Json(OwnLicenses { licenses }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivateBody {
    pub license_id: String,
    /// Opaque device identifier computed by the product; at most 1 KiB.
    pub fingerprint: String,
    pub name: Option<String>,
    pub platform: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Activated {
    pub activation: ActivationView,
    pub license: LicenseView,
    /// Offline license certificate: a JWT (`typ: license+jwt`) verifiable with the JWKS.
    pub certificate: String,
}

/// Activate a device on a license the user holds.
#[utoipa::path(post, path = "/v1/activations", tag = "licenses", security(("session" = [])), request_body = ActivateBody,
    responses((status = 201, body = Activated), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn activate(
    State(state): State<AppState>,
    client: Client,
    CurrentUser(caller): CurrentUser,
    Json(body): Json<ActivateBody>,
) -> ApiResult<impl IntoResponse> {
    let license_id = uuid::Uuid::parse_str(&body.license_id).map_err(|_| ApiError::NotFound)?.hyphenated().to_string();
    let device = DeviceRequest { license_id, fingerprint: body.fingerprint, name: body.name, platform: body.platform };
    let granted = state.licensing.activate(&caller, device, &client.0).await?;
    if granted.first_seat {
        let product = ProductLabels { product: granted.license.product.clone() };
        state.metrics.first_activations.get_or_create(&product).inc();
    }
    let (license, activation) = (granted.license, granted.activation);
    let policy = state.licensing.policy_of(&license)?;
    let mut claims =
        certificate::claims(state.settings.public_url.as_str(), &license, &activation, policy, state.clock.now());
    claims.eula = granted.eula_version;
    let certificate = state.keys.sign_jwt(certificate::TYP, &claims).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Activated {
            activation: ActivationView::from(&activation),
            license: LicenseView::from(&license),
            certificate,
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
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    state.licensing.deactivate(&caller, &id, &client.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

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
    params(("id" = String, Path)), responses((status = 200, body = ActivationView), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn heartbeat(
    State(state): State<AppState>,
    IdPath(id): IdPath,
    request: axum::extract::Request,
) -> ApiResult<axum::Json<ActivationView>> {
    let activation = if request.headers().contains_key(axum::http::header::AUTHORIZATION) {
        let (mut parts, _) = request.into_parts();
        let CurrentUser(caller) =
            <CurrentUser as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, &state).await?;
        state.licensing.heartbeat(&caller.user, &id).await?
    } else {
        let Json(body) =
            <Json<HeartbeatBody> as axum::extract::FromRequest<AppState>>::from_request(request, &state).await?;
        state.licensing.heartbeat_by_key(&body.key, &id).await?
    };
    Ok(axum::Json(ActivationView::from(&activation)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateBody {
    pub key: String,
    pub fingerprint: Option<String>,
    pub product: Option<String>,
    /// Echoed back, so a client can tell a fresh answer from a replayed one.
    pub nonce: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationLicense {
    pub id: String,
    pub product: String,
    pub policy: String,
    pub status: &'static str,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    pub entitlements: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationAnswer {
    pub valid: bool,
    /// `VALID`, `NOT_FOUND`, `SUSPENDED`, `REVOKED`, `EXPIRED`, `NOT_ACTIVATED`, `FINGERPRINT_REQUIRED`,
    /// `PRODUCT_MISMATCH`, `SEAT_LIMIT_REACHED`, `LEASE_EXPIRED`, `EULA_ACCEPTANCE_REQUIRED`.
    pub code: &'static str,
    pub detail: &'static str,
    pub license: Option<ValidationLicense>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activation: Option<ActivationView>,
    pub nonce: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub ts: OffsetDateTime,
}

/// Validate a license key (optionally for one device and product). Always 200;
/// the body is signed in the `X-Latchkey-Signature` header.
#[utoipa::path(post, path = "/v1/licenses/validate", tag = "licenses", request_body = ValidateBody,
    responses((status = 200, body = ValidationAnswer), (status = 422, body = Problem)))]
pub async fn validate(
    State(state): State<AppState>,
    Json(body): Json<ValidateBody>,
) -> ApiResult<axum::response::Response> {
    if body.nonce.as_ref().is_some_and(|n| n.len() > 256) {
        return Err(ApiError::validation("nonce", "must be at most 256 bytes"));
    }
    let outcome = state.licensing.validate(&body.key, body.fingerprint.as_deref(), body.product.as_deref()).await?;
    state.metrics.validations.get_or_create(&ValidationLabels { code: outcome.code.as_str() }).inc();
    let answer = ValidationAnswer {
        valid: outcome.valid,
        code: outcome.code.as_str(),
        detail: outcome.code.detail(),
        license: outcome.license.as_ref().map(|l| ValidationLicense {
            id: l.id.clone(),
            product: l.product.clone(),
            policy: l.policy.clone(),
            status: l.status.as_str(),
            expires_at: l.expires_at,
            entitlements: l.entitlements.clone(),
        }),
        activation: outcome.activation.as_ref().map(ActivationView::from),
        nonce: body.nonce,
        ts: state.clock.now(),
    };
    signed_json(&state, &answer).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevocationList {
    /// Ids of every revoked license.
    pub revoked: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
}

/// Revoked license ids for offline clients; the body is signed in the `X-Latchkey-Signature` header.
#[utoipa::path(get, path = "/v1/licenses/revocations", tag = "licenses",
    responses((status = 200, body = RevocationList)))]
pub async fn revocations(State(state): State<AppState>) -> ApiResult<axum::response::Response> {
    let list = RevocationList { revoked: state.store.revoked_license_ids().await?, issued_at: state.clock.now() };
    signed_json(&state, &list).await
}
