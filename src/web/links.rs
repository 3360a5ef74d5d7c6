//! The pages mailed links open: `/verify-email`, `/reset-password` and
//! `/devices/remove`. Mail scanners and link previews fetch every link, so
//! each GET only shows what a click would do; the button's POST acts.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::Web;
use super::cookies;
use super::errors::PageResult;
use super::i18n::arg;
use super::layout::{self, Field};
use super::page::{Form, Page, Query, SignedIn, sign_in_then};
use super::reasons::Said;
use super::sign_in::DEVICE_COOKIE_LIFETIME;
use crate::accounts::reveal;

/// The routes of this group.
pub fn routes() -> Router<Web> {
    Router::new()
        .route("/verify-email", get(verify_form).post(verify))
        .route("/reset-password", get(reset_form).post(request_reset))
        .route("/reset-password/complete", post(complete_reset))
        .route("/devices/remove", get(removal_form).post(remove_device))
}

/// The `token` of a mailed link, in the query or in the form it was carried into.
#[derive(Deserialize)]
pub struct LinkToken {
    token: Option<SecretString>,
}

/// A page answering with the refusal's status.
fn with_status(markup: Markup, said: &Said) -> Response {
    let mut response = markup.into_response();
    *response.status_mut() = said.status();
    response
}

/// A mailed link that did not work: what happened, and why links stop
/// working. The page's button then offers the way on (the reasons' own
/// "next" speaks of form fields, and here the only field is the link).
fn link_alert(lang: super::i18n::Lang, said: &Said) -> Markup {
    html! {
        div class="alert" role="alert" data-code=(said.code.as_str()) {
            p class="what" { (said.what_in(lang)) }
            p class="next" { (lang.t("links-expired-next")) }
        }
    }
}

/// A refusal that is a failure (not the visitor's doing) becomes an error page.
fn refused(error: impl Into<Said>) -> PageResult<Said> {
    let said = error.into();
    if said.cause.is_some() { Err(said.into()) } else { Ok(said) }
}

fn verify_page(page: &Page, token: &str, signed_in: bool, refusal: Option<&Said>) -> Markup {
    let lang = page.lang;
    let body = html! {
        @if let Some(said) = refusal {
            (link_alert(lang, said))
            @if signed_in {
                p { a class="button" href="/account/security#email" { (lang.t("links-verify-new-link")) } }
            } @else {
                p { a class="button" href="/sign-in?next=%2Faccount%2Fsecurity%23email" { (lang.t("links-verify-sign-in-for-new")) } }
            }
        } @else {
            p { (lang.t("links-verify-explain")) }
            form method="post" action="/verify-email" {
                (layout::csrf(page))
                input type="hidden" name="token" value=(token);
                div class="actions" { button type="submit" { (lang.t("links-verify-submit")) } }
            }
            p class="muted" { (lang.t("links-verify-not-you")) }
        }
    };
    layout::page(page, &lang.t("links-verify-title"), body)
}

/// `GET /verify-email?token=`: what the button will do. The token is not
/// looked at: only spending it shows whose it is.
async fn verify_form(page: Page, signed_in: Option<SignedIn>, Query(query): Query<LinkToken>) -> Response {
    let token = query.token.as_ref().map(|t| t.expose_secret().to_owned()).unwrap_or_default();
    if token.is_empty() {
        let said =
            Said::from(crate::accounts::AccountError::invalid("token", crate::domain::reason::Rule::LinkExpired));
        return with_status(verify_page(&page, "", signed_in.is_some(), Some(&said)), &said);
    }
    verify_page(&page, &token, signed_in.is_some(), None).into_response()
}

/// `POST /verify-email`: spends the link.
async fn verify(
    State(web): State<Web>,
    page: Page,
    signed_in: Option<SignedIn>,
    headers: axum::http::HeaderMap,
    Form(form): Form<LinkToken>,
) -> PageResult {
    let token = form.token.as_ref().map(|t| t.expose_secret().to_owned()).unwrap_or_default();
    match web.app.services.email.verify(&token, &page.client).await {
        Ok(_) => {
            let lang = page.lang;
            // An activation in this browser was waiting for this address:
            // back to it. Signed in, only the account's own (signed out, the
            // resume after signing in checks whose it is).
            let remembered = web.pages.jar.read(&headers, cookies::ACTIVATION_CODE);
            let owner = remembered.as_deref().and_then(|value| value.split_once('.')).map(|(user, _)| user);
            let activating = match (&signed_in, owner) {
                (Some(signed_in), Some(owner)) => signed_in.caller.user.id.as_str() == owner,
                (None, owner) => owner.is_some(),
                (Some(_), None) => false,
            };
            let (href, label) = match (signed_in.is_some(), activating) {
                (true, true) => ("/activate?resume=1".to_owned(), "links-verified-continue-activation"),
                (false, true) => (sign_in_then("/activate?resume=1"), "links-verified-continue-activation"),
                (true, false) => ("/account".to_owned(), "links-verified-continue"),
                (false, false) => ("/sign-in".to_owned(), "links-verified-sign-in"),
            };
            let body = html! {
                (layout::notice(&lang.t("links-verified-notice")))
                p { a class="button" href=(href) { (lang.t(label)) } }
            };
            Ok(layout::page(&page, &lang.t("links-verified-title"), body).into_response())
        }
        Err(error) => {
            let said = refused(error)?;
            Ok(with_status(verify_page(&page, "", signed_in.is_some(), Some(&said)), &said))
        }
    }
}

/// The address a reset link is asked for.
#[derive(Deserialize)]
pub struct ResetRequestForm {
    email: String,
}

/// A new password and the link that allows it.
#[derive(Deserialize)]
pub struct ResetForm {
    token: SecretString,
    new_password: SecretString,
}

fn request_page(page: &Page, email: Option<&str>, refusal: Option<&Said>) -> Markup {
    let lang = page.lang;
    let body = html! {
        @if let Some(said) = refusal { (layout::alert(lang, said)) }
        p { (lang.t("links-reset-request-explain")) }
        form method="post" action="/reset-password" novalidate {
            (layout::csrf(page))
            (Field::new("email", lang.t("links-reset-email"), "email", "email").value(email).render())
            div class="actions" { button type="submit" { (lang.t("links-reset-request-submit")) } }
        }
        p { a href="/sign-in" { (lang.t("links-reset-back-to-sign-in")) } }
    };
    layout::page(page, &lang.t("links-reset-request-title"), body)
}

fn new_password_page(page: &Page, token: &str, refusal: Option<&Said>) -> Markup {
    let lang = page.lang;
    let field_error = refusal.filter(|said| said.field == Some("new_password")).map(|said| said.what_in(lang));
    let body = html! {
        @if let Some(said) = refusal.filter(|said| said.field != Some("new_password")) {
            (link_alert(lang, said))
            p { a class="button" href="/reset-password" { (lang.t("links-reset-ask-again")) } }
        } @else {
            p { (lang.t("links-reset-new-explain")) }
            form method="post" action="/reset-password/complete" novalidate {
                (layout::csrf(page))
                input type="hidden" name="token" value=(token);
                (Field::new("new_password", lang.t("links-reset-new-password"), "password", "new-password")
                    .hint(lang.t("sign-up-password-hint")).error(field_error).render())
                div class="actions" { button type="submit" { (lang.t("links-reset-new-submit")) } }
            }
        }
    };
    layout::page(page, &lang.t("links-reset-new-title"), body)
}

/// `GET /reset-password`: asks for the address; with the mailed `token`,
/// asks for the new password instead.
async fn reset_form(page: Page, Query(query): Query<LinkToken>) -> Markup {
    match query.token.as_ref().map(|t| t.expose_secret()).filter(|t| !t.is_empty()) {
        Some(token) => new_password_page(&page, token, None),
        None => request_page(&page, None, None),
    }
}

/// `POST /reset-password`: the same answer whether or not the address has
/// an account.
async fn request_reset(State(web): State<Web>, page: Page, Form(form): Form<ResetRequestForm>) -> PageResult {
    if let Err(error) = web.app.services.email.request_reset(&form.email) {
        let said = refused(error)?;
        return Ok(with_status(request_page(&page, Some(&form.email), Some(&said)), &said));
    }
    let lang = page.lang;
    let body = html! {
        (layout::notice(&lang.t("links-reset-sent")))
        p { (lang.t("links-reset-sent-next")) }
        p class="muted" { (lang.t("links-reset-sent-no-mail")) }
        p { a class="button" href="/sign-in" { (lang.t("links-reset-back-to-sign-in")) } }
    };
    Ok(layout::page(&page, &lang.t("links-reset-sent-title"), body).into_response())
}

/// `POST /reset-password/complete`: sets the password; every session ends,
/// and this browser becomes a known device.
async fn complete_reset(State(web): State<Web>, page: Page, Form(form): Form<ResetForm>) -> PageResult {
    let token = form.token.expose_secret();
    let device = match web.app.services.email.complete_reset(token, form.new_password, &page.client).await {
        Ok(device) => device,
        Err(error) => {
            let said = refused(error)?;
            return Ok(with_status(new_password_page(&page, token, Some(&said)), &said));
        }
    };
    let lang = page.lang;
    let body = html! {
        (layout::notice(&lang.t("links-reset-done-notice")))
        p { (lang.t("links-reset-done-next")) }
        p { a class="button" href="/sign-in" { (lang.t("links-reset-done-sign-in")) } }
    };
    let page = Page { signed_in: false, ..page };
    let mut response = layout::page(&page, &lang.t("links-reset-done-title"), body).into_response();
    let jar = web.pages.jar;
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, jar.clear(cookies::SESSION));
    headers.append(header::SET_COOKIE, jar.clear(cookies::ACTIVATION_CODE));
    headers.append(header::SET_COOKIE, jar.set(cookies::DEVICE, reveal(&device), Some(DEVICE_COOKIE_LIFETIME)));
    Ok(response)
}

/// The query of the link in a "new device" mail, carried into the form.
/// Read loosely so a damaged link gets a page in words, not a bare 400.
#[derive(Deserialize)]
pub struct RemovalLink {
    activation: Option<String>,
    expires: Option<String>,
    sig: Option<String>,
}

/// What the link's page knows of the device before anything is done.
enum Named {
    /// Still active: its name and platform, when the product sent them.
    Active { name: Option<String>, platform: Option<String> },
    /// Removed already (by this link, or on the licenses page).
    Gone,
    /// Not looked up: the page after a refused press.
    Unsaid,
}

fn removal_page(page: &Page, link: &RemovalLink, named: &Named, refusal: Option<&Said>) -> Markup {
    let lang = page.lang;
    let body = html! {
        @if let Some(said) = refusal {
            (link_alert(lang, said))
            p { a class="button" href="/account/licenses" { (lang.t("links-remove-manage")) } }
        } @else if let Named::Gone = named {
            (layout::notice(&lang.t("links-remove-already")))
            p { a class="button" href="/account/licenses" { (lang.t("links-remove-manage")) } }
        } @else {
            p { (lang.t("links-remove-explain")) }
            @if let Named::Active { name, platform } = named {
                @let device = name.clone().unwrap_or_else(|| lang.t("links-remove-unnamed"));
                @let platform = platform.clone().unwrap_or_else(|| "—".to_owned());
                p class="device-named" {
                    (lang.t_with("links-remove-device", vec![("device", arg(device)), ("platform", arg(platform))]))
                }
            }
            p { (lang.t("links-remove-if-you")) }
            form method="post" action="/devices/remove" {
                (layout::csrf(page))
                input type="hidden" name="activation" value=[link.activation.as_deref()];
                input type="hidden" name="expires" value=[link.expires.as_deref()];
                input type="hidden" name="sig" value=[link.sig.as_deref()];
                div class="actions" { button type="submit" class="danger" { (lang.t("links-remove-submit")) } }
            }
            p class="muted" { (lang.t("links-remove-manage-hint")) " " a href="/account/licenses" { (lang.t("links-remove-manage")) } }
        }
    };
    layout::page(page, &lang.t("links-remove-title"), body)
}

/// The link's parts as the service takes them; a damaged expiry is an
/// expired link, which the service refuses as such.
fn link_parts(link: &RemovalLink) -> (&str, i64, &str) {
    let activation = link.activation.as_deref().unwrap_or_default();
    let expires = link.expires.as_deref().and_then(|e| e.parse::<i64>().ok()).unwrap_or(0);
    (activation, expires, link.sig.as_deref().unwrap_or_default())
}

/// `GET /devices/remove?activation=&expires=&sig=`: which device the button
/// removes, read without changing anything (mail scanners open links).
async fn removal_form(State(web): State<Web>, page: Page, Query(link): Query<RemovalLink>) -> PageResult {
    let (activation, expires, sig) = link_parts(&link);
    let named = match web.app.services.licensing.device_by_link(activation, expires, sig).await {
        Ok(device) if device.deactivated_at.is_some() => Named::Gone,
        Ok(device) => Named::Active { name: device.name, platform: device.platform },
        Err(error) => {
            let said = refused(error)?;
            return Ok(with_status(removal_page(&page, &link, &Named::Unsaid, Some(&said)), &said));
        }
    };
    Ok(removal_page(&page, &link, &named, None).into_response())
}

/// `POST /devices/remove`: frees the seat.
async fn remove_device(State(web): State<Web>, page: Page, Form(link): Form<RemovalLink>) -> PageResult {
    let (activation, expires, sig) = link_parts(&link);
    if let Err(error) = web.app.services.licensing.remove_device_by_link(activation, expires, sig, &page.client).await {
        let said = refused(error)?;
        return Ok(with_status(removal_page(&page, &link, &Named::Unsaid, Some(&said)), &said));
    }
    let lang = page.lang;
    let body = html! {
        (layout::notice(&lang.t("links-removed-notice")))
        p { (lang.t("links-removed-next")) }
        p { a class="button" href="/account/security" { (lang.t("links-removed-security")) } }
    };
    Ok(layout::page(&page, &lang.t("links-removed-title"), body).into_response())
}
