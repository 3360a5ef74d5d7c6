//! Second factors: enrolling them, finishing a sign-in with one, stepping up
//! a session, and checking a session against what a policy requires.
//!
//! - `totp`: authenticator apps (enroll, confirm, remove, verify a code).
//! - `recovery`: the ten single-use codes that stand in for any factor.
//! - `passkeys`: WebAuthn registration and assertions, ceremony state in the store.
//! - `sign_in`: the second step of a password sign-in, and passwordless sign-in.
//! - `step_up`: re-authenticating a session, and the checks sensitive actions make.

mod error;
mod passkeys;
mod recovery;
mod service;
mod sign_in;
mod step_up;
mod totp;

pub use error::{FactorError, FactorResult, Refusal};
pub use passkeys::{PasskeyOptions, RegistrationOptions};
pub use service::{Factors, FactorsConfig};
pub use step_up::Proof;
pub use totp::TotpEnrollment;
