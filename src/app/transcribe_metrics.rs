//! `/metrics` for transcription: its process-wide counters as Prometheus counters.

/// The transcription counters (`transcribe::stats`), read at each scrape.
#[derive(Debug)]
pub struct TranscribeCollector;

impl prometheus_client::collector::Collector for TranscribeCollector {
    fn encode(
        &self,
        mut encoder: prometheus_client::encoding::DescriptorEncoder,
    ) -> Result<(), std::fmt::Error> {
        use prometheus_client::encoding::EncodeMetric;
        use prometheus_client::metrics::counter::ConstCounter;
        let s = crate::transcribe::stats::snapshot();
        for (name, help, value) in [
            (
                "transcribe_live_utterances",
                "Utterances recognised while their call ran",
                s.live_done,
            ),
            (
                "transcribe_after_call_utterances",
                "Utterances recognised from recordings after their call",
                s.batch_done,
            ),
            (
                "transcribe_live_dropped",
                "Utterances dropped from the live path because the workers were behind (the after-call transcript has them)",
                s.live_dropped,
            ),
            (
                "transcribe_audio_milliseconds",
                "Milliseconds of speech recognised",
                s.audio_ms,
            ),
            (
                "transcribe_busy_milliseconds",
                "Milliseconds the Whisper workers spent recognising",
                s.busy_ms,
            ),
        ] {
            let counter = ConstCounter::new(value);
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)?;
        }
        Ok(())
    }
}
