//! Structured logging with `tracing`: human-readable text by default, one JSON object per line with
//! `log.format = "json"`. `RUST_LOG` overrides the configured filter.

use crate::config::{LogConfig, LogFormat};
use tracing_subscriber::EnvFilter;

pub fn init(cfg: &LogConfig) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&cfg.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // whisper.cpp reports every model load line by line at info; keep its warnings and errors
    // unless the filter asks about it by name.
    let quiet_whisper = !cfg.filter.contains("whisper_rs")
        && !std::env::var("RUST_LOG").is_ok_and(|f| f.contains("whisper_rs"))
        && filter
            .max_level_hint()
            .is_none_or(|l| l > tracing::level_filters::LevelFilter::WARN);
    let filter = match "whisper_rs=warn".parse() {
        Ok(d) if quiet_whisper => filter.add_directive(d),
        _ => filter,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests, embedding) keeps the first subscriber.
    let _ = match cfg.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.compact().try_init(),
    };
}
