//! `/oauth/authorize`: where an app sends its user to sign in. The user
//! signs in on our pages (the app never sees a password, a code or a
//! passkey), meets what the app's product requires, approves, and is handed
//! back to the app with a code.
//!
//! A link we cannot trust (unknown app, unregistered return address) gets a
//! page here and never a redirect, or anyone could use us to send people
//! anywhere. The last step back to the app is a page that goes on by
//! itself rather than a redirect: the browser would hold a redirect after a
//! form to the pages' `form-action 'self'` and refuse it.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;

use super::Web;
use super::errors::PageResult;
use super::guard::Acting;
use super::i18n::arg;
use super::layout;
use super::page::{Form, Page, SignedIn, sign_in_then};
use super::reasons::Said;
use crate::domain::client::Client;
use crate::domain::ids::LicenseId;
use crate::domain::oauth::SeatAsked;
use crate::domain::reason::Code;
use crate::licensing::{LicenseError, SeatOffer};
use crate::oauth::{Authorization, AuthorizeParams, AuthorizeRefusal, OAuthError};

/// The routes of this group.
pub fn routes() -> Router<Web> {
    Router::new().route("/oauth/authorize", get(show).post(decide))
}

/// The approval form as posted: the request again, the answer, and the
/// license chosen for the seat when there was a choice.
#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(flatten)]
    request: AuthorizeParams,
    decision: String,
    license: Option<String>,
}

/// The license a form chose for an app's seat. Text that is no license id
/// is a choice of nothing the user holds, so it takes no seat (never the
/// default instead).
pub(super) fn chosen_license(posted: Option<&str>) -> Result<Option<LicenseId>, OAuthError> {
    posted.map(|text| LicenseId::parse(text).ok_or_else(|| OAuthError::from(LicenseError::NotFound))).transpose()
}

/// The request's fields, carried through the approval form.
fn hidden_request(params: &AuthorizeParams) -> Markup {
    let fields = [
        ("client_id", &params.client_id),
        ("redirect_uri", &params.redirect_uri),
        ("response_type", &params.response_type),
        ("scope", &params.scope),
        ("state", &params.state),
        ("nonce", &params.nonce),
        ("code_challenge", &params.code_challenge),
        ("code_challenge_method", &params.code_challenge_method),
        ("authorization_details", &params.authorization_details),
        ("dpop_jkt", &params.dpop_jkt),
    ];
    html! {
        @for (name, value) in fields {
            @if let Some(value) = value { input type="hidden" name=(name) value=(value); }
        }
    }
}

/// A link we cannot send anyone back from.
fn bad_link(page: &Page) -> Response {
    let lang = page.lang;
    let body = html! {
        div class="alert" role="alert" data-code="invalid_request" {
            p { (lang.t("oauth-bad-link-what")) }
            p class="next" { (lang.t("oauth-bad-link-next")) }
        }
        (super::errors::help_box(lang))
    };
    let mut response = layout::page(page, &lang.t("oauth-bad-link-title"), body).into_response();
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response
}

/// A refused request: a page, or a redirect back to the app.
fn refused(page: &Page, refusal: AuthorizeRefusal) -> Response {
    match refusal {
        AuthorizeRefusal::UnknownClient | AuthorizeRefusal::RedirectUri => bad_link(page),
        AuthorizeRefusal::ToClient { location } => Redirect::to(&location).into_response(),
    }
}

/// The page that hands the user back to the app: it goes on by itself
/// (`data-continue`), and its link stays for a browser that asks first
/// before opening an app.
fn back_to_app(page: &Page, app: &str, location: &str, title_key: &str) -> Response {
    let lang = page.lang;
    let name = || vec![("app", arg(app.to_owned()))];
    let body = html! {
        p { (lang.t_with("oauth-returning-text", name())) }
        p { a class="button" href=(location) data-continue { (lang.t_with("oauth-returning-link", name())) } }
    };
    layout::page(page, &lang.t_with(title_key, name()), body).into_response()
}

/// What the app still needs from the user before it may sign them in.
fn requirement_page(signed_in: &SignedIn, authorization: &Authorization, said: &Said) -> Response {
    let page = &signed_in.page;
    let lang = page.lang;
    let app = || vec![("app", arg(authorization.client.name.clone()))];
    let (action, label) = match said.code {
        Code::EulaAcceptanceRequired => ("/account/eula", "error-action-eula"),
        Code::SeatLimitReached | Code::LeaseLapsed | Code::NotFound => ("/account/licenses", "error-action-licenses"),
        _ => ("/account/security", "error-action-security"),
    };
    let body = html! {
        (layout::alert(lang, said))
        p { a class="button" href=(action) { (lang.t(label)) } }
        p { a href=(page.here) { (lang.t_with("oauth-needs-retry", app())) } }
    };
    let mut response = layout::page(page, &lang.t_with("oauth-needs-title", app()), body).into_response();
    *response.status_mut() = said.status();
    response
}

/// What a seat asked for with a sign-in comes to: what approving does,
/// for the approval page, or a page of its own when it cannot be had (no
/// license of the product, every seat taken by other machines).
pub(super) enum SeatOutlook {
    /// No seat was asked for.
    None,
    /// What approving does to the user's seats.
    Approve(SeatLine),
    /// The page to show instead of the approval.
    Blocked(Response),
}

/// What approving does to the user's seats: a sentence, and when more than
/// one of their licenses has a seat free, the choice between them (which
/// matters: a team's floating seat is not a personal license's).
pub(super) struct SeatLine {
    text: String,
    choice: Option<Markup>,
}

impl SeatLine {
    /// The sentence, above the approval form.
    pub(super) fn said(&self) -> Markup {
        html! { p class="seat" { strong { (self.text) } } }
    }

    /// The choice of license, inside the approval form (nothing without one).
    pub(super) fn fields(&self) -> Markup {
        html! { @if let Some(choice) = &self.choice { (choice) } }
    }
}

pub(super) async fn seat_outlook(
    web: &Web,
    signed_in: &SignedIn,
    client: &Client,
    seat: Option<&SeatAsked>,
) -> PageResult<SeatOutlook> {
    let Some(seat) = seat else { return Ok(SeatOutlook::None) };
    let page = &signed_in.page;
    let lang = page.lang;
    let device = seat.name.clone().unwrap_or_else(|| lang.t("oauth-device-unnamed"));
    let offers = web.app.services.oauth.seat_offers(&signed_in.caller, client, seat).await?;
    let Some(best) = offers.first() else {
        let body = html! {
            div class="alert" role="alert" data-code="not_found" {
                p { (lang.t_with("oauth-no-license", vec![("product", arg(client.product.clone()))])) }
            }
            p { a class="button" href="/activate" { (lang.t("oauth-no-license-action")) } }
            p { a href=(page.here) { (lang.t_with("oauth-needs-retry", vec![("app", arg(client.name.clone()))])) } }
        };
        let title = lang.t_with("oauth-needs-title", vec![("app", arg(client.name.clone()))]);
        let mut response = layout::page(page, &title, body).into_response();
        *response.status_mut() = StatusCode::FORBIDDEN;
        return Ok(SeatOutlook::Blocked(response));
    };
    if best.full() {
        // Best first: the first is full only when every one is.
        return Ok(SeatOutlook::Blocked(seats_full(signed_in, client, &offers, &device)));
    }
    if best.this_device {
        return Ok(SeatOutlook::Approve(SeatLine {
            text: lang.t_with("oauth-activate-again", vec![("device", arg(device))]),
            choice: None,
        }));
    }
    let free: Vec<&SeatOffer> = offers.iter().filter(|offer| !offer.full()).collect();
    if let [only] = free.as_slice() {
        let args = vec![
            ("app", arg(client.name.clone())),
            ("device", arg(device)),
            ("seat", arg(next_seat(only))),
            ("max", arg(i64::from(only.license.max_activations))),
        ];
        return Ok(SeatOutlook::Approve(SeatLine { text: lang.t_with("oauth-activate", args), choice: None }));
    }
    let choice = html! {
        fieldset class="choices" {
            legend { (lang.t_with("oauth-choose-license", vec![("device", arg(device.clone()))])) }
            @for (index, offer) in free.iter().enumerate() {
                @let id = format!("license-{index}");
                @let args = vec![
                    ("policy", arg(offer.license.policy.clone())),
                    ("ending", arg(offer.key_ending.clone())),
                    ("seat", arg(next_seat(offer))),
                    ("max", arg(i64::from(offer.license.max_activations))),
                ];
                div class="field check" {
                    input type="radio" id=(id) name="license" value=(offer.license.id.as_str()) checked[index == 0];
                    label for=(id) { (lang.t_with("oauth-license-option", args)) }
                }
            }
        }
    };
    let args = vec![("app", arg(client.name.clone())), ("device", arg(device))];
    Ok(SeatOutlook::Approve(SeatLine { text: lang.t_with("oauth-activate-choose", args), choice: Some(choice) }))
}

/// The seat a new machine would take on `offer`, counting from one.
fn next_seat(offer: &SeatOffer) -> i64 {
    i64::try_from(offer.devices.len()).unwrap_or(i64::MAX).saturating_add(1)
}

/// Every seat of the user's licenses of the product is taken: the devices
/// holding them (by license, when there are several), each with a button
/// to free its seat, then back here.
fn seats_full(signed_in: &SignedIn, client: &Client, offers: &[SeatOffer], device: &str) -> Response {
    let page = &signed_in.page;
    let lang = page.lang;
    let product = || arg(client.product.clone());
    let said = match offers {
        [only] => lang.t_with(
            "oauth-seats-full",
            vec![("max", arg(i64::from(only.license.max_activations))), ("product", product())],
        ),
        _ => lang.t_with("oauth-seats-all-full", vec![("product", product())]),
    };
    let body = html! {
        div class="alert" role="alert" data-code="seat_limit_reached" {
            p { (said) }
            p class="next" { (lang.t_with("oauth-seats-full-next", vec![("device", arg(device.to_owned()))])) }
        }
        @for offer in offers {
            @if offers.len() > 1 {
                h2 {
                    (lang.t_with("oauth-license-heading", vec![
                        ("policy", arg(offer.license.policy.clone())),
                        ("ending", arg(offer.key_ending.clone())),
                    ]))
                }
            }
            ul class="devices" {
                @for held in &offer.devices {
                    @let name = held.name.clone().unwrap_or_else(|| lang.t("oauth-device-unnamed"));
                    li {
                        (name) " · " (lang.t_with("oauth-last-seen", vec![("when", arg(lang.date_time(held.last_seen_at)))]))
                        form method="post" action=(format!("/account/licenses/devices/{}/remove", held.id)) {
                            (layout::csrf(page))
                            input type="hidden" name="next" value=(page.here);
                            button type="submit" class="secondary" aria-label=(lang.t_with("oauth-free-seat-of", vec![("device", arg(name.clone()))])) {
                                (lang.t("oauth-free-seat"))
                            }
                        }
                    }
                }
            }
        }
        p { a href="/account/licenses" { (lang.t("oauth-free-seat-action")) } }
        p { a href=(page.here) { (lang.t_with("oauth-needs-retry", vec![("app", arg(client.name.clone()))])) } }
    };
    let title = lang.t_with("oauth-needs-title", vec![("app", arg(client.name.clone()))]);
    let mut response = layout::page(page, &title, body).into_response();
    *response.status_mut() = StatusCode::CONFLICT;
    response
}

fn approval_page(
    signed_in: &SignedIn,
    authorization: &Authorization,
    params: &AuthorizeParams,
    seat: Option<&SeatLine>,
) -> Markup {
    let page = &signed_in.page;
    let lang = page.lang;
    let client = &authorization.client;
    let app = || vec![("app", arg(client.name.clone()))];
    let body = html! {
        p { (lang.t_with("oauth-as", vec![("email", arg(signed_in.caller.user.email.clone()))])) }
        @if let Some(seat) = seat { (seat.said()) }
        h2 id="oauth-gets" { (lang.t_with("oauth-wants", app())) }
        ul aria-labelledby="oauth-gets" {
            @for scope in authorization.scope.iter() {
                li { (lang.t_with(&format!("oauth-scope-{scope}"), vec![("product", arg(client.product.clone()))])) }
            }
        }
        p class="muted" { (lang.t_with("oauth-only-if-you-started", app())) }
        form method="post" action="/oauth/authorize" {
            (layout::csrf(page))
            (hidden_request(params))
            @if let Some(seat) = seat { (seat.fields()) }
            div class="actions" {
                button type="submit" name="decision" value="allow" { (lang.t("oauth-allow")) }
                button type="submit" name="decision" value="deny" class="secondary" { (lang.t("oauth-deny")) }
            }
        }
    };
    layout::page(page, &lang.t_with("oauth-title", app()), body)
}

/// `GET /oauth/authorize`: check the link, sign in, meet the product's
/// requirements, then approve (or go straight on for the vendor's own app).
async fn show(
    State(web): State<Web>,
    axum::Extension(acting): axum::Extension<Acting>,
    page: Page,
    signed_in: Option<SignedIn>,
    query: Result<Query<AuthorizeParams>, QueryRejection>,
) -> PageResult {
    // A parameter given twice (or not text) leaves no request to trust.
    let Ok(Query(params)) = query else { return Ok(bad_link(&page)) };
    let authorization = match web.app.services.oauth.check(&params) {
        Ok(authorization) => authorization,
        Err(refusal) => return Ok(refused(&page, refusal)),
    };
    let Some(signed_in) = signed_in else { return Ok(Redirect::to(&sign_in_then(&page.here)).into_response()) };
    let oauth = &web.app.services.oauth;
    if let Err(error) = oauth.check_requirements(&signed_in.caller, &authorization.client).await {
        return unmet(&signed_in, &authorization, error);
    }
    let seat = match seat_outlook(&web, &signed_in, &authorization.client, authorization.seat.as_ref()).await? {
        SeatOutlook::Blocked(page) => return Ok(page),
        SeatOutlook::Approve(seat) => Some(seat),
        SeatOutlook::None => None,
    };
    // The vendor's own app goes straight on where its return address proves
    // it is that app, its seat on the best license.
    if authorization.client.skips_approval(&authorization.redirect_uri) {
        acting.begin();
        return approve(&web, &signed_in, &authorization, None).await;
    }
    Ok(approval_page(&signed_in, &authorization, &params, seat.as_ref()).into_response())
}

/// `POST /oauth/authorize`: the user's answer.
async fn decide(State(web): State<Web>, signed_in: SignedIn, Form(form): Form<DecisionForm>) -> PageResult {
    let authorization = match web.app.services.oauth.check(&form.request) {
        Ok(authorization) => authorization,
        Err(refusal) => return Ok(refused(&signed_in.page, refusal)),
    };
    if form.decision != "allow" {
        let location = web.app.services.oauth.decline(&authorization);
        return Ok(back_to_app(&signed_in.page, &authorization.client.name, &location, "oauth-declined-title"));
    }
    let chose = match chosen_license(form.license.as_deref()) {
        Ok(chose) => chose,
        Err(error) => return unmet(&signed_in, &authorization, error),
    };
    approve(&web, &signed_in, &authorization, chose.as_ref()).await
}

async fn approve(
    web: &Web,
    signed_in: &SignedIn,
    authorization: &Authorization,
    chose: Option<&LicenseId>,
) -> PageResult {
    let oauth = &web.app.services.oauth;
    match oauth.approve(&signed_in.caller, authorization, chose, &signed_in.page.client).await {
        Ok(location) => {
            Ok(back_to_app(&signed_in.page, &authorization.client.name, &location, "oauth-returning-title"))
        }
        Err(error) => unmet(signed_in, authorization, error),
    }
}

/// A requirement the user can meet gets its page; a failure of ours the error page.
fn unmet(signed_in: &SignedIn, authorization: &Authorization, error: OAuthError) -> PageResult {
    let said = Said::from(error);
    if said.cause.is_some() {
        return Err(super::errors::PageError::said(said));
    }
    Ok(requirement_page(signed_in, authorization, &said))
}
