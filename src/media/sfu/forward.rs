//! Forwarding one member's track to the others. Per subscriber the packet is rewritten for that
//! connection: its own SSRC, the payload type negotiated there, and header extensions remapped
//! by URI to the ids negotiated there (copied ids that the other connection did not negotiate
//! make the sender drop every packet silently). Hop-by-hop extensions are never copied, and
//! `sdes:mid` is set to the subscriber's own m-line.
//!
//! The publisher's forward loop hands each copy straight to the subscriber connection's driver
//! queue and never waits on it: when that bounded queue is full (a stalled subscriber) the copy
//! is dropped and counted, so one subscriber never delays the publisher's others. No task sits
//! between the two connections, which saves a wake-up and a queue per forwarded packet.

use crate::media::room::TrackKey;
use bytes::Bytes;
use futures_util::FutureExt;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp_transceiver::rtp_sender::{RTCRtpCodec, RtpCodecKind};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tracing::debug;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::rtp_transceiver::RtpTransceiver;

/// Extensions that describe one hop or the publisher's own m-line, never the forwarded stream.
const HOP_BY_HOP: &[&str] = &[
    rtc::sdp::extmap::TRANSPORT_CC_URI,
    rtc::sdp::extmap::ABS_SEND_TIME_URI,
    rtc::sdp::extmap::SDES_MID_URI,
    rtc::sdp::extmap::SDES_RTP_STREAM_ID_URI,
    rtc::sdp::extmap::SDES_REPAIR_RTP_STREAM_ID_URI,
];

/// At most one keyframe request per publication in this interval.
const PLI_INTERVAL: Duration = Duration::from_millis(250);

/// A track a member publishes, and everyone it is forwarded to.
pub struct Publication {
    pub key: TrackKey,
    pub kind: RtpCodecKind,
    pub codec: RTCRtpCodec,
    /// The publisher's SSRC, for keyframe requests; 0 until known (then the first packet's).
    media_ssrc: AtomicU32,
    pub remote: Arc<dyn TrackRemote>,
    /// Extension id -> URI as negotiated on the publisher's connection.
    pub in_ext: HashMap<u8, String>,
    pub subs: RwLock<Vec<Arc<Subscription>>>,
    last_pli: Mutex<Option<Instant>>,
    pub packets_in: AtomicU64,
    /// Packets the recorder's tap had no room for.
    pub tap_dropped: AtomicU64,
}

impl Publication {
    pub fn new(
        key: TrackKey,
        kind: RtpCodecKind,
        codec: RTCRtpCodec,
        media_ssrc: u32,
        remote: Arc<dyn TrackRemote>,
        in_ext: HashMap<u8, String>,
    ) -> Self {
        Self {
            key,
            kind,
            codec,
            media_ssrc: AtomicU32::new(media_ssrc),
            remote,
            in_ext,
            subs: RwLock::new(Vec::new()),
            last_pli: Mutex::new(None),
            packets_in: AtomicU64::new(0),
            tap_dropped: AtomicU64::new(0),
        }
    }

    /// Asks the publisher for a keyframe (video only, rate limited).
    pub async fn request_keyframe(&self) {
        if self.kind != RtpCodecKind::Video {
            return;
        }
        {
            let mut last = self.last_pli.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| t.elapsed() < PLI_INTERVAL) {
                return;
            }
            *last = Some(Instant::now());
        }
        let pli = PictureLossIndication {
            sender_ssrc: 0,
            media_ssrc: self.media_ssrc.load(Ordering::Relaxed),
        };
        if let Err(e) = self.remote.write_rtcp(vec![Box::new(pli)]).await {
            debug!(error = %e, "keyframe request not sent");
        }
    }

    pub fn add(&self, sub: Arc<Subscription>) {
        self.subs
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(sub);
    }

    pub fn remove(&self, subscriber: &crate::domain::ParticipantId) {
        self.subs
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|s| &s.subscriber != subscriber);
    }
}

/// How to rewrite a publisher's packet for one subscriber's connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutMap {
    pub payload_type: u8,
    /// Publisher-side extension id -> subscriber-side id.
    pub ext: HashMap<u8, u8>,
    /// The subscriber-side `sdes:mid` id and this m-line's mid.
    pub mid: Option<(u8, Bytes)>,
}

impl OutMap {
    /// The map for a subscriber connection that negotiated `out_codecs` and `out_exts`.
    pub fn compute(
        publication_codec: &RTCRtpCodec,
        in_ext: &HashMap<u8, String>,
        out_codecs: &[(String, u8)],
        out_exts: &[(String, u8)],
        mid: &str,
    ) -> Option<Self> {
        let payload_type = out_codecs
            .iter()
            .find(|(mime, _)| mime.eq_ignore_ascii_case(&publication_codec.mime_type))
            .map(|(_, pt)| *pt)?;
        let by_uri: HashMap<&str, u8> = out_exts.iter().map(|(u, id)| (u.as_str(), *id)).collect();
        let ext = in_ext
            .iter()
            .filter(|(_, uri)| !HOP_BY_HOP.contains(&uri.as_str()))
            .filter_map(|(id, uri)| by_uri.get(uri.as_str()).map(|out| (*id, *out)))
            .collect();
        let mid = by_uri
            .get(rtc::sdp::extmap::SDES_MID_URI)
            .map(|id| (*id, Bytes::from(mid.to_owned())));
        Some(Self {
            payload_type,
            ext,
            mid,
        })
    }
}

/// Rewrites `pkt` for one subscriber.
pub fn rewrite(pkt: &mut rtc::rtp::Packet, ssrc: u32, map: &OutMap) {
    pkt.header.ssrc = ssrc;
    pkt.header.payload_type = map.payload_type;
    let old = std::mem::take(&mut pkt.header.extensions);
    pkt.header.extension = false;
    pkt.header.extension_profile = 0;
    pkt.header.extensions_padding = 0;
    for e in old {
        if let Some(out) = map.ext.get(&e.id) {
            let _ = pkt.header.set_extension(*out, e.payload);
        }
    }
    if let Some((id, mid)) = &map.mid {
        let _ = pkt.header.set_extension(*id, mid.clone());
    }
}

/// One publication forwarded to one subscriber's connection.
pub struct Subscription {
    pub subscriber: crate::domain::ParticipantId,
    pub key: TrackKey,
    /// Weak: the publication owns its subscriptions.
    publication: Weak<Publication>,
    pub ssrc: u32,
    pub transceiver: Arc<dyn RtpTransceiver>,
    /// Set once the m-line is negotiated; packets are dropped until then.
    pub map: RwLock<Option<Arc<OutMap>>>,
    /// The subscriber's connection is up (writing earlier only fails inside SRTP).
    pub connected: Arc<AtomicBool>,
    track: Arc<TrackLocalStaticRTP>,
    pub packets_out: AtomicU64,
    pub packets_dropped: AtomicU64,
}

impl Subscription {
    pub fn new(
        subscriber: crate::domain::ParticipantId,
        publication: &Arc<Publication>,
        ssrc: u32,
        track: Arc<TrackLocalStaticRTP>,
        transceiver: Arc<dyn RtpTransceiver>,
        connected: Arc<AtomicBool>,
    ) -> Arc<Self> {
        Arc::new(Self {
            subscriber,
            key: publication.key.clone(),
            publication: Arc::downgrade(publication),
            ssrc,
            transceiver,
            map: RwLock::new(None),
            connected,
            track,
            packets_out: AtomicU64::new(0),
            packets_dropped: AtomicU64::new(0),
        })
    }

    pub fn publication(&self) -> Option<Arc<Publication>> {
        self.publication.upgrade()
    }

    fn offer(&self, pkt: &rtc::rtp::Packet) {
        let map = self.map.read().unwrap_or_else(|p| p.into_inner()).clone();
        let Some(map) = map else { return };
        if !self.connected.load(Ordering::Acquire) {
            return;
        }
        let mut out = pkt.clone();
        rewrite(&mut out, self.ssrc, &map);
        // Polled once: it completes at once unless the driver's queue is full (or the track is
        // being rebound), and then dropping the future drops this copy, as a full queue should.
        match self.track.write_rtp(out).now_or_never() {
            Some(Ok(())) => {
                self.packets_out.fetch_add(1, Ordering::Relaxed);
                crate::media::stats::FORWARDED.fetch_add(1, Ordering::Relaxed);
            }
            Some(Err(_)) | None => {
                self.packets_dropped.fetch_add(1, Ordering::Relaxed);
                crate::media::stats::FORWARD_DROPPED.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Reads the publisher's packets and hands a rewritten copy to every subscriber, until the
/// track ends. `tap` also receives every packet (recording, transcription) without waiting.
pub async fn forward_loop(p: Arc<Publication>, tap: Option<mpsc::Sender<rtc::rtp::Packet>>) {
    while let Some(ev) = p.remote.poll().await {
        match ev {
            TrackRemoteEvent::OnRtpPacket(pkt) => {
                p.packets_in.fetch_add(1, Ordering::Relaxed);
                if p.media_ssrc.load(Ordering::Relaxed) != pkt.header.ssrc {
                    p.media_ssrc.store(pkt.header.ssrc, Ordering::Relaxed);
                }
                // `offer` never waits (it polls the write once), so the lock is held only for
                // the copies, and no list is cloned per packet.
                for s in p.subs.read().unwrap_or_else(|e| e.into_inner()).iter() {
                    s.offer(&pkt);
                }
                if let Some(tap) = &tap {
                    if tap.try_send(pkt).is_err() {
                        p.tap_dropped.fetch_add(1, Ordering::Relaxed);
                        crate::media::stats::RECORDER_DROPPED.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            TrackRemoteEvent::OnEnded => break,
            _ => {}
        }
    }
    let dropped = p.tap_dropped.load(Ordering::Relaxed);
    if dropped > 0 {
        tracing::warn!(
            source = p.key.source.as_str(),
            dropped,
            "the recorder missed packets of this track (its queue was full)"
        );
    }
}

/// Keyframe requests from a subscriber about the track it receives go to the publisher.
pub async fn relay_keyframe_requests(
    track: Arc<TrackLocalStaticRTP>,
    publication: Arc<Publication>,
) {
    use webrtc::media_stream::track_local::TrackLocalEvent;
    while let Some(ev) = track.poll().await {
        if let TrackLocalEvent::OnRtcpPacket(packets) = ev {
            if packets
                .iter()
                .any(|p| super::keyframes::is_keyframe_request(p.as_ref()))
            {
                publication.request_keyframe().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vp8() -> RTCRtpCodec {
        RTCRtpCodec {
            mime_type: "video/VP8".into(),
            clock_rate: 90000,
            channels: 0,
            sdp_fmtp_line: String::new(),
            rtcp_feedback: vec![],
        }
    }

    #[test]
    fn extensions_are_remapped_by_uri_and_hop_by_hop_ones_dropped() {
        let in_ext: HashMap<u8, String> = [
            (1, rtc::sdp::extmap::AUDIO_LEVEL_URI),
            (3, rtc::sdp::extmap::TRANSPORT_CC_URI),
            (4, rtc::sdp::extmap::SDES_MID_URI),
            (13, rtc::sdp::extmap::VIDEO_ORIENTATION_URI),
        ]
        .into_iter()
        .map(|(i, u)| (i, u.to_owned()))
        .collect();
        let out_codecs = vec![("video/vp8".to_owned(), 98)];
        let out_exts = vec![
            (rtc::sdp::extmap::VIDEO_ORIENTATION_URI.to_owned(), 2),
            (rtc::sdp::extmap::TRANSPORT_CC_URI.to_owned(), 5),
            (rtc::sdp::extmap::SDES_MID_URI.to_owned(), 9),
        ];
        let map = OutMap::compute(&vp8(), &in_ext, &out_codecs, &out_exts, "3").unwrap();
        assert_eq!(map.payload_type, 98);
        assert_eq!(
            map.ext,
            HashMap::from([(13, 2)]),
            "only orientation survives"
        );
        assert_eq!(map.mid, Some((9, Bytes::from("3"))));
        assert!(
            OutMap::compute(&vp8(), &in_ext, &[("audio/opus".into(), 111)], &[], "0").is_none()
        );
    }

    #[test]
    fn a_rewritten_packet_carries_the_subscribers_ids() {
        let mut pkt = rtc::rtp::Packet::default();
        pkt.header.ssrc = 1111;
        pkt.header.payload_type = 96;
        pkt.header
            .set_extension(13, Bytes::from_static(&[1]))
            .unwrap();
        pkt.header
            .set_extension(3, Bytes::from_static(&[0, 7]))
            .unwrap();
        let map = OutMap {
            payload_type: 98,
            ext: HashMap::from([(13, 2)]),
            mid: Some((9, Bytes::from("3"))),
        };
        rewrite(&mut pkt, 4242, &map);
        assert_eq!((pkt.header.ssrc, pkt.header.payload_type), (4242, 98));
        let ids: Vec<u8> = pkt.header.extensions.iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![2, 9]);
        assert_eq!(pkt.header.get_extension(9), Some(Bytes::from("3")));
    }
}
