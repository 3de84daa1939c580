//! The mel filter bank whisper.cpp applies to each power spectrum. CTranslate2's export does not
//! carry it (OpenAI's package ships it separately, as `mel_filters.npz`), so it is computed here the
//! way that file was made: `librosa.filters.mel(sr=16000, n_fft=400, n_mels=80)` with librosa's
//! defaults — Slaney's mel scale (linear below 1 kHz, logarithmic above; `htk=False`), triangles
//! from 0 Hz to the Nyquist frequency, each scaled to unit area (`norm="slaney"`).
//!
//! The arithmetic follows librosa's order of operations in f64, including its float32 storage of
//! the triangles before the area scaling, so the f32 results match librosa's to the last bit or one
//! ulp (the logarithms and exponentials come from different maths libraries). Compared with the
//! filters in whisper.cpp's own tiny.en test model (OpenAI's `mel_filters.npz`), all 16080 values
//! are bit-identical; current librosa differs from both only in writing the first weight as -0.0.

/// Filters for `n_mels` bands over the `n_fft / 2 + 1` bins of a real FFT of `n_fft` samples at
/// `sample_rate`: row-major, one row of `n_fft / 2 + 1` weights per band.
pub fn filters(sample_rate: u32, n_fft: usize, n_mels: usize) -> Vec<f32> {
    let sr = f64::from(sample_rate);
    let n_bins = n_fft / 2 + 1;
    // numpy.fft.rfftfreq(n_fft, d=1/sr), with its rounding.
    let bin_hz = 1.0 / (n_fft as f64 * (1.0 / sr));
    let fft_hz: Vec<f64> = (0..n_bins).map(|j| j as f64 * bin_hz).collect();

    let mel_max = hz_to_mel(sr / 2.0);
    let band_hz: Vec<f64> = linspace(0.0, mel_max, n_mels + 2)
        .into_iter()
        .map(mel_to_hz)
        .collect();

    let mut out = Vec::with_capacity(n_mels * n_bins);
    for i in 0..n_mels {
        let (lo, mid, hi) = (band_hz[i], band_hz[i + 1], band_hz[i + 2]);
        let area_scale = 2.0 / (hi - lo);
        out.extend(fft_hz.iter().map(|&f| {
            let rising = -(lo - f) / (mid - lo);
            let falling = (hi - f) / (hi - mid);
            // +0.0 where the triangle is flat, as in OpenAI's file (librosa 0.11 gives -0.0 at 0 Hz).
            let weight = rising.min(falling).max(0.0);
            let weight = (if weight > 0.0 { weight } else { 0.0 }) as f32;
            (f64::from(weight) * area_scale) as f32
        }));
    }
    out
}

const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;

fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

fn hz_to_mel(hz: f64) -> f64 {
    if hz >= MIN_LOG_HZ {
        MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / log_step()
    } else {
        hz / F_SP
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    if mel >= MIN_LOG_MEL {
        MIN_LOG_HZ * (log_step() * (mel - MIN_LOG_MEL)).exp()
    } else {
        F_SP * mel
    }
}

/// numpy.linspace with its endpoint: `start + i * step`, the last value exactly `stop`.
fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let step = (stop - start) / (num.saturating_sub(1).max(1)) as f64;
    let mut v: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    if let Some(last) = v.last_mut() {
        if num > 1 {
            *last = stop;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (band, bin, value) from librosa 0.11.0 with numpy 2.4:
    /// `librosa.filters.mel(sr=16000, n_fft=400, n_mels=80)`, each float32 printed exactly as an
    /// f64 with `repr(float(x))`, so `as f32` gives back librosa's value.
    const LIBROSA: &[(usize, usize, f64)] = &[
        (0, 1, 0.02486259490251541),
        (1, 1, 0.001990821911022067),
        (1, 2, 0.022871771827340126),
        (2, 3, 0.02088095061480999),
        (9, 10, 0.006945197004824877),
        (10, 10, 0.01990821771323681),
        (23, 22, 0.01694466546177864),
        (30, 30, 0.00896277092397213),
        (31, 31, 0.011751330457627773),
        (45, 52, 0.011507894843816757),
        (45, 54, 0.0011901655234396458),
        (60, 90, 0.0014345343224704266),
        (60, 93, 0.006591092795133591),
        (79, 186, 0.000366741674952209),
        (79, 192, 0.0031647118739783764),
        (79, 199, 0.0004487590049393475),
        (79, 200, 0.0),
        (40, 0, 0.0),
    ];

    #[test]
    fn matches_librosa() {
        let f = filters(16000, 400, 80);
        assert_eq!(f.len(), 80 * 201);
        for &(band, bin, expected) in LIBROSA {
            let expected = expected as f32;
            let got = f[band * 201 + bin];
            assert_eq!(
                got == 0.0,
                expected == 0.0,
                "[{band}][{bin}]: {got:e} vs {expected:e}"
            );
            let ulps = (got.to_bits() as i64 - expected.to_bits() as i64).abs();
            assert!(
                ulps <= 1,
                "[{band}][{bin}]: {got:e} vs librosa {expected:e}"
            );
        }
    }

    #[test]
    fn zeros_are_positive_as_in_openais_filters() {
        let f = filters(16000, 400, 80);
        assert!(f.iter().all(|w| w.is_sign_positive()));
    }

    #[test]
    fn slaney_scale_is_linear_below_1khz_and_continuous() {
        assert!((hz_to_mel(600.0) - 9.0).abs() < 1e-12);
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
        for hz in [200.0, 999.0, 1000.0, 4321.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-9);
        }
    }

    #[test]
    fn every_band_has_weight_and_none_is_negative() {
        let f = filters(16000, 400, 80);
        for band in f.chunks(201) {
            assert!(band.iter().all(|&w| w >= 0.0));
            assert!(band.iter().any(|&w| w > 0.0));
        }
    }
}
