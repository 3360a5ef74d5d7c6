//! The authenticator app and the recovery codes that come with it:
//! `/account/security/totp` (a page of its own, returning to `next`, with a
//! key shown once) and `/account/security/recovery`. Apart because enrolling
//! is a small flow of its own pages, not a form on the overview.

use crate::web::page::Form;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{
    Flash, NextQuery, SECURITY, confirm_first, done, needs_confirmation, overview_refused, refused, section_refusal,
};
use crate::domain::codes::RecoveryCode;
use crate::domain::reason::Code;
use crate::factors::TotpEnrollment;
use crate::web::Web;
use crate::web::errors::PageResult;
use crate::web::i18n::arg;
use crate::web::layout;
use crate::web::page::{Page, Query, SignedIn, safe_next};
use crate::web::reasons::Said;
use crate::web::second_step::with_query;

/// The routes of this section.
pub(super) fn routes() -> Router<Web> {
    Router::new()
        .route("/account/security/totp", get(totp_intro))
        .route("/account/security/totp/start", post(totp_start))
        .route("/account/security/totp/confirm", post(totp_confirm))
        .route("/account/security/totp/remove", post(totp_remove))
        .route("/account/security/recovery", post(recovery_regenerate))
        .route("/account/security/recovery/download", post(recovery_download))
}

/// The button that starts enrolling, on the overview and the app's own page.
pub(super) fn totp_start_form(page: &Page, next: &str) -> Markup {
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
fn totp_enroll_page(page: &Page, enrollment: &TotpEnrollment, next: &str, error: Option<String>) -> Markup {
    let lang = page.lang;
    let body = html! {
        ol class="steps" {
            li {
                p { (lang.t("security-totp-step-scan")) }
                div class="qr" role="img" aria-label=(lang.t("security-totp-qr-label")) { (layout::trusted(enrollment.qr_svg.clone())) }
            }
            li {
                p { (lang.t("security-totp-step-type")) }
                p { code id="totp-key" class="secret" { (grouped(&enrollment.secret)) } }
                button type="button" class="secondary hidden" data-copy="totp-key" data-copied=(lang.t("security-copied")) {
                    (lang.t("security-copy-key"))
                }
            }
            li {
                p { (lang.t("security-totp-step-confirm")) }
                form method="post" action="/account/security/totp/confirm" novalidate {
                    (layout::csrf(page))
                    input type="hidden" name="next" value=(next);
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
    totp_enroll_page(page, enrollment, next, None)
}

/// `POST /account/security/totp/start`: a fresh key, shown once.
async fn totp_start(State(web): State<Web>, signed_in: SignedIn, Form(form): Form<NextForm>) -> PageResult {
    let next = safe_next(form.next.as_deref());
    match web.app.services.factors.enroll_totp(&signed_in.caller).await {
        Ok(enrollment) => Ok(show_enrollment(&signed_in.page, &enrollment, &next).into_response()),
        Err(error) => {
            let said = Said::from(error);
            if needs_confirmation(&said) {
                return Ok(confirm_first(&with_query("/account/security/totp", &[("next", &next)]), &said));
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
                return Ok(confirm_first(&with_query("/account/security/totp", &[("next", &next)]), &said));
            }
            if said.code != Code::InvalidCredentials {
                return refused(said);
            }
            // The same key again, from the service: the page never trusts a key the browser sends back.
            let enrollment = web.app.services.factors.pending_totp(&signed_in.caller).await?;
            let lang = signed_in.page.lang;
            let message = format!("{} {}", said.what_in(lang), said.next_in(lang));
            let mut response = totp_enroll_page(&signed_in.page, &enrollment, &next, Some(message)).into_response();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_grouped_for_typing() {
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
