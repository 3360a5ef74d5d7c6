//! Pages for what went wrong: a refusal a handler could not show in its own
//! form, a form that expired, a page that does not exist. Each says what
//! happened and the one thing to do, and offers help.
//!
//! A handler returns a [`PageError`]; it travels as a marker on an empty
//! response, and the guard, which knows the visitor's language, draws it.

use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::i18n::Lang;
use super::layout;
use super::page::Page;
use super::reasons::Said;
use crate::domain::reason::Code;

/// A refusal shown as a page of its own.
#[derive(Debug, Clone)]
pub struct PageError {
    said: Said,
}

/// The marker a [`PageError`] leaves on its response.
#[derive(Debug, Clone)]
pub struct Failed(pub Said);

impl PageError {
    /// A page for this refusal.
    pub fn said(said: Said) -> Self {
        Self { said }
    }

    /// No such page.
    pub fn not_found() -> Self {
        Self::said(Said::code(Code::NotFound))
    }

    /// A POST without this browser's form token: perhaps the form sat open
    /// for a very long time, perhaps another site tried to submit it.
    pub fn form_expired() -> Self {
        Self::said(Said { what: "error-form-expired", next: "error-form-expired-next", ..Said::code(Code::Forbidden) })
    }

    /// A form whose action ran out of time after it had begun: it may have
    /// been done already (a PIN issued, a password changed), so "try again"
    /// alone would mislead.
    pub fn timed_out_unsure() -> Self {
        Self::said(Said {
            what: "error-timeout-unsure",
            next: "error-timeout-unsure-next",
            ..Said::code(Code::Timeout)
        })
    }
}

impl<E: Into<Said>> From<E> for PageError {
    fn from(error: E) -> Self {
        Self::said(error.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut response = self.said.status().into_response();
        response.extensions_mut().insert(Failed(self.said));
        response
    }
}

/// The result of a page handler.
pub type PageResult<T = Response> = Result<T, PageError>;

/// The help every error page offers: support, one click away.
pub fn help_box(lang: Lang) -> Markup {
    html! {
        section class="help-box" aria-labelledby="help-title" {
            h2 id="help-title" { (lang.t("error-help-title")) }
            p { (lang.t("error-help-text")) }
            p { a href="/account/support?chat=open" { (lang.t("error-help-link")) } }
        }
    }
}

/// The error page for `said`.
pub fn render(page: &Page, said: &Said) -> Response {
    if let Some(cause) = &said.cause {
        // Logged once, inside the request's span; never shown.
        tracing::error!(code = said.code.as_str(), %cause, "page failed");
    }
    let lang = page.lang;
    let (action, label) = match said.code {
        Code::Unauthorized => ("/sign-in", "error-action-sign-in"),
        Code::SeatLimitReached | Code::LeaseLapsed => ("/account/licenses", "error-action-licenses"),
        Code::EulaAcceptanceRequired => ("/account/eula", "error-action-eula"),
        Code::FactorEnrollmentRequired | Code::FactorRequiredByLicense => {
            ("/account/security", "error-action-security")
        }
        Code::AccountLocked => ("/reset-password", "error-action-reset"),
        _ if page.signed_in => ("/account", "error-action-account"),
        _ => ("/", "error-action-home"),
    };
    let body = html! {
        div class="alert" role="alert" data-code=(said.code.as_str()) {
            p class="next" { (said.next_in(lang)) }
        }
        p { a class="button" href=(action) { (lang.t(label)) } }
        (help_box(lang))
    };
    let mut response = layout::page(page, &said.what_in(lang), body).into_response();
    *response.status_mut() = said.status();
    if let Some(wait) = said.wait_secs() {
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, wait.into());
    }
    response
}
