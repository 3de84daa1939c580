//! What the HTTP and WebSocket layer counts about its own traffic, behind the port's
//! `EdgeCounters` trait, so `http` never names the metrics registry. The figures land in the same
//! Prometheus families as before (`warmline_http_responses_total`, `warmline_rate_limited_total`,
//! `warmline_ws_*`, `warmline_creation_challenges_total`).

use super::port::EdgeCounters;
use crate::metrics::{Metrics, OutcomeLabel, ReasonLabel, StatusLabel};

impl EdgeCounters for Metrics {
    fn http_response(&self, status: u16) {
        self.http_responses
            .get_or_create(&StatusLabel { status })
            .inc();
    }

    fn rate_limited(&self, reason: &'static str) {
        self.rate_limited
            .get_or_create(&ReasonLabel { reason })
            .inc();
    }

    fn ws_open_connections(&self) -> i64 {
        self.ws_connections.get()
    }

    fn ws_opened(&self) {
        self.ws_connections.inc();
    }

    fn ws_closed(&self) {
        self.ws_connections.dec();
    }

    fn ws_frame_received(&self) {
        self.ws_frames_received.inc();
    }

    fn ws_frame_rejected(&self, reason: &'static str) {
        self.ws_frames_rejected
            .get_or_create(&ReasonLabel { reason })
            .inc();
    }

    fn creation_challenge(&self, outcome: &'static str) {
        self.creation_challenges
            .get_or_create(&OutcomeLabel { outcome })
            .inc();
    }
}
