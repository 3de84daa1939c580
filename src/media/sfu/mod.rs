//! The media server on `webrtc` 0.21 (pinned with `rtc` 0.21): one task per call (`call`) and
//! one per member (`member`), forwarding with per-subscriber rewriting (`forward`), connection
//! setup (`peer`) and keyframe-request delivery (`keyframes`). Routing and negotiation decisions
//! come from the sans-IO `room` and `negotiation` modules.

mod call;
mod forward;
mod keyframes;
mod member;
mod peer;

use super::server::{MediaError, MediaServer};
use super::signal::{CallEvent, Outgoing, Signal};
use super::MediaConfig;
use crate::domain::ParticipantId;
use async_trait::async_trait;
use call::CallMsg;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

pub struct Sfu {
    cfg: Arc<MediaConfig>,
    ports: Arc<peer::Ports>,
    calls: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<CallMsg>>>>,
    events: mpsc::UnboundedSender<CallEvent>,
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
            },
            rx,
        )
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
}
