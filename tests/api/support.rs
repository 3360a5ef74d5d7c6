//! Support verification by PIN, on both backends.

use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

use crate::helpers::{Backend, TestApp, assert_problem};
use crate::on_both_backends;

on_both_backends!(a_pin_verifies_a_caller_once, wrong_pins_say_nothing_and_lock_after_five);

async fn new_pin(app: &TestApp, token: &str) -> String {
    let response = app.post("/v1/me/support-pin", &json!({}), Some(token)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    let pin = body["pin"].as_str().unwrap().to_owned();
    assert!(pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()), "{pin}");
    pin
}

async fn verify(app: &TestApp, key: &str, email: &str, pin: &str) -> reqwest::Response {
    app.post("/v1/support/verify", &json!({"email": email, "pin": pin}), Some(key)).await
}

async fn verified(app: &TestApp, key: &str, email: &str, pin: &str) -> Value {
    let response = verify(app, key, email, pin).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn a_pin_verifies_a_caller_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.support_key().await;
    let (email, _, token) = app.signed_in_user().await;
    app.enroll_totp(&token).await;

    let pin = new_pin(&app, &token).await;
    let answer = verified(&app, &key, &email.replace("example.com", "Example.COM"), &pin).await;
    assert_eq!(answer["verified"], true, "{answer}");
    assert_eq!(answer["user"]["email"], email.as_str());
    assert_eq!(answer["factors"], json!(["totp", "recovery_code"]));
    assert_eq!(answer["licenses"], json!([]));
    let kinds: Vec<&str> =
        answer["recent_events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"support_pin_created") && kinds.contains(&"totp_enrolled"), "{kinds:?}");
    // Single use.
    assert_eq!(verified(&app, &key, &email, &pin).await, json!({"verified": false}));

    // A new PIN replaces the old one.
    let first = new_pin(&app, &token).await;
    let second = new_pin(&app, &token).await;
    if first != second {
        assert_eq!(verified(&app, &key, &email, &first).await["verified"], false);
    }
    assert_eq!(verified(&app, &key, &email, &second).await["verified"], true);

    // Ten minutes, then it is gone.
    let late = new_pin(&app, &token).await;
    app.clock.advance(Duration::minutes(10) + Duration::seconds(1));
    assert_eq!(verified(&app, &key, &email, &late).await["verified"], false);

    // Admin keys may verify too; a user session may not.
    let pin = new_pin(&app, &token).await;
    assert_eq!(verified(&app, app.admin_key(), &email, &pin).await["verified"], true);
    assert_eq!(verify(&app, &token, &email, &pin).await.status(), StatusCode::UNAUTHORIZED);

    // Every attempt is an event the account keeps.
    let events: Value = app.get("/v1/me/events", Some(&token)).await.json().await.unwrap();
    let attempts: Vec<bool> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "support_verification")
        .map(|e| e["detail"]["verified"].as_bool().unwrap())
        .collect();
    assert_eq!(attempts.iter().filter(|v| **v).count(), 3, "{attempts:?}");
    assert_eq!(attempts.len(), 6, "{attempts:?}");
}

async fn wrong_pins_say_nothing_and_lock_after_five(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.support_key().await;
    let (email, _, token) = app.signed_in_user().await;
    let pin = new_pin(&app, &token).await;
    let wrong = if pin == "000000" { "111111" } else { "000000" };

    // Wrong PIN, malformed PIN and unknown address answer the same way.
    for (address, guess) in [(email.as_str(), wrong), (email.as_str(), "12"), ("nobody@example.com", wrong)] {
        assert_eq!(verified(&app, &key, address, guess).await, json!({"verified": false}));
    }
    for _ in 0..3 {
        verified(&app, &key, &email, wrong).await;
    }
    // Five wrong for this address: even the right PIN is refused now.
    let locked =
        assert_problem(verify(&app, &key, &email, &pin).await, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert!(locked["detail"].is_string());
    // Unknown addresses lock just the same, so the lock reveals nothing.
    for _ in 0..4 {
        verified(&app, &key, "nobody@example.com", wrong).await;
    }
    assert_problem(
        verify(&app, &key, "nobody@example.com", wrong).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;

    // After the window, the PIN (still unexpired) works.
    app.clock.advance(Duration::minutes(9));
    assert_problem(verify(&app, &key, &email, &pin).await, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    app.clock.advance(Duration::minutes(7));
    let fresh = new_pin(&app, &token).await;
    assert_eq!(verified(&app, &key, &email, &fresh).await["verified"], true);
}
