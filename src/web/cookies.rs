//! The cookies pages use. On an https deployment each is `Secure` with the
//! `__Host-` prefix, so neither a sibling subdomain nor a plain-http page
//! can plant or read one; on plain http (localhost) they are not.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};

/// The signed-in session's bearer token.
pub const SESSION: &str = "lk_session";
/// A sign-in waiting for its second factor (the pending token).
pub const PENDING: &str = "lk_pending";
/// This browser's device token: its failed sign-ins count apart from strangers'.
pub const DEVICE: &str = "lk_device";
/// A random id for this browser, which CSRF tokens are bound to.
pub const BROWSER: &str = "lk_browser";
/// The language the visitor chose.
pub const LANG: &str = "lk_lang";
/// When the visitor opened `/activate` and the furthest step counted since,
/// for the activation funnel and the time-to-value histogram.
pub const ACTIVATION_STARTED: &str = "lk_activate_started";
/// The code of an activation waiting for its address to be confirmed: the
/// mailed link, opened in this browser, leads back to the checklist.
pub const ACTIVATION_CODE: &str = "lk_activate_code";

/// How cookies are named and marked on this deployment.
#[derive(Debug, Clone, Copy)]
pub struct Jar {
    secure: bool,
}

impl Jar {
    /// Cookies for a deployment whose public URL is https (`secure`) or not.
    pub const fn new(secure: bool) -> Self {
        Self { secure }
    }

    /// The cookie's name on this deployment.
    pub fn name(self, base: &str) -> String {
        if self.secure { format!("__Host-{base}") } else { base.to_owned() }
    }

    /// The cookie's value in the request, if sent.
    pub fn read(self, headers: &HeaderMap, base: &str) -> Option<String> {
        let name = self.name(base);
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_owned())
            .filter(|value| !value.is_empty())
    }

    /// A `Set-Cookie` value: for the browser session when `lifetime` is
    /// `None`, else for that long. Always `HttpOnly` and `SameSite=Lax`:
    /// our scripts never need a cookie, and Lax keeps them off cross-site posts.
    pub fn set(self, base: &str, value: &str, lifetime: Option<Duration>) -> HeaderValue {
        let mut cookie = format!("{}={value}; Path=/; HttpOnly; SameSite=Lax", self.name(base));
        if let Some(lifetime) = lifetime {
            cookie.push_str(&format!("; Max-Age={}", lifetime.as_secs()));
        }
        if self.secure {
            cookie.push_str("; Secure");
        }
        HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// A `Set-Cookie` value that removes the cookie.
    pub fn clear(self, base: &str) -> HeaderValue {
        self.set(base, "", Some(Duration::ZERO))
    }
}

#[cfg(test)]
mod tests {
    use super::{Duration, HeaderMap, Jar, SESSION, header};

    #[test]
    fn https_cookies_are_host_only_and_secure() {
        let cookie = Jar::new(true).set(SESSION, "abc", None);
        let text = cookie.to_str().unwrap();
        assert_eq!(text, "__Host-lk_session=abc; Path=/; HttpOnly; SameSite=Lax; Secure");
        let remembered = Jar::new(true).set(SESSION, "abc", Some(Duration::from_secs(60)));
        assert!(remembered.to_str().unwrap().contains("; Max-Age=60; Secure"));
        assert!(Jar::new(true).clear(SESSION).to_str().unwrap().contains("Max-Age=0"));
    }

    #[test]
    fn plain_http_cookies_are_still_http_only_and_lax() {
        let text = Jar::new(false).set(SESSION, "abc", None).to_str().unwrap().to_owned();
        assert_eq!(text, "lk_session=abc; Path=/; HttpOnly; SameSite=Lax");
    }

    #[test]
    fn a_cookie_is_read_only_under_its_own_name() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "lk_session=plain; __Host-lk_session=host; other=1".parse().unwrap());
        assert_eq!(Jar::new(true).read(&headers, SESSION).as_deref(), Some("host"));
        assert_eq!(Jar::new(false).read(&headers, SESSION).as_deref(), Some("plain"));
        headers.insert(header::COOKIE, "lk_session=".parse().unwrap());
        assert_eq!(Jar::new(false).read(&headers, SESSION), None);
    }
}
