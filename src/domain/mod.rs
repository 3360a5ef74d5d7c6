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
