//! Building one member's peer connection: codecs (Opus, VP8), header extensions, the default
//! interceptors (NACK both ways, reports) plus the keyframe-request forwarder, mDNS off, and a
//! UDP port from the configured range (no UDP mux in `webrtc` 0.21: each connection binds its
//! own socket, so the range bounds the number of simultaneous members).

use super::keyframes::KeyframeRequests;
use crate::media::MediaConfig;
use rtc::ice::mdns::MulticastDnsMode;
use rtc::interceptor::Slot;
use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8};
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpHeaderExtensionCapability, RtpCodecKind,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    register_default_interceptors, MediaEngine, PeerConnection, PeerConnectionBuilder,
    PeerConnectionEventHandler, RTCConfigurationBuilder, RTCIceCandidateInit, RTCIceGatheringState,
    RTCPeerConnectionIceEvent, RTCPeerConnectionState, Registry, SettingEngineBuilder,
};

/// What the connection reports, forwarded to the member's task (callbacks run on the
/// connection's driver task and must never call back into the connection).
pub enum PeerEvent {
    Candidate(RTCIceCandidateInit),
    GatheringComplete,
    Track(Arc<dyn TrackRemote>),
    State(RTCPeerConnectionState),
}

struct Handler {
    tx: mpsc::UnboundedSender<PeerEvent>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        if let Ok(init) = event.candidate.to_json() {
            let _ = self.tx.send(PeerEvent::Candidate(init));
        }
    }
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            let _ = self.tx.send(PeerEvent::GatheringComplete);
        }
    }
    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let _ = self.tx.send(PeerEvent::State(state));
    }
    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let _ = self.tx.send(PeerEvent::Track(track));
    }
}

fn media_engine() -> Result<MediaEngine, String> {
    let mut me = MediaEngine::default();
    me.register_codec(
        RTCRtpCodecParameters {
            rtp_codec: RTCRtpCodec {
                mime_type: MIME_TYPE_OPUS.to_owned(),
                clock_rate: 48000,
                channels: 2,
                sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
                rtcp_feedback: vec![],
            },
            payload_type: 111,
        },
        RtpCodecKind::Audio,
    )
    .map_err(|e| e.to_string())?;
    me.register_codec(
        RTCRtpCodecParameters {
            rtp_codec: RTCRtpCodec {
                mime_type: MIME_TYPE_VP8.to_owned(),
                clock_rate: 90000,
                channels: 0,
                sdp_fmtp_line: String::new(),
                // "nack" and "nack pli" come with the default interceptors.
                rtcp_feedback: vec![RTCPFeedback {
                    typ: "ccm".into(),
                    parameter: "fir".into(),
                }],
            },
            payload_type: 96,
        },
        RtpCodecKind::Video,
    )
    .map_err(|e| e.to_string())?;
    for (uri, kind) in [
        (rtc::sdp::extmap::AUDIO_LEVEL_URI, RtpCodecKind::Audio),
        (rtc::sdp::extmap::SDES_MID_URI, RtpCodecKind::Audio),
        (rtc::sdp::extmap::VIDEO_ORIENTATION_URI, RtpCodecKind::Video),
    ] {
        me.register_header_extension(
            RTCRtpHeaderExtensionCapability {
                uri: uri.to_owned(),
            },
            kind,
            None,
        )
        .map_err(|e| e.to_string())?;
    }
    Ok(me)
}

/// Hands out UDP ports round-robin from the configured range.
#[derive(Default)]
pub struct Ports {
    cursor: AtomicUsize,
}

impl Ports {
    /// The candidate addresses to try, starting after the last one handed out.
    fn candidates(&self, cfg: &MediaConfig) -> Vec<String> {
        let (lo, hi) = (usize::from(cfg.udp_port_min), usize::from(cfg.udp_port_max));
        let n = hi.saturating_sub(lo) + 1;
        let start = self.cursor.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .map(|i| format!("{}:{}", cfg.bind_address, lo + (start + i) % n))
            .collect()
    }
}

/// A connection bound to a free port of the range, with its events on `tx`.
pub async fn build(
    cfg: &MediaConfig,
    ports: &Ports,
    tx: mpsc::UnboundedSender<PeerEvent>,
) -> Result<Arc<dyn PeerConnection>, String> {
    let handler: Arc<dyn PeerConnectionEventHandler> = Arc::new(Handler { tx });
    let mut last = String::from("the UDP port range is empty");
    for addr in ports.candidates(cfg) {
        // Interceptors keep per-connection state: a fresh engine and registry every time.
        let mut me = media_engine()?;
        let registry = register_default_interceptors(Registry::new(), &mut me)
            .map_err(|e| e.to_string())?
            .with(Slot::from(14_000), KeyframeRequests::default());
        let settings = SettingEngineBuilder::new()
            .with_multicast_dns_mode(MulticastDnsMode::Disabled)
            .build();
        let config = RTCConfigurationBuilder::new().build();
        match PeerConnectionBuilder::new()
            .with_configuration(config)
            .with_media_engine(me)
            .with_setting_engine(settings)
            .with_interceptor_registry(registry)
            .with_handler(handler.clone())
            .with_udp_addrs(vec![addr.clone()])
            .build()
            .await
        {
            Ok(pc) => return Ok(Arc::new(pc)),
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(format!("no free UDP port for media ({last})"))
}
