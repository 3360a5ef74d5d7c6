//! What every page handler starts from: the visitor's language and form
//! token ([`Page`]), and for account pages the signed-in user ([`SignedIn`]).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use super::Web;
use super::cookies;
use super::errors::PageError;
use super::i18n::Lang;
use super::reasons::Said;
use crate::domain::account::Authenticated;
use crate::domain::event::ClientInfo;
use crate::domain::reason::{Invalid, Rule};

/// What the guard learned about a request, for the handlers after it.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The language to answer in.
    pub lang: Lang,
    /// The token this browser's forms must carry.
    pub csrf: String,
    /// The request sent a session cookie (perhaps an expired one).
    pub has_session: bool,
}

/// A page being answered: its language, its form token, where it is.
#[derive(Debug, Clone)]
pub struct Page {
    /// The visitor's language.
    pub lang: Lang,
    /// The CSRF token for this browser's forms.
    pub csrf: String,
    /// The product's name, for titles.
    pub product: Arc<str>,
    /// The path and query asked for, so the language switcher stays here.
    pub here: String,
    /// Whether the visitor seems signed in (has a session cookie).
    pub signed_in: bool,
    /// Where the request came from, as events record it.
    pub client: ClientInfo,
}

impl Page {
    /// This page in another language.
    pub fn switch_to(&self, lang: Lang) -> String {
        let query = self.here.split_once('?').map_or("", |(_, query)| query);
        let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .filter(|(key, _)| key != "lang")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        pairs.push(("lang".into(), lang.tag().into()));
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        // Only the query, relative to this page: the path came from the
        // request, and one such as `//evil.example/` would lead off the site.
        format!("?{query}")
    }

    /// A message in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
}

impl FromRequestParts<Web> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Self::Rejection> {
        let visit = parts.extensions.get::<Visit>().cloned().unwrap_or(Visit {
            lang: Lang::En,
            csrf: String::new(),
            has_session: false,
        });
        let client = crate::http::extract::Client::from_request_parts(parts, &web.app)
            .await
            .map(|crate::http::extract::Client(info)| info)
            .unwrap_or(ClientInfo { ip: None, user_agent: None });
        let here = parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
        Ok(Self {
            lang: visit.lang,
            csrf: visit.csrf,
            product: web.pages.product.clone(),
            here,
            signed_in: visit.has_session,
            client,
        })
    }
}

/// A signed-in visitor; anyone else is sent to sign in and brought back.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The user and session.
    pub caller: Authenticated,
    /// The page being answered.
    pub page: Page,
}

impl FromRequestParts<Web> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Self::Rejection> {
        let page = Page::from_request_parts(parts, web).await?;
        let jar = web.pages.jar;
        let Some(token) = jar.read(&parts.headers, cookies::SESSION) else {
            return Err(to_sign_in(parts, &page));
        };
        match web.app.services.accounts.authenticate(&token).await {
            Ok(caller) => Ok(Self { caller, page: Page { signed_in: true, ..page } }),
            Err(error) => {
                let said = Said::from(error);
                if said.cause.is_some() {
                    // An outage is not a signed-out visitor: say so, keep the cookie.
                    return Err(PageError::said(said).into_response());
                }
                // Ended or expired: forget it here, so the pages stop looking
                // signed in, and the activation code it was redeeming with it
                // (on a shared computer, the next person need not see it).
                let mut response = to_sign_in(parts, &page);
                response.headers_mut().append(header::SET_COOKIE, jar.clear(cookies::SESSION));
                response.headers_mut().append(header::SET_COOKIE, jar.clear(cookies::ACTIVATION_CODE));
                Err(response)
            }
        }
    }
}

/// To the sign-in page and back. Our scripts' JSON calls get the address
/// to go to in JSON (a redirect would hand them a page they cannot read).
fn to_sign_in(parts: &Parts, page: &Page) -> Response {
    let target = sign_in_then(&return_to(parts, page));
    let wants_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
    if wants_json {
        let body = serde_json::json!({ "redirect": target });
        (axum::http::StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()
    } else {
        Redirect::to(&target).into_response()
    }
}

/// Where to come back to after signing in: this page, or for a form that
/// was posted, the page the form was on (a POST address answers no GET).
fn return_to(parts: &Parts, page: &Page) -> String {
    if parts.method == axum::http::Method::GET {
        return page.here.clone();
    }
    let from_referer = parts
        .headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|referer| url::Url::parse(referer).ok())
        .map(|url| match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        });
    safe_next(from_referer.as_deref())
}

impl axum::extract::OptionalFromRequestParts<Web> for SignedIn {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Option<Self>, Self::Rejection> {
        Ok(<Self as FromRequestParts<Web>>::from_request_parts(parts, web).await.ok())
    }
}

/// A posted form, as `axum::Form` reads it; a body that is not the form
/// (a field missing, bytes that are not text) gets a page in the
/// visitor's language instead of axum's plain-text English.
#[derive(Debug)]
pub struct Form<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Form<T> {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(request, state).await {
            Ok(axum::Form(value)) => Ok(Self(value)),
            Err(_) => Err(PageError::said(Said::code(crate::domain::reason::Code::ValidationFailed)).into_response()),
        }
    }
}

/// A link's query, as `axum::extract::Query` reads it; one that is not
/// what the page takes (a parameter given twice, bytes that are not text)
/// gets a page in the visitor's language instead of axum's plain text.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            // A link has no fields to check: say the link is no good.
            Err(_) => Err(PageError::said(Invalid::new("link", Rule::LinkExpired).into()).into_response()),
        }
    }
}

/// `/sign-in`, coming back to `next` afterwards.
pub fn sign_in_then(next: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new()).append_pair("next", next).finish();
    format!("/sign-in?{query}")
}

/// Where to go after signing in: `next` if it is a path on this site, else
/// the account. `//evil.example` and `/\evil` are other sites to a browser.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next)
            if next.starts_with('/')
                && !next.starts_with("//")
                && !next.starts_with("/\\")
                && !next.chars().any(|c| c.is_control() || c == '\\') =>
        {
            next.to_owned()
        }
        _ => "/account".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/account/licenses?x=1")), "/account/licenses?x=1");
        for elsewhere in
            ["//evil.example/", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "/a\\b", ""]
        {
            assert_eq!(safe_next(Some(elsewhere)), "/account", "{elsewhere}");
        }
        assert_eq!(safe_next(None), "/account");
    }
}
