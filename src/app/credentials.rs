//! Secrets: argon2id password hashes, and random bearer tokens stored only as SHA-256 digests.
//! Hashing is CPU-heavy by design, so callers on the async runtime use `spawn_blocking`.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("invalid argon2 parameters: {0}")]
    Params(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// argon2id with the configured cost.
#[derive(Clone)]
pub struct PasswordPolicy {
    params: Params,
}

impl PasswordPolicy {
    pub fn new(memory_kib: u32, iterations: u32) -> Result<Self, CredentialError> {
        let params = Params::new(memory_kib, iterations, 1, None)
            .map_err(|e| CredentialError::Params(e.to_string()))?;
        Ok(Self { params })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    pub fn hash(&self, password: &str) -> Result<String, CredentialError> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| CredentialError::Hash(e.to_string()))
    }

    /// True when `password` matches `phc`; a malformed stored hash never matches.
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        match PasswordHash::new(phc) {
            Ok(parsed) => self
                .argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        }
    }
}

/// A fresh bearer secret (`<prefix>_<43 chars of base64url>`, 256 bits) and its storage digest.
pub fn new_token(prefix: &str) -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = format!(
        "{prefix}_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let digest = token_digest(&secret);
    (secret, digest)
}

/// The SHA-256 hex digest under which a token is stored and looked up.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A short public id for listing and revoking credentials.
pub fn public_id(prefix: &str) -> String {
    let mut bytes = [0u8; 6];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{prefix}_{}", hex::encode(bytes))
}

/// A human-typable random password for generated accounts.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_the_right_password() {
        let p = PasswordPolicy::new(64, 1).unwrap();
        let h = p.hash("correct horse").unwrap();
        assert!(p.verify("correct horse", &h));
        assert!(!p.verify("wrong horse", &h));
        assert!(!p.verify("correct horse", "not a phc string"));
    }

    #[test]
    fn tokens_are_unique_and_digested() {
        let (a, da) = new_token("wl_s");
        let (b, _) = new_token("wl_s");
        assert_ne!(a, b);
        assert!(a.starts_with("wl_s_") && a.len() == 5 + 43);
        assert_eq!(da, token_digest(&a));
        assert_eq!(da.len(), 64);
    }
}
