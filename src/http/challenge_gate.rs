//! The edge of `creation_challenge`: one engine per gateway behind a lock, the process clock and
//! randomness, the `Warmline-Challenge: <token>:<solution>` request header, and the metrics.
//! Callers who present a valid bearer token (staff, integrations) never meet it.

use super::creation_challenge::{ChallengePolicy, CreationChallenge};
use super::error::ApiError;
use crate::config::LimitsConfig;
use crate::service::port::EdgeCounters;
use axum::http::HeaderMap;
use rand::RngCore;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The request header that carries a solved challenge.
pub const HEADER: &str = "warmline-challenge";
/// How long a client has to solve a challenge.
const TTL_MS: u64 = 120_000;

pub struct ChallengeGate {
    engine: Mutex<CreationChallenge>,
    started: Instant,
}

impl ChallengeGate {
    pub fn new(limits: &LimitsConfig) -> Arc<Self> {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        let policy = ChallengePolicy {
            above_per_minute: limits.challenge_above_conversations_per_minute,
            base_bits: limits.challenge_base_bits,
            max_bits: limits.challenge_max_bits,
            ttl_ms: TTL_MS,
        };
        Arc::new(Self {
            engine: Mutex::new(CreationChallenge::new(policy, key)),
            started: Instant::now(),
        })
    }

    fn now(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Lets an anonymous creation through, or answers with a challenge (HTTP 428) to solve first.
    pub fn admit(&self, headers: &HeaderMap, counters: &dyn EdgeCounters) -> Result<(), ApiError> {
        let now = self.now();
        let mut engine = self.engine.lock().unwrap_or_else(|p| p.into_inner());
        let Some(bits) = engine.required_bits(now) else {
            return Ok(());
        };
        let count = |outcome| counters.creation_challenge(outcome);
        let presented = headers
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().rsplit_once(':'));
        let why = match presented {
            Some((token, solution)) => match engine.redeem(token, solution, now) {
                Ok(()) => {
                    count("solved");
                    return Ok(());
                }
                Err(e) => {
                    count("refused");
                    format!("{e}; solve the new challenge")
                }
            },
            None => "many new conversations are starting right now; solve the challenge".into(),
        };
        let mut random = [0u8; 21];
        rand::thread_rng().fill_bytes(&mut random);
        let challenge = engine.issue(bits, now, random);
        count("issued");
        Err(ApiError::ChallengeRequired {
            message: why,
            token: challenge.token,
            bits: challenge.bits,
        })
    }

    /// Counts an anonymous conversation that was created.
    pub fn created(&self) {
        let now = self.now();
        self.engine
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .created(now);
    }
}
