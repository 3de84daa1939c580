//! `/metrics` for the media server: its process-wide counters as Prometheus counters.

/// The media server's process-wide counters (`media::stats`), read at each scrape.
#[derive(Debug)]
pub struct MediaCollector;

impl prometheus_client::collector::Collector for MediaCollector {
    fn encode(
        &self,
        mut encoder: prometheus_client::encoding::DescriptorEncoder,
    ) -> Result<(), std::fmt::Error> {
        use prometheus_client::encoding::EncodeMetric;
        use prometheus_client::metrics::counter::ConstCounter;
        let s = crate::media::stats::snapshot();
        for (name, help, value) in [
            (
                "media_packets_forwarded",
                "RTP packets forwarded to call members",
                s.forwarded,
            ),
            (
                "media_packets_dropped",
                "RTP packets a slow member's forwarding queue dropped",
                s.forward_dropped,
            ),
            (
                "media_recorder_packets_dropped",
                "RTP packets the recorder's full queue dropped (not recorded)",
                s.recorder_dropped,
            ),
            (
                "media_audio_tap_dropped",
                "Decoded audio chunks the full transcription tap dropped",
                s.audio_tap_dropped,
            ),
            (
                "media_recording_write_failures",
                "Recording writes the disk refused (full, failing); each ended one file early",
                s.recording_write_failures,
            ),
        ] {
            let counter = ConstCounter::new(value);
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)?;
        }
        Ok(())
    }
}
