//! The store contract, run against both backends: whatever the database,
//! the same calls give the same results, races included.

use std::sync::Arc;

use futures::future::join_all;
use latchkey::store::{ApiKeyRole, AttemptReservation, NewApiKey, NewSession, NewUser, Store, StoreError};
use time::{Duration, OffsetDateTime};

use crate::helpers::{Backend, TestDb};
use crate::on_both_backends;

on_both_backends!(
    users_are_unique_by_email,
    password_change_revokes_all_but_the_kept_session,
    api_keys_resolve_by_hash_until_revoked,
    concurrent_attempts_reserve_at_most_the_limit,
    bootstrap_happens_once_under_concurrency,
    ping_reports_a_current_schema,
);

fn t0() -> OffsetDateTime {
    time::macros::datetime!(2026-03-01 12:00:00 UTC)
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

async fn store(backend: Backend) -> (Arc<TestDb>, Arc<dyn Store>) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    (db, store)
}

async fn user(store: &dyn Store, email: &str) -> String {
    let id = new_id();
    store
        .create_user(&NewUser {
            id: id.clone(),
            email: email.into(),
            name: None,
            password_hash: "$argon2id$x".into(),
            now: t0(),
        })
        .await
        .unwrap();
    id
}

async fn session(store: &dyn Store, user_id: &str, now: OffsetDateTime) -> String {
    let id = new_id();
    store
        .create_session(&NewSession {
            id: id.clone(),
            user_id: user_id.into(),
            token_hash: new_id(),
            now,
            expires_at: now + Duration::days(30),
            amr: vec!["pwd".into()],
            ip: Some("192.0.2.7".into()),
            user_agent: None,
        })
        .await
        .unwrap();
    id
}

async fn users_are_unique_by_email(backend: Backend) {
    let (_db, store) = store(backend).await;
    let id = user(store.as_ref(), "ada@example.com").await;
    let duplicate = store
        .create_user(&NewUser {
            id: new_id(),
            email: "ada@example.com".into(),
            name: None,
            password_hash: "h".into(),
            now: t0(),
        })
        .await;
    assert!(matches!(duplicate, Err(StoreError::Conflict(_))), "{duplicate:?}");
    let found = store.user_credentials_by_email("ada@example.com").await.unwrap().unwrap();
    assert_eq!(found.user.id, id);
    assert_eq!(found.user.created_at, t0());
    assert!(store.user_credentials_by_email("ADA@example.com").await.unwrap().is_none());
    assert!(store.user("missing").await.unwrap().is_none());
}

async fn password_change_revokes_all_but_the_kept_session(backend: Backend) {
    let (_db, store) = store(backend).await;
    let ada = user(store.as_ref(), "ada@example.com").await;
    let bob = user(store.as_ref(), "bob@example.com").await;
    let keep = session(store.as_ref(), &ada, t0()).await;
    let other = session(store.as_ref(), &ada, t0() + Duration::seconds(1)).await;
    let bobs = session(store.as_ref(), &bob, t0()).await;

    let live = store.sessions_of_user(&ada, t0()).await.unwrap();
    assert_eq!(live.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), [other.as_str(), keep.as_str()], "newest first");
    assert_eq!(live[0].amr, ["pwd"]);

    store.change_password(&ada, "$argon2id$new", Some(&keep), t0()).await.unwrap();
    let live = store.sessions_of_user(&ada, t0()).await.unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].id, keep);
    assert_eq!(store.user_credentials(&ada).await.unwrap().unwrap().password_hash, "$argon2id$new");
    assert_eq!(store.sessions_of_user(&bob, t0()).await.unwrap().len(), 1, "other users untouched");

    assert!(!store.revoke_session(&ada, &bobs, t0()).await.unwrap(), "cannot revoke another user's session");
    assert!(store.revoke_session(&ada, &keep, t0()).await.unwrap());
    assert!(!store.revoke_session(&ada, &keep, t0()).await.unwrap(), "revoking twice reports nothing to do");
    store.change_password(&bob, "$argon2id$reset", None, t0()).await.unwrap();
    assert!(store.sessions_of_user(&bob, t0()).await.unwrap().is_empty());
}

async fn api_keys_resolve_by_hash_until_revoked(backend: Backend) {
    let (_db, store) = store(backend).await;
    let key =
        NewApiKey { id: new_id(), name: "ci".into(), role: ApiKeyRole::Support, key_hash: "hash-1".into(), now: t0() };
    store.create_api_key(&key).await.unwrap();
    let found = store.api_key_by_hash("hash-1").await.unwrap().unwrap();
    assert_eq!((found.role, found.name.as_str()), (ApiKeyRole::Support, "ci"));
    assert!(store.api_key_by_hash("hash-2").await.unwrap().is_none());
    assert!(store.revoke_api_key(&key.id, t0()).await.unwrap());
    assert!(store.api_key_by_hash("hash-1").await.unwrap().is_none());
    assert!(store.api_keys().await.unwrap()[0].revoked_at.is_some());
}

async fn concurrent_attempts_reserve_at_most_the_limit(backend: Backend) {
    let (_db, store) = store(backend).await;
    let attempts = (0..30).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.reserve_sign_in_attempt("ada@example.com", &new_id(), t0()).await.unwrap() })
    });
    let outcomes: Vec<AttemptReservation> = join_all(attempts).await.into_iter().map(Result::unwrap).collect();
    let reserved = outcomes.iter().filter(|o| **o == AttemptReservation::Reserved).count();
    assert_eq!(reserved, 10, "{outcomes:?}");
    assert!(outcomes.contains(&AttemptReservation::Locked { until: t0() + Duration::minutes(15) }));
    // Another account is unaffected; clearing unlocks.
    assert_eq!(
        store.reserve_sign_in_attempt("bob@example.com", &new_id(), t0()).await.unwrap(),
        AttemptReservation::Reserved
    );
    store.clear_sign_in_failures("ada@example.com").await.unwrap();
    assert_eq!(
        store.reserve_sign_in_attempt("ada@example.com", &new_id(), t0()).await.unwrap(),
        AttemptReservation::Reserved
    );
}

async fn bootstrap_happens_once_under_concurrency(backend: Backend) {
    let (_db, store) = store(backend).await;
    let starts = (0..5).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            let key = NewApiKey {
                id: new_id(),
                name: "first".into(),
                role: ApiKeyRole::Admin,
                key_hash: format!("h{i}"),
                now: t0(),
            };
            store.bootstrap("check", &key).await.unwrap()
        })
    });
    let created: Vec<bool> = join_all(starts).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(created.iter().filter(|c| **c).count(), 1, "{created:?}");
    assert_eq!(store.api_keys().await.unwrap().len(), 1);
    assert_eq!(store.meta("master_key_check").await.unwrap().as_deref(), Some("check"));
}

async fn ping_reports_a_current_schema(backend: Backend) {
    let (_db, store) = store(backend).await;
    store.ping().await.unwrap();
    assert_eq!(store.backend() == latchkey::store::Backend::Postgres, backend == Backend::Postgres);
}
