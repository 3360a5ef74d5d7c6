//! The served OpenAPI document is checked by implementations other than the
//! one that wrote it: openapi-spec-validator says it is a valid document,
//! and schemathesis calls every operation with generated requests, as each
//! kind of caller, and checks that the answers are what it promises.

use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, TestApp};

const PROBLEM: &str = "#/components/schemas/Problem";

/// Every (path, method, operation) of the document.
fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            all.push((path.clone(), method.clone(), operation.clone()));
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_is_valid_openapi() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = app.get("/openapi.json", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &text).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/verify/openapi_check.py");
    let output = std::process::Command::new("python3")
        .arg(script)
        .arg(&file)
        .output()
        .expect("python3 (tests/run installs openapi-spec-validator)");
    assert!(
        output.status.success(),
        "openapi-spec-validator refuses the document (run the tests with tests/run):\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    let spec: Value = serde_json::from_str(&text).unwrap();
    for (path, method, operation) in operations(&spec) {
        let responses = operation["responses"].as_object().unwrap();
        for (status, response) in responses {
            assert!(response["description"].as_str().is_some_and(|d| !d.is_empty()), "{method} {path} {status}");
            let content = response["content"].as_object().cloned().unwrap_or_default();
            for (media_type, media) in &content {
                if media["schema"]["$ref"] == PROBLEM {
                    assert_eq!(media_type, "application/problem+json", "{method} {path} {status}");
                }
            }
            // OAuth clients parse RFC 6749 errors, which the OAuth endpoints answer with.
            let oauth_error = path.starts_with("/oauth/") && matches!(status.as_str(), "400" | "401" | "429");
            if oauth_error {
                let schema = &content["application/json"]["schema"]["$ref"];
                assert_eq!(schema, "#/components/schemas/OAuthErrorBody", "{method} {path} {status}");
            } else if status.starts_with('4') || status.starts_with('5') {
                assert!(content.contains_key("application/problem+json"), "{method} {path} {status} is not a problem");
            }
        }
        for status in ["422", "503"] {
            assert!(responses.contains_key(status), "{method} {path} does not document {status}");
        }
        let secured = operation["security"]
            .as_array()
            .is_some_and(|requirements| requirements.iter().any(|r| r.as_object().is_some_and(|r| !r.is_empty())));
        if secured {
            assert!(responses.contains_key("401"), "{method} {path} takes a credential but does not document 401");
        }
        if path.starts_with("/v1/admin/") {
            assert!(responses.contains_key("403"), "{method} {path} needs an admin key but does not document 403");
        }
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            if parameter["in"] == "path" {
                let name = parameter["name"].as_str().unwrap();
                assert!(path.contains(&format!("{{{name}}}")), "{method} {path}: {name} is not in the path");
            }
        }
    }
    let limited = &spec["paths"]["/v1/sessions"]["post"]["responses"]["429"];
    assert!(limited["headers"]["Retry-After"].is_object(), "{limited}");
}

/// One schemathesis run over every operation, with `authorization` on each
/// request (or none); returns whether it passed and what it printed.
async fn schemathesis(app: &TestApp, dir: &Path, authorization: Option<&str>, skip: &[&str]) -> (bool, String) {
    let mut command = tokio::process::Command::new("schemathesis");
    command
        .current_dir(dir)
        .arg("run")
        .arg(app.url("/openapi.json"))
        .arg("--checks")
        .arg(
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_schema_conformance,response_headers_conformance",
        )
        .args(["--phases", "coverage,fuzzing", "--max-examples", "5", "--workers", "1", "--seed", "17"])
        .args(["--no-shrink", "--request-timeout", "10"])
        .env("NO_COLOR", "1")
        .kill_on_drop(true);
    if let Some(authorization) = authorization {
        command.args(["--header", &format!("Authorization: Bearer {authorization}")]);
    }
    for operation_id in skip {
        command.args(["--exclude-operation-id", operation_id]);
    }
    let output = tokio::time::timeout(Duration::from_secs(240), command.output())
        .await
        .expect("schemathesis finishes within four minutes")
        .expect("schemathesis (tests/run installs it)");
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), printed)
}

/// Generated requests to every operation, anonymous and as a user, a
/// support key and an admin key: no answer is a 5xx, and every answer has a
/// documented status, media type, headers and body shape. Each caller's run
/// skips only what would take its own credential away mid-run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_requests_get_documented_answers_and_no_server_errors() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_, _, session) = app.signed_in_user().await;
    let support = app.support_key().await;
    let admin = app.admin_key().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let callers: [(&str, Option<&str>, &[&str]); 4] = [
        ("anonymous", None, &[]),
        ("user", Some(&session), &["sign_out", "revoke_session"]),
        ("support", Some(&support), &[]),
        // Last, and without revoking keys: the admin key can list its own id.
        ("admin", Some(&admin), &["revoke_api_key"]),
    ];
    let mut failed = Vec::new();
    for (caller, authorization, skip) in callers {
        let (passed, printed) = schemathesis(&app, dir.path(), authorization, skip).await;
        // A run that generated nothing would pass too.
        if !passed || !printed.contains("passed") {
            failed.push(format!("===== as {caller} =====\n{printed}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
