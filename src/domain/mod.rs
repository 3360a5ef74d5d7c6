//! Pure rules and the entities they are about: no I/O, no clock reads
//! (callers pass `now`), nothing of ours imported from outside `domain`.
//! Everything here is testable with plain values.

pub mod account;
pub mod client;
pub mod codes;
pub mod email;
pub mod eula;
pub mod event;
pub mod factors;
pub mod ids;
pub mod integration;
pub mod license;
pub mod lockout;
pub mod mail;
pub mod oauth;
pub mod password;
pub mod policy;
pub mod reason;
pub mod session;
pub mod totp;
pub mod validation;

pub use email::Email;
pub use password::NewPassword;

/// Whether `url` names this machine: `localhost`, a name under it, or a
/// loopback address. Plain http is accepted only for such a host.
pub fn is_this_machine(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost" || name.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
