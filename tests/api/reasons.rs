//! Clients can tell refusals apart: each reason has its own stable code,
//! on both backends, and the timeline records the same code the client got.

use std::sync::Arc;

use latchkey::clock::ManualClock;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

use crate::helpers::{Backend, TestApp, TestDb, assert_problem};
use crate::on_both_backends;

on_both_backends!(
    a_suspended_license_says_so,
    a_revoked_license_says_so,
    an_expired_license_says_so,
    a_used_up_code_says_so,
    a_lapsed_lease_says_so,
    first_seats_agree_between_events_and_metrics,
);

const POLICIES: &[(&str, &str)] = &[
    (
        "desk.toml",
        "name = \"desk\"\nproduct = \"studio\"\nduration = \"30d\"\nmax_activations = 2\nbinding = \"node_locked\"\n",
    ),
    (
        "team.toml",
        "name = \"team\"\nproduct = \"studio\"\nmax_activations = 2\nbinding = \"floating\"\nlease = \"30m\"\n",
    ),
];

async fn spawn(backend: Backend) -> (TestApp, Arc<ManualClock>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in POLICIES {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let path = dir.path().to_owned();
    let clock = Arc::new(ManualClock::starting_now());
    let app = TestApp::spawn_with_clock(TestDb::new(backend).await, clock.clone(), move |s| s.policies = path).await;
    (app, clock, dir)
}

/// A license of `policy` on a new user's account: (license id, user token).
async fn held_license(app: &TestApp, policy: &str) -> (String, String) {
    let issued = app.post("/v1/admin/licenses", &json!({"policy": policy}), Some(app.admin_key())).await;
    let issued: Value = issued.json().await.unwrap();
    let license = &issued["licenses"][0];
    let (_, _, token) = app.signed_in_user().await;
    let code = license["activation_code"].as_str().unwrap();
    let redeemed = app.post("/v1/me/licenses/redeem", &json!({"activation_code": code}), Some(&token)).await;
    assert_eq!(redeemed.status(), StatusCode::CREATED);
    (license["id"].as_str().unwrap().to_owned(), token)
}

async fn activate(app: &TestApp, token: &str, license_id: &str, fingerprint: &str) -> reqwest::Response {
    app.post("/v1/activations", &json!({"license_id": license_id, "fingerprint": fingerprint}), Some(token)).await
}

async fn admin(app: &TestApp, license_id: &str, action: &str) -> reqwest::Response {
    app.post(&format!("/v1/admin/licenses/{license_id}/{action}"), &json!({}), Some(app.admin_key())).await
}

/// The code the user's newest `activation_failed` event recorded.
async fn last_failure_code(app: &TestApp, token: &str) -> String {
    let events: Value = app.get("/v1/me/events", Some(token)).await.json().await.unwrap();
    let failed = events["events"].as_array().unwrap().iter().find(|e| e["kind"] == "activation_failed");
    failed.map(|e| e["detail"]["code"].as_str().unwrap().to_owned()).unwrap_or_default()
}

async fn a_suspended_license_says_so(backend: Backend) {
    let (app, _clock, _policies) = spawn(backend).await;
    let (license_id, token) = held_license(&app, "desk").await;
    assert_eq!(admin(&app, &license_id, "suspend").await.status(), StatusCode::OK);
    let refused = activate(&app, &token, &license_id, "a").await;
    let refused = assert_problem(refused, StatusCode::CONFLICT, "license_suspended").await;
    assert!(refused["detail"].as_str().unwrap().contains("suspended"), "{refused}");
    assert_eq!(last_failure_code(&app, &token).await, "license_suspended");
    // Suspending twice is a true duplicate, and says only that.
    assert_problem(admin(&app, &license_id, "suspend").await, StatusCode::CONFLICT, "conflict").await;
    assert_eq!(admin(&app, &license_id, "reinstate").await.status(), StatusCode::OK);
    assert_eq!(activate(&app, &token, &license_id, "a").await.status(), StatusCode::CREATED);
}

async fn a_revoked_license_says_so(backend: Backend) {
    let (app, _clock, _policies) = spawn(backend).await;
    let (license_id, token) = held_license(&app, "desk").await;
    assert_eq!(admin(&app, &license_id, "revoke").await.status(), StatusCode::OK);
    assert_problem(activate(&app, &token, &license_id, "a").await, StatusCode::CONFLICT, "license_revoked").await;
    assert_eq!(last_failure_code(&app, &token).await, "license_revoked");
    for action in ["reinstate", "suspend", "revoke", "renew"] {
        assert_problem(admin(&app, &license_id, action).await, StatusCode::CONFLICT, "license_revoked").await;
    }
}

async fn an_expired_license_says_so(backend: Backend) {
    let (app, clock, _policies) = spawn(backend).await;
    let issued = app.post("/v1/admin/licenses", &json!({"policy": "desk"}), Some(app.admin_key())).await;
    let issued: Value = issued.json().await.unwrap();
    let (license_id, code) =
        (issued["licenses"][0]["id"].as_str().unwrap(), issued["licenses"][0]["activation_code"].as_str().unwrap());
    let (email, password, token) = app.signed_in_user().await;
    app.post("/v1/me/licenses/redeem", &json!({"activation_code": code}), Some(&token)).await;
    assert_eq!(activate(&app, &token, license_id, "a").await.status(), StatusCode::CREATED);
    // The policy's term is 30 days, and so is a session's: sign in again after it.
    clock.advance(Duration::days(31));
    let token = app.sign_in(&email, &password).await;
    assert_problem(activate(&app, &token, license_id, "b").await, StatusCode::CONFLICT, "license_expired").await;
    assert_eq!(last_failure_code(&app, &token).await, "license_expired");
}

async fn a_used_up_code_says_so(backend: Backend) {
    let (app, _clock, _policies) = spawn(backend).await;
    let issued = app.post("/v1/admin/licenses", &json!({"policy": "desk"}), Some(app.admin_key())).await;
    let issued: Value = issued.json().await.unwrap();
    let code = issued["licenses"][0]["activation_code"].as_str().unwrap();
    let (_, _, first) = app.signed_in_user().await;
    let (_, _, second) = app.signed_in_user().await;
    let body = json!({"activation_code": code});
    let path = "/v1/me/licenses/redeem";
    assert_eq!(app.post(path, &body, Some(&first)).await.status(), StatusCode::CREATED);
    let again = app.post(path, &body, Some(&first)).await;
    assert_eq!(again.status(), StatusCode::CREATED, "the holder redeeming again spends nothing");
    assert_problem(app.post(path, &body, Some(&second)).await, StatusCode::CONFLICT, "activation_code_used").await;
    let events: Value = app.get("/v1/me/events", Some(&second)).await.json().await.unwrap();
    let failed = events["events"].as_array().unwrap().iter().find(|e| e["kind"] == "redeem_failed").unwrap();
    assert_eq!(failed["detail"]["code"], "activation_code_used");
}

async fn a_lapsed_lease_says_so(backend: Backend) {
    let (app, clock, _policies) = spawn(backend).await;
    let (license_id, token) = held_license(&app, "team").await;
    let seat: Value = activate(&app, &token, &license_id, "laptop").await.json().await.unwrap();
    let seat_id = seat["activation"]["id"].as_str().unwrap();
    let path = format!("/v1/activations/{seat_id}/heartbeat");
    let mine: Value = app.get("/v1/me/licenses", Some(&token)).await.json().await.unwrap();
    let by_key = json!({"key": mine["licenses"][0]["key"]});
    assert_eq!(app.post(&path, &by_key, None).await.status(), StatusCode::OK);
    clock.advance(Duration::minutes(31));
    assert_problem(app.post(&path, &by_key, None).await, StatusCode::CONFLICT, "lease_lapsed").await;
    let by_session = app.post(&format!("/v1/activations/{seat_id}/heartbeat"), &json!({}), Some(&token)).await;
    assert_problem(by_session, StatusCode::CONFLICT, "lease_lapsed").await;
}

/// "First seat" is decided once, inside the claim: with a lapsed lease, a
/// new device takes the license's only held seat, so its event says
/// `first_seat` and the funnel metric counts it, in agreement.
async fn first_seats_agree_between_events_and_metrics(backend: Backend) {
    let (app, clock, _policies) = spawn(backend).await;
    let (license_id, token) = held_license(&app, "team").await;
    assert_eq!(activate(&app, &token, &license_id, "laptop").await.status(), StatusCode::CREATED);
    assert_eq!(activate(&app, &token, &license_id, "desktop").await.status(), StatusCode::CREATED);
    clock.advance(Duration::minutes(31));
    assert_eq!(activate(&app, &token, &license_id, "tablet").await.status(), StatusCode::CREATED);

    let events: Value = app.get("/v1/me/events", Some(&token)).await.json().await.unwrap();
    let first_seats: Vec<bool> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "device_activated")
        .map(|e| e["detail"]["first_seat"].as_bool().unwrap())
        .collect();
    assert_eq!(first_seats, [true, false, true], "newest first: the tablet took the only held seat");
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    let counted = metrics
        .lines()
        .find(|l| l.starts_with("latchkey_first_activations_total{product=\"studio\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse::<u32>().ok());
    assert_eq!(counted, Some(2), "{metrics}");
}
