use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_problem};
use crate::on_both_backends;

on_both_backends!(admin_endpoints_require_an_admin_key);

async fn admin_endpoints_require_an_admin_key(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_key().to_owned();
    assert!(admin.starts_with("lk_adm_"));

    let missing = app.get("/v1/admin/api-keys", None).await;
    assert_eq!(missing.headers()["www-authenticate"], r#"Bearer realm="latchkey""#);
    assert_problem(missing, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_problem(
        app.get("/v1/admin/api-keys", Some("lk_adm_guessed")).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let (_, _, session) = app.signed_in_user().await;
    assert_problem(app.get("/v1/admin/api-keys", Some(&session)).await, StatusCode::UNAUTHORIZED, "unauthorized").await;

    let created = app.post("/v1/admin/api-keys", &json!({"name": "helpdesk", "role": "support"}), Some(&admin)).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    let support = created["key"].as_str().unwrap().to_owned();
    assert!(support.starts_with("lk_sup_"));
    assert_problem(app.get("/v1/admin/api-keys", Some(&support)).await, StatusCode::FORBIDDEN, "forbidden").await;

    let list: Value = app.get("/v1/admin/api-keys", Some(&admin)).await.json().await.unwrap();
    let keys = list["api_keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(!list.to_string().contains(&support), "listing never shows a key");

    let bad_role = app.post("/v1/admin/api-keys", &json!({"name": "x", "role": "root"}), Some(&admin)).await;
    assert_problem(bad_role, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    let id = created["api_key"]["id"].as_str().unwrap();
    assert_eq!(app.delete(&format!("/v1/admin/api-keys/{id}"), Some(&admin)).await.status(), StatusCode::NO_CONTENT);
    assert_problem(app.get("/v1/admin/api-keys", Some(&support)).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_problem(
        app.delete(&format!("/v1/admin/api-keys/{id}"), Some(&admin)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}
