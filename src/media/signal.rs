//! What flows between a call member's browser and the media server, independent of the WebSocket
//! frames that carry it (the app maps between the two), and what the media server reports.

use crate::domain::{MediaChange, MediaSource, ParticipantId, RecordingFile, Timestamp};
use std::collections::BTreeMap;

/// `RTCIceCandidateInit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub candidate: String,
    pub sdp_mid: Option<String>,
    pub sdp_m_line_index: Option<u16>,
    pub username_fragment: Option<String>,
}

/// From the browser.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    /// An SDP offer; the first joins the call. Track ids mapped to what they carry.
    Offer {
        sdp: String,
        tracks: BTreeMap<String, MediaSource>,
    },
    Answer {
        sdp: String,
    },
    Ice(Candidate),
    /// Muted, unmuted or stopped a source.
    Media {
        source: MediaSource,
        change: MediaChange,
    },
    Hangup,
}

/// To the browser.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    Answer {
        sdp: String,
    },
    Offer {
        sdp: String,
    },
    Ice(Candidate),
    /// A signal could not be used: `glare`, `bad_sdp`, `call_full`, `not_in_call`, `media`.
    Error {
        code: &'static str,
        message: String,
    },
}

/// What happened in a call, for the conversation's timeline.
#[derive(Debug, Clone, PartialEq)]
pub enum CallEvent {
    Joined {
        call_id: String,
        member: ParticipantId,
    },
    /// `reason`: `hangup`, `dropped` or `ended`.
    Left {
        call_id: String,
        member: ParticipantId,
        reason: &'static str,
    },
    Media {
        call_id: String,
        member: ParticipantId,
        source: MediaSource,
        change: MediaChange,
    },
    /// The last member left (or the call was closed).
    Ended {
        call_id: String,
        reason: &'static str,
    },
    /// The call's recording files are finalised. Each file's `path` is its name in the call's
    /// recording directory.
    Recorded {
        call_id: String,
        /// The call clock's zero (wall clock): offsets count from here.
        clock_started_at: Timestamp,
        files: Vec<RecordingFile>,
    },
    /// Nothing more will be reported for this ended call: its recording (if any) was reported
    /// before this, on the same channel. Shutdown waits for it.
    Settled { call_id: String },
}

/// A piece of one member's decoded audio for transcription: 48 kHz mono, placed on the call's
/// clock (milliseconds since the media server started the call).
#[derive(Debug, Clone, PartialEq)]
pub struct AudioChunk {
    pub call_id: String,
    pub participant_id: ParticipantId,
    pub start_ms: u64,
    pub samples: Vec<i16>,
}

impl AudioChunk {
    pub const SAMPLE_RATE: u32 = 48_000;

    pub fn end_ms(&self) -> u64 {
        self.start_ms + self.samples.len() as u64 * 1000 / u64::from(Self::SAMPLE_RATE)
    }
}
