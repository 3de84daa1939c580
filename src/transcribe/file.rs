//! Whole recordings to text: a file is decoded, resampled to 16 kHz and cut into utterances by
//! the VAD as a stream (an hour-long call never sits decoded in memory), the utterances are
//! recognised on the pool's batch lane (all workers at once), and come back in order. Used by
//! `warmline transcribe` and by the after-call transcript.

use super::audio::{decode_file, to_16k, Decoder, Resampler};
use super::pool::{Pool, PoolError};
use super::vad::{Segment, Segmenter, VadConfig};
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;

const OUT_RATE: u64 = 16_000;
/// Utterances decoded ahead of recognition; the decoder waits beyond this.
const AHEAD: usize = 4;

/// What can go wrong transcribing a file.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(transparent)]
    Audio(#[from] super::audio::AudioError),
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error(transparent)]
    Vad(#[from] super::vad::VadError),
}

/// One recognised utterance of a file, in milliseconds from the file's start.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileSegment {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    pub confidence: f32,
}

/// How far a file's transcription has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Audio decoded and cut so far, in milliseconds.
    pub audio_ms: u64,
    pub utterances_found: usize,
    pub utterances_done: usize,
    /// Whether the whole file has been decoded.
    pub decoded: bool,
}

/// A transcribed file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FileTranscript {
    pub segments: Vec<FileSegment>,
    /// The file's length in milliseconds.
    pub audio_ms: u64,
}

/// Reads `path` (WAV or Ogg/Opus) whole, as 16 kHz mono. For short clips; long files go through
/// `transcribe_file`.
pub fn load_16k(path: &Path) -> Result<Vec<f32>, FileError> {
    let decoded = decode_file(path)?;
    Ok(to_16k(&decoded.samples, decoded.sample_rate)?)
}

enum Cut {
    Utterance(Segment),
    Position(u64),
}

/// Decodes, resamples and segments `path` on the calling (blocking) thread, sending utterances
/// as they are cut.
fn cut(path: &Path, vad: &VadConfig, tx: mpsc::Sender<Cut>) -> Result<u64, FileError> {
    let mut decoder = Decoder::open(path)?;
    let mut resampler = Resampler::new(decoder.sample_rate())?;
    let mut segmenter = Segmenter::new(vad)?;
    let mut buf = Vec::new();
    let mut samples = 0u64;
    let send = |cuts: Vec<Segment>, at: u64| -> bool {
        cuts.into_iter()
            .map(Cut::Utterance)
            .chain([Cut::Position(at)])
            .all(|c| tx.blocking_send(c).is_ok())
    };
    while let Some(chunk) = decoder.next_chunk()? {
        buf.clear();
        resampler.process(&chunk, &mut buf)?;
        samples += buf.len() as u64;
        if !send(segmenter.push(&buf), samples) {
            return Ok(samples);
        }
    }
    buf.clear();
    resampler.finish(&mut buf)?;
    samples += buf.len() as u64;
    let mut last = segmenter.push(&buf);
    last.extend(segmenter.flush());
    send(last, samples);
    Ok(samples)
}

/// Recognises every utterance of the file at `path`; `progress` is called as it goes. Empty
/// recognitions (noise) are left out.
pub async fn transcribe_file(
    pool: &Pool,
    path: &Path,
    vad: &VadConfig,
    prompt: Option<String>,
    mut progress: impl FnMut(Progress),
) -> Result<FileTranscript, FileError> {
    let (tx, mut rx) = mpsc::channel(AHEAD);
    let (path_owned, vad_owned): (PathBuf, VadConfig) = (path.to_owned(), vad.clone());
    let decoding = tokio::task::spawn_blocking(move || cut(&path_owned, &vad_owned, tx));
    let in_flight = pool.workers() * 2 + 1;
    let mut jobs = tokio::task::JoinSet::new();
    let mut state = Progress::default();
    let mut results = Vec::new();
    let mut next = 0usize;
    loop {
        // Take the next cut unless enough utterances are already being recognised.
        let cut = if jobs.len() < in_flight {
            rx.recv().await
        } else {
            None
        };
        match cut {
            Some(Cut::Position(samples)) => {
                state.audio_ms = samples * 1000 / OUT_RATE;
                progress(state);
            }
            Some(Cut::Utterance(seg)) => {
                let (pool, prompt, i) = (pool.clone(), prompt.clone(), next);
                next += 1;
                state.utterances_found = next;
                jobs.spawn(async move {
                    let done = pool.batch(seg.samples, prompt).await;
                    (i, seg.start_sample, seg.end_sample, done)
                });
            }
            None => {
                let Some(joined) = jobs.join_next().await else {
                    break;
                };
                let Ok((i, start, end, done)) = joined else {
                    return Err(PoolError::Closed.into());
                };
                let done = done?;
                state.utterances_done += 1;
                progress(state);
                if !done.recognized.text.is_empty() {
                    results.push((
                        i,
                        FileSegment {
                            start_ms: start * 1000 / OUT_RATE,
                            end_ms: end * 1000 / OUT_RATE,
                            text: done.recognized.text,
                            confidence: done.recognized.confidence,
                        },
                    ));
                }
            }
        }
    }
    let samples = decoding.await.map_err(|_| PoolError::Closed)??;
    state.decoded = true;
    state.audio_ms = samples * 1000 / OUT_RATE;
    progress(state);
    results.sort_by_key(|(i, _)| *i);
    Ok(FileTranscript {
        segments: results.into_iter().map(|(_, s)| s).collect(),
        audio_ms: state.audio_ms,
    })
}
