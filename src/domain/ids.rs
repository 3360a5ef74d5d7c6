//! Identifiers. Every entity has its own id type, so a user id cannot be
//! passed where a license id is expected; all are UUIDv7 text, which sorts
//! by creation time and is the same in both databases.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A new random id for rows that no other code refers to by type
/// (events, outbox messages, ledger records); UUIDv7 so ids sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new, unique id.
            #[allow(clippy::new_without_default)] // a default id would be a random one: say so at the call site
            pub fn new() -> Self {
                Self(new_id())
            }

            /// An id a caller sent (a path segment, a body field): only a
            /// UUID parses, in its canonical lower-case form, so anything
            /// else (including bytes a database refuses) is simply unknown.
            pub fn parse(text: &str) -> Option<Self> {
                uuid::Uuid::parse_str(text).ok().map(|id| Self(id.hyphenated().to_string()))
            }

            /// An id read back from the database, which only ever stored ids we made.
            pub fn from_stored(text: String) -> Self {
                Self(text)
            }

            /// The id as stored and sent.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }
    };
}

id_type!(
    /// An end user's account.
    UserId
);
id_type!(
    /// A signed-in session.
    SessionId
);
id_type!(
    /// A license.
    LicenseId
);
id_type!(
    /// A device's activation (its seat) on a license.
    ActivationId
);
id_type!(
    /// An admin or support API key.
    ApiKeyId
);
id_type!(
    /// A registered passkey.
    PasskeyId
);
id_type!(
    /// A user event on the timeline.
    EventId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_uuids_parse_and_come_out_canonical() {
        let id = UserId::new();
        assert_eq!(UserId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(UserId::parse(&id.as_str().to_uppercase()), Some(id.clone()));
        assert_eq!(UserId::parse("1"), None);
        assert_eq!(UserId::parse("\0"), None);
        assert!(format!("{id:?}").starts_with("UserId("));
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{id}\""));
    }
}
