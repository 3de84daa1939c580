//! A WebM (VP8) file fed with whole VP8 frames at positions on the call's 90 kHz clock, muxed by
//! libwebm (the `webm` crate) in file mode, so the finished file has cues and a duration.
//! Nothing is written before the first keyframe (a decoder could not start earlier); the file's
//! time starts at that keyframe.

use super::RecordError;
use std::io::{Seek, Write};
use webm::mux::{SegmentBuilder, SegmentMode, VideoCodecId, VideoTrack, Writer};

/// A VP8 frame's keyframe header: its picture size (RFC 6386 section 9.1).
pub fn vp8_keyframe_size(frame: &[u8]) -> Option<(u32, u32)> {
    if frame.len() < 10 || frame[0] & 1 != 0 || frame[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let w = u32::from(u16::from_le_bytes([frame[6], frame[7]]) & 0x3fff);
    let h = u32::from(u16::from_le_bytes([frame[8], frame[9]]) & 0x3fff);
    (w > 0 && h > 0).then_some((w, h))
}

pub struct Vp8Webm<W: Write + Seek> {
    out: Option<W>,
    segment: Option<(webm::mux::Segment<W>, VideoTrack)>,
    first: Option<u64>,
    last: u64,
    pub frames: u64,
    /// Frames dropped while waiting for the first keyframe.
    pub waiting: u64,
}

/// Ticks of the 90 kHz video clock in nanoseconds.
fn ns(ticks: u64) -> u64 {
    ticks.saturating_mul(100_000) / 9
}

impl<W: Write + Seek> Vp8Webm<W> {
    pub fn new(out: W) -> Self {
        Self {
            out: Some(out),
            segment: None,
            first: None,
            last: 0,
            frames: 0,
            waiting: 0,
        }
    }

    /// Adds one VP8 frame that starts at `pos` (90 kHz ticks on the call clock).
    pub fn write(&mut self, pos: u64, frame: &[u8]) -> Result<(), RecordError> {
        let key = vp8_keyframe_size(frame);
        if self.segment.is_none() {
            let Some((w, h)) = key else {
                self.waiting += 1;
                return Ok(());
            };
            let Some(out) = self.out.take() else {
                return Ok(());
            };
            let (builder, track) = SegmentBuilder::new(Writer::new(out))
                .and_then(|b| b.set_mode(SegmentMode::File))
                .and_then(|b| b.set_writing_app("warmline"))
                .and_then(|b| b.add_video_track(w, h, VideoCodecId::VP8, None))
                .map_err(RecordError::mux)?;
            self.segment = Some((builder.build(), track));
            self.first = Some(pos);
        }
        let (Some((segment, track)), Some(first)) = (self.segment.as_mut(), self.first) else {
            return Ok(());
        };
        if pos < first || (self.frames > 0 && pos <= self.last) {
            return Ok(());
        }
        segment
            .add_frame(*track, frame, ns(pos - first), key.is_some())
            .map_err(RecordError::mux)?;
        self.last = pos;
        self.frames += 1;
        Ok(())
    }

    /// The first keyframe's position, if one was written.
    pub fn start(&self) -> Option<u64> {
        self.first
    }

    /// Ticks from the first frame to the last one (plus one frame's worth at 30 fps).
    pub fn duration(&self) -> u64 {
        match self.first {
            Some(f) if self.frames > 0 => self.last - f + 3_000,
            _ => 0,
        }
    }

    /// Writes cues and the duration. `Ok(false)` when no frame was ever written (no file).
    pub fn finish(self) -> Result<bool, RecordError> {
        let Some((segment, _)) = self.segment else {
            return Ok(false);
        };
        match segment.finalize(None) {
            Ok(w) => {
                w.into_inner().flush()?;
                Ok(true)
            }
            Err(_) => Err(RecordError::Mux(
                "finalising the WebM segment failed".into(),
            )),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Cursor;

    /// A VP8 keyframe header for a `w`x`h` picture followed by filler.
    pub fn keyframe(w: u16, h: u16) -> Vec<u8> {
        let mut f = vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a];
        f.extend_from_slice(&w.to_le_bytes());
        f.extend_from_slice(&h.to_le_bytes());
        f.extend_from_slice(&[0u8; 40]);
        f
    }

    #[test]
    fn keyframes_are_recognised_with_their_size() {
        assert_eq!(vp8_keyframe_size(&keyframe(320, 240)), Some((320, 240)));
        let mut inter = keyframe(320, 240);
        inter[0] |= 1;
        assert_eq!(vp8_keyframe_size(&inter), None);
        assert_eq!(vp8_keyframe_size(&[0, 1]), None);
    }

    #[test]
    fn the_file_starts_at_the_first_keyframe_and_is_a_webm() {
        let mut buf = Cursor::new(Vec::new());
        let mut w = Vp8Webm::new(&mut buf);
        let mut inter = keyframe(320, 240);
        inter[0] |= 1;
        w.write(1_000, &inter).unwrap();
        w.write(4_000, &keyframe(320, 240)).unwrap();
        for i in 1..30u64 {
            w.write(4_000 + i * 6_000, &inter).unwrap();
        }
        assert_eq!((w.waiting, w.frames), (1, 30));
        assert_eq!(w.start(), Some(4_000));
        assert_eq!(w.duration(), 29 * 6_000 + 3_000);
        assert!(w.finish().unwrap());
        let bytes = buf.into_inner();
        assert_eq!(&bytes[..4], &[0x1a, 0x45, 0xdf, 0xa3], "EBML header");
        let doc = bytes.windows(4).position(|w| w == b"webm");
        assert!(doc.is_some(), "doctype webm");
        assert!(
            bytes.windows(4).any(|w| w == [0x1c, 0x53, 0xbb, 0x6b]),
            "cues"
        );
    }
}
