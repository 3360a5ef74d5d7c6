//! `/account/security`: the address, the password, the second sign-in step
//! (authenticator app, passkeys, recovery codes), sessions and recent
//! events. Enrolling has pages of its own that return to `next`
//! (`/account/security/totp`, `/account/security/passkey`), and
//! `/account/confirm` is "confirm it is you" before sensitive changes.
//!
//! A change the services refuse until the user proved who they are lately
//! (`reauthentication_required`, `mfa_required`) leads to `/account/confirm`
//! and back here.

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::Web;
use super::errors::{PageError, PageResult};
use super::i18n::{Lang, arg};
use super::layout::{self, Field};
use super::page::{Page, SignedIn, safe_next};
use super::reasons::Said;
use super::sign_in::{
    CodeForm, PasskeyAnswer, PasskeyUrls, Way, WayForm, json_options, json_redirect, json_refusal, way_form, with_query,
};
use crate::domain::codes::RecoveryCode;
use crate::domain::factors::Enrolled;
use crate::domain::ids::{PasskeyId, SessionId};
use crate::domain::reason::Code;
use crate::factors::{Proof, TotpEnrollment};

/// The routes of this group.
pub fn routes() -> Router<Web> {
    Router::new()
        .route("/account/security", get(overview))
        .route("/account/security/password", post(change_password))
        .route("/account/security/email", post(change_email))
        .route("/account/security/email/verify", post(send_verification))
        .route("/account/security/totp", get(totp_intro))
        .route("/account/security/totp/start", post(totp_start))
        .route("/account/security/totp/confirm", post(totp_confirm))
        .route("/account/security/totp/remove", post(totp_remove))
        .route("/account/security/passkey", get(passkey_page).post(passkey_register))
        .route("/account/security/passkey/options", post(passkey_options))
        .route("/account/security/passkeys/{id}/rename", post(passkey_rename))
        .route("/account/security/passkeys/{id}/remove", post(passkey_remove))
        .route("/account/security/recovery", post(recovery_regenerate))
        .route("/account/security/recovery/download", post(recovery_download))
        .route("/account/security/sessions/{id}/revoke", post(session_revoke))
        .route("/account/confirm", get(confirm_form).post(confirm_code))
        .route("/account/confirm/passkey/options", post(confirm_passkey_options))
        .route("/account/confirm/passkey", post(confirm_passkey))
}

const SECURITY: &str = "/account/security";

/// The good news a redirect back here may carry (`?done=`), by message key.
const DONE: [&str; 9] = [
    "password",
    "verification-sent",
    "totp-removed",
    "passkey-added",
    "passkey-renamed",
    "passkey-removed",
    "session-revoked",
    "confirmed",
    "email-sent",
];

fn done(what: &str, anchor: &str) -> Response {
    Redirect::to(&format!("{}#{anchor}", with_query(SECURITY, &[("done", what)]))).into_response()
}

/// The refusal asks the user to prove who they are first.
fn needs_confirmation(said: &Said) -> bool {
    matches!(said.code, Code::ReauthenticationRequired | Code::MfaRequired)
}

/// `/account/confirm`, then back to `next`.
fn confirm_url(next: &str) -> String {
    with_query("/account/confirm", &[("next", next), ("why", "1")])
}

fn confirm_first(next: &str) -> Response {
    Redirect::to(&confirm_url(next)).into_response()
}

/// A refusal that has no form to go back to, or a failure: its own page.
fn refused(said: Said) -> PageResult {
    Err(PageError::said(said))
}

/// What the overview says besides its data: news, or a refusal in a section.
#[derive(Default)]
struct Flash {
    done: Option<String>,
    section: Option<&'static str>,
    said: Option<Said>,
    typed_email: Option<String>,
}

impl Flash {
    fn refusal(section: &'static str, said: Said) -> Self {
        Self { section: Some(section), said: Some(said), ..Self::default() }
    }

    fn alert_in(&self, section: &str, lang: Lang) -> Option<Markup> {
        let said = self.said.as_ref().filter(|_| self.section == Some(section))?;
        Some(layout::alert(lang, said))
    }

    fn field_error(&self, section: &str, field: &str, lang: Lang) -> Option<String> {
        let said = self.said.as_ref().filter(|s| self.section == Some(section) && s.field == Some(field))?;
        Some(said.what_in(lang))
    }
}

#[derive(Debug, Deserialize)]
struct OverviewQuery {
    done: Option<String>,
}

/// `GET /account/security`.
async fn overview(State(web): State<Web>, signed_in: SignedIn, Query(query): Query<OverviewQuery>) -> PageResult {
    let flash = Flash { done: query.done.filter(|d| DONE.contains(&d.as_str())), ..Flash::default() };
    Ok(overview_page(&web, &signed_in, &flash).await?.into_response())
}

/// The overview with a refusal shown in its section, answered with its status.
async fn overview_refused(web: &Web, signed_in: &SignedIn, flash: Flash) -> PageResult {
    let status = flash.said.as_ref().map(Said::status);
    let mut response = overview_page(web, signed_in, &flash).await?.into_response();
    if let Some(status) = status {
        *response.status_mut() = status;
    }
    Ok(response)
}

async fn overview_page(web: &Web, signed_in: &SignedIn, flash: &Flash) -> PageResult<Markup> {
    let services = &web.app.services;
    let caller = &signed_in.caller;
    let enrolled = services.factors.enrolled(&caller.user.id).await?;
    let passkeys = services.factors.passkeys(caller).await?;
    let sessions = services.accounts.sessions(caller).await?;
    let events = services.factors.events(caller).await?;
    let page = &signed_in.page;
    let lang = page.lang;
    let user = &caller.user;
    let added = format!("{}#passkeys", with_query(SECURITY, &[("done", "passkey-added")]));
    let body = html! {
        @if let Some(done) = &flash.done { (layout::notice(&lang.t(&format!("security-done-{done}")))) }
        nav aria-label=(lang.t("security-contents")) class="contents" {
            ul {
                li { a href="#email" { (lang.t("security-email-title")) } }
                li { a href="#two-step" { (lang.t("security-two-step-title")) } }
                li { a href="#passkeys" { (lang.t("security-passkeys-title")) } }
                li { a href="#recovery" { (lang.t("security-recovery-title")) } }
                li { a href="#password" { (lang.t("security-password-title")) } }
                li { a href="#sessions" { (lang.t("security-sessions-title")) } }
                li { a href="#events" { (lang.t("security-events-title")) } }
            }
        }

        section id="email" aria-labelledby="email-title" {
            h2 id="email-title" { (lang.t("security-email-title")) }
            @if let Some(alert) = flash.alert_in("email", lang) { (alert) }
            p { (lang.t_with("security-email-address", vec![("email", arg(user.email.clone()))])) }
            @if user.email_verified() {
                p class="good" { "✓ " (lang.t("security-email-verified")) }
            } @else {
                p class="warn" { (lang.t("security-email-unverified")) }
                form method="post" action="/account/security/email/verify#email" {
                    (layout::csrf(page))
                    button type="submit" class="secondary" { (lang.t("security-email-send-again")) }
                }
            }
            details open[flash.section == Some("email-change")] {
                summary { (lang.t("security-email-change")) }
                @if let Some(alert) = flash.alert_in("email-change", lang).filter(|_| flash.said.as_ref().is_some_and(|s| s.field.is_none())) { (alert) }
                form method="post" action="/account/security/email#email" novalidate {
                    (layout::csrf(page))
                    (Field::new("new_email", lang.t("security-email-new"), "email", "email")
                        .value(flash.typed_email.as_deref())
                        .hint(lang.t("security-email-new-hint"))
                        .error(flash.field_error("email-change", "email", lang)).render())
                    div class="actions" { button type="submit" { (lang.t("security-email-change-submit")) } }
                }
            }
        }

        section id="two-step" aria-labelledby="two-step-title" {
            h2 id="two-step-title" { (lang.t("security-two-step-title")) }
            p { (lang.t("security-two-step-intro")) }
            @if let Some(alert) = flash.alert_in("two-step", lang) { (alert) }
            h3 { (lang.t("security-totp-title")) }
            @if enrolled.totp {
                p class="good" { "✓ " (lang.t("security-totp-on")) }
                form method="post" action="/account/security/totp/remove#two-step" {
                    (layout::csrf(page))
                    button type="submit" class="danger" { (lang.t("security-totp-remove")) }
                }
            } @else {
                p { (lang.t("security-totp-off")) }
                (totp_start_form(page, SECURITY))
            }
        }

        section id="passkeys" aria-labelledby="passkeys-title" {
            h2 id="passkeys-title" { (lang.t("security-passkeys-title")) }
            p { (lang.t("security-passkeys-intro")) }
            @if let Some(alert) = flash.alert_in("passkeys", lang) { (alert) }
            @if passkeys.is_empty() {
                p class="muted" { (lang.t("security-passkeys-none")) }
            } @else {
                ul class="list passkeys" {
                    @for passkey in &passkeys {
                        @let id = passkey.id.as_str();
                        li {
                            p class="passkey-name" { strong { (passkey.name) } }
                            p class="muted" {
                                (lang.t_with("security-passkey-added", vec![("date", arg(lang.date(passkey.created_at)))]))
                                " · "
                                @match passkey.last_used_at {
                                    Some(at) => (lang.t_with("security-passkey-used", vec![("date", arg(lang.date_time(at)))])),
                                    None => (lang.t("security-passkey-never-used")),
                                }
                            }
                            details {
                                summary { (lang.t_with("security-passkey-rename", vec![("name", arg(passkey.name.clone()))])) }
                                form method="post" action=(format!("/account/security/passkeys/{id}/rename#passkeys")) {
                                    (layout::csrf(page))
                                    div class="field" {
                                        label for=(format!("name-{id}")) { (lang.t("security-passkey-new-name")) }
                                        input id=(format!("name-{id}")) name="name" type="text" autocomplete="off"
                                            maxlength="64" value=(passkey.name) required;
                                    }
                                    div class="actions" { button type="submit" class="secondary" { (lang.t("security-passkey-rename-submit")) } }
                                }
                            }
                            form method="post" action=(format!("/account/security/passkeys/{id}/remove#passkeys")) {
                                (layout::csrf(page))
                                button type="submit" class="danger"
                                    aria-label=(lang.t_with("security-passkey-remove-named", vec![("name", arg(passkey.name.clone()))])) {
                                    (lang.t("security-passkey-remove"))
                                }
                            }
                        }
                    }
                }
            }
            (add_passkey_widget(page, &added))
        }

        section id="recovery" aria-labelledby="recovery-title" {
            h2 id="recovery-title" { (lang.t("security-recovery-title")) }
            p { (lang.t("security-recovery-intro")) }
            @if let Some(alert) = flash.alert_in("recovery", lang) { (alert) }
            @if enrolled.has_second_factor() {
                p { (lang.t_with("security-recovery-left", vec![("n", arg(i64::try_from(enrolled.recovery_codes).unwrap_or(0)))])) }
                form method="post" action="/account/security/recovery#recovery" {
                    (layout::csrf(page))
                    button type="submit" class="secondary" { (lang.t("security-recovery-regenerate")) }
                }
            } @else {
                p class="muted" { (lang.t("security-recovery-needs-factor")) }
            }
        }

        section id="password" aria-labelledby="password-title" {
            h2 id="password-title" { (lang.t("security-password-title")) }
            @if let Some(alert) = flash.alert_in("password", lang).filter(|_| flash.said.as_ref().is_some_and(|s| s.field.is_none())) { (alert) }
            form method="post" action="/account/security/password#password" novalidate {
                (layout::csrf(page))
                input type="text" name="username" autocomplete="username" value=(user.email) class="hidden" aria-hidden="true" tabindex="-1";
                (Field::new("current_password", lang.t("security-password-current"), "password", "current-password")
                    .error(flash.field_error("password", "current_password", lang)).render())
                (Field::new("new_password", lang.t("security-password-new"), "password", "new-password")
                    .hint(lang.t("sign-up-password-hint"))
                    .error(flash.field_error("password", "new_password", lang)).render())
                div class="actions" { button type="submit" { (lang.t("security-password-submit")) } }
            }
        }

        section id="sessions" aria-labelledby="sessions-title" {
            h2 id="sessions-title" { (lang.t("security-sessions-title")) }
            p { (lang.t("security-sessions-intro")) }
            @if let Some(alert) = flash.alert_in("sessions", lang) { (alert) }
            ul class="list sessions" {
                @for session in &sessions {
                    @let this = session.id == caller.session.id;
                    li class=[this.then_some("this-session")] {
                        p {
                            strong { (session.user_agent.as_deref().map_or_else(|| lang.t("security-session-unknown-device"), device_words)) }
                            @if this { " " span class="badge" { (lang.t("security-session-this")) } }
                        }
                        p class="muted" {
                            (lang.t_with("security-session-started", vec![("date", arg(lang.date_time(session.created_at)))]))
                            " · "
                            (lang.t_with("security-session-seen", vec![("date", arg(lang.date_time(session.last_seen_at)))]))
                            @if let Some(ip) = &session.ip { " · " (ip) }
                        }
                        @if !this {
                            form method="post" action=(format!("/account/security/sessions/{}/revoke#sessions", session.id.as_str())) {
                                (layout::csrf(page))
                                button type="submit" class="secondary" { (lang.t("security-session-revoke")) }
                            }
                        }
                    }
                }
            }
        }

        section id="events" aria-labelledby="events-title" {
            h2 id="events-title" { (lang.t("security-events-title")) }
            @let shown: Vec<_> = events.iter().filter(|e| EVENT_KINDS.contains(&e.kind.as_str())).take(20).collect();
            @if shown.is_empty() {
                p class="muted" { (lang.t("security-events-none")) }
            } @else {
                ul class="events" {
                    @for event in shown {
                        li {
                            span class="event-what" { (lang.t(&format!("security-event-{}", event.kind))) }
                            " "
                            span class="muted" {
                                (lang.date_time(event.at))
                                @if let Some(ip) = &event.ip { " · " (ip) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(page, &lang.t("security-title"), body))
}

/// The events the page words; the rest (licenses, support) have pages of their own.
const EVENT_KINDS: [&str; 14] = [
    "signed_up",
    "signed_in",
    "sign_in_failed",
    "reauthenticated",
    "password_changed",
    "password_reset",
    "email_changed",
    "totp_enrolled",
    "totp_removed",
    "passkey_added",
    "passkey_removed",
    "passkey_possibly_cloned",
    "recovery_codes_generated",
    "recovery_code_used",
];

/// A browser's name and system from its user agent, roughly: people
/// recognise "Chrome on Linux", not the whole string.
fn device_words(agent: &str) -> String {
    let browser = [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
        .into_iter()
        .find(|(needle, _)| agent.contains(needle))
        .map(|(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS", "macOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(needle, _)| agent.contains(needle))
    .map(|(_, name)| name);
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} · {system}"),
        (Some(name), None) | (None, Some(name)) => name.to_owned(),
        (None, None) => agent.chars().take(60).collect(),
    }
}

// ---- Password and address ----

#[derive(Deserialize)]
struct PasswordForm {
    current_password: SecretString,
    new_password: SecretString,
}

/// `POST /account/security/password`.
async fn change_password(State(web): State<Web>, signed_in: SignedIn, Form(form): Form<PasswordForm>) -> PageResult {
    let accounts = &web.app.services.accounts;
    let result = accounts
        .change_password(&signed_in.caller, form.current_password, form.new_password, &signed_in.page.client)
        .await;
    match result {
        Ok(()) => Ok(done("password", "password")),
        Err(error) => {
            let said = Said::from(error);
            if said.cause.is_some() {
                return refused(said);
            }
            if needs_confirmation(&said) {
                return Ok(confirm_first(&format!("{SECURITY}#password")));
            }
            overview_refused(&web, &signed_in, Flash::refusal("password", said)).await
        }
    }
}

/// `POST /account/security/email/verify`: the link again.
async fn send_verification(State(web): State<Web>, signed_in: SignedIn) -> PageResult {
    match web.app.services.email.request_verification(&signed_in.caller).await {
        Ok(()) => Ok(done("verification-sent", "email")),
        Err(error) => {
            let said = Said::from(error);
            if said.cause.is_some() {
                return refused(said);
            }
            overview_refused(&web, &signed_in, Flash::refusal("email", said)).await
        }
    }
}

#[derive(Deserialize)]
struct EmailForm {
    /// Not `email`: the section holding the form has that id.
    new_email: String,
}

/// `POST /account/security/email`: the new address gets a link; nothing
/// changes until it is followed.
async fn change_email(State(web): State<Web>, signed_in: SignedIn, Form(form): Form<EmailForm>) -> PageResult {
    match web.app.services.accounts.change_email(&signed_in.caller, &form.new_email).await {
        Ok(email) => {
            let page = &signed_in.page;
            let lang = page.lang;
            let body = html! {
                (layout::notice(&lang.t_with("security-email-sent", vec![("email", arg(email.as_str().to_owned()))])))
                p { (lang.t("security-email-sent-next")) }
                p { a class="button" href=(SECURITY) { (lang.t("security-back")) } }
            };
            Ok(layout::page(page, &lang.t("sign-up-check-title"), body).into_response())
        }
        Err(error) => {
            let said = Said::from(error);
            if said.cause.is_some() {
                return refused(said);
            }
            if needs_confirmation(&said) {
                return Ok(confirm_first(&format!("{SECURITY}#email")));
            }
            let flash = Flash { typed_email: Some(form.new_email), ..Flash::refusal("email-change", said) };
            overview_refused(&web, &signed_in, flash).await
        }
    }
}

// ---- Authenticator app ----

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

fn totp_start_form(page: &Page, next: &str) -> Markup {
    html! {
        form method="post" action="/account/security/totp/start" {
            (layout::csrf(page))
            input type="hidden" name="next" value=(next);
            button type="submit" { (page.t("security-totp-add")) }
        }
    }
}

/// `GET /account/security/totp?next=`: what an authenticator app is, and
/// the button that starts (a GET changes nothing).
async fn totp_intro(State(web): State<Web>, signed_in: SignedIn, Query(query): Query<NextQuery>) -> PageResult {
    let next = safe_next(query.next.as_deref());
    let enrolled = web.app.services.factors.enrolled(&signed_in.caller.user.id).await?;
    let page = &signed_in.page;
    let lang = page.lang;
    let body = html! {
        @if enrolled.totp {
            (layout::notice(&lang.t("security-totp-on")))
            p { a class="button" href=(next) { (lang.t("security-continue")) } }
        } @else {
            p { (lang.t("security-totp-explain")) }
            (totp_start_form(page, &next))
        }
    };
    Ok(layout::page(page, &lang.t("security-totp-page-title"), body).into_response())
}

#[derive(Deserialize)]
struct NextForm {
    next: Option<String>,
}

/// The key in groups of four, as apps ask for it typed.
fn grouped(secret: &str) -> String {
    secret
        .chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The QR code, the key to type, and the code that confirms it.
fn totp_enroll_page(page: &Page, secret: &str, uri: &str, next: &str, error: Option<String>) -> Markup {
    let lang = page.lang;
    let qr = crate::domain::totp::qr_svg(uri);
    let body = html! {
        ol class="steps" {
            li {
                p { (lang.t("security-totp-step-scan")) }
                div class="qr" role="img" aria-label=(lang.t("security-totp-qr-label")) { (layout::trusted(qr)) }
            }
            li {
                p { (lang.t("security-totp-step-type")) }
                p { code id="totp-key" class="secret" { (grouped(secret)) } }
                button type="button" class="secondary hidden" data-copy="totp-key" data-copied=(lang.t("security-copied")) {
                    (lang.t("security-copy-key"))
                }
            }
            li {
                p { (lang.t("security-totp-step-confirm")) }
                form method="post" action="/account/security/totp/confirm" novalidate {
                    (layout::csrf(page))
                    input type="hidden" name="next" value=(next);
                    input type="hidden" name="secret" value=(secret);
                    input type="hidden" name="uri" value=(uri);
                    div class={ "field" @if error.is_some() { " invalid" } } {
                        label for="code" { (lang.t("signin-totp-label")) }
                        @if let Some(error) = &error { p id="code-error" class="field-error" { (error) } }
                        input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required
                            aria-invalid=[error.as_ref().map(|_| "true")]
                            aria-describedby=[error.as_ref().map(|_| "code-error")];
                    }
                    div class="actions" { button type="submit" { (lang.t("security-totp-confirm")) } }
                }
            }
        }
    };
    layout::page(page, &lang.t("security-totp-page-title"), body)
}

fn show_enrollment(page: &Page, enrollment: &TotpEnrollment, next: &str) -> Markup {
    totp_enroll_page(page, &enrollment.secret, &enrollment.otpauth_uri, next, None)
}

/// `POST /account/security/totp/start`: a fresh key, shown once.
async fn totp_start(State(web): State<Web>, signed_in: SignedIn, Form(form): Form<NextForm>) -> PageResult {
    let next = safe_next(form.next.as_deref());
    match web.app.services.factors.enroll_totp(&signed_in.caller).await {
        Ok(enrollment) => Ok(show_enrollment(&signed_in.page, &enrollment, &next).into_response()),
        Err(error) => {
            let said = Said::from(error);
            if needs_confirmation(&said) {
                return Ok(confirm_first(&with_query("/account/security/totp", &[("next", &next)])));
            }
            if said.cause.is_some() || next != SECURITY {
                return refused(said);
            }
            overview_refused(&web, &signed_in, Flash::refusal("two-step", said)).await
        }
    }
}

#[derive(Deserialize)]
struct TotpConfirmForm {
    code: SecretString,
    secret: String,
    uri: String,
    next: Option<String>,
}

/// `POST /account/security/totp/confirm`: a right code turns the app on and
/// brings the recovery codes, shown once.
async fn totp_confirm(State(web): State<Web>, signed_in: SignedIn, Form(form): Form<TotpConfirmForm>) -> PageResult {
    let next = safe_next(form.next.as_deref());
    let code = form.code.expose_secret().trim().replace(' ', "");
    match web.app.services.factors.confirm_totp(&signed_in.caller, &code, &signed_in.page.client).await {
        Ok(codes) => Ok(recovery_codes_page(&signed_in.page, &codes, &next, "security-totp-done").into_response()),
        Err(error) => {
            let said = Said::from(error);
            if said.cause.is_some() {
                return refused(said);
            }
            if needs_confirmation(&said) {
                return Ok(confirm_first(&with_query("/account/security/totp", &[("next", &next)])));
            }
            if said.code != Code::InvalidCredentials || !form.uri.starts_with("otpauth://") {
                return refused(said);
            }
            let lang = signed_in.page.lang;
            let message = format!("{} {}", said.what_in(lang), said.next_in(lang));
            let mut response =
                totp_enroll_page(&signed_in.page, &form.secret, &form.uri, &next, Some(message)).into_response();
            *response.status_mut() = said.status();
            Ok(response)
        }
    }
}

/// `POST /account/security/totp/remove`.
async fn totp_remove(State(web): State<Web>, signed_in: SignedIn) -> PageResult {
    match web.app.services.factors.remove_totp(&signed_in.caller, &signed_in.page.client).await {
        Ok(()) => Ok(done("totp-removed", "two-step")),
        Err(error) => section_refusal(&web, &signed_in, "two-step", error.into()).await,
    }
}

/// A refusal of a change in `section`: confirm first, or say it there.
async fn section_refusal(web: &Web, signed_in: &SignedIn, section: &'static str, said: Said) -> PageResult {
    if said.cause.is_some() {
        return refused(said);
    }
    if needs_confirmation(&said) {
        return Ok(confirm_first(&format!("{SECURITY}#{section}")));
    }
    overview_refused(web, signed_in, Flash::refusal(section, said)).await
}

// ---- Recovery codes ----

/// The codes, once, with a way to keep them.
fn recovery_codes_page(page: &Page, codes: &[RecoveryCode], next: &str, news: &str) -> Markup {
    let lang = page.lang;
    let text: Vec<&str> = codes.iter().map(RecoveryCode::as_str).collect();
    let body = html! {
        (layout::notice(&lang.t(news)))
        p { (lang.t("security-recovery-save")) }
        ul id="recovery-codes" class="codes" {
            // The line breaks make the copied text one code a line.
            @for code in &text { li { code { (code) } "\n" } }
        }
        form method="post" action="/account/security/recovery/download" class="actions" {
            (layout::csrf(page))
            input type="hidden" name="codes" value=(text.join(" "));
            button type="submit" class="secondary" { (lang.t("security-recovery-download")) }
            button type="button" class="secondary hidden" data-copy="recovery-codes" data-copied=(lang.t("security-copied")) {
                (lang.t("security-recovery-copy"))
            }
        }
        p class="muted" { (lang.t("security-recovery-once")) }
        p { a class="button" href=(next) { (lang.t("security-recovery-saved")) } }
    };
    layout::page(page, &lang.t("security-recovery-page-title"), body)
}

/// `POST /account/security/recovery`: new codes; the old ones stop working.
async fn recovery_regenerate(State(web): State<Web>, signed_in: SignedIn) -> PageResult {
    match web.app.services.factors.regenerate_recovery_codes(&signed_in.caller, &signed_in.page.client).await {
        Ok(codes) => {
            Ok(recovery_codes_page(&signed_in.page, &codes, SECURITY, "security-recovery-new").into_response())
        }
        Err(error) => section_refusal(&web, &signed_in, "recovery", error.into()).await,
    }
}

#[derive(Deserialize)]
struct DownloadForm {
    codes: String,
}

/// `POST /account/security/recovery/download`: the codes just shown, as a
/// text file; works without scripts, and nothing is looked up or stored.
async fn recovery_download(signed_in: SignedIn, Form(form): Form<DownloadForm>) -> Response {
    let lang = signed_in.page.lang;
    let codes: Vec<&str> = form.codes.split_whitespace().filter(|c| RecoveryCode::parse(c).is_some()).collect();
    let mut text = format!(
        "{}\r\n{}\r\n\r\n",
        lang.t_with("security-recovery-file-title", vec![("product", arg(signed_in.page.product.to_string()))]),
        signed_in.caller.user.email
    );
    for code in codes {
        text.push_str(code);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text.push_str(&lang.t("security-recovery-file-note"));
    text.push_str("\r\n");
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"recovery-codes.txt\""),
        ],
        text,
    )
        .into_response()
}

// ---- Passkeys ----

/// The name field and the button that adds a passkey (with scripts; the
/// page says so without).
fn add_passkey_widget(page: &Page, next: &str) -> Markup {
    let lang = page.lang;
    html! {
        div class="add-passkey" {
            (layout::live_region("passkey-status"))
            div class="passkey-only hidden" {
                div class="field" {
                    label for="passkey-name" { (lang.t("security-passkey-name")) }
                    p id="passkey-name-hint" class="hint" { (lang.t("security-passkey-name-hint")) }
                    input id="passkey-name" name="passkey-name" type="text" autocomplete="off" maxlength="64"
                        aria-describedby="passkey-name-hint";
                }
                div class="actions" {
                    button type="button" id="passkey-add" data-passkey-create=(with_query("/account/security/passkey/options", &[("next", next)]))
                        data-answer="/account/security/passkey" data-next=(next) data-name="passkey-name"
                        data-cancelled=(lang.t("signin-passkey-cancelled")) data-failed=(lang.t("signin-passkey-failed")) {
                        (lang.t("security-passkey-add"))
                    }
                }
            }
            p class="passkey-missing muted" { (lang.t("signin-passkey-missing")) }
        }
    }
}

/// `GET /account/security/passkey?next=`: add a passkey, then go on.
async fn passkey_page(signed_in: SignedIn, Query(query): Query<NextQuery>) -> Markup {
    let next = safe_next(query.next.as_deref());
    let page = &signed_in.page;
    let lang = page.lang;
    let body = html! {
        p { (lang.t("security-passkeys-intro")) }
        (add_passkey_widget(page, &next))
    };
    layout::page(page, &lang.t("security-passkey-page-title"), body)
}

/// `POST /account/security/passkey/options` (JSON): creation options.
async fn passkey_options(State(web): State<Web>, signed_in: SignedIn, Query(query): Query<NextQuery>) -> Response {
    let lang = signed_in.page.lang;
    match web.app.services.factors.passkey_registration_options(&signed_in.caller).await {
        Ok(options) => json_options(options.challenge_id, &options.options),
        Err(error) => {
            let said = Said::from(error);
            if needs_confirmation(&said) {
                let back = with_query("/account/security/passkey", &[("next", &safe_next(query.next.as_deref()))]);
                return json_redirect(&confirm_url(&back));
            }
            json_refusal(lang, &said)
        }
    }
}

/// `POST /account/security/passkey` (JSON): the new passkey.
async fn passkey_register(
    State(web): State<Web>,
    signed_in: SignedIn,
    axum::Json(answer): axum::Json<PasskeyAnswer>,
) -> Response {
    let lang = signed_in.page.lang;
    let next = safe_next(answer.next.as_deref());
    let credential = match serde_json::from_value(answer.credential.clone()) {
        Ok(credential) => credential,
        Err(_) => {
            let invalid =
                crate::domain::reason::Invalid::new("credential", crate::domain::reason::Rule::NotACredential);
            return json_refusal(lang, &Said::from(invalid));
        }
    };
    let factors = &web.app.services.factors;
    let result = factors
        .register_passkey(
            &signed_in.caller,
            &answer.challenge_id,
            answer.name.as_deref(),
            &credential,
            &signed_in.page.client,
        )
        .await;
    match result {
        Ok(_) => json_redirect(&next),
        Err(error) => json_refusal(lang, &Said::from(error)),
    }
}

#[derive(Deserialize)]
struct RenameForm {
    name: String,
}

fn passkey_id(id: &str) -> PageResult<PasskeyId> {
    PasskeyId::parse(id).ok_or_else(PageError::not_found)
}

/// `POST /account/security/passkeys/{id}/rename`.
async fn passkey_rename(
    State(web): State<Web>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<RenameForm>,
) -> PageResult {
    let id = passkey_id(&id)?;
    match web.app.services.factors.rename_passkey(&signed_in.caller, &id, &form.name).await {
        Ok(_) => Ok(done("passkey-renamed", "passkeys")),
        Err(error) => section_refusal(&web, &signed_in, "passkeys", error.into()).await,
    }
}

/// `POST /account/security/passkeys/{id}/remove`.
async fn passkey_remove(State(web): State<Web>, signed_in: SignedIn, Path(id): Path<String>) -> PageResult {
    let id = passkey_id(&id)?;
    match web.app.services.factors.remove_passkey(&signed_in.caller, &id, &signed_in.page.client).await {
        Ok(()) => Ok(done("passkey-removed", "passkeys")),
        Err(error) => section_refusal(&web, &signed_in, "passkeys", error.into()).await,
    }
}

// ---- Sessions ----

/// `POST /account/security/sessions/{id}/revoke`: signs that session out.
async fn session_revoke(State(web): State<Web>, signed_in: SignedIn, Path(id): Path<String>) -> PageResult {
    let id = SessionId::parse(&id).ok_or_else(PageError::not_found)?;
    match web.app.services.accounts.revoke_session(&signed_in.caller, &id).await {
        Ok(()) => Ok(done("session-revoked", "sessions")),
        Err(error) => section_refusal(&web, &signed_in, "sessions", error.into()).await,
    }
}

// ---- Confirm it is you ----

#[derive(Debug, Deserialize)]
struct ConfirmQuery {
    next: Option<String>,
    method: Option<String>,
    why: Option<String>,
}

/// The ways this account can confirm it is you: its factors, or the
/// password when it has none.
fn confirm_ways(enrolled: Enrolled) -> Vec<Way> {
    if enrolled.has_second_factor() { Way::offered(&enrolled.methods()) } else { vec![Way::Password] }
}

fn confirm_page(page: &Page, way: Way, offered: &[Way], next: &str, why: bool, error: Option<String>) -> Markup {
    let lang = page.lang;
    let urls = PasskeyUrls { options: "/account/confirm/passkey/options", answer: "/account/confirm/passkey" };
    let body = html! {
        @if why { (layout::notice(&lang.t("security-confirm-why"))) }
        p { (lang.t("security-confirm-intro")) }
        (way_form(page, WayForm {
            way, offered, action: "/account/confirm", here: "/account/confirm", next,
            submit: lang.t("security-confirm-submit"), passkey: urls, error,
        }))
        p class="muted" { a href=(SECURITY) { (lang.t("security-confirm-cancel")) } }
    };
    layout::page(page, &lang.t("security-confirm-title"), body)
}

/// `GET /account/confirm?next=`: prove it is you, then go on to `next`.
async fn confirm_form(State(web): State<Web>, signed_in: SignedIn, Query(query): Query<ConfirmQuery>) -> PageResult {
    let next = safe_next(query.next.as_deref());
    let enrolled = web.app.services.factors.enrolled(&signed_in.caller.user.id).await?;
    let offered = confirm_ways(enrolled);
    let way = Way::pick(&offered, query.method.as_deref()).unwrap_or(Way::Password);
    Ok(confirm_page(&signed_in.page, way, &offered, &next, query.why.is_some(), None).into_response())
}

/// `POST /account/confirm`: a code or the password.
async fn confirm_code(State(web): State<Web>, signed_in: SignedIn, Form(form): Form<CodeForm>) -> PageResult {
    let next = safe_next(form.next.as_deref());
    let factors = &web.app.services.factors;
    let offered = confirm_ways(factors.enrolled(&signed_in.caller.user.id).await?);
    let way = Way::pick(&offered, Some(&form.method)).unwrap_or(Way::Password);
    let secret = |value: Option<SecretString>| value.unwrap_or_else(|| SecretString::from(String::new()));
    let proof = match way.code_kind() {
        Some(kind) => {
            let typed = secret(form.code);
            Proof::Code(kind, SecretString::from(typed.expose_secret().trim().to_owned()))
        }
        None => Proof::Password(secret(form.password)),
    };
    match factors.reauthenticate(&signed_in.caller, proof, &signed_in.page.client).await {
        Ok(_) => Ok(Redirect::to(&next).into_response()),
        Err(error) => {
            let said = Said::from(error);
            if said.cause.is_some() {
                return refused(said);
            }
            let lang = signed_in.page.lang;
            let message = format!("{} {}", said.what_in(lang), said.next_in(lang));
            let mut response =
                confirm_page(&signed_in.page, way, &offered, &next, false, Some(message)).into_response();
            *response.status_mut() = said.status();
            Ok(response)
        }
    }
}

/// `POST /account/confirm/passkey/options` (JSON).
async fn confirm_passkey_options(State(web): State<Web>, signed_in: SignedIn) -> Response {
    match web.app.services.factors.reauthentication_options(&signed_in.caller).await {
        Ok(options) => json_options(options.challenge_id, &options.options),
        Err(error) => json_refusal(signed_in.page.lang, &Said::from(error)),
    }
}

/// `POST /account/confirm/passkey` (JSON): the passkey's answer.
async fn confirm_passkey(
    State(web): State<Web>,
    signed_in: SignedIn,
    axum::Json(answer): axum::Json<PasskeyAnswer>,
) -> Response {
    let lang = signed_in.page.lang;
    let next = safe_next(answer.next.as_deref());
    let credential = match answer.assertion() {
        Ok(credential) => credential,
        Err(said) => return json_refusal(lang, &said),
    };
    let proof = Proof::Passkey { challenge_id: answer.challenge_id.clone(), credential: Box::new(credential) };
    match web.app.services.factors.reauthenticate(&signed_in.caller, proof, &signed_in.page.client).await {
        Ok(_) => json_redirect(&next),
        Err(error) => json_refusal(lang, &Said::from(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every message these pages name, read from their source, and the ones
    /// they build from `DONE` and `EVENT_KINDS`.
    fn keys() -> Vec<String> {
        let mut keys = Vec::new();
        for source in [include_str!("security.rs"), include_str!("sign_in.rs")] {
            for prefix in ["\"security-", "\"signin-"] {
                for (at, _) in source.match_indices(prefix) {
                    let rest = source.get(at + 1..).unwrap_or_default();
                    let key: String = rest.chars().take_while(|c| *c != '"').collect();
                    if !key.contains('{') && !key.ends_with('-') {
                        keys.push(key);
                    }
                }
            }
        }
        keys.extend(DONE.iter().map(|done| format!("security-done-{done}")));
        keys.extend(EVENT_KINDS.iter().map(|kind| format!("security-event-{kind}")));
        keys.sort();
        keys.dedup();
        keys
    }

    /// This group's words in each language, as files (`Lang::has` cannot
    /// tell a message with arguments from a missing one).
    const FILES: [(&str, &str, &str); 4] = [
        ("en", include_str!("locales/en/signin.ftl"), include_str!("locales/en/security.ftl")),
        ("et", include_str!("locales/et/signin.ftl"), include_str!("locales/et/security.ftl")),
        ("lv", include_str!("locales/lv/signin.ftl"), include_str!("locales/lv/security.ftl")),
        ("ru", include_str!("locales/ru/signin.ftl"), include_str!("locales/ru/security.ftl")),
    ];

    #[test]
    fn every_message_is_in_every_language() {
        let keys = keys();
        assert!(keys.len() > 100, "{keys:?}");
        for (lang, signin, security) in FILES {
            let text = format!("{signin}\n{security}");
            let missing: Vec<_> =
                keys.iter().filter(|key| !text.lines().any(|line| line.starts_with(&format!("{key} =")))).collect();
            assert!(missing.is_empty(), "{lang}: {missing:?}");
        }
        for lang in Lang::ALL {
            assert_ne!(lang.t("security-title"), "security-title");
        }
    }

    #[test]
    fn keys_are_grouped_for_typing_and_agents_named_plainly() {
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
        let chrome =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";
        assert_eq!(device_words(chrome), "Chrome · Linux");
    }

    #[test]
    fn only_a_factor_or_the_password_confirms() {
        let none = Enrolled { totp: false, passkeys: 0, recovery_codes: 0 };
        assert_eq!(confirm_ways(none), vec![Way::Password]);
        let app = Enrolled { totp: true, passkeys: 1, recovery_codes: 10 };
        assert_eq!(confirm_ways(app), vec![Way::Passkey, Way::Totp, Way::Recovery]);
    }
}
