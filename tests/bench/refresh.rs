//! An app's refresh: `POST /oauth/token` with `grant_type=refresh_token`
//! (the token rotated in one write transaction, then an access token and an
//! ID token signed) over raw ES256 signing on the same machine (every core,
//! in this process). Each of the apps refreshes its own chain back to back,
//! as rotation demands: a refresh token works once.

use std::time::Instant;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use futures::future::join_all;
use serde_json::Value;

use crate::harness::{Db, Server, verdict, window};

const APPS: usize = 16;

pub async fn run() {
    println!("\n== refresh: POST /oauth/token (refresh_token) ÷ raw ES256 signing, {APPS} apps");
    let signing = es256_per_second();
    println!("  raw ES256 signatures          {signing:>10.0} /s (every core)");
    for db in Db::BOTH {
        let server = Server::start(db).await;
        // One after another: sign-ins racing from one address hold each other back.
        let mut chains = Vec::new();
        for n in 0..APPS {
            chains.push(server.oauth_refresh_token(&format!("refresh-{n}@example.com")).await);
        }
        let deadline = Instant::now() + window();
        let started = Instant::now();
        let refreshed = join_all(chains.into_iter().map(|first| refresh_until(&server, first, deadline))).await;
        let elapsed = started.elapsed().as_secs_f64();
        let mut latencies: Vec<f64> = refreshed.into_iter().flatten().collect();
        latencies.sort_by(f64::total_cmp);
        let per_second = latencies.len() as f64 / elapsed;
        let p99 = latencies.get(latencies.len() * 99 / 100).copied().unwrap_or(0.0);
        let ratio = per_second / signing;
        println!("  refresh on {:<18} {per_second:>10.0} /s   p99 {p99:.1} ms", db.name());
        println!("  ratio {ratio:.3} (goal ≥ 0.3) {}", verdict(ratio, 0.3, true));
        server.stop().await;
    }
}

/// One app refreshing until `deadline`: each answer's latency, in ms.
async fn refresh_until(server: &Server, first: String, deadline: Instant) -> Vec<f64> {
    let mut token = first;
    let mut latencies = Vec::new();
    while Instant::now() < deadline {
        let sent = Instant::now();
        let form = [("grant_type", "refresh_token"), ("client_id", "bench-app"), ("refresh_token", token.as_str())];
        let response = server.client.post(server.url("/oauth/token")).form(&form).send().await.unwrap();
        let status = response.status();
        let answer: Value = response.json().await.unwrap();
        assert!(status.is_success(), "refresh: {status} {answer}\n{}", server.log());
        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
        token = answer["refresh_token"].as_str().unwrap().to_owned();
    }
    latencies
}

/// ES256 signatures a second with every core signing, for the window.
fn es256_per_second() -> f64 {
    let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(1);
    let deadline = Instant::now() + window();
    let started = Instant::now();
    let signed: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..cores)
            .map(|_| {
                scope.spawn(move || {
                    let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
                    let (rng, message) = (SystemRandom::new(), [b'x'; 600]);
                    let mut count = 0;
                    while Instant::now() < deadline {
                        key.sign(&rng, &message).unwrap();
                        count += 1;
                    }
                    count
                })
            })
            .collect();
        workers.into_iter().map(|worker| worker.join().unwrap()).sum()
    });
    signed as f64 / started.elapsed().as_secs_f64()
}
