//! Tokens for help desks, chat widgets and back ends, each format checked by
//! an independent implementation (PyJWT, Python's hmac); introspection,
//! revocation and rotation across two instances.

use std::path::PathBuf;
use std::sync::Arc;

use latchkey::clock::ManualClock;
use latchkey::config::Settings;
use latchkey::domain::integration::{HashedIdentifier, Integration, IntegrationKind};
use latchkey::domain::policy::SignInRequirement;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

use crate::helpers::{Backend, TestApp, TestDb, admin_cli, assert_problem, pyjwt};
use crate::on_both_backends;

on_both_backends!(
    every_format_verifies_independently,
    requirements_are_checked_before_minting,
    introspection_and_revocation,
    rotation_and_revocation_hold_across_instances,
    the_timeline_explains_failures,
    set_secret_stores_a_sealed_secret_that_signs,
);

const ZENDESK_SECRET: &str = "zendesk-secret-0123456789abcdef";
const INTERCOM_SECRET: &str = "intercom-secret-0123456789abcdef";
const HELPSCOUT_SECRET: &str = "helpscout-secret-0123456789";
const PASSWORD: &str = "correct horse battery staple";

const POLICY: &str = "name = \"desk\"\nproduct = \"studio\"\nduration = \"365d\"\nmax_activations = 1\n\
binding = \"node_locked\"\noffline_lease = \"14d\"\nentitlements = [\"export\"]\n\
[tokens]\naudiences = [\"backend\", \"widget\", \"zdrot\", \"zendesk\", \"sso\", \"intercom\", \"helpscout\", \"crisp\"]\n";

/// A policy whose holders may not use any audience.
const CLOSED_POLICY: &str = "name = \"closed\"\nproduct = \"other\"\nmax_activations = 1\nbinding = \"node_locked\"\n\
offline_lease = \"1d\"\n";

/// Policies and secret files live here for the test's duration.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("policies")).unwrap();
        std::fs::write(dir.path().join("policies/desk.toml"), POLICY).unwrap();
        std::fs::write(dir.path().join("policies/closed.toml"), CLOSED_POLICY).unwrap();
        for (name, secret) in
            [("zendesk", ZENDESK_SECRET), ("intercom", INTERCOM_SECRET), ("helpscout", HELPSCOUT_SECRET)]
        {
            std::fs::write(dir.path().join(name), format!("{secret}\n")).unwrap();
        }
        Self { dir }
    }

    fn secret(&self, name: &str) -> Option<PathBuf> {
        Some(self.dir.path().join(name))
    }

    fn configure(&self, settings: &mut Settings) {
        let integration = |name: &str, kind, lifetime_minutes| Integration {
            name: name.into(),
            kind,
            lifetime: Duration::minutes(lifetime_minutes),
            require: SignInRequirement::Password,
            require_eula: false,
            key_id: None,
            identifier: HashedIdentifier::Email,
            secret_file: None,
            licensed_only: true,
            widget: None,
        };
        settings.policies = self.dir.path().join("policies");
        settings.integrations = vec![
            integration("backend", IntegrationKind::Jwt, 30),
            Integration {
                require: SignInRequirement::Mfa,
                require_eula: true,
                ..integration("widget", IntegrationKind::Jwt, 10)
            },
            Integration {
                key_id: Some("app_old".into()),
                ..integration("zdrot", IntegrationKind::ZendeskMessaging, 5)
            },
            Integration {
                key_id: Some("app_64a1b2".into()),
                secret_file: self.secret("zendesk"),
                ..integration("zendesk", IntegrationKind::ZendeskMessaging, 5)
            },
            integration("sso", IntegrationKind::ZendeskSso, 2),
            Integration {
                secret_file: self.secret("intercom"),
                ..integration("intercom", IntegrationKind::Intercom, 5)
            },
            Integration { secret_file: self.secret("helpscout"), ..integration("helpscout", IntegrationKind::Hmac, 2) },
            Integration {
                identifier: HashedIdentifier::UserId,
                secret_file: self.secret("helpscout"),
                ..integration("crisp", IntegrationKind::Hmac, 2)
            },
            // The help widget: open to everyone signed in, license or not.
            Integration {
                secret_file: self.secret("intercom"),
                licensed_only: false,
                ..integration("help", IntegrationKind::Intercom, 5)
            },
        ];
    }

    async fn spawn(&self, db: Arc<TestDb>, clock: Arc<ManualClock>) -> TestApp {
        TestApp::spawn_with_clock(db, clock, |s| self.configure(s)).await
    }
}

/// Signs up `email`, gives them a `desk` license; returns (user id, session token).
async fn licensed(app: &TestApp, email: &str) -> (String, String) {
    app.sign_up(email, PASSWORD).await;
    let token = app.sign_in(email, PASSWORD).await;
    let issued: Value =
        app.post("/v1/admin/licenses", &json!({"policy": "desk"}), Some(app.admin_key())).await.json().await.unwrap();
    let code = issued["licenses"][0]["activation_code"].as_str().unwrap();
    let redeemed = app.post("/v1/me/licenses/redeem", &json!({"activation_code": code}), Some(&token)).await;
    assert_eq!(redeemed.status(), StatusCode::CREATED);
    (app.user_id(&token).await, token)
}

/// Marks the address verified, as following the mailed link does (the mail
/// tests follow real links; here only the outcome matters).
async fn verify_email(app: &TestApp, user_id: &str, email: &str) {
    let store = app.db.store().await;
    let user_id = latchkey::domain::ids::UserId::parse(user_id).unwrap();
    assert!(store.mark_email_verified(&user_id, email, app.clock_now()).await.unwrap());
}

async fn mint(app: &TestApp, token: &str, audience: &str) -> Value {
    let response = app.post("/v1/tokens", &json!({"audience": audience}), Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK, "{audience}");
    response.json().await.unwrap()
}

async fn jwks(app: &TestApp) -> Value {
    app.get("/.well-known/jwks.json", None).await.json().await.unwrap()
}

async fn introspect(app: &TestApp, key: &str, token: &str) -> Value {
    let response = app
        .client
        .post(app.url("/v1/tokens/introspect"))
        .bearer_auth(key)
        .form(&[("token", token), ("token_type_hint", "access_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

async fn revoke(app: &TestApp, credential: &str, token: &str) -> StatusCode {
    let response =
        app.client.post(app.url("/v1/tokens/revoke")).bearer_auth(credential).form(&[("token", token)]).send().await;
    response.unwrap().status()
}

/// The same token with one signature character changed.
fn flip_signature(token: &str) -> String {
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let mut signature: Vec<u8> = signature.bytes().collect();
    signature[10] = if signature[10] == b'A' { b'B' } else { b'A' };
    format!("{signed}.{}", String::from_utf8(signature).unwrap())
}

/// Our claims and `kid` under the classic forgeries: HS256 keyed with the
/// public key, and `alg: none`.
async fn forgeries(app: &TestApp, live: &str) -> [String; 2] {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (header, rest) = live.split_once('.').unwrap();
    let (payload, _) = rest.split_once('.').unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let public_key = jwks(app).await["keys"][0].to_string();
    let mut hs = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs.kid = header["kid"].as_str().map(str::to_owned);
    hs.typ = Some("at+jwt".into());
    let hs256 =
        jsonwebtoken::encode(&hs, &claims, &jsonwebtoken::EncodingKey::from_secret(public_key.as_bytes())).unwrap();
    let none_header = json!({"alg": "none", "typ": "at+jwt", "kid": header["kid"]}).to_string();
    let none = format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(none_header));
    [hs256, none]
}

/// An offline license certificate: signed by the same keys, but not a token.
async fn certificate(app: &TestApp, token: &str) -> String {
    let licenses: Value = app.get("/v1/me/licenses", Some(token)).await.json().await.unwrap();
    let activation = json!({"license_id": licenses["licenses"][0]["id"], "fingerprint": "cert-machine"});
    let activated: Value = app.post("/v1/activations", &activation, Some(token)).await.json().await.unwrap();
    activated["certificate"].as_str().unwrap().to_owned()
}

async fn every_format_verifies_independently(backend: Backend) {
    let fixture = Fixture::new();
    let clock = Arc::new(ManualClock::starting_now());
    let app = fixture.spawn(TestDb::new(backend).await, clock.clone()).await;
    let (user_id, token) = licensed(&app, "ada@example.com").await;
    // Help Scout keys conversations on the email: an unproven address gets no hash.
    let unverified = app.post("/v1/tokens", &json!({"audience": "helpscout"}), Some(&token)).await;
    assert_problem(unverified, StatusCode::FORBIDDEN, "email_verification_required").await;
    verify_email(&app, &user_id, "ada@example.com").await;
    let now = app.clock_now().unix_timestamp();

    let backend_token = mint(&app, &token, "backend").await;
    assert_eq!(backend_token["token_type"], "Bearer");
    assert_eq!(backend_token["audience"], "backend");
    let zendesk = mint(&app, &token, "zendesk").await;
    assert_eq!(zendesk["token_type"], "JWT");
    let sso = app.post("/v1/tokens", &json!({"audience": "sso"}), Some(&token)).await;
    assert_eq!(sso.headers()["retry-after"], "300", "waiting on the operator, not a blip");
    let problem = assert_problem(sso, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert!(problem["detail"].as_str().unwrap().contains("`sso` integration is not set up"), "{problem}");
    let intercom = mint(&app, &token, "intercom").await;
    let helpscout = mint(&app, &token, "helpscout").await;
    let crisp = mint(&app, &token, "crisp").await;

    let checked = pyjwt(&json!({
        "jwks": jwks(&app).await,
        "tokens": [{"token": backend_token["token"], "audience": "backend",
                    "require": ["iss", "sub", "aud", "exp", "iat", "jti"]}],
        "shared": [
            {"token": zendesk["token"], "secret": ZENDESK_SECRET, "require": ["exp"]},
            {"token": intercom["token"], "secret": INTERCOM_SECRET, "require": ["exp"]},
            {"token": zendesk["token"], "secret": INTERCOM_SECRET},
        ],
        "hmac": [
            {"secret": HELPSCOUT_SECRET, "message": "ada@example.com"},
            {"secret": HELPSCOUT_SECRET, "message": user_id},
        ],
    }));

    // Ours: RFC 9068 header and claims, with the user, their sign-in and licenses.
    let ours = &checked["tokens"][0];
    assert_eq!(ours["header"]["typ"], "at+jwt", "{checked}");
    assert_eq!(ours["header"]["alg"], "ES256");
    let claims = &ours["claims"];
    assert_eq!(claims["sub"], user_id.as_str());
    assert_eq!(claims["aud"], "backend");
    assert_eq!(claims["client_id"], "backend");
    assert_eq!(claims["iss"], "http://localhost:8080");
    assert_eq!(claims["email"], "ada@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert_eq!(claims["acr"], "password");
    assert_eq!(claims["licenses"][0]["product"], "studio");
    assert_eq!(claims["licenses"][0]["entitlements"], json!(["export"]));
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 30 * 60);
    assert!((claims["iat"].as_i64().unwrap() - now).abs() <= 1);
    assert_eq!(claims["jti"].as_str().unwrap().len(), 36);
    // `sid` names the session that asked (its id, as the user's session list shows it).
    let sessions: Value = app.get("/v1/me/sessions", Some(&token)).await.json().await.unwrap();
    let current = sessions["sessions"].as_array().unwrap().iter().find(|s| s["current"] == true).unwrap();
    assert_eq!(claims["sid"], current["id"], "{sessions}");

    // Zendesk messaging: HS256 with the key id Zendesk showed, user scope, stable external id.
    let zd = &checked["shared"][0];
    assert_eq!(zd["header"], json!({"alg": "HS256", "typ": "JWT", "kid": "app_64a1b2"}), "{checked}");
    assert_eq!(zd["claims"]["scope"], "user");
    assert_eq!(zd["claims"]["external_id"], user_id.as_str());
    assert_eq!(zd["claims"]["email"], "ada@example.com");
    assert_eq!(zd["claims"]["email_verified"], true);
    assert_eq!(zd["claims"]["name"], "ada@example.com", "no name given: the address stands in");
    assert_eq!(zd["claims"]["exp"].as_i64().unwrap() - now, 5 * 60);
    // Intercom: user_id, no kid.
    let ic = &checked["shared"][1];
    assert!(ic["header"].get("kid").is_none(), "{checked}");
    assert_eq!(ic["claims"]["user_id"], user_id.as_str());
    assert_eq!(ic["claims"]["email"], "ada@example.com");
    // A token checked against another vendor's secret fails.
    assert!(checked["shared"][2]["error"].as_str().unwrap().contains("Signature"), "{checked}");

    // Identity hashes: Python's hmac agrees, and so does a vector computed
    // once with `openssl dgst -sha256 -hmac` and fixed here.
    assert_eq!(helpscout["identifier"], "ada@example.com");
    assert_eq!(helpscout["hash"], checked["hmac"][0]);
    assert_eq!(helpscout["hash"], "4476d36477be1dfdcaf2fdd064688f1bb610986e46820d2cb640c0fa98ea7a7e");
    assert_eq!(crisp["identifier"], user_id.as_str());
    assert_eq!(crisp["hash"], checked["hmac"][1]);

    // The SSO integration gets its secret from the CLI in another test; the
    // discovery document names every endpoint a verifier needs.
    let discovery: Value = app.get("/.well-known/openid-configuration", None).await.json().await.unwrap();
    assert_eq!(discovery["issuer"], "http://localhost:8080");
    assert_eq!(discovery["jwks_uri"], "http://localhost:8080/.well-known/jwks.json");
    assert_eq!(discovery["introspection_endpoint"], "http://localhost:8080/v1/tokens/introspect");
    assert_eq!(discovery["revocation_endpoint"], "http://localhost:8080/oauth/revoke");
    assert_eq!(discovery["access_token_signing_alg_values_supported"], json!(["ES256"]));

    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(metrics.contains("latchkey_tokens_minted_total{audience=\"zendesk\"} 1"), "{metrics}");
    assert!(metrics.contains("latchkey_codes_redeemed_total{product=\"studio\"} 1"), "{metrics}");
}

async fn requirements_are_checked_before_minting(backend: Backend) {
    let fixture = Fixture::new();
    let app = fixture.spawn(TestDb::new(backend).await, Arc::new(ManualClock::starting_now())).await;
    let (_, token) = licensed(&app, "grace@example.com").await;

    let unknown = app.post("/v1/tokens", &json!({"audience": "nope"}), Some(&token)).await;
    let problem = assert_problem(unknown, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "audience");
    let anonymous = app.post("/v1/tokens", &json!({"audience": "backend"}), None).await;
    assert_problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // The widget asks for two factors; a password-only account must set one up.
    let weak = app.post("/v1/tokens", &json!({"audience": "widget"}), Some(&token)).await;
    let problem = assert_problem(weak, StatusCode::FORBIDDEN, "factor_enrollment_required").await;
    assert_eq!(problem["factor"], "second_factor");
    // With TOTP set up and used at sign-in, it is minted.
    let (secret, _) = app.enroll_totp(&token).await;
    let pending = app.pending_sign_in("grace@example.com", PASSWORD).await;
    app.clock.advance(Duration::seconds(30));
    let code = crate::helpers::totp_code(&secret, app.clock_now());
    let signed_in = app.post("/v1/sessions/totp", &json!({"pending_token": pending, "code": code}), None).await;
    assert_eq!(signed_in.status(), StatusCode::CREATED);
    let strong = signed_in.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    // The widget also wants the product's current EULA accepted, though the
    // policy does not; the backend audience does not care.
    const TERMS: &str = "# Studio licence\n\nBe nice.\n";
    let published = json!({"product": "studio", "version": "2.0", "title": "Studio licence", "body": TERMS,
        "material": true});
    let published: Value = app.post("/v1/admin/eulas", &published, Some(app.admin_key())).await.json().await.unwrap();
    let unaccepted = app.post("/v1/tokens", &json!({"audience": "widget"}), Some(&strong)).await;
    let problem = assert_problem(unaccepted, StatusCode::FORBIDDEN, "eula_acceptance_required").await;
    assert_eq!((problem["product"].as_str(), problem["eula_version"].as_str()), (Some("studio"), Some("2.0")));
    mint(&app, &strong, "backend").await;
    let accept = json!({"product": "studio", "version": "2.0", "sha256": published["sha256"], "decision": "accepted"});
    assert_eq!(app.post("/v1/me/eula-acceptances", &accept, Some(&strong)).await.status(), StatusCode::CREATED);
    let widget = mint(&app, &strong, "widget").await;
    let checked = pyjwt(&json!({"jwks": jwks(&app).await, "leeway": 60,
        "tokens": [{"token": widget["token"], "audience": "widget"}]}));
    assert_eq!(checked["tokens"][0]["claims"]["acr"], "mfa", "{checked}");
    assert_eq!(checked["tokens"][0]["claims"]["amr"], json!(["pwd", "otp", "mfa"]));
    assert_eq!(checked["tokens"][0]["claims"]["eula"], json!({"studio": "2.0"}));

    // A user whose licenses do not list the audience gets none...
    let (_, _, stranger) = app.signed_in_user().await;
    let refused = app.post("/v1/tokens", &json!({"audience": "backend"}), Some(&stranger)).await;
    assert_problem(refused, StatusCode::FORBIDDEN, "forbidden").await;
    // ...except from an integration open to everyone signed in, such as the help widget.
    let help = mint(&app, &stranger, "help").await;
    let checked = pyjwt(&json!({"shared": [{"token": help["token"], "secret": INTERCOM_SECRET}]}));
    assert!(checked["shared"][0]["claims"]["user_id"].is_string(), "{checked}");
    let issued: Value =
        app.post("/v1/admin/licenses", &json!({"policy": "closed"}), Some(app.admin_key())).await.json().await.unwrap();
    let code = issued["licenses"][0]["activation_code"].as_str().unwrap();
    app.post("/v1/me/licenses/redeem", &json!({"activation_code": code}), Some(&stranger)).await;
    let refused = app.post("/v1/tokens", &json!({"audience": "backend"}), Some(&stranger)).await;
    assert_problem(refused, StatusCode::FORBIDDEN, "forbidden").await;

    // A suspended license stops opening tokens.
    let licenses: Value = app.get("/v1/me/licenses", Some(&token)).await.json().await.unwrap();
    let license_id = licenses["licenses"][0]["id"].as_str().unwrap().to_owned();
    let suspended =
        app.post(&format!("/v1/admin/licenses/{license_id}/suspend"), &json!({}), Some(app.admin_key())).await;
    assert_eq!(suspended.status(), StatusCode::OK);
    let refused = app.post("/v1/tokens", &json!({"audience": "backend"}), Some(&token)).await;
    assert_problem(refused, StatusCode::FORBIDDEN, "forbidden").await;
}

async fn introspection_and_revocation(backend: Backend) {
    let fixture = Fixture::new();
    let clock = Arc::new(ManualClock::starting_now());
    let app = fixture.spawn(TestDb::new(backend).await, clock.clone()).await;
    let support = app.support_key().await;
    let (user_id, token) = licensed(&app, "lin@example.com").await;
    let (_, other) = licensed(&app, "mae@example.com").await;

    let live = mint(&app, &token, "backend").await["token"].as_str().unwrap().to_owned();
    let described = introspect(&app, &support, &live).await;
    assert_eq!(described["active"], true, "{described}");
    assert_eq!(described["sub"], user_id.as_str());
    assert_eq!(described["aud"], "backend");
    assert_eq!(described["username"], "lin@example.com");
    assert_eq!(described["token_type"], "Bearer");
    assert_eq!(described["amr"], json!(["pwd"]));
    assert!(described["exp"].is_i64() && described["iat"].is_i64());
    // JSON bodies work too; an admin key may introspect as well.
    let as_json = app.post("/v1/tokens/introspect", &json!({"token": live}), Some(app.admin_key())).await;
    assert_eq!(as_json.json::<Value>().await.unwrap()["active"], true);
    // Users and strangers may not.
    let by_user = app.post("/v1/tokens/introspect", &json!({"token": live}), Some(&token)).await;
    assert_problem(by_user, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // Anything not live is `{active:false}` and nothing more.
    let tampered = flip_signature(&live);
    let forged = forgeries(&app, &live).await;
    let zendesk = mint(&app, &token, "zendesk").await["token"].as_str().unwrap().to_owned();
    let certificate = certificate(&app, &token).await;
    let dead = [tampered.as_str(), forged[0].as_str(), forged[1].as_str(), certificate.as_str(), zendesk.as_str()];
    for dead in dead.into_iter().chain(["not-a-token", token.as_str(), ""]) {
        assert_eq!(introspect(&app, &support, dead).await, json!({"active": false}), "{dead}");
    }

    // Another user cannot revoke it (and learns nothing: still 200).
    assert_eq!(revoke(&app, &other, &live).await, StatusCode::OK);
    assert_eq!(introspect(&app, &support, &live).await["active"], true);
    // Its holder can.
    assert_eq!(revoke(&app, &token, &live).await, StatusCode::OK);
    assert_eq!(introspect(&app, &support, &live).await, json!({"active": false}));
    assert_eq!(revoke(&app, &token, "garbage").await, StatusCode::OK, "RFC 7009: unknown tokens are fine");
    assert_eq!(revoke(&app, "lk_ses_unknown", &live).await, StatusCode::UNAUTHORIZED);

    // Nothing was recorded at mint: the holder revokes from any of their
    // sessions, as the token's signed `sub` is what says whose it is.
    let elsewhere = app.sign_in("lin@example.com", PASSWORD).await;
    let sibling = mint(&app, &token, "backend").await["token"].as_str().unwrap().to_owned();
    assert_eq!(revoke(&app, &elsewhere, &sibling).await, StatusCode::OK);
    assert_eq!(introspect(&app, &support, &sibling).await["active"], false);
    assert_eq!(revoke(&app, &elsewhere, &sibling).await, StatusCode::OK, "twice is fine");

    // Support can revoke any; signing out ends the session's tokens.
    let second = mint(&app, &token, "backend").await["token"].as_str().unwrap().to_owned();
    let third = mint(&app, &token, "backend").await["token"].as_str().unwrap().to_owned();
    assert_eq!(revoke(&app, &support, &second).await, StatusCode::OK);
    assert_eq!(introspect(&app, &support, &second).await["active"], false);
    assert_eq!(introspect(&app, &support, &third).await["active"], true);
    assert_eq!(app.delete("/v1/sessions/current", Some(&token)).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(introspect(&app, &support, &third).await["active"], false);

    // Expiry: live until its `exp`, then not.
    let fourth = mint(&app, &other, "backend").await["token"].as_str().unwrap().to_owned();
    clock.advance(Duration::minutes(29));
    assert_eq!(introspect(&app, &support, &fourth).await["active"], true);
    clock.advance(Duration::minutes(1));
    assert_eq!(introspect(&app, &support, &fourth).await, json!({"active": false}));

    // Support verifies a caller by a live token, not by a dead one.
    let fifth = mint(&app, &other, "backend").await["token"].as_str().unwrap().to_owned();
    let verified: Value =
        app.post("/v1/support/verify", &json!({"token": fifth}), Some(&support)).await.json().await.unwrap();
    assert_eq!(verified["verified"], true, "{verified}");
    assert_eq!(verified["user"]["email"], "mae@example.com");
    assert_eq!(verified["licenses"][0]["product"], "studio");
    let refused: Value =
        app.post("/v1/support/verify", &json!({"token": fourth}), Some(&support)).await.json().await.unwrap();
    assert_eq!(refused, json!({"verified": false}));
    let both = app.post("/v1/support/verify", &json!({"token": fifth, "email": "x@y.z"}), Some(&support)).await;
    assert_problem(both, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    // Minting wrote nothing: the list holds the three revocations (by the
    // holder, from a second session, by support), not the refused one or
    // the garbage, and each entry goes once its token would have expired.
    let store = app.db.store().await;
    assert_eq!(store.purge(app.clock_now() + Duration::minutes(1)).await.unwrap().of("revoked_tokens"), 3);
}

async fn rotation_and_revocation_hold_across_instances(backend: Backend) {
    let fixture = Fixture::new();
    let db = TestDb::new(backend).await;
    let clock = Arc::new(ManualClock::starting_now());
    let first = fixture.spawn(db.clone(), clock.clone()).await;
    let second = fixture.spawn(db, clock.clone()).await;
    let admin = first.admin_key().to_owned();
    let support = first.support_key().await;
    let (_, token) = licensed(&first, "ida@example.com").await;

    let before = mint(&first, &token, "backend").await["token"].as_str().unwrap().to_owned();
    assert_eq!(jwks(&first).await, jwks(&second).await);
    let rotated = first.post("/v1/admin/signing-keys/rotate?algorithm=EdDSA", &json!({}), Some(&admin)).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let new_kid = rotated.json::<Value>().await.unwrap()["kid"].clone();
    let bad = first.post("/v1/admin/signing-keys/rotate?algorithm=RS1", &json!({}), Some(&admin)).await;
    assert_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    // New tokens use the new key at once on the rotating instance, and on
    // the other once its cache refreshes (30 s).
    let after = mint(&first, &token, "backend").await["token"].as_str().unwrap().to_owned();
    clock.advance(Duration::seconds(31));
    let from_second = mint(&second, &token, "backend").await["token"].as_str().unwrap().to_owned();
    let published = jwks(&second).await;
    assert_eq!(published, jwks(&first).await, "both instances publish the same keys");
    assert_eq!(published["keys"].as_array().unwrap().len(), 2);
    let checked = pyjwt(&json!({"jwks": published, "leeway": 60, "tokens": [
        {"token": before, "audience": "backend"},
        {"token": after, "audience": "backend"},
        {"token": from_second, "audience": "backend"},
    ]}));
    assert_eq!(checked["tokens"][0]["header"]["alg"], "ES256", "{checked}");
    for fresh in [&checked["tokens"][1], &checked["tokens"][2]] {
        assert_eq!(fresh["header"]["alg"], "EdDSA", "{checked}");
        assert_eq!(fresh["header"]["kid"], new_kid);
    }
    let discovery: Value = second.get("/.well-known/openid-configuration", None).await.json().await.unwrap();
    assert_eq!(discovery["access_token_signing_alg_values_supported"], json!(["ES256", "EdDSA"]));

    // Revoked on one instance, dead on the other; introspection on either
    // accepts tokens signed by either key.
    assert_eq!(introspect(&second, &support, &before).await["active"], true);
    assert_eq!(revoke(&first, &token, &from_second).await, StatusCode::OK);
    assert_eq!(introspect(&second, &support, &from_second).await["active"], false);
    assert_eq!(introspect(&second, &support, &after).await["active"], true);
    // A token of the retired (still published) key, minted on the first
    // instance, revoked by staff on the second: dead on both.
    assert_eq!(revoke(&second, &support, &before).await, StatusCode::OK);
    assert_eq!(introspect(&first, &support, &before).await["active"], false);
    assert_eq!(introspect(&second, &support, &before).await["active"], false);

    // When the old key's retention ends (the policy's 14-day offline lease)
    // it leaves the JWKS, and what it signed no longer verifies anywhere.
    clock.advance(Duration::days(15));
    let published = jwks(&second).await;
    let kids: Vec<&Value> = published["keys"].as_array().unwrap().iter().map(|k| &k["kid"]).collect();
    assert_eq!(kids, [&new_kid]);
    let checked = pyjwt(&json!({"jwks": published, "tokens": [before]}));
    assert!(checked["tokens"][0]["error"].as_str().unwrap().starts_with("KeyError"), "no key for it: {checked}");
}

async fn the_timeline_explains_failures(backend: Backend) {
    let fixture = Fixture::new();
    let app = fixture.spawn(TestDb::new(backend).await, Arc::new(ManualClock::starting_now())).await;
    let support = app.support_key().await;
    let (user_id, token) = licensed(&app, "kay@example.com").await;

    assert_eq!(app.try_sign_in("kay@example.com", "wrong password entirely").await.status(), StatusCode::UNAUTHORIZED);
    let typo =
        app.post("/v1/me/licenses/redeem", &json!({"activation_code": "ABCD-EFGH-JKMN-PQR7"}), Some(&token)).await;
    assert!(typo.status().is_client_error());
    let licenses: Value = app.get("/v1/me/licenses", Some(&token)).await.json().await.unwrap();
    let license_id = licenses["licenses"][0]["id"].as_str().unwrap().to_owned();
    let first = json!({"license_id": license_id, "fingerprint": "machine-a"});
    assert_eq!(app.post("/v1/activations", &first, Some(&token)).await.status(), StatusCode::CREATED);
    let second = json!({"license_id": license_id, "fingerprint": "machine-b"});
    let refused = app.post("/v1/activations", &second, Some(&token)).await;
    assert_problem(refused, StatusCode::CONFLICT, "seat_limit_reached").await;

    // The failed sign-in is written without holding up the answer; wait for it.
    let mut timeline = Value::Null;
    for _ in 0..250 {
        let response = app.get(&format!("/v1/support/users/{user_id}/timeline"), Some(&support)).await;
        assert_eq!(response.status(), StatusCode::OK);
        timeline = response.json().await.unwrap();
        if timeline["events"].as_array().unwrap().iter().any(|e| e["kind"] == "sign_in_failed") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(timeline["user"]["email"], "kay@example.com");
    let events = timeline["events"].as_array().unwrap();
    let find = |kind: &str| events.iter().find(|e| e["kind"] == kind).unwrap_or_else(|| panic!("{kind}: {timeline}"));
    assert_eq!(find("sign_in_failed")["detail"]["reason"], "wrong_password");
    assert_eq!(find("redeem_failed")["detail"]["code"].as_str().map(|c| !c.is_empty()), Some(true));
    assert_eq!(find("code_redeemed")["detail"]["product"], "studio");
    assert_eq!(find("device_activated")["detail"]["first_seat"], true);
    let failed = find("activation_failed");
    assert_eq!(failed["detail"]["code"], "seat_limit_reached");
    assert_eq!(failed["detail"]["license_id"], license_id.as_str());
    assert!(find("signed_in")["ip"].is_string());
    // Newest first: the failed activation came last.
    assert_eq!(events[0]["kind"], "activation_failed", "{timeline}");

    let limited: Value =
        app.get(&format!("/v1/support/users/{user_id}/timeline?limit=1"), Some(&support)).await.json().await.unwrap();
    assert_eq!(limited["events"].as_array().unwrap().len(), 1);
    let unknown = app.get(&format!("/v1/support/users/{}/timeline", uuid::Uuid::now_v7()), Some(&support)).await;
    assert_problem(unknown, StatusCode::NOT_FOUND, "not_found").await;
    let by_user = app.get(&format!("/v1/support/users/{user_id}/timeline"), Some(&token)).await;
    assert_problem(by_user, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let too_many = app.get(&format!("/v1/support/users/{user_id}/timeline?limit=9999"), Some(&support)).await;
    assert_problem(too_many, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(metrics.contains("latchkey_first_activations_total{product=\"studio\"} 1"), "{metrics}");
}

/// The operator's way to give an integration its secret: the CLI reads it
/// from stdin and stores it sealed; the running gateway signs with it.
async fn set_secret_stores_a_sealed_secret_that_signs(backend: Backend) {
    let fixture = Fixture::new();
    let db = TestDb::new(backend).await;
    let app = fixture.spawn(db.clone(), Arc::new(ManualClock::starting_now())).await;
    let (user_id, token) = licensed(&app, "sam@example.com").await;
    verify_email(&app, &user_id, "sam@example.com").await;

    let settings = fixture.dir.path().join("latchkey.toml");
    std::fs::write(
        &settings,
        "[[integrations]]\nname = \"sso\"\nkind = \"zendesk_sso\"\n\
         [[integrations]]\nname = \"backend\"\nkind = \"jwt\"\n\
         [[integrations]]\nname = \"zdrot\"\nkind = \"zendesk_messaging\"\nkey_id = \"app_old\"\n",
    )
    .unwrap();
    let policies = fixture.dir.path().join("policies");
    let set_secret_with = |name: &str, secret: &str, extra: &[&str]| {
        let args = [&["integration", "set-secret", name][..], extra].concat();
        admin_cli(&db, &settings, &policies, &args, &format!("{secret}\n"))
    };
    let set_secret = |name: &str, secret: &str| set_secret_with(name, secret, &[]);
    let refused = set_secret("backend", "a-secret-long-enough-0123");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("JWKS"));
    let short = set_secret("sso", "short");
    assert!(!short.status.success() && String::from_utf8_lossy(&short.stderr).contains("16"));
    const SSO_SECRET: &str = "sso-secret-from-stdin-0123456789";
    let stored = set_secret("sso", SSO_SECRET);
    assert!(stored.status.success(), "{}", String::from_utf8_lossy(&stored.stderr));
    assert!(stored.stdout.is_empty(), "nothing on stdout");

    let sso = mint(&app, &token, "sso").await;
    let checked = pyjwt(&json!({"shared": [{"token": sso["token"], "secret": SSO_SECRET, "require": ["iat", "jti"]}]}));
    let claims = &checked["shared"][0]["claims"];
    assert_eq!(claims["external_id"], user_id.as_str(), "{checked}");
    assert_eq!(claims["email"], "sam@example.com");
    assert_eq!(claims["name"], "sam@example.com");
    assert!((claims["iat"].as_i64().unwrap() - app.clock_now().unix_timestamp()).abs() <= 1);
    let again = mint(&app, &token, "sso").await;
    let checked_again = pyjwt(&json!({"shared": [{"token": again["token"], "secret": SSO_SECRET}]}));
    assert_ne!(checked_again["shared"][0]["claims"]["jti"], claims["jti"], "Zendesk refuses a jti it has seen");

    // Zendesk rotation: a second key goes live in Zendesk, its secret is set
    // here under its id, and new tokens carry that `kid` at once.
    const OLD_KEY: &str = "zendesk-old-key-secret-0123456789";
    const NEW_KEY: &str = "zendesk-new-key-secret-0123456789";
    assert!(set_secret("zdrot", OLD_KEY).status.success());
    let old = mint(&app, &token, "zdrot").await;
    let rotated = set_secret_with("zdrot", NEW_KEY, &["--key-id", "app_new"]);
    assert!(rotated.status.success(), "{}", String::from_utf8_lossy(&rotated.stderr));
    let new = mint(&app, &token, "zdrot").await;
    let checked = pyjwt(&json!({"shared": [
        {"token": old["token"], "secret": OLD_KEY},
        {"token": new["token"], "secret": NEW_KEY},
    ]}));
    assert_eq!(checked["shared"][0]["header"]["kid"], "app_old", "{checked}");
    assert_eq!(checked["shared"][1]["header"]["kid"], "app_new", "{checked}");

    // Sealed at rest: the database holds no trace of the secret.
    if let Some(dir) = &db.dir {
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(!bytes.windows(SSO_SECRET.len()).any(|w| w == SSO_SECRET.as_bytes()));
        }
    } else {
        let store = db.store().await;
        let record = latchkey::store::TokenStore::integration_secret(store.as_ref(), "sso").await.unwrap().unwrap();
        assert!(!record.secret_sealed.contains(SSO_SECRET));
    }
}
