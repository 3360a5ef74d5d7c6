//! Certificates, signed answers and the JWKS, checked by an independent JOSE
//! implementation (PyJWT, driven from here) rather than by our own code.

use std::sync::Arc;

use latchkey::clock::ManualClock;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::Duration;

use crate::helpers::{Backend, TestApp, TestDb, pyjwt};
use crate::on_both_backends;

on_both_backends!(certificates_and_signed_answers_verify_with_pyjwt, rotation_keeps_old_certificates_verifiable);

const POLICY: &str = "name = \"desk\"\nproduct = \"studio\"\nduration = \"365d\"\nmax_activations = 2\nbinding = \"node_locked\"\noffline_lease = \"14d\"\nentitlements = [\"export\"]\n";

async fn spawn_on(db: Arc<TestDb>, clock: Arc<ManualClock>) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("desk.toml"), POLICY).unwrap();
    let path = dir.path().to_owned();
    (TestApp::spawn_with_clock(db, clock, move |s| s.policies = path).await, dir)
}

/// A user holding a fresh license: (token, license id, license key).
async fn licensed_user(app: &TestApp, admin_key: &str) -> (String, String, String) {
    let issued: Value =
        app.post("/v1/admin/licenses", &json!({"policy": "desk"}), Some(admin_key)).await.json().await.unwrap();
    let license = &issued["licenses"][0];
    let (_, _, token) = app.signed_in_user().await;
    let code = license["activation_code"].as_str().unwrap();
    assert_eq!(
        app.post("/v1/me/licenses/redeem", &json!({"activation_code": code}), Some(&token)).await.status(),
        StatusCode::CREATED
    );
    (token, license["id"].as_str().unwrap().to_owned(), license["key"].as_str().unwrap().to_owned())
}

async fn certificate_for(app: &TestApp, token: &str, license_id: &str, fingerprint: &str) -> String {
    let activated: Value = app
        .post("/v1/activations", &json!({"license_id": license_id, "fingerprint": fingerprint}), Some(token))
        .await
        .json()
        .await
        .unwrap();
    activated["certificate"].as_str().unwrap().to_owned()
}

async fn certificates_and_signed_answers_verify_with_pyjwt(backend: Backend) {
    let (app, _policies) = spawn_on(TestDb::new(backend).await, Arc::new(ManualClock::starting_now())).await;
    let admin = app.admin_key().to_owned();
    let (token, license_id, key) = licensed_user(&app, &admin).await;
    let certificate = certificate_for(&app, &token, &license_id, "machine-a").await;

    let validation =
        app.post("/v1/licenses/validate", &json!({"key": key, "fingerprint": "machine-a", "nonce": "abc"}), None).await;
    let signature = validation.headers()["x-latchkey-signature"].to_str().unwrap().to_owned();
    let validation_body = validation.text().await.unwrap();
    let revocations = app.get("/v1/licenses/revocations", None).await;
    let revocations_signature = revocations.headers()["x-latchkey-signature"].to_str().unwrap().to_owned();
    let revocations_body = revocations.text().await.unwrap();
    let jwks: Value = app.get("/.well-known/jwks.json", None).await.json().await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert!(jwks["keys"][0].get("d").is_none(), "never the private half");

    let checked = pyjwt(&json!({
        "jwks": jwks,
        "tokens": [certificate],
        "detached": [
            {"body": validation_body, "signature": signature},
            {"body": revocations_body, "signature": revocations_signature},
            {"body": validation_body.replace("\"valid\":true", "\"valid\":false"), "signature": signature},
        ],
    }));
    let verified = &checked["tokens"][0];
    assert_eq!(verified["header"]["typ"], "license+jwt", "{checked}");
    assert_eq!(verified["header"]["alg"], "ES256");
    assert_eq!(verified["header"]["kid"], jwks["keys"][0]["kid"]);
    let claims = &verified["claims"];
    assert_eq!(claims["lic"], license_id.as_str());
    assert_eq!(claims["prd"], "studio");
    assert_eq!(claims["pol"], "desk");
    assert_eq!(claims["ent"], json!(["export"]));
    assert_eq!(claims["fpr"], hex::encode(Sha256::digest(b"machine-a")));
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 14 * 24 * 3600, "the offline lease");
    assert_eq!(claims["iss"], "http://localhost:8080");
    assert_eq!(checked["detached"], json!([true, true, false]), "signed answers verify, a tampered one does not");
    let validation: Value = serde_json::from_str(&validation_body).unwrap();
    assert_eq!((validation["code"].as_str(), validation["nonce"].as_str()), (Some("VALID"), Some("abc")));

    // A certificate edited by its holder no longer verifies.
    let mut parts: Vec<String> = certificate.split('.').map(str::to_owned).collect();
    parts[2] = parts[2].chars().rev().collect();
    let forged = parts.join(".");
    let checked = pyjwt(&json!({"jwks": jwks, "tokens": [forged]}));
    assert!(checked["tokens"][0]["error"].is_string(), "{checked}");
}

async fn rotation_keeps_old_certificates_verifiable(backend: Backend) {
    let db = TestDb::new(backend).await;
    let clock = Arc::new(ManualClock::starting_now());
    let (app, _p1) = spawn_on(db.clone(), clock.clone()).await;
    let (other, _p2) = spawn_on(db, clock.clone()).await;
    let admin = app.admin_key().to_owned();
    let (token, license_id, _) = licensed_user(&app, &admin).await;
    let before = certificate_for(&app, &token, &license_id, "machine-a").await;
    // The other instance has the current key cached too.
    assert_eq!(other.get("/v1/licenses/revocations", None).await.status(), StatusCode::OK);
    let old_kid =
        app.get("/.well-known/jwks.json", None).await.json::<Value>().await.unwrap()["keys"][0]["kid"].clone();

    let rotated: Value =
        app.post("/v1/admin/signing-keys/rotate", &json!({}), Some(&admin)).await.json().await.unwrap();
    assert_ne!(rotated["kid"], old_kid);
    let after = certificate_for(&app, &token, &license_id, "machine-b").await;
    let jwks: Value = app.get("/.well-known/jwks.json", None).await.json().await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2, "the old key stays published");
    let checked = pyjwt(&json!({"jwks": jwks, "tokens": [before, after]}));
    assert_eq!(checked["tokens"][0]["header"]["kid"], old_kid, "{checked}");
    assert_eq!(checked["tokens"][1]["header"]["kid"], rotated["kid"]);

    // The other instance signs with the new key once its cache refreshes.
    clock.advance(Duration::seconds(31));
    // Sessions live in the shared database, so the same token works there.
    let from_other = certificate_for(&other, &token, &license_id, "machine-a").await;
    let checked = pyjwt(&json!({"jwks": jwks, "tokens": [from_other], "leeway": 60}));
    assert_eq!(checked["tokens"][0]["header"]["kid"], rotated["kid"], "{checked}");

    // Once every old certificate has expired (14 days), the old key leaves the JWKS.
    clock.advance(Duration::days(15));
    let jwks: Value = app.get("/.well-known/jwks.json", None).await.json().await.unwrap();
    let kids: Vec<&Value> = jwks["keys"].as_array().unwrap().iter().map(|k| &k["kid"]).collect();
    assert_eq!(kids, [&rotated["kid"]]);
}
