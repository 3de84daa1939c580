//! The service layer: what the gateway does, behind the port the HTTP and WebSocket layer serves.
//!
//! Contract:
//! - `port` is the trait `http` is generic over, with typed, serialisable results (the wire shape
//!   of each answer; no `serde_json::Value`); `error::ServiceError` is its only error (causes kept
//!   as sources; `http::error` maps them to statuses and codes).
//! - `gateway::Gateway` implements the port: conversations, messages and access, delegating to the
//!   services beside it — `calls` (WebRTC sessions through `media`), `transcription` (live and
//!   after-call, through `transcribe`), `turns` (the assistant's replies and escalation checks),
//!   `handoff` (the coordinator task that runs `crate::handoff`'s engines), `review`, `attachments`,
//!   `email`, `canned`, `notes`, `sites`, `customer_history`, `sessions` and sign-in.
//! - `commit_bus` publishes every committed event, in commit order, to named subscribers (header
//!   cache, fan-out through `chat::Fanout`, offers, inboxes, review, metrics).
//! - Services decide with the engines (`handoff`, `analysis`, `review`, ...: sans-IO, time passed
//!   in) and do the IO through traits (`storage::Store`, `chat::Fanout`, `media::MediaServer`).
//!   They never import `http` or `app`; `app` builds them and wires them together.
//! - Every background task (the turn worker and its turns, the coordinator, call events and
//!   signals, live and after-call transcription, outboxes, review jobs, pollers) runs on
//!   `tasks::Tasks` and ends by itself once the stop signal turns true, after the unit of work in
//!   hand; shutdown waits for them within the grace and aborts the rest.

pub mod analysis_gate;
pub mod attachments;
pub mod calls;
pub mod canned;
pub mod commit_bus;
pub mod credentials;
pub mod customer_history;
mod edge_counters;
pub mod email;
pub mod error;
pub mod gateway;
pub mod handoff;
pub mod headers;
pub mod login_throttle;
pub mod notes;
pub mod port;
pub mod preparation;
pub mod review;
pub mod review_api;
pub mod sessions;
pub mod sites;
pub mod tasks;
pub mod transcription;
pub mod turns;

pub use error::{ErrorKind, ServiceError};
pub use port::Backend;

/// Call recordings live in this directory below `data_dir`.
pub const RECORDINGS_DIR: &str = "recordings";
