//! `warmline bench transcribe`: this gateway's Whisper against faster-whisper, in one run, on the
//! same clips and the same tiny.en weights; then the live path's end-of-utterance latency and how
//! many simultaneous speakers the machine keeps up with.
//!
//! Clips: the JFK inaugural clip (`tests/fixtures/jfk.wav`) and ten support-call sentences spoken
//! by espeak-ng in three voices (generated into a temporary directory and resampled to 16 kHz
//! once, so both engines get identical samples; the reference text is the sentence).
//! Accuracy is the word error rate over all clips against those references.
//!
//! - Offline: each clip is recognised whole (greedy, English, no carried context) `--repeats`
//!   times; the median time over the clip's duration is its real-time factor (RTF). The peer,
//!   faster-whisper, runs in a Python process (`scripts/bench/faster_whisper_peer.py`) on the
//!   CTranslate2 files the ggml model was converted from, int8 and float32.
//! - Live: S speakers each talk in real time (20 ms chunks of 48 kHz audio: a clip, then a
//!   pause) through the live path — resampling, VAD, the worker pool. The latency of an
//!   utterance is from the moment its last word was fed to the moment its text came out.
//!   Storing it adds one journal commit (about a millisecond, see `bench chat`).
//! - Looped speech (`--no-looped` skips it): 20 clips in which something really is said two or
//!   three times, 0.3 s apart, all under 30 s (the VAD never hands the recogniser more): the JFK
//!   clip twice; its opening phrase ("And so my fellow Americans", 2.2 s) twice and three times;
//!   the JFK clip with that phrase said twice before the rest; three of the support sentences
//!   (en-us) twice and three times; five short support phrases (`LOOP_PHRASES`, en-us) twice
//!   and three times. The reference is the text said that many times. Both engines recognise each
//!   clip whole, as offline; this gateway with its repeat guard (a phrase written twice faster
//!   than `REPEAT_RATE_GATE` words a second is recognised again) and without it (the engine as
//!   it was: only a decoder loop is recognised again), the peer as it is (its temperature fallback
//!   with compression-ratio and log-probability thresholds is on by default).
//!   - **Invented repeats** of a clip said `k` times (2 or 3; the clip with the phrase said twice
//!     before the rest counts as 2): over the word 4-grams of the hypothesis (words normalised as
//!     for the WER), the occurrences beyond what the reference has and beyond `k`:
//!     `sum over g of max(0, hyp(g) - max(ref(g), k))`. The floor `k` is there so that a phrase
//!     misheard the same way in each of its `k` copies ("log into" for "log in to") is a
//!     mishearing (the WER's business), not a repeat. A copy of an n-word phrase written once
//!     more than it was said adds at least n - 3; a copy *dropped* adds nothing, and shows as
//!     deletions in the WER. The row's figure is the sum over the clips, with the number of clips
//!     that have any.

use super::machine;
use crate::transcribe::engine::{
    words_per_second, Model, Recognizer, RecognizerOptions, REPEAT_RATE_GATE,
};
use crate::transcribe::file::load_16k;
use crate::transcribe::live::{self, LiveAudio, Prompts, SpeakerKey};
use crate::transcribe::pool::Pool;
use crate::transcribe::vad::VadConfig;
use crate::transcribe::wer;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const JFK: &str = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.";

/// espeak-ng voices each sentence is spoken in (American, British, a female variant), so the
/// word error rate rests on more than a few hundred words of one voice.
pub const VOICES: &[&str] = &["en-us", "en-gb", "en-us+f3"];

/// Support-call sentences the espeak-ng clips speak.
pub const SENTENCES: &[&str] = &[
    "Hello, I cannot log in to my account since this morning, and I already reset my password twice.",
    "I was charged twice for the same month, so I would like a refund for the second payment.",
    "Could you please check why the export to a spreadsheet fails with an error every time?",
    "Thank you for waiting. I can see the duplicate payment and I will refund it today.",
    "The application crashes every time I open the settings page on my phone.",
    "My order number is four five seven two and it still has not arrived after two weeks.",
    "Can you send the receipt to my work email address instead of my personal one?",
    "I already cleared the cache and restarted the router, but the page is still blank.",
    "We upgraded to the business plan yesterday and now nobody on my team can sign in.",
    "Please cancel my subscription at the end of this billing period.",
];

/// Short support phrases the looped-speech clips say two and three times (short phrases are
/// where tiny.en loops).
pub const LOOP_PHRASES: &[&str] = &[
    "Thank you for waiting.",
    "Please cancel my subscription.",
    "My order number is four five seven two.",
    "I cannot log in to my account.",
    "Could you check why the export fails?",
];

/// Support sentences (indices into `SENTENCES`) the looped clips repeat.
const LOOP_SENTENCES: &[usize] = &[0, 3, 9];

/// JFK's opening phrase in `tests/fixtures/jfk.wav`: 0.2..2.4 s (speech 0.3..2.1 s).
const JFK_PHRASE: (f64, f64) = (0.2, 2.4);
const JFK_PHRASE_TEXT: &str = "And so my fellow Americans,";

/// Silence between the copies of a looped clip.
const LOOP_GAP_SECONDS: f64 = 0.3;

/// Held-out clips for choosing the engine's constants (the encoder window's floor): other
/// sentences in other voices, never the benchmark's own, so a setting is not picked on the
/// clips it is then measured on.
pub const VALIDATION_VOICES: &[&str] = &["en-us+m3", "en-gb+f2", "en-us+m7"];
pub const VALIDATION_SENTENCES: &[&str] = &[
    "Hi, my dashboard has been showing a blank white page since the update last night.",
    "I need to change the billing address on my last three invoices before the audit.",
    "The webhook keeps returning a signature error even though I copied the secret again.",
    "Sorry to keep you waiting, I have escalated the ticket to our engineering team.",
    "Two of my colleagues were removed from the workspace and I do not know why.",
    "Is there a way to export all of my reports as a single file every Monday morning?",
    "The verification code never arrives on my phone, so I am locked out of my account.",
    "I would like to downgrade to the starter plan without losing my saved dashboards.",
    "When I click the share button nothing happens and the link is never created.",
    "Could you tell me when the discount I was promised will show up on my bill?",
];

/// Which clips a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClipSet {
    /// JFK plus the support sentences in three voices (the reported figures).
    Benchmark,
    /// Held-out sentences and voices, for tuning.
    Validation,
    /// Both sets, pooled (61 clips): the word error rate on the most words.
    All,
}

#[derive(Debug, Clone, clap::Args)]
pub struct TranscribeBenchArgs {
    /// Which clips: `benchmark` (JFK and the support sentences), `validation` (held out, for
    /// tuning constants) or `all` (both, pooled).
    #[arg(long, value_enum, default_value_t = ClipSet::Benchmark)]
    pub clips: ClipSet,
    /// ggml model files to measure (default: the configured model).
    #[arg(long = "model", value_name = "FILE")]
    pub models: Vec<PathBuf>,
    /// Threads per recognition, comma separated.
    #[arg(long, default_value = "1,2", value_delimiter = ',')]
    pub threads: Vec<usize>,
    /// Runs per clip; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
    /// The CTranslate2 model directory for the peer (model.bin, config.json, tokenizer.json,
    /// vocabulary.txt); `models/fetch.sh` unpacks it next to the ggml model.
    #[arg(long, value_name = "DIR")]
    pub peer_model: Option<PathBuf>,
    /// Python with faster-whisper (`scripts/bench/peer-setup.sh` prints one).
    #[arg(long, value_name = "PYTHON")]
    pub peer_python: Option<PathBuf>,
    /// Skip the peer.
    #[arg(long)]
    pub no_peer: bool,
    /// Skip the looped-speech measurement (invented repeats).
    #[arg(long)]
    pub no_looped: bool,
    /// Simultaneous speakers for the live measurement, comma separated (0 skips it).
    #[arg(long, default_value = "1,2,3,4", value_delimiter = ',')]
    pub speakers: Vec<usize>,
    /// Seconds each live step runs.
    #[arg(long, default_value_t = 40.0)]
    pub live_seconds: f64,
    /// Recognisers for the live measurement (the gateway's `[transcribe] workers`).
    #[arg(long, default_value_t = 1)]
    pub live_workers: usize,
    /// Threads per live recogniser (`[transcribe] threads_per_worker`).
    #[arg(long, default_value_t = 2)]
    pub live_threads: usize,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TranscribeBenchError {
    #[error("{0}")]
    Setup(String),
    #[error(transparent)]
    Engine(#[from] crate::transcribe::engine::EngineError),
    #[error(transparent)]
    File(#[from] crate::transcribe::file::FileError),
}

fn setup(e: impl std::fmt::Display) -> TranscribeBenchError {
    TranscribeBenchError::Setup(e.to_string())
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OfflineRow {
    pub engine: String,
    pub variant: String,
    pub threads: usize,
    /// Sum of median seconds over all clips / seconds of audio.
    pub rtf: f64,
    pub jfk_seconds: f64,
    pub wer: f64,
    pub jfk_text: String,
    /// Every clip's text, in clip order.
    pub texts: Vec<String>,
    /// Clips this gateway recognised a second time (repeat guard or decoder loop); none for
    /// the peer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second_looks: Option<u64>,
}

/// One engine on the looped-speech clips.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoopedRow {
    pub engine: String,
    pub variant: String,
    pub threads: usize,
    /// Invented repeated 4-grams, summed over the clips (see the module comment).
    pub invented_repeats: usize,
    /// Clips with at least one invented repeat.
    pub clips_with_invented: usize,
    pub wer: f64,
    /// Sum of median seconds over all clips / seconds of audio.
    pub rtf: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second_looks: Option<u64>,
    pub texts: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveRow {
    pub speakers: usize,
    pub workers: usize,
    pub threads: usize,
    pub utterances: usize,
    pub dropped: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub wer: f64,
    pub keeps_up: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscribeBenchResult {
    pub machine: String,
    pub audio_seconds: f64,
    pub clips: usize,
    pub offline: Vec<OfflineRow>,
    pub looped_clips: usize,
    pub looped_audio_seconds: f64,
    pub looped: Vec<LoopedRow>,
    /// The looped clips' references, in clip order.
    pub looped_references: Vec<String>,
    /// How many times each looped clip's words were said, in clip order.
    pub looped_said: Vec<usize>,
    /// Each looped clip's length in seconds, in clip order (with the reference, the pace the
    /// engine's rate gate sees when nothing is invented).
    pub looped_seconds: Vec<f64>,
    pub live: Vec<LiveRow>,
}

struct Clip {
    path: PathBuf,
    reference: String,
    samples: Vec<f32>,
    /// How many times the clip's words were said (the looped clips: 2 or 3).
    said: usize,
}

/// The clips: JFK plus espeak-ng sentences written into `dir` (or the held-out validation set).
fn clips(dir: &Path, set: ClipSet) -> Result<Vec<Clip>, TranscribeBenchError> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    if set == ClipSet::All {
        let mut all = clips(dir, ClipSet::Benchmark)?;
        all.extend(clips(&dir.join("validation"), ClipSet::Validation)?);
        return Ok(all);
    }
    std::fs::create_dir_all(dir).map_err(|e| setup(format!("{}: {e}", dir.display())))?;
    let (voices, sentences) = match set {
        ClipSet::All | ClipSet::Benchmark => {
            let jfk = root.join("tests/fixtures/jfk.wav");
            out.push(Clip {
                samples: load_16k(&jfk)?,
                path: jfk,
                reference: JFK.into(),
                said: 1,
            });
            (VOICES, SENTENCES)
        }
        ClipSet::Validation => (VALIDATION_VOICES, VALIDATION_SENTENCES),
    };
    for (i, (voice, text)) in voices
        .iter()
        .flat_map(|v| sentences.iter().map(move |t| (*v, *t)))
        .enumerate()
    {
        // Both engines get the same 16 kHz samples, so only recognition differs (not resampling).
        let samples = espeak(&dir.join(format!("sentence-{i}.wav")), voice, text)?;
        let path = dir.join(format!("sentence-{i}-16k.wav"));
        write_wav_16k(&path, &samples)?;
        out.push(Clip {
            samples,
            path,
            reference: text.into(),
            said: 1,
        });
    }
    Ok(out)
}

/// `text` spoken by espeak-ng in `voice` into `path`, as 16 kHz samples.
fn espeak(path: &Path, voice: &str, text: &str) -> Result<Vec<f32>, TranscribeBenchError> {
    let status = std::process::Command::new("espeak-ng")
        .args(["-v", voice, "-s", "150", "-w"])
        .arg(path)
        .arg(text)
        .status()
        .map_err(|e| setup(format!("espeak-ng (apt install espeak-ng): {e}")))?;
    if !status.success() {
        return Err(setup("espeak-ng failed"));
    }
    Ok(load_16k(path)?)
}

/// `samples` without the silence around the speech, 0.1 s kept on either side.
fn trim(samples: &[f32]) -> &[f32] {
    let loud = |s: &&f32| s.abs() > 0.01;
    let first = samples.iter().position(|s| loud(&s)).unwrap_or(0);
    let last = samples.iter().rposition(|s| loud(&s)).unwrap_or(0);
    let margin = 16_000 / 10;
    &samples[first.saturating_sub(margin)..(last + 1 + margin).min(samples.len())]
}

/// `times` copies of `samples` with `LOOP_GAP_SECONDS` of silence between them.
fn looped(samples: &[f32], times: usize) -> Vec<f32> {
    let gap = vec![0.0; (LOOP_GAP_SECONDS * 16_000.0) as usize];
    let mut out = Vec::new();
    for i in 0..times {
        if i > 0 {
            out.extend_from_slice(&gap);
        }
        out.extend_from_slice(samples);
    }
    out
}

fn repeated_text(text: &str, times: usize) -> String {
    vec![text; times].join(" ")
}

/// The looped-speech clips (module comment), written into `dir` for the peer.
fn looped_clips(dir: &Path) -> Result<Vec<Clip>, TranscribeBenchError> {
    std::fs::create_dir_all(dir).map_err(|e| setup(format!("{}: {e}", dir.display())))?;
    let jfk = load_16k(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jfk.wav"))?;
    let at = |secs: f64| ((secs * 16_000.0) as usize).min(jfk.len());
    let phrase = &jfk[at(JFK_PHRASE.0)..at(JFK_PHRASE.1)];
    let mut made: Vec<(Vec<f32>, String, usize)> = vec![
        (looped(&jfk, 2), repeated_text(JFK, 2), 2),
        (looped(phrase, 2), repeated_text(JFK_PHRASE_TEXT, 2), 2),
        (looped(phrase, 3), repeated_text(JFK_PHRASE_TEXT, 3), 3),
        (
            [&jfk[..at(JFK_PHRASE.1)], &jfk[at(JFK_PHRASE.0)..]].concat(),
            format!("{JFK_PHRASE_TEXT} {JFK}"),
            2,
        ),
    ];
    let spoken = LOOP_SENTENCES
        .iter()
        .map(|&i| SENTENCES[i])
        .chain(LOOP_PHRASES.iter().copied());
    for (i, text) in spoken.enumerate() {
        let samples = espeak(&dir.join(format!("phrase-{i}.wav")), "en-us", text)?;
        let samples = trim(&samples);
        for times in [2, 3] {
            made.push((looped(samples, times), repeated_text(text, times), times));
        }
    }
    let mut out = Vec::new();
    for (i, (samples, reference, said)) in made.into_iter().enumerate() {
        let path = dir.join(format!("looped-{i}.wav"));
        write_wav_16k(&path, &samples)?;
        out.push(Clip {
            path,
            reference,
            samples,
            said,
        });
    }
    Ok(out)
}

/// Invented repeats (module comment): over the word 4-grams of `hypothesis`, the occurrences
/// beyond the reference's count and beyond `said`, the times the clip's words were said.
pub fn invented_repeats(reference: &str, hypothesis: &str, said: usize) -> usize {
    use std::collections::HashMap;
    const N: usize = 4;
    let count = |text: &str| {
        let words = wer::normalize(text);
        let mut grams: HashMap<Vec<String>, usize> = HashMap::new();
        for g in words.windows(N) {
            *grams.entry(g.to_vec()).or_default() += 1;
        }
        grams
    };
    let reference = count(reference);
    count(hypothesis)
        .into_iter()
        .map(|(g, n)| n.saturating_sub(reference.get(&g).copied().unwrap_or(0).max(said.max(1))))
        .sum()
}

/// The shared cache the scripts fill (`~/.cache/warmline`).
fn cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"))
        .join("warmline")
}

fn write_wav_16k(path: &Path, samples: &[f32]) -> Result<(), TranscribeBenchError> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).map_err(setup)?;
    for s in samples {
        w.write_sample((s.clamp(-1.0, 1.0) * 32767.0) as i16)
            .map_err(setup)?;
    }
    w.finalize().map_err(setup)
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Word error rate of hypotheses against references, over all words.
fn corpus_wer(pairs: &[(String, String)]) -> f64 {
    let refs: Vec<&str> = pairs.iter().map(|(r, _)| r.as_str()).collect();
    let hyps: Vec<&str> = pairs.iter().map(|(_, h)| h.as_str()).collect();
    wer::word_errors(&refs.join(" "), &hyps.join(" ")).rate()
}

/// This gateway's recogniser on `clips`: per clip the median seconds and the text, and how
/// many recognitions (of all the repeats) were decoded a second time.
fn ours(
    model: &Arc<Model>,
    clips: &[Clip],
    threads: usize,
    fit_context: bool,
    repeat_guard: bool,
    repeats: usize,
) -> Result<(Vec<f64>, Vec<String>, u64), TranscribeBenchError> {
    let mut r = Recognizer::new(
        model.clone(),
        RecognizerOptions {
            threads,
            language: "en".into(),
            fit_context,
        },
    )?;
    r.set_repeat_guard(repeat_guard);
    r.recognize(&clips[0].samples, None)?;
    let warm = r.second_looks();
    let mut times = Vec::new();
    let mut texts = Vec::new();
    for clip in clips {
        let mut runs = Vec::new();
        let mut text = String::new();
        for _ in 0..repeats.max(1) {
            let t = Instant::now();
            text = r.recognize(&clip.samples, None)?.text;
            runs.push(t.elapsed().as_secs_f64());
        }
        times.push(median(runs));
        texts.push(text);
    }
    Ok((times, texts, r.second_looks() - warm))
}

fn row(
    engine: &str,
    variant: &str,
    threads: usize,
    clips: &[Clip],
    times: &[f64],
    texts: &[String],
) -> OfflineRow {
    let audio: f64 = clips
        .iter()
        .map(|c| c.samples.len() as f64 / 16_000.0)
        .sum();
    let pairs: Vec<(String, String)> = clips
        .iter()
        .zip(texts)
        .map(|(c, t)| (c.reference.clone(), t.clone()))
        .collect();
    OfflineRow {
        engine: engine.into(),
        variant: variant.into(),
        threads,
        rtf: times.iter().sum::<f64>() / audio,
        jfk_seconds: times.first().copied().unwrap_or(0.0),
        wer: corpus_wer(&pairs),
        jfk_text: texts.first().cloned().unwrap_or_default(),
        texts: texts.to_vec(),
        second_looks: None,
    }
}

/// An offline row's measurements on the looped clips.
fn looped_row(o: OfflineRow, clips: &[Clip]) -> LoopedRow {
    let invented: Vec<usize> = clips
        .iter()
        .zip(&o.texts)
        .map(|(c, t)| invented_repeats(&c.reference, t, c.said))
        .collect();
    LoopedRow {
        engine: o.engine,
        variant: o.variant,
        threads: o.threads,
        invented_repeats: invented.iter().sum(),
        clips_with_invented: invented.iter().filter(|&&n| n > 0).count(),
        wer: o.wer,
        rtf: o.rtf,
        second_looks: o.second_looks,
        texts: o.texts,
    }
}

fn peer(
    args: &TranscribeBenchArgs,
    clips: &[Clip],
    model_dir: &Path,
) -> Result<Vec<OfflineRow>, TranscribeBenchError> {
    let python = args
        .peer_python
        .clone()
        .unwrap_or_else(|| cache_dir().join("venv-faster-whisper/bin/python"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/bench/faster_whisper_peer.py");
    let job = serde_json::json!({
        "model": model_dir,
        "clips": clips.iter().map(|c| c.path.clone()).collect::<Vec<_>>(),
        "compute_types": ["int8", "float32"],
        "threads": args.threads,
        "repeats": args.repeats,
    });
    let mut child = std::process::Command::new(&python)
        .arg(&script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| {
            setup(format!(
                "peer python {} ({e}); run scripts/bench/peer-setup.sh or pass --no-peer",
                python.display()
            ))
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        stdin.write_all(job.to_string().as_bytes()).map_err(setup)?;
    }
    let output = child.wait_with_output().map_err(setup)?;
    if !output.status.success() {
        return Err(setup(
            "the faster-whisper peer failed (its stderr is above)",
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(&output.stdout).map_err(setup)?;
    let mut rows = Vec::new();
    for r in v["results"].as_array().into_iter().flatten() {
        let clips_out = r["clips"].as_array().cloned().unwrap_or_default();
        let times: Vec<f64> = clips_out
            .iter()
            .map(|c| c["seconds"].as_f64().unwrap_or(0.0))
            .collect();
        let texts: Vec<String> = clips_out
            .iter()
            .map(|c| c["text"].as_str().unwrap_or("").to_owned())
            .collect();
        rows.push(row(
            "faster-whisper",
            r["computeType"].as_str().unwrap_or("?"),
            r["threads"].as_u64().unwrap_or(0) as usize,
            clips,
            &times,
            &texts,
        ));
    }
    Ok(rows)
}

/// 16 kHz to the call tap's 48 kHz (linear; the live path resamples it back down).
fn to_48k(samples: &[f32]) -> Vec<i16> {
    let mut out = Vec::with_capacity(samples.len() * 3);
    for (i, &s) in samples.iter().enumerate() {
        let next = samples.get(i + 1).copied().unwrap_or(s);
        for k in 0..3 {
            let v = s + (next - s) * k as f32 / 3.0;
            out.push((v.clamp(-1.0, 1.0) * 32767.0) as i16);
        }
    }
    out
}

/// Trailing silence off a clip, so "the last word was fed" is when the speech ends.
fn trim_end(samples: &[f32]) -> &[f32] {
    let last = samples.iter().rposition(|s| s.abs() > 0.02).unwrap_or(0);
    &samples[..(last + 160).min(samples.len())]
}

async fn live_step(
    model: &Arc<Model>,
    clips: &[Clip],
    speakers: usize,
    args: &TranscribeBenchArgs,
) -> Result<LiveRow, TranscribeBenchError> {
    let pool = Pool::start(
        model.clone(),
        args.live_workers,
        RecognizerOptions {
            threads: args.live_threads,
            language: "en".into(),
            fit_context: true,
        },
        16,
    )?;
    let dropped_before = crate::transcribe::stats::snapshot().live_dropped;
    let (audio_tx, audio_rx) = mpsc::channel::<LiveAudio>(4096);
    let (seg_tx, mut seg_rx) = mpsc::channel(1024);
    let runner = tokio::spawn(live::run(
        audio_rx,
        VadConfig::default(),
        pool,
        Prompts::default(),
        seg_tx,
    ));
    let feeds: Vec<(Vec<i16>, String)> = clips
        .iter()
        .map(|c| (to_48k(trim_end(&c.samples)), c.reference.clone()))
        .collect();
    // What each speaker said, when: (speaker, call-clock end ms, fed at, reference).
    let (spoken_tx, mut spoken_rx) =
        mpsc::unbounded_channel::<(usize, u64, u64, Instant, String)>();
    let deadline = Instant::now() + Duration::from_secs_f64(args.live_seconds);
    let mut talkers = Vec::new();
    for s in 0..speakers {
        let (tx, feeds, spoken) = (audio_tx.clone(), feeds.clone(), spoken_tx.clone());
        talkers.push(tokio::spawn(async move {
            let key = SpeakerKey {
                call_id: "bench-call".into(),
                participant_id: crate::domain::ParticipantId(format!("par-{s}")),
            };
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let mut mic = Mic {
                tx,
                key,
                tick,
                clock_ms: 0,
            };
            // Speakers start out of step, as people do.
            mic.silence(s * 37 % 50).await;
            let mut n = s;
            while Instant::now() < deadline {
                let (pcm, reference) = &feeds[n % feeds.len()];
                n += 1;
                let start = mic.clock_ms;
                for chunk in pcm.chunks(960) {
                    mic.say(chunk).await;
                }
                let _ = spoken.send((s, start, mic.clock_ms, Instant::now(), reference.clone()));
                mic.silence(75).await;
            }
        }));
    }
    drop((audio_tx, spoken_tx));
    for t in talkers {
        let _ = t.await;
    }
    let _ = runner.await;
    let mut spoken = Vec::new();
    while let Ok(s) = spoken_rx.try_recv() {
        spoken.push(s);
    }
    let mut heard: Vec<(usize, u64, u64, Instant, String)> = Vec::new();
    while let Ok(seg) = seg_rx.try_recv() {
        let s: usize = seg
            .key
            .participant_id
            .0
            .trim_start_matches("par-")
            .parse()
            .unwrap_or(usize::MAX);
        heard.push((s, seg.start_ms, seg.end_ms, seg_arrival(&seg), seg.text));
    }
    let mut latencies = Vec::new();
    let mut pairs = Vec::new();
    for (s, start, end, fed_at, reference) in &spoken {
        let lines: Vec<&(usize, u64, u64, Instant, String)> = heard
            .iter()
            .filter(|h| h.0 == *s && h.2 > *start && h.1 < *end + 500)
            .collect();
        let text = lines
            .iter()
            .map(|h| h.4.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        tracing::debug!(reference = %reference, heard = %text, "live utterance");
        pairs.push((reference.clone(), text));
        if let Some(last) = lines.iter().max_by_key(|h| h.2) {
            latencies.push(last.3.saturating_duration_since(*fed_at).as_secs_f64() * 1000.0);
        }
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    let dropped = crate::transcribe::stats::snapshot().live_dropped - dropped_before;
    let p99 = percentile(&latencies, 0.99);
    Ok(LiveRow {
        speakers,
        workers: args.live_workers,
        threads: args.live_threads,
        utterances: spoken.len(),
        dropped,
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: p99,
        max_ms: latencies.last().copied().unwrap_or(0.0),
        wer: corpus_wer(&pairs),
        keeps_up: dropped == 0 && latencies.len() == spoken.len() && p99 < 3_000.0,
    })
}

/// One synthetic speaker's microphone: 20 ms chunks of 48 kHz audio, paced in real time and
/// stamped with the call clock, as the media server's tap delivers them.
struct Mic {
    tx: mpsc::Sender<LiveAudio>,
    key: SpeakerKey,
    tick: tokio::time::Interval,
    clock_ms: u64,
}

impl Mic {
    async fn say(&mut self, chunk: &[i16]) {
        self.tick.tick().await;
        let mut samples = chunk.to_vec();
        samples.resize(960, 0);
        let audio = LiveAudio {
            key: self.key.clone(),
            start_ms: self.clock_ms,
            samples,
        };
        let _ = self.tx.send(audio).await;
        self.clock_ms += 20;
    }

    async fn silence(&mut self, chunks: usize) {
        for _ in 0..chunks {
            self.say(&[]).await;
        }
    }
}

/// When the live path handed the segment on.
fn seg_arrival(seg: &live::LiveSegment) -> Instant {
    seg.produced_at
}

pub async fn run(
    args: TranscribeBenchArgs,
    model_default: PathBuf,
) -> Result<(), TranscribeBenchError> {
    let dir = tempfile::tempdir().map_err(setup)?;
    let clips = clips(dir.path(), args.clips)?;
    let audio: f64 = clips
        .iter()
        .map(|c| c.samples.len() as f64 / 16_000.0)
        .sum();
    let models = if args.models.is_empty() {
        vec![model_default]
    } else {
        args.models.clone()
    };
    let looped = if args.no_looped {
        Vec::new()
    } else {
        looped_clips(&dir.path().join("looped"))?
    };
    let max_threads = args.threads.iter().copied().max().unwrap_or(1);
    let ours_row =
        |variant: &str, threads, clips: &[Clip], measured: (Vec<f64>, Vec<String>, u64)| {
            let (times, texts, second_looks) = measured;
            OfflineRow {
                second_looks: Some(second_looks),
                ..row(
                    "warmline (whisper.cpp)",
                    variant,
                    threads,
                    clips,
                    &times,
                    &texts,
                )
            }
        };
    let mut offline = Vec::new();
    let mut looped_rows = Vec::new();
    let mut first_model = None;
    for path in &models {
        let model = Model::load(path)?;
        let variant = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for &threads in &args.threads {
            let measured = ours(&model, &clips, threads, true, true, args.repeats)?;
            offline.push(ours_row(&variant, threads, &clips, measured));
            eprintln!("measured {variant}, {threads} thread(s)");
        }
        // The same model with Whisper's fixed 30-second window, to show what fitting saves.
        let measured = ours(&model, &clips, max_threads, false, true, args.repeats)?;
        offline.push(ours_row(
            &format!("{variant}, 30 s window"),
            max_threads,
            &clips,
            measured,
        ));
        if first_model.is_none() {
            // What the repeat guard costs on ordinary clips: the same model without it.
            let measured = ours(&model, &clips, max_threads, true, false, args.repeats)?;
            offline.push(ours_row(
                &format!("{variant}, no repeat guard"),
                max_threads,
                &clips,
                measured,
            ));
            if !looped.is_empty() {
                for &threads in &args.threads {
                    let measured = ours(&model, &looped, threads, true, true, args.repeats)?;
                    looped_rows.push(looped_row(
                        ours_row(&variant, threads, &looped, measured),
                        &looped,
                    ));
                }
                let measured = ours(&model, &looped, max_threads, true, false, args.repeats)?;
                looped_rows.push(looped_row(
                    ours_row(
                        &format!("{variant}, no repeat guard"),
                        max_threads,
                        &looped,
                        measured,
                    ),
                    &looped,
                ));
                eprintln!("measured {variant} on looped speech");
            }
        }
        first_model.get_or_insert(model);
    }
    if !args.no_peer {
        let dir = args
            .peer_model
            .clone()
            .unwrap_or_else(|| cache_dir().join("models/ct2-tiny.en"));
        offline.extend(peer(&args, &clips, &dir)?);
        if !looped.is_empty() {
            for r in peer(&args, &looped, &dir)? {
                looped_rows.push(looped_row(r, &looped));
            }
            eprintln!("measured the peer on looped speech");
        }
    }
    let mut live_rows = Vec::new();
    if let Some(model) = &first_model {
        for &s in args.speakers.iter().filter(|&&s| s > 0) {
            let r = live_step(model, &clips, s, &args).await?;
            eprintln!(
                "live, {s} speaker(s): p50 {:.0} ms, p99 {:.0} ms, {} dropped",
                r.p50_ms, r.p99_ms, r.dropped
            );
            live_rows.push(r);
        }
    }
    let result = TranscribeBenchResult {
        machine: machine::describe(),
        audio_seconds: audio,
        clips: clips.len(),
        offline,
        looped_clips: looped.len(),
        looped_audio_seconds: looped
            .iter()
            .map(|c| c.samples.len() as f64 / 16_000.0)
            .sum(),
        looped: looped_rows,
        looped_references: looped.iter().map(|c| c.reference.clone()).collect(),
        looped_said: looped.iter().map(|c| c.said).collect(),
        looped_seconds: looped
            .iter()
            .map(|c| c.samples.len() as f64 / 16_000.0)
            .collect(),
        live: live_rows,
    };
    if args.json {
        println!("{}", serde_json::to_string(&result).unwrap_or_default());
    } else {
        print_table(&result);
    }
    Ok(())
}

fn print_table(r: &TranscribeBenchResult) {
    println!("machine: {}", r.machine);
    println!("{} clips, {:.1} s of audio", r.clips, r.audio_seconds);
    let looks = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
    println!(
        "{:<24} {:<34} {:>7} {:>7} {:>9} {:>6} {:>7}",
        "engine", "variant", "threads", "RTF", "JFK s", "WER", "2nd"
    );
    for o in &r.offline {
        println!(
            "{:<24} {:<34} {:>7} {:>7.3} {:>9.3} {:>5.1}% {:>7}",
            o.engine,
            o.variant,
            o.threads,
            o.rtf,
            o.jfk_seconds,
            o.wer * 100.0,
            looks(o.second_looks)
        );
    }
    if !r.looped.is_empty() {
        println!(
            "looped speech: {} clips, {:.1} s of audio; invented = repeated 4-grams not in the reference",
            r.looped_clips, r.looped_audio_seconds
        );
        println!(
            "{:<24} {:<34} {:>7} {:>8} {:>6} {:>6} {:>7} {:>7}",
            "engine", "variant", "threads", "invented", "clips", "WER", "RTF", "2nd"
        );
        for l in &r.looped {
            println!(
                "{:<24} {:<34} {:>7} {:>8} {:>6} {:>5.1}% {:>7.3} {:>7}",
                l.engine,
                l.variant,
                l.threads,
                l.invented_repeats,
                l.clips_with_invented,
                l.wer * 100.0,
                l.rtf,
                looks(l.second_looks)
            );
        }
        // The pace of what was really said: clips above the rate gate are re-decoded by
        // design, those below only if the engine writes more words than were said.
        let paces: Vec<String> = r
            .looped_references
            .iter()
            .zip(&r.looped_seconds)
            .enumerate()
            .map(|(i, (text, &secs))| format!("{i}: {:.2}", words_per_second(text, secs)))
            .collect();
        println!(
            "looped clips' pace, words/s of the reference (rate gate {REPEAT_RATE_GATE}): {}",
            paces.join(", ")
        );
        for (i, reference) in r.looped_references.iter().enumerate() {
            tracing::debug!(clip = i, reference = %reference, "looped clip");
            for l in &r.looped {
                let text = l.texts.get(i).map(String::as_str).unwrap_or("");
                let said = r.looped_said.get(i).copied().unwrap_or(1);
                let invented = invented_repeats(reference, text, said);
                if invented > 0 {
                    println!(
                        "  clip {i} {} {} ({}): +{invented}: {text}",
                        l.engine, l.variant, l.threads
                    );
                }
            }
        }
    }
    if !r.live.is_empty() {
        println!("live: end of utterance -> text");
        println!(
            "{:>8} {:>7} {:>7} {:>6} {:>7} {:>8} {:>8} {:>8} {:>6} {:>8}",
            "speakers",
            "workers",
            "threads",
            "utts",
            "dropped",
            "p50 ms",
            "p99 ms",
            "max ms",
            "WER",
            "keeps up"
        );
        for l in &r.live {
            println!(
                "{:>8} {:>7} {:>7} {:>6} {:>7} {:>8.0} {:>8.0} {:>8.0} {:>5.1}% {:>8}",
                l.speakers,
                l.workers,
                l.threads,
                l.utterances,
                l.dropped,
                l.p50_ms,
                l.p99_ms,
                l.max_ms,
                l.wer * 100.0,
                l.keeps_up
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invented_repeats_count_only_copies_the_reference_does_not_have() {
        let once = "And so my fellow Americans.";
        let twice = "And so my fellow Americans, and so my fellow Americans.";
        // Written twice, said once: "and so my fellow", "so my fellow americans" once too often,
        // plus nothing for the 4-grams that span the join (they occur once).
        assert_eq!(invented_repeats(once, twice, 1), 2);
        // Said twice, written twice: nothing invented.
        assert_eq!(invented_repeats(twice, twice, 2), 0);
        // Said twice, written three times: one copy too many (5 words: the 2 4-grams inside it;
        // those spanning a join occur twice, as often as the words were said).
        let thrice = format!("{twice} and so my fellow Americans");
        assert_eq!(invented_repeats(twice, &thrice, 2), 2);
        // Written once, said twice: a deletion, not an invented repeat.
        assert_eq!(invented_repeats(twice, once, 2), 0);
        // A misheard phrase written twice when said once counts too.
        let loop_jfk = "And so am I fellow America. And so am I fellow America.";
        assert_eq!(invented_repeats(once, loop_jfk, 1), 3);
        // ... but said twice and misheard the same way twice, it is a mishearing, not a repeat.
        assert_eq!(invented_repeats(twice, loop_jfk, 2), 0);
        let log_in = "I cannot log in to my account.";
        let into = "I cannot log into my account. I cannot log into my account.";
        assert_eq!(invented_repeats(&repeated_text(log_in, 2), into, 2), 0);
        // Legitimate short repetition, misheard or not, is not a 4-gram repeat.
        assert_eq!(invented_repeats("no", "no, no, no", 1), 0);
        assert_eq!(invented_repeats("", "", 1), 0);
    }

    #[test]
    fn looped_audio_has_the_gaps_between_copies() {
        let a = vec![0.5f32; 100];
        let gap = (LOOP_GAP_SECONDS * 16_000.0) as usize;
        assert_eq!(looped(&a, 3).len(), 300 + 2 * gap);
        assert_eq!(repeated_text("a b", 2), "a b a b");
        let mut padded = vec![0.0f32; 5_000];
        padded.extend(vec![0.5; 10]);
        padded.extend(vec![0.0; 5_000]);
        assert_eq!(trim(&padded).len(), 10 + 2 * 1_600);
    }
}
