//! A sign-in flood slows nothing else: validation's latency (4 clients)
//! while 64 clients sign in as fast as they are answered, next to the same
//! validation alone; and the process's resident memory idle and after the
//! flood (argon2id takes 19 MiB a hash, which must not pile up).

use std::time::Duration;

use serde_json::json;

use crate::harness::{Db, PASSWORD, Request, Server, smoke, start_wrk, verdict, window, wrk};

const VALIDATING: u32 = 4;
const FLOODING: u32 = 64;

pub async fn run() {
    println!("\n== flood: validation ({VALIDATING} clients) while {FLOODING} clients flood sign-in");
    for db in Db::BOTH {
        let server = Server::start(db).await;
        let idle = server.resident_mib();
        let licensed = server.licensed_device("flood-validate@example.com").await;
        server.signed_in("flood@example.com").await;
        let validate = Request::post("/v1/licenses/validate", licensed.validate_body());
        let alone = wrk(&server, &validate, VALIDATING).clean("validate alone");

        let credentials = json!({"email": "flood@example.com", "password": PASSWORD});
        let flood = start_wrk(&server, &Request::post("/v1/sessions", credentials), FLOODING, window() * 2);
        // Validation is measured in the middle of the flood, not its ramp.
        tokio::time::sleep(window() / 2).await;
        let during = start_wrk(&server, &validate, VALIDATING, window()).finish().clean("validate during the flood");
        let flood = flood.finish();
        assert_eq!(flood.errors, 0, "the flood's connections failed: {flood:?}");
        assert!(flood.requests > flood.refused, "no sign-in succeeded during the flood: {flood:?}");
        // The queue's end is shed at once; let the last sign-ins finish.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = server.resident_mib();

        println!("{}", alone.row(&format!("validate alone ({})", db.name())));
        println!("{}", during.row(&format!("validate during the flood ({})", db.name())));
        println!(
            "  the flood: {:.1} sign-ins/s, {} of {} shed with 503",
            flood.succeeded_per_second(window() * 2),
            flood.refused,
            flood.requests
        );
        let p99 = if smoke() { "(smoke run: no verdict)" } else { verdict(during.p99_ms, 10.0, false) };
        println!(
            "  p99 during ÷ alone {:.2}; p99 during {:.2} ms (goal under 10 ms) {p99}",
            during.p99_ms / alone.p99_ms,
            during.p99_ms
        );
        println!(
            "  resident memory: idle {idle:.1} MiB (goal under 25) {}, after the flood {after:.1} MiB (goal under 100) {}",
            verdict(idle, 25.0, false),
            verdict(after, 100.0, false)
        );
        server.stop().await;
    }
}
