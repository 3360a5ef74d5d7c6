//! The apps a user is signed in to, as their security page lists them, and
//! signing one out from there: the other half of "Sign in with Latchkey",
//! where a person who lost a laptop ends what it holds.

use time::OffsetDateTime;

use super::error::OAuthResult;
use super::service::OAuth;
use crate::domain::account::Authenticated;

/// An app the user is signed in to.
#[derive(Debug, Clone)]
pub struct SignedInApp {
    /// What signing it out names.
    pub grant_id: String,
    /// The app's name, as its approval page showed it.
    pub name: String,
    /// When the user approved it.
    pub signed_in_at: OffsetDateTime,
    /// When it last renewed its tokens.
    pub last_used_at: OffsetDateTime,
    /// The machine whose seat it took, if it asked for one.
    pub device: Option<String>,
}

impl OAuth {
    /// The apps that stay signed in to the caller's account (those holding
    /// a refresh token), the most recently used first.
    pub async fn signed_in_apps(&self, caller: &Authenticated) -> OAuthResult<Vec<SignedInApp>> {
        let sign_ins = self.store.app_sign_ins(&caller.user.id, self.clock.now()).await?;
        Ok(sign_ins
            .into_iter()
            .map(|sign_in| SignedInApp {
                // An app since removed from the settings is still named by its id.
                name: self.client(&sign_in.client_id).map_or(sign_in.client_id.clone(), |c| c.name.clone()),
                device: sign_in.seat.and_then(|seat| seat.asked.name),
                grant_id: sign_in.grant_id,
                signed_in_at: sign_in.signed_in_at,
                last_used_at: sign_in.last_used_at,
            })
            .collect())
    }

    /// Signs the app out of the caller's account: every token of that
    /// sign-in stops working, on every instance. The seat it took stays
    /// (freeing it is the devices page's business). False when the sign-in
    /// is not the caller's, or already over.
    pub async fn sign_out_app(&self, caller: &Authenticated, grant_id: &str) -> OAuthResult<bool> {
        Ok(self.store.end_grant_of_user(grant_id, &caller.user.id, self.clock.now()).await?)
    }
}
