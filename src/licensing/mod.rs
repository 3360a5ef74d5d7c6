//! Licenses: policies, issuance, redemption, activation and validation.

pub mod policies;
pub mod service;

pub use service::Licensing;
