//! Licenses: policies, issuance, redemption, activation and validation.

pub mod policies;
