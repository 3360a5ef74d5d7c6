//! TOTP, recovery codes, the pending sign-in, step-up and the policies that
//! require a second factor, on both backends, with codes computed from the
//! secret at times the test controls.

use std::sync::Arc;

use latchkey::clock::ManualClock;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

use crate::helpers::{Backend, TestApp, TestDb, assert_problem, totp_code};
use crate::on_both_backends;

on_both_backends!(
    totp_enrollment_and_sign_in,
    five_wrong_codes_end_the_pending_sign_in_and_count_toward_the_lockout,
    a_recovery_code_works_once,
    step_up_is_needed_and_honoured,
    policies_requiring_a_second_factor_are_enforced,
    a_new_factor_protects_the_account_at_once,
);

const STEP: Duration = Duration::seconds(30);

async fn me(app: &TestApp, token: &str) -> Value {
    let response = app.get("/v1/me", Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn totp_sign_in(app: &TestApp, pending: &str, code: &str) -> reqwest::Response {
    app.post("/v1/sessions/totp", &json!({"pending_token": pending, "code": code}), None).await
}

async fn totp_enrollment_and_sign_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (email, password, token) = app.signed_in_user().await;

    let response = app.post("/v1/me/totp", &json!({}), Some(&token)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let enrollment: Value = response.json().await.unwrap();
    let secret = enrollment["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    let uri = enrollment["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Latchkey:") && uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(uri.contains("issuer=Latchkey") && uri.contains(&email.replace('@', "%40")), "{uri}");
    assert!(enrollment["qr_svg"].as_str().unwrap().starts_with("<svg"));

    // Nothing is active until a right code confirms it.
    assert_eq!(me(&app, &token).await["factors"], json!([]));
    assert_eq!(app.try_sign_in(&email, &password).await.status(), StatusCode::CREATED);
    let wrong = app.post("/v1/me/totp/confirm", &json!({"code": "000000"}), Some(&token)).await;
    assert_problem(wrong, StatusCode::UNAUTHORIZED, "invalid_credentials").await;

    let confirm_code = totp_code(&secret, app.clock_now());
    let response = app.post("/v1/me/totp/confirm", &json!({"code": confirm_code}), Some(&token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let codes: Value = response.json().await.unwrap();
    let codes: Vec<&str> = codes["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(codes.len(), 10);
    assert_eq!(codes.iter().collect::<std::collections::HashSet<_>>().len(), 10, "codes are distinct");
    let profile = me(&app, &token).await;
    assert_eq!(profile["factors"], json!(["totp", "recovery_code"]));
    assert_eq!(profile["recovery_codes_remaining"], 10);
    // A second enrollment while one is active is refused; the secret is never shown again.
    assert_problem(app.post("/v1/me/totp", &json!({}), Some(&token)).await, StatusCode::CONFLICT, "conflict").await;

    // The password alone now only earns a pending sign-in.
    let response = app.try_sign_in(&email, &password).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["state"], "mfa_required");
    assert!(body.get("token").is_none(), "no session before the second factor");
    assert_eq!(body["methods"], json!(["totp", "recovery_code"]));
    let pending = body["pending_token"].as_str().unwrap().to_owned();
    assert!(pending.starts_with("lk_pnd_"));

    // A pending token is not a session anywhere.
    for path in ["/v1/me", "/v1/me/sessions", "/v1/me/licenses", "/v1/me/passkeys", "/v1/me/events"] {
        assert_problem(app.get(path, Some(&pending)).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    for path in ["/v1/me/totp", "/v1/me/reauthenticate", "/v1/me/recovery-codes"] {
        let response = app.post(path, &json!({}), Some(&pending)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    // Nor is a session token a pending one.
    assert_problem(totp_sign_in(&app, &token, &confirm_code).await, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // The code that confirmed enrollment is spent: its step cannot be used again.
    assert_problem(totp_sign_in(&app, &pending, &confirm_code).await, StatusCode::UNAUTHORIZED, "invalid_credentials")
        .await;

    // One step of drift is allowed: the next step's code is accepted now…
    let ahead = totp_code(&secret, app.clock_now() + STEP);
    let response = totp_sign_in(&app, &pending, &ahead).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let session: Value = response.json().await.unwrap();
    let strong = session["token"].as_str().unwrap();
    let profile = me(&app, strong).await;
    assert_eq!(profile["amr"], json!(["pwd", "otp", "mfa"]));
    assert_eq!(profile["acr"], "mfa");
    // …and the pending token is used up.
    assert_problem(totp_sign_in(&app, &pending, &ahead).await, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // Neither that step nor an older one works again, on a fresh pending sign-in.
    let pending = app.pending_sign_in(&email, &password).await;
    assert_problem(totp_sign_in(&app, &pending, &ahead).await, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    // Two steps on, the used step is "one step ago", inside the drift window, and still refused.
    app.clock.advance(STEP * 2);
    assert_eq!(totp_code(&secret, app.clock_now() - STEP), ahead);
    assert_problem(totp_sign_in(&app, &pending, &ahead).await, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let fresh = totp_code(&secret, app.clock_now());
    assert_eq!(totp_sign_in(&app, &pending, &fresh).await.status(), StatusCode::CREATED);

    // A pending sign-in lasts five minutes.
    let pending = app.pending_sign_in(&email, &password).await;
    app.clock.advance(Duration::minutes(5) + Duration::seconds(1));
    let code = totp_code(&secret, app.clock_now());
    assert_problem(totp_sign_in(&app, &pending, &code).await, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // The secret is sealed at rest: the stored value is not the secret.
    let store = app.db.store().await;
    let user_id = latchkey::domain::ids::UserId::parse(profile["user"]["id"].as_str().unwrap()).unwrap();
    let stored = store.totp_credential(&user_id).await.unwrap().unwrap();
    assert!(!stored.secret_sealed.contains(&secret));
    store.close().await;
}

async fn five_wrong_codes_end_the_pending_sign_in_and_count_toward_the_lockout(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (email, password, token) = app.signed_in_user().await;
    let (secret, _) = app.enroll_totp(&token).await;
    app.clock.advance(STEP);

    // Each failure counts, so past five each attempt waits 1 s, 2 s… (at most 16 s here).
    let pause = Duration::seconds(20);
    let pending = app.pending_sign_in(&email, &password).await;
    for attempt in 1..=5 {
        app.clock.advance(pause);
        let body = assert_problem(
            totp_sign_in(&app, &pending, "123456").await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
        let ended = body["detail"].as_str().unwrap().contains("this sign-in has ended");
        assert_eq!(ended, attempt == 5, "{body}");
    }
    let right = totp_code(&secret, app.clock_now());
    assert_problem(totp_sign_in(&app, &pending, &right).await, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // One right password and five wrong codes are six of the ten failures
    // allowed; a right password does not wipe them while a factor is owed.
    app.clock.advance(pause);
    let pending = app.pending_sign_in(&email, &password).await;
    for _ in 0..3 {
        app.clock.advance(pause);
        assert_problem(totp_sign_in(&app, &pending, "654321").await, StatusCode::UNAUTHORIZED, "invalid_credentials")
            .await;
    }
    app.clock.advance(pause);
    assert_problem(app.try_sign_in(&email, &password).await, StatusCode::TOO_MANY_REQUESTS, "account_locked").await;
    let right = totp_code(&secret, app.clock_now());
    assert_problem(totp_sign_in(&app, &pending, &right).await, StatusCode::TOO_MANY_REQUESTS, "account_locked").await;

    // After the lock, a full sign-in clears the count.
    app.clock.advance(Duration::minutes(16));
    let pending = app.pending_sign_in(&email, &password).await;
    let code = totp_code(&secret, app.clock_now());
    assert_eq!(totp_sign_in(&app, &pending, &code).await.status(), StatusCode::CREATED);
}

async fn a_recovery_code_works_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (email, password, token) = app.signed_in_user().await;
    let (_, codes) = app.enroll_totp(&token).await;
    let code = &codes[3];

    let pending = app.pending_sign_in(&email, &password).await;
    let typed = code.to_lowercase().replace('-', " ");
    let response =
        app.post("/v1/sessions/recovery-code", &json!({"pending_token": pending, "code": typed}), None).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let session: Value = response.json().await.unwrap();
    let new_token = session["token"].as_str().unwrap();
    let profile = me(&app, new_token).await;
    assert_eq!(profile["recovery_codes_remaining"], 9);
    assert_eq!(profile["acr"], "mfa");

    // The use is an event the user sees.
    let events: Value = app.get("/v1/me/events", Some(new_token)).await.json().await.unwrap();
    let used: Vec<&Value> =
        events["events"].as_array().unwrap().iter().filter(|e| e["kind"] == "recovery_code_used").collect();
    assert_eq!(used.len(), 1, "{events}");
    assert_eq!(used[0]["detail"]["remaining"], 9);

    let pending = app.pending_sign_in(&email, &password).await;
    let again = app.post("/v1/sessions/recovery-code", &json!({"pending_token": pending, "code": code}), None).await;
    assert_problem(again, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let other =
        app.post("/v1/sessions/recovery-code", &json!({"pending_token": pending, "code": codes[4]}), None).await;
    assert_eq!(other.status(), StatusCode::CREATED);
}

async fn step_up_is_needed_and_honoured(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (email, password, token) = app.signed_in_user().await;
    let (secret, old_codes) = app.enroll_totp(&token).await;

    // Long after this session proved anything, sensitive actions need a
    // step-up, adding a factor included (else a stolen session could add its own).
    app.clock.advance(Duration::minutes(6));
    let stale = [
        app.post("/v1/me/passkeys/options", &json!({}), Some(&token)).await,
        app.post("/v1/me/totp/confirm", &json!({"code": "123456"}), Some(&token)).await,
        app.delete("/v1/me/totp", Some(&token)).await,
        app.post("/v1/me/recovery-codes", &json!({}), Some(&token)).await,
        app.post(
            "/v1/me/password",
            &json!({"current_password": password, "new_password": "an entirely new passphrase"}),
            Some(&token),
        )
        .await,
    ];
    for response in stale {
        let challenge = response.headers()["www-authenticate"].to_str().unwrap().to_owned();
        assert!(challenge.contains("insufficient_user_authentication"), "{challenge}");
        assert_problem(response, StatusCode::UNAUTHORIZED, "reauthentication_required").await;
    }

    // With a second factor enrolled, the password is not enough to step up.
    let by_password =
        app.post("/v1/me/reauthenticate", &json!({"method": "password", "password": password}), Some(&token)).await;
    assert_problem(by_password, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let wrong = app.post("/v1/me/reauthenticate", &json!({"method": "totp", "code": "000000"}), Some(&token)).await;
    // A refused step-up is not a sign-out: 403 with its own code, the session still good.
    assert_problem(wrong, StatusCode::FORBIDDEN, "step_up_failed").await;
    assert_eq!(app.get("/v1/me", Some(&token)).await.status(), StatusCode::OK);
    let missing = app.post("/v1/me/reauthenticate", &json!({"method": "totp"}), Some(&token)).await;
    assert_problem(missing, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    let code = totp_code(&secret, app.clock_now());
    let response = app.post("/v1/me/reauthenticate", &json!({"method": "totp", "code": code}), Some(&token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["amr"], json!(["pwd", "otp", "mfa"]), "the session is now multi-factor");
    assert_eq!(me(&app, &token).await["acr"], "mfa");

    let response = app.post("/v1/me/recovery-codes", &json!({}), Some(&token)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let fresh: Value = response.json().await.unwrap();
    assert_eq!(fresh["recovery_codes"].as_array().unwrap().len(), 10);
    let pending = app.pending_sign_in(&email, &password).await;
    let old =
        app.post("/v1/sessions/recovery-code", &json!({"pending_token": pending, "code": old_codes[0]}), None).await;
    assert_problem(old, StatusCode::UNAUTHORIZED, "invalid_credentials").await;

    assert_eq!(app.delete("/v1/me/totp", Some(&token)).await.status(), StatusCode::NO_CONTENT);
    let profile = me(&app, &token).await;
    assert_eq!(profile["factors"], json!([]), "recovery codes go with the last factor");
    assert_eq!(app.try_sign_in(&email, &password).await.status(), StatusCode::CREATED);

    // Without a second factor, the password steps up; after five minutes it is stale again.
    app.clock.advance(Duration::minutes(6));
    let by_password =
        app.post("/v1/me/reauthenticate", &json!({"method": "password", "password": password}), Some(&token)).await;
    assert_eq!(by_password.status(), StatusCode::OK);
    let kinds: Value = app.get("/v1/me/events", Some(&token)).await.json().await.unwrap();
    let kinds: Vec<&str> = kinds["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    for kind in ["totp_enrolled", "reauthenticated", "recovery_codes_generated", "totp_removed"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
}

const POLICIES: &[(&str, &str)] = &[
    (
        "mfa.toml",
        "name = \"pro\"\nproduct = \"studio\"\nmax_activations = 2\nbinding = \"node_locked\"\n\
         deactivation_requires_step_up = true\n[sign_in]\nrequire = \"mfa\"\n",
    ),
    (
        "passkey.toml",
        "name = \"vault\"\nproduct = \"vault\"\nmax_activations = 1\nbinding = \"node_locked\"\n[sign_in]\nrequire = \"passkey\"\n",
    ),
];

pub async fn app_with_factor_policies(db: Arc<TestDb>) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in POLICIES {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let path = dir.path().to_owned();
    let app = TestApp::spawn_with_clock(db, Arc::new(ManualClock::starting_now()), move |s| s.policies = path).await;
    (app, dir)
}

pub async fn issue_code(app: &TestApp, policy: &str) -> (String, String) {
    let response = app.post("/v1/admin/licenses", &json!({"policy": policy}), Some(app.admin_key())).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    let license = &body["licenses"][0];
    (license["id"].as_str().unwrap().to_owned(), license["activation_code"].as_str().unwrap().to_owned())
}

pub async fn redeem(app: &TestApp, token: &str, code: &str) -> reqwest::Response {
    app.post("/v1/me/licenses/redeem", &json!({"activation_code": code}), Some(token)).await
}

async fn policies_requiring_a_second_factor_are_enforced(backend: Backend) {
    let (app, _policies) = app_with_factor_policies(TestDb::new(backend).await).await;
    let (license_id, code) = issue_code(&app, "pro").await;
    let (_, vault_code) = issue_code(&app, "vault").await;
    let (_, _, token) = app.signed_in_user().await;

    // No second factor at all: set one up first. The code is not spent.
    let body =
        assert_problem(redeem(&app, &token, &code).await, StatusCode::FORBIDDEN, "factor_enrollment_required").await;
    assert_eq!(body["factor"], "second_factor");
    let body =
        assert_problem(redeem(&app, &token, &vault_code).await, StatusCode::FORBIDDEN, "factor_enrollment_required")
            .await;
    assert_eq!(body["factor"], "passkey");

    // Enrolled, but this session signed in with the password only.
    let (secret, _) = app.enroll_totp(&token).await;
    let response = redeem(&app, &token, &code).await;
    assert!(response.headers()["www-authenticate"].to_str().unwrap().contains(r#"acr_values="mfa""#));
    let body = assert_problem(response, StatusCode::UNAUTHORIZED, "mfa_required").await;
    assert_eq!(body["factor"], "second_factor");
    // A TOTP session is still not enough for a passkey policy.
    assert_eq!(
        assert_problem(redeem(&app, &token, &vault_code).await, StatusCode::FORBIDDEN, "factor_enrollment_required")
            .await["factor"],
        "passkey"
    );

    app.clock.advance(STEP);
    let step_up = json!({"method": "totp", "code": totp_code(&secret, app.clock_now())});
    assert_eq!(app.post("/v1/me/reauthenticate", &step_up, Some(&token)).await.status(), StatusCode::OK);
    assert_eq!(redeem(&app, &token, &code).await.status(), StatusCode::CREATED);
    let activation =
        app.post("/v1/activations", &json!({"license_id": license_id, "fingerprint": "laptop"}), Some(&token)).await;
    assert_eq!(activation.status(), StatusCode::CREATED);
    let activation: Value = activation.json().await.unwrap();
    let activation_id = activation["activation"]["id"].as_str().unwrap();

    // The license needs a second factor, so the last one cannot go.
    let removal = app.delete("/v1/me/totp", Some(&token)).await;
    let body = assert_problem(removal, StatusCode::CONFLICT, "factor_required_by_license").await;
    assert!(body["detail"].as_str().unwrap().contains("studio"), "{body}");

    // This policy also wants a step-up before a device gives up its seat.
    app.clock.advance(Duration::minutes(6));
    let path = format!("/v1/activations/{activation_id}");
    assert_problem(app.delete(&path, Some(&token)).await, StatusCode::UNAUTHORIZED, "reauthentication_required").await;
    let step_up = json!({"method": "totp", "code": totp_code(&secret, app.clock_now())});
    assert_eq!(app.post("/v1/me/reauthenticate", &step_up, Some(&token)).await.status(), StatusCode::OK);
    assert_eq!(app.delete(&path, Some(&token)).await.status(), StatusCode::NO_CONTENT);
}

/// A thief who signed in with the password alone, before the owner added
/// an authenticator app, is signed out when it is added; and the owner's own
/// password session must show the new factor before removing it or moving
/// the address.
async fn a_new_factor_protects_the_account_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (email, password, owner) = app.signed_in_user().await;
    let thief = app.sign_in(&email, &password).await;
    let (secret, _) = app.enroll_totp(&owner).await;
    assert_problem(app.get("/v1/me", Some(&thief)).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_eq!(me(&app, &owner).await["acr"], "password", "the session that added it stays");

    for (method, path, body) in
        [("DELETE", "/v1/me/totp", json!(null)), ("POST", "/v1/me/email", json!({"email": "elsewhere@example.com"}))]
    {
        let refused = if method == "DELETE" {
            app.delete(path, Some(&owner)).await
        } else {
            app.post(path, &body, Some(&owner)).await
        };
        let problem = assert_problem(refused, StatusCode::UNAUTHORIZED, "reauthentication_required").await;
        assert_eq!(problem["factor"], "second_factor", "{problem}");
    }
    app.clock.advance(STEP);
    let code = totp_code(&secret, app.clock_now());
    let stepped_up = app.post("/v1/me/reauthenticate", &json!({"method": "totp", "code": code}), Some(&owner)).await;
    assert_eq!(stepped_up.status(), StatusCode::OK);
    assert_eq!(app.delete("/v1/me/totp", Some(&owner)).await.status(), StatusCode::NO_CONTENT);
}
