//! EULAs as evidence: immutable published versions, an append-only ledger
//! of decisions, its verification and export, and the gate that keeps a
//! product's features closed until its current material version is accepted.

mod error;
mod service;

pub use error::{EulaError, EulaResult};
pub use service::{DEFAULT_LOCALE, DecisionRequest, Eulas, EulasConfig, MAX_BODY_BYTES, Publication, Verification};
