//! What Latchkey signs: the key store behind the JWKS, offline license
//! certificates, detached signatures over API answers, and the tokens
//! help desks, chat widgets and back ends trust.

pub mod certificate;
mod error;
pub mod formats;
pub mod keys;
mod service;

pub use error::{NotSettable, TokenError, TokenResult};
pub use keys::{KeyError, KeyLine, MAX_PUBLISHED, ROTATIONS_PER_HOUR, SigningKeys, SigningKeysConfig};
pub use service::{
    Introspection, MAX_LICENSES_IN_TOKEN, Minted, Revoker, Tokens, TokensConfig, check_secret_file,
    check_secret_length, read_secret_file,
};
