//! Whether an address has an account must not show in how long an answer
//! takes. For each endpoint that takes an address, requests for addresses
//! with an account and for addresses without one are interleaved, and the
//! medians compared: the difference must stay under 5% of the smaller one.
//!
//! Run with `cargo bench -- enumeration` (150 samples a side). The test
//! command runs it in smoke mode (`LATCHKEY_BENCH_SMOKE=1`: a few samples,
//! no verdict, debug build), so it cannot rot.

use std::sync::Arc;
use std::time::{Duration, Instant};

use latchkey::clock::SystemClock;
use latchkey::config::{DatabaseUrl, Settings};
use latchkey::secrets::MasterKey;
use latchkey::startup::Application;
use serde_json::{Value, json};

/// The largest median difference allowed, as a share of the smaller median.
const LIMIT: f64 = 0.05;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

struct Gateway {
    base: String,
    client: reqwest::Client,
    support_key: String,
}

impl Gateway {
    /// Each request comes from its own address (through the trusted proxy
    /// header), so per-client throttles never answer early for one series.
    async fn post(&self, path: &str, body: &Value, bearer: Option<&str>, client_ip: u32) -> (u16, Duration) {
        let ip = std::net::Ipv4Addr::from(0x0a00_0000 | client_ip);
        let mut request =
            self.client.post(format!("{}{path}", self.base)).header("x-forwarded-for", ip.to_string()).json(body);
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        let started = Instant::now();
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        response.bytes().await.unwrap();
        (status, started.elapsed())
    }
}

async fn start() -> (Gateway, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::defaults().unwrap();
    settings.database_url = DatabaseUrl::new(format!("sqlite://{}", dir.path().join("bench.db").display()));
    settings.master_key = Some(MasterKey::generate().1);
    settings.ip_rate_per_minute = 1_000_000;
    settings.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    let app = Application::build(settings, Arc::new(SystemClock)).await.unwrap();
    let admin = app.first_admin_key.as_ref().map(|k| secrecy::ExposeSecret::expose_secret(k).to_owned()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(app.serve(listener, std::future::pending()));
    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("{base}/v1/admin/api-keys"))
        .bearer_auth(&admin)
        .json(&json!({"role": "support", "name": "bench"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let support_key = created["key"].as_str().expect("support key").to_owned();
    (Gateway { base, client, support_key }, dir)
}

/// Interleaves `samples` requests for known and unknown addresses (the
/// `n`-th of each), so drift on the machine affects both series alike.
/// Returns the relative difference of the medians.
async fn compare(
    gateway: &Gateway,
    name: &str,
    samples: usize,
    request: impl Fn(&str) -> (String, Value, Option<String>),
    expected: u16,
    pause: Duration,
) -> f64 {
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for n in 0..samples {
        for (prefix, series) in [("user", &mut known), ("ghost", &mut unknown)] {
            let (path, body, bearer) = request(&format!("{prefix}{n}@example.com"));
            let client = u32::try_from(n * 2 + usize::from(prefix == "ghost")).unwrap();
            let (status, took) = gateway.post(&path, &body, bearer.as_deref(), client).await;
            assert_eq!(status, expected, "{name} for {prefix}{n}");
            series.push(took);
            tokio::time::sleep(pause).await;
        }
    }
    let (known, unknown) = (median(known), median(unknown));
    let difference = (known.as_secs_f64() - unknown.as_secs_f64()).abs() / known.min(unknown).as_secs_f64();
    println!(
        "{name:<22} known {:>7.2} ms   unknown {:>7.2} ms   median difference {:>5.1}%",
        known.as_secs_f64() * 1e3,
        unknown.as_secs_f64() * 1e3,
        difference * 100.0
    );
    difference
}

pub async fn run() {
    println!("\n== enumeration: answers for addresses with and without an account");
    let smoke = crate::harness::smoke();
    let samples = if smoke { 4 } else { 150 };
    let (gateway, _dir) = start().await;
    // Every known address a request uses is a real account; each is used
    // once per endpoint, so no per-address limit answers early.
    for n in 0..samples {
        let body = json!({"email": format!("user{n}@example.com"), "password": "correct horse battery"});
        let (status, _) = gateway.post("/v1/users", &body, None, 1_000_000).await;
        assert_eq!(status, 202);
    }
    println!("median answer times over {samples} samples a side, addresses with and without an account:");
    let support = gateway.support_key.clone();
    let differences = [
        compare(
            &gateway,
            "sign-in, wrong password",
            samples,
            |email| ("/v1/sessions".into(), json!({"email": email, "password": "wrong horse battery"}), None),
            401,
            Duration::ZERO,
        )
        .await,
        compare(
            &gateway,
            "sign-up",
            samples,
            |email| ("/v1/users".into(), json!({"email": email, "password": "another horse battery"}), None),
            202,
            Duration::ZERO,
        )
        .await,
        compare(
            &gateway,
            "support PIN check",
            samples,
            |email| ("/v1/support/verify".into(), json!({"email": email, "pin": "123456"}), Some(support.clone())),
            200,
            // The refusal's event is written after the answer: let it land
            // before the next request, as it would between callers.
            Duration::from_millis(10),
        )
        .await,
        compare(
            &gateway,
            "password reset",
            samples,
            |email| ("/v1/password-resets".into(), json!({"email": email}), None),
            202,
            // The work happens after the answer, at most 32 at once (beyond
            // that the answer is a 503): give each time to finish.
            Duration::from_millis(20),
        )
        .await,
    ];
    if smoke {
        println!("smoke mode: no verdict");
        return;
    }
    let worst = differences.iter().copied().fold(0.0, f64::max);
    assert!(worst < LIMIT, "an address with an account answers {:.1}% apart from one without", worst * 100.0);
}
