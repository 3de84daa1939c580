//! Calls in conversations, wired: starting a call (an event in the conversation), carrying each
//! member's WebRTC signalling between their socket and the media server, and writing what the
//! media server reports (joins, leaves, mutes, screen shares, the end) into the timeline.
//!
//! Contract:
//! - Only the conversation's customer and the agents in it take part (`Principal::may_join_call`);
//!   a member is the caller's participant in the conversation.
//! - One live call per conversation; `call_start` returns the live one if there is one.
//! - Calls a customer starts while no agent is in the conversation are capped
//!   (`[media] max_calls_without_agent`): each holds a media port, and anonymous callers must not
//!   fill the range for callers with an agent. TURN credentials (relay bandwidth) go only to the
//!   agents and to customers whose conversation has an agent or a handoff under way.
//! - A member's signalling rides on one socket: when it closes, they leave the call (`dropped`).
//! - A started call nobody joins within `[media] unjoined_call_secs` ends (`nobody_joined`).
//! - Live calls do not survive a restart: they are ended with reason `gateway_restart` at start.
//! - When recording is on, the files the media server reports after a call's end are written as
//!   the staff-only `recording_ready` event of that call's conversation.
//! - With transcription on, it is told when a call starts (which conversation its lines belong
//!   to, the customer's name for the prompt), ends, and has its recording ready (the after-call
//!   transcript).

use crate::chat::protocol::IceCandidate;
use crate::chat::{ClientFrame, ServerFrame};
use crate::domain::{
    CallOrigin, ConversationHeader, ConversationId, ConversationStatus, EventBody, MediaChange,
    MediaSource, ParticipantId, ParticipantKind, Principal,
};
use crate::media::signal::{CallEvent, Candidate, Outgoing, Signal};
use crate::media::{ice, MediaConfig, MediaServer};
use crate::service::tasks::{stopped, until_stopped, Tasks};
use crate::service::ServiceError;
use crate::storage::journal::Journal;
use crate::storage::{Store, WriteOp};
use chrono::Utc;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

/// Signals queued towards one browser before the media server waits.
const OUT_QUEUE: usize = 256;
/// Longest SDP accepted from a browser, in bytes.
const MAX_SDP: usize = 64 * 1024;

pub struct Calls {
    media: Option<Arc<dyn MediaServer>>,
    config: MediaConfig,
    journal: Journal,
    /// call id -> conversation.
    index: Mutex<HashMap<String, ConversationId>>,
    /// Ended calls whose recording is still being finalised: call id -> conversation.
    ended: Mutex<HashMap<String, ConversationId>>,
    /// Ended calls the media server has not yet reported settled (recording finalised and
    /// reported): shutdown waits for these.
    settling: Mutex<std::collections::HashSet<String>>,
    /// connection -> the calls it signals for, as which member.
    sockets: Mutex<HashMap<u64, Vec<(String, ParticipantId)>>>,
    /// (connection, call) -> the ordered channel of signals back to that browser.
    outs: Mutex<HashMap<(u64, String), mpsc::Sender<Outgoing>>>,
    /// Serialises call starts so two presses make one call.
    starting: tokio::sync::Mutex<()>,
    /// Calls someone joined (they end when the last one leaves, not by the unjoined timeout).
    joined: Mutex<std::collections::HashSet<String>>,
    /// Live calls a customer started while no agent was in the conversation.
    without_agent: Mutex<std::collections::HashSet<String>>,
    /// Told about calls starting, ending and their recordings, when transcription is on.
    transcription: std::sync::OnceLock<Arc<super::transcription::Transcription>>,
    /// Where the call events, the signal relays and the unjoined-call timers run.
    tasks: Arc<Tasks>,
    /// Turns true when the gateway shuts down (after `shutdown` has ended the calls).
    stop: watch::Receiver<bool>,
}

/// The caller's participant in the conversation.
fn member_of(who: &Principal, header: &ConversationHeader) -> Option<ParticipantId> {
    match who {
        Principal::Customer { .. } => header
            .participants
            .iter()
            .find(|p| p.kind == ParticipantKind::Customer)
            .map(|p| p.id.clone()),
        Principal::Staff(user) => header
            .participants
            .iter()
            .rev()
            .find(|p| p.user_id.as_ref() == Some(&user.id) && p.left_at.is_none())
            .map(|p| p.id.clone()),
        Principal::Bot { .. } => None,
    }
}

fn to_candidate(c: IceCandidate) -> Candidate {
    Candidate {
        candidate: c.candidate,
        sdp_mid: c.sdp_mid,
        sdp_m_line_index: c.sdp_m_line_index,
        username_fragment: c.username_fragment,
    }
}

fn from_candidate(c: Candidate) -> IceCandidate {
    IceCandidate {
        candidate: c.candidate,
        sdp_mid: c.sdp_mid,
        sdp_m_line_index: c.sdp_m_line_index,
        username_fragment: c.username_fragment,
    }
}

fn check_sdp(sdp: &str) -> Result<(), ServiceError> {
    if sdp.is_empty() || sdp.len() > MAX_SDP {
        return Err(ServiceError::Invalid(format!(
            "sdp must be 1-{MAX_SDP} bytes"
        )));
    }
    Ok(())
}

impl Calls {
    pub fn new(
        media: Option<Arc<dyn MediaServer>>,
        config: MediaConfig,
        journal: Journal,
        tasks: Arc<Tasks>,
        stop: watch::Receiver<bool>,
    ) -> Self {
        Self {
            media,
            config,
            journal,
            tasks,
            stop,
            index: Mutex::new(HashMap::new()),
            ended: Mutex::new(HashMap::new()),
            settling: Mutex::new(std::collections::HashSet::new()),
            sockets: Mutex::new(HashMap::new()),
            outs: Mutex::new(HashMap::new()),
            starting: tokio::sync::Mutex::new(()),
            joined: Mutex::new(std::collections::HashSet::new()),
            without_agent: Mutex::new(std::collections::HashSet::new()),
            transcription: std::sync::OnceLock::new(),
        }
    }

    /// Writes what the media server reports (`events`, in its order) into the timelines, on the
    /// tracked tasks. Runs until the gateway stops; what is already reported then is still
    /// written (`shutdown` has waited for the calls to settle by that time).
    pub fn record_events(
        self: &Arc<Self>,
        store: Arc<dyn Store>,
        mut events: mpsc::UnboundedReceiver<CallEvent>,
    ) {
        let this = self.clone();
        let mut stop = self.stop.clone();
        self.tasks.spawn("call events", async move {
            loop {
                tokio::select! {
                    biased;
                    () = stopped(&mut stop) => break,
                    event = events.recv() => match event {
                        Some(event) => this.record(&*store, event).await,
                        None => return,
                    },
                }
            }
            for _ in 0..events.len() {
                let Ok(event) = events.try_recv() else { break };
                this.record(&*store, event).await;
            }
        });
    }

    /// Calls are transcribed from now on.
    pub fn set_transcription(&self, t: Arc<super::transcription::Transcription>) {
        let _ = self.transcription.set(t);
    }

    /// Whether calls are recorded (`[media] recording`); members are told.
    fn recorded(&self) -> bool {
        self.media.is_some() && self.config.recording
    }

    fn media(&self) -> Result<&Arc<dyn MediaServer>, ServiceError> {
        self.media.as_ref().ok_or_else(|| {
            ServiceError::Forbidden("calls are turned off on this gateway ([media] enabled)".into())
        })
    }

    async fn write(&self, id: &ConversationId, body: EventBody) -> Result<(), ServiceError> {
        let op = WriteOp::Append {
            conversation_id: id.clone(),
            body,
            client_id: None,
            at: Utc::now(),
        };
        self.journal.write(op).await?;
        Ok(())
    }

    /// `call_start`: the live call of the conversation, started now if there is none.
    /// `escalating`: the caller is escalating the conversation because of this call (a person is
    /// on the way, so the customer gets relay credentials like everyone the call is for).
    pub async fn start(
        self: &Arc<Self>,
        who: &Principal,
        header: &ConversationHeader,
        escalating: bool,
    ) -> Result<ServerFrame, ServiceError> {
        self.media()?;
        if !who.may_join_call(header) {
            return Err(ServiceError::Forbidden(
                "only the customer and the agents in the conversation take part in its call".into(),
            ));
        }
        if header.status == ConversationStatus::Resolved {
            return Err(ServiceError::Conflict(
                "the conversation is resolved".into(),
            ));
        }
        let _one_at_a_time = self.starting.lock().await;
        let conversation = header.conversation_id.clone();
        let live = {
            let index = self.index.lock().unwrap_or_else(|p| p.into_inner());
            index
                .iter()
                .find(|(_, c)| **c == conversation)
                .map(|(call, _)| call.clone())
        };
        let customer = matches!(who, Principal::Customer { .. });
        let has_agent = header.active_agents().next().is_some();
        let call_id = match live.or_else(|| header.live_call().map(|c| c.call_id.clone())) {
            Some(call_id) => call_id,
            None if customer && !has_agent && !self.room_without_agent() => {
                return Err(ServiceError::RateLimited(
                    "many calls are waiting for a person right now; keep chatting here and start the call when a specialist has joined".into(),
                ));
            }
            None => {
                let call_id = format!("call-{}", uuid::Uuid::now_v7());
                let origin = match who {
                    Principal::Customer { .. }
                        if header
                            .escalation
                            .as_ref()
                            .is_some_and(|e| e.trigger == "call_request") =>
                    {
                        CallOrigin::Handoff
                    }
                    Principal::Customer { .. } => CallOrigin::Customer,
                    _ => CallOrigin::Agent,
                };
                self.write(
                    &conversation,
                    EventBody::CallStarted {
                        call_id: call_id.clone(),
                        origin,
                        recorded: self.recorded(),
                    },
                )
                .await?;
                if let Some(media) = &self.media {
                    media.set_recording_path(&call_id, &format!("{conversation}/{call_id}"));
                }
                info!(conversation_id = %conversation, call_id, "call started");
                self.end_if_nobody_joins(&call_id, &conversation);
                call_id
            }
        };
        self.index
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(call_id.clone(), conversation.clone());
        {
            let mut waiting = self.without_agent.lock().unwrap_or_else(|p| p.into_inner());
            if has_agent {
                waiting.remove(&call_id);
            } else if customer {
                waiting.insert(call_id.clone());
            }
        }
        if let Some(t) = self.transcription.get() {
            t.call_started(&call_id, header);
        }
        let user = match who {
            Principal::Staff(u) => u.id.to_string(),
            _ => conversation.to_string(),
        };
        // Relay bandwidth for the people a call is for: agents, and customers with an agent
        // or a handoff under way; a customer alone with the assistant gets STUN only.
        let admitted = !customer
            || has_agent
            || escalating
            || matches!(
                header.status,
                ConversationStatus::Queued | ConversationStatus::WithAgent
            );
        let ice_config;
        let ice_config = if admitted {
            &self.config
        } else {
            ice_config = MediaConfig {
                turn: None,
                ..self.config.clone()
            };
            &ice_config
        };
        let ice_servers = ice::ice_servers(ice_config, &user, Utc::now().timestamp());
        Ok(ServerFrame::CallReady {
            conversation_id: conversation,
            call_id,
            ice_servers,
            recorded: self.recorded(),
        })
    }

    /// Whether another call without an agent fits under the cap (ended calls no longer count).
    fn room_without_agent(&self) -> bool {
        let live: std::collections::HashSet<String> = self
            .index
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        let mut waiting = self.without_agent.lock().unwrap_or_else(|p| p.into_inner());
        waiting.retain(|c| live.contains(c));
        waiting.len() < self.config.max_calls_without_agent
    }

    /// Ends `call_id` after `unjoined_call_secs` unless someone joined it by then.
    fn end_if_nobody_joins(self: &Arc<Self>, call_id: &str, conversation: &ConversationId) {
        let this = Arc::downgrade(self);
        let (call_id, conversation) = (call_id.to_owned(), conversation.clone());
        let wait = std::time::Duration::from_secs(self.config.unjoined_call_secs.max(1));
        let mut stop = self.stop.clone();
        self.tasks.spawn("unjoined call timer", async move {
            // At shutdown `shutdown` ends the calls nobody joined.
            tokio::select! {
                () = stopped(&mut stop) => return,
                () = tokio::time::sleep(wait) => {}
            }
            let Some(this) = this.upgrade() else { return };
            if this
                .joined
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(&call_id)
            {
                return;
            }
            let live = this
                .index
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&call_id)
                .is_some();
            if !live {
                return;
            }
            if let Some(t) = this.transcription.get() {
                t.call_ended(&call_id);
            }
            info!(conversation_id = %conversation, call_id, "nobody joined the call; ended");
            let body = EventBody::CallEnded {
                call_id,
                reason: "nobody_joined".into(),
            };
            if let Err(e) = this.write(&conversation, body).await {
                warn!(error = %e, "could not end an unjoined call");
            }
        });
    }

    /// The conversation a call belongs to.
    pub fn conversation_of(&self, call_id: &str) -> Option<ConversationId> {
        self.index
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(call_id)
            .cloned()
    }

    /// A `call_offer` / `call_answer` / `call_ice` / `call_media` / `call_hangup` from socket
    /// `conn`. `header` is the conversation the call belongs to (already authorised for `who`);
    /// answers and server offers go to `out`.
    pub async fn signal(
        &self,
        who: &Principal,
        conn: u64,
        header: &ConversationHeader,
        frame: ClientFrame,
        out: mpsc::Sender<ServerFrame>,
    ) -> Result<(), ServiceError> {
        let media = self.media()?.clone();
        if !who.may_join_call(header) {
            return Err(ServiceError::Forbidden(
                "only the customer and the agents in the conversation take part in its call".into(),
            ));
        }
        let member = member_of(who, header)
            .ok_or_else(|| ServiceError::Forbidden("you are not in this conversation".into()))?;
        let (call_id, signal) = match frame {
            ClientFrame::CallOffer {
                call_id,
                sdp,
                tracks,
            } => {
                check_sdp(&sdp)?;
                let mut sources = BTreeMap::new();
                for (track, source) in tracks.into_iter().take(16) {
                    let source = MediaSource::parse(&source).ok_or_else(|| {
                        ServiceError::Invalid(format!(
                            "track source must be microphone, camera or screen, not {:?}",
                            source.chars().take(32).collect::<String>()
                        ))
                    })?;
                    sources.insert(track, source);
                }
                (
                    call_id,
                    Signal::Offer {
                        sdp,
                        tracks: sources,
                    },
                )
            }
            ClientFrame::CallAnswer { call_id, sdp } => {
                check_sdp(&sdp)?;
                (call_id, Signal::Answer { sdp })
            }
            ClientFrame::CallIce { call_id, candidate } => {
                if candidate.candidate.len() > 1024 {
                    return Err(ServiceError::Invalid("ICE candidate too long".into()));
                }
                (call_id, Signal::Ice(to_candidate(candidate)))
            }
            ClientFrame::CallMedia {
                call_id,
                source,
                change,
            } => {
                let source = MediaSource::parse(&source).ok_or_else(|| {
                    ServiceError::Invalid("source must be microphone, camera or screen".into())
                })?;
                let change = match change.as_str() {
                    "muted" => MediaChange::Muted,
                    "unmuted" => MediaChange::Unmuted,
                    "stopped" => MediaChange::Stopped,
                    _ => {
                        return Err(ServiceError::Invalid(
                            "change must be muted, unmuted or stopped".into(),
                        ))
                    }
                };
                (call_id, Signal::Media { source, change })
            }
            ClientFrame::CallHangup { call_id } => (call_id, Signal::Hangup),
            _ => return Err(ServiceError::Invalid("not a call frame".into())),
        };
        if header.live_call().map(|c| c.call_id.as_str()) != Some(call_id.as_str()) {
            return Err(ServiceError::NotFound(
                "no such live call in this conversation".into(),
            ));
        }
        let first_offer = matches!(signal, Signal::Offer { .. });
        let hangup = matches!(signal, Signal::Hangup);
        // One channel per socket and call, so the browser gets answers, offers and candidates
        // in the order the media server sent them.
        let tx = self.outgoing(conn, &call_id, out);
        media
            .signal(&call_id, &member, signal, tx)
            .await
            .map_err(|e| match e {
                crate::media::MediaError::CallFull(_) | crate::media::MediaError::NotInCall => {
                    ServiceError::Conflict(e.to_string())
                }
                crate::media::MediaError::Closed | crate::media::MediaError::Setup(_) => {
                    ServiceError::unavailable("the media server", e)
                }
                crate::media::MediaError::BadSdp(_) => ServiceError::Invalid(e.to_string()),
            })?;
        let mut sockets = self.sockets.lock().unwrap_or_else(|p| p.into_inner());
        let list = sockets.entry(conn).or_default();
        if first_offer && !list.iter().any(|(c, m)| *c == call_id && *m == member) {
            list.push((call_id, member));
        } else if hangup {
            list.retain(|(c, m)| !(*c == call_id && *m == member));
        }
        Ok(())
    }

    /// The channel carrying the media server's signals to socket `conn` for `call_id`.
    fn outgoing(
        &self,
        conn: u64,
        call_id: &str,
        out: mpsc::Sender<ServerFrame>,
    ) -> mpsc::Sender<Outgoing> {
        let mut outs = self.outs.lock().unwrap_or_else(|p| p.into_inner());
        let key = (conn, call_id.to_owned());
        if let Some(tx) = outs.get(&key).filter(|tx| !tx.is_closed()) {
            return tx.clone();
        }
        let (tx, mut rx) = mpsc::channel::<Outgoing>(OUT_QUEUE);
        let id = call_id.to_owned();
        let relay = async move {
            while let Some(o) = rx.recv().await {
                let frame = match o {
                    Outgoing::Answer { sdp } => ServerFrame::CallAnswer {
                        call_id: id.clone(),
                        sdp,
                    },
                    Outgoing::Offer { sdp } => ServerFrame::CallOffer {
                        call_id: id.clone(),
                        sdp,
                    },
                    Outgoing::Ice(c) => ServerFrame::CallIce {
                        call_id: id.clone(),
                        candidate: from_candidate(c),
                    },
                    Outgoing::Error { code, message } => {
                        ServerFrame::error(code, message, Some(id.clone()))
                    }
                };
                if out.send(frame).await.is_err() {
                    break;
                }
            }
        };
        self.tasks
            .spawn("call signals", until_stopped(self.stop.clone(), relay));
        outs.insert(key, tx.clone());
        tx
    }

    /// Socket `conn` closed: its members leave their calls.
    pub async fn socket_closed(&self, conn: u64) {
        self.outs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(c, _), _| *c != conn);
        let Some(media) = &self.media else { return };
        let gone = self
            .sockets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&conn)
            .unwrap_or_default();
        for (call_id, member) in gone {
            media.leave(&call_id, &member, "dropped").await;
        }
    }

    /// Writes what the media server reports into the conversations' timelines.
    pub async fn record(&self, store: &dyn Store, event: CallEvent) {
        if let CallEvent::Settled { call_id } = &event {
            // Its recording, if any, was reported (and written) before this on the same channel.
            self.ended
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(call_id);
            self.settling
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(call_id);
            return;
        }
        let call_id = match &event {
            CallEvent::Joined { call_id, .. }
            | CallEvent::Left { call_id, .. }
            | CallEvent::Media { call_id, .. }
            | CallEvent::Ended { call_id, .. }
            | CallEvent::Recorded { call_id, .. }
            | CallEvent::Settled { call_id } => call_id.clone(),
        };
        let conversation = match (&event, self.conversation_of(&call_id)) {
            (_, Some(c)) => c,
            // The recording is reported after the call ended (and left the index).
            (CallEvent::Recorded { .. }, None) => match self.ended.lock() {
                Ok(mut ended) => match ended.remove(&call_id) {
                    Some(c) => c,
                    None => return,
                },
                Err(_) => return,
            },
            (_, None) => return,
        };
        let body = match event {
            CallEvent::Joined { call_id, member } => {
                self.joined
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(call_id.clone());
                let name = match store.header(&conversation).await {
                    Ok(Some(h)) => h
                        .participants
                        .iter()
                        .find(|p| p.id == member)
                        .map(|p| p.name.clone())
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                EventBody::CallJoined {
                    call_id,
                    participant_id: member,
                    name,
                }
            }
            CallEvent::Left {
                call_id,
                member,
                reason,
            } => EventBody::CallLeft {
                call_id,
                participant_id: member,
                reason: reason.into(),
            },
            CallEvent::Media {
                call_id,
                member,
                source,
                change,
            } => EventBody::CallMedia {
                call_id,
                participant_id: member,
                source,
                change,
            },
            CallEvent::Ended { call_id, reason } => {
                {
                    let mut settling = self.settling.lock().unwrap_or_else(|p| p.into_inner());
                    // A media server that never reports `Settled` must not grow this forever.
                    if settling.len() >= 1024 {
                        settling.clear();
                    }
                    settling.insert(call_id.clone());
                }
                self.index
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&call_id);
                self.joined
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&call_id);
                self.outs
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .retain(|(_, c), _| *c != call_id);
                if self.recorded() {
                    let mut ended = self.ended.lock().unwrap_or_else(|p| p.into_inner());
                    // Calls whose recording never reported must not pile up.
                    if ended.len() >= 1024 {
                        ended.clear();
                    }
                    ended.insert(call_id.clone(), conversation.clone());
                }
                if let Some(t) = self.transcription.get() {
                    t.call_ended(&call_id);
                }
                info!(conversation_id = %conversation, call_id, reason, "call ended");
                EventBody::CallEnded {
                    call_id,
                    reason: reason.into(),
                }
            }
            // Handled above.
            CallEvent::Settled { .. } => return,
            CallEvent::Recorded {
                call_id,
                clock_started_at,
                files,
            } => {
                let files = files
                    .into_iter()
                    .map(|mut f| {
                        f.path = format!("{conversation}/{call_id}/{}", f.path);
                        f
                    })
                    .collect();
                info!(conversation_id = %conversation, call_id, "recording ready");
                EventBody::RecordingReady {
                    call_id,
                    clock_started_at,
                    files,
                }
            }
        };
        let recorded = match &body {
            EventBody::RecordingReady { call_id, .. } => Some(call_id.clone()),
            _ => None,
        };
        if let Err(e) = self.write(&conversation, body).await {
            warn!(conversation_id = %conversation, error = %e, "call event not stored");
            return;
        }
        if let (Some(call_id), Some(t)) = (recorded, self.transcription.get()) {
            t.recording_ready(&conversation, &call_id);
        }
    }

    /// The gateway is stopping: ends every live call with `reason` (`call_left` and `call_ended`
    /// in the timelines), waits up to `within` for their recordings to be finalised and
    /// written, and ends calls nobody had joined directly. Returns the calls still settling when
    /// time ran out (their files are cut where they stand and `end_orphans` ends nothing twice).
    pub async fn shutdown(&self, reason: &'static str, within: std::time::Duration) -> usize {
        let deadline = tokio::time::Instant::now() + within;
        // Started but never joined: the media server has no task for them.
        let unjoined: Vec<(String, ConversationId)> = {
            let joined = self.joined.lock().unwrap_or_else(|p| p.into_inner());
            let mut index = self.index.lock().unwrap_or_else(|p| p.into_inner());
            let ids: Vec<String> = index
                .keys()
                .filter(|id| !joined.contains(*id) || self.media.is_none())
                .cloned()
                .collect();
            ids.into_iter()
                .filter_map(|id| index.remove(&id).map(|c| (id, c)))
                .collect()
        };
        for (call_id, conversation) in unjoined {
            let body = EventBody::CallEnded {
                call_id,
                reason: reason.into(),
            };
            if let Err(e) = self.write(&conversation, body).await {
                warn!(conversation_id = %conversation, error = %e, "could not end a call at shutdown");
            }
        }
        if let Some(media) = &self.media {
            media.end_all(reason).await;
        }
        loop {
            let live = self.index.lock().map(|i| i.len()).unwrap_or(0);
            let settling = self.settling.lock().map(|s| s.len()).unwrap_or(0);
            if live == 0 && settling == 0 {
                return 0;
            }
            if tokio::time::Instant::now() >= deadline {
                warn!(
                    live,
                    settling, "calls not finalised within the shutdown grace"
                );
                return live + settling;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    /// Ends calls a previous run left live (their connections died with it).
    pub async fn end_orphans(&self, store: &dyn Store) {
        let Ok(rows) = store.list_conversations(None, 100_000).await else {
            return;
        };
        for (header, _) in rows {
            if let Some(call) = header.live_call() {
                let body = EventBody::CallEnded {
                    call_id: call.call_id.clone(),
                    reason: "gateway_restart".into(),
                };
                if let Err(e) = self.write(&header.conversation_id, body).await {
                    warn!(error = %e, "could not end an orphaned call");
                }
            }
        }
    }
}
