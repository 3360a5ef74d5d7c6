//! `/help`: where to turn, for anyone, signed in or not — the vendor's own
//! help page, a support PIN, a forgotten password, a lost phone or key.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use maud::{Markup, html};

use super::Web;
use super::layout;
use super::page::Page;

/// The routes of this group.
pub fn routes() -> Router<Web> {
    Router::new().route("/help", get(help))
}

/// `GET /help`.
async fn help(State(web): State<Web>, page: Page) -> Markup {
    let lang = page.lang;
    let body = html! {
        p { (lang.t("help-intro")) }
        @if let Some(help_url) = &web.pages.help_url {
            p { a class="button" href=(help_url) { (lang.t("help-vendor-page")) } }
        }
        section aria-labelledby="help-support" {
            h2 id="help-support" { (lang.t("help-support-title")) }
            p { (lang.t("help-support-text")) }
            p { a href="/account/support" { (lang.t("help-support-link")) } }
            @if !page.signed_in { p class="muted" { (lang.t("help-support-sign-in")) } }
        }
        section aria-labelledby="help-password" {
            h2 id="help-password" { (lang.t("help-password-title")) }
            p { (lang.t("help-password-text")) }
            p { a href="/reset-password" { (lang.t("help-password-link")) } }
        }
        section aria-labelledby="help-device" {
            h2 id="help-device" { (lang.t("help-device-title")) }
            p { (lang.t("help-device-text")) }
            p { (lang.t("help-device-no-codes")) }
            @if web.pages.help_url.is_none() { p { (lang.t("support-contact-mail")) } }
        }
        @if !page.signed_in {
            p { a href="/sign-in" { (lang.t("help-sign-in")) } }
        }
    };
    layout::page(&page, &lang.t("help-title"), body)
}
