//! `/activate`: a guided checklist for someone holding an activation code,
//! from the code to a license ready to use. The product may open
//! `/activate?code=…` with the code filled in. Each visit works out where
//! the visitor stands from the services (GET changes nothing) and shows one
//! next action; each POST does one thing and comes back here.
//!
//! The order follows what redeeming checks: a policy that asks for a EULA
//! or a second factor wants them before the code is spent (`Licensing::redeem`),
//! so those steps come before "add the license". Creating the account with
//! the code redeems it at once, and the steps after it still show.

use std::time::Duration;

use super::page::Form;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use super::Web;
use super::cookies;
use super::errors::PageResult;
use super::i18n::{Lang, arg};
use super::layout::{self, Field};
use super::page::{Page, Query, SignedIn, sign_in_then};
use super::reasons::Said;
use crate::domain::eula::{Channel, EulaDocument, Standing};
use crate::domain::factors::{Factor, Shortfall};
use crate::domain::policy::SignInRequirement;
use crate::domain::reason::Code;
use crate::eula::DecisionRequest;
use crate::factors::FactorError;
use crate::licensing::{CodePreview, LicenseError, Licensing, OwnedLicense};

/// How long the browser remembers when the activation began.
const STARTED_COOKIE_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
/// As long as a confirmation link lives.
const RESUME_COOKIE_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// The routes of this group.
pub fn routes() -> Router<Web> {
    Router::new()
        .route("/activate", get(show))
        .route("/activate/verify-email", post(resend_verification))
        .route("/activate/eula", post(accept_eula))
        .route("/activate/redeem", post(redeem))
}

/// The steps of the checklist, in the order they are taken (which is
/// their order here: the funnel counts a step only past the furthest one
/// a browser has reached).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Code,
    Account,
    Email,
    Eula,
    Factor,
    License,
    Done,
}

impl Step {
    /// The name the funnel metric counts it under.
    const fn name(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Account => "account",
            Self::Email => "email",
            Self::Eula => "eula",
            Self::Factor => "factor",
            Self::License => "license",
            Self::Done => "done",
        }
    }

    /// The step counted under `name`.
    fn named(name: &str) -> Option<Self> {
        [Self::Code, Self::Account, Self::Email, Self::Eula, Self::Factor, Self::License, Self::Done]
            .into_iter()
            .find(|step| step.name() == name)
    }

    fn label(self, lang: Lang) -> String {
        lang.t(&format!("activate-step-{}", self.name()))
    }
}

/// `?code=`, a flag after the mail was sent again, and `?resume=` from the
/// page a confirmed address lands on (the code is then this browser's).
#[derive(Debug, Deserialize)]
struct CodeQuery {
    code: Option<String>,
    sent: Option<String>,
    resume: Option<String>,
}

/// The forms that carry only the code.
#[derive(Debug, Deserialize)]
struct CodeForm {
    code: String,
}

/// The EULA form: the exact version shown, and the box.
#[derive(Debug, Deserialize)]
struct EulaForm {
    code: String,
    product: String,
    version: String,
    locale: String,
    sha256: String,
    accept: Option<String>,
}

/// The second factor still owed, and what closes it.
#[derive(Debug, Clone, Copy)]
enum FactorOwed {
    /// None set up yet: set one up.
    Enroll(Factor),
    /// Set up, but this session did not use it: confirm with it.
    Confirm(Factor),
}

/// Where the visitor stands.
struct Journey {
    /// The code as typed, for the form.
    typed: Option<String>,
    /// The code, canonical, once it passed every check we can make.
    code: Option<String>,
    /// Why the code was refused.
    code_refused: Option<Said>,
    /// The signed-in user, if any.
    signed_in: Option<SignedIn>,
    /// What the code gives, for a signed-in visitor.
    preview: Option<CodePreview>,
    /// The address still needs confirming.
    email_owed: bool,
    /// The EULA still to accept, in the visitor's language where one exists.
    eula_owed: Option<EulaDocument>,
    /// The second factor still owed.
    factor_owed: Option<FactorOwed>,
}

impl Journey {
    fn product(&self) -> Option<&str> {
        self.preview.as_ref().map(|p| p.policy.product.as_str())
    }

    fn held(&self) -> Option<&OwnedLicense> {
        self.preview.as_ref().and_then(|p| p.held.as_ref())
    }

    /// Each step that applies, and whether it is done.
    fn steps(&self, require_verified_email: bool) -> Vec<(Step, bool)> {
        let policy = self.preview.as_ref().map(|p| &p.policy);
        let mut steps = vec![(Step::Code, self.code.is_some()), (Step::Account, self.signed_in.is_some())];
        let verified = self.signed_in.as_ref().is_some_and(|s| s.caller.user.email_verified());
        if (require_verified_email && !verified) || self.email_owed {
            steps.push((Step::Email, !self.email_owed && self.signed_in.is_some()));
        }
        // What the policy asks for is known once the code is looked up, after signing in.
        if policy.is_some_and(|p| p.eula_required) {
            steps.push((Step::Eula, self.eula_owed.is_none()));
        }
        if policy.is_some_and(|p| p.sign_in != SignInRequirement::Password) {
            steps.push((Step::Factor, self.factor_owed.is_none()));
        }
        steps.push((Step::License, self.held().is_some()));
        let done = steps.iter().all(|(_, done)| *done);
        steps.push((Step::Done, done));
        steps
    }
}

/// Works out where the visitor stands; reads only.
async fn journey(web: &Web, signed_in: Option<SignedIn>, typed: Option<String>, lang: Lang) -> PageResult<Journey> {
    let services = &web.app.services;
    let typed = typed.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let mut journey = Journey {
        typed: typed.clone(),
        code: None,
        code_refused: None,
        signed_in,
        preview: None,
        email_owed: false,
        eula_owed: None,
        factor_owed: None,
    };
    let Some(typed) = typed else { return Ok(journey) };
    let Some(signed_in) = journey.signed_in.as_ref() else {
        // Not signed in: only typos are caught here; the code itself is
        // judged when the account is made with it.
        match Licensing::check_typed_code(&typed) {
            Ok(code) => journey.code = Some(code),
            Err(error) => journey.code_refused = Some(refusal(error)?),
        }
        return Ok(journey);
    };
    let caller = &signed_in.caller;
    journey.email_owed = web.pages.require_verified_email && !caller.user.email_verified();
    let preview = match services.licensing.preview_code(caller, &typed).await {
        Ok(preview) => preview,
        Err(error) => {
            journey.code_refused = Some(code_refusal(error)?);
            return Ok(journey);
        }
    };
    journey.code = Some(preview.code.clone());
    // A code reserved for this address is redeemed only once the address is confirmed.
    journey.email_owed |= preview.needs_verified_email;
    let policy = preview.policy.clone();
    if policy.eula_required
        && matches!(services.eulas.standing(&caller.user.id, &policy.product).await?, Standing::Required { .. })
    {
        // The newest version, in the page's language where it is published in
        // it: an older version in the language would not settle what is owed.
        journey.eula_owed = Some(services.eulas.current_version_in(&policy.product, lang.tag()).await?);
    }
    journey.factor_owed = match services.factors.require_sign_in(caller, policy.sign_in).await {
        Ok(()) => None,
        Err(FactorError::Shortfall(Shortfall::EnrollmentRequired(factor))) => Some(FactorOwed::Enroll(factor)),
        // Holding the license already, the factor being set up is enough:
        // the product asks for it when the user signs in there.
        Err(FactorError::Shortfall(Shortfall::StrongerSignInRequired(_))) if preview.held.is_some() => None,
        Err(FactorError::Shortfall(Shortfall::StrongerSignInRequired(factor))) => Some(FactorOwed::Confirm(factor)),
        Err(error) => return Err(error.into()),
    };
    journey.preview = Some(preview);
    Ok(journey)
}

/// A refusal of the code itself: an unknown code is worded as one, in the
/// code's field, rather than as a missing page. A license that ended before
/// its code was used cannot be renewed by the person holding the code: they
/// need a new code from whoever sold it.
fn code_refusal(error: LicenseError) -> PageResult<Said> {
    match error {
        LicenseError::NotFound => {
            Ok(Said { what: "code-unknown", field: Some("activation_code"), ..Said::code(Code::NotFound) })
        }
        LicenseError::LicenseExpired => Ok(Said { next: "activate-expired-next", ..Said::code(Code::LicenseExpired) }),
        error => refusal(error),
    }
}

/// A refusal to show in the form; a failure becomes an error page.
fn refusal(error: impl Into<Said>) -> PageResult<Said> {
    let said = error.into();
    if said.cause.is_some() {
        return Err(said.into());
    }
    Ok(said)
}

/// This page, for `code`.
fn activate_url(code: Option<&str>) -> String {
    match code {
        Some(code) => {
            let query = url::form_urlencoded::Serializer::new(String::new()).append_pair("code", code).finish();
            format!("/activate?{query}")
        }
        None => "/activate".to_owned(),
    }
}

fn with_next(path: &str, next: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new()).append_pair("next", next).finish();
    format!("{path}?{query}")
}

/// `GET /activate`.
async fn show(
    State(web): State<Web>,
    signed_in: Option<SignedIn>,
    page: Page,
    headers: axum::http::HeaderMap,
    Query(query): Query<CodeQuery>,
) -> PageResult {
    let page = signed_in.as_ref().map_or(page, |s| s.page.clone());
    // The remembered code is this account's only: a shared browser does not
    // hand one person's code to the next.
    let resumed = || {
        let remembered = query.resume.as_ref().and_then(|_| web.pages.jar.read(&headers, cookies::ACTIVATION_CODE))?;
        let (user, code) = remembered.split_once('.')?;
        signed_in.as_ref().filter(|s| s.caller.user.id.as_str() == user).map(|_| code.to_owned())
    };
    let code = query.code.clone().or_else(resumed);
    let journey = journey(&web, signed_in, code, page.lang).await?;
    let notice = query.sent.is_some().then(|| page.t("activate-email-sent"));
    Ok(render(&web, &page, &journey, notice.as_deref(), None, &headers))
}

/// The page for where the visitor stands, with the funnel's bookkeeping:
/// the step reached is counted, the start remembered, the finish timed.
fn render(
    web: &Web,
    page: &Page,
    journey: &Journey,
    notice: Option<&str>,
    refused: Option<&Said>,
    headers: &axum::http::HeaderMap,
) -> Response {
    let lang = page.lang;
    let steps = journey.steps(web.pages.require_verified_email);
    let current = steps.iter().find(|(_, done)| !done).map_or(Step::Done, |(step, _)| *step);
    let licensing = &web.app.services.licensing;
    let checklist: Vec<(String, bool, Option<String>)> =
        steps.iter().map(|(step, done)| (step.label(lang), *done, None)).collect();
    let body = html! {
        @if let Some(notice) = notice { (layout::notice(notice)) }
        @if let Some(said) = refused { (layout::alert(lang, said)) }
        (layout::checklist(lang, &checklist))
        section class="activate-step" aria-labelledby="step-title" {
            h2 id="step-title" { (current.label(lang)) }
            (step_body(page, journey, current))
        }
    };
    let title = if current == Step::Done { lang.t("activate-done-title") } else { lang.t("activate-title") };
    let mut response = layout::page(page, &title, body).into_response();
    if let Some(said) = refused.or(journey.code_refused.as_ref()) {
        *response.status_mut() = said.status();
    }
    let jar = web.pages.jar;
    // Waiting for the address: remember the code, so the mailed link leads back here.
    let waiting = journey.signed_in.as_ref().zip(journey.code.as_deref());
    match (current, waiting) {
        (Step::Email, Some((signed_in, code))) if code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') => {
            let remembered = format!("{}.{code}", signed_in.caller.user.id.as_str());
            let cookie = jar.set(cookies::ACTIVATION_CODE, &remembered, Some(RESUME_COOKIE_LIFETIME));
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        (Step::Done, _) => {
            response.headers_mut().append(header::SET_COOKIE, jar.clear(cookies::ACTIVATION_CODE));
        }
        _ => {}
    }
    // The journey's cookie holds when it began, the furthest step counted
    // and, once known, the product: each step is counted once as a browser
    // first gets that far, not on a reload, a refused try, or a step back
    // and forth again; a code of another product starts a journey anew.
    let journey_so_far = jar.read(headers, cookies::ACTIVATION_STARTED).unwrap_or_default();
    let mut parts = journey_so_far.splitn(3, '.');
    let started = parts.next().and_then(|started| started.parse::<i64>().ok());
    let furthest = parts.next().and_then(Step::named);
    let of_product = parts.next().filter(|product| !product.is_empty());
    let product = journey.product().or(of_product);
    let (started, furthest) = match (of_product, journey.product()) {
        (Some(was), Some(now)) if was != now => (None, None),
        _ => (started, furthest),
    };
    let reached = furthest.is_none_or(|furthest| current > furthest);
    match (current, started, journey.held()) {
        (Step::Done, Some(started), Some(held)) => {
            licensing.record_activation_step(journey.product(), current.name());
            licensing.record_time_to_value(&held.license.product, started);
            response.headers_mut().append(header::SET_COOKIE, jar.clear(cookies::ACTIVATION_STARTED));
        }
        // A visit that finds the license already there is no journey.
        (Step::Done, _, _) => {}
        (_, started, _) if reached || started.is_none() => {
            licensing.record_activation_step(journey.product(), current.name());
            let started = started.unwrap_or_else(|| licensing.funnel_started());
            let value = format!("{started}.{}.{}", current.name(), product.unwrap_or_default());
            let cookie = jar.set(cookies::ACTIVATION_STARTED, &value, Some(STARTED_COOKIE_LIFETIME));
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        _ => {}
    }
    response
}

fn step_body(page: &Page, journey: &Journey, current: Step) -> Markup {
    let here = activate_url(journey.code.as_deref());
    match current {
        Step::Code => code_step(page, journey),
        Step::Account => account_step(page, journey.code.as_deref().unwrap_or_default(), &here),
        Step::Email => email_step(page, journey),
        Step::Eula => eula_step(page, journey),
        Step::Factor => factor_step(page, journey.factor_owed, &here),
        Step::License => license_step(page, journey.code.as_deref().unwrap_or_default()),
        Step::Done => done_step(page, journey.held()),
    }
}

/// Step 1: the code, formatted as typed; a typo is caught by the script as
/// the last symbol is typed, and by the server anyway.
fn code_step(page: &Page, journey: &Journey) -> Markup {
    let lang = page.lang;
    let refused = journey.code_refused.as_ref();
    let field_error = refused.filter(|s| s.field == Some("activation_code")).map(|s| s.what_in(lang));
    let described = if field_error.is_some() { "code-hint code-error" } else { "code-hint" };
    html! {
        @if let Some(said) = refused.filter(|s| s.field != Some("activation_code")) { (layout::alert(lang, said)) }
        form method="get" action="/activate" novalidate {
            div class={ "field" @if field_error.is_some() { " invalid" } } {
                label for="code" { (lang.t("activate-code-label")) }
                p id="code-hint" class="hint" { (lang.t("activate-code-hint")) }
                @if let Some(error) = &field_error { p id="code-error" class="field-error" { (error) } }
                input id="code" name="code" type="text" autocomplete="off" autocapitalize="characters"
                    spellcheck="false" required value=[journey.typed.as_deref()]
                    data-code-format data-typo=(lang.t("activate-code-typo")) data-typo-region="code-typo"
                    aria-invalid=[field_error.as_ref().map(|_| "true")] aria-describedby=(described);
                (layout::live_region("code-typo"))
            }
            div class="actions" { button type="submit" { (lang.t("activate-code-submit")) } }
        }
    }
}

/// Step 2: make an account with the code, or sign in and come back.
fn account_step(page: &Page, code: &str, here: &str) -> Markup {
    let lang = page.lang;
    html! {
        p { (lang.t("activate-account-intro")) }
        div class="activate-choices" {
            section class="activate-choice" aria-labelledby="new-account" {
                h3 id="new-account" { (lang.t("activate-account-new")) }
                form method="post" action="/sign-up" novalidate {
                    (layout::csrf(page))
                    input type="hidden" name="next" value=(here);
                    input type="hidden" name="activation_code" value=(code);
                    (Field::new("email", lang.t("sign-up-email"), "email", "email").render())
                    (Field::new("password", lang.t("sign-up-password"), "password", "new-password")
                        .hint(lang.t("sign-up-password-hint")).render())
                    (Field::new("name", lang.t("sign-up-name"), "text", "name").optional().render())
                    div class="actions" { button type="submit" { (lang.t("activate-account-create")) } }
                }
            }
            section class="activate-choice" aria-labelledby="have-account" {
                h3 id="have-account" { (lang.t("activate-account-existing")) }
                p { (lang.t("activate-account-existing-text")) }
                p { a class="button secondary" href=(sign_in_then(here)) { (lang.t("activate-account-sign-in")) } }
            }
        }
    }
}

/// Step 3: confirm the address; the link can be sent again.
fn email_step(page: &Page, journey: &Journey) -> Markup {
    let lang = page.lang;
    let email = journey.signed_in.as_ref().map(|s| s.caller.user.email.clone()).unwrap_or_default();
    html! {
        p { (lang.t_with("activate-email-text", vec![("email", arg(email))])) }
        form method="post" action="/activate/verify-email" {
            (layout::csrf(page))
            input type="hidden" name="code" value=(journey.code.as_deref().unwrap_or_default());
            div class="actions" { button type="submit" { (lang.t("activate-email-resend")) } }
        }
    }
}

/// Step 4: the agreement in full, an unticked box, and a button that says
/// what clicking means.
fn eula_step(page: &Page, journey: &Journey) -> Markup {
    let lang = page.lang;
    let Some(document) = &journey.eula_owed else { return html! {} };
    let code = journey.code.as_deref().unwrap_or_default();
    html! {
        p { (lang.t("activate-eula-intro")) }
        @if document.locale != lang.tag() {
            p class="muted" lang=(lang.tag()) { (lang.t("activate-eula-other-language")) }
        }
        section class="eula-text" tabindex="0" aria-labelledby="eula-title" lang=(document.locale) {
            h3 id="eula-title" { (document.title) }
            (layout::paragraphs(&document.body))
        }
        form method="post" action="/activate/eula" {
            (layout::csrf(page))
            input type="hidden" name="code" value=(code);
            input type="hidden" name="product" value=(document.product);
            input type="hidden" name="version" value=(document.version);
            input type="hidden" name="locale" value=(document.locale);
            input type="hidden" name="sha256" value=(document.sha256);
            div class="field check" {
                input type="checkbox" id="accept" name="accept" value="yes";
                label for="accept" { (lang.t_with("activate-eula-checkbox", vec![("version", arg(document.version.clone()))])) }
            }
            div class="actions" { button type="submit" { (lang.t("activate-eula-accept")) } }
        }
    }
}

/// Step 5: the factor the policy asks for, set up (or used) on the
/// security pages, which come back here.
fn factor_step(page: &Page, owed: Option<FactorOwed>, here: &str) -> Markup {
    let lang = page.lang;
    let (text, link, label) = match owed {
        Some(FactorOwed::Enroll(Factor::Passkey)) => {
            ("activate-factor-passkey", with_next("/account/security/passkey", here), "activate-factor-passkey-go")
        }
        Some(FactorOwed::Enroll(_)) => {
            ("activate-factor-totp", with_next("/account/security/totp", here), "activate-factor-totp-go")
        }
        Some(FactorOwed::Confirm(factor)) => {
            let need = Said::code(Code::MfaRequired).with_factor(factor);
            ("activate-factor-confirm", super::security::confirm_url(here, &need), "activate-factor-confirm-go")
        }
        None => ("activate-factor-confirm", with_next("/account/confirm", here), "activate-factor-confirm-go"),
    };
    html! {
        p { (lang.t(text)) }
        p { a class="button" href=(link) { (lang.t(label)) } }
    }
}

/// Step 6: put the license on the account.
fn license_step(page: &Page, code: &str) -> Markup {
    let lang = page.lang;
    html! {
        p { (lang.t("activate-license-text")) }
        p class="secret" { (code) }
        form method="post" action="/activate/redeem" {
            (layout::csrf(page))
            input type="hidden" name="code" value=(code);
            div class="actions" { button type="submit" { (lang.t("activate-license-submit")) } }
        }
    }
}

/// Done: the key, and what to do in the product.
fn done_step(page: &Page, held: Option<&OwnedLicense>) -> Markup {
    let lang = page.lang;
    let Some(held) = held else { return html! {} };
    html! {
        (layout::notice(&lang.t_with("activate-done-notice", vec![("product", arg(held.license.product.clone()))])))
        h3 { (lang.t("activate-done-key")) }
        p class="key-row" {
            code id="license-key" class="secret" { (held.key) }
            " "
            button type="button" class="secondary hidden" data-copy="license-key" data-copied=(lang.t("activate-copied")) {
                (lang.t("activate-copy-key"))
            }
        }
        h3 { (lang.t("activate-done-next")) }
        ol class="next-steps" {
            li { (lang.t_with("activate-done-open", vec![("product", arg(held.license.product.clone()))])) }
            li { (lang.t("activate-done-sign-in")) }
            li { (lang.t("activate-done-paste")) }
        }
        p { a class="button" href="/account/licenses" { (lang.t("activate-done-licenses")) } }
    }
}

/// `POST /activate/verify-email`: sends the link again.
async fn resend_verification(
    State(web): State<Web>,
    signed_in: SignedIn,
    headers: axum::http::HeaderMap,
    Form(form): Form<CodeForm>,
) -> PageResult {
    match web.app.services.email.request_verification(&signed_in.caller).await {
        Ok(()) => {
            let back = format!("{}&sent=1", activate_url(Some(&form.code)));
            Ok(Redirect::to(&back).into_response())
        }
        Err(error) => {
            let said = refusal(error)?;
            again(&web, signed_in, form.code, &said, &headers).await
        }
    }
}

/// `POST /activate/eula`: records acceptance of exactly the version shown.
async fn accept_eula(
    State(web): State<Web>,
    signed_in: SignedIn,
    headers: axum::http::HeaderMap,
    Form(form): Form<EulaForm>,
) -> PageResult {
    if form.accept.is_none() {
        let said = Said::from(crate::domain::reason::Invalid::new("accept", crate::domain::reason::Rule::Required));
        let said = Said { what: "activate-eula-untick", next: "activate-eula-untick-next", ..said };
        return again(&web, signed_in, form.code, &said, &headers).await;
    }
    let request = DecisionRequest::acceptance(form.product, form.version, form.locale, form.sha256);
    let decided = web.app.services.eulas.decide(&signed_in.caller, request, &signed_in.page.client, Channel::Web).await;
    match decided {
        Ok(_) => Ok(Redirect::to(&activate_url(Some(&form.code))).into_response()),
        Err(error) => {
            let said = refusal(error)?;
            again(&web, signed_in, form.code, &said, &headers).await
        }
    }
}

/// `POST /activate/redeem`: puts the license on the account.
async fn redeem(
    State(web): State<Web>,
    signed_in: SignedIn,
    headers: axum::http::HeaderMap,
    Form(form): Form<CodeForm>,
) -> PageResult {
    let redeemed = web.app.services.licensing.redeem(&signed_in.caller, &form.code, &signed_in.page.client).await;
    match redeemed {
        Ok(_) => Ok(Redirect::to(&activate_url(Some(&form.code))).into_response()),
        Err(error) => {
            let said = code_refusal(error)?;
            again(&web, signed_in, form.code, &said, &headers).await
        }
    }
}

/// The checklist again, with the refusal shown above the step it concerns.
async fn again(
    web: &Web,
    signed_in: SignedIn,
    code: String,
    said: &Said,
    headers: &axum::http::HeaderMap,
) -> PageResult {
    let page = signed_in.page.clone();
    let journey = journey(web, Some(signed_in), Some(code), page.lang).await?;
    let mut response = render(web, &page, &journey, None, Some(said), headers);
    *response.status_mut() = said.status();
    Ok(response)
}
