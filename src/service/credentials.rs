//! Secrets: argon2id password hashes, and random bearer tokens stored only as SHA-256 digests.
//! Hashing is CPU- and memory-heavy by design. Anyone can ask for a login, so the gateway verifies
//! through [`BoundedVerifier`]: a few hashes at a time, each in a block buffer that is reused, never
//! one fresh 19 MiB allocation per wrong password (the allocator kept those, and 200 wrong logins
//! grew the process to 5.5 GB). Administrative hashing (the CLI, demo users) uses `spawn_blocking`.

use argon2::password_hash::{rand_core::OsRng, Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("invalid argon2 parameters: {0}")]
    Params(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("too many logins are being checked; try again shortly")]
    Busy,
    #[error("the password check did not finish: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// A stored hash asking for more memory than this is treated as not matching: the block buffers
/// are kept for reuse, so one odd hash must not pin a gigabyte.
const MAX_VERIFY_KIB: u32 = 256 * 1024;

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
        verify_in(password, phc, &mut Vec::new())
    }
}

/// Verifies `password` against the PHC string `phc`, computing in `blocks` (grown as needed, kept
/// by the caller for the next check). The comparison is constant-time (`Output`'s equality).
fn verify_in(password: &str, phc: &str, blocks: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    if params.m_cost() > MAX_VERIFY_KIB {
        return false;
    }
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let needed = params.block_count();
    if blocks.len() < needed {
        blocks.resize(needed, Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    let hasher = Argon2::new(algorithm, version, params);
    if hasher
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut blocks[..needed])
        .is_err()
    {
        return false;
    }
    Output::new(&out).is_ok_and(|got| got == expected)
}

/// Password checks for requests anyone can send: at most `parallel` run at once, each in one of
/// `parallel` reusable block buffers; when more than `queue` wait, the next is refused
/// ([`CredentialError::Busy`]) rather than queued without bound.
pub struct BoundedVerifier {
    permits: tokio::sync::Semaphore,
    buffers: Mutex<Vec<Vec<Block>>>,
    waiting: AtomicUsize,
    queue: usize,
}

impl BoundedVerifier {
    pub fn new(parallel: usize, queue: usize) -> Self {
        Self {
            permits: tokio::sync::Semaphore::new(parallel.max(1)),
            buffers: Mutex::new(Vec::new()),
            waiting: AtomicUsize::new(0),
            queue,
        }
    }

    /// As many checks as the machine has cores, and 16 waiting per core.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::new(cores, 16 * cores)
    }

    pub async fn verify(&self, password: String, phc: String) -> Result<bool, CredentialError> {
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        if self.waiting.fetch_add(1, Ordering::Relaxed) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(CredentialError::Busy);
        }
        let waiting = Waiting(&self.waiting);
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| CredentialError::Busy)?;
        drop(waiting);
        let mut blocks = self.take_buffer();
        let (ok, blocks) = tokio::task::spawn_blocking(move || {
            let ok = verify_in(&password, &phc, &mut blocks);
            (ok, blocks)
        })
        .await?;
        self.give_back(blocks);
        Ok(ok)
    }

    fn take_buffer(&self) -> Vec<Block> {
        self.buffers
            .lock()
            .map(|mut b| b.pop().unwrap_or_default())
            .unwrap_or_default()
    }

    fn give_back(&self, blocks: Vec<Block>) {
        if let Ok(mut b) = self.buffers.lock() {
            b.push(blocks);
        }
    }

    /// Block buffers kept for reuse (at most one per permit).
    pub fn buffers(&self) -> usize {
        self.buffers.lock().map_or(0, |b| b.len())
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
    fn verifies_hashes_made_with_other_parameters_in_a_reused_buffer() {
        let mut blocks = Vec::new();
        let small = PasswordPolicy::new(64, 1).unwrap().hash("pw").unwrap();
        let large = PasswordPolicy::new(256, 2).unwrap().hash("pw").unwrap();
        assert!(verify_in("pw", &large, &mut blocks));
        assert_eq!(blocks.len(), 256);
        assert!(verify_in("pw", &small, &mut blocks));
        assert!(!verify_in("pW", &small, &mut blocks));
        assert!(!verify_in(
            "pw",
            "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
            &mut blocks
        ));
        assert_eq!(blocks.len(), 256, "the buffer is reused, not regrown");
    }

    #[tokio::test]
    async fn the_verifier_refuses_beyond_its_queue_and_keeps_one_buffer_per_permit() {
        let v = std::sync::Arc::new(BoundedVerifier::new(1, 2));
        let phc = PasswordPolicy::new(4096, 3).unwrap().hash("pw").unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (v, phc) = (v.clone(), phc.clone());
                tokio::spawn(async move { v.verify("pw".into(), phc).await })
            })
            .collect();
        let mut ok = 0;
        let mut busy = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(true) => ok += 1,
                Err(CredentialError::Busy) => busy += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(
            ok >= 1 && busy >= 1 && ok + busy == 8,
            "ok {ok} busy {busy}"
        );
        assert_eq!(v.buffers(), 1);
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
