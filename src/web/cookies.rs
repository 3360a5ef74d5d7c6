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
/// When the visitor opened `/activate`, for the time-to-value histogram.
pub const ACTIVATION_STARTED: &str = "lk_activate_started";

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
