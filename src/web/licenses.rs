//! `/account/licenses`: the user's licenses with their keys and devices,
//! removing a device, and a way to add another code (which goes through
//! `/activate`, where whatever the code's policy asks for is guided).

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use super::Web;
use super::errors::PageResult;
use super::i18n::{Lang, arg};
use super::layout;
use super::page::{Form, Query, SignedIn, safe_next};
use super::reasons::Said;
use crate::domain::ids::ActivationId;
use crate::domain::license::{Activation, LicenseStatus};
use crate::domain::reason::Code;
use crate::licensing::OwnedLicense;

/// This page.
const HERE: &str = "/account/licenses";

/// The routes of this group.
pub fn routes() -> Router<Web> {
    Router::new().route(HERE, get(show)).route("/account/licenses/devices/{id}/remove", post(remove_device))
}

/// `?removed=1` after a device was removed.
#[derive(Debug, Deserialize)]
struct Shown {
    removed: Option<String>,
}

/// `GET /account/licenses`.
async fn show(State(web): State<Web>, signed_in: SignedIn, Query(shown): Query<Shown>) -> PageResult {
    let licenses = held(&web, &signed_in).await?;
    let notice = shown.removed.is_some().then(|| signed_in.page.t("licenses-device-removed"));
    Ok(render(&signed_in, &licenses, notice.as_deref(), None))
}

/// A license on the account, and why the product's last try to activate a
/// device on it was refused, if that is the latest news.
struct Held {
    owned: OwnedLicense,
    refused: Option<Code>,
}

async fn held(web: &Web, signed_in: &SignedIn) -> PageResult<Vec<Held>> {
    let licensing = &web.app.services.licensing;
    let owned = licensing.owned(&signed_in.caller).await?;
    let refused = licensing.refused_activations(&signed_in.caller).await?;
    Ok(owned
        .into_iter()
        .map(|owned| {
            let refused = refused.iter().find(|(id, _)| *id == owned.license.id).map(|(_, code)| *code);
            Held { owned, refused }
        })
        .collect())
}

fn render(signed_in: &SignedIn, owned: &[Held], notice: Option<&str>, refused: Option<&Said>) -> Response {
    let page = &signed_in.page;
    let lang = page.lang;
    let body = html! {
        @if let Some(notice) = notice { (layout::notice(notice)) }
        @if let Some(said) = refused { (layout::alert(lang, said)) }
        @if owned.is_empty() {
            div class="empty" {
                p { (lang.t("licenses-empty")) }
                p { (lang.t("licenses-empty-next")) }
            }
        } @else {
            @for (index, held) in owned.iter().enumerate() { (license(signed_in, held, index)) }
        }
        section class="add-code" aria-labelledby="add-code-title" {
            h2 id="add-code-title" { (lang.t("licenses-add-title")) }
            form method="get" action="/activate" novalidate {
                div class="field" {
                    label for="code" { (lang.t("activate-code-label")) }
                    p id="code-hint" class="hint" { (lang.t("activate-code-hint")) }
                    input id="code" name="code" type="text" autocomplete="off" autocapitalize="characters"
                        spellcheck="false" required aria-describedby="code-hint"
                        data-code-format data-typo=(lang.t("activate-code-typo")) data-typo-region="code-typo";
                    (layout::live_region("code-typo"))
                }
                div class="actions" { button type="submit" class="secondary" { (lang.t("licenses-add-submit")) } }
            }
        }
    };
    layout::page(page, &lang.t("licenses-title"), body).into_response()
}

fn status_text(lang: Lang, held: &OwnedLicense) -> String {
    let license = &held.license;
    match license.status {
        LicenseStatus::Active if license.is_expired(held.checked_at) => lang.t("licenses-status-expired"),
        LicenseStatus::Active => lang.t("licenses-status-active"),
        LicenseStatus::Suspended => lang.t("licenses-status-suspended"),
        LicenseStatus::Revoked => lang.t("licenses-status-revoked"),
    }
}

fn license(signed_in: &SignedIn, shown: &Held, index: usize) -> Markup {
    let held = &shown.owned;
    let page = &signed_in.page;
    let lang = page.lang;
    let license = &held.license;
    let key_id = format!("key-{index}");
    let heading_id = format!("license-{index}");
    let seats_full = u32::try_from(held.activations.len()).is_ok_and(|n| n >= license.max_activations);
    html! {
        section class="license" aria-labelledby=(heading_id) {
            h2 id=(heading_id) { (license.product) }
            dl class="facts" {
                dt { (lang.t("licenses-policy")) } dd { (license.policy) }
                dt { (lang.t("licenses-status")) } dd { (status_text(lang, held)) }
                dt { (lang.t("licenses-expires")) }
                dd { @match license.expires_at { Some(at) => (lang.date(at)), None => (lang.t("licenses-never")) } }
                dt { (lang.t("licenses-entitlements")) }
                dd { @if license.entitlements.is_empty() { (lang.t("licenses-none")) } @else { (license.entitlements.join(", ")) } }
                dt { (lang.t("licenses-key")) }
                dd class="key-row" {
                    code id=(key_id) class="secret" { (held.key) }
                    " "
                    button type="button" class="secondary hidden" data-copy=(key_id) data-copied=(lang.t("activate-copied")) {
                        (lang.t("activate-copy-key"))
                    }
                }
            }
            h3 { (lang.t_with("licenses-devices", vec![
                ("used", arg(held.activations.len())), ("seats", arg(license.max_activations))])) }
            @if let Some(code) = shown.refused {
                p class="refused-intro" { (lang.t("licenses-refused")) }
                (layout::alert(lang, &Said::code(code)))
            } @else if seats_full {
                p class="muted" { (lang.t("licenses-seats-full")) }
            }
            @if held.activations.is_empty() {
                p class="muted" { (lang.t("licenses-no-devices")) }
            } @else {
                ul class="list devices" {
                    @for activation in &held.activations { (device(signed_in, held, activation)) }
                }
            }
        }
    }
}

fn device(signed_in: &SignedIn, held: &OwnedLicense, activation: &Activation) -> Markup {
    let page = &signed_in.page;
    let lang = page.lang;
    let name = activation.name.clone().unwrap_or_else(|| lang.t("licenses-unnamed-device"));
    let lease = match activation.lease_expires_at {
        None => lang.t("licenses-lease-none"),
        Some(at) if at > held.checked_at => {
            lang.t_with("licenses-lease-until", vec![("when", arg(lang.date_time(at)))])
        }
        Some(_) => lang.t("licenses-lease-lapsed"),
    };
    html! {
        li {
            p class="device-name" { strong { (name) } }
            dl class="facts" {
                dt { (lang.t("licenses-platform")) }
                dd { (activation.platform.clone().unwrap_or_else(|| lang.t("licenses-unknown"))) }
                dt { (lang.t("licenses-last-seen")) } dd { (lang.date_time(activation.last_seen_at)) }
                dt { (lang.t("licenses-lease")) } dd { (lease) }
            }
            form method="post" action=(format!("/account/licenses/devices/{}/remove", activation.id)) {
                (layout::csrf(page))
                button type="submit" class="secondary"
                    aria-label=(lang.t_with("licenses-remove-named", vec![("name", arg(name.clone()))])) {
                    (lang.t("licenses-remove"))
                }
            }
        }
    }
}

/// `POST /account/licenses/devices/{id}/remove`. A policy that asks for a
/// recent proof sends the user to confirm it is them, then back here to
/// click again: the removal is not done behind their back after the proof.
/// The removal form: its token, and where to go back to.
#[derive(Deserialize)]
pub struct RemoveForm {
    next: Option<String>,
}

async fn remove_device(
    State(web): State<Web>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<RemoveForm>,
) -> PageResult {
    let services = &web.app.services;
    let Some(id) = ActivationId::parse(&id) else {
        return Err(Said::code(Code::NotFound).into());
    };
    // A page that offered to free a seat (an app's sign-in whose seats are
    // full) asks to be brought back; anyone else comes back here.
    let back = form.next.as_deref().map(|next| safe_next(Some(next)));
    match services.licensing.deactivate(&signed_in.caller, &id, &signed_in.page.client).await {
        Ok(()) => Ok(Redirect::to(back.as_deref().unwrap_or(&format!("{HERE}?removed=1"))).into_response()),
        Err(error) => {
            let said = Said::from(error);
            if said.cause.is_some() {
                return Err(said.into());
            }
            if matches!(said.code, Code::ReauthenticationRequired | Code::MfaRequired) {
                let next = back.as_deref().unwrap_or(HERE);
                return Ok(Redirect::to(&super::security::confirm_url(next, &said)).into_response());
            }
            let licenses = held(&web, &signed_in).await?;
            let mut response = render(&signed_in, &licenses, None, Some(&said));
            *response.status_mut() = said.status();
            Ok(response)
        }
    }
}
