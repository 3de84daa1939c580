//! The mixed audio of a call (sans-IO): every member's decoded audio summed on one 48 kHz clock
//! aligned to the call's start, cut into 20 ms frames, silence where nobody speaks.
//!
//! Audio is pushed at its position on the call's clock; frames are taken once the caller says
//! no more audio can arrive for them (`ready(until)`). Audio for a frame already taken is late
//! and dropped (counted).

use std::collections::BTreeMap;

/// Samples per frame: 20 ms at 48 kHz.
pub const FRAME: usize = 960;

#[derive(Debug, Default)]
pub struct Mixer {
    /// The next frame to hand out.
    next: u64,
    pending: BTreeMap<u64, Vec<i32>>,
    started: bool,
    /// Samples that arrived after their frame was handed out.
    pub late_samples: u64,
}

impl Mixer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `pcm` (48 kHz mono) starting at sample `at` of the call.
    pub fn push(&mut self, at: u64, pcm: &[i16]) {
        self.started = true;
        for (i, s) in pcm.iter().enumerate() {
            let idx = at + i as u64;
            let frame = idx / FRAME as u64;
            if frame < self.next {
                self.late_samples += 1;
                continue;
            }
            let acc = self.pending.entry(frame).or_insert_with(|| vec![0; FRAME]);
            acc[(idx % FRAME as u64) as usize] += i32::from(*s);
        }
    }

    /// Frames that end at or before sample `until`, in order, from the call's first frame on.
    /// Nothing until some audio was pushed.
    pub fn ready(&mut self, until: u64) -> Vec<(u64, Vec<i16>)> {
        let mut out = Vec::new();
        if !self.started {
            return out;
        }
        while (self.next + 1) * FRAME as u64 <= until {
            let frame = self.next;
            let pcm = match self.pending.remove(&frame) {
                Some(acc) => acc
                    .into_iter()
                    .map(|s| s.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16)
                    .collect(),
                None => vec![0; FRAME],
            };
            out.push((frame, pcm));
            self.next += 1;
        }
        out
    }

    /// Where the audio pushed so far ends (a sample position).
    pub fn end(&self) -> u64 {
        self.pending
            .keys()
            .next_back()
            .map(|f| (f + 1) * FRAME as u64)
            .unwrap_or(self.next * FRAME as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_lands_on_the_call_clock_with_silence_before_and_between() {
        let mut m = Mixer::new();
        assert!(
            m.ready(10 * FRAME as u64).is_empty(),
            "nothing before audio"
        );
        // 20 ms of a tone starting 30 ms into the call.
        m.push(1_440, &[100; FRAME]);
        let frames = m.ready(3 * FRAME as u64);
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0], (0, vec![0; FRAME]));
        // The tone covers the second half of frame 1 and the first half of frame 2.
        assert!(frames[1].1[..480].iter().all(|s| *s == 0));
        assert!(frames[1].1[480..].iter().all(|s| *s == 100));
        assert!(frames[2].1[..480].iter().all(|s| *s == 100));
        assert!(frames[2].1[480..].iter().all(|s| *s == 0));
    }

    #[test]
    fn overlapping_speakers_are_summed_and_clipped() {
        let mut m = Mixer::new();
        m.push(0, &[20_000; FRAME]);
        m.push(0, &[20_000; FRAME]);
        m.push(0, &[-5; FRAME]);
        let f = m.ready(FRAME as u64);
        assert_eq!(f[0].1[0], i16::MAX);
        let mut m = Mixer::new();
        m.push(0, &[300; FRAME]);
        m.push(0, &[-100; FRAME]);
        assert_eq!(m.ready(FRAME as u64)[0].1[7], 200);
    }

    #[test]
    fn frames_wait_for_the_horizon_and_late_audio_is_counted() {
        let mut m = Mixer::new();
        m.push(0, &[1; FRAME * 2]);
        assert_eq!(m.ready(FRAME as u64 + 10).len(), 1, "only whole frames");
        m.push(10, &[5; 20]);
        assert_eq!(m.late_samples, 20);
        assert_eq!(m.end(), 2 * FRAME as u64);
        let rest = m.ready(m.end());
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].0, 1);
    }
}
