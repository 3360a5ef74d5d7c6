//! The address and the password: `/account/security/password`,
//! `/account/security/email` and `/account/security/email/verify`. Plain
//! forms on the overview; a refusal is shown back in their section there.
//! Apart from the second step's pages because they change what signs in,
//! not how the second step is proved.

use crate::web::page::Form;
use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::post;
use maud::html;
use secrecy::SecretString;
use serde::Deserialize;

use super::{Flash, SECURITY, confirm_first, done, needs_confirmation, overview_refused, refused};
use crate::web::Web;
use crate::web::errors::PageResult;
use crate::web::i18n::arg;
use crate::web::layout;
use crate::web::page::SignedIn;
use crate::web::reasons::Said;

/// The routes of this section.
pub(super) fn routes() -> Router<Web> {
    Router::new()
        .route("/account/security/password", post(change_password))
        .route("/account/security/email", post(change_email))
        .route("/account/security/email/verify", post(send_verification))
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: SecretString,
    new_password: SecretString,
}

/// `POST /account/security/password`.
async fn change_password(State(web): State<Web>, signed_in: SignedIn, Form(form): Form<PasswordForm>) -> PageResult {
    let accounts = &web.app.services.accounts;
    let result = accounts
        .change_password(&signed_in.caller, form.current_password, form.new_password, &signed_in.page.client)
        .await;
    match result {
        Ok(()) => Ok(done("password", "password")),
        Err(error) => {
            let said = Said::from(error);
            if said.cause.is_some() {
                return refused(said);
            }
            if needs_confirmation(&said) {
                return Ok(confirm_first(&format!("{SECURITY}#password"), &said));
            }
            overview_refused(&web, &signed_in, Flash::refusal("password", said)).await
        }
    }
}

/// `POST /account/security/email/verify`: the link again.
async fn send_verification(State(web): State<Web>, signed_in: SignedIn) -> PageResult {
    match web.app.services.email.request_verification(&signed_in.caller).await {
        Ok(()) => Ok(done("verification-sent", "email")),
        Err(error) => {
            let said = Said::from(error);
            if said.cause.is_some() {
                return refused(said);
            }
            overview_refused(&web, &signed_in, Flash::refusal("email", said)).await
        }
    }
}

#[derive(Deserialize)]
struct EmailForm {
    /// Not `email`: the section holding the form has that id.
    new_email: String,
}

/// `POST /account/security/email`: the new address gets a link; nothing
/// changes until it is followed.
async fn change_email(State(web): State<Web>, signed_in: SignedIn, Form(form): Form<EmailForm>) -> PageResult {
    match web.app.services.accounts.change_email(&signed_in.caller, &form.new_email).await {
        Ok(email) => {
            let page = &signed_in.page;
            let lang = page.lang;
            let body = html! {
                (layout::notice(&lang.t_with("security-email-sent", vec![("email", arg(email.as_str().to_owned()))])))
                p { (lang.t("security-email-sent-next")) }
                p { a class="button" href=(SECURITY) { (lang.t("security-back")) } }
            };
            Ok(layout::page(page, &lang.t("sign-up-check-title"), body).into_response())
        }
        Err(error) => {
            let said = Said::from(error);
            if said.cause.is_some() {
                return refused(said);
            }
            if needs_confirmation(&said) {
                return Ok(confirm_first(&format!("{SECURITY}#email"), &said));
            }
            let flash = Flash { typed_email: Some(form.new_email), ..Flash::refusal("email-change", said) };
            overview_refused(&web, &signed_in, flash).await
        }
    }
}
