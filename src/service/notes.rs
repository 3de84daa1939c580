//! Internal notes and tags: what staff write on a conversation for each other. Both are
//! staff-only events (`note_added`, `tags_changed`): the customer's socket and REST view carry
//! them as `redacted`, the review shows them. Agents who may write to the conversation add them;
//! managers review read-only; customers and integrations may not.

use super::gateway::Gateway;
use crate::domain::tags::normalize_tags;
use crate::domain::{ConversationEvent, ConversationId, EventBody, Principal, Role, User};
use crate::service::ServiceError;
use crate::storage::{WriteOp, WriteOutcome};
use chrono::Utc;

impl Gateway {
    /// The agent behind `who`, if they may write staff notes on `id`.
    async fn note_writer<'a>(
        &self,
        who: &'a Principal,
        id: &ConversationId,
    ) -> Result<&'a User, ServiceError> {
        let agent = match who {
            Principal::Staff(u) if u.role == Role::Agent && !u.disabled => u,
            Principal::Staff(_) => {
                return Err(ServiceError::Forbidden(
                    "managers review conversations read-only".into(),
                ))
            }
            _ => {
                return Err(ServiceError::Forbidden(
                    "notes and tags are for the support team".into(),
                ))
            }
        };
        let (_, access) = crate::service::port::Backend::authorize(self, who, id).await?;
        if !access.can_write() {
            return Err(ServiceError::Forbidden(
                "you may read this conversation but not write to it".into(),
            ));
        }
        Ok(agent)
    }

    async fn append_staff_event(
        &self,
        id: &ConversationId,
        body: EventBody,
    ) -> Result<ConversationEvent, ServiceError> {
        let op = WriteOp::Append {
            conversation_id: id.clone(),
            body,
            client_id: None,
            at: Utc::now(),
        };
        match self.journal.write(op).await? {
            WriteOutcome::Committed { event, .. } | WriteOutcome::Duplicate { event } => {
                Ok((*event).clone())
            }
            WriteOutcome::UnknownConversation => Err(ServiceError::conversation_not_found()),
        }
    }

    pub(crate) async fn add_note_impl(
        &self,
        who: &Principal,
        id: &ConversationId,
        text: String,
    ) -> Result<ConversationEvent, ServiceError> {
        let text = text.trim().to_owned();
        if text.is_empty() {
            return Err(ServiceError::Invalid("the note is empty".into()));
        }
        let limit = crate::service::port::Backend::limits(self).max_message_bytes;
        if text.len() > limit {
            return Err(ServiceError::TooLarge(format!(
                "the note is {} bytes; the limit is {limit}",
                text.len()
            )));
        }
        let agent = self.note_writer(who, id).await?;
        self.append_staff_event(
            id,
            EventBody::NoteAdded {
                agent_id: agent.id.clone(),
                agent_name: agent.name.clone(),
                text,
            },
        )
        .await
    }

    pub(crate) async fn set_tags_impl(
        &self,
        who: &Principal,
        id: &ConversationId,
        tags: Vec<String>,
    ) -> Result<ConversationEvent, ServiceError> {
        let tags = normalize_tags(&tags).map_err(|e| ServiceError::Invalid(e.to_string()))?;
        let agent = self.note_writer(who, id).await?;
        self.append_staff_event(
            id,
            EventBody::TagsChanged {
                agent_id: agent.id.clone(),
                tags,
            },
        )
        .await
    }
}
