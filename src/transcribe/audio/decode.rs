//! Recognising an audio file by its first bytes and decoding it to mono `f32` chunks: WAV through
//! `hound` here, Ogg/Opus in `ogg_opus`.

use super::ogg_opus::{OggOpus, OPUS_RATE};
use super::{AudioError, RATES};
use std::fs::File;
use std::io::{BufReader, Cursor, ErrorKind, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Frames per WAV chunk: about 85 ms at 48 kHz, small enough to stream, large enough that the
/// per-chunk work disappears.
const WAV_CHUNK: usize = 4096;
/// Bytes `sniff` looks at.
const HEAD: usize = 12;

/// The container formats that decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Wav,
    /// Ogg; whether it holds Opus is checked when its first packet is read.
    Ogg,
}

/// Recognises a file from its first bytes (at least 12 for a definite answer). Formats people
/// are likely to try get their name in the error.
pub fn sniff(head: &[u8]) -> Result<Format, AudioError> {
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    if at(0, b"RIFF") && at(8, b"WAVE") {
        return Ok(Format::Wav);
    }
    if at(0, b"OggS") {
        return Ok(Format::Ogg);
    }
    let name = if at(0, b"RIFX") {
        "big-endian WAV (RIFX)"
    } else if at(0, b"RF64") || at(0, b"BW64") {
        "RF64 WAV"
    } else if at(0, b"fLaC") {
        "FLAC"
    } else if at(0, b"ID3") || (head.len() >= 2 && head[0] == 0xff && head[1] & 0xe0 == 0xe0) {
        "MP3"
    } else if at(0, &[0x1a, 0x45, 0xdf, 0xa3]) {
        "WebM/Matroska"
    } else if at(4, b"ftyp") {
        "MP4/M4A"
    } else if at(0, b"FORM") && at(8, b"AIFF") {
        "AIFF"
    } else {
        return Err(AudioError::UnknownFormat);
    };
    Err(AudioError::Unsupported(name))
}

/// A whole file's audio: mono, at `sample_rate`.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub samples: Vec<f32>,
    pub sample_rate: u32,
}

/// Decodes a whole file into memory. Long recordings are better streamed with `Decoder`.
pub fn decode_file(path: &Path) -> Result<Decoded, AudioError> {
    Decoder::open(path)?.collect()
}

/// Decodes a whole file that is already in memory.
pub fn decode_bytes(bytes: &[u8]) -> Result<Decoded, AudioError> {
    Decoder::new(Cursor::new(bytes))?.collect()
}

/// A file being decoded: its rate is known at once, its samples come in chunks of mono `f32`,
/// nominally in [-1, 1] (float WAV may exceed it; nothing here clips).
pub struct Decoder<R: Read + Seek> {
    source: Source<R>,
}

enum Source<R: Read + Seek> {
    Wav(Wav<R>),
    Ogg(Box<OggOpus<R>>),
}

impl Decoder<BufReader<File>> {
    pub fn open(path: &Path) -> Result<Self, AudioError> {
        Self::new(BufReader::new(File::open(path)?))
    }
}

impl<R: Read + Seek> Decoder<R> {
    /// Recognises the format from the reader's first bytes and reads the headers.
    pub fn new(mut reader: R) -> Result<Self, AudioError> {
        let start = reader.stream_position()?;
        let mut head = [0u8; HEAD];
        let mut filled = 0;
        while filled < HEAD {
            match reader.read(&mut head[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        let format = sniff(&head[..filled])?;
        reader.seek(SeekFrom::Start(start))?;
        let source = match format {
            Format::Wav => Source::Wav(Wav::new(reader)?),
            Format::Ogg => Source::Ogg(Box::new(OggOpus::new(reader)?)),
        };
        Ok(Self { source })
    }

    pub fn format(&self) -> Format {
        match self.source {
            Source::Wav(_) => Format::Wav,
            Source::Ogg(_) => Format::Ogg,
        }
    }

    pub fn sample_rate(&self) -> u32 {
        match &self.source {
            Source::Wav(w) => w.rate,
            Source::Ogg(_) => OPUS_RATE,
        }
    }

    /// The next chunk of samples (never empty), `None` at the end of the file.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<f32>>, AudioError> {
        match &mut self.source {
            Source::Wav(w) => w.next_chunk(),
            Source::Ogg(o) => o.next_chunk(),
        }
    }

    /// Reads the rest of the file into memory.
    pub fn collect(mut self) -> Result<Decoded, AudioError> {
        let mut samples = Vec::new();
        while let Some(chunk) = self.next_chunk()? {
            samples.extend_from_slice(&chunk);
        }
        Ok(Decoded {
            samples,
            sample_rate: self.sample_rate(),
        })
    }
}

/// A WAV file's integer or float samples, averaged across channels.
struct Wav<R: Read> {
    reader: hound::WavReader<EofFlag<R>>,
    /// Set once the file has run out: an error after that is a file cut short.
    eof: Arc<AtomicBool>,
    rate: u32,
    channels: usize,
    /// Integer full scale: `1 / 2^(bits - 1)`; `None` for float samples.
    scale: Option<f32>,
    ended: bool,
}

impl<R: Read> Wav<R> {
    fn new(reader: R) -> Result<Self, AudioError> {
        let eof = Arc::new(AtomicBool::new(false));
        let reader = hound::WavReader::new(EofFlag {
            inner: reader,
            eof: eof.clone(),
        })?;
        let spec = reader.spec();
        if !RATES.contains(&spec.sample_rate) {
            return Err(AudioError::SampleRate(spec.sample_rate));
        }
        let scale = match (spec.sample_format, spec.bits_per_sample) {
            (hound::SampleFormat::Int, bits @ 1..=32) => Some(1.0 / (1u64 << (bits - 1)) as f32),
            (hound::SampleFormat::Float, 32) => None,
            _ => return Err(AudioError::Wav(hound::Error::Unsupported)),
        };
        if spec.channels == 0 {
            return Err(AudioError::Wav(hound::Error::FormatError("no channels")));
        }
        Ok(Self {
            reader,
            eof,
            rate: spec.sample_rate,
            channels: usize::from(spec.channels),
            scale,
            ended: false,
        })
    }

    fn next_chunk(&mut self) -> Result<Option<Vec<f32>>, AudioError> {
        if self.ended {
            return Ok(None);
        }
        let want = WAV_CHUNK * self.channels;
        let mut mono = Vec::with_capacity(WAV_CHUNK);
        let read = match self.scale {
            Some(scale) => pull(
                self.reader.samples::<i32>().take(want),
                |s| s as f32 * scale,
                self.channels,
                &mut mono,
            ),
            None => pull(
                self.reader.samples::<f32>().take(want),
                |s| if s.is_finite() { s } else { 0.0 },
                self.channels,
                &mut mono,
            ),
        };
        match read {
            Ok(()) if mono.len() == WAV_CHUNK => {}
            Ok(()) => self.ended = true,
            // A file cut short (a recorder that stopped mid-write) keeps its whole frames.
            Err(hound::Error::IoError(_)) if self.eof.load(Ordering::Relaxed) => self.ended = true,
            Err(e) => return Err(e.into()),
        }
        Ok((!mono.is_empty()).then_some(mono))
    }
}

/// Averages frames of `channels` samples into `mono`; a partial frame at an error is dropped.
fn pull<S>(
    samples: impl Iterator<Item = hound::Result<S>>,
    convert: impl Fn(S) -> f32,
    channels: usize,
    mono: &mut Vec<f32>,
) -> hound::Result<()> {
    let (mut sum, mut n) = (0.0f32, 0);
    for sample in samples {
        sum += convert(sample?);
        n += 1;
        if n == channels {
            mono.push(sum / channels as f32);
            (sum, n) = (0.0, 0);
        }
    }
    Ok(())
}

/// A reader that remembers having reached its end. hound reports a short read as a generic
/// I/O error; this tells it apart from a real one.
struct EofFlag<R> {
    inner: R,
    eof: Arc<AtomicBool>,
}

impl<R: Read> Read for EofFlag<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.eof.store(true, Ordering::Relaxed);
        }
        Ok(n)
    }
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
