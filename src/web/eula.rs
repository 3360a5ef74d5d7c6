//! `/account/eula`: the license agreements the user has decided on, and
//! the one to accept when a licensed product's current version is not.
//! Acceptance is recorded exactly as through the API (version, hash of the
//! text shown, where it came from, how the session signed in), with the
//! channel `web`.

use std::collections::BTreeSet;

use super::page::{Form, Query};
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;

use super::Web;
use super::errors::PageResult;
use super::i18n::{Lang, arg};
use super::layout;
use super::page::SignedIn;
use super::reasons::Said;
use crate::domain::eula::{Acceptance, Channel, EulaDocument, Standing};
use crate::eula::DecisionRequest;

/// The routes of this group.
pub fn routes() -> Router<Web> {
    Router::new().route("/account/eula", get(overview).post(accept))
}

/// Shown after an acceptance was recorded.
#[derive(Deserialize)]
pub struct Done {
    accepted: Option<String>,
}

/// The acceptance form as posted: what was shown, and the tick.
#[derive(Deserialize)]
pub struct AcceptForm {
    product: String,
    version: String,
    locale: String,
    sha256: String,
    agree: Option<String>,
}

/// A product whose current version waits for the user.
struct Pending {
    product: String,
    document: EulaDocument,
}

/// What the page shows: the decisions, and what still needs one.
async fn load(web: &Web, signed_in: &SignedIn) -> PageResult<(Vec<Acceptance>, Vec<Pending>)> {
    let services = &web.app.services;
    let caller = &signed_in.caller;
    let history = services.eulas.history(caller).await?;
    let products: BTreeSet<String> =
        services.licensing.owned(caller).await?.into_iter().map(|owned| owned.license.product).collect();
    let mut pending = Vec::new();
    for product in products {
        if let Standing::Required { .. } = services.eulas.standing(&caller.user.id, &product).await? {
            let document = services.eulas.current_version_in(&product, signed_in.page.lang.tag()).await?;
            pending.push(Pending { product, document });
        }
    }
    Ok((history, pending))
}

/// How a session had signed in, in words: "password + authenticator app".
fn signed_in_how(lang: Lang, amr: &[String]) -> String {
    let mut words: Vec<String> = Vec::new();
    for method in amr {
        let key = match method.as_str() {
            "pwd" => "eula-how-password",
            "otp" => "eula-how-code",
            "hwk" | "swk" => "eula-how-passkey",
            _ => continue,
        };
        let word = lang.t(key);
        if !words.contains(&word) {
            words.push(word);
        }
    }
    if words.is_empty() { lang.t("eula-how-unknown") } else { words.join(" + ") }
}

fn decision_word(lang: Lang, decision: &str) -> String {
    match decision {
        "accepted" => lang.t("eula-decision-accepted"),
        "declined" => lang.t("eula-decision-declined"),
        "withdrawn" => lang.t("eula-decision-withdrawn"),
        other => other.to_owned(),
    }
}

/// The name of a language tag in that language, when we know it.
fn language_name(tag: &str) -> String {
    Lang::from_tag(tag).map_or_else(|| tag.to_owned(), |l| l.native_name().to_owned())
}

fn pending_section(signed_in: &SignedIn, pending: &Pending, index: usize, missing_tick: bool) -> Markup {
    let page = &signed_in.page;
    let lang = page.lang;
    let document = &pending.document;
    let heading_id = format!("eula-{index}-title");
    let text_id = format!("eula-{index}-text");
    let agree_id = format!("eula-{index}-agree");
    let error_id = format!("eula-{index}-error");
    let version = || vec![("product", arg(pending.product.clone())), ("version", arg(document.version.clone()))];
    html! {
        section class="eula-pending" aria-labelledby=(heading_id) {
            h2 id=(heading_id) { (document.title) }
            p class="muted" { (lang.t_with("eula-version-of", version())) }
            @if document.locale != lang.tag() {
                p class="eula-note" { (lang.t_with("eula-fallback-note", vec![("language", arg(language_name(&document.locale)))])) }
            }
            div id=(text_id) class="eula-text" tabindex="0" role="region" aria-labelledby=(heading_id) lang=(document.locale) {
                (layout::paragraphs(&document.body))
            }
            form method="post" action="/account/eula" novalidate {
                (layout::csrf(page))
                input type="hidden" name="product" value=(pending.product);
                input type="hidden" name="version" value=(document.version);
                input type="hidden" name="locale" value=(document.locale);
                input type="hidden" name="sha256" value=(document.sha256);
                @if missing_tick {
                    p id=(error_id) class="field-error" { (lang.t("eula-tick-first")) }
                }
                div class={ "check" @if missing_tick { " invalid" } } {
                    input type="checkbox" id=(agree_id) name="agree" value="yes" required
                        aria-invalid=[missing_tick.then_some("true")]
                        aria-describedby=[missing_tick.then_some(error_id.as_str())];
                    label for=(agree_id) { (lang.t_with("eula-agree-label", version())) }
                }
                div class="actions" { button type="submit" { (lang.t("eula-accept-submit")) } }
                p class="muted" { (lang.t("eula-accept-means")) }
            }
        }
    }
}

fn history_section(lang: Lang, history: &[Acceptance]) -> Markup {
    html! {
        h2 { (lang.t("eula-history-title")) }
        @if history.is_empty() {
            p { (lang.t("eula-history-empty")) }
        } @else {
            div class="table-scroll" tabindex="0" role="region" aria-label=(lang.t("eula-history-title")) {
                table class="stack-table" {
                    thead { tr {
                        th scope="col" { (lang.t("eula-col-version")) }
                        th scope="col" { (lang.t("eula-col-decision")) }
                        th scope="col" { (lang.t("eula-col-when")) }
                        th scope="col" { (lang.t("eula-col-how")) }
                    } }
                    tbody {
                        @for record in history.iter().rev() {
                            tr {
                                td data-label=(lang.t("eula-col-version")) {
                                    (record.product) " " (record.version) " (" (language_name(&record.locale)) ")"
                                }
                                td data-label=(lang.t("eula-col-decision")) { (decision_word(lang, &record.decision)) }
                                td data-label=(lang.t("eula-col-when")) { (lang.date_time(record.at)) }
                                td data-label=(lang.t("eula-col-how")) { (signed_in_how(lang, &record.amr)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What the page says above the agreements.
enum Outcome<'a> {
    /// Nothing yet.
    Plain,
    /// An acceptance was just recorded.
    Done,
    /// The box for this product was not ticked.
    Unticked(&'a str),
    /// The service refused the decision.
    Refused(&'a Said),
}

fn render(signed_in: &SignedIn, history: &[Acceptance], pending: &[Pending], outcome: &Outcome<'_>) -> Markup {
    let page = &signed_in.page;
    let lang = page.lang;
    let refused = match outcome {
        Outcome::Unticked(product) => Some(*product),
        _ => None,
    };
    let done = matches!(outcome, Outcome::Done);
    let body = html! {
        @if let Outcome::Refused(said) = outcome { (layout::alert(lang, said)) }
        @if done { (layout::notice(&lang.t("eula-accepted-notice"))) }
        @if pending.is_empty() {
            p { (lang.t("eula-nothing-pending")) }
            p { a class="button" href="/account" { (lang.t("eula-back-to-account")) } }
        } @else {
            p { (lang.t("eula-pending-intro")) }
            @for (index, item) in pending.iter().enumerate() {
                (pending_section(signed_in, item, index, refused == Some(item.product.as_str())))
            }
        }
        (history_section(lang, history))
    };
    layout::page(page, &lang.t("eula-title"), body)
}

/// `GET /account/eula`.
async fn overview(State(web): State<Web>, signed_in: SignedIn, Query(done): Query<Done>) -> PageResult {
    let (history, pending) = load(&web, &signed_in).await?;
    let outcome = if done.accepted.is_some() { Outcome::Done } else { Outcome::Plain };
    Ok(render(&signed_in, &history, &pending, &outcome).into_response())
}

/// `POST /account/eula`: records the acceptance of the text that was shown.
async fn accept(State(web): State<Web>, signed_in: SignedIn, Form(form): Form<AcceptForm>) -> PageResult<Response> {
    if form.agree.as_deref() != Some("yes") {
        let (history, pending) = load(&web, &signed_in).await?;
        let mut response = render(&signed_in, &history, &pending, &Outcome::Unticked(&form.product)).into_response();
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    }
    let request = DecisionRequest::acceptance(form.product, form.version, form.locale, form.sha256);
    let decided = web.app.services.eulas.decide(&signed_in.caller, request, &signed_in.page.client, Channel::Web).await;
    if let Err(error) = decided {
        // Most likely a newer version was published while the page was open:
        // the page shows it again, with why.
        let said = Said::from(error);
        if said.cause.is_some() {
            return Err(said.into());
        }
        let (history, pending) = load(&web, &signed_in).await?;
        let mut response = render(&signed_in, &history, &pending, &Outcome::Refused(&said)).into_response();
        *response.status_mut() = said.status();
        return Ok(response);
    }
    Ok(Redirect::to("/account/eula?accepted=1").into_response())
}

#[cfg(test)]
mod tests {
    use super::{Lang, signed_in_how};

    #[test]
    fn how_a_session_signed_in_reads_as_words() {
        let amr = |methods: &[&str]| methods.iter().map(|m| (*m).to_owned()).collect::<Vec<_>>();
        assert_eq!(signed_in_how(Lang::En, &amr(&["pwd", "otp", "mfa"])), "password + one-time code");
        assert_eq!(signed_in_how(Lang::En, &amr(&["hwk", "user", "mfa"])), "passkey");
        assert_eq!(signed_in_how(Lang::Et, &amr(&["swk", "user"])), "pääsuvõti");
        assert_eq!(signed_in_how(Lang::En, &[]), "not recorded");
    }
}
