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
//!   of the full window.
//! - Invented repeats are guarded against (on unless the benchmark turns it off with
//!   `set_repeat_guard` to measure the difference). whisper.cpp's own fallback is on —
//!   temperature 0, then 0.2, 0.4, … 1.0 when a decode fails its entropy (2.4) or mean
//!   log-probability (-1) threshold, exactly what faster-whisper does by default — and neither
//!   `single_segment` nor `no_timestamps` turns it off. But it cannot see a phrase written twice
//!   inside one short utterance: the entropy check looks only at results longer than 32 tokens
//!   (and at their last 32), and a loop is confident, so its log-probability passes. So our own
//!   check runs on the text (`needs_second_look`): a decoder loop (`looks_degenerate`), or a
//!   phrase of three or more words written twice in a row (`repeated_words`) in text that is
//!   faster than people talk (`REPEAT_RATE_GATE` words a second), has the audio recognised once
//!   more, with the full window. The rate gate is what tells an invented copy from a phrase
//!   really said twice: a copy the decoder adds brings words but no audio, so it doubles the
//!   rate, while people who say something twice take the time to say it. The full window because
//!   the fitted window is what sends tiny.en round in circles; in a side experiment on looped
//!   clips (BENCHMARKS.md) a temperature re-decode added copies about as often as it removed
//!   them, and loops score a *better* mean log-probability than the truth. Of the two texts the
//!   one with fewer repeated words is kept (`prefer_second`). If a repeat of four or more words
//!   survives and the audio is too short to have held it (over 4 words a second), the extra copy
//!   is dropped (`collapse_repeats`). Text without a repeat, or said at a person's pace, costs
//!   nothing more: the check is a scan of its words.
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
/// whisper.cpp's temperature fallback (its defaults, and faster-whisper's): start greedy at 0
/// and step up by 0.2 when a decode's last 32 tokens have an entropy under 2.4 nats (only for
/// results over 32 tokens) or its mean log-probability is under -1 (unless it is silence).
const TEMPERATURE_INC: f32 = 0.2;
const ENTROPY_THOLD: f32 = 2.4;
const LOGPROB_THOLD: f32 = -1.0;
/// A phrase this long or longer written twice in a row has the audio recognised again (if the
/// text is also faster than `REPEAT_RATE_GATE`).
pub const REPEAT_MIN_WORDS: usize = 3;
/// Words a second, over the whole utterance, above which a repeated phrase is suspect.
/// Conversational speech is commonly put at about 150 words a minute, 2.5 a second with its
/// pauses; JFK's clip is 2.0; espeak-ng's voices, quicker than their nominal 150 a minute, 2.6–3.2
/// over a whole file. Saying a phrase twice does not change the pace. A copy the decoder invents
/// adds words and no audio: a whole utterance written twice doubles its rate, so the issue's case
/// ("And so my fellow Americans", 2.4 s, written twice: 12 words) is 5 words a second. A gate at
/// `g` catches a doubled utterance whenever the speaker talks faster than `g / 2`: 3.0 catches
/// anyone above 1.5 words a second (slower than JFK's oratory) and lets a phrase really said
/// twice at an average pace through with a fifth to spare. Between the two mistakes it leans
/// towards looking again: a needless second decode costs time, a missed one leaves the invented
/// words in the transcript; fast talkers who really repeat themselves pay the second decode.
/// It cannot see a short copy inside a long utterance (three invented words in 10 s add 0.3 words
/// a second); tiny.en's loops are on short utterances, where the fitted window is tightest.
pub const REPEAT_RATE_GATE: f64 = 3.0;
/// A repeat this long or longer may be collapsed when the audio could not have held it.
pub const COLLAPSE_MIN_WORDS: usize = 4;
/// More words a second than this, over the whole utterance (pauses and the VAD's margins
/// included), is faster than people talk: measured speech is 2–3.2 (JFK 2.0, espeak-ng's voices
/// 2.6–3.2); a fast talker reaches about 4 between pauses.
pub const MAX_WORDS_PER_SECOND: f64 = 4.0;

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

/// One decode: the text and the mean log-probability of its text tokens.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Candidate {
    pub recognized: Recognized,
    /// Mean natural-log probability of the text tokens (0 for no text).
    pub avg_logprob: f32,
}

/// One whisper state over a shared model; one per worker thread.
pub struct Recognizer {
    model: Arc<Model>,
    state: whisper_rs::WhisperState,
    options: RecognizerOptions,
    repeat_guard: bool,
    second_looks: u64,
}

impl Recognizer {
    pub fn new(model: Arc<Model>, options: RecognizerOptions) -> Result<Self, EngineError> {
        let state = model.ctx.create_state()?;
        Ok(Self {
            model,
            state,
            options,
            repeat_guard: true,
            second_looks: 0,
        })
    }

    /// Turns the guard against invented repeats off (only a decoder loop, `looks_degenerate`,
    /// is then recognised again, as before the guard) or on (the default). For the benchmark.
    pub fn set_repeat_guard(&mut self, on: bool) {
        self.repeat_guard = on;
    }

    /// How many utterances this recogniser decoded a second time.
    pub fn second_looks(&self) -> u64 {
        self.second_looks
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
        if !self.repeat_guard {
            if fit && looks_degenerate(&first.recognized.text, secs) {
                self.second_looks += 1;
                return Ok(self.run(samples, prompt, false)?.recognized);
            }
            return Ok(first.recognized);
        }
        if !needs_second_look(&first.recognized.text, secs) {
            return Ok(first.recognized);
        }
        // The fitted window is what sends tiny.en round in circles: recognise with the full one
        // (when it is a different window) and keep the better text.
        let full_differs = fit
            && fitted_context(samples.len().max(MIN_SAMPLES), self.model.audio_ctx)
                < self.model.audio_ctx;
        let mut best = first;
        if full_differs {
            self.second_looks += 1;
            let second = self.run(samples, prompt, false)?;
            tracing::debug!(
                first = %best.recognized.text,
                second = %second.recognized.text,
                "repeated words; recognised again with the full window"
            );
            if prefer_second(&best, &second, secs) {
                best = second;
            }
        }
        let text = collapse_repeats(&best.recognized.text, secs);
        if text != best.recognized.text {
            tracing::debug!(from = %best.recognized.text, to = %text, "invented repeat collapsed");
            best.recognized.text = text;
        }
        Ok(best.recognized)
    }

    fn run(
        &mut self,
        samples: &[f32],
        prompt: Option<&str>,
        fit_context: bool,
    ) -> Result<Candidate, EngineError> {
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
        // whisper.cpp's defaults, stated: the fallback (module contract) stays on.
        params.set_temperature(0.0);
        params.set_temperature_inc(TEMPERATURE_INC);
        params.set_entropy_thold(ENTROPY_THOLD);
        params.set_logprob_thold(LOGPROB_THOLD);
        if fit_context {
            params.set_audio_ctx(fitted_context(audio.len(), self.model.audio_ctx));
        }
        if let Some(p) = prompt.filter(|p| !p.trim().is_empty()) {
            params.set_initial_prompt(p);
        }
        self.state.full(params, audio)?;
        Ok(self.collect())
    }

    fn collect(&self) -> Candidate {
        let eot = self.model.ctx.token_eot();
        let mut text = String::new();
        let (mut sum, mut logs, mut n) = (0.0f32, 0.0f32, 0u32);
        for segment in self.state.as_iter() {
            if let Ok(t) = segment.to_str_lossy() {
                text.push_str(&t);
            }
            for i in 0..segment.n_tokens() {
                if let Some(token) = segment.get_token(i) {
                    if token.token_id() < eot {
                        sum += token.token_probability();
                        logs += token.token_data().plog;
                        n += 1;
                    }
                }
            }
        }
        let text = clean(&text);
        let (confidence, avg_logprob) = if text.is_empty() || n == 0 {
            (0.0, 0.0)
        } else {
            ((sum / n as f32).clamp(0.0, 1.0), logs / n as f32)
        };
        Candidate {
            recognized: Recognized { text, confidence },
            avg_logprob,
        }
    }
}

/// Encoder positions for `samples` of audio: the audio's own length plus a margin, never more
/// than the model has.
pub fn fitted_context(samples: usize, model_ctx: i32) -> i32 {
    let secs = samples as f64 / SAMPLE_RATE as f64;
    let ctx = ((secs * CTX_PER_SECOND).ceil() as i32 + CTX_MARGIN).max(MIN_CTX);
    ctx.clamp(1, model_ctx.max(1))
}

/// A word as the repeat checks compare it: lower case, without the punctuation around it.
fn key(word: &str) -> String {
    word.trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(key)
        .filter(|w| !w.is_empty())
        .collect()
}

/// The longest phrase of at least `min` words starting at `i` that the next words repeat, as
/// its length in words.
fn repeat_at(words: &[String], i: usize, min: usize) -> Option<usize> {
    let left = words.len().saturating_sub(i);
    (min.max(1)..=left / 2)
        .rev()
        .find(|&n| words[i..i + n] == words[i + n..i + 2 * n])
}

/// Words written again right after themselves, in phrases of `min` words or more: each copy
/// after the first counts its length ("a b c a b c a b c" is 6 with `min` 3). Scanned from the
/// left, longest phrase first. "no, no, no" and "thank you, thank you" are 0 with `min` 3.
pub fn repeated_words(text: &str, min: usize) -> usize {
    let words = words(text);
    let (mut i, mut total) = (0, 0);
    while i < words.len() {
        match repeat_at(&words, i, min) {
            Some(n) => {
                total += n;
                i += n;
            }
            None => i += 1,
        }
    }
    total
}

/// Words of `text` per second of `secs` of audio; text with no audio under it is infinitely
/// fast, no text is 0.
pub fn words_per_second(text: &str, secs: f64) -> f64 {
    let n = words(text).len() as f64;
    if n == 0.0 {
        0.0
    } else if secs > 0.0 {
        n / secs
    } else {
        f64::INFINITY
    }
}

/// Whether a decode needs a second look: a decoder loop, or a phrase of `REPEAT_MIN_WORDS` or
/// more written twice in a row in text faster than `REPEAT_RATE_GATE` (a phrase said twice at a
/// person's pace is taken as said).
pub fn needs_second_look(text: &str, secs: f64) -> bool {
    looks_degenerate(text, secs)
        || (words_per_second(text, secs) > REPEAT_RATE_GATE
            && repeated_words(text, REPEAT_MIN_WORDS) > 0)
}

/// Whether the second decode of an utterance is the better text: one that is not a decoder
/// loop beats one that is; then one that passes whisper's log-probability threshold beats one
/// that fails it; then fewer repeated words win (a loop scores a *better* log-probability than
/// the truth, so that cannot decide); then the better mean log-probability.
pub fn prefer_second(first: &Candidate, second: &Candidate, secs: f64) -> bool {
    let rank = |c: &Candidate| {
        (
            looks_degenerate(&c.recognized.text, secs),
            c.avg_logprob < LOGPROB_THOLD,
            repeated_words(&c.recognized.text, REPEAT_MIN_WORDS),
        )
    };
    let (a, b) = (rank(first), rank(second));
    b < a || (b == a && second.avg_logprob > first.avg_logprob)
}

/// The last resort: while `text` has more words than `secs` of audio could hold
/// (`MAX_WORDS_PER_SECOND`), the second copy of a phrase of `COLLAPSE_MIN_WORDS` or more written
/// twice in a row is dropped (the first keeps its punctuation). Text a person could have said
/// in that time is returned unchanged, repeats and all.
pub fn collapse_repeats(text: &str, secs: f64) -> String {
    let mut tokens: Vec<&str> = text.split_whitespace().collect();
    let mut changed = false;
    loop {
        // Tokens that are words, and where each word is among the tokens.
        let (keys, at): (Vec<String>, Vec<usize>) = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (key(t), i))
            .filter(|(k, _)| !k.is_empty())
            .unzip();
        if keys.len() as f64 <= secs.max(0.0) * MAX_WORDS_PER_SECOND {
            break;
        }
        let Some((i, n)) =
            (0..keys.len()).find_map(|i| repeat_at(&keys, i, COLLAPSE_MIN_WORDS).map(|n| (i, n)))
        else {
            break;
        };
        // The second copy: from just after the first copy's last word to its own last word.
        let from = at[i + n - 1] + 1;
        let to = at[i + 2 * n - 1] + 1;
        tokens.drain(from..to);
        changed = true;
    }
    if changed {
        tokens.join(" ")
    } else {
        text.to_owned()
    }
}

/// Whether `text` looks like a decoder loop rather than speech: more words than anyone says in
/// `secs`, or the same four words three times or more.
pub fn looks_degenerate(text: &str, secs: f64) -> bool {
    let words = words(text);
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

    fn candidate(text: &str, avg_logprob: f32) -> Candidate {
        Candidate {
            recognized: Recognized {
                text: text.into(),
                confidence: 0.9,
            },
            avg_logprob,
        }
    }

    const JFK_LOOP: &str = "And so am I fellow America. And so am I fellow America.";

    #[test]
    fn a_phrase_written_twice_needs_a_second_look() {
        assert_eq!(repeated_words(JFK_LOOP, REPEAT_MIN_WORDS), 6);
        assert!(needs_second_look(JFK_LOOP, 2.4));
        assert_eq!(
            repeated_words("a b c a b c a b c and more", REPEAT_MIN_WORDS),
            6
        );
        // Three words are enough to look again when they come too fast (the full window
        // decides, not the text): 6 words in 1.5 s.
        assert!(needs_second_look(
            "Please cancel it. Please cancel it.",
            1.5
        ));
    }

    #[test]
    fn a_phrase_really_said_twice_at_a_persons_pace_is_taken_as_said() {
        // The issue's text over 5 s (2.4 words a second) is someone saying it twice.
        assert!(!needs_second_look(JFK_LOOP, 5.0));
        // JFK's opening phrase said twice with a pause: 10 words in 4.7 s, 2.1 words a second.
        let twice = "And so my fellow Americans, and so my fellow Americans.";
        assert!(words_per_second(twice, 4.7) < 2.2);
        assert!(!needs_second_look(twice, 4.7));
        // A support phrase said twice at 2.2 words a second.
        let cancel = "Please cancel my subscription. Please cancel my subscription.";
        assert!((words_per_second(cancel, 3.6) - 2.22).abs() < 0.01);
        assert!(!needs_second_look(cancel, 3.6));
        // Just above the gate it is looked at again; at it, not.
        let six = "Please cancel it. Please cancel it.";
        assert!(needs_second_look(six, 6.0 / REPEAT_RATE_GATE - 0.1));
        assert!(!needs_second_look(six, 6.0 / REPEAT_RATE_GATE));
    }

    #[test]
    fn the_issues_invented_repeat_is_faster_than_anyone_talks() {
        // One spoken "And so my fellow Americans" (2.4 s) written twice: 12 words, 5 a second.
        assert_eq!(words_per_second(JFK_LOOP, 2.4), 5.0);
        assert!(needs_second_look(JFK_LOOP, 2.4));
        // Anyone talking faster than half the gate doubles past it when a copy is invented.
        assert!(needs_second_look(JFK_LOOP, 12.0 / REPEAT_RATE_GATE - 0.1));
        // Fast speech without a repeat is not looked at again.
        assert!(!needs_second_look(
            "Hi, I need a refund for the second payment please.",
            2.0
        ));
        // A decoder loop is looked at again whatever the pace (the rule before the guard).
        let loop3 = "and so my fellow Americans and so my fellow Americans and so my fellow \
                     Americans";
        assert!(needs_second_look(loop3, 20.0));
    }

    #[test]
    fn words_per_second_counts_words_not_punctuation() {
        assert_eq!(words_per_second("", 2.0), 0.0);
        assert_eq!(words_per_second(" , . ", 2.0), 0.0);
        assert_eq!(words_per_second("no, no, no", 1.5), 2.0);
        assert_eq!(words_per_second("hello", 0.0), f64::INFINITY);
    }

    #[test]
    fn legitimate_repetition_is_not_a_repeat() {
        for text in [
            "No, no, no, that is not what I ordered.",
            "Thank you, thank you, that fixed it.",
            "Okay okay okay okay.",
            "I'm sorry, I'm sorry, I misread the number.",
        ] {
            assert_eq!(repeated_words(text, REPEAT_MIN_WORDS), 0, "{text}");
            assert!(!needs_second_look(text, 3.0), "{text}");
            assert_eq!(collapse_repeats(text, 1.0), text);
        }
    }

    #[test]
    fn long_speech_is_untouched() {
        let long = "Hello, I cannot log in to my account since this morning, and I already reset \
                    my password twice. I was charged twice for the same month, so I would like \
                    a refund for the second payment. Could you please check why the export to a \
                    spreadsheet fails with an error every time?";
        assert!(!needs_second_look(long, 18.0));
        assert_eq!(collapse_repeats(long, 18.0), long);
        assert_eq!(
            collapse_repeats(long, 1.0),
            long,
            "no repeat, nothing to collapse"
        );
    }

    #[test]
    fn an_invented_repeat_is_collapsed_when_the_audio_is_too_short() {
        // The issue's utterance: "And so my fellow Americans", 2.4 s, written twice (12 words).
        assert_eq!(
            collapse_repeats(JFK_LOOP, 2.4),
            "And so am I fellow America."
        );
        assert_eq!(
            collapse_repeats("Please cancel my subscription please cancel my subscription please cancel my subscription now", 2.0),
            "Please cancel my subscription now"
        );
        // Said twice for real: 12 words in 5 s is speech, and stays.
        assert_eq!(collapse_repeats(JFK_LOOP, 5.0), JFK_LOOP);
        // Looped speech (the JFK clip twice, 22 s) stays whole.
        let twice = "And so my fellow Americans ask not what your country can do for you, ask \
                     what you can do for your country. And so my fellow Americans ask not what \
                     your country can do for you, ask what you can do for your country.";
        assert_eq!(collapse_repeats(twice, 22.3), twice);
        // Short repeats are never collapsed, however fast.
        assert_eq!(
            collapse_repeats("Thank you, thank you.", 0.5),
            "Thank you, thank you."
        );
    }

    #[test]
    fn the_second_decode_wins_with_fewer_repeats_not_with_a_better_log_probability() {
        let looped = candidate(
            "and so my fellow Americans and so my fellow Americans and so my fellow Americans \
             and so my fellow Americans",
            -0.05,
        );
        let right = candidate(
            "and so my fellow Americans and so my fellow Americans",
            -0.28,
        );
        assert!(prefer_second(&looped, &right, 4.6));
        assert!(!prefer_second(&right, &looped, 4.6));
        // Equal repeats: the better mean log-probability.
        let a = candidate("And so my fellow Americans.", -0.4);
        let b = candidate("And so my fellow American.", -0.3);
        assert!(prefer_second(&a, &b, 2.4));
        assert!(!prefer_second(&b, &a, 2.4));
        // A decode that fails whisper's log-probability threshold loses to one that passes,
        // repeats or not.
        let garbage = candidate("My order number is our 572", -1.8);
        let twice = candidate("My order number is 4572. My order number is 4572.", -0.2);
        assert!(!prefer_second(&twice, &garbage, 5.7));
        // A decoder loop loses to anything.
        let degenerate = candidate(&"word ".repeat(40), -0.01);
        assert!(prefer_second(&degenerate, &a, 2.4));
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
