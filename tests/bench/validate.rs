//! Throughput and latency of `POST /v1/licenses/validate` over loopback, on
//! SQLite and on PostgreSQL, next to an axum handler that returns a constant,
//! so the figures read as a ratio to the floor this machine sets.
//!
//! Run with `cargo bench --bench validate` (PostgreSQL from
//! LATCHKEY_TEST_POSTGRES_URL, default the local server). The test command
//! runs it in smoke mode (`LATCHKEY_BENCH_SMOKE=1`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use latchkey::clock::SystemClock;
use latchkey::config::{DatabaseUrl, Settings};
use latchkey::secrets::MasterKey;
use latchkey::startup::Application;
use serde_json::{Value, json};
use sqlx::Connection;

const CONCURRENCY: usize = 32;

/// Warm-up and measurement windows; a blink in smoke mode
/// (`LATCHKEY_BENCH_SMOKE=1`, which the test command sets so this cannot rot).
fn windows() -> (Duration, Duration) {
    if std::env::var_os("LATCHKEY_BENCH_SMOKE").is_some() {
        (Duration::from_millis(50), Duration::from_millis(200))
    } else {
        (Duration::from_secs(1), Duration::from_secs(5))
    }
}

struct Report {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Report {
    fn print(&self, name: &str) {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let pct = |p: f64| sorted[((sorted.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1e3;
        println!(
            "{name:<26} {:>8.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   ({} requests, {CONCURRENCY} concurrent)",
            self.requests as f64 / self.elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.99),
            self.requests
        );
    }
}

/// `CONCURRENCY` clients posting `body` to `url` as fast as answers come.
async fn load(url: String, body: Value) -> Report {
    let client = reqwest::Client::new();
    let run = |until: Instant| {
        let (client, url, body) = (client.clone(), url.clone(), body.clone());
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < until {
                let started = Instant::now();
                let response = client.post(&url).json(&body).send().await.unwrap();
                assert!(response.status().is_success());
                response.bytes().await.unwrap();
                latencies.push(started.elapsed());
            }
            latencies
        })
    };
    let (warmup, measure) = windows();
    let warmup_until = Instant::now() + warmup;
    for task in (0..CONCURRENCY).map(|_| run(warmup_until)).collect::<Vec<_>>() {
        task.await.unwrap();
    }
    let started = Instant::now();
    let until = started + measure;
    let mut latencies = Vec::new();
    for task in (0..CONCURRENCY).map(|_| run(until)).collect::<Vec<_>>() {
        latencies.extend(task.await.unwrap());
    }
    Report { requests: latencies.len(), elapsed: started.elapsed(), latencies }
}

async fn constant_server() -> String {
    let router = axum::Router::new()
        .route("/constant", axum::routing::post(|| async { axum::Json(json!({"valid": true, "code": "VALID"})) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/constant", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

/// Starts Latchkey on `database_url`, issues a license and activates one
/// device; returns the validate URL and a realistic request body.
async fn latchkey(database_url: String) -> (String, Value) {
    let mut settings = Settings::defaults().unwrap();
    settings.database_url = DatabaseUrl::new(database_url);
    settings.master_key = Some(MasterKey::generate().1);
    settings.policies = concat!(env!("CARGO_MANIFEST_DIR"), "/policies").into();
    settings.ip_rate_per_minute = 1_000_000;
    settings.product_rate_per_minute = 1_000_000;
    let app = Application::build(settings, Arc::new(SystemClock)).await.unwrap();
    let admin = app.first_admin_key.as_ref().map(|k| secrecy::ExposeSecret::expose_secret(k).to_owned()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(app.serve(listener, std::future::pending()));
    let client = reqwest::Client::new();
    let issued: Value = client
        .post(format!("{base}/v1/admin/licenses"))
        .bearer_auth(&admin)
        .json(&json!({"policy": "studio-perpetual"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let license = &issued["licenses"][0];
    let credentials = json!({"email": "bench@example.com", "password": "correct horse battery"});
    client.post(format!("{base}/v1/users")).json(&credentials).send().await.unwrap();
    let session: Value =
        client.post(format!("{base}/v1/sessions")).json(&credentials).send().await.unwrap().json().await.unwrap();
    let token = session["token"].as_str().unwrap();
    client
        .post(format!("{base}/v1/me/licenses/redeem"))
        .bearer_auth(token)
        .json(&json!({"activation_code": license["activation_code"]}))
        .send()
        .await
        .unwrap();
    let activated = client
        .post(format!("{base}/v1/activations"))
        .bearer_auth(token)
        .json(&json!({"license_id": license["id"], "fingerprint": "bench-machine"}))
        .send()
        .await
        .unwrap();
    assert!(activated.status().is_success(), "{}", activated.text().await.unwrap());
    let body = json!({"key": license["key"], "fingerprint": "bench-machine", "product": "studio", "nonce": "n"});
    (format!("{base}/v1/licenses/validate"), body)
}

#[tokio::main]
async fn main() {
    println!("validate benchmark on {} cores", std::thread::available_parallelism().map(usize::from).unwrap_or(0));
    load(constant_server().await, json!({})).await.print("constant axum handler");

    let dir = tempfile::tempdir().unwrap();
    let (url, body) = latchkey(format!("sqlite://{}", dir.path().join("bench.db").display())).await;
    load(url, body).await.print("validate on SQLite");

    let admin_url = std::env::var("LATCHKEY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("lk_bench_{}", uuid::Uuid::now_v7().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect("PostgreSQL for the benchmark");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.unwrap();
    let (server, _) = admin_url.rsplit_once('/').unwrap();
    let (url, body) = latchkey(format!("{server}/{name}")).await;
    load(url, body).await.print("validate on PostgreSQL");
    let drop = format!("DROP DATABASE {name} WITH (FORCE)");
    sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&mut admin).await.unwrap();
}
