//! What was said on a call, as text: one `TranscriptSegment` per utterance, placed on the call's
//! clock (milliseconds since the call started, the same clock as the recording files'
//! `offsetMs`), so transcript and recordings line up.

use super::ids::ParticipantId;
use super::message::Speaker;
use serde::{Deserialize, Serialize};

/// Which pass produced a transcript line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TranscriptSource {
    /// Recognised while the call ran, within about a second of the utterance.
    Live,
    /// Recognised from the recording after the call (complete).
    AfterCall,
}

/// On a `voice` message: where the utterance sits in its call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoiceSegment {
    pub call_id: String,
    pub participant_id: ParticipantId,
    pub start_ms: u64,
    pub end_ms: u64,
    /// The recogniser's confidence (mean token probability), 0..=1.
    pub confidence: f64,
    pub source: TranscriptSource,
}

/// One utterance of a call's complete transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptSegment {
    pub participant_id: ParticipantId,
    pub speaker: Speaker,
    /// The participant's display name when it was spoken.
    pub name: String,
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    pub confidence: f64,
}
