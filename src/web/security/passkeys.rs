//! Passkeys on the account: `/account/security/passkey` adds one (a page of
//! its own that returns to `next`, and the JSON ceremony `passkeys.js`
//! drives), `/account/security/passkeys/{id}/…` renames and removes. Apart
//! because adding is a WebAuthn ceremony in JSON, not a plain form.

use crate::web::page::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use super::{NextQuery, confirm_url, done, needs_confirmation, section_refusal};
use crate::domain::ids::PasskeyId;
use crate::web::Web;
use crate::web::errors::{PageError, PageResult};
use crate::web::layout;
use crate::web::page::{Page, Query, SignedIn, safe_next};
use crate::web::reasons::Said;
use crate::web::second_step::{PasskeyAnswer, json_options, json_redirect, json_refusal, with_query};

/// The routes of this section.
pub(super) fn routes() -> Router<Web> {
    Router::new()
        .route("/account/security/passkey", get(passkey_page).post(passkey_register))
        .route("/account/security/passkey/options", post(passkey_options))
        .route("/account/security/passkeys/{id}/rename", post(passkey_rename))
        .route("/account/security/passkeys/{id}/remove", post(passkey_remove))
}

/// The name field and the button that adds a passkey (with scripts; the
/// page says so without).
pub(super) fn add_passkey_widget(page: &Page, next: &str) -> Markup {
    let lang = page.lang;
    html! {
        div class="add-passkey" {
            (layout::live_region("passkey-status"))
            div class="passkey-only hidden" {
                div class="field" {
                    label for="passkey-name" { (lang.t("security-passkey-name")) }
                    p id="passkey-name-hint" class="hint" { (lang.t("security-passkey-name-hint")) }
                    input id="passkey-name" name="passkey-name" type="text" autocomplete="off" maxlength="64"
                        aria-describedby="passkey-name-hint";
                }
                div class="actions" {
                    button type="button" id="passkey-add" data-passkey-create=(with_query("/account/security/passkey/options", &[("next", next)]))
                        data-answer="/account/security/passkey" data-next=(next) data-name="passkey-name"
                        data-cancelled=(lang.t("signin-passkey-cancelled")) data-failed=(lang.t("signin-passkey-failed")) {
                        (lang.t("security-passkey-add"))
                    }
                }
            }
            p class="passkey-missing muted" { (lang.t("signin-passkey-missing")) }
        }
    }
}

/// `GET /account/security/passkey?next=`: add a passkey, then go on.
async fn passkey_page(signed_in: SignedIn, Query(query): Query<NextQuery>) -> Markup {
    let next = safe_next(query.next.as_deref());
    let page = &signed_in.page;
    let lang = page.lang;
    let body = html! {
        p { (lang.t("security-passkeys-intro")) }
        (add_passkey_widget(page, &next))
    };
    layout::page(page, &lang.t("security-passkey-page-title"), body)
}

/// `POST /account/security/passkey/options` (JSON): creation options.
async fn passkey_options(State(web): State<Web>, signed_in: SignedIn, Query(query): Query<NextQuery>) -> Response {
    let lang = signed_in.page.lang;
    match web.app.services.factors.passkey_registration_options(&signed_in.caller).await {
        Ok(options) => json_options(options.challenge_id, &options.options),
        Err(error) => {
            let said = Said::from(error);
            if needs_confirmation(&said) {
                let back = with_query("/account/security/passkey", &[("next", &safe_next(query.next.as_deref()))]);
                return json_redirect(&confirm_url(&back, &said));
            }
            json_refusal(lang, &said)
        }
    }
}

/// `POST /account/security/passkey` (JSON): the new passkey.
async fn passkey_register(
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
    let factors = &web.app.services.factors;
    let result = factors
        .register_passkey(
            &signed_in.caller,
            &answer.challenge_id,
            answer.name.as_deref(),
            &credential,
            &signed_in.page.client,
        )
        .await;
    match result {
        Ok(_) => json_redirect(&next),
        Err(error) => json_refusal(lang, &Said::from(error)),
    }
}

#[derive(Deserialize)]
struct RenameForm {
    name: String,
}

fn passkey_id(id: &str) -> PageResult<PasskeyId> {
    PasskeyId::parse(id).ok_or_else(PageError::not_found)
}

/// `POST /account/security/passkeys/{id}/rename`.
async fn passkey_rename(
    State(web): State<Web>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<RenameForm>,
) -> PageResult {
    let id = passkey_id(&id)?;
    match web.app.services.factors.rename_passkey(&signed_in.caller, &id, &form.name).await {
        Ok(_) => Ok(done("passkey-renamed", "passkeys")),
        Err(error) => section_refusal(&web, &signed_in, "passkeys", error.into()).await,
    }
}

/// `POST /account/security/passkeys/{id}/remove`.
async fn passkey_remove(State(web): State<Web>, signed_in: SignedIn, Path(id): Path<String>) -> PageResult {
    let id = passkey_id(&id)?;
    match web.app.services.factors.remove_passkey(&signed_in.caller, &id, &signed_in.page.client).await {
        Ok(()) => Ok(done("passkey-removed", "passkeys")),
        Err(error) => section_refusal(&web, &signed_in, "passkeys", error.into()).await,
    }
}
