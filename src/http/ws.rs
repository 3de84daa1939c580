//! The WebSocket session at `/api/ws` (frames in `chat::protocol`).
//!
//! One task reads frames, one writes them; each subscription is a task that replays from storage and
//! then forwards live events from the hub, deduplicating by `seq` so a reconnecting client gets every
//! event it missed exactly once, in order. A send is acknowledged only after the journal commits it.
//! Frames are rate-limited per connection; a client that keeps flooding is disconnected.

use super::client_ip::ClientIp;
use super::conn_limits::PerIpCounts;
use super::error::ApiError;
use crate::chat::{
    ClientFrame, HubItem, PeerInfo, Presence, ReceiptMark, ReceiptSide, ServerFrame,
};
use crate::domain::{ConversationId, Principal};
use crate::service::port::{Backend, HandoffAction};
use crate::service::ServiceError;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Extension;
use futures_util::{SinkExt, StreamExt};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio::task::AbortHandle;
use tracing::{debug, Instrument};

/// Frames queued for one socket before forwarders wait (and, if it lasts, lag and refill).
const OUTBOUND_BUFFER: usize = 1024;
/// Conversations in a staff inbox snapshot.
const INBOX_LIMIT: u32 = 500;
/// Events fetched from storage per replay page.
const REPLAY_PAGE: u32 = 500;
/// Close codes in the private range: authentication failed, or the client flooded us.
const CLOSE_UNAUTHORIZED: u16 = 4401;
const CLOSE_POLICY: u16 = 1008;
const CLOSE_GOING_AWAY: u16 = 1001;

/// Socket read buffer; frames larger than this are read in several steps.
const READ_BUFFER: usize = 8 * 1024;
/// Outgoing bytes buffered for one socket before writes wait.
const MAX_WRITE_BUFFER: usize = 4 << 20;
/// Frames written before one flush (a burst of events becomes one syscall).
const WRITE_BATCH: usize = 64;

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

enum Outbound {
    Frame(Arc<str>),
    Close(u16, &'static str),
}

pub async fn upgrade<B: Backend>(
    State(b): State<Arc<B>>,
    ClientIp(ip): ClientIp,
    Extension(per_ip): Extension<Arc<PerIpCounts>>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let ws = ws.map_err(|r| {
        ApiError::BadRequest(format!("expected a WebSocket upgrade: {}", r.body_text()))
    })?;
    // A page of another website may not open a socket here unless a site lists it.
    if !super::sites::origin_allowed(&*b, &headers, None) {
        return Err(ApiError::Forbidden(
            "this origin may not open a WebSocket here; list it on a site (`warmline sites add`)"
                .into(),
        ));
    }
    let limits = b.limits();
    if b.counters().ws_open_connections() >= limits.max_connections as i64 {
        return Err(ApiError::Unavailable("connection limit reached".into()));
    }
    let slot = per_ip
        .try_acquire(ip, limits.max_websockets_per_ip)
        .ok_or_else(|| {
            ApiError::RateLimited("too many open WebSockets from this address".into())
        })?;
    // A token in the header authenticates before the upgrade; otherwise the first frame must.
    let pre_auth = match bearer_from(&headers) {
        Some(token) => Some((b.authenticate(token).await?, token.to_owned())),
        None => None,
    };
    let max = limits.max_frame_bytes;
    // Chat frames are small: a small read buffer avoids zeroing 128 KiB per read (tungstenite's
    // default), and a bounded write buffer makes a stalled client push back instead of growing.
    Ok(ws
        .max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(READ_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .on_upgrade(move |socket| async move {
            run(b, socket, pre_auth).await;
            drop(slot);
        }))
}

fn bearer_from(headers: &HeaderMap) -> Option<&str> {
    let v = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn run<B: Backend>(b: Arc<B>, socket: WebSocket, pre_auth: Option<(Principal, String)>) {
    let conn = NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed);
    b.counters().ws_opened();
    let (mut sink, mut stream) = socket.split();
    let (out, mut out_rx) = mpsc::channel::<Outbound>(OUTBOUND_BUFFER);
    let writer = tokio::spawn(async move {
        'outer: while let Some(first) = out_rx.recv().await {
            let mut item = Some(first);
            let mut fed = 0;
            while let Some(next) = item.take() {
                match next {
                    Outbound::Frame(f) => {
                        if sink.feed(WsMessage::Text(f.as_ref().into())).await.is_err() {
                            break 'outer;
                        }
                    }
                    Outbound::Close(code, reason) => {
                        let close = CloseFrame {
                            code,
                            reason: reason.into(),
                        };
                        let _ = sink.send(WsMessage::Close(Some(close))).await;
                        break 'outer;
                    }
                }
                fed += 1;
                if fed < WRITE_BATCH {
                    item = out_rx.try_recv().ok();
                }
            }
            if sink.flush().await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let who = match pre_auth {
        Some(p) => Some(p),
        None => authenticate_first_frame(&b, &mut stream, &out).await,
    };
    if let Some((who, token)) = who {
        let span = tracing::info_span!("ws", conn, who = %who.label());
        let ended = b.session_end(&token);
        drop(token);
        let me = peer_info(&b, &who).await;
        let mut session = Session::new(b.clone(), who, me, conn, out.clone());
        async {
            session.send(&session.ready_frame()).await;
            session.open_personal_feed();
            session.serve(&mut stream, ended).await;
            session.close();
        }
        .instrument(span)
        .await;
    } else {
        let _ = out
            .send(Outbound::Close(CLOSE_UNAUTHORIZED, "unauthorized"))
            .await;
    }
    drop(out);
    let _ = writer.await;
    b.counters().ws_closed();
}

async fn authenticate_first_frame<B: Backend>(
    b: &Arc<B>,
    stream: &mut futures_util::stream::SplitStream<WebSocket>,
    out: &mpsc::Sender<Outbound>,
) -> Option<(Principal, String)> {
    let wait = Duration::from_secs(b.limits().auth_timeout_secs);
    let reply = |f: ServerFrame| Outbound::Frame(Arc::from(f.to_json()));
    let first = match tokio::time::timeout(wait, stream.next()).await {
        Ok(Some(Ok(WsMessage::Text(t)))) => t,
        Ok(_) => return None,
        Err(_) => {
            let _ = out
                .send(reply(ServerFrame::error(
                    "unauthorized",
                    "authenticate within the time limit",
                    None,
                )))
                .await;
            return None;
        }
    };
    match serde_json::from_str::<ClientFrame>(&first) {
        Ok(ClientFrame::Auth { token }) => match b.authenticate(&token).await {
            Ok(p) => Some((p, token)),
            Err(e) => {
                let e = ApiError::from(e);
                let _ = out
                    .send(reply(ServerFrame::error(
                        e.code(),
                        e.public_message(),
                        None,
                    )))
                    .await;
                None
            }
        },
        _ => {
            let msg = "the first frame must be {\"type\":\"auth\",\"token\":\"...\"}";
            let _ = out
                .send(reply(ServerFrame::error("unauthorized", msg, None)))
                .await;
            None
        }
    }
}

/// How the caller appears to others in typing and presence frames.
async fn peer_info<B: Backend>(b: &Arc<B>, who: &Principal) -> PeerInfo {
    match who {
        Principal::Customer { conversation_id } => {
            let name = match b.authorize(who, conversation_id).await {
                Ok((h, _)) => h.customer.name.clone(),
                Err(_) => None,
            };
            PeerInfo {
                kind: "customer".into(),
                name: name.unwrap_or_else(|| "Customer".into()),
                user_id: None,
            }
        }
        Principal::Staff(u) => PeerInfo {
            kind: u.role.as_str().into(),
            name: u.name.clone(),
            user_id: Some(u.id.to_string()),
        },
        Principal::Bot { name, .. } => PeerInfo {
            kind: "bot".into(),
            name: name.clone(),
            user_id: None,
        },
    }
}

struct Session<B: Backend> {
    b: Arc<B>,
    who: Principal,
    me: PeerInfo,
    conn: u64,
    out: mpsc::Sender<Outbound>,
    subs: HashMap<ConversationId, AbortHandle>,
    inbox: Option<AbortHandle>,
    queue: Option<AbortHandle>,
    /// Offers and status for a staff member, while the socket is open.
    personal: Option<AbortHandle>,
    /// Call signals for this browser, and the task that writes them to the socket.
    call_tx: Option<mpsc::Sender<ServerFrame>>,
    call_out: Option<AbortHandle>,
    limiter: DefaultDirectRateLimiter,
    strikes: u32,
}

impl<B: Backend> Session<B> {
    fn new(
        b: Arc<B>,
        who: Principal,
        me: PeerInfo,
        conn: u64,
        out: mpsc::Sender<Outbound>,
    ) -> Self {
        let l = b.limits();
        let nz = |v: u32| NonZeroU32::new(v).unwrap_or(NonZeroU32::MIN);
        let limiter = RateLimiter::direct(
            Quota::per_second(nz(l.ws_frames_per_second)).allow_burst(nz(l.ws_frame_burst)),
        );
        Self {
            b,
            who,
            me,
            conn,
            out,
            subs: HashMap::new(),
            inbox: None,
            queue: None,
            personal: None,
            call_tx: None,
            call_out: None,
            limiter,
            strikes: 0,
        }
    }

    fn ready_frame(&self) -> ServerFrame {
        let conversation_id = match &self.who {
            Principal::Customer { conversation_id } => Some(conversation_id.clone()),
            _ => None,
        };
        ServerFrame::Ready {
            me: self.me.clone(),
            conversation_id,
        }
    }

    async fn send(&self, frame: &ServerFrame) {
        let _ = self
            .out
            .send(Outbound::Frame(Arc::from(frame.to_json())))
            .await;
    }

    async fn reject(
        &self,
        reason: &'static str,
        e: impl Into<ApiError>,
        reference: Option<String>,
    ) {
        let e: ApiError = e.into();
        self.b.counters().ws_frame_rejected(reason);
        self.send(&ServerFrame::error(e.code(), e.public_message(), reference))
            .await;
    }

    async fn serve(
        &mut self,
        stream: &mut futures_util::stream::SplitStream<WebSocket>,
        mut ended: crate::service::port::SessionEnd,
    ) {
        let burst = self.b.limits().ws_frame_burst;
        let mut shutdown = self.b.shutdown_signal();
        loop {
            let msg = tokio::select! {
                msg = stream.next() => match msg {
                    Some(m) => m,
                    None => break,
                },
                _ = ended.ended() => {
                    // Logged out, disabled, password changed or expired: the socket goes with it.
                    let _ = self.out.send(Outbound::Close(CLOSE_POLICY, "session ended")).await;
                    break;
                }
                _ = async { let _ = shutdown.wait_for(|stop| *stop).await; } => {
                    let _ = self.out.send(Outbound::Close(CLOSE_GOING_AWAY, "server shutting down")).await;
                    break;
                }
            };
            let text = match msg {
                Ok(WsMessage::Text(t)) => t,
                Ok(WsMessage::Binary(_)) => {
                    let e = ApiError::BadRequest(
                        "binary frames are not supported; send JSON text frames".into(),
                    );
                    self.reject("binary", e, None).await;
                    continue;
                }
                Ok(WsMessage::Close(_)) => break,
                Ok(_) => continue,
                Err(e) => {
                    // Oversize frames and protocol violations end the connection here.
                    debug!(error = %e, "socket error");
                    self.b.counters().ws_frame_rejected("protocol");
                    break;
                }
            };
            self.b.counters().ws_frame_received();
            if self.limiter.check().is_err() {
                self.strikes += 1;
                self.b.counters().rate_limited("ws_frames");
                if self.strikes > burst.saturating_mul(2) {
                    let _ = self.out.send(Outbound::Close(CLOSE_POLICY, "flood")).await;
                    break;
                }
                self.reject(
                    "rate_limited",
                    ApiError::RateLimited("too many frames; slow down".into()),
                    None,
                )
                .await;
                continue;
            }
            match serde_json::from_str::<ClientFrame>(&text) {
                Ok(frame) => self.handle(frame).await,
                Err(e) => {
                    let err = ApiError::BadRequest(format!("invalid frame: {e}"));
                    self.reject("bad_frame", err, None).await;
                }
            }
        }
    }

    async fn handle(&mut self, frame: ClientFrame) {
        match frame {
            ClientFrame::Auth { .. } => {
                self.reject(
                    "bad_frame",
                    ApiError::BadRequest("already authenticated".into()),
                    None,
                )
                .await
            }
            ClientFrame::Ping => self.send(&ServerFrame::Pong).await,
            ClientFrame::Subscribe {
                conversation_id,
                after_seq,
            } => self.subscribe(conversation_id, after_seq).await,
            ClientFrame::Unsubscribe { conversation_id } => {
                if self.unsubscribe(&conversation_id) {
                    self.send(&ServerFrame::Unsubscribed { conversation_id })
                        .await;
                }
            }
            ClientFrame::SubscribeInbox => self.subscribe_inbox().await,
            ClientFrame::SendMessage {
                conversation_id,
                content,
                client_msg_id,
            } => {
                let reference = client_msg_id
                    .clone()
                    .or_else(|| Some(conversation_id.to_string()));
                match self
                    .b
                    .post_message(&self.who, &conversation_id, content, client_msg_id.clone())
                    .await
                {
                    Ok(posted) => {
                        self.send(&ServerFrame::Ack {
                            conversation_id,
                            client_msg_id,
                            message_id: posted.message.id,
                            seq: posted.message.seq,
                            duplicate: posted.duplicate,
                        })
                        .await
                    }
                    Err(e) => self.reject("send_message", e, reference).await,
                }
            }
            ClientFrame::SetStatus { status } => {
                match self.b.set_agent_status(&self.who, &status).await {
                    Ok(()) => {
                        self.send(&ServerFrame::Done {
                            action: "set_status".into(),
                            conversation_id: None,
                        })
                        .await
                    }
                    Err(e) => self.reject("set_status", e, None).await,
                }
            }
            ClientFrame::SubscribeQueue => self.subscribe_queue().await,
            frame @ (ClientFrame::CallStart { .. }
            | ClientFrame::CallOffer { .. }
            | ClientFrame::CallAnswer { .. }
            | ClientFrame::CallIce { .. }
            | ClientFrame::CallMedia { .. }
            | ClientFrame::CallHangup { .. }) => self.call(frame).await,
            ClientFrame::AcceptOffer { conversation_id } => {
                self.handoff(conversation_id, HandoffAction::Accept).await
            }
            ClientFrame::DeclineOffer {
                conversation_id,
                reason,
            } => {
                self.handoff(conversation_id, HandoffAction::Decline { reason })
                    .await
            }
            ClientFrame::OpenBriefing { conversation_id } => {
                self.handoff(conversation_id, HandoffAction::OpenBriefing)
                    .await
            }
            ClientFrame::JoinConversation {
                conversation_id,
                introduction,
            } => {
                self.handoff(conversation_id, HandoffAction::Join { introduction })
                    .await
            }
            ClientFrame::InviteSpecialist {
                conversation_id,
                skill,
            } => {
                self.handoff(conversation_id, HandoffAction::InviteSpecialist { skill })
                    .await
            }
            ClientFrame::TransferConversation {
                conversation_id,
                to_agent,
                to_skill,
                note,
            } => {
                let action = HandoffAction::Transfer {
                    to_agent,
                    to_skill,
                    note,
                };
                self.handoff(conversation_id, action).await
            }
            ClientFrame::CancelTransfer { conversation_id } => {
                self.handoff(conversation_id, HandoffAction::CancelTransfer)
                    .await
            }
            ClientFrame::ResolveConversation {
                conversation_id,
                note,
            } => {
                self.handoff(conversation_id, HandoffAction::Resolve { note })
                    .await
            }
            ClientFrame::Read {
                conversation_id,
                seq,
            } => self.receipt(conversation_id, ReceiptMark::Read, seq).await,
            ClientFrame::Delivered {
                conversation_id,
                seq,
            } => {
                self.receipt(conversation_id, ReceiptMark::Delivered, seq)
                    .await
            }
            ClientFrame::Typing {
                conversation_id,
                is_typing,
            } => {
                if self.subs.contains_key(&conversation_id) {
                    let who = self.presence(&conversation_id).await;
                    let frame = |from: &PeerInfo| ServerFrame::Typing {
                        conversation_id: conversation_id.clone(),
                        from: from.clone(),
                        is_typing,
                    };
                    let customer = who.for_customer.as_ref().map(frame);
                    self.b.fanout().publish_ephemeral(
                        &conversation_id,
                        self.conn,
                        &frame(&who.peer),
                        customer.as_ref(),
                    );
                } else {
                    let e = ApiError::BadRequest(
                        "subscribe to the conversation before sending typing".into(),
                    );
                    self.reject("typing", e, Some(conversation_id.to_string()))
                        .await;
                }
            }
        }
    }

    async fn subscribe(&mut self, id: ConversationId, after: u64) {
        let reference = Some(id.to_string());
        if !self.subs.contains_key(&id)
            && self.subs.len() >= self.b.limits().max_subscriptions_per_socket
        {
            let e = ApiError::BadRequest("too many subscriptions on one connection".into());
            return self.reject("subscribe", e, reference).await;
        }
        if let Err(e) = self
            .b
            .authorize(&self.who, &id)
            .await
            .and_then(|(_, access)| {
                if access.can_read() {
                    Ok(())
                } else {
                    Err(ServiceError::conversation_not_found())
                }
            })
        {
            return self.reject("subscribe", e, reference).await;
        }
        if let Some(old) = self.subs.remove(&id) {
            old.abort();
        }
        let task = tokio::spawn(
            forward(
                self.b.clone(),
                self.who.clone(),
                id.clone(),
                after,
                self.conn,
                self.out.clone(),
            )
            .instrument(tracing::info_span!("subscription", conversation_id = %id)),
        );
        self.subs.insert(id.clone(), task.abort_handle());
        let me = self.presence(&id).await;
        let customer = matches!(self.who, Principal::Customer { .. });
        for other in self.b.fanout().join(&id, self.conn, me) {
            if let Some(from) = other.seen_by(customer) {
                let frame = ServerFrame::Presence {
                    conversation_id: id.clone(),
                    from: from.clone(),
                    online: true,
                };
                self.send(&frame).await;
            }
        }
        // How far each side has got, so "Delivered"/"Seen" show at once (also after a reload).
        for frame in self.b.fanout().receipts(&id) {
            self.send(&frame).await;
        }
    }

    /// A `read` or `delivered` frame: refused unless the caller may read the conversation;
    /// counted only for a side the customer may know about (`ReceiptSide::of`: a viewing agent's
    /// reading is accepted and ignored), clamped to the last `seq`, and fanned out if it moved.
    async fn receipt(&mut self, id: ConversationId, mark: ReceiptMark, seq: u64) {
        let reason = match mark {
            ReceiptMark::Read => "read",
            ReceiptMark::Delivered => "delivered",
        };
        let header = match self.b.authorize(&self.who, &id).await {
            Ok((header, _)) => header,
            Err(e) => return self.reject(reason, e, Some(id.to_string())).await,
        };
        let Some(side) = ReceiptSide::of(&self.who, &header) else {
            return;
        };
        self.b
            .fanout()
            .record_receipt(&id, self.conn, side, mark, seq, header.last_seq);
    }

    /// How this socket's user appears in conversation `id`: to staff as themselves; to the
    /// customer only once they have joined it, and under their alias.
    async fn presence(&self, id: &ConversationId) -> Presence {
        let for_customer = match &self.who {
            Principal::Staff(u) => match self.b.authorize(&self.who, id).await {
                Ok((header, _)) => header.customer_alias_of(&u.id).map(|alias| PeerInfo {
                    user_id: Some(alias.to_string()),
                    ..self.me.clone()
                }),
                Err(_) => None,
            },
            _ => Some(PeerInfo {
                user_id: None,
                ..self.me.clone()
            }),
        };
        Presence {
            peer: self.me.clone(),
            for_customer,
        }
    }

    fn unsubscribe(&mut self, id: &ConversationId) -> bool {
        let Some(task) = self.subs.remove(id) else {
            return false;
        };
        task.abort();
        self.b.fanout().leave(id, self.conn);
        true
    }

    async fn subscribe_inbox(&mut self) {
        if !matches!(self.who, Principal::Staff(_)) {
            return self
                .reject(
                    "subscribe_inbox",
                    ApiError::Forbidden("the inbox is for staff".into()),
                    None,
                )
                .await;
        }
        // Subscribe before listing so no change between the two is missed.
        let mut rx = self.b.fanout().subscribe_inbox();
        let conversations = match self.b.inbox(&self.who, INBOX_LIMIT).await {
            Ok(c) => c,
            Err(e) => return self.reject("subscribe_inbox", e, None).await,
        };
        let mut listed: HashSet<ConversationId> = conversations
            .iter()
            .map(|c| c.conversation_id.clone())
            .collect();
        self.send(&ServerFrame::Inbox { conversations }).await;
        if let Some(old) = self.inbox.take() {
            old.abort();
        }
        let who = self.who.clone();
        let out = self.out.clone();
        let b = self.b.clone();
        let task = tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(item) => {
                        let id = &item.header.conversation_id;
                        let frame = if who.access(&item.header).can_read() {
                            listed.insert(id.clone());
                            item.frame.clone()
                        } else if listed.remove(id) {
                            let gone = ServerFrame::InboxRemove {
                                conversation_id: id.clone(),
                            };
                            Arc::from(gone.to_json())
                        } else {
                            continue;
                        };
                        if out.send(Outbound::Frame(frame)).await.is_err() {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Too far behind for deltas: send the whole list again.
                        let Ok(conversations) = b.inbox(&who, INBOX_LIMIT).await else {
                            break;
                        };
                        listed = conversations
                            .iter()
                            .map(|c| c.conversation_id.clone())
                            .collect();
                        let frame = ServerFrame::Inbox { conversations }.to_json();
                        if out.send(Outbound::Frame(Arc::from(frame))).await.is_err() {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        self.inbox = Some(task.abort_handle());
    }

    fn close(&mut self) {
        let ids: Vec<_> = self.subs.keys().cloned().collect();
        for id in ids {
            self.unsubscribe(&id);
        }
        for task in [self.inbox.take(), self.queue.take()].into_iter().flatten() {
            task.abort();
        }
        if let Some(personal) = self.personal.take() {
            personal.abort();
        }
        if let Some(calls) = self.call_out.take() {
            calls.abort();
        }
        let (b, who, conn) = (self.b.clone(), self.who.clone(), self.conn);
        tokio::spawn(async move { b.socket_closed(&who, conn).await });
    }

    /// The channel call signals for this socket's browser arrive on (made on first use).
    fn call_sender(&mut self) -> mpsc::Sender<ServerFrame> {
        if let Some(tx) = &self.call_tx {
            return tx.clone();
        }
        let (tx, mut rx) = mpsc::channel::<ServerFrame>(256);
        let out = self.out.clone();
        let task = tokio::spawn(async move {
            while let Some(frame) = rx.recv().await {
                if out
                    .send(Outbound::Frame(Arc::from(frame.to_json())))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        });
        self.call_out = Some(task.abort_handle());
        self.call_tx = Some(tx.clone());
        tx
    }

    async fn call(&mut self, frame: ClientFrame) {
        let reference = match &frame {
            ClientFrame::CallStart { conversation_id } => Some(conversation_id.to_string()),
            ClientFrame::CallOffer { call_id, .. }
            | ClientFrame::CallAnswer { call_id, .. }
            | ClientFrame::CallIce { call_id, .. }
            | ClientFrame::CallMedia { call_id, .. }
            | ClientFrame::CallHangup { call_id } => Some(call_id.clone()),
            _ => None,
        };
        let out = self.call_sender();
        match self.b.call_frame(&self.who, self.conn, frame, out).await {
            Ok(Some(reply)) => self.send(&reply).await,
            Ok(None) => {}
            Err(e) => self.reject("call", e, reference).await,
        }
    }

    /// Staff receive frames addressed to them (offers, withdrawals, their status) on every open
    /// socket; an agent counts as online for routing while one is open. Subscribed before the
    /// agent is announced, so the first offer cannot be missed.
    fn open_personal_feed(&mut self) {
        let Principal::Staff(user) = &self.who else {
            return;
        };
        // Offers are also in the log and the queue view: a lagging socket may skip ahead.
        let rx = self.b.fanout().subscribe_user(&user.id);
        self.personal = Some(relay_skipping_lag(rx, self.out.clone()));
        self.b.socket_opened(&self.who);
    }

    async fn subscribe_queue(&mut self) {
        // Subscribe before the first snapshot so no change between the two is missed.
        let rx = self.b.fanout().subscribe_queue();
        let queue = match self.b.queue(&self.who).await {
            Ok(q) => q,
            Err(e) => return self.reject("subscribe_queue", e, None).await,
        };
        self.send(&ServerFrame::Queue { queue }).await;
        if let Some(old) = self.queue.take() {
            old.abort();
        }
        // Each snapshot is whole: missing some loses nothing. Each is cut to what this caller may
        // see and framed here.
        let (b, who, out) = (self.b.clone(), self.who.clone(), self.out.clone());
        let mut rx = rx;
        let task = tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(snapshot) => {
                        let queue = b.queue_view(&who, &snapshot);
                        let frame = ServerFrame::Queue { queue }.to_json();
                        if out.send(Outbound::Frame(Arc::from(frame))).await.is_err() {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        self.queue = Some(task.abort_handle());
    }

    async fn handoff(&mut self, conversation_id: ConversationId, action: HandoffAction) {
        let name = action.name();
        match self
            .b
            .handoff_action(&self.who, &conversation_id, action)
            .await
        {
            Ok(()) => {
                self.send(&ServerFrame::Done {
                    action: name.into(),
                    conversation_id: Some(conversation_id),
                })
                .await
            }
            Err(e) => {
                self.reject(name, e, Some(conversation_id.to_string()))
                    .await
            }
        }
    }
}

/// Forwards a feed whose frames may be skipped (each supersedes or repeats what came before) to
/// the socket until either side closes.
fn relay_skipping_lag(
    mut rx: broadcast::Receiver<Arc<str>>,
    out: mpsc::Sender<Outbound>,
) -> AbortHandle {
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(frame) => {
                    if out.send(Outbound::Frame(frame)).await.is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    })
    .abort_handle()
}

/// Replays events after `after` from storage, then forwards live ones, each exactly once.
async fn forward<B: Backend>(
    b: Arc<B>,
    who: Principal,
    id: ConversationId,
    after: u64,
    conn: u64,
    out: mpsc::Sender<Outbound>,
) {
    // Subscribe first: anything committed from now on is in `rx`, anything before is in storage.
    let mut rx = b.fanout().subscribe(&id, after);
    let mut last = after;
    if catch_up(&b, &who, &id, &mut last, &out).await.is_err() {
        return;
    }
    let done = ServerFrame::Subscribed {
        conversation_id: id.clone(),
        last_seq: last,
    }
    .to_json();
    if out.send(Outbound::Frame(Arc::from(done))).await.is_err() {
        return;
    }
    loop {
        match rx.recv().await {
            Ok(HubItem::Event {
                seq,
                frame,
                customer_frame,
                header,
            }) => {
                let frame = if matches!(who, Principal::Customer { .. }) {
                    customer_frame
                } else {
                    frame
                };
                if !who.access(&header).can_read() {
                    // Ownership moved away from this caller: stop here, say why, send nothing more.
                    let e = ApiError::Forbidden(
                        "you no longer have access to this conversation".into(),
                    );
                    let error =
                        ServerFrame::error(e.code(), e.public_message(), Some(id.to_string()))
                            .to_json();
                    let done = ServerFrame::Unsubscribed {
                        conversation_id: id.clone(),
                    }
                    .to_json();
                    let _ = out.send(Outbound::Frame(Arc::from(error))).await;
                    let _ = out.send(Outbound::Frame(Arc::from(done))).await;
                    b.fanout().leave(&id, conn);
                    return;
                }
                if seq <= last {
                    continue;
                }
                if seq > last + 1 && catch_up(&b, &who, &id, &mut last, &out).await.is_err() {
                    return;
                }
                if seq == last + 1 {
                    if out.send(Outbound::Frame(frame)).await.is_err() {
                        return;
                    }
                    last = seq;
                }
            }
            Ok(HubItem::Ephemeral {
                origin,
                frame,
                customer_frame,
            }) => {
                let frame = if matches!(who, Principal::Customer { .. }) {
                    customer_frame
                } else {
                    Some(frame)
                };
                if let Some(frame) = frame.filter(|_| origin != conn) {
                    if out.send(Outbound::Frame(frame)).await.is_err() {
                        return;
                    }
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {
                if catch_up(&b, &who, &id, &mut last, &out).await.is_err() {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Sends every stored event after `*last`, advancing it. Errs when the socket is gone or the caller
/// lost access (then an error frame says so).
async fn catch_up<B: Backend>(
    b: &Arc<B>,
    who: &Principal,
    id: &ConversationId,
    last: &mut u64,
    out: &mpsc::Sender<Outbound>,
) -> Result<(), ()> {
    loop {
        let page = match b.events_after(who, id, *last, REPLAY_PAGE).await {
            Ok(p) => p,
            Err(e) => {
                let e = ApiError::from(e);
                let frame = ServerFrame::error(e.code(), e.public_message(), Some(id.to_string()))
                    .to_json();
                let _ = out.send(Outbound::Frame(Arc::from(frame))).await;
                return Err(());
            }
        };
        let n = page.len();
        for event in page {
            let seq = event.seq;
            let frame = ServerFrame::Event {
                event: Box::new(event),
            }
            .to_json();
            out.send(Outbound::Frame(Arc::from(frame)))
                .await
                .map_err(|_| ())?;
            *last = seq;
        }
        if n < REPLAY_PAGE as usize {
            return Ok(());
        }
    }
}
