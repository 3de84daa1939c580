//! The warm handoff, wired: one coordinator task owns the router (queues, offers, presence) and
//! every live handoff case, and turns decisions into committed events in a fixed order:
//!
//! `escalation_triggered` -> `agent_briefing_ready` -> (customer: escalation message with the wait
//! estimate) -> `handoff_offered` (with the briefing, pushed to the agent's sockets once committed)
//! -> `handoff_accepted` -> `briefing_opened` -> `agent_joined` -> the agent's warm introduction.
//!
//! Contract:
//! - Decisions stay in `crate::handoff` (policy, briefing, routing, messages, and `steps`, which
//!   owns the live cases and the router); this module only feeds them inputs, time and what IO
//!   tells, and carries out the steps they return.
//! - The coordinator never waits for a commit inside its loop: writes are queued on the journal in
//!   order (`Journal::submit`), so one conversation's events commit in the order written, and an
//!   agent's command is answered only after its events are durable.
//! - Offers reach agents from the commit sink (`frames_for_commit`), so an agent never sees an
//!   offer the log does not hold, and sees offers and withdrawals in commit order.
//! - The agent has the briefing (in the offer) before the customer sees the agent: joining needs
//!   an accepted offer and an opened briefing.
//! - State is rebuilt from the log at start (`recover`): queued conversations are queued again,
//!   assignments come back when their agents sign in.

mod coordinator;
mod error;
pub mod queue_view;
mod recover;

pub use error::HandoffError;

use crate::chat::{Hub, ServerFrame};
use crate::domain::{
    AgentStatus, BriefingText, Conversation, ConversationEvent, ConversationHeader, ConversationId,
    EventBody, KnowledgeContext, QueueView, User, UserId,
};
use crate::handoff::messages::WaitingState;
use crate::handoff::policy::Decision;
use tokio::sync::{mpsc, oneshot};

/// Commands queued before senders wait.
const COMMANDS: usize = 4096;

pub type Reply = oneshot::Sender<Result<(), HandoffError>>;

pub use crate::service::port::HandoffAction as AgentAction;

pub(crate) enum Command {
    /// The policy decided: queue the conversation, brief and offer.
    Escalate {
        conversation: Box<Conversation>,
        decision: Decision,
        likelihood: f64,
        kb: KnowledgeContext,
    },
    /// The customer wrote while waiting: the briefing the next agent reads is rebuilt from this.
    Refresh {
        conversation: Box<Conversation>,
        kb: KnowledgeContext,
    },
    Act {
        conversation_id: ConversationId,
        agent: User,
        action: AgentAction,
        /// The conversation as stored now, for actions that brief someone anew (a transfer).
        fresh: Option<Box<Conversation>>,
        reply: Reply,
    },
    /// An agent writes into a conversation they were not in: they take it over directly.
    TakeOver {
        header: Box<ConversationHeader>,
        agent: User,
        /// The prepared draft, stored as the briefing of the takeover.
        draft: Option<std::sync::Arc<crate::domain::Briefing>>,
        reply: Reply,
    },
    SetStatus {
        agent: UserId,
        status: AgentStatus,
        reply: Reply,
    },
    Connected {
        agent: User,
    },
    Disconnected {
        agent: UserId,
    },
    Snapshot {
        reply: oneshot::Sender<QueueView>,
    },
    /// A language model rewrote the briefing's texts for the facts of `text.source_seq`.
    Rewritten {
        conversation_id: ConversationId,
        text: BriefingText,
    },
    /// Where a queued conversation stands, for the assistant's answers while the customer waits.
    Waiting {
        conversation_id: ConversationId,
        reply: oneshot::Sender<Option<WaitingState>>,
    },
}

/// Handle to the coordinator; cheap to clone.
#[derive(Clone)]
pub struct Handoff {
    tx: mpsc::Sender<Command>,
    tasks: std::sync::Arc<crate::service::tasks::Tasks>,
}

impl Handoff {
    async fn ask(&self, make: impl FnOnce(Reply) -> Command) -> Result<(), HandoffError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(make(reply))
            .await
            .map_err(|_| HandoffError::Unavailable)?;
        answer.await.map_err(|_| HandoffError::Unavailable)?
    }

    /// Hands a decision over; returns once queued (the escalation's events follow in order).
    pub(crate) async fn escalate(
        &self,
        conversation: Conversation,
        decision: Decision,
        likelihood: f64,
        kb: KnowledgeContext,
    ) -> Result<(), HandoffError> {
        self.tx
            .send(Command::Escalate {
                conversation: Box::new(conversation),
                decision,
                likelihood,
                kb,
            })
            .await
            .map_err(|_| HandoffError::Unavailable)
    }

    pub(crate) async fn refresh(&self, conversation: Conversation, kb: KnowledgeContext) {
        let _ = self
            .tx
            .send(Command::Refresh {
                conversation: Box::new(conversation),
                kb,
            })
            .await;
    }

    pub async fn act(
        &self,
        conversation_id: ConversationId,
        agent: User,
        action: AgentAction,
    ) -> Result<(), HandoffError> {
        self.act_with(conversation_id, agent, action, None).await
    }

    /// `act`, with the conversation as stored now for a transfer's briefing.
    pub async fn act_with(
        &self,
        conversation_id: ConversationId,
        agent: User,
        action: AgentAction,
        fresh: Option<Conversation>,
    ) -> Result<(), HandoffError> {
        self.ask(|reply| Command::Act {
            conversation_id,
            agent,
            action,
            fresh: fresh.map(Box::new),
            reply,
        })
        .await
    }

    pub async fn take_over(
        &self,
        header: &ConversationHeader,
        agent: User,
        draft: Option<std::sync::Arc<crate::domain::Briefing>>,
    ) -> Result<(), HandoffError> {
        self.ask(|reply| Command::TakeOver {
            header: Box::new(header.clone()),
            agent,
            draft,
            reply,
        })
        .await
    }

    pub async fn set_status(&self, agent: UserId, status: &str) -> Result<(), HandoffError> {
        let status = parse_status(status)?;
        self.ask(|reply| Command::SetStatus {
            agent,
            status,
            reply,
        })
        .await
    }

    /// An agent's socket opened (each socket counts; the agent is online while one is open).
    pub fn connected(&self, agent: User) {
        let _ = self.tx.try_send(Command::Connected { agent });
    }

    /// Must follow every `connected`, also when the socket died.
    pub fn disconnected(&self, agent: UserId) {
        let tx = self.tx.clone();
        // A full queue must not lose a sign-out, or the agent would keep receiving offers. (Once
        // the coordinator has stopped, the send fails at once.)
        self.tasks.spawn("agent sign-out", async move {
            let _ = tx.send(Command::Disconnected { agent }).await;
        });
    }

    /// The model-written summary and introduction for a conversation's latest facts: a waiting
    /// case's briefing is refreshed with them.
    pub(crate) async fn rewritten(&self, conversation_id: ConversationId, text: BriefingText) {
        let _ = self
            .tx
            .send(Command::Rewritten {
                conversation_id,
                text,
            })
            .await;
    }

    /// Where the queued conversation `id` stands; `None` when it is not waiting for an agent.
    pub(crate) async fn waiting(&self, id: &ConversationId) -> Option<WaitingState> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Command::Waiting {
                conversation_id: id.clone(),
                reply,
            })
            .await
            .ok()?;
        answer.await.ok().flatten()
    }

    /// The whole queue view (every staff member's cut is made from it: `queue_view`).
    pub async fn snapshot(&self) -> Result<QueueView, HandoffError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Command::Snapshot { reply })
            .await
            .map_err(|_| HandoffError::Unavailable)?;
        answer.await.map_err(|_| HandoffError::Unavailable)
    }
}

fn parse_status(s: &str) -> Result<AgentStatus, HandoffError> {
    AgentStatus::parse(s).ok_or_else(|| HandoffError::BadStatus(s.chars().take(32).collect()))
}

pub use coordinator::{spawn, Deps};

/// Frames for agents that a committed event causes: an offer with its briefing, or its
/// withdrawal. Called by the commit sink, in commit order.
pub fn frames_for_commit(event: &ConversationEvent, header: &ConversationHeader, hub: &Hub) {
    match &event.body {
        EventBody::HandoffOffered {
            agent_id,
            expires_at,
            specialist,
            briefing,
            ..
        } => {
            hub.publish_user(
                agent_id,
                &ServerFrame::Offer {
                    conversation_id: event.conversation_id.clone(),
                    expires_at: *expires_at,
                    specialist: *specialist,
                    skill: briefing.escalation.recommended_agent.clone(),
                    urgency: briefing.escalation.urgency,
                    escalated_at: header.handoff.as_ref().and_then(|h| h.escalated_at),
                    customer_name: header.customer.name.clone(),
                    briefing: briefing.clone(),
                },
            );
        }
        EventBody::HandoffDeclined { agent_id, reason } => {
            hub.publish_user(
                agent_id,
                &ServerFrame::OfferWithdrawn {
                    conversation_id: event.conversation_id.clone(),
                    reason: reason.clone(),
                },
            );
        }
        _ => {}
    }
}
