//! The pages' edge without a browser: form tokens, hostile bodies and the
//! headers, on both databases (the browser scenarios run on SQLite).

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_form_needs_its_token_and_hostile_bodies_change_nothing,
    pages_and_assets_carry_their_headers,
    page_posts_share_the_per_ip_credential_limit,
    a_sign_in_passkey_challenge_costs_what_the_api_charges,
    a_signed_in_form_without_its_token_changes_nothing,
    a_form_body_that_never_finishes_gets_a_page_in_time,
    a_form_that_runs_out_of_time_mid_action_says_it_may_be_done,
    a_remembered_code_serves_only_its_own_account_and_costs_a_look_up,
    signing_in_again_ends_the_session_it_replaces,
    the_support_page_hands_tokens_only_to_the_widgets_it_loads,
);

/// The browser cookie and the form token of a fresh visit to `path`.
async fn visit(app: &TestApp, path: &str) -> (String, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lk_browser="))
        .and_then(|v| v.split(';').next())
        .expect("a browser cookie")
        .to_owned();
    let html = response.text().await.unwrap();
    let start = html.find("name=\"csrf\" value=\"").expect("a form token") + "name=\"csrf\" value=\"".len();
    let token = html[start..].split('"').next().unwrap().to_owned();
    (cookie, token)
}

async fn post_form(app: &TestApp, path: &str, cookie: &str, body: String) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header(COOKIE, cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn a_form_needs_its_token_and_hostile_bodies_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (cookie, token) = visit(&app, "/sign-up").await;
    let form = |email: &str, token: &str| format!("email={email}&password=correct+horse+battery&csrf={token}");

    // Without the token, or with another browser's: a page, not an account.
    let response =
        post_form(&app, "/sign-up", &cookie, "email=a%40example.com&password=correct+horse+battery".into()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let (other_cookie, _) = visit(&app, "/sign-in").await;
    let response = post_form(&app, "/sign-up", &other_cookie, form("a%40example.com", &token)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.try_sign_in("a@example.com", "correct horse battery").await.status(), StatusCode::UNAUTHORIZED);

    // A NUL in a field: refused in words before any service sees it.
    let response = post_form(&app, "/sign-up", &cookie, form("nul%00%40example.com", &token)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("data-code=\"validation_failed\""));
    let response = app.client.get(app.url("/sign-in?next=%00")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A link whose query is not what the page takes: a page, not axum's plain text.
    for link in ["/sign-in?next=/a&next=/b", "/reset-password?token=a&token=b", "/activate?code=a&code=b"] {
        let response = app.client.get(app.url(link)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{link}");
        assert!(response.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"), "{link}");
        let text = response.text().await.unwrap();
        assert!(text.contains("data-code=\"validation_failed\""), "{link}");
        // A link has no fields to check: the page says the link is at fault.
        assert!(text.contains("This link is unknown") && !text.contains("highlighted fields"), "{link}: {text}");
    }

    // Too large a body: refused, and no half of it acted on.
    // On a connection of its own: the server closes the one it refused
    // mid-body, and a pooled client could reuse it for the next request.
    let huge = form(&format!("{}%40example.com", "a".repeat(200_000)), &token);
    let sent = reqwest::Client::new()
        .post(app.url("/sign-up"))
        .header(COOKIE, &cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(huge)
        .send()
        .await;
    // The answer may come before the client has sent it all, and the
    // connection then closes under the rest: either is a refusal.
    if let Ok(response) = sent {
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    // A body that is not the form at all.
    let response = post_form(&app, "/sign-up", &cookie, format!("csrf={token}&%ff%fe=1")).await;
    assert!(response.status().is_client_error(), "{}", response.status());
    let response = post_form(&app, "/sign-up", &cookie, format!("csrf={token}")).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(response.text().await.unwrap().contains("data-code=\"validation_failed\""));

    // None of it made an account: signing up for real still mails a first link.
    let response = post_form(&app, "/sign-up", &cookie, form("a%40example.com", &token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app.try_sign_in("a@example.com", "correct horse battery").await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn pages_and_assets_carry_their_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/sign-in", "/sign-up", "/no/such/page", "/account"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert_eq!(headers["cache-control"], "no-store", "{path}");
    }
    // Signed out, an account page leads to sign-in and back.
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/account?tab=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/sign-in?next=%2Faccount%3Ftab%3D1");

    // The stylesheet comes from us, cached for good under its content hash.
    let html = app.client.get(app.url("/sign-in")).send().await.unwrap().text().await.unwrap();
    let start = html.find("/assets/app.").unwrap();
    let path = html[start..].split('"').next().unwrap();
    let response = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    let response = app.client.get(app.url("/assets/app.0000.css")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Our scripts' JSON calls, signed out: where to go, in JSON, back to the page they came from.
    let (cookie, token) = visit(&app, "/sign-in").await;
    let response = app
        .client
        .post(app.url("/account/confirm/passkey/options"))
        .header(COOKIE, cookie)
        .header("x-csrf-token", token)
        .header("referer", app.url("/account/security"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["redirect"], "/sign-in?next=%2Faccount%2Fsecurity");

    // A page address asked with the wrong method: a page, not an empty answer.
    let response = app.client.get(app.url("/sign-out")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(response.text().await.unwrap().contains("data-code=\"method_not_allowed\""));
}

async fn page_posts_share_the_per_ip_credential_limit(backend: Backend) {
    let db = crate::helpers::TestDb::new(backend).await;
    let app = TestApp::spawn_on(db, |s| s.ip_rate_per_minute = 3).await;
    let (cookie, token) = visit(&app, "/sign-in").await;
    let wrong = format!("email=someone%40example.com&password=not+the+password&csrf={token}");
    for _ in 0..3 {
        let response = post_form(&app, "/sign-in", &cookie, wrong.clone()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = post_form(&app, "/sign-in", &cookie, wrong).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    assert!(response.text().await.unwrap().contains("data-code=\"rate_limited\""));
    // The same budget as the API's credential routes.
    let response = app.try_sign_in("someone@example.com", "not the password").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn a_sign_in_passkey_challenge_costs_what_the_api_charges(backend: Backend) {
    let db = crate::helpers::TestDb::new(backend).await;
    let app = TestApp::spawn_on(db, |s| s.ip_rate_per_minute = 3).await;
    let (cookie, token) = visit(&app, "/sign-in").await;
    let ask = |path: &'static str| {
        app.client
            .post(app.url(path))
            .header(COOKIE, &cookie)
            .header("x-csrf-token", &token)
            .header(CONTENT_TYPE, "application/json")
            .body("{}")
            .send()
    };
    // Each stores a challenge for whoever asks: the same budget as the API's.
    for _ in 0..3 {
        assert_eq!(ask("/sign-in/passkey/options").await.unwrap().status(), StatusCode::OK);
    }
    let refused = ask("/sign-in/passkey/options").await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    let refused = ask("/sign-in/second-step/passkey/options").await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let response = app.try_sign_in("someone@example.com", "not the password").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

/// A browser signed in on the pages: its cookies and form token.
async fn signed_in_browser(app: &TestApp, client: &reqwest::Client, email: &str) -> (String, String) {
    let (browser, token) = visit(app, "/sign-in").await;
    let signed_in = client
        .post(app.url("/sign-in"))
        .header(COOKIE, &browser)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("email={}&password=correct+horse+battery&csrf={token}", email.replace('@', "%40")))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    (format!("{browser}; lk_session={}", set_cookie(&signed_in, "lk_session").expect("a session")), token)
}

async fn a_signed_in_form_without_its_token_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("keeper@example.com", "correct horse battery").await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let (cookies, token) = signed_in_browser(&app, &client, "keeper@example.com").await;
    let change = |body: String| {
        client
            .post(app.url("/account/security/password"))
            .header(COOKIE, &cookies)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let wanted = "current_password=correct+horse+battery&new_password=a+whole+new+secret";
    // A cross-site form carries the session cookie but not the token.
    let refused = change(wanted.to_owned()).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("data-code="));
    let refused = change(format!("{wanted}&csrf=not-the-token")).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.try_sign_in("keeper@example.com", "correct horse battery").await.status(), StatusCode::CREATED);
    assert_eq!(app.try_sign_in("keeper@example.com", "a whole new secret").await.status(), StatusCode::UNAUTHORIZED);
    // With it, the same form works: the refusal was the token's doing.
    let done = change(format!("{wanted}&csrf={token}")).await.unwrap();
    assert!(done.status().is_redirection() || done.status().is_success(), "{}", done.status());
    assert_eq!(app.try_sign_in("keeper@example.com", "a whole new secret").await.status(), StatusCode::CREATED);
}

async fn a_form_body_that_never_finishes_gets_a_page_in_time(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = crate::helpers::TestDb::new(backend).await;
    let app = TestApp::spawn_on(db, |s| s.request_timeout = std::time::Duration::from_secs(2)).await;
    let (cookie, _) = visit(&app, "/sign-in").await;
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /sign-in HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\nAccept-Language: et\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 400\r\n\r\nemail=slow"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut buffer = [0u8; 4096];
        while !String::from_utf8_lossy(&answer).contains("</html>") {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    });
    read.await.expect("answered within the request limit");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.to_ascii_lowercase().contains("content-type: text/html"), "{answer}");
    assert!(answer.contains("data-code=\"timeout\""), "{answer}");
    // Nothing was begun: trying again is all there is to do.
    assert!(answer.contains("Proovige hetke pärast uuesti."), "{answer}");
    assert!(answer.contains("<html lang=\"et\""), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("frame-ancestors 'none'"), "{answer}");
}

/// Another connection holding the lock a PIN's write needs, until dropped
/// (which rolls its transaction back): held only to be dropped.
async fn hold_writes(db: &crate::helpers::TestDb) -> Box<dyn std::any::Any + Send> {
    use sqlx::{Connection, Executor};
    if db.dir.is_some() {
        let mut connection = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        connection.execute("BEGIN IMMEDIATE").await.unwrap();
        Box::new(connection)
    } else {
        let mut connection = sqlx::PgConnection::connect(&db.url).await.unwrap();
        connection.execute("BEGIN; LOCK TABLE support_pins IN ACCESS EXCLUSIVE MODE").await.unwrap();
        Box::new(connection)
    }
}

/// A form whose action was under way when time ran out may have been done
/// (here a new PIN, which replaces the old one): the page says to check
/// before trying again, not merely to try again.
async fn a_form_that_runs_out_of_time_mid_action_says_it_may_be_done(backend: Backend) {
    let db = crate::helpers::TestDb::new(backend).await;
    let app = TestApp::spawn_on(db.clone(), |s| s.request_timeout = std::time::Duration::from_secs(2)).await;
    app.sign_up("patient@example.com", "correct horse battery").await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let (cookies, csrf) = signed_in_browser(&app, &client, "patient@example.com").await;
    let held = hold_writes(&db).await;
    let answer = post_form(&app, "/account/support", &cookies, format!("csrf={csrf}")).await;
    drop(held);
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    let text = answer.text().await.unwrap();
    assert!(text.contains("data-code=\"timeout\""), "{text}");
    assert!(text.contains("may have been done all the same"), "{text}");
    assert!(text.contains("check whether it was done before you try again"), "{text}");
}

async fn a_remembered_code_serves_only_its_own_account_and_costs_a_look_up(backend: Backend) {
    let db = crate::helpers::TestDb::new(backend).await;
    let policies = tempfile::tempdir().unwrap();
    std::fs::write(
        policies.path().join("plain.toml"),
        "name = \"plain\"\nproduct = \"plain\"\nmax_activations = 1\nbinding = \"node_locked\"\n\
         offline_lease = \"14d\"\nactivation_code_uses = 1\n",
    )
    .unwrap();
    let folder = policies.path().to_owned();
    let app = TestApp::spawn_on(db, move |s| {
        s.policies = folder;
        s.ip_rate_per_minute = 5;
    })
    .await;
    let issued = app.post("/v1/admin/licenses", &serde_json::json!({"policy": "plain"}), Some(app.admin_key())).await;
    let issued: serde_json::Value = issued.json().await.unwrap();
    let code = issued["licenses"][0]["activation_code"].as_str().unwrap().to_owned();

    app.sign_up("resumer@example.com", "correct horse battery").await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let (cookies, _) = signed_in_browser(&app, &client, "resumer@example.com").await;
    let own_id = app.user_id(&app.sign_in("resumer@example.com", "correct horse battery").await).await;
    let resume = |owner: String| {
        client
            .get(app.url("/activate?resume=1"))
            .header(COOKIE, format!("{cookies}; lk_activate_code={owner}.{code}"))
            .send()
    };
    // This account's own code comes back to the checklist.
    let page = resume(own_id).await.unwrap().text().await.unwrap();
    assert!(page.contains(&code), "{page}");
    // One remembered for someone else in this browser is not handed over.
    let page = resume(uuid::Uuid::now_v7().to_string()).await.unwrap().text().await.unwrap();
    assert!(!page.contains(&code), "{page}");
    // Each is a look-up, charged like a typed code (sign-up, two sign-ins, two resumes: 5).
    let refused = resume("anyone".into()).await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    // A session that has ended takes the remembered code with it: on a
    // shared computer the next person does not find it in the browser.
    let ended = client
        .get(app.url("/account"))
        .header(COOKIE, format!("lk_session=lk_ses_ended; lk_activate_code=someone.{code}"))
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), StatusCode::SEE_OTHER);
    let cleared = ended
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with("lk_activate_code=;") && v.to_ascii_lowercase().contains("max-age=0"));
    assert!(cleared, "{:?}", ended.headers());
}

/// The value of the cookie `name` the response sets.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap_or("").to_owned()))
        .filter(|value| !value.is_empty())
}

async fn signing_in_again_ends_the_session_it_replaces(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_up("twice@example.com", "correct horse battery").await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let (browser, token) = visit(&app, "/sign-in").await;
    let form = format!("email=twice%40example.com&password=correct+horse+battery&csrf={token}");
    let post = |cookies: String| {
        client
            .post(app.url("/sign-in"))
            .header(COOKIE, cookies)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form.clone())
            .send()
    };
    let first = post(browser.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let first_session = set_cookie(&first, "lk_session").expect("a session cookie");
    assert_eq!(app.get("/v1/me", Some(&first_session)).await.status(), StatusCode::OK);

    let second = post(format!("{browser}; lk_session={first_session}")).await.unwrap();
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    let second_session = set_cookie(&second, "lk_session").expect("a new session cookie");
    assert_ne!(first_session, second_session);
    assert_eq!(app.get("/v1/me", Some(&first_session)).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/v1/me", Some(&second_session)).await.status(), StatusCode::OK);
}

/// Every script on the support page could read every token on it, so only
/// an integration with a widget gets one there: a token meant for a
/// product's back end never reaches a vendor's chat script.
async fn the_support_page_hands_tokens_only_to_the_widgets_it_loads(backend: Backend) {
    let integration =
        |text: &str| toml::from_str::<latchkey::domain::integration::RawIntegration>(text).unwrap().validate().unwrap();
    let integrations = vec![
        integration("name = \"backend\"\nkind = \"jwt\"\nlicensed_only = false\n"),
        integration(
            "name = \"chat\"\nkind = \"jwt\"\nlicensed_only = false\nwidget_script = \"https://chat.example.com/w.js\"\n",
        ),
    ];
    let app =
        TestApp::spawn_on(crate::helpers::TestDb::new(backend).await, move |s| s.integrations = integrations).await;
    app.sign_up("helped@example.com", "correct horse battery").await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let (cookies, csrf) = signed_in_browser(&app, &client, "helped@example.com").await;
    let page = client.get(app.url("/account/support")).header(COOKIE, &cookies).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("data-audience=\"chat\""), "{html}");
    assert!(!html.contains("data-audience=\"backend\""), "{html}");
    assert_eq!(html.matches("data-token=").count(), 1, "{html}");

    // A widget whose token expired mid-chat gets a fresh one; the back
    // end's token is no more to be had this way than on the page.
    let renew = |audience: &str, csrf: &str| {
        client
            .post(app.url("/account/support/widget-token"))
            .header(COOKIE, &cookies)
            .header("x-csrf-token", csrf)
            .json(&serde_json::json!({ "audience": audience }))
            .send()
    };
    let renewed = renew("chat", &csrf).await.unwrap();
    assert_eq!(renewed.status(), StatusCode::OK);
    assert_eq!(renewed.headers()["cache-control"], "no-store");
    let renewed: serde_json::Value = renewed.json().await.unwrap();
    assert_eq!(renewed["token"].as_str().unwrap().split('.').count(), 3, "{renewed}");
    let refused = renew("backend", &csrf).await.unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert_eq!(refused.json::<serde_json::Value>().await.unwrap()["error"]["code"], "not_found");
    assert_eq!(renew("chat", "not-the-token").await.unwrap().status(), StatusCode::FORBIDDEN);
}
