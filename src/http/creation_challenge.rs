//! Proof of work for anonymous conversation creation under pressure.
//!
//! Contract:
//! - While fewer than `above_per_minute` anonymous conversations were created in the last minute
//!   (gateway-wide), creation is open. At or above it, a creation must carry the solution of a
//!   challenge this gateway issued: find a `solution` such that SHA-256 of
//!   `token ":" solution` starts with `bits` zero bits.
//! - `bits` grows by one for every doubling of the last minute's creations above the threshold,
//!   from `base_bits` to `max_bits`: a flood pays more per conversation the larger it is, a
//!   visitor on a quiet site pays nothing.
//! - Tokens are stateless (an HMAC under a per-process key over the issue time, the difficulty and
//!   a random nonce), valid for `ttl_ms`, and spent once: a solved token cannot create two
//!   conversations. A restart forgets the key, so outstanding tokens simply expire early.
//! - The token is 63 characters so that `token ":"` fills one SHA-256 block: a browser hashes the
//!   constant block once and then one block per attempt.
//! - Pure: time comes in as milliseconds, randomness from the caller.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};

/// Token layout: version, issued (ms, big-endian), bits, random, tag.
const VERSION: u8 = 1;
const RANDOM_LEN: usize = 21;
const TAG_LEN: usize = 16;
const BODY_LEN: usize = 1 + 8 + 1 + RANDOM_LEN;
const TOKEN_BYTES: usize = BODY_LEN + TAG_LEN;
/// Longest solution accepted (a decimal counter needs at most 20).
const MAX_SOLUTION_LEN: usize = 32;
/// Creations remembered for the pressure count; beyond this the count saturates.
const MAX_REMEMBERED: usize = 100_000;
const MINUTE_MS: u64 = 60_000;

/// How hard creation is made, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChallengePolicy {
    /// Anonymous creations per minute (gateway-wide) from which a challenge is required; 0 turns
    /// challenges off.
    pub above_per_minute: u32,
    pub base_bits: u8,
    pub max_bits: u8,
    pub ttl_ms: u64,
}

/// Why a solution was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    #[error("the challenge token is not one this gateway issued")]
    Forged,
    #[error("the challenge has expired; ask for a new one")]
    Expired,
    #[error("the challenge was already used")]
    Spent,
    #[error("the solution does not meet the challenge")]
    Unsolved,
}

/// A challenge to hand to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub token: String,
    pub bits: u8,
}

pub struct CreationChallenge {
    key: [u8; 32],
    policy: ChallengePolicy,
    /// When recent anonymous creations happened, oldest first.
    recent: VecDeque<u64>,
    /// Solved tokens (by their random part) until they expire.
    spent: HashMap<[u8; RANDOM_LEN], u64>,
}

impl CreationChallenge {
    pub fn new(policy: ChallengePolicy, key: [u8; 32]) -> Self {
        Self {
            key,
            policy,
            recent: VecDeque::new(),
            spent: HashMap::new(),
        }
    }

    /// The difficulty a creation at `now` must meet, or `None` when creation is open.
    pub fn required_bits(&mut self, now: u64) -> Option<u8> {
        let threshold = self.policy.above_per_minute;
        if threshold == 0 {
            return None;
        }
        self.forget_before(now.saturating_sub(MINUTE_MS));
        let n = self.recent.len() as u64;
        if n < u64::from(threshold) {
            return None;
        }
        let doublings = (n / u64::from(threshold)).ilog2();
        let bits = u32::from(self.policy.base_bits).saturating_add(doublings);
        Some(bits.min(u32::from(self.policy.max_bits)) as u8)
    }

    /// Counts an anonymous conversation created at `now`.
    pub fn created(&mut self, now: u64) {
        if self.recent.len() >= MAX_REMEMBERED {
            self.recent.pop_front();
        }
        self.recent.push_back(now);
    }

    /// A new challenge of `bits` issued at `now`; `random` makes it unique.
    pub fn issue(&self, bits: u8, now: u64, random: [u8; RANDOM_LEN]) -> Challenge {
        let mut raw = [0u8; TOKEN_BYTES];
        raw[0] = VERSION;
        raw[1..9].copy_from_slice(&now.to_be_bytes());
        raw[9] = bits;
        raw[10..BODY_LEN].copy_from_slice(&random);
        let tag = self.tag(&raw[..BODY_LEN]);
        raw[BODY_LEN..].copy_from_slice(&tag[..TAG_LEN]);
        Challenge {
            token: URL_SAFE_NO_PAD.encode(raw),
            bits,
        }
    }

    /// Checks `solution` for `token` at `now` and spends the token.
    pub fn redeem(&mut self, token: &str, solution: &str, now: u64) -> Result<(), ChallengeError> {
        let raw = URL_SAFE_NO_PAD
            .decode(token)
            .ok()
            .filter(|r| r.len() == TOKEN_BYTES && r[0] == VERSION)
            .ok_or(ChallengeError::Forged)?;
        let mut mac = self.mac();
        mac.update(&raw[..BODY_LEN]);
        mac.verify_truncated_left(&raw[BODY_LEN..])
            .map_err(|_| ChallengeError::Forged)?;
        let mut issued = [0u8; 8];
        issued.copy_from_slice(&raw[1..9]);
        let issued = u64::from_be_bytes(issued);
        if now > issued.saturating_add(self.policy.ttl_ms) || issued > now.saturating_add(1_000) {
            return Err(ChallengeError::Expired);
        }
        let mut random = [0u8; RANDOM_LEN];
        random.copy_from_slice(&raw[10..BODY_LEN]);
        self.spent.retain(|_, expires| *expires > now);
        if self.spent.contains_key(&random) {
            return Err(ChallengeError::Spent);
        }
        if solution.is_empty()
            || solution.len() > MAX_SOLUTION_LEN
            || leading_zero_bits(token, solution) < u32::from(raw[9])
        {
            return Err(ChallengeError::Unsolved);
        }
        self.spent
            .insert(random, issued.saturating_add(self.policy.ttl_ms));
        Ok(())
    }

    fn forget_before(&mut self, cutoff: u64) {
        while self.recent.front().is_some_and(|t| *t < cutoff) {
            self.recent.pop_front();
        }
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes a key of any length; this cannot fail.
        <Hmac<Sha256> as Mac>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!())
    }

    fn tag(&self, body: &[u8]) -> [u8; 32] {
        let mut mac = self.mac();
        mac.update(body);
        mac.finalize().into_bytes().into()
    }
}

/// Zero bits at the start of SHA-256(`token` ":" `solution`).
pub fn leading_zero_bits(token: &str, solution: &str) -> u32 {
    let digest = Sha256::new()
        .chain_update(token.as_bytes())
        .chain_update(b":")
        .chain_update(solution.as_bytes())
        .finalize();
    let mut bits = 0;
    for byte in digest {
        bits += byte.leading_zeros();
        if byte != 0 {
            break;
        }
    }
    bits
}

/// Solves a challenge by counting up; for tests and benchmarks (clients do the same in JS).
pub fn solve(challenge: &Challenge) -> String {
    (0u64..)
        .map(|n| n.to_string())
        .find(|s| leading_zero_bits(&challenge.token, s) >= u32::from(challenge.bits))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ChallengePolicy {
        ChallengePolicy {
            above_per_minute: 10,
            base_bits: 8,
            max_bits: 11,
            ttl_ms: 120_000,
        }
    }

    fn gate() -> CreationChallenge {
        CreationChallenge::new(policy(), [7; 32])
    }

    #[test]
    fn open_below_the_threshold_and_harder_per_doubling_above_it() {
        let mut g = gate();
        for i in 0..9 {
            g.created(i * 1_000);
        }
        assert_eq!(g.required_bits(9_000), None);
        g.created(9_000);
        assert_eq!(g.required_bits(9_500), Some(8));
        for i in 0..10 {
            g.created(10_000 + i);
        }
        assert_eq!(g.required_bits(11_000), Some(9), "20 = 2x the threshold");
        for i in 0..1_000 {
            g.created(12_000 + i);
        }
        assert_eq!(g.required_bits(13_000), Some(11), "capped at max_bits");
        // A minute later the flood is forgotten.
        assert_eq!(g.required_bits(13_000 + MINUTE_MS), None);
    }

    #[test]
    fn a_zero_threshold_turns_challenges_off() {
        let mut g = CreationChallenge::new(
            ChallengePolicy {
                above_per_minute: 0,
                ..policy()
            },
            [1; 32],
        );
        for i in 0..1_000 {
            g.created(i);
        }
        assert_eq!(g.required_bits(1_000), None);
    }

    #[test]
    fn a_solved_token_creates_once_and_the_token_fits_one_hash_block() {
        let mut g = gate();
        let c = g.issue(10, 5_000, [3; RANDOM_LEN]);
        assert_eq!(
            c.token.len() + 1,
            64,
            "token and ':' fill one SHA-256 block"
        );
        let s = solve(&c);
        assert!(leading_zero_bits(&c.token, &s) >= 10);
        assert_eq!(g.redeem(&c.token, &s, 6_000), Ok(()));
        assert_eq!(g.redeem(&c.token, &s, 6_001), Err(ChallengeError::Spent));
    }

    #[test]
    fn forged_expired_and_unsolved_tokens_are_refused() {
        let mut g = gate();
        let c = g.issue(10, 5_000, [4; RANDOM_LEN]);
        let s = solve(&c);
        // Another gateway's key, a changed difficulty, garbage.
        let other = CreationChallenge::new(policy(), [8; 32]).issue(10, 5_000, [4; RANDOM_LEN]);
        assert_eq!(
            g.redeem(&other.token, &s, 6_000),
            Err(ChallengeError::Forged)
        );
        let mut raw = URL_SAFE_NO_PAD.decode(&c.token).unwrap();
        raw[9] = 1;
        let easier = URL_SAFE_NO_PAD.encode(&raw);
        assert_eq!(g.redeem(&easier, "0", 6_000), Err(ChallengeError::Forged));
        assert_eq!(
            g.redeem("not a token", &s, 6_000),
            Err(ChallengeError::Forged)
        );
        assert_eq!(g.redeem("", "", 6_000), Err(ChallengeError::Forged));
        // Too late, and from the future.
        assert_eq!(
            g.redeem(&c.token, &s, 5_000 + 120_001),
            Err(ChallengeError::Expired)
        );
        let future = g.issue(10, 60_000, [5; RANDOM_LEN]);
        assert_eq!(
            g.redeem(&future.token, &solve(&future), 5_000),
            Err(ChallengeError::Expired)
        );
        // A wrong or oversized answer, which leaves the token unspent.
        let wrong = (0u64..)
            .map(|n| n.to_string())
            .find(|x| leading_zero_bits(&c.token, x) < 10)
            .unwrap();
        assert_eq!(
            g.redeem(&c.token, &wrong, 6_000),
            Err(ChallengeError::Unsolved)
        );
        assert_eq!(
            g.redeem(&c.token, &"9".repeat(33), 6_000),
            Err(ChallengeError::Unsolved)
        );
        assert_eq!(g.redeem(&c.token, &s, 6_000), Ok(()));
    }
}
