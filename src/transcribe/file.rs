//! Whole recordings to text: load a file as 16 kHz mono, cut it into utterances with the VAD,
//! recognise them on the pool's batch lane (all workers at once), and return them in order.
//! Used by `warmline transcribe` and by the after-call transcript.

use super::audio::{decode_file, to_16k};
use super::pool::{Pool, PoolError};
use super::vad::{Segmenter, VadConfig};
use std::path::Path;

const OUT_RATE: u64 = 16_000;
/// Samples fed to the VAD at a time (1 s); any size works, this keeps memory flat.
const FEED: usize = 16_000;

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

/// Reads `path` (WAV or Ogg/Opus) as 16 kHz mono.
pub fn load_16k(path: &Path) -> Result<Vec<f32>, FileError> {
    let decoded = decode_file(path)?;
    Ok(to_16k(&decoded.samples, decoded.sample_rate)?)
}

/// The utterances of 16 kHz `samples`, as the VAD cuts them.
pub fn utterances(
    samples: &[f32],
    vad: &VadConfig,
) -> Result<Vec<super::vad::Segment>, FileError> {
    let mut segmenter = Segmenter::new(vad)?;
    let mut out = Vec::new();
    for chunk in samples.chunks(FEED) {
        out.extend(segmenter.push(chunk));
    }
    out.extend(segmenter.flush());
    Ok(out)
}

/// Recognises every utterance of `samples`; `progress(done, total)` is called as utterances
/// finish. Empty recognitions (noise) are left out.
pub async fn transcribe_samples(
    pool: &Pool,
    samples: &[f32],
    vad: &VadConfig,
    prompt: Option<String>,
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<FileSegment>, FileError> {
    let segments = utterances(samples, vad)?;
    let total = segments.len();
    progress(0, total);
    let mut jobs = tokio::task::JoinSet::new();
    for (i, seg) in segments.into_iter().enumerate() {
        let (pool, prompt) = (pool.clone(), prompt.clone());
        jobs.spawn(async move {
            let done = pool.batch(seg.samples, prompt).await;
            (i, seg.start_sample, seg.end_sample, done)
        });
    }
    let mut results = Vec::with_capacity(total);
    let mut finished = 0;
    while let Some(joined) = jobs.join_next().await {
        let Ok((i, start, end, done)) = joined else {
            return Err(PoolError::Closed.into());
        };
        let done = done?;
        finished += 1;
        progress(finished, total);
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
    results.sort_by_key(|(i, _)| *i);
    Ok(results.into_iter().map(|(_, s)| s).collect())
}
