//! The reasons and outcomes the steps write, as enums. On the wire (in the event bodies) they
//! stay the snake_case strings they always were: `as_str` is the one place that spells them.

use crate::handoff::routing::RequeueReason;

/// Why an offer came off an agent's screen: `handoff_declined.reason` (and the withdrawal frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeclineReason {
    /// The agent declined it.
    Declined,
    /// The agent did not answer in time.
    Expired,
    /// The agent signed out while holding it.
    AgentOffline,
    /// The agent went busy or away while holding it.
    AgentUnavailable,
    /// It was taken back for another reason (the conversation was resolved, handed back, taken
    /// over, or the request behind it was called off).
    Withdrawn,
}

impl DeclineReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Declined => "declined",
            Self::Expired => "expired",
            Self::AgentOffline => "agent_offline",
            Self::AgentUnavailable => "agent_unavailable",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// What the withdrawal counts as: an expiry, or any other withdrawal.
    pub fn milestone(self) -> Milestone {
        match self {
            Self::Expired => Milestone::Expired,
            _ => Milestone::Withdrawn,
        }
    }
}

impl From<RequeueReason> for DeclineReason {
    fn from(r: RequeueReason) -> Self {
        match r {
            RequeueReason::Declined => Self::Declined,
            RequeueReason::OfferExpired => Self::Expired,
            RequeueReason::AgentOffline => Self::AgentOffline,
            RequeueReason::AgentUnavailable => Self::AgentUnavailable,
        }
    }
}

/// How a transfer ended: `transfer_ended.outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferOutcome {
    /// The colleague joined and the asking agent left.
    Completed,
    /// The asking agent called it off, or the conversation was resolved first.
    Cancelled,
    /// The (last) colleague asked declined.
    Declined,
    /// The (last) colleague asked did not answer in time.
    Expired,
    /// The (last) colleague asked signed out or went busy or away.
    Unavailable,
    /// Nobody could be asked.
    NobodyAvailable,
    /// The gateway restarted while it was under way.
    Interrupted,
}

impl TransferOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Declined => "declined",
            Self::Expired => "expired",
            Self::Unavailable => "unavailable",
            Self::NobodyAvailable => "nobody_available",
            Self::Interrupted => "interrupted",
        }
    }

    /// A transfer nobody took, by why the last colleague asked did not (`None`: nobody could be
    /// asked).
    pub fn failed(last: Option<RequeueReason>) -> Self {
        match last {
            Some(RequeueReason::Declined) => Self::Declined,
            Some(RequeueReason::OfferExpired) => Self::Expired,
            Some(RequeueReason::AgentOffline | RequeueReason::AgentUnavailable) => {
                Self::Unavailable
            }
            None => Self::NobodyAvailable,
        }
    }
}

/// Why a waiting conversation went back to the assistant: `handed_back.reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandBackReason {
    /// Nobody accepted it within the policy's `no_accept_timeout_secs`.
    NoAgentAccepted,
}

impl HandBackReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoAgentAccepted => "no_agent_accepted",
        }
    }
}

/// A step of a handoff worth counting (the `handoff_events` metric, by `reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Milestone {
    Offer,
    Accept,
    Decline,
    Expired,
    Withdrawn,
    Join,
    Resolve,
    TakeOver,
    HandBack,
    SpecialistInvite,
    Transfer,
    TransferOffer,
    TransferFailed,
    TransferCompleted,
}

impl Milestone {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offer => "offer",
            Self::Accept => "accept",
            Self::Decline => "decline",
            Self::Expired => "expired",
            Self::Withdrawn => "withdrawn",
            Self::Join => "join",
            Self::Resolve => "resolve",
            Self::TakeOver => "take_over",
            Self::HandBack => "hand_back",
            Self::SpecialistInvite => "specialist_invite",
            Self::Transfer => "transfer",
            Self::TransferOffer => "transfer_offer",
            Self::TransferFailed => "transfer_failed",
            Self::TransferCompleted => "transfer_completed",
        }
    }
}

/// The trigger recorded for a conversation that did not come through the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseOrigin {
    /// An agent wrote into it and took it over directly.
    AgentTakeover,
    /// Restored at start from a header that had no escalation recorded.
    Restored,
}

impl CaseOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AgentTakeover => "agent_takeover",
            Self::Restored => "restored",
        }
    }
}
