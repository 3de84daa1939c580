//! Admission to the semantic analysis of customer messages.
//!
//! Contract: `analyze` always returns an analysis, and never makes a message wait more than
//! `[semantic] analysis_wait_ms` for the embedding model. The model gets at most one message per
//! core at a time; a message that finds them all busy past the wait is analysed by words only
//! (keyword intent, lexicon mood), counted in `warmline_analysis_shed_total`.
//!
//! Why: the analysis runs before the message is committed (the stored message carries its mood and
//! intent, and routing reads them), so without a bound a burst queues every acknowledgement behind
//! the model: closed loop, 100 customers were acknowledged at ~160 messages a second with ack p50
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::semantic::stand_in::BagOfWords;
    use crate::analysis::semantic::{EmbedFailure, Embedder, Embedding};
    use crate::analysis::AnalysisConfig;

    /// The stand-in model, made as slow as a loaded machine: 100 ms a text.
    struct Slow;

    impl Embedder for Slow {
        fn id(&self) -> &str {
            "test:slow-bag-of-words"
        }

        fn embed(&self, text: &str) -> Result<Embedding, EmbedFailure> {
            std::thread::sleep(Duration::from_millis(100));
            BagOfWords.embed(text)
        }
    }

    fn gate(wait: Duration) -> Option<(AnalysisGate, Arc<Metrics>)> {
        let analyzer = Analyzer::new(&AnalysisConfig::default()).ok()?;
        let vectors = BagOfWords.embed_all(&analyzer.example_texts()).ok()?;
        let analyzer = Arc::new(analyzer.with_semantic(Arc::new(Slow), vectors));
        let metrics = Arc::new(Metrics::new());
        Some((AnalysisGate::new(analyzer, wait, metrics.clone()), metrics))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_free_model_analyses_and_a_busy_one_sheds_to_words_only() {
        let Some((gate, metrics)) = gate(Duration::from_millis(20)) else {
            panic!("the default analysis configuration is valid");
        };
        let text = "This is blocking our release tomorrow and I'm really frustrated";
        let t0 = std::time::Instant::now();
        gate.analyze(text).await;
        let one_run = t0.elapsed();
        assert_eq!(metrics.analysis_shed.get(), 0, "a free model is used");
        assert!(
            one_run >= Duration::from_millis(100),
            "the model ran: {one_run:?}"
        );

        // More messages at once than the model has slots: the rest wait 20 ms, then go on by words.
        let slots = std::thread::available_parallelism().map_or(2, |n| n.get());
        let burst = slots + 4;
        let gate = Arc::new(gate);
        let started = std::time::Instant::now();
        let runs: Vec<_> = (0..burst)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(async move { gate.analyze(text).await })
            })
            .collect();
        for run in runs {
            assert!(run.await.is_ok(), "an analysis task failed");
        }
        assert!(
            metrics.analysis_shed.get() >= 4,
            "{} of {burst} shed with {slots} slots",
            metrics.analysis_shed.get()
        );
        // Nobody queued behind the model: the burst took about one model run, not the
        // burst / slots = 3 runs in a row that waiting would take.
        let burst_took = started.elapsed();
        assert!(
            burst_took < one_run * 2,
            "burst {burst_took:?}, one run {one_run:?}"
        );
    }
}
