//! Sign-in latency: a wrong password against a real account versus an
//! unknown email. They should be indistinguishable (both cost one argon2id
//! verification); also reports how many sign-ins two cores sustain.
//!
//! Run with `cargo bench --bench sign_in`; the test command runs it in smoke
//! mode (`LATCHKEY_BENCH_SMOKE=1`: a few samples) so it cannot rot. The
//! closer comparison of answers for known and unknown addresses is the
//! `enumeration` benchmark.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use latchkey::clock::SystemClock;
use latchkey::config::{DatabaseUrl, Settings};
use latchkey::secrets::MasterKey;
use latchkey::startup::Application;
use serde_json::json;

fn samples() -> usize {
    if std::env::var_os("LATCHKEY_BENCH_SMOKE").is_some() { 4 } else { 60 }
}

/// Each request from its own address (through the trusted proxy header), so
/// the per-client throttle on failed sign-ins never answers early.
fn from(n: usize) -> String {
    std::net::Ipv4Addr::from(0x0a00_0000 | u32::try_from(n).unwrap()).to_string()
}

fn summary(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize];
    println!(
        "{name:<28} mean {:>7.2} ms   median {:>7.2} ms   p95 {:>7.2} ms",
        mean.as_secs_f64() * 1e3,
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.95).as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::defaults().unwrap();
    settings.database_url = DatabaseUrl::new(format!("sqlite://{}", dir.path().join("bench.db").display()));
    settings.master_key = Some(MasterKey::generate().1);
    settings.ip_rate_per_minute = 1_000_000;
    settings.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    let app = Application::build(settings, Arc::new(SystemClock)).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(app.serve(listener, std::future::pending()));
    let client = reqwest::Client::new();

    let samples = samples();
    // One account per sample, so no account reaches the lockout.
    for i in 0..samples {
        let body = json!({"email": format!("user{i}@example.com"), "password": "correct horse battery"});
        assert!(client.post(format!("{base}/v1/users")).json(&body).send().await.unwrap().status().is_success());
    }

    let mut wrong_password = Vec::new();
    let mut unknown_email = Vec::new();
    for i in 0..samples {
        // Interleaved, so drift on the machine affects both series alike.
        for (email, series) in [
            (format!("user{i}@example.com"), &mut wrong_password),
            (format!("ghost{i}@example.com"), &mut unknown_email),
        ] {
            let body = json!({"email": email, "password": "wrong horse battery"});
            let started = Instant::now();
            let response = client
                .post(format!("{base}/v1/sessions"))
                .header("x-forwarded-for", from(i * 2 + usize::from(email.starts_with("ghost"))))
                .json(&body)
                .send()
                .await
                .unwrap();
            series.push(started.elapsed());
            assert_eq!(response.status(), 401);
        }
    }
    println!("sign-in latency over {samples} samples each, sequential:");
    summary("wrong password", wrong_password);
    summary("unknown email", unknown_email);

    let concurrent = if samples < 60 { 8 } else { 100 };
    let started = Instant::now();
    let requests = (0..concurrent).map(|i| {
        let client = client.clone();
        let url = format!("{base}/v1/sessions");
        tokio::spawn(async move {
            let body =
                json!({"email": format!("user{}@example.com", i % samples), "password": "correct horse battery"});
            client.post(url).json(&body).send().await.unwrap().status()
        })
    });
    // Past the hashing pool's queue, sign-ins are shed (503) rather than kept waiting.
    let (mut signed_in, mut shed) = (0_usize, 0_usize);
    for request in requests.collect::<Vec<_>>() {
        match request.await.unwrap().as_u16() {
            201 => signed_in += 1,
            503 => shed += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(signed_in > 0);
    let elapsed = started.elapsed();
    println!(
        "{concurrent} concurrent correct sign-ins: {signed_in} signed in, {shed} shed, {:.2} s, {:.1} sign-ins/s on {} cores",
        elapsed.as_secs_f64(),
        signed_in as f64 / elapsed.as_secs_f64(),
        std::thread::available_parallelism().map(usize::from).unwrap_or(0)
    );
}
