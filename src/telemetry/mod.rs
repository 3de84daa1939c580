//! Structured logging with `tracing`: human-readable text by default, one JSON object per line with
//! `log.format = "json"`. `RUST_LOG` overrides the configured filter. Warnings and errors that
//! repeat (a misbehaving peer, a failing disk) are limited per kind (`repeat_limit`); what was
//! held back is reported every few seconds as one line with the count.

pub mod repeat_limit;

use crate::config::{LogConfig, LogFormat};
use repeat_limit::RepeatLimit;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata};
use tracing_log::NormalizeEvent;
use tracing_subscriber::layer::{Context, Filter, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Copies of one kind of warning written per window, and the window.
const REPEATS_PER_WINDOW: u32 = 10;
const WINDOW: Duration = Duration::from_secs(10);
/// The target of the "suppressed" reports, which are never limited themselves.
const REPORT_TARGET: &str = "warmline::log_limit";

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
    let repeats = RepeatFilter::new();
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let fmt = match cfg.format {
        LogFormat::Json => fmt
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_filter(repeats.clone())
            .boxed(),
        LogFormat::Text => fmt.compact().with_filter(repeats.clone()).boxed(),
    };
    // A second init (tests, embedding) keeps the first subscriber.
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .try_init()
        .is_ok();
    if installed {
        repeats.report_every(WINDOW);
    }
}

/// Holds back repeated warnings and errors (see `repeat_limit`); everything else passes.
#[derive(Clone)]
pub struct RepeatFilter {
    limit: Arc<Mutex<RepeatLimit>>,
    started: Instant,
}

impl RepeatFilter {
    pub fn new() -> Self {
        Self {
            limit: Arc::new(Mutex::new(RepeatLimit::new(
                REPEATS_PER_WINDOW,
                WINDOW.as_millis() as u64,
            ))),
            started: Instant::now(),
        }
    }

    fn now(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Logs what was held back, once per window with a count; the summaries are written from
    /// their own thread, never from inside the filter.
    fn report_every(&self, every: Duration) {
        let me = self.clone();
        let spawned = std::thread::Builder::new()
            .name("log-repeats".into())
            .spawn(move || loop {
                std::thread::sleep(every);
                me.report();
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "repeated log lines will not be summarised");
        }
    }

    /// Writes one line per kind held back since the last report.
    pub fn report(&self) {
        let held = self
            .limit
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take_suppressed(self.now());
        for (kind, copies) in held {
            tracing::warn!(target: REPORT_TARGET, copies, kind = %kind, "repeated log lines held back");
        }
    }
}

impl Default for RepeatFilter {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Filter<S> for RepeatFilter {
    fn enabled(&self, _meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        true
    }

    fn event_enabled(&self, event: &Event<'_>, _cx: &Context<'_, S>) -> bool {
        let meta = event.metadata();
        if *meta.level() > Level::WARN || meta.target() == REPORT_TARGET {
            return true;
        }
        // Lines bridged from the `log` crate (webrtc's) share one callsite per level; their own
        // file and line tell them apart.
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or(meta);
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (
            meta.level().as_str(),
            meta.target(),
            meta.file(),
            meta.line(),
        )
            .hash(&mut hasher);
        let label = || {
            let mut message = MessageOf(String::new());
            event.record(&mut message);
            format!("{} {}: {}", meta.level(), meta.target(), message.0)
        };
        let now = self.now();
        self.limit
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .admit(hasher.finish(), label, now)
    }
}

struct MessageOf(String);

impl Visit for MessageOf {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_warning_in_a_loop_is_written_ten_times_then_counted() {
        let out = Lines::default();
        let sink = out.clone();
        let mut repeats = RepeatFilter::new();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_writer(move || sink.clone())
                .with_ansi(false)
                .with_filter(repeats.clone()),
        );
        tracing::subscriber::with_default(subscriber, || {
            for peer in 0..500 {
                tracing::warn!(peer, "peer sent a bad DTLS record");
                tracing::info!(peer, "info is never limited");
            }
            tracing::error!("a different line");
            // The window has not ended: nothing to report yet.
            repeats.report();
            repeats.started = repeats.started.checked_sub(WINDOW).unwrap();
            repeats.report();
        });
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.matches("bad DTLS record").count(), 10 + 1, "{text}");
        assert_eq!(text.matches("info is never limited").count(), 500);
        assert_eq!(text.matches("a different line").count(), 1);
        assert!(
            text.contains("copies=490") && text.contains("repeated log lines held back"),
            "{text}"
        );
    }
}
