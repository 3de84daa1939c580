//! Streaming conversion of mono audio to 16 kHz, Whisper's and the VAD's rate.
//!
//! rubato's `FftFixedIn`: synchronous (the ratio of the two rates is exact, whatever they are)
//! with a windowed-sinc anti-aliasing filter as long as one chunk of about 20 ms (960 taps at
//! 48 kHz). Input is regrouped into fixed chunks before it reaches
//! rubato, so the output does not depend on how the caller slices the stream; the filter's
//! delay is dropped from the front and flushed out of the back.

use super::{AudioError, RATES};
use rubato::{FftFixedIn, Resampler as _};

/// The rate everything is converted to.
pub const TARGET_RATE: u32 = 16_000;

/// Converts one stream of mono samples at a fixed rate to 16 kHz.
pub struct Resampler {
    rate: u32,
    fft: Option<Fft>,
    /// Input samples received.
    consumed: u64,
    /// Output samples handed out.
    emitted: u64,
}

struct Fft {
    resampler: FftFixedIn<f32>,
    chunk: usize,
    /// Input that does not yet fill a chunk.
    pending: Vec<f32>,
    buffer: Vec<Vec<f32>>,
    /// Output samples still to drop: the filter's delay.
    delay: usize,
}

impl Resampler {
    /// A resampler for input at `rate` Hz; 16 kHz input passes through untouched.
    pub fn new(rate: u32) -> Result<Self, AudioError> {
        if !RATES.contains(&rate) {
            return Err(AudioError::SampleRate(rate));
        }
        let fft = if rate == TARGET_RATE {
            None
        } else {
            let chunk = chunk_size(rate);
            let resampler = FftFixedIn::new(rate as usize, TARGET_RATE as usize, chunk, 1, 1)
                .map_err(|e| AudioError::Resample(e.to_string()))?;
            Some(Fft {
                buffer: vec![vec![0.0; resampler.output_frames_max()]],
                delay: resampler.output_delay(),
                resampler,
                chunk,
                pending: Vec::with_capacity(chunk),
            })
        };
        Ok(Self {
            rate,
            fft,
            consumed: 0,
            emitted: 0,
        })
    }

    pub fn input_rate(&self) -> u32 {
        self.rate
    }

    /// Converts `input`, appending whatever 16 kHz samples are ready to `out`.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<(), AudioError> {
        self.consumed += input.len() as u64;
        let Some(fft) = &mut self.fft else {
            out.extend_from_slice(input);
            self.emitted += input.len() as u64;
            return Ok(());
        };
        let mut input = input;
        if !fft.pending.is_empty() {
            let take = (fft.chunk - fft.pending.len()).min(input.len());
            fft.pending.extend_from_slice(&input[..take]);
            input = &input[take..];
            if fft.pending.len() < fft.chunk {
                return Ok(());
            }
            let pending = std::mem::take(&mut fft.pending);
            self.emitted += fft.run(&pending, out)?;
            fft.pending = pending;
            fft.pending.clear();
        }
        while input.len() >= fft.chunk {
            self.emitted += fft.run(&input[..fft.chunk], out)?;
            input = &input[fft.chunk..];
        }
        fft.pending.extend_from_slice(input);
        Ok(())
    }

    /// Ends the stream: appends the rest, so that in all `ceil(input * 16000 / rate)` samples
    /// have been handed out.
    pub fn finish(mut self, out: &mut Vec<f32>) -> Result<(), AudioError> {
        let expected = (self.consumed * u64::from(TARGET_RATE)).div_ceil(u64::from(self.rate));
        let Some(fft) = &mut self.fft else {
            return Ok(());
        };
        // Zeros push the tail (and the filter's delay) out; each round makes 20 ms of output, so
        // a few suffice. The bound only guards against a resampler that stops producing.
        let before = out.len();
        let mut zeros = std::mem::take(&mut fft.pending);
        zeros.resize(fft.chunk, 0.0);
        for _ in 0..1_000 {
            if self.emitted >= expected {
                break;
            }
            self.emitted += fft.run(&zeros, out)?;
            zeros.fill(0.0);
        }
        if self.emitted < expected {
            return Err(AudioError::Resample(
                "the resampler stopped producing".into(),
            ));
        }
        // Only this call's samples are trimmed: earlier output never runs past `expected`.
        let excess = (self.emitted - expected) as usize;
        out.truncate(out.len().saturating_sub(excess).max(before));
        Ok(())
    }
}

/// Input frames per chunk: about 20 ms (the live tap's 960-sample packets at 48 kHz), made of
/// an even number of rubato's FFT units so that both FFT sizes are even. rubato's filter is
/// centred on sample `len / 2`, which for an odd length sits half a sample off the delay it
/// reports, and the output would lag by a fraction of a sample.
fn chunk_size(rate: u32) -> usize {
    let g = gcd(rate, TARGET_RATE);
    let unit = rate / g;
    let units = (rate / 50).div_ceil(unit).max(1);
    (units + units % 2) as usize * unit as usize
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Fft {
    /// Resamples one chunk; returns how many samples went to `out`.
    fn run(&mut self, chunk: &[f32], out: &mut Vec<f32>) -> Result<u64, AudioError> {
        let (_, n) = self
            .resampler
            .process_into_buffer(&[chunk], &mut self.buffer, None)
            .map_err(|e| AudioError::Resample(e.to_string()))?;
        let skip = self.delay.min(n);
        self.delay -= skip;
        out.extend_from_slice(&self.buffer[0][skip..n]);
        Ok((n - skip) as u64)
    }
}

/// Converts a whole buffer at `rate` Hz to 16 kHz.
pub fn to_16k(samples: &[f32], rate: u32) -> Result<Vec<f32>, AudioError> {
    let mut resampler = Resampler::new(rate)?;
    let expected = (samples.len() as u64 * u64::from(TARGET_RATE)).div_ceil(u64::from(rate));
    let mut out = Vec::with_capacity(expected as usize);
    resampler.process(samples, &mut out)?;
    resampler.finish(&mut out)?;
    Ok(out)
}

#[cfg(test)]
#[path = "resample_tests.rs"]
mod tests;
