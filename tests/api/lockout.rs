use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

use crate::helpers::{Backend, TestApp, TestDb, assert_problem};
use crate::on_both_backends;

on_both_backends!(
    eleventh_failure_locks_until_the_window_passes,
    unknown_accounts_lock_exactly_like_real_ones,
    concurrent_guesses_cannot_exceed_the_limit,
    client_ip_rate_limit_answers_rate_limited,
);

async fn eleventh_failure_locks_until_the_window_passes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ada@example.com", "correct horse battery").await;
    for _ in 0..10 {
        assert_problem(
            app.try_sign_in("ada@example.com", "wrong guess!!").await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
        app.clock.advance(Duration::seconds(30));
    }
    // The right password does not help while locked.
    let locked = app.try_sign_in("ada@example.com", "correct horse battery").await;
    let retry_after: i64 = locked.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert_problem(locked, StatusCode::TOO_MANY_REQUESTS, "account_locked").await;
    // First failure at t0, now t0 + 300 s: the lock lifts at t0 + 15 min.
    assert_eq!(retry_after, 600);

    app.clock.advance(Duration::seconds(retry_after - 1));
    assert_problem(
        app.try_sign_in("ada@example.com", "correct horse battery").await,
        StatusCode::TOO_MANY_REQUESTS,
        "account_locked",
    )
    .await;
    app.clock.advance(Duration::seconds(1));
    app.sign_in("ada@example.com", "correct horse battery").await;
    // Success wipes the slate: nine more failures do not lock.
    for _ in 0..9 {
        assert_problem(
            app.try_sign_in("ada@example.com", "wrong guess!!").await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
    app.sign_in("ada@example.com", "correct horse battery").await;
}

/// Locking only real accounts would reveal which emails have one.
async fn unknown_accounts_lock_exactly_like_real_ones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ada@example.com", "correct horse battery").await;
    let mut answers = Vec::new();
    for email in ["ada@example.com", "ghost@example.com"] {
        for _ in 0..10 {
            app.try_sign_in(email, "wrong guess!!").await;
        }
        let locked = app.try_sign_in(email, "wrong guess!!").await;
        let retry_after = locked.headers()["retry-after"].to_str().unwrap().to_owned();
        let mut body = assert_problem(locked, StatusCode::TOO_MANY_REQUESTS, "account_locked").await;
        body.as_object_mut().unwrap().remove("request_id");
        answers.push((retry_after, body));
    }
    assert_eq!(answers[0], answers[1]);
}

/// Fifty guesses at once against one account: at most ten are ever checked.
async fn concurrent_guesses_cannot_exceed_the_limit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ada@example.com", "correct horse battery").await;
    let guesses = (0..50).map(|_| app.try_sign_in("ada@example.com", "wrong guess!!"));
    let statuses: Vec<StatusCode> = join_all(guesses).await.iter().map(reqwest::Response::status).collect();
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let locked = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((checked, locked), (10, 40), "{statuses:?}");
}

async fn client_ip_rate_limit_answers_rate_limited(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn_on(db, |s| s.ip_rate_per_minute = 3).await;
    for _ in 0..3 {
        app.try_sign_in("ada@example.com", "wrong guess!!").await;
    }
    let limited =
        app.post("/v1/users", &json!({"email": "bob@example.com", "password": "correct horse battery"}), None).await;
    assert!(limited.headers().contains_key("retry-after"));
    assert_problem(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    app.clock.advance(Duration::seconds(20));
    app.sign_up("bob@example.com", "correct horse battery").await;
}

/// Fields that carry something a caller could guess.
const CREDENTIAL_FIELDS: &[&str] = &[
    "password",
    "current_password",
    "new_password",
    "code",
    "pin",
    "token",
    "activation_code",
    "pending_token",
    "sig",
];

/// They describe or revoke a token someone holds; they check no caller.
const NOT_CREDENTIAL_CHECKS: &[&str] = &["/v1/tokens/introspect", "/v1/tokens/revoke"];

/// Every operation in the served OpenAPI document whose body carries a
/// credential is behind the per-IP credential limit: once the budget is
/// spent, each of them answers `rate_limited` before doing anything. A new
/// credential endpoint outside a limited route group fails here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_credential_endpoint_is_limited() {
    let app = TestApp::spawn_on(TestDb::new(Backend::Sqlite).await, |s| s.ip_rate_per_minute = 1).await;
    let (spec, token) = {
        let spec: Value = app.get("/openapi.json", None).await.json().await.unwrap();
        // Signing up spends the one attempt this client has.
        app.sign_up("ada@example.com", "correct horse battery").await;
        app.clock.advance(Duration::minutes(1));
        let token = app.sign_in("ada@example.com", "correct horse battery").await;
        (spec, token)
    };
    let schemas = &spec["components"]["schemas"];
    let mut limited = Vec::new();
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let Some(reference) = operation["requestBody"]["content"]
                .as_object()
                .and_then(|content| content.values().next())
                .and_then(|media| media["schema"]["$ref"].as_str())
            else {
                continue;
            };
            let schema = &schemas[reference.trim_start_matches("#/components/schemas/")];
            let fields: Vec<&str> =
                schema["properties"].as_object().map_or(vec![], |p| p.keys().map(String::as_str).collect());
            if !fields.iter().any(|f| CREDENTIAL_FIELDS.contains(f)) || NOT_CREDENTIAL_CHECKS.contains(&path.as_str()) {
                continue;
            }
            let url = app.url(&path.replace("{id}", &uuid::Uuid::now_v7().to_string()));
            let request = match method.as_str() {
                "post" => app.client.post(url),
                "patch" => app.client.patch(url),
                other => panic!("{other} {path}"),
            };
            let response = request.bearer_auth(&token).json(&json!({})).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{method} {path} is not limited");
            limited.push(path.clone());
        }
    }
    assert!(limited.len() >= 14, "{limited:?}");
    // Routes that check no credential are not held back by the limit.
    assert_eq!(app.get("/v1/me", Some(&token)).await.status(), StatusCode::OK);
}

/// `X-Forwarded-For` is believed only from the operator's proxies, read
/// from the right; without any, a client rotating the header is still one
/// client to the per-IP limits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    let app = TestApp::spawn_on(TestDb::new(Backend::Sqlite).await, |s| s.ip_rate_per_minute = 2).await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        let response = app
            .client
            .post(app.url("/v1/sessions"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .json(&json!({"email": "ada@example.com", "password": "wrong password"}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    assert_eq!(statuses[2], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");

    let behind_proxy = TestApp::spawn_on(TestDb::new(Backend::Sqlite).await, |s| {
        s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap(), "10.0.0.0/8".parse().unwrap()];
    })
    .await;
    behind_proxy.sign_up("ada@example.com", "correct horse battery").await;
    let signed_in = behind_proxy
        .client
        .post(behind_proxy.url("/v1/sessions"))
        .header("x-forwarded-for", "192.0.2.66, 203.0.113.9, 10.1.2.3")
        .json(&json!({"email": "ada@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    let token: Value = signed_in.json().await.unwrap();
    let sessions: Value =
        behind_proxy.get("/v1/me/sessions", Some(token["token"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(sessions["sessions"][0]["ip"], "203.0.113.9", "the right-most address that is not a proxy");
}
