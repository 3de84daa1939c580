//! What flows between a call member's browser and the media server, independent of the WebSocket
//! frames that carry it (the app maps between the two), and what the media server reports.

use crate::domain::{MediaChange, MediaSource, ParticipantId};
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
}
