//! Pure rules: no I/O, no clock reads (callers pass `now`), nothing of ours
//! imported. Everything here is testable with plain values.

pub mod codes;
pub mod email;
pub mod eula;
pub mod factors;
pub mod integration;
pub mod lockout;
pub mod mail;
pub mod password;
pub mod policy;
pub mod session;
pub mod totp;
pub mod validation;

pub use email::Email;
pub use password::NewPassword;
