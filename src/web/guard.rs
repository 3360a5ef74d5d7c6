//! What stands in front of every page: the visitor's language, a form token
//! bound to this browser and checked on every POST, and the headers that
//! keep pages from being framed, sniffed or fed foreign scripts.

use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::Web;
use super::cookies;
use super::errors::{self, Failed, PageError};
use super::i18n::Lang;
use super::page::{Page, Visit};
use super::reasons::Said;
use crate::domain::codes::constant_time_eq;
use crate::domain::event::ClientInfo;
use crate::domain::integration::HelpWidget;
use crate::domain::reason::{Code, Invalid, Rule};
use crate::http::input::{json_has_control, percent_decodes_to_control};

/// Header our scripts send the form token in with JSON posts.
pub const CSRF_HEADER: &str = "x-csrf-token";

const LANG_COOKIE_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

/// The page headers: scripts and styles only from our own files (no
/// inline code, so an injected `<script>` does nothing), no framing, no
/// referrer beyond this site, no content sniffing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Sources one page needs beyond our own: the support page's chat
/// widgets. A handler puts them on its response; only that response's
/// policy names them. Made only from validated widgets, so nothing else
/// reaches the header.
#[derive(Clone, Debug, Default)]
pub struct ThirdPartySources {
    scripts: Vec<String>,
    others: Vec<String>,
}

impl ThirdPartySources {
    /// What `widgets` need, each source once.
    pub fn of<'a>(widgets: impl IntoIterator<Item = &'a HelpWidget>) -> Self {
        let mut sources = Self::default();
        for widget in widgets {
            for (list, adding) in
                [(&mut sources.scripts, &widget.script_sources), (&mut sources.others, &widget.sources)]
            {
                for source in adding {
                    if !list.contains(source) {
                        list.push(source.clone());
                    }
                }
            }
        }
        sources
    }
}

/// Our policy widened by `third`: the widget's code from its own hosts,
/// what it connects to, frames and shows, and inline styles, which every
/// chat widget injects. Scripts stay without `unsafe-inline`: ours start
/// the widget from our own file. Everything else is as strict as ever.
fn content_security_policy(third: Option<&ThirdPartySources>) -> HeaderValue {
    let Some(third) = third.filter(|t| !t.scripts.is_empty()) else {
        return HeaderValue::from_static(CONTENT_SECURITY_POLICY);
    };
    let (scripts, others) = (third.scripts.join(" "), third.others.join(" "));
    let policy = format!(
        "default-src 'none'; script-src 'self' {scripts}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob: {others}; font-src {others}; media-src {others}; connect-src 'self' {others}; \
         frame-src {others}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| {
        tracing::warn!("a chat widget's sources do not fit a header; the support page keeps the strict policy");
        HeaderValue::from_static(CONTENT_SECURITY_POLICY)
    })
}

fn is_browser_id(value: &str) -> bool {
    value.len() == 43 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn new_browser_id() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes[..]);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The language: one just picked (`?lang=`), else the remembered one,
/// else the browser's preference.
fn language(request: &Request, web: &Web) -> (Lang, bool) {
    let picked = request
        .uri()
        .query()
        .and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "lang").map(|(_, v)| v.into_owned()))
        .and_then(|tag| Lang::from_tag(&tag));
    if let Some(lang) = picked {
        return (lang, true);
    }
    let remembered = web.pages.jar.read(request.headers(), cookies::LANG).and_then(|tag| Lang::from_tag(&tag));
    let lang = remembered.unwrap_or_else(|| {
        let accept = request.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        Lang::negotiate(accept)
    });
    (lang, false)
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body).find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
}

/// A POST from another site is refused whatever it carries: browsers send
/// `Origin` with every POST, and ours names this site.
fn same_origin(headers: &HeaderMap, web: &Web) -> bool {
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => origin == web.pages.origin,
        None => true,
    }
}

/// Set once a request's action is under way: every checked form as it is
/// handed over, and a page that acts on a GET (an app's sign-in that goes
/// straight on) when it begins. From then on, running out of time no
/// longer means nothing was done, and the page says so.
#[derive(Debug, Clone, Default)]
pub struct Acting(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Acting {
    /// The action is under way.
    pub fn begin(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    fn begun(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The guard itself.
pub async fn guard(State(web): State<Web>, mut request: Request, next: Next) -> Response {
    if super::is_api_path(request.uri().path()) {
        return next.run(request).await;
    }
    let (lang, picked) = language(&request, &web);
    let jar = web.pages.jar;
    let existing = jar.read(request.headers(), cookies::BROWSER).filter(|id| is_browser_id(id));
    let fresh = existing.is_none();
    let browser = existing.unwrap_or_else(new_browser_id);
    let csrf = web.pages.form_token(&browser);
    let has_session = jar.read(request.headers(), cookies::SESSION).is_some();
    let here =
        request.uri().path_and_query().map_or_else(|| request.uri().path().to_owned(), |pq| pq.as_str().to_owned());
    let page = Page {
        lang,
        csrf: csrf.clone(),
        product: web.pages.product.clone(),
        here,
        signed_in: has_session,
        client: ClientInfo { ip: None, user_agent: None },
    };
    request.extensions_mut().insert(Visit { lang, csrf: csrf.clone(), has_session });

    let checked = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // Inside the edge's own limit, so a page that takes too long (or a
    // body that never finishes arriving) gets a page in the visitor's
    // language rather than the edge's JSON.
    let limit = web.app.edge.request_timeout;
    let acting = Acting::default();
    request.extensions_mut().insert(acting.clone());
    let answered = tokio::time::timeout(limit.saturating_sub(limit / 10), async {
        let uri = request.uri();
        if percent_decodes_to_control(uri.path()) || uri.query().is_some_and(percent_decodes_to_control) {
            PageError::said(Invalid::new("link", Rule::NoControlCharacters).into()).into_response()
        } else if checked {
            let (parts, body) = request.into_parts();
            match to_bytes(body, crate::http::BODY_LIMIT).await {
                Err(_) => PageError::said(Said::code(Code::PayloadTooLarge)).into_response(),
                Ok(bytes) => {
                    let sent = parts
                        .headers
                        .get(CSRF_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                        .or_else(|| form_field(&bytes, "csrf"));
                    let genuine = !fresh
                        && same_origin(&parts.headers, &web)
                        && sent.is_some_and(|sent| constant_time_eq(sent.as_bytes(), csrf.as_bytes()));
                    if !genuine {
                        PageError::form_expired().into_response()
                    } else if let Err(wait) = charge(&web, &parts) {
                        PageError::said(Said::rate_limited(wait)).into_response()
                    } else if carries_control_characters(&parts.headers, &bytes) {
                        // Nothing a person types holds them, and PostgreSQL refuses NUL outright.
                        PageError::said(Invalid::new("body", Rule::NoControlCharacters).into()).into_response()
                    } else {
                        acting.begin();
                        next.run(Request::from_parts(parts, Body::from(bytes))).await
                    }
                }
            }
        } else if looks_up_a_code(&request) {
            let (parts, body) = request.into_parts();
            match charge(&web, &parts) {
                Err(wait) => PageError::said(Said::rate_limited(wait)).into_response(),
                Ok(()) => next.run(Request::from_parts(parts, body)).await,
            }
        } else {
            next.run(request).await
        }
    })
    .await;
    let mut response = answered.unwrap_or_else(|_| {
        if acting.begun() {
            PageError::timed_out_unsure().into_response()
        } else {
            PageError::said(Said::code(Code::Timeout)).into_response()
        }
    });

    if let Some(Failed(said)) = response.extensions_mut().remove::<Failed>() {
        response = errors::render(&page, &said);
    }
    let headers = response.headers_mut();
    if fresh {
        // For the browser's whole life: the token is bound to it, not to a session.
        headers.append(header::SET_COOKIE, jar.set(cookies::BROWSER, &browser, None));
    }
    if picked {
        headers.append(header::SET_COOKIE, jar.set(cookies::LANG, lang.tag(), Some(LANG_COOKIE_LIFETIME)));
    }
    let third = response.extensions_mut().remove::<ThirdPartySources>();
    secure_headers(response.headers_mut(), third.as_ref());
    response
}

/// Page posts count against the client's credential budget, as the API's
/// credential routes do: people post forms far slower than the limit,
/// guessers do not. Signing out is never refused. A passkey challenge for
/// a signed-in account checks nothing; one for signing in is stored for
/// anyone who asks, so it costs what the API's sign-in challenges cost
/// (the autofill on the sign-in page asks for one per visit).
fn charge(web: &Web, parts: &axum::http::request::Parts) -> Result<(), u64> {
    let path = parts.uri.path();
    let signed_in_challenge = path.ends_with("/options") && !path.starts_with("/sign-in/");
    if path == "/sign-out" || signed_in_challenge {
        return Ok(());
    }
    web.app.edge.credentials.take(parts)
}

/// `/activate?code=…` looks an activation code up on a GET (the product
/// opens that link), and so does `?resume=` with the remembered one, which
/// the browser sends: both take from the same budget as a posted code.
fn looks_up_a_code(request: &Request) -> bool {
    request.uri().path() == "/activate"
        && request.uri().query().is_some_and(|q| {
            url::form_urlencoded::parse(q.as_bytes()).any(|(k, v)| (k == "code" && !v.is_empty()) || k == "resume")
        })
}

/// Our forms are url-encoded (one-line fields only) and our scripts post JSON.
fn carries_control_characters(headers: &HeaderMap, body: &[u8]) -> bool {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
    if json { json_has_control(body) } else { percent_decodes_to_control(&String::from_utf8_lossy(body)) }
}

/// The headers every page carries.
pub fn secure_headers(headers: &mut HeaderMap, third: Option<&ThirdPartySources>) {
    headers.insert(header::CONTENT_SECURITY_POLICY, content_security_policy(third));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Pages show who is signed in and one-time secrets: never from a cache.
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directives(policy: &str) -> std::collections::BTreeMap<String, Vec<String>> {
        policy
            .split(';')
            .filter_map(|part| {
                let mut words = part.split_whitespace().map(str::to_owned);
                Some((words.next()?, words.collect()))
            })
            .collect()
    }

    #[test]
    fn a_widget_widens_only_what_it_needs() {
        let widget = HelpWidget {
            script: "https://static.zdassets.com/ekr/snippet.js".parse().unwrap(),
            app_id: None,
            script_sources: vec!["https://static.zdassets.com".into()],
            sources: vec!["https://static.zdassets.com".into(), "wss://*.zendesk.com".into()],
        };
        let strict = directives(CONTENT_SECURITY_POLICY);
        let widened = content_security_policy(Some(&ThirdPartySources::of([&widget, &widget])));
        let widened = directives(widened.to_str().unwrap());
        // Every directive of our own policy is still there, and still allows what it did.
        for (name, values) in &strict {
            let kept = &widened[name];
            assert!(values.iter().all(|v| kept.contains(v) || v == "'none'"), "{name}: {kept:?}");
        }
        assert_eq!(widened["script-src"], ["'self'", "https://static.zdassets.com"]);
        assert!(!widened["connect-src"].contains(&"'unsafe-inline'".to_owned()));
        assert!(widened["connect-src"].contains(&"wss://*.zendesk.com".to_owned()));
        for unchanged in ["frame-ancestors", "form-action", "base-uri", "default-src"] {
            assert_eq!(widened[unchanged], strict[unchanged], "{unchanged}");
        }
        // No widget, no change.
        assert_eq!(content_security_policy(None), CONTENT_SECURITY_POLICY);
        assert_eq!(content_security_policy(Some(&ThirdPartySources::of([]))), CONTENT_SECURITY_POLICY);
    }

    #[test]
    fn browser_ids_are_what_we_make() {
        assert!(is_browser_id(&new_browser_id()));
        assert!(!is_browser_id("short"));
        assert!(!is_browser_id(&"a".repeat(42).add_char('=')));
    }

    trait AddChar {
        fn add_char(self, c: char) -> String;
    }
    impl AddChar for String {
        fn add_char(mut self, c: char) -> String {
            self.push(c);
            self
        }
    }
}
