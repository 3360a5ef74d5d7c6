//! `/account/confirm`: "confirm it is you" before a sensitive change, with a
//! factor the account has (or its password when it has none), then back to
//! `next`. Apart because every section leads here, and it reuses the second
//! step's forms rather than the overview's.

use crate::web::page::Form;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{SECURITY, refused};
use crate::domain::factors::Enrolled;
use crate::factors::Proof;
use crate::web::Web;
use crate::web::errors::PageResult;
use crate::web::layout;
use crate::web::page::{Page, Query, SignedIn, safe_next};
use crate::web::reasons::Said;
use crate::web::second_step::{
    CodeForm, PasskeyAnswer, PasskeyUrls, Way, WayForm, json_options, json_redirect, json_refusal, way_form,
};

/// The routes of this section.
pub(super) fn routes() -> Router<Web> {
    Router::new()
        .route("/account/confirm", get(confirm_form).post(confirm_code))
        .route("/account/confirm/passkey/options", post(confirm_passkey_options))
        .route("/account/confirm/passkey", post(confirm_passkey))
}

#[derive(Debug, Deserialize)]
struct ConfirmQuery {
    next: Option<String>,
    method: Option<String>,
    why: Option<String>,
    /// `passkey` when nothing weaker will do (removing a passkey, say).
    need: Option<String>,
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
    let mut offered = confirm_ways(enrolled);
    if query.need.as_deref() == Some("passkey") && offered.contains(&Way::Passkey) {
        // A weaker proof would succeed here and be refused again there.
        offered = vec![Way::Passkey];
    }
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
    let credential = match answer.credential() {
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

    #[test]
    fn only_a_factor_or_the_password_confirms() {
        let none = Enrolled { totp: false, passkeys: 0, recovery_codes: 0 };
        assert_eq!(confirm_ways(none), vec![Way::Password]);
        let app = Enrolled { totp: true, passkeys: 1, recovery_codes: 10 };
        assert_eq!(confirm_ways(app), vec![Way::Passkey, Way::Totp, Way::Recovery]);
    }
}
