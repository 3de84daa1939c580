//! Per-conversation fan-out of committed events and ephemeral signals (typing, presence), plus the
//! staff inbox feed. The hub holds no history: a subscriber that falls behind (`Lagged`) or joins
//! late fills the gap from storage by `seq`, so fan-out can drop nothing that matters. It also
//! knows who is online in each conversation, so a new subscriber learns it at once.

use super::protocol::{PeerInfo, ServerFrame};
use super::receipts::{Positions, ReadPositions, ReceiptMark, ReceiptSide};
use crate::domain::{
    ConversationEvent, ConversationHeader, ConversationId, ConversationSummary, QueueView, UserId,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// Frames buffered per conversation before a slow subscriber is told it lagged.
const CONVERSATION_BUFFER: usize = 1024;
/// Inbox updates buffered before a slow staff socket lags (it then reloads the list).
const INBOX_BUFFER: usize = 4096;

/// Something published to a conversation's subscribers.
#[derive(Debug, Clone)]
pub enum HubItem {
    /// A committed event; `frame` is the serialised `ServerFrame::Event` for staff and bots,
    /// `customer_frame` the same event as the customer may see it (often the same `Arc`), `header`
    /// the conversation after it (subscribers re-check access with it: ownership can change).
    Event {
        seq: u64,
        frame: Arc<str>,
        customer_frame: Arc<str>,
        header: Arc<ConversationHeader>,
    },
    /// Not persisted (typing, presence); `origin` is the connection that caused it, which skips it.
    /// `customer_frame` is what the customer may see of it (`None`: nothing, e.g. an agent who
    /// is only viewing).
    Ephemeral {
        origin: u64,
        frame: Arc<str>,
        customer_frame: Option<Arc<str>>,
    },
}

/// Someone online in a conversation: as staff see them, and as the customer may (`None` while
/// the customer must not know they are there).
#[derive(Debug, Clone, PartialEq)]
pub struct Presence {
    pub peer: PeerInfo,
    pub for_customer: Option<PeerInfo>,
}

impl Presence {
    /// How `self` appears to a subscriber who is (or is not) the customer.
    pub fn seen_by(&self, customer: bool) -> Option<&PeerInfo> {
        if customer {
            self.for_customer.as_ref()
        } else {
            Some(&self.peer)
        }
    }
}

/// A changed conversation, for staff inboxes; each socket filters by what its user may see.
#[derive(Debug)]
pub struct InboxItem {
    pub header: Arc<ConversationHeader>,
    pub frame: Arc<str>,
}

pub struct Hub {
    conversations: Mutex<HashMap<ConversationId, broadcast::Sender<HubItem>>>,
    inbox: broadcast::Sender<Arc<InboxItem>>,
    /// Connections subscribed to each conversation, with who they are.
    online: Mutex<HashMap<ConversationId, Vec<(u64, Presence)>>>,
    /// Frames for one staff user on all their sockets (offers, status).
    users: Mutex<HashMap<UserId, broadcast::Sender<Arc<str>>>>,
    /// Queue snapshots for staff who asked for them.
    queue: broadcast::Sender<Arc<QueueView>>,
    /// How far each side has received and seen each conversation (read receipts).
    receipts: Mutex<ReadPositions>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Self {
        Self {
            conversations: Mutex::new(HashMap::new()),
            inbox: broadcast::channel(INBOX_BUFFER).0,
            online: Mutex::new(HashMap::new()),
            users: Mutex::new(HashMap::new()),
            queue: broadcast::channel(64).0,
            receipts: Mutex::new(ReadPositions::default()),
        }
    }

    /// Frames addressed to `user` (offers, their routing status), on every socket they have open.
    pub fn subscribe_user(&self, user: &UserId) -> broadcast::Receiver<Arc<str>> {
        let mut map = self.users.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(user.clone())
            .or_insert_with(|| broadcast::channel(256).0)
            .subscribe()
    }

    /// Sends `frame` to `user`'s sockets; false if none is connected.
    pub fn publish_user(&self, user: &UserId, frame: &ServerFrame) -> bool {
        self.publish_user_json(user, Arc::from(frame.to_json()))
    }

    /// [`Hub::publish_user`] with the frame already serialised (as it arrives from another node).
    pub fn publish_user_json(&self, user: &UserId, frame: Arc<str>) -> bool {
        let tx = {
            let mut map = self.users.lock().unwrap_or_else(|p| p.into_inner());
            match map.get(user) {
                Some(tx) if tx.receiver_count() > 0 => Some(tx.clone()),
                Some(_) => {
                    map.remove(user);
                    None
                }
                None => None,
            }
        };
        match tx {
            Some(tx) => tx.send(frame).is_ok(),
            None => false,
        }
    }

    /// Routing snapshots as published: each subscriber cuts its own view (agents see only
    /// their skills' queues) and frames it.
    pub fn subscribe_queue(&self) -> broadcast::Receiver<Arc<QueueView>> {
        self.queue.subscribe()
    }

    /// Publishes a queue snapshot; cheap when nobody listens.
    pub fn publish_queue(&self, snapshot: impl FnOnce() -> QueueView) {
        if self.queue.receiver_count() > 0 {
            let _ = self.queue.send(Arc::new(snapshot()));
        }
    }

    pub fn subscribe(&self, id: &ConversationId) -> broadcast::Receiver<HubItem> {
        let mut map = self.conversations.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(id.clone())
            .or_insert_with(|| broadcast::channel(CONVERSATION_BUFFER).0)
            .subscribe()
    }

    /// Publishes a committed event given its stored JSON. Must be called in commit order.
    pub fn publish_event(
        &self,
        event: &ConversationEvent,
        event_json: &str,
        header: Arc<ConversationHeader>,
    ) {
        let Some(tx) = self.sender(&event.conversation_id) else {
            return;
        };
        let frame: Arc<str> = Arc::from(format!(r#"{{"type":"event","event":{event_json}}}"#));
        let customer_frame = match event.for_customer() {
            std::borrow::Cow::Borrowed(_) => frame.clone(),
            std::borrow::Cow::Owned(e) => {
                Arc::from(ServerFrame::Event { event: Box::new(e) }.to_json())
            }
        };
        let _ = tx.send(HubItem::Event {
            seq: event.seq,
            frame,
            customer_frame,
            header,
        });
    }

    /// Records connection `conn` as online in `id` and tells the others; returns who else is there.
    pub fn join(&self, id: &ConversationId, conn: u64, who: Presence) -> Vec<Presence> {
        let others = {
            let mut online = self.online.lock().unwrap_or_else(|p| p.into_inner());
            let list = online.entry(id.clone()).or_default();
            let others: Vec<Presence> = list
                .iter()
                .filter(|(c, _)| *c != conn)
                .map(|(_, p)| p.clone())
                .collect();
            if !list.iter().any(|(c, _)| *c == conn) {
                list.push((conn, who.clone()));
            }
            others
        };
        self.publish_presence(id, conn, &who, true);
        others
    }

    /// Records connection `conn` as gone from `id` and tells the others.
    pub fn leave(&self, id: &ConversationId, conn: u64) {
        let who = {
            let mut online = self.online.lock().unwrap_or_else(|p| p.into_inner());
            let Some(list) = online.get_mut(id) else {
                return;
            };
            let who = list
                .iter()
                .position(|(c, _)| *c == conn)
                .map(|i| list.remove(i).1);
            if list.is_empty() {
                online.remove(id);
            }
            who
        };
        if let Some(who) = who {
            self.publish_presence(id, conn, &who, false);
        }
        self.prune(id);
    }

    fn publish_presence(&self, id: &ConversationId, conn: u64, who: &Presence, online: bool) {
        let frame = |from: &PeerInfo| ServerFrame::Presence {
            conversation_id: id.clone(),
            from: from.clone(),
            online,
        };
        let customer = who.for_customer.as_ref().map(frame);
        self.publish_ephemeral(id, conn, &frame(&who.peer), customer.as_ref());
    }

    /// Publishes a typing or presence frame; `customer` is what the customer may see of it.
    pub fn publish_ephemeral(
        &self,
        id: &ConversationId,
        origin: u64,
        frame: &ServerFrame,
        customer: Option<&ServerFrame>,
    ) {
        let Some(tx) = self.sender(id) else { return };
        let frame: Arc<str> = Arc::from(frame.to_json());
        let customer_frame = customer.map(|c| {
            let json = c.to_json();
            if *json == *frame {
                frame.clone()
            } else {
                Arc::from(json)
            }
        });
        let _ = tx.send(HubItem::Ephemeral {
            origin,
            frame,
            customer_frame,
        });
    }

    /// Records a `read` or `delivered` frame from connection `origin` for `side` (already
    /// checked: see `ReceiptSide::of`), clamped to `last_seq`. When the side's positions moved,
    /// the `receipt` frame goes to the conversation's other subscribers (the same frame for the
    /// customer: it names no one) and is returned.
    pub fn record_receipt(
        &self,
        id: &ConversationId,
        origin: u64,
        side: ReceiptSide,
        mark: ReceiptMark,
        seq: u64,
        last_seq: u64,
    ) -> Option<ServerFrame> {
        let mut receipts = self.receipts.lock().unwrap_or_else(|p| p.into_inner());
        let positions = receipts.record(id, side, mark, seq, last_seq)?;
        let frame = receipt_frame(id, side, positions);
        // Published under the lock, so subscribers see one side's positions only grow.
        self.publish_ephemeral(id, origin, &frame, Some(&frame));
        Some(frame)
    }

    /// The known `receipt` frames of `id` (sides with nothing yet are left out), for a new
    /// subscriber.
    pub fn receipts(&self, id: &ConversationId) -> Vec<ServerFrame> {
        let receipts = self.receipts.lock().unwrap_or_else(|p| p.into_inner());
        receipts
            .get(id)
            .into_iter()
            .filter(|(_, p)| !p.is_empty())
            .map(|(side, p)| receipt_frame(id, side, p))
            .collect()
    }

    /// How far the customer's page has received `id` (the `seq` of its latest delivery or read
    /// receipt; 0 when none is known, e.g. after a restart).
    pub fn customer_received(&self, id: &ConversationId) -> u64 {
        let receipts = self.receipts.lock().unwrap_or_else(|p| p.into_inner());
        receipts
            .get(id)
            .into_iter()
            .filter(|(side, _)| *side == ReceiptSide::Customer)
            .map(|(_, p)| p.delivered.max(p.read))
            .max()
            .unwrap_or(0)
    }

    pub fn subscribe_inbox(&self) -> broadcast::Receiver<Arc<InboxItem>> {
        self.inbox.subscribe()
    }

    pub fn publish_inbox(&self, header: Arc<ConversationHeader>, summary: &ConversationSummary) {
        if self.inbox.receiver_count() == 0 {
            return;
        }
        let frame = ServerFrame::InboxUpdate {
            conversation: summary.clone(),
        }
        .to_json();
        let _ = self.inbox.send(Arc::new(InboxItem {
            header,
            frame: Arc::from(frame),
        }));
    }

    /// Forgets conversations nobody is subscribed to. Called when a subscription ends.
    pub fn prune(&self, id: &ConversationId) {
        let mut map = self.conversations.lock().unwrap_or_else(|p| p.into_inner());
        if map.get(id).is_some_and(|tx| tx.receiver_count() == 0) {
            map.remove(id);
        }
    }

    /// True while someone on this node is subscribed to `id`.
    pub fn has_subscribers(&self, id: &ConversationId) -> bool {
        self.sender(id).is_some()
    }

    /// Conversations with at least one subscriber.
    pub fn active_conversations(&self) -> usize {
        self.conversations.lock().map(|m| m.len()).unwrap_or(0)
    }

    fn sender(&self, id: &ConversationId) -> Option<broadcast::Sender<HubItem>> {
        let map = self.conversations.lock().unwrap_or_else(|p| p.into_inner());
        map.get(id).filter(|tx| tx.receiver_count() > 0).cloned()
    }
}

fn receipt_frame(id: &ConversationId, side: ReceiptSide, p: Positions) -> ServerFrame {
    ServerFrame::Receipt {
        conversation_id: id.clone(),
        side,
        delivered_seq: p.delivered,
        read_seq: p.read,
    }
}
