//! Voice-activity segmentation: 16 kHz mono audio in, finished speech segments out.
//!
//! Contract:
//! - Pure and deterministic: no clocks, no IO. Time is the number of samples pushed since the
//!   stream (or the last `flush`) began, so a segment's `start_sample..end_sample` is exactly
//!   the slice of input it carries, however the input was chunked.
//! - earshot scores each 256-sample (16 ms) frame from 0 to 1. Speech starts after `onset_ms`
//!   of frames at or above `on_threshold`; it ends after `silence_ms` below `off_threshold`.
//! - A segment runs from `pre_roll_ms` before the onset (never into the previous segment) to
//!   `post_roll_ms` after the last voiced frame. Segments with less than `min_speech_ms` of
//!   voiced audio are dropped.
//! - No segment is longer than `max_segment_ms`: long speech is cut at the quietest frame of
//!   its last few seconds, and the next segment starts exactly there (nothing lost or doubled).
//! - `flush` ends the stream: the open segment is closed at the last sample received.

mod config;

pub use config::{VadConfig, VadError};

use earshot::Detector;
use std::collections::VecDeque;

/// The only rate the detector understands.
pub const SAMPLE_RATE: u32 = 16_000;
/// earshot's frame: 16 ms.
pub const FRAME: usize = 256;
const SAMPLES_PER_MS: u64 = SAMPLE_RATE as u64 / 1_000;
/// earshot scores a 768-sample window ending with the frame, so a frame's score describes the
/// moment 128 samples before the frame starts; a cut chosen by score is placed there.
const SCORE_LAG: u64 = 128;
/// How far back from the maximum length a cut is looked for.
const CUT_SEARCH_MS: u32 = 3_000;

/// A stretch of speech: `samples` are the input from `start_sample` to `end_sample`.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub start_sample: u64,
    pub end_sample: u64,
    pub samples: Vec<f32>,
}

impl Segment {
    pub fn start_ms(&self) -> u64 {
        self.start_sample / SAMPLES_PER_MS
    }

    pub fn end_ms(&self) -> u64 {
        self.end_sample / SAMPLES_PER_MS
    }
}

/// The configuration in samples and frames.
struct Limits {
    on: f32,
    off: f32,
    onset_frames: usize,
    silence_frames: usize,
    pre_roll: u64,
    post_roll: u64,
    min_voiced: u64,
    max_len: u64,
    search: u64,
}

impl Limits {
    fn new(c: &VadConfig) -> Self {
        let samples = |ms: u32| u64::from(ms) * SAMPLES_PER_MS;
        let frames = |ms: u32| (samples(ms) as usize).div_ceil(FRAME);
        Self {
            on: c.on_threshold,
            off: c.off_threshold,
            onset_frames: frames(c.onset_ms).max(1),
            silence_frames: frames(c.silence_ms).max(1),
            pre_roll: samples(c.pre_roll_ms),
            post_roll: samples(c.post_roll_ms),
            min_voiced: samples(c.min_speech_ms),
            max_len: samples(c.max_segment_ms),
            search: samples(CUT_SEARCH_MS.min(c.max_segment_ms / 2)),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// `run` frames in a row at or above the on-threshold, the first starting at `run_start`.
    Quiet { run: usize, run_start: u64 },
    /// In a segment that began at `start`; voiced audio spans `voiced_from..voiced_to`, and
    /// `silent` frames below the off-threshold have followed it.
    Speech {
        start: u64,
        voiced_from: u64,
        voiced_to: u64,
        silent: usize,
    },
}

const QUIET: State = State::Quiet {
    run: 0,
    run_start: 0,
};

/// Cuts one stream of 16 kHz mono audio into speech segments.
pub struct Segmenter {
    limits: Limits,
    detector: Box<Detector>,
    /// Samples waiting to fill a frame.
    partial: Vec<f32>,
    /// Samples consumed into frames: the next frame's start.
    pos: u64,
    /// The retained input, `audio_start..pos`: the pre-roll while quiet, the segment while
    /// speaking.
    audio: Vec<f32>,
    audio_start: u64,
    /// Where the last segment ended; the next one's pre-roll stops there.
    floor: u64,
    /// (frame start, score) of the frames the next cut may be chosen from.
    scores: VecDeque<(u64, f32)>,
    state: State,
}

impl Segmenter {
    pub fn new(config: &VadConfig) -> Result<Self, VadError> {
        config.validate()?;
        Ok(Self {
            limits: Limits::new(config),
            detector: Detector::default_boxed(),
            partial: Vec::with_capacity(FRAME),
            pos: 0,
            audio: Vec::new(),
            audio_start: 0,
            floor: 0,
            scores: VecDeque::new(),
            state: QUIET,
        })
    }

    /// Samples received so far (the stream's current time).
    pub fn position(&self) -> u64 {
        self.pos + self.partial.len() as u64
    }

    /// Whether a segment is open.
    pub fn in_speech(&self) -> bool {
        matches!(self.state, State::Speech { .. })
    }

    /// Feeds samples; returns the segments they finished, in order.
    pub fn push(&mut self, samples: &[f32]) -> Vec<Segment> {
        let mut out = Vec::new();
        let mut rest = samples;
        if !self.partial.is_empty() {
            let take = (FRAME - self.partial.len()).min(rest.len());
            self.partial.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.partial.len() < FRAME {
                return out;
            }
            let frame = std::mem::take(&mut self.partial);
            self.step(&frame, &mut out);
            self.partial = frame;
            self.partial.clear();
        }
        while rest.len() >= FRAME {
            self.step(&rest[..FRAME], &mut out);
            rest = &rest[FRAME..];
        }
        self.partial.extend_from_slice(rest);
        out
    }

    /// Ends the stream: scores the last partial frame, closes the open segment at the last
    /// sample (if it has enough speech) and starts afresh, time continuing from here.
    pub fn flush(&mut self) -> Vec<Segment> {
        let mut out = Vec::new();
        if !self.partial.is_empty() {
            let frame = std::mem::take(&mut self.partial);
            self.step(&frame, &mut out);
        }
        if let State::Speech {
            start,
            voiced_from,
            voiced_to,
            ..
        } = self.state
        {
            if voiced_to - voiced_from >= self.limits.min_voiced {
                let end = (voiced_to + self.limits.post_roll).min(self.pos);
                out.push(self.segment(start, end));
            }
        }
        self.detector.reset();
        self.audio.clear();
        self.audio_start = self.pos;
        self.floor = self.pos;
        self.scores.clear();
        self.state = QUIET;
        out
    }

    /// One frame (shorter only at `flush`).
    fn step(&mut self, samples: &[f32], out: &mut Vec<Segment>) {
        // earshot wants exactly 256 samples in [-1, 1] (it asserts so in debug builds).
        let mut frame = [0.0f32; FRAME];
        for (f, s) in frame.iter_mut().zip(samples) {
            *f = if s.is_finite() {
                s.clamp(-1.0, 1.0)
            } else {
                0.0
            };
        }
        let score = self.detector.predict_f32(&frame);
        let frame_start = self.pos;
        self.audio.extend_from_slice(samples);
        self.pos += samples.len() as u64;
        self.scores.push_back((frame_start, score));
        while self.scores.len() > self.limits.search as usize / FRAME + 2 {
            self.scores.pop_front();
        }
        let l = &self.limits;
        self.state = match self.state {
            State::Quiet { run, run_start } if score >= l.on => {
                let run_start = if run == 0 { frame_start } else { run_start };
                if run + 1 < l.onset_frames {
                    State::Quiet {
                        run: run + 1,
                        run_start,
                    }
                } else {
                    State::Speech {
                        start: run_start
                            .saturating_sub(l.pre_roll)
                            .max(self.floor)
                            .max(self.audio_start),
                        voiced_from: run_start,
                        voiced_to: self.pos,
                        silent: 0,
                    }
                }
            }
            State::Quiet { .. } => {
                self.forget_before(self.pos.saturating_sub(self.limits.pre_roll));
                QUIET
            }
            State::Speech {
                start,
                voiced_from,
                mut voiced_to,
                mut silent,
            } => {
                if score >= l.off {
                    voiced_to = self.pos;
                    silent = 0;
                } else {
                    silent += 1;
                }
                if silent >= l.silence_frames {
                    // post_roll <= silence_ms, so the padding has been heard.
                    let end = (voiced_to + l.post_roll).min(self.pos);
                    if voiced_to - voiced_from >= l.min_voiced {
                        out.push(self.segment(start, end));
                        self.floor = end;
                    }
                    self.forget_before(self.pos.saturating_sub(self.limits.pre_roll));
                    QUIET
                } else if self.pos - start >= l.max_len {
                    let cut = self.quietest_cut(start);
                    out.push(self.segment(start, cut));
                    self.floor = cut;
                    self.forget_before(cut);
                    State::Speech {
                        start: cut,
                        voiced_from: cut,
                        voiced_to: voiced_to.max(cut),
                        silent,
                    }
                } else {
                    State::Speech {
                        start,
                        voiced_from,
                        voiced_to,
                        silent,
                    }
                }
            }
        };
    }

    /// Where to cut a segment that began at `start` and reached the maximum length: at the
    /// lowest-scoring frame whose cut keeps the segment within the maximum and at most
    /// `search` short of it (the first of equals).
    fn quietest_cut(&self, start: u64) -> u64 {
        let latest = start + self.limits.max_len;
        let earliest = latest.saturating_sub(self.limits.search).max(start + 1);
        self.scores
            .iter()
            .map(|(frame_start, score)| (frame_start.saturating_sub(SCORE_LAG), *score))
            .filter(|(cut, _)| (earliest..=latest).contains(cut))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(latest.min(self.pos), |(cut, _)| cut)
    }

    /// The retained audio from `start` to `end`.
    fn segment(&self, start: u64, end: u64) -> Segment {
        let from = (start - self.audio_start) as usize;
        let to = (end - self.audio_start) as usize;
        Segment {
            start_sample: start,
            end_sample: end,
            samples: self.audio[from..to].to_vec(),
        }
    }

    /// Drops retained audio before `t`; done a second at a time to keep it cheap.
    fn forget_before(&mut self, t: u64) {
        if t >= self.audio_start + u64::from(SAMPLE_RATE) {
            self.audio.drain(..(t - self.audio_start) as usize);
            self.audio_start = t;
        }
    }
}

#[cfg(test)]
mod tests;
