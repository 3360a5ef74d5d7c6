//! Minting at the cost of a read: `POST /v1/tokens` (a widget JWT: session,
//! license and EULA checks, then a signature, nothing written) over
//! `GET /v1/me` (the same session check), 32 clients.

use serde_json::json;

use crate::harness::{Db, Request, Server, smoke, verdict, wrk};

const CLIENTS: u32 = 32;

pub async fn run() {
    println!("\n== minting: POST /v1/tokens ÷ GET /v1/me, {CLIENTS} clients");
    for db in Db::BOTH {
        let server = Server::start(db).await;
        let licensed = server.licensed_device("minting@example.com").await;
        let minted = server.post_ok("/v1/tokens", Some(&licensed.session), &json!({"audience": "widget"})).await;
        assert!(minted["token"].as_str().is_some_and(|t| t.split('.').count() == 3), "{minted}");

        let me = wrk(&server, &Request::get("/v1/me").bearer(&licensed.session), CLIENTS).clean("/v1/me");
        let mint = Request::post("/v1/tokens", json!({"audience": "widget"})).bearer(&licensed.session);
        let mint = wrk(&server, &mint, CLIENTS).clean("minting");
        let ratio = mint.per_second / me.per_second;
        println!("{}", me.row(&format!("GET /v1/me ({})", db.name())));
        println!("{}", mint.row(&format!("POST /v1/tokens on {}", db.name())));
        println!("  ratio {ratio:.2} (goal ≥ 0.7) {}", verdict(ratio, 0.7, true));
        let p99 = if smoke() { "(smoke run: no verdict)" } else { verdict(mint.p99_ms, 20.0, false) };
        println!("  minting p99 {:.1} ms (goal under 20 ms) {p99}", mint.p99_ms);
        server.stop().await;
    }
}
