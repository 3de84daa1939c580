//! The media server as the rest of the gateway sees it: signals in, signals and call events out.

use super::signal::{Outgoing, Signal};
use crate::domain::ParticipantId;
use async_trait::async_trait;
use tokio::sync::mpsc;

/// What can go wrong handing a signal to the media server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("the call is full ({0} people at most)")]
    CallFull(usize),
    #[error("join the call with an offer first")]
    NotInCall,
    #[error("the media server is shutting down")]
    Closed,
    #[error("media setup failed: {0}")]
    Setup(String),
    #[error("invalid SDP offer: {0}")]
    BadSdp(String),
}

impl MediaError {
    /// The error code sent to the browser.
    pub fn code(&self) -> &'static str {
        match self {
            Self::CallFull(_) => "call_full",
            Self::NotInCall => "not_in_call",
            Self::Closed => "unavailable",
            Self::Setup(_) => "media",
            Self::BadSdp(_) => "bad_sdp",
        }
    }
}

#[async_trait]
pub trait MediaServer: Send + Sync + 'static {
    /// A signal from `member` of `call_id`. A first offer joins the member (with `out` as the way
    /// back to their browser); answers, offers, candidates and errors go to `out`.
    async fn signal(
        &self,
        call_id: &str,
        member: &ParticipantId,
        signal: Signal,
        out: mpsc::Sender<Outgoing>,
    ) -> Result<(), MediaError>;

    /// The member's signalling channel is gone (socket closed): they leave with `reason`.
    async fn leave(&self, call_id: &str, member: &ParticipantId, reason: &'static str);

    /// Ends every live call with `reason` (the gateway is stopping): members leave, the calls
    /// end, recordings are finalised and reported, then `Settled` for each. Returns at once.
    async fn end_all(&self, _reason: &'static str) {}

    /// Where a new call's recording goes, relative to the recordings directory (say
    /// `<conversationId>/<callId>`); set before the call's first offer. Without it a call is
    /// recorded under `<callId>`.
    fn set_recording_path(&self, _call_id: &str, _relative: &str) {}
}
