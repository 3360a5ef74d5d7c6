//! Email addresses as account identifiers.
//!
//! One mailbox must be one account, so every spelling a person could type for
//! the same address, by accident or to pass for someone else, parses to one
//! value: compatibility-normalised (NFKC), lower-cased, the domain in its
//! ASCII (punycode) form, and invisible characters refused outright.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

/// Longest input worth normalising. NFKC can multiply a character's length
/// (U+FDFA becomes 18 characters), so a bound on the raw input keeps the work
/// small; anything this long is refused as too long either way.
const MAX_INPUT_BYTES: usize = 1024;

/// A syntactically plausible email, normalised: trimmed, NFKC, lower case,
/// domain in ASCII. Two strings that parse to the same `Email` are one account.
///
/// The local part is folded too although RFC 5321 lets a server treat its
/// case as significant: no mainstream provider does, and an identifier that
/// lets `Ada@` and `ada@` be two people is the spoofing this type exists to stop.
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
    /// Holds an invisible or text-direction character (zero-width space,
    /// soft hyphen, a bidi override…): two addresses that look the same
    /// would otherwise be two accounts.
    #[error("contains an invisible or text-direction character")]
    InvisibleCharacter,
}

impl Email {
    /// Checks and normalises an address as typed, surrounding whitespace allowed.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.len() > MAX_INPUT_BYTES {
            return Err(EmailError::TooLong);
        }
        if trimmed.chars().any(is_invisible) {
            return Err(EmailError::InvisibleCharacter);
        }
        let folded = fold(trimmed);
        // NFKC maps a few visible characters (halfwidth Hangul filler) to invisible ones.
        if folded.chars().any(is_invisible) {
            return Err(EmailError::InvisibleCharacter);
        }
        // After NFKC a fullwidth `＠` is an `@` too, so the split sees what a reader sees.
        let (local, domain) = folded.rsplit_once('@').ok_or(EmailError::Malformed)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && local.chars().all(|c| !c.is_whitespace() && !c.is_control());
        if !local_ok {
            return Err(EmailError::Malformed);
        }
        let domain = ascii_domain(domain)?;
        let email = format!("{local}@{domain}");
        if email.len() > 254 {
            return Err(EmailError::TooLong);
        }
        Ok(Self(email))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// NFKC, lower case, NFKC again. Compatibility normalisation (not just NFC)
/// is deliberate for the local part as well: it folds fullwidth `ａｄａ` to
/// `ada`, ligatures and superscripts to their letters. Mail providers may
/// deliver those to different mailboxes, but nobody owns both on purpose,
/// and an identifier that keeps them apart lets one person hold two
/// accounts or pass for another. The second pass keeps the result stable
/// when lower-casing produces a sequence NFKC would compose.
fn fold(text: &str) -> String {
    let lower = text.nfkc().collect::<String>().to_lowercase();
    lower.nfkc().collect()
}

/// The domain as DNS sees it: UTS 46 processing (which also maps case and
/// fullwidth forms) to ASCII, so `bücher.example` and `xn--bcher-kva.example`
/// are one domain. Strict rules: letters, digits and hyphens only, as mail
/// domains are host names.
fn ascii_domain(domain: &str) -> Result<String, EmailError> {
    if domain.is_empty() || domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
        return Err(EmailError::Malformed);
    }
    let ascii = idna::domain_to_ascii_strict(domain).map_err(|_| EmailError::Malformed)?;
    let ok = !ascii.is_empty()
        && ascii.len() <= 253
        && !ascii.starts_with('.')
        && !ascii.ends_with('.')
        && !ascii.contains("..")
        && ascii.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if ok { Ok(ascii) } else { Err(EmailError::Malformed) }
}

/// Characters that show nothing or only steer display: Unicode's
/// Default_Ignorable_Code_Point set (zero-width space and joiners, soft
/// hyphen, word joiner, BOM, variation selectors, Hangul fillers, tags) and
/// the format (Cf) characters outside it (bidi marks and overrides are in
/// both; Arabic and Syriac number signs, interlinear annotations). Unicode 15.1.
fn is_invisible(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x034F
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x115F..=0x1160
            | 0x17B4..=0x17B5
            | 0x180B..=0x180F
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0x3164
            | 0xFE00..=0xFE0F
            | 0xFEFF
            | 0xFFA0
            | 0xFFF0..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0000..=0xE0FFF
    )
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

    fn parsed(input: &str) -> String {
        Email::parse(input).unwrap().as_str().to_owned()
    }

    #[test]
    fn trims_and_lowercases_the_whole_address() {
        assert_eq!(parsed("  Ada.L@Example.COM \n"), "ada.l@example.com");
        assert_eq!(parsed("ÉMILE@example.com"), "émile@example.com");
        assert_eq!(parsed("ΣΟΦΙΑ@example.com"), parsed("σοφια@example.com"));
    }

    #[test]
    fn composed_and_decomposed_forms_are_one_address() {
        let nfc = "jos\u{e9}@caf\u{e9}.example";
        let nfd = "jose\u{301}@cafe\u{301}.example";
        assert_eq!(parsed(nfc), parsed(nfd));
        assert_eq!(parsed(nfc), "jos\u{e9}@xn--caf-dma.example");
    }

    #[test]
    fn unicode_and_punycode_domains_are_one_address() {
        assert_eq!(parsed("ada@bücher.example"), "ada@xn--bcher-kva.example");
        assert_eq!(parsed("ada@XN--BCHER-KVA.example"), "ada@xn--bcher-kva.example");
        assert_eq!(parsed("ada@BÜCHER.example"), "ada@xn--bcher-kva.example");
    }

    #[test]
    fn fullwidth_forms_fold_to_ascii() {
        assert_eq!(parsed("ａｄａ@example.com"), "ada@example.com");
        assert_eq!(parsed("ＡＤＡ＠ＥＸＡＭＰＬＥ．ＣＯＭ"), "ada@example.com");
        assert_eq!(parsed("ada@example。com"), "ada@example.com");
        assert_eq!(parsed("\u{fb01}ona@example.com"), "fiona@example.com");
    }

    #[test]
    fn invisible_characters_are_refused_in_either_part() {
        for c in ['\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}', '\u{feff}', '\u{ad}', '\u{180e}', '\u{fe0f}'] {
            for input in [format!("a{c}da@example.com"), format!("ada@exa{c}mple.com"), format!("{c}ada@example.com")] {
                assert_eq!(Email::parse(&input), Err(EmailError::InvisibleCharacter), "{input:?}");
            }
        }
    }

    #[test]
    fn bidi_controls_are_refused() {
        let controls = ['\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}'];
        for c in controls.into_iter().chain(['\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{61c}']) {
            let input = format!("ada{c}@example.com");
            assert_eq!(Email::parse(&input), Err(EmailError::InvisibleCharacter), "{input:?}");
        }
        // A halfwidth Hangul filler is visible-looking in tables but blank; NFKC makes it U+1160.
        assert_eq!(Email::parse("a\u{ffa0}da@example.com"), Err(EmailError::InvisibleCharacter));
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "",
            "   ",
            "ada",
            "@example.com",
            "ada@",
            "ada@exa mple.com",
            "a b@example.com",
            "ada@.com",
            "ada@x..com",
            "ada@example.com.",
            "ada@exa_mple.com",
            "ada@-example.com",
            "ada＠bob@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn length_limits_apply_to_the_normalised_form() {
        let local = "a".repeat(64);
        assert!(Email::parse(&format!("{local}@example.com")).is_ok());
        assert_eq!(Email::parse(&format!("{local}a@example.com")), Err(EmailError::Malformed));
        // Eighteen bytes as typed, 72 once each square katakana word is spelled out.
        assert_eq!(Email::parse(&format!("{}@example.com", "\u{3300}".repeat(6))), Err(EmailError::Malformed));
        let domain = format!("{}.example", vec!["b".repeat(60); 4].join("."));
        assert_eq!(Email::parse(&format!("ada@{domain}")), Err(EmailError::TooLong));
        assert_eq!(Email::parse(&"a".repeat(2000)), Err(EmailError::TooLong));
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent(local in "[a-zA-Z0-9._+-]{1,20}", domain in "[a-zA-Z0-9]{1,20}\\.[a-zA-Z]{2,6}") {
            let once = Email::parse(&format!("{local}@{domain}")).unwrap();
            let twice = Email::parse(once.as_str()).unwrap();
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn whatever_parses_is_a_fixed_point(local in "\\PC{1,30}", domain in "[\\p{L}\\p{M}\\p{N}]{1,12}\\.\\PC{2,4}") {
            if let Ok(once) = Email::parse(&format!("{local}@{domain}")) {
                prop_assert_eq!(Email::parse(once.as_str()), Ok(once.clone()));
            }
        }

        #[test]
        fn never_panics(input in ".{0,300}") {
            let _ = Email::parse(&input);
        }
    }
}
