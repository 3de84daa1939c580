//! The fan-out seam: what the edges (sockets) and the commit bus need from "deliver this to whoever
//! is listening", without knowing how. `Hub` is the in-process implementation; a cluster puts a
//! message bus between nodes behind the same trait.
//!
//! Contract: delivery is best effort and never blocks; a subscriber that lags or joins late fills
//! the gap from the store by `seq` (the committed log is the truth, fan-out only wakes people up).

use super::hub::{Hub, HubItem, InboxItem, Presence};
use super::protocol::ServerFrame;
use super::receipts::{ReceiptMark, ReceiptSide};
use crate::domain::{
    ConversationEvent, ConversationHeader, ConversationId, ConversationSummary, QueueView, UserId,
};
use std::sync::Arc;
use tokio::sync::broadcast;

pub trait Fanout: Send + Sync {
    // ---- publishing ----
    /// A committed event to the conversation's subscribers (each side sees its own redaction).
    fn publish_event(
        &self,
        event: &ConversationEvent,
        event_json: &str,
        header: Arc<ConversationHeader>,
    );
    /// Typing, presence and the like; `origin` (the sending connection) does not get it back.
    fn publish_ephemeral(
        &self,
        id: &ConversationId,
        origin: u64,
        frame: &ServerFrame,
        customer: Option<&ServerFrame>,
    );
    /// A frame for one staff member's sockets; false when none is listening.
    fn publish_user(&self, user: &UserId, frame: &ServerFrame) -> bool;
    /// The conversation's row for every inbox that shows it.
    fn publish_inbox(&self, header: Arc<ConversationHeader>, summary: &ConversationSummary);

    // ---- subscribing ----
    /// Live events of `id` for a subscriber that has (or is about to read from the store)
    /// everything up to `seen`; a bus between nodes checks from there that nothing is lost.
    fn subscribe(&self, id: &ConversationId, seen: u64) -> broadcast::Receiver<HubItem>;
    fn subscribe_user(&self, user: &UserId) -> broadcast::Receiver<Arc<str>>;
    fn subscribe_queue(&self) -> broadcast::Receiver<Arc<QueueView>>;
    fn subscribe_inbox(&self) -> broadcast::Receiver<Arc<InboxItem>>;

    // ---- who is here, and what they have seen ----
    /// Connection `conn` is online in `id` as `who`; returns the others already there.
    fn join(&self, id: &ConversationId, conn: u64, who: Presence) -> Vec<Presence>;
    fn leave(&self, id: &ConversationId, conn: u64);
    /// Records a `read`/`delivered` mark and tells the others; the frame when positions moved.
    fn record_receipt(
        &self,
        id: &ConversationId,
        origin: u64,
        side: ReceiptSide,
        mark: ReceiptMark,
        seq: u64,
        last_seq: u64,
    ) -> Option<ServerFrame>;
    /// The known receipt frames of `id`, for a new subscriber.
    fn receipts(&self, id: &ConversationId) -> Vec<ServerFrame>;

    /// Why delivery is degraded right now (e.g. the bus between nodes is unreachable), if it is.
    fn degraded(&self) -> Option<&'static str> {
        None
    }
}

impl Fanout for Hub {
    fn publish_event(
        &self,
        event: &ConversationEvent,
        event_json: &str,
        header: Arc<ConversationHeader>,
    ) {
        Hub::publish_event(self, event, event_json, header)
    }
    fn publish_ephemeral(
        &self,
        id: &ConversationId,
        origin: u64,
        frame: &ServerFrame,
        customer: Option<&ServerFrame>,
    ) {
        Hub::publish_ephemeral(self, id, origin, frame, customer)
    }
    fn publish_user(&self, user: &UserId, frame: &ServerFrame) -> bool {
        Hub::publish_user(self, user, frame)
    }
    fn publish_inbox(&self, header: Arc<ConversationHeader>, summary: &ConversationSummary) {
        Hub::publish_inbox(self, header, summary)
    }
    fn subscribe(&self, id: &ConversationId, _seen: u64) -> broadcast::Receiver<HubItem> {
        Hub::subscribe(self, id)
    }
    fn subscribe_user(&self, user: &UserId) -> broadcast::Receiver<Arc<str>> {
        Hub::subscribe_user(self, user)
    }
    fn subscribe_queue(&self) -> broadcast::Receiver<Arc<QueueView>> {
        Hub::subscribe_queue(self)
    }
    fn subscribe_inbox(&self) -> broadcast::Receiver<Arc<InboxItem>> {
        Hub::subscribe_inbox(self)
    }
    fn join(&self, id: &ConversationId, conn: u64, who: Presence) -> Vec<Presence> {
        Hub::join(self, id, conn, who)
    }
    fn leave(&self, id: &ConversationId, conn: u64) {
        Hub::leave(self, id, conn)
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
        Hub::record_receipt(self, id, origin, side, mark, seq, last_seq)
    }
    fn receipts(&self, id: &ConversationId) -> Vec<ServerFrame> {
        Hub::receipts(self, id)
    }
}
