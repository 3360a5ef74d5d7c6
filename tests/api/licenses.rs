//! Licenses end to end: issue, redeem, activate, validate, on both backends.

use std::sync::Arc;

use futures::future::join_all;
use latchkey::clock::ManualClock;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

use crate::helpers::{Backend, TestApp, TestDb, assert_problem};
use crate::on_both_backends;

on_both_backends!(
    issue_redeem_activate_validate,
    fifty_devices_race_for_three_seats,
    one_use_code_redeemed_by_two_users_at_once,
    every_validation_code_from_a_real_scenario,
    bad_license_input_changes_nothing,
    idempotent_issuance,
    activating_a_device_again_renews_its_lease,
    an_address_bound_code_needs_that_address_verified,
    signing_up_with_a_code_redeems_it_in_one_step,
);

const POLICIES: &[(&str, &str)] = &[
    (
        "seats.toml",
        "name = \"desk\"\nproduct = \"studio\"\nduration = \"30d\"\nmax_activations = 3\nbinding = \"node_locked\"\nentitlements = [\"export\"]\n",
    ),
    (
        "team.toml",
        "name = \"team\"\nproduct = \"studio\"\nduration = \"30d\"\nexpiration = \"maintain\"\nmax_activations = 1\nbinding = \"floating\"\nlease = \"30m\"\nactivation_code_uses = 5\n",
    ),
];

/// An app with the test policies; the folder lives as long as the app.
async fn app_with_policies(db: Arc<TestDb>, clock: Arc<ManualClock>) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in POLICIES {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let path = dir.path().to_owned();
    let app = TestApp::spawn_with_clock(db, clock, move |s| s.policies = path).await;
    (app, dir)
}

async fn spawn(backend: Backend) -> (TestApp, tempfile::TempDir) {
    app_with_policies(TestDb::new(backend).await, Arc::new(ManualClock::starting_now())).await
}

async fn issue(app: &TestApp, policy: &str) -> Value {
    let response = app.post("/v1/admin/licenses", &json!({"policy": policy}), Some(app.admin_key())).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["licenses"][0].clone()
}

async fn redeem(app: &TestApp, token: &str, code: &str) -> reqwest::Response {
    app.post("/v1/me/licenses/redeem", &json!({"activation_code": code}), Some(token)).await
}

async fn activate(app: &TestApp, token: &str, license_id: &str, fingerprint: &str) -> reqwest::Response {
    app.post("/v1/activations", &json!({"license_id": license_id, "fingerprint": fingerprint}), Some(token)).await
}

async fn validate(app: &TestApp, body: Value) -> Value {
    let response = app.post("/v1/licenses/validate", &body, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn issue_redeem_activate_validate(backend: Backend) {
    let (app, _policies) = spawn(backend).await;
    let license = issue(&app, "desk").await;
    let (id, key, code) = (
        license["id"].as_str().unwrap(),
        license["key"].as_str().unwrap(),
        license["activation_code"].as_str().unwrap(),
    );
    assert!(key.starts_with("LK-"));
    assert_eq!(license["policy_revision"].as_str().unwrap().len(), 64);

    let (_, _, token) = app.signed_in_user().await;
    // People type codes sloppily; the check symbol still finds the license.
    let redeemed = redeem(&app, &token, &code.to_lowercase().replace('-', " ")).await;
    assert_eq!(redeemed.status(), StatusCode::CREATED);
    let mine: Value = app.get("/v1/me/licenses", Some(&token)).await.json().await.unwrap();
    assert_eq!(mine["licenses"][0]["key"], key, "the holder sees the key again");

    let first = activate(&app, &token, id, "machine-a").await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again: Value = activate(&app, &token, id, "machine-a").await.json().await.unwrap();
    assert_eq!(first["activation"]["id"], again["activation"]["id"], "same device, same activation");

    let answer =
        validate(&app, json!({"key": key, "fingerprint": "machine-a", "product": "studio", "nonce": "n-1"})).await;
    assert_eq!((answer["valid"].as_bool(), answer["code"].as_str()), (Some(true), Some("VALID")));
    assert_eq!(answer["nonce"], "n-1");
    assert_eq!(answer["license"]["entitlements"], json!(["export"]));
    assert_eq!(answer["activation"]["id"], first["activation"]["id"]);
    assert_eq!(validate(&app, json!({"key": key})).await["code"], "VALID");
    assert_eq!(validate(&app, json!({"key": key, "fingerprint": "machine-b"})).await["code"], "NOT_ACTIVATED");
    assert_eq!(validate(&app, json!({"key": key, "product": "other"})).await["code"], "PRODUCT_MISMATCH");

    // Unknown and malformed keys are indistinguishable.
    let mut unknown = validate(&app, json!({"key": "LK-00000-00000-00000-00000-00000"})).await;
    let mut malformed = validate(&app, json!({"key": "definitely not a key"})).await;
    unknown.as_object_mut().unwrap().remove("ts");
    malformed.as_object_mut().unwrap().remove("ts");
    assert_eq!(unknown, malformed);
    assert_eq!(unknown["code"], "NOT_FOUND");

    let detail: Value = app.get(&format!("/v1/admin/licenses/{id}"), Some(app.admin_key())).await.json().await.unwrap();
    let kinds: Vec<&str> = detail["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["issued", "redeemed", "activated"]);
    assert_eq!(detail["activations"].as_array().unwrap().len(), 1);
}

async fn fifty_devices_race_for_three_seats(backend: Backend) {
    let (app, _policies) = spawn(backend).await;
    let license = issue(&app, "desk").await;
    let id = license["id"].as_str().unwrap();
    let (_, _, token) = app.signed_in_user().await;
    assert_eq!(redeem(&app, &token, license["activation_code"].as_str().unwrap()).await.status(), StatusCode::CREATED);

    let claims = (0..50).map(|i| {
        let fingerprint = format!("device-{i}");
        let (app, token) = (&app, &token);
        async move { activate(app, token, id, &fingerprint).await }
    });
    let responses = join_all(claims).await;
    let created = responses.iter().filter(|r| r.status() == StatusCode::CREATED).count();
    assert_eq!(created, 3);
    for response in responses.into_iter().filter(|r| r.status() != StatusCode::CREATED) {
        assert_problem(response, StatusCode::CONFLICT, "seat_limit_reached").await;
    }
    let detail: Value = app.get(&format!("/v1/admin/licenses/{id}"), Some(app.admin_key())).await.json().await.unwrap();
    assert_eq!(detail["activations"].as_array().unwrap().len(), 3);
}

async fn one_use_code_redeemed_by_two_users_at_once(backend: Backend) {
    let (app, _policies) = spawn(backend).await;
    for _ in 0..5 {
        let license = issue(&app, "desk").await;
        let code = license["activation_code"].as_str().unwrap();
        let (_, _, ada) = app.signed_in_user().await;
        let (_, _, bob) = app.signed_in_user().await;
        let (a, b) = tokio::join!(redeem(&app, &ada, code), redeem(&app, &bob, code));
        let mut statuses = [a.status(), b.status()];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
    }
}

async fn every_validation_code_from_a_real_scenario(backend: Backend) {
    let clock = Arc::new(ManualClock::starting_now());
    let (app, _policies) = app_with_policies(TestDb::new(backend).await, clock.clone()).await;
    let admin = app.admin_key().to_owned();
    let (email, password, mut token) = app.signed_in_user().await;

    let desk = issue(&app, "desk").await;
    let (desk_id, desk_key) = (desk["id"].as_str().unwrap(), desk["key"].as_str().unwrap());
    redeem(&app, &token, desk["activation_code"].as_str().unwrap()).await;
    for device in ["a", "b", "c"] {
        assert_eq!(activate(&app, &token, desk_id, device).await.status(), StatusCode::CREATED);
    }
    assert_eq!(validate(&app, json!({"key": desk_key, "fingerprint": "d"})).await["code"], "SEAT_LIMIT_REACHED");

    app.post(&format!("/v1/admin/licenses/{desk_id}/suspend"), &json!({}), Some(&admin)).await;
    let suspended = validate(&app, json!({"key": desk_key, "fingerprint": "a"})).await;
    assert_eq!((suspended["code"].as_str(), suspended["valid"].as_bool()), (Some("SUSPENDED"), Some(false)));
    assert_problem(activate(&app, &token, desk_id, "e").await, StatusCode::CONFLICT, "license_suspended").await;
    app.post(&format!("/v1/admin/licenses/{desk_id}/reinstate"), &json!({}), Some(&admin)).await;
    assert_eq!(validate(&app, json!({"key": desk_key, "fingerprint": "a"})).await["code"], "VALID");

    let team = issue(&app, "team").await;
    let (team_id, team_key) = (team["id"].as_str().unwrap(), team["key"].as_str().unwrap());
    redeem(&app, &token, team["activation_code"].as_str().unwrap()).await;
    assert_eq!(validate(&app, json!({"key": team_key})).await["code"], "FINGERPRINT_REQUIRED");
    let seat: Value = activate(&app, &token, team_id, "laptop").await.json().await.unwrap();
    let seat_id = seat["activation"]["id"].as_str().unwrap();
    clock.advance(Duration::minutes(20));
    let beat = app.post(&format!("/v1/activations/{seat_id}/heartbeat"), &json!({}), Some(&token)).await;
    assert_eq!(beat.status(), StatusCode::OK);
    clock.advance(Duration::minutes(20));
    assert_eq!(
        validate(&app, json!({"key": team_key, "fingerprint": "laptop"})).await["code"],
        "VALID",
        "the heartbeat kept it"
    );
    assert_problem(activate(&app, &token, team_id, "desktop").await, StatusCode::CONFLICT, "seat_limit_reached").await;
    // Product software may beat with the license key alone; another key may not.
    let by_key = app.post(&format!("/v1/activations/{seat_id}/heartbeat"), &json!({"key": team_key}), None).await;
    assert_eq!(by_key.status(), StatusCode::OK);
    let wrong_key = app.post(&format!("/v1/activations/{seat_id}/heartbeat"), &json!({"key": desk_key}), None).await;
    assert_problem(wrong_key, StatusCode::NOT_FOUND, "not_found").await;
    clock.advance(Duration::minutes(20));
    assert_eq!(validate(&app, json!({"key": team_key, "fingerprint": "laptop"})).await["code"], "VALID");
    clock.advance(Duration::minutes(11));
    assert_eq!(validate(&app, json!({"key": team_key, "fingerprint": "laptop"})).await["code"], "LEASE_EXPIRED");
    // The lapsed lease frees the seat for another device, with no background job.
    assert_eq!(activate(&app, &token, team_id, "desktop").await.status(), StatusCode::CREATED);

    clock.advance(Duration::days(31));
    token = app.sign_in(&email, &password).await;
    let expired = validate(&app, json!({"key": desk_key, "fingerprint": "a"})).await;
    assert_eq!((expired["code"].as_str(), expired["valid"].as_bool()), (Some("EXPIRED"), Some(false)), "restrict");
    let late = activate(&app, &token, desk_id, "z").await;
    let body = assert_problem(late, StatusCode::CONFLICT, "license_expired").await;
    assert!(body["detail"].as_str().unwrap().contains("expired"), "{body}");
    let renewed = app.post(&format!("/v1/admin/licenses/{desk_id}/renew"), &json!({}), Some(&admin)).await;
    assert_eq!(renewed.status(), StatusCode::OK);
    assert_eq!(validate(&app, json!({"key": desk_key, "fingerprint": "a"})).await["code"], "VALID");
    let maintained = validate(&app, json!({"key": team_key, "fingerprint": "desktop"})).await;
    assert_eq!(maintained["code"], "LEASE_EXPIRED");
    let seat: Value = activate(&app, &token, team_id, "desktop").await.json().await.unwrap();
    assert!(seat["activation"]["id"].is_string(), "maintain keeps activation open after expiry");
    let maintained = validate(&app, json!({"key": team_key, "fingerprint": "desktop"})).await;
    assert_eq!((maintained["code"].as_str(), maintained["valid"].as_bool()), (Some("EXPIRED"), Some(true)), "maintain");

    app.post(&format!("/v1/admin/licenses/{desk_id}/revoke"), &json!({}), Some(&admin)).await;
    assert_eq!(validate(&app, json!({"key": desk_key, "fingerprint": "a"})).await["code"], "REVOKED");
    let reinstate = app.post(&format!("/v1/admin/licenses/{desk_id}/reinstate"), &json!({}), Some(&admin)).await;
    assert_problem(reinstate, StatusCode::CONFLICT, "license_revoked").await;
}

async fn bad_license_input_changes_nothing(backend: Backend) {
    let (app, _policies) = spawn(backend).await;
    let admin = app.admin_key().to_owned();
    for body in [
        json!({"policy": "desk", "count": 0}),
        json!({"policy": "desk", "count": 5000}),
        json!({"policy": "nope"}),
        json!({"policy": "desk", "expires_at": "2001-01-01T00:00:00Z"}),
    ] {
        assert_problem(
            app.post("/v1/admin/licenses", &body, Some(&admin)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    assert_problem(
        app.post("/v1/admin/licenses", &json!({"policy": "desk", "count": -1}), Some(&admin)).await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    let list: Value = app.get("/v1/admin/licenses", Some(&admin)).await.json().await.unwrap();
    assert!(list["licenses"].as_array().unwrap().is_empty(), "nothing was issued");

    let license = issue(&app, "desk").await;
    let id = license["id"].as_str().unwrap();
    let code = license["activation_code"].as_str().unwrap().to_owned();
    let (_, _, ada) = app.signed_in_user().await;
    let (_, _, eve) = app.signed_in_user().await;
    // A typo is caught by the check symbol, before any lookup.
    let typo: String =
        code.chars().enumerate().map(|(i, c)| if i == 0 { if c == '7' { '8' } else { '7' } } else { c }).collect();
    assert_problem(redeem(&app, &ada, &typo).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_problem(redeem(&app, &ada, "0000-0000-0000-0000").await, StatusCode::NOT_FOUND, "not_found").await;
    redeem(&app, &ada, &code).await;
    assert_problem(activate(&app, &eve, id, "eve-laptop").await, StatusCode::NOT_FOUND, "not_found").await;
    assert_problem(
        activate(&app, &ada, id, &"f".repeat(1025)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_problem(activate(&app, &ada, "not-an-id", "x").await, StatusCode::NOT_FOUND, "not_found").await;
    let detail: Value = app.get(&format!("/v1/admin/licenses/{id}"), Some(&admin)).await.json().await.unwrap();
    assert!(detail["activations"].as_array().unwrap().is_empty());
}

async fn idempotent_issuance(backend: Backend) {
    let (app, _policies) = spawn(backend).await;
    let send = |body: Value| {
        app.client
            .post(app.url("/v1/admin/licenses"))
            .bearer_auth(app.admin_key())
            .header("idempotency-key", "batch-7")
            .json(&body)
            .send()
    };
    let first: Value = send(json!({"policy": "desk", "count": 2})).await.unwrap().json().await.unwrap();
    let retry: Value = send(json!({"policy": "desk", "count": 2})).await.unwrap().json().await.unwrap();
    assert_eq!(first, retry, "a retry gets the first answer, codes included");
    let different = send(json!({"policy": "desk", "count": 3})).await.unwrap();
    assert_problem(different, StatusCode::CONFLICT, "conflict").await;
    let list: Value = app.get("/v1/admin/licenses", Some(app.admin_key())).await.json().await.unwrap();
    assert_eq!(list["licenses"].as_array().unwrap().len(), 2);
}

/// Two instances behind a load balancer, one PostgreSQL: still exactly three seats.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seats_hold_across_two_instances() {
    let db = TestDb::new(Backend::Postgres).await;
    let clock = Arc::new(ManualClock::starting_now());
    let (first, _p1) = app_with_policies(db.clone(), clock.clone()).await;
    let (second, _p2) = app_with_policies(db, clock).await;
    let license = issue(&first, "desk").await;
    let id = license["id"].as_str().unwrap();
    let (email, password, token) = first.signed_in_user().await;
    redeem(&first, &token, license["activation_code"].as_str().unwrap()).await;
    let other_token = second.sign_in(&email, &password).await;
    let claims = (0..50).map(|i| {
        let (app, token) = if i % 2 == 0 { (&first, &token) } else { (&second, &other_token) };
        async move { activate(app, token, id, &format!("device-{i}")).await.status() }
    });
    let statuses = join_all(claims).await;
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 47);
}

/// A floating device that activates again keeps its seat for a new lease,
/// in the database and not only in the answer: no other device can take
/// the seat while the certificate it was given still runs.
async fn activating_a_device_again_renews_its_lease(backend: Backend) {
    let clock = Arc::new(ManualClock::starting_now());
    let (app, _policies) = app_with_policies(TestDb::new(backend).await, clock.clone()).await;
    let team = issue(&app, "team").await;
    let (team_id, team_key) = (team["id"].as_str().unwrap(), team["key"].as_str().unwrap());
    let (_, _, token) = app.signed_in_user().await;
    redeem(&app, &token, team["activation_code"].as_str().unwrap()).await;
    assert_eq!(activate(&app, &token, team_id, "laptop").await.status(), StatusCode::CREATED);
    clock.advance(Duration::minutes(20));
    let again: Value = activate(&app, &token, team_id, "laptop").await.json().await.unwrap();
    clock.advance(Duration::minutes(20));
    let answer = validate(&app, json!({"key": team_key, "fingerprint": "laptop"})).await;
    assert_eq!(answer["code"], "VALID", "the renewed lease runs 30 minutes from the second activation");
    assert_eq!(answer["activation"]["lease_expires_at"], again["activation"]["lease_expires_at"]);
    assert_problem(activate(&app, &token, team_id, "desktop").await, StatusCode::CONFLICT, "seat_limit_reached").await;
}

/// A code issued to an address goes only to an account that proved it
/// receives mail there: anyone can sign up with someone else's address.
async fn an_address_bound_code_needs_that_address_verified(backend: Backend) {
    let (app, _policies) = spawn(backend).await;
    let body = json!({"policy": "desk", "owner_email": "owner@example.com"});
    let issued: Value = app.post("/v1/admin/licenses", &body, Some(app.admin_key())).await.json().await.unwrap();
    let code = issued["licenses"][0]["activation_code"].as_str().unwrap();
    app.sign_up("owner@example.com", "correct horse battery").await;
    let token = app.sign_in("owner@example.com", "correct horse battery").await;
    assert_problem(redeem(&app, &token, code).await, StatusCode::FORBIDDEN, "email_verification_required").await;

    let store = app.db.store().await;
    let user_id = latchkey::domain::ids::UserId::parse(&app.user_id(&token).await).unwrap();
    assert!(store.mark_email_verified(&user_id, "owner@example.com", app.clock_now()).await.unwrap());
    store.close().await;
    assert_eq!(redeem(&app, &token, code).await.status(), StatusCode::CREATED);
}

/// Where accounts come only from activation codes, sign-up takes the code
/// and redeems it in the same transaction: no account without the license,
/// no use spent without the account, and a taken address still answers like
/// a free one (spending nothing).
async fn signing_up_with_a_code_redeems_it_in_one_step(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in POLICIES {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let path = dir.path().to_owned();
    let app = TestApp::spawn_with_clock(TestDb::new(backend).await, Arc::new(ManualClock::starting_now()), move |s| {
        s.policies = path;
        s.signup = latchkey::config::SignupMode::ActivationCodeOnly;
    })
    .await;
    let sign_up = |email: &str, code: Option<&str>| {
        let body = json!({"email": email, "password": "correct horse battery", "activation_code": code});
        let app = &app;
        async move { app.post("/v1/users", &body, None).await }
    };
    let no_account = |email: &'static str| {
        let app = &app;
        async move {
            let refused = app.try_sign_in(email, "correct horse battery").await;
            assert_problem(refused, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
        }
    };

    let missing =
        assert_problem(sign_up("ada@example.com", None).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
            .await;
    assert_eq!(missing["errors"][0]["field"], "activation_code");
    assert_problem(
        sign_up("ada@example.com", Some("not a code")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    // A well-formed code that was never issued.
    let unknown = latchkey::domain::codes::ActivationCode::generate();
    assert_problem(sign_up("ada@example.com", Some(unknown.as_str())).await, StatusCode::NOT_FOUND, "not_found").await;
    no_account("ada@example.com").await;

    // One use: the first sign-up gets the license, the second nothing at all.
    let code = issue(&app, "desk").await["activation_code"].as_str().unwrap().to_owned();
    let accepted = sign_up("ada@example.com", Some(&code)).await;
    assert_eq!(accepted.status(), StatusCode::ACCEPTED);
    let token = app.sign_in("ada@example.com", "correct horse battery").await;
    let held: Value = app.get("/v1/me/licenses", Some(&token)).await.json().await.unwrap();
    assert_eq!(held["licenses"].as_array().unwrap().len(), 1, "{held}");
    assert_problem(sign_up("bob@example.com", Some(&code)).await, StatusCode::CONFLICT, "activation_code_used").await;
    no_account("bob@example.com").await;

    // A taken address with a fresh code: the same answer as a free one, and the code is still whole.
    let fresh = issue(&app, "desk").await["activation_code"].as_str().unwrap().to_owned();
    let taken = sign_up("ada@example.com", Some(&fresh)).await;
    assert_eq!(taken.status(), StatusCode::ACCEPTED);
    assert_eq!(sign_up("cy@example.com", Some(&fresh)).await.status(), StatusCode::ACCEPTED);
    app.sign_in("cy@example.com", "correct horse battery").await;

    // A code reserved for an address lets that address in, and is redeemed once the address is proved.
    let body = json!({"policy": "desk", "owner_email": "dee@example.com"});
    let issued: Value = app.post("/v1/admin/licenses", &body, Some(app.admin_key())).await.json().await.unwrap();
    let bound = issued["licenses"][0]["activation_code"].as_str().unwrap().to_owned();
    assert_problem(sign_up("eve@example.com", Some(&bound)).await, StatusCode::NOT_FOUND, "not_found").await;
    no_account("eve@example.com").await;
    assert_eq!(sign_up("dee@example.com", Some(&bound)).await.status(), StatusCode::ACCEPTED);
    let dee = app.sign_in("dee@example.com", "correct horse battery").await;
    assert_problem(redeem(&app, &dee, &bound).await, StatusCode::FORBIDDEN, "email_verification_required").await;
    let store = app.db.store().await;
    let dee_id = latchkey::domain::ids::UserId::parse(&app.user_id(&dee).await).unwrap();
    assert!(store.mark_email_verified(&dee_id, "dee@example.com", app.clock_now()).await.unwrap());
    store.close().await;
    assert_eq!(redeem(&app, &dee, &bound).await.status(), StatusCode::CREATED);
}

/// A heartbeat that races the user freeing the same device (on another
/// instance) answers `not_found`, never "the lease has lapsed": that would
/// send the app to activate again and take back the seat just freed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heartbeat_racing_a_deactivation_finds_the_device_gone() {
    let db = TestDb::new(Backend::Postgres).await;
    let clock = Arc::new(ManualClock::starting_now());
    let (first, _policies) = app_with_policies(db.clone(), clock.clone()).await;
    let (second, _second_policies) = app_with_policies(db, clock).await;
    let (_, _, token) = first.signed_in_user().await;
    let team = issue(&first, "team").await;
    let (team_id, team_key) = (team["id"].as_str().unwrap(), team["key"].as_str().unwrap());
    redeem(&first, &token, team["activation_code"].as_str().unwrap()).await;
    let by_key = json!({"key": team_key});
    for round in 0..40 {
        let seat: Value = activate(&first, &token, team_id, &format!("laptop-{round}")).await.json().await.unwrap();
        let seat_id = seat["activation"]["id"].as_str().unwrap().to_owned();
        let path = format!("/v1/activations/{seat_id}");
        let heartbeat = format!("{path}/heartbeat");
        let (freed, beat) = tokio::join!(first.delete(&path, Some(&token)), second.post(&heartbeat, &by_key, None));
        assert_eq!(freed.status(), StatusCode::NO_CONTENT, "round {round}");
        // Before the free lands the lease is extended; after, the device is gone. Never "lapsed".
        let status = beat.status();
        assert!(
            status == StatusCode::OK || status == StatusCode::NOT_FOUND,
            "round {round}: a heartbeat racing a deactivation answered {status}: {}",
            beat.text().await.unwrap()
        );
        let after = second.post(&heartbeat, &by_key, None).await;
        assert_problem(after, StatusCode::NOT_FOUND, "not_found").await;
    }
}
