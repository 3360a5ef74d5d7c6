//! Accounts: signing up, signing in with a password, sessions, changing the
//! password or address, and the links we mail (verification, reset).
//! Knows nothing of HTTP; the adapters call it.

mod attempts;
mod email;
mod error;
mod password;
mod service;

pub(crate) use attempts::{Judged, client_counter_subject, step_up_counter};
pub use email::{EmailFlows, EmailFlowsConfig};
pub use error::{AccountError, AccountResult, CodeRefusal};
pub use password::{PasswordHasher, PasswordPool};
pub use service::{Accounts, AccountsConfig, PendingChallenge, SignInOutcome, SignedIn, reveal};
