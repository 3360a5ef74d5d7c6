//! Several stateless instances on one PostgreSQL behave as one gateway.

use std::sync::Arc;

use latchkey::clock::ManualClock;
use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp, TestDb, assert_problem};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_and_lockouts_hold_across_instances() {
    let db = TestDb::new(Backend::Postgres).await;
    let clock = Arc::new(ManualClock::starting_now());
    let first = TestApp::spawn_with_clock(db.clone(), clock.clone(), |_| {}).await;
    let second = TestApp::spawn_with_clock(db, clock, |_| {}).await;
    assert!(first.admin_key.is_some() && second.admin_key.is_none(), "only one instance bootstraps");

    let (email, password, token) = first.signed_in_user().await;
    assert_eq!(second.get("/v1/me", Some(&token)).await.status(), StatusCode::OK);
    assert_eq!(second.delete("/v1/sessions/current", Some(&token)).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(first.get("/v1/me", Some(&token)).await.status(), StatusCode::UNAUTHORIZED);

    for i in 0..10 {
        let app = if i % 2 == 0 { &first } else { &second };
        assert_problem(app.try_sign_in(&email, "wrong guess!!").await, StatusCode::UNAUTHORIZED, "invalid_credentials")
            .await;
        // Past the growing delays between attempts.
        first.clock.advance(time::Duration::seconds(61));
    }
    assert_problem(first.try_sign_in(&email, &password).await, StatusCode::TOO_MANY_REQUESTS, "account_locked").await;
    assert_problem(second.try_sign_in(&email, &password).await, StatusCode::TOO_MANY_REQUESTS, "account_locked").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_master_key_stops_the_start() {
    let db = TestDb::new(Backend::Sqlite).await;
    TestApp::spawn_on(db.clone(), |_| {}).await;
    let mut settings = crate::helpers::test_settings(&db);
    let (_, other_key) = latchkey::secrets::MasterKey::generate();
    settings.master_key = Some(other_key);
    let error =
        latchkey::startup::Application::build(settings, Arc::new(ManualClock::starting_now())).await.unwrap_err();
    assert!(error.to_string().contains("master key does not match"), "{error}");
}

/// A TOTP code accepted by one instance is refused by another, even when
/// both receive it at the same moment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_totp_code_is_good_once_across_instances() {
    let db = TestDb::new(Backend::Postgres).await;
    let clock = Arc::new(ManualClock::starting_now());
    let first = TestApp::spawn_with_clock(db.clone(), clock.clone(), |_| {}).await;
    let second = TestApp::spawn_with_clock(db, clock.clone(), |_| {}).await;
    let (email, password, token) = first.signed_in_user().await;
    let (secret, _) = first.enroll_totp(&token).await;
    clock.advance(time::Duration::seconds(30));
    let code = crate::helpers::totp_code(&secret, first.clock_now());

    let pending = first.pending_sign_in(&email, &password).await;
    let body = serde_json::json!({"pending_token": pending, "code": code});
    assert_eq!(first.post("/v1/sessions/totp", &body, None).await.status(), StatusCode::CREATED);
    let replay = serde_json::json!({"pending_token": second.pending_sign_in(&email, &password).await, "code": code});
    assert_problem(
        second.post("/v1/sessions/totp", &replay, None).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;

    // Racing: the next step's code sent to both instances at once, on two
    // pending sign-ins, makes exactly one session.
    clock.advance(time::Duration::seconds(30));
    let code = crate::helpers::totp_code(&secret, first.clock_now());
    let a = serde_json::json!({"pending_token": first.pending_sign_in(&email, &password).await, "code": code});
    let b = serde_json::json!({"pending_token": second.pending_sign_in(&email, &password).await, "code": code});
    let (ra, rb) = tokio::join!(first.post("/v1/sessions/totp", &a, None), second.post("/v1/sessions/totp", &b, None));
    let created = [ra.status(), rb.status()].iter().filter(|s| **s == StatusCode::CREATED).count();
    assert_eq!(created, 1, "{} {}", ra.status(), rb.status());
}
