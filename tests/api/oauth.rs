//! Apps signing their users in: OAuth 2.0 with PKCE and OpenID Connect,
//! driven by an independent relying party (the `openidconnect` crate) for
//! discovery, the code exchange, ID token checks, userinfo and refresh; the
//! browser's part is played with the pages' own forms and cookies, and the
//! app's loopback redirect is a real listener.

use std::str::FromStr;
use std::sync::Arc;

use latchkey::clock::ManualClock;
use latchkey::domain::client::{Client, RawClient};
use openidconnect::core::{
    CoreClient, CoreIdTokenVerifier, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType,
    CoreUserInfoClaims,
};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, Scope,
    TokenResponse,
};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION};
use serde_json::{Value, json};
use time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::helpers::{Backend, TestApp, TestDb, admin_cli, pyjwt};
use crate::on_both_backends;

on_both_backends!(
    an_app_signs_its_user_in_and_refreshes,
    a_replayed_refresh_token_ends_the_whole_sign_in,
    links_we_cannot_trust_get_a_page_never_a_redirect,
    the_token_endpoint_refuses_what_it_must,
    the_vendors_own_app_skips_approval_where_its_return_address_proves_it,
    a_device_signs_in_with_a_code_typed_on_another_screen,
    device_codes_are_denied_expire_and_cannot_be_guessed,
    an_app_signs_in_and_activates_its_machine_in_one_step,
    a_user_with_two_licenses_chooses_which_one_the_machine_uses,
    with_every_license_full_each_shows_the_devices_holding_it,
    the_reference_desktop_client_signs_in_activates_and_refreshes,
    dpop_binds_an_apps_tokens_to_the_key_on_its_machine,
    the_user_sees_and_signs_out_the_apps_on_their_account,
    a_confidential_clients_secret_is_set_with_the_cli,
);

/// The reference client of `cargo run --example desktop_sign_in`, run here
/// against a real instance: what vendors copy must work.
#[path = "../examples/desktop_sign_in.rs"]
#[allow(dead_code)]
mod desktop_sign_in;

const POLICIES: &[(&str, &str)] = &[
    (
        "desk.toml",
        "name = \"desk\"\nproduct = \"studio\"\nduration = \"30d\"\nmax_activations = 3\nbinding = \"node_locked\"\nentitlements = [\"export\"]\n",
    ),
    (
        "strict.toml",
        "name = \"strict\"\nproduct = \"vault\"\nmax_activations = 1\nbinding = \"node_locked\"\n[eula]\nrequired = true\n",
    ),
];

const SOLO: (&str, &str) = (
    "solo.toml",
    "name = \"solo\"\nproduct = \"notes\"\nmax_activations = 1\nbinding = \"node_locked\"\noffline_lease = \"7d\"\n\
     transfers_per_30d = 1\n",
);

/// A second license of the same product, for a user holding two.
const CREW: (&str, &str) =
    ("crew.toml", "name = \"crew\"\nproduct = \"notes\"\nmax_activations = 3\nbinding = \"node_locked\"\n");

const PORTAL_SECRET: &str = "portal-secret-of-thirty-two-chars";

/// A confidential client whose secret is set with the CLI.
const PORTAL_CLI: &str = "id = \"portal-cli\"\nname = \"Portal\"\nkind = \"confidential\"\n\
                          redirect_uris = [\"https://portal.example.com/callback\"]\n\
                          grants = [\"authorization_code\", \"refresh_token\"]\nproduct = \"studio\"\n";

fn client(text: &str) -> Client {
    toml::from_str::<RawClient>(text).unwrap().validate().unwrap()
}

/// An instance whose public URL is its own address, with the test
/// policies and these apps: `desktop` (a third-party public app with a
/// loopback redirect), `cli` (another public app), `studio-own` (the
/// vendor's own, on loopback: it still asks), `studio-web` (the vendor's
/// own on https: no approval page), `vault` (an app for a product whose
/// policy needs its EULA), `notes` (one-step activation, device flow) and
/// `portal` (a confidential server).
struct OAuthApp {
    app: TestApp,
    _dir: tempfile::TempDir,
}

/// `public_url`: another instance's, for instances behind one address.
async fn spawn_on(db: Arc<TestDb>, public_url: Option<&str>) -> OAuthApp {
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    std::fs::create_dir(&policies).unwrap();
    for (name, text) in POLICIES.iter().chain([&SOLO, &CREW]) {
        std::fs::write(policies.join(name), text).unwrap();
    }
    let secret = dir.path().join("portal.secret");
    std::fs::write(&secret, format!("{PORTAL_SECRET}\n")).unwrap();
    let loopback = "redirect_uris = [\"http://127.0.0.1/callback\"]\n";
    let clients = vec![
        client(&format!(
            "id = \"desktop\"\nname = \"Studio Desktop\"\nkind = \"public\"\n{loopback}\
             grants = [\"authorization_code\", \"refresh_token\"]\nproduct = \"studio\"\n"
        )),
        client(&format!(
            "id = \"cli\"\nname = \"Studio CLI\"\nkind = \"public\"\n{loopback}\
             grants = [\"authorization_code\"]\nproduct = \"studio\"\n"
        )),
        client(&format!(
            "id = \"studio-own\"\nname = \"Studio\"\nkind = \"public\"\n{loopback}\
             grants = [\"authorization_code\", \"refresh_token\"]\nproduct = \"studio\"\nfirst_party = true\n"
        )),
        client(
            "id = \"studio-web\"\nname = \"Studio\"\nkind = \"public\"\n\
             redirect_uris = [\"https://studio.example.com/callback\"]\n\
             grants = [\"authorization_code\"]\nproduct = \"studio\"\nfirst_party = true\n",
        ),
        client(&format!(
            "id = \"vault\"\nname = \"Vault\"\nkind = \"public\"\n{loopback}\
             grants = [\"authorization_code\"]\nproduct = \"vault\"\nfirst_party = true\n"
        )),
        client(&format!(
            "id = \"notes\"\nname = \"Notes\"\nkind = \"public\"\n{loopback}\
             grants = [\"authorization_code\", \"refresh_token\", \"device_code\"]\ndevice_flow = true\n\
             product = \"notes\"\n"
        )),
        client(
            "id = \"studio-cli\"\nname = \"Studio CLI\"\nkind = \"public\"\n\
             grants = [\"device_code\", \"refresh_token\"]\ndevice_flow = true\nproduct = \"studio\"\n\
             id_token_signed_response_alg = \"ES256\"\n",
        ),
        client(PORTAL_CLI),
        Client {
            secret_file: Some(secret),
            ..client(
                "id = \"portal\"\nname = \"Portal\"\nkind = \"confidential\"\n\
                 redirect_uris = [\"https://portal.example.com/callback\"]\n\
                 grants = [\"authorization_code\", \"refresh_token\"]\nproduct = \"studio\"\n",
            )
        },
    ];
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public = public_url.map_or_else(|| format!("http://{}", listener.local_addr().unwrap()), str::to_owned);
    let app = TestApp::spawn_listening(listener, db, Arc::new(ManualClock::starting_now()), move |s| {
        s.public_url = public.parse().unwrap();
        s.policies = policies;
        s.clients = clients;
    })
    .await;
    OAuthApp { app, _dir: dir }
}

async fn spawn(backend: Backend) -> OAuthApp {
    spawn_on(TestDb::new(backend).await, None).await
}

type Tokens = openidconnect::core::CoreTokenResponse;

type Rp = CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// The app's side: discovery, and a client for `client_id` returning to a
/// loopback listener of its own.
struct RelyingParty {
    rp: Rp,
    http: openidconnect::reqwest::Client,
    listener: TcpListener,
}

async fn relying_party(app: &TestApp, client_id: &str) -> RelyingParty {
    // Following redirects would hand the relying party our pages.
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(app.address.clone()).unwrap(), &http)
        .await
        .expect("discovery");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirect = format!("http://127.0.0.1:{}/callback", listener.local_addr().unwrap().port());
    let rp = CoreClient::from_provider_metadata(metadata, ClientId::new(client_id.into()), None)
        .set_redirect_uri(RedirectUrl::new(redirect).unwrap());
    RelyingParty { rp, http, listener }
}

/// One sign-in started by the app.
struct Started {
    url: url::Url,
    state: CsrfToken,
    nonce: Nonce,
    verifier: PkceCodeVerifier,
}

impl RelyingParty {
    fn start(&self, scopes: &[&str]) -> Started {
        self.start_with(scopes, &[])
    }

    /// A sign-in started with parameters of the app's own beside the standard ones.
    fn start_with(&self, scopes: &[&str], extra: &[(&str, &str)]) -> Started {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = self.rp.authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in scopes {
            request = request.add_scope(Scope::new((*scope).into()));
        }
        for (name, value) in extra {
            request = request.add_extra_param(*name, *value);
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Started { url, state, nonce, verifier }
    }

    /// What the browser brings to the loopback listener: the query of the
    /// request it makes, answered with a short page as a desktop app would.
    async fn receive(&self, browser: &Browser, location: &str) -> Vec<(String, String)> {
        let accept = async {
            let (mut stream, _) = self.listener.accept().await.unwrap();
            let mut buffer = vec![0u8; 8192];
            let read = stream.read(&mut buffer).await.unwrap();
            let request = String::from_utf8_lossy(&buffer[..read]).into_owned();
            let target = request.split_whitespace().nth(1).unwrap().to_owned();
            stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await.unwrap();
            target
        };
        let (target, response) = tokio::join!(accept, browser.client.get(location).send());
        assert_eq!(response.unwrap().status(), StatusCode::OK);
        let url = url::Url::parse(&format!("http://127.0.0.1{target}")).unwrap();
        assert_eq!(url.path(), "/callback");
        url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
    }

    /// The whole sign-in: started, approved in the browser, exchanged.
    async fn sign_in(&self, browser: &Browser, scopes: &[&str]) -> Tokens {
        let started = self.start(scopes);
        let back = browser.approve_any(&started).await;
        let code = param(&self.receive(browser, &back).await, "code").unwrap().to_owned();
        self.exchange(code, started.verifier).await
    }

    async fn exchange(&self, code: String, verifier: PkceCodeVerifier) -> Tokens {
        self.rp
            .exchange_code(AuthorizationCode::new(code))
            .unwrap()
            .set_pkce_verifier(verifier)
            .request_async(&self.http)
            .await
            .expect("the code is exchanged")
    }

    /// The relying party's defaults: RS256 only, as OpenID Connect has it.
    fn verifier(&self) -> CoreIdTokenVerifier<'_> {
        self.rp.id_token_verifier()
    }
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}

/// A browser: its cookie (the pages' browser id, and a session once signed
/// in) and its form token.
struct Browser {
    client: reqwest::Client,
    base: String,
    cookies: String,
    csrf: String,
}

async fn browser(app: &TestApp, session: Option<&str>) -> Browser {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client.get(app.url("/sign-in")).send().await.unwrap();
    let cookie = response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lk_browser="))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned();
    let html = response.text().await.unwrap();
    let csrf = between(&html, "name=\"csrf\" value=\"", "\"").unwrap().to_owned();
    let cookies = match session {
        Some(session) => format!("{cookie}; lk_session={session}"),
        None => cookie,
    };
    Browser { client, base: app.address.clone(), cookies, csrf }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    text[from..].split(end).next()
}

/// The page's way back to the app, HTML-unescaped.
fn continue_link(html: &str) -> String {
    let link = between(html, "<a class=\"button\" href=\"", "\" data-continue").expect("a way back to the app");
    link.replace("&amp;", "&")
}

impl Browser {
    async fn get(&self, url: &str) -> reqwest::Response {
        self.client.get(url).header(COOKIE, &self.cookies).send().await.unwrap()
    }

    /// Opens the app's authorization URL, approves on the page, and
    /// returns the address the page hands back to the app.
    async fn approve(&self, started: &Started) -> String {
        let page = self.get(started.url.as_str()).await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(html.contains("Studio Desktop"), "the page names the app: {html}");
        self.decide(started, "allow").await
    }

    async fn decide(&self, started: &Started, decision: &str) -> String {
        let response = self.decide_with(started, decision, &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        continue_link(&response.text().await.unwrap())
    }
}

impl Browser {
    /// Posts the approval form for `started` with the `decision` and any
    /// `more` fields the page offered (a license chosen for the seat).
    async fn decide_with(&self, started: &Started, decision: &str, more: &[(&str, &str)]) -> reqwest::Response {
        let mut form: Vec<(String, String)> =
            started.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        form.push(("csrf".into(), self.csrf.clone()));
        form.push(("decision".into(), decision.into()));
        form.extend(more.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let url = started.url.as_str().split('?').next().unwrap();
        self.client
            .post(url)
            .header(COOKIE, &self.cookies)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish())
            .send()
            .await
            .unwrap()
    }
}

/// A signed-in user with a browser: (email, session token, browser).
async fn user_with_browser(app: &TestApp) -> (String, String, Browser) {
    let (email, _, session) = app.signed_in_user().await;
    let browser = browser(app, Some(&session)).await;
    (email, session, browser)
}

async fn introspect(app: &TestApp, token: &str) -> Value {
    let support = app.support_key().await;
    let response = app
        .client
        .post(app.url("/v1/tokens/introspect"))
        .bearer_auth(support)
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn token_request(app: &TestApp, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = app.client.post(app.url("/oauth/token")).form(form).send().await.unwrap();
    let status = response.status();
    if status != StatusCode::OK {
        assert_eq!(response.headers().get(CONTENT_TYPE).unwrap(), "application/json");
        assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
    }
    (status, response.json().await.unwrap())
}

async fn an_app_signs_its_user_in_and_refreshes(backend: Backend) {
    let OAuthApp { app, _dir } = spawn(backend).await;
    let (email, session, browser) = user_with_browser(&app).await;
    let user_id = app.user_id(&session).await;
    let rp = relying_party(&app, "desktop").await;

    let started = rp.start(&["email", "profile", "license"]);
    let back = browser.approve(&started).await;
    let answer = rp.receive(&browser, &back).await;
    assert_eq!(param(&answer, "state"), Some(started.state.secret().as_str()));
    assert_eq!(param(&answer, "iss"), Some(app.address.as_str()), "RFC 9207: the redirect names its issuer");
    let code = param(&answer, "code").unwrap().to_owned();

    let tokens = rp.exchange(code.clone(), started.verifier).await;
    // RS256 by default, which a relying party accepts without being told.
    let claims =
        tokens.id_token().expect("an ID token").claims(&rp.verifier(), &started.nonce).expect("a valid ID token");
    assert_eq!(claims.subject().as_str(), user_id);
    assert_eq!(claims.email().map(|e| e.as_str()), Some(email.as_str()));
    assert_eq!(claims.auth_context_ref().map(|acr| acr.as_str()), Some("password"));
    assert!(claims.auth_time().is_some());
    let scopes: Vec<String> = tokens.scopes().unwrap().iter().map(|s| s.to_string()).collect();
    assert_eq!(scopes, ["openid", "email", "profile", "license"]);

    // The access token is an RFC 9068 JWT that PyJWT verifies against the JWKS...
    let access = tokens.access_token().secret().clone();
    let jwks: Value = app.get("/.well-known/jwks.json", None).await.json().await.unwrap();
    let algs: Vec<&str> = jwks["keys"].as_array().unwrap().iter().map(|k| k["alg"].as_str().unwrap()).collect();
    assert_eq!(algs.len(), 2, "one key of each line: {jwks}");
    assert!(algs.contains(&"RS256") && algs.contains(&"ES256"), "{jwks}");
    assert!(jwks["keys"].as_array().unwrap().iter().all(|k| k.get("d").is_none() && k.get("p").is_none()));
    let discovery: Value = app.get("/.well-known/openid-configuration", None).await.json().await.unwrap();
    assert_eq!(discovery["id_token_signing_alg_values_supported"], json!(["RS256", "ES256"]));
    assert_eq!(discovery["access_token_signing_alg_values_supported"], json!(["ES256"]));
    assert_eq!(discovery["dpop_signing_alg_values_supported"], json!(["ES256", "EdDSA", "RS256"]));
    assert_eq!(discovery["authorization_details_types_supported"], json!(["license_activation"]));
    let checked = pyjwt(&json!({"jwks": jwks, "tokens": [{"token": access, "audience": "desktop",
        "require": ["iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"]}]}));
    assert_eq!(checked["tokens"][0]["header"]["typ"], "at+jwt", "{checked}");
    assert_eq!(checked["tokens"][0]["claims"]["client_id"], "desktop");
    assert_eq!(checked["tokens"][0]["claims"]["scope"], "openid email profile license");
    // ...that introspection finds live, and userinfo accepts.
    let live = introspect(&app, &access).await;
    assert_eq!(live["active"], true, "{live}");
    let info: CoreUserInfoClaims = rp
        .rp
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&rp.http)
        .await
        .expect("userinfo answers");
    assert_eq!(info.subject().as_str(), user_id);
    assert_eq!(info.email().map(|e| e.as_str()), Some(email.as_str()));

    // Refreshing rotates: a new refresh token each time, and fresh tokens.
    let first_refresh = tokens.refresh_token().expect("a refresh token").clone();
    let refreshed =
        rp.rp.exchange_refresh_token(&first_refresh).unwrap().request_async(&rp.http).await.expect("refresh");
    let second_refresh = refreshed.refresh_token().expect("a new refresh token").clone();
    assert_ne!(first_refresh.secret(), second_refresh.secret());
    assert_ne!(refreshed.access_token().secret(), tokens.access_token().secret());
    let again = rp.rp.exchange_refresh_token(&second_refresh).unwrap().request_async(&rp.http).await;
    assert!(again.is_ok(), "the newest refresh token works: {again:?}");

    // The code was spent by its exchange.
    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", rp.rp.redirect_uri().unwrap().as_str()),
            ("client_id", "desktop"),
            ("code_verifier", &"a".repeat(43)),
        ],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
}

/// Instances sharing PostgreSQL behind one address: a code from one is
/// exchanged at another, and a refresh token spent at one is a replay at
/// every other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grants_hold_across_instances() {
    let db = TestDb::new(Backend::Postgres).await;
    let OAuthApp { app: first, _dir } = spawn_on(db.clone(), None).await;
    let OAuthApp { app: second, _dir: _second_dir } = spawn_on(db, Some(&first.address)).await;
    let (_, _, browser) = user_with_browser(&first).await;
    let rp = relying_party(&first, "desktop").await;
    let started = rp.start(&[]);
    let back = browser.approve(&started).await;
    let code = param(&rp.receive(&browser, &back).await, "code").unwrap().to_owned();
    let redirect = rp.rp.redirect_uri().unwrap().to_string();
    let (status, tokens) = token_request(
        &second,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect),
            ("code_verifier", started.verifier.secret()),
            ("client_id", "desktop"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let claims = openidconnect::core::CoreIdToken::from_str(tokens["id_token"].as_str().unwrap())
        .unwrap()
        .into_claims(&rp.verifier(), &started.nonce)
        .expect("the other instance's ID token verifies against the shared keys");
    assert_eq!(claims.issuer().as_str(), first.address);

    let spent = RefreshToken::new(tokens["refresh_token"].as_str().unwrap().into());
    let refreshed =
        rp.rp.exchange_refresh_token(&spent).unwrap().request_async(&rp.http).await.expect("refresh at the first");
    let (status, body) = token_request(
        &second,
        &[("grant_type", "refresh_token"), ("refresh_token", spent.secret()), ("client_id", "desktop")],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    let newest = refreshed.refresh_token().unwrap();
    assert!(rp.rp.exchange_refresh_token(newest).unwrap().request_async(&rp.http).await.is_err());
    assert_eq!(introspect(&first, refreshed.access_token().secret()).await["active"], false);

    // A DPoP proof spent at one instance is spent at every other.
    let proof = app_key().proof(&first, "POST", &first.url("/oauth/token"), None);
    let form = [("grant_type", "refresh_token"), ("refresh_token", "lk_ref_unknown"), ("client_id", "desktop")];
    let (status, body) = token_request_with_proof(&first, &proof, &form).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
    let (status, body) = token_request_with_proof(&second, &proof, &form).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_dpop_proof")), "{body}");
}

async fn a_replayed_refresh_token_ends_the_whole_sign_in(backend: Backend) {
    let OAuthApp { app, _dir } = spawn(backend).await;
    let (_, session, browser) = user_with_browser(&app).await;
    let rp = relying_party(&app, "desktop").await;
    let tokens = rp.sign_in(&browser, &[]).await;
    let stolen = tokens.refresh_token().unwrap().clone();
    let refreshed = rp.rp.exchange_refresh_token(&stolen).unwrap().request_async(&rp.http).await.unwrap();
    let newest = refreshed.refresh_token().unwrap().clone();

    // Someone presents the spent one: refused, and the whole sign-in ends...
    let refresh = |token: &RefreshToken| {
        let token = token.secret().clone();
        let app = &app;
        async move {
            token_request(app, &[("grant_type", "refresh_token"), ("refresh_token", &token), ("client_id", "desktop")])
                .await
        }
    };
    let (status, body) = refresh(&stolen).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("already used"), "{body}");
    // ...so the newest refresh token and the live access token die with it.
    let (status, body) = refresh(&newest).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
    let dead = introspect(&app, refreshed.access_token().secret()).await;
    assert_eq!(dead["active"], false, "{dead}");
    let userinfo = app.get("/oauth/userinfo", Some(refreshed.access_token().secret())).await;
    assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED);
    assert!(userinfo.headers().get("www-authenticate").unwrap().to_str().unwrap().contains("invalid_token"));

    // Two holders racing with one refresh token: one at most gets through,
    // and the race itself ends the sign-in.
    let tokens = rp.sign_in(&browser, &[]).await;
    let shared = tokens.refresh_token().unwrap().clone();
    let answers = futures::future::join_all((0..6).map(|_| refresh(&shared))).await;
    let winners: Vec<&Value> =
        answers.iter().filter(|(status, _)| *status == StatusCode::OK).map(|(_, body)| body).collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    let winner = RefreshToken::new(winners[0]["refresh_token"].as_str().unwrap().into());
    let (status, _) = refresh(&winner).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the race revoked the winner's sign-in too");

    // The app signs its user out: revoking the refresh token ends the sign-in;
    // another app's token, or one that is not ours, is quietly left alone.
    let tokens = rp.sign_in(&browser, &[]).await;
    let refresh_token = tokens.refresh_token().unwrap().secret().clone();
    let revoke = |client: &'static str, token: String| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/oauth/revoke"))
                .form(&[("token", token.as_str()), ("client_id", client)])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(revoke("cli", refresh_token.clone()).await.status(), StatusCode::OK);
    assert_eq!(
        introspect(&app, tokens.access_token().secret()).await["active"],
        true,
        "another app's revocation does nothing"
    );
    assert_eq!(revoke("desktop", "lk_ref_not-a-token".into()).await.status(), StatusCode::OK);
    assert_eq!(revoke("desktop", refresh_token.clone()).await.status(), StatusCode::OK);
    assert_eq!(introspect(&app, tokens.access_token().secret()).await["active"], false);
    let (status, body) = refresh(&RefreshToken::new(refresh_token)).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    // An access token alone can be revoked too.
    let tokens = rp.sign_in(&browser, &[]).await;
    assert_eq!(revoke("desktop", tokens.access_token().secret().clone()).await.status(), StatusCode::OK);
    assert_eq!(introspect(&app, tokens.access_token().secret()).await["active"], false);
    let unknown = app
        .client
        .post(app.url("/oauth/revoke"))
        .form(&[("token", "x"), ("client_id", "nobody")])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);

    // The user hears of each stolen sign-in once, however often the thief tries.
    refresh(&stolen).await;
    let events: Value = app.get("/v1/me/events", Some(&session)).await.json().await.unwrap();
    let kinds: Vec<&str> = events["events"].as_array().unwrap().iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "app_token_replayed").count(), 2, "{events}");
    assert!(kinds.contains(&"app_signed_in"), "{events}");
    let store = app.db.store().await;
    let (now, mut kinds) = (app.clock_now(), Vec::new());
    while let Some(mail) = store.claim_due_mail(now, now + Duration::minutes(5), "test").await.unwrap() {
        kinds.push(mail.kind);
    }
    assert_eq!(kinds.iter().filter(|kind| *kind == "app_signed_out").count(), 2, "{kinds:?}");
}

async fn links_we_cannot_trust_get_a_page_never_a_redirect(backend: Backend) {
    let OAuthApp { app, _dir } = spawn(backend).await;
    let (_, _, browser) = user_with_browser(&app).await;
    let rp = relying_party(&app, "desktop").await;
    let started = rp.start(&[]);
    let with = |changes: &[(&str, Option<&str>)]| {
        let mut url = started.url.clone();
        let pairs: Vec<(String, String)> = started
            .url
            .query_pairs()
            .filter(|(k, _)| !changes.iter().any(|(name, _)| name == k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .chain(changes.iter().filter_map(|(k, v)| v.map(|v| ((*k).to_owned(), v.to_owned()))))
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        url.to_string()
    };

    // An unknown app, or a return address the app did not register: a page in plain words, no redirect.
    for bad in [
        with(&[("client_id", Some("nobody"))]),
        with(&[("client_id", None)]),
        with(&[("redirect_uri", Some("https://evil.example/callback"))]),
        with(&[("redirect_uri", Some("http://127.0.0.1.evil.example/callback"))]),
        with(&[("redirect_uri", None)]),
        format!("{}&redirect_uri=https%3A%2F%2Fevil.example%2Fcallback", started.url),
    ] {
        let response = browser.get(&bad).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(response.headers().get(LOCATION).is_none(), "{bad}");
        assert!(response.text().await.unwrap().contains("This sign-in link does not work"));
    }
    // Anything else goes back to the app, which can say what went wrong.
    let state = started.state.secret().clone();
    for (bad, error) in [
        (with(&[("code_challenge_method", Some("plain"))]), "invalid_request"),
        (with(&[("code_challenge", None), ("code_challenge_method", None)]), "invalid_request"),
        (with(&[("response_type", Some("token"))]), "unsupported_response_type"),
        (with(&[("scope", Some("openid admin"))]), "invalid_scope"),
    ] {
        let response = browser.get(&bad).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{bad}");
        let location = url::Url::parse(response.headers()[LOCATION].to_str().unwrap()).unwrap();
        assert!(location.as_str().starts_with(rp.rp.redirect_uri().unwrap().as_str()), "{location}");
        let pairs: Vec<(String, String)> =
            location.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        assert_eq!(param(&pairs, "error"), Some(error), "{bad}");
        assert_eq!(param(&pairs, "state"), Some(state.as_str()));
        assert!(param(&pairs, "code").is_none());
    }

    // Signed out: to the sign-in page, and back here afterwards.
    let stranger = self::browser(&app, None).await;
    let response = stranger.get(started.url.as_str()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    let next = url::Url::parse(&format!("http://x{location}")).unwrap();
    assert_eq!(next.path(), "/sign-in");
    let back_to = next.query_pairs().find(|(k, _)| k == "next").unwrap().1.into_owned();
    assert_eq!(app.url(&back_to), started.url.as_str());

    // Declining tells the app so, with its state.
    let back = browser.decide(&started, "deny").await;
    let answer = rp.receive(&browser, &back).await;
    assert_eq!(param(&answer, "error"), Some("access_denied"));
    assert_eq!(param(&answer, "state"), Some(state.as_str()));
    // A form without this browser's token does nothing.
    let forged = Browser { csrf: "0".repeat(48), ..self::browser(&app, None).await };
    let response = forged
        .client
        .post(app.url("/oauth/authorize"))
        .header(COOKIE, &browser.cookies)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("{}&csrf={}&decision=allow", started.url.query().unwrap(), forged.csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

/// A code for `client_id` through the browser, with its verifier.
async fn code_for(app: &TestApp, browser: &Browser, client_id: &str) -> (RelyingParty, String, PkceCodeVerifier) {
    let rp = relying_party(app, client_id).await;
    let started = rp.start(&[]);
    let back = browser.approve_any(&started).await;
    let code = param(&rp.receive(browser, &back).await, "code").unwrap().to_owned();
    (rp, code, started.verifier)
}

impl Browser {
    /// Approves whatever the page is (an approval form, or already the way back).
    async fn approve_any(&self, started: &Started) -> String {
        let html = self.get(started.url.as_str()).await.text().await.unwrap();
        if html.contains("data-continue") { continue_link(&html) } else { self.decide(started, "allow").await }
    }
}

async fn the_token_endpoint_refuses_what_it_must(backend: Backend) {
    let OAuthApp { app, _dir } = spawn(backend).await;
    let (_, _, browser) = user_with_browser(&app).await;
    let exchange = |code: String, redirect: String, verifier: String, client: &'static str| {
        let app = &app;
        async move {
            token_request(
                app,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", &redirect),
                    ("code_verifier", &verifier),
                    ("client_id", client),
                ],
            )
            .await
        }
    };
    let refused = |answer: (StatusCode, Value), error: &str| {
        assert_eq!((answer.0, answer.1["error"].as_str()), (StatusCode::BAD_REQUEST, Some(error)), "{}", answer.1);
        assert!(answer.1["error_description"].is_string());
    };

    // A wrong verifier spends the code: the right one cannot follow.
    let (rp, code, verifier) = code_for(&app, &browser, "desktop").await;
    let redirect = rp.rp.redirect_uri().unwrap().to_string();
    refused(exchange(code.clone(), redirect.clone(), "b".repeat(43), "desktop").await, "invalid_grant");
    refused(exchange(code, redirect.clone(), verifier.secret().clone(), "desktop").await, "invalid_grant");

    // Another client's code, and another redirect URI, are refused too.
    let (rp, code, verifier) = code_for(&app, &browser, "desktop").await;
    let redirect = rp.rp.redirect_uri().unwrap().to_string();
    refused(exchange(code.clone(), redirect.clone(), verifier.secret().clone(), "cli").await, "invalid_grant");
    let other_port = redirect.replace("/callback", "/other");
    refused(exchange(code.clone(), other_port, verifier.secret().clone(), "desktop").await, "invalid_grant");

    // A code used twice: the second is refused and the first's tokens die.
    let (rp, code, verifier) = code_for(&app, &browser, "desktop").await;
    let redirect = rp.rp.redirect_uri().unwrap().to_string();
    let (status, first) = exchange(code.clone(), redirect.clone(), verifier.secret().clone(), "desktop").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    refused(exchange(code, redirect.clone(), verifier.secret().clone(), "desktop").await, "invalid_grant");
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(introspect(&app, access).await["active"], false);
    let refresh = first["refresh_token"].as_str().unwrap();
    refused(
        token_request(&app, &[("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", "desktop")])
            .await,
        "invalid_grant",
    );

    // A code lives a minute.
    let (rp, code, verifier) = code_for(&app, &browser, "desktop").await;
    app.clock.advance(Duration::seconds(61));
    refused(
        exchange(code, rp.rp.redirect_uri().unwrap().to_string(), verifier.secret().clone(), "desktop").await,
        "invalid_grant",
    );

    // A client without the refresh grant gets no refresh token and cannot refresh.
    let (rp, code, verifier) = code_for(&app, &browser, "cli").await;
    let (status, body) =
        exchange(code, rp.rp.redirect_uri().unwrap().to_string(), verifier.secret().clone(), "cli").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("refresh_token").is_none(), "{body}");
    refused(
        token_request(&app, &[("grant_type", "refresh_token"), ("refresh_token", "lk_ref_x"), ("client_id", "cli")])
            .await,
        "unauthorized_client",
    );

    // Client authentication: unknown, a secret from a public app, a confidential one without or with a wrong secret.
    for form in [
        vec![("grant_type", "authorization_code"), ("client_id", "nobody")],
        vec![("grant_type", "authorization_code"), ("client_id", "desktop"), ("client_secret", "x")],
        vec![("grant_type", "refresh_token"), ("client_id", "portal")],
        vec![("grant_type", "refresh_token"), ("client_id", "portal"), ("client_secret", "wrong-secret-wrong-secret")],
    ] {
        let (status, body) = token_request(&app, &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_client")),
            "{form:?} {body}"
        );
    }
    let basic = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth("portal", Some(PORTAL_SECRET))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "lk_ref_unknown")])
        .send()
        .await
        .unwrap();
    let body: Value = basic.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "the secret was right, the token not: {body}");

    // A public client named by Basic with an empty secret is still a public client.
    let public = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth("desktop", Some(""))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "lk_ref_unknown")])
        .send()
        .await
        .unwrap();
    assert_eq!(public.json::<Value>().await.unwrap()["error"], "invalid_grant");

    // Bodies that are not the form, grants we do not offer, parameters missing.
    for (form, error) in [
        ("grant_type=password&client_id=desktop&username=a&password=b", "unsupported_grant_type"),
        ("client_id=desktop", "invalid_request"),
        ("grant_type=authorization_code&client_id=desktop", "invalid_request"),
        ("grant_type=refresh_token&grant_type=refresh_token&client_id=desktop", "invalid_request"),
        ("grant_type=authorization_code&client_id=desk%00top", "invalid_client"),
    ] {
        let response = app
            .client
            .post(app.url("/oauth/token"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_client_error(), "{form}: {status}");
        assert_eq!(body["error"], error, "{form}: {body}");
    }
    let json = app.post("/oauth/token", &json!({"grant_type": "refresh_token"}), None).await;
    assert_eq!(json.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json.json::<Value>().await.unwrap()["error"], "invalid_request");
}

/// The vendor's own app goes straight back with a code where only it can
/// receive it (an https return address); on a loopback port, which any
/// program on the machine can listen on with the vendor's client id, the
/// user approves as for any app (RFC 8252 §8.6). The product's policy
/// applies either way.
async fn the_vendors_own_app_skips_approval_where_its_return_address_proves_it(backend: Backend) {
    let OAuthApp { app, _dir } = spawn(backend).await;
    let (_, session, browser) = user_with_browser(&app).await;

    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let on_the_web = [
        ("client_id", "studio-web"),
        ("response_type", "code"),
        ("redirect_uri", "https://studio.example.com/callback"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("state", "s1"),
    ];
    let link = format!(
        "/oauth/authorize?{}",
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(on_the_web).finish()
    );
    let html = browser.get(&app.url(&link)).await.text().await.unwrap();
    assert!(!html.contains("name=\"decision\""), "{html}");
    assert!(continue_link(&html).starts_with("https://studio.example.com/callback?code=lk_cod_"), "{html}");

    let rp = relying_party(&app, "studio-own").await;
    let started = rp.start(&["license"]);
    let html = browser.get(started.url.as_str()).await.text().await.unwrap();
    assert!(html.contains("name=\"decision\"") && !html.contains("data-continue"), "{html}");

    // With scope `license`, the access token carries the user's licenses for the app's product.
    let issued: Value =
        app.post("/v1/admin/licenses", &json!({"policy": "desk"}), Some(app.admin_key())).await.json().await.unwrap();
    let code = issued["licenses"][0]["activation_code"].as_str().unwrap();
    let redeemed = app.post("/v1/me/licenses/redeem", &json!({"activation_code": code}), Some(&session)).await;
    assert_eq!(redeemed.status(), StatusCode::CREATED);
    let tokens = rp.sign_in(&browser, &["license"]).await;
    let live = introspect(&app, tokens.access_token().secret()).await;
    let licenses = live["licenses"].as_array().unwrap_or_else(|| panic!("{live}"));
    assert_eq!(licenses.len(), 1, "{live}");
    assert_eq!(licenses[0]["id"], issued["licenses"][0]["id"]);
    assert_eq!(licenses[0]["entitlements"], json!(["export"]));
    assert_eq!((licenses[0]["policy"].as_str(), licenses[0]["status"].as_str()), (Some("desk"), Some("active")));

    // A product whose policy needs its EULA accepted: the user is told
    // what to do, and the app gets nothing until it is done.
    let issued: Value =
        app.post("/v1/admin/licenses", &json!({"policy": "strict"}), Some(app.admin_key())).await.json().await.unwrap();
    let code = issued["licenses"][0]["activation_code"].as_str().unwrap();
    let redeemed = app.post("/v1/me/licenses/redeem", &json!({"activation_code": code}), Some(&session)).await;
    assert_eq!(redeemed.status(), StatusCode::CREATED);
    let eula =
        json!({"product": "vault", "version": "1", "title": "Vault terms", "body": "Be kind.", "material": true});
    assert_eq!(app.post("/v1/admin/eulas", &eula, Some(app.admin_key())).await.status(), StatusCode::CREATED);
    let vault = relying_party(&app, "vault").await;
    let started = vault.start(&[]);
    let response = browser.get(started.url.as_str()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let html = response.text().await.unwrap();
    assert!(html.contains("Before Vault can sign you in") && !html.contains("data-continue"), "{html}");
    assert!(html.contains("href=\"/account/eula\""), "{html}");
    // Accepted, the same link goes on to the approval.
    let accept = json!({"product": "vault", "version": "1", "sha256": sha256_hex("Be kind."), "decision": "accepted"});
    assert_eq!(app.post("/v1/me/eula-acceptances", &accept, Some(&session)).await.status(), StatusCode::CREATED);
    let html = browser.get(started.url.as_str()).await.text().await.unwrap();
    assert!(html.contains("name=\"decision\""), "{html}");
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// What `/oauth/device_authorization` answers, read by the openidconnect crate.
async fn device_authorization(app: &TestApp) -> openidconnect::core::CoreDeviceAuthorizationResponse {
    let rp = relying_party(app, "studio-cli").await;
    let url = openidconnect::DeviceAuthorizationUrl::new(app.url("/oauth/device_authorization")).unwrap();
    rp.rp
        .set_device_authorization_url(url)
        .exchange_device_code()
        .add_scope(Scope::new("email".into()))
        .request_async(&rp.http)
        .await
        .expect("the device is given its codes")
}

async fn poll(app: &TestApp, device_code: &str) -> (StatusCode, Value) {
    poll_as(app, device_code, "studio-cli").await
}

/// The device of `client_id` asks for its tokens.
async fn poll_as(app: &TestApp, device_code: &str, client_id: &str) -> (StatusCode, Value) {
    token_request(
        app,
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", device_code),
            ("client_id", client_id),
        ],
    )
    .await
}

/// A device of the `notes` app asks to be signed in (with a seat, given
/// `authorization_details`): the device authorization response.
async fn notes_device_request(app: &TestApp, details: Option<&str>) -> Value {
    let mut form = vec![("client_id", "notes"), ("scope", "openid")];
    form.extend(details.map(|details| ("authorization_details", details)));
    app.client.post(app.url("/oauth/device_authorization")).form(&form).send().await.unwrap().json().await.unwrap()
}

impl Browser {
    /// Types `code` on `/device`: the page that answers.
    async fn type_device_code(&self, code: &str) -> reqwest::Response {
        self.post_form("/device", &[("user_code", code)]).await
    }

    async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> reqwest::Response {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .append_pair("csrf", &self.csrf)
            .finish();
        let base = self.base.as_str();
        self.client
            .post(format!("{base}{path}"))
            .header(COOKIE, &self.cookies)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }
}

async fn a_device_signs_in_with_a_code_typed_on_another_screen(backend: Backend) {
    let OAuthApp { app, _dir } = spawn(backend).await;
    let (email, _, browser) = user_with_browser(&app).await;
    let details = device_authorization(&app).await;
    let user_code = details.user_code().secret().clone();
    assert!(regex_like_user_code(&user_code), "{user_code}");
    assert_eq!(details.verification_uri().as_str(), app.url("/device"));
    assert_eq!(details.interval(), std::time::Duration::from_secs(5));
    assert_eq!(details.expires_in(), std::time::Duration::from_secs(600));
    let device_code = details.device_code().secret().clone();
    assert!(device_code.starts_with("lk_dvc_"));

    // Polling before anyone approved: pending; polling faster than the interval: slow down, for good.
    assert_eq!(poll(&app, &device_code).await.1["error"], "authorization_pending");
    assert_eq!(poll(&app, &device_code).await.1["error"], "slow_down");
    app.clock.advance(Duration::seconds(6));
    assert_eq!(poll(&app, &device_code).await.1["error"], "slow_down", "the interval is ten seconds now");
    app.clock.advance(Duration::seconds(15));
    assert_eq!(poll(&app, &device_code).await.1["error"], "authorization_pending", "and fifteen after that");

    // The link the device shows fills the code in; the person still presses Continue.
    let complete = details.verification_uri_complete().unwrap().secret().clone();
    let form = browser.get(&complete).await.text().await.unwrap();
    assert!(form.contains(&format!("value=\"{user_code}\"")), "{form}");
    // Typed in lower case without the dash, it is still the code.
    let typed = user_code.replace('-', "").to_lowercase();
    let approval = browser.type_device_code(&typed).await;
    assert_eq!(approval.status(), StatusCode::OK);
    let approval = approval.text().await.unwrap();
    for expected in ["Sign in to Studio CLI on your device?", "127.0.0.1", "Approve only if you started this", &email] {
        assert!(approval.contains(expected), "{expected:?} not in {approval}");
    }
    let done = browser.post_form("/device/decision", &[("user_code", &user_code), ("decision", "allow")]).await;
    assert!(done.text().await.unwrap().contains("Your device is signed in"));

    app.clock.advance(Duration::seconds(15));
    let (status, tokens) = poll(&app, &device_code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    // This client asked for ES256 ID tokens: the server's own key signs them.
    let rp = relying_party(&app, "studio-cli").await;
    let es256 = rp.rp.id_token_verifier().set_allowed_algs([CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
    let claims = openidconnect::core::CoreIdToken::from_str(tokens["id_token"].as_str().unwrap())
        .unwrap()
        .into_claims(&es256, |_: Option<&Nonce>| Ok::<(), String>(()))
        .expect("a valid ID token");
    assert_eq!(claims.email().map(|e| e.as_str()), Some(email.as_str()));
    assert!(tokens["refresh_token"].as_str().unwrap().starts_with("lk_ref_"));
    // Collected once: the same device code again gets nothing.
    assert_eq!(poll(&app, &device_code).await.1["error"], "invalid_grant");
    // And the code cannot be approved again.
    let again = browser.type_device_code(&user_code).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

fn regex_like_user_code(code: &str) -> bool {
    let consonants = "BCDFGHJKLMNPQRSTVWXZ";
    code.len() == 9 && code.chars().enumerate().all(|(i, c)| if i == 4 { c == '-' } else { consonants.contains(c) })
}

async fn device_codes_are_denied_expire_and_cannot_be_guessed(backend: Backend) {
    let OAuthApp { app, _dir } = spawn(backend).await;
    let (_, _, browser) = user_with_browser(&app).await;

    // Denied: the device hears `access_denied`.
    let details = device_authorization(&app).await;
    let user_code = details.user_code().secret().clone();
    assert_eq!(browser.type_device_code(&user_code).await.status(), StatusCode::OK);
    let denied = browser.post_form("/device/decision", &[("user_code", &user_code), ("decision", "deny")]).await;
    assert!(denied.text().await.unwrap().contains("The request was denied"));
    assert_eq!(poll(&app, details.device_code().secret()).await.1["error"], "access_denied");

    // Expired: ten minutes on, neither code works.
    let details = device_authorization(&app).await;
    app.clock.advance(Duration::seconds(601));
    assert_eq!(poll(&app, details.device_code().secret()).await.1["error"], "expired_token");
    let late = browser.type_device_code(details.user_code().secret()).await;
    assert_eq!(late.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.text().await.unwrap().contains("That code is not right, or it has expired"));

    // Guessing: wrong codes are counted, and soon the next try must wait, even a right one.
    let (_, _, guesser) = user_with_browser(&app).await;
    let details = device_authorization(&app).await;
    for _ in 0..4 {
        assert_eq!(guesser.type_device_code("BBBB-BBBB").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let held = guesser.type_device_code(details.user_code().secret()).await;
    assert_eq!(held.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(held.headers().get("retry-after").is_some());
    app.clock.advance(Duration::seconds(2));
    assert_eq!(guesser.type_device_code(details.user_code().secret()).await.status(), StatusCode::OK);

    // A client not allowed the device grant gets no codes, and a device code is no authorization code.
    let (status, body) = token_request(&app, &[("client_id", "desktop")]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));
    let refused =
        app.client.post(app.url("/oauth/device_authorization")).form(&[("client_id", "desktop")]).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"], "unauthorized_client");
}

const LAPTOP: &str =
    r#"[{"type":"license_activation","fingerprint":"fp-ada-laptop","name":"Ada's laptop","platform":"macos"}]"#;

/// A sign-in asking for a seat: started with `details`, and the approval page's HTML.
async fn with_seat(rp: &RelyingParty, browser: &Browser, details: &str) -> (Started, reqwest::Response) {
    let mut started = rp.start(&["license"]);
    started.url.query_pairs_mut().append_pair("authorization_details", details);
    let page = browser.get(started.url.as_str()).await;
    (started, page)
}

async fn exchange_raw(app: &TestApp, rp: &RelyingParty, browser: &Browser, started: &Started) -> Value {
    let back = browser.decide(started, "allow").await;
    exchange_back(app, rp, browser, started, &back).await
}

/// Follows the page's way `back` to the app and exchanges the code it brings.
async fn exchange_back(app: &TestApp, rp: &RelyingParty, browser: &Browser, started: &Started, back: &str) -> Value {
    let code = param(&rp.receive(browser, back).await, "code").unwrap().to_owned();
    let redirect = rp.rp.redirect_uri().unwrap().to_string();
    let (status, tokens) = token_request(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect),
            ("code_verifier", started.verifier.secret()),
            ("client_id", "notes"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    tokens
}

/// Issues a license of `policy` and redeems it on the session's account:
/// its id and the last four characters of its key.
async fn redeemed(app: &TestApp, session: &str, policy: &str) -> (String, String) {
    let issued: Value =
        app.post("/v1/admin/licenses", &json!({"policy": policy}), Some(app.admin_key())).await.json().await.unwrap();
    let code = issued["licenses"][0]["activation_code"].as_str().unwrap();
    let redeemed = app.post("/v1/me/licenses/redeem", &json!({"activation_code": code}), Some(session)).await;
    assert!(redeemed.status().is_success(), "{}", redeemed.text().await.unwrap());
    let key = issued["licenses"][0]["key"].as_str().unwrap();
    (issued["licenses"][0]["id"].as_str().unwrap().to_owned(), key[key.len() - 4..].to_owned())
}

/// Exchanges the code the approval page hands back for `started`.
async fn tokens_for(
    app: &TestApp,
    rp: &RelyingParty,
    browser: &Browser,
    started: &Started,
    back: reqwest::Response,
) -> Value {
    assert_eq!(back.status(), StatusCode::OK);
    exchange_back(app, rp, browser, started, &continue_link(&back.text().await.unwrap())).await
}

/// Licenses of the app's product with seats free: the approval asks which
/// one the machine takes (a team's seat is not a personal license's), the
/// newest first, each told apart by its key's ending even under the same
/// policy; a choice that is not the user's takes no seat; a machine that
/// holds a seat keeps it whatever the form says; the device flow asks and
/// honours the choice the same way.
async fn a_user_with_two_licenses_chooses_which_one_the_machine_uses(backend: Backend) {
    let OAuthApp { app, _dir } = spawn(backend).await;
    let (_, session, browser) = user_with_browser(&app).await;
    let rp = relying_party(&app, "notes").await;
    let (solo, solo_ending) = redeemed(&app, &session, "solo").await;
    let (crew, crew_ending) = redeemed(&app, &session, "crew").await;
    let (second_crew, second_crew_ending) = redeemed(&app, &session, "crew").await;
    let (_, _, other_session) = app.signed_in_user().await;
    let (someone_elses, _) = redeemed(&app, &other_session, "crew").await;

    let (started, page) = with_seat(&rp, &browser, LAPTOP).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap().replace("&#39;", "'");
    assert!(html.contains("Which license should Ada's laptop use?"), "{html}");
    let newest = html.find(&format!("value=\"{second_crew}\" checked")).expect("the newest, chosen to start with");
    let older = html.find(&format!("value=\"{crew}\"")).expect("the other crew license");
    let oldest = html.find(&format!("value=\"{solo}\"")).expect("the solo license");
    assert!(newest < older && older < oldest, "{html}");
    for label in [
        format!("crew, key ending {second_crew_ending}: seat 1 of 3"),
        format!("crew, key ending {crew_ending}: seat 1 of 3"),
        format!("solo, key ending {solo_ending}: seat 1 of 1"),
    ] {
        assert!(html.contains(&label), "{label} not in {html}");
    }
    assert!(!html.contains(&someone_elses), "{html}");

    // Someone else's license, or no license id at all, takes no seat: a page says so.
    for tampered in [someone_elses.as_str(), "not-a-license"] {
        let refused = browser.decide_with(&started, "allow", &[("license", tampered)]).await;
        assert_eq!(refused.status(), StatusCode::NOT_FOUND);
        assert!(refused.text().await.unwrap().contains("data-code=\"not_found\""));
    }
    let mine: Value = app.get("/v1/me/licenses", Some(&session)).await.json().await.unwrap();
    assert!(!mine.to_string().contains("Ada's laptop"), "no seat was taken: {mine}");

    // The user picks one that was not preselected.
    let back = browser.decide_with(&started, "allow", &[("license", &solo)]).await;
    let tokens = tokens_for(&app, &rp, &browser, &started, back).await;
    let seat = &tokens["authorization_details"][0];
    assert_eq!(seat["license_id"], solo.as_str(), "{tokens}");

    // The same machine again: it keeps its seat, no choice is offered, and
    // a form naming another license still lands on the seat it holds.
    let (started, page) = with_seat(&rp, &browser, LAPTOP).await;
    let html = page.text().await.unwrap();
    assert!(!html.contains("name=\"license\""), "{html}");
    let back = browser.decide_with(&started, "allow", &[("license", &crew)]).await;
    let again = tokens_for(&app, &rp, &browser, &started, back).await;
    assert_eq!(again["authorization_details"][0]["activation_id"], seat["activation_id"], "{again}");

    // A device asking for a seat: the same choice on /device, the same refusal of a tampered one.
    let desktop = r#"[{"type":"license_activation","fingerprint":"fp-ada-desktop","name":"Ada's desktop"}]"#;
    let asked = notes_device_request(&app, Some(desktop)).await;
    let user_code = asked["user_code"].as_str().unwrap().to_owned();
    let approval = browser.type_device_code(&user_code).await.text().await.unwrap().replace("&#39;", "'");
    assert!(approval.contains("Which license should Ada's desktop use?"), "{approval}");
    let tampered = [("user_code", user_code.as_str()), ("decision", "allow"), ("license", someone_elses.as_str())];
    let refused = browser.post_form("/device/decision", &tampered).await;
    assert!(refused.text().await.unwrap().contains("data-code=\"not_found\""));
    let chosen = [("user_code", user_code.as_str()), ("decision", "allow"), ("license", crew.as_str())];
    let done = browser.post_form("/device/decision", &chosen).await;
    assert!(done.text().await.unwrap().contains("Your device is signed in"));
    app.clock.advance(Duration::seconds(6));
    let (status, tokens) = poll_as(&app, asked["device_code"].as_str().unwrap(), "notes").await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["authorization_details"][0]["license_id"], crew.as_str(), "{tokens}");

    // Denying works whatever else the form carries: it is the way out.
    let asked = notes_device_request(&app, None).await;
    let user_code = asked["user_code"].as_str().unwrap();
    let denied = browser
        .post_form("/device/decision", &[("user_code", user_code), ("decision", "deny"), ("license", "garbage")])
        .await;
    assert!(denied.status().is_success(), "{}", denied.status());
    app.clock.advance(Duration::seconds(6));
    assert_eq!(poll_as(&app, asked["device_code"].as_str().unwrap(), "notes").await.1["error"], "access_denied");
}

/// Every license of the product full: the page lists the devices of each,
/// under the license they hold, so the user frees a seat on the one they mean.
async fn with_every_license_full_each_shows_the_devices_holding_it(backend: Backend) {
    let OAuthApp { app, _dir } = spawn(backend).await;
    let (_, session, browser) = user_with_browser(&app).await;
    let rp = relying_party(&app, "notes").await;
    let mut held = Vec::new();
    for machine in ["Office PC", "Studio Mac"] {
        let (license, ending) = redeemed(&app, &session, "solo").await;
        let seat = json!({"license_id": license, "fingerprint": format!("fp-{machine}"), "name": machine});
        assert_eq!(app.post("/v1/activations", &seat, Some(&session)).await.status(), StatusCode::CREATED);
        held.push((ending, machine));
    }
    let (_, page) = with_seat(&rp, &browser, LAPTOP).await;
    assert_eq!(page.status(), StatusCode::CONFLICT);
    let html = page.text().await.unwrap();
    assert!(html.contains("Every seat of your notes licenses is in use."), "{html}");
    // Newest first, each license's own device under it.
    let (newer, older) = (&held[1], &held[0]);
    let at = |text: &str| html.find(text).unwrap_or_else(|| panic!("{text} not in {html}"));
    assert!(at(&format!("solo, key ending {}", newer.0)) < at(newer.1), "{html}");
    assert!(at(newer.1) < at(&format!("solo, key ending {}", older.0)), "{html}");
    assert!(at(&format!("solo, key ending {}", older.0)) < at(older.1), "{html}");
}

async fn an_app_signs_in_and_activates_its_machine_in_one_step(backend: Backend) {
    let OAuthApp { app, _dir } = spawn(backend).await;
    let (_, session, browser) = user_with_browser(&app).await;
    let rp = relying_party(&app, "notes").await;

    // No license of the product yet: the page says so, and where to enter a code.
    let (_, page) = with_seat(&rp, &browser, LAPTOP).await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(page.text().await.unwrap().contains("There is no license for notes on this account yet."));

    let issued: Value =
        app.post("/v1/admin/licenses", &json!({"policy": "solo"}), Some(app.admin_key())).await.json().await.unwrap();
    let license_id = issued["licenses"][0]["id"].as_str().unwrap().to_owned();
    let code = issued["licenses"][0]["activation_code"].as_str().unwrap();
    app.post("/v1/me/licenses/redeem", &json!({"activation_code": code}), Some(&session)).await;

    // The approval says what will happen, in words; approving takes the seat.
    let (started, page) = with_seat(&rp, &browser, LAPTOP).await;
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Activate Notes on Ada&#39;s laptop: seat 1 of 1.")
            || html.contains("Activate Notes on Ada's laptop: seat 1 of 1."),
        "{html}"
    );
    let tokens = exchange_raw(&app, &rp, &browser, &started).await;
    let seat = &tokens["authorization_details"][0];
    assert_eq!(seat["type"], "license_activation", "{tokens}");
    assert_eq!((seat["license_id"].as_str(), seat["name"].as_str()), (Some(license_id.as_str()), Some("Ada's laptop")));
    let activation_id = seat["activation_id"].as_str().unwrap().to_owned();

    // The certificate is the offline proof, for this product's audience only.
    let jwks: Value = app.get("/.well-known/jwks.json", None).await.json().await.unwrap();
    let checked = pyjwt(&json!({"jwks": jwks, "tokens": [
        {"token": seat["certificate"], "audience": "urn:latchkey:product:notes", "require": ["exp", "aud"]},
        {"token": seat["certificate"], "audience": "notes"},
    ]}));
    assert_eq!(checked["tokens"][0]["claims"]["jti"], activation_id.as_str(), "{checked}");
    assert_eq!(checked["tokens"][0]["header"]["typ"], "license+jwt");
    assert!(checked["tokens"][1]["error"].is_string(), "another audience refuses it: {checked}");
    let mine: Value = app.get("/v1/me/licenses", Some(&session)).await.json().await.unwrap();
    assert!(mine.to_string().contains("Ada's laptop"), "{mine}");

    // Each refresh brings a fresh certificate.
    app.clock.advance(Duration::minutes(5));
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, refreshed) =
        token_request(&app, &[("grant_type", "refresh_token"), ("refresh_token", &refresh), ("client_id", "notes")])
            .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let renewed = &refreshed["authorization_details"][0];
    assert_eq!(renewed["activation_id"], activation_id.as_str());
    assert_ne!(renewed["certificate"], seat["certificate"]);

    // Another machine: every seat is taken, the page lists who holds them...
    let desktop = r#"[{"type":"license_activation","fingerprint":"fp-ada-desktop","name":"Ada's desktop"}]"#;
    let (started, page) = with_seat(&rp, &browser, desktop).await;
    assert_eq!(page.status(), StatusCode::CONFLICT);
    let html = page.text().await.unwrap();
    assert!(html.contains("All 1 seats of your notes license are in use.") && html.contains("laptop"), "{html}");
    // ...one is freed right there, and the page comes back to the approval.
    let back = started.url.as_str().trim_start_matches(&app.address).to_owned();
    let freed = browser
        .post_form(&format!("/account/licenses/devices/{activation_id}/remove"), &[("next", back.as_str())])
        .await;
    assert_eq!(freed.status(), StatusCode::SEE_OTHER);
    assert_eq!(freed.headers()[LOCATION].to_str().unwrap(), back);
    let page = browser.get(started.url.as_str()).await.text().await.unwrap();
    assert!(page.contains("seat 1 of 1"), "{page}");
    let moved = exchange_raw(&app, &rp, &browser, &started).await;
    assert_ne!(moved["authorization_details"][0]["activation_id"], activation_id.as_str());

    // The policy allows one move in 30 days: moving back is refused, with when it may be.
    let desktop_seat = moved["authorization_details"][0]["activation_id"].as_str().unwrap();
    let again = app.delete(&format!("/v1/activations/{desktop_seat}"), Some(&session)).await;
    assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(again.headers().get("retry-after").is_some());
    assert_eq!(again.json::<Value>().await.unwrap()["code"], "transfer_limit_reached");

    // The laptop's sign-in lost its seat: its refresh says so.
    let newest = refreshed["refresh_token"].as_str().unwrap().to_owned();
    let (status, body) =
        token_request(&app, &[("grant_type", "refresh_token"), ("refresh_token", &newest), ("client_id", "notes")])
            .await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("seat"), "{body}");
    // The app retrying with the same token is not taken for a thief.
    token_request(&app, &[("grant_type", "refresh_token"), ("refresh_token", &newest), ("client_id", "notes")]).await;
    let events: Value = app.get("/v1/me/events", Some(&session)).await.json().await.unwrap();
    assert!(!events.to_string().contains("app_token_replayed"), "{events}");

    // Details we cannot grant go back to the app.
    let (_, refused) = with_seat(&rp, &browser, r#"[{"type":"payment","amount":1}]"#).await;
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    assert!(refused.headers()[LOCATION].to_str().unwrap().contains("error=invalid_authorization_details"));

    // The device flow asks for a seat the same way.
    let response = app
        .client
        .post(app.url("/oauth/device_authorization"))
        .form(&[("client_id", "notes"), ("authorization_details", LAPTOP)])
        .send()
        .await
        .unwrap();
    let device: Value = response.json().await.unwrap();
    let approval = browser.type_device_code(device["user_code"].as_str().unwrap()).await;
    assert_eq!(approval.status(), StatusCode::CONFLICT, "the desktop holds the only seat now");
}

async fn the_reference_desktop_client_signs_in_activates_and_refreshes(backend: Backend) {
    let OAuthApp { app, _dir } = spawn(backend).await;
    let (email, session, browser) = user_with_browser(&app).await;
    let issued: Value =
        app.post("/v1/admin/licenses", &json!({"policy": "desk"}), Some(app.admin_key())).await.json().await.unwrap();
    let code = issued["licenses"][0]["activation_code"].as_str().unwrap();
    app.post("/v1/me/licenses/redeem", &json!({"activation_code": code}), Some(&session)).await;

    let settings = desktop_sign_in::Settings {
        issuer: app.address.clone(),
        client_id: "desktop".into(),
        product: "studio".into(),
        fingerprint: "ada-laptop-machine-id".into(),
        device_name: "Ada's laptop".into(),
    };
    // The person's part: open the link, approve, and let the browser go back to the app.
    let (opened, approved) = tokio::sync::oneshot::channel::<String>();
    let person = tokio::spawn(async move {
        let url = approved.await.unwrap();
        let page = browser.get(&url).await.text().await.unwrap();
        assert!(
            page.contains("Activate Studio Desktop on Ada&#39;s laptop")
                || page.contains("Activate Studio Desktop on Ada's laptop"),
            "{page}"
        );
        let started = url::Url::parse(&url).unwrap();
        let mut form: Vec<(String, String)> =
            started.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        form.push(("decision".into(), "allow".into()));
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let answer = browser.post_form("/oauth/authorize", &pairs).await.text().await.unwrap();
        let back = continue_link(&answer);
        assert_eq!(browser.client.get(&back).send().await.unwrap().status(), StatusCode::OK);
    });
    let mut signed_in = desktop_sign_in::sign_in(&settings, |url| opened.send(url).unwrap()).await.expect("signed in");
    person.await.unwrap();
    assert_eq!(signed_in.email.as_deref(), Some(email.as_str()));
    assert_eq!(signed_in.certificate.lic, issued["licenses"][0]["id"].as_str().unwrap());
    assert_eq!(signed_in.certificate.ent, ["export"]);

    let spent = signed_in.refresh_token.clone();
    desktop_sign_in::refresh(&settings, &mut signed_in).await.expect("refreshed");
    assert_ne!(signed_in.refresh_token, spent);
    // The client's own check refuses a certificate for another product or machine.
    let (status, tokens) = token_request(
        &app,
        &[("grant_type", "refresh_token"), ("refresh_token", &signed_in.refresh_token), ("client_id", "desktop")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let certificate = tokens["authorization_details"][0]["certificate"].as_str().unwrap();
    let other_product = desktop_sign_in::Settings { product: "notes".into(), ..settings.clone() };
    assert!(desktop_sign_in::check_certificate(&other_product, certificate).await.is_err());
    let other_machine = desktop_sign_in::Settings { fingerprint: "someone-else".into(), ..settings.clone() };
    assert!(desktop_sign_in::check_certificate(&other_machine, certificate).await.is_err());
    assert!(desktop_sign_in::check_certificate(&settings, certificate).await.is_ok());
}

/// An app's own key, as a desktop app would make and keep it.
struct AppKey {
    encoding: jsonwebtoken::EncodingKey,
    jwk: Value,
}

fn app_key() -> AppKey {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let encoding = jsonwebtoken::EncodingKey::from_ec_der(pkcs8.as_ref());
    let jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&encoding, jsonwebtoken::Algorithm::ES256).unwrap();
    AppKey { encoding, jwk: serde_json::to_value(jwk).unwrap() }
}

impl AppKey {
    /// RFC 7638, written out here rather than taken from the server.
    fn thumbprint(&self) -> String {
        use base64::Engine;
        use sha2::Digest;
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            self.jwk["x"].as_str().unwrap(),
            self.jwk["y"].as_str().unwrap()
        );
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(canonical))
    }

    /// A fresh proof for `method` at `url`, naming `access_token` if any.
    fn proof(&self, app: &TestApp, method: &str, url: &str, access_token: Option<&str>) -> String {
        use base64::Engine;
        use latchkey::clock::Clock;
        use sha2::Digest;
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(serde_json::from_value(self.jwk.clone()).unwrap());
        let mut claims = json!({"jti": uuid::Uuid::now_v7().to_string(), "htm": method, "htu": url,
            "iat": app.clock.now().unix_timestamp()});
        if let Some(token) = access_token {
            claims["ath"] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(token)).into();
        }
        jsonwebtoken::encode(&header, &claims, &self.encoding).unwrap()
    }
}

async fn token_request_with_proof(app: &TestApp, proof: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = app.client.post(app.url("/oauth/token")).header("DPoP", proof).form(form).send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn userinfo_with(app: &TestApp, authorization: &str, proof: Option<&str>) -> (StatusCode, Value) {
    let mut request = app.client.get(app.url("/oauth/userinfo")).header("Authorization", authorization);
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    if status == StatusCode::UNAUTHORIZED {
        let challenges: Vec<&str> =
            response.headers().get_all("www-authenticate").iter().map(|v| v.to_str().unwrap()).collect();
        assert!(challenges.iter().any(|c| c.starts_with("DPoP ") && c.contains("algs=")), "{challenges:?}");
    }
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn dpop_binds_an_apps_tokens_to_the_key_on_its_machine(backend: Backend) {
    let OAuthApp { app, _dir } = spawn(backend).await;
    let (_, _, browser) = user_with_browser(&app).await;
    let key = app_key();
    let token_url = app.url("/oauth/token");
    let (rp, code, verifier) = code_for(&app, &browser, "desktop").await;
    let redirect = rp.rp.redirect_uri().unwrap().to_string();
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect.as_str()),
        ("code_verifier", verifier.secret().as_str()),
        ("client_id", "desktop"),
    ];

    // A proof for another endpoint is refused, and the code is not spent by it.
    let elsewhere = key.proof(&app, "POST", &app.url("/oauth/revoke"), None);
    let (status, body) = token_request_with_proof(&app, &elsewhere, &exchange).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_dpop_proof")), "{body}");

    let (status, tokens) = token_request_with_proof(&app, &key.proof(&app, "POST", &token_url, None), &exchange).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "DPoP");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let jwks: Value = app.get("/.well-known/jwks.json", None).await.json().await.unwrap();
    let checked = pyjwt(&json!({"jwks": jwks, "tokens": [{"token": access, "audience": "desktop"}]}));
    assert_eq!(checked["tokens"][0]["claims"]["cnf"]["jkt"], key.thumbprint(), "{checked}");
    let live = introspect(&app, &access).await;
    assert_eq!((live["active"].as_bool(), live["token_type"].as_str()), (Some(true), Some("DPoP")), "{live}");
    assert_eq!(live["cnf"]["jkt"], key.thumbprint());

    // The bound access token: not as a bearer token, not without a proof, not with a proof used before.
    assert_eq!(userinfo_with(&app, &format!("Bearer {access}"), None).await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = userinfo_with(&app, &format!("DPoP {access}"), None).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_dpop_proof")));
    let userinfo_url = app.url("/oauth/userinfo");
    let proof = key.proof(&app, "GET", &userinfo_url, Some(&access));
    let (status, body) = userinfo_with(&app, &format!("DPoP {access}"), Some(&proof)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = userinfo_with(&app, &format!("DPoP {access}"), Some(&proof)).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_dpop_proof")), "replayed");
    // A proof by another key, even a fresh one, is not this token's.
    let thief = app_key();
    let stolen_use = thief.proof(&app, "GET", &userinfo_url, Some(&access));
    assert_eq!(userinfo_with(&app, &format!("DPoP {access}"), Some(&stolen_use)).await.0, StatusCode::UNAUTHORIZED);

    // The refresh token is useless without the key, and such tries do not spend it.
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refresh_form = [("grant_type", "refresh_token"), ("refresh_token", refresh.as_str()), ("client_id", "desktop")];
    let (status, body) = token_request(&app, &refresh_form).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_dpop_proof")), "{body}");
    let by_thief = thief.proof(&app, "POST", &token_url, None);
    let (status, body) = token_request_with_proof(&app, &by_thief, &refresh_form).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_dpop_proof")), "{body}");
    let proof = key.proof(&app, "POST", &token_url, None);
    let (status, refreshed) = token_request_with_proof(&app, &proof, &refresh_form).await;
    assert_eq!(status, StatusCode::OK, "the app itself still refreshes: {refreshed}");
    assert_eq!(refreshed["token_type"], "DPoP");
    // The same proof again, even with the new refresh token, is a replay.
    let next = refreshed["refresh_token"].as_str().unwrap();
    let next_form = [("grant_type", "refresh_token"), ("refresh_token", next), ("client_id", "desktop")];
    let (status, body) = token_request_with_proof(&app, &proof, &next_form).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_dpop_proof")), "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("used before"), "{body}");
    // A proof made six minutes before it is sent is too old.
    app.clock.advance(Duration::minutes(6));
    let stale = key.proof(&app, "POST", &token_url, None);
    app.clock.advance(Duration::minutes(6));
    let (status, body) = token_request_with_proof(&app, &stale, &next_form).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_dpop_proof")), "{body}");
    let (status, body) = token_request_with_proof(&app, &key.proof(&app, "POST", &token_url, None), &next_form).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // RFC 9449 §10: an app that names its key when it opens the sign-in
    // gets a code only that key can exchange; a malformed thumbprint goes
    // back to the app as `invalid_request`.
    let thumbprint = key.thumbprint();
    let exchange_with = |proof: String, code: String, verifier: String, redirect: String| {
        let app = &app;
        async move {
            let form = [
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", redirect.as_str()),
                ("code_verifier", verifier.as_str()),
                ("client_id", "desktop"),
            ];
            token_request_with_proof(app, &proof, &form).await
        }
    };
    for (holder, expected) in [(&thief, Some("invalid_dpop_proof")), (&key, None)] {
        let rp = relying_party(&app, "desktop").await;
        let started = rp.start_with(&[], &[("dpop_jkt", thumbprint.as_str())]);
        let back = browser.approve_any(&started).await;
        let code = param(&rp.receive(&browser, &back).await, "code").unwrap().to_owned();
        let redirect = rp.rp.redirect_uri().unwrap().to_string();
        let proof = holder.proof(&app, "POST", &token_url, None);
        let (status, body) = exchange_with(proof, code, started.verifier.secret().clone(), redirect).await;
        match expected {
            Some(error) => {
                assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some(error)), "{body}")
            }
            None => assert_eq!((status, body["token_type"].as_str()), (StatusCode::OK, Some("DPoP")), "{body}"),
        }
    }
    let rp = relying_party(&app, "desktop").await;
    let started = rp.start_with(&[], &[("dpop_jkt", "not-a-thumbprint")]);
    let back = browser.get(started.url.as_str()).await;
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    let location = back.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.contains("error=invalid_request"), "{location}");

    // A sign-in made before the app sent proofs is bound by its first refresh that brings one.
    let (rp, code, verifier) = code_for(&app, &browser, "desktop").await;
    let redirect = rp.rp.redirect_uri().unwrap().to_string();
    let (status, unbound) = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect.as_str()),
            ("code_verifier", verifier.secret().as_str()),
            ("client_id", "desktop"),
        ],
    )
    .await;
    assert_eq!((status, unbound["token_type"].as_str()), (StatusCode::OK, Some("Bearer")), "{unbound}");
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", unbound["refresh_token"].as_str().unwrap()),
        ("client_id", "desktop"),
    ];
    let (status, bound) = token_request_with_proof(&app, &key.proof(&app, "POST", &token_url, None), &form).await;
    assert_eq!((status, bound["token_type"].as_str()), (StatusCode::OK, Some("DPoP")), "{bound}");
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", bound["refresh_token"].as_str().unwrap()),
        ("client_id", "desktop"),
    ];
    let (status, body) = token_request(&app, &form).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_dpop_proof")), "{body}");
}

async fn security_page(app: &TestApp, browser: &Browser) -> String {
    browser.get(&app.url("/account/security")).await.text().await.unwrap()
}

/// The security page lists the apps that stay signed in (with the machine
/// whose seat they took) and signs one out: every token of that sign-in
/// stops working. Another person's sign-in cannot be ended from here.
async fn the_user_sees_and_signs_out_the_apps_on_their_account(backend: Backend) {
    let OAuthApp { app, _dir } = spawn(backend).await;
    let (_, session, browser) = user_with_browser(&app).await;
    assert!(security_page(&app, &browser).await.contains("No app is signed in to your account."));

    // One app with a seat for its machine (and refresh tokens), one with none.
    let issued: Value =
        app.post("/v1/admin/licenses", &json!({"policy": "solo"}), Some(app.admin_key())).await.json().await.unwrap();
    let code = issued["licenses"][0]["activation_code"].as_str().unwrap();
    app.post("/v1/me/licenses/redeem", &json!({"activation_code": code}), Some(&session)).await;
    let rp = relying_party(&app, "notes").await;
    let (started, _) = with_seat(&rp, &browser, LAPTOP).await;
    let tokens = exchange_raw(&app, &rp, &browser, &started).await;
    let cli = relying_party(&app, "cli").await;
    cli.sign_in(&browser, &[]).await;

    let page = security_page(&app, &browser).await;
    assert!(
        page.contains("Notes") && (page.contains("on Ada&#39;s laptop") || page.contains("on Ada's laptop")),
        "{page}"
    );
    assert!(!page.contains("Studio CLI"), "an app without refresh tokens is not kept signed in: {page}");
    let action = between(&page, "action=\"/account/security/apps/", "/sign-out").unwrap().to_owned();

    // Someone else cannot end it, even knowing its id.
    let (_, _, stranger) = user_with_browser(&app).await;
    let refused = stranger.post_form(&format!("/account/security/apps/{action}/sign-out"), &[]).await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh.as_str()), ("client_id", "notes")];
    let (status, refreshed) = token_request(&app, &form).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");

    let done = browser.post_form(&format!("/account/security/apps/{action}/sign-out"), &[]).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let location = done.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.ends_with("done=app-signed-out#apps"), "{location}");
    let page = browser.get(&app.url(&location)).await.text().await.unwrap();
    assert!(page.contains("That app is signed out."), "{page}");
    assert!(page.contains("No app is signed in to your account."), "{page}");
    let next = refreshed["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", next), ("client_id", "notes")];
    assert_eq!(token_request(&app, &form).await.1["error"], "invalid_grant");
    let access = refreshed["access_token"].as_str().unwrap();
    assert_eq!(introspect(&app, access).await["active"], false);
    // The seat stays: freeing it is the devices page's business.
    let mine: Value = app.get("/v1/me/licenses", Some(&session)).await.json().await.unwrap();
    assert_eq!(mine["licenses"][0]["activations"].as_array().unwrap().len(), 1, "{mine}");
}

/// The operator's other way to give a confidential client its secret: the
/// CLI reads it from stdin and keeps only its hash; the running gateway
/// takes it at once.
async fn a_confidential_clients_secret_is_set_with_the_cli(backend: Backend) {
    let OAuthApp { app, _dir } = spawn(backend).await;
    const SECRET: &str = "a-portal-secret-set-on-the-command-line";
    let attempt = |secret: &'static str| {
        let app = &app;
        async move {
            let response = app
                .client
                .post(app.url("/oauth/token"))
                .basic_auth("portal-cli", Some(secret))
                .form(&[("grant_type", "refresh_token"), ("refresh_token", "lk_ref_unknown")])
                .send()
                .await
                .unwrap();
            response.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(attempt(SECRET).await, "invalid_client", "no secret set yet");

    let settings = _dir.path().join("latchkey.toml");
    std::fs::write(&settings, format!("[[clients]]\n{PORTAL_CLI}")).unwrap();
    let set_secret = |id: &str, secret: &str| {
        let out = admin_cli(
            &app.db,
            &settings,
            &_dir.path().join("policies"),
            &["client", "set-secret", id],
            &format!("{secret}\n"),
        );
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (ok, said) = set_secret("portal-cli", "short");
    assert!(!ok && said.contains("16"), "{said}");
    let (ok, said) = set_secret("nobody", SECRET);
    assert!(!ok && said.contains("no client `nobody`"), "{said}");
    let (ok, said) = set_secret("portal-cli", SECRET);
    assert!(ok, "{said}");

    assert_eq!(attempt(SECRET).await, "invalid_grant", "the secret was right, the token not");
    assert_eq!(attempt("a-wrong-secret-of-enough-length").await, "invalid_client");
    // Set again, the old one stops working at once.
    assert!(set_secret("portal-cli", "the-next-portal-secret-0123456789").0);
    assert_eq!(attempt(SECRET).await, "invalid_client");
    assert_eq!(attempt("the-next-portal-secret-0123456789").await, "invalid_grant");
}
