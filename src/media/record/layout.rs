//! Names of a call's recording files (sans-IO): `<participantId>-<source>.<ext>` per member and
//! track (`-2`, `-3`… when a member publishes the same source again after leaving), and
//! `mixed.ogg` for the whole call's audio. Ids are reduced to `[A-Za-z0-9_-]`, so a name is
//! always one plain path segment.

use crate::domain::{MediaSource, ParticipantId, RecordingSource};
use std::collections::HashMap;

/// The mixed audio of the call.
pub const MIXED: &str = "mixed.ogg";

pub fn mime(source: RecordingSource) -> &'static str {
    match source {
        RecordingSource::Microphone | RecordingSource::Mixed => "audio/ogg",
        RecordingSource::Camera | RecordingSource::Screen => "video/webm",
    }
}

fn extension(source: MediaSource) -> &'static str {
    if source.is_video() {
        "webm"
    } else {
        "ogg"
    }
}

/// Hands out unique file names within one call.
#[derive(Debug, Default)]
pub struct Names {
    used: HashMap<(ParticipantId, MediaSource), u32>,
}

impl Names {
    pub fn next(&mut self, member: &ParticipantId, source: MediaSource) -> String {
        let n = self.used.entry((member.clone(), source)).or_insert(0);
        *n += 1;
        let id: String = member
            .0
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .take(64)
            .collect();
        let id = if id.is_empty() { "member".into() } else { id };
        let suffix = if *n > 1 {
            format!("-{n}")
        } else {
            String::new()
        };
        format!("{id}-{}{suffix}.{}", source.as_str(), extension(source))
    }
}

/// Whether `name` could be one of our file names: a single plain segment.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_per_member_and_source_repeat_with_a_counter() {
        let mut n = Names::default();
        let p = ParticipantId("p-0193".into());
        assert_eq!(n.next(&p, MediaSource::Microphone), "p-0193-microphone.ogg");
        assert_eq!(n.next(&p, MediaSource::Camera), "p-0193-camera.webm");
        assert_eq!(n.next(&p, MediaSource::Screen), "p-0193-screen.webm");
        assert_eq!(
            n.next(&p, MediaSource::Microphone),
            "p-0193-microphone-2.ogg"
        );
        let odd = ParticipantId("../../etc/passwd".into());
        let name = n.next(&odd, MediaSource::Camera);
        assert_eq!(name, "etcpasswd-camera.webm");
        assert!(is_plain_name(&name) && is_plain_name(MIXED));
        assert!(!is_plain_name("../x.ogg") && !is_plain_name("a/b.ogg") && !is_plain_name(""));
        assert_eq!(mime(RecordingSource::Screen), "video/webm");
        assert_eq!(mime(RecordingSource::Mixed), "audio/ogg");
    }
}
