//! Secret material: the master key that encrypts secrets at rest, and the
//! random bearer credentials (session tokens, API keys) that are stored only
//! as hashes.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Why a master key or a sealed value was refused.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The master key text is not base64 of exactly 32 bytes.
    #[error("the master key must be 32 random bytes encoded as base64 (make one with `openssl rand -base64 32`)")]
    BadMasterKey,
    /// The sealed value is damaged, or was sealed under another master key or context.
    #[error("sealed value is malformed or was encrypted with another master key")]
    CannotOpen,
}

/// The key that encrypts TOTP secrets, signing keys and vendor secrets at rest.
/// XChaCha20-Poly1305 with a random 192-bit nonce per value, so nonces never
/// need coordinating between instances.
pub struct MasterKey {
    cipher: XChaCha20Poly1305,
    /// Derived from the master key, for hashes that must not be computable
    /// from a copy of the database alone (recovery codes).
    mac: aws_lc_rs::hmac::Key,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

const SEALED_PREFIX: &str = "v1.";

impl MasterKey {
    /// Parses the base64 text form (as stored in the key file).
    pub fn from_base64(text: &SecretString) -> Result<Self, SecretError> {
        let bytes =
            Zeroizing::new(STANDARD.decode(text.expose_secret().trim()).map_err(|_| SecretError::BadMasterKey)?);
        if bytes.len() != 32 {
            return Err(SecretError::BadMasterKey);
        }
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| SecretError::BadMasterKey)?;
        Ok(Self { cipher, mac: derive_mac_key(&bytes) })
    }

    /// Makes a new random key and returns it with its base64 text form.
    pub fn generate() -> (Self, SecretString) {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::fill(&mut bytes[..]);
        let text = SecretString::from(STANDARD.encode(&bytes[..]));
        let cipher = XChaCha20Poly1305::new((&*bytes).into());
        (Self { cipher, mac: derive_mac_key(&bytes[..]) }, text)
    }

    /// Encrypts `plaintext`, bound to `context` (e.g. `totp:<user id>`) so a
    /// sealed value copied into another row or purpose does not open.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> String {
        let mut nonce = [0u8; 24];
        rand::fill(&mut nonce[..]);
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: context.as_bytes() })
            // Encryption only fails for inputs beyond 256 GiB, which nothing here produces.
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
    }

    /// HMAC-SHA256 of `data` under `context`, hex: a hash only the holder
    /// of the master key can compute.
    pub fn keyed_hash(&self, context: &str, data: &[u8]) -> String {
        let mut mac = aws_lc_rs::hmac::Context::with_key(&self.mac);
        mac.update(context.as_bytes());
        mac.update(&[0]);
        mac.update(data);
        hex::encode(mac.sign().as_ref())
    }

    /// Decrypts a value made by [`seal`](Self::seal); fails unless the master key and `context` are the same.
    pub fn open(&self, context: &str, sealed: &str) -> Result<Zeroizing<Vec<u8>>, SecretError> {
        let body = sealed.strip_prefix(SEALED_PREFIX).ok_or(SecretError::CannotOpen)?;
        let raw = URL_SAFE_NO_PAD.decode(body).map_err(|_| SecretError::CannotOpen)?;
        if raw.len() < 24 {
            return Err(SecretError::CannotOpen);
        }
        let (nonce, ciphertext) = raw.split_at(24);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: context.as_bytes() })
            .map(Zeroizing::new)
            .map_err(|_| SecretError::CannotOpen)
    }
}

/// A separate key for hashing, so the encryption key is never used twice over.
fn derive_mac_key(master: &[u8]) -> aws_lc_rs::hmac::Key {
    use aws_lc_rs::hmac;
    let derived = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, master), b"latchkey keyed-hash v1");
    hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref())
}

/// Kinds of bearer credential the server issues; the prefix makes a leaked
/// one recognisable (secret scanners, support) and tells the kinds apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A signed-in session.
    Session,
    /// A password was right but a second factor is owed; leads nowhere else.
    PendingSignIn,
    /// A staff API key with the admin role.
    AdminKey,
    /// A staff API key with the support role.
    SupportKey,
    /// In a mailed link: proves the user receives mail at an address.
    EmailVerification,
    /// In a mailed link: lets the user choose a new password.
    PasswordReset,
    /// Kept by a device that signed in: its sign-ins are judged by its own
    /// failures, not by the failures strangers cause for the address.
    Device,
    /// Handed to an app at its redirect URI, exchanged once for tokens.
    AuthorizationCode,
    /// Kept by an app to get new tokens; replaced at every use.
    RefreshToken,
    /// Kept by a device waiting for its user to approve it on another screen.
    DeviceCode,
}

impl TokenKind {
    /// What every credential of this kind starts with, e.g. `lk_ses_`.
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::Session => "lk_ses_",
            Self::PendingSignIn => "lk_pnd_",
            Self::AdminKey => "lk_adm_",
            Self::SupportKey => "lk_sup_",
            Self::EmailVerification => "lk_vfy_",
            Self::PasswordReset => "lk_rst_",
            Self::Device => "lk_dev_",
            Self::AuthorizationCode => "lk_cod_",
            Self::RefreshToken => "lk_ref_",
            Self::DeviceCode => "lk_dvc_",
        }
    }
}

/// A freshly issued bearer credential: the clear text goes to the caller once,
/// only `hash` is stored.
pub struct IssuedToken {
    /// The credential in clear; handed to the caller once, never stored.
    pub secret: SecretString,
    /// SHA-256 of the credential, hex: what the database keeps.
    pub hash: String,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken").field("hash", &self.hash).finish_non_exhaustive()
    }
}

/// 256 random bits, base64url, behind the kind's prefix.
pub fn issue_token(kind: TokenKind) -> IssuedToken {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes[..]);
    let secret = format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash_token(&secret);
    IssuedToken { secret: SecretString::from(secret), hash }
}

/// SHA-256 of a high-entropy token. A slow hash is unnecessary: the input has
/// 256 bits of entropy, and a fast hash keeps every authenticated request cheap.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The signature of a one-click "remove this device" link: a keyed hash
/// of the activation and the link's end, so the link needs no stored state
/// and stops working when it expires or once the device is gone. The mail
/// worker makes it; licensing checks it.
pub fn device_removal_signature(master_key: &MasterKey, activation_id: &str, expires: i64) -> String {
    master_key.keyed_hash("device-removal", format!("{activation_id}:{expires}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_context() {
        let (key, text) = MasterKey::generate();
        let sealed = key.seal("totp:u1", b"JBSWY3DPEHPK3PXP");
        assert_eq!(&key.open("totp:u1", &sealed).unwrap()[..], b"JBSWY3DPEHPK3PXP");
        assert!(key.open("totp:u2", &sealed).is_err());
        let (other, _) = MasterKey::generate();
        assert!(other.open("totp:u1", &sealed).is_err());
        let again = MasterKey::from_base64(&text).unwrap();
        assert!(again.open("totp:u1", &sealed).is_ok());
        assert!(MasterKey::from_base64(&SecretString::from("c2hvcnQ=")).is_err());
    }

    #[test]
    fn tokens_carry_their_prefix_and_hash_stably() {
        let token = issue_token(TokenKind::Session);
        let secret = token.secret.expose_secret();
        assert!(secret.starts_with("lk_ses_"));
        assert!(secret.len() > 40);
        assert_eq!(hash_token(secret), token.hash);
        assert!(!format!("{token:?}").contains(secret));
    }
}
