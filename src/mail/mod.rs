//! Mail: the words (`templates`), the way out (`transport`) and the worker
//! that drains the outbox (`outbox`). Mail is queued in the database with
//! the fact that causes it, so a crash or an SMTP outage delays it but
//! loses none.

pub mod outbox;
pub mod templates;
pub mod transport;

pub use outbox::{Mailer, MailerConfig};
