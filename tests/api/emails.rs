//! One mailbox, one account: every spelling of an address reaches the same
//! account, and addresses stored before normalisation are caught up at
//! start without ever merging two accounts.

use latchkey::config::DatabaseUrl;
use latchkey::domain::ids::{LicenseId, UserId};
use latchkey::domain::license::Actor;
use latchkey::store::{NewLicense, NewUser, Store, StoreOptions, connect_unmigrated};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::helpers::{Backend, TestApp, TestDb, assert_problem};
use crate::on_both_backends;

on_both_backends!(
    variants_of_an_address_sign_in_to_one_account,
    invisible_and_bidi_characters_are_refused,
    stored_addresses_are_normalised_at_start,
    addresses_that_collide_are_kept_and_reported,
);

const PASSWORD: &str = "correct horse battery";
const NORMAL: &str = "jos\u{e9}@xn--bcher-kva.example";

async fn variants_of_an_address_sign_in_to_one_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = app.sign_up("jos\u{e9}@b\u{fc}cher.example", PASSWORD).await;
    assert_eq!(created["email"], NORMAL);
    let first = app.sign_in(NORMAL, PASSWORD).await;
    let id = app.user_id(&first).await;
    let variants = [
        "JOS\u{c9}@B\u{dc}CHER.EXAMPLE",
        "jose\u{301}@bu\u{308}cher.example",
        "jos\u{e9}@xn--bcher-kva.example",
        "\u{ff4a}\u{ff4f}\u{ff53}\u{e9}\u{ff20}b\u{fc}cher\u{ff0e}example",
    ];
    for variant in variants {
        // Whatever sign-up answers for a taken address, it must not make a second account.
        let again = app.sign_up(variant, "a different password").await;
        assert_eq!(again["email"], NORMAL, "{variant:?}");
        let refused = app.try_sign_in(variant, "a different password").await;
        assert_problem(refused, StatusCode::UNAUTHORIZED, "invalid_credentials").await;

        let token = app.sign_in(variant, PASSWORD).await;
        let me: Value = app.get("/v1/me", Some(&token)).await.json().await.unwrap();
        assert_eq!(me["user"]["id"], id.as_str(), "{variant:?}");
        assert_eq!(me["user"]["email"], NORMAL, "{variant:?}");
    }
}

async fn invisible_and_bidi_characters_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("ada@example.com", PASSWORD).await;
    for spoof in
        ["a\u{200b}da@example.com", "ada\u{ad}@example.com", "ada@exa\u{200d}mple.com", "\u{202e}ada@example.com"]
    {
        let response = app.post("/v1/users", &json!({"email": spoof, "password": PASSWORD}), None).await;
        let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(body["errors"][0]["field"], "email", "{spoof:?}");
    }
}

/// A connection beside the store's, to plant rows as an older build wrote them.
async fn execute(db: &TestDb, backend: Backend, sql: &str, binds: [&str; 2]) {
    let [first, second] = binds;
    let affected = match backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            let query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).bind(first).bind(second);
            query.execute(&mut conn).await.unwrap().rows_affected()
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            let query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).bind(first).bind(second);
            query.execute(&mut conn).await.unwrap().rows_affected()
        }
    };
    assert_eq!(affected, 1, "{sql}");
}

async fn stored_addresses_are_normalised_at_start(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut app = TestApp::spawn_on(db.clone(), |_| {}).await;
    app.sign_up("bob@example.com", PASSWORD).await;
    let bob = app.sign_in("bob@example.com", PASSWORD).await;
    let bob_id = app.user_id(&bob).await;
    app.stop().await;
    // As the previous parser stored it: local part's case kept.
    execute(&db, backend, "UPDATE users SET email = $1 WHERE email = $2", ["Bob@example.com", "bob@example.com"]).await;
    // The upgrade's step: SQLite's `serve` does it at start, a shared
    // PostgreSQL is migrated with `latchkey migrate` before the instances.
    if backend == Backend::Postgres {
        let sql = connect_unmigrated(&DatabaseUrl::new(db.url.clone()), StoreOptions::new(2)).await.unwrap();
        Store::migrate(&sql).await.unwrap();
    }

    let app = TestApp::spawn_on(db.clone(), |_| {}).await;
    let token = app.sign_in("BOB@example.com", PASSWORD).await;
    let me: Value = app.get("/v1/me", Some(&token)).await.json().await.unwrap();
    assert_eq!(me["user"]["id"], bob_id.as_str());
    assert_eq!(me["user"]["email"], "bob@example.com");
}

async fn user(store: &dyn Store, email: &str) -> UserId {
    let id = UserId::new();
    let now = time::macros::datetime!(2026-03-01 12:00:00 UTC);
    let new = NewUser { id: id.clone(), email: email.into(), name: None, password_hash: "$argon2id$x".into(), now };
    store.create_user(&new).await.unwrap();
    id
}

async fn license(store: &dyn Store, owner: &str) -> LicenseId {
    let id = LicenseId::new();
    let now = time::macros::datetime!(2026-03-01 12:00:00 UTC);
    let new = NewLicense {
        id: id.clone(),
        key_hash: uuid::Uuid::now_v7().to_string(),
        key_sealed: "sealed".into(),
        policy: "desk".into(),
        policy_revision: "r1".into(),
        product: "studio".into(),
        max_activations: 1,
        entitlements: vec![],
        metadata: None,
        owner_email: Some(owner.into()),
        expires_at: None,
        code_hash: uuid::Uuid::now_v7().to_string(),
        code_uses: 1,
    };
    store.issue_licenses(&[new], &Actor::Cli, None, now).await.unwrap();
    id
}

async fn addresses_that_collide_are_kept_and_reported(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    // Rows as an older build could store them: neither is reachable once the other is rewritten.
    let lower = user(store.as_ref(), "ada@example.com").await;
    let upper = user(store.as_ref(), "ADA@example.com").await;
    let fullwidth = user(store.as_ref(), "\u{ff41}da@example.com").await;
    let alone = user(store.as_ref(), "Eve@Example.com").await;
    let invisible = user(store.as_ref(), "z\u{200b}oe@example.com").await;
    let eves = license(store.as_ref(), "EVE@example.com").await;
    // Rewriting this one would hand it to whichever duplicate holds the normal form.
    let adas = license(store.as_ref(), "Ada@example.com").await;

    let sql = connect_unmigrated(&DatabaseUrl::new(db.url.clone()), StoreOptions::new(2)).await.unwrap();
    for pass in 0..2 {
        let report = sql.renormalize_emails().await.unwrap();
        let mut group = report.duplicates.concat();
        group.sort();
        let mut expected = vec![lower.clone(), upper.clone(), fullwidth.clone()];
        expected.sort();
        assert_eq!((report.duplicates.len(), group), (1, expected));
        assert_eq!(report.unparsable, vec![invisible.clone()]);
        // Only the lone legacy row moves, and only once: the pass is idempotent.
        let moved = if pass == 0 { vec![alone.clone()] } else { vec![] };
        assert_eq!(report.rewritten, moved);
        let moved = if pass == 0 { vec![eves.clone()] } else { vec![] };
        assert_eq!((report.licenses_rewritten, report.licenses_ambiguous), (moved, vec![adas.clone()]));
    }

    for (stored, id) in [
        ("ada@example.com", &lower),
        ("ADA@example.com", &upper),
        ("\u{ff41}da@example.com", &fullwidth),
        ("eve@example.com", &alone),
        ("z\u{200b}oe@example.com", &invisible),
    ] {
        let found = store.user_credentials_by_email(stored).await.unwrap();
        assert_eq!(found.map(|c| c.user.id).as_ref(), Some(id), "{stored:?}");
    }
    for (id, owner) in [(&eves, "eve@example.com"), (&adas, "Ada@example.com")] {
        let stored = store.license(id).await.unwrap().unwrap();
        assert_eq!(stored.owner_email.as_deref(), Some(owner));
    }
}
