//! The browser's part: checking an authorization request, and answering
//! it with a code (approved) or an error (declined), at the app's
//! redirect URI (RFC 6749 §4.1, RFC 7636, RFC 9207).

use secrecy::ExposeSecret;
use time::Duration;

use super::error::{OAuthResult, Problem};
use super::service::{GRANT_LIFETIME, OAuth};
use crate::domain::account::Authenticated;
use crate::domain::client::{Client, Grant};
use crate::domain::event::{ClientInfo, EventKind, NewEvent};
use crate::domain::ids::{LicenseId, new_id};
use crate::domain::oauth::{CodeChallenge, Scope, SeatAsked, seat_asked};
use crate::secrets::{TokenKind, issue_token};
use crate::store::{GrantVia, NewCode, NewGrant};

/// How long a code may wait for its exchange (RFC 6749 recommends at most 10 minutes; apps need seconds).
pub const CODE_LIFETIME: Duration = Duration::seconds(60);

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
    /// RFC 9449 §10: the thumbprint of the DPoP key the code will be exchanged with.
    pub dpop_jkt: Option<String>,
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
    dpop_jkt: Option<String>,
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
    },
}

impl OAuth {
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
        // A SHA-256 thumbprint, base64url: 43 characters of that alphabet.
        let dpop_jkt = params.dpop_jkt.clone();
        let is_thumbprint =
            |jkt: &String| jkt.len() == 43 && jkt.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if dpop_jkt.as_ref().is_some_and(|jkt| !is_thumbprint(jkt)) {
            return Err(refuse(Problem::Malformed("dpop_jkt")));
        }
        Ok(Authorization {
            client: client.clone(),
            redirect_uri: redirect_uri.to_owned(),
            scope,
            state: params.state.clone(),
            nonce: params.nonce.clone(),
            seat,
            challenge,
            dpop_jkt,
        })
    }

    /// The user approved: stores the grant and its code, and returns where
    /// to send the browser (the app's redirect URI, with the code). A seat
    /// the app asked for goes on the license the user `chose`, if they had
    /// a choice (see [`crate::licensing::SeatOffer::pick`]).
    #[tracing::instrument(skip_all, fields(client = %authorization.client.id))]
    pub async fn approve(
        &self,
        caller: &Authenticated,
        authorization: &Authorization,
        chose: Option<&LicenseId>,
        from: &ClientInfo,
    ) -> OAuthResult<String> {
        self.check_requirements(caller, &authorization.client).await?;
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
            seat: None,
        };
        let stored = NewCode {
            code_hash: code.hash.clone(),
            redirect_uri: authorization.redirect_uri.clone(),
            code_challenge: authorization.challenge.as_str().to_owned(),
            nonce: authorization.nonce.clone(),
            expires_at: now + CODE_LIFETIME,
            dpop_jkt: authorization.dpop_jkt.clone(),
        };
        let client = &authorization.client;
        let seat = authorization.seat.as_ref();
        if !self.write_grant(caller, client, grant, seat, chose, GrantVia::Code(stored), from).await? {
            // A code cannot be "decided elsewhere"; should the store ever say so, no code goes out.
            return Err(Problem::Code.into());
        }
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
