//! What an attacker or a buggy client sends: each gets a clear problem+json
//! answer with a stable code, never a 500.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp, assert_problem};
use crate::on_both_backends;

on_both_backends!(bad_bodies_get_problem_json);

async fn bad_bodies_get_problem_json(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let send = |body: Vec<u8>, content_type: &'static str| {
        app.client.post(app.url("/v1/sessions")).header("content-type", content_type).body(body).send()
    };

    let malformed = send(b"{\"email\": ".to_vec(), "application/json").await.unwrap();
    assert_problem(malformed, StatusCode::BAD_REQUEST, "validation_failed").await;

    let not_an_object = send(b"[1,2,3]".to_vec(), "application/json").await.unwrap();
    assert_problem(not_an_object, StatusCode::BAD_REQUEST, "validation_failed").await;

    let unknown_field =
        app.post("/v1/sessions", &json!({"email": "a@example.com", "password": "x", "admin": true}), None).await;
    let body = assert_problem(unknown_field, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert!(body["detail"].as_str().unwrap().contains("admin"), "{body}");

    // Its own client: the server answers 413 without reading the body and
    // closes that connection, which a pooled client might otherwise reuse.
    let huge = reqwest::Client::new()
        .post(app.url("/v1/sessions"))
        .header("content-type", "application/json")
        .body(vec![b' '; 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_problem(huge, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    let form = send(b"email=a@example.com".to_vec(), "application/x-www-form-urlencoded").await.unwrap();
    assert_problem(form, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;

    let long_password = "p".repeat(1025);
    let sign_in = app.post("/v1/sessions", &json!({"email": "a@example.com", "password": long_password}), None).await;
    assert_problem(sign_in, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let sign_up = app.post("/v1/users", &json!({"email": "a@example.com", "password": long_password}), None).await;
    let body = assert_problem(sign_up, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "password");

    let wrong_type = app.post("/v1/users", &json!({"email": 42, "password": "correct horse battery"}), None).await;
    assert_problem(wrong_type, StatusCode::BAD_REQUEST, "validation_failed").await;

    assert_problem(app.get("/v1/no-such-thing", None).await, StatusCode::NOT_FOUND, "not_found").await;
    let wrong_method = app.client.put(app.url("/v1/sessions")).send().await.unwrap();
    assert_problem(wrong_method, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;

    // The server is still fine and nothing half-written: the address is free.
    app.sign_up("a@example.com", "correct horse battery").await;
}

#[tokio::test]
async fn request_ids_are_echoed_when_plain_and_replaced_otherwise() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let echoed = app.client.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "abc-123");
    let replaced =
        app.client.get(app.url("/healthz")).header("x-request-id", "bad id\twith spaces").send().await.unwrap();
    assert_ne!(replaced.headers()["x-request-id"], "bad id\twith spaces");
    assert_eq!(replaced.headers()["x-request-id"].len(), 36);
}

#[tokio::test]
async fn openapi_describes_every_route_and_metrics_count_requests() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let spec: serde_json::Value = app.get("/openapi.json", None).await.json().await.unwrap();
    for path in [
        "/v1/users",
        "/v1/sessions",
        "/v1/me",
        "/v1/sessions/current",
        "/v1/me/sessions",
        "/v1/me/sessions/{id}",
        "/v1/me/password",
        "/v1/admin/api-keys",
        "/v1/sessions/totp",
        "/v1/sessions/recovery-code",
        "/v1/sessions/webauthn/options",
        "/v1/sessions/webauthn",
        "/v1/passkey-sign-in/options",
        "/v1/passkey-sign-in",
        "/v1/me/reauthenticate",
        "/v1/me/totp",
        "/v1/me/totp/confirm",
        "/v1/me/recovery-codes",
        "/v1/me/passkeys/options",
        "/v1/me/passkeys",
        "/v1/me/passkeys/{id}",
        "/healthz",
        "/readyz",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }
    app.get("/healthz", None).await;
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        metrics.contains(r#"latchkey_http_requests_total{method="GET",route="/healthz",status="200"} 1"#),
        "{metrics}"
    );
}
