//! Licenses: policies, issuance and the admin's changes, redemption and
//! seats, and the one-call validation product software makes.
//!
//! - `service`: the `Licensing` service, issuance and admin operations.
//! - `seats`: redeeming codes, activating and freeing devices, leases.
//! - `validation`: what a license key (on a device) is worth right now.
//! - `policies`: loading the policy folder.

mod error;
mod funnel;
pub mod policies;
mod seats;
mod service;
mod validation;

pub use error::{LicenseError, LicenseResult};
pub use funnel::CodePreview;
pub use seats::{DeviceRequest, Granted, OwnedLicense, SeatOffer};
pub use service::{
    IssueRequest, Issued, IssuedLicense, LicenseDetail, Licensing, LicensingConfig, MAX_ISSUE_COUNT, Revocations,
};
pub use validation::Validation;
