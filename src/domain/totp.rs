//! Time-based one-time passwords as every authenticator app understands them:
//! SHA-1, 6 digits, 30-second steps (RFC 6238), with one step of drift
//! allowed either way. Which steps were already used is the store's business.

use time::OffsetDateTime;
use totp_rs::{Algorithm, Builder, Secret, Totp};
use zeroize::Zeroizing;

/// Digits in each code.
pub const DIGITS: u8 = 6;
/// Seconds each code stays valid.
pub const STEP_SECONDS: u64 = 30;

/// Why a TOTP operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TotpError {
    /// The stored secret could not be used to build a generator.
    #[error("the stored secret is unusable: {0}")]
    BadSecret(String),
}

/// 160 random bits, the size RFC 4226 recommends.
pub fn generate_secret() -> Zeroizing<Vec<u8>> {
    Zeroizing::new(Secret::generate().as_ref().to_vec())
}

/// The secret in base32, for typing into an app by hand.
pub fn base32(secret: &[u8]) -> String {
    Secret::from(secret).to_base32()
}

/// `otpauth:` forbids a colon in the issuer and account; a product name may
/// have one, so it becomes a space.
fn label_part(text: &str) -> String {
    text.replace(':', " ")
}

fn totp(secret: &[u8], issuer: &str, account: &str) -> Result<Totp, TotpError> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret.to_vec())
        .with_issuer(Some(label_part(issuer)))
        .with_account_name(label_part(account))
        .build()
        .map_err(|e| TotpError::BadSecret(e.to_string()))
}

/// The `otpauth://totp/…` URI an app scans.
pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> Result<String, TotpError> {
    totp(secret, issuer, account)?.to_url().map_err(|e| TotpError::BadSecret(e.to_string()))
}

/// The step a typed code belongs to, if it is right for now ±1 step. The
/// comparison itself is constant-time (`totp_rs::Token`'s equality), so
/// timing reveals nothing about how close a guess was.
pub fn matching_step(secret: &[u8], typed: &str, now: OffsetDateTime) -> Result<Option<u64>, TotpError> {
    let code: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let Ok(seconds) = u64::try_from(now.unix_timestamp()) else { return Ok(None) };
    Ok(totp(secret, "", "")?.check(&code, seconds))
}

/// The QR code of `text` as a small standalone SVG.
pub fn qr_svg(text: &str) -> String {
    use qrcodegen::{QrCode, QrCodeEcc};
    let Ok(qr) = QrCode::encode_text(text, QrCodeEcc::Medium) else { return String::new() };
    let border = 4;
    let size = qr.size() + border * 2;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" shape-rendering=\"crispEdges\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// RFC 6238 appendix B, SHA-1, truncated to six digits.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_6238_vectors_match_with_one_step_of_drift() {
        let at = datetime!(2005-03-18 01:58:29 UTC); // T = 1111111109, code 07081804
        assert_eq!(matching_step(RFC_SECRET, "081804", at).unwrap(), Some(1111111109 / 30));
        assert_eq!(matching_step(RFC_SECRET, "081804", at + time::Duration::seconds(30)).unwrap(), Some(37037036));
        assert_eq!(matching_step(RFC_SECRET, "081804", at + time::Duration::seconds(90)).unwrap(), None);
        assert_eq!(matching_step(RFC_SECRET, "08180", at).unwrap(), None);
        assert_eq!(matching_step(RFC_SECRET, "08180x", at).unwrap(), None);
        assert_eq!(matching_step(RFC_SECRET, "081 804", at).unwrap(), Some(37037036));
    }

    #[test]
    fn the_uri_names_issuer_and_account() {
        let secret = generate_secret();
        assert_eq!(secret.len(), 20);
        let uri = otpauth_uri(&secret, "Acme: Studio", "ann@example.com").unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains(&format!("secret={}", base32(&secret))), "{uri}");
        assert!(uri.contains("issuer=Acme"), "{uri}");
        assert!(qr_svg(&uri).starts_with("<svg"));
    }
}
