//! Audio in, 16 kHz mono `f32` out: everything Whisper and the voice-activity detector need.
//!
//! Contract:
//! - `decode`: a WAV or Ogg/Opus file, recognised by its first bytes (never its name), becomes
//!   mono `f32` samples (nominally in [-1, 1]) at the file's own rate, delivered in chunks so
//!   an hour-long recording never sits decoded in memory. Channels are averaged. Ogg/Opus
//!   comes out at 48 kHz with its exact length: pre-skip and end trimming for standard files,
//!   packet positions (gaps kept as silence) for the files the gateway's recorder writes.
//! - `resample`: any rate to 16 kHz, fed in chunks of any size, with the filter's delay removed
//!   so output sample `k` is input time `k / 16000` s; `finish` returns the tail. Output length is
//!   `ceil(input_len * 16000 / rate)`, whatever the chunking.
//! - Nothing here panics on a file's contents: bad input is an `AudioError`.

mod decode;
mod ogg_opus;
mod resample;

pub use decode::{decode_bytes, decode_file, sniff, Decoded, Decoder, Format};
pub use resample::{to_16k, Resampler, TARGET_RATE};

/// Rates accepted from files, in Hz: anything a microphone or a WAV editor produces. Outside it
/// a header is more likely corrupt than real, and the resampler's FFT would grow with the rate.
pub const RATES: std::ops::RangeInclusive<u32> = 1_000..=384_000;

/// Why audio could not be read or converted.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("reading audio: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a WAV or Ogg/Opus file")]
    UnknownFormat,
    #[error("{0} is not supported (WAV and Ogg/Opus are)")]
    Unsupported(&'static str),
    #[error("invalid WAV file: {0}")]
    Wav(#[from] hound::Error),
    #[error("invalid Ogg/Opus file: {0}")]
    Ogg(String),
    #[error("sample rate {0} Hz is outside 1 kHz to 384 kHz")]
    SampleRate(u32),
    #[error("resampling: {0}")]
    Resample(String),
}
