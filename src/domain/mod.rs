//! The conversation model shared by every module: ids, the unified conversation object, messages,
//! participants, calls, users, the per-conversation event log, and the read models staff are served
//! (the routing queue).
//!
//! Contract: no IO and no imports from the rest of the crate. Field names on the wire are camelCase and
//! follow the article's "Unified Conversation Object Model"; extend it, never rename it. Functions that
//! depend on time take it as an argument.

pub mod access;
pub mod attachment;
pub mod briefing;
pub mod call;
pub mod canned;
pub mod conversation;
pub mod events;
pub mod followup;
pub mod handoff;
pub mod history;
pub mod identity;
pub mod ids;
pub mod message;
pub mod queue;
pub mod review;
pub mod site;
pub mod tags;
pub mod transcript;
pub mod user;

pub use access::{Access, Principal};
pub use briefing::{
    Attempt, AttemptOutcome, AttemptSource, Briefing, BriefingDetail, BriefingText, Completeness,
    EmotionalState, KnowledgeContext, KnownFact, PressureFact, PressureKind, TechnicalDetail,
    TimeSpent, TransferNote,
};
pub use call::{
    Call, CallMember, CallOrigin, IceServer, MediaChange, MediaSource, RecordingFile,
    RecordingSource,
};
pub use conversation::{
    Conversation, ConversationHeader, ConversationStatus, ConversationSummary, Customer,
    CustomerContext, Escalation, InternalNote, LiveCall, Participant, ParticipantKind, Urgency,
};
pub use events::{ConversationEvent, EventBody};
pub use handoff::{HandoffState, PendingTransfer, WaitEstimate};
pub use ids::{ConversationId, MessageId, ParticipantId, UserId};
pub use message::{Channel, Message, Sentiment, SentimentLabel, Speaker};
pub use queue::{AgentLoad, AgentStatus, CaseSummary, QueueView, QueuedCase, SkillQueue};
pub use review::{
    AuditEntry, BriefingRating, CustomerRating, EscalationNecessity, FactOrigin, GroupBy,
    HandoffAggregate, HandoffDurations, HandoffFilter, HandoffMetrics, KnowledgeMatch,
    NecessityReason, RepeatAsk,
};
pub use transcript::{TranscriptSegment, TranscriptSource, VoiceSegment};
pub use user::{Role, User};

/// Wall-clock instant used across the model (UTC, millisecond precision on the wire).
pub type Timestamp = chrono::DateTime<chrono::Utc>;
