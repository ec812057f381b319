//! Provider tokens at rest: AES-256-GCM under a key from configuration, a fresh random
//! nonce per value, stored as `v1:` + base64(nonce ‖ ciphertext). Tokens are never
//! logged: `SecretKey` does not print itself.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

#[derive(Clone)]
pub struct SecretKey(Aes256Gcm);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("the token key must be 32 bytes, base64-encoded")]
    BadKey,
    #[error("a stored token could not be decrypted (wrong key or damaged value)")]
    Undecryptable,
}

const PREFIX: &str = "v1:";

impl SecretKey {
    pub fn from_base64(key: &str) -> Result<Self, SecretError> {
        let bytes = STANDARD.decode(key.trim()).map_err(|_| SecretError::BadKey)?;
        let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| SecretError::BadKey)?;
        Ok(SecretKey(cipher))
    }

    pub fn encrypt(&self, plain: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        // Encryption with a valid key and a 12-byte nonce cannot fail.
        let sealed = self.0.encrypt(Nonce::from_slice(&nonce), plain.as_bytes()).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(sealed);
        format!("{PREFIX}{}", STANDARD.encode(out))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, SecretError> {
        let raw = stored.strip_prefix(PREFIX).ok_or(SecretError::Undecryptable)?;
        let bytes = STANDARD.decode(raw).map_err(|_| SecretError::Undecryptable)?;
        if bytes.len() < 12 {
            return Err(SecretError::Undecryptable);
        }
        let (nonce, sealed) = bytes.split_at(12);
        let plain = self.0.decrypt(Nonce::from_slice(nonce), sealed).map_err(|_| SecretError::Undecryptable)?;
        String::from_utf8(plain).map_err(|_| SecretError::Undecryptable)
    }
}

/// A key for development and tests only; production configuration must set its own.
pub const DEVELOPMENT_KEY: &str = "cG9zdG1hbnRpcy1kZXZlbG9wbWVudC1rZXktMzJieXQ=";

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_fresh_nonces_and_refuses_other_keys() {
        let k = SecretKey::from_base64(DEVELOPMENT_KEY).unwrap();
        let a = k.encrypt("token-123");
        let b = k.encrypt("token-123");
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(a.starts_with("v1:") && !a.contains("token-123"));
        assert_eq!(k.decrypt(&a).unwrap(), "token-123");
        let other = SecretKey::from_base64(&STANDARD.encode([7u8; 32])).unwrap();
        assert_eq!(other.decrypt(&a), Err(SecretError::Undecryptable));
        assert_eq!(k.decrypt("plain"), Err(SecretError::Undecryptable));
        assert_eq!(SecretKey::from_base64("short").map(|_| ()), Err(SecretError::BadKey));
        assert_eq!(format!("{k:?}"), "SecretKey(..)");
    }
}
