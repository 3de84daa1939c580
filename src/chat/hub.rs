//! Per-conversation fan-out of committed events and ephemeral signals (typing, presence), plus the
//! staff inbox feed. The hub holds no history: a subscriber that falls behind (`Lagged`) or joins
//! late fills the gap from storage by `seq`, so fan-out can drop nothing that matters. It also
//! knows who is online in each conversation, so a new subscriber learns it at once.

use super::protocol::{PeerInfo, ServerFrame};
use crate::domain::{
    ConversationEvent, ConversationHeader, ConversationId, ConversationSummary, UserId,
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
    Ephemeral { origin: u64, frame: Arc<str> },
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
    online: Mutex<HashMap<ConversationId, Vec<(u64, PeerInfo)>>>,
    /// Frames for one staff user on all their sockets (offers, status).
    users: Mutex<HashMap<UserId, broadcast::Sender<Arc<str>>>>,
    /// Queue snapshots for staff who asked for them.
    queue: broadcast::Sender<Arc<str>>,
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
            Some(tx) => tx.send(Arc::from(frame.to_json())).is_ok(),
            None => false,
        }
    }

    pub fn subscribe_queue(&self) -> broadcast::Receiver<Arc<str>> {
        self.queue.subscribe()
    }

    /// Publishes a queue snapshot frame; cheap when nobody listens.
    pub fn publish_queue(&self, frame: impl FnOnce() -> ServerFrame) {
        if self.queue.receiver_count() > 0 {
            let _ = self.queue.send(Arc::from(frame().to_json()));
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
    pub fn join(&self, id: &ConversationId, conn: u64, peer: PeerInfo) -> Vec<PeerInfo> {
        let others = {
            let mut online = self.online.lock().unwrap_or_else(|p| p.into_inner());
            let list = online.entry(id.clone()).or_default();
            let others: Vec<PeerInfo> = list
                .iter()
                .filter(|(c, _)| *c != conn)
                .map(|(_, p)| p.clone())
                .collect();
            if !list.iter().any(|(c, _)| *c == conn) {
                list.push((conn, peer.clone()));
            }
            others
        };
        self.publish_ephemeral(
            id,
            conn,
            &ServerFrame::Presence {
                conversation_id: id.clone(),
                from: peer,
                online: true,
            },
        );
        others
    }

    /// Records connection `conn` as gone from `id` and tells the others.
    pub fn leave(&self, id: &ConversationId, conn: u64) {
        let peer = {
            let mut online = self.online.lock().unwrap_or_else(|p| p.into_inner());
            let Some(list) = online.get_mut(id) else {
                return;
            };
            let peer = list
                .iter()
                .position(|(c, _)| *c == conn)
                .map(|i| list.remove(i).1);
            if list.is_empty() {
                online.remove(id);
            }
            peer
        };
        if let Some(from) = peer {
            self.publish_ephemeral(
                id,
                conn,
                &ServerFrame::Presence {
                    conversation_id: id.clone(),
                    from,
                    online: false,
                },
            );
        }
        self.prune(id);
    }

    pub fn publish_ephemeral(&self, id: &ConversationId, origin: u64, frame: &ServerFrame) {
        let Some(tx) = self.sender(id) else { return };
        let _ = tx.send(HubItem::Ephemeral {
            origin,
            frame: Arc::from(frame.to_json()),
        });
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

    /// Conversations with at least one subscriber.
    pub fn active_conversations(&self) -> usize {
        self.conversations.lock().map(|m| m.len()).unwrap_or(0)
    }

    fn sender(&self, id: &ConversationId) -> Option<broadcast::Sender<HubItem>> {
        let map = self.conversations.lock().unwrap_or_else(|p| p.into_inner());
        map.get(id).filter(|tx| tx.receiver_count() > 0).cloned()
    }
}
