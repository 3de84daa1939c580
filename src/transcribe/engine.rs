//! Whisper through whisper-rs: a loaded model shared by every worker, and a `Recognizer` (one
//! whisper state) that turns one utterance of 16 kHz mono audio into text.
//!
//! Contract:
//! - `Recognizer::recognize` blocks for the whole inference: call it on a dedicated thread
//!   (`pool`), never on the async runtime.
//! - Every call starts from a clean text context (`no_context`), so nothing said by one speaker
//!   or in one call leaks into the next; what the recogniser should expect comes only from the
//!   request's prompt.
//! - With `fit_context`, the encoder runs over the utterance's length plus a margin (never under
//!   about 10 s) instead of Whisper's fixed 30-second window, so a short utterance costs a third
//!   of the full window. Text that looks like a decoder loop is recognised again with the full
//!   window.
//! - Utterances shorter than one second are padded with silence (whisper.cpp refuses them).
//! - The confidence is the mean probability of the text tokens, 0..=1.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

/// Whisper's sample rate.
pub const SAMPLE_RATE: usize = 16_000;
/// Encoder positions per second of audio (10 ms mel hop, stride-2 convolution).
const CTX_PER_SECOND: f64 = 50.0;
/// Context beyond the audio itself; too tight a window makes the small models stop early.
const CTX_MARGIN: i32 = 64;
/// The smallest window used (about 10 s). tiny.en, trained on 30-second windows only, loops or
/// drops words on short utterances below about 8 s of context (measured on the JFK clip's
/// utterances: 384 loops on "and so my fellow Americans", 512 and up are word-exact).
const MIN_CTX: i32 = 512;
/// whisper.cpp refuses input shorter than one second.
const MIN_SAMPLES: usize = SAMPLE_RATE + SAMPLE_RATE / 10;

/// What can go wrong loading a model or recognising speech.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("model file {0} not found; `warmline models fetch` imports the default one")]
    ModelMissing(PathBuf),
    #[error("model {path} could not be loaded: {reason}")]
    ModelLoad { path: PathBuf, reason: String },
    #[error("whisper: {0}")]
    Whisper(String),
}

impl From<whisper_rs::WhisperError> for EngineError {
    fn from(e: whisper_rs::WhisperError) -> Self {
        Self::Whisper(format!("{e:?}"))
    }
}

/// A loaded ggml Whisper model; cheap to share between workers.
pub struct Model {
    ctx: WhisperContext,
    path: PathBuf,
    /// Largest encoder context (1500 = 30 s).
    audio_ctx: i32,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("path", &self.path).finish()
    }
}

impl Model {
    /// Loads `path` (blocking; a few hundred milliseconds for tiny).
    pub fn load(path: &Path) -> Result<Arc<Self>, EngineError> {
        static LOG_HOOKS: Once = Once::new();
        // whisper.cpp prints to stderr unless its log goes through `tracing`.
        LOG_HOOKS.call_once(whisper_rs::install_logging_hooks);
        if !path.is_file() {
            return Err(EngineError::ModelMissing(path.to_owned()));
        }
        let mut params = WhisperContextParameters::default();
        params.use_gpu(false);
        let ctx =
            WhisperContext::new_with_params(path, params).map_err(|e| EngineError::ModelLoad {
                path: path.to_owned(),
                reason: format!("{e:?}"),
            })?;
        let audio_ctx = ctx.model_n_audio_ctx();
        Ok(Arc::new(Self {
            ctx,
            path: path.to_owned(),
            audio_ctx,
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the model knows languages other than English.
    pub fn is_multilingual(&self) -> bool {
        self.ctx.is_multilingual()
    }
}

/// How to recognise.
#[derive(Debug, Clone, PartialEq)]
pub struct RecognizerOptions {
    pub threads: usize,
    /// `en`, another code, or `auto`.
    pub language: String,
    /// Size the encoder to the utterance (see the module contract).
    pub fit_context: bool,
}

impl Default for RecognizerOptions {
    fn default() -> Self {
        Self {
            threads: 1,
            language: "en".into(),
            fit_context: true,
        }
    }
}

/// The text of one utterance.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Recognized {
    /// Empty when nothing was said (noise, a cough).
    pub text: String,
    /// Mean probability of the text tokens, 0..=1 (0 for no text).
    pub confidence: f32,
}

/// One whisper state over a shared model; one per worker thread.
pub struct Recognizer {
    model: Arc<Model>,
    state: whisper_rs::WhisperState,
    options: RecognizerOptions,
}

impl Recognizer {
    pub fn new(model: Arc<Model>, options: RecognizerOptions) -> Result<Self, EngineError> {
        let state = model.ctx.create_state()?;
        Ok(Self {
            model,
            state,
            options,
        })
    }

    /// Recognises `samples` (16 kHz mono, -1..=1); `prompt` is text the speaker is likely to use.
    pub fn recognize(
        &mut self,
        samples: &[f32],
        prompt: Option<&str>,
    ) -> Result<Recognized, EngineError> {
        let fit = self.options.fit_context;
        let first = self.run(samples, prompt, fit)?;
        let secs = samples.len() as f64 / SAMPLE_RATE as f64;
        if fit && looks_degenerate(&first.text, secs) {
            // A fitted window that sent the decoder round in circles: pay for the full one.
            tracing::debug!(text = %first.text, "degenerate output; recognising again with the full window");
            return self.run(samples, prompt, false);
        }
        Ok(first)
    }

    fn run(
        &mut self,
        samples: &[f32],
        prompt: Option<&str>,
        fit_context: bool,
    ) -> Result<Recognized, EngineError> {
        let padded;
        let audio = if samples.len() < MIN_SAMPLES {
            padded = {
                let mut v = samples.to_vec();
                v.resize(MIN_SAMPLES, 0.0);
                v
            };
            &padded[..]
        } else {
            samples
        };
        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        params.set_n_threads(self.options.threads.clamp(1, 64) as i32);
        params.set_language(Some(self.options.language.as_str()));
        params.set_no_context(true);
        // Timestamp tokens cost decoding time and, measured on the benchmark's clips, did not
        // improve the words (13.8 % WER with them, 12.9 % without); the VAD gives the times.
        params.set_no_timestamps(true);
        params.set_single_segment(true);
        params.set_suppress_blank(true);
        params.set_suppress_nst(true);
        params.set_print_special(false);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_timestamps(false);
        if fit_context {
            params.set_audio_ctx(fitted_context(audio.len(), self.model.audio_ctx));
        }
        if let Some(p) = prompt.filter(|p| !p.trim().is_empty()) {
            params.set_initial_prompt(p);
        }
        self.state.full(params, audio)?;
        Ok(self.collect())
    }

    fn collect(&self) -> Recognized {
        let eot = self.model.ctx.token_eot();
        let mut text = String::new();
        let (mut sum, mut n) = (0.0f32, 0u32);
        for segment in self.state.as_iter() {
            if let Ok(t) = segment.to_str_lossy() {
                text.push_str(&t);
            }
            for i in 0..segment.n_tokens() {
                if let Some(token) = segment.get_token(i) {
                    if token.token_id() < eot {
                        sum += token.token_probability();
                        n += 1;
                    }
                }
            }
        }
        let text = clean(&text);
        let confidence = if text.is_empty() || n == 0 {
            0.0
        } else {
            (sum / n as f32).clamp(0.0, 1.0)
        };
        Recognized { text, confidence }
    }
}

/// Encoder positions for `samples` of audio: the audio's own length plus a margin, never more
/// than the model has.
pub fn fitted_context(samples: usize, model_ctx: i32) -> i32 {
    let secs = samples as f64 / SAMPLE_RATE as f64;
    let ctx = ((secs * CTX_PER_SECOND).ceil() as i32 + CTX_MARGIN).max(MIN_CTX);
    ctx.clamp(1, model_ctx.max(1))
}

/// Whether `text` looks like a decoder loop rather than speech: more words than anyone says in
/// `secs`, or the same four words three times or more.
pub fn looks_degenerate(text: &str, secs: f64) -> bool {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() as f64 > secs * 6.0 + 6.0 {
        return true;
    }
    let mut seen = std::collections::HashMap::new();
    for gram in words.windows(4) {
        let n = seen.entry(gram).or_insert(0);
        *n += 1;
        if *n >= 3 {
            return true;
        }
    }
    false
}

/// Whisper's text with its non-speech annotations ("[BLANK_AUDIO]", "(wind blowing)") removed
/// and whitespace tidied.
pub fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut depth = 0usize;
    for c in raw.chars() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_fits_the_audio_with_a_margin() {
        assert_eq!(fitted_context(SAMPLE_RATE * 3, 1500), MIN_CTX);
        assert_eq!(fitted_context(SAMPLE_RATE * 12, 1500), 600 + CTX_MARGIN);
        assert_eq!(fitted_context(SAMPLE_RATE * 60, 1500), 1500);
        assert_eq!(fitted_context(0, 1500), MIN_CTX);
    }

    #[test]
    fn decoder_loops_are_recognised() {
        assert!(looks_degenerate(
            "and so my fellow Americans and so my fellow Americans. And so my fellow Americans...",
            2.5
        ));
        assert!(looks_degenerate(&"word ".repeat(30), 2.0));
        assert!(!looks_degenerate("And so my fellow Americans.", 2.5));
        assert!(!looks_degenerate(
            "ask not what your country can do for you, ask what you can do for your country",
            6.0
        ));
    }

    #[test]
    fn annotations_and_extra_spaces_are_removed() {
        assert_eq!(clean(" [BLANK_AUDIO]"), "");
        assert_eq!(clean(" Hello (coughs) there.  "), "Hello there.");
        assert_eq!(
            clean(" ask not what your country"),
            "ask not what your country"
        );
        assert_eq!(clean("unbalanced ) stays"), "unbalanced ) stays");
    }
}
