//! What can go wrong with a handoff command. The gateway maps these to API errors.

use crate::handoff::steps::StepError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandoffError {
    #[error("this conversation is not offered to you")]
    NotOffered,
    #[error("the offer expired and moved on to another agent")]
    OfferExpired,
    #[error("accept the conversation before joining it")]
    NotAccepted,
    #[error("open the briefing before joining, so the customer never has to repeat themselves")]
    BriefingNotOpened,
    #[error("you already joined this conversation")]
    AlreadyJoined,
    #[error("only an agent in the conversation can do that")]
    NotInConversation,
    #[error("this conversation is not waiting for an agent")]
    NotEscalated,
    #[error("this conversation is resolved")]
    Resolved,
    #[error("a transfer or specialist invite for this conversation is already pending")]
    InvitePending,
    #[error("{0} {1}, so the conversation cannot be transferred to them now")]
    TransferTargetUnavailable(String, &'static str),
    #[error("nobody with skill {0:?} can take the conversation right now")]
    NobodyToTransferTo(String),
    #[error("{0}")]
    BadTransfer(&'static str),
    #[error("there is no transfer to call off (it may have been accepted already)")]
    NoTransfer,
    #[error("nobody with skill {0:?} can join right now")]
    NoSpecialist(String),
    #[error("skill must be 1-64 characters of letters, digits, '-' or '_'")]
    BadSkill,
    #[error("status must be available, busy or away, not {0:?}")]
    BadStatus(String),
    #[error("the introduction must be 1-{0} bytes")]
    BadIntroduction(usize),
    #[error("storing the handoff failed: {0}")]
    Storage(String),
    #[error("the handoff service is not running")]
    Unavailable,
}

impl From<StepError> for HandoffError {
    fn from(e: StepError) -> Self {
        match e {
            StepError::NotOffered => Self::NotOffered,
            StepError::OfferExpired => Self::OfferExpired,
            StepError::NotAccepted => Self::NotAccepted,
            StepError::BriefingNotOpened => Self::BriefingNotOpened,
            StepError::AlreadyJoined => Self::AlreadyJoined,
            StepError::NotInConversation => Self::NotInConversation,
            StepError::NotEscalated => Self::NotEscalated,
            StepError::InvitePending => Self::InvitePending,
            StepError::TransferTargetUnavailable { name, why } => {
                Self::TransferTargetUnavailable(name, why)
            }
            StepError::NobodyToTransferTo(skill) => Self::NobodyToTransferTo(skill),
            StepError::BadTransfer(why) => Self::BadTransfer(why),
            StepError::NoTransfer => Self::NoTransfer,
            StepError::NoSpecialist(skill) => Self::NoSpecialist(skill),
            StepError::BadSkill => Self::BadSkill,
            StepError::BadIntroduction(max) => Self::BadIntroduction(max),
        }
    }
}
