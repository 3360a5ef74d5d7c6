//! The database file holds no password, session token, API key, TOTP secret
//! or recovery code in clear.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_dump_contains_no_secret_in_clear() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let password = "Unmistakable-Password-4711";
    app.sign_up("ada@example.com", password).await;
    let session = app.sign_in("ada@example.com", password).await;
    let created: Value = app
        .post("/v1/admin/api-keys", &json!({"name": "ci", "role": "support"}), Some(app.admin_key()))
        .await
        .json()
        .await
        .unwrap();
    let support_key = created["key"].as_str().unwrap().to_owned();
    let (totp_secret, recovery_codes) = app.enroll_totp(&session).await;
    let pending = app.pending_sign_in("ada@example.com", password).await;

    let dir = app.db.dir.as_ref().unwrap().path();
    let mut dump = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("latchkey.db") {
            dump.extend(std::fs::read(&path).unwrap());
        }
    }
    assert!(dump.len() > 10_000, "read the database and its WAL");
    let contains = |needle: &str| dump.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(contains("ada@example.com"), "sanity: the dump holds the account");
    let secrets = [password, session.as_str(), support_key.as_str(), app.admin_key(), pending.as_str(), &totp_secret];
    for secret in secrets.into_iter().chain(recovery_codes.iter().map(String::as_str)) {
        assert!(!contains(secret), "secret found in the database file");
        // Not even the random part without its prefix, or a code without its dash.
        let body = secret.split_once("lk_").map_or(secret, |(_, rest)| &rest[4..]);
        assert!(!contains(body) && !contains(&secret.replace('-', "")));
    }
}
