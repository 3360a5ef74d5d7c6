//! Latchkey's benchmarks, each figure a ratio to a limit measured in the
//! same run on the same machine:
//!
//! - `validate`: `POST /v1/licenses/validate` ÷ `GET /healthz`, on both
//!   databases, and what the answer's signature costs;
//! - `minting`: `POST /v1/tokens` ÷ `GET /v1/me` (the same session check);
//! - `sign_in`: correct sign-ins ÷ a reference argon2id (argon2-cffi, the
//!   same parameters, every core);
//! - `flood`: validation's p99 while 64 clients flood sign-in, and the
//!   resident memory before and after;
//! - `enumeration`: answers for addresses with and without an account;
//! - `refresh`: an app's refresh grant (rotation and signing) ÷ raw ES256 signing.
//!
//! `cargo bench` runs them all against the release binary (`wrk` and
//! PostgreSQL from LATCHKEY_TEST_POSTGRES_URL, default the local server);
//! `cargo bench -- validate flood` runs some. The test command runs them in
//! smoke mode (`LATCHKEY_BENCH_SMOKE=1`: a second a load, no verdicts) so a
//! change that breaks one fails CI.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod enumeration;
mod flood;
mod harness;
mod minting;
mod refresh;
mod sign_in;
mod validate;

#[tokio::main]
async fn main() {
    harness::check_report_reader();
    let chosen: Vec<String> = std::env::args().skip(1).filter(|arg| !arg.starts_with("--")).collect();
    let wanted = |name: &str| chosen.is_empty() || chosen.iter().any(|c| c == name);
    println!(
        "Latchkey benchmarks on {} cores{}",
        std::thread::available_parallelism().map(usize::from).unwrap_or(0),
        if harness::smoke() { " (smoke run)" } else { "" }
    );
    if wanted("validate") {
        validate::run().await;
    }
    if wanted("minting") {
        minting::run().await;
    }
    if wanted("sign_in") {
        sign_in::run().await;
    }
    if wanted("flood") {
        flood::run().await;
    }
    if wanted("enumeration") {
        enumeration::run().await;
    }
    if wanted("refresh") {
        refresh::run().await;
    }
}
