//! The apps signed in to the account: `/account/security/apps/{id}/sign-out`
//! ends one (a lost laptop's app, one the user no longer trusts). Apart
//! from sessions because an app is signed in through OAuth, not a browser.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::post;

use super::{done, section_refusal};
use crate::web::Web;
use crate::web::errors::{PageError, PageResult};
use crate::web::page::SignedIn;

/// The routes of this section.
pub(super) fn routes() -> Router<Web> {
    Router::new().route("/account/security/apps/{id}/sign-out", post(sign_out))
}

/// `POST /account/security/apps/{id}/sign-out`: every token of that sign-in stops working.
async fn sign_out(State(web): State<Web>, signed_in: SignedIn, Path(id): Path<String>) -> PageResult {
    match web.app.services.oauth.sign_out_app(&signed_in.caller, &id).await {
        Ok(true) => Ok(done("app-signed-out", "apps")),
        Ok(false) => Err(PageError::not_found()),
        Err(error) => section_refusal(&web, &signed_in, "apps", error.into()).await,
    }
}
