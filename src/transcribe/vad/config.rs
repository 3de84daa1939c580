//! The voice-activity settings and their validation.

use serde::{Deserialize, Serialize};

/// A VAD setting that cannot work.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VadError {
    #[error(
        "vad thresholds need 0 <= off_threshold <= on_threshold <= 1, got off {off} and on {on}"
    )]
    Thresholds { on: f32, off: f32 },
    #[error("vad.{key} must be between {min} and {max} ms, got {value}")]
    Range {
        key: &'static str,
        min: u32,
        max: u32,
        value: u32,
    },
    #[error("vad.post_roll_ms ({post}) cannot exceed vad.silence_ms ({silence}): the padding must already have been heard when the segment closes")]
    PostRoll { post: u32, silence: u32 },
}

/// How speech is cut into segments for Whisper.
///
/// ```toml
/// [transcribe.vad]
/// on_threshold = 0.5
/// off_threshold = 0.35
/// onset_ms = 48
/// silence_ms = 400
/// pre_roll_ms = 200
/// post_roll_ms = 200
/// min_speech_ms = 250
/// max_segment_ms = 15000
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VadConfig {
    /// A frame scoring at least this (earshot's 0..1) counts towards starting speech.
    pub on_threshold: f32,
    /// Once speaking, a frame scoring below this counts as silence. Lower than `on_threshold`
    /// so a wavering score does not chop words.
    pub off_threshold: f32,
    /// Speech starts after this long above `on_threshold` without a break.
    pub onset_ms: u32,
    /// Speech ends after this long below `off_threshold`.
    pub silence_ms: u32,
    /// Audio kept before the onset: the detector reacts a little late, and soft consonants
    /// come before the score rises.
    pub pre_roll_ms: u32,
    /// Audio kept after the last voiced frame.
    pub post_roll_ms: u32,
    /// Segments with less voiced audio than this (clicks, coughs) are dropped.
    pub min_speech_ms: u32,
    /// Longer speech is cut at its quietest recent moment; Whisper reads 30 s at most.
    pub max_segment_ms: u32,
}

impl Default for VadConfig {
    fn default() -> Self {
        Self {
            on_threshold: 0.5,
            off_threshold: 0.35,
            onset_ms: 48,
            silence_ms: 400,
            pre_roll_ms: 200,
            post_roll_ms: 200,
            min_speech_ms: 250,
            max_segment_ms: 15_000,
        }
    }
}

impl VadConfig {
    pub fn validate(&self) -> Result<(), VadError> {
        let (on, off) = (self.on_threshold, self.off_threshold);
        if !(0.0..=1.0).contains(&off) || !(0.0..=1.0).contains(&on) || off > on {
            return Err(VadError::Thresholds { on, off });
        }
        let range = |key, value, min, max| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(VadError::Range {
                    key,
                    min,
                    max,
                    value,
                })
            }
        };
        range("onset_ms", self.onset_ms, 16, 1_000)?;
        range("silence_ms", self.silence_ms, 16, 10_000)?;
        range("pre_roll_ms", self.pre_roll_ms, 0, 2_000)?;
        range("min_speech_ms", self.min_speech_ms, 0, 10_000)?;
        range("max_segment_ms", self.max_segment_ms, 2_000, 30_000)?;
        if self.post_roll_ms > self.silence_ms {
            return Err(VadError::PostRoll {
                post: self.post_roll_ms,
                silence: self.silence_ms,
            });
        }
        Ok(())
    }
}
