//! `/account/support`: a support PIN to read out to an agent, and the
//! vendor's chat widget signed in as the user. An integration with a
//! `widget_script` has its widget loaded here, and only here: this page's
//! policy alone names the vendor's sources, so no third-party script runs
//! on the sign-in, password or security pages. While this page is open,
//! though, a vendor's script can do what the signed-in user can (the same
//! origin, the same cookies): only a vendor the operator trusts belongs in
//! `widget_script`. Our own script (`assets/app.js`) loads the widget and
//! hands it a token minted for this page view; a widget without a loader
//! of ours reads the tokens from `window.latchkey.helpWidget()`. Only
//! integrations with a widget get a token here: every script on the page
//! could read any token on it, and one meant for a product's back end has
//! no business in a vendor's widget. `?chat=open` (the "contact support"
//! link on every error page) opens it.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use maud::{Markup, html};
use serde_json::json;
use time::format_description::well_known::Rfc3339;

use super::Web;
use super::errors::PageResult;
use super::guard::ThirdPartySources;
use super::i18n::arg;
use super::layout;
use super::page::{Query, SignedIn};
use super::reasons::Said;
use crate::domain::integration::HelpWidget;
use crate::support::IssuedPin;
use crate::tokens::Minted;

/// The routes of this group.
pub fn routes() -> Router<Web> {
    Router::new()
        .route("/account/support", axum::routing::get(overview).post(issue_pin))
        .route("/account/support/widget-token", axum::routing::post(renew_token))
}

/// One configured widget and what it was given.
struct Widget {
    kind: &'static str,
    audience: String,
    minted: Minted,
    help: Option<HelpWidget>,
}

/// `?chat=open`: come to open the chat, not only to look.
#[derive(serde::Deserialize)]
struct Opening {
    chat: Option<String>,
}

impl Opening {
    fn opens_chat(&self) -> bool {
        self.chat.as_deref() == Some("open")
    }
}

/// Fresh tokens for every integration with a widget the user may have one
/// for. One that refuses (a missing secret, an unverified address) is left
/// out rather than failing the page: the PIN still works.
async fn widgets(web: &Web, signed_in: &SignedIn) -> Vec<Widget> {
    let tokens = &web.app.services.tokens;
    let mut widgets = Vec::new();
    for integration in tokens.widget_integrations().filter(|integration| integration.widget.is_some()) {
        let audience = &integration.name;
        match tokens.mint(&signed_in.caller, audience).await {
            Ok(minted) => widgets.push(Widget {
                kind: integration.kind.as_str(),
                audience: audience.clone(),
                minted,
                help: integration.widget.clone(),
            }),
            Err(error) => tracing::info!(%audience, code = Said::from(error).code.as_str(), "help widget left out"),
        }
    }
    widgets
}

fn widget_markup(widgets: &[Widget], open: bool) -> Markup {
    html! {
        div id="help-widget" class="help-widget" data-open[open] {
            @for widget in widgets {
                @let script = widget.help.as_ref().map(|h| h.script.as_str());
                @let app_id = widget.help.as_ref().and_then(|h| h.app_id.as_deref());
                @match &widget.minted {
                    Minted::Token { token, expires_at, .. } => {
                        div data-help-widget data-kind=(widget.kind) data-audience=(widget.audience)
                            data-script=[script] data-app-id=[app_id]
                            data-token=(token) data-expires=(expires_at.format(&Rfc3339).unwrap_or_default()) {}
                    }
                    Minted::IdentityHash { identifier, hash, .. } => {
                        div data-help-widget data-kind=(widget.kind) data-audience=(widget.audience)
                            data-script=[script] data-app-id=[app_id]
                            data-identifier=(identifier) data-hash=(hash) {}
                    }
                }
            }
        }
    }
}

fn render(web: &Web, signed_in: &SignedIn, pin: Option<&IssuedPin>, widgets: &[Widget], open: bool) -> Response {
    let page = &signed_in.page;
    let lang = page.lang;
    let body = html! {
        section aria-labelledby="pin-title" {
            h2 id="pin-title" { (lang.t("support-pin-title")) }
            @if let Some(pin) = pin {
                p { (lang.t("support-pin-read-out")) }
                p class="support-pin" {
                    span class="visually-hidden" { (lang.t("support-pin-label")) " " }
                    span id="support-pin" { (pin.pin) }
                }
                p {
                    (lang.t("support-pin-time-left")) " "
                    span class="countdown" data-countdown=(pin.expires_at.format(&Rfc3339).unwrap_or_default())
                        data-expired=(lang.t("support-pin-expired")) role="timer" aria-live="off" {
                        (lang.t("support-pin-minutes"))
                    }
                }
                p class="muted" {
                    (lang.t_with("support-pin-valid-until", vec![("time", arg(lang.date_time(pin.expires_at)))]))
                }
                p { (lang.t("support-pin-never-share")) }
                form method="post" action="/account/support" {
                    (layout::csrf(page))
                    div class="actions" { button type="submit" class="secondary" { (lang.t("support-pin-again")) } }
                }
            } @else {
                p { (lang.t("support-pin-explain")) }
                form method="post" action="/account/support" {
                    (layout::csrf(page))
                    div class="actions" { button type="submit" { (lang.t("support-pin-submit")) } }
                }
            }
        }
        section aria-labelledby="contact-title" {
            h2 id="contact-title" { (lang.t("support-contact-title")) }
            @if widgets.is_empty() {
                @if let Some(help_url) = &web.pages.help_url {
                    p { (lang.t("support-contact-help-page")) }
                    p { a class="button secondary" href=(help_url) { (lang.t("support-contact-open-help")) } }
                } @else {
                    p { (lang.t("support-contact-mail")) }
                }
            } @else {
                p { (lang.t("support-contact-widget")) }
                (widget_markup(widgets, open))
                @if widgets.iter().any(|w| w.help.is_some()) {
                    div class="actions" {
                        button type="button" class="secondary hidden" data-open-chat { (lang.t("support-contact-open-chat")) }
                    }
                }
                @if let Some(help_url) = &web.pages.help_url {
                    p { a href=(help_url) { (lang.t("support-contact-open-help")) } }
                }
            }
        }
    };
    let mut response = layout::page(page, &lang.t("support-title"), body).into_response();
    response.extensions_mut().insert(ThirdPartySources::of(widgets.iter().filter_map(|w| w.help.as_ref())));
    response
}

/// `GET /account/support`. The tokens are fresh on every load; the guard
/// marks every page `no-store`, so none is kept by a cache.
async fn overview(State(web): State<Web>, signed_in: SignedIn, Query(opening): Query<Opening>) -> Response {
    let widgets = widgets(&web, &signed_in).await;
    render(&web, &signed_in, None, &widgets, opening.opens_chat())
}

/// `POST /account/support`: a new PIN, replacing any earlier one, shown once.
async fn issue_pin(State(web): State<Web>, signed_in: SignedIn) -> PageResult {
    let pin = web.app.services.support.issue_pin(&signed_in.caller, &signed_in.page.client).await?;
    let widgets = widgets(&web, &signed_in).await;
    Ok(render(&web, &signed_in, Some(&pin), &widgets, false))
}

/// Which of the page's widgets wants a fresh token.
#[derive(serde::Deserialize)]
struct Renewal {
    audience: String,
}

/// `POST /account/support/widget-token` (JSON, from our script): a fresh
/// token for one of the page's widgets. A vendor asks again when the one
/// the page brought has expired (Zendesk calls its login callback again),
/// and a chat outlives a token of a few minutes. Only an integration with a
/// widget; the guard checks the form token as on every POST and marks the
/// answer `no-store`.
async fn renew_token(State(web): State<Web>, signed_in: SignedIn, Json(renewal): Json<Renewal>) -> Response {
    let tokens = &web.app.services.tokens;
    let has_widget = tokens
        .widget_integrations()
        .any(|integration| integration.name == renewal.audience && integration.widget.is_some());
    // Worded as the passkey script's refusals are, in the page's language.
    let refusal = |said: Said| super::second_step::json_refusal(signed_in.page.lang, &said);
    if !has_widget {
        return refusal(Said::code(crate::domain::reason::Code::NotFound));
    }
    match tokens.mint(&signed_in.caller, &renewal.audience).await {
        Ok(Minted::Token { token, expires_at, .. }) => {
            Json(json!({ "token": token, "expires_at": expires_at.format(&Rfc3339).unwrap_or_default() }))
                .into_response()
        }
        Ok(Minted::IdentityHash { identifier, hash, .. }) => {
            Json(json!({ "identifier": identifier, "hash": hash })).into_response()
        }
        Err(error) => refusal(Said::from(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::{HelpWidget, Minted, Widget, widget_markup};

    #[test]
    fn widgets_get_their_tokens_in_data_attributes_not_in_script() {
        let widgets = [
            Widget {
                kind: "zendesk_messaging",
                audience: "zendesk".into(),
                minted: Minted::Token {
                    token: "header.claims.signature".into(),
                    token_type: "JWT",
                    expires_at: time::OffsetDateTime::UNIX_EPOCH,
                    audience: "zendesk".into(),
                },
                help: Some(HelpWidget {
                    script: "https://static.zdassets.com/ekr/snippet.js?key=k".parse().unwrap(),
                    app_id: None,
                    script_sources: vec!["https://static.zdassets.com".into()],
                    sources: vec!["https://static.zdassets.com".into(), "wss://*.zendesk.com".into()],
                }),
            },
            Widget {
                kind: "hmac",
                audience: "helpscout".into(),
                minted: Minted::IdentityHash {
                    identifier: "a\"b@example.com".into(),
                    hash: "abc123".into(),
                    audience: "helpscout".into(),
                },
                help: None,
            },
        ];
        assert!(!widget_markup(&widgets, false).into_string().contains("data-open"));
        let html = widget_markup(&widgets, true).into_string();
        assert!(html.contains("data-open"), "{html}");
        assert!(html.contains("data-script=\"https://static.zdassets.com/ekr/snippet.js?key=k\""), "{html}");
        assert_eq!(html.matches("data-script").count(), 1, "{html}");
        assert!(html.starts_with("<div id=\"help-widget\""), "{html}");
        assert!(html.contains("data-kind=\"zendesk_messaging\""), "{html}");
        assert!(html.contains("data-token=\"header.claims.signature\""), "{html}");
        assert!(html.contains("data-expires=\"1970-01-01T00:00:00Z\""), "{html}");
        assert!(html.contains("data-identifier=\"a&quot;b@example.com\""), "{html}");
        assert!(html.contains("data-hash=\"abc123\""), "{html}");
        assert!(!html.contains("<script"), "{html}");
    }
}
