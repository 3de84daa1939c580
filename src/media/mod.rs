//! Calls: the gateway is the media server (an SFU). Every call member has one WebRTC connection
//! to the gateway, which forwards each member's audio, camera and screen to the others.
//!
//! Contract:
//! - Decisions are sans-IO and tested without sockets: `room` (who forwards what to whom, with
//!   which SSRC; keyframe routing; clean-up on leave), `negotiation` (when the gateway may offer;
//!   glare), `ice` (ICE servers and TURN credentials for browsers).
//! - `server::MediaServer` is the boundary the app talks to: `signal::Signal`s in from browsers,
//!   `signal::Outgoing` back to them, `signal::CallEvent`s out for the conversation's timeline.
//! - `record` records calls (per member and track, and the mixed audio) and decodes each
//!   member's audio for transcription (`signal::AudioChunk`), fed by the forward loops' taps
//!   without ever delaying forwarding.
//! - Imports only `crate::domain` and its own `[media]` configuration.

pub mod config;
pub mod ice;
pub mod nat;
pub mod negotiation;
pub mod record;
pub mod room;
pub mod server;
pub mod sfu;
pub mod signal;
pub mod stats;

pub use config::{MediaConfig, MediaConfigError};
pub use server::{MediaError, MediaServer};
