//! What a password must be before anything hashes it.

use secrecy::{ExposeSecret, SecretString};

/// Shortest acceptable new password, in characters.
pub const MIN_CHARS: usize = 10;
/// Longest password accepted anywhere, in bytes: bounds the hashing work an
/// attacker can ask for.
pub const MAX_BYTES: usize = 1024;

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than [`MIN_CHARS`] characters.
    #[error("must be at least {MIN_CHARS} characters")]
    TooShort,
    /// More than [`MAX_BYTES`] bytes.
    #[error("must be at most {MAX_BYTES} bytes")]
    TooLong,
}

/// A password that meets the rules for a new password.
pub struct NewPassword(SecretString);

impl NewPassword {
    /// Accepts a candidate for a new password if it meets the length rules.
    pub fn parse(candidate: SecretString) -> Result<Self, PasswordError> {
        let text = candidate.expose_secret();
        if text.len() > MAX_BYTES {
            return Err(PasswordError::TooLong);
        }
        if text.chars().count() < MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        Ok(Self(candidate))
    }

    /// The password itself, to be hashed.
    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

/// A password offered at sign-in is only bounded in size, never judged:
/// rules may change after it was set.
pub fn check_offered(candidate: &SecretString) -> Result<(), PasswordError> {
    if candidate.expose_secret().len() > MAX_BYTES { Err(PasswordError::TooLong) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_rules() {
        assert_eq!(NewPassword::parse("short".into()).err(), Some(PasswordError::TooShort));
        assert!(NewPassword::parse("ten chars!".into()).is_ok());
        // Ten characters of four bytes each is fine: the minimum counts characters.
        assert!(NewPassword::parse("🔑".repeat(10).into()).is_ok());
        assert_eq!(NewPassword::parse("x".repeat(1025).into()).err(), Some(PasswordError::TooLong));
        assert!(check_offered(&"x".repeat(1024).into()).is_ok());
        assert!(check_offered(&"x".repeat(1025).into()).is_err());
    }
}
