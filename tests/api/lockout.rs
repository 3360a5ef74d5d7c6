use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

use crate::helpers::{Backend, TestApp, TestDb, assert_problem};
use crate::on_both_backends;

on_both_backends!(
    eleventh_failure_locks_until_the_window_passes,
    past_five_failures_each_attempt_waits_twice_as_long,
    unknown_accounts_lock_exactly_like_real_ones,
    concurrent_guesses_cannot_exceed_the_limit,
    a_known_device_is_not_locked_out_by_strangers,
    one_client_guessing_many_addresses_is_slowed,
    step_up_guesses_stop_the_session_not_the_owner,
    client_ip_rate_limit_answers_rate_limited,
);

/// Far enough apart that the growing delays never hold an attempt back.
const SPACED: Duration = Duration::seconds(61);

async fn wrong_password(app: &TestApp, email: &str) {
    assert_problem(app.try_sign_in(email, "wrong guess!!").await, StatusCode::UNAUTHORIZED, "invalid_credentials")
        .await;
}

async fn sign_in_with_device(app: &TestApp, email: &str, password: &str, device: Option<&str>) -> reqwest::Response {
    app.post("/v1/sessions", &json!({"email": email, "password": password, "device_token": device}), None).await
}

fn retry_after(response: &reqwest::Response) -> i64 {
    response.headers()["retry-after"].to_str().unwrap().parse().unwrap()
}

async fn eleventh_failure_locks_until_the_window_passes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ada@example.com", "correct horse battery").await;
    for _ in 0..10 {
        wrong_password(&app, "ada@example.com").await;
        app.clock.advance(Duration::seconds(30));
    }
    // The right password does not help while locked.
    let locked = app.try_sign_in("ada@example.com", "correct horse battery").await;
    let retry_after = retry_after(&locked);
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
        wrong_password(&app, "ada@example.com").await;
        app.clock.advance(Duration::seconds(30));
    }
    app.sign_in("ada@example.com", "correct horse battery").await;
}

/// Five failures cost nothing; then each attempt waits 1 s, 2 s, 4 s… after the last.
async fn past_five_failures_each_attempt_waits_twice_as_long(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ada@example.com", "correct horse battery").await;
    for _ in 0..5 {
        wrong_password(&app, "ada@example.com").await;
    }
    for wait in [1, 2, 4, 8] {
        let held = app.try_sign_in("ada@example.com", "correct horse battery").await;
        assert_eq!(retry_after(&held), wait);
        assert_problem(held, StatusCode::TOO_MANY_REQUESTS, "account_locked").await;
        app.clock.advance(Duration::seconds(wait));
        wrong_password(&app, "ada@example.com").await;
    }
    app.clock.advance(Duration::seconds(16));
    app.sign_in("ada@example.com", "correct horse battery").await;
}

/// Locking only real accounts would reveal which emails have one.
async fn unknown_accounts_lock_exactly_like_real_ones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ada@example.com", "correct horse battery").await;
    let mut answers = Vec::new();
    for email in ["ada@example.com", "ghost@example.com"] {
        for _ in 0..10 {
            wrong_password(&app, email).await;
            app.clock.advance(SPACED);
        }
        let locked = app.try_sign_in(email, "wrong guess!!").await;
        let retry_after = locked.headers()["retry-after"].to_str().unwrap().to_owned();
        let mut body = assert_problem(locked, StatusCode::TOO_MANY_REQUESTS, "account_locked").await;
        body.as_object_mut().unwrap().remove("request_id");
        answers.push((retry_after, body));
        app.clock.advance(SPACED);
    }
    assert_eq!(answers[0], answers[1]);
}

/// Fifty guesses at once against one account: only the five free ones are
/// checked; the rest wait their turn.
async fn concurrent_guesses_cannot_exceed_the_limit(backend: Backend) {
    // Room in the hashing pool for every guess: with the default ten places,
    // a loaded machine sheds some guesses (503) before they reach the
    // lockout, and this test is about the lockout (shedding has its own).
    let app = TestApp::spawn_on(TestDb::new(backend).await, |settings| settings.password_queue = Some(64)).await;
    app.sign_up("ada@example.com", "correct horse battery").await;
    let guesses = (0..50).map(|_| app.try_sign_in("ada@example.com", "wrong guess!!"));
    let statuses: Vec<StatusCode> = join_all(guesses).await.iter().map(reqwest::Response::status).collect();
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let locked = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((checked, locked), (5, 45), "{statuses:?}");
}

/// Someone who knows Ada's address can lock it, but not the device Ada
/// signed in on before: its token has failures of its own.
async fn a_known_device_is_not_locked_out_by_strangers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ada@example.com", "correct horse battery").await;
    app.sign_up("mallory@example.com", "mallory horse battery").await;
    let first: Value =
        sign_in_with_device(&app, "ada@example.com", "correct horse battery", None).await.json().await.unwrap();
    let device = first["device_token"].as_str().expect("a device token for a new device").to_owned();
    assert!(device.starts_with("lk_dev_"));
    let mallory: Value =
        sign_in_with_device(&app, "mallory@example.com", "mallory horse battery", None).await.json().await.unwrap();
    let mallory_device = mallory["device_token"].as_str().unwrap().to_owned();

    for _ in 0..10 {
        wrong_password(&app, "ada@example.com").await;
        app.clock.advance(SPACED);
    }
    let stranger = sign_in_with_device(&app, "ada@example.com", "correct horse battery", None).await;
    assert_problem(stranger, StatusCode::TOO_MANY_REQUESTS, "account_locked").await;
    // Another account's device token, or a made-up one, is a stranger's.
    for other in [mallory_device.as_str(), "lk_dev_madeup", "not a token"] {
        let borrowed = sign_in_with_device(&app, "ada@example.com", "correct horse battery", Some(other)).await;
        assert_problem(borrowed, StatusCode::TOO_MANY_REQUESTS, "account_locked").await;
    }
    let owner = sign_in_with_device(&app, "ada@example.com", "correct horse battery", Some(&device)).await;
    assert_eq!(owner.status(), StatusCode::CREATED);
    let owner: Value = owner.json().await.unwrap();
    assert_eq!(owner["state"], "authenticated");
    assert!(owner.get("device_token").is_none(), "the device keeps the token it has: {owner}");

    // The device's own failures still lock it.
    for _ in 0..10 {
        let wrong = sign_in_with_device(&app, "ada@example.com", "wrong guess!!", Some(&device)).await;
        assert_problem(wrong, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
        app.clock.advance(SPACED);
    }
    let locked = sign_in_with_device(&app, "ada@example.com", "correct horse battery", Some(&device)).await;
    assert_problem(locked, StatusCode::TOO_MANY_REQUESTS, "account_locked").await;
}

/// One client trying address after address is slowed past ten failures,
/// whichever addresses they are, and told so as `rate_limited`; people
/// sharing the address who sign in rightly are not counted.
async fn one_client_guessing_many_addresses_is_slowed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ada@example.com", "correct horse battery").await;
    for _ in 0..12 {
        app.sign_in("ada@example.com", "correct horse battery").await;
    }
    for n in 0..10 {
        wrong_password(&app, &format!("guess{n}@example.com")).await;
    }
    let slowed = app.try_sign_in("guess10@example.com", "wrong guess!!").await;
    assert_eq!(retry_after(&slowed), 1);
    assert_problem(slowed, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    app.clock.advance(Duration::seconds(1));
    wrong_password(&app, "guess10@example.com").await;
}

/// A stolen session guessing the password at step-up is stopped, and the
/// owner can still sign in.
async fn step_up_guesses_stop_the_session_not_the_owner(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (email, password, token) = app.signed_in_user().await;
    let step_up = |current: &'static str| {
        let token = token.clone();
        let app = &app;
        async move {
            app.post(
                "/v1/me/password",
                &json!({"current_password": current, "new_password": "another horse battery"}),
                Some(&token),
            )
            .await
        }
    };
    for _ in 0..10 {
        assert_problem(step_up("wrong guess!!").await, StatusCode::FORBIDDEN, "step_up_failed").await;
        app.clock.advance(SPACED);
    }
    let stopped = step_up("wrong guess!!").await;
    assert_problem(stopped, StatusCode::TOO_MANY_REQUESTS, "account_locked").await;
    app.sign_in(&email, &password).await;
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
