//! What every page handler starts from: the visitor's language and form
//! token ([`Page`]), and for account pages the signed-in user ([`SignedIn`]).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use super::Web;
use super::cookies;
use super::i18n::Lang;
use crate::domain::account::Authenticated;
use crate::domain::event::ClientInfo;

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
        let (path, query) = self.here.split_once('?').unwrap_or((&self.here, ""));
        let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .filter(|(key, _)| key != "lang")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        pairs.push(("lang".into(), lang.tag().into()));
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        format!("{path}?{query}")
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
        let token = web.pages.jar.read(&parts.headers, cookies::SESSION);
        let caller = match token {
            Some(token) => web.app.services.accounts.authenticate(&token).await.ok(),
            None => None,
        };
        match caller {
            Some(caller) => Ok(Self { caller, page: Page { signed_in: true, ..page } }),
            None => Err(Redirect::to(&sign_in_then(&page.here)).into_response()),
        }
    }
}

impl axum::extract::OptionalFromRequestParts<Web> for SignedIn {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Option<Self>, Self::Rejection> {
        Ok(<Self as FromRequestParts<Web>>::from_request_parts(parts, web).await.ok())
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
