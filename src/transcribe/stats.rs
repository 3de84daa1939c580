//! Process-wide transcription counters for `/metrics`: utterances recognised (live and batch),
//! seconds of audio and of inference, and live utterances dropped because the workers were
//! behind. Totals only grow.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub static LIVE_DONE: AtomicU64 = AtomicU64::new(0);
pub static BATCH_DONE: AtomicU64 = AtomicU64::new(0);
pub static LIVE_DROPPED: AtomicU64 = AtomicU64::new(0);
pub static AUDIO_MS: AtomicU64 = AtomicU64::new(0);
pub static BUSY_MS: AtomicU64 = AtomicU64::new(0);

/// The counters now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TranscribeStats {
    pub live_done: u64,
    pub batch_done: u64,
    pub live_dropped: u64,
    pub audio_ms: u64,
    pub busy_ms: u64,
}

pub fn snapshot() -> TranscribeStats {
    TranscribeStats {
        live_done: LIVE_DONE.load(Ordering::Relaxed),
        batch_done: BATCH_DONE.load(Ordering::Relaxed),
        live_dropped: LIVE_DROPPED.load(Ordering::Relaxed),
        audio_ms: AUDIO_MS.load(Ordering::Relaxed),
        busy_ms: BUSY_MS.load(Ordering::Relaxed),
    }
}

pub(crate) fn record(live: bool, samples: &[f32], busy: Duration) {
    if live { &LIVE_DONE } else { &BATCH_DONE }.fetch_add(1, Ordering::Relaxed);
    AUDIO_MS.fetch_add(samples.len() as u64 / 16, Ordering::Relaxed);
    BUSY_MS.fetch_add(busy.as_millis() as u64, Ordering::Relaxed);
}
