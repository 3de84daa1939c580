//! Calls inside a conversation: who is in the call, what they send, and when it started and
//! ended, as projected from the conversation's call events. Plain data; the media server lives in
//! `media`, which reports what happens as these events.

use super::ids::ParticipantId;
use super::Timestamp;
use serde::{Deserialize, Serialize};

/// What a published track carries. A screen share is its own video track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaSource {
    Microphone,
    Camera,
    Screen,
}

impl MediaSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Microphone => "microphone",
            Self::Camera => "camera",
            Self::Screen => "screen",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "microphone" => Self::Microphone,
            "camera" => Self::Camera,
            "screen" => Self::Screen,
            _ => return None,
        })
    }

    pub fn is_video(self) -> bool {
        self != Self::Microphone
    }
}

/// Why someone asked for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOrigin {
    /// The customer pressed "switch to video call".
    Customer,
    /// An agent offered the call.
    Agent,
    /// The handoff proposed it (the customer asked for a call).
    Handoff,
}

/// A change to what one call member sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaChange {
    Started,
    Stopped,
    Muted,
    Unmuted,
}

/// One `RTCIceServer` for the browser, in the `call_ready` frame: a STUN or TURN server, TURN
/// with short-lived credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// Someone in a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallMember {
    pub participant_id: ParticipantId,
    #[serde(default)]
    pub name: String,
    pub joined_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_at: Option<Timestamp>,
    /// What they send now, and whether it is muted.
    #[serde(default)]
    pub media: Vec<(MediaSource, bool)>,
}

/// A voice/video call held inside the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    pub call_id: String,
    pub started_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<CallOrigin>,
    /// Whether the call is recorded (the customer page says so).
    #[serde(default)]
    pub recorded: bool,
    #[serde(default)]
    pub members: Vec<CallMember>,
    /// The call's recording files, once the call ended and they were finalised. Staff only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recordings: Vec<RecordingFile>,
    /// The zero of the recordings' `offsetMs`. Staff only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_started_at: Option<Timestamp>,
    /// Utterances in the call's complete (after-call) transcript, once it exists. Staff only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript_segments: Option<usize>,
    /// When the retention job deleted the recording files (the transcript stays). Staff only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recordings_deleted_at: Option<Timestamp>,
}

/// What a recording file holds: one member's microphone, camera or screen, or the whole call's
/// audio mixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingSource {
    Microphone,
    Camera,
    Screen,
    Mixed,
}

impl From<MediaSource> for RecordingSource {
    fn from(s: MediaSource) -> Self {
        match s {
            MediaSource::Microphone => Self::Microphone,
            MediaSource::Camera => Self::Camera,
            MediaSource::Screen => Self::Screen,
        }
    }
}

impl RecordingSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Microphone => "microphone",
            Self::Camera => "camera",
            Self::Screen => "screen",
            Self::Mixed => "mixed",
        }
    }
}

/// One finished recording file of a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordingFile {
    /// Whose track it is; absent for the mixed audio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_id: Option<ParticipantId>,
    pub source: RecordingSource,
    /// `<conversationId>/<callId>/<name>`, relative to the recordings directory; the file is
    /// served at `/api/conversations/{id}/recordings/{callId}/{name}`.
    pub path: String,
    /// Where the file starts, in milliseconds after the call started (tracks and transcript
    /// line up on this clock).
    pub offset_ms: u64,
    pub duration_ms: u64,
    /// `audio/ogg` or `video/webm`.
    pub mime: String,
}

impl RecordingFile {
    /// The file name within the call's directory (the last segment of `path`).
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    /// Where the file is below the recordings directory `root`; `None` for a stored path that
    /// could leave it (empty, `.` or `..` segments, backslashes), which the gateway never writes.
    pub fn under(&self, root: &std::path::Path) -> Option<std::path::PathBuf> {
        let mut path = root.to_path_buf();
        for segment in self.path.split('/') {
            if segment.is_empty() || segment == "." || segment == ".." || segment.contains('\\') {
                return None;
            }
            path.push(segment);
        }
        Some(path)
    }
}

impl Call {
    pub fn is_live(&self) -> bool {
        self.ended_at.is_none()
    }

    pub fn member_mut(&mut self, id: &ParticipantId) -> Option<&mut CallMember> {
        self.members
            .iter_mut()
            .rev()
            .find(|m| &m.participant_id == id && m.left_at.is_none())
    }

    /// Members in the call now.
    pub fn present(&self) -> impl Iterator<Item = &CallMember> {
        self.members.iter().filter(|m| m.left_at.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn file(path: &str) -> RecordingFile {
        RecordingFile {
            participant_id: None,
            source: RecordingSource::Mixed,
            path: path.into(),
            offset_ms: 0,
            duration_ms: 0,
            mime: "audio/ogg".into(),
        }
    }

    #[test]
    fn recording_paths_stay_inside_the_recordings_directory() {
        let root = Path::new("/data/recordings");
        assert_eq!(
            file("c-1/call-1/mixed.ogg").under(root),
            Some(root.join("c-1").join("call-1").join("mixed.ogg"))
        );
        for bad in [
            "../etc/passwd",
            "c-1//x",
            "c-1/./x",
            "",
            "c-1/..",
            "a\\..\\b",
        ] {
            assert_eq!(file(bad).under(root), None, "{bad}");
        }
    }
}
