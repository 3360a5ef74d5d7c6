//! `/account`: who is signed in, and the onboarding checklist. Each open
//! step links to the page that closes it.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::html;

use super::Web;
use super::errors::PageResult;
use super::layout;
use super::page::SignedIn;
use crate::domain::eula::Standing;

/// The routes of this group.
pub fn routes() -> Router<Web> {
    Router::new().route("/account", get(overview)).route("/", get(home))
}

/// `/`: the account when signed in, else the sign-in page.
async fn home(signed_in: Option<SignedIn>) -> Response {
    Redirect::to(if signed_in.is_some() { "/account" } else { "/sign-in" }).into_response()
}

/// The onboarding steps and whether each is done, with where to do it.
pub struct Progress {
    /// The address is verified.
    pub email_verified: bool,
    /// A second factor is set up.
    pub second_factor: bool,
    /// A license is on the account.
    pub license: bool,
    /// A device is activated on one of the licenses.
    pub device: bool,
    /// Every licensed product's current EULA is accepted.
    pub eula: bool,
}

/// Where the signed-in user stands.
pub async fn progress(web: &Web, signed_in: &SignedIn) -> PageResult<Progress> {
    let services = &web.app.services;
    let caller = &signed_in.caller;
    let enrolled = services.factors.enrolled(&caller.user.id).await?;
    let owned = services.licensing.owned(caller).await?;
    // One question per product, however many licenses it has.
    let products: std::collections::BTreeSet<&str> = owned.iter().map(|l| l.license.product.as_str()).collect();
    let mut eula = true;
    for product in products {
        if matches!(services.eulas.standing(&caller.user.id, product).await?, Standing::Required { .. }) {
            eula = false;
            break;
        }
    }
    Ok(Progress {
        email_verified: caller.user.email_verified(),
        second_factor: enrolled.has_second_factor(),
        license: !owned.is_empty(),
        device: owned.iter().any(|license| !license.activations.is_empty()),
        eula,
    })
}

/// `GET /account`.
async fn overview(State(web): State<Web>, signed_in: SignedIn) -> PageResult {
    let progress = progress(&web, &signed_in).await?;
    let page = &signed_in.page;
    let lang = page.lang;
    let user = &signed_in.caller.user;
    let steps = vec![
        (lang.t("account-step-email"), progress.email_verified, Some("/account/security#email".to_owned())),
        (lang.t("account-step-factor"), progress.second_factor, Some("/account/security#two-step".to_owned())),
        (lang.t("account-step-license"), progress.license, Some("/activate".to_owned())),
        (lang.t("account-step-eula"), progress.eula, Some("/account/eula".to_owned())),
        (lang.t("account-step-device"), progress.device, Some("/account/licenses".to_owned())),
    ];
    let body = html! {
        p { (lang.t_with("account-signed-in-as", vec![("email", super::i18n::arg(user.email.clone()))])) }
        h2 { (lang.t("account-checklist")) }
        (layout::checklist(lang, &steps))
        h2 { (lang.t("account-more")) }
        ul {
            li { a href="/account/licenses" { (lang.t("account-link-licenses")) } }
            li { a href="/account/security" { (lang.t("account-link-security")) } }
            li { a href="/account/eula" { (lang.t("account-link-eula")) } }
            li { a href="/account/support" { (lang.t("account-link-support")) } }
        }
    };
    Ok(layout::page(page, &lang.t("account-title"), body).into_response())
}
