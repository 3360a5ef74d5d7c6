//! The authorization server itself: its clients, what their products
//! require of a user, and the seats apps ask for. The flows are beside it:
//! `authorize` (the browser's part), `token` (the token endpoint and
//! userinfo), `device` (RFC 8628).

use std::sync::Arc;

use time::Duration;

use super::error::OAuthResult;
use crate::clock::Clock;
use crate::domain::account::Authenticated;
use crate::domain::client::Client;
use crate::domain::event::ClientInfo;
use crate::domain::ids::{LicenseId, UserId};
use crate::domain::license::License;
use crate::domain::oauth::SeatAsked;
use crate::domain::policy::{Policy, PolicySet};
use crate::eula::Eulas;
use crate::factors::Factors;
use crate::licensing::{LicenseError, Licensing, SeatOffer};
use crate::store::{AppGrant, DeviceDecision, GrantVia, NewGrant, Store};
use crate::tokens::SigningKeys;

/// How long one sign-in of an app lasts, however often it refreshes: then
/// the user signs in again, under the policies as they are by then.
pub const GRANT_LIFETIME: Duration = Duration::days(90);

/// The authorization server.
#[derive(Clone)]
pub struct OAuth {
    pub(super) store: Arc<dyn Store>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) keys: Arc<SigningKeys>,
    pub(super) licensing: Licensing,
    pub(super) tokens: crate::tokens::Tokens,
    pub(super) clients: Arc<Vec<Client>>,
    pub(super) policies: Arc<PolicySet>,
    pub(super) factors: Factors,
    pub(super) eulas: Eulas,
    pub(super) issuer: String,
}

impl std::fmt::Debug for OAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth").field("clients", &self.clients.len()).finish_non_exhaustive()
    }
}

/// Everything `OAuth` is built from.
pub struct OAuthConfig {
    /// Grants, codes and refresh tokens.
    pub store: Arc<dyn Store>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Signs access and ID tokens.
    pub keys: Arc<SigningKeys>,
    /// Activates the seats apps ask for.
    pub licensing: Licensing,
    /// Introspects access tokens for userinfo.
    pub tokens: crate::tokens::Tokens,
    /// The apps, from the settings file.
    pub clients: Arc<Vec<Client>>,
    /// What each product's licenses require.
    pub policies: Arc<PolicySet>,
    /// Sign-in requirements.
    pub factors: Factors,
    /// EULA requirements.
    pub eulas: Eulas,
    /// `iss`: the public URL.
    pub issuer: String,
}

impl OAuth {
    /// The service, from its parts.
    pub fn new(config: OAuthConfig) -> Self {
        let OAuthConfig { store, clock, keys, licensing, tokens, clients, policies, factors, eulas, issuer } = config;
        Self { store, clock, keys, licensing, tokens, clients, policies, factors, eulas, issuer }
    }

    /// `iss` of our tokens and discovery documents.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub(super) fn client(&self, id: &str) -> Option<&Client> {
        self.clients.iter().find(|client| client.id == id)
    }

    /// Fails with what the user must do first for the app's product: the
    /// second factor or passkey its policies require of this session, and
    /// its current EULA. Checked over the licenses the user holds for the
    /// product, like tokens for integrations; a user with none may still
    /// sign in (the app learns there is no license).
    pub async fn check_requirements(&self, caller: &Authenticated, client: &Client) -> OAuthResult<()> {
        for (license, policy) in self.usable_licenses(&caller.user.id, &client.product).await? {
            self.factors.require_sign_in(caller, policy.sign_in).await?;
            if policy.eula_required {
                self.eulas.require_accepted(&caller.user.id, &license.product).await?;
            }
        }
        Ok(())
    }

    /// The user's licenses of `product` that work now, with their policies.
    pub(super) async fn usable_licenses(
        &self,
        user_id: &UserId,
        product: &str,
    ) -> OAuthResult<Vec<(License, Arc<Policy>)>> {
        let now = self.clock.now();
        let mut usable = Vec::new();
        for license in self.store.licenses_of_holder(user_id).await? {
            let Some(policy) = self.policies.get(&license.policy) else { continue };
            if license.product == product && license.unusable(policy.expiration, now).is_none() {
                usable.push((license, policy.clone()));
            }
        }
        Ok(usable)
    }

    /// Where the seat the app asks for could go, best first, for the
    /// approval page: empty when the user holds no usable license of the
    /// app's product.
    pub async fn seat_offers(
        &self,
        caller: &Authenticated,
        client: &Client,
        seat: &SeatAsked,
    ) -> OAuthResult<Vec<SeatOffer>> {
        Ok(self.licensing.seat_offers(caller, &client.product, &seat.fingerprint).await?)
    }

    /// Writes the app's grant, and how it reaches the app. When the app
    /// asked for a seat, the seat is claimed in the same transaction,
    /// exactly as `POST /v1/activations` claims one (the same seat race, the
    /// same events and mail), so a seat is never taken for a sign-in that
    /// was not written, nor the other way round. Activating the same machine
    /// again reuses its seat; otherwise the seat goes on the license the
    /// user `chose` on the approval page, or the best one (see
    /// [`SeatOffer::pick`]). `false` when the device request was decided
    /// elsewhere or expired meanwhile: nothing was written.
    #[allow(clippy::too_many_arguments)] // each is one fact of the approval; a struct would only rename them
    pub(super) async fn write_grant(
        &self,
        caller: &Authenticated,
        client: &Client,
        grant: NewGrant,
        seat: Option<&SeatAsked>,
        chose: Option<&LicenseId>,
        via: GrantVia,
        from: &ClientInfo,
    ) -> OAuthResult<bool> {
        let Some(asked) = seat else {
            return Ok(match &via {
                GrantVia::Code(code) => {
                    self.store.create_grant(&grant, code).await?;
                    true
                }
                GrantVia::Device { user_code_hash } => {
                    let approve = DeviceDecision::Approve(&grant);
                    self.store.decide_device_request(user_code_hash, approve, grant.created_at).await?
                }
            });
        };
        let offers = self.seat_offers(caller, client, asked).await?;
        let offer = SeatOffer::pick(offers, chose).ok_or(LicenseError::NotFound)?;
        let device = crate::licensing::DeviceRequest {
            license_id: offer.license.id.clone(),
            fingerprint: asked.fingerprint.clone(),
            name: asked.name.clone(),
            platform: asked.platform.clone(),
        };
        let app = AppGrant { grant, asked: asked.clone(), via };
        Ok(self.licensing.activate_for_app(caller, device, app, from).await?.is_some())
    }
}
