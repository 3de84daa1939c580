//! The media server on `webrtc` 0.21 (pinned with `rtc` 0.21): one task per call (`call`) and
//! one per member (`member`), forwarding with per-subscriber rewriting (`forward`), connection
//! setup (`peer`) and keyframe-request delivery (`keyframes`). Routing and negotiation decisions
//! come from the sans-IO `room` and `negotiation` modules.

mod call;
mod forward;
mod keyframes;
mod member;
mod peer;

use super::record::CallRecorder;
use super::server::{MediaError, MediaServer};
use super::signal::{AudioChunk, CallEvent, Outgoing, Signal};
use super::MediaConfig;
use crate::domain::ParticipantId;
use async_trait::async_trait;
use call::CallMsg;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// The forwarder's packet handling, for the fuzz targets (`src/fuzz.rs`).
#[cfg(test)]
pub(crate) fn fuzz_out_map() -> forward::OutMap {
    forward::OutMap {
        payload_type: 96,
        ext: HashMap::from([(4u8, 1u8), (3u8, 2u8)]),
        mid: Some((1, bytes::Bytes::from_static(b"0"))),
    }
}

#[cfg(test)]
pub(crate) fn fuzz_rewrite(pkt: &mut rtc::rtp::Packet, ssrc: u32, map: &forward::OutMap) {
    forward::rewrite(pkt, ssrc, map)
}

#[cfg(test)]
pub(crate) fn fuzz_is_keyframe_request(p: &dyn rtc::rtcp::Packet) -> bool {
    keyframes::is_keyframe_request(p)
}

/// Recording paths kept for calls that have not had their first offer yet.
const MAX_PENDING_PATHS: usize = 4096;

pub struct Sfu {
    cfg: Arc<MediaConfig>,
    ports: Arc<peer::Ports>,
    calls: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<CallMsg>>>>,
    events: mpsc::UnboundedSender<CallEvent>,
    /// Where calls are recorded (`None`: not recorded).
    recordings: Option<PathBuf>,
    /// Call id -> its recording directory below `recordings`.
    paths: Mutex<HashMap<String, PathBuf>>,
    audio_tap: Option<mpsc::Sender<AudioChunk>>,
}

impl Sfu {
    /// A media server reporting call events on the returned channel.
    pub fn new(cfg: MediaConfig) -> (Self, mpsc::UnboundedReceiver<CallEvent>) {
        let (events, rx) = mpsc::unbounded_channel();
        (
            Self {
                cfg: Arc::new(cfg),
                ports: Arc::new(peer::Ports::default()),
                calls: Arc::new(Mutex::new(HashMap::new())),
                events,
                recordings: None,
                paths: Mutex::new(HashMap::new()),
                audio_tap: None,
            },
            rx,
        )
    }

    /// Records calls under `dir` when `[media] recording` is on.
    pub fn with_recordings(mut self, dir: PathBuf) -> Self {
        self.recordings = self.cfg.recording.then_some(dir);
        self
    }

    /// Every call member's decoded audio (48 kHz mono), for transcription, on a channel of
    /// `capacity` chunks (20 ms each); when it is full chunks are dropped and counted.
    pub fn with_audio_tap(mut self, capacity: usize) -> (Self, mpsc::Receiver<AudioChunk>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        self.audio_tap = Some(tx);
        (self, rx)
    }

    fn recorder(&self, call_id: &str) -> Option<Arc<CallRecorder>> {
        let relative = self
            .paths
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(call_id)
            .unwrap_or_else(|| PathBuf::from(call_id));
        let dir = self.recordings.as_ref().map(|r| r.join(relative));
        CallRecorder::new(call_id.to_owned(), dir, self.audio_tap.clone())
    }

    /// Calls with a task right now.
    pub fn live_calls(&self) -> usize {
        self.calls.lock().map(|c| c.len()).unwrap_or(0)
    }
}

#[async_trait]
impl MediaServer for Sfu {
    async fn signal(
        &self,
        call_id: &str,
        member: &ParticipantId,
        signal: Signal,
        out: mpsc::Sender<Outgoing>,
    ) -> Result<(), MediaError> {
        let tx = {
            let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
            match calls.get(call_id) {
                Some(tx) if !tx.is_closed() => tx.clone(),
                _ if matches!(signal, Signal::Offer { .. }) => {
                    let tx = call::spawn(
                        call_id.to_owned(),
                        self.cfg.clone(),
                        self.ports.clone(),
                        self.events.clone(),
                        self.calls.clone(),
                        self.recorder(call_id),
                    );
                    calls.insert(call_id.to_owned(), tx.clone());
                    tx
                }
                _ => return Err(MediaError::NotInCall),
            }
        };
        let (reply, answer) = oneshot::channel();
        tx.send(CallMsg::Signal {
            member: member.clone(),
            signal,
            out,
            reply,
        })
        .map_err(|_| MediaError::Closed)?;
        answer.await.map_err(|_| MediaError::Closed)?
    }

    async fn leave(&self, call_id: &str, member: &ParticipantId, reason: &'static str) {
        let tx = self
            .calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(call_id)
            .cloned();
        if let Some(tx) = tx {
            let _ = tx.send(CallMsg::Leave {
                member: member.clone(),
                reason,
            });
        }
    }

    async fn end_all(&self, reason: &'static str) {
        let calls: Vec<_> = self
            .calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        for tx in calls {
            let _ = tx.send(CallMsg::End { reason });
        }
    }

    fn set_recording_path(&self, call_id: &str, relative: &str) {
        // Only plain segments: the path comes from ids the gateway made, but stays below the
        // recordings directory whatever it holds.
        let path: PathBuf = relative
            .split('/')
            .filter(|s| super::record::layout::is_plain_name(s))
            .collect();
        if path.as_os_str().is_empty() {
            return;
        }
        let mut paths = self.paths.lock().unwrap_or_else(|p| p.into_inner());
        // Calls started but never joined leave their entry behind; keep that bounded (a call
        // whose entry is lost records under `<callId>`).
        if paths.len() >= MAX_PENDING_PATHS {
            paths.clear();
        }
        paths.insert(call_id.to_owned(), path);
    }
}
