//! `chat::Fanout` across nodes: the node's own `Hub` for its sockets, core NATS between nodes,
//! and the position check that delivers from the database what NATS lost.
//!
//! Publishing never waits on NATS: messages go through a bounded queue to one publisher task, and
//! a message dropped when it is full (or while NATS is down) is found by the next check.

use super::positions::Positions;
use super::wire::{self, EventMessage, InboxMessage, UserMessage};
use super::ClusterError;
use crate::chat::hub::{Hub, HubItem, InboxItem, Presence};
use crate::chat::protocol::ServerFrame;
use crate::chat::receipts::{ReceiptMark, ReceiptSide};
use crate::chat::Fanout;
use crate::domain::{
    ConversationEvent, ConversationHeader, ConversationId, ConversationSummary, QueueView, UserId,
};
use crate::storage::Store;
use bytes::Bytes;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch, Notify};

/// Messages waiting for the publisher task before new ones are dropped (and left to the check).
const OUTBOUND: usize = 8192;
/// Events read from the database per catch-up page.
const CATCH_UP_PAGE: u32 = 500;

pub struct NatsFanout {
    inner: Arc<Inner>,
    outbound: mpsc::Sender<(String, Bytes)>,
}

struct Inner {
    hub: Arc<Hub>,
    node: String,
    client: async_nats::Client,
    store: Arc<dyn Store>,
    positions: Mutex<Positions>,
    /// The NATS subscription task of each conversation subscribed here.
    subscriptions: Mutex<HashMap<ConversationId, tokio::task::AbortHandle>>,
    connected: Arc<AtomicBool>,
    check_now: Arc<Notify>,
}

impl NatsFanout {
    /// Connects to NATS at `url` as node `node` (a gateway whose NATS is down at start runs on,
    /// degraded, and connects when it can) and starts the publisher, the user and inbox
    /// subscriptions and the position check every `check_every`, until `stop`.
    pub async fn connect(
        url: &str,
        node: String,
        hub: Arc<Hub>,
        store: Arc<dyn Store>,
        check_every: Duration,
        stop: watch::Receiver<bool>,
    ) -> Result<Arc<Self>, ClusterError> {
        let connected = Arc::new(AtomicBool::new(false));
        let check_now = Arc::new(Notify::new());
        let (flag, wake) = (connected.clone(), check_now.clone());
        let client = async_nats::ConnectOptions::new()
            .name(format!("warmline {node}"))
            .retry_on_initial_connect()
            .event_callback(move |event| {
                let (flag, wake) = (flag.clone(), wake.clone());
                async move {
                    match event {
                        async_nats::Event::Connected => {
                            tracing::info!("connected to NATS");
                            flag.store(true, Ordering::Relaxed);
                            // Whatever was published while we were away: check now.
                            wake.notify_one();
                        }
                        async_nats::Event::Disconnected => {
                            tracing::warn!("lost NATS: delivery between nodes falls back to the position check");
                            flag.store(false, Ordering::Relaxed);
                        }
                        other => tracing::debug!(event = %other, "NATS"),
                    }
                }
            })
            .connect(url)
            .await
            .map_err(|source| ClusterError::Connect {
                url: url.to_owned(),
                source,
            })?;
        let inner = Arc::new(Inner {
            hub,
            node,
            client,
            store,
            positions: Mutex::new(Positions::default()),
            subscriptions: Mutex::new(HashMap::new()),
            connected,
            check_now,
        });
        let (outbound, rx) = mpsc::channel(OUTBOUND);
        tokio::spawn(publish(inner.client.clone(), rx));
        let users = tokio::spawn(receive_users(inner.clone())).abort_handle();
        let inbox = tokio::spawn(receive_inbox(inner.clone())).abort_handle();
        let checker = inner.clone();
        tokio::spawn(async move {
            check_positions(checker.clone(), check_every, stop).await;
            // Stopping: nothing more comes in from the other nodes.
            users.abort();
            inbox.abort();
            checker.unsubscribe_all();
        });
        Ok(Arc::new(Self { inner, outbound }))
    }

    /// False while NATS is unreachable (delivery between nodes then waits for the check).
    pub fn connected(&self) -> bool {
        self.inner.connected.load(Ordering::Relaxed)
    }

    fn send(&self, subject: String, payload: String) {
        if self
            .outbound
            .try_send((subject, Bytes::from(payload)))
            .is_err()
        {
            tracing::debug!("NATS queue full: the position check delivers it");
        }
    }

    /// Subscribes to `id`'s subject unless already subscribed.
    fn ensure_subscribed(&self, id: &ConversationId) {
        let Some(subject) = wire::conversation_subject(id) else {
            return;
        };
        let mut subs = self
            .inner
            .subscriptions
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if subs.get(id).is_some_and(|h| !h.is_finished()) {
            return;
        }
        let task = tokio::spawn(receive_conversation(self.inner.clone(), subject));
        subs.insert(id.clone(), task.abort_handle());
    }
}

async fn publish(client: async_nats::Client, mut rx: mpsc::Receiver<(String, Bytes)>) {
    while let Some((subject, payload)) = rx.recv().await {
        if let Err(e) = client.publish(subject, payload).await {
            tracing::debug!(error = %e, "NATS publish failed: the position check delivers it");
        }
    }
}

async fn receive_conversation(inner: Arc<Inner>, subject: String) {
    let mut sub = match inner.client.subscribe(subject.clone()).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, subject, "NATS subscribe failed");
            return;
        }
    };
    while let Some(msg) = sub.next().await {
        let m: EventMessage = match serde_json::from_slice(&msg.payload) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, subject, "unreadable message from NATS");
                continue;
            }
        };
        if m.node == inner.node {
            continue;
        }
        inner.deliver(&m.event, Arc::new(m.header));
    }
}

async fn receive_users(inner: Arc<Inner>) {
    let Ok(mut sub) = inner.client.subscribe(wire::ALL_USERS).await else {
        tracing::warn!("NATS subscribe to user frames failed");
        return;
    };
    while let Some(msg) = sub.next().await {
        match serde_json::from_slice::<UserMessage>(&msg.payload) {
            Ok(m) if m.node != inner.node => {
                inner.hub.publish_user_json(&m.user, Arc::from(m.frame));
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "unreadable user frame from NATS"),
        }
    }
}

async fn receive_inbox(inner: Arc<Inner>) {
    let Ok(mut sub) = inner.client.subscribe(wire::INBOX).await else {
        tracing::warn!("NATS subscribe to inbox rows failed");
        return;
    };
    while let Some(msg) = sub.next().await {
        match serde_json::from_slice::<InboxMessage>(&msg.payload) {
            Ok(m) if m.node != inner.node => {
                inner.hub.publish_inbox(Arc::new(m.header), &m.summary);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "unreadable inbox row from NATS"),
        }
    }
}

impl Inner {
    /// Ends every conversation subscription (the node is stopping).
    fn unsubscribe_all(&self) {
        let mut subs = self.subscriptions.lock().unwrap_or_else(|p| p.into_inner());
        for (_, task) in subs.drain() {
            task.abort();
        }
    }

    /// Hands a committed event to this node's subscribers.
    fn deliver(&self, event: &ConversationEvent, header: Arc<ConversationHeader>) {
        let Ok(json) = serde_json::to_string(event) else {
            return;
        };
        self.positions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .delivered(&event.conversation_id, event.seq);
        self.hub.publish_event(event, &json, header);
    }

    /// One position check: drops the subscriptions nobody here needs any more, then delivers
    /// from the database whatever the watched conversations' subscribers were not sent.
    async fn check(&self) {
        let watched = {
            let mut subs = self.subscriptions.lock().unwrap_or_else(|p| p.into_inner());
            let mut positions = self.positions.lock().unwrap_or_else(|p| p.into_inner());
            subs.retain(|id, task| {
                let keep = self.hub.has_subscribers(id);
                if !keep {
                    task.abort();
                    positions.forget(id);
                }
                keep
            });
            positions.watched()
        };
        if watched.is_empty() {
            return;
        }
        let stored = match self.store.last_seqs(&watched).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "position check: the database did not answer");
                return;
            }
        };
        let behind = self
            .positions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .behind(&stored);
        for (id, sent) in behind {
            let (events, header) = match (
                self.store.events_after(&id, sent, CATCH_UP_PAGE).await,
                self.store.header(&id).await,
            ) {
                (Ok(events), Ok(Some(header))) => (events, Arc::new(header)),
                (Err(e), _) | (_, Err(e)) => {
                    tracing::warn!(error = %e, "position check: catching up failed");
                    continue;
                }
                (_, Ok(None)) => continue,
            };
            tracing::debug!(conversation = %id, events = events.len(), "position check delivers what NATS lost");
            for event in &events {
                self.deliver(event, header.clone());
            }
        }
    }
}

async fn check_positions(inner: Arc<Inner>, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = inner.check_now.notified() => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        inner.check().await;
    }
}

impl Fanout for NatsFanout {
    fn publish_event(
        &self,
        event: &ConversationEvent,
        event_json: &str,
        header: Arc<ConversationHeader>,
    ) {
        if let (Some(subject), Some(payload)) = (
            wire::conversation_subject(&event.conversation_id),
            wire::event_message(&self.inner.node, event_json, &header),
        ) {
            self.send(subject, payload);
        }
        self.inner
            .positions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .delivered(&event.conversation_id, event.seq);
        self.inner.hub.publish_event(event, event_json, header);
    }

    fn publish_ephemeral(
        &self,
        id: &ConversationId,
        origin: u64,
        frame: &ServerFrame,
        customer: Option<&ServerFrame>,
    ) {
        self.inner
            .hub
            .publish_ephemeral(id, origin, frame, customer)
    }

    fn publish_user(&self, user: &UserId, frame: &ServerFrame) -> bool {
        let json = frame.to_json();
        if let Some(subject) = wire::user_subject(user) {
            let m = UserMessage {
                node: self.inner.node.clone(),
                user: user.clone(),
                frame: json.clone(),
            };
            if let Ok(payload) = serde_json::to_string(&m) {
                self.send(subject, payload);
            }
        }
        self.inner.hub.publish_user_json(user, Arc::from(json))
    }

    fn publish_inbox(&self, header: Arc<ConversationHeader>, summary: &ConversationSummary) {
        let m = InboxMessage {
            node: self.inner.node.clone(),
            header: (*header).clone(),
            summary: summary.clone(),
        };
        if let Ok(payload) = serde_json::to_string(&m) {
            self.send(wire::INBOX.to_owned(), payload);
        }
        self.inner.hub.publish_inbox(header, summary)
    }

    fn subscribe(&self, id: &ConversationId, seen: u64) -> broadcast::Receiver<HubItem> {
        let rx = self.inner.hub.subscribe(id);
        self.inner
            .positions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .track(id, seen);
        self.ensure_subscribed(id);
        rx
    }

    fn subscribe_user(&self, user: &UserId) -> broadcast::Receiver<Arc<str>> {
        self.inner.hub.subscribe_user(user)
    }

    fn subscribe_queue(&self) -> broadcast::Receiver<Arc<QueueView>> {
        self.inner.hub.subscribe_queue()
    }

    fn subscribe_inbox(&self) -> broadcast::Receiver<Arc<InboxItem>> {
        self.inner.hub.subscribe_inbox()
    }

    fn join(&self, id: &ConversationId, conn: u64, who: Presence) -> Vec<Presence> {
        self.inner.hub.join(id, conn, who)
    }

    fn leave(&self, id: &ConversationId, conn: u64) {
        self.inner.hub.leave(id, conn)
    }

    fn record_receipt(
        &self,
        id: &ConversationId,
        origin: u64,
        side: ReceiptSide,
        mark: ReceiptMark,
        seq: u64,
        last_seq: u64,
    ) -> Option<ServerFrame> {
        self.inner
            .hub
            .record_receipt(id, origin, side, mark, seq, last_seq)
    }

    fn receipts(&self, id: &ConversationId) -> Vec<ServerFrame> {
        self.inner.hub.receipts(id)
    }

    fn degraded(&self) -> Option<&'static str> {
        (!self.connected()).then_some(
            "NATS is unreachable: events from other nodes arrive at the position check's interval",
        )
    }
}
