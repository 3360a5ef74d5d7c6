//! `/account/security`: the address, the password, the second sign-in step
//! (authenticator app, passkeys, recovery codes), sessions and recent
//! events. Enrolling has pages of its own that return to `next`
//! (`/account/security/totp`, `/account/security/passkey`), and
//! `/account/confirm` is "confirm it is you" before sensitive changes.
//!
//! A change the services refuse until the user proved who they are lately
//! (`reauthentication_required`, `mfa_required`) leads to `/account/confirm`
//! and back here.
//!
//! This module is the overview page and what its sections share (the news
//! and refusals it shows, the way back to it); each section's changes are a
//! module of its own, with its routes: `account` (password and address),
//! `totp` (authenticator app and recovery codes), `passkeys`, `sessions`,
//! and `confirm`.

mod account;
mod apps;
mod confirm;
mod passkeys;
mod sessions;
mod totp;

use crate::domain::factors::Factor;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;

use super::Web;
use super::errors::{PageError, PageResult};
use super::i18n::{Lang, arg};
use super::layout::{self, Field};
use super::page::{Query, SignedIn};
use super::reasons::Said;
use super::second_step::with_query;
use crate::domain::reason::Code;
use passkeys::add_passkey_widget;
use sessions::device_words;
use totp::totp_start_form;

/// The routes of this group.
pub fn routes() -> Router<Web> {
    Router::new()
        .route("/account/security", get(overview))
        .merge(account::routes())
        .merge(totp::routes())
        .merge(passkeys::routes())
        .merge(sessions::routes())
        .merge(apps::routes())
        .merge(confirm::routes())
}

const SECURITY: &str = "/account/security";

/// The good news a redirect back here may carry (`?done=`), by message key.
const DONE: [&str; 10] = [
    "password",
    "verification-sent",
    "totp-removed",
    "passkey-added",
    "passkey-renamed",
    "passkey-removed",
    "session-revoked",
    "app-signed-out",
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

/// `/account/confirm`, then back to `next`. When only a passkey will do,
/// the page offers only the passkey: confirming with a weaker factor would
/// succeed and be refused again, round and round.
pub(in crate::web) fn confirm_url(next: &str, said: &Said) -> String {
    let mut pairs = vec![("next", next), ("why", "1")];
    if said.factor() == Some(Factor::Passkey) {
        pairs.push(("need", "passkey"));
    }
    with_query("/account/confirm", &pairs)
}

fn confirm_first(next: &str, said: &Said) -> Response {
    Redirect::to(&confirm_url(next, said)).into_response()
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

    /// The section's alert when the refusal is not about one field (a
    /// field's refusal is shown beside that field instead).
    fn form_alert_in(&self, section: &str, lang: Lang) -> Option<Markup> {
        self.alert_in(section, lang).filter(|_| self.said.as_ref().is_some_and(|s| s.field.is_none()))
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
    let apps = services.oauth.signed_in_apps(caller).await.map_err(Said::from).map_err(PageError::said)?;
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
                li { a href="#apps" { (lang.t("security-apps-title")) } }
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
                @if let Some(alert) = flash.form_alert_in("email-change", lang) { (alert) }
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
            @if let Some(alert) = flash.form_alert_in("password", lang) { (alert) }
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

        section id="apps" aria-labelledby="apps-title" {
            h2 id="apps-title" { (lang.t("security-apps-title")) }
            p { (lang.t("security-apps-intro")) }
            @if let Some(alert) = flash.alert_in("apps", lang) { (alert) }
            @if apps.is_empty() {
                p class="muted" { (lang.t("security-apps-none")) }
            } @else {
                ul class="list apps" {
                    @for app in &apps {
                        li {
                            p {
                                strong { (app.name) }
                                @if let Some(device) = &app.device {
                                    " · " (lang.t_with("security-app-device", vec![("device", arg(device.clone()))]))
                                }
                            }
                            p class="muted" {
                                (lang.t_with("security-app-signed-in", vec![("date", arg(lang.date_time(app.signed_in_at)))]))
                                " · "
                                (lang.t_with("security-app-used", vec![("date", arg(lang.date_time(app.last_used_at)))]))
                            }
                            form method="post" action=(format!("/account/security/apps/{}/sign-out#apps", app.grant_id)) {
                                (layout::csrf(page))
                                button type="submit" class="secondary" aria-label=(lang.t_with("security-app-sign-out-of", vec![("app", arg(app.name.clone()))])) {
                                    (lang.t("security-app-sign-out"))
                                }
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
const EVENT_KINDS: [&str; 16] = [
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
    "app_signed_in",
    "app_token_replayed",
];

/// `?next=`: where an enrolling page goes afterwards.
#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// A refusal of a change in `section`: confirm first, or say it there.
async fn section_refusal(web: &Web, signed_in: &SignedIn, section: &'static str, said: Said) -> PageResult {
    if said.cause.is_some() {
        return refused(said);
    }
    if needs_confirmation(&said) {
        return Ok(confirm_first(&format!("{SECURITY}#{section}"), &said));
    }
    overview_refused(web, signed_in, Flash::refusal(section, said)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every message these pages name, read from their source, and the ones
    /// they build from `DONE` and `EVENT_KINDS`.
    fn keys() -> Vec<String> {
        let mut keys = Vec::new();
        let sources = [
            include_str!("mod.rs"),
            include_str!("account.rs"),
            include_str!("totp.rs"),
            include_str!("passkeys.rs"),
            include_str!("sessions.rs"),
            include_str!("apps.rs"),
            include_str!("confirm.rs"),
            include_str!("../sign_in.rs"),
            include_str!("../second_step.rs"),
        ];
        for source in sources {
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
        ("en", include_str!("../locales/en/signin.ftl"), include_str!("../locales/en/security.ftl")),
        ("et", include_str!("../locales/et/signin.ftl"), include_str!("../locales/et/security.ftl")),
        ("lv", include_str!("../locales/lv/signin.ftl"), include_str!("../locales/lv/security.ftl")),
        ("ru", include_str!("../locales/ru/signin.ftl"), include_str!("../locales/ru/security.ftl")),
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
}
