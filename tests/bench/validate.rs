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
    let mut validations_per_second = 0.0;
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
            validations_per_second = validate.per_second;
        }
        server.stop().await;
    }
    signature_cost(answer_size, validations_per_second);
}

/// Every answer is signed (ES256 over the exact body) so product software
/// can trust it offline; this is what that costs, next to the CPU time one
/// validation has at the throughput just measured on two cores.
fn signature_cost(answer_size: usize, validations_per_second: f64) {
    let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let rng = SystemRandom::new();
    let body = vec![b'x'; answer_size];
    let rounds = if crate::harness::smoke() { 50 } else { 5_000 };
    let started = Instant::now();
    for _ in 0..rounds {
        key.sign(&rng, &body).unwrap();
    }
    let each_us = started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
    let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(1) as f64;
    let budget_us = cores * 1e6 / validations_per_second;
    println!(
        "  the ES256 signature over a {answer_size}-byte answer: {each_us:.1} µs, {:.0}% of the {budget_us:.0} µs of CPU \
         one validation takes at the SQLite throughput",
        100.0 * each_us / budget_us
    );
}
