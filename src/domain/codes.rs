//! The codes people type and software carries: activation codes, license
//! keys, device fingerprints, and the user codes that approve a device's
//! sign-in. Built only by parsing; the rest of the code never re-checks them.

use std::fmt;

use sha2::{Digest, Sha256};

/// Crockford's base32: no I, L, O or U, so nothing reads as another symbol.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The value of a typed symbol, forgiving what people confuse: lower case,
/// `I`/`L` for one, `O` for zero.
fn symbol_value(c: char) -> Option<u32> {
    let c = match c.to_ascii_uppercase() {
        'I' | 'L' => '1',
        'O' => '0',
        other => other,
    };
    ALPHABET.iter().position(|&a| char::from(a) == c).and_then(|p| u32::try_from(p).ok())
}

fn symbol(value: u32) -> char {
    ALPHABET.get(value as usize % 32).map_or('0', |&b| char::from(b))
}

/// Luhn mod 32 over the symbols: catches every single wrong symbol and every
/// swap of two neighbours, the two mistakes people make when typing.
fn check_value(values: &[u32]) -> u32 {
    let mut sum = 0;
    for (i, value) in values.iter().rev().enumerate() {
        let mut addend = if i % 2 == 0 { value * 2 } else { *value };
        addend = addend / 32 + addend % 32;
        sum += addend;
    }
    (32 - sum % 32) % 32
}

fn random_values(count: usize) -> Vec<u32> {
    let mut bytes = vec![0u8; count];
    rand::fill(&mut bytes[..]);
    bytes.into_iter().map(|b| u32::from(b) % 32).collect()
}

fn grouped(values: &[u32], group: usize) -> String {
    let symbols: Vec<char> = values.iter().map(|v| symbol(*v)).collect();
    symbols.chunks(group).map(|chunk| chunk.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Why a typed code was refused, before any database lookup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// The code has the wrong number of symbols; holds the length expected.
    #[error("must be {0} characters (dashes and spaces are ignored)")]
    WrongLength(usize),
    /// The code contains a symbol the alphabet does not use.
    #[error("contains `{0}`, which is not used in codes")]
    BadSymbol(char),
    /// The check symbol does not match: a typo or two swapped symbols.
    #[error("has a typo: a character is wrong or two are swapped")]
    CheckFailed,
}

/// A redeemable activation code, `XXXX-XXXX-XXXX-XXXX`: 15 random symbols
/// (75 bits) and a check symbol.
#[derive(Clone, PartialEq, Eq)]
pub struct ActivationCode(String);

const CODE_SYMBOLS: usize = 16;

impl ActivationCode {
    /// A fresh random activation code, check symbol included.
    pub fn generate() -> Self {
        let mut values = random_values(CODE_SYMBOLS - 1);
        values.push(check_value(&values));
        Self(grouped(&values, 4))
    }

    /// Accepts what a person types: any case, with or without dashes and
    /// spaces, `O` for zero and `I`/`L` for one.
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let mut values = Vec::with_capacity(CODE_SYMBOLS);
        for c in input.chars().filter(|c| !matches!(c, '-' | ' ' | '\t')) {
            if values.len() == CODE_SYMBOLS {
                return Err(CodeError::WrongLength(CODE_SYMBOLS));
            }
            values.push(symbol_value(c).ok_or(CodeError::BadSymbol(c))?);
        }
        let Some((check, body)) = values.split_last() else { return Err(CodeError::WrongLength(CODE_SYMBOLS)) };
        if values.len() != CODE_SYMBOLS {
            return Err(CodeError::WrongLength(CODE_SYMBOLS));
        }
        if check_value(body) != *check {
            return Err(CodeError::CheckFailed);
        }
        Ok(Self(grouped(&values, 4)))
    }

    /// The code in its canonical form, upper case and grouped by dashes.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What is stored: the code has 75 random bits, so a fast hash suffices.
    pub fn hash(&self) -> String {
        sha256_hex(&self.0)
    }
}

impl fmt::Debug for ActivationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ActivationCode(..)")
    }
}

/// A recovery code, `XXXXX-XXXXX`: 50 random bits, short enough to write
/// down. Its stored hash is keyed with a secret the database does not hold,
/// so 50 bits are plenty against online guessing, the only kind possible.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

const RECOVERY_SYMBOLS: usize = 10;

impl RecoveryCode {
    /// A fresh random recovery code.
    pub fn generate() -> Self {
        Self(grouped(&random_values(RECOVERY_SYMBOLS), 5))
    }

    /// As forgiving as activation codes; there is no check symbol, so a typo
    /// is simply a wrong code.
    pub fn parse(input: &str) -> Option<Self> {
        let values: Option<Vec<u32>> = input
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\t'))
            .take(RECOVERY_SYMBOLS + 1)
            .map(symbol_value)
            .collect();
        let values = values?;
        (values.len() == RECOVERY_SYMBOLS).then(|| Self(grouped(&values, 5)))
    }

    /// The code in its canonical form, upper case and grouped by dashes.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(..)")
    }
}

/// A license key as product software carries it: `LK-` and 25 symbols
/// (120 random bits and a check symbol) in groups of five.
#[derive(Clone, PartialEq, Eq)]
pub struct LicenseKey(String);

const KEY_SYMBOLS: usize = 25;

impl LicenseKey {
    /// A fresh random license key, check symbol included.
    pub fn generate() -> Self {
        let mut values = random_values(KEY_SYMBOLS - 1);
        values.push(check_value(&values));
        Self(format!("LK-{}", grouped(&values, 5)))
    }

    /// Keys are pasted, not typed, so only the exact canonical form (any case) parses.
    pub fn parse(input: &str) -> Option<Self> {
        let body = input.trim().strip_prefix("LK-").or_else(|| input.trim().strip_prefix("lk-"))?;
        if body.len() != KEY_SYMBOLS + KEY_SYMBOLS / 5 - 1 {
            return None;
        }
        let values: Vec<u32> = body.chars().filter(|c| *c != '-').map(symbol_value).collect::<Option<_>>()?;
        let (check, rest) = values.split_last()?;
        (values.len() == KEY_SYMBOLS && check_value(rest) == *check)
            .then(|| Self(format!("LK-{}", grouped(&values, 5))))
    }

    /// The key in its canonical form, `LK-` and upper-case groups.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lookup hash stored beside the sealed copy.
    pub fn hash(&self) -> String {
        sha256_hex(&self.0)
    }
}

impl fmt::Debug for LicenseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LicenseKey(..)")
    }
}

/// A device fingerprint as the product computes it; opaque to us, bounded,
/// and stored only as a hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Fingerprint(String);

/// Longest fingerprint accepted, in bytes.
pub const MAX_FINGERPRINT_BYTES: usize = 1024;

/// Why a fingerprint was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FingerprintError {
    /// Empty or only whitespace.
    #[error("must not be empty")]
    Empty,
    /// Longer than [`MAX_FINGERPRINT_BYTES`].
    #[error("must be at most {MAX_FINGERPRINT_BYTES} bytes")]
    TooLong,
}

impl Fingerprint {
    /// Accepts any non-empty text up to [`MAX_FINGERPRINT_BYTES`].
    pub fn parse(input: &str) -> Result<Self, FingerprintError> {
        if input.trim().is_empty() {
            return Err(FingerprintError::Empty);
        }
        if input.len() > MAX_FINGERPRINT_BYTES {
            return Err(FingerprintError::TooLong);
        }
        Ok(Self(input.to_owned()))
    }

    /// The value stored and put in certificates (`fpr`).
    pub fn hash(&self) -> String {
        sha256_hex(&self.0)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.hash())
    }
}

/// RFC 8628 §6.1's consonants: no vowels (no words), no look-alikes.
const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Letters in a user code: 20⁸ ≈ 2.6 × 10¹⁰ codes, guessed only at the
/// rate the device page allows.
const USER_CODE_LETTERS: usize = 8;

/// The code a device shows and a person types on another screen to
/// approve it: eight consonants, shown as `XXXX-XXXX`.
#[derive(Clone, PartialEq, Eq)]
pub struct UserCode(String);

impl UserCode {
    /// A new random code.
    pub fn generate() -> Self {
        let mut letters = String::with_capacity(USER_CODE_LETTERS);
        while letters.len() < USER_CODE_LETTERS {
            let mut byte = [0u8; 1];
            rand::fill(&mut byte[..]);
            // 240 is the largest multiple of 20 that fits a byte: rejecting
            // the rest keeps every letter equally likely.
            let letter = Some(usize::from(byte[0]))
                .filter(|b| *b < 240)
                .and_then(|b| USER_CODE_ALPHABET.get(b % USER_CODE_ALPHABET.len()));
            if let Some(&letter) = letter {
                letters.push(char::from(letter));
            }
        }
        Self(letters)
    }

    /// A code as typed: case, dashes and spaces do not matter; anything
    /// else outside the alphabet, or the wrong length, is no code.
    pub fn parse(input: &str) -> Option<Self> {
        let letters: String =
            input.chars().filter(|c| !matches!(c, '-' | ' ')).map(|c| c.to_ascii_uppercase()).collect();
        let valid = letters.len() == USER_CODE_LETTERS && letters.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
        valid.then_some(Self(letters))
    }

    /// How it is shown: `XXXX-XXXX`.
    pub fn display(&self) -> String {
        let (first, second) = self.0.split_at(USER_CODE_LETTERS / 2);
        format!("{first}-{second}")
    }

    /// What is stored: SHA-256, hex.
    pub fn hash(&self) -> String {
        sha256_hex(&self.0)
    }
}

impl fmt::Debug for UserCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserCode(..)")
    }
}

/// Whether two secrets (a CSRF token, a PKCE verifier's digest) are equal,
/// in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_codes_parse_back_forgivingly() {
        let code = ActivationCode::generate();
        assert_eq!(code.as_str().len(), 19);
        assert_eq!(ActivationCode::parse(code.as_str()).unwrap(), code);
        let sloppy = code.as_str().replace('-', " ").to_lowercase().replace('0', "o").replace('1', "l");
        assert_eq!(ActivationCode::parse(&sloppy).unwrap(), code);
        assert_eq!(ActivationCode::parse("ABCD"), Err(CodeError::WrongLength(16)));
        assert_eq!(ActivationCode::parse("ABCD-EFGH-JKMN-PQRU"), Err(CodeError::BadSymbol('U')));
    }

    #[test]
    fn recovery_codes_parse_forgivingly_and_only_at_full_length() {
        let code = RecoveryCode::generate();
        assert_eq!(code.as_str().len(), 11);
        let typed = code.as_str().to_lowercase().replace('-', " ");
        assert_eq!(RecoveryCode::parse(&typed), Some(code.clone()));
        assert_eq!(RecoveryCode::parse(&code.as_str()[..8]), None);
        assert_eq!(RecoveryCode::parse(&format!("{}0", code.as_str())), None);
        assert_eq!(RecoveryCode::parse("ABCDE-FGHIU"), None);
    }

    #[test]
    fn license_keys_round_trip() {
        let key = LicenseKey::generate();
        assert_eq!(key.as_str().len(), 3 + 29);
        assert_eq!(LicenseKey::parse(key.as_str()).unwrap(), key);
        assert_eq!(LicenseKey::parse(&key.as_str().to_lowercase()).unwrap(), key);
        assert!(LicenseKey::parse("LK-not-a-key").is_none());
        assert!(!format!("{key:?}").contains(key.as_str()));
    }

    fn mutate(code: &str, position: usize, replacement: char) -> String {
        code.chars().enumerate().map(|(i, c)| if i == position { replacement } else { c }).collect()
    }

    proptest! {
        #[test]
        fn one_wrong_symbol_is_always_caught(position in 0usize..19, value in 0u32..32) {
            let code = ActivationCode::generate();
            let original = code.as_str().chars().nth(position).unwrap();
            let replacement = symbol(value);
            prop_assume!(original != '-' && original != replacement);
            prop_assert!(ActivationCode::parse(&mutate(code.as_str(), position, replacement)).is_err());
        }

        #[test]
        fn swapped_neighbours_are_caught(position in 0usize..15) {
            let code = ActivationCode::generate();
            let mut symbols: Vec<char> = code.as_str().chars().filter(|c| *c != '-').collect();
            prop_assume!(symbols[position] != symbols[position + 1]);
            // Luhn's one blind spot: swapping the lowest and highest symbol.
            prop_assume!(!matches!((symbols[position], symbols[position + 1]), ('0', 'Z') | ('Z', '0')));
            symbols.swap(position, position + 1);
            let swapped: String = symbols.into_iter().collect();
            prop_assert_eq!(ActivationCode::parse(&swapped), Err(CodeError::CheckFailed));
        }

        #[test]
        fn parsers_never_panic(input in ".{0,80}") {
            let _ = ActivationCode::parse(&input);
            let _ = LicenseKey::parse(&input);
            let _ = Fingerprint::parse(&input);
        }

        #[test]
        fn parsing_is_canonical(input in "[0-9A-Za-z -]{0,30}") {
            if let Ok(code) = ActivationCode::parse(&input) {
                prop_assert_eq!(ActivationCode::parse(code.as_str()).unwrap(), code);
            }
        }
    }

    #[test]
    fn user_codes_are_eight_consonants_typed_any_way() {
        for _ in 0..200 {
            let code = UserCode::generate();
            let shown = code.display();
            assert_eq!(shown.len(), 9);
            assert_eq!(UserCode::parse(&shown), Some(code.clone()));
            assert_eq!(UserCode::parse(&shown.to_lowercase().replace('-', " ")), Some(code));
        }
        assert_eq!(UserCode::parse("BCDF-GHJ"), None);
        assert_eq!(UserCode::parse("BCDF-GHJA"), None, "vowels are not in the alphabet");
        assert_eq!(UserCode::parse("BCDF-GHJK-L"), None);
        assert_eq!(format!("{:?}", UserCode::parse("BCDF-GHJK").unwrap()), "UserCode(..)");
    }

    #[test]
    fn every_user_code_letter_is_equally_likely() {
        let mut counts = [0u32; 20];
        for _ in 0..20_000 {
            for b in UserCode::generate().0.bytes() {
                counts[USER_CODE_ALPHABET.iter().position(|&a| a == b).unwrap()] += 1;
            }
        }
        // 160,000 letters, 8,000 expected each (σ ≈ 87). Taking a byte
        // modulo 20 instead would give the last four letters 7,500 each.
        assert!(counts.iter().all(|&c| (7_600..=8_400).contains(&c)), "{counts:?}");
    }
}
