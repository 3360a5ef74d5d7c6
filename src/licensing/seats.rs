//! Licenses in users' hands: redeeming a code, the devices that hold
//! seats, and the leases of floating seats.

use serde_json::json;

use super::{LicenseError, LicenseResult, Licensing};
use crate::domain::account::{Authenticated, User};
use crate::domain::codes::{ActivationCode, Fingerprint, LicenseKey};
use crate::domain::event::{ClientInfo, EventKind, NewEvent};
use crate::domain::factors::Shortfall;
use crate::domain::ids::{ActivationId, LicenseId};
use crate::domain::license::{Activation, Actor, License};
use crate::domain::lockout::seconds_until;
use crate::domain::policy::Binding;
use crate::domain::reason::Rule;
use crate::store::{AppGrant, Deactivation, LicenseWithSeats, Redemption, SeatClaim, SeatRequest};
use crate::tokens::certificate;

/// A device asking for a seat.
#[derive(Debug, Clone)]
pub struct DeviceRequest {
    /// The license, which the caller must hold.
    pub license_id: LicenseId,
    /// The device's fingerprint as the product computes it.
    pub fingerprint: String,
    /// A name for the device.
    pub name: Option<String>,
    /// The platform the product reports.
    pub platform: Option<String>,
}

/// A device holding a seat, with its offline certificate.
#[derive(Debug, Clone)]
pub struct Granted {
    /// The license.
    pub license: License,
    /// The device's activation.
    pub activation: Activation,
    /// The offline certificate: a JWT (`typ: license+jwt`) verifiable with the JWKS.
    pub certificate: String,
    /// A seat was taken now (not a device already activated).
    pub new: bool,
    /// This device took the license's only held seat: the license went into use.
    pub first_seat: bool,
}

/// Where a seat for a machine would go, for a page asking the user to
/// approve it: the license, and how many of its seats are taken.
#[derive(Debug, Clone)]
pub struct SeatOffer {
    /// The license the seat would be on.
    pub license: License,
    /// The devices holding its seats now.
    pub devices: Vec<Activation>,
    /// The machine holds one of them already.
    pub this_device: bool,
    /// The last characters of the license key, to tell two licenses of
    /// the same policy apart (the key is what the user has on file).
    pub key_ending: String,
}

impl SeatOffer {
    /// Every seat is taken by other machines.
    pub fn full(&self) -> bool {
        !self.this_device && self.devices.len() >= usize::try_from(self.license.max_activations).unwrap_or(usize::MAX)
    }

    /// The seat a grant takes among `offers` (best first, as
    /// [`Licensing::seat_offers`] gives them): the one this machine holds
    /// already, whatever was chosen (one machine, one seat); else the
    /// license the user chose; else the best. A choice that is not among
    /// the offers (not the user's, not usable, another product) finds
    /// nothing rather than falling back, so a tampered form takes no seat.
    pub fn pick(offers: Vec<SeatOffer>, chosen: Option<&LicenseId>) -> Option<SeatOffer> {
        let mut offers = offers.into_iter().peekable();
        if offers.peek().is_some_and(|best| best.this_device) {
            return offers.next();
        }
        match chosen {
            Some(id) => offers.find(|offer| &offer.license.id == id),
            None => offers.next(),
        }
    }
}

/// A seat just claimed, before its certificate is signed.
struct Seat {
    license: License,
    policy: std::sync::Arc<crate::domain::policy::Policy>,
    activation: Activation,
    eula_version: Option<String>,
    new: bool,
    first_seat: bool,
    at: time::OffsetDateTime,
}

/// A license on the caller's account, with its key and live devices.
#[derive(Clone)]
pub struct OwnedLicense {
    /// The license.
    pub license: License,
    /// Its key in clear: its holders may see it again.
    pub key: String,
    /// Its activations that are not deactivated.
    pub activations: Vec<Activation>,
    /// When this was read, by the service's clock: what expiry and leases
    /// are compared with.
    pub checked_at: time::OffsetDateTime,
}

impl std::fmt::Debug for OwnedLicense {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnedLicense")
            .field("license", &self.license)
            .field("activations", &self.activations)
            .finish_non_exhaustive()
    }
}

/// What a timeline records about a refusal: its code and the facts a
/// support agent needs to explain it (which field, which factor, which EULA).
fn failure_detail(error: &LicenseError) -> serde_json::Map<String, serde_json::Value> {
    use crate::eula::EulaError;
    use crate::factors::FactorError;
    let mut detail = serde_json::Map::new();
    detail.insert("code".into(), json!(error.code().as_str()));
    match error {
        LicenseError::Invalid(invalid) => {
            detail.insert("field".into(), json!(invalid.field));
        }
        LicenseError::Factor(FactorError::Shortfall(
            Shortfall::EnrollmentRequired(factor) | Shortfall::StrongerSignInRequired(factor),
        )) => {
            detail.insert("factor".into(), json!(factor.as_str()));
        }
        LicenseError::Eula(EulaError::AcceptanceRequired { product, version }) => {
            detail.insert("product".into(), json!(product));
            detail.insert("eula_version".into(), json!(version));
        }
        _ => {}
    }
    detail
}

fn bounded(field: &'static str, value: Option<String>, max_chars: usize) -> LicenseResult<Option<String>> {
    match value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > max_chars || v.chars().any(char::is_control) => {
            Err(LicenseError::invalid(field, Rule::Text { max_chars }))
        }
        other => Ok(other),
    }
}

impl Licensing {
    /// Redeems a typed code onto the caller's account. A typo is refused
    /// before any lookup; a session weaker than the license's policy asks
    /// for is refused before the code is spent. Success and failure alike
    /// go on the user's timeline.
    #[tracing::instrument(skip_all)]
    pub async fn redeem(
        &self,
        caller: &Authenticated,
        typed_code: &str,
        client: &ClientInfo,
    ) -> LicenseResult<OwnedLicense> {
        let result = self.redeem_code(caller, typed_code).await;
        let (kind, detail) = match &result {
            Ok(license) => {
                self.metrics.code_redeemed(&license.product);
                (EventKind::CodeRedeemed, json!({"license_id": license.id, "product": license.product}))
            }
            Err(error) => (EventKind::RedeemFailed, failure_detail(error).into()),
        };
        self.record(&caller.user.id, kind, detail, client).await;
        let license = result?;
        let activations = self.store.activations_of_license(&license.id).await?;
        let activations = activations.into_iter().filter(|a| a.deactivated_at.is_none()).collect();
        Ok(OwnedLicense { key: self.reveal_key(&license)?, license, activations, checked_at: self.clock.now() })
    }

    async fn redeem_code(&self, caller: &Authenticated, typed_code: &str) -> LicenseResult<License> {
        let user = &caller.user;
        if self.require_verified_email && !user.email_verified() {
            return Err(LicenseError::EmailUnverified);
        }
        let code = ActivationCode::parse(typed_code)
            .map_err(|e| LicenseError::invalid("activation_code", Rule::ActivationCode(e)))?;
        let license = self.store.license_by_code_hash(&code.hash()).await?;
        // A code reserved for another address looks unknown, before any other answer.
        let Some(license) = license.filter(|l| l.owner_email.as_ref().is_none_or(|owner| owner == &user.email)) else {
            return Err(LicenseError::NotFound);
        };
        // Anyone can sign up with any address: a code bound to one goes
        // only to an account that proved it receives mail there.
        if license.owner_email.is_some() && !user.email_verified() {
            return Err(LicenseError::EmailUnverified);
        }
        self.require_entry(caller, self.policy_of(&license)?).await?;
        match self.store.redeem(&code.hash(), &user.id, &user.email, self.clock.now()).await? {
            Redemption::Redeemed(license) | Redemption::AlreadyHolder(license) => Ok(license),
            // An address-bound code looks unknown to everyone else.
            Redemption::UnknownCode | Redemption::ReservedForSomeoneElse => Err(LicenseError::NotFound),
            Redemption::UsedUp => Err(LicenseError::CodeUsedUp),
        }
    }

    /// The licenses on the caller's account, with their keys and live
    /// activations: two reads, however many licenses.
    #[tracing::instrument(skip_all)]
    pub async fn owned(&self, caller: &Authenticated) -> LicenseResult<Vec<OwnedLicense>> {
        let checked_at = self.clock.now();
        self.store
            .held_licenses(&caller.user.id)
            .await?
            .into_iter()
            .map(|LicenseWithSeats { license, activations }| {
                Ok(OwnedLicense { key: self.reveal_key(&license)?, license, activations, checked_at })
            })
            .collect()
    }

    /// Where a seat for the machine with `fingerprint` could go among the
    /// caller's usable licenses of `product`, best first: the license this
    /// machine holds a seat on already, then those with a seat free, then
    /// the full ones (each group newest license first).
    /// Empty when the caller holds no usable license of it.
    #[tracing::instrument(skip_all)]
    pub async fn seat_offers(
        &self,
        caller: &Authenticated,
        product: &str,
        fingerprint: &str,
    ) -> LicenseResult<Vec<SeatOffer>> {
        let fingerprint =
            Fingerprint::parse(fingerprint).map_err(|e| LicenseError::invalid("fingerprint", Rule::Fingerprint(e)))?;
        let hash = fingerprint.hash();
        let now = self.clock.now();
        let mut offers = Vec::new();
        for LicenseWithSeats { license, activations } in self.store.held_licenses(&caller.user.id).await? {
            let usable =
                self.policy_of(&license).is_ok_and(|policy| license.unusable(policy.expiration, now).is_none());
            if license.product != product || !usable {
                continue;
            }
            let devices: Vec<Activation> = activations.into_iter().filter(|a| a.holds_seat(now)).collect();
            let this_device = devices.iter().any(|a| a.fingerprint_hash == hash);
            let key = self.reveal_key(&license)?;
            // Keys are ASCII (see `LicenseKey`), so any byte is a boundary.
            let key_ending = key.get(key.len().saturating_sub(4)..).unwrap_or_default().to_owned();
            offers.push(SeatOffer { license, devices, this_device, key_ending });
        }
        offers.sort_by_key(|offer| (!offer.this_device, offer.full()));
        Ok(offers)
    }

    /// A fresh certificate for a seat the user's app holds, renewing a
    /// floating seat's lease: what an app's refresh brings without a
    /// session. The product's EULA must still stand accepted when its
    /// policy asks for one.
    #[tracing::instrument(skip_all)]
    pub async fn refresh_seat(&self, user: &User, activation_id: &ActivationId) -> LicenseResult<Granted> {
        let (license, activation) = self.own_activation(user, activation_id).await?;
        let policy = self.policy_of(&license)?.clone();
        let now = self.clock.now();
        if let Some(unusable) = license.unusable(policy.expiration, now) {
            return Err(unusable.into());
        }
        let eula =
            if policy.eula_required { self.eulas.require_accepted(&user.id, &license.product).await? } else { None };
        let activation = self.extend_lease(&license, activation).await?;
        let mut claims = certificate::claims(&self.issuer, &license, &activation, &policy, now);
        claims.eula = eula;
        let certificate = self.keys.sign_jwt(certificate::TYP, &claims).await?;
        Ok(Granted { license, activation, certificate, new: false, first_seat: false })
    }

    /// A license the user holds; anyone else's is simply not found.
    async fn held_license(&self, user: &User, license_id: &LicenseId) -> LicenseResult<License> {
        let license = self.store.license(license_id).await?.ok_or(LicenseError::NotFound)?;
        if !self.store.is_holder(license_id, &user.id).await? {
            return Err(LicenseError::NotFound);
        }
        Ok(license)
    }

    /// Claims a seat for a device and signs its offline certificate. The
    /// same device twice gets its existing activation (and a new lease, for
    /// a floating seat). A refusal goes on the user's timeline; a new seat's
    /// event (and its mail) is written with the seat.
    #[tracing::instrument(skip_all)]
    pub async fn activate(
        &self,
        caller: &Authenticated,
        device: DeviceRequest,
        client: &ClientInfo,
    ) -> LicenseResult<Granted> {
        // Only an app's claim can find its request gone; without one, every
        // claim ends in a seat or an error.
        let seat = self.claim_recorded(caller, device, None, client).await?.ok_or(LicenseError::NotFound)?;
        // The seat is taken whatever happens next: a certificate that cannot
        // be signed now is signed when the device asks again.
        let mut claims = certificate::claims(&self.issuer, &seat.license, &seat.activation, &seat.policy, seat.at);
        claims.eula = seat.eula_version;
        let certificate = self.keys.sign_jwt(certificate::TYP, &claims).await?;
        Ok(Granted {
            license: seat.license,
            activation: seat.activation,
            certificate,
            new: seat.new,
            first_seat: seat.first_seat,
        })
    }

    /// Claims a seat for an app's machine exactly as `activate` does, and
    /// writes the app's grant in the same transaction: the seat and the
    /// sign-in stand together or not at all. `None` when the app's device
    /// request was decided elsewhere or expired meanwhile (no seat taken).
    /// No certificate is signed here: the token response signs a fresh one.
    #[tracing::instrument(skip_all)]
    pub async fn activate_for_app(
        &self,
        caller: &Authenticated,
        device: DeviceRequest,
        app: AppGrant,
        client: &ClientInfo,
    ) -> LicenseResult<Option<Activation>> {
        Ok(self.claim_recorded(caller, device, Some(app), client).await?.map(|seat| seat.activation))
    }

    /// A claim, with a refusal put on the user's timeline and a first seat counted.
    async fn claim_recorded(
        &self,
        caller: &Authenticated,
        device: DeviceRequest,
        app: Option<AppGrant>,
        client: &ClientInfo,
    ) -> LicenseResult<Option<Seat>> {
        let license_id = device.license_id.clone();
        let seat = match self.claim_device(caller, device, app, client).await {
            Ok(Some(seat)) => seat,
            Ok(None) => return Ok(None),
            Err(error) => {
                let mut detail = failure_detail(&error);
                detail.insert("license_id".into(), json!(license_id));
                self.record(&caller.user.id, EventKind::ActivationFailed, detail.into(), client).await;
                return Err(error);
            }
        };
        if seat.first_seat {
            self.metrics.first_activation(&seat.license.product);
        }
        Ok(Some(seat))
    }

    async fn claim_device(
        &self,
        caller: &Authenticated,
        device: DeviceRequest,
        app: Option<AppGrant>,
        client: &ClientInfo,
    ) -> LicenseResult<Option<Seat>> {
        let DeviceRequest { license_id, fingerprint, name, platform } = device;
        let user = &caller.user;
        let fingerprint =
            Fingerprint::parse(&fingerprint).map_err(|e| LicenseError::invalid("fingerprint", Rule::Fingerprint(e)))?;
        let name = bounded("name", name, 200)?;
        let platform = bounded("platform", platform, 100)?;
        let license = self.held_license(user, &license_id).await?;
        let policy = self.policy_of(&license)?.clone();
        let eula_version = self.require_entry(caller, &policy).await?;
        let now = self.clock.now();
        if let Some(unusable) = license.unusable(policy.expiration, now) {
            return Err(unusable.into());
        }
        let lease = match policy.binding {
            Binding::Floating { lease } => Some(lease),
            Binding::NodeLocked => None,
        };
        let activation_id = ActivationId::new();
        let detail =
            json!({"license_id": license.id, "activation_id": activation_id, "name": name, "platform": platform});
        let activated = NewEvent::new(&user.id, EventKind::DeviceActivated, detail, client, now);
        let claim = self
            .store
            .claim_seat(&SeatRequest {
                activated,
                activation_id,
                license_id: license.id.clone(),
                user_id: user.id.clone(),
                fingerprint_hash: fingerprint.hash(),
                name,
                platform,
                lease,
                max_activations: license.max_activations,
                now,
                app,
            })
            .await?;
        let (activation, new, first_seat) = match claim {
            SeatClaim::New { activation, first_seat } => (activation, true, first_seat),
            SeatClaim::Existing(activation) => (activation, false, false),
            SeatClaim::LimitReached => return Err(LicenseError::SeatLimitReached),
            SeatClaim::AppRequestGone => return Ok(None),
        };
        Ok(Some(Seat { license, policy, activation, eula_version, new, first_seat, at: now }))
    }

    /// The user's activation on a license they hold.
    async fn own_activation(&self, user: &User, activation_id: &ActivationId) -> LicenseResult<(License, Activation)> {
        let activation = self.store.activation(activation_id).await?.ok_or(LicenseError::NotFound)?;
        let license = self.held_license(user, &activation.license_id).await?;
        Ok((license, activation))
    }

    /// Frees the device's seat; some policies ask for a recent step-up first,
    /// so a stolen session cannot move seats to the thief's machines.
    #[tracing::instrument(skip_all)]
    pub async fn deactivate(
        &self,
        caller: &Authenticated,
        activation_id: &ActivationId,
        client: &ClientInfo,
    ) -> LicenseResult<()> {
        let user = &caller.user;
        let (license, activation) = self.own_activation(user, activation_id).await?;
        if self.policy_of(&license)?.deactivation_requires_step_up {
            self.factors.require_recent_authentication(caller)?;
        }
        let policy = self.policy_of(&license)?;
        let (actor, now) = (Actor::User(user.id.clone()), self.clock.now());
        match policy.transfers_per_30d {
            None => {
                if !self.store.deactivate(&activation.id, &actor, now).await? {
                    return Err(LicenseError::NotFound);
                }
            }
            Some(per_30_days) => match self.store.deactivate_within(&activation.id, &actor, per_30_days, now).await? {
                Deactivation::Done => {}
                Deactivation::Gone => return Err(LicenseError::NotFound),
                Deactivation::LimitReached { until } => {
                    return Err(LicenseError::TransferLimitReached { retry_after_secs: seconds_until(until, now) });
                }
            },
        }
        let detail = json!({"license_id": license.id, "activation_id": activation.id});
        self.record(&user.id, EventKind::DeviceDeactivated, detail, client).await;
        Ok(())
    }

    /// The activation a mailed removal link names, when the link is ours
    /// and unexpired; a forged, damaged or old link is refused alike.
    fn linked_activation(&self, activation: &str, expires: i64, signature: &str) -> LicenseResult<ActivationId> {
        let expected = crate::secrets::device_removal_signature(&self.master_key, activation, expires);
        let genuine =
            aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), signature.as_bytes()).is_ok();
        ActivationId::parse(activation)
            .filter(|_| genuine && expires > self.clock.now().unix_timestamp())
            .ok_or_else(|| LicenseError::invalid("link", Rule::RemovalLinkExpired))
    }

    /// The device a mailed removal link would remove, changing nothing: the
    /// page the link opens names it before anyone presses the button. Only
    /// a genuine link shows it, so the link cannot be used to look devices up.
    pub async fn device_by_link(&self, activation: &str, expires: i64, signature: &str) -> LicenseResult<Activation> {
        let activation_id = self.linked_activation(activation, expires, signature)?;
        self.store.activation(&activation_id).await?.ok_or(LicenseError::NotFound)
    }

    /// The one-click link from a "new device" mail: frees the seat without
    /// signing in, because whoever reads the account's mail may say "not me".
    /// The link is a keyed hash of the activation and its end, so it cannot
    /// be made up, stops working when it expires, and does nothing twice.
    #[tracing::instrument(skip_all)]
    pub async fn remove_device_by_link(
        &self,
        activation: &str,
        expires: i64,
        signature: &str,
        client: &ClientInfo,
    ) -> LicenseResult<()> {
        let activation_id = self.linked_activation(activation, expires, signature)?;
        let now = self.clock.now();
        let activation = self.store.activation(&activation_id).await?.ok_or(LicenseError::NotFound)?;
        if activation.deactivated_at.is_some() {
            return Ok(());
        }
        if self.store.deactivate(&activation.id, &Actor::MailedLink, now).await?
            && let Some(user_id) = &activation.user_id
        {
            let detail =
                json!({"license_id": activation.license_id, "activation_id": activation.id, "via": "mailed_link"});
            self.record(user_id, EventKind::DeviceDeactivated, detail, client).await;
        }
        Ok(())
    }

    /// Extends a floating lease. A lapsed lease cannot be revived this way:
    /// the device must activate again, which checks the seat limit.
    #[tracing::instrument(skip_all)]
    pub async fn heartbeat(&self, caller: &Authenticated, activation_id: &ActivationId) -> LicenseResult<Activation> {
        let (license, activation) = self.own_activation(&caller.user, activation_id).await?;
        self.extend_lease(&license, activation).await
    }

    /// The same for product software that holds only the license key: the
    /// activation must belong to that key's license.
    #[tracing::instrument(skip_all)]
    pub async fn heartbeat_by_key(&self, key: &str, activation_id: &ActivationId) -> LicenseResult<Activation> {
        let key = LicenseKey::parse(key).ok_or(LicenseError::NotFound)?;
        let license = self.store.license_by_key_hash(&key.hash()).await?.ok_or(LicenseError::NotFound)?;
        let activation = self.store.activation(activation_id).await?.ok_or(LicenseError::NotFound)?;
        if activation.license_id != license.id {
            return Err(LicenseError::NotFound);
        }
        self.extend_lease(&license, activation).await
    }

    async fn extend_lease(&self, license: &License, activation: Activation) -> LicenseResult<Activation> {
        if activation.deactivated_at.is_some() {
            return Err(LicenseError::NotFound);
        }
        match self.policy_of(license)?.binding {
            Binding::NodeLocked => Ok(activation),
            Binding::Floating { lease } => match self.store.heartbeat(&activation.id, lease, self.clock.now()).await? {
                Some(extended) => Ok(extended),
                // The device was freed between our read and the update (a
                // user on the devices page, say): it is gone, not lapsed.
                // "Lapsed" would send the app to activate again and take
                // back the seat the user just freed.
                None => match self.store.activation(&activation.id).await? {
                    Some(now) if now.deactivated_at.is_none() => Err(LicenseError::LeaseLapsed),
                    _ => Err(LicenseError::NotFound),
                },
            },
        }
    }
}
