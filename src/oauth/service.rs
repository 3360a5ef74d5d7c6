//! The authorization server: apps send their users here to sign in, and get
//! back a code they exchange for tokens (RFC 6749 with PKCE, OpenID Connect
//! Core). The user signs in on our pages, under the same policies as
//! everywhere: the app never sees a password, a code or a passkey.

use std::collections::BTreeMap;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use time::{Duration, OffsetDateTime};

use super::error::{OAuthError, OAuthResult, Problem};
use crate::accounts::client_counter_subject;
use crate::clock::Clock;
use crate::domain::account::{Authenticated, User};
use crate::domain::client::{Client, ClientKind, Grant};
use crate::domain::codes::UserCode;
use crate::domain::codes::constant_time_eq;
use crate::domain::event::{ClientInfo, EventKind, NewEvent};
use crate::domain::factors::Acr;
use crate::domain::ids::ActivationId;
use crate::domain::ids::{UserId, new_id};
use crate::domain::lockout::{AttemptKey, AttemptKind, seconds_until};
use crate::domain::oauth::{CodeChallenge, LICENSE_ACTIVATION, Scope, SeatAsked, SeatGranted, seat_asked};
use crate::domain::policy::PolicySet;
use crate::eula::Eulas;
use crate::factors::Factors;
use crate::licensing::{LicenseError, Licensing, SeatOffer};
use crate::secrets::{TokenKind, hash_token, issue_token};
use crate::store::{
    AttemptReservation, CodeUse, DeviceDecision, DevicePoll, GrantEnd, GrantRecord, NewCode, NewDeviceRequest,
    NewGrant, RefreshUse, Store, StoreError,
};
use crate::tokens::SigningKeys;
use crate::tokens::formats::{ACCESS_TOKEN_TYP, AccessClaims, IdClaims, LicenseClaim};

/// How long a code may wait for its exchange (RFC 6749 recommends at most 10 minutes; apps need seconds).
pub const CODE_LIFETIME: Duration = Duration::seconds(60);
/// How long an access token lives; the app refreshes after.
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::minutes(10);
/// How long an ID token may be presented to the app.
const ID_TOKEN_LIFETIME: Duration = Duration::minutes(10);
/// How long one sign-in of an app lasts, however often it refreshes: then
/// the user signs in again, under the policies as they are by then.
pub const GRANT_LIFETIME: Duration = Duration::days(90);
/// How long a device's codes live (RFC 8628 suggests minutes; a person
/// needs a moment to find a browser and sign in).
pub const DEVICE_CODE_LIFETIME: Duration = Duration::minutes(10);
/// How often a device may poll at first, in seconds; each `slow_down` adds five.
pub const DEVICE_POLL_INTERVAL_SECS: i64 = 5;
/// The grant type URN of the device flow.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// `typ` of ID tokens: plain JWTs, as OpenID Connect expects.
const ID_TOKEN_TYP: &str = "JWT";

/// `/oauth/authorize`'s parameters, as sent.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AuthorizeParams {
    /// The app.
    pub client_id: Option<String>,
    /// Where to send the browser back to.
    pub redirect_uri: Option<String>,
    /// Must be `code`.
    pub response_type: Option<String>,
    /// Space-separated scopes.
    pub scope: Option<String>,
    /// The app's own value, handed back untouched.
    pub state: Option<String>,
    /// The app's value for the ID token.
    pub nonce: Option<String>,
    /// PKCE.
    pub code_challenge: Option<String>,
    /// Must be `S256`.
    pub code_challenge_method: Option<String>,
    /// RFC 9396: a seat for this machine, as JSON.
    pub authorization_details: Option<String>,
}

/// A checked authorization request, ready to show and to approve.
#[derive(Debug, Clone)]
pub struct Authorization {
    /// The app.
    pub client: Client,
    /// The redirect URI as the app sent it (a loopback one with its port).
    pub redirect_uri: String,
    /// What it asks for.
    pub scope: Scope,
    /// Handed back untouched.
    pub state: Option<String>,
    /// For the ID token.
    pub nonce: Option<String>,
    /// A seat for the app's machine, activated on approval.
    pub seat: Option<SeatAsked>,
    challenge: CodeChallenge,
}

/// Why an authorization request cannot go on.
#[derive(Debug, Clone)]
pub enum AuthorizeRefusal {
    /// No client has this id. Shown on a page: without a trusted redirect
    /// URI there is nowhere safe to send the browser.
    UnknownClient,
    /// The redirect URI is missing or not one the client registered; shown
    /// on a page, or we would be an open redirector.
    RedirectUri,
    /// Anything else: told to the app at its redirect URI.
    ToClient {
        /// The address to send the browser to, with `error` and `state`.
        location: String,
        /// What was wrong.
        problem: Problem,
    },
}

/// What the token endpoint was sent, as sent.
#[derive(Clone, Default, serde::Deserialize)]
pub struct TokenParams {
    /// `authorization_code` or `refresh_token`.
    pub grant_type: Option<String>,
    /// The code, for `authorization_code`.
    pub code: Option<String>,
    /// The redirect URI of the authorization request.
    pub redirect_uri: Option<String>,
    /// PKCE.
    pub code_verifier: Option<String>,
    /// For `refresh_token`.
    pub refresh_token: Option<SecretString>,
    /// In the body when not in the `Authorization` header.
    pub client_id: Option<String>,
    /// A confidential client's secret, in the body (`client_secret_post`).
    pub client_secret: Option<SecretString>,
    /// A narrower scope on refresh.
    pub scope: Option<String>,
    /// For the device grant: the code the device polls with.
    pub device_code: Option<SecretString>,
    /// On the device authorization request: a seat for the device (RFC 9396).
    pub authorization_details: Option<String>,
}

impl std::fmt::Debug for TokenParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenParams")
            .field("grant_type", &self.grant_type)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// How the client proved who it is: its id, and for a confidential
/// client its secret (from HTTP Basic or the body).
#[derive(Clone, Default)]
pub struct ClientCredentials {
    /// The client id.
    pub id: Option<String>,
    /// The secret.
    pub secret: Option<SecretString>,
}

/// The token endpoint's answer.
pub struct IssuedTokens {
    /// An RFC 9068 JWT.
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// For the next refresh; only for clients allowed the refresh grant.
    pub refresh_token: Option<SecretString>,
    /// With scope `openid`.
    pub id_token: Option<String>,
    /// What was granted.
    pub scope: String,
    /// The seat activated with the sign-in, with a fresh certificate (RFC 9396).
    pub authorization_details: Option<serde_json::Value>,
}

impl std::fmt::Debug for IssuedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedTokens").field("scope", &self.scope).finish_non_exhaustive()
    }
}

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

/// Userinfo's answer: the standard claims the token's scope allows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UserInfo {
    /// The user id.
    pub sub: String,
    /// With scope `email`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// With scope `email`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// With scope `profile`, when the user gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The authorization server.
#[derive(Clone)]
pub struct OAuth {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    keys: Arc<SigningKeys>,
    licensing: Licensing,
    tokens: crate::tokens::Tokens,
    clients: Arc<Vec<Client>>,
    policies: Arc<PolicySet>,
    factors: Factors,
    eulas: Eulas,
    issuer: String,
}

impl std::fmt::Debug for OAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth").field("clients", &self.clients.len()).finish_non_exhaustive()
    }
}

/// Everything `OAuth` is built from.
pub struct OAuthConfig {
    /// Grants, codes and refresh tokens.
    pub store: Arc<dyn Store>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Signs access and ID tokens.
    pub keys: Arc<SigningKeys>,
    /// Activates the seats apps ask for.
    pub licensing: Licensing,
    /// Introspects access tokens for userinfo.
    pub tokens: crate::tokens::Tokens,
    /// The apps, from the settings file.
    pub clients: Arc<Vec<Client>>,
    /// What each product's licenses require.
    pub policies: Arc<PolicySet>,
    /// Sign-in requirements.
    pub factors: Factors,
    /// EULA requirements.
    pub eulas: Eulas,
    /// `iss`: the public URL.
    pub issuer: String,
}

impl OAuth {
    /// The service, from its parts.
    pub fn new(config: OAuthConfig) -> Self {
        let OAuthConfig { store, clock, keys, licensing, tokens, clients, policies, factors, eulas, issuer } = config;
        Self { store, clock, keys, licensing, tokens, clients, policies, factors, eulas, issuer }
    }

    /// `iss` of our tokens and discovery documents.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    fn client(&self, id: &str) -> Option<&Client> {
        self.clients.iter().find(|client| client.id == id)
    }

    /// Checks an authorization request in the order RFC 6749 §4.1.2.1 asks:
    /// the client and redirect URI first (a failure there is never sent to
    /// the redirect URI), then everything else (sent back to the app).
    pub fn check(&self, params: &AuthorizeParams) -> Result<Authorization, AuthorizeRefusal> {
        let client =
            params.client_id.as_deref().and_then(|id| self.client(id)).ok_or(AuthorizeRefusal::UnknownClient)?;
        let redirect_uri = params
            .redirect_uri
            .as_deref()
            .filter(|presented| client.redirect_uri(presented).is_some())
            .ok_or(AuthorizeRefusal::RedirectUri)?;
        let refuse = |problem: Problem| AuthorizeRefusal::ToClient {
            location: self.error_location(redirect_uri, params.state.as_deref(), problem),
            problem,
        };
        if params.response_type.as_deref() != Some("code") {
            return Err(refuse(Problem::ResponseType));
        }
        if !client.allows(Grant::AuthorizationCode) {
            return Err(refuse(Problem::GrantNotAllowed));
        }
        let scope = Scope::parse(params.scope.as_deref()).map_err(|_| refuse(Problem::Scope))?;
        let challenge = CodeChallenge::parse(params.code_challenge.as_deref(), params.code_challenge_method.as_deref())
            .map_err(|_| refuse(Problem::Pkce))?;
        let seat =
            seat_asked(params.authorization_details.as_deref()).map_err(|_| refuse(Problem::AuthorizationDetails))?;
        Ok(Authorization {
            client: client.clone(),
            redirect_uri: redirect_uri.to_owned(),
            scope,
            state: params.state.clone(),
            nonce: params.nonce.clone(),
            seat,
            challenge,
        })
    }

    /// Fails with what the user must do first for the app's product: the
    /// second factor or passkey its policies require of this session, and
    /// its current EULA. Checked over the licenses the user holds for the
    /// product, like tokens for integrations; a user with none may still
    /// sign in (the app learns there is no license).
    pub async fn check_requirements(&self, caller: &Authenticated, client: &Client) -> OAuthResult<()> {
        let now = self.clock.now();
        for license in self.store.licenses_of_holder(&caller.user.id).await? {
            let Some(policy) = self.policies.get(&license.policy) else { continue };
            if license.product != client.product || license.unusable(policy.expiration, now).is_some() {
                continue;
            }
            self.factors.require_sign_in(caller, policy.sign_in).await?;
            if policy.eula_required {
                self.eulas.require_accepted(&caller.user.id, &license.product).await?;
            }
        }
        Ok(())
    }

    /// The user approved: stores the grant and its code, and returns where
    /// to send the browser (the app's redirect URI, with the code).
    #[tracing::instrument(skip_all, fields(client = %authorization.client.id))]
    pub async fn approve(
        &self,
        caller: &Authenticated,
        authorization: &Authorization,
        from: &ClientInfo,
    ) -> OAuthResult<String> {
        self.check_requirements(caller, &authorization.client).await?;
        let seat = self.activate(caller, &authorization.client, authorization.seat.as_ref(), from).await?;
        let now = self.clock.now();
        let code = issue_token(TokenKind::AuthorizationCode);
        let grant = NewGrant {
            id: new_id(),
            client_id: authorization.client.id.clone(),
            user_id: caller.user.id.clone(),
            scope: authorization.scope.to_string(),
            auth_time: caller.session.auth_time,
            amr: caller.session.amr.clone(),
            created_at: now,
            expires_at: now + GRANT_LIFETIME,
            seat,
        };
        let stored = NewCode {
            code_hash: code.hash.clone(),
            redirect_uri: authorization.redirect_uri.clone(),
            code_challenge: authorization.challenge.as_str().to_owned(),
            nonce: authorization.nonce.clone(),
            expires_at: now + CODE_LIFETIME,
        };
        self.store.create_grant(&grant, &stored).await?;
        let detail =
            serde_json::json!({ "client_id": authorization.client.id, "client_name": authorization.client.name });
        let event = NewEvent::new(&caller.user.id, EventKind::AppSignedIn, detail, from, now);
        crate::store::record_best_effort(self.store.as_ref(), &event).await;
        let mut pairs = vec![("code", code.secret.expose_secret())];
        if let Some(state) = authorization.state.as_deref() {
            pairs.push(("state", state));
        }
        pairs.push(("iss", self.issuer.as_str()));
        Ok(with_query(&authorization.redirect_uri, &pairs))
    }

    /// Where the seat the app asks for would go, for the approval page:
    /// `None` when the user holds no usable license of the app's product.
    pub async fn seat_offer(
        &self,
        caller: &Authenticated,
        client: &Client,
        seat: &SeatAsked,
    ) -> OAuthResult<Option<SeatOffer>> {
        Ok(self.licensing.seat_offer(caller, &client.product, &seat.fingerprint).await?)
    }

    /// Takes the seat asked for, exactly as `POST /v1/activations` does (the
    /// same seat race, the same events and mail): activating the same
    /// machine again reuses its seat, so an approval retried after a failure
    /// holds one seat, not two.
    async fn activate(
        &self,
        caller: &Authenticated,
        client: &Client,
        seat: Option<&SeatAsked>,
        from: &ClientInfo,
    ) -> OAuthResult<Option<SeatGranted>> {
        let Some(asked) = seat else { return Ok(None) };
        let offer = self.seat_offer(caller, client, asked).await?.ok_or(LicenseError::NotFound)?;
        let device = crate::licensing::DeviceRequest {
            license_id: offer.license.id.clone(),
            fingerprint: asked.fingerprint.clone(),
            name: asked.name.clone(),
            platform: asked.platform.clone(),
        };
        let granted = self.licensing.activate(caller, device, from).await?;
        Ok(Some(SeatGranted {
            asked: asked.clone(),
            license_id: granted.license.id.to_string(),
            activation_id: granted.activation.id.to_string(),
        }))
    }

    /// The user declined: where to send the browser.
    pub fn decline(&self, authorization: &Authorization) -> String {
        self.error_location(&authorization.redirect_uri, authorization.state.as_deref(), Problem::Declined)
    }

    fn error_location(&self, redirect_uri: &str, state: Option<&str>, problem: Problem) -> String {
        let mut pairs = vec![("error", problem.code().as_str())];
        if let Some(state) = state {
            pairs.push(("state", state));
        }
        pairs.push(("iss", self.issuer.as_str()));
        with_query(redirect_uri, &pairs)
    }

    /// The token endpoint: a code or a refresh token for fresh tokens.
    #[tracing::instrument(skip_all)]
    pub async fn token(
        &self,
        credentials: &ClientCredentials,
        params: &TokenParams,
        from: &ClientInfo,
    ) -> OAuthResult<IssuedTokens> {
        let client = self.authenticate(credentials).await?;
        match params.grant_type.as_deref() {
            Some("authorization_code") => self.exchange_code(client, params).await,
            Some("refresh_token") => self.refresh(client, params, from).await,
            Some(DEVICE_CODE_GRANT) => self.collect_device(client, params).await,
            Some(_) => Err(Problem::GrantType.into()),
            None => Err(Problem::Missing("grant_type").into()),
        }
    }

    /// The client the credentials name; a confidential one must prove its
    /// secret, a public one must not pretend to have one.
    async fn authenticate(&self, credentials: &ClientCredentials) -> OAuthResult<&Client> {
        let id = credentials.id.as_deref().ok_or(Problem::Missing("client_id"))?;
        let client = self.client(id).ok_or(Problem::Client)?;
        match (client.kind, &credentials.secret) {
            (ClientKind::Public, None) => Ok(client),
            (ClientKind::Public, Some(_)) => Err(Problem::Client.into()),
            (ClientKind::Confidential, None) => Err(Problem::Client.into()),
            (ClientKind::Confidential, Some(presented)) => {
                let expected = self.client_secret(client).await?;
                if constant_time_eq(expected.expose_secret().as_bytes(), presented.expose_secret().as_bytes()) {
                    Ok(client)
                } else {
                    Err(Problem::Client.into())
                }
            }
        }
    }

    async fn client_secret(&self, client: &Client) -> OAuthResult<SecretString> {
        let path = client.secret_file.as_ref().ok_or(Problem::Client)?;
        // Read at each use, so replacing the file rotates the secret without a restart.
        let text = tokio::fs::read_to_string(path)
            .await
            .map_err(|e| StoreError::Corrupt(format!("client {}: cannot read {}: {e}", client.id, path.display())))?;
        let secret = text.trim_end_matches(['\n', '\r']);
        if secret.len() < 16 {
            return Err(
                StoreError::Corrupt(format!("client {}: secret_file holds under 16 characters", client.id)).into()
            );
        }
        Ok(SecretString::from(secret.to_owned()))
    }

    async fn exchange_code(&self, client: &Client, params: &TokenParams) -> OAuthResult<IssuedTokens> {
        if !client.allows(Grant::AuthorizationCode) {
            return Err(Problem::GrantNotAllowed.into());
        }
        let code = params.code.as_deref().ok_or(Problem::Missing("code"))?;
        let redirect_uri = params.redirect_uri.as_deref().ok_or(Problem::Missing("redirect_uri"))?;
        let verifier = params.code_verifier.as_deref().ok_or(Problem::Missing("code_verifier"))?;
        let now = self.clock.now();
        let taken = match self.store.take_code(&hash_token(code), &client.id, now).await? {
            CodeUse::Taken(taken) => taken,
            CodeUse::Unknown => return Err(Problem::Code.into()),
            CodeUse::Replayed(grant) => {
                tracing::warn!(client = %client.id, grant = %grant.id, "an authorization code was presented twice; its grant is revoked");
                return Err(Problem::CodeReplayed.into());
            }
        };
        let problem = if taken.redirect_uri != redirect_uri {
            Some(Problem::RedirectUri)
        } else if !CodeChallenge::parse(Some(&taken.code_challenge), Some("S256"))
            .is_ok_and(|challenge| challenge.verifies(verifier))
        {
            Some(Problem::Verifier)
        } else {
            None
        };
        if let Some(problem) = problem {
            // The code is spent either way; nothing may come of its grant.
            self.store.end_grant(&taken.grant.id, GrantEnd::FailedExchange, now).await?;
            return Err(problem.into());
        }
        let refresh_token = if client.allows(Grant::RefreshToken) {
            let token = issue_token(TokenKind::RefreshToken);
            self.store.add_refresh_token(&taken.grant.id, &token.hash, now).await?;
            Some(token.secret)
        } else {
            None
        };
        self.issue(client, &taken.grant, taken.nonce, refresh_token, now).await
    }

    async fn refresh(&self, client: &Client, params: &TokenParams, from: &ClientInfo) -> OAuthResult<IssuedTokens> {
        if !client.allows(Grant::RefreshToken) {
            return Err(Problem::GrantNotAllowed.into());
        }
        let presented = params.refresh_token.as_ref().ok_or(Problem::Missing("refresh_token"))?;
        if let Some(asked) = params.scope.as_deref() {
            Scope::parse(Some(asked)).map_err(|_| Problem::Scope)?;
        }
        let now = self.clock.now();
        let next = issue_token(TokenKind::RefreshToken);
        let detail = serde_json::json!({ "client_id": client.id, "client_name": client.name });
        // The store puts it on the timeline of the grant's user.
        let replayed =
            NewEvent::new(&UserId::from_stored(String::new()), EventKind::AppTokenReplayed, detail, from, now);
        let hash = hash_token(presented.expose_secret());
        let grant = match self.store.rotate_refresh_token(&hash, &client.id, &next.hash, now, &replayed).await? {
            RefreshUse::Rotated(grant) => grant,
            RefreshUse::Unknown => return Err(Problem::RefreshToken.into()),
            RefreshUse::Replayed(grant) => {
                tracing::warn!(client = %client.id, grant = %grant.id, "a spent refresh token was presented; its grant is revoked");
                return Err(Problem::RefreshReplayed.into());
            }
        };
        // A narrower scope may be asked for; anything beyond the grant is refused.
        if let Some(asked) = params.scope.as_deref() {
            let granted = Scope::parse(Some(&grant.scope)).map_err(|_| StoreError::Corrupt("grant scope".into()))?;
            if Scope::parse(Some(asked)).map_err(|_| Problem::Scope)?.iter().any(|s| !granted.has(s)) {
                return Err(Problem::Scope.into());
            }
        }
        match self.issue(client, &grant, None, Some(next.secret), now).await {
            // The new refresh token is never handed out; ending the grant
            // keeps the app's retry with the old one from reading as a theft.
            Err(OAuthError::License(error)) => {
                self.store.end_grant(&grant.id, GrantEnd::SeatLost, now).await?;
                Err(error.into())
            }
            issued => issued,
        }
    }

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
        approve: bool,
        from: &ClientInfo,
    ) -> OAuthResult<DeviceApproval> {
        let approval = self.device_request(caller, typed, from).await?;
        let now = self.clock.now();
        let code = UserCode::parse(typed).ok_or(Problem::UserCode)?;
        let seat = if approve {
            self.check_requirements(caller, &approval.client).await?;
            self.activate(caller, &approval.client, approval.seat.as_ref(), from).await?
        } else {
            None
        };
        let grant = NewGrant {
            id: new_id(),
            client_id: approval.client.id.clone(),
            user_id: caller.user.id.clone(),
            scope: approval.scope.to_string(),
            auth_time: caller.session.auth_time,
            amr: caller.session.amr.clone(),
            created_at: now,
            expires_at: now + GRANT_LIFETIME,
            seat,
        };
        let decision = if approve { DeviceDecision::Approve(&grant) } else { DeviceDecision::Deny };
        if !self.store.decide_device_request(&code.hash(), decision, now).await? {
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
    async fn collect_device(&self, client: &Client, params: &TokenParams) -> OAuthResult<IssuedTokens> {
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
        let refresh_token = if client.allows(Grant::RefreshToken) {
            let token = issue_token(TokenKind::RefreshToken);
            self.store.add_refresh_token(&grant.id, &token.hash, now).await?;
            Some(token.secret)
        } else {
            None
        };
        self.issue(client, &grant, None, refresh_token, now).await
    }

    /// Access token, ID token (with `openid`), and the refresh token made by the caller.
    async fn issue(
        &self,
        client: &Client,
        grant: &GrantRecord,
        nonce: Option<String>,
        refresh_token: Option<SecretString>,
        now: OffsetDateTime,
    ) -> OAuthResult<IssuedTokens> {
        let user = self.store.user(&grant.user_id).await?.ok_or(Problem::RefreshToken)?;
        let scope = Scope::parse(Some(&grant.scope)).map_err(|_| StoreError::Corrupt("grant scope".into()))?;
        let (licenses, eula) =
            if scope.has("license") { self.licenses(&user, client, now).await? } else { (Vec::new(), BTreeMap::new()) };
        let acr = Acr::of(&grant.amr).as_str().to_owned();
        let access = AccessClaims {
            iss: self.issuer.clone(),
            sub: user.id.to_string(),
            aud: client.id.clone(),
            exp: (now + ACCESS_TOKEN_LIFETIME).unix_timestamp(),
            iat: now.unix_timestamp(),
            jti: new_id(),
            sid: grant.id.clone(),
            client_id: client.id.clone(),
            scope: Some(scope.to_string()),
            auth_time: grant.auth_time.unix_timestamp(),
            amr: grant.amr.clone(),
            acr: acr.clone(),
            email: user.email.clone(),
            email_verified: user.email_verified(),
            name: user.name.clone(),
            licenses,
            eula,
        };
        let access_token = self.keys.sign_jwt(ACCESS_TOKEN_TYP, &access).await?;
        let authorization_details = match &grant.seat {
            Some(seat) => Some(self.seat_details(&user, seat).await?),
            None => None,
        };
        let id_token = if scope.has("openid") {
            let email = scope.has("email");
            let claims = IdClaims {
                iss: self.issuer.clone(),
                sub: user.id.to_string(),
                aud: client.id.clone(),
                exp: (now + ID_TOKEN_LIFETIME).unix_timestamp(),
                iat: now.unix_timestamp(),
                auth_time: grant.auth_time.unix_timestamp(),
                nonce,
                amr: grant.amr.clone(),
                acr,
                azp: client.id.clone(),
                sid: grant.id.clone(),
                email: email.then(|| user.email.clone()),
                email_verified: email.then(|| user.email_verified()),
                name: if scope.has("profile") { user.name.clone() } else { None },
            };
            Some(self.keys.sign_jwt(ID_TOKEN_TYP, &claims).await?)
        } else {
            None
        };
        Ok(IssuedTokens {
            access_token,
            expires_in: ACCESS_TOKEN_LIFETIME.whole_seconds(),
            refresh_token,
            id_token,
            scope: scope.to_string(),
            authorization_details,
        })
    }

    /// The granted seat as the token response carries it (RFC 9396), with a
    /// fresh certificate; a floating seat's lease is renewed by asking.
    async fn seat_details(&self, user: &User, seat: &SeatGranted) -> OAuthResult<serde_json::Value> {
        let activation_id = ActivationId::parse(&seat.activation_id)
            .ok_or_else(|| StoreError::Corrupt(format!("grant seat activation {}", seat.activation_id)))?;
        let granted = self.licensing.refresh_seat(user, &activation_id).await?;
        let mut detail = serde_json::to_value(seat).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if let Some(fields) = detail.as_object_mut() {
            fields.insert("type".into(), LICENSE_ACTIVATION.into());
            fields.insert("certificate".into(), granted.certificate.into());
            let lease = granted.activation.lease_expires_at.map(|at| at.unix_timestamp());
            fields.insert("lease_expires_at".into(), lease.into());
        }
        Ok(serde_json::Value::Array(vec![detail]))
    }

    /// The user's usable licenses for the client's product, with the EULA
    /// version accepted for it.
    async fn licenses(
        &self,
        user: &User,
        client: &Client,
        now: OffsetDateTime,
    ) -> OAuthResult<(Vec<LicenseClaim>, BTreeMap<String, String>)> {
        let mut licenses = Vec::new();
        for license in self.store.licenses_of_holder(&user.id).await? {
            let Some(policy) = self.policies.get(&license.policy) else { continue };
            if license.product == client.product && license.unusable(policy.expiration, now).is_none() {
                licenses.push(LicenseClaim::from(&license));
            }
        }
        let mut eula = BTreeMap::new();
        if !licenses.is_empty()
            && let Ok(Some(version)) = self.eulas.require_accepted(&user.id, &client.product).await
        {
            eula.insert(client.product.clone(), version);
        }
        licenses.truncate(crate::tokens::MAX_LICENSES_IN_TOKEN);
        Ok((licenses, eula))
    }

    /// OpenID Connect userinfo: the claims a live access token's scope
    /// allows, or `None` when the token is not one of ours, not live, or
    /// was not granted `openid`.
    #[tracing::instrument(skip_all)]
    pub async fn userinfo(&self, access_token: &str) -> OAuthResult<Option<UserInfo>> {
        let claims = match self.tokens.introspect(access_token).await {
            Ok(crate::tokens::Introspection::Active(claims)) => claims,
            Ok(crate::tokens::Introspection::Inactive) => return Ok(None),
            Err(crate::tokens::TokenError::Store(error)) => return Err(error.into()),
            Err(crate::tokens::TokenError::Keys(error)) => return Err(error.into()),
            Err(_) => return Ok(None),
        };
        let Some(scope) = claims.scope.as_deref().and_then(|scope| Scope::parse(Some(scope)).ok()) else {
            return Ok(None);
        };
        if !scope.has("openid") {
            return Ok(None);
        }
        // Read again: the address or name may have changed since the token was made.
        let Some(user) = self.store.user(&UserId::from_stored(claims.sub.clone())).await? else { return Ok(None) };
        let email = scope.has("email");
        Ok(Some(UserInfo {
            sub: user.id.to_string(),
            email: email.then(|| user.email.clone()),
            email_verified: email.then(|| user.email_verified()),
            name: if scope.has("profile") { user.name.clone() } else { None },
        }))
    }
}

/// `uri` with `pairs` added to its query. A registered redirect URI
/// always parses (it was checked at start); if one somehow did not, the
/// pairs go after a `?` so the browser still lands where the app listens.
fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(pairs);
            url.to_string()
        }
        Err(_) => {
            let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
            format!("{uri}?{query}")
        }
    }
}
