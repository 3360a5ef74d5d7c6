//! The binary as an operator meets it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

const BIN: &str = env!("CARGO_BIN_EXE_latchkey");

fn latchkey(dir: &std::path::Path) -> Command {
    let mut command = Command::new(BIN);
    command.current_dir(dir).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    command
}

#[test]
fn help_explains_the_commands() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for word in ["serve", "migrate", "admin", "--config"] {
        assert!(help.contains(word), "--help mentions {word}:\n{help}");
    }
}

#[test]
fn a_bad_setting_stops_the_start_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = latchkey(dir.path()).env("LATCHKEY_LISTEN", "not-an-address").arg("serve").output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("LATCHKEY_LISTEN"), "{stderr}");
}

/// `latchkey migrate` makes the database; admin commands work on it.
fn migrated() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = latchkey(dir.path()).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    dir
}

#[test]
fn create_key_prints_only_the_key() {
    let dir = migrated();
    let out =
        latchkey(dir.path()).args(["admin", "create-key", "--role", "support", "--name", "helpdesk"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let key = stdout.trim_end();
    assert!(key.starts_with("lk_sup_") && !key.contains(char::is_whitespace), "{stdout:?}");
}

/// Run from the wrong folder, an admin command says there is no database
/// there instead of quietly making an empty one.
#[test]
fn admin_commands_never_create_a_database() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["admin", "create-key", "--role", "support", "--name", "helpdesk"],
        vec!["admin", "issue", "--policy", "studio-perpetual"],
        vec!["keys", "rotate"],
    ] {
        let out = latchkey(dir.path()).args(&args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("there is no database at"), "{args:?}: {stderr}");
    }
    assert!(!dir.path().join("data").exists());
}

/// First start with defaults: SQLite under ./data, a 0600 master key beside
/// it, a one-time admin key on stderr; SIGTERM stops it cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_creates_the_key_prints_an_admin_key_and_stops_on_sigterm() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // A help widget whose secret nobody set yet: the start names it.
    std::fs::write(dir.path().join("latchkey.toml"), "[[integrations]]\nname = \"chat\"\nkind = \"intercom\"\n")
        .unwrap();
    let mut child = latchkey(dir.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("LATCHKEY_CONFIG", "latchkey.toml")
        .env("LATCHKEY_MAIL", "log")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while !seen.iter().any(|l: &String| l.contains("Latchkey is serving")) {
        let line = lines_rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("server starts");
        seen.push(line);
    }
    let output = seen.join("\n");
    // With no terminal to show it on, the key goes to a file only this user reads, never to the log.
    assert!(!output.contains("lk_adm_"), "{output}");
    let admin_file = dir.path().join("data/first-admin-key");
    assert!(output.contains("first-admin-key"), "{output}");
    assert_eq!(std::fs::metadata(&admin_file).unwrap().permissions().mode() & 0o777, 0o600);
    let admin_key = std::fs::read_to_string(&admin_file).unwrap().trim().to_owned();
    assert!(admin_key.starts_with("lk_adm_"));
    assert!(output.contains("master key"), "{output}");
    assert!(output.contains("LATCHKEY_MAIL=log"), "mail to the log is announced loudly: {output}");
    assert!(output.lines().any(|l| l.contains("integration has no shared secret") && l.contains("chat")), "{output}");
    let key_file = dir.path().join("data/master.key");
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    // With no public URL set, it follows the listening port.
    let discovery: serde_json::Value =
        reqwest::get(format!("http://127.0.0.1:{port}/.well-known/openid-configuration"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(discovery["issuer"], format!("http://localhost:{port}"));

    let response = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/v1/admin/api-keys"))
        .bearer_auth(&admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // In the log mode for trials, mail goes to the log with its link intact.
    let sign_up = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/v1/users"))
        .json(&serde_json::json!({"email": "trial@example.com", "password": "correct horse battery staple"}))
        .send()
        .await
        .unwrap();
    assert_eq!(sign_up.status(), StatusCode::ACCEPTED);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !seen.iter().any(|l: &String| l.contains("/verify-email?token=lk_vfy_") && l.contains("trial@example.com")) {
        let line = lines_rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("mail logged");
        seen.push(line);
    }

    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
    seen.extend(lines_rx.iter());
    let everything = seen.join("\n");
    assert!(everything.contains("stopped"), "{everything}");
    assert_eq!(everything.matches(&admin_key).count(), 0, "the key is never logged");
}

#[test]
fn policy_check_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = latchkey(dir.path())
        .args(["policy", "check", concat!(env!("CARGO_MANIFEST_DIR"), "/policies")])
        .output()
        .unwrap();
    assert!(shipped.status.success(), "{}", String::from_utf8_lossy(&shipped.stderr));
    assert_eq!(String::from_utf8(shipped.stdout).unwrap().lines().count(), 3, "one line per shipped policy");
    for missing in ["no-such-folder", "."] {
        let out = latchkey(dir.path()).args(["policy", "check", missing]).output().unwrap();
        assert!(!out.status.success(), "{missing}: a folder with no policies is not \"all valid\"");
    }

    std::fs::write(
        dir.path().join("broken.toml"),
        "name = \"x\"\nproduct = \"p\"\nmax_activations = 2\nbinding = \"floating\"\n",
    )
    .unwrap();
    let broken = latchkey(dir.path()).args(["policy", "check", "."]).output().unwrap();
    assert!(!broken.status.success());
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(stderr.contains("broken.toml:4:") && stderr.contains("lease"), "{stderr}");
}

#[test]
fn bulk_issue_writes_keys_and_codes_to_csv_and_keys_rotate_prints_the_kid() {
    use std::os::unix::fs::PermissionsExt;
    let dir = migrated();
    let policies = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");
    let out = latchkey(dir.path())
        .env("LATCHKEY_POLICIES", policies)
        .args(["admin", "issue", "--policy", "studio-pro-yearly", "--count", "1203", "--csv", "codes.csv"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("first-admin-key"), "the first command on a new database makes the admin key: {stderr}");
    let mode = std::fs::metadata(dir.path().join("codes.csv")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "activation codes are for the operator's eyes only");
    let csv = std::fs::read_to_string(dir.path().join("codes.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("id,key,activation_code,policy,expires_at"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 1203, "issued across two batches");
    let codes: std::collections::HashSet<&str> = rows.iter().map(|r| r.split(',').nth(2).unwrap()).collect();
    assert_eq!(codes.len(), 1203, "every code distinct");
    assert!(rows.iter().all(|r| r.split(',').nth(1).unwrap().starts_with("LK-")));

    let piped = latchkey(dir.path())
        .env("LATCHKEY_POLICIES", policies)
        .args(["admin", "issue", "--policy", "studio-perpetual", "--count", "2", "--csv", "-"])
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert_eq!(String::from_utf8(piped.stdout).unwrap().lines().count(), 3, "header and two rows on stdout");

    let unknown = latchkey(dir.path())
        .env("LATCHKEY_POLICIES", policies)
        .args(["admin", "issue", "--policy", "nope"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("policy: no policy has this name"), "{stderr}");
    for count in ["0", "1000001"] {
        let out = latchkey(dir.path())
            .env("LATCHKEY_POLICIES", policies)
            .args(["admin", "issue", "--policy", "studio-perpetual", "--count", count])
            .output()
            .unwrap();
        assert!(!out.status.success(), "--count {count}");
    }

    let rotated = latchkey(dir.path()).env("LATCHKEY_POLICIES", policies).args(["keys", "rotate"]).output().unwrap();
    assert!(rotated.status.success(), "{}", String::from_utf8_lossy(&rotated.stderr));
    let kid = String::from_utf8(rotated.stdout).unwrap();
    assert_eq!(kid.lines().count(), 1);
    assert!(kid.starts_with("20"), "{kid}");
}

#[test]
fn eula_publish_prints_the_hash_and_never_overwrites() {
    use sha2::Digest;
    let dir = migrated();
    let text = "# Terms\n\nExactly these bytes.\n";
    std::fs::write(dir.path().join("terms.md"), text).unwrap();
    let publish = |version: &str| {
        latchkey(dir.path())
            .args(["admin", "eula", "publish", "--product", "studio", "--version", version, "--file", "terms.md"])
            .arg("--material")
            .output()
            .unwrap()
    };
    let out = publish("2026-11");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim_end(), hex::encode(sha2::Sha256::digest(text)));
    let again = publish("2026-11");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already published"));
}
