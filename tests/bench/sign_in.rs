//! Sign-in costs what argon2id costs: correct sign-ins per second over the
//! hashes per second of a reference argon2id (argon2-cffi, the same
//! parameters, one process per core), measured in the same run.

use std::process::Command;

use serde_json::json;

use crate::harness::{Db, PASSWORD, Request, Server, script, verdict, window, wrk};

/// Enough to keep every hashing worker busy, fewer than the queue in front
/// of them holds: none is shed.
const CLIENTS: u32 = 4;

pub async fn run() {
    println!("\n== sign_in: correct sign-ins ÷ reference argon2id, {CLIENTS} clients");
    let reference = reference_hashes_per_second();
    println!("{:<44} {reference:>8.1} hashes/s", "argon2-cffi, m=19456 t=2 p=1, every core");
    for db in Db::BOTH {
        let server = Server::start(db).await;
        server.signed_in("sign-in@example.com").await;
        let credentials = json!({"email": "sign-in@example.com", "password": PASSWORD});
        let load = wrk(&server, &Request::post("/v1/sessions", credentials), CLIENTS).clean("sign-in");
        let ratio = load.per_second / reference;
        println!("{}", load.row(&format!("correct sign-ins on {}", db.name())));
        println!("  ratio {ratio:.2} (goal ≥ 0.9) {}", verdict(ratio, 0.9, true));
        server.stop().await;
    }
}

fn reference_hashes_per_second() -> f64 {
    let output = Command::new("python3")
        .arg(script("argon2_reference.py"))
        .arg(window().as_secs_f64().to_string())
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3: {e}"));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the argon2 reference failed (pip install argon2-cffi): {text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    text.trim().parse().unwrap_or_else(|_| panic!("the argon2 reference printed {text:?}"))
}
