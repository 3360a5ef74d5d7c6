//! What every benchmark shares: the real `latchkey` binary started as its
//! own process on its own policy and settings, `wrk` driving it from
//! another process (as an operator's load test would), the set-up a
//! product's validation needs, and the process's resident memory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::Connection;

/// Whether this is the test command's smoke run: one second a measurement,
/// a debug build, no verdicts. It proves the benchmarks still run.
pub fn smoke() -> bool {
    std::env::var_os("LATCHKEY_BENCH_SMOKE").is_some()
}

/// How long each load runs.
pub fn window() -> Duration {
    if smoke() { Duration::from_secs(1) } else { Duration::from_secs(8) }
}

/// The benchmark's own policy: three node-locked seats, password sign-in,
/// the product's EULA, and the widget audience for minting. Never one of
/// the shipped examples, which change with what they illustrate.
const POLICY: &str = r#"
name = "bench-seats"
product = "bench"
max_activations = 3
binding = "node_locked"
activation_code_uses = 1
entitlements = ["export"]

[sign_in]
require = "password"

[eula]
required = true

[tokens]
audiences = ["widget"]
"#;

/// One PostgreSQL database made for a run and dropped after it.
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
}

impl ScratchDatabase {
    /// The database, and its URL.
    pub async fn create() -> (Self, String) {
        let admin_url = std::env::var("LATCHKEY_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("lk_bench_{}", uuid::Uuid::now_v7().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect("PostgreSQL for the benchmark");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.unwrap();
        let (server, _) = admin_url.rsplit_once('/').unwrap();
        let url = format!("{server}/{name}");
        (Self { admin_url, name }, url)
    }

    pub async fn drop_now(self) {
        let mut admin = sqlx::PgConnection::connect(&self.admin_url).await.unwrap();
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&mut admin).await.unwrap();
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

impl Db {
    pub const BOTH: [Self; 2] = [Self::Sqlite, Self::Postgres];

    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// A running `latchkey serve`, killed (and its database dropped) by `stop`.
pub struct Server {
    pub base: String,
    pub admin_key: String,
    pub client: reqwest::Client,
    child: Child,
    dir: tempfile::TempDir,
    database: Option<ScratchDatabase>,
}

impl Server {
    /// Starts the binary this build made, the way an operator would, with
    /// per-client limits out of the way (every request comes from loopback).
    pub async fn start(db: Db) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("policies")).unwrap();
        std::fs::write(dir.path().join("policies/bench-seats.toml"), POLICY).unwrap();
        let (database, database_url) = match db {
            Db::Sqlite => (None, format!("sqlite://{}", dir.path().join("bench.db").display())),
            Db::Postgres => {
                let (database, url) = ScratchDatabase::create().await;
                (Some(database), url)
            }
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let settings = format!(
            "listen = \"127.0.0.1:{port}\"\n\
             database_url = \"{database_url}\"\n\
             policies = \"{}\"\n\
             ip_rate_per_minute = 100000000\n\
             product_rate_per_minute = 100000000\n\
             max_connections = 4096\n\
             [[integrations]]\nname = \"widget\"\nkind = \"jwt\"\nlifetime = \"10m\"\n\
             [[clients]]\nid = \"bench-app\"\nname = \"Bench\"\nkind = \"public\"\nfirst_party = true\n\
             redirect_uris = [\"https://bench.example.com/callback\"]\ngrants = [\"authorization_code\", \"refresh_token\"]\n\
             product = \"bench\"\n",
            dir.path().join("policies").display()
        );
        std::fs::write(dir.path().join("latchkey.toml"), settings).unwrap();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let latchkey = || {
            let mut command = Command::new(env!("CARGO_BIN_EXE_latchkey"));
            // The test environment's own LATCHKEY_* variables are not settings.
            for (var, _) in std::env::vars_os() {
                if var.to_string_lossy().starts_with("LATCHKEY_") {
                    command.env_remove(var);
                }
            }
            command.current_dir(dir.path()).env("LATCHKEY_CONFIG", dir.path().join("latchkey.toml"));
            command
        };
        // A shared PostgreSQL is migrated as a step of its own, as in a deployment.
        if db == Db::Postgres {
            let migrated = latchkey().arg("migrate").output().unwrap();
            assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
        }
        let child = latchkey()
            .arg("serve")
            .env(
                "LATCHKEY_MASTER_KEY",
                secrecy::ExposeSecret::expose_secret(&latchkey::secrets::MasterKey::generate().1),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let mut server = Self { base, admin_key: String::new(), client: reqwest::Client::new(), child, dir, database };
        server.wait_ready().await;
        server.admin_key =
            std::fs::read_to_string(server.dir.path().join("first-admin-key")).unwrap().trim().to_owned();
        server
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = self.client.get(self.url("/readyz")).send().await
                && response.status().is_success()
            {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("latchkey exited ({status}) before it was ready:\n{}", self.log());
            }
            assert!(Instant::now() < deadline, "latchkey was not ready within a minute:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// CPU seconds the server process has used so far (user and system).
    pub fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
        let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
        let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
        // Linux reports these in USER_HZ, which is 100 whatever the kernel's own tick.
        ticks / 100.0
    }

    /// The server process's resident memory, in MiB.
    pub fn resident_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status");
        kib / 1024.0
    }

    pub async fn post(&self, path: &str, bearer: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// Posts and insists on success, showing the answer (and the server's
    /// log) when it is not.
    pub async fn post_ok(&self, path: &str, bearer: Option<&str>, body: &Value) -> Value {
        let (status, answer) = self.post(path, bearer, body).await;
        assert!((200..300).contains(&status), "POST {path}: {status} {answer}");
        answer
    }

    /// Publishes the product's EULA (once per server), and makes a
    /// signed-in user with a license of the bench policy redeemed, the
    /// EULA accepted and one device activated: what product software
    /// validating and a widget minting have behind them.
    pub async fn licensed_device(&self, email: &str) -> Licensed {
        let admin = Some(self.admin_key.as_str());
        let eula = json!({"product": "bench", "version": "1", "title": "Terms", "body": "Be kind.", "material": true});
        let published = self.post_ok("/v1/admin/eulas", admin, &eula).await;
        let sha256 = published["sha256"].as_str().unwrap();
        let issued = self.post_ok("/v1/admin/licenses", admin, &json!({"policy": "bench-seats"})).await;
        let license = issued["licenses"][0].clone();
        let token = self.signed_in(email).await;
        let decision = json!({"product": "bench", "version": "1", "sha256": sha256, "decision": "accepted"});
        self.post_ok("/v1/me/eula-acceptances", Some(&token), &decision).await;
        let code = json!({"activation_code": license["activation_code"]});
        self.post_ok("/v1/me/licenses/redeem", Some(&token), &code).await;
        let device = json!({"license_id": license["id"], "fingerprint": "bench-machine", "name": "Bench"});
        self.post_ok("/v1/activations", Some(&token), &device).await;
        Licensed { key: license["key"].as_str().unwrap().to_owned(), session: token }
    }

    /// An app's sign-in for a new user `email`, through the browser flow
    /// (the vendor's own app: no approval page): its refresh token.
    pub async fn oauth_refresh_token(&self, email: &str) -> String {
        use base64::Engine;
        use sha2::Digest;
        let session = self.signed_in(email).await;
        // Unreserved characters only (RFC 7636), 43 to 128 of them.
        let verifier = format!("bench-verifier-{}", hex::encode(sha2::Sha256::digest(email.as_bytes())));
        let challenge =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
        let query = [
            ("client_id", "bench-app"),
            ("redirect_uri", "https://bench.example.com/callback"),
            ("response_type", "code"),
            ("scope", "openid email"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        let page = self
            .client
            .get(self.url("/oauth/authorize"))
            .query(&query)
            .header("cookie", format!("lk_session={session}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let start = page.find("code=").unwrap_or_else(|| panic!("no code on the way back: {page}")) + "code=".len();
        let code: String =
            page[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || "_-".contains(*c)).collect();
        let form = [
            ("grant_type", "authorization_code"),
            ("client_id", "bench-app"),
            ("code", code.as_str()),
            ("redirect_uri", "https://bench.example.com/callback"),
            ("code_verifier", verifier.as_str()),
        ];
        let tokens: Value =
            self.client.post(self.url("/oauth/token")).form(&form).send().await.unwrap().json().await.unwrap();
        tokens["refresh_token"].as_str().unwrap_or_else(|| panic!("no refresh token: {tokens}")).to_owned()
    }

    /// Signs up `email` with [`PASSWORD`] and signs in; the session token.
    pub async fn signed_in(&self, email: &str) -> String {
        let credentials = json!({"email": email, "password": PASSWORD});
        self.post_ok("/v1/users", None, &credentials).await;
        let session = self.post_ok("/v1/sessions", None, &credentials).await;
        session["token"].as_str().unwrap().to_owned()
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(database) = self.database.take() {
            database.drop_now().await;
        }
    }
}

/// A benchmark that fails midway must not leave its server running.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub const PASSWORD: &str = "correct horse battery";

pub struct Licensed {
    pub key: String,
    pub session: String,
}

impl Licensed {
    /// What product software sends to validate on its device.
    pub fn validate_body(&self) -> Value {
        json!({"key": self.key, "fingerprint": "bench-machine", "product": "bench", "nonce": "n"})
    }
}

/// One request `wrk` repeats.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub bearer: Option<&'a str>,
    pub body: Option<Value>,
}

impl<'a> Request<'a> {
    pub fn get(path: &'a str) -> Self {
        Self { method: "GET", path, bearer: None, body: None }
    }

    pub fn post(path: &'a str, body: Value) -> Self {
        Self { method: "POST", path, bearer: None, body: Some(body) }
    }

    pub fn bearer(mut self, token: &'a str) -> Self {
        self.bearer = Some(token);
        self
    }

    /// A wrk script setting method, headers and body.
    fn script(&self) -> String {
        let quote = |s: &str| serde_json::to_string(s).unwrap();
        let mut lua = format!("wrk.method = {}\n", quote(self.method));
        if let Some(body) = &self.body {
            lua += &format!(
                "wrk.body = {}\nwrk.headers[\"Content-Type\"] = \"application/json\"\n",
                quote(&body.to_string())
            );
        }
        if let Some(token) = self.bearer {
            lua += &format!("wrk.headers[\"Authorization\"] = {}\n", quote(&format!("Bearer {token}")));
        }
        lua
    }
}

/// What one `wrk` run measured.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests: u64,
    /// Answers outside 2xx/3xx.
    pub refused: u64,
    /// Connect, read, write and timeout errors.
    pub errors: u64,
    /// The server's CPU time per request, when measured (`wrk`), in µs.
    pub server_cpu_us: f64,
}

impl Load {
    /// Requests that were answered with success, per second.
    pub fn succeeded_per_second(&self, window: Duration) -> f64 {
        (self.requests - self.refused) as f64 / window.as_secs_f64()
    }

    pub fn row(&self, name: &str) -> String {
        let cpu = if self.server_cpu_us > 0.0 {
            format!("   server CPU {:>5.1} µs", self.server_cpu_us)
        } else {
            String::new()
        };
        format!(
            "{name:<44} {:>8.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms{cpu}",
            self.per_second, self.p50_ms, self.p99_ms
        )
    }

    /// Every answer a success, no socket errors.
    pub fn clean(self, what: &str) -> Self {
        assert!(self.requests > 0, "{what}: no requests completed");
        assert_eq!((self.refused, self.errors), (0, 0), "{what}: refused or failed requests: {self:?}");
        self
    }
}

/// A `wrk` started in the background; `finish` waits for its figures.
pub struct Running {
    child: Child,
    _script: tempfile::NamedTempFile,
    what: String,
}

impl Running {
    pub fn finish(self) -> Load {
        let output = self.child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "wrk for {} failed: {text}{}",
            self.what,
            String::from_utf8_lossy(&output.stderr)
        );
        parse_wrk(&text).unwrap_or_else(|| panic!("cannot read wrk's report for {}:\n{text}", self.what))
    }
}

/// Starts `wrk` with `connections` keep-alive clients for `duration`.
pub fn start_wrk(server: &Server, request: &Request<'_>, connections: u32, duration: Duration) -> Running {
    let script = tempfile::Builder::new().suffix(".lua").tempfile_in(server.dir()).unwrap();
    std::fs::write(script.path(), request.script()).unwrap();
    let threads = connections.min(2);
    let child = Command::new("wrk")
        .args(["-t", &threads.to_string(), "-c", &connections.to_string()])
        .args(["-d", &format!("{}s", duration.as_secs().max(1)), "--latency", "--timeout", "10s", "-s"])
        .arg(script.path())
        .arg(server.url(request.path))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run wrk ({e}): install it (Debian: apt-get install wrk)"));
    Running { child, _script: script, what: format!("{} {}", request.method, request.path) }
}

/// Runs `wrk` to the end.
pub fn wrk(server: &Server, request: &Request<'_>, connections: u32) -> Load {
    let cpu_before = server.cpu_seconds();
    let mut load = start_wrk(server, request, connections, window()).finish();
    load.server_cpu_us = (server.cpu_seconds() - cpu_before) * 1e6 / load.requests.max(1) as f64;
    load
}

/// Reads `Requests/sec`, the latency distribution and the error lines of
/// wrk's report.
fn parse_wrk(text: &str) -> Option<Load> {
    let number_after = |prefix: &str| -> Option<f64> {
        text.lines()
            .find_map(|line| line.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
    };
    let percentile = |label: &str| -> Option<f64> {
        text.lines().find_map(|line| line.trim().strip_prefix(label)).and_then(|rest| duration_ms(rest.trim()))
    };
    let requests = text.lines().find_map(|line| {
        let (count, rest) = line.trim().split_once(' ')?;
        rest.starts_with("requests in").then(|| count.parse().ok())?
    })?;
    let errors = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("Socket errors:"))
        .map(|rest| rest.split(',').filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok()).sum())
        .unwrap_or(0);
    Some(Load {
        per_second: number_after("Requests/sec:")?,
        p50_ms: percentile("50%")?,
        p99_ms: percentile("99%")?,
        requests,
        refused: number_after("Non-2xx or 3xx responses:").map_or(0, |n| n as u64),
        errors,
        server_cpu_us: 0.0,
    })
}

/// wrk's `812.00us`, `1.23ms`, `1.05s`, `2.00m` in milliseconds.
fn duration_ms(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match unit {
        "us" => 1e-3,
        "ms" => 1.0,
        "s" => 1e3,
        "m" => 60e3,
        _ => return None,
    };
    Some(number * factor)
}

/// Where the benchmark's helper scripts are.
pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bench").join(name)
}

/// A figure against its goal; nothing in smoke mode (a debug build
/// proves nothing about speed).
pub fn verdict(figure: f64, goal: f64, higher_is_better: bool) -> &'static str {
    let met = if higher_is_better { figure >= goal } else { figure < goal };
    match (smoke(), met) {
        (true, _) => "(smoke run: no verdict)",
        (false, true) => "meets the goal",
        (false, false) => "MISSES the goal",
    }
}

/// Reads a report of the shape wrk prints, so a change in how we read
/// it fails the smoke run rather than printing wrong figures.
pub fn check_report_reader() {
    let report = "Running 1s test @ http://127.0.0.1:1/healthz\n  Latency Distribution\n     50%  812.00us\n     \
                  99%    1.23ms\n  1000 requests in 1.00s, 1.00MB read\n  Socket errors: connect 0, read 2, write 0, \
                  timeout 1\n  Non-2xx or 3xx responses: 7\nRequests/sec:   1000.00\n";
    let load = parse_wrk(report).unwrap();
    assert_eq!((load.requests, load.refused, load.errors), (1000, 7, 3));
    assert!((load.p50_ms - 0.812).abs() < 1e-9 && (load.p99_ms - 1.23).abs() < 1e-9, "{load:?}");
    assert!((load.per_second - 1000.0).abs() < 1e-9);
}
