//! The database file holds no password, session token or API key in clear.

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
    for secret in [password, session.as_str(), support_key.as_str(), app.admin_key()] {
        assert!(!contains(secret), "secret found in the database file");
        // Not even the random part without its prefix.
        let body = secret.trim_start_matches("lk_ses_").trim_start_matches("lk_sup_").trim_start_matches("lk_adm_");
        assert!(!contains(body));
    }
}
