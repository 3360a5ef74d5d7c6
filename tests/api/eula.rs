//! EULA evidence end to end, on both backends: publish, accept, gate,
//! re-accept after a material change, and a ledger that shows tampering.

use std::sync::Arc;

use base64::Engine;
use futures::future::join_all;
use latchkey::clock::ManualClock;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::Connection;

use crate::helpers::{Backend, TestApp, TestDb, assert_problem};
use crate::on_both_backends;

on_both_backends!(
    publish_accept_and_gate,
    versions_never_change_and_decisions_are_checked,
    the_chain_shows_edited_and_removed_records,
    concurrent_acceptances_keep_one_chain,
    exports_filter_and_open_safely_in_a_spreadsheet,
);

const POLICY: &str = "name = \"studio-eula\"\nproduct = \"studio\"\nmax_activations = 5\nbinding = \"node_locked\"\n\
                      activation_code_uses = 5\n[eula]\nrequired = true\n";

async fn spawn(backend: Backend) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("studio.toml"), POLICY).unwrap();
    let path = dir.path().to_owned();
    let clock = Arc::new(ManualClock::starting_now());
    let app = TestApp::spawn_with_clock(TestDb::new(backend).await, clock, move |s| s.policies = path).await;
    (app, dir)
}

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

async fn publish(app: &TestApp, version: &str, body: &str, material: bool) -> reqwest::Response {
    let request =
        json!({"product": "studio", "version": version, "title": "Studio licence", "body": body, "material": material});
    app.post("/v1/admin/eulas", &request, Some(app.admin_key())).await
}

async fn decide(app: &TestApp, token: &str, version: &str, body: &str, decision: &str) -> reqwest::Response {
    let request = json!({"product": "studio", "version": version, "sha256": sha256(body), "decision": decision});
    app.post("/v1/me/eula-acceptances", &request, Some(token)).await
}

async fn json_of(response: reqwest::Response, status: StatusCode) -> Value {
    let actual = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(actual, status, "{body}");
    body
}

async fn issue_code(app: &TestApp) -> (String, String, String) {
    let response = app.post("/v1/admin/licenses", &json!({"policy": "studio-eula"}), Some(app.admin_key())).await;
    let body = json_of(response, StatusCode::CREATED).await;
    let license = &body["licenses"][0];
    let field = |name: &str| license[name].as_str().unwrap().to_owned();
    (field("id"), field("key"), field("activation_code"))
}

async fn activate(app: &TestApp, token: &str, license_id: &str, fingerprint: &str) -> reqwest::Response {
    app.post("/v1/activations", &json!({"license_id": license_id, "fingerprint": fingerprint}), Some(token)).await
}

async fn validation(app: &TestApp, key: &str, fingerprint: &str) -> Value {
    let body = json!({"key": key, "fingerprint": fingerprint});
    json_of(app.post("/v1/licenses/validate", &body, None).await, StatusCode::OK).await
}

async fn publish_accept_and_gate(backend: Backend) {
    let (app, _policies) = spawn(backend).await;
    let (license_id, key, code) = issue_code(&app).await;
    let (_, _, token) = app.signed_in_user().await;
    let v1 = "# Studio licence\n\nVersion one.\n";
    let published = json_of(publish(&app, "1", v1, true).await, StatusCode::CREATED).await;
    assert_eq!(published["sha256"], sha256(v1));
    let current = json_of(app.get("/v1/eulas/studio/current", None).await, StatusCode::OK).await;
    assert_eq!((current["version"].as_str(), current["body"].as_str()), (Some("1"), Some(v1)));

    // Nothing licensed opens before the EULA is accepted.
    let redeem_body = json!({"activation_code": code});
    let redeem = || app.post("/v1/me/licenses/redeem", &redeem_body, Some(&token));
    let blocked = assert_problem(redeem().await, StatusCode::FORBIDDEN, "eula_acceptance_required").await;
    assert_eq!((blocked["product"].as_str(), blocked["eula_version"].as_str()), (Some("studio"), Some("1")));

    let record = json_of(decide(&app, &token, "1", v1, "accepted").await, StatusCode::CREATED).await;
    assert_eq!(record["seq"], 1);
    assert_eq!(record["prev_hash"], "0".repeat(64));
    assert_eq!((record["channel"].as_str(), record["ip"].as_str()), (Some("api"), Some("127.0.0.1")));
    assert_eq!(record["amr"], json!(["pwd"]));
    assert_eq!(record["sha256"], sha256(v1));
    assert_eq!(redeem().await.status(), StatusCode::CREATED);
    let activated = json_of(activate(&app, &token, &license_id, "laptop").await, StatusCode::CREATED).await;
    let certificate = activated["certificate"].as_str().unwrap();
    let payload = certificate.split('.').nth(1).unwrap();
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["eula"], "1", "the certificate names the accepted version");
    assert_eq!(validation(&app, &key, "laptop").await["code"], "VALID");

    // A non-material version is offered but does not block.
    let v1_1 = "# Studio licence\n\nVersion one, typo fixed.\n";
    json_of(publish(&app, "1.1", v1_1, false).await, StatusCode::CREATED).await;
    assert_eq!(json_of(app.get("/v1/eulas/studio/current", None).await, StatusCode::OK).await["version"], "1.1");
    assert_eq!(validation(&app, &key, "laptop").await["code"], "VALID");
    assert_eq!(activate(&app, &token, &license_id, "desktop").await.status(), StatusCode::CREATED);

    // A material version closes everything until it is accepted.
    app.clock.advance(time::Duration::seconds(1));
    let v2 = "# Studio licence\n\nVersion two: new terms.\n";
    json_of(publish(&app, "2", v2, true).await, StatusCode::CREATED).await;
    let answer = validation(&app, &key, "laptop").await;
    assert_eq!((answer["code"].as_str(), answer["valid"].as_bool()), (Some("EULA_ACCEPTANCE_REQUIRED"), Some(false)));
    let blocked = assert_problem(
        activate(&app, &token, &license_id, "tablet").await,
        StatusCode::FORBIDDEN,
        "eula_acceptance_required",
    )
    .await;
    assert_eq!(blocked["eula_version"], "2");
    // Accepting an older version does not help.
    json_of(decide(&app, &token, "1.1", v1_1, "accepted").await, StatusCode::CREATED).await;
    assert_eq!(validation(&app, &key, "laptop").await["code"], "EULA_ACCEPTANCE_REQUIRED");
    json_of(decide(&app, &token, "2", v2, "accepted").await, StatusCode::CREATED).await;
    assert_eq!(validation(&app, &key, "laptop").await["code"], "VALID");
    assert_eq!(activate(&app, &token, &license_id, "tablet").await.status(), StatusCode::CREATED);

    // Declining or withdrawing is recorded and closes features again.
    json_of(decide(&app, &token, "2", v2, "withdrawn").await, StatusCode::CREATED).await;
    assert_eq!(validation(&app, &key, "laptop").await["code"], "EULA_ACCEPTANCE_REQUIRED");
    assert_problem(decide(&app, &token, "2", v2, "withdrawn").await, StatusCode::CONFLICT, "conflict").await;
    json_of(decide(&app, &token, "2", v2, "accepted").await, StatusCode::CREATED).await;
    json_of(decide(&app, &token, "2", v2, "declined").await, StatusCode::CREATED).await;
    assert_problem(
        activate(&app, &token, &license_id, "phone").await,
        StatusCode::FORBIDDEN,
        "eula_acceptance_required",
    )
    .await;

    let history = json_of(app.get("/v1/me/eula-acceptances", Some(&token)).await, StatusCode::OK).await;
    let decisions: Vec<&str> =
        history["acceptances"].as_array().unwrap().iter().map(|r| r["decision"].as_str().unwrap()).collect();
    assert_eq!(decisions, ["accepted", "accepted", "accepted", "withdrawn", "accepted", "declined"]);
    let report =
        json_of(app.get("/v1/admin/eula-acceptances/verify", Some(app.admin_key())).await, StatusCode::OK).await;
    assert_eq!((report["ok"].as_bool(), report["records"].as_u64()), (Some(true), Some(6)));
}

async fn versions_never_change_and_decisions_are_checked(backend: Backend) {
    let (app, _policies) = spawn(backend).await;
    let (_, _, token) = app.signed_in_user().await;
    let text = "The terms.";
    json_of(publish(&app, "1", text, true).await, StatusCode::CREATED).await;
    assert_problem(publish(&app, "1", "Other terms.", true).await, StatusCode::CONFLICT, "conflict").await;
    assert_problem(publish(&app, "1", text, true).await, StatusCode::CONFLICT, "conflict").await;
    assert_eq!(json_of(app.get("/v1/eulas/studio/current", None).await, StatusCode::OK).await["body"], text);
    // No way to edit or delete one exists.
    let put =
        app.client.put(app.url("/v1/admin/eulas")).bearer_auth(app.admin_key()).json(&json!({})).send().await.unwrap();
    assert_problem(put, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    let delete = app.delete("/v1/admin/eulas", Some(app.admin_key())).await;
    assert_problem(delete, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    // Only admins publish.
    let as_user = app
        .post("/v1/admin/eulas", &json!({"product": "x", "version": "1", "title": "t", "body": "b"}), Some(&token))
        .await;
    assert_eq!(as_user.status(), StatusCode::UNAUTHORIZED);

    // A client cannot claim acceptance of a text it did not show.
    let forged = json!({"product": "studio", "version": "1", "sha256": sha256("Nicer terms."), "decision": "accepted"});
    let body = assert_problem(
        app.post("/v1/me/eula-acceptances", &forged, Some(&token)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "sha256");
    let unknown = json!({"product": "studio", "version": "9", "sha256": sha256(text), "decision": "accepted"});
    assert_problem(
        app.post("/v1/me/eula-acceptances", &unknown, Some(&token)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_problem(
        decide(&app, &token, "1", text, "maybe").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_problem(app.get("/v1/eulas/nothing/current", None).await, StatusCode::NOT_FOUND, "not_found").await;
    let anonymous = app.post("/v1/me/eula-acceptances", &forged, None).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    // Nothing was recorded by any refused attempt.
    let report =
        json_of(app.get("/v1/admin/eula-acceptances/verify", Some(app.admin_key())).await, StatusCode::OK).await;
    assert_eq!(report["records"], 0);
}

/// A connection to the test database that bypasses the server, as someone
/// with direct database access would.
async fn tamper(db: &TestDb, backend: Backend, statement: &str) -> Result<(), sqlx::Error> {
    let statement = sqlx::AssertSqlSafe(statement.to_owned());
    match backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await?;
            sqlx::query(statement).execute(&mut conn).await.map(|_| ())
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await?;
            sqlx::query(statement).execute(&mut conn).await.map(|_| ())
        }
    }
}

/// Statements that switch the append-only guard off, as a database owner could.
fn guard_off(backend: Backend) -> &'static [&'static str] {
    match backend {
        Backend::Sqlite => &["DROP TRIGGER eula_acceptances_no_update", "DROP TRIGGER eula_acceptances_no_delete"],
        Backend::Postgres => &["ALTER TABLE eula_acceptances DISABLE TRIGGER USER"],
    }
}

async fn accept_as_new_users(app: &TestApp, count: usize, text: &str) {
    for _ in 0..count {
        let (_, _, token) = app.signed_in_user().await;
        json_of(decide(app, &token, "1", text, "accepted").await, StatusCode::CREATED).await;
    }
}

async fn verify(app: &TestApp) -> Value {
    json_of(app.get("/v1/admin/eula-acceptances/verify", Some(app.admin_key())).await, StatusCode::OK).await
}

async fn the_chain_shows_edited_and_removed_records(backend: Backend) {
    let (app, _policies) = spawn(backend).await;
    let text = "Terms.";
    json_of(publish(&app, "1", text, true).await, StatusCode::CREATED).await;
    accept_as_new_users(&app, 4, text).await;
    assert_eq!(verify(&app).await["ok"], true);

    // The database itself refuses edits and deletions.
    let edit = "UPDATE eula_acceptances SET decision = 'declined' WHERE seq = 2";
    let refused = tamper(&app.db, backend, edit).await.unwrap_err();
    assert!(refused.to_string().contains("append-only"), "{refused}");
    assert!(tamper(&app.db, backend, "DELETE FROM eula_acceptances WHERE seq = 3").await.is_err());
    assert_eq!(verify(&app).await["ok"], true);

    // Someone who switches the guard off and edits a record is still caught.
    for statement in guard_off(backend) {
        tamper(&app.db, backend, statement).await.unwrap();
    }
    tamper(&app.db, backend, edit).await.unwrap();
    let report = verify(&app).await;
    assert_eq!((report["ok"].as_bool(), report["records"].as_u64()), (Some(false), Some(1)));
    assert_eq!(report["first_broken"]["seq"], 2, "{report}");
    assert!(report["first_broken"]["reason"].as_str().unwrap().contains("edited"), "{report}");

    // Put it back, then remove a record: the one after it no longer links.
    tamper(&app.db, backend, "UPDATE eula_acceptances SET decision = 'accepted' WHERE seq = 2").await.unwrap();
    assert_eq!(verify(&app).await["ok"], true);
    tamper(&app.db, backend, "DELETE FROM eula_acceptances WHERE seq = 3").await.unwrap();
    let report = verify(&app).await;
    assert_eq!(report["first_broken"]["seq"], 4, "{report}");
    assert!(report["first_broken"]["reason"].as_str().unwrap().contains("removed"), "{report}");
}

async fn concurrent_acceptances_keep_one_chain(backend: Backend) {
    let (app, _policies) = spawn(backend).await;
    let text = "Terms.";
    json_of(publish(&app, "1", text, true).await, StatusCode::CREATED).await;
    let mut tokens = Vec::new();
    for _ in 0..12 {
        tokens.push(app.signed_in_user().await.2);
    }
    let answers = join_all(tokens.iter().map(|token| decide(&app, token, "1", text, "accepted"))).await;
    assert!(answers.iter().all(|r| r.status() == StatusCode::CREATED));
    let report = verify(&app).await;
    assert_eq!((report["ok"].as_bool(), report["records"].as_u64()), (Some(true), Some(12)), "{report}");
    let export = json_of(app.get("/v1/admin/eula-acceptances", Some(app.admin_key())).await, StatusCode::OK).await;
    let seqs: Vec<i64> = export["acceptances"].as_array().unwrap().iter().map(|r| r["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=12).collect::<Vec<_>>(), "no fork, no gap");
}

async fn exports_filter_and_open_safely_in_a_spreadsheet(backend: Backend) {
    let (app, _policies) = spawn(backend).await;
    let text = "Terms.";
    json_of(publish(&app, "1", text, true).await, StatusCode::CREATED).await;
    let (_, _, token) = app.signed_in_user().await;
    let formula = "=HYPERLINK(\"http://evil.example\",\"open\")";
    let request = json!({"product": "studio", "version": "1", "sha256": sha256(text), "decision": "accepted"});
    let response = app
        .client
        .post(app.url("/v1/me/eula-acceptances"))
        .bearer_auth(&token)
        .header("user-agent", formula)
        .json(&request)
        .send()
        .await
        .unwrap();
    let record = json_of(response, StatusCode::CREATED).await;
    assert_eq!(record["user_agent"], formula, "the evidence keeps what was sent");
    app.clock.advance(time::Duration::hours(1));
    let later = app.clock_now();
    accept_as_new_users(&app, 2, text).await;

    let admin = Some(app.admin_key());
    let all = json_of(app.get("/v1/admin/eula-acceptances", admin).await, StatusCode::OK).await;
    assert_eq!(all["acceptances"].as_array().unwrap().len(), 3);
    let user_id = record["user_id"].as_str().unwrap();
    let mine =
        json_of(app.get(&format!("/v1/admin/eula-acceptances?user_id={user_id}"), admin).await, StatusCode::OK).await;
    assert_eq!(mine["acceptances"].as_array().unwrap().len(), 1);
    let from = later.format(&time::format_description::well_known::Rfc3339).unwrap();
    let recent = app.get(&format!("/v1/admin/eula-acceptances?from={}", from.replace('+', "%2B")), admin).await;
    assert_eq!(json_of(recent, StatusCode::OK).await["acceptances"].as_array().unwrap().len(), 2);
    let other =
        json_of(app.get("/v1/admin/eula-acceptances?product=other&version=1", admin).await, StatusCode::OK).await;
    assert_eq!(other["acceptances"], json!([]));
    assert_problem(
        app.get("/v1/admin/eula-acceptances?format=xml", admin).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get("/v1/admin/eula-acceptances?from=yesterday", admin).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;

    let csv = app.get("/v1/admin/eula-acceptances?format=csv", admin).await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = headers.iter().position(|h| h == "user_agent").unwrap();
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!(&first[column], format!("'{formula}"), "a formula opens as text");
    assert_eq!(reader.records().count(), 2);
}
