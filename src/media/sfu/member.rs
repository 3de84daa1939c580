//! One call member's task: it owns their peer connection and serialises everything that touches
//! it — the browser's signals, the connection's events and the call's instructions (forward this
//! track to them, stop forwarding, renegotiate). Connection callbacks only post events here.

use super::call::CallMsg;
use super::forward::{self, OutMap, Publication, Subscription};
use super::peer::PeerEvent;
use crate::domain::{MediaSource, ParticipantId};
use crate::media::nat;
use crate::media::negotiation::{Negotiation, RemoteOffer};
use crate::media::record::CallRecorder;
use crate::media::room::TrackKey;
use crate::media::signal::{Candidate, Outgoing, Signal};
use rtc::media_stream::MediaStreamTrack;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use rtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    PeerConnection, RTCIceCandidateInit, RTCPeerConnectionState, RTCSessionDescription,
};

/// Remote candidates accepted from one browser; more is a flood, not a network.
const MAX_REMOTE_CANDIDATES: usize = 64;

pub enum MemberMsg {
    /// From the browser; `out` is where replies go (the latest socket wins).
    Signal {
        signal: Signal,
        out: mpsc::Sender<Outgoing>,
    },
    /// Forward `publication` to this member under `ssrc` (negotiation follows separately).
    Subscribe {
        publication: Arc<Publication>,
        ssrc: u32,
    },
    Unsubscribe(TrackKey),
    /// The gateway's side changed: offer when allowed.
    Negotiate,
    Close,
}

pub struct Member {
    id: ParticipantId,
    pc: Arc<dyn PeerConnection>,
    out: mpsc::Sender<Outgoing>,
    call: mpsc::UnboundedSender<CallMsg>,
    public_ip: Option<String>,
    negotiation: Negotiation,
    have_remote: bool,
    queued: Vec<RTCIceCandidateInit>,
    remote_candidates: usize,
    connected: Arc<AtomicBool>,
    subscriptions: HashMap<TrackKey, Arc<Subscription>>,
    /// Browser track id -> what it carries, from the offers.
    sources: BTreeMap<String, MediaSource>,
    published: Vec<MediaSource>,
    recorder: Option<Arc<CallRecorder>>,
}

impl Member {
    pub fn new(
        id: ParticipantId,
        pc: Arc<dyn PeerConnection>,
        out: mpsc::Sender<Outgoing>,
        call: mpsc::UnboundedSender<CallMsg>,
        public_ip: Option<String>,
        recorder: Option<Arc<CallRecorder>>,
    ) -> Self {
        Self {
            id,
            pc,
            out,
            call,
            public_ip,
            negotiation: Negotiation::default(),
            have_remote: false,
            queued: Vec::new(),
            remote_candidates: 0,
            connected: Arc::new(AtomicBool::new(false)),
            subscriptions: HashMap::new(),
            sources: BTreeMap::new(),
            published: Vec::new(),
            recorder,
        }
    }

    /// Runs until the member hangs up, drops or the call closes them.
    pub async fn run(
        mut self,
        mut rx: mpsc::UnboundedReceiver<MemberMsg>,
        mut events: mpsc::UnboundedReceiver<PeerEvent>,
    ) {
        let reason = loop {
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(MemberMsg::Signal { signal, out }) => {
                        self.out = out;
                        self.signal(signal).await;
                    }
                    Some(MemberMsg::Subscribe { publication, ssrc }) => {
                        self.subscribe(publication, ssrc).await
                    }
                    Some(MemberMsg::Unsubscribe(key)) => self.unsubscribe(&key).await,
                    Some(MemberMsg::Negotiate) => {
                        if self.negotiation.changed() {
                            self.offer().await;
                        }
                    }
                    Some(MemberMsg::Close) | None => break None,
                },
                ev = events.recv() => match ev {
                    Some(PeerEvent::Candidate(c)) => self.local_candidate(c).await,
                    Some(PeerEvent::GatheringComplete) => {}
                    Some(PeerEvent::Track(t)) => self.track(t).await,
                    Some(PeerEvent::State(RTCPeerConnectionState::Connected)) => {
                        self.connected.store(true, Ordering::Release);
                        info!(member = %self.id, "media connected");
                        for s in self.subscriptions.values() {
                            self.keyframe_if_ready(s).await;
                        }
                    }
                    Some(PeerEvent::State(
                        RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed,
                    )) => break Some("dropped"),
                    Some(PeerEvent::State(_)) => {}
                    None => break Some("dropped"),
                },
            }
        };
        if let Some(reason) = reason {
            let _ = self.call.send(CallMsg::Gone {
                member: self.id.clone(),
                reason,
            });
        }
        if let Err(e) = self.pc.close().await {
            debug!(member = %self.id, error = %e, "close");
        }
    }

    async fn send(&self, o: Outgoing) {
        let _ = self.out.send(o).await;
    }

    async fn error(&self, code: &'static str, message: impl Into<String>) {
        self.send(Outgoing::Error {
            code,
            message: message.into(),
        })
        .await;
    }

    fn public(&self, sdp: String) -> String {
        match &self.public_ip {
            Some(ip) => nat::rewrite_sdp(&sdp, ip),
            None => sdp,
        }
    }

    /// Returns the connection to its last stable state after a refused remote offer.
    async fn roll_back(&mut self) {
        let rollback = match RTCSessionDescription::rollback(None) {
            Ok(d) => d,
            Err(e) => return warn!(member = %self.id, error = %e, "no rollback description"),
        };
        if let Err(e) = self.pc.set_remote_description(rollback).await {
            // Nothing was applied (the offer failed before the state changed): nothing to undo.
            tracing::debug!(member = %self.id, error = %e, "rollback after a refused offer");
        }
    }

    async fn signal(&mut self, signal: Signal) {
        match signal {
            Signal::Offer { sdp, tracks } => {
                self.sources.extend(tracks);
                if self.negotiation.remote_offer() == RemoteOffer::Glare {
                    return self
                        .error(
                            "glare",
                            "an offer from the gateway is pending; answer it first",
                        )
                        .await;
                }
                let desc = match RTCSessionDescription::offer(sdp) {
                    Ok(d) => d,
                    Err(e) => return self.error("bad_sdp", format!("invalid offer: {e}")).await,
                };
                if let Err(e) = self.pc.set_remote_description(desc).await {
                    self.roll_back().await;
                    return self.error("bad_sdp", format!("offer refused: {e}")).await;
                }
                let answer = self.answer().await;
                let sdp = match answer {
                    Ok(sdp) => sdp,
                    Err(e) => {
                        // An offer we cannot answer (a missing mid, say) must not leave the
                        // connection half-way: back to stable, so the next offer works.
                        self.roll_back().await;
                        return self
                            .error("bad_sdp", format!("offer not answerable: {e}"))
                            .await;
                    }
                };
                self.have_remote = true;
                self.flush_candidates().await;
                let sdp = self.public(sdp);
                self.send(Outgoing::Answer { sdp }).await;
                self.after_negotiation().await;
                if self.negotiation.answered() {
                    self.offer().await;
                }
            }
            Signal::Answer { sdp } => {
                if !self.negotiation.awaiting_answer() {
                    return self
                        .error("bad_sdp", "no offer from the gateway is pending")
                        .await;
                }
                let desc = match RTCSessionDescription::answer(sdp) {
                    Ok(d) => d,
                    Err(e) => {
                        self.negotiation.offer_failed();
                        return self.error("bad_sdp", format!("invalid answer: {e}")).await;
                    }
                };
                if let Err(e) = self.pc.set_remote_description(desc).await {
                    self.negotiation.offer_failed();
                    return self.error("bad_sdp", format!("answer refused: {e}")).await;
                }
                self.flush_candidates().await;
                self.after_negotiation().await;
                if self.negotiation.remote_answer() {
                    self.offer().await;
                }
            }
            Signal::Ice(c) => self.remote_candidate(c).await,
            // The call task handles these.
            Signal::Media { .. } | Signal::Hangup => {}
        }
    }

    /// Applies `desc` as the local description and returns the SDP to send.
    async fn apply_local(&self, desc: RTCSessionDescription) -> Result<String, String> {
        self.pc
            .set_local_description(desc)
            .await
            .map_err(|e| e.to_string())?;
        self.pc
            .local_description()
            .await
            .map(|d| d.sdp)
            .ok_or_else(|| "no local description".to_owned())
    }

    async fn answer(&self) -> Result<String, String> {
        let answer = self
            .pc
            .create_answer(None)
            .await
            .map_err(|e| e.to_string())?;
        self.apply_local(answer).await
    }

    async fn offer(&mut self) {
        let made = match self.pc.create_offer(None).await {
            Ok(offer) => self.apply_local(offer).await,
            Err(e) => Err(e.to_string()),
        };
        match made {
            Ok(sdp) => {
                let sdp = self.public(sdp);
                self.send(Outgoing::Offer { sdp }).await;
            }
            Err(e) => {
                warn!(member = %self.id, error = %e, "gateway offer failed");
                self.negotiation.offer_failed();
            }
        }
    }

    async fn remote_candidate(&mut self, c: Candidate) {
        if c.candidate.trim().is_empty() {
            return; // end of candidates
        }
        self.remote_candidates += 1;
        if self.remote_candidates > MAX_REMOTE_CANDIDATES {
            if self.remote_candidates == MAX_REMOTE_CANDIDATES + 1 {
                self.error(
                    "too_many_candidates",
                    "ICE candidates beyond 64 are ignored",
                )
                .await;
            }
            return;
        }
        let init = RTCIceCandidateInit {
            candidate: c.candidate,
            sdp_mid: c.sdp_mid,
            sdp_mline_index: c.sdp_m_line_index,
            username_fragment: c.username_fragment,
            url: None,
        };
        if self.have_remote {
            if let Err(e) = self.pc.add_ice_candidate(init).await {
                debug!(member = %self.id, error = %e, "candidate refused");
            }
        } else {
            self.queued.push(init);
        }
    }

    async fn flush_candidates(&mut self) {
        for c in std::mem::take(&mut self.queued) {
            if let Err(e) = self.pc.add_ice_candidate(c).await {
                debug!(member = %self.id, error = %e, "queued candidate refused");
            }
        }
    }

    async fn local_candidate(&self, mut c: RTCIceCandidateInit) {
        if let Some(ip) = &self.public_ip {
            c.candidate = nat::rewrite_candidate(&c.candidate, ip);
        }
        // `to_json` gives an empty mid; with BUNDLE the first m-line carries every candidate.
        self.send(Outgoing::Ice(Candidate {
            candidate: c.candidate,
            sdp_mid: None,
            sdp_m_line_index: Some(0),
            username_fragment: c.username_fragment,
        }))
        .await;
    }

    /// A track from the browser arrived (on its first packet): publish it to the call.
    async fn track(&mut self, track: Arc<dyn TrackRemote>) {
        let ssrc = track.ssrcs().await.first().copied();
        let kind = track.kind().await;
        let codec = match ssrc {
            Some(ssrc) => track.codec(ssrc).await,
            None => None,
        };
        let track_id = track.track_id().await;
        let source = self.sources.get(&track_id).copied().unwrap_or(match kind {
            RtpCodecKind::Audio => MediaSource::Microphone,
            _ if self.published.contains(&MediaSource::Camera) => MediaSource::Screen,
            _ => MediaSource::Camera,
        });
        let mut in_ext = HashMap::new();
        let mut negotiated = None;
        for r in self.pc.get_receivers().await {
            let same = Arc::as_ptr(r.track()) as *const () == Arc::as_ptr(&track) as *const ();
            if same {
                if let Ok(params) = r.get_parameters().await {
                    for e in params.rtp_parameters.header_extensions {
                        if let Ok(id) = u8::try_from(e.id) {
                            in_ext.insert(id, e.uri);
                        }
                    }
                    negotiated = params.rtp_parameters.codecs.into_iter().next();
                }
            }
        }
        // Under load one published track in a few hundred was never polled: its queue in the
        // driver overflowed for good and the other member got no media. Returning early here,
        // silently, when the track had no SSRC or codec filled in yet was the only way to leave
        // a track unforwarded. Now the m-line's negotiated codec stands in and the forward loop
        // learns the SSRC from the first packet; the warnings below say when that happens.
        let Some(codec) = codec.or_else(|| negotiated.map(|c| c.rtp_codec)) else {
            warn!(member = %self.id, track = %track_id, "a track with no negotiated codec is not published");
            return;
        };
        if ssrc.is_none() {
            warn!(member = %self.id, track = %track_id, "track opened before its SSRC was known");
        }
        let ssrc = ssrc.unwrap_or(0);
        let key = TrackKey {
            publisher: self.id.clone(),
            source,
        };
        info!(member = %self.id, source = source.as_str(), mime = %codec.mime_type, "publishing");
        let publication = Arc::new(Publication::new(key, kind, codec, ssrc, track, in_ext));
        let tap = self
            .recorder
            .as_ref()
            .and_then(|r| r.tap(&self.id, source, &publication.codec.mime_type));
        tokio::spawn(forward::forward_loop(publication.clone(), tap));
        self.published.push(source);
        let _ = self.call.send(CallMsg::Published {
            member: self.id.clone(),
            source,
            publication,
        });
    }

    async fn subscribe(&mut self, publication: Arc<Publication>, ssrc: u32) {
        let key = publication.key.clone();
        if self.subscriptions.contains_key(&key) {
            return;
        }
        let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
            key.stream_id(),
            key.track_id(),
            key.track_id(),
            publication.kind,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    ssrc: Some(ssrc),
                    ..Default::default()
                },
                codec: publication.codec.clone(),
                ..Default::default()
            }],
        )));
        // Its own m-line per forwarded track; `add_track` could reuse the browser's upstream one.
        let transceiver = match self
            .pc
            .add_transceiver_from_track(
                track.clone() as Arc<dyn TrackLocal>,
                Some(RTCRtpTransceiverInit {
                    direction: RTCRtpTransceiverDirection::Sendonly,
                    streams: vec![key.stream_id()],
                    send_encodings: vec![],
                }),
            )
            .await
        {
            Ok(t) => t,
            Err(e) => {
                warn!(member = %self.id, error = %e, "cannot add forwarded track");
                return;
            }
        };
        let sub = Subscription::new(
            self.id.clone(),
            &publication,
            ssrc,
            track.clone(),
            transceiver,
            self.connected.clone(),
        );
        tokio::spawn(forward::relay_keyframe_requests(track, publication.clone()));
        publication.add(sub.clone());
        self.subscriptions.insert(key, sub);
    }

    async fn unsubscribe(&mut self, key: &TrackKey) {
        let Some(sub) = self.subscriptions.remove(key) else {
            return;
        };
        if let Ok(Some(sender)) = sub.transceiver.sender().await {
            if let Err(e) = self.pc.remove_track(&sender).await {
                debug!(member = %self.id, error = %e, "remove_track");
            }
        }
    }

    /// After every completed exchange: how to rewrite each forwarded track for this connection.
    async fn after_negotiation(&mut self) {
        let subs: Vec<Arc<Subscription>> = self.subscriptions.values().cloned().collect();
        for s in subs {
            let Ok(Some(mid)) = s.transceiver.mid().await else {
                continue;
            };
            let Ok(Some(sender)) = s.transceiver.sender().await else {
                continue;
            };
            let Ok(params) = sender.get_parameters().await else {
                continue;
            };
            let codecs: Vec<(String, u8)> = params
                .rtp_parameters
                .codecs
                .iter()
                .map(|c| (c.rtp_codec.mime_type.clone(), c.payload_type))
                .collect();
            let exts: Vec<(String, u8)> = params
                .rtp_parameters
                .header_extensions
                .iter()
                .filter_map(|e| u8::try_from(e.id).ok().map(|id| (e.uri.clone(), id)))
                .collect();
            let Some(codec) = self.codec_of(&s) else {
                continue;
            };
            let in_ext = self.in_ext_of(&s);
            let Some(map) = OutMap::compute(&codec, &in_ext, &codecs, &exts, &mid) else {
                warn!(member = %self.id, track = %s.key.track_id(), "codec not negotiated");
                continue;
            };
            let fresh = {
                let mut slot = s.map.write().unwrap_or_else(|p| p.into_inner());
                let fresh = slot.is_none();
                *slot = Some(Arc::new(map));
                fresh
            };
            if fresh {
                self.keyframe_if_ready(&s).await;
            }
        }
    }

    fn codec_of(&self, s: &Subscription) -> Option<rtc::rtp_transceiver::rtp_sender::RTCRtpCodec> {
        s.publication().map(|p| p.codec.clone())
    }

    fn in_ext_of(&self, s: &Subscription) -> HashMap<u8, String> {
        s.publication()
            .map(|p| p.in_ext.clone())
            .unwrap_or_default()
    }

    /// A late joiner only sees a picture after a keyframe: ask once the subscription can carry it.
    async fn keyframe_if_ready(&self, s: &Subscription) {
        let mapped = s.map.read().unwrap_or_else(|p| p.into_inner()).is_some();
        if mapped && self.connected.load(Ordering::Acquire) {
            if let Some(p) = s.publication() {
                p.request_keyframe().await;
            }
        }
    }
}
