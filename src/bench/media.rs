//! `warmline bench media`: synthetic WebRTC peers, built with the same `webrtc` crate as the
//! media server, hold audio+video calls through the gateway's SFU. For every call the customer
//! (customer token) and an agent who joined the conversation each open a WebSocket, speak the
//! real call signalling (`call_start`, `call_offer`, renegotiation offers from the gateway,
//! trickle ICE) and send synthetic RTP at realistic rates: Opus 50 packets/s and VP8 30 fps x 3
//! packets (~700 kbit/s). Every packet carries, in its last 16 bytes, the send time (micros since
//! the bench epoch), a per-stream counter and a stream id, so each receiver computes the added
//! latency (receive time - send time, same process clock) and loss per forwarded stream.
//!
//! The number of concurrent calls ramps up in steps; each step is held for a measured window after
//! a warm-up. Per step: forwarded packets/s (packets received by all subscribers), latency p50/p99,
//! loss, and CPU. The gateway runs on its own tokio runtime whose threads are named `wl-gw`, so the
//! gateway's own CPU (its SFU connections, forwarding, signalling) is read per thread from
//! `/proc/self/task` apart from the synthetic peers' CPU (which run on the same 2 cores).
//! Recording is off unless `--record`: the steps then measure forwarding alone, and with it the
//! recorder's own threads (`rec-*`) are reported apart. The SFU's counters (copies handed to
//! subscribers, copies a full subscriber queue dropped) are read over the same window.

use super::chat::{bench_config, BenchError};
use super::client::{self, Client, Socket};
use super::machine;
use crate::app::{self, admin};
use crate::domain::Role;
use bytes::{BufMut, Bytes, BytesMut};
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8};
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters,
    RTCRtpEncodingParameters, RtpCodecKind,
};
use rtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    register_default_interceptors, MediaEngine, PeerConnection, PeerConnectionBuilder,
    PeerConnectionEventHandler, RTCConfigurationBuilder, RTCIceCandidateInit,
    RTCPeerConnectionIceEvent, RTCPeerConnectionState, RTCSessionDescription, Registry,
    SettingEngineBuilder,
};

#[derive(Debug, Clone, clap::Args)]
pub struct MediaBenchArgs {
    /// Concurrent calls per step (two members each, audio + video both ways), comma separated.
    #[arg(long, default_value = "1,5,10,20,40,60,80", value_delimiter = ',')]
    pub calls: Vec<usize>,
    /// Seconds measured per step (after the warm-up).
    #[arg(long, default_value_t = 8.0)]
    pub duration: f64,
    /// Seconds of traffic before measuring, after every new call is connected.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Video packets per frame (30 fps, ~1,000-byte packets).
    #[arg(long, default_value_t = 3)]
    pub video_packets: usize,
    /// Stop the ramp after a step whose loss exceeds this percentage.
    #[arg(long, default_value_t = 1.0)]
    pub stop_loss: f64,
    /// Worker threads of the gateway's runtime (the synthetic peers have the process's own).
    #[arg(long, default_value_t = 2)]
    pub gateway_threads: usize,
    /// First UDP port of the gateway's media range (one port per call member, plus 256 spare:
    /// the synthetic peers' own ephemeral ports may fall inside it).
    #[arg(long, default_value_t = 44000)]
    pub udp_port_min: u16,
    /// Record every call as a default gateway does (per-track files, the mixed audio and the
    /// transcription tap). Off, the steps measure forwarding alone; on, the recorder's threads
    /// show up as `recorder cores`.
    #[arg(long)]
    pub record: bool,
    /// Print one JSON object per step.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct MediaStepResult {
    pub machine: String,
    pub calls: usize,
    pub seconds: f64,
    /// Packets the synthetic publishers sent in the window.
    pub sent: u64,
    /// Packets the subscribers received (of those sent in the window).
    pub received: u64,
    pub forwarded_per_second: f64,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub latency_max_ms: f64,
    pub lost: u64,
    pub loss_percent: f64,
    /// Packets that arrived behind a later one of the same stream.
    pub reordered: u64,
    /// Cores used by the gateway's threads (SFU, signalling, store) over the window.
    pub gateway_cores: f64,
    /// Cores used by the recorder's threads (`--record`): writing files, mixing, the audio tap.
    pub recorder_cores: f64,
    /// Cores used by the whole process (gateway + synthetic peers).
    pub process_cores: f64,
    /// The SFU's own counters over the window: copies handed to subscriber connections, and
    /// copies dropped because a subscriber's queue was full.
    pub sfu_forwarded: u64,
    pub sfu_dropped: u64,
    /// Forwarded packets/s per core used by the gateway.
    pub forwarded_per_gateway_core: f64,
    /// Forwarded packets/s per core used by the whole process.
    pub forwarded_per_process_core: f64,
    /// Cores busy machine-wide (every process), and cores stolen by the hypervisor.
    pub machine_busy_cores: f64,
    pub machine_steal_cores: f64,
    /// Signalling errors seen by the peers so far.
    pub errors: u64,
}

/// What a receiver learns from one packet: carried in the last 16 bytes of every payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub sent_us: u64,
    pub counter: u32,
    pub stream: u32,
}

impl Stamp {
    pub const LEN: usize = 16;

    pub fn put(&self, buf: &mut BytesMut) {
        buf.put_u64_le(self.sent_us);
        buf.put_u32_le(self.counter);
        buf.put_u32_le(self.stream);
    }

    pub fn parse(payload: &[u8]) -> Option<Self> {
        let t = payload.get(payload.len().checked_sub(Self::LEN)?..)?;
        Some(Self {
            sent_us: u64::from_le_bytes(t[0..8].try_into().ok()?),
            counter: u32::from_le_bytes(t[8..12].try_into().ok()?),
            stream: u32::from_le_bytes(t[12..16].try_into().ok()?),
        })
    }
}

/// Latency and receive counts of the packets sent inside one measurement window.
pub struct Accounting {
    from: u64,
    until: u64,
    pub latency: Histogram<u64>,
    /// Stream -> packets received that were sent inside the window.
    pub received: HashMap<u32, u64>,
    highest: HashMap<u32, u32>,
    pub reordered: u64,
}

impl Default for Accounting {
    fn default() -> Self {
        Self::new()
    }
}

impl Accounting {
    pub fn new() -> Self {
        Self {
            from: u64::MAX,
            until: u64::MAX,
            latency: Histogram::new_with_bounds(1, 60_000_000, 3)
                .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!())),
            received: HashMap::new(),
            highest: HashMap::new(),
            reordered: 0,
        }
    }

    /// Forget everything and count packets sent in `[from, until)` (micros since the epoch).
    pub fn reset(&mut self, from: u64, until: u64) {
        self.from = from;
        self.until = until;
        self.latency.reset();
        self.received.clear();
        self.highest.clear();
        self.reordered = 0;
    }

    pub fn record(&mut self, stamp: Stamp, received_us: u64) {
        if stamp.sent_us < self.from || stamp.sent_us >= self.until {
            return;
        }
        *self.received.entry(stamp.stream).or_default() += 1;
        match self.highest.get_mut(&stamp.stream) {
            Some(h) if stamp.counter < *h => self.reordered += 1,
            Some(h) => *h = stamp.counter,
            None => {
                self.highest.insert(stamp.stream, stamp.counter);
            }
        }
        let _ = self
            .latency
            .record(received_us.saturating_sub(stamp.sent_us).max(1));
    }

    pub fn merge(&mut self, other: &Accounting) {
        let _ = self.latency.add(&other.latency);
        for (s, n) in &other.received {
            *self.received.entry(*s).or_default() += n;
        }
        self.reordered += other.reordered;
    }
}

/// `(expected, received, lost)`: every packet sent on a stream in the window is expected once per
/// subscriber; a stream received more often than expected does not hide another's loss.
pub fn loss(
    sent: &HashMap<u32, u64>,
    subscribers: u64,
    received: &HashMap<u32, u64>,
) -> (u64, u64, u64) {
    let mut expected = 0;
    let mut got = 0;
    let mut lost = 0;
    for (stream, n) in sent {
        let want = n * subscribers;
        let have = received.get(stream).copied().unwrap_or(0);
        expected += want;
        got += have.min(want);
        lost += want.saturating_sub(have);
    }
    (expected, got, lost)
}

struct Shared {
    epoch: Instant,
    from: AtomicU64,
    until: AtomicU64,
    stop: AtomicBool,
    errors: AtomicU64,
    next_stream: AtomicU32,
}

impl Shared {
    fn now(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }
    fn in_window(&self, t: u64) -> bool {
        t >= self.from.load(Ordering::Relaxed) && t < self.until.load(Ordering::Relaxed)
    }
}

/// One synthetic call member.
struct Member {
    pc: Arc<dyn PeerConnection>,
    acct: Arc<Mutex<Accounting>>,
    /// Stream id -> packets sent inside the window.
    sent: Vec<(u32, Arc<AtomicU64>)>,
    /// Remote tracks receiving (2 once the other member's audio and video arrive).
    tracks: Arc<AtomicUsize>,
}

struct Events {
    tx: mpsc::UnboundedSender<PeerEv>,
}

enum PeerEv {
    Candidate(RTCIceCandidateInit),
    State(RTCPeerConnectionState),
    Track(Arc<dyn TrackRemote>),
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Events {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        if let Ok(init) = event.candidate.to_json() {
            let _ = self.tx.send(PeerEv::Candidate(init));
        }
    }
    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let _ = self.tx.send(PeerEv::State(state));
    }
    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let _ = self.tx.send(PeerEv::Track(track));
    }
}

fn opus() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_OPUS.to_owned(),
        clock_rate: 48000,
        channels: 2,
        sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
        rtcp_feedback: vec![],
    }
}

fn vp8() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_VP8.to_owned(),
        clock_rate: 90000,
        channels: 0,
        sdp_fmtp_line: String::new(),
        rtcp_feedback: vec![RTCPFeedback {
            typ: "ccm".into(),
            parameter: "fir".into(),
        }],
    }
}

const OPUS_PT: u8 = 111;
const VP8_PT: u8 = 96;

/// A browser-like peer: Opus + VP8, the default interceptors (NACK, reports, TWCC receiver).
async fn build_peer(tx: mpsc::UnboundedSender<PeerEv>) -> Result<Arc<dyn PeerConnection>, String> {
    let mut me = MediaEngine::default();
    me.register_codec(
        RTCRtpCodecParameters {
            rtp_codec: opus(),
            payload_type: OPUS_PT,
        },
        RtpCodecKind::Audio,
    )
    .map_err(|e| e.to_string())?;
    me.register_codec(
        RTCRtpCodecParameters {
            rtp_codec: vp8(),
            payload_type: VP8_PT,
        },
        RtpCodecKind::Video,
    )
    .map_err(|e| e.to_string())?;
    let registry =
        register_default_interceptors(Registry::new(), &mut me).map_err(|e| e.to_string())?;
    let settings = SettingEngineBuilder::new()
        .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled)
        .build();
    let pc = PeerConnectionBuilder::new()
        .with_configuration(RTCConfigurationBuilder::new().build())
        .with_media_engine(me)
        .with_setting_engine(settings)
        .with_interceptor_registry(registry)
        .with_handler(Arc::new(Events { tx }))
        .with_udp_addrs(vec!["127.0.0.1:0".to_owned()])
        .build()
        .await
        .map_err(|e| e.to_string())?;
    Ok(Arc::new(pc))
}

fn local_track(
    kind: RtpCodecKind,
    codec: RTCRtpCodec,
    id: &str,
    ssrc: u32,
) -> Arc<TrackLocalStaticRTP> {
    Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
        format!("bench-{id}"),
        id.to_owned(),
        id.to_owned(),
        kind,
        vec![RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                ssrc: Some(ssrc),
                ..Default::default()
            },
            codec,
            ..Default::default()
        }],
    )))
}

/// The 20 ms Opus silence frame browsers send (TOC 0xf8: CELT fullband 20 ms, one frame).
const OPUS_SILENCE: [u8; 3] = [0xf8, 0xff, 0xfe];
const AUDIO_PAYLOAD: usize = 80;
const VIDEO_PAYLOAD: usize = 1000;
const KEYFRAME_EVERY: u64 = 60;

/// An Opus payload: the silence frame, zero padding, the stamp.
fn audio_payload(stamp: Stamp) -> Bytes {
    let mut b = BytesMut::with_capacity(AUDIO_PAYLOAD);
    b.put_slice(&OPUS_SILENCE);
    b.resize(AUDIO_PAYLOAD - Stamp::LEN, 0);
    stamp.put(&mut b);
    b.freeze()
}

/// One VP8 packet of a frame: the payload descriptor (S bit on the first packet, partition 0),
/// on the first packet the frame header (keyframes with the start code and 640x480), filler
/// bytes, the stamp.
fn video_payload(stamp: Stamp, first: bool, key: bool, filler: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(VIDEO_PAYLOAD);
    b.put_u8(if first { 0x10 } else { 0x00 });
    if first {
        // size0 (3 bits) | show_frame | version 0 | P (0 = keyframe), then size1, size2.
        b.put_u8(if key { 0x10 } else { 0x11 });
        b.put_u8(0x40);
        b.put_u8(0x00);
        if key {
            b.put_slice(&[0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]);
        }
    }
    let fill = VIDEO_PAYLOAD - Stamp::LEN - b.len();
    b.put_slice(&filler[..fill.min(filler.len())]);
    stamp.put(&mut b);
    b.freeze()
}

fn rtp(pt: u8, seq: u16, ts: u32, ssrc: u32, marker: bool, payload: Bytes) -> rtc::rtp::Packet {
    rtc::rtp::Packet {
        header: rtc::rtp::Header {
            version: 2,
            marker,
            payload_type: pt,
            sequence_number: seq,
            timestamp: ts,
            ssrc,
            ..Default::default()
        },
        payload,
    }
}

/// Sends audio every 20 ms and video frames at 30 fps until the bench stops.
async fn send_loop(
    shared: Arc<Shared>,
    audio: (Arc<TrackLocalStaticRTP>, u32, u32, Arc<AtomicU64>),
    video: (Arc<TrackLocalStaticRTP>, u32, u32, Arc<AtomicU64>),
    video_packets: usize,
) {
    let (atrack, assrc, astream, asent) = audio;
    let (vtrack, vssrc, vstream, vsent) = video;
    let filler: Vec<u8> = (0..VIDEO_PAYLOAD).map(|_| rand::random::<u8>()).collect();
    let start = Instant::now();
    // Spread members' phases so that they do not all send in the same instant.
    let mut next_audio = Duration::from_micros(rand::random::<u64>() % 20_000);
    let mut next_video = Duration::from_micros(rand::random::<u64>() % 33_333);
    let (mut aseq, mut vseq) = (rand::random::<u16>(), rand::random::<u16>());
    let (mut acount, mut vcount, mut frames) = (0u32, 0u32, 0u64);
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !shared.stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let elapsed = start.elapsed();
        while next_audio <= elapsed {
            let sent_us = shared.now();
            let stamp = Stamp {
                sent_us,
                counter: acount,
                stream: astream,
            };
            let ts = (next_audio.as_micros() as u64 * 48 / 1000) as u32;
            let pkt = rtp(OPUS_PT, aseq, ts, assrc, false, audio_payload(stamp));
            if atrack.write_rtp(pkt).await.is_err() {
                return;
            }
            if shared.in_window(sent_us) {
                asent.fetch_add(1, Ordering::Relaxed);
            }
            aseq = aseq.wrapping_add(1);
            acount += 1;
            next_audio += Duration::from_millis(20);
        }
        while next_video <= elapsed {
            let key = frames % KEYFRAME_EVERY == 0;
            let ts = (next_video.as_micros() as u64 * 90 / 1000) as u32;
            for i in 0..video_packets {
                let sent_us = shared.now();
                let stamp = Stamp {
                    sent_us,
                    counter: vcount,
                    stream: vstream,
                };
                let payload = video_payload(stamp, i == 0, key, &filler);
                let pkt = rtp(VP8_PT, vseq, ts, vssrc, i + 1 == video_packets, payload);
                if vtrack.write_rtp(pkt).await.is_err() {
                    return;
                }
                if shared.in_window(sent_us) {
                    vsent.fetch_add(1, Ordering::Relaxed);
                }
                vseq = vseq.wrapping_add(1);
                vcount += 1;
            }
            frames += 1;
            next_video += Duration::from_micros(33_333);
        }
    }
}

/// Reads one forwarded track and accounts every packet.
async fn receive_loop(
    shared: Arc<Shared>,
    track: Arc<dyn TrackRemote>,
    acct: Arc<Mutex<Accounting>>,
) {
    while let Some(ev) = track.poll().await {
        if let TrackRemoteEvent::OnRtpPacket(pkt) = ev {
            let now = shared.now();
            if let Some(stamp) = Stamp::parse(&pkt.payload) {
                if let Ok(mut a) = acct.lock() {
                    a.record(stamp, now);
                }
            }
        }
    }
}

fn candidate_json(c: &RTCIceCandidateInit) -> Value {
    json!({
        "candidate": c.candidate,
        "sdpMid": c.sdp_mid,
        "sdpMLineIndex": c.sdp_mline_index,
        "usernameFragment": c.username_fragment,
    })
}

/// Signalling after the first offer: answers, the gateway's offers, trickle ICE both ways.
#[allow(clippy::too_many_arguments)]
async fn signal_loop(
    shared: Arc<Shared>,
    mut ws: Socket,
    call_id: String,
    pc: Arc<dyn PeerConnection>,
    mut events: mpsc::UnboundedReceiver<PeerEv>,
    acct: Arc<Mutex<Accounting>>,
    tracks: Arc<AtomicUsize>,
    connected: tokio::sync::watch::Sender<bool>,
) {
    let mut have_remote = false;
    let mut queued: Vec<RTCIceCandidateInit> = Vec::new();
    let error = |what: String| {
        if shared.errors.fetch_add(1, Ordering::Relaxed) < 10 {
            eprintln!("bench media: {what}");
        }
    };
    loop {
        tokio::select! {
            frame = ws.next() => {
                let text = match frame {
                    Some(Ok(WsMessage::Text(t))) => t,
                    Some(Ok(_)) => continue,
                    _ => break,
                };
                let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
                let sdp = v["sdp"].as_str().unwrap_or_default().to_owned();
                match v["type"].as_str().unwrap_or_default() {
                    "call_answer" => {
                        let r = match RTCSessionDescription::answer(sdp) {
                            Ok(d) => pc.set_remote_description(d).await.map_err(|e| e.to_string()),
                            Err(e) => Err(e.to_string()),
                        };
                        if let Err(e) = r { error(format!("answer: {e}")); continue; }
                        have_remote = true;
                        for c in std::mem::take(&mut queued) {
                            let _ = pc.add_ice_candidate(c).await;
                        }
                    }
                    "call_offer" => {
                        let answered: Result<String, String> = async {
                            let d = RTCSessionDescription::offer(sdp).map_err(|e| e.to_string())?;
                            pc.set_remote_description(d).await.map_err(|e| e.to_string())?;
                            let a = pc.create_answer(None).await.map_err(|e| e.to_string())?;
                            pc.set_local_description(a).await.map_err(|e| e.to_string())?;
                            pc.local_description().await.map(|d| d.sdp).ok_or_else(|| "no local description".to_owned())
                        }.await;
                        match answered {
                            Ok(sdp) => {
                                let f = json!({ "type": "call_answer", "callId": call_id, "sdp": sdp });
                                if client::send_json(&mut ws, &f).await.is_err() { break; }
                            }
                            Err(e) => error(format!("gateway offer: {e}")),
                        }
                    }
                    "call_ice" => {
                        let c = &v["candidate"];
                        let cand = c["candidate"].as_str().unwrap_or_default();
                        if cand.is_empty() { continue; }
                        let init = RTCIceCandidateInit {
                            candidate: cand.to_owned(),
                            sdp_mid: c["sdpMid"].as_str().map(str::to_owned),
                            sdp_mline_index: c["sdpMLineIndex"].as_u64().map(|i| i as u16),
                            username_fragment: c["usernameFragment"].as_str().map(str::to_owned),
                            url: None,
                        };
                        if have_remote {
                            let _ = pc.add_ice_candidate(init).await;
                        } else {
                            queued.push(init);
                        }
                    }
                    "error" => error(format!("gateway error: {v}")),
                    _ => {}
                }
            }
            ev = events.recv() => match ev {
                Some(PeerEv::Candidate(c)) => {
                    let f = json!({ "type": "call_ice", "callId": call_id, "candidate": candidate_json(&c) });
                    if client::send_json(&mut ws, &f).await.is_err() { break; }
                }
                Some(PeerEv::State(RTCPeerConnectionState::Connected)) => { connected.send_replace(true); }
                Some(PeerEv::State(RTCPeerConnectionState::Failed)) => error("peer connection failed".into()),
                Some(PeerEv::State(_)) => {}
                Some(PeerEv::Track(t)) => {
                    tracks.fetch_add(1, Ordering::Relaxed);
                    tokio::spawn(receive_loop(shared.clone(), t, acct.clone()));
                }
                None => break,
            },
        }
    }
    let _ = ws.close(None).await;
}

/// Joins `conversation`'s call as the owner of `token` and starts sending once connected.
async fn join(
    api: &Client,
    token: &str,
    conversation: &str,
    shared: &Arc<Shared>,
    video_packets: usize,
) -> Result<Member, BenchError> {
    let mut ws = api.socket(token).await?;
    client::send_json(
        &mut ws,
        &json!({ "type": "call_start", "conversationId": conversation }),
    )
    .await?;
    let call_id = loop {
        let v = client::next_json(&mut ws).await?;
        match v["type"].as_str() {
            Some("call_ready") => break v["callId"].as_str().unwrap_or_default().to_owned(),
            Some("error") => return Err(BenchError::Failed(format!("call_start: {v}"))),
            _ => {}
        }
    };
    let (tx, events) = mpsc::unbounded_channel();
    let pc = build_peer(tx).await.map_err(BenchError::Failed)?;
    let mut sent = Vec::new();
    let mut tracks_map = serde_json::Map::new();
    let mut senders = Vec::new();
    for (kind, codec, source) in [
        (RtpCodecKind::Audio, opus(), "microphone"),
        (RtpCodecKind::Video, vp8(), "camera"),
    ] {
        let stream = shared.next_stream.fetch_add(1, Ordering::Relaxed);
        let id = format!("s{stream}-{source}");
        let ssrc = rand::random::<u32>();
        let track = local_track(kind, codec, &id, ssrc);
        pc.add_transceiver_from_track(
            track.clone() as Arc<dyn TrackLocal>,
            Some(RTCRtpTransceiverInit {
                direction: RTCRtpTransceiverDirection::Sendonly,
                streams: vec![format!("bench-{id}")],
                send_encodings: vec![],
            }),
        )
        .await
        .map_err(|e| BenchError::Failed(e.to_string()))?;
        tracks_map.insert(id, json!(source));
        let counter = Arc::new(AtomicU64::new(0));
        sent.push((stream, counter.clone()));
        senders.push((track, ssrc, stream, counter));
    }
    let offer = pc
        .create_offer(None)
        .await
        .map_err(|e| BenchError::Failed(e.to_string()))?;
    pc.set_local_description(offer)
        .await
        .map_err(|e| BenchError::Failed(e.to_string()))?;
    let sdp = pc
        .local_description()
        .await
        .map(|d| d.sdp)
        .ok_or_else(|| BenchError::Failed("no local description".into()))?;
    client::send_json(
        &mut ws,
        &json!({ "type": "call_offer", "callId": call_id, "sdp": sdp, "tracks": tracks_map }),
    )
    .await?;

    let acct = Arc::new(Mutex::new(Accounting::new()));
    let tracks = Arc::new(AtomicUsize::new(0));
    let (connected_tx, mut connected_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(signal_loop(
        shared.clone(),
        ws,
        call_id,
        pc.clone(),
        events,
        acct.clone(),
        tracks.clone(),
        connected_tx,
    ));
    let video = senders.pop();
    let audio = senders.pop();
    let sh = shared.clone();
    tokio::spawn(async move {
        if connected_rx.wait_for(|c| *c).await.is_err() {
            return;
        }
        if let (Some(a), Some(v)) = (audio, video) {
            send_loop(sh, a, v, video_packets).await;
        }
    });
    Ok(Member {
        pc,
        acct,
        sent,
        tracks,
    })
}

/// CPU ticks (utime + stime) of this process's threads.
#[derive(Debug, Clone, Copy, Default)]
struct Ticks {
    gateway: u64,
    recorder: u64,
    all: u64,
}

/// Reads [`Ticks`] from `/proc/self/task`, telling threads apart by name.
fn cpu_ticks() -> Ticks {
    let mut ticks = Ticks::default();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return ticks;
    };
    for entry in dir.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        // Fields after the comm start at field 3 (state); utime is field 14, stime 15.
        let rest: Vec<&str> = stat[close + 2..].split(' ').collect();
        let t = rest
            .get(11)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            + rest
                .get(12)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        ticks.all += t;
        if comm.starts_with(GATEWAY_THREAD) {
            ticks.gateway += t;
        } else if comm.starts_with(RECORDER_THREAD) {
            ticks.recorder += t;
        }
    }
    ticks
}

/// Machine-wide CPU ticks from `/proc/stat`: `(busy, steal)`; other processes and the
/// hypervisor taking time show up here and not in this process's own figures.
fn machine_ticks() -> (u64, u64) {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return (0, 0);
    };
    let Some(line) = stat.lines().next() else {
        return (0, 0);
    };
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let at = |i: usize| v.get(i).copied().unwrap_or(0);
    // user nice system idle iowait irq softirq steal
    (at(0) + at(1) + at(2) + at(5) + at(6), at(7))
}

const GATEWAY_THREAD: &str = "wl-gw";
/// The recorder's threads are named `rec-<source>` (`media::record`).
const RECORDER_THREAD: &str = "rec-";
/// Linux's USER_HZ.
const TICKS_PER_SECOND: f64 = 100.0;

pub async fn run(args: MediaBenchArgs) -> Result<(), BenchError> {
    let results = measure(&args).await?;
    if args.json {
        for r in &results {
            println!("{}", serde_json::to_string(r).unwrap_or_default());
        }
    } else {
        println!("bench media  {}", machine::describe());
        println!(
            "  {} s measured per step after {} s warm-up; per member: Opus 50 pkt/s + VP8 30 fps x {} pkt",
            args.duration, args.warmup, args.video_packets
        );
        println!(
            "  {:>5} {:>10} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>9} {:>9} {:>11} {:>11} {:>9} {:>6}",
            "calls",
            "fwd pkt/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "loss %",
            "sfu drop",
            "gw cores",
            "rec cores",
            "all cores",
            "pkt/s/gw c",
            "pkt/s/all c",
            "mach busy",
            "steal"
        );
        for r in &results {
            println!(
                "  {:>5} {:>10.0} {:>9.2} {:>9.2} {:>9.2} {:>8.3} {:>8} {:>8.2} {:>9.2} {:>9.2} {:>11.0} {:>11.0} {:>9.2} {:>6.2}",
                r.calls,
                r.forwarded_per_second,
                r.latency_p50_ms,
                r.latency_p99_ms,
                r.latency_max_ms,
                r.loss_percent,
                r.sfu_dropped,
                r.gateway_cores,
                r.recorder_cores,
                r.process_cores,
                r.forwarded_per_gateway_core,
                r.forwarded_per_process_core,
                r.machine_busy_cores,
                r.machine_steal_cores
            );
        }
    }
    Ok(())
}

pub async fn measure(args: &MediaBenchArgs) -> Result<Vec<MediaStepResult>, BenchError> {
    let max_calls = args.calls.iter().copied().max().unwrap_or(1).max(1);
    let tmp = tempfile::tempdir()?;
    let mut config = bench_config(tmp.path(), false);
    config.media.enabled = true;
    config.media.recording = args.record;
    config.media.bind_address = std::net::IpAddr::from([127, 0, 0, 1]);
    config.media.udp_port_min = args.udp_port_min;
    config.media.udp_port_max = args
        .udp_port_min
        .saturating_add((2 * max_calls + 256) as u16);

    // The gateway on its own runtime, so its threads (and their CPU) can be told apart.
    let gateway = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.gateway_threads.max(1))
        .thread_name(GATEWAY_THREAD)
        .enable_all()
        .build()?;
    let cfg = config.clone();
    let running = gateway
        .spawn(async move { app::start(cfg).await })
        .await
        .map_err(|e| BenchError::Failed(e.to_string()))??;
    let api = Client::new(&running.base_url());
    let result = ramp(args, &config, &running, &api).await;
    let _ = gateway.spawn(async move { running.stop().await }).await;
    gateway.shutdown_background();
    result
}

async fn ramp(
    args: &MediaBenchArgs,
    config: &crate::config::Config,
    running: &app::Running,
    api: &Client,
) -> Result<Vec<MediaStepResult>, BenchError> {
    let policy = app::password_policy(config)?;
    let spec = admin::UserSpec {
        username: "bench-agent".into(),
        name: "Bench Agent".into(),
        role: Role::Agent,
        password: Some("bench-password".into()),
        skills: vec!["general".into()],
        languages: vec!["en".into()],
        max_concurrent: 100_000,
    };
    admin::add_user(&*running.store, &policy, spec).await?;
    let agent = api.login("bench-agent", "bench-password").await?;
    let http = reqwest::Client::new();

    let shared = Arc::new(Shared {
        epoch: Instant::now(),
        from: AtomicU64::new(u64::MAX),
        until: AtomicU64::new(u64::MAX),
        stop: AtomicBool::new(false),
        errors: AtomicU64::new(0),
        next_stream: AtomicU32::new(0),
    });
    let mut members: Vec<Member> = Vec::new();
    let mut results = Vec::new();
    let mut steps = args.calls.clone();
    steps.sort_unstable();
    steps.dedup();
    'ramp: for &calls in &steps {
        // New calls up to `calls`.
        while members.len() < 2 * calls {
            let i = members.len() / 2;
            let (conversation, customer) = api.create_conversation(&format!("Caller {i}")).await?;
            // The agent joins the conversation by writing into it.
            http.post(format!(
                "{}/api/conversations/{conversation}/messages",
                api.base
            ))
            .bearer_auth(&agent)
            .json(&json!({ "content": "Hello, I'm here to help." }))
            .send()
            .await
            .map_err(client::ClientError::from)?
            .error_for_status()
            .map_err(client::ClientError::from)?;
            members.push(join(api, &customer, &conversation, &shared, args.video_packets).await?);
            members.push(join(api, &agent, &conversation, &shared, args.video_packets).await?);
        }
        // Every member receives the other's audio and video.
        let deadline = Instant::now() + Duration::from_secs(30);
        while members.iter().any(|m| m.tracks.load(Ordering::Relaxed) < 2) {
            if Instant::now() > deadline {
                let waiting = members
                    .iter()
                    .filter(|m| m.tracks.load(Ordering::Relaxed) < 2)
                    .count();
                // Saturated: report the steps measured so far.
                eprintln!("bench media: at {calls} calls, {waiting} members still wait for media after 30 s; ramp stopped");
                break 'ramp;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;

        // The window: packets sent in it are counted on both ends.
        let from = shared.now() + 200_000;
        let until = from + (args.duration * 1e6) as u64;
        for m in &members {
            if let Ok(mut a) = m.acct.lock() {
                a.reset(from, until);
            }
            for (_, c) in &m.sent {
                c.store(0, Ordering::Relaxed);
            }
        }
        shared.from.store(from, Ordering::Relaxed);
        shared.until.store(until, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_micros(from.saturating_sub(shared.now()))).await;
        let t0_ticks = cpu_ticks();
        let sfu0 = crate::media::stats::snapshot();
        let (busy0, steal0) = machine_ticks();
        let t0 = Instant::now();
        tokio::time::sleep(Duration::from_micros(until.saturating_sub(shared.now()))).await;
        let t1_ticks = cpu_ticks();
        let sfu1 = crate::media::stats::snapshot();
        let (busy1, steal1) = machine_ticks();
        let wall = t0.elapsed().as_secs_f64();
        // Late packets of the window still count.
        tokio::time::sleep(Duration::from_millis(500)).await;

        let mut total = Accounting::new();
        let mut sent: HashMap<u32, u64> = HashMap::new();
        for m in &members {
            if let Ok(a) = m.acct.lock() {
                total.merge(&a);
            }
            for (s, c) in &m.sent {
                sent.insert(*s, c.load(Ordering::Relaxed));
            }
        }
        let (expected, received, lost) = loss(&sent, 1, &total.received);
        let ms = |v: u64| v as f64 / 1000.0;
        // A thread that ended inside the window takes its ticks with it: saturate, not wrap.
        let cores = |a: u64, b: u64| b.saturating_sub(a) as f64 / TICKS_PER_SECOND / wall;
        let gateway_cores = cores(t0_ticks.gateway, t1_ticks.gateway);
        let recorder_cores = cores(t0_ticks.recorder, t1_ticks.recorder);
        let process_cores = cores(t0_ticks.all, t1_ticks.all);
        let per_second = received as f64 / args.duration;
        let r = MediaStepResult {
            machine: machine::describe(),
            calls,
            seconds: args.duration,
            sent: expected,
            received,
            forwarded_per_second: per_second,
            latency_p50_ms: ms(total.latency.value_at_quantile(0.5)),
            latency_p99_ms: ms(total.latency.value_at_quantile(0.99)),
            latency_max_ms: ms(total.latency.max()),
            lost,
            loss_percent: if expected > 0 {
                100.0 * lost as f64 / expected as f64
            } else {
                0.0
            },
            reordered: total.reordered,
            gateway_cores,
            recorder_cores,
            process_cores,
            sfu_forwarded: sfu1.forwarded.saturating_sub(sfu0.forwarded),
            sfu_dropped: sfu1.forward_dropped.saturating_sub(sfu0.forward_dropped),
            forwarded_per_gateway_core: if gateway_cores > 0.0 {
                per_second / gateway_cores
            } else {
                0.0
            },
            forwarded_per_process_core: if process_cores > 0.0 {
                per_second / process_cores
            } else {
                0.0
            },
            machine_busy_cores: (busy1 - busy0) as f64 / TICKS_PER_SECOND / wall,
            machine_steal_cores: (steal1 - steal0) as f64 / TICKS_PER_SECOND / wall,
            errors: shared.errors.load(Ordering::Relaxed),
        };
        if !args.json {
            eprintln!(
                "  step {calls} calls: {:.0} pkt/s, p99 {:.2} ms, loss {:.3} %, gateway {:.2} cores",
                r.forwarded_per_second, r.latency_p99_ms, r.loss_percent, r.gateway_cores
            );
        }
        let stop = r.loss_percent > args.stop_loss;
        results.push(r);
        if stop {
            break;
        }
    }
    shared.stop.store(true, Ordering::Relaxed);
    for m in &members {
        let _ = m.pc.close().await;
    }
    // Let the gateway see the members leave before it stops.
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_survives_the_payload_it_ends() {
        let s = Stamp {
            sent_us: 123_456_789,
            counter: 42,
            stream: 7,
        };
        let p = video_payload(s, true, true, &[0xab; VIDEO_PAYLOAD]);
        assert_eq!(p.len(), VIDEO_PAYLOAD);
        assert_eq!(&p[..1], &[0x10], "S bit on the first packet");
        assert_eq!(p[1] & 0x01, 0, "P bit clear: keyframe");
        assert_eq!(&p[4..7], &[0x9d, 0x01, 0x2a], "keyframe start code");
        assert_eq!(Stamp::parse(&p), Some(s));
        let a = audio_payload(s);
        assert_eq!(&a[..3], &OPUS_SILENCE);
        assert_eq!(Stamp::parse(&a), Some(s));
        assert_eq!(Stamp::parse(&[1, 2, 3]), None);
    }

    #[test]
    fn latency_and_loss_count_only_the_window_and_every_gap() {
        let mut a = Accounting::new();
        a.reset(1_000, 2_000);
        let stamp = |stream, counter, sent_us| Stamp {
            sent_us,
            counter,
            stream,
        };
        // Stream 1: 10 packets in the window, 1 ms apart in send time... received 500 us later,
        // counters 3 and 7 lost; one packet before and one after the window are ignored.
        a.record(stamp(1, 0, 999), 5_000);
        for c in 1..=10u32 {
            if c == 3 || c == 7 {
                continue;
            }
            a.record(
                stamp(1, c, 1_000 + u64::from(c) * 90),
                1_500 + u64::from(c) * 90,
            );
        }
        a.record(stamp(1, 11, 2_000), 2_100);
        // Stream 2: 4 packets, one arriving after a later one, 2 ms late each.
        for c in [0u32, 2, 1, 3] {
            a.record(stamp(2, c, 1_100 + u64::from(c)), 3_100 + u64::from(c));
        }
        assert_eq!(a.received.get(&1), Some(&8));
        assert_eq!(a.received.get(&2), Some(&4));
        assert_eq!(a.reordered, 1);
        let sent = HashMap::from([(1, 10), (2, 4), (3, 5)]);
        let (expected, received, lost) = loss(&sent, 1, &a.received);
        assert_eq!(
            (expected, received, lost),
            (19, 12, 7),
            "stream 3 never arrived"
        );
        // 8 samples at 500 us and 4 at 2000 us: p50 is 500 us, p99 is 2000 us.
        assert_eq!(a.latency.len(), 12);
        let p50 = a.latency.value_at_quantile(0.5);
        let p99 = a.latency.value_at_quantile(0.99);
        assert!((499..=501).contains(&p50), "{p50}");
        assert!((1_999..=2_001).contains(&p99), "{p99}");

        // Merging keeps every count; a reset forgets them.
        let mut total = Accounting::new();
        total.merge(&a);
        total.merge(&a);
        assert_eq!(total.received.get(&1), Some(&16));
        assert_eq!(total.latency.len(), 24);
        a.reset(5_000, 6_000);
        assert!(a.received.is_empty() && a.latency.is_empty() && a.reordered == 0);
        // Extra copies of one stream never hide another's loss.
        let over = HashMap::from([(1, 20), (2, 0)]);
        assert_eq!(
            loss(&HashMap::from([(1, 10), (2, 10)]), 1, &over),
            (20, 10, 10)
        );
    }
}
