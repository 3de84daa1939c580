//! Live transcription: each speaker's call audio, as it arrives, is resampled to 16 kHz,
//! segmented into utterances by the VAD, recognised by the worker pool and handed on as
//! `LiveSegment`s, in order per speaker.
//!
//! Contract:
//! - Input is 48 kHz mono PCM per (call, participant), stamped with the call clock
//!   (`LiveAudio::start_ms`); output segments carry times on the same clock.
//! - A gap in a speaker's audio (muted, or packets lost for longer than `GAP_MS`) closes the
//!   utterance in progress; the stream restarts at the new timestamp, so times never drift.
//! - A speaker silent for `IDLE_MS` (left the call, hung up mid-sentence) has their last words
//!   flushed and their stream dropped.
//! - When the workers are behind, an utterance is dropped from the live path and counted
//!   (`stats::LIVE_DROPPED`); the after-call transcript still has it.
//! - Segments of one speaker are handed on in the order spoken, whatever order the workers
//!   finish in.

use super::audio::Resampler;
use super::pool::{Pool, PoolError};
use super::vad::{Segment, Segmenter, VadConfig};
use crate::domain::ParticipantId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};

/// A jump in a speaker's timestamps beyond this closes their utterance.
pub const GAP_MS: u64 = 300;
/// A speaker whose audio stopped this long ago is flushed and forgotten.
pub const IDLE_MS: u64 = 1_500;
/// The rate the call tap delivers.
const TAP_RATE: u32 = 48_000;
const OUT_RATE: u64 = 16_000;

/// Whose audio.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SpeakerKey {
    pub call_id: String,
    pub participant_id: ParticipantId,
}

/// A piece of one speaker's audio from the call: 48 kHz mono, starting at `start_ms` on the
/// call clock.
#[derive(Debug, Clone)]
pub struct LiveAudio {
    pub key: SpeakerKey,
    pub start_ms: u64,
    pub samples: Vec<i16>,
}

/// An utterance cut from a speaker's stream, ready for the recogniser.
#[derive(Debug, Clone, PartialEq)]
pub struct Utterance {
    pub key: SpeakerKey,
    pub start_ms: u64,
    pub end_ms: u64,
    pub samples: Vec<f32>,
}

/// A recognised utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSegment {
    pub key: SpeakerKey,
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    pub confidence: f32,
    /// Time the utterance waited for a worker, and the inference itself.
    pub queued: Duration,
    pub busy: Duration,
    /// When the live path handed it on (for latency measurements).
    pub produced_at: Instant,
}

struct Stream {
    /// Call-clock time of the stream's first 16 kHz sample.
    origin_ms: u64,
    /// Where the next chunk should start if nothing was lost.
    next_ms: u64,
    resampler: Resampler,
    segmenter: Segmenter,
    last_input_ms: u64,
}

/// The sans-IO part: speakers' streams in, utterances out. Time (`now_ms`, any monotonic
/// milliseconds) is passed in.
pub struct Segmentation {
    vad: VadConfig,
    streams: HashMap<SpeakerKey, Stream>,
}

impl Segmentation {
    pub fn new(vad: VadConfig) -> Self {
        Self {
            vad,
            streams: HashMap::new(),
        }
    }

    /// Feeds one chunk; returns the utterances it completed.
    pub fn push(&mut self, audio: LiveAudio, now_ms: u64) -> Vec<Utterance> {
        let mut out = Vec::new();
        let chunk_ms = audio.samples.len() as u64 * 1000 / u64::from(TAP_RATE);
        let restart = match self.streams.get(&audio.key) {
            None => true,
            Some(s) => audio.start_ms > s.next_ms + GAP_MS || audio.start_ms + GAP_MS < s.next_ms,
        };
        if restart {
            if let Some(old) = self.streams.remove(&audio.key) {
                out.extend(finish(&audio.key, old));
            }
            let (Ok(resampler), Ok(segmenter)) =
                (Resampler::new(TAP_RATE), Segmenter::new(&self.vad))
            else {
                warn!("live audio ignored: resampler or VAD could not be created");
                return out;
            };
            self.streams.insert(
                audio.key.clone(),
                Stream {
                    origin_ms: audio.start_ms,
                    next_ms: audio.start_ms,
                    resampler,
                    segmenter,
                    last_input_ms: now_ms,
                },
            );
        }
        let Some(stream) = self.streams.get_mut(&audio.key) else {
            return out;
        };
        stream.next_ms = audio.start_ms + chunk_ms;
        stream.last_input_ms = now_ms;
        let pcm: Vec<f32> = audio
            .samples
            .iter()
            .map(|&s| f32::from(s) / 32768.0)
            .collect();
        let mut resampled = Vec::with_capacity(pcm.len() / 3 + 16);
        if let Err(e) = stream.resampler.process(&pcm, &mut resampled) {
            warn!(error = %e, "live audio not resampled");
            return out;
        }
        for segment in stream.segmenter.push(&resampled) {
            out.push(utterance(&audio.key, stream.origin_ms, segment));
        }
        out
    }

    /// Flushes and forgets speakers idle since before `now_ms - IDLE_MS`.
    pub fn expire(&mut self, now_ms: u64) -> Vec<Utterance> {
        let idle: Vec<SpeakerKey> = self
            .streams
            .iter()
            .filter(|(_, s)| now_ms.saturating_sub(s.last_input_ms) >= IDLE_MS)
            .map(|(k, _)| k.clone())
            .collect();
        let mut out = Vec::new();
        for key in idle {
            if let Some(s) = self.streams.remove(&key) {
                out.extend(finish(&key, s));
            }
        }
        out
    }

    /// Whether `key` has an open stream.
    pub fn has(&self, key: &SpeakerKey) -> bool {
        self.streams.contains_key(key)
    }

    /// Speakers with an open stream.
    pub fn speakers(&self) -> usize {
        self.streams.len()
    }
}

fn finish(key: &SpeakerKey, s: Stream) -> Vec<Utterance> {
    let Stream {
        origin_ms,
        resampler,
        mut segmenter,
        ..
    } = s;
    let mut tail = Vec::new();
    if let Err(e) = resampler.finish(&mut tail) {
        warn!(error = %e, "live audio tail not resampled");
    }
    let mut segments = segmenter.push(&tail);
    segments.extend(segmenter.flush());
    segments
        .into_iter()
        .map(|seg| utterance(key, origin_ms, seg))
        .collect()
}

fn utterance(key: &SpeakerKey, origin_ms: u64, seg: Segment) -> Utterance {
    Utterance {
        key: key.clone(),
        start_ms: origin_ms + seg.start_sample * 1000 / OUT_RATE,
        end_ms: origin_ms + seg.end_sample * 1000 / OUT_RATE,
        samples: seg.samples,
    }
}

/// Initial prompts per call (the customer's name, the product's vocabulary), set by whoever
/// starts the call.
#[derive(Debug, Clone, Default)]
pub struct Prompts(Arc<Mutex<HashMap<String, String>>>);

impl Prompts {
    pub fn set(&self, call_id: &str, prompt: String) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(call_id.to_owned(), prompt);
    }

    pub fn get(&self, call_id: &str) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(call_id)
            .cloned()
    }

    pub fn forget(&self, call_id: &str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(call_id);
    }
}

type Awaited = (
    Utterance,
    oneshot::Receiver<Result<super::pool::Done, PoolError>>,
);

/// Runs live transcription until `audio` closes: utterances to `pool`, results to `out`.
pub async fn run(
    mut audio: mpsc::Receiver<LiveAudio>,
    vad: VadConfig,
    pool: Pool,
    prompts: Prompts,
    out: mpsc::Sender<LiveSegment>,
) {
    let epoch = Instant::now();
    let now_ms = move || epoch.elapsed().as_millis() as u64;
    let mut segmentation = Segmentation::new(vad);
    // One ordered hand-off lane per speaker, so results leave in the order spoken.
    let mut lanes: HashMap<SpeakerKey, mpsc::UnboundedSender<Awaited>> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let (utterances, ended) = tokio::select! {
            chunk = audio.recv() => match chunk {
                Some(chunk) => (segmentation.push(chunk, now_ms()), false),
                None => (segmentation.expire(u64::MAX), true),
            },
            _ = tick.tick() => (segmentation.expire(now_ms()), false),
        };
        for u in utterances {
            let prompt = prompts.get(&u.key.call_id);
            match pool.try_live(u.samples.clone(), prompt) {
                Ok(reply) => {
                    let lane = lanes
                        .entry(u.key.clone())
                        .or_insert_with(|| spawn_lane(out.clone()));
                    if lane.send((u, reply)).is_err() {
                        debug!("live transcript lane closed");
                    }
                }
                Err(PoolError::Full) => warn!(
                    call_id = %u.key.call_id,
                    start_ms = u.start_ms,
                    "live transcription behind; utterance left to the after-call transcript"
                ),
                Err(e) => warn!(error = %e, "live transcription stopped"),
            }
        }
        if ended {
            break;
        }
        // A departed speaker's lane finishes what it holds, then ends.
        lanes.retain(|k, _| segmentation.has(k));
    }
}

fn spawn_lane(out: mpsc::Sender<LiveSegment>) -> mpsc::UnboundedSender<Awaited> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Awaited>();
    tokio::spawn(async move {
        while let Some((u, reply)) = rx.recv().await {
            match reply.await {
                Ok(Ok(done)) if !done.recognized.text.is_empty() => {
                    let segment = LiveSegment {
                        key: u.key,
                        start_ms: u.start_ms,
                        end_ms: u.end_ms,
                        text: done.recognized.text,
                        confidence: done.recognized.confidence,
                        queued: done.queued,
                        busy: done.busy,
                        produced_at: Instant::now(),
                    };
                    if out.send(segment).await.is_err() {
                        return;
                    }
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => warn!(error = %e, "utterance not recognised"),
                Err(_) => return,
            }
        }
    });
    tx
}
