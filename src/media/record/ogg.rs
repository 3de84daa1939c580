//! An Ogg/Opus file fed with Opus packets at positions on the call's 48 kHz clock, written by
//! `rtc`'s `OggWriter`. Positions must increase (the track clock guarantees it); the file's
//! granule positions count from the first packet, so gaps (nobody speaking, lost packets) stay
//! gaps in time.

use super::RecordError;
use bytes::Bytes;
use rtc::media::io::ogg_writer::OggWriter;
use rtc::media::io::Writer as _;
use std::io::Write;

/// The longest a file may run: OggWriter keeps 32-bit timestamps.
const MAX_TICKS: u64 = u32::MAX as u64 / 2;

pub struct OpusOgg<W: Write> {
    writer: OggWriter<W>,
    first: Option<u64>,
    last: Option<u64>,
    /// Where the last packet ends.
    end: u64,
}

impl<W: Write> OpusOgg<W> {
    pub fn new(out: W, channels: u8) -> Result<Self, RecordError> {
        Ok(Self {
            writer: OggWriter::new(out, 48_000, channels).map_err(RecordError::codec)?,
            first: None,
            last: None,
            end: 0,
        })
    }

    /// Writes one Opus packet that starts at `pos` and holds `samples` samples. Packets at or
    /// before the previous one are skipped.
    pub fn write(&mut self, pos: u64, packet: Bytes, samples: u64) -> Result<(), RecordError> {
        if self.last.is_some_and(|l| pos <= l) {
            return Ok(());
        }
        let first = *self.first.get_or_insert(pos);
        let rel = pos - first;
        if rel > MAX_TICKS || packet.is_empty() {
            return Ok(());
        }
        let mut rtp = rtc::rtp::Packet::default();
        // OggWriter treats timestamp 1 as "no packet yet".
        rtp.header.timestamp = rel as u32 + 1;
        rtp.payload = packet;
        self.writer.write_rtp(&rtp).map_err(RecordError::codec)?;
        self.last = Some(pos);
        self.end = pos + samples;
        Ok(())
    }

    /// The first packet's position, if any was written.
    pub fn start(&self) -> Option<u64> {
        self.first
    }

    /// Samples from the first packet's start to the last one's end.
    pub fn duration(&self) -> u64 {
        self.first.map(|f| self.end.saturating_sub(f)).unwrap_or(0)
    }

    /// Ends the stream (end-of-stream page) and flushes.
    pub fn finish(mut self) -> Result<(), RecordError> {
        self.writer.close().map_err(RecordError::codec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pages of an Ogg stream: (header type, granule position, segment data).
    pub fn pages(mut b: &[u8]) -> Vec<(u8, u64, Vec<u8>)> {
        let mut out = Vec::new();
        while b.len() >= 27 && &b[..4] == b"OggS" {
            let kind = b[5];
            let granule = u64::from_le_bytes(b[6..14].try_into().unwrap());
            let n = b[26] as usize;
            let lens = &b[27..27 + n];
            let body: usize = lens.iter().map(|l| *l as usize).sum();
            let data = b[27 + n..27 + n + body].to_vec();
            out.push((kind, granule, data));
            b = &b[27 + n + body..];
        }
        out
    }

    #[test]
    fn packets_become_pages_with_granules_counted_from_the_first_packet() {
        let mut buf = Vec::new();
        let mut ogg = OpusOgg::new(&mut buf, 1).unwrap();
        ogg.write(48_000, Bytes::from_static(&[0xf8, 1, 2]), 960)
            .unwrap();
        ogg.write(48_960, Bytes::from_static(&[0xf8, 3]), 960)
            .unwrap();
        // A gap of 100 ms, then a reordered packet that is skipped.
        ogg.write(54_720, Bytes::from_static(&[0xf8, 4]), 960)
            .unwrap();
        ogg.write(48_960, Bytes::from_static(&[0xf8, 9]), 960)
            .unwrap();
        assert_eq!(ogg.start(), Some(48_000));
        assert_eq!(ogg.duration(), 54_720 + 960 - 48_000);
        ogg.finish().unwrap();
        let p = pages(&buf);
        assert_eq!(&p[0].2[..8], b"OpusHead");
        assert_eq!(&p[1].2[..8], b"OpusTags");
        let audio: Vec<_> = p[2..].iter().map(|(_, g, d)| (*g, d.clone())).collect();
        assert_eq!(audio[0].1, vec![0xf8, 1, 2]);
        assert_eq!(audio[2].0 - audio[1].0, 5_760);
        assert_eq!(p.last().unwrap().0 & 4, 4, "end of stream");
    }
}
