//! Passkeys with real WebAuthn ceremonies: webauthn-authenticator-rs's
//! software passkey signs what the server asks, over HTTP, on both backends.

use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;
use webauthn_authenticator_rs::AuthenticatorBackend;
use webauthn_authenticator_rs::prelude::{Url, WebauthnAuthenticator};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs_proto::{
    AllowCredentials, CreationChallengeResponse, PublicKeyCredential, RequestChallengeResponse, UserVerificationPolicy,
};

use crate::factors::{app_with_factor_policies, issue_code, redeem};
use crate::helpers::{Backend, TestApp, TestDb, assert_problem};
use crate::on_both_backends;

on_both_backends!(
    passkey_as_second_factor_and_step_up,
    passwordless_sign_in_with_a_discoverable_passkey,
    forged_replayed_and_cloned_answers_are_refused,
    passkeys_are_named_listed_renamed_and_removed,
    removing_a_passkey_needs_the_passkey_shown_last,
);

/// The origin the tests' settings publish (the default public URL).
fn origin() -> Url {
    Url::parse("http://localhost:8080").unwrap()
}

/// A software passkey that performs user verification (the "biometric").
fn authenticator() -> SoftPasskey {
    SoftPasskey::new(true)
}

async fn json_of(response: reqwest::Response, status: StatusCode) -> Value {
    let actual = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(actual, status, "{body}");
    body
}

/// Registers a passkey for the session's user; returns its id and the user handle.
async fn register(app: &TestApp, token: &str, key: &mut SoftPasskey, name: &str) -> (String, Vec<u8>) {
    let options = json_of(app.post("/v1/me/passkeys/options", &json!({}), Some(token)).await, StatusCode::OK).await;
    let public_key = &options["publicKey"];
    assert_eq!(public_key["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(public_key["authenticatorSelection"]["residentKey"], "preferred");
    assert!(options.get("state").is_none(), "ceremony state stays on the server");
    let creation: CreationChallengeResponse = serde_json::from_value(json!({"publicKey": public_key})).unwrap();
    let user_handle = creation.public_key.user.id.to_vec();
    let credential = key.do_registration(origin(), creation).unwrap();
    let body = json!({"challenge_id": options["challenge_id"], "name": name, "credential": credential});
    let passkey = json_of(app.post("/v1/me/passkeys", &body, Some(token)).await, StatusCode::CREATED).await;
    (passkey["id"].as_str().unwrap().to_owned(), user_handle)
}

fn request(options: &Value) -> RequestChallengeResponse {
    serde_json::from_value(json!({"publicKey": options["publicKey"]})).unwrap()
}

fn sign(key: &mut SoftPasskey, options: &Value) -> PublicKeyCredential {
    key.do_authentication(origin(), request(options)).unwrap()
}

async fn second_factor_options(app: &TestApp, pending: &str) -> Value {
    json_of(app.post("/v1/sessions/webauthn/options", &json!({"pending_token": pending}), None).await, StatusCode::OK)
        .await
}

async fn finish_second_factor(
    app: &TestApp,
    pending: &str,
    options: &Value,
    credential: &PublicKeyCredential,
) -> reqwest::Response {
    let body = json!({"pending_token": pending, "challenge_id": options["challenge_id"], "credential": credential});
    app.post("/v1/sessions/webauthn", &body, None).await
}

async fn me(app: &TestApp, token: &str) -> Value {
    json_of(app.get("/v1/me", Some(token)).await, StatusCode::OK).await
}

async fn passkey_as_second_factor_and_step_up(backend: Backend) {
    let (app, _policies) = app_with_factor_policies(TestDb::new(backend).await).await;
    let (email, password, token) = app.signed_in_user().await;
    let mut key = authenticator();
    register(&app, &token, &mut key, "Laptop").await;
    assert_eq!(me(&app, &token).await["factors"], json!(["webauthn"]));

    let pending = app.pending_sign_in(&email, &password).await;
    let options = second_factor_options(&app, &pending).await;
    assert_eq!(options["publicKey"]["userVerification"], "required");
    assert_eq!(options["publicKey"]["allowCredentials"].as_array().unwrap().len(), 1);
    let credential = sign(&mut key, &options);
    let session = json_of(finish_second_factor(&app, &pending, &options, &credential).await, StatusCode::CREATED).await;
    let strong = session["token"].as_str().unwrap().to_owned();
    let profile = me(&app, &strong).await;
    assert_eq!(profile["amr"], json!(["pwd", "hwk", "user", "mfa"]));
    assert_eq!(profile["acr"], "phishing_resistant");

    // The stored credential follows every use (the counter moved on).
    let listed = json_of(app.get("/v1/me/passkeys", Some(&strong)).await, StatusCode::OK).await;
    assert!(listed["passkeys"][0]["last_used_at"].is_string());

    // A passkey policy is met by this session and not by the password-only one.
    let (_, vault_code) = issue_code(&app, "vault").await;
    let body = assert_problem(redeem(&app, &token, &vault_code).await, StatusCode::UNAUTHORIZED, "mfa_required").await;
    assert_eq!(body["factor"], "passkey");
    assert_eq!(redeem(&app, &strong, &vault_code).await.status(), StatusCode::CREATED);

    // Step-up with the passkey turns the old password session phishing-resistant too.
    let options =
        json_of(app.post("/v1/me/reauthenticate/options", &json!({}), Some(&token)).await, StatusCode::OK).await;
    let credential = sign(&mut key, &options);
    let body = json!({"method": "webauthn", "challenge_id": options["challenge_id"], "credential": credential});
    let stepped = json_of(app.post("/v1/me/reauthenticate", &body, Some(&token)).await, StatusCode::OK).await;
    assert_eq!(stepped["acr"], "phishing_resistant");
    // A step-up ceremony is bound to its session: another session cannot answer it.
    let options =
        json_of(app.post("/v1/me/reauthenticate/options", &json!({}), Some(&token)).await, StatusCode::OK).await;
    let credential = sign(&mut key, &options);
    let body = json!({"method": "webauthn", "challenge_id": options["challenge_id"], "credential": credential});
    assert_problem(
        app.post("/v1/me/reauthenticate", &body, Some(&strong)).await,
        StatusCode::FORBIDDEN,
        "step_up_failed",
    )
    .await;
}

async fn passwordless_sign_in_with_a_discoverable_passkey(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, _, token) = app.signed_in_user().await;
    let mut key = authenticator();
    register(&app, &token, &mut key, "Phone").await;
    let listed = json_of(app.get("/v1/me/passkeys", Some(&token)).await, StatusCode::OK).await;
    let user_id = me(&app, &token).await["user"]["id"].as_str().unwrap().to_owned();

    let options = json_of(app.post("/v1/passkey-sign-in/options", &json!({}), None).await, StatusCode::OK).await;
    assert_eq!(options["publicKey"]["allowCredentials"], json!([]), "no user is named");
    assert_eq!(options["publicKey"]["userVerification"], "required");
    let credential = discoverable_answer(&mut key, &options, &app, &token, &user_id).await;
    let body = json!({"challenge_id": options["challenge_id"], "credential": credential});
    let session = json_of(app.post("/v1/passkey-sign-in", &body, None).await, StatusCode::CREATED).await;
    assert_eq!(session["user"]["id"], user_id.as_str());
    let profile = me(&app, session["token"].as_str().unwrap()).await;
    assert_eq!(profile["amr"], json!(["hwk", "user", "mfa"]));
    assert_eq!(profile["acr"], "phishing_resistant");
    assert!(listed["passkeys"][0]["last_used_at"].is_null());

    // Another user's handle on this passkey's answer is refused.
    let options = json_of(app.post("/v1/passkey-sign-in/options", &json!({}), None).await, StatusCode::OK).await;
    let mut credential = discoverable_answer(&mut key, &options, &app, &token, &user_id).await;
    credential.response.user_handle = Some(uuid::Uuid::now_v7().as_bytes().to_vec());
    let body = json!({"challenge_id": options["challenge_id"], "credential": credential});
    assert_problem(app.post("/v1/passkey-sign-in", &body, None).await, StatusCode::UNAUTHORIZED, "invalid_credentials")
        .await;
}

/// What a discoverable authenticator does with empty `allowCredentials`:
/// picks its resident credential for the site and returns the user handle.
/// The software passkey only signs for listed credentials, so the test lists
/// its one credential for it and adds the handle; neither is signed data.
async fn discoverable_answer(
    key: &mut SoftPasskey,
    options: &Value,
    app: &TestApp,
    token: &str,
    user_id: &str,
) -> PublicKeyCredential {
    let listed = json_of(app.get("/v1/me/passkeys", Some(token)).await, StatusCode::OK).await;
    assert_eq!(listed["passkeys"].as_array().unwrap().len(), 1);
    let store = app.db.store().await;
    let stored = store.passkeys(&latchkey::domain::ids::UserId::parse(user_id).unwrap()).await.unwrap();
    store.close().await;
    let mut request = request(options);
    let raw: Vec<u8> = base64_url(&stored[0].credential_id);
    request.public_key.allow_credentials =
        vec![AllowCredentials { type_: "public-key".into(), id: raw, transports: None }];
    let mut credential = key.do_authentication(origin(), request).unwrap();
    credential.response.user_handle = Some(uuid::Uuid::parse_str(user_id).unwrap().as_bytes().to_vec());
    credential
}

fn base64_url(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).unwrap()
}

async fn forged_replayed_and_cloned_answers_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (email, password, token) = app.signed_in_user().await;
    let mut key = authenticator();
    register(&app, &token, &mut key, "Key").await;
    let refused = |response| assert_problem(response, StatusCode::UNAUTHORIZED, "invalid_credentials");

    // Registration without user verification is refused.
    let options = json_of(app.post("/v1/me/passkeys/options", &json!({}), Some(&token)).await, StatusCode::OK).await;
    let mut creation: CreationChallengeResponse =
        serde_json::from_value(json!({"publicKey": options["publicKey"]})).unwrap();
    if let Some(selection) = creation.public_key.authenticator_selection.as_mut() {
        selection.user_verification = UserVerificationPolicy::Discouraged_DO_NOT_USE;
    }
    let credential = authenticator().do_registration(origin(), creation).unwrap();
    let body = json!({"challenge_id": options["challenge_id"], "credential": credential});
    refused(app.post("/v1/me/passkeys", &body, Some(&token)).await).await;

    // A phishing page on another origin relays our challenge: refused.
    let pending = app.pending_sign_in(&email, &password).await;
    let options = second_factor_options(&app, &pending).await;
    // (The browser-level API would refuse to sign; the raw authenticator call
    // is what a compromised client or a proxy relaying the ceremony can make.)
    let evil = Url::parse("http://evil.localhost:8080").unwrap();
    let forged = key.perform_auth(evil, request(&options).public_key, 60_000).unwrap();
    refused(finish_second_factor(&app, &pending, &options, &forged).await).await;
    // …or asks for its own RP id with our challenge: the signed RP id hash is wrong.
    let options = second_factor_options(&app, &pending).await;
    let mut foreign = request(&options);
    foreign.public_key.rp_id = "evil.example".into();
    let foreign =
        key.perform_auth(Url::parse("http://evil.example:8080").unwrap(), foreign.public_key, 60_000).unwrap();
    refused(finish_second_factor(&app, &pending, &options, &foreign).await).await;

    // Without user verification (a touch, no biometric or PIN): refused.
    let options = second_factor_options(&app, &pending).await;
    let mut no_uv = request(&options);
    no_uv.public_key.user_verification = UserVerificationPolicy::Discouraged_DO_NOT_USE;
    let answer = key.do_authentication(origin(), no_uv).unwrap();
    refused(finish_second_factor(&app, &pending, &options, &answer).await).await;

    // A good answer works once; replayed, to the same or a new challenge, it is refused.
    let pending = app.pending_sign_in(&email, &password).await;
    let options = second_factor_options(&app, &pending).await;
    let answer = sign(&mut key, &options);
    assert_eq!(finish_second_factor(&app, &pending, &options, &answer).await.status(), StatusCode::CREATED);
    let pending = app.pending_sign_in(&email, &password).await;
    refused(finish_second_factor(&app, &pending, &options, &answer).await).await;
    let fresh = second_factor_options(&app, &pending).await;
    refused(finish_second_factor(&app, &pending, &fresh, &answer).await).await;

    // A clone: an answer signed with a lower counter arrives after the
    // original has moved the counter on. Same key, valid signature, open
    // challenge — only the counter gives it away.
    let first = app.pending_sign_in(&email, &password).await;
    let older = second_factor_options(&app, &first).await;
    let cloned = sign(&mut key, &older);
    let second = app.pending_sign_in(&email, &password).await;
    let newer = second_factor_options(&app, &second).await;
    let original = sign(&mut key, &newer);
    assert_eq!(finish_second_factor(&app, &second, &newer, &original).await.status(), StatusCode::CREATED);
    let problem = refused(finish_second_factor(&app, &first, &older, &cloned).await).await;
    assert!(problem["detail"].as_str().unwrap().contains("cloned"), "{problem}");
    let events = json_of(app.get("/v1/me/events", Some(&token)).await, StatusCode::OK).await;
    assert!(events["events"].as_array().unwrap().iter().any(|e| e["kind"] == "passkey_possibly_cloned"), "{events}");

    // A ceremony expires after five minutes.
    let options = second_factor_options(&app, &pending).await;
    let late = sign(&mut key, &options);
    app.clock.advance(Duration::minutes(5) + Duration::seconds(1));
    let pending = app.pending_sign_in(&email, &password).await;
    refused(finish_second_factor(&app, &pending, &options, &late).await).await;
}

async fn passkeys_are_named_listed_renamed_and_removed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, _, token) = app.signed_in_user().await;
    let mut laptop_key = authenticator();
    let (laptop, _) = register(&app, &token, &mut laptop_key, "Laptop").await;
    let (phone, _) = register(&app, &token, &mut authenticator(), "Phone").await;
    let listed = json_of(app.get("/v1/me/passkeys", Some(&token)).await, StatusCode::OK).await;
    let names: Vec<&str> = listed["passkeys"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Laptop", "Phone"]);

    let renamed = json_of(
        app.patch(&format!("/v1/me/passkeys/{phone}"), &json!({"name": "Work phone"}), Some(&token)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(renamed["name"], "Work phone");
    let too_long = app.patch(&format!("/v1/me/passkeys/{phone}"), &json!({"name": "x".repeat(65)}), Some(&token)).await;
    assert_problem(too_long, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    // Someone else's passkey does not exist for this user.
    let (_, _, other) = app.signed_in_user().await;
    assert_problem(
        app.delete(&format!("/v1/me/passkeys/{laptop}"), Some(&other)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Removal needs a recent step-up.
    app.clock.advance(Duration::minutes(6));
    let path = format!("/v1/me/passkeys/{laptop}");
    assert_problem(app.delete(&path, Some(&token)).await, StatusCode::UNAUTHORIZED, "reauthentication_required").await;
    let options =
        json_of(app.post("/v1/me/reauthenticate/options", &json!({}), Some(&token)).await, StatusCode::OK).await;
    let credential = sign(&mut laptop_key, &options);
    let body = json!({"method": "webauthn", "challenge_id": options["challenge_id"], "credential": credential});
    json_of(app.post("/v1/me/reauthenticate", &body, Some(&token)).await, StatusCode::OK).await;
    assert_eq!(app.delete(&path, Some(&token)).await.status(), StatusCode::NO_CONTENT);
    let listed = json_of(app.get("/v1/me/passkeys", Some(&token)).await, StatusCode::OK).await;
    assert_eq!(listed["passkeys"].as_array().unwrap().len(), 1);
    assert_eq!(listed["passkeys"][0]["id"], phone.as_str());
    let events = json_of(app.get("/v1/me/events", Some(&token)).await, StatusCode::OK).await;
    let kinds: Vec<&str> = events["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"passkey_added") && kinds.contains(&"passkey_removed"), "{kinds:?}");

    let bad = json!({"challenge_id": "nope", "credential": {"id": "x"}});
    assert_problem(
        app.post("/v1/me/passkeys", &bad, Some(&token)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}

/// A session that signed in with a passkey and later stepped up with a
/// recovery code has shown a recovery code lately, not the passkey: that is
/// not enough to remove the passkey, however strong the session once was.
async fn removing_a_passkey_needs_the_passkey_shown_last(backend: Backend) {
    let (app, _policies) = app_with_factor_policies(TestDb::new(backend).await).await;
    let (email, password, token) = app.signed_in_user().await;
    let mut key = authenticator();
    let (passkey_id, _) = register(&app, &token, &mut key, "Laptop").await;
    let pending = app.pending_sign_in(&email, &password).await;
    let options = second_factor_options(&app, &pending).await;
    let credential = sign(&mut key, &options);
    let session = json_of(finish_second_factor(&app, &pending, &options, &credential).await, StatusCode::CREATED).await;
    let strong = session["token"].as_str().unwrap().to_owned();
    let codes = json_of(app.post("/v1/me/recovery-codes", &json!({}), Some(&strong)).await, StatusCode::CREATED).await;
    let code = codes["recovery_codes"][0].as_str().unwrap().to_owned();

    app.clock.advance(time::Duration::minutes(6));
    let body = json!({"method": "recovery_code", "code": code});
    let stepped = json_of(app.post("/v1/me/reauthenticate", &body, Some(&strong)).await, StatusCode::OK).await;
    assert_eq!(stepped["acr"], "phishing_resistant", "everything the session proved still counts for policies");
    let refused = app.delete(&format!("/v1/me/passkeys/{passkey_id}"), Some(&strong)).await;
    let problem = assert_problem(refused, StatusCode::UNAUTHORIZED, "reauthentication_required").await;
    assert_eq!(problem["factor"], "passkey", "{problem}");

    let options =
        json_of(app.post("/v1/me/reauthenticate/options", &json!({}), Some(&strong)).await, StatusCode::OK).await;
    let credential = sign(&mut key, &options);
    let body = json!({"method": "webauthn", "challenge_id": options["challenge_id"], "credential": credential});
    json_of(app.post("/v1/me/reauthenticate", &body, Some(&strong)).await, StatusCode::OK).await;
    assert_eq!(
        app.delete(&format!("/v1/me/passkeys/{passkey_id}"), Some(&strong)).await.status(),
        StatusCode::NO_CONTENT
    );
}
