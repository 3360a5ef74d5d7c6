//! Scale-out as a vendor deploys it: the shared PostgreSQL is migrated as a
//! step of its own, an instance refuses a schema it cannot serve (and says
//! what to do), and four instances behind PgBouncer, in the pooling mode
//! the README recommends, behave as one gateway, one of them restarted in
//! the middle of the load.

use std::sync::Arc;

use futures::future::join_all;
use latchkey::clock::ManualClock;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Digest;
use sqlx::Connection;

use crate::helpers::{Backend, TestApp, TestDb, assert_problem, test_settings, totp_code};

const POLICIES: &[(&str, &str)] = &[
    (
        "trio.toml",
        "name = \"trio\"\nproduct = \"studio\"\nmax_activations = 3\nbinding = \"node_locked\"\nactivation_code_uses = 1\n",
    ),
    (
        "terms.toml",
        "name = \"terms\"\nproduct = \"notes\"\nmax_activations = 5\nbinding = \"node_locked\"\n[eula]\nrequired = true\n",
    ),
];

/// The newest migration this build has.
fn newest_migration() -> i64 {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join("postgres");
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|entry| entry.unwrap().file_name().to_str()?.split('_').next()?.parse::<i64>().ok())
        .max()
        .unwrap()
}

async fn sql(db: &TestDb, statements: &[&str]) {
    let mut connection = sqlx::PgConnection::connect(&db.url).await.unwrap();
    for statement in statements {
        sqlx::query(sqlx::AssertSqlSafe(*statement)).execute(&mut connection).await.unwrap();
    }
}

/// What `latchkey serve` says when it starts on `db`.
async fn start(db: &TestDb) -> Result<(), String> {
    latchkey::startup::Application::build(test_settings(db), Arc::new(ManualClock::starting_now()))
        .await
        .map(drop)
        .map_err(|error| error.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_a_schema_it_cannot_serve() {
    let newest = newest_migration();

    // Migrated by `latchkey migrate` (as TestDb does): it serves.
    let current = TestDb::new(Backend::Postgres).await;
    assert_eq!(start(&current).await, Ok(()));

    // Never migrated: refused, with the step to take.
    let fresh = TestDb::new(Backend::Postgres).await;
    sql(&fresh, &["DROP TABLE _sqlx_migrations"]).await;
    let refused = start(&fresh).await.unwrap_err();
    assert!(
        refused.contains(&format!("at version 0, and this build needs {newest}: run `latchkey migrate`")),
        "{refused}"
    );

    // One migration short (an upgrade whose `latchkey migrate` was skipped).
    let behind = TestDb::new(Backend::Postgres).await;
    sql(&behind, &[&format!("DELETE FROM _sqlx_migrations WHERE version = {newest}")]).await;
    let refused = start(&behind).await.unwrap_err();
    assert!(
        refused.contains(&format!("at version {}, and this build needs {newest}: run `latchkey migrate`", newest - 1)),
        "{refused}"
    );

    // Ahead, by two migrations that only add (each copying the oldest build
    // of the one before): an old instance during a rolling upgrade serves.
    let ahead = TestDb::new(Backend::Postgres).await;
    let (future, later) = (newest + 1, newest + 2);
    let oldest: i64 = {
        let mut connection = sqlx::PgConnection::connect(&ahead.url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT oldest_build FROM schema_compat WHERE version = {newest}"
        )))
        .fetch_one(&mut connection)
        .await
        .unwrap()
    };
    let record = |version: i64| {
        format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES ({version}, 'a later addition', TRUE, '\\x00'::bytea, 0)"
        )
    };
    sql(
        &ahead,
        &[
            &record(future),
            &format!("INSERT INTO schema_compat (version, oldest_build) VALUES ({future}, {oldest})"),
            &record(later),
            &format!("INSERT INTO schema_compat (version, oldest_build) VALUES ({later}, {oldest})"),
        ],
    )
    .await;
    assert_eq!(start(&ahead).await, Ok(()), "additions only: old builds go on serving");
    // A running instance of the old build stays ready while the schema only gained.
    let running = TestApp::spawn_on(ahead.clone(), |_| {}).await;
    assert_eq!(running.get("/readyz", None).await.status(), StatusCode::OK);
    // Ahead by one that changed what old builds read: refused.
    sql(&ahead, &[&format!("UPDATE schema_compat SET oldest_build = {future} WHERE version >= {future}")]).await;
    let refused = start(&ahead).await.unwrap_err();
    assert!(
        refused.contains(&format!(
            "newer than this build knows ({newest}), and migration {future} is not compatible with older builds"
        )),
        "{refused}"
    );
    // And an instance already running on it leaves the load balancer.
    assert_eq!(running.get("/readyz", None).await.status(), StatusCode::SERVICE_UNAVAILABLE);
    // A migration that says nothing of itself is taken as not compatible.
    sql(&ahead, &[&format!("DELETE FROM schema_compat WHERE version >= {future}")]).await;
    assert!(start(&ahead).await.unwrap_err().contains(&format!("migration {future} is not compatible")));

    // A migration that failed part-way.
    let dirty = TestDb::new(Backend::Postgres).await;
    sql(&dirty, &[&format!("UPDATE _sqlx_migrations SET success = FALSE WHERE version = {newest}")]).await;
    assert!(start(&dirty).await.unwrap_err().contains(&format!("migration {newest} did not finish")));
}

/// Every migration from the compatibility table on says which builds may
/// serve it, so that rolling upgrades can rely on the table.
#[test]
fn every_migration_says_which_builds_may_serve_it() {
    for dialect in ["postgres", "sqlite"] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(dialect);
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let version: i64 = name.split('_').next().unwrap().parse().unwrap();
            if version < 16 {
                continue;
            }
            let text = std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(dialect).join(&name),
            )
            .unwrap();
            let records_itself = text.lines().any(|line| {
                line.starts_with("INSERT INTO schema_compat") && line.contains(&format!("VALUES ({version},"))
            });
            assert!(records_itself, "migrations/{dialect}/{name} must insert its own row into schema_compat");
        }
    }
}

struct Fleet {
    apps: Vec<TestApp>,
    db: Arc<TestDb>,
    clock: Arc<ManualClock>,
    policies: tempfile::TempDir,
}

impl Fleet {
    async fn instance(&self) -> TestApp {
        let path = self.policies.path().to_owned();
        TestApp::spawn_with_clock(self.db.clone(), self.clock.clone(), move |s| s.policies = path).await
    }

    fn app(&self, n: usize) -> &TestApp {
        &self.apps[n % self.apps.len()]
    }

    fn admin(&self) -> &str {
        self.apps[0].admin_key()
    }

    async fn issue(&self, policy: &str) -> Value {
        let response = self.apps[1].post("/v1/admin/licenses", &json!({"policy": policy}), Some(self.admin())).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json::<Value>().await.unwrap()["licenses"][0].clone()
    }
}

fn sha256(text: &str) -> String {
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_instances_behind_pgbouncer_behave_as_one() {
    let db = TestDb::behind_pgbouncer().await;
    let policies = tempfile::tempdir().unwrap();
    for (name, text) in POLICIES {
        std::fs::write(policies.path().join(name), text).unwrap();
    }
    let mut fleet = Fleet { apps: Vec::new(), db, clock: Arc::new(ManualClock::starting_now()), policies };
    for _ in 0..4 {
        let app = fleet.instance().await;
        fleet.apps.push(app);
    }
    assert!(fleet.apps[0].admin_key.is_some(), "the first instance bootstraps");
    assert!(fleet.apps[1..].iter().all(|app| app.admin_key.is_none()), "and only the first");

    // Fifty activations for three seats, spread over the four instances.
    let trio = fleet.issue("trio").await;
    let license_id = trio["id"].as_str().unwrap().to_owned();
    let (email, password, token) = fleet.app(0).signed_in_user().await;
    let redeemed = fleet
        .app(2)
        .post("/v1/me/licenses/redeem", &json!({"activation_code": trio["activation_code"]}), Some(&token))
        .await;
    assert_eq!(redeemed.status(), StatusCode::CREATED);
    let claims = (0..50).map(|i| {
        let (app, token, license_id) = (fleet.app(i), &token, &license_id);
        async move {
            let body = json!({"license_id": license_id, "fingerprint": format!("machine-{i}")});
            app.post("/v1/activations", &body, Some(token)).await.status()
        }
    });
    let statuses = join_all(claims).await;
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 47, "{statuses:?}");

    // A one-use code, redeemed by twelve people at once on all instances: one gets it.
    let single = fleet.issue("trio").await;
    let mut people = Vec::new();
    for n in 0..12 {
        people.push(fleet.app(n).signed_in_user().await.2);
    }
    let redemptions = people.iter().enumerate().map(|(n, token)| {
        let body = json!({"activation_code": single["activation_code"]});
        let fleet = &fleet;
        async move { fleet.app(n).post("/v1/me/licenses/redeem", &body, Some(token)).await.status() }
    });
    let statuses = join_all(redemptions).await;
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED || s.is_client_error()), "{statuses:?}");

    // EULA acceptances from every instance at once: one chain, no fork, no gap.
    let terms = "Notes terms of use.";
    let published =
        json!({"product": "notes", "version": "1", "title": "Notes terms", "body": terms, "material": true});
    assert_eq!(
        fleet.app(3).post("/v1/admin/eulas", &published, Some(fleet.admin())).await.status(),
        StatusCode::CREATED
    );
    let acceptances = people.iter().enumerate().map(|(n, token)| {
        let body = json!({"product": "notes", "version": "1", "sha256": sha256(terms), "decision": "accepted"});
        let fleet = &fleet;
        async move { fleet.app(n).post("/v1/me/eula-acceptances", &body, Some(token)).await.status() }
    });
    assert!(join_all(acceptances).await.iter().all(|s| *s == StatusCode::CREATED));
    let report: Value =
        fleet.app(1).get("/v1/admin/eula-acceptances/verify", Some(fleet.admin())).await.json().await.unwrap();
    assert_eq!((report["ok"].as_bool(), report["records"].as_u64()), (Some(true), Some(12)), "{report}");

    // A TOTP code sent to two instances at once on two pending sign-ins makes one session.
    let (secret, _) = fleet.app(1).enroll_totp(&token).await;
    fleet.clock.advance(time::Duration::seconds(30));
    let code = totp_code(&secret, fleet.app(0).clock_now());
    let a = json!({"pending_token": fleet.app(2).pending_sign_in(&email, &password).await, "code": code});
    let b = json!({"pending_token": fleet.app(3).pending_sign_in(&email, &password).await, "code": code});
    let (ra, rb) = tokio::join!(
        fleet.app(2).post("/v1/sessions/totp", &a, None),
        fleet.app(3).post("/v1/sessions/totp", &b, None)
    );
    let created = [ra.status(), rb.status()].iter().filter(|s| **s == StatusCode::CREATED).count();
    assert_eq!(created, 1, "{} {}", ra.status(), rb.status());
    let again = json!({"pending_token": fleet.app(1).pending_sign_in(&email, &password).await, "code": code});
    assert_problem(
        fleet.app(1).post("/v1/sessions/totp", &again, None).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;

    // Load on the other instances while the fourth is stopped and started
    // again, then on the restarted one: no 5xx anywhere, and every
    // acknowledged activation is still there after.
    let key = trio["key"].as_str().unwrap().to_owned();
    let client = reqwest::Client::new();
    let validate = |address: String, round: usize| {
        let (client, key) = (&client, &key);
        async move {
            let validation = json!({"key": key, "fingerprint": format!("machine-{}", round % 50)});
            let url = format!("{address}/v1/licenses/validate");
            client.post(url).json(&validation).send().await.unwrap().status()
        }
    };
    let others: Vec<String> = fleet.apps[..3].iter().map(|app| app.address.clone()).collect();
    let load = |rounds: std::ops::Range<usize>| {
        join_all(
            rounds
                .flat_map(|round| others.iter().map(move |address| (address.clone(), round)))
                .map(|(address, round)| validate(address, round)),
        )
    };
    let mut statuses = load(0..40).await;
    let mut stopped = fleet.apps.pop().unwrap();
    let (during, ()) = tokio::join!(load(40..80), stopped.stop());
    statuses.extend(during);
    let restarted = fleet.instance().await;
    assert_eq!(restarted.get("/readyz", None).await.status(), StatusCode::OK, "the restarted instance is ready");
    statuses.extend(join_all((80..120).map(|round| validate(restarted.address.clone(), round))).await);
    fleet.apps.push(restarted);
    let failed: Vec<&StatusCode> = statuses.iter().filter(|s| **s != StatusCode::OK).collect();
    assert!(failed.is_empty(), "{failed:?} of {}", statuses.len());
    let mine: Value = fleet.app(3).get("/v1/me/licenses", Some(&token)).await.json().await.unwrap();
    let held = mine["licenses"].as_array().unwrap().iter().find(|l| l["id"] == license_id.as_str()).unwrap();
    assert_eq!(held["activations"].as_array().unwrap().len(), 3, "{held}");
}

/// At start on PostgreSQL the instance reports its pool against the
/// server's `max_connections`, and warns when it alone could take more
/// than a fifth of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_reports_its_pool_against_the_servers_connections() {
    use secrecy::ExposeSecret;
    use std::io::{BufRead, BufReader};
    let db = TestDb::new(Backend::Postgres).await;
    let mut connection = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let shown: String = sqlx::query_scalar("SHOW max_connections").fetch_one(&mut connection).await.unwrap();
    let limit: u32 = shown.parse().unwrap();
    for (pool, warned) in [(limit / 5, false), (limit / 5 + 1, true)] {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("LATCHKEY_DATABASE_URL", &db.url)
            .env("LATCHKEY_MASTER_KEY", db.master_key.expose_secret())
            .env("LATCHKEY_DATABASE_MAX_CONNECTIONS", pool.to_string())
            .env("LATCHKEY_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut seen = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let serving = line.contains("Latchkey is serving");
            seen.push(line);
            if serving {
                break;
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let output = seen.join("\n");
        let report = seen
            .iter()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find(|line| line["max_connections"] == limit)
            .expect(&output);
        assert_eq!(report["pool"], pool, "{report}");
        assert_eq!(report["level"] == "WARN", warned, "{report}");
        let message = report["message"].as_str().unwrap();
        assert_eq!(message.contains("more than a fifth"), warned, "{report}");
    }
}
