//! The token endpoint (codes, refresh tokens with rotation, and device
//! codes through `device`), the tokens it makes, and userinfo.

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};
use time::{Duration, OffsetDateTime};

use super::device::DEVICE_CODE_GRANT;
use super::dpop::{self, DpopRefusal, ProofTarget};
use super::error::{OAuthError, OAuthResult, Problem};
use super::service::OAuth;
use crate::domain::account::User;
use crate::domain::client::{Client, ClientKind, Grant, IdTokenAlg};
use crate::domain::event::{ClientInfo, EventKind, NewEvent};
use crate::domain::factors::Acr;
use crate::domain::ids::ActivationId;
use crate::domain::ids::{UserId, new_id};
use crate::domain::oauth::{CodeChallenge, LICENSE_ACTIVATION, Scope, SeatGranted};
use crate::secrets::{TokenKind, hash_token, issue_token};
use crate::store::{CodeUse, GrantEnd, GrantRecord, RefreshUse, StoreError};
use crate::tokens::formats::{ACCESS_TOKEN_TYP, AccessClaims, Confirmation, IdClaims, LicenseClaim};
use crate::tokens::{KeyLine, Revoker, TokenError};

/// How long an access token lives; the app refreshes after.
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::minutes(10);

/// How long an ID token may be presented to the app.
const ID_TOKEN_LIFETIME: Duration = Duration::minutes(10);

/// `typ` of ID tokens: plain JWTs, as OpenID Connect expects.
const ID_TOKEN_TYP: &str = "JWT";

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
    /// `DPoP` when the tokens are bound to the app's key, else `Bearer`.
    pub token_type: &'static str,
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

impl OAuth {
    /// The token endpoint: a code or a refresh token for fresh tokens. With
    /// a DPoP proof (the `DPoP` header), the tokens are bound to its key.
    #[tracing::instrument(skip_all)]
    pub async fn token(
        &self,
        credentials: &ClientCredentials,
        params: &TokenParams,
        dpop: Option<&str>,
        from: &ClientInfo,
    ) -> OAuthResult<IssuedTokens> {
        let client = self.authenticate(credentials).await?;
        let key = self.proven_key(dpop, "POST", "/oauth/token", None).await?;
        match params.grant_type.as_deref() {
            Some("authorization_code") => self.exchange_code(client, params, key).await,
            Some("refresh_token") => self.refresh(client, params, key, from).await,
            Some(DEVICE_CODE_GRANT) => self.collect_device(client, params, key).await,
            Some(_) => Err(Problem::GrantType.into()),
            None => Err(Problem::Missing("grant_type").into()),
        }
    }

    /// The client the credentials name; a confidential one must prove its
    /// secret, a public one must not pretend to have one.
    pub(super) async fn authenticate(&self, credentials: &ClientCredentials) -> OAuthResult<&Client> {
        let id = credentials.id.as_deref().ok_or(Problem::Missing("client_id"))?;
        let client = self.client(id).ok_or(Problem::Client)?;
        match (client.kind, &credentials.secret) {
            (ClientKind::Public, None) => Ok(client),
            (ClientKind::Public, Some(_)) => Err(Problem::Client.into()),
            (ClientKind::Confidential, None) => Err(Problem::Client.into()),
            (ClientKind::Confidential, Some(presented)) => {
                if self.secret_matches(client, presented).await? {
                    Ok(client)
                } else {
                    Err(Problem::Client.into())
                }
            }
        }
    }

    async fn exchange_code(
        &self,
        client: &Client,
        params: &TokenParams,
        dpop_key: Option<String>,
    ) -> OAuthResult<IssuedTokens> {
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
        } else if taken.dpop_jkt.as_ref().is_some_and(|bound| dpop_key.as_ref() != Some(bound)) {
            // RFC 9449 §10: the app named its key when it opened the sign-in.
            Some(Problem::Dpop(DpopRefusal::WrongKey))
        } else {
            None
        };
        if let Some(problem) = problem {
            // The code is spent either way; nothing may come of its grant.
            self.store.end_grant(&taken.grant.id, GrantEnd::FailedExchange, now).await?;
            return Err(problem.into());
        }
        self.first_tokens(client, &taken.grant, taken.nonce, dpop_key, now).await
    }

    /// The first tokens of a grant. A public client that proved a DPoP key
    /// has its refresh tokens bound to it; a confidential client's are
    /// bound to its secret already (RFC 9449 §5).
    pub(super) async fn first_tokens(
        &self,
        client: &Client,
        grant: &GrantRecord,
        nonce: Option<String>,
        dpop_key: Option<String>,
        now: OffsetDateTime,
    ) -> OAuthResult<IssuedTokens> {
        let refresh_token = if client.allows(Grant::RefreshToken) {
            let token = issue_token(TokenKind::RefreshToken);
            let bind_to = dpop_key.as_deref().filter(|_| client.kind == ClientKind::Public);
            self.store.add_refresh_token(&grant.id, &token.hash, bind_to, now).await?;
            Some(token.secret)
        } else {
            None
        };
        self.issue(client, grant, nonce, refresh_token, dpop_key, now).await
    }

    async fn refresh(
        &self,
        client: &Client,
        params: &TokenParams,
        dpop_key: Option<String>,
        from: &ClientInfo,
    ) -> OAuthResult<IssuedTokens> {
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
        // A public client's sign-in made before its app sent proofs is bound
        // by the first refresh that brings one (RFC 9449 §5).
        let bind = client.kind == ClientKind::Public;
        let rotated = self
            .store
            .rotate_refresh_token(&hash, &client.id, &next.hash, dpop_key.as_deref(), bind, now, &replayed)
            .await?;
        let grant = match rotated {
            RefreshUse::Rotated(grant) => grant,
            RefreshUse::Unknown => return Err(Problem::RefreshToken.into()),
            RefreshUse::WrongKey => return Err(Problem::Dpop(DpopRefusal::WrongKey).into()),
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
        match self.issue(client, &grant, None, Some(next.secret), dpop_key, now).await {
            // The new refresh token is never handed out; ending the grant
            // keeps the app's retry with the old one from reading as a theft.
            Err(OAuthError::License(error)) => {
                self.store.end_grant(&grant.id, GrantEnd::SeatLost, now).await?;
                Err(error.into())
            }
            issued => issued,
        }
    }

    /// Access token (bound to `dpop_key` if any), ID token (with `openid`),
    /// and the refresh token made by the caller.
    async fn issue(
        &self,
        client: &Client,
        grant: &GrantRecord,
        nonce: Option<String>,
        refresh_token: Option<SecretString>,
        dpop_key: Option<String>,
        now: OffsetDateTime,
    ) -> OAuthResult<IssuedTokens> {
        let user = self.store.user(&grant.user_id).await?.ok_or(Problem::RefreshToken)?;
        let scope = Scope::parse(Some(&grant.scope)).map_err(|_| StoreError::Corrupt("grant scope".into()))?;
        let (licenses, eula) =
            if scope.has("license") { self.licenses(&user, client).await? } else { (Vec::new(), BTreeMap::new()) };
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
            cnf: dpop_key.map(|jkt| Confirmation { jkt }),
        };
        let token_type = if access.cnf.is_some() { "DPoP" } else { "Bearer" };
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
            let line = match client.id_token_alg {
                IdTokenAlg::RS256 => KeyLine::Rsa,
                IdTokenAlg::ES256 | IdTokenAlg::EdDSA => KeyLine::Main,
            };
            Some(self.keys.sign_jwt_with(line, ID_TOKEN_TYP, &claims).await?)
        } else {
            None
        };
        Ok(IssuedTokens {
            access_token,
            token_type,
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
    ) -> OAuthResult<(Vec<LicenseClaim>, BTreeMap<String, String>)> {
        let usable = self.usable_licenses(&user.id, &client.product).await?;
        let mut licenses: Vec<LicenseClaim> = usable.iter().map(|(license, _)| LicenseClaim::from(license)).collect();
        let mut eula = BTreeMap::new();
        if !licenses.is_empty()
            && let Ok(Some(version)) = self.eulas.require_accepted(&user.id, &client.product).await
        {
            eula.insert(client.product.clone(), version);
        }
        licenses.truncate(crate::tokens::MAX_LICENSES_IN_TOKEN);
        Ok((licenses, eula))
    }

    /// RFC 7009 for apps: the app signs its user out. A refresh token ends
    /// its whole grant (every token of it, on every instance); an access
    /// token goes on the revocation list. Only the client's own tokens are
    /// touched, and anything else is quietly left alone, as the RFC asks.
    #[tracing::instrument(skip_all)]
    pub async fn revoke(&self, credentials: &ClientCredentials, token: &str) -> OAuthResult<()> {
        let client = self.authenticate(credentials).await?;
        if token.starts_with(TokenKind::RefreshToken.prefix()) {
            self.store.end_grant_of_refresh_token(&hash_token(token), &client.id, self.clock.now()).await?;
            return Ok(());
        }
        match self.tokens.revoke(token, Revoker::Client(&client.id)).await {
            Ok(()) => Ok(()),
            Err(TokenError::Store(error)) => Err(error.into()),
            Err(TokenError::Keys(error)) => Err(error.into()),
            Err(other) => Err(StoreError::Corrupt(other.to_string()).into()),
        }
    }

    /// The key a DPoP proof for `method` at `endpoint` was made with, once:
    /// `None` without a proof. At a resource, the proof must name the
    /// presented `access_token`.
    async fn proven_key(
        &self,
        proof: Option<&str>,
        method: &str,
        endpoint: &str,
        access_token: Option<&str>,
    ) -> OAuthResult<Option<String>> {
        let Some(proof) = proof else { return Ok(None) };
        let now = self.clock.now();
        let url = format!("{}{endpoint}", self.issuer);
        let proven =
            dpop::verify(proof, &ProofTarget { method, url: &url, access_token }, now).map_err(Problem::Dpop)?;
        if !self.store.remember_dpop_proof(&proven.replay_key, proven.remember_until).await? {
            return Err(Problem::Dpop(DpopRefusal::Replayed).into());
        }
        Ok(Some(proven.jkt))
    }

    /// OpenID Connect userinfo: the claims a live access token's scope
    /// allows, or `None` when the token is not one of ours, not live, or
    /// was not granted `openid`. A token bound to a DPoP key must come as
    /// `DPoP` with a proof made with that key for this request; an unbound
    /// one as `Bearer`.
    #[tracing::instrument(skip_all)]
    pub async fn userinfo(&self, presented: &PresentedToken<'_>) -> OAuthResult<Option<UserInfo>> {
        let claims = match self.tokens.introspect(presented.token).await {
            Ok(crate::tokens::Introspection::Active(claims)) => claims,
            Ok(crate::tokens::Introspection::Inactive) => return Ok(None),
            Err(crate::tokens::TokenError::Store(error)) => return Err(error.into()),
            Err(crate::tokens::TokenError::Keys(error)) => return Err(error.into()),
            Err(_) => return Ok(None),
        };
        match (&claims.cnf, presented.dpop) {
            (None, None) if !presented.as_dpop => {}
            (Some(bound), Some(proof)) if presented.as_dpop => {
                let key =
                    self.proven_key(Some(proof), presented.method, "/oauth/userinfo", Some(presented.token)).await?;
                if key.as_deref() != Some(bound.jkt.as_str()) {
                    return Err(Problem::Dpop(DpopRefusal::WrongKey).into());
                }
            }
            (Some(_), _) => return Err(Problem::Dpop(DpopRefusal::WrongKey).into()),
            (None, _) => return Ok(None),
        }
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

/// An access token as a resource request brought it.
#[derive(Clone, Copy)]
pub struct PresentedToken<'a> {
    /// The token.
    pub token: &'a str,
    /// Whether it came as `Authorization: DPoP`, not `Bearer`.
    pub as_dpop: bool,
    /// The `DPoP` header's proof.
    pub dpop: Option<&'a str>,
    /// The request's method, which the proof must name.
    pub method: &'a str,
}

impl std::fmt::Debug for PresentedToken<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PresentedToken").field("as_dpop", &self.as_dpop).finish_non_exhaustive()
    }
}
