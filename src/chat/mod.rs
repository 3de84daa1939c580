//! Chat: the WebSocket protocol frames and per-conversation fan-out of committed events.

pub mod protocol;
