//! Signing in and out, and creating an account: `/sign-in`, `/sign-up`,
//! `/sign-out`, and beginning the session a sign-in ends with (its cookies).
//! When the account has a second step, the password step hands over a
//! pending sign-in, and `second_step` takes it from there; signing in with
//! a passkey alone is there too.

use std::time::Duration;

use super::page::Form;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::Web;
use super::cookies;
use super::errors::PageResult;
use super::layout::{self, Field};
use super::page::{Page, Query, SignedIn, safe_next};
use super::reasons::Said;
use super::second_step::json_redirect;
use crate::accounts::{SignInOutcome, SignedIn as SessionBegun, reveal};

/// How long the browser keeps the session cookie; the server's own limits
/// (idle and absolute) decide whether the session is still good.
pub const SESSION_COOKIE_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long the browser keeps a device token: as long as it is valid.
pub const DEVICE_COOKIE_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);
/// A sign-in waiting for its second step lapses on the server sooner than this.
pub const PENDING_COOKIE_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// The routes of this group.
pub fn routes() -> Router<Web> {
    Router::new()
        .route("/sign-in", get(sign_in_form).post(sign_in))
        .route("/sign-up", get(sign_up_form).post(sign_up))
        .route("/sign-out", post(sign_out))
}

/// Where to go next, carried through the sign-in forms.
#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
    email: Option<String>,
}

/// The sign-in form as posted.
#[derive(Deserialize)]
pub struct SignInForm {
    email: String,
    password: SecretString,
    next: Option<String>,
}

/// The sign-up form as posted.
#[derive(Deserialize)]
pub struct SignUpForm {
    email: String,
    password: SecretString,
    name: Option<String>,
    activation_code: Option<String>,
    next: Option<String>,
}

/// A session began: keep its token (and a new device token) in cookies and
/// go on to `next`.
pub fn begin_session(web: &Web, signed: &SessionBegun, next: &str) -> Response {
    let mut response = Redirect::to(next).into_response();
    session_cookies(web, signed, response.headers_mut());
    response
}

/// The same for a passkey ceremony: the script follows `redirect`.
pub(super) fn begin_session_json(web: &Web, signed: &SessionBegun, next: &str) -> Response {
    let mut response = json_redirect(next);
    session_cookies(web, signed, response.headers_mut());
    response
}

fn session_cookies(web: &Web, signed: &SessionBegun, headers: &mut HeaderMap) {
    let jar = web.pages.jar;
    headers.append(header::SET_COOKIE, jar.set(cookies::SESSION, reveal(&signed.token), Some(SESSION_COOKIE_LIFETIME)));
    headers.append(header::SET_COOKIE, jar.clear(cookies::PENDING));
    if let Some(device) = &signed.device_token {
        headers.append(header::SET_COOKIE, jar.set(cookies::DEVICE, reveal(device), Some(DEVICE_COOKIE_LIFETIME)));
    }
}

/// The second step is owed: keep the pending token and ask for it.
fn second_step(web: &Web, pending_token: &str, next: &str) -> Response {
    let query = url::form_urlencoded::Serializer::new(String::new()).append_pair("next", next).finish();
    let mut response = Redirect::to(&format!("/sign-in/second-step?{query}")).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, web.pages.jar.set(cookies::PENDING, pending_token, Some(PENDING_COOKIE_LIFETIME)));
    response
}

pub(super) fn sign_in_page(page: &Page, email: Option<&str>, next: &str, refusal: Option<&Said>) -> Markup {
    let lang = page.lang;
    let sign_up =
        format!("/sign-up?{}", url::form_urlencoded::Serializer::new(String::new()).append_pair("next", next).finish());
    let field_error = refusal.filter(|said| said.field == Some("email")).map(|said| said.what_in(lang));
    let body = html! {
        @if let Some(said) = refusal.filter(|said| said.field.is_none()) { (layout::alert(lang, said)) }
        (layout::live_region("passkey-status"))
        form method="post" action="/sign-in" novalidate {
            (layout::csrf(page))
            input type="hidden" name="next" value=(next);
            (Field::new("email", lang.t("sign-in-email"), "email", "username webauthn").value(email).error(field_error).render())
            (Field::new("password", lang.t("sign-in-password"), "password", "current-password").render())
            div class="actions" {
                button type="submit" { (lang.t("sign-in-submit")) }
                a href="/reset-password" { (lang.t("sign-in-forgot")) }
            }
        }
        div class="actions passkey-only hidden" {
            button type="button" class="secondary" id="passkey-sign-in" data-next=(next)
                data-passkey-get="/sign-in/passkey/options" data-answer="/sign-in/passkey"
                data-autofill="/sign-in/passkey/options"
                data-cancelled=(lang.t("signin-passkey-cancelled")) data-failed=(lang.t("signin-passkey-failed")) {
                (lang.t("sign-in-with-passkey"))
            }
        }
        p { (lang.t("sign-in-no-account")) " " a href=(sign_up) { (lang.t("sign-in-create-account")) } }
    };
    layout::page(page, &lang.t("sign-in-title"), body)
}

/// `GET /sign-in`: the form, or straight on when already signed in.
async fn sign_in_form(signed_in: Option<SignedIn>, page: Page, Query(query): Query<Next>) -> Response {
    let next = safe_next(query.next.as_deref());
    if signed_in.is_some() {
        return Redirect::to(&next).into_response();
    }
    sign_in_page(&page, query.email.as_deref(), &next, None).into_response()
}

/// `POST /sign-in`: the password step.
async fn sign_in(
    State(web): State<Web>,
    page: Page,
    previous: Option<SignedIn>,
    headers: axum::http::HeaderMap,
    Form(form): Form<SignInForm>,
) -> PageResult {
    let next = safe_next(form.next.as_deref());
    let device = web.pages.jar.read(&headers, cookies::DEVICE);
    let accounts = &web.app.services.accounts;
    let outcome = accounts.sign_in(&form.email, form.password, device.as_deref(), &page.client).await;
    match outcome {
        Ok(SignInOutcome::Authenticated(signed)) => {
            // Signing in again from a browser already signed in (another
            // tab, another account) replaces its cookie: the session it
            // held would otherwise live on with nobody holding it.
            if let Some(previous) = previous {
                let _ = accounts.sign_out(&previous.caller).await;
            }
            Ok(begin_session(&web, &signed, &next))
        }
        Ok(SignInOutcome::SecondFactorRequired(pending)) => Ok(second_step(&web, reveal(&pending.token), &next)),
        Err(error) => {
            let said = Said::from(error);
            if said.cause.is_some() {
                return Err(said.into());
            }
            let mut response = sign_in_page(&page, Some(&form.email), &next, Some(&said)).into_response();
            *response.status_mut() = said.status();
            Ok(response)
        }
    }
}

fn sign_up_page(page: &Page, form: Option<&SignUpForm>, next: &str, refusal: Option<&Said>) -> Markup {
    let lang = page.lang;
    let error_for = |field: &str| refusal.filter(|said| said.field == Some(field)).map(|said| said.what_in(lang));
    let code = form.and_then(|f| f.activation_code.as_deref()).filter(|c| !c.is_empty());
    let body = html! {
        @if let Some(said) = refusal.filter(|said| said.field.is_none()) { (layout::alert(lang, said)) }
        form method="post" action="/sign-up" novalidate {
            (layout::csrf(page))
            input type="hidden" name="next" value=(next);
            (Field::new("email", lang.t("sign-up-email"), "email", "email")
                .value(form.map(|f| f.email.as_str())).error(error_for("email")).render())
            (Field::new("password", lang.t("sign-up-password"), "password", "new-password")
                .hint(lang.t("sign-up-password-hint")).error(error_for("password")).render())
            (Field::new("name", lang.t("sign-up-name"), "text", "name")
                .value(form.and_then(|f| f.name.as_deref())).error(error_for("name")).optional().render())
            @if let Some(code) = code {
                input type="hidden" name="activation_code" value=(code);
            } @else {
                (Field::new("activation_code", lang.t("sign-up-code"), "text", "off")
                    .hint(lang.t("sign-up-code-hint")).error(error_for("activation_code")).optional().render())
            }
            div class="actions" { button type="submit" { (lang.t("sign-up-submit")) } }
        }
        p { (lang.t("sign-up-have-account")) " " a href="/sign-in" { (lang.t("sign-up-sign-in")) } }
    };
    layout::page(page, &lang.t("sign-up-title"), body)
}

/// `GET /sign-up`.
async fn sign_up_form(page: Page, Query(query): Query<Next>) -> Markup {
    sign_up_page(&page, None, &safe_next(query.next.as_deref()), None)
}

/// `POST /sign-up`: the same answer whether or not the address has an
/// account, so the page tells nobody who has one.
async fn sign_up(State(web): State<Web>, page: Page, Form(form): Form<SignUpForm>) -> PageResult {
    let next = safe_next(form.next.as_deref());
    let code = form.activation_code.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let name = form.name.clone().filter(|n| !n.trim().is_empty());
    let result = web.app.services.accounts.sign_up(&form.email, form.password.expose_secret().into(), name, code).await;
    match result {
        Ok(email) => Ok(check_your_email(&page, email.as_str(), &next).into_response()),
        Err(error) => {
            let said = Said::from(error);
            if said.cause.is_some() {
                return Err(said.into());
            }
            let mut response = sign_up_page(&page, Some(&form), &next, Some(&said)).into_response();
            *response.status_mut() = said.status();
            Ok(response)
        }
    }
}

/// After sign-up: the mail is on its way; the one next step is to sign in.
fn check_your_email(page: &Page, email: &str, next: &str) -> Markup {
    let lang = page.lang;
    let sign_in = format!(
        "/sign-in?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("email", email)
            .append_pair("next", next)
            .finish()
    );
    let body = html! {
        (layout::notice(&lang.t_with("sign-up-sent", vec![("email", super::i18n::arg(email.to_owned()))])))
        p { (lang.t("sign-up-sent-next")) }
        p { a class="button" href=(sign_in) { (lang.t("sign-up-continue")) } }
        p class="muted" { (lang.t("sign-up-no-mail")) }
    };
    layout::page(page, &lang.t("sign-up-check-title"), body)
}

/// `POST /sign-out`: ends this session and forgets it here; the device
/// token stays, so this browser keeps its own lockout counter.
async fn sign_out(State(web): State<Web>, signed_in: Option<SignedIn>) -> Response {
    if let Some(signed_in) = signed_in {
        // Ending an already-ended session changes nothing worth telling.
        let _ = web.app.services.accounts.sign_out(&signed_in.caller).await;
    }
    let mut response = Redirect::to("/sign-in").into_response();
    let jar = web.pages.jar;
    response.headers_mut().append(header::SET_COOKIE, jar.clear(cookies::SESSION));
    response.headers_mut().append(header::SET_COOKIE, jar.clear(cookies::PENDING));
    response.headers_mut().append(header::SET_COOKIE, jar.clear(cookies::ACTIVATION_CODE));
    response
}
