//! Admission to the semantic analysis of customer messages.
//!
//! Contract: `analyze` always returns an analysis, and never makes a message wait more than
//! `[semantic] analysis_wait_ms` for the embedding model. The model gets at most one message per
//! core at a time; a message that finds them all busy past the wait is analysed by words only
//! (keyword intent, lexicon mood), counted in `warmline_analysis_shed_total`.
//!
//! Why: the analysis runs before the message is committed (the stored message carries its mood and
//! intent, and routing reads them), so without a bound a burst queues every acknowledgement behind
//! the model: closed loop, 500 customers were acknowledged at ~160 messages a second with ack p50
//! ~0.6 s, bound by ~8 ms of MiniLM per message. Shedding keeps the acknowledgement path at the
//! store's speed; the briefing still reads the words-only mood, which is what the semantic layer
//! refines rather than replaces.

use crate::analysis::{Analysis, Analyzer};
use crate::metrics::Metrics;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

pub struct AnalysisGate {
    analyzer: Arc<Analyzer>,
    /// One permit per core the model may run on.
    model_slots: Arc<Semaphore>,
    wait: Duration,
    metrics: Arc<Metrics>,
}

impl AnalysisGate {
    pub fn new(analyzer: Arc<Analyzer>, wait: Duration, metrics: Arc<Metrics>) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            analyzer,
            model_slots: Arc::new(Semaphore::new(cores)),
            wait,
            metrics,
        }
    }

    pub async fn analyze(&self, text: &str) -> Analysis {
        if !self.analyzer.is_semantic() {
            return self.analyzer.analyze(text);
        }
        let slot = tokio::time::timeout(self.wait, self.model_slots.clone().acquire_owned()).await;
        let Ok(Ok(slot)) = slot else {
            self.metrics.analysis_shed.inc();
            return self.analyzer.analyze_lexical(text);
        };
        // Milliseconds of CPU: off the async workers, so other sockets are not held up behind it.
        let analyzer = self.analyzer.clone();
        let owned = text.to_owned();
        let analysed = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            analyzer.analyze(&owned)
        })
        .await;
        match analysed {
            Ok(a) => a,
            // The blocking pool is shutting down: words only, the message still goes through.
            Err(_) => self.analyzer.analyze_lexical(text),
        }
    }
}
