//! What Latchkey signs: the key store behind the JWKS, offline license
//! certificates, detached signatures over API answers, and the tokens
//! help desks, chat widgets and back ends trust.

pub mod certificate;
pub mod formats;
pub mod keys;
pub mod service;

pub use keys::SigningKeys;
pub use service::{Tokens, TokensConfig};
