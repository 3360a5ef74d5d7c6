//! An app's refresh: `POST /oauth/token` with `grant_type=refresh_token`
//! (the token rotated in one write transaction, then an access token and an
//! ID token signed) over raw ES256 signing on the same machine (every core,
//! in this process). Each of the apps refreshes its own chain back to back,
//! as rotation demands: a refresh token works once.
//!
//! Beside it, the figure that bounds it: durable commits a second on the
//! same database, as many writers, one row each (what a rotation must at
//! least write), measured in the same run.

use std::time::Instant;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use futures::future::join_all;
use serde_json::Value;

use crate::harness::{Db, ScratchDatabase, Server, verdict, window};

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
        let commits = durable_commits_per_second(db).await;
        println!("  durable one-row commits on {:<10} {commits:>6.0} /s ({APPS} writers)", db.name());
        println!("  refresh ÷ durable commits {:.2}", per_second / commits);
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

/// Transactions of one inserted row each, committed durably (SQLite in WAL
/// with `synchronous = full`, as the server runs it; PostgreSQL as
/// configured), from `APPS` writers at once until the window ends.
async fn durable_commits_per_second(db: Db) -> f64 {
    use sqlx::Connection;
    let started = Instant::now();
    let deadline = started + window();
    const INSERT: &str = "INSERT INTO commits (writer) VALUES ($1)";
    let total: u64 = match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(dir.path().join("commits.db"))
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
                .busy_timeout(std::time::Duration::from_secs(10));
            let mut setup = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
            sqlx::query("CREATE TABLE commits (id INTEGER PRIMARY KEY, writer BIGINT NOT NULL)")
                .execute(&mut setup)
                .await
                .unwrap();
            let writers = (0..APPS).map(|writer| {
                let options = options.clone();
                async move {
                    let mut connection = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
                    let mut committed = 0u64;
                    while Instant::now() < deadline {
                        let mut tx = connection.begin_with("BEGIN IMMEDIATE").await.unwrap();
                        sqlx::query(INSERT).bind(writer as i64).execute(&mut *tx).await.unwrap();
                        tx.commit().await.unwrap();
                        committed += 1;
                    }
                    committed
                }
            });
            join_all(writers).await.into_iter().sum()
        }
        Db::Postgres => {
            let (database, url) = ScratchDatabase::create().await;
            let mut setup = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query("CREATE TABLE commits (id BIGSERIAL PRIMARY KEY, writer BIGINT NOT NULL)")
                .execute(&mut setup)
                .await
                .unwrap();
            let writers = (0..APPS).map(|writer| {
                let url = url.clone();
                async move {
                    let mut connection = sqlx::PgConnection::connect(&url).await.unwrap();
                    let mut committed = 0u64;
                    while Instant::now() < deadline {
                        let mut tx = connection.begin().await.unwrap();
                        sqlx::query(INSERT).bind(writer as i64).execute(&mut *tx).await.unwrap();
                        tx.commit().await.unwrap();
                        committed += 1;
                    }
                    committed
                }
            });
            let total = join_all(writers).await.into_iter().sum();
            drop(setup);
            database.drop_now().await;
            total
        }
    };
    total as f64 / started.elapsed().as_secs_f64()
}
