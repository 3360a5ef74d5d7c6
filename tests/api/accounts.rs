use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

use crate::helpers::{Backend, TestApp, assert_problem};
use crate::on_both_backends;

on_both_backends!(
    sign_up_sign_in_me_sign_out,
    wrong_password_and_unknown_email_look_the_same,
    emails_are_normalised_and_unique,
    sessions_expire_when_idle_and_at_the_absolute_limit,
    sessions_can_be_listed_and_revoked,
    changing_the_password_signs_out_other_sessions,
);

async fn sign_up_sign_in_me_sign_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = app.sign_up("ada@example.com", "correct horse battery").await;
    assert_eq!(created["email"], "ada@example.com");

    let token = app.sign_in("ada@example.com", "correct horse battery").await;
    assert!(token.starts_with("lk_ses_"));

    let me: Value = app.get("/v1/me", Some(&token)).await.json().await.unwrap();
    assert_eq!(me["user"]["email"], "ada@example.com");
    assert_eq!(me["user"]["email_verified"], false);
    assert_eq!(me["amr"], json!(["pwd"]));
    assert_eq!(me["session"]["current"], true);

    assert_eq!(app.delete("/v1/sessions/current", Some(&token)).await.status(), StatusCode::NO_CONTENT);
    let refused = app.get("/v1/me", Some(&token)).await;
    assert!(refused.headers().contains_key("www-authenticate"));
    assert_problem(refused, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_problem(app.get("/v1/me", None).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_problem(app.get("/v1/me", Some("lk_ses_forged")).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

/// Everything but the request id must be identical, so a response never
/// tells whether the account exists.
async fn wrong_password_and_unknown_email_look_the_same(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ada@example.com", "correct horse battery").await;
    let mut answers = Vec::new();
    for (email, password) in [
        ("ada@example.com", "wrong horse battery"),
        ("nobody@example.com", "wrong horse battery"),
        ("not an email", "x"),
    ] {
        let response = app.try_sign_in(email, password).await;
        let status = response.status();
        let mut body = assert_problem(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
        body.as_object_mut().unwrap().remove("request_id");
        answers.push((status, body));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], answers[2]);
}

async fn emails_are_normalised_and_unique(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = app.sign_up("  Ada@Example.COM ", "correct horse battery").await;
    assert_eq!(created["email"], "ada@example.com");
    // The same address again: the same answer, and still one account with the first password.
    let again = app.sign_up("Ada@EXAMPLE.com", "another password!").await;
    assert_eq!(again, created);
    assert_problem(
        app.try_sign_in("Ada@example.com", "another password!").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    app.sign_in("Ada@example.COM", "correct horse battery").await;
    let bad = app.post("/v1/users", &json!({"email": "not-an-email", "password": "correct horse battery"}), None).await;
    let body = assert_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "email");
    let short = app.post("/v1/users", &json!({"email": "bob@example.com", "password": "short"}), None).await;
    let body = assert_problem(short, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "password");
}

async fn sessions_expire_when_idle_and_at_the_absolute_limit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (email, password, token) = app.signed_in_user().await;
    // Defaults: 7 days idle, 30 days absolute.
    app.clock.advance(Duration::days(6));
    assert_eq!(app.get("/v1/me", Some(&token)).await.status(), StatusCode::OK);
    app.clock.advance(Duration::days(6));
    assert_eq!(app.get("/v1/me", Some(&token)).await.status(), StatusCode::OK, "use resets the idle limit");
    app.clock.advance(Duration::days(7));
    assert_eq!(app.get("/v1/me", Some(&token)).await.status(), StatusCode::UNAUTHORIZED, "idle for 7 days");

    let signed_in: Value = app.try_sign_in(&email, &password).await.json().await.unwrap();
    let token = signed_in["token"].as_str().unwrap().to_owned();
    let expires_at = time::OffsetDateTime::parse(
        signed_in["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(expires_at, app.clock_now() + Duration::days(7), "unused, a session ends after the idle limit");
    for _ in 0..5 {
        app.clock.advance(Duration::days(5));
        assert_eq!(app.get("/v1/me", Some(&token)).await.status(), StatusCode::OK);
    }
    app.clock.advance(Duration::days(4));
    assert_eq!(app.get("/v1/me", Some(&token)).await.status(), StatusCode::OK);
    app.clock.advance(Duration::days(1));
    assert_eq!(app.get("/v1/me", Some(&token)).await.status(), StatusCode::UNAUTHORIZED, "30 days after sign-in");
}

async fn sessions_can_be_listed_and_revoked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (email, password, laptop) = app.signed_in_user().await;
    let phone = app.sign_in(&email, &password).await;
    let (_, _, stranger) = app.signed_in_user().await;

    let list: Value = app.get("/v1/me/sessions", Some(&laptop)).await.json().await.unwrap();
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let phone_id = sessions.iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_owned();

    // Another user cannot revoke it, and learns nothing about it.
    assert_problem(
        app.delete(&format!("/v1/me/sessions/{phone_id}"), Some(&stranger)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(app.get("/v1/me", Some(&phone)).await.status(), StatusCode::OK);

    assert_eq!(
        app.delete(&format!("/v1/me/sessions/{phone_id}"), Some(&laptop)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.get("/v1/me", Some(&phone)).await.status(), StatusCode::UNAUTHORIZED);
    assert_problem(
        app.delete(&format!("/v1/me/sessions/{phone_id}"), Some(&laptop)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let list: Value = app.get("/v1/me/sessions", Some(&laptop)).await.json().await.unwrap();
    assert_eq!(list["sessions"].as_array().unwrap().len(), 1);
    for junk in ["%FF", "not-a-uuid", "00000000-0000-0000-0000-000000000000"] {
        assert_problem(
            app.delete(&format!("/v1/me/sessions/{junk}"), Some(&laptop)).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    // A control character is refused at the edge, before any route.
    let nul = app.delete("/v1/me/sessions/%00", Some(&laptop)).await;
    assert_problem(nul, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}

async fn changing_the_password_signs_out_other_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (email, password, here) = app.signed_in_user().await;
    let elsewhere = app.sign_in(&email, &password).await;

    let wrong = app
        .post(
            "/v1/me/password",
            &json!({"current_password": "not it at all", "new_password": "a brand new secret"}),
            Some(&here),
        )
        .await;
    assert_problem(wrong, StatusCode::FORBIDDEN, "step_up_failed").await;
    let weak =
        app.post("/v1/me/password", &json!({"current_password": password, "new_password": "short"}), Some(&here)).await;
    assert_problem(weak, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(app.get("/v1/me", Some(&elsewhere)).await.status(), StatusCode::OK, "failed changes revoke nothing");

    let changed = app
        .post(
            "/v1/me/password",
            &json!({"current_password": password, "new_password": "a brand new secret"}),
            Some(&here),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get("/v1/me", Some(&here)).await.status(), StatusCode::OK);
    assert_eq!(app.get("/v1/me", Some(&elsewhere)).await.status(), StatusCode::UNAUTHORIZED);
    assert_problem(app.try_sign_in(&email, &password).await, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    app.sign_in(&email, "a brand new secret").await;
}
