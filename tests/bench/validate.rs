//! Validation near the speed of an empty answer: `POST /v1/licenses/validate`
//! (license, activation, seats and EULA standing, and a signed answer) over
//! `GET /healthz` on the same server, 32 clients.

use std::time::Instant;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};

use crate::harness::{Db, Request, Server, verdict, wrk};

const CLIENTS: u32 = 32;

pub async fn run() {
    println!("\n== validate: POST /v1/licenses/validate ÷ GET /healthz, {CLIENTS} clients");
    let mut answer_size = 0;
    let mut sqlite_server_cpu = (0.0, 0.0);
    for db in Db::BOTH {
        let server = Server::start(db).await;
        let licensed = server.licensed_device("validate@example.com").await;
        // What is measured is a device that may run, not a fast refusal.
        let answer = server.post_ok("/v1/licenses/validate", None, &licensed.validate_body()).await;
        assert_eq!((answer["valid"].as_bool(), answer["code"].as_str()), (Some(true), Some("VALID")), "{answer}");
        answer_size = answer.to_string().len();

        let health = wrk(&server, &Request::get("/healthz"), CLIENTS).clean("healthz");
        let validate =
            wrk(&server, &Request::post("/v1/licenses/validate", licensed.validate_body()), CLIENTS).clean("validate");
        let ratio = validate.per_second / health.per_second;
        let goal = if db == Db::Sqlite { 0.6 } else { 0.4 };
        println!("{}", health.row(&format!("GET /healthz ({})", db.name())));
        println!("{}", validate.row(&format!("validate on {}", db.name())));
        println!("  ratio {ratio:.2} (goal ≥ {goal}) {}", verdict(ratio, goal, true));
        if db == Db::Sqlite {
            sqlite_server_cpu = (health.server_cpu_us, validate.server_cpu_us);
        }
        server.stop().await;
    }
    signature_cost(answer_size, sqlite_server_cpu);
}

/// Every answer is signed (ES256 over the exact body) so product software
/// can trust it offline; this is what that costs, next to what a
/// validation costs the server beyond an empty answer.
fn signature_cost(answer_size: usize, (health_us, validate_us): (f64, f64)) {
    let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let rng = SystemRandom::new();
    let body = vec![b'x'; answer_size];
    let rounds = if crate::harness::smoke() { 50 } else { 5_000 };
    let started = Instant::now();
    for _ in 0..rounds {
        key.sign(&rng, &body).unwrap();
    }
    let each_us = started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
    let beyond_us = validate_us - health_us;
    println!(
        "  server CPU a request on SQLite: healthz {health_us:.1} µs, validate {validate_us:.1} µs; of the {beyond_us:.1} µs \
         more, the ES256 signature over the {answer_size}-byte answer is {each_us:.1} µs ({:.0}%)",
        100.0 * each_us / beyond_us.max(f64::EPSILON)
    );
}
