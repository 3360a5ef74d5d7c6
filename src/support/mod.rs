//! Verifying a caller for a support agent: the user reads out a short-lived
//! PIN they made while signed in (or their widget's token is checked), and
//! the agent sees who they are, their factors, licenses, EULA standing and
//! recent events; and the timeline that answers "why can't I activate?".

mod error;
mod service;

pub use error::{SupportError, SupportResult};
pub use service::{CallerFacts, IssuedPin, PIN_LIFETIME, Support, SupportConfig};
