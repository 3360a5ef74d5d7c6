//! The test harness: a fresh database per test on either backend, the real
//! application on port 0, a controllable clock, and typed request helpers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use latchkey::clock::ManualClock;
use latchkey::config::{DatabaseUrl, Settings};
use latchkey::secrets::MasterKey;
use latchkey::startup::Application;
use latchkey::store::{Store, StoreOptions};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::net::TcpListener;
use tokio::sync::Mutex;
use tokio::task::AbortHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one `#[tokio::test]` per backend for an `async fn(Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    )+};
}

/// The PostgreSQL server the tests use; `tests/run` makes sure it is up.
pub fn postgres_admin_url() -> String {
    std::env::var("LATCHKEY_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database of its own for one test (or for several app instances that
/// must share it), with the master key its apps use.
pub struct TestDb {
    pub url: String,
    pub master_key: SecretString,
    /// Keeps the SQLite directory alive for the test's duration.
    pub dir: Option<tempfile::TempDir>,
    /// Reached through PgBouncer in transaction mode.
    pub pooled: bool,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Arc<Self> {
        let (_, master_key) = MasterKey::generate();
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("latchkey.db").display());
                Arc::new(Self { url, master_key, dir: Some(dir), pooled: false })
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL is not reachable at {admin_url} ({e}); run the tests with `tests/run`, which starts it")
                });
                let name = format!("lk_test_{}", uuid::Uuid::now_v7().simple());
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .expect("create db");
                let url = match admin_url.rsplit_once('/') {
                    Some((server, _)) => format!("{server}/{name}"),
                    None => panic!("LATCHKEY_TEST_POSTGRES_URL must name a database"),
                };
                // What an operator does before the first instance starts: the
                // shared database is migrated as a step of its own.
                let store = latchkey::store::connect_unmigrated(&DatabaseUrl::new(url.clone()), StoreOptions::new(2))
                    .await
                    .expect("connect");
                Store::migrate(&store).await.expect("latchkey migrate");
                Store::close(&store).await;
                Arc::new(Self { url, master_key, dir: None, pooled: false })
            }
        }
    }

    /// A PostgreSQL database migrated directly (as `latchkey migrate` is
    /// run), whose instances reach it through the PgBouncer `tests/run`
    /// starts in transaction mode, as the README recommends.
    pub async fn behind_pgbouncer() -> Arc<Self> {
        let pgbouncer = std::env::var("LATCHKEY_TEST_PGBOUNCER_URL")
            .expect("LATCHKEY_TEST_PGBOUNCER_URL is unset; run the tests with `tests/run`, which starts PgBouncer");
        let direct = Self::new(Backend::Postgres).await;
        let name = direct.url.rsplit_once('/').map(|(_, name)| name.to_owned()).expect("a database name");
        Arc::new(Self {
            url: format!("{pgbouncer}/{name}"),
            master_key: direct.master_key.clone(),
            dir: None,
            pooled: true,
        })
    }

    pub async fn store(&self) -> Arc<dyn Store> {
        let mut options = latchkey::store::StoreOptions::new(5);
        if self.pooled {
            options.statement_cache = 0;
        }
        latchkey::store::connect(&DatabaseUrl::new(self.url.clone()), options).await.expect("store")
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub db: Arc<TestDb>,
    /// The first-start admin key, when this instance was the first on its database.
    pub admin_key: Option<String>,
    /// Stops the instance (as SIGTERM would): serving and its mail worker end.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

pub fn test_settings(db: &TestDb) -> Settings {
    let mut settings = Settings::defaults().expect("defaults");
    settings.database_url = DatabaseUrl::new(db.url.clone());
    settings.master_key = Some(db.master_key.clone());
    // Tests sign in far more often than a person would; the limiter has its own test.
    settings.ip_rate_per_minute = 100_000;
    settings.product_rate_per_minute = 100_000;
    settings.database_max_connections = 5;
    if db.pooled {
        // What the README asks for behind a transaction-mode pooler.
        settings.database_statement_cache = 0;
    }
    settings
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_on(TestDb::new(backend).await, |_| {}).await
    }

    pub async fn spawn_on(db: Arc<TestDb>, configure: impl FnOnce(&mut Settings)) -> Self {
        Self::spawn_with_clock(db, Arc::new(ManualClock::starting_now()), configure).await
    }

    pub async fn spawn_with_clock(
        db: Arc<TestDb>,
        clock: Arc<ManualClock>,
        configure: impl FnOnce(&mut Settings),
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        Self::spawn_listening(listener, db, clock, configure).await
    }

    /// The same on a listener of the caller's (whose port the settings may name).
    pub async fn spawn_listening(
        listener: TcpListener,
        db: Arc<TestDb>,
        clock: Arc<ManualClock>,
        configure: impl FnOnce(&mut Settings),
    ) -> Self {
        let mut settings = test_settings(&db);
        configure(&mut settings);
        let app = Application::build(settings, clock.clone()).await.expect("app builds");
        let admin_key = app.first_admin_key.as_ref().map(|k| k.expose_secret().to_owned());
        let address = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(app.serve(listener, async move {
            let _ = stopped.await;
        }));
        Self { address, client: reqwest::Client::new(), clock, db, admin_key, stop: Some(stop), served: Some(served) }
    }

    /// Shuts the instance down and waits until it has stopped.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(served) = self.served.take() {
            served.await.expect("server task").expect("served");
        }
    }

    pub fn clock_now(&self) -> time::OffsetDateTime {
        latchkey::clock::Clock::now(self.clock.as_ref())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> reqwest::Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.client.delete(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    pub async fn patch(&self, path: &str, body: &Value, token: Option<&str>) -> reqwest::Response {
        let mut request = self.client.patch(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    /// Sets up TOTP for the session's user with a code computed from the
    /// returned secret at the app's clock; returns (secret, recovery codes).
    pub async fn enroll_totp(&self, token: &str) -> (String, Vec<String>) {
        let response = self.post("/v1/me/totp", &json!({}), Some(token)).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let enrollment: Value = response.json().await.expect("json");
        let secret = enrollment["secret"].as_str().expect("secret").to_owned();
        let code = totp_code(&secret, self.clock_now());
        let response = self.post("/v1/me/totp/confirm", &json!({"code": code}), Some(token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("json");
        let codes = body["recovery_codes"].as_array().expect("codes").iter().map(|c| c.as_str().unwrap().to_owned());
        (secret, codes.collect())
    }

    /// A password sign-in that must stop at the second factor; returns the pending token.
    pub async fn pending_sign_in(&self, email: &str, password: &str) -> String {
        let response = self.try_sign_in(email, password).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["state"], "mfa_required", "{body}");
        body["pending_token"].as_str().expect("pending token").to_owned()
    }

    /// Signs up; the answer (`check_your_email`) is the same for a taken address.
    pub async fn sign_up(&self, email: &str, password: &str) -> Value {
        let response = self.post("/v1/users", &json!({"email": email, "password": password}), None).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["state"], "check_your_email");
        body
    }

    /// The signed-in user's id.
    pub async fn user_id(&self, token: &str) -> String {
        let me: Value = self.get("/v1/me", Some(token)).await.json().await.expect("json");
        me["user"]["id"].as_str().expect("user id").to_owned()
    }

    pub async fn try_sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.post("/v1/sessions", &json!({"email": email, "password": password}), None).await
    }

    /// Signs in and returns the session token.
    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let response = self.try_sign_in(email, password).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["state"], "authenticated");
        body["token"].as_str().expect("token").to_owned()
    }

    /// A new user with a session: (email, password, token).
    pub async fn signed_in_user(&self) -> (String, String, String) {
        let email = format!("user-{}@example.com", uuid::Uuid::now_v7().simple());
        let password = "correct horse battery staple".to_owned();
        self.sign_up(&email, &password).await;
        let token = self.sign_in(&email, &password).await;
        (email, password, token)
    }

    /// A new support API key.
    pub async fn support_key(&self) -> String {
        let response =
            self.post("/v1/admin/api-keys", &json!({"name": "desk", "role": "support"}), Some(self.admin_key())).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        body["key"].as_str().unwrap().to_owned()
    }

    pub fn admin_key(&self) -> &str {
        self.admin_key.as_deref().expect("this instance bootstrapped the database")
    }
}

/// RFC 6238 (SHA-1, 6 digits, 30 s), written here from the RFC rather than
/// taken from the crate the server uses, so the two check each other.
/// The binary's admin CLI run as an operator runs it against `db`: the
/// settings file and policies given, `input` on stdin (where secrets go).
pub fn admin_cli(
    db: &TestDb,
    settings: &std::path::Path,
    policies: &std::path::Path,
    args: &[&str],
    input: &str,
) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(["--config", settings.to_str().unwrap(), "admin"])
        .args(args)
        .env_clear()
        .env("LATCHKEY_DATABASE_URL", &db.url)
        .env("LATCHKEY_MASTER_KEY", db.master_key.expose_secret())
        .env("LATCHKEY_POLICIES", policies)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

pub fn totp_code(secret_base32: &str, at: time::OffsetDateTime) -> String {
    use aws_lc_rs::hmac;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut buffer, mut secret) = (0u32, 0u64, Vec::new());
    for c in secret_base32.trim_end_matches('=').bytes() {
        let value = ALPHABET.iter().position(|&a| a == c.to_ascii_uppercase()).expect("base32") as u64;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            secret.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    let counter = (at.unix_timestamp() as u64) / 30;
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &secret);
    let digest = hmac::sign(&key, &counter.to_be_bytes());
    let digest = digest.as_ref();
    let offset = (digest[19] & 0x0f) as usize;
    let value = u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
    format!("{:06}", value % 1_000_000)
}

/// Asserts a problem+json response with `status` and `code`; returns the body.
pub async fn assert_problem(response: reqwest::Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "status");
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert_eq!(content_type, "application/problem+json");
    let request_id = response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body: Value = response.json().await.expect("problem json");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16());
    assert_eq!(body["request_id"], request_id.as_str(), "request id in body and header agree");
    assert!(body["title"].is_string() && body["detail"].is_string() && body["type"].is_string());
    body
}

/// A TCP proxy in front of PostgreSQL that a test can cut and restore, so an
/// outage can be simulated without stopping the shared server.
pub struct TcpProxy {
    pub port: u16,
    cut: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
}

impl TcpProxy {
    pub async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let cut = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (cut_flag, live) = (cut.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if cut_flag.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                live.lock().await.push(task.abort_handle());
            }
        });
        Self { port, cut, connections }
    }

    /// Drops every open connection and refuses new ones.
    pub async fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for connection in self.connections.lock().await.drain(..) {
            connection.abort();
        }
    }

    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// Runs `tests/verify/jose_check.py` on the request and returns its answer.
pub fn pyjwt(request: &Value) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/verify/jose_check.py");
    let mut child = std::process::Command::new("python3")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 (tests/run installs PyJWT)");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), request.to_string().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "PyJWT check failed (run the tests with tests/run): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}
