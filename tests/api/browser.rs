//! The end-user pages in a real browser: Debian's Chromium, driven by
//! Playwright for Python (`tests/browser/`), against the real application.
//! This side serves the application on `localhost` (a name WebAuthn
//! accepts), catches its mail, and opens a control port through which the
//! scenarios read that mail and move the application's clock.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use latchkey::clock::ManualClock;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::helpers::{Backend, TestApp, TestDb};
use crate::smtp_sink::SmtpSink;

/// Policies the scenarios issue licenses under; never the shipped examples.
const POLICIES: &[(&str, &str)] = &[
    (
        "vault-passkey.toml",
        "name = \"vault-passkey\"\nproduct = \"vault\"\nmax_activations = 1\nbinding = \"node_locked\"\n\
         offline_lease = \"14d\"\nactivation_code_uses = 1\ndeactivation_requires_step_up = true\n\
         [sign_in]\nrequire = \"passkey\"\n[eula]\nrequired = true\n",
    ),
    (
        "studio-mfa.toml",
        "name = \"studio-mfa\"\nproduct = \"studio\"\nmax_activations = 2\nbinding = \"node_locked\"\n\
         offline_lease = \"14d\"\nactivation_code_uses = 1\ndeactivation_requires_step_up = true\n\
         [sign_in]\nrequire = \"mfa\"\n",
    ),
    (
        "notes-single.toml",
        "name = \"notes-single\"\nproduct = \"notes\"\nmax_activations = 1\nbinding = \"node_locked\"\n\
         offline_lease = \"14d\"\nactivation_code_uses = 1\n",
    ),
    (
        "notes-team.toml",
        "name = \"notes-team\"\nproduct = \"notes\"\nmax_activations = 1\nbinding = \"node_locked\"\n\
         offline_lease = \"14d\"\nactivation_code_uses = 5\n",
    ),
];

#[derive(Clone)]
struct Control {
    sink: SmtpSink,
    clock: Arc<ManualClock>,
}

#[derive(Deserialize)]
struct MailQuery {
    to: Option<String>,
}

async fn mail(State(control): State<Control>, Query(query): Query<MailQuery>) -> Json<Value> {
    let messages = match query.to {
        Some(address) => control.sink.to(&address).await,
        None => control.sink.all().await,
    };
    let list: Vec<Value> = messages
        .iter()
        .map(|m| json!({"to": m.to, "subject": m.subject(), "text": m.text(), "html": m.html()}))
        .collect();
    Json(json!(list))
}

#[derive(Deserialize)]
struct Advance {
    seconds: u64,
}

async fn advance(State(control): State<Control>, Json(body): Json<Advance>) -> Json<Value> {
    control.clock.advance(time::Duration::seconds(i64::try_from(body.seconds).unwrap_or(0)));
    Json(json!({"now": latchkey::clock::Clock::now(control.clock.as_ref()).unix_timestamp()}))
}

async fn now(State(control): State<Control>) -> Json<Value> {
    Json(json!({"now": latchkey::clock::Clock::now(control.clock.as_ref()).unix_timestamp()}))
}

/// Stand-ins for the vendors' widget scripts, from an origin of their own.
async fn vendor_script(Path(name): Path<String>) -> axum::response::Response {
    let file = match name.as_str() {
        "zendesk.js" => "zendesk.js",
        "intercomapp" => "intercom.js",
        _ => return axum::http::StatusCode::NOT_FOUND.into_response(),
    };
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/vendors").join(file);
    ([(header::CONTENT_TYPE, "text/javascript")], std::fs::read_to_string(path).unwrap()).into_response()
}

/// The support page's chat widgets: Zendesk messaging and Intercom, their
/// scripts served by the control port (another origin, as a vendor's is).
fn widget_integrations(
    control_url: &str,
    secrets: &std::path::Path,
) -> Vec<latchkey::domain::integration::Integration> {
    let integration = |text: String| {
        toml::from_str::<latchkey::domain::integration::RawIntegration>(&text).unwrap().validate().unwrap()
    };
    vec![
        integration(format!(
            "name = \"zendesk\"\nkind = \"zendesk_messaging\"\nkey_id = \"app_browser\"\nlicensed_only = false\n\
             secret_file = \"{}\"\nwidget_script = \"{control_url}/vendors/zendesk.js?key=browser\"\n",
            secrets.join("zendesk").display()
        )),
        integration(format!(
            "name = \"intercom\"\nkind = \"intercom\"\nlicensed_only = false\n\
             secret_file = \"{}\"\nwidget_script = \"{control_url}/vendors/widget/intercomapp\"\n",
            secrets.join("intercom").display()
        )),
    ]
}

/// Shared secrets for the widget integrations, also handed to the scenarios
/// so they check the tokens as the vendors would.
const ZENDESK_SECRET: &str = "zendesk-browser-secret-0123456789abcdef";
const INTERCOM_SECRET: &str = "intercom-browser-secret-0123456789abcdef";

fn artifacts() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("browser-artifacts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_work_in_chromium() {
    let sink = SmtpSink::start().await;
    let policies = tempfile::tempdir().unwrap();
    for (name, text) in POLICIES {
        std::fs::write(policies.path().join(name), text).unwrap();
    }
    let secrets = tempfile::tempdir().unwrap();
    std::fs::write(secrets.path().join("zendesk"), ZENDESK_SECRET).unwrap();
    std::fs::write(secrets.path().join("intercom"), INTERCOM_SECRET).unwrap();
    let control_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let control_url = format!("http://{}", control_listener.local_addr().unwrap());
    let integrations = widget_integrations(&control_url, secrets.path());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = format!("http://localhost:{port}");
    let clock = Arc::new(ManualClock::starting_now());
    let (smtp, policy_dir, public) = (sink.url.clone(), policies.path().to_owned(), base.clone());
    let app = TestApp::spawn_listening(listener, TestDb::new(Backend::Sqlite).await, clock.clone(), move |s| {
        s.public_url = public.parse().unwrap();
        s.smtp_url = Some(SecretString::from(smtp));
        s.mail = latchkey::config::MailMode::Smtp;
        s.mail_from = "Vault <no-reply@vault.test>".into();
        s.product_name = "Vault".into();
        s.policies = policy_dir;
        s.integrations = integrations;
        s.clients = vec![
            toml::from_str::<latchkey::domain::client::RawClient>(
                "id = \"studio-desktop\"\nname = \"Studio Desktop\"\nkind = \"public\"\n\
                 redirect_uris = [\"http://127.0.0.1/callback\"]\ngrants = [\"authorization_code\", \"refresh_token\"]\n\
                 product = \"studio\"\n",
            )
            .unwrap()
            .validate()
            .unwrap(),
            toml::from_str::<latchkey::domain::client::RawClient>(
                "id = \"notes-desktop\"\nname = \"Notes\"\nkind = \"public\"\n\
                 redirect_uris = [\"http://127.0.0.1/callback\"]\ngrants = [\"authorization_code\", \"refresh_token\"]\n\
                 product = \"notes\"\n",
            )
            .unwrap()
            .validate()
            .unwrap(),
            toml::from_str::<latchkey::domain::client::RawClient>(
                "id = \"studio-cli\"\nname = \"Studio CLI\"\nkind = \"public\"\n\
                 grants = [\"device_code\"]\ndevice_flow = true\nproduct = \"studio\"\n",
            )
            .unwrap()
            .validate()
            .unwrap(),
        ];
    })
    .await;

    let control = Router::new()
        .route("/mail", get(mail))
        .route("/clock", get(now))
        .route("/clock/advance", post(advance))
        .route("/vendors/{name}", get(vendor_script))
        .route("/vendors/widget/{name}", get(vendor_script))
        .with_state(Control { sink, clock });
    tokio::spawn(async move { axum::serve(control_listener, control).await });

    std::fs::create_dir_all(artifacts()).unwrap();
    let mut command = tokio::process::Command::new("python3");
    command
        .args(["-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "tests/browser"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("LATCHKEY_URL", &base)
        .env("LATCHKEY_CONTROL_URL", &control_url)
        .env("LATCHKEY_ADMIN_KEY", app.admin_key())
        .env("LATCHKEY_ARTIFACTS", artifacts())
        .env("LATCHKEY_ZENDESK_SECRET", ZENDESK_SECRET)
        .env("LATCHKEY_INTERCOM_SECRET", INTERCOM_SECRET)
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    if let Ok(only) = std::env::var("LATCHKEY_BROWSER_ONLY") {
        command.args(["-k", &only]);
    }
    let status = tokio::time::timeout(Duration::from_secs(900), command.status())
        .await
        .expect("the browser scenarios finish within 15 minutes")
        .expect("python3 runs (tests/run installs Playwright and pytest)");
    assert!(status.success(), "browser scenarios failed: {status}; screenshots in {}", artifacts().display());
}
