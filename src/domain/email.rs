//! Email addresses as account identifiers.

use std::fmt;

/// A syntactically plausible email, normalised: trimmed, domain case-folded.
/// The local part keeps its case because RFC 5321 lets servers treat it as
/// significant; the domain never is.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// Why an email address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Nothing, or only whitespace, was given.
    #[error("is empty")]
    Empty,
    /// Longer than the 254 characters an address may have.
    #[error("is longer than 254 characters")]
    TooLong,
    /// Not shaped like `name@domain`, or either part has characters it may not.
    #[error("is not an email address (expected name@example.com)")]
    Malformed,
}

impl Email {
    /// Checks and normalises an address as typed, surrounding whitespace allowed.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or(EmailError::Malformed)?;
        let domain_ok = !domain.is_empty()
            && domain.len() <= 253
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && local.chars().all(|c| !c.is_whitespace() && !c.is_control());
        if !domain_ok || !local_ok {
            return Err(EmailError::Malformed);
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalises_domain_but_not_local_part() {
        assert_eq!(Email::parse("  Ada.L@Example.COM \n").unwrap().as_str(), "Ada.L@example.com");
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in
            ["", "   ", "ada", "@example.com", "ada@", "ada@exa mple.com", "a b@example.com", "ada@.com", "ada@x..com"]
        {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent(local in "[a-zA-Z0-9._+-]{1,20}", domain in "[a-zA-Z0-9-]{1,20}\\.[a-zA-Z]{2,6}") {
            let once = Email::parse(&format!("{local}@{domain}")).unwrap();
            let twice = Email::parse(once.as_str()).unwrap();
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn never_panics(input in ".{0,300}") {
            let _ = Email::parse(&input);
        }
    }
}
