//! Pure rules: no I/O, no clock reads (callers pass `now`), nothing of ours
//! imported. Everything here is testable with plain values.

pub mod email;
pub mod lockout;
pub mod password;
pub mod session;

pub use email::Email;
pub use password::NewPassword;
