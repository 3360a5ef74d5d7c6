//! Signing in and out, and creating an account: `/sign-in`, `/sign-up`,
//! `/sign-out`. The second step of a sign-in (a code or a passkey) is
//! `/sign-in/second-step`; signing in with a passkey alone (the button and
//! the email field's autofill) answers at `/sign-in/passkey`.
//!
//! The passkey ceremonies are small JSON endpoints beside the pages, called
//! by `passkeys.js` with the form token in a header; they answer
//! `{redirect}` or `{error: {what, next}}` in the page's language.

use std::time::Duration;

use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::json;
use webauthn_rs::prelude::PublicKeyCredential;

use super::Web;
use super::cookies;
use super::errors::PageResult;
use super::layout::{self, Field};
use super::page::{Page, SignedIn, safe_next};
use super::reasons::Said;
use crate::accounts::{SignInOutcome, SignedIn as SessionBegun, reveal};
use crate::domain::factors::CodeKind;
use crate::domain::reason::{Code, Invalid, Rule};
use crate::factors::PasskeyOptions;

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
        .route("/sign-in/second-step", get(second_step_form).post(second_step_code))
        .route("/sign-in/second-step/passkey/options", post(second_step_passkey_options))
        .route("/sign-in/second-step/passkey", post(second_step_passkey))
        .route("/sign-in/passkey/options", post(passwordless_options))
        .route("/sign-in/passkey", post(passwordless))
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
fn begin_session_json(web: &Web, signed: &SessionBegun, next: &str) -> Response {
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

fn sign_in_page(page: &Page, email: Option<&str>, next: &str, refusal: Option<&Said>) -> Markup {
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
    headers: axum::http::HeaderMap,
    Form(form): Form<SignInForm>,
) -> PageResult {
    let next = safe_next(form.next.as_deref());
    let device = web.pages.jar.read(&headers, cookies::DEVICE);
    let outcome = web.app.services.accounts.sign_in(&form.email, form.password, device.as_deref(), &page.client).await;
    match outcome {
        Ok(SignInOutcome::Authenticated(signed)) => Ok(begin_session(&web, &signed, &next)),
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
    response
}

/// A way to prove who you are, as the pages offer them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// A passkey on this device or a security key.
    Passkey,
    /// Six digits from the authenticator app.
    Totp,
    /// One of the ten recovery codes.
    Recovery,
    /// The password: only to confirm it is you on an account without a second step.
    Password,
}

impl Way {
    /// The most convenient first: a passkey needs no typing.
    const PREFERRED: [Self; 4] = [Self::Passkey, Self::Totp, Self::Recovery, Self::Password];

    /// As the services and links name it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Passkey => "webauthn",
            Self::Totp => "totp",
            Self::Recovery => "recovery_code",
            Self::Password => "password",
        }
    }

    fn from_str(name: &str) -> Option<Self> {
        Self::PREFERRED.into_iter().find(|way| way.as_str() == name)
    }

    /// The ways among the service's method names, most convenient first.
    pub fn offered(methods: &[&str]) -> Vec<Self> {
        Self::PREFERRED.into_iter().filter(|way| methods.contains(&way.as_str())).collect()
    }

    /// The way asked for if offered, else the most convenient one.
    pub fn pick(offered: &[Self], asked: Option<&str>) -> Option<Self> {
        asked.and_then(Self::from_str).filter(|way| offered.contains(way)).or_else(|| offered.first().copied())
    }

    fn switch_label(self) -> &'static str {
        match self {
            Self::Passkey => "signin-use-passkey",
            Self::Totp => "signin-use-totp",
            Self::Recovery => "signin-use-recovery",
            Self::Password => "signin-use-password",
        }
    }

    /// The code kind of a typed way.
    pub const fn code_kind(self) -> Option<CodeKind> {
        match self {
            Self::Totp => Some(CodeKind::Totp),
            Self::Recovery => Some(CodeKind::RecoveryCode),
            Self::Passkey | Self::Password => None,
        }
    }
}

/// Where the passkey script asks for options and sends the answer.
pub struct PasskeyUrls<'a> {
    /// `POST` for the request options.
    pub options: &'a str,
    /// `POST` for the answer.
    pub answer: &'a str,
}

/// The form for one way of proving it is you, then links to the others.
pub struct WayForm<'a> {
    /// The way shown.
    pub way: Way,
    /// Every way the account has.
    pub offered: &'a [Way],
    /// Where the typed ways are posted.
    pub action: &'a str,
    /// This page's path, for the links to the other ways.
    pub here: &'a str,
    /// Where to go afterwards.
    pub next: &'a str,
    /// The submit button's label.
    pub submit: String,
    /// The passkey ceremony's endpoints.
    pub passkey: PasskeyUrls<'a>,
    /// Why the last answer was refused.
    pub error: Option<String>,
}

/// The form, then links to the other ways.
pub fn way_form(page: &Page, form: WayForm<'_>) -> Markup {
    let WayForm { way, offered, action, here, next, submit, passkey, error } = form;
    let lang = page.lang;
    html! {
        @match way {
            Way::Passkey => {
                p { (lang.t("signin-passkey-explain")) }
                // The script sends this page's form token with the ceremony; no form carries it here.
                (layout::csrf(page))
                (layout::live_region("passkey-status"))
                div class="actions passkey-only hidden" {
                    button type="button" data-passkey-get=(passkey.options) data-answer=(passkey.answer) data-next=(next)
                        data-cancelled=(lang.t("signin-passkey-cancelled")) data-failed=(lang.t("signin-passkey-failed")) {
                        (lang.t("signin-passkey-button"))
                    }
                }
                p class="passkey-missing muted" { (lang.t("signin-passkey-missing")) }
            }
            _ => {
                form method="post" action=(action) novalidate {
                    (layout::csrf(page))
                    input type="hidden" name="next" value=(next);
                    input type="hidden" name="method" value=(way.as_str());
                    @match way {
                        Way::Password => {
                            (Field::new("password", lang.t("signin-password-label"), "password", "current-password").error(error).render())
                        }
                        _ => { (code_field(lang, way, error)) }
                    }
                    div class="actions" { button type="submit" { (submit) } }
                }
            }
        }
        @let others: Vec<Way> = offered.iter().copied().filter(|other| *other != way).collect();
        @if !others.is_empty() {
            h2 { (lang.t("signin-another-way")) }
            ul class="ways" {
                @for other in others {
                    li { a href=(with_query(here, &[("next", next), ("method", other.as_str())])) { (lang.t(other.switch_label())) } }
                }
            }
        }
    }
}

/// A code field: digits for the app, with the one-time-code hint for the
/// phone's keyboard and autofill; letters too for a recovery code.
fn code_field(lang: super::i18n::Lang, way: Way, error: Option<String>) -> Markup {
    let (label, hint, mode, autocomplete) = match way {
        Way::Recovery => ("signin-recovery-label", "signin-recovery-hint", "text", "off"),
        _ => ("signin-totp-label", "signin-totp-hint", "numeric", "one-time-code"),
    };
    html! {
        div class={ "field" @if error.is_some() { " invalid" } } {
            label for="code" { (lang.t(label)) }
            p id="code-hint" class="hint" { (lang.t(hint)) }
            @if let Some(error) = &error { p id="code-error" class="field-error" { (error) } }
            input id="code" name="code" type="text" inputmode=(mode) autocomplete=(autocomplete) required
                autocapitalize="characters" spellcheck="false" class="code-input"
                aria-invalid=[error.as_ref().map(|_| "true")]
                aria-describedby=(if error.is_some() { "code-hint code-error" } else { "code-hint" });
        }
    }
}

/// `path?key=value&…`, encoded.
pub fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    format!("{path}?{query}")
}

/// The answer to a passkey ceremony that succeeded: where to go.
pub fn json_redirect(to: &str) -> Response {
    axum::Json(json!({ "redirect": to })).into_response()
}

/// A refusal for the passkey script to show, in the page's language.
pub fn json_refusal(lang: super::i18n::Lang, said: &Said) -> Response {
    if let Some(cause) = &said.cause {
        tracing::error!(code = said.code.as_str(), %cause, "passkey ceremony failed");
    }
    let body =
        json!({ "error": { "code": said.code.as_str(), "what": said.what_in(lang), "next": said.next_in(lang) } });
    (said.status(), axum::Json(body)).into_response()
}

/// The options as the script hands them to `navigator.credentials`.
pub fn json_options(challenge_id: String, options: &impl Serialize) -> Response {
    match serde_json::to_value(options) {
        Ok(serde_json::Value::Object(mut fields)) => {
            fields.insert("challenge_id".into(), challenge_id.into());
            axum::Json(serde_json::Value::Object(fields)).into_response()
        }
        _ => json_refusal(super::i18n::Lang::En, &Said::code(Code::Internal)),
    }
}

/// A passkey's answer, as the script posts it.
#[derive(Deserialize)]
pub struct PasskeyAnswer {
    /// The challenge it answers.
    pub challenge_id: String,
    /// The browser's `PublicKeyCredential`, as JSON.
    pub credential: serde_json::Value,
    /// Where to go afterwards.
    pub next: Option<String>,
    /// A new passkey's name (registration only).
    pub name: Option<String>,
}

impl PasskeyAnswer {
    /// The credential, if it is one.
    pub fn assertion(&self) -> Result<PublicKeyCredential, Said> {
        serde_json::from_value(self.credential.clone())
            .map_err(|_| Said::from(Invalid::new("credential", Rule::NotACredential)))
    }
}

fn request_options(lang: super::i18n::Lang, options: Result<PasskeyOptions, crate::factors::FactorError>) -> Response {
    match options {
        Ok(options) => json_options(options.challenge_id, &options.options),
        Err(error) => json_refusal(lang, &Said::from(error)),
    }
}

/// Which step the second-step page shows.
#[derive(Debug, Deserialize)]
pub struct StepQuery {
    next: Option<String>,
    method: Option<String>,
}

/// A typed answer to the second step (or to "confirm it is you").
#[derive(Deserialize)]
pub struct CodeForm {
    /// `totp`, `recovery_code` or `password`.
    pub method: String,
    /// The code typed.
    pub code: Option<SecretString>,
    /// The password typed (confirming, without a second step).
    pub password: Option<SecretString>,
    /// Where to go afterwards.
    pub next: Option<String>,
}

fn pending_token(web: &Web, headers: &HeaderMap) -> Option<String> {
    web.pages.jar.read(headers, cookies::PENDING)
}

fn second_step_page(page: &Page, way: Way, offered: &[Way], next: &str, error: Option<String>) -> Markup {
    let lang = page.lang;
    let urls = PasskeyUrls { options: "/sign-in/second-step/passkey/options", answer: "/sign-in/second-step/passkey" };
    let body = html! {
        p { (lang.t("signin-second-step-intro")) }
        (way_form(page, WayForm {
            way, offered, action: "/sign-in/second-step", here: "/sign-in/second-step", next,
            submit: lang.t("signin-continue"), passkey: urls, error,
        }))
        p class="muted" { a href=(super::page::sign_in_then(next)) { (lang.t("signin-start-over")) } }
    };
    layout::page(page, &lang.t("signin-second-step-title"), body)
}

/// Back to the password, saying why; the pending sign-in is over.
fn start_over(web: &Web, page: &Page, next: &str, said: &Said) -> Response {
    let said = Said { next: "signin-ended-next", ..said.clone() };
    let mut response = sign_in_page(page, None, next, Some(&said)).into_response();
    *response.status_mut() = said.status();
    response.headers_mut().append(header::SET_COOKIE, web.pages.jar.clear(cookies::PENDING));
    response
}

/// `GET /sign-in/second-step`: the factor the account has, and links to the others.
async fn second_step_form(
    State(web): State<Web>,
    page: Page,
    headers: HeaderMap,
    Query(query): Query<StepQuery>,
) -> PageResult {
    let next = safe_next(query.next.as_deref());
    let Some(token) = pending_token(&web, &headers) else {
        return Ok(Redirect::to(&super::page::sign_in_then(&next)).into_response());
    };
    match web.app.services.factors.pending_methods(&token).await {
        Ok(methods) => {
            let offered = Way::offered(&methods);
            let Some(way) = Way::pick(&offered, query.method.as_deref()) else {
                return Ok(Redirect::to(&super::page::sign_in_then(&next)).into_response());
            };
            Ok(second_step_page(&page, way, &offered, &next, None).into_response())
        }
        Err(error) => {
            let said = Said::from(error);
            if said.cause.is_some() {
                return Err(said.into());
            }
            Ok(start_over(&web, &page, &next, &said))
        }
    }
}

/// `POST /sign-in/second-step`: a code from the app or a recovery code.
async fn second_step_code(
    State(web): State<Web>,
    page: Page,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> PageResult {
    let next = safe_next(form.next.as_deref());
    let Some(token) = pending_token(&web, &headers) else {
        return Ok(Redirect::to(&super::page::sign_in_then(&next)).into_response());
    };
    let way = Way::from_str(&form.method).filter(|way| way.code_kind().is_some()).unwrap_or(Way::Totp);
    let kind = way.code_kind().unwrap_or(CodeKind::Totp);
    let code = form.code.as_ref().map(|c| c.expose_secret().trim().to_owned()).unwrap_or_default();
    let factors = &web.app.services.factors;
    match factors.sign_in_with_code(&token, kind, &code, &page.client).await {
        Ok(signed) => Ok(begin_session(&web, &signed, &next)),
        Err(error) => {
            let said = Said::from(error);
            if said.cause.is_some() {
                return Err(said.into());
            }
            if said.what == "refusal-no_attempts_left" || said.what == "pending-gone" {
                return Ok(start_over(&web, &page, &next, &said));
            }
            let offered = match factors.pending_methods(&token).await {
                Ok(methods) => Way::offered(&methods),
                Err(_) => vec![way],
            };
            // "What" says what to fix in the code; the general next step
            // ("check both") is about the password form.
            let message = if said.code == Code::InvalidCredentials {
                said.what_in(page.lang)
            } else {
                format!("{} {}", said.what_in(page.lang), said.next_in(page.lang))
            };
            let mut response = second_step_page(&page, way, &offered, &next, Some(message)).into_response();
            *response.status_mut() = said.status();
            Ok(response)
        }
    }
}

/// `POST /sign-in/second-step/passkey/options` (JSON).
async fn second_step_passkey_options(State(web): State<Web>, page: Page, headers: HeaderMap) -> Response {
    let Some(token) = pending_token(&web, &headers) else {
        return json_refusal(page.lang, &Said::from(crate::factors::FactorError::PendingSignInGone));
    };
    request_options(page.lang, web.app.services.factors.sign_in_webauthn_options(&token).await)
}

/// `POST /sign-in/second-step/passkey` (JSON): the passkey's answer.
async fn second_step_passkey(
    State(web): State<Web>,
    page: Page,
    headers: HeaderMap,
    axum::Json(answer): axum::Json<PasskeyAnswer>,
) -> Response {
    let next = safe_next(answer.next.as_deref());
    let Some(token) = pending_token(&web, &headers) else {
        return json_refusal(page.lang, &Said::from(crate::factors::FactorError::PendingSignInGone));
    };
    let credential = match answer.assertion() {
        Ok(credential) => credential,
        Err(said) => return json_refusal(page.lang, &said),
    };
    let factors = &web.app.services.factors;
    match factors.sign_in_with_passkey(&token, &answer.challenge_id, &credential, &page.client).await {
        Ok(signed) => begin_session_json(&web, &signed, &next),
        Err(error) => json_refusal(page.lang, &Said::from(error)),
    }
}

/// `POST /sign-in/passkey/options` (JSON): for the button and for autofill.
async fn passwordless_options(State(web): State<Web>, page: Page) -> Response {
    request_options(page.lang, web.app.services.factors.passwordless_options().await)
}

/// `POST /sign-in/passkey` (JSON): a passkey alone signs in.
async fn passwordless(State(web): State<Web>, page: Page, axum::Json(answer): axum::Json<PasskeyAnswer>) -> Response {
    let next = safe_next(answer.next.as_deref());
    let credential = match answer.assertion() {
        Ok(credential) => credential,
        Err(said) => return json_refusal(page.lang, &said),
    };
    match web.app.services.factors.sign_in_passwordless(&answer.challenge_id, &credential, &page.client).await {
        Ok(signed) => begin_session_json(&web, &signed, &next),
        Err(error) => json_refusal(page.lang, &Said::from(error)),
    }
}
