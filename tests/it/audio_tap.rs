//! The media server's audio tap, end to end without a browser: two synthetic peers built with the
//! same `webrtc` crate join a call and send real Opus (a 440 Hz and an 880 Hz tone, encoded with
//! libopus); the tap delivers each speaker's decoded 48 kHz audio with their participant id on
//! the call clock, and the call's recording lists both microphones and the mixed audio.

use crate::common::{self, heavy};

use rtc::media_stream::MediaStreamTrack;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use rtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use warmline::domain::{MediaSource, ParticipantId, RecordingSource};
use warmline::media::sfu::Sfu;
use warmline::media::signal::{CallEvent, Candidate, Outgoing, Signal};
use warmline::media::{MediaConfig, MediaServer};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler,
    RTCConfigurationBuilder, RTCIceCandidateInit, RTCPeerConnectionIceEvent,
    RTCPeerConnectionState, RTCSessionDescription,
};

enum PeerEvent {
    Candidate(RTCIceCandidateInit),
    Connected,
}

struct Handler(mpsc::UnboundedSender<PeerEvent>);
#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_candidate(&self, e: RTCPeerConnectionIceEvent) {
        if let Ok(c) = e.candidate.to_json() {
            let _ = self.0.send(PeerEvent::Candidate(c));
        }
    }
    async fn on_connection_state_change(&self, s: RTCPeerConnectionState) {
        if s == RTCPeerConnectionState::Connected {
            let _ = self.0.send(PeerEvent::Connected);
        }
    }
}

fn opus() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: "audio/opus".into(),
        clock_rate: 48000,
        channels: 2,
        sdp_fmtp_line: "minptime=10;useinbandfec=1".into(),
        rtcp_feedback: vec![],
    }
}

/// A peer that joins `call` as `member` and sends `packets` 20 ms Opus packets of a `hz` tone;
/// returns when it sent the first.
async fn speaker(
    sfu: Arc<Sfu>,
    call: &str,
    member: &str,
    hz: f32,
    packets: usize,
) -> std::time::Instant {
    let mut me = MediaEngine::default();
    me.register_default_codecs().unwrap();
    let (tx, mut events) = mpsc::unbounded_channel();
    let pc: Arc<dyn PeerConnection> = Arc::new(
        PeerConnectionBuilder::new()
            .with_configuration(RTCConfigurationBuilder::new().build())
            .with_media_engine(me)
            .with_handler(Arc::new(Handler(tx)))
            .with_udp_addrs(vec!["127.0.0.1:0".to_owned()])
            .build()
            .await
            .unwrap(),
    );
    let ssrc = rand::random::<u32>();
    let track_id = format!("{member}-mic");
    let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
        format!("{member}-stream"),
        track_id.clone(),
        track_id.clone(),
        RtpCodecKind::Audio,
        vec![RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                ssrc: Some(ssrc),
                ..Default::default()
            },
            codec: opus(),
            ..Default::default()
        }],
    )));
    pc.add_transceiver_from_track(
        track.clone() as Arc<dyn TrackLocal>,
        Some(RTCRtpTransceiverInit {
            direction: RTCRtpTransceiverDirection::Sendonly,
            streams: vec![format!("{member}-stream")],
            send_encodings: vec![],
        }),
    )
    .await
    .unwrap();
    let offer = pc.create_offer(None).await.unwrap();
    pc.set_local_description(offer).await.unwrap();
    let sdp = pc.local_description().await.unwrap().sdp;
    let id = ParticipantId(member.into());
    let (out_tx, mut out) = mpsc::channel(64);
    sfu.signal(
        call,
        &id,
        Signal::Offer {
            sdp,
            tracks: BTreeMap::from([(track_id, MediaSource::Microphone)]),
        },
        out_tx.clone(),
    )
    .await
    .unwrap();
    // Signalling until the connection is up.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        tokio::select! {
            Some(o) = out.recv() => match o {
                Outgoing::Answer { sdp } => {
                    pc.set_remote_description(RTCSessionDescription::answer(sdp).unwrap())
                        .await
                        .unwrap();
                }
                Outgoing::Ice(c) => {
                    let _ = pc
                        .add_ice_candidate(RTCIceCandidateInit {
                            candidate: c.candidate,
                            sdp_mid: c.sdp_mid,
                            sdp_mline_index: c.sdp_m_line_index,
                            username_fragment: c.username_fragment,
                            url: None,
                        })
                        .await;
                }
                Outgoing::Offer { .. } | Outgoing::Error { .. } => {}
            },
            Some(e) = events.recv() => match e {
                PeerEvent::Candidate(c) => {
                    let _ = sfu
                        .signal(
                            call,
                            &id,
                            Signal::Ice(Candidate {
                                candidate: c.candidate,
                                sdp_mid: c.sdp_mid,
                                sdp_m_line_index: c.sdp_mline_index,
                                username_fragment: c.username_fragment,
                            }),
                            out_tx.clone(),
                        )
                        .await;
                }
                PeerEvent::Connected => break,
            },
            _ = tokio::time::sleep_until(deadline) => panic!("{member} never connected"),
        }
    }
    let mut enc =
        ::opus::Encoder::new(48_000, ::opus::Channels::Mono, ::opus::Application::Voip).unwrap();
    let mut buf = vec![0u8; 4000];
    let ts0 = rand::random::<u32>();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut first = None;
    for i in 0..packets {
        tick.tick().await;
        first.get_or_insert_with(std::time::Instant::now);
        let pcm: Vec<i16> = (0..960)
            .map(|k| {
                let t = (i * 960 + k) as f32 / 48_000.0;
                ((t * hz * std::f32::consts::TAU).sin() * 10_000.0) as i16
            })
            .collect();
        let n = enc.encode(&pcm, &mut buf).unwrap();
        let mut p = rtc::rtp::Packet::default();
        p.header.version = 2;
        p.header.payload_type = 111;
        p.header.ssrc = ssrc;
        p.header.sequence_number = i as u16;
        p.header.timestamp = ts0.wrapping_add((i * 960) as u32);
        p.payload = bytes::Bytes::copy_from_slice(&buf[..n]);
        track.write_rtp(p).await.unwrap();
    }
    sfu.signal(call, &id, Signal::Hangup, out_tx).await.unwrap();
    pc.close().await.unwrap();
    first.unwrap_or_else(std::time::Instant::now)
}

/// The strongest frequency among `candidates` in `pcm` (Goertzel).
fn dominant(pcm: &[i16], candidates: &[f32]) -> f32 {
    let power = |hz: f32| {
        let w = std::f32::consts::TAU * hz / 48_000.0;
        let (mut s1, mut s2) = (0f32, 0f32);
        for x in pcm {
            let s = f32::from(*x) + 2.0 * w.cos() * s1 - s2;
            s2 = s1;
            s1 = s;
        }
        s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2
    };
    candidates
        .iter()
        .copied()
        .max_by(|a, b| power(*a).total_cmp(&power(*b)))
        .unwrap()
}

#[tokio::test]
async fn each_speakers_audio_reaches_the_tap_decoded_with_their_id_on_the_call_clock() {
    let _heavy = heavy().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = MediaConfig {
        udp_port_min: 43300,
        udp_port_max: 43399,
        ..MediaConfig::default()
    };
    let (sfu, mut call_events) = Sfu::new(cfg);
    let (sfu, mut tap) = sfu
        .with_recordings(dir.path().to_owned())
        .with_audio_tap(1_000);
    let sfu = Arc::new(sfu);
    sfu.set_recording_path("call-tap", "c-tap/call-tap");
    let a = tokio::spawn(speaker(sfu.clone(), "call-tap", "p-ana", 440.0, 100));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let b = tokio::spawn(speaker(sfu.clone(), "call-tap", "p-sam", 880.0, 50));
    let a_sent = a.await.unwrap();
    let b_sent = b.await.unwrap();

    let mut chunks = Vec::new();
    while let Ok(c) = tap.try_recv() {
        chunks.push(c);
    }
    for (who, hz, sent) in [("p-ana", 440.0, 100), ("p-sam", 880.0, 50)] {
        let mine: Vec<_> = chunks
            .iter()
            .filter(|c| c.participant_id.0 == who)
            .collect();
        let pcm: Vec<i16> = mine.iter().flat_map(|c| c.samples.clone()).collect();
        eprintln!(
            "{who}: {} chunks from {} ms to {} ms",
            mine.len(),
            mine[0].start_ms,
            mine.last().unwrap().end_ms()
        );
        assert!(
            mine.len() >= sent * 9 / 10,
            "{who}: {} of {sent}",
            mine.len()
        );
        assert!(mine
            .iter()
            .all(|c| c.call_id == "call-tap" && c.samples.len() == 960));
        assert!(mine.windows(2).all(|w| w[1].start_ms >= w[0].end_ms()));
        assert_eq!(
            dominant(&pcm, &[440.0, 880.0]),
            hz,
            "{who} is heard as themselves"
        );
    }
    let first = |who: &str| {
        chunks
            .iter()
            .find(|c| c.participant_id.0 == who)
            .unwrap()
            .start_ms
    };
    // The speakers are aligned on the call clock as they spoke (first packets arrive within a
    // few ms on loopback).
    let gap = first("p-sam") as i64 - first("p-ana") as i64;
    let real = b_sent.duration_since(a_sent).as_millis() as i64;
    eprintln!("second speaker: {gap} ms after the first on the call clock, {real} ms in real time");
    assert!(
        gap > 0 && (gap - real).abs() <= 60,
        "call clock {gap} ms, real {real} ms"
    );

    // The call ended when both hung up; its recording is reported.
    let files = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match call_events.recv().await {
                Some(CallEvent::Recorded { files, .. }) => return files,
                Some(_) => {}
                None => panic!("no recording"),
            }
        }
    })
    .await
    .unwrap();
    let mut sources: Vec<_> = files.iter().map(|f| f.source).collect();
    sources.sort_by_key(|s| s.as_str());
    assert_eq!(
        sources,
        [
            RecordingSource::Microphone,
            RecordingSource::Microphone,
            RecordingSource::Mixed
        ]
    );
    for f in &files {
        assert!(dir.path().join("c-tap/call-tap").join(&f.path).is_file());
    }
}

/// The recordings directory fills up mid-call (a 64 KiB tmpfs with 24 KiB free): the recorder ends
/// its files at their last whole write, and the call goes on: every speaker's audio keeps
/// reaching the tap to the end, the speakers never notice, and each file reported decodes
/// to the duration it claims. Needs root for the mount: skipped otherwise, unless
/// `WLTEST_REQUIRE_ROOT` is set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_recordings_disk_ends_the_files_cleanly_and_the_call_goes_on() {
    let _heavy = heavy().await;
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("rec");
    let Some(_tmpfs) = common::tmpfs::Tmpfs::mount(&mount, "64k") else {
        return;
    };
    std::fs::write(mount.join("filler"), vec![7u8; 40 * 1024]).unwrap();
    let failures_before = warmline::media::stats::snapshot().recording_write_failures;

    let cfg = MediaConfig {
        udp_port_min: 43400,
        udp_port_max: 43499,
        ..MediaConfig::default()
    };
    let (sfu, mut call_events) = Sfu::new(cfg);
    let (sfu, mut tap) = sfu.with_recordings(mount.clone()).with_audio_tap(1_000);
    let sfu = Arc::new(sfu);
    sfu.set_recording_path("call-full", "c-full/call-full");
    let a = tokio::spawn(speaker(sfu.clone(), "call-full", "p-ana", 440.0, 250));
    let b = tokio::spawn(speaker(sfu.clone(), "call-full", "p-sam", 880.0, 250));
    a.await.unwrap();
    b.await.unwrap();

    let mut chunks = Vec::new();
    while let Ok(c) = tap.try_recv() {
        chunks.push(c);
    }
    for who in ["p-ana", "p-sam"] {
        let mine: Vec<_> = chunks
            .iter()
            .filter(|c| c.participant_id.0 == who)
            .collect();
        assert!(
            mine.len() >= 250 * 9 / 10,
            "{who}'s audio reached the tap to the end: {} of 250",
            mine.len()
        );
    }
    let failures = warmline::media::stats::snapshot().recording_write_failures - failures_before;
    assert!(failures > 0, "the disk refused writes");

    let files = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match call_events.recv().await {
                Some(CallEvent::Recorded { files, .. }) => return files,
                Some(_) => {}
                None => return Vec::new(),
            }
        }
    })
    .await
    .unwrap_or_default();
    eprintln!("{failures} refused writes; kept: {files:?}");
    let call_dir = mount.join("c-full/call-full");
    for f in &files {
        let bytes = std::fs::read(call_dir.join(&f.path)).expect("a reported file exists");
        let decoded = warmline::transcribe::audio::decode_bytes(&bytes)
            .unwrap_or_else(|e| panic!("{} is a valid Ogg prefix: {e}", f.path));
        let decoded_ms = decoded.samples.len() as u64 * 1000 / decoded.sample_rate as u64;
        assert!(
            decoded_ms.abs_diff(f.duration_ms) <= 100,
            "{}: reports {} ms, decodes to {decoded_ms} ms",
            f.path,
            f.duration_ms
        );
        assert!(f.duration_ms < 5_000, "{} was cut short", f.path);
    }
    // Files the disk refused from the start are not left behind half-written.
    if let Ok(entries) = std::fs::read_dir(&call_dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            assert!(
                files.iter().any(|f| f.path == name),
                "{name} is on disk but not reported"
            );
        }
    }
}
