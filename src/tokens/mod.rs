//! What Latchkey signs: the key store behind the JWKS, offline license
//! certificates, and detached signatures over API answers.

pub mod certificate;
pub mod keys;

pub use keys::SigningKeys;
