//! `warmline transcribe FILE`: one recording to text with the local model, on the same path the
//! after-call transcript takes (VAD utterances recognised on the worker pool), with a progress
//! bar on stderr for long files.

use crate::config::Config;
use crate::transcribe::engine::{Model, RecognizerOptions};
use crate::transcribe::file::transcribe_file;
use crate::transcribe::pool::Pool;
use crate::transcribe::subtitles::{self, Cue};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per utterance.
    Text,
    /// `{ "file", "durationMs", "segments": [{ startMs, endMs, speaker, text, confidence }] }`.
    Json,
    /// WebVTT captions (with a voice tag when --speaker is given).
    Vtt,
    /// SubRip captions.
    Srt,
}

#[derive(Debug, Clone, clap::Args)]
pub struct TranscribeArgs {
    /// WAV (any sample rate, mono or not) or Ogg/Opus (as the gateway records calls).
    pub file: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// A ggml Whisper model file; overrides `[transcribe] model`.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Threads per recogniser (default: every core, since nothing else runs).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Name put on every line (JSON `speaker`, WebVTT voice tag).
    #[arg(long)]
    pub speaker: Option<String>,
    /// No progress bar, even on a terminal.
    #[arg(long)]
    pub quiet: bool,
}

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum TranscribeFileError {
    #[error(transparent)]
    Engine(#[from] crate::transcribe::engine::EngineError),
    #[error(transparent)]
    File(#[from] crate::transcribe::file::FileError),
    #[error("{0}")]
    Join(String),
}

pub async fn run(config: &Config, args: TranscribeArgs) -> Result<(), TranscribeFileError> {
    let model_path = args
        .model
        .clone()
        .unwrap_or_else(|| config.transcribe.model_path(&config.data_dir));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = args.threads.unwrap_or(cores).max(1);
    let model = tokio::task::spawn_blocking(move || Model::load(&model_path))
        .await
        .map_err(|e| TranscribeFileError::Join(e.to_string()))??;
    let options = RecognizerOptions {
        threads,
        language: config.transcribe.language.clone(),
        fit_context: true,
    };
    let pool = Pool::start(model, 1, options, 1)?;
    let bar = progress_bar(&args);
    let prompt = (!config.transcribe.prompt_terms.is_empty())
        .then(|| format!("{}.", config.transcribe.prompt_terms.join(", ")));
    let transcript = transcribe_file(&pool, &args.file, &config.transcribe.vad, prompt, |p| {
        if let Some(b) = &bar {
            b.set_length(p.utterances_found as u64);
            b.set_position(p.utterances_done as u64);
            let s = p.audio_ms / 1000;
            b.set_message(format!(
                "{}:{:02}:{:02} of audio{}",
                s / 3600,
                s / 60 % 60,
                s % 60,
                if p.decoded { "" } else { " so far" }
            ));
        }
    })
    .await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let transcript = transcript?;
    let segments = transcript.segments;
    let cues: Vec<Cue> = segments
        .iter()
        .map(|s| Cue {
            start_ms: s.start_ms,
            end_ms: s.end_ms,
            speaker: args.speaker.clone(),
            text: s.text.clone(),
        })
        .collect();
    let out = match args.format {
        Format::Text if cues.is_empty() => String::new(),
        Format::Text => format!("{}\n", subtitles::to_text(&cues).trim_end()),
        Format::Vtt => subtitles::to_webvtt(&cues),
        Format::Srt => subtitles::to_srt(&cues),
        Format::Json => {
            let segments: Vec<serde_json::Value> = segments
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "startMs": s.start_ms,
                        "endMs": s.end_ms,
                        "speaker": args.speaker,
                        "text": s.text,
                        "confidence": (f64::from(s.confidence) * 1000.0).round() / 1000.0,
                    })
                })
                .collect();
            let doc = serde_json::json!({
                "file": args.file,
                "durationMs": transcript.audio_ms,
                "segments": segments,
            });
            format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )
        }
    };
    print!("{out}");
    Ok(())
}

/// A bar over utterances on stderr when it is a terminal (`--quiet` turns it off).
fn progress_bar(args: &TranscribeArgs) -> Option<indicatif::ProgressBar> {
    if args.quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(0),
        indicatif::ProgressDrawTarget::stderr_with_hz(4),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} transcribing [{bar:30}] {pos}/{len} utterances, {msg}, {elapsed}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    Some(bar)
}
