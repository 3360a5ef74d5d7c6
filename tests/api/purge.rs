//! The periodic purge and the bounds on signing-key rotation: stale rows go,
//! fresh ones stay, on both backends, with time moved by hand.

use std::sync::Arc;

use latchkey::store::{NewUser, Rotation, RotationLimits, SigningKeyRecord, Store};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;
use time::{Duration, OffsetDateTime};

use crate::helpers::{Backend, TestApp, TestDb, assert_problem};
use crate::on_both_backends;

on_both_backends!(
    purge_removes_only_rows_that_can_no_longer_matter,
    purges_running_at_once_remove_each_row_once,
    rotation_is_bounded_per_hour_and_by_published_keys,
);

fn t0() -> OffsetDateTime {
    time::macros::datetime!(2026-03-01 12:00:00 UTC)
}

fn ms(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap()
}

/// Runs statements straight on the test database, as the rows' owners would have.
async fn exec(db: &TestDb, backend: Backend, statements: &[String]) {
    match backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            for statement in statements {
                sqlx::query(sqlx::AssertSqlSafe(statement.clone())).execute(&mut conn).await.unwrap();
            }
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            for statement in statements {
                sqlx::query(sqlx::AssertSqlSafe(statement.clone())).execute(&mut conn).await.unwrap();
            }
        }
    }
}

/// The values of one text column, sorted.
async fn column(db: &TestDb, backend: Backend, query: &str) -> Vec<String> {
    let query = sqlx::AssertSqlSafe(query.to_owned());
    let mut values: Vec<String> = match backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query_scalar(query).fetch_all(&mut conn).await.unwrap()
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query_scalar(query).fetch_all(&mut conn).await.unwrap()
        }
    };
    values.sort();
    values
}

async fn user(store: &dyn Store, email: &str) -> String {
    let id = latchkey::domain::ids::UserId::new();
    let new =
        NewUser { id: id.clone(), email: email.into(), name: None, password_hash: "$argon2id$x".into(), now: t0() };
    store.create_user(&new).await.unwrap();
    id.to_string()
}

async fn purge_removes_only_rows_that_can_no_longer_matter(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let ada = user(store.as_ref(), "ada@example.com").await;
    let bob = user(store.as_ref(), "bob@example.com").await;
    let now = t0();
    let (past, future) = (ms(now - Duration::seconds(1)), ms(now + Duration::hours(1)));
    let created = ms(now - Duration::days(40));
    let mut rows = vec![
        // Attempts count for 15 minutes.
        format!(
            "INSERT INTO attempts (id, kind, subject, at) VALUES ('stale', 'password', 'x', {})",
            ms(now - Duration::minutes(16))
        ),
        format!(
            "INSERT INTO attempts (id, kind, subject, at) VALUES ('fresh', 'password', 'x', {})",
            ms(now - Duration::minutes(14))
        ),
    ];
    for (id, expires, revoked) in [
        ("stale", past, "NULL"),
        ("stale-revoked", past, "1"),
        ("fresh", future, "NULL"),
        ("fresh-revoked", future, "1"),
    ] {
        rows.push(format!(
            "INSERT INTO sessions (id, user_id, token_hash, created_at, last_seen_at, expires_at, auth_time, amr, revoked_at) \
             VALUES ('{id}', '{ada}', 'th-{id}', {created}, {created}, {expires}, {created}, '[]', {revoked})"
        ));
    }
    for (id, expires) in [("stale", past), ("fresh", future)] {
        rows.push(format!(
            "INSERT INTO email_tokens (token_hash, purpose, user_id, email, created_at, expires_at) \
             VALUES ('{id}', 'password_reset', '{ada}', 'ada@example.com', {created}, {expires})"
        ));
        rows.push(format!(
            "INSERT INTO webauthn_challenges (id, purpose, state, created_at, expires_at) VALUES ('{id}', 'sign_in', '{{}}', {created}, {expires})"
        ));
        rows.push(format!(
            "INSERT INTO pending_sign_ins (id, user_id, token_hash, amr, created_at, expires_at) \
             VALUES ('{id}', '{ada}', 'th-{id}', '[]', {created}, {expires})"
        ));
        rows.push(format!(
            "INSERT INTO known_devices (token_hash, user_id, created_at, expires_at) VALUES ('{id}', '{ada}', {created}, {expires})"
        ));
        rows.push(format!(
            "INSERT INTO revoked_tokens (jti, expires_at, revoked_at) VALUES ('{id}', {expires}, {created})"
        ));
        // A retired key is kept while it is published; the current key always.
        rows.push(format!(
            "INSERT INTO signing_keys (kid, alg, private_sealed, public_jwk, created_at, retired_at, publish_until) \
             VALUES ('{id}', 'ES256', 'x', '{{}}', {created}, {created}, {expires})"
        ));
    }
    rows.push(format!(
        "INSERT INTO signing_keys (kid, alg, private_sealed, public_jwk, created_at) VALUES ('current', 'ES256', 'x', '{{}}', {created})"
    ));
    // An app's sign-in ends when it runs out or is revoked, taking its codes and refresh tokens along.
    for (id, expires, revoked) in [
        ("stale", past.to_string(), "NULL".to_owned()),
        ("fresh", future.to_string(), "NULL".to_owned()),
        ("revoked-stale", future.to_string(), created.to_string()),
    ] {
        rows.push(format!(
            "INSERT INTO oauth_grants (id, client_id, user_id, scope, auth_time, amr, created_at, expires_at, revoked_at) \
             VALUES ('{id}', 'desktop', '{ada}', 'openid', {created}, '[]', {created}, {expires}, {revoked})"
        ));
        rows.push(format!(
            "INSERT INTO oauth_refresh_tokens (token_hash, grant_id, issued_at) VALUES ('{id}', '{id}', {created})"
        ));
    }
    for (id, expires) in [("stale", past), ("fresh", future)] {
        rows.push(format!(
            "INSERT INTO oauth_codes (code_hash, grant_id, redirect_uri, code_challenge, expires_at) \
             VALUES ('{id}', 'fresh', 'http://127.0.0.1/cb', 'x', {expires})"
        ));
    }
    for (id, expires) in [("stale", past), ("fresh", future)] {
        rows.push(format!("INSERT INTO dpop_proofs (proof_hash, expires_at) VALUES ('{id}', {expires})"));
    }
    rows.push(format!(
        "INSERT INTO support_pins (user_id, pin_hash, created_at, expires_at) VALUES ('{ada}', 'x', {created}, {past})"
    ));
    rows.push(format!("INSERT INTO support_pins (user_id, pin_hash, created_at, expires_at) VALUES ('{bob}', 'x', {created}, {future})"));
    // Sent or given-up mail is kept a week; mail still to send is never purged.
    let (eight_days, six_days) = (ms(now - Duration::days(8)), ms(now - Duration::days(6)));
    for (id, sent, failed) in [
        ("sent-stale", eight_days.to_string(), "NULL".to_owned()),
        ("failed-stale", "NULL".to_owned(), eight_days.to_string()),
        ("sent-fresh", six_days.to_string(), "NULL".to_owned()),
        ("waiting", "NULL".to_owned(), "NULL".to_owned()),
    ] {
        rows.push(format!(
            "INSERT INTO outbox (id, kind, user_id, recipient, detail, created_at, next_attempt_at, sent_at, failed_at) \
             VALUES ('{id}', 'password_reset', '{ada}', 'ada@example.com', '{{}}', {created}, {created}, {sent}, {failed})"
        ));
    }
    exec(&db, backend, &rows).await;

    let purged = store.purge(now).await.unwrap();

    for (table, key, removed) in [
        ("attempts", "id", 1),
        ("sessions", "id", 2),
        ("email_tokens", "token_hash", 1),
        ("webauthn_challenges", "id", 1),
        ("pending_sign_ins", "id", 1),
        ("known_devices", "token_hash", 1),
        ("revoked_tokens", "jti", 1),
        ("signing_keys", "kid", 1),
        ("outbox", "id", 2),
        ("support_pins", "user_id", 1),
        ("oauth_codes", "code_hash", 1),
        ("oauth_grants", "id", 2),
        ("dpop_proofs", "proof_hash", 1),
    ] {
        assert_eq!(purged.of(table), removed, "{table}: {purged:?}");
        let left = column(&db, backend, &format!("SELECT {key} FROM {table}")).await;
        assert!(
            left.iter().all(|k| !k.starts_with("stale") && !k.ends_with("-stale") && *k != ada),
            "{table}: {left:?}"
        );
    }
    assert_eq!(column(&db, backend, "SELECT id FROM sessions").await, ["fresh", "fresh-revoked"]);
    assert_eq!(
        column(&db, backend, "SELECT id FROM outbox WHERE kind = 'password_reset'").await,
        ["sent-fresh", "waiting"]
    );
    assert_eq!(column(&db, backend, "SELECT kid FROM signing_keys").await, ["current", "fresh"]);
    assert_eq!(column(&db, backend, "SELECT user_id FROM support_pins").await, [bob]);
    assert_eq!(column(&db, backend, "SELECT token_hash FROM oauth_refresh_tokens").await, ["fresh"]);

    // Nothing left to do: a second run removes nothing.
    let again = store.purge(now).await.unwrap();
    assert!(again.by_table.iter().all(|(_, n)| *n == 0), "{again:?}");
}

async fn purges_running_at_once_remove_each_row_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let old = ms(t0() - Duration::hours(1));
    // More than one batch, so the runs interleave.
    let statements: Vec<String> = (0..3)
        .map(|chunk| {
            let values: Vec<String> =
                (0..400).map(|i| format!("('a-{chunk}-{i:03}', 'client', '192.0.2.1', {old})")).collect();
            format!("INSERT INTO attempts (id, kind, subject, at) VALUES {}", values.join(", "))
        })
        .collect();
    exec(&db, backend, &statements).await;
    let other = db.store().await;
    let (a, b) = tokio::join!(store.purge(t0()), other.purge(t0()));
    assert_eq!(a.unwrap().of("attempts") + b.unwrap().of("attempts"), 1200);
    assert!(column(&db, backend, "SELECT id FROM attempts").await.is_empty());
}

fn key(kid: &str, at: OffsetDateTime) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: kid.into(),
        alg: "ES256".into(),
        private_sealed: "x".into(),
        public_jwk: "{}".into(),
        created_at: at,
        retired_at: None,
        publish_until: None,
    }
}

async fn rotation_is_bounded_per_hour_and_by_published_keys(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store: Arc<dyn Store> = db.store().await;
    let limits = RotationLimits { per_hour: 3, max_published: 2 };
    let retention = Duration::days(1);
    let minute = |n: i64| t0() + Duration::minutes(n);
    store.current_signing_key(&key("k0", t0())).await.unwrap();
    for (n, kid) in [(1, "k1"), (2, "k2")] {
        let rotated = store.rotate_signing_key(&key(kid, minute(n)), minute(n) + retention, limits).await.unwrap();
        assert_eq!(rotated, Rotation::Rotated);
    }
    // Three keys made within the hour: the next waits until the first is an hour old.
    let refused = store.rotate_signing_key(&key("k3", minute(3)), minute(3) + retention, limits).await.unwrap();
    assert_eq!(refused, Rotation::TooFrequent { retry_at: t0() + Duration::hours(1) });
    // An hour on, two retired keys are still published: wait until the first leaves the JWKS.
    let later = minute(61);
    let refused = store.rotate_signing_key(&key("k3", later), later + retention, limits).await.unwrap();
    assert_eq!(refused, Rotation::TooManyPublished { retry_at: minute(1) + retention });
    let published: Vec<String> =
        store.published_signing_keys(later).await.unwrap().into_iter().map(|k| k.kid).collect();
    assert_eq!(published, ["k2", "k1", "k0"], "a refused rotation changes nothing");
    // Once the first is past its publication the purge removes it, and rotation goes on.
    let day_on = minute(1) + retention;
    assert_eq!(store.purge(day_on).await.unwrap().of("signing_keys"), 1);
    let rotated = store.rotate_signing_key(&key("k3", day_on), day_on + retention, limits).await.unwrap();
    assert_eq!(rotated, Rotation::Rotated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_too_often_answers_rate_limited_with_retry_after() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin_key().to_owned();
    // The first key is made on first use and counts as one of the hour's keys.
    assert_eq!(app.get("/.well-known/jwks.json", None).await.status(), StatusCode::OK);
    for _ in 1..latchkey::tokens::ROTATIONS_PER_HOUR {
        let rotated = app.post("/v1/admin/signing-keys/rotate", &json!({}), Some(&admin)).await;
        assert_eq!(rotated.status(), StatusCode::OK);
    }
    let refused = app.post("/v1/admin/signing-keys/rotate", &json!({}), Some(&admin)).await;
    let retry_after: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((3500..=3600).contains(&retry_after), "{retry_after}");
    let problem: Value = assert_problem(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert!(problem["detail"].as_str().unwrap().contains("rotated"), "{problem}");
    app.clock.advance(Duration::hours(1));
    let rotated = app.post("/v1/admin/signing-keys/rotate", &json!({}), Some(&admin)).await;
    assert_eq!(rotated.status(), StatusCode::OK);
}

/// The purge runs by itself on every instance and is counted per table.
/// Real time passes here (the interval is tokio's), so the interval is short.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_app_purges_on_its_interval_and_counts_rows() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn_on(db.clone(), |s| s.purge_interval = std::time::Duration::from_secs(1)).await;
    let stale = ms(app.clock_now() - Duration::hours(1));
    exec(
        &db,
        Backend::Sqlite,
        &[format!("INSERT INTO attempts (id, kind, subject, at) VALUES ('old', 'client', 'x', {stale})")],
    )
    .await;
    let counted = r#"latchkey_rows_purged_total{table="attempts"} 1"#;
    for _ in 0..100 {
        let metrics = app.get("/metrics", None).await.text().await.unwrap();
        if metrics.contains(counted) {
            assert!(column(&db, Backend::Sqlite, "SELECT id FROM attempts").await.is_empty());
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the purge did not run: no `{counted}`");
}
