use super::*;
use std::f64::consts::TAU;

fn sine(freq: f64, rate: u32, len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| (0.5 * (TAU * freq * i as f64 / f64::from(rate)).sin()) as f32)
        .collect()
}

/// Largest difference from the ideal 16 kHz sine over `range`.
fn error_against_ideal(out: &[f32], freq: f64, range: std::ops::Range<usize>) -> f32 {
    let ideal = sine(freq, TARGET_RATE, out.len());
    range.map(|k| (out[k] - ideal[k]).abs()).fold(0.0, f32::max)
}

fn chunked(input: &[f32], rate: u32, sizes: &[usize]) -> Vec<f32> {
    let mut r = Resampler::new(rate).unwrap();
    let mut out = Vec::new();
    let mut rest = input;
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let n = (*size).min(rest.len());
        r.process(&rest[..n], &mut out).unwrap();
        rest = &rest[n..];
    }
    r.finish(&mut out).unwrap();
    out
}

#[test]
fn a_1_khz_sine_at_48_khz_comes_out_as_the_same_sine_at_16_khz() {
    let out = to_16k(&sine(1_000.0, 48_000, 48_000), 48_000).unwrap();
    assert_eq!(out.len(), 16_000);
    // Same frequency, amplitude and phase: output sample k is input time k / 16000. The first and
    // last few milliseconds see the stream's edges through the filter.
    let err = error_against_ideal(&out, 1_000.0, 200..15_800);
    assert!(err < 2e-3, "{err}");
    let peak = out[200..15_800].iter().fold(0.0f32, |m, s| m.max(s.abs()));
    assert!((peak - 0.5).abs() < 2e-3, "{peak}");
}

#[test]
fn chunking_does_not_change_the_output() {
    let input = sine(1_000.0, 48_000, 100_003);
    let whole = to_16k(&input, 48_000).unwrap();
    assert_eq!(whole.len(), 33_335);
    for sizes in [&[960][..], &[1], &[7, 333, 5_000, 2], &[100_003]] {
        assert_eq!(chunked(&input, 48_000, sizes), whole, "{sizes:?}");
    }
}

#[test]
fn the_tail_is_flushed_and_impulses_land_on_their_time() {
    let mut input = vec![0.0; 48_000];
    input[300] = 1.0;
    input[47_997] = 1.0;
    let out = to_16k(&input, 48_000).unwrap();
    assert_eq!(out.len(), 16_000);
    let peak_near = |k: usize| {
        (k - 5..=(k + 5).min(15_999))
            .max_by(|a, b| out[*a].total_cmp(&out[*b]))
            .unwrap()
    };
    assert_eq!(peak_near(100), 100);
    assert_eq!(peak_near(15_999), 15_999);
    assert!(out[15_999] > 0.2, "{}", out[15_999]);
}

#[test]
fn other_rates_convert_with_the_right_length() {
    for rate in [8_000, 11_025, 22_050, 44_100, 32_000, 96_000, 44_101] {
        let len = rate as usize * 2 + 17;
        let out = to_16k(&sine(440.0, rate, len), rate).unwrap();
        let expected = (len as u64 * 16_000).div_ceil(u64::from(rate)) as usize;
        assert_eq!(out.len(), expected, "{rate}");
        let err = error_against_ideal(&out, 440.0, 400..expected - 400);
        assert!(err < 5e-3, "{rate}: {err}");
    }
}

#[test]
fn frequencies_above_8_khz_are_filtered_not_folded_back() {
    let out = to_16k(&sine(10_000.0, 48_000, 48_000), 48_000).unwrap();
    let rms = (out[400..15_600].iter().map(|s| s * s).sum::<f32>() / 15_200.0).sqrt();
    assert!(rms < 5e-3, "{rms}");
}

#[test]
fn sixteen_khz_passes_through_untouched() {
    let input = sine(1_000.0, 16_000, 1_234);
    assert_eq!(chunked(&input, 16_000, &[100, 3]), input);
}

#[test]
fn empty_and_tiny_inputs() {
    assert!(to_16k(&[], 48_000).unwrap().is_empty());
    assert_eq!(to_16k(&[0.1; 10], 48_000).unwrap().len(), 4);
    assert_eq!(to_16k(&[0.1; 1], 8_000).unwrap().len(), 2);
}

#[test]
fn impossible_rates_are_refused() {
    for rate in [0, 999, 384_001, u32::MAX] {
        assert!(matches!(
            Resampler::new(rate),
            Err(AudioError::SampleRate(r)) if r == rate
        ));
    }
}
