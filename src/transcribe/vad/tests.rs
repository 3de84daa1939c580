//! Real speech (the JFK fixture, 16 kHz) and constructed signals. Frame numbers in comments
//! are 16 ms frames of the fixture.

use super::*;
use crate::transcribe::audio::decode_file;

const SECOND: usize = 16_000;

fn jfk() -> Vec<f32> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jfk.wav");
    decode_file(&path).unwrap().samples
}

/// The fixture from frame `from` to frame `to`.
fn jfk_frames(from: usize, to: usize) -> Vec<f32> {
    jfk()[from * FRAME..to * FRAME].to_vec()
}

fn zeros(n: usize) -> Vec<f32> {
    vec![0.0; n]
}

/// Deterministic white noise, uniform in [-amplitude, amplitude].
fn noise(amplitude: f32, n: usize) -> Vec<f32> {
    let mut x = 0x2545_f491u32;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            amplitude * (x as f32 / u32::MAX as f32 * 2.0 - 1.0)
        })
        .collect()
}

fn concat(parts: &[&[f32]]) -> Vec<f32> {
    parts.concat()
}

/// Every segment of `input`, fed in chunks of `chunk` samples, then flushed.
fn segments_with(config: &VadConfig, input: &[f32], chunk: usize) -> Vec<Segment> {
    let mut s = Segmenter::new(config).unwrap();
    let mut out = Vec::new();
    for c in input.chunks(chunk) {
        out.extend(s.push(c));
    }
    out.extend(s.flush());
    for seg in &out {
        assert_eq!(
            seg.samples,
            input[seg.start_sample as usize..seg.end_sample as usize],
            "a segment carries exactly its stretch of input"
        );
    }
    for pair in out.windows(2) {
        assert!(
            pair[0].end_sample <= pair[1].start_sample,
            "segments overlap"
        );
    }
    out
}

fn segments(input: &[f32]) -> Vec<Segment> {
    segments_with(&VadConfig::default(), input, 960)
}

/// Start of every 16 ms frame of `input` louder than `rms`.
fn loud_frames(input: &[f32], rms: f32) -> Vec<u64> {
    input
        .chunks_exact(FRAME)
        .enumerate()
        .filter(|(_, f)| (f.iter().map(|s| s * s).sum::<f32>() / FRAME as f32).sqrt() > rms)
        .map(|(i, _)| (i * FRAME) as u64)
        .collect()
}

fn covered(segments: &[Segment], from: u64, to: u64) -> bool {
    segments
        .iter()
        .any(|s| s.start_sample <= from && to <= s.end_sample)
}

#[test]
fn silence_and_quiet_noise_give_no_segments() {
    assert!(segments(&zeros(10 * SECOND)).is_empty());
    assert!(segments(&noise(0.01, 10 * SECOND)).is_empty());
    assert!(segments(&noise(0.02, 10 * SECOND)).is_empty());
}

/// A limit of earshot worth knowing (and noticing if it changes): loud white noise scores as
/// speech, so a hissing line reaches Whisper as one long segment, and noise under speech hides
/// its pauses.
#[test]
fn earshot_takes_loud_white_noise_for_speech() {
    let segs = segments(&noise(0.5, 10 * SECOND));
    assert_eq!(segs.len(), 1);
    assert_eq!(
        (segs[0].start_sample, segs[0].end_sample),
        (0, 10 * SECOND as u64)
    );
}

#[test]
fn speech_is_covered_and_long_pauses_are_left_out() {
    let speech = jfk();
    let segs = segments(&speech);
    assert!((3..=6).contains(&segs.len()), "{segs:?}");
    for frame in loud_frames(&speech, 0.05) {
        assert!(
            covered(&segs, frame, frame + FRAME as u64),
            "loud frame at {frame} not covered"
        );
    }
    let total: u64 = segs.iter().map(|s| s.end_sample - s.start_sample).sum();
    assert!(total < speech.len() as u64 * 9 / 10, "{total}");
    // The 1.1 s pause after "fellow Americans" (frames 138 to 204).
    assert!(!covered(&segs, 175 * 256, 176 * 256));
}

#[test]
fn two_phrases_two_seconds_apart_are_two_segments() {
    // "what your country can do for you" and "ask what you can do for your country".
    let (a, b) = (jfk_frames(339, 470), jfk_frames(512, 660));
    let input = concat(&[
        &zeros(SECOND / 2),
        &a,
        &zeros(2 * SECOND),
        &b,
        &zeros(SECOND),
    ]);
    let segs = segments(&input);
    assert_eq!(segs.len(), 2, "{segs:?}");
    let a_at = (SECOND / 2) as u64;
    let b_at = a_at + (a.len() + 2 * SECOND) as u64;
    assert!(covered(&segs[..1], a_at + 800, a_at + a.len() as u64));
    assert!(covered(&segs[1..], b_at + 800, b_at + b.len() as u64));
    assert!(segs[0].end_sample < a_at + a.len() as u64 + SECOND as u64);
}

#[test]
fn pre_roll_and_post_roll_move_the_edges_by_exactly_their_length() {
    let input = concat(&[&zeros(SECOND), &jfk(), &zeros(SECOND)]);
    let bare = VadConfig {
        pre_roll_ms: 0,
        post_roll_ms: 0,
        ..VadConfig::default()
    };
    let padded = VadConfig {
        pre_roll_ms: 200,
        post_roll_ms: 100,
        ..VadConfig::default()
    };
    let (b, p) = (
        segments_with(&bare, &input, 960),
        segments_with(&padded, &input, 960),
    );
    assert_eq!(b.len(), p.len());
    assert_eq!(p[0].start_sample, b[0].start_sample - 3_200);
    for (b, p) in b.iter().zip(&p) {
        assert_eq!(p.end_sample, b.end_sample + 1_600);
        assert!(p.start_sample <= b.start_sample);
    }
    // The onset is a frame boundary: the first frame of the run that started speech.
    assert_eq!(b[0].start_sample % FRAME as u64, 0);
}

#[test]
fn chunking_does_not_change_the_segments() {
    let input = concat(&[&jfk(), &zeros(SECOND / 3), &jfk()]);
    let whole = segments_with(&VadConfig::default(), &input, input.len());
    for chunk in [1, 255, 256, 960, 4_097] {
        assert_eq!(
            segments_with(&VadConfig::default(), &input, chunk),
            whole,
            "{chunk}"
        );
    }
}

#[test]
fn continuous_speech_is_cut_at_a_quiet_moment_within_the_maximum() {
    // Forty-four seconds of the fixture back to back; a long silence setting makes its
    // pauses part of the speech, so only the maximum length cuts it.
    let speech = jfk().repeat(4);
    let config = VadConfig {
        silence_ms: 2_000,
        ..VadConfig::default()
    };
    let max = 15 * SECOND as u64;
    let segs = segments_with(&config, &speech, 960);
    assert!(segs.len() >= 3, "{segs:?}");
    assert!(segs.iter().all(|s| s.end_sample - s.start_sample <= max));
    let cuts: Vec<u64> = segs
        .windows(2)
        .filter(|p| p[0].end_sample == p[1].start_sample)
        .map(|p| p[0].end_sample)
        .collect();
    assert!(cuts.len() >= 2, "{segs:?}");
    for cut in &cuts {
        let s = segs.iter().find(|s| s.end_sample == *cut).unwrap();
        assert!(s.end_sample - s.start_sample >= max - 3 * SECOND as u64);
        // Quieter than the speech around it.
        let around = &speech[*cut as usize - 128..*cut as usize + 128];
        let rms = (around.iter().map(|x| x * x).sum::<f32>() / 256.0).sqrt();
        assert!(rms < 0.05, "cut at {cut} in audio of rms {rms}");
    }
    for frame in loud_frames(&speech, 0.05) {
        assert!(covered(&segs, frame, frame + FRAME as u64), "{frame}");
    }
    // With the default settings the pauses end the segments first.
    let natural = segments(&speech);
    assert!(natural.iter().all(|s| s.end_sample - s.start_sample <= max));
}

#[test]
fn short_bursts_are_dropped_unless_the_minimum_allows_them() {
    // "And so" (frames 20 to 32), alone between silences.
    let input = concat(&[&zeros(SECOND), &jfk_frames(20, 32), &zeros(SECOND)]);
    let strict = VadConfig {
        min_speech_ms: 1_000,
        ..VadConfig::default()
    };
    assert!(segments_with(&strict, &input, 960).is_empty());
    let lenient = VadConfig {
        min_speech_ms: 0,
        ..VadConfig::default()
    };
    assert_eq!(segments_with(&lenient, &input, 960).len(), 1);
}

#[test]
fn flush_closes_open_speech_at_the_last_sample_and_time_goes_on() {
    // Cut mid-word, half-way into frame 100.
    let head = jfk()[..100 * FRAME + 128].to_vec();
    let mut s = Segmenter::new(&VadConfig::default()).unwrap();
    let mut segs = s.push(&head);
    assert!(s.in_speech());
    segs.extend(s.flush());
    let last = segs.last().unwrap();
    assert_eq!(last.end_sample, head.len() as u64);
    assert_eq!(s.position(), head.len() as u64);
    assert!(!s.in_speech());
    assert!(s.flush().is_empty());
    // The next stream continues the same timeline.
    let next = s.push(&jfk());
    assert!(next.iter().all(|seg| seg.start_sample >= head.len() as u64));
    assert_eq!(s.position(), (head.len() + jfk().len()) as u64);
}

#[test]
fn out_of_range_samples_do_not_upset_the_detector() {
    let mut s = Segmenter::new(&VadConfig::default()).unwrap();
    s.push(&[2.5; 1_000]);
    s.push(&[f32::NAN; 1_000]);
    s.push(&[f32::NEG_INFINITY; 1_000]);
    s.flush();
}

#[test]
fn milliseconds_follow_samples() {
    let seg = Segment {
        start_sample: 16_008,
        end_sample: 32_000,
        samples: Vec::new(),
    };
    assert_eq!((seg.start_ms(), seg.end_ms()), (1_000, 2_000));
}

#[test]
fn configuration_has_defaults_and_refuses_what_cannot_work() {
    VadConfig::default().validate().unwrap();
    let partial: VadConfig = toml::from_str("silence_ms = 600\npre_roll_ms = 100").unwrap();
    assert_eq!(
        (
            partial.silence_ms,
            partial.pre_roll_ms,
            partial.max_segment_ms
        ),
        (600, 100, 15_000)
    );
    assert!(toml::from_str::<VadConfig>("silence = 600").is_err());
    let bad = |c: VadConfig| Segmenter::new(&c).err().unwrap().to_string();
    let d = VadConfig::default;
    assert!(bad(VadConfig {
        off_threshold: 0.6,
        ..d()
    })
    .contains("off 0.6"));
    assert!(bad(VadConfig {
        on_threshold: f32::NAN,
        ..d()
    })
    .contains("thresholds"));
    assert!(bad(VadConfig {
        max_segment_ms: 40_000,
        ..d()
    })
    .contains("vad.max_segment_ms must be between 2000 and 30000 ms, got 40000"));
    assert!(bad(VadConfig { onset_ms: 0, ..d() }).contains("onset_ms"));
    assert!(bad(VadConfig {
        post_roll_ms: 600,
        ..d()
    })
    .contains("post_roll_ms (600)"));
}
