//! What an attacker or a buggy client sends: each gets a clear problem+json
//! answer with a stable code, never a 500.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp, TestDb, assert_problem};
use crate::on_both_backends;

on_both_backends!(bad_bodies_get_problem_json, control_characters_stop_at_the_edge);

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
    // Pages are counted by their route too, and a path nothing serves as one bucket.
    app.get("/sign-in", None).await;
    app.get("/no-such-page/12345", None).await;
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    for counted in [
        r#"latchkey_http_requests_total{method="GET",route="/healthz",status="200"} 1"#,
        r#"latchkey_http_requests_total{method="GET",route="/sign-in",status="200"} 1"#,
        r#"latchkey_http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
    ] {
        assert!(metrics.contains(counted), "{counted} not in {metrics}");
    }
    assert!(!metrics.contains("12345"), "raw paths never become labels");
}

/// A NUL byte (which PostgreSQL refuses in text) or any other control
/// character in a path, a query or a body is a `validation_failed`, on
/// both databases, anonymous routes included; nothing reaches the store.
async fn control_characters_stop_at_the_edge(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let refused = |response| assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    refused(app.get("/v1/eulas/%00/current", None).await).await;
    refused(app.get("/v1/eulas/studio/current?locale=en%00", None).await).await;
    refused(app.get("/v1/eulas/studio%1B/current", None).await).await;
    let (_, _, token) = app.signed_in_user().await;
    refused(app.delete("/v1/me/sessions/%00", Some(&token)).await).await;
    let body = app.post("/v1/users", &json!({"email": "nul\u{0}@example.com", "password": "x"}), None).await;
    let body = refused(body).await;
    assert_eq!(body["errors"][0]["field"], "body");
    refused(app.post("/v1/sessions", &json!({"email": "a@example.com", "password": "x\u{1b}"}), None).await).await;
    let form = app
        .client
        .post(app.url("/v1/tokens/revoke"))
        .bearer_auth(&token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("token=abc%00")
        .send()
        .await
        .unwrap();
    refused(form).await;
    // Text that is meant to have lines keeps them.
    let eula = json!({"product": "studio", "version": "1", "title": "Terms", "body": "One.\n\tTwo.\r\n"});
    let published = app.post("/v1/admin/eulas", &eula, Some(app.admin_key())).await;
    assert_eq!(published.status(), StatusCode::CREATED);
}

/// Every answer says `nosniff`; answers that may carry a secret are never
/// cached; the JWKS keeps its own caching; HSTS comes with an https origin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_on_every_answer() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.sign_up("ada@example.com", "correct horse battery").await;
    let signed_in = app.try_sign_in("ada@example.com", "correct horse battery").await;
    assert_eq!(signed_in.headers()["cache-control"], "no-store");
    assert_eq!(signed_in.headers()["x-content-type-options"], "nosniff");
    assert!(signed_in.headers().get("strict-transport-security").is_none(), "not over plain http");
    let problem = app.get("/v1/me", None).await;
    assert_eq!(problem.headers()["cache-control"], "no-store");
    let jwks = app.get("/.well-known/jwks.json", None).await;
    assert_eq!(jwks.headers()["cache-control"], "public, max-age=60");
    assert_eq!(jwks.headers()["x-content-type-options"], "nosniff");

    let https = TestApp::spawn_on(TestDb::new(Backend::Sqlite).await, |s| {
        s.public_url = "https://login.example.com".parse().unwrap();
    })
    .await;
    let answer = https.get("/healthz", None).await;
    assert_eq!(answer.headers()["strict-transport-security"], "max-age=63072000");
}

/// The SQLite database is readable by its owner only, and commits reach
/// the disk before they are acknowledged unless the operator says otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_files_are_private_and_durable() {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn_on(db.clone(), |_| {}).await;
    app.sign_up("ada@example.com", "correct horse battery").await;
    let dir = db.dir.as_ref().unwrap().path();
    for name in ["latchkey.db", "latchkey.db-wal"] {
        let mode = std::fs::metadata(dir.join(name)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}");
    }
    let mut connection = <sqlx::SqliteConnection as sqlx::Connection>::connect(&db.url).await.unwrap();
    // A fresh connection shows the default; the pool's connections are set by the store.
    let store = db.store().await;
    drop(store);
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut connection).await.unwrap();
    assert!(synchronous >= 1);
    let settings = crate::helpers::test_settings(&db);
    assert_eq!(settings.sqlite_synchronous, latchkey::config::SqliteSynchronous::Full);
}

/// A form body (token revocation takes one, as RFC 7009 says) over the
/// limit is `payload_too_large`, as a JSON body is, not a malformed body.
#[tokio::test]
async fn form_bodies_over_the_limit_are_too_large() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_, _, token) = app.signed_in_user().await;
    let mut body = b"token=".to_vec();
    body.resize(100 * 1024, b'a');
    let huge = reqwest::Client::new()
        .post(app.url("/v1/tokens/revoke"))
        .bearer_auth(&token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_problem(huge, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

/// A sign-in flood beyond what the hashing pool can take is shed with 503
/// and `Retry-After` (each request waiting at most a second for a place),
/// counted as `shed`; every sign-in the pool took succeeded.
#[tokio::test]
async fn a_sign_in_flood_is_shed_and_counted() {
    let app = TestApp::spawn_on(TestDb::new(Backend::Sqlite).await, |settings| {
        settings.password_workers = Some(1);
        settings.password_queue = Some(0);
        settings.ip_rate_per_minute = 1_000_000;
    })
    .await;
    app.sign_up("flood@example.com", "correct horse battery").await;
    let credentials = json!({"email": "flood@example.com", "password": "correct horse battery"});
    let answers = futures::future::join_all((0..150).map(|_| app.post("/v1/sessions", &credentials, None))).await;
    let (mut signed_in, mut shed) = (0, 0);
    for response in answers {
        match response.status() {
            StatusCode::CREATED => signed_in += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(response.headers()["retry-after"], "1");
                assert_problem(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
                shed += 1;
            }
            other => panic!("a flooded sign-in answered {other}"),
        }
    }
    assert!(signed_in > 0 && shed > 0, "{signed_in} signed in, {shed} shed");
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(metrics.contains(&format!("latchkey_sign_ins_total{{outcome=\"shed\"}} {shed}\n")), "{metrics}");
    assert!(metrics.contains(&format!("latchkey_password_work_shed_total {shed}\n")), "{metrics}");
    assert!(metrics.contains(&format!("latchkey_sign_ins_total{{outcome=\"success\"}} {signed_in}\n")), "{metrics}");
}
