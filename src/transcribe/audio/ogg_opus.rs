//! Ogg/Opus files, decoded with libopus at 48 kHz and delivered a page at a time.
//!
//! Granule positions (the page's sample clock) mean one of two things, told apart by the vendor
//! string in `OpusTags`:
//! - RFC 7845 (opusenc, ffmpeg, browsers' MediaRecorder): packets follow one another without
//!   gaps, the first `pre_skip` decoded samples are encoder warm-up and are dropped, and the
//!   end-of-stream page's granule marks where the audio really ends (end trimming).
//! - webrtc-rs's `OggWriter` ("WebRTC.rs"), which the gateway's recorder uses: one packet per
//!   page, its granule is where the packet *starts* (RTP time since the first packet, plus one),
//!   and gaps (nobody speaking, lost packets) are real time that must stay silence. The header's
//!   pre-skip is a hard-coded 3840 that says nothing about these packets (they were encoded by a
//!   browser and already sit on the call clock), so it is not applied: sample `i` of the output
//!   is `i / 48000` s after the file's `offsetMs`, as the recorder and its audio tap count.
//!   Two quirks of that writer are undone: the second packet repeats the first one's granule
//!   (the writer skips the first increment), and `close()` writes the last page again as the
//!   end-of-stream page.

use super::AudioError;
use ogg::{OggReadError, Packet, PacketReader};
use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Seek};

/// Opus always decodes at this rate here; it is the recorder's call clock too.
pub const OPUS_RATE: u32 = 48_000;
/// The longest Opus packet: 120 ms at 48 kHz, per channel.
const MAX_PACKET: usize = 5_760;
/// Silence is handed out at most this many samples at a time (1 s), so a long gap never
/// becomes one huge allocation.
const SILENCE_CHUNK: u64 = 48_000;
/// A jump in packet positions beyond this (about 25 hours) is a corrupt granule, not a pause.
const MAX_GAP: u64 = u32::MAX as u64;
/// The vendor string webrtc-rs's `OggWriter` puts in `OpusTags`.
const WEBRTC_RS_VENDOR: &[u8] = b"WebRTC.rs";

/// How packet positions are found; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timing {
    Rfc7845 { pre_skip: u64 },
    PacketStart,
}

/// Decoded audio waiting to be handed out.
enum Piece {
    Pcm(Vec<f32>),
    Silence(u64),
}

impl Piece {
    fn len(&self) -> u64 {
        match self {
            Piece::Pcm(v) => v.len() as u64,
            Piece::Silence(n) => *n,
        }
    }
}

/// Where a webrtc-rs file's packets start, from their granules.
#[derive(Default)]
struct PacketStarts {
    /// The first packet's granule and decoded length.
    origin: Option<(u64, u64)>,
    /// Added to `granule - origin` from the second packet on: the first packet's length when the
    /// writer gave the second packet the first one's granule, otherwise 0.
    offset: Option<u64>,
    last_start: Option<u64>,
    /// The previous packet's granule and bytes, to recognise the repeated final page.
    previous: Option<(u64, Vec<u8>)>,
}

impl PacketStarts {
    /// Where a packet of `len` samples starts, or `None` if it must be skipped.
    fn place(&mut self, packet: &Packet, len: u64) -> Option<u64> {
        let granule = packet.absgp_page();
        let repeated = packet.last_in_stream()
            && self
                .previous
                .as_ref()
                .is_some_and(|(g, data)| *g == granule && *data == packet.data);
        self.previous = Some((granule, packet.data.clone()));
        // Granule 0 belongs to the headers (an empty writer's close() repeats `OpusTags`).
        if granule == 0 || repeated {
            return None;
        }
        let start = match self.origin {
            None => {
                self.origin = Some((granule, len));
                0
            }
            Some((first, first_len)) => {
                let offset =
                    *self
                        .offset
                        .get_or_insert(if granule == first { first_len } else { 0 });
                granule.checked_sub(first)? + offset
            }
        };
        // Positions only move forward; anything else is a duplicate or out of order.
        if self.last_start.is_some_and(|last| start <= last) {
            return None;
        }
        self.last_start = Some(start);
        Some(start)
    }
}

/// The Opus stream of an Ogg file, decoded page by page.
pub struct OggOpus<R: Read + Seek> {
    reader: PacketReader<R>,
    serial: u32,
    channels: usize,
    decoder: opus::Decoder,
    timing: Timing,
    starts: PacketStarts,
    scratch: Vec<f32>,
    /// Samples placed in the output so far (gaps included): the time of the next one.
    cursor: u64,
    /// RFC 7845: samples decoded so far, pre-skip included (the granule clock).
    decoded: u64,
    /// Audio packets read, for error messages.
    packets: u64,
    /// The current page's audio, held back until the page ends in case it is the last one and
    /// must be trimmed.
    page: Vec<Piece>,
    ready: VecDeque<Piece>,
    ended: bool,
}

impl<R: Read + Seek> OggOpus<R> {
    /// Reads the `OpusHead` and `OpusTags` headers.
    pub fn new(reader: R) -> Result<Self, AudioError> {
        let mut reader = PacketReader::new(reader);
        let head = reader
            .read_packet()
            .map_err(ogg_error)?
            .ok_or_else(|| AudioError::Ogg("no packets".into()))?;
        let serial = head.stream_serial();
        let (channels, pre_skip, gain) = parse_head(&head.data)?;
        let tags = loop {
            match reader.read_packet().map_err(ogg_error)? {
                Some(p) if p.stream_serial() == serial => break p,
                Some(_) => continue,
                None => return Err(AudioError::Ogg("no OpusTags header".into())),
            }
        };
        let timing = if vendor(&tags.data)?.starts_with(WEBRTC_RS_VENDOR) {
            Timing::PacketStart
        } else {
            Timing::Rfc7845 { pre_skip }
        };
        let layout = if channels == 1 {
            opus::Channels::Mono
        } else {
            opus::Channels::Stereo
        };
        let mut decoder = opus::Decoder::new(OPUS_RATE, layout).map_err(opus_error)?;
        if gain != 0 {
            // OpusHead's gain and libopus's are both dB in Q7.8.
            decoder.set_gain(i32::from(gain)).map_err(opus_error)?;
        }
        Ok(Self {
            reader,
            serial,
            channels,
            decoder,
            timing,
            starts: PacketStarts::default(),
            scratch: vec![0.0; MAX_PACKET * channels],
            cursor: 0,
            decoded: 0,
            packets: 0,
            page: Vec::new(),
            ready: VecDeque::new(),
            ended: false,
        })
    }

    /// The next stretch of mono samples, `None` at the end.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<f32>>, AudioError> {
        loop {
            match self.ready.pop_front() {
                Some(Piece::Pcm(v)) if v.is_empty() => {}
                Some(Piece::Pcm(v)) => return Ok(Some(v)),
                Some(Piece::Silence(0)) => {}
                Some(Piece::Silence(n)) => {
                    let now = n.min(SILENCE_CHUNK);
                    if n > now {
                        self.ready.push_front(Piece::Silence(n - now));
                    }
                    return Ok(Some(vec![0.0; now as usize]));
                }
                None if self.ended => return Ok(None),
                None => self.step()?,
            }
        }
    }

    /// Reads and places one packet.
    fn step(&mut self) -> Result<(), AudioError> {
        let packet = match self.reader.read_packet() {
            Ok(Some(p)) => Some(p),
            Ok(None) => None,
            // A file cut short (the gateway stopped mid-write) keeps its whole pages.
            Err(OggReadError::ReadError(e)) if e.kind() == ErrorKind::UnexpectedEof => None,
            Err(e) => return Err(ogg_error(e)),
        };
        let Some(packet) = packet else {
            self.end(None);
            return Ok(());
        };
        if packet.stream_serial() != self.serial {
            return Ok(());
        }
        self.packets += 1;
        if !packet.data.is_empty() {
            self.place(&packet)?;
        }
        if packet.last_in_stream() {
            self.end(Some(packet.absgp_page()));
        } else if packet.last_in_page() {
            self.ready.extend(self.page.drain(..));
        }
        Ok(())
    }

    fn place(&mut self, packet: &Packet) -> Result<(), AudioError> {
        let pcm = self.decode(&packet.data)?;
        let len = pcm.as_ref().map_or(0, |p| p.len() as u64);
        match self.timing {
            Timing::Rfc7845 { pre_skip } => {
                let Some(pcm) = pcm else {
                    // Without a length the rest of the file's timing would be wrong.
                    return Err(AudioError::Ogg(format!(
                        "audio packet {} is not Opus",
                        self.packets
                    )));
                };
                let skip = pre_skip.saturating_sub(self.decoded).min(len) as usize;
                self.decoded += len;
                self.push(pcm[skip..].to_vec());
            }
            Timing::PacketStart => {
                let Some(start) = self.starts.place(packet, len) else {
                    return Ok(());
                };
                let Some(pcm) = pcm else { return Ok(()) };
                if start > self.cursor {
                    let gap = start - self.cursor;
                    if gap > MAX_GAP {
                        return Err(AudioError::Ogg(format!(
                            "granule position jumps {gap} samples at packet {}",
                            self.packets
                        )));
                    }
                    self.page.push(Piece::Silence(gap));
                    self.cursor = start;
                }
                // A packet overlapping the previous one keeps only its new part.
                let overlap = (self.cursor - start).min(len) as usize;
                self.push(pcm[overlap..].to_vec());
            }
        }
        Ok(())
    }

    fn push(&mut self, pcm: Vec<f32>) {
        self.cursor += pcm.len() as u64;
        self.page.push(Piece::Pcm(pcm));
    }

    /// Mono samples of one packet. An undecodable packet (the recorder writes what the network
    /// delivered) becomes silence of its stated length; `None` if even that is unknown.
    fn decode(&mut self, data: &[u8]) -> Result<Option<Vec<f32>>, AudioError> {
        let n = match self.decoder.decode_float(data, &mut self.scratch, false) {
            Ok(n) => n.min(MAX_PACKET),
            Err(_) => {
                return Ok(opus::packet::get_nb_samples(data, OPUS_RATE)
                    .ok()
                    .map(|n| vec![0.0; n.min(MAX_PACKET)]))
            }
        };
        let pcm = &self.scratch[..n * self.channels];
        Ok(Some(if self.channels == 1 {
            pcm.to_vec()
        } else {
            pcm.chunks_exact(self.channels)
                .map(|f| f.iter().sum::<f32>() / self.channels as f32)
                .collect()
        }))
    }

    /// Ends the stream; an RFC 7845 end-of-stream granule trims the last page.
    fn end(&mut self, granule: Option<u64>) {
        if let (Timing::Rfc7845 { pre_skip }, Some(granule)) = (self.timing, granule) {
            let length = granule.saturating_sub(pre_skip);
            let mut excess = self.cursor.saturating_sub(length);
            for piece in self.page.iter_mut().rev() {
                let cut = excess.min(piece.len());
                match piece {
                    Piece::Pcm(v) => v.truncate(v.len() - cut as usize),
                    Piece::Silence(n) => *n -= cut,
                }
                excess -= cut;
                self.cursor -= cut;
            }
        }
        self.ready.extend(self.page.drain(..));
        self.ended = true;
    }
}

/// Channels, pre-skip and output gain from an `OpusHead` packet.
fn parse_head(data: &[u8]) -> Result<(usize, u64, i16), AudioError> {
    if !data.starts_with(b"OpusHead") {
        return Err(match data {
            d if d.starts_with(b"\x01vorbis") => AudioError::Unsupported("Ogg Vorbis"),
            d if d.starts_with(b"\x7fFLAC") => AudioError::Unsupported("Ogg FLAC"),
            d if d.starts_with(b"Speex   ") => AudioError::Unsupported("Ogg Speex"),
            d if d.starts_with(b"\x80theora") => AudioError::Unsupported("Ogg Theora"),
            _ => AudioError::Ogg("the first packet is not an OpusHead".into()),
        });
    }
    if data.len() < 19 {
        return Err(AudioError::Ogg("OpusHead is too short".into()));
    }
    // The high nibble is the major version; only 0 is defined.
    if data[8] >> 4 != 0 {
        return Err(AudioError::Ogg(format!("OpusHead version {}", data[8])));
    }
    let channels = usize::from(data[9]);
    let pre_skip = u64::from(u16::from_le_bytes([data[10], data[11]]));
    let gain = i16::from_le_bytes([data[16], data[17]]);
    match (data[18], channels) {
        (0, 1 | 2) => Ok((channels, pre_skip, gain)),
        (0, n) => Err(AudioError::Ogg(format!("OpusHead with {n} channels"))),
        _ => Err(AudioError::Unsupported("multichannel Ogg/Opus")),
    }
}

/// The vendor string of an `OpusTags` packet. webrtc-rs declares 10 bytes and writes 9, so a
/// short vendor is taken as far as it goes rather than refused.
fn vendor(data: &[u8]) -> Result<&[u8], AudioError> {
    if !data.starts_with(b"OpusTags") || data.len() < 12 {
        return Err(AudioError::Ogg("the second packet is not OpusTags".into()));
    }
    let declared = u32::from_le_bytes([data[8], data[9], data[10], data[11]]) as usize;
    Ok(&data[12..data.len().min(12 + declared)])
}

fn ogg_error(e: OggReadError) -> AudioError {
    match e {
        OggReadError::ReadError(e) => AudioError::Io(e),
        e => AudioError::Ogg(e.to_string()),
    }
}

fn opus_error(e: opus::Error) -> AudioError {
    AudioError::Ogg(format!("opus: {e}"))
}

#[cfg(test)]
#[path = "ogg_opus_tests.rs"]
mod tests;
