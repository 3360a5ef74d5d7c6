//! The store contract, run against both backends: whatever the database,
//! the same calls give the same results, races included.

use std::sync::Arc;

use futures::future::join_all;
use latchkey::domain::account::ApiKeyRole;
use latchkey::domain::eula::{Channel, Decision, EulaDocument};
use latchkey::domain::event::{EventKind, NewEvent};
use latchkey::domain::factors::{FactorFloor, RegisteredPasskey};
use latchkey::domain::ids::{ActivationId, ApiKeyId, EventId, LicenseId, PasskeyId, SessionId, UserId};
use latchkey::domain::license::Actor;
use latchkey::domain::lockout::{AttemptKey, AttemptKind};
use latchkey::store::{
    AttemptReservation, CACHE_POLL_EVERY, Ceremony, Deactivation, DeviceOnRecord, Duplicate, NewAcceptance, NewApiKey,
    NewLicense, NewPendingSignIn, NewSession, NewUser, PasskeyUse, Removal, Revocation, SeatClaim, SeatRequest, Store,
    StoreError, TokenState,
};
use time::{Duration, OffsetDateTime};

use crate::helpers::{Backend, TestDb};
use crate::on_both_backends;

on_both_backends!(
    users_are_unique_by_email,
    password_change_revokes_all_but_the_kept_session,
    api_keys_resolve_by_hash_until_revoked,
    concurrent_attempts_reserve_at_most_the_limit,
    known_devices_last_their_lifetime_and_only_the_newest_are_kept,
    bootstrap_happens_once_under_concurrency,
    ping_reports_a_current_schema,
    a_totp_step_is_accepted_once_under_concurrency,
    recovery_codes_and_ceremonies_are_single_use_under_concurrency,
    a_pending_sign_in_completes_once_and_ends_at_five_failures,
    passkey_counters_only_move_forward,
    concurrent_removals_cannot_take_a_user_below_the_floor,
    the_revocation_list_holds_revoked_tokens_until_they_expire,
    validation_facts_agree_with_the_lookups_they_replace,
    validation_facts_carry_the_eula_standing,
    validation_facts_follow_changes_made_by_another_instance,
    holdings_and_standings_follow_changes_made_by_another_instance,
    freed_seats_are_bounded_per_holder_over_thirty_days,
    an_apps_seat_and_its_sign_in_stand_together_or_not_at_all,
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

async fn user(store: &dyn Store, email: &str) -> UserId {
    let id = UserId::new();
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

async fn session(store: &dyn Store, user_id: &UserId, now: OffsetDateTime) -> SessionId {
    let id = SessionId::new();
    store
        .create_session(&NewSession {
            id: id.clone(),
            user_id: user_id.clone(),
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
            id: UserId::new(),
            email: "ada@example.com".into(),
            name: None,
            password_hash: "h".into(),
            now: t0(),
        })
        .await;
    assert!(matches!(duplicate, Err(StoreError::Duplicate(Duplicate::Email))), "{duplicate:?}");
    let found = store.user_credentials_by_email("ada@example.com").await.unwrap().unwrap();
    assert_eq!(found.user.id, id);
    assert_eq!(found.user.created_at, t0());
    assert!(store.user_credentials_by_email("ADA@example.com").await.unwrap().is_none());
    assert!(store.user(&UserId::new()).await.unwrap().is_none());
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

    store.change_password(&ada, "$argon2id$new", Some(&keep), &password_event(&ada)).await.unwrap();
    let live = store.sessions_of_user(&ada, t0()).await.unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].id, keep);
    assert_eq!(store.user_credentials(&ada).await.unwrap().unwrap().password_hash, "$argon2id$new");
    assert_eq!(store.sessions_of_user(&bob, t0()).await.unwrap().len(), 1, "other users untouched");

    assert!(!store.revoke_session(&ada, &bobs, t0()).await.unwrap(), "cannot revoke another user's session");
    assert!(store.revoke_session(&ada, &keep, t0()).await.unwrap());
    assert!(!store.revoke_session(&ada, &keep, t0()).await.unwrap(), "revoking twice reports nothing to do");
    store.change_password(&bob, "$argon2id$reset", None, &password_event(&bob)).await.unwrap();
    assert!(store.sessions_of_user(&bob, t0()).await.unwrap().is_empty());
}

async fn api_keys_resolve_by_hash_until_revoked(backend: Backend) {
    let (_db, store) = store(backend).await;
    let key = NewApiKey {
        id: ApiKeyId::new(),
        name: "ci".into(),
        role: ApiKeyRole::Support,
        key_hash: "hash-1".into(),
        now: t0(),
    };
    store.create_api_key(&key).await.unwrap();
    let found = store.api_key_by_hash("hash-1").await.unwrap().unwrap();
    assert_eq!((found.role, found.name.as_str()), (ApiKeyRole::Support, "ci"));
    assert!(store.api_key_by_hash("hash-2").await.unwrap().is_none());
    assert!(store.revoke_api_key(&key.id, t0()).await.unwrap());
    assert!(store.api_key_by_hash("hash-1").await.unwrap().is_none());
    assert!(store.api_keys().await.unwrap()[0].revoked_at.is_some());
}

async fn concurrent_attempts_reserve_at_most_the_limit(backend: Backend) {
    use AttemptReservation::Reserved;
    let (_db, store) = store(backend).await;
    let ada = AttemptKey::new(AttemptKind::Password, "ada@example.com");
    let client = AttemptKey::new(AttemptKind::Client, "192.0.2.1");
    let attempts = (0..30).map(|_| {
        let (store, keys) = (store.clone(), [ada.clone(), client.clone()]);
        tokio::spawn(async move { store.reserve_attempts(&keys, t0()).await.unwrap() })
    });
    let outcomes: Vec<AttemptReservation> = join_all(attempts).await.into_iter().map(Result::unwrap).collect();
    let reserved = outcomes.iter().filter(|o| matches!(o, AttemptReservation::Reserved(_))).count();
    assert_eq!(reserved, 5, "five free failures at once, then a second's wait: {outcomes:?}");
    assert!(
        outcomes
            .contains(&AttemptReservation::Locked { until: t0() + Duration::seconds(1), by: AttemptKind::Password })
    );

    // Spaced out past the delays, the address locks at ten, until the first leaves the window.
    for minute in 1..=5 {
        let at = t0() + Duration::minutes(minute);
        assert!(matches!(store.reserve_attempts(std::slice::from_ref(&ada), at).await.unwrap(), Reserved(_)));
    }
    let later = t0() + Duration::minutes(6);
    let other_client = AttemptKey::new(AttemptKind::Client, "198.51.100.7");
    assert_eq!(
        store.reserve_attempts(&[ada.clone(), other_client.clone()], later).await.unwrap(),
        AttemptReservation::Locked { until: t0() + Duration::minutes(15), by: AttemptKind::Password }
    );
    // The refused attempt recorded nothing against the other client: its ten free failures are all there.
    for _ in 0..10 {
        let reserved = store.reserve_attempts(std::slice::from_ref(&other_client), later).await.unwrap();
        assert!(matches!(reserved, Reserved(_)));
    }
    // Kinds are apart: the same subject under another kind is not locked.
    let pin = AttemptKey::new(AttemptKind::SupportPin, "ada@example.com");
    assert!(matches!(store.reserve_attempts(std::slice::from_ref(&pin), later).await.unwrap(), Reserved(_)));
    // Clearing unlocks.
    store.clear_attempts(&ada).await.unwrap();
    let fresh_client = AttemptKey::new(AttemptKind::Client, "203.0.113.9");
    let Reserved(reserved) = store.reserve_attempts(&[ada.clone(), fresh_client.clone()], later).await.unwrap() else {
        panic!("cleared")
    };
    // Taking back one attempt's rows leaves the others' failures counted.
    store.forget_attempts(&reserved.ids_of(AttemptKind::Client)).await.unwrap();
    for _ in 0..4 {
        assert!(matches!(store.reserve_attempts(std::slice::from_ref(&ada), later).await.unwrap(), Reserved(_)));
    }
    assert_eq!(
        store.reserve_attempts(std::slice::from_ref(&ada), later).await.unwrap(),
        AttemptReservation::Locked { until: later + Duration::seconds(1), by: AttemptKind::Password },
        "the kept row counts: five at this instant"
    );
    for _ in 0..10 {
        let reserved = store.reserve_attempts(std::slice::from_ref(&fresh_client), later).await.unwrap();
        assert!(matches!(reserved, Reserved(_)), "the taken-back row is gone: ten free remain");
    }
    assert_eq!(
        store.reserve_attempts(std::slice::from_ref(&fresh_client), later).await.unwrap(),
        AttemptReservation::Locked { until: later + Duration::seconds(1), by: AttemptKind::Client },
    );
}

async fn known_devices_last_their_lifetime_and_only_the_newest_are_kept(backend: Backend) {
    let (_db, store) = store(backend).await;
    let ada = user(store.as_ref(), "devices@example.com").await;
    let bob = user(store.as_ref(), "other-devices@example.com").await;
    let lifetime = Duration::days(90);
    store.remember_device(&bob, "bob-device", t0(), t0() + lifetime, 3).await.unwrap();
    for n in 0..5 {
        let at = t0() + Duration::minutes(n);
        store.remember_device(&ada, &format!("ada-device-{n}"), at, at + lifetime, 3).await.unwrap();
    }
    let known = |hash: &'static str, at: OffsetDateTime| {
        let store = store.clone();
        async move { store.known_device(hash, at).await.unwrap() }
    };
    let soon = t0() + Duration::hours(1);
    assert_eq!(known("ada-device-0", soon).await, None, "the oldest beyond three are forgotten");
    assert_eq!(known("ada-device-1", soon).await, None);
    assert_eq!(known("ada-device-2", soon).await.as_ref(), Some(&ada));
    assert_eq!(known("ada-device-4", soon).await.as_ref(), Some(&ada));
    assert_eq!(known("bob-device", soon).await.as_ref(), Some(&bob), "another user's devices are not touched");
    assert_eq!(known("ada-device-4", t0() + Duration::minutes(4) + lifetime).await, None, "lapsed");
    assert!(matches!(
        store.remember_device(&ada, "ada-device-4", soon, soon + lifetime, 3).await,
        Err(StoreError::Duplicate(Duplicate::RandomValue))
    ));
}

async fn bootstrap_happens_once_under_concurrency(backend: Backend) {
    let (_db, store) = store(backend).await;
    let starts = (0..5).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            let key = NewApiKey {
                id: ApiKeyId::new(),
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

fn event(user_id: &UserId, kind: EventKind) -> NewEvent {
    NewEvent {
        id: EventId::new(),
        user_id: user_id.clone(),
        kind,
        detail: serde_json::json!({}),
        ip: None,
        user_agent: None,
        at: t0(),
    }
}

async fn a_totp_step_is_accepted_once_under_concurrency(backend: Backend) {
    let (_db, store) = store(backend).await;
    let user_id = user(store.as_ref(), "totp@example.com").await;
    assert!(!store.accept_totp_step(&user_id, 100).await.unwrap(), "nothing confirmed yet");
    assert!(store.start_totp_enrollment(&user_id, "sealed-1", t0()).await.unwrap());
    assert!(store.start_totp_enrollment(&user_id, "sealed-2", t0()).await.unwrap(), "unconfirmed is replaced");
    let enrolled = event(&user_id, EventKind::TotpEnrolled);
    assert!(
        !store.confirm_totp(&user_id, "sealed-1", 100, &["h1".into()], &SessionId::new(), &enrolled).await.unwrap(),
        "replaced secret"
    );
    assert!(store.confirm_totp(&user_id, "sealed-2", 100, &["h1".into()], &SessionId::new(), &enrolled).await.unwrap());
    assert_eq!(store.totp_credential(&user_id).await.unwrap().unwrap().secret_sealed, "sealed-2");
    assert!(!store.start_totp_enrollment(&user_id, "sealed-3", t0()).await.unwrap(), "confirmed is kept");

    let results = join_all((0..20).map(|_| store.accept_totp_step(&user_id, 101))).await;
    assert_eq!(results.into_iter().filter(|r| *r.as_ref().unwrap()).count(), 1);
    assert!(!store.accept_totp_step(&user_id, 100).await.unwrap(), "older steps never");
    assert!(store.accept_totp_step(&user_id, 102).await.unwrap());
}

async fn recovery_codes_and_ceremonies_are_single_use_under_concurrency(backend: Backend) {
    let (_db, store) = store(backend).await;
    let user_id = user(store.as_ref(), "codes@example.com").await;
    let hashes: Vec<String> = (0..10).map(|i| format!("hash-{i}")).collect();
    store.replace_recovery_codes(&user_id, &hashes, &event(&user_id, EventKind::RecoveryCodesGenerated)).await.unwrap();
    let events: Vec<NewEvent> = (0..10).map(|_| event(&user_id, EventKind::RecoveryCodeUsed)).collect();
    let used = join_all(events.iter().map(|e| store.use_recovery_code(&user_id, "hash-3", e))).await;
    assert_eq!(used.into_iter().filter(|r| *r.as_ref().unwrap()).count(), 1);
    assert_eq!(store.enrolled_factors(&user_id).await.unwrap().recovery_codes, 9);
    let events = store.user_events(&user_id, 10).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == "recovery_code_used").count(), 1, "one event per real use");

    let ceremony = Ceremony {
        id: "challenge-1".into(),
        purpose: "register".into(),
        user_id: Some(user_id.clone()),
        bound_to: None,
        state: "{}".into(),
        created_at: t0(),
        expires_at: t0() + Duration::minutes(5),
    };
    store.save_ceremony(&ceremony).await.unwrap();
    assert!(store.take_ceremony("challenge-1", "second_factor").await.unwrap().is_none(), "wrong purpose");
    let taken = join_all((0..10).map(|_| store.take_ceremony("challenge-1", "register"))).await;
    assert_eq!(taken.into_iter().filter(|r| r.as_ref().unwrap().is_some()).count(), 1);
}

async fn a_pending_sign_in_completes_once_and_ends_at_five_failures(backend: Backend) {
    let (_db, store) = store(backend).await;
    let user_id = user(store.as_ref(), "pending@example.com").await;
    let pending = |id: &str| NewPendingSignIn {
        id: id.into(),
        user_id: user_id.clone(),
        token_hash: format!("token-{id}"),
        amr: vec!["pwd".into()],
        device_hash: None,
        now: t0(),
        expires_at: t0() + Duration::minutes(5),
    };
    store.create_pending_sign_in(&pending("p1")).await.unwrap();
    let found = store.pending_sign_in("token-p1", t0()).await.unwrap().unwrap();
    assert_eq!(found.amr, ["pwd"]);
    assert!(store.pending_sign_in("token-p1", t0() + Duration::minutes(5)).await.unwrap().is_none(), "expired");

    let new_session = || NewSession {
        id: SessionId::new(),
        user_id: user_id.clone(),
        token_hash: new_id(),
        now: t0(),
        expires_at: t0() + Duration::days(30),
        amr: vec!["pwd".into(), "otp".into(), "mfa".into()],
        ip: None,
        user_agent: None,
    };
    let sessions: Vec<NewSession> = (0..10).map(|_| new_session()).collect();
    let signed_in = event(&user_id, EventKind::SignedIn);
    let done = join_all(sessions.iter().map(|s| store.complete_pending_sign_in("p1", s, &signed_in))).await;
    assert_eq!(
        done.into_iter().filter(|r| r.as_ref().unwrap().is_some()).count(),
        1,
        "one session per pending sign-in"
    );
    assert_eq!(store.sessions_of_user(&user_id, t0()).await.unwrap().len(), 1);

    store.create_pending_sign_in(&pending("p2")).await.unwrap();
    let claims = join_all((0..20).map(|_| store.claim_pending_attempt("p2", 5, t0()))).await;
    let mut remaining: Vec<u32> = claims.into_iter().filter_map(|c| c.unwrap()).collect();
    remaining.sort_unstable();
    assert_eq!(remaining, [0, 1, 2, 3, 4], "five answers, however many arrive at once");
    store.end_pending_sign_in("p2").await.unwrap();
    assert!(store.pending_sign_in("token-p2", t0()).await.unwrap().is_none());
    store.create_pending_sign_in(&pending("p3")).await.unwrap();
    assert_eq!(store.claim_pending_attempt("p3", 5, t0() + Duration::minutes(5)).await.unwrap(), None, "expired");
}

async fn concurrent_removals_cannot_take_a_user_below_the_floor(backend: Backend) {
    let (_db, store) = store(backend).await;
    let user_id = user(store.as_ref(), "floor@example.com").await;
    assert!(store.start_totp_enrollment(&user_id, "sealed", t0()).await.unwrap());
    assert!(
        store
            .confirm_totp(
                &user_id,
                "sealed",
                1,
                &["code".into()],
                &SessionId::new(),
                &event(&user_id, EventKind::TotpEnrolled)
            )
            .await
            .unwrap()
    );
    let passkey = RegisteredPasskey {
        id: PasskeyId::new(),
        user_id: user_id.clone(),
        credential_id: "cred-floor".into(),
        name: "Key".into(),
        credential: "{}".into(),
        backup_eligible: false,
        backup_state: false,
        counter: 0,
        created_at: t0(),
        last_used_at: None,
    };
    store.add_passkey(&passkey, &SessionId::new(), &event(&user_id, EventKind::PasskeyAdded)).await.unwrap();

    let floor = FactorFloor { second_factor: true, passkey: false };
    let (totp_removed, events) = (event(&user_id, EventKind::TotpRemoved), event(&user_id, EventKind::PasskeyRemoved));
    let (a, b) = tokio::join!(
        store.remove_totp(&user_id, floor, &totp_removed),
        store.remove_passkey(&user_id, &passkey.id, floor, &events)
    );
    let outcomes = [a.unwrap(), b.unwrap()];
    assert!(outcomes.contains(&Removal::Removed) && outcomes.contains(&Removal::BelowFloor), "{outcomes:?}");
    assert!(store.enrolled_factors(&user_id).await.unwrap().has_second_factor());

    // Without a floor the last factor goes, and the recovery codes with it.
    let last = if outcomes[0] == Removal::Removed {
        store
            .remove_passkey(&user_id, &passkey.id, FactorFloor::default(), &event(&user_id, EventKind::PasskeyRemoved))
            .await
    } else {
        store.remove_totp(&user_id, FactorFloor::default(), &event(&user_id, EventKind::TotpRemoved)).await
    };
    assert_eq!(last.unwrap(), Removal::Removed);
    assert_eq!(store.enrolled_factors(&user_id).await.unwrap(), Default::default());
    assert_eq!(
        store.remove_totp(&user_id, floor, &event(&user_id, EventKind::TotpRemoved)).await.unwrap(),
        Removal::NotFound
    );
}

async fn passkey_counters_only_move_forward(backend: Backend) {
    let (_db, store) = store(backend).await;
    let user_id = user(store.as_ref(), "passkey@example.com").await;
    let passkey = RegisteredPasskey {
        id: PasskeyId::new(),
        user_id: user_id.clone(),
        credential_id: "cred-1".into(),
        name: "Key".into(),
        credential: "{}".into(),
        backup_eligible: false,
        backup_state: false,
        counter: 0,
        created_at: t0(),
        last_used_at: None,
    };
    store.add_passkey(&passkey, &SessionId::new(), &event(&user_id, EventKind::PasskeyAdded)).await.unwrap();
    let duplicate = RegisteredPasskey { id: PasskeyId::new(), ..passkey.clone() };
    assert!(matches!(
        store.add_passkey(&duplicate, &SessionId::new(), &event(&user_id, EventKind::PasskeyAdded)).await,
        Err(StoreError::Duplicate(Duplicate::Passkey))
    ));

    let used = |counter| PasskeyUse {
        id: &passkey.id,
        credential: "{}",
        counter,
        backup_eligible: true,
        backup_state: true,
        now: t0(),
    };
    assert!(store.record_passkey_use(&used(0)).await.unwrap(), "counterless authenticators stay at 0");
    let uses: Vec<PasskeyUse> = (0..10).map(|_| used(5)).collect();
    let racing = join_all(uses.iter().map(|u| store.record_passkey_use(u))).await;
    assert_eq!(racing.into_iter().filter(|r| *r.as_ref().unwrap()).count(), 1, "one use per counter value");
    assert!(!store.record_passkey_use(&used(4)).await.unwrap());
    assert!(!store.record_passkey_use(&used(0)).await.unwrap(), "a counter never goes back to 0");
    let stored = store.passkey_by_credential_id("cred-1").await.unwrap().unwrap();
    assert_eq!((stored.counter, stored.backup_eligible), (5, true));
}

fn password_event(user_id: &UserId) -> NewEvent {
    NewEvent {
        id: EventId::new(),
        user_id: user_id.clone(),
        kind: EventKind::PasswordChanged,
        detail: serde_json::json!({}),
        ip: None,
        user_agent: None,
        at: t0(),
    }
}

/// Minting writes nothing; a token stands while its `jti` is off the list
/// and its session is live, and an entry lasts until the token would expire.
async fn the_revocation_list_holds_revoked_tokens_until_they_expire(backend: Backend) {
    let (_db, store) = store(backend).await;
    let ada = user(store.as_ref(), "ada@example.com").await;
    let sid = session(store.as_ref(), &ada, t0()).await;
    let (jti, other) = (new_id(), new_id());
    let state = |jti: String, sid: String, at| {
        let store = store.clone();
        async move { store.token_state(&jti, &sid, at).await.unwrap() }
    };
    assert_eq!(state(jti.clone(), sid.to_string(), t0()).await, TokenState::Live, "never recorded, yet live");

    let revocation = Revocation { jti: jti.clone(), expires_at: t0() + Duration::minutes(30), revoked_at: t0() };
    let racing = join_all((0..5).map(|_| store.revoke_token(&revocation))).await;
    assert_eq!(racing.into_iter().filter(|r| *r.as_ref().unwrap()).count(), 1, "listed once");
    assert!(!store.revoke_token(&revocation).await.unwrap(), "revoking twice reports nothing to do");
    assert_eq!(state(jti.clone(), sid.to_string(), t0()).await, TokenState::Revoked);
    assert_eq!(state(other.clone(), sid.to_string(), t0()).await, TokenState::Live, "only that token");

    // The session's end is the token's end: revoked, run out, or unknown.
    assert_eq!(state(other.clone(), new_id(), t0()).await, TokenState::SessionEnded);
    let ended = t0() + Duration::days(30);
    assert_eq!(state(other.clone(), sid.to_string(), ended).await, TokenState::SessionEnded);
    assert!(store.revoke_session(&ada, &sid, t0()).await.unwrap());
    assert_eq!(state(other, sid.to_string(), t0()).await, TokenState::SessionEnded);

    // The purge keeps the entry while the token could be live, then drops it.
    let purged = store.purge(t0() + Duration::minutes(29)).await.unwrap();
    assert_eq!(purged.of("revoked_tokens"), 0);
    let purged = store.purge(t0() + Duration::minutes(30)).await.unwrap();
    assert_eq!(purged.of("revoked_tokens"), 1);
    assert!(store.revoke_token(&revocation).await.unwrap(), "gone from the list");
}

/// A license of `seats` seats issued at `t0()`; answers its id and key hash.
async fn issued_license(store: &dyn Store, seats: u32) -> (LicenseId, String) {
    let id = LicenseId::new();
    let key_hash = new_id();
    let new = NewLicense {
        id: id.clone(),
        key_hash: key_hash.clone(),
        key_sealed: "sealed".into(),
        policy: "desk".into(),
        policy_revision: "r1".into(),
        product: "studio".into(),
        max_activations: seats,
        entitlements: vec![],
        metadata: None,
        owner_email: None,
        expires_at: None,
        code_hash: new_id(),
        code_uses: 5,
    };
    store.issue_licenses(&[new], &Actor::Cli, None, t0()).await.unwrap();
    (id, key_hash)
}

async fn seat(
    store: &dyn Store,
    license_id: &LicenseId,
    user_id: &UserId,
    fingerprint_hash: &str,
    lease: Option<Duration>,
) {
    let claim = store
        .claim_seat(&SeatRequest {
            activation_id: ActivationId::new(),
            license_id: license_id.clone(),
            user_id: user_id.clone(),
            fingerprint_hash: fingerprint_hash.into(),
            name: None,
            platform: None,
            lease,
            max_activations: 2,
            now: t0(),
            activated: event(user_id, EventKind::DeviceActivated),
            app: None,
        })
        .await
        .unwrap();
    assert!(matches!(claim, SeatClaim::New { .. }), "{claim:?}");
}

/// `validation_facts` must answer exactly what `license_by_key_hash`,
/// `activation_by_fingerprint` and `seats_taken` answer between them.
async fn assert_facts_agree(store: &dyn Store, key_hash: &str, fingerprint_hash: Option<&str>, now: OffsetDateTime) {
    let facts = store.validation_facts(key_hash, fingerprint_hash, now).await.unwrap();
    let Some(license) = store.license_by_key_hash(key_hash).await.unwrap() else {
        assert!(facts.is_none(), "unknown key: {facts:?}");
        return;
    };
    let facts = facts.expect("a known key has facts");
    assert_eq!(format!("{:?}", facts.license), format!("{license:?}"));
    let context = format!("fingerprint {fingerprint_hash:?} at {now}");
    let activation = match fingerprint_hash {
        None => {
            assert!(matches!(facts.device, DeviceOnRecord::Unnamed), "{context}: {:?}", facts.device);
            return;
        }
        Some(fingerprint_hash) => store.activation_by_fingerprint(&license.id, fingerprint_hash).await.unwrap(),
    };
    match (facts.device, activation) {
        (DeviceOnRecord::Activated { activation, eula_accepted }, Some(expected)) => {
            assert_eq!(format!("{activation:?}"), format!("{expected:?}"), "{context}");
            // The join reads what the standalone standing reads; a device
            // whose user is gone stands by nothing.
            let stands = match &activation.user_id {
                Some(user_id) => store.eula_standing(user_id, &license.product).await.unwrap().stands,
                None => false,
            };
            assert_eq!(eula_accepted, stands, "{context}");
        }
        (DeviceOnRecord::NotActivated { seats_taken }, None) => {
            let taken = store.seats_taken(&license.id, now).await.unwrap();
            assert_eq!(seats_taken, i64::from(taken), "{context}");
        }
        (device, expected) => panic!("{context}: {device:?}, expected the activation {expected:?}"),
    }
}

async fn publish(store: &dyn Store, version: &str, locale: &str, material: bool, at: OffsetDateTime) {
    let document = EulaDocument {
        id: new_id(),
        product: "studio".into(),
        locale: locale.into(),
        version: version.into(),
        title: "Terms".into(),
        body: format!("Version {version} in {locale}"),
        sha256: new_id(),
        material,
        published_at: at,
    };
    store.publish_eula(&document).await.unwrap();
}

async fn decide(store: &dyn Store, user_id: &UserId, version: &str, decision: Decision, at: OffsetDateTime) {
    let record = NewAcceptance {
        id: new_id(),
        user_id: user_id.clone(),
        product: "studio".into(),
        locale: "en".into(),
        version: version.into(),
        sha256: new_id(),
        decision,
        at,
        ip: None,
        user_agent: None,
        channel: Channel::Api,
        amr: vec!["pwd".into()],
    };
    store.append_acceptance(&record).await.unwrap();
}

async fn validation_facts_agree_with_the_lookups_they_replace(backend: Backend) {
    let (_db, store) = store(backend).await;
    let store = store.as_ref();
    let ada = user(store, "ada@example.com").await;
    let (fixed, fixed_key) = issued_license(store, 2).await;
    let (floating, floating_key) = issued_license(store, 2).await;

    // Unknown key; no fingerprint; a fingerprint on a license with no seats taken.
    assert!(store.validation_facts("no-such-key", Some("fp-1"), t0()).await.unwrap().is_none());
    assert_facts_agree(store, "no-such-key", None, t0()).await;
    assert_facts_agree(store, &fixed_key, None, t0()).await;
    assert_facts_agree(store, &fixed_key, Some("fp-1"), t0()).await;

    // Activated fingerprint; an unactivated one with a seat free.
    seat(store, &fixed, &ada, "fp-1", None).await;
    let facts = store.validation_facts(&fixed_key, Some("fp-1"), t0()).await.unwrap().unwrap();
    assert!(
        matches!(&facts.device, DeviceOnRecord::Activated { activation, .. } if activation.fingerprint_hash == "fp-1"),
        "{facts:?}"
    );
    assert_facts_agree(store, &fixed_key, Some("fp-1"), t0()).await;
    assert_facts_agree(store, &fixed_key, Some("fp-new"), t0()).await;
    assert_facts_agree(store, &fixed_key, None, t0()).await;

    // Seats full: an unactivated fingerprint sees both taken, activated ones see themselves.
    seat(store, &fixed, &ada, "fp-2", None).await;
    let facts = store.validation_facts(&fixed_key, Some("fp-new"), t0()).await.unwrap().unwrap();
    assert!(matches!(facts.device, DeviceOnRecord::NotActivated { seats_taken: 2 }), "{facts:?}");
    for fingerprint in [Some("fp-1"), Some("fp-2"), Some("fp-new"), None] {
        assert_facts_agree(store, &fixed_key, fingerprint, t0()).await;
    }
    // Another license's fingerprints do not count.
    assert_facts_agree(store, &floating_key, Some("fp-1"), t0()).await;

    // A deactivated device is not activated, and frees its seat.
    let fp2 = store.activation_by_fingerprint(&fixed, "fp-2").await.unwrap().unwrap();
    assert!(store.deactivate(&fp2.id, &Actor::Cli, t0()).await.unwrap());
    let facts = store.validation_facts(&fixed_key, Some("fp-2"), t0()).await.unwrap().unwrap();
    assert!(matches!(facts.device, DeviceOnRecord::NotActivated { seats_taken: 1 }), "{facts:?}");
    assert_facts_agree(store, &fixed_key, Some("fp-2"), t0()).await;

    // A floating lease: held while it runs, a lapsed one is still the
    // device's activation but no longer takes a seat (`now` decides).
    seat(store, &floating, &ada, "fp-f", Some(Duration::hours(1))).await;
    seat(store, &floating, &ada, "fp-g", Some(Duration::hours(3))).await;
    let lapsed = t0() + Duration::hours(2);
    let facts = store.validation_facts(&floating_key, Some("fp-f"), lapsed).await.unwrap().unwrap();
    assert!(
        matches!(&facts.device, DeviceOnRecord::Activated { activation, .. } if !activation.holds_seat(lapsed)),
        "{facts:?}"
    );
    let facts = store.validation_facts(&floating_key, Some("fp-new"), lapsed).await.unwrap().unwrap();
    assert!(matches!(facts.device, DeviceOnRecord::NotActivated { seats_taken: 1 }), "{facts:?}");
    for now in [t0(), t0() + Duration::hours(1), lapsed, t0() + Duration::hours(4)] {
        for fingerprint in [Some("fp-f"), Some("fp-g"), Some("fp-new"), None] {
            assert_facts_agree(store, &floating_key, fingerprint, now).await;
        }
    }
}

async fn validation_facts_carry_the_eula_standing(backend: Backend) {
    let (_db, store) = store(backend).await;
    let store = store.as_ref();
    let ada = user(store, "ada@example.com").await;
    let bob = user(store, "bob@example.com").await;
    let (license, key) = issued_license(store, 2).await;
    seat(store, &license, &ada, "fp-ada", None).await;
    seat(store, &license, &bob, "fp-bob", None).await;
    let key = key.as_str();
    let standing = |fingerprint: &'static str| async move {
        assert_facts_agree(store, key, Some(fingerprint), t0()).await;
        let (activation, eula_accepted) =
            match store.validation_facts(key, Some(fingerprint), t0()).await.unwrap().unwrap().device {
                DeviceOnRecord::Activated { activation, eula_accepted } => (activation, eula_accepted),
                other => panic!("{other:?}"),
            };
        // The standalone standing names the version the newest decision accepted.
        let user_id = activation.user_id.unwrap();
        let standing = store.eula_standing(&user_id, "studio").await.unwrap();
        let latest = store.latest_decision(&user_id, "studio").await.unwrap();
        let accepted = latest.filter(|d| d.decision == Decision::Accepted.as_str()).map(|d| d.version);
        assert_eq!(standing.accepted_version, accepted);
        eula_accepted
    };
    let material_published = || async { store.eula_standing(&ada, "studio").await.unwrap().material_published };
    let minute = |n: i64| t0() + Duration::minutes(n);

    // Nothing material published: nothing to accept.
    assert!(standing("fp-ada").await);
    publish(store, "1", "en", false, minute(1)).await;
    assert!(standing("fp-ada").await);
    assert!(!material_published().await);

    // A material version: only an acceptance of it (or of a later one) stands.
    publish(store, "2", "en", true, minute(2)).await;
    assert!(material_published().await);
    assert!(!standing("fp-ada").await);
    decide(store, &ada, "1", Decision::Accepted, minute(3)).await;
    assert!(!standing("fp-ada").await, "an older version does not suffice");
    decide(store, &ada, "2", Decision::Accepted, minute(4)).await;
    assert!(standing("fp-ada").await);
    assert!(!standing("fp-bob").await, "one user's acceptance is not another's");

    // A translation published later as no material change leaves it standing.
    publish(store, "2", "et", false, minute(5)).await;
    assert!(standing("fp-ada").await);
    // A later non-material version leaves the acceptance standing; a material one ends it.
    publish(store, "2.1", "en", false, minute(6)).await;
    assert!(standing("fp-ada").await);
    publish(store, "3", "en", true, minute(7)).await;
    assert!(!standing("fp-ada").await);
    decide(store, &ada, "3", Decision::Accepted, minute(8)).await;
    assert!(standing("fp-ada").await);

    // The newest decision counts: withdrawing ends the standing.
    decide(store, &ada, "3", Decision::Withdrawn, minute(9)).await;
    assert!(!standing("fp-ada").await);
    decide(store, &bob, "3", Decision::Declined, minute(9)).await;
    decide(store, &bob, "3", Decision::Accepted, minute(10)).await;
    assert!(standing("fp-bob").await);
}

/// A validation as the follow-up tests look at it: the license, the
/// device's activation, and whether its user stands by the EULA.
type Seen = (latchkey::domain::license::License, Option<Box<latchkey::domain::license::Activation>>, bool);

/// Each instance keeps validation facts in memory; a change another
/// instance (or the CLI) makes reaches it within the marks' poll interval,
/// and its own changes at once.
async fn validation_facts_follow_changes_made_by_another_instance(backend: Backend) {
    let (db, here) = store(backend).await;
    let elsewhere = db.store().await;
    let (here, elsewhere) = (here.as_ref(), elsewhere.as_ref());
    let ada = user(here, "ada@example.com").await;
    let (license, key) = issued_license(here, 2).await;
    seat(here, &license, &ada, "fp-1", Some(Duration::hours(1))).await;
    let key = key.as_str();
    let device = |facts: latchkey::store::ValidationFacts| match facts.device {
        DeviceOnRecord::Activated { activation, eula_accepted } => (facts.license, Some(activation), eula_accepted),
        DeviceOnRecord::Unnamed => (facts.license, None, true),
        other => panic!("{other:?}"),
    };
    let eventually = |fingerprint: Option<&'static str>, what: &'static str, seen: fn(&Seen) -> bool| {
        reaches(what, move || async move {
            seen(&device(here.validation_facts(key, fingerprint, t0()).await.unwrap().unwrap()))
        })
    };
    // Once the marks are read again and the facts cached under them, an
    // answer from memory would be stale: each change below starts there.
    let cached = || async move {
        tokio::time::sleep(CACHE_POLL_EVERY * 2).await;
        for _ in 0..2 {
            for fingerprint in [Some("fp-1"), None] {
                here.validation_facts(key, fingerprint, t0()).await.unwrap().unwrap();
            }
        }
    };
    let (fresh, activation, stands) = device(here.validation_facts(key, Some("fp-1"), t0()).await.unwrap().unwrap());
    assert!(fresh.status == latchkey::domain::license::LicenseStatus::Active && stands);
    let activation = activation.unwrap();

    use latchkey::domain::license::LicenseStatus::{Active, Suspended};
    cached().await;
    elsewhere.change_status(&license, &[Active], Suspended, &Actor::Cli, t0()).await.unwrap().unwrap();
    eventually(Some("fp-1"), "a suspension", |(l, ..)| l.status == Suspended).await;
    eventually(None, "a suspension", |(l, ..)| l.status == Suspended).await;

    cached().await;
    elsewhere.renew(&license, t0() + Duration::days(30), &Actor::Cli, t0()).await.unwrap().unwrap();
    eventually(None, "a renewal", |(l, ..)| l.expires_at == Some(t0() + Duration::days(30))).await;

    cached().await;
    elsewhere.heartbeat(&activation.id, Duration::hours(5), t0()).await.unwrap().unwrap();
    eventually(Some("fp-1"), "a heartbeat", |(_, a, _)| {
        a.as_ref().and_then(|a| a.lease_expires_at) == Some(t0() + Duration::hours(5))
    })
    .await;

    cached().await;
    publish(elsewhere, "2", "en", true, t0()).await;
    eventually(Some("fp-1"), "a material EULA", |(_, _, stands)| !stands).await;
    cached().await;
    decide(elsewhere, &ada, "2", Decision::Accepted, t0() + Duration::minutes(1)).await;
    eventually(Some("fp-1"), "an acceptance", |(_, _, stands)| *stands).await;

    // This instance's own change is seen at once, without waiting for a poll.
    cached().await;
    here.change_status(&license, &[Suspended], Active, &Actor::Cli, t0()).await.unwrap().unwrap();
    let (now_active, ..) = device(here.validation_facts(key, Some("fp-1"), t0()).await.unwrap().unwrap());
    assert_eq!(now_active.status, Active);

    cached().await;
    elsewhere.deactivate(&activation.id, &Actor::Cli, t0()).await.unwrap();
    reaches("a deactivation", || async {
        let facts = here.validation_facts(key, Some("fp-1"), t0()).await.unwrap().unwrap();
        matches!(facts.device, DeviceOnRecord::NotActivated { seats_taken: 0 })
    })
    .await;
}

/// Asks `check` until it holds, for at most two seconds: far longer than
/// the marks' poll interval, short enough to fail a broken cache quickly.
async fn reaches<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while !check().await {
        assert!(std::time::Instant::now() < deadline, "{what} never reached this instance");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// What a token speaks for (the licenses a user holds, their EULA
/// standing) is kept in memory like validation facts, and follows changes
/// the same way.
async fn holdings_and_standings_follow_changes_made_by_another_instance(backend: Backend) {
    let (db, here) = store(backend).await;
    let elsewhere = db.store().await;
    let (here, elsewhere) = (here.as_ref(), elsewhere.as_ref());
    let ada = &user(here, "ada@example.com").await;
    let redeem = |code_hash: String| async move {
        let redeemed = elsewhere.redeem(&code_hash, ada, "ada@example.com", t0()).await.unwrap();
        assert!(matches!(redeemed, latchkey::store::Redemption::Redeemed(_)), "{redeemed:?}");
    };
    let first = held_license(here, t0()).await;
    redeem(first.1).await;
    let held = |n: usize| async move {
        reaches("a redemption", || async { here.licenses_of_holder(ada).await.unwrap().len() == n }).await;
        here.licenses_of_holder(ada).await.unwrap()
    };
    let settle = || async move {
        tokio::time::sleep(CACHE_POLL_EVERY * 2).await;
        for _ in 0..2 {
            here.licenses_of_holder(ada).await.unwrap();
            here.eula_standing(ada, "studio").await.unwrap();
        }
    };
    assert_eq!(held(1).await[0].id, first.0);

    // A second license redeemed elsewhere joins the holding.
    settle().await;
    let second = held_license(here, t0() + Duration::minutes(1)).await;
    redeem(second.1).await;
    let licenses = held(2).await;
    assert_eq!(licenses[0].id, second.0, "newest first");

    // A suspension elsewhere reaches the kept licenses.
    settle().await;
    use latchkey::domain::license::LicenseStatus::{Active, Suspended};
    elsewhere.change_status(&first.0, &[Active], Suspended, &Actor::Cli, t0()).await.unwrap().unwrap();
    reaches("a suspension", || async {
        here.licenses_of_holder(ada).await.unwrap().iter().any(|l| l.id == first.0 && l.status == Suspended)
    })
    .await;

    // The standing follows a publication and a decision made elsewhere,
    // and one made here at once.
    settle().await;
    assert!(here.eula_standing(ada, "studio").await.unwrap().stands);
    publish(elsewhere, "2", "en", true, t0()).await;
    reaches("a material EULA", || async { !here.eula_standing(ada, "studio").await.unwrap().stands }).await;
    settle().await;
    decide(here, ada, "2", Decision::Accepted, t0() + Duration::minutes(1)).await;
    let standing = here.eula_standing(ada, "studio").await.unwrap();
    assert_eq!((standing.stands, standing.accepted_version.as_deref()), (true, Some("2")));
}

/// A license issued with a code whose hash is returned, for redeeming.
async fn held_license(store: &dyn Store, issued_at: OffsetDateTime) -> (LicenseId, String) {
    let id = LicenseId::new();
    let code_hash = new_id();
    let new = NewLicense {
        id: id.clone(),
        key_hash: new_id(),
        key_sealed: "sealed".into(),
        policy: "desk".into(),
        policy_revision: "r1".into(),
        product: "studio".into(),
        max_activations: 2,
        entitlements: vec![],
        metadata: None,
        owner_email: None,
        expires_at: None,
        code_hash: code_hash.clone(),
        code_uses: 1,
    };
    store.issue_licenses(&[new], &Actor::Cli, None, issued_at).await.unwrap();
    (id, code_hash)
}

/// `transfers_per_30d`: a holder frees at most so many seats in any 30
/// days, counted and freed in one decision, so racing frees cannot both
/// take the last one; other actors (an admin, the mailed link) do not count.
async fn freed_seats_are_bounded_per_holder_over_thirty_days(backend: Backend) {
    let (_db, store) = store(backend).await;
    let ada = user(store.as_ref(), "ada@example.com").await;
    let (license, _) = issued_license(store.as_ref(), 10).await;
    let mut seats = Vec::new();
    for n in 0..5 {
        let activation_id = ActivationId::new();
        let claim = store
            .claim_seat(&SeatRequest {
                activation_id: activation_id.clone(),
                license_id: license.clone(),
                user_id: ada.clone(),
                fingerprint_hash: format!("fp-{n}"),
                name: None,
                platform: None,
                lease: None,
                max_activations: 10,
                now: t0(),
                activated: event(&ada, EventKind::DeviceActivated),
                app: None,
            })
            .await
            .unwrap();
        assert!(matches!(claim, SeatClaim::New { .. }), "{claim:?}");
        seats.push(activation_id);
    }
    let holder = Actor::User(ada.clone());
    let day = |n: i64| t0() + Duration::days(n);
    assert!(store.deactivate(&seats[0], &Actor::Cli, t0()).await.unwrap(), "an operator's free does not count");
    assert_eq!(store.deactivate_within(&seats[1], &holder, 2, day(1)).await.unwrap(), Deactivation::Done);
    // Two holders' frees race for the one left: one gets it.
    let racing = join_all([&seats[2], &seats[3]].map(|seat| store.deactivate_within(seat, &holder, 2, day(2)))).await;
    let outcomes: Vec<Deactivation> = racing.into_iter().map(Result::unwrap).collect();
    assert_eq!(outcomes.iter().filter(|o| **o == Deactivation::Done).count(), 1, "{outcomes:?}");
    let refused = outcomes.iter().find(|o| **o != Deactivation::Done).unwrap();
    assert_eq!(*refused, Deactivation::LimitReached { until: day(31) }, "free again when the first leaves the window");
    assert_eq!(store.deactivate_within(&seats[0], &holder, 2, day(3)).await.unwrap(), Deactivation::Gone);
    let left = if outcomes[0] == Deactivation::Done { &seats[3] } else { &seats[2] };
    assert!(matches!(
        store.deactivate_within(left, &holder, 2, day(30)).await.unwrap(),
        Deactivation::LimitReached { .. }
    ));
    assert_eq!(store.deactivate_within(left, &holder, 2, day(31)).await.unwrap(), Deactivation::Done);
}

/// One-step activation: the seat an app asks for and the app's grant are
/// one transaction. When the device request the grant would answer is
/// gone, no seat is taken either; when it is there, the grant names the
/// seat the claim holds.
async fn an_apps_seat_and_its_sign_in_stand_together_or_not_at_all(backend: Backend) {
    use latchkey::domain::oauth::SeatAsked;
    use latchkey::store::{AppGrant, DeviceDecision, DevicePoll, GrantVia, NewDeviceRequest, NewGrant};
    let (_db, store) = store(backend).await;
    let ada = user(store.as_ref(), "ada@example.com").await;
    let (license, _) = issued_license(store.as_ref(), 10).await;
    let asked = SeatAsked { fingerprint: "fp-laptop".into(), name: Some("Laptop".into()), platform: None };
    let device_request = |code: &str| NewDeviceRequest {
        device_code_hash: format!("device-{code}"),
        user_code_hash: format!("user-{code}"),
        client_id: "cli".into(),
        scope: "openid".into(),
        requested_ip: None,
        requested_at: t0(),
        expires_at: t0() + Duration::minutes(10),
        interval_secs: 5,
        seat: Some(asked.clone()),
    };
    let grant = || NewGrant {
        id: new_id(),
        client_id: "cli".into(),
        user_id: ada.clone(),
        scope: "openid".into(),
        auth_time: t0(),
        amr: vec!["pwd".into()],
        created_at: t0(),
        expires_at: t0() + Duration::days(90),
        seat: None,
    };
    let claim = |code: &str, grant: NewGrant| SeatRequest {
        activation_id: ActivationId::new(),
        license_id: license.clone(),
        user_id: ada.clone(),
        fingerprint_hash: "fp-laptop-hash".into(),
        name: asked.name.clone(),
        platform: None,
        lease: None,
        max_activations: 10,
        now: t0(),
        activated: event(&ada, EventKind::DeviceActivated),
        app: Some(AppGrant {
            grant,
            asked: asked.clone(),
            via: GrantVia::Device { user_code_hash: format!("user-{code}") },
        }),
    };

    // Denied on another screen first: the approval that follows takes nothing.
    store.create_device_request(&device_request("denied")).await.unwrap();
    assert!(store.decide_device_request("user-denied", DeviceDecision::Deny, t0()).await.unwrap());
    let late = store.claim_seat(&claim("denied", grant())).await.unwrap();
    assert!(matches!(late, SeatClaim::AppRequestGone), "{late:?}");
    assert_eq!(store.seats_taken(&license, t0()).await.unwrap(), 0, "no seat without its sign-in");

    // Pending: the seat and the grant are written together, the grant naming the seat.
    store.create_device_request(&device_request("pending")).await.unwrap();
    let approved = store.claim_seat(&claim("pending", grant())).await.unwrap();
    let SeatClaim::New { activation, .. } = approved else { panic!("{approved:?}") };
    assert_eq!(store.seats_taken(&license, t0()).await.unwrap(), 1);
    let polled = store.poll_device_request("device-pending", "cli", t0()).await.unwrap();
    let DevicePoll::Approved(granted) = polled else { panic!("{polled:?}") };
    let seat = granted.seat.expect("the grant names its seat");
    assert_eq!((seat.activation_id, seat.license_id), (activation.id.to_string(), license.to_string()));
}
