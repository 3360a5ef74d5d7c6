//! The device flow (RFC 8628): a device without a browser shows a code, a
//! person types it on `/device` and approves, and the device collects its
//! tokens by polling.

use secrecy::{ExposeSecret, SecretString};
use time::{Duration, OffsetDateTime};

use super::error::{OAuthError, OAuthResult, Problem};
use super::service::{GRANT_LIFETIME, OAuth};
use super::token::{ClientCredentials, IssuedTokens, TokenParams};
use crate::accounts::client_counter_subject;
use crate::domain::account::Authenticated;
use crate::domain::client::{Client, Grant};
use crate::domain::codes::UserCode;
use crate::domain::event::{ClientInfo, EventKind, NewEvent};
use crate::domain::ids::{LicenseId, new_id};
use crate::domain::lockout::{AttemptKey, AttemptKind, seconds_until};
use crate::domain::oauth::{Scope, SeatAsked, seat_asked};
use crate::secrets::{TokenKind, hash_token, issue_token};
use crate::store::{AttemptReservation, DeviceDecision, DevicePoll, GrantVia, NewDeviceRequest, NewGrant, StoreError};

/// How long a device's codes live (RFC 8628 suggests minutes; a person
/// needs a moment to find a browser and sign in).
pub const DEVICE_CODE_LIFETIME: Duration = Duration::minutes(10);

/// How often a device may poll at first, in seconds; each `slow_down` adds five.
pub const DEVICE_POLL_INTERVAL_SECS: i64 = 5;

/// The grant type URN of the device flow.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A device's sign-in request, answered (RFC 8628 §3.2).
pub struct DeviceAuthorization {
    /// What the device polls with; never shown to the person.
    pub device_code: SecretString,
    /// What the person types, as `XXXX-XXXX`.
    pub user_code: String,
    /// Where the person types it.
    pub verification_uri: String,
    /// The same with the code filled in, for a QR code or a link.
    pub verification_uri_complete: String,
    /// Seconds until both codes expire.
    pub expires_in: i64,
    /// Seconds to wait between polls.
    pub interval: i64,
}

impl std::fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuthorization").field("expires_in", &self.expires_in).finish_non_exhaustive()
    }
}

/// What the person answers to a device request.
#[derive(Debug, Clone, Copy)]
pub enum DeviceAnswer<'a> {
    /// Approve.
    Approve {
        /// The license the person chose for the seat the device asked
        /// for, when they had a choice.
        license: Option<&'a LicenseId>,
    },
    /// Deny: the device is told so.
    Deny,
}

/// A pending device request, for the person to approve or deny.
#[derive(Debug, Clone)]
pub struct DeviceApproval {
    /// The app asking.
    pub client: Client,
    /// What it asks for.
    pub scope: Scope,
    /// The code as the person should see it, `XXXX-XXXX`.
    pub user_code: String,
    /// When the device asked.
    pub requested_at: OffsetDateTime,
    /// From where the device asked.
    pub requested_ip: Option<String>,
    /// The seat the device asks for.
    pub seat: Option<SeatAsked>,
}

impl OAuth {
    /// A device asks to sign its user in on another screen: a device code
    /// for it to poll with, and a user code for the person to type on
    /// `/device`.
    #[tracing::instrument(skip_all)]
    pub async fn authorize_device(
        &self,
        credentials: &ClientCredentials,
        scope: Option<&str>,
        authorization_details: Option<&str>,
        from: &ClientInfo,
    ) -> OAuthResult<DeviceAuthorization> {
        let client = self.authenticate(credentials).await?;
        if !client.allows(Grant::DeviceCode) {
            return Err(Problem::GrantNotAllowed.into());
        }
        let scope = Scope::parse(scope).map_err(|_| Problem::Scope)?;
        let seat = seat_asked(authorization_details).map_err(|_| Problem::AuthorizationDetails)?;
        let now = self.clock.now();
        let device_code = issue_token(TokenKind::DeviceCode);
        // 20^8 codes; a collision with a live one is refused by the
        // database, and another is drawn.
        for _ in 0..3 {
            let user_code = UserCode::generate();
            let request = NewDeviceRequest {
                device_code_hash: device_code.hash.clone(),
                user_code_hash: user_code.hash(),
                client_id: client.id.clone(),
                scope: scope.to_string(),
                requested_ip: from.ip_text(),
                requested_at: now,
                expires_at: now + DEVICE_CODE_LIFETIME,
                interval_secs: DEVICE_POLL_INTERVAL_SECS,
                seat: seat.clone(),
            };
            match self.store.create_device_request(&request).await {
                Ok(()) => {
                    let verification_uri = format!("{}/device", self.issuer);
                    let complete = format!("{verification_uri}?user_code={}", user_code.display());
                    return Ok(DeviceAuthorization {
                        device_code: device_code.secret,
                        user_code: user_code.display(),
                        verification_uri,
                        verification_uri_complete: complete,
                        expires_in: DEVICE_CODE_LIFETIME.whole_seconds(),
                        interval: DEVICE_POLL_INTERVAL_SECS,
                    });
                }
                Err(StoreError::Duplicate(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(StoreError::Corrupt("three user codes in a row were taken".into()).into())
    }

    /// The pending request behind the code a person typed. Every try counts
    /// against their address, their account and everyone (a right one is
    /// taken back), so codes cannot be guessed.
    #[tracing::instrument(skip_all)]
    pub async fn device_request(
        &self,
        caller: &Authenticated,
        typed: &str,
        from: &ClientInfo,
    ) -> OAuthResult<DeviceApproval> {
        let now = self.clock.now();
        let attempt = self.count_user_code_try(caller, from, now).await?;
        let found = match UserCode::parse(typed) {
            Some(code) => self.store.pending_device_request(&code.hash(), now).await?.map(|request| (code, request)),
            None => None,
        };
        let Some((code, request)) = found else { return Err(Problem::UserCode.into()) };
        let Some(client) = self.client(&request.client_id) else { return Err(Problem::UserCode.into()) };
        self.store.forget_attempts(&attempt).await?;
        Ok(DeviceApproval {
            client: client.clone(),
            scope: Scope::parse(Some(&request.scope)).map_err(|_| StoreError::Corrupt("device scope".into()))?,
            user_code: code.display(),
            requested_at: request.requested_at,
            requested_ip: request.requested_ip,
            seat: request.seat,
        })
    }

    /// The person's answer to a device request. Approving meets the app's
    /// product requirements first, as in the browser flow.
    #[tracing::instrument(skip_all)]
    pub async fn decide_device(
        &self,
        caller: &Authenticated,
        typed: &str,
        answer: DeviceAnswer<'_>,
        from: &ClientInfo,
    ) -> OAuthResult<DeviceApproval> {
        let (approve, chose) = match answer {
            DeviceAnswer::Approve { license } => (true, license),
            DeviceAnswer::Deny => (false, None),
        };
        let approval = self.device_request(caller, typed, from).await?;
        let now = self.clock.now();
        let code = UserCode::parse(typed).ok_or(Problem::UserCode)?;
        if approve {
            self.check_requirements(caller, &approval.client).await?;
        }
        let grant = NewGrant {
            id: new_id(),
            client_id: approval.client.id.clone(),
            user_id: caller.user.id.clone(),
            scope: approval.scope.to_string(),
            auth_time: caller.session.auth_time,
            amr: caller.session.amr.clone(),
            created_at: now,
            expires_at: now + GRANT_LIFETIME,
            seat: None,
        };
        let decided = if approve {
            let via = GrantVia::Device { user_code_hash: code.hash() };
            self.write_grant(caller, &approval.client, grant, approval.seat.as_ref(), chose, via, from).await?
        } else {
            self.store.decide_device_request(&code.hash(), DeviceDecision::Deny, now).await?
        };
        if !decided {
            return Err(Problem::UserCode.into());
        }
        if approve {
            let detail = serde_json::json!({ "client_id": approval.client.id, "client_name": approval.client.name, "device": true });
            let event = NewEvent::new(&caller.user.id, EventKind::AppSignedIn, detail, from, now);
            crate::store::record_best_effort(self.store.as_ref(), &event).await;
        }
        Ok(approval)
    }

    /// Reserves one try of a user code under the client's address, the
    /// account and everyone; the ids to take back when it was right.
    async fn count_user_code_try(
        &self,
        caller: &Authenticated,
        from: &ClientInfo,
        now: OffsetDateTime,
    ) -> OAuthResult<Vec<String>> {
        let mut keys = vec![
            AttemptKey::new(AttemptKind::UserCodeAccount, caller.user.id.as_str()),
            AttemptKey::new(AttemptKind::UserCodeAll, "all"),
        ];
        keys.extend(from.ip.map(|ip| AttemptKey::new(AttemptKind::UserCodeClient, client_counter_subject(ip))));
        match self.store.reserve_attempts(&keys, now).await? {
            AttemptReservation::Reserved(reserved) => Ok(reserved.rows.into_iter().map(|(_, id)| id).collect()),
            AttemptReservation::Locked { until, .. } => {
                Err(OAuthError::Locked { retry_after_secs: seconds_until(until, now) })
            }
        }
    }

    /// The device's poll at the token endpoint.
    pub(super) async fn collect_device(
        &self,
        client: &Client,
        params: &TokenParams,
        dpop_key: Option<String>,
    ) -> OAuthResult<IssuedTokens> {
        if !client.allows(Grant::DeviceCode) {
            return Err(Problem::GrantNotAllowed.into());
        }
        let device_code = params.device_code.as_ref().ok_or(Problem::Missing("device_code"))?;
        let now = self.clock.now();
        let grant =
            match self.store.poll_device_request(&hash_token(device_code.expose_secret()), &client.id, now).await? {
                DevicePoll::Approved(grant) => grant,
                DevicePoll::Pending => return Err(Problem::DevicePending.into()),
                DevicePoll::SlowDown => return Err(Problem::DeviceTooFast.into()),
                DevicePoll::Expired => return Err(Problem::DeviceExpired.into()),
                DevicePoll::Denied => return Err(Problem::Declined.into()),
                DevicePoll::Unknown => return Err(Problem::DeviceCode.into()),
            };
        self.first_tokens(client, &grant, None, dpop_key, now).await
    }
}
