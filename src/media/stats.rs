//! Process-wide media counters for `/metrics`: packets forwarded to subscribers, packets a slow
//! subscriber's queue dropped, packets the recorder's tap dropped, and decoded audio chunks the
//! transcription tap dropped. Totals only grow; the per-call figures live on the call's objects.

use std::sync::atomic::{AtomicU64, Ordering};

pub static FORWARDED: AtomicU64 = AtomicU64::new(0);
pub static FORWARD_DROPPED: AtomicU64 = AtomicU64::new(0);
pub static RECORDER_DROPPED: AtomicU64 = AtomicU64::new(0);
pub static AUDIO_TAP_DROPPED: AtomicU64 = AtomicU64::new(0);
/// Recording writes the disk refused (full, failing); each ends one file early.
pub static RECORDING_WRITE_FAILURES: AtomicU64 = AtomicU64::new(0);

/// The counters now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MediaStats {
    pub forwarded: u64,
    pub forward_dropped: u64,
    pub recorder_dropped: u64,
    pub audio_tap_dropped: u64,
    pub recording_write_failures: u64,
}

pub fn snapshot() -> MediaStats {
    MediaStats {
        forwarded: FORWARDED.load(Ordering::Relaxed),
        forward_dropped: FORWARD_DROPPED.load(Ordering::Relaxed),
        recorder_dropped: RECORDER_DROPPED.load(Ordering::Relaxed),
        audio_tap_dropped: AUDIO_TAP_DROPPED.load(Ordering::Relaxed),
        recording_write_failures: RECORDING_WRITE_FAILURES.load(Ordering::Relaxed),
    }
}
