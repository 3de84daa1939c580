//! The `[transcribe]` configuration: which Whisper model, how many worker threads, how much live
//! audio may wait, and what the recogniser is told about the conversation.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The model the import writes by default (q8_0: faster than float16 at the same words).
pub const DEFAULT_MODEL_FILE: &str = "models/ggml-tiny.en-q8_0.bin";

/// A `[transcribe]` value that cannot work.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TranscribeConfigError {
    #[error("transcribe.workers must be between 1 and 16")]
    Workers,
    #[error("transcribe.threads_per_worker must be between 1 and 64")]
    Threads,
    #[error("transcribe.live_queue must be between 1 and 4096")]
    LiveQueue,
    #[error("transcribe.language must be a Whisper language code such as \"en\" (or \"auto\")")]
    Language,
    #[error("transcribe.vad: {0}")]
    Vad(String),
}

/// The `[transcribe]` section.
///
/// ```toml
/// [transcribe]
/// model = "/var/lib/warmline/models/ggml-base.en.bin"  # any whisper.cpp ggml model
/// workers = 1              # recognisers running at once
/// threads_per_worker = 1   # leave a core for media on small machines
/// live_queue = 16          # utterances waiting before live ones are dropped (and counted)
/// prompt_terms = ["Warmline", "SSO", "invoice"]
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TranscribeConfig {
    /// Transcribe calls (live, and the whole recording after the call).
    pub enabled: bool,
    /// The ggml model file; relative paths are under `data_dir`. Unset: the imported tiny.en
    /// (`warmline models fetch`).
    pub model: Option<PathBuf>,
    /// Whisper recognisers, each on its own OS thread with its own state.
    pub workers: usize,
    /// Threads each recogniser computes with. whisper.cpp's threads spin while they wait, so
    /// workers x threads should leave a core free for media.
    pub threads_per_worker: usize,
    /// Live utterances waiting for a worker; beyond this, new ones are dropped from the live
    /// path (counted in `/metrics`) and only the after-call transcript has them.
    pub live_queue: usize,
    /// Transcribe every recording after its call, so the stored transcript is complete.
    pub after_call: bool,
    /// Spoken language (`en` for the `.en` models), or `auto` to detect it per utterance.
    pub language: String,
    /// Words the recogniser should expect (product names, jargon); sent as Whisper's initial
    /// prompt together with the customer's name.
    pub prompt_terms: Vec<String>,
    /// How speech is cut into utterances (`[transcribe.vad]`).
    pub vad: super::vad::VadConfig,
}

impl Default for TranscribeConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            model: None,
            workers: 1,
            threads_per_worker: 1,
            live_queue: 16,
            after_call: true,
            language: "en".into(),
            prompt_terms: Vec::new(),
            vad: super::vad::VadConfig::default(),
        }
    }
}

impl TranscribeConfig {
    pub fn validate(&self) -> Result<(), TranscribeConfigError> {
        if !(1..=16).contains(&self.workers) {
            return Err(TranscribeConfigError::Workers);
        }
        if !(1..=64).contains(&self.threads_per_worker) {
            return Err(TranscribeConfigError::Threads);
        }
        if !(1..=4096).contains(&self.live_queue) {
            return Err(TranscribeConfigError::LiveQueue);
        }
        let lang = self.language.as_str();
        let code = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
        if !(code || lang == "auto") {
            return Err(TranscribeConfigError::Language);
        }
        self.vad
            .validate()
            .map_err(|e| TranscribeConfigError::Vad(e.to_string()))?;
        Ok(())
    }

    /// The model file to load, resolved against the data directory.
    pub fn model_path(&self, data_dir: &Path) -> PathBuf {
        match &self.model {
            Some(p) if p.is_absolute() => p.clone(),
            Some(p) => data_dir.join(p),
            None => data_dir.join(DEFAULT_MODEL_FILE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        assert_eq!(TranscribeConfig::default().validate(), Ok(()));
        for (bad, key) in [
            (
                TranscribeConfig {
                    workers: 0,
                    ..Default::default()
                },
                "workers",
            ),
            (
                TranscribeConfig {
                    threads_per_worker: 0,
                    ..Default::default()
                },
                "threads",
            ),
            (
                TranscribeConfig {
                    live_queue: 0,
                    ..Default::default()
                },
                "live_queue",
            ),
            (
                TranscribeConfig {
                    language: "English".into(),
                    ..Default::default()
                },
                "language",
            ),
        ] {
            assert!(
                bad.validate().unwrap_err().to_string().contains(key),
                "{key}"
            );
        }
        assert!(TranscribeConfig {
            language: "auto".into(),
            ..Default::default()
        }
        .validate()
        .is_ok());
    }

    #[test]
    fn model_paths_resolve_against_the_data_dir() {
        let data = Path::new("/srv/wl");
        let mut c = TranscribeConfig::default();
        assert_eq!(c.model_path(data), data.join(DEFAULT_MODEL_FILE));
        c.model = Some("m/base.bin".into());
        assert_eq!(c.model_path(data), Path::new("/srv/wl/m/base.bin"));
        c.model = Some("/opt/base.bin".into());
        assert_eq!(c.model_path(data), Path::new("/opt/base.bin"));
    }
}
