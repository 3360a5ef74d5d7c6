//! Counting guessable checks before they are made (see `domain::lockout`),
//! and the device tokens that let an owner past a lock strangers caused.

use std::net::{IpAddr, Ipv6Addr};

use super::{AccountError, AccountResult, Accounts};
use crate::domain::account::Authenticated;
use crate::domain::event::ClientInfo;
use crate::domain::ids::UserId;
use crate::domain::lockout::{AttemptKey, AttemptKind, KNOWN_DEVICE_LIFETIME, KNOWN_DEVICES_KEPT, seconds_until};
use crate::secrets::{IssuedToken, TokenKind, hash_token, issue_token};
use crate::store::{AttemptReservation, ReservedAttempt};

/// Whose failures a sign-in's failures are: the device's own when it brought
/// a token of the account's, else the address's and the client's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Judged {
    /// A device the account signed in on before, by its token's hash.
    KnownDevice(String),
    /// Anyone else.
    Stranger {
        /// The normalised address tried.
        email: String,
        /// The client address, when known.
        ip: Option<String>,
    },
}

impl Judged {
    /// A sign-in without a known device, for `email` from `client`.
    pub(crate) fn stranger(email: &str, client: &ClientInfo) -> Self {
        Self::Stranger { email: email.to_owned(), ip: client.ip.map(client_counter_subject) }
    }

    /// The counters an attempt is reserved under.
    pub(crate) fn counters(&self) -> Vec<AttemptKey> {
        match self {
            Self::KnownDevice(hash) => vec![AttemptKey::new(AttemptKind::Device, hash.as_str())],
            Self::Stranger { email, ip } => {
                let mut keys = vec![AttemptKey::new(AttemptKind::Password, email.as_str())];
                keys.extend(ip.as_deref().map(|ip| AttemptKey::new(AttemptKind::Client, ip)));
                keys
            }
        }
    }

    /// The counter a success clears. Never the client's: an attacker with
    /// one account of their own must not wipe their address's failures by
    /// signing into it between guesses.
    pub(crate) fn owner_counter(&self) -> AttemptKey {
        match self {
            Self::KnownDevice(hash) => AttemptKey::new(AttemptKind::Device, hash.as_str()),
            Self::Stranger { email, .. } => AttemptKey::new(AttemptKind::Password, email.as_str()),
        }
    }

    /// The device's token hash, when known.
    pub(crate) fn device_hash(&self) -> Option<&str> {
        match self {
            Self::KnownDevice(hash) => Some(hash),
            Self::Stranger { .. } => None,
        }
    }
}

/// The counter a signed-in session's step-ups go to: a stolen session can
/// guess only slowly, and cannot lock the owner's sign-in.
pub(crate) fn step_up_counter(caller: &Authenticated) -> AttemptKey {
    AttemptKey::new(AttemptKind::Session, caller.session.id.as_str())
}

/// What a client address's failures count against: the address itself, or
/// for IPv6 its /64, since one subscriber is handed a whole /64 to roam in.
pub(crate) fn client_counter_subject(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let network = u128::from(v6) & !((1_u128 << 64) - 1);
                format!("{}/64", Ipv6Addr::from(network))
            }
        },
    }
}

impl Accounts {
    /// How a sign-in for `email` by `user_id` (when the address is an
    /// account's) is judged, given the device token it brought.
    pub(crate) async fn judge(
        &self,
        email: &str,
        user_id: Option<&UserId>,
        device_token: Option<&str>,
        client: &ClientInfo,
    ) -> AccountResult<Judged> {
        if let (Some(user_id), Some(token)) = (user_id, device_token)
            && token.starts_with(TokenKind::Device.prefix())
        {
            let hash = hash_token(token);
            if self.store.known_device(&hash, self.now()).await?.as_ref() == Some(user_id) {
                return Ok(Judged::KnownDevice(hash));
            }
        }
        Ok(Judged::stranger(email, client))
    }

    /// Counts a guessable check under `counters` before it is made; refuses
    /// while one of them holds attempts back.
    pub(crate) async fn reserve(&self, counters: &[AttemptKey]) -> AccountResult<ReservedAttempt> {
        let now = self.now();
        match self.store.reserve_attempts(counters, now).await? {
            AttemptReservation::Reserved(reserved) => Ok(reserved),
            // Whether an account exists has no bearing on either answer.
            AttemptReservation::Locked { until, by: AttemptKind::Client } => {
                Err(AccountError::RateLimited { retry_after_secs: seconds_until(until, now) })
            }
            AttemptReservation::Locked { until, .. } => {
                Err(AccountError::AccountLocked { retry_after_secs: seconds_until(until, now) })
            }
        }
    }

    /// After a right answer: the client's provisional failure is taken back,
    /// so people sharing an address are not slowed by each other's
    /// successes. The owner's counter keeps it until the sign-in completes
    /// (see `forget_failures`). Best effort, like that.
    pub(crate) async fn answered_right(&self, reserved: &ReservedAttempt) {
        if let Err(error) = self.store.forget_attempts(&reserved.ids_of(AttemptKind::Client)).await {
            tracing::warn!(%error, "could not take back a provisional failure");
        }
    }

    /// After a success: forget the owner's failures. Best effort: the
    /// session exists already and must not be hidden by a failed tidy-up.
    pub(crate) async fn forget_failures(&self, counter: &AttemptKey) {
        if let Err(error) = self.store.clear_attempts(counter).await {
            tracing::warn!(%error, "could not clear failed attempts");
        }
    }

    /// A device token for a device that signed in without a known one; none
    /// when it brought one (it keeps that).
    pub(crate) async fn welcome_device(&self, user_id: &UserId, judged: &Judged) -> AccountResult<Option<IssuedToken>> {
        if judged.device_hash().is_some() {
            return Ok(None);
        }
        self.issue_device_token(user_id).await.map(Some)
    }

    /// A new device token for the user, remembered.
    pub(crate) async fn issue_device_token(&self, user_id: &UserId) -> AccountResult<IssuedToken> {
        let now = self.now();
        let token = issue_token(TokenKind::Device);
        self.store.remember_device(user_id, &token.hash, now, now + KNOWN_DEVICE_LIFETIME, KNOWN_DEVICES_KEPT).await?;
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let a = client_counter_subject("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = client_counter_subject("2001:db8:1:2:bbbb::9".parse().unwrap());
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(a, b);
        assert_ne!(a, client_counter_subject("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(client_counter_subject("::ffff:192.0.2.7".parse().unwrap()), "192.0.2.7");
        assert_eq!(client_counter_subject("192.0.2.7".parse().unwrap()), "192.0.2.7");
    }
}
