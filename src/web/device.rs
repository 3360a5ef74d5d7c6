//! `/device`: where a person approves a sign-in for a device without a
//! browser (a CLI, a TV) by typing the code it shows (RFC 8628). Device-code
//! phishing is a live attack (someone sends a code and asks the victim to
//! enter it), so the approval page says which app asks, when and from which
//! network, and to approve only a request the person just started.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;

use super::Web;
use super::errors::{PageError, PageResult};
use super::i18n::arg;
use super::layout::{self, Field};
use super::oauth::{SeatLine, SeatOutlook, chosen_license, seat_outlook};
use super::page::{Form, Query, SignedIn};
use super::reasons::Said;
use crate::oauth::{DeviceAnswer, DeviceApproval};

/// The routes of this group.
pub fn routes() -> Router<Web> {
    Router::new().route("/device", get(form).post(find)).route("/device/decision", post(decide))
}

/// `?user_code=`, from the link or QR code the device shows.
#[derive(Deserialize)]
pub struct Prefill {
    user_code: Option<String>,
}

/// The code as typed.
#[derive(Deserialize)]
pub struct CodeForm {
    user_code: String,
}

/// The answer, with the code it is about and the license chosen for the
/// seat when there was a choice.
#[derive(Deserialize)]
pub struct DecisionForm {
    user_code: String,
    decision: String,
    license: Option<String>,
}

fn code_page(signed_in: &SignedIn, typed: Option<&str>, refusal: Option<&Said>) -> Response {
    let page = &signed_in.page;
    let lang = page.lang;
    let field_error = refusal.filter(|said| said.field == Some("user_code")).map(|said| said.what_in(lang));
    let body = html! {
        @if let Some(said) = refusal.filter(|said| said.field.is_none()) { (layout::alert(lang, said)) }
        p { (lang.t("device-intro")) }
        form method="post" action="/device" novalidate {
            (layout::csrf(page))
            (Field::new("user_code", lang.t("device-code-label"), "text", "one-time-code").value(typed).error(field_error).render())
            div class="actions" { button type="submit" { (lang.t("device-continue")) } }
        }
    };
    let mut response = layout::page(page, &lang.t("device-title"), body).into_response();
    if let Some(said) = refusal {
        *response.status_mut() = said.status();
        if let Some(wait) = said.wait_secs() {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, wait.into());
        }
    }
    response
}

fn approval_page(signed_in: &SignedIn, approval: &DeviceApproval, seat: Option<&SeatLine>) -> Response {
    let page = &signed_in.page;
    let lang = page.lang;
    let client = &approval.client;
    let app = || vec![("app", arg(client.name.clone()))];
    let when = lang.date_time(approval.requested_at);
    let asked = match &approval.requested_ip {
        Some(ip) => lang.t_with("device-asked", vec![("when", arg(when)), ("ip", arg(ip.clone()))]),
        None => lang.t_with("device-asked-no-ip", vec![("when", arg(when))]),
    };
    let body = html! {
        p { (lang.t_with("oauth-as", vec![("email", arg(signed_in.caller.user.email.clone()))])) }
        p { (asked) }
        div class="alert" role="note" { p { (lang.t("device-warning")) } }
        @if let Some(seat) = seat { (seat.said()) }
        h2 id="oauth-gets" { (lang.t_with("oauth-wants", app())) }
        ul aria-labelledby="oauth-gets" {
            @for scope in approval.scope.iter() {
                li { (lang.t_with(&format!("oauth-scope-{scope}"), vec![("product", arg(client.product.clone()))])) }
            }
        }
        form method="post" action="/device/decision" {
            (layout::csrf(page))
            input type="hidden" name="user_code" value=(approval.user_code);
            @if let Some(seat) = seat { (seat.fields()) }
            div class="actions" {
                button type="submit" name="decision" value="allow" { (lang.t("device-allow")) }
                button type="submit" name="decision" value="deny" class="secondary" { (lang.t("device-deny")) }
            }
        }
    };
    layout::page(page, &lang.t_with("device-approve-title", app()), body).into_response()
}

/// `GET /device`: the code form, prefilled from the device's link. Even
/// prefilled, the person presses Continue: a link alone never gets as far
/// as the approval.
async fn form(signed_in: SignedIn, Query(prefill): Query<Prefill>) -> Response {
    code_page(&signed_in, prefill.user_code.as_deref(), None)
}

/// `POST /device`: the request behind the code, to approve or deny.
async fn find(State(web): State<Web>, signed_in: SignedIn, Form(form): Form<CodeForm>) -> PageResult {
    let oauth = &web.app.services.oauth;
    match oauth.device_request(&signed_in.caller, &form.user_code, &signed_in.page.client).await {
        Ok(approval) => match seat_outlook(&web, &signed_in, &approval.client, approval.seat.as_ref()).await? {
            SeatOutlook::Blocked(page) => Ok(page),
            SeatOutlook::Approve(seat) => Ok(approval_page(&signed_in, &approval, Some(&seat))),
            SeatOutlook::None => Ok(approval_page(&signed_in, &approval, None)),
        },
        Err(error) => refused(&signed_in, &form.user_code, error.into()),
    }
}

/// `POST /device/decision`: approve or deny; then the person goes back to the device.
async fn decide(State(web): State<Web>, signed_in: SignedIn, Form(form): Form<DecisionForm>) -> PageResult {
    let approve = form.decision == "allow";
    // Denying always works, whatever else the form carries: it is the way
    // out of a request someone else started.
    let chose = match chosen_license(form.license.as_deref().filter(|_| approve)) {
        Ok(chose) => chose,
        Err(error) => return refused(&signed_in, &form.user_code, error.into()),
    };
    let answer = if approve { DeviceAnswer::Approve { license: chose.as_ref() } } else { DeviceAnswer::Deny };
    let oauth = &web.app.services.oauth;
    let approval = match oauth.decide_device(&signed_in.caller, &form.user_code, answer, &signed_in.page.client).await {
        Ok(approval) => approval,
        Err(error) => return refused(&signed_in, &form.user_code, error.into()),
    };
    let page = &signed_in.page;
    let lang = page.lang;
    let app = || vec![("app", arg(approval.client.name.clone()))];
    let (title, text) = if approve {
        ("device-approved-title", "device-approved-text")
    } else {
        ("device-denied-title", "device-denied-text")
    };
    let body = html! { p { (lang.t_with(text, app())) } };
    Ok(layout::page(page, &lang.t(title), body).into_response())
}

/// A refusal the person can act on shows the code form again; a failure of ours the error page.
fn refused(signed_in: &SignedIn, typed: &str, said: Said) -> PageResult {
    if said.cause.is_some() {
        return Err(PageError::said(said));
    }
    Ok(code_page(signed_in, Some(typed), Some(&said)))
}
