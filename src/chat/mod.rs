//! Chat: the WebSocket protocol frames and per-conversation fan-out of committed events.

pub mod fanout;
pub mod hub;
pub mod protocol;
pub mod receipts;

pub use fanout::Fanout;
pub use hub::{Hub, HubItem, InboxItem, Presence};
pub use protocol::{ClientFrame, PeerInfo, ServerFrame};
pub use receipts::{Positions, ReadPositions, ReceiptMark, ReceiptSide};
