//! Call recording and the audio tap for transcription.
//!
//! Contract:
//! - Every published track is tapped by its forward loop with `try_send` into a bounded queue
//!   (`TAP_QUEUE`); a full queue drops the packet (counted on the publication). Recording never
//!   delays forwarding.
//! - Each tapped track has its own thread (file writes and codec work block): microphones are
//!   written as Ogg/Opus, cameras and screens as WebM (VP8), to
//!   `<recordings>/<conversationId>/<callId>/` with the names of `layout`. Microphones are also
//!   decoded to 48 kHz mono PCM once, which feeds both the call's mixer thread (one `mixed.ogg`
//!   per call, 20 ms frames on the call clock, silence where nobody speaks) and the audio tap
//!   (`AudioChunk`s on a bounded channel; full means dropped and counted).
//! - Positions are on the call clock: milliseconds since the media server started the call
//!   (`clock::TrackClock`). Each file's `offsetMs` is where its first sample sits on that clock.
//! - When the call ends the files are finalised (Ogg end of stream; WebM cues and duration) and
//!   reported once as `CallEvent::Recorded`, then `CallEvent::Settled` (also sent when nothing
//!   was recorded), after which nothing more comes for the call.
//! - A disk that refuses a write (full, failing) ends that file early and cleanly: Ogg pages
//!   reach the file in whole commits about once a second (`page_file`), so the file is cut back
//!   to its last whole commit and reported with the duration it holds (removed if it holds
//!   none); a video file cut mid-cluster is removed. Each refusal is logged and counted
//!   (`stats::RECORDING_WRITE_FAILURES`); forwarding, the mixer and the audio tap go on.
//! - With recording off (`[media] recording = false`) no file is written; the audio tap still
//!   runs when one is attached.

pub mod clock;
pub mod layout;
pub mod mixer;
pub mod ogg;
mod page_file;
mod track;
pub mod webm;

use super::signal::{AudioChunk, CallEvent};
use crate::domain::{MediaSource, ParticipantId, RecordingFile, Timestamp};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc as sync_mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;
use tokio::sync::mpsc;
use tracing::{info, warn};

/// Packets queued per tapped track before the forward loop drops them.
pub const TAP_QUEUE: usize = 1024;
/// Decoded chunks queued towards the mixer before a track's thread waits.
const MIX_QUEUE: usize = 512;

/// What can go wrong recording.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("recording file: {0}")]
    Io(#[from] std::io::Error),
    #[error("codec: {0}")]
    Codec(String),
    #[error("webm: {0}")]
    Mux(String),
}

impl RecordError {
    fn codec(e: impl std::fmt::Display) -> Self {
        Self::Codec(e.to_string())
    }

    fn mux(e: impl std::fmt::Debug) -> Self {
        Self::Mux(format!("{e:?}"))
    }
}

/// Decoded audio on its way to the mixer: `pcm` starts at sample `at` of the call.
struct MixIn {
    at: u64,
    pcm: Vec<i16>,
}

type Finished = Result<Option<RecordingFile>, RecordError>;

#[derive(Default)]
struct State {
    names: layout::Names,
    tracks: Vec<JoinHandle<Finished>>,
    mixer: Option<(sync_mpsc::SyncSender<MixIn>, JoinHandle<Finished>)>,
    finished: bool,
}

/// One call's recorder; shared by the call's task and its members' tasks.
pub struct CallRecorder {
    call_id: String,
    /// The call's directory, when recording is on.
    dir: Option<PathBuf>,
    audio_tap: Option<mpsc::Sender<AudioChunk>>,
    started: Instant,
    /// `started` on the wall clock.
    started_at: Timestamp,
    state: Mutex<State>,
    /// Chunks the audio tap dropped because its channel was full.
    pub chunks_dropped: Arc<AtomicU64>,
}

impl CallRecorder {
    /// A recorder for a call that started now; `None` when there is nothing to do (no
    /// recording directory, no audio tap).
    pub fn new(
        call_id: String,
        dir: Option<PathBuf>,
        audio_tap: Option<mpsc::Sender<AudioChunk>>,
    ) -> Option<Arc<Self>> {
        if dir.is_none() && audio_tap.is_none() {
            return None;
        }
        Some(Arc::new(Self {
            call_id,
            dir,
            audio_tap,
            started: Instant::now(),
            started_at: chrono::Utc::now(),
            state: Mutex::new(State::default()),
            chunks_dropped: Arc::new(AtomicU64::new(0)),
        }))
    }

    /// Whether files are written.
    pub fn records(&self) -> bool {
        self.dir.is_some()
    }

    /// A tap for a track `member` publishes with codec `mime`: the forward loop `try_send`s every
    /// packet into it. `None` for tracks that are neither recorded nor transcribed.
    pub fn tap(
        &self,
        member: &ParticipantId,
        source: MediaSource,
        mime: &str,
    ) -> Option<mpsc::Sender<rtc::rtp::Packet>> {
        let audio = mime.eq_ignore_ascii_case("audio/opus");
        let video = mime.eq_ignore_ascii_case("video/vp8");
        if !(audio || video && self.dir.is_some()) {
            return None;
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.finished {
            return None;
        }
        let name = state.names.next(member, source);
        let mixer = if audio && self.dir.is_some() {
            self.mixer(&mut state)
        } else {
            None
        };
        let (tx, rx) = mpsc::channel(TAP_QUEUE);
        let ctx = track::Track {
            call_id: self.call_id.clone(),
            member: member.clone(),
            source,
            file: self.dir.as_ref().map(|d| (d.clone(), name)),
            started: self.started,
            mixer,
            audio_tap: self.audio_tap.clone(),
            chunks_dropped: self.chunks_dropped.clone(),
        };
        let spawned = std::thread::Builder::new()
            .name(format!("rec-{}", source.as_str()))
            .spawn(move || {
                if audio {
                    track::audio(rx, ctx)
                } else {
                    track::video(rx, ctx)
                }
            });
        match spawned {
            Ok(handle) => {
                state.tracks.push(handle);
                Some(tx)
            }
            Err(e) => {
                warn!(error = %e, "recorder thread not started");
                None
            }
        }
    }

    /// The call's mixer thread, started with the first microphone.
    fn mixer(&self, state: &mut State) -> Option<sync_mpsc::SyncSender<MixIn>> {
        if let Some((tx, _)) = &state.mixer {
            return Some(tx.clone());
        }
        let dir = self.dir.clone()?;
        let (tx, rx) = sync_mpsc::sync_channel(MIX_QUEUE);
        let started = self.started;
        let handle = std::thread::Builder::new()
            .name("rec-mixer".into())
            .spawn(move || track::mix(rx, dir, started))
            .ok()?;
        state.mixer = Some((tx.clone(), handle));
        Some(tx)
    }

    /// The call ended: once every track's forward loop has ended (their taps closed), finalise
    /// the files and report them on `events`. Runs on its own thread; called once.
    pub fn finish(&self, events: mpsc::UnboundedSender<CallEvent>) {
        let (tracks, mixer) = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if state.finished {
                return;
            }
            state.finished = true;
            (std::mem::take(&mut state.tracks), state.mixer.take())
        };
        let call_id = self.call_id.clone();
        if self.dir.is_none() {
            let _ = events.send(CallEvent::Settled { call_id });
            return;
        }
        let events_for_failure = events.clone();
        let chunks_dropped = self.chunks_dropped.clone();
        let clock_started_at = self.started_at;
        let spawned = std::thread::Builder::new()
            .name("rec-finish".into())
            .spawn(move || {
                let mut files = Vec::new();
                let mut collect = |r: std::thread::Result<Finished>| match r {
                    Ok(Ok(Some(f))) => files.push(f),
                    Ok(Ok(None)) => {}
                    Ok(Err(e)) => warn!(call_id, error = %e, "a recording failed"),
                    Err(_) => warn!(call_id, "a recorder thread panicked"),
                };
                for t in tracks {
                    collect(t.join());
                }
                if let Some((tx, handle)) = mixer {
                    // The tracks' senders are gone with their threads; this was the last one.
                    drop(tx);
                    collect(handle.join());
                }
                info!(
                    call_id,
                    files = files.len(),
                    audio_chunks_dropped = chunks_dropped.load(Ordering::Relaxed),
                    "recording finished"
                );
                if !files.is_empty() {
                    let _ = events.send(CallEvent::Recorded {
                        call_id: call_id.clone(),
                        clock_started_at,
                        files,
                    });
                }
                let _ = events.send(CallEvent::Settled { call_id });
            });
        if let Err(e) = spawned {
            warn!(error = %e, "recording not finalised");
            let _ = events_for_failure.send(CallEvent::Settled {
                call_id: self.call_id.clone(),
            });
        }
    }

    /// Chunks the audio tap dropped so far.
    pub fn audio_chunks_dropped(&self) -> u64 {
        self.chunks_dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// `n` 20 ms Opus packets of a `hz` tone, as RTP with timestamps from `ts0`.
    fn tone(hz: f32, n: usize, ts0: u32) -> Vec<rtc::rtp::Packet> {
        let mut enc =
            opus::Encoder::new(48_000, opus::Channels::Mono, opus::Application::Voip).unwrap();
        let mut out = vec![0u8; 4000];
        (0..n)
            .map(|i| {
                let pcm: Vec<i16> = (0..960)
                    .map(|k| {
                        let t = (i * 960 + k) as f32 / 48_000.0;
                        ((t * hz * std::f32::consts::TAU).sin() * 8_000.0) as i16
                    })
                    .collect();
                let len = enc.encode(&pcm, &mut out).unwrap();
                let mut p = rtc::rtp::Packet::default();
                p.header.timestamp = ts0.wrapping_add((i * 960) as u32);
                p.header.sequence_number = i as u16;
                p.payload = bytes::Bytes::copy_from_slice(&out[..len]);
                p
            })
            .collect()
    }

    #[tokio::test]
    async fn microphones_are_recorded_mixed_on_the_call_clock_and_tapped_for_transcription() {
        let dir = tempfile::tempdir().unwrap();
        let (tap_tx, mut tap_rx) = mpsc::channel(1000);
        let rec = CallRecorder::new(
            "call-1".into(),
            Some(dir.path().join("c/call-1")),
            Some(tap_tx),
        )
        .unwrap();
        let (a, b) = (ParticipantId("p-a".into()), ParticipantId("p-b".into()));
        let ta = rec.tap(&a, MediaSource::Microphone, "audio/opus").unwrap();
        // Timestamps near the wrap: the clock unwraps them.
        for p in tone(440.0, 50, u32::MAX - 10_000) {
            ta.send(p).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let tb = rec.tap(&b, MediaSource::Microphone, "audio/opus").unwrap();
        let mut packets = tone(880.0, 25, 7);
        // A duplicate and a reordered packet are skipped.
        packets.insert(5, packets[4].clone());
        packets.swap(10, 11);
        for p in packets {
            tb.send(p).await.unwrap();
        }
        assert!(rec.tap(&b, MediaSource::Camera, "video/H264").is_none());
        drop((ta, tb));
        let (events_tx, mut events_rx) = mpsc::unbounded_channel();
        rec.finish(events_tx);
        let event = tokio::time::timeout(Duration::from_secs(10), events_rx.recv())
            .await
            .unwrap()
            .unwrap();
        let CallEvent::Recorded {
            call_id, mut files, ..
        } = event
        else {
            panic!("{event:?}")
        };
        assert_eq!(call_id, "call-1");
        files.sort_by(|x, y| x.path.cmp(&y.path));
        let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            names,
            ["mixed.ogg", "p-a-microphone.ogg", "p-b-microphone.ogg"]
        );
        let (mixed, fa, fb) = (&files[0], &files[1], &files[2]);
        // B lost one packet to reordering: a gap, not a shorter file.
        assert_eq!((fa.duration_ms, fb.duration_ms), (1_000, 500));
        assert!(fa.offset_ms < 100, "{fa:?}");
        assert!((280..450).contains(&fb.offset_ms), "{fb:?}");
        assert_eq!(mixed.offset_ms, 0);
        assert!(
            mixed.duration_ms >= fb.offset_ms + fb.duration_ms,
            "{mixed:?}"
        );
        assert_eq!(mixed.mime, "audio/ogg");
        for f in &files {
            let bytes = std::fs::read(dir.path().join("c/call-1").join(&f.path)).unwrap();
            assert_eq!(&bytes[..4], b"OggS", "{}", f.path);
        }

        // The tap: every decoded packet, per speaker, on the call clock.
        let mut chunks = Vec::new();
        while let Ok(c) = tap_rx.try_recv() {
            chunks.push(c);
        }
        let of = |p: &ParticipantId| -> Vec<AudioChunk> {
            chunks
                .iter()
                .filter(|c| &c.participant_id == p)
                .cloned()
                .collect()
        };
        let (ca, cb) = (of(&a), of(&b));
        assert_eq!((ca.len(), cb.len()), (50, 24));
        assert!(ca
            .iter()
            .all(|c| c.samples.len() == 960 && c.call_id == "call-1"));
        assert_eq!(ca[1].start_ms - ca[0].start_ms, 20);
        assert_eq!(ca[0].start_ms, fa.offset_ms);
        assert_eq!(cb[0].start_ms, fb.offset_ms);
        assert_eq!(cb.last().unwrap().end_ms(), fb.offset_ms + fb.duration_ms);
        assert!(cb.iter().any(|c| c.samples.iter().any(|s| s.abs() > 2_000)));
        assert_eq!(rec.audio_chunks_dropped(), 0);
    }

    #[tokio::test]
    async fn a_full_audio_tap_drops_and_counts_and_without_a_directory_nothing_is_written() {
        let (tap_tx, _keep) = mpsc::channel(4);
        let rec = CallRecorder::new("call-2".into(), None, Some(tap_tx)).unwrap();
        assert!(!rec.records());
        let p = ParticipantId("p-a".into());
        assert!(rec.tap(&p, MediaSource::Camera, "video/VP8").is_none());
        let t = rec.tap(&p, MediaSource::Microphone, "audio/opus").unwrap();
        for pkt in tone(300.0, 10, 0) {
            t.send(pkt).await.unwrap();
        }
        drop(t);
        let (events_tx, mut events_rx) = mpsc::unbounded_channel();
        rec.finish(events_tx);
        for _ in 0..100 {
            if rec.audio_chunks_dropped() == 6 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(rec.audio_chunks_dropped(), 6);
        // Nothing recorded, nothing reported: only that the call is settled.
        assert!(
            matches!(events_rx.try_recv(), Ok(CallEvent::Settled { .. })),
            "settled"
        );
        assert!(events_rx.try_recv().is_err(), "nothing recorded reported");
        assert!(CallRecorder::new("call-3".into(), None, None).is_none());
    }
}
