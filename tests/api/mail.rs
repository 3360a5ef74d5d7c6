//! Mail end to end: real SMTP to an in-process sink, links followed from the
//! received messages, outages and restarts that delay mail but lose none.

use std::sync::Arc;

use latchkey::clock::ManualClock;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use time::Duration;

use crate::helpers::{Backend, TestApp, TestDb, assert_problem, totp_code};
use crate::on_both_backends;
use crate::smtp_sink::SmtpSink;

on_both_backends!(
    the_verification_link_verifies_the_address,
    a_password_reset_still_asks_for_the_second_factor,
    the_new_device_notice_removes_the_device,
    an_outage_and_a_restart_delay_mail_but_lose_none,
    two_instances_send_each_message_once,
    a_license_about_to_expire_is_noticed_once,
    changing_the_address_verifies_the_new_one_and_tells_the_old,
    sign_up_and_address_change_do_not_tell_who_has_an_account,
);

const PASSWORD: &str = "correct horse battery staple";

const POLICY: &str = "name = \"desk\"\nproduct = \"studio\"\nduration = \"365d\"\nmax_activations = 2\n\
binding = \"node_locked\"\noffline_lease = \"14d\"\n";

struct Setup {
    sink: SmtpSink,
    policies: tempfile::TempDir,
}

impl Setup {
    async fn new() -> Self {
        let policies = tempfile::tempdir().unwrap();
        std::fs::write(policies.path().join("desk.toml"), POLICY).unwrap();
        Self { sink: SmtpSink::start().await, policies }
    }

    async fn spawn(&self, db: Arc<TestDb>, clock: Arc<ManualClock>, require_verified: bool) -> TestApp {
        let url = self.sink.url.clone();
        let policies = self.policies.path().to_owned();
        TestApp::spawn_with_clock(db, clock, move |s| {
            s.smtp_url = Some(SecretString::from(url));
            s.mail = latchkey::config::MailMode::Smtp;
            s.mail_from = "Studio <no-reply@studio.test>".into();
            s.product_name = "Studio".into();
            s.policies = policies;
            s.require_verified_email = require_verified;
        })
        .await
    }
}

fn token_of(link: &url::Url) -> String {
    link.query_pairs().find(|(k, _)| k == "token").map(|(_, v)| v.into_owned()).expect("token in link")
}

async fn me(app: &TestApp, token: &str) -> Value {
    app.get("/v1/me", Some(token)).await.json().await.unwrap()
}

async fn issue_code(app: &TestApp, extra: Value) -> (String, String) {
    let mut request = json!({"policy": "desk"});
    request.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let issued: Value = app.post("/v1/admin/licenses", &request, Some(app.admin_key())).await.json().await.unwrap();
    let license = &issued["licenses"][0];
    (license["id"].as_str().unwrap().to_owned(), license["activation_code"].as_str().unwrap().to_owned())
}

async fn the_verification_link_verifies_the_address(backend: Backend) {
    let setup = Setup::new().await;
    let app = setup.spawn(TestDb::new(backend).await, Arc::new(ManualClock::starting_now()), true).await;
    app.sign_up("ada@example.com", PASSWORD).await;
    let session = app.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(me(&app, &session).await["user"]["email_verified"], false);

    // The operator asks for verified addresses before codes are redeemed.
    let (_, code) = issue_code(&app, json!({})).await;
    let redeem = app.post("/v1/me/licenses/redeem", &json!({"activation_code": code}), Some(&session)).await;
    assert_problem(redeem, StatusCode::FORBIDDEN, "email_verification_required").await;

    let mail = setup.sink.wait_for("ada@example.com", "Confirm your email", 1).await.remove(0);
    assert!(mail.data.contains("From: Studio <no-reply@studio.test>"), "{}", mail.data);
    assert!(mail.html().contains("<a href=\"http://localhost:8080/verify-email?token="), "{}", mail.html());
    let link = mail.link("http://localhost:8080/verify-email");
    let token = token_of(&link);
    assert!(token.starts_with("lk_vfy_"));

    let verified = app.post("/v1/email-verifications", &json!({"token": token}), None).await;
    assert_eq!(verified.status(), StatusCode::OK);
    assert_eq!(verified.json::<Value>().await.unwrap()["email_verified"], true);
    assert_eq!(me(&app, &session).await["user"]["email_verified"], true);
    let again = app.post("/v1/email-verifications", &json!({"token": token}), None).await;
    assert_problem(again, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let redeem = app.post("/v1/me/licenses/redeem", &json!({"activation_code": code}), Some(&session)).await;
    assert_eq!(redeem.status(), StatusCode::CREATED);
    let resend = app.post("/v1/me/email-verification", &json!({}), Some(&session)).await;
    assert_problem(resend, StatusCode::CONFLICT, "conflict").await;

    // A few verification mails per hour: sign-up's counts, two more are sent, then no more.
    app.sign_up("bob@example.com", PASSWORD).await;
    let bob = app.sign_in("bob@example.com", PASSWORD).await;
    for _ in 0..2 {
        assert_eq!(app.post("/v1/me/email-verification", &json!({}), Some(&bob)).await.status(), StatusCode::ACCEPTED);
    }
    let flooded = app.post("/v1/me/email-verification", &json!({}), Some(&bob)).await;
    assert_problem(flooded, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    let links = setup.sink.wait_for("bob@example.com", "Confirm your email", 3).await;
    // Each mail has its own link; any of them works once.
    let tokens: Vec<String> = links.iter().map(|m| token_of(&m.link("http://localhost:8080/verify-email"))).collect();
    assert_eq!(tokens.iter().collect::<std::collections::BTreeSet<_>>().len(), 3);
    let verified = app.post("/v1/email-verifications", &json!({"token": tokens[1]}), None).await;
    assert_eq!(verified.status(), StatusCode::OK);
    let forged = app.post("/v1/email-verifications", &json!({"token": "lk_vfy_made-up"}), None).await;
    assert_problem(forged, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    // Links expire after 24 hours.
    app.sign_up("cy@example.com", PASSWORD).await;
    let mail = setup.sink.wait_for("cy@example.com", "Confirm your email", 1).await.remove(0);
    app.clock.advance(Duration::hours(24));
    let late = app.post("/v1/email-verifications", &json!({"token": token_of(&mail.link("http://"))}), None).await;
    assert_problem(late, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}

async fn a_password_reset_still_asks_for_the_second_factor(backend: Backend) {
    let setup = Setup::new().await;
    let app = setup.spawn(TestDb::new(backend).await, Arc::new(ManualClock::starting_now()), false).await;
    app.sign_up("ada@example.com", PASSWORD).await;
    let session = app.sign_in("ada@example.com", PASSWORD).await;
    let (secret, _) = app.enroll_totp(&session).await;
    setup.sink.wait_for("ada@example.com", "sign-in method was added", 1).await;

    // Known and unknown addresses get the same answer; only the known one gets mail.
    let known = app.post("/v1/password-resets", &json!({"email": "ada@example.com"}), None).await;
    let unknown = app.post("/v1/password-resets", &json!({"email": "nobody@example.com"}), None).await;
    assert_eq!((known.status(), unknown.status()), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    let mail = setup.sink.wait_for("ada@example.com", "Reset your Studio password", 1).await.remove(0);
    let token = token_of(&mail.link("http://localhost:8080/reset-password"));
    assert!(setup.sink.to("nobody@example.com").await.is_empty());

    // A weak password does not spend the link.
    let weak = json!({"token": token, "new_password": "short"});
    let refused = app.post("/v1/password-resets/complete", &weak, None).await;
    assert_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let new_password = "a brand new passphrase";
    let done =
        app.post("/v1/password-resets/complete", &json!({"token": token, "new_password": new_password}), None).await;
    assert_eq!(done.status(), StatusCode::OK);
    let device = done.json::<Value>().await.unwrap()["device_token"].as_str().unwrap().to_owned();
    assert!(device.starts_with("lk_dev_"), "the device that followed the link is a known one");
    let reuse = json!({"token": token, "new_password": "another new one!"});
    let reuse = app.post("/v1/password-resets/complete", &reuse, None).await;
    assert_problem(reuse, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    // Every session ended; the old password is dead; the new one still needs the code.
    assert_eq!(app.get("/v1/me", Some(&session)).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.try_sign_in("ada@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    let pending = app.pending_sign_in("ada@example.com", new_password).await;
    app.clock.advance(Duration::seconds(30));
    let code = totp_code(&secret, app.clock_now());
    let signed_in = app.post("/v1/sessions/totp", &json!({"pending_token": pending, "code": code}), None).await;
    assert_eq!(signed_in.status(), StatusCode::CREATED);
    let fresh = signed_in.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    assert_eq!(me(&app, &fresh).await["user"]["email_verified"], true, "following the link proved the address");
    setup.sink.wait_for("ada@example.com", "password was changed", 1).await;

    // Reset links last 30 minutes.
    app.post("/v1/password-resets", &json!({"email": "ada@example.com"}), None).await;
    let mail = setup.sink.wait_for("ada@example.com", "Reset your Studio password", 2).await.remove(1);
    app.clock.advance(Duration::minutes(31));
    let late = json!({"token": token_of(&mail.link("http://")), "new_password": "yet another passphrase"});
    assert_problem(
        app.post("/v1/password-resets/complete", &late, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}

async fn the_new_device_notice_removes_the_device(backend: Backend) {
    let setup = Setup::new().await;
    let app = setup.spawn(TestDb::new(backend).await, Arc::new(ManualClock::starting_now()), false).await;
    app.sign_up("ada@example.com", PASSWORD).await;
    let session = app.sign_in("ada@example.com", PASSWORD).await;
    let (license_id, code) = issue_code(&app, json!({})).await;
    app.post("/v1/me/licenses/redeem", &json!({"activation_code": code}), Some(&session)).await;
    let activation = json!({"license_id": license_id, "fingerprint": "laptop-1", "name": "Ada's <b>laptop</b>"});
    assert_eq!(app.post("/v1/activations", &activation, Some(&session)).await.status(), StatusCode::CREATED);

    let mail = setup.sink.wait_for("ada@example.com", "new device was activated", 1).await.remove(0);
    assert!(mail.text().contains("Ada's <b>laptop</b> was just activated"), "{}", mail.text());
    assert!(mail.html().contains("Ada&#39;s &lt;b&gt;laptop&lt;/b&gt;"), "{}", mail.html());
    let link = mail.link("http://localhost:8080/devices/remove");
    let query: std::collections::HashMap<String, String> = link.query_pairs().into_owned().collect();
    let removal = json!({"activation": query["activation"], "expires": query["expires"].parse::<i64>().unwrap(), "sig": query["sig"]});

    let mut forged = removal.clone();
    forged["expires"] = json!(removal["expires"].as_i64().unwrap() + 86_400);
    assert_problem(
        app.post("/v1/device-removals", &forged, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(app.post("/v1/device-removals", &removal, None).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.post("/v1/device-removals", &removal, None).await.status(),
        StatusCode::NO_CONTENT,
        "twice is harmless"
    );
    let licenses: Value = app.get("/v1/me/licenses", Some(&session)).await.json().await.unwrap();
    assert_eq!(licenses["licenses"][0]["activations"], json!([]), "the seat is free");

    // A week later the link no longer works.
    assert_eq!(app.post("/v1/activations", &activation, Some(&session)).await.status(), StatusCode::CREATED);
    let mail = setup.sink.wait_for("ada@example.com", "new device was activated", 2).await.remove(1);
    let query: std::collections::HashMap<String, String> =
        mail.link("http://localhost:8080/devices/remove").query_pairs().into_owned().collect();
    app.clock.advance(Duration::days(8));
    let late = json!({"activation": query["activation"], "expires": query["expires"].parse::<i64>().unwrap(), "sig": query["sig"]});
    assert_problem(
        app.post("/v1/device-removals", &late, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}

async fn an_outage_and_a_restart_delay_mail_but_lose_none(backend: Backend) {
    let setup = Setup::new().await;
    let db = TestDb::new(backend).await;
    let clock = Arc::new(ManualClock::starting_now());
    setup.sink.set_down(true);
    let mut first = setup.spawn(db.clone(), clock.clone(), false).await;
    for name in ["ann", "ben", "cat"] {
        first.sign_up(&format!("{name}@example.com"), PASSWORD).await;
    }
    // The worker tries, the server refuses, the messages wait.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(setup.sink.all().await.is_empty());

    // This instance stops; another starts on the same database, the server comes back.
    first.stop().await;
    setup.sink.set_down(false);
    let second = setup.spawn(db, clock.clone(), false).await;
    second.sign_up("dan@example.com", PASSWORD).await;
    setup.sink.wait_for("dan@example.com", "Confirm your email", 1).await;
    // Those that failed wait for their retry time (15 s after the failure).
    clock.advance(Duration::seconds(16));
    for name in ["ann", "ben", "cat"] {
        setup.sink.wait_for(&format!("{name}@example.com"), "Confirm your email", 1).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    clock.advance(Duration::minutes(5));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    for name in ["ann", "ben", "cat", "dan"] {
        assert_eq!(setup.sink.to(&format!("{name}@example.com")).await.len(), 1, "{name}: exactly once");
    }
}

async fn two_instances_send_each_message_once(backend: Backend) {
    let setup = Setup::new().await;
    let db = TestDb::new(backend).await;
    let clock = Arc::new(ManualClock::starting_now());
    let first = setup.spawn(db.clone(), clock.clone(), false).await;
    let second = setup.spawn(db, clock, false).await;
    let emails: Vec<String> = (0..12).map(|i| format!("user{i}@example.com")).collect();
    let bodies: Vec<Value> = emails.iter().map(|email| json!({"email": email, "password": PASSWORD})).collect();
    let sign_ups = bodies.iter().enumerate().map(|(i, body)| {
        let app = if i % 2 == 0 { &first } else { &second };
        app.post("/v1/users", body, None)
    });
    for response in futures::future::join_all(sign_ups).await {
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    for email in &emails {
        setup.sink.wait_for(email, "Confirm your email", 1).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(setup.sink.all().await.len(), emails.len(), "no message twice");
}

async fn a_license_about_to_expire_is_noticed_once(backend: Backend) {
    let setup = Setup::new().await;
    let clock = Arc::new(ManualClock::starting_now());
    let app = setup.spawn(TestDb::new(backend).await, clock.clone(), false).await;
    app.sign_up("ada@example.com", PASSWORD).await;
    let session = app.sign_in("ada@example.com", PASSWORD).await;
    let expires = latchkey::clock::Clock::now(clock.as_ref()) + Duration::days(10);
    let expires_at = expires.format(&time::format_description::well_known::Rfc3339).unwrap();
    let (_, code) = issue_code(&app, json!({"expires_at": expires_at})).await;
    app.post("/v1/me/licenses/redeem", &json!({"activation_code": code}), Some(&session)).await;

    // Ten days out: nothing. Six days out: one notice, and only one.
    clock.advance(Duration::days(1));
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert!(setup.sink.to("ada@example.com").await.iter().all(|m| !m.subject().contains("expires soon")));
    clock.advance(Duration::days(3));
    let notice = setup.sink.wait_for("ada@example.com", "license expires soon", 1).await.remove(0);
    assert!(notice.text().contains("Your studio license expires on"), "{}", notice.text());
    clock.advance(Duration::minutes(2));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let notices = setup.sink.wait_for("ada@example.com", "license expires soon", 1).await;
    assert_eq!(notices.len(), 1);
}

async fn changing_the_address_verifies_the_new_one_and_tells_the_old(backend: Backend) {
    let setup = Setup::new().await;
    let app = setup.spawn(TestDb::new(backend).await, Arc::new(ManualClock::starting_now()), false).await;
    app.sign_up("ada@example.com", PASSWORD).await;
    let session = app.sign_in("ada@example.com", PASSWORD).await;
    let first = setup.sink.wait_for("ada@example.com", "Confirm your email", 1).await.remove(0);
    let verified = app.post("/v1/email-verifications", &json!({"token": token_of(&first.link("http://"))}), None).await;
    assert_eq!(verified.status(), StatusCode::OK);

    // A reset link mailed to the old address stops working once the address changes.
    app.post("/v1/password-resets", &json!({"email": "ada@example.com"}), None).await;
    let reset = setup.sink.wait_for("ada@example.com", "Reset your Studio password", 1).await.remove(0);

    let changed = app.post("/v1/me/email", &json!({"email": "Ada@New.Example"}), Some(&session)).await;
    assert_eq!(changed.status(), StatusCode::ACCEPTED);
    assert_eq!(
        changed.json::<Value>().await.unwrap(),
        json!({"state": "check_your_email", "email": "ada@new.example"})
    );
    // Nothing changes until the new address proves itself.
    assert_eq!(me(&app, &session).await["user"]["email"], "ada@example.com");
    let mail = setup.sink.wait_for("ada@new.example", "Confirm your email", 1).await.remove(0);
    let verified = app.post("/v1/email-verifications", &json!({"token": token_of(&mail.link("http://"))}), None).await;
    let user = verified.json::<Value>().await.unwrap();
    assert_eq!((user["email"].as_str(), user["email_verified"].as_bool()), (Some("ada@new.example"), Some(true)));

    let notice = setup.sink.wait_for("ada@example.com", "email address of your Studio account", 1).await.remove(0);
    assert!(notice.text().contains("changed to ada@new.example"), "{}", notice.text());
    // The link sent to the old address before the change no longer verifies anything.
    let stale = app.post("/v1/email-verifications", &json!({"token": token_of(&first.link("http://"))}), None).await;
    assert_problem(stale, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(app.try_sign_in("Ada@new.example", PASSWORD).await.status(), StatusCode::CREATED);
    let old_link = json!({"token": token_of(&reset.link("http://")), "new_password": "taken over by the old mailbox"});
    let refused = app.post("/v1/password-resets/complete", &old_link, None).await;
    assert_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    // Later in the session, a change needs a fresh proof first.
    app.clock.advance(Duration::minutes(6));
    let stale_session = app.post("/v1/me/email", &json!({"email": "ada@third.example"}), Some(&session)).await;
    assert_problem(stale_session, StatusCode::UNAUTHORIZED, "reauthentication_required").await;
}

/// A taken address answers exactly like a free one, for sign-up and for an
/// address change; the owner of the taken one hears about it, a few times
/// an hour at most, and nothing of theirs changes.
async fn sign_up_and_address_change_do_not_tell_who_has_an_account(backend: Backend) {
    let setup = Setup::new().await;
    let app = setup.spawn(TestDb::new(backend).await, Arc::new(ManualClock::starting_now()), false).await;
    app.sign_up("ada@example.com", PASSWORD).await;
    let ada = app.sign_in("ada@example.com", PASSWORD).await;
    setup.sink.wait_for("ada@example.com", "Confirm your email", 1).await;

    let sign_up = |email: &'static str| {
        let app = &app;
        async move {
            let response =
                app.post("/v1/users", &json!({"email": email, "password": "a stranger's passphrase"}), None).await;
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    let (taken_status, mut taken) = sign_up("ada@example.com").await;
    let (free_status, mut free) = sign_up("zed@example.com").await;
    assert_eq!(taken_status, free_status);
    assert_eq!(taken.as_object_mut().unwrap().remove("email"), Some(json!("ada@example.com")));
    assert_eq!(free.as_object_mut().unwrap().remove("email"), Some(json!("zed@example.com")));
    assert_eq!(taken, free);
    let told = setup.sink.wait_for("ada@example.com", "Someone tried to use your address", 1).await.remove(0);
    assert!(told.text().contains("nothing was changed"), "{}", told.text());
    setup.sink.wait_for("zed@example.com", "Confirm your email", 1).await;
    // The stranger's password opens nothing; Ada's still works.
    assert_eq!(app.try_sign_in("ada@example.com", "a stranger's passphrase").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.try_sign_in("ada@example.com", PASSWORD).await.status(), StatusCode::CREATED);

    // Moving another account onto Ada's address looks like moving it to a free one.
    let zed = app.sign_in("zed@example.com", "a stranger's passphrase").await;
    let to_taken = app.post("/v1/me/email", &json!({"email": "ada@example.com"}), Some(&zed)).await;
    let to_free = app.post("/v1/me/email", &json!({"email": "yan@example.com"}), Some(&zed)).await;
    assert_eq!((to_taken.status(), to_free.status()), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
    let (mut to_taken, mut to_free) = (to_taken.json::<Value>().await.unwrap(), to_free.json::<Value>().await.unwrap());
    to_taken.as_object_mut().unwrap().remove("email");
    to_free.as_object_mut().unwrap().remove("email");
    assert_eq!(to_taken, to_free);
    setup.sink.wait_for("ada@example.com", "Someone tried to use your address", 2).await;
    setup.sink.wait_for("yan@example.com", "Confirm your email", 1).await;
    assert_eq!(me(&app, &zed).await["user"]["email"], "zed@example.com");
    assert_eq!(me(&app, &ada).await["user"]["email"], "ada@example.com");

    // The owner hears of it a few times an hour, not once per try.
    for _ in 0..5 {
        sign_up("ada@example.com").await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        setup.sink.to("ada@example.com").await.iter().filter(|m| m.subject().contains("Someone tried")).count(),
        3
    );
}
