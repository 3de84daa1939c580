//! One call's task: it owns the routing table (`room::Room`) and the members' tasks, turns what
//! happens into routing decisions, carries them out, and reports joins, leaves, media changes
//! and the end of the call.

use super::forward::Publication;
use super::member::{Member, MemberMsg};
use super::peer::{self, Ports};
use crate::domain::{MediaChange, MediaSource, ParticipantId};
use crate::media::record::CallRecorder;
use crate::media::room::{Room, RoomAction, TrackKey};
use crate::media::signal::{CallEvent, Outgoing, Signal};
use crate::media::{MediaConfig, MediaError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use tracing::{info, Instrument};

pub enum CallMsg {
    /// A browser's signal; the answer says whether it could be taken.
    Signal {
        member: ParticipantId,
        signal: Signal,
        out: mpsc::Sender<Outgoing>,
        reply: oneshot::Sender<Result<(), MediaError>>,
    },
    /// The member's signalling socket closed.
    Leave {
        member: ParticipantId,
        reason: &'static str,
    },
    /// From a member's task: a track of theirs arrived.
    Published {
        member: ParticipantId,
        source: MediaSource,
        publication: Arc<Publication>,
    },
    /// From a member's task: their connection failed or closed.
    Gone {
        member: ParticipantId,
        reason: &'static str,
    },
    /// The gateway is stopping (or the call is closed for another reason): everyone leaves with
    /// `reason` and the call ends with it.
    End { reason: &'static str },
}

pub struct Call {
    id: String,
    cfg: Arc<MediaConfig>,
    ports: Arc<Ports>,
    room: Room,
    members: HashMap<ParticipantId, mpsc::UnboundedSender<MemberMsg>>,
    publications: HashMap<TrackKey, Arc<Publication>>,
    events: mpsc::UnboundedSender<CallEvent>,
    me: mpsc::UnboundedSender<CallMsg>,
    registry: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<CallMsg>>>>,
    recorder: Option<Arc<CallRecorder>>,
}

/// Starts a call task and registers it; returns its inbox.
pub fn spawn(
    id: String,
    cfg: Arc<MediaConfig>,
    ports: Arc<Ports>,
    events: mpsc::UnboundedSender<CallEvent>,
    registry: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<CallMsg>>>>,
    recorder: Option<Arc<CallRecorder>>,
) -> mpsc::UnboundedSender<CallMsg> {
    let (tx, rx) = mpsc::unbounded_channel();
    let call = Call {
        id: id.clone(),
        cfg,
        ports,
        room: Room::new(rand::random::<u32>()),
        members: HashMap::new(),
        publications: HashMap::new(),
        events,
        me: tx.clone(),
        registry,
        recorder,
    };
    let span = tracing::info_span!("call", call_id = %id);
    tokio::spawn(call.run(rx).instrument(span));
    tx
}

impl Call {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<CallMsg>) {
        while let Some(msg) = rx.recv().await {
            let ended = match msg {
                CallMsg::Signal {
                    member,
                    signal,
                    out,
                    reply,
                } => {
                    let (result, ended) = self.signal(member, signal, out).await;
                    let _ = reply.send(result);
                    ended
                }
                CallMsg::Leave { member, reason } | CallMsg::Gone { member, reason } => {
                    self.leave(&member, reason)
                }
                CallMsg::End { reason } => {
                    self.end(reason);
                    true
                }
                CallMsg::Published {
                    member,
                    source,
                    publication,
                } => {
                    if self.room.is_member(&member) {
                        self.publications
                            .insert(publication.key.clone(), publication);
                        let actions = self.room.publish(&member, source);
                        self.event_media(&member, source, MediaChange::Started);
                        self.apply(actions)
                    } else {
                        false
                    }
                }
            };
            if ended {
                break;
            }
        }
        // Deregister before the last messages are dropped, so a new offer starts a new task.
        self.registry
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
        for m in self.members.values() {
            let _ = m.send(MemberMsg::Close);
        }
        // The files are final once the members' connections (and so the forward loops) end.
        match &self.recorder {
            Some(r) => r.finish(self.events.clone()),
            None => {
                let _ = self.events.send(CallEvent::Settled {
                    call_id: self.id.clone(),
                });
            }
        }
        info!("call closed");
    }

    fn event_media(&self, member: &ParticipantId, source: MediaSource, change: MediaChange) {
        let _ = self.events.send(CallEvent::Media {
            call_id: self.id.clone(),
            member: member.clone(),
            source,
            change,
        });
    }

    /// Handles a browser signal; the bool says whether the call ended.
    async fn signal(
        &mut self,
        member: ParticipantId,
        signal: Signal,
        out: mpsc::Sender<Outgoing>,
    ) -> (Result<(), MediaError>, bool) {
        if !self.room.is_member(&member) {
            if !matches!(signal, Signal::Offer { .. }) {
                return (Err(MediaError::NotInCall), self.room.is_empty());
            }
            if self.members.len() >= self.cfg.max_call_members {
                return (
                    Err(MediaError::CallFull(self.cfg.max_call_members)),
                    self.room.is_empty(),
                );
            }
            // A broken first offer must not leave a half-joined member behind.
            if let Signal::Offer { sdp, .. } = &signal {
                if let Err(e) = webrtc::peer_connection::RTCSessionDescription::offer(sdp.clone()) {
                    return (Err(MediaError::BadSdp(e.to_string())), self.room.is_empty());
                }
            }
            if let Err(e) = self.admit(&member, out.clone()).await {
                return (Err(e), self.room.is_empty());
            }
        }
        match signal {
            Signal::Hangup => {
                if let Some(m) = self.members.get(&member) {
                    let _ = m.send(MemberMsg::Close);
                }
                (Ok(()), self.leave(&member, "hangup"))
            }
            Signal::Media { source, change } => {
                let mut ended = false;
                if change == MediaChange::Stopped {
                    let actions = self.room.unpublish(&member, source);
                    self.publications.remove(&TrackKey {
                        publisher: member.clone(),
                        source,
                    });
                    ended = self.apply(actions);
                }
                self.event_media(&member, source, change);
                (Ok(()), ended)
            }
            other => {
                if let Some(m) = self.members.get(&member) {
                    let _ = m.send(MemberMsg::Signal { signal: other, out });
                }
                (Ok(()), false)
            }
        }
    }

    /// A new member: their connection, their task, and everything already published.
    async fn admit(
        &mut self,
        member: &ParticipantId,
        out: mpsc::Sender<Outgoing>,
    ) -> Result<(), MediaError> {
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let pc = peer::build(&self.cfg, &self.ports, events_tx)
            .await
            .map_err(MediaError::Setup)?;
        let (tx, rx) = mpsc::unbounded_channel();
        let public_ip = self.cfg.public_ip.map(|ip| ip.to_string());
        let task = Member::new(
            member.clone(),
            pc,
            out,
            self.me.clone(),
            public_ip,
            self.recorder.clone(),
        );
        tokio::spawn(
            task.run(rx, events_rx)
                .instrument(tracing::info_span!("member", member = %member)),
        );
        self.members.insert(member.clone(), tx);
        info!(member = %member, "joined");
        let _ = self.events.send(CallEvent::Joined {
            call_id: self.id.clone(),
            member: member.clone(),
        });
        let actions = self.room.join(member.clone());
        self.apply(actions);
        Ok(())
    }

    /// The member is gone; the bool says whether that ended the call.
    fn leave(&mut self, member: &ParticipantId, reason: &'static str) -> bool {
        let Some(tx) = self.members.remove(member) else {
            return self.room.is_empty();
        };
        let _ = tx.send(MemberMsg::Close);
        for p in self.publications.values() {
            p.remove(member);
        }
        self.publications.retain(|k, _| &k.publisher != member);
        info!(member = %member, reason, "left");
        let _ = self.events.send(CallEvent::Left {
            call_id: self.id.clone(),
            member: member.clone(),
            reason,
        });
        let actions = self.room.leave(member);
        self.apply(actions)
    }

    /// Everyone leaves with `reason`, and the call ends with it.
    fn end(&mut self, reason: &'static str) {
        let members: Vec<ParticipantId> = self.members.keys().cloned().collect();
        for member in members {
            if let Some(tx) = self.members.remove(&member) {
                let _ = tx.send(MemberMsg::Close);
            }
            let _ = self.events.send(CallEvent::Left {
                call_id: self.id.clone(),
                member,
                reason,
            });
        }
        self.publications.clear();
        info!(reason, "call ended by the gateway");
        let _ = self.events.send(CallEvent::Ended {
            call_id: self.id.clone(),
            reason,
        });
    }

    /// Carries out routing decisions; the bool says whether the call ended.
    fn apply(&mut self, actions: Vec<RoomAction>) -> bool {
        let mut ended = false;
        for a in actions {
            match a {
                RoomAction::AddForward {
                    subscriber,
                    key,
                    ssrc,
                } => {
                    if let (Some(m), Some(p)) =
                        (self.members.get(&subscriber), self.publications.get(&key))
                    {
                        let _ = m.send(MemberMsg::Subscribe {
                            publication: p.clone(),
                            ssrc,
                        });
                    }
                }
                RoomAction::RemoveForward {
                    subscriber, key, ..
                } => {
                    if let Some(p) = self.publications.get(&key) {
                        p.remove(&subscriber);
                    }
                    if let Some(m) = self.members.get(&subscriber) {
                        let _ = m.send(MemberMsg::Unsubscribe(key));
                    }
                }
                RoomAction::Renegotiate { member } => {
                    if let Some(m) = self.members.get(&member) {
                        let _ = m.send(MemberMsg::Negotiate);
                    }
                }
                // Asked by the subscriber's task once its forwarded track is negotiated and
                // connected: a keyframe sent earlier would be lost before it can be forwarded.
                RoomAction::RequestKeyframe { .. } => {}
                RoomAction::End => {
                    ended = true;
                    let _ = self.events.send(CallEvent::Ended {
                        call_id: self.id.clone(),
                        reason: "everyone_left",
                    });
                }
            }
        }
        ended
    }
}
