//! The account's sessions: how the overview names a device, and
//! `/account/security/sessions/{id}/revoke`, which signs another one out.
//! Apart because it is about where the account is signed in, not how.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::post;

use super::{done, section_refusal};
use crate::domain::ids::SessionId;
use crate::web::Web;
use crate::web::errors::{PageError, PageResult};
use crate::web::page::SignedIn;

/// The routes of this section.
pub(super) fn routes() -> Router<Web> {
    Router::new().route("/account/security/sessions/{id}/revoke", post(session_revoke))
}

/// A browser's name and system from its user agent, roughly: people
/// recognise "Chrome on Linux", not the whole string.
pub(super) fn device_words(agent: &str) -> String {
    let browser = [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
        .into_iter()
        .find(|(needle, _)| agent.contains(needle))
        .map(|(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS", "macOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(needle, _)| agent.contains(needle))
    .map(|(_, name)| name);
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} · {system}"),
        (Some(name), None) | (None, Some(name)) => name.to_owned(),
        (None, None) => agent.chars().take(60).collect(),
    }
}

/// `POST /account/security/sessions/{id}/revoke`: signs that session out.
async fn session_revoke(State(web): State<Web>, signed_in: SignedIn, Path(id): Path<String>) -> PageResult {
    let id = SessionId::parse(&id).ok_or_else(PageError::not_found)?;
    match web.app.services.accounts.revoke_session(&signed_in.caller, &id).await {
        Ok(()) => Ok(done("session-revoked", "sessions")),
        Err(error) => section_refusal(&web, &signed_in, "sessions", error.into()).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_are_named_plainly() {
        let chrome =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";
        assert_eq!(device_words(chrome), "Chrome · Linux");
    }
}
