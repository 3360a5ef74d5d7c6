//! The second step of a sign-in (a code or a passkey) is
//! `/sign-in/second-step`; signing in with a passkey alone (the button and
//! the email field's autofill) answers at `/sign-in/passkey`. The ways of
//! proving it is you, and their form, are here too: "confirm it is you"
//! (`security::confirm`) offers the same.
//!
//! The passkey ceremonies are small JSON endpoints beside the pages, called
//! by `passkeys.js` with the form token in a header; they answer
//! `{redirect}` or `{error: {what, next}}` in the page's language.
//!
//! Apart from `sign_in`, which only hands over a pending sign-in (a cookie):
//! everything after the password, and the passkey plumbing the security
//! pages reuse, is here.

use super::page::Form;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Web;
use super::cookies;
use super::errors::PageResult;
use super::layout::{self, Field};
use super::page::{Page, Query, safe_next};
use super::reasons::Said;
use super::sign_in::{begin_session, begin_session_json, sign_in_page};
use crate::domain::factors::CodeKind;
use crate::domain::reason::{Code, Invalid, Rule};
use crate::factors::{FactorError, PasskeyOptions};

/// The routes of this group.
pub fn routes() -> Router<Web> {
    Router::new()
        .route("/sign-in/second-step", get(second_step_form).post(second_step_code))
        .route("/sign-in/second-step/passkey/options", post(second_step_passkey_options))
        .route("/sign-in/second-step/passkey", post(second_step_passkey))
        .route("/sign-in/passkey/options", post(passwordless_options))
        .route("/sign-in/passkey", post(passwordless))
}

/// A way to prove who you are, as the pages offer them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Way {
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
pub(super) struct PasskeyUrls<'a> {
    /// `POST` for the request options.
    pub options: &'a str,
    /// `POST` for the answer.
    pub answer: &'a str,
}

/// The form for one way of proving it is you, then links to the others.
pub(super) struct WayForm<'a> {
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
pub(super) fn way_form(page: &Page, form: WayForm<'_>) -> Markup {
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
pub(super) fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    format!("{path}?{query}")
}

/// The answer to a passkey ceremony that succeeded: where to go.
pub(super) fn json_redirect(to: &str) -> Response {
    axum::Json(json!({ "redirect": to })).into_response()
}

/// A refusal for the passkey script to show, in the page's language.
pub(super) fn json_refusal(lang: super::i18n::Lang, said: &Said) -> Response {
    if let Some(cause) = &said.cause {
        tracing::error!(code = said.code.as_str(), %cause, "passkey ceremony failed");
    }
    let body =
        json!({ "error": { "code": said.code.as_str(), "what": said.what_in(lang), "next": said.next_in(lang) } });
    (said.status(), axum::Json(body)).into_response()
}

/// The options as the script hands them to `navigator.credentials`.
pub(super) fn json_options(challenge_id: String, options: &impl Serialize) -> Response {
    match serde_json::to_value(options) {
        Ok(serde_json::Value::Object(mut fields)) => {
            fields.insert("challenge_id".into(), challenge_id.into());
            axum::Json(serde_json::Value::Object(fields)).into_response()
        }
        // Options we made always serialize to an object; a page language
        // does not matter for a failure nobody can act on.
        _ => json_refusal(super::i18n::Lang::En, &Said::code(Code::Internal)),
    }
}

/// A passkey's answer, as the script posts it.
#[derive(Deserialize)]
pub(super) struct PasskeyAnswer {
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
    /// The credential (a passkey's assertion or a new passkey's
    /// attestation), if it is one.
    pub fn credential<T: serde::de::DeserializeOwned>(&self) -> Result<T, Said> {
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
struct StepQuery {
    next: Option<String>,
    method: Option<String>,
}

/// A typed answer to the second step (or to "confirm it is you").
#[derive(Deserialize)]
pub(super) struct CodeForm {
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
            // This sign-in is over: no more answers, or it lapsed.
            let over =
                matches!(error, FactorError::PendingSignInGone | FactorError::Refused { attempts_left: Some(0), .. });
            let said = Said::from(error);
            if said.cause.is_some() {
                return Err(said.into());
            }
            if over {
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
    let credential = match answer.credential() {
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
    let credential = match answer.credential() {
        Ok(credential) => credential,
        Err(said) => return json_refusal(page.lang, &said),
    };
    match web.app.services.factors.sign_in_passwordless(&answer.challenge_id, &credential, &page.client).await {
        Ok(signed) => begin_session_json(&web, &signed, &next),
        Err(error) => json_refusal(page.lang, &Said::from(error)),
    }
}
