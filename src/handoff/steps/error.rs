//! The one error type of the steps: an agent's command the state refuses. The messages are the
//! ones agents read; the gateway's `HandoffError` carries them unchanged.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
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
    #[error("a transfer or specialist invite for this conversation is already pending")]
    InvitePending,
    /// The named colleague (`name`) cannot take it now (`why`: "is away", ...).
    #[error("{name} {why}, so the conversation cannot be transferred to them now")]
    TransferTargetUnavailable { name: String, why: &'static str },
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
    #[error("the introduction must be 1-{0} bytes")]
    BadIntroduction(usize),
}
