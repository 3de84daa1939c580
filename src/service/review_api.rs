//! The gateway's review endpoints behind `Backend`: who may ask (managers for everything a
//! manager reads, the customer for their survey, agents for the briefing they got), the audit
//! log entry every manager read leaves, and the ratings' validation.

use super::gateway::Gateway;
use super::review::ExportKind;
use crate::domain::{
    AuditEntry, ConversationEvent, ConversationId, ConversationStatus, EventBody, GroupBy,
    HandoffAggregate, HandoffFilter, HandoffMetrics, ParticipantKind, Principal, Role, User,
};
use crate::service::port::{Asker, Download};
use crate::service::ServiceError;
use crate::storage::{WriteOp, WriteOutcome};
use chrono::Utc;

/// Longest rating comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 1000;

impl From<super::review::ReviewError> for ServiceError {
    fn from(e: super::review::ReviewError) -> Self {
        use super::review::ReviewError as R;
        match e {
            R::NotFound => ServiceError::conversation_not_found(),
            other => ServiceError::internal("review", other),
        }
    }
}

/// The manager behind `who`, or 403.
pub(crate) fn manager_of(who: &Principal) -> Result<&User, ServiceError> {
    match who {
        Principal::Staff(u) if u.role == Role::Manager && !u.disabled => Ok(u),
        _ => Err(ServiceError::Forbidden(
            "handoff review is for managers".into(),
        )),
    }
}

fn check_score(score: u8) -> Result<(), ServiceError> {
    if (1..=5).contains(&score) {
        Ok(())
    } else {
        Err(ServiceError::Invalid("score must be 1 to 5".into()))
    }
}

fn check_comment(comment: Option<String>) -> Result<Option<String>, ServiceError> {
    let comment = comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS)
    {
        return Err(ServiceError::TooLarge(format!(
            "comment must be at most {MAX_COMMENT_CHARS} characters"
        )));
    }
    Ok(comment)
}

impl Gateway {
    /// Writes the audit entry for a manager's read; the read fails if it cannot be recorded.
    pub(crate) async fn audit(
        &self,
        asker: Asker<'_>,
        action: &str,
        conversation: Option<&ConversationId>,
        detail: String,
    ) -> Result<(), ServiceError> {
        let manager = manager_of(asker.who)?;
        let entry = AuditEntry {
            at: Utc::now(),
            user_id: manager.id.clone(),
            username: manager.username.clone(),
            action: action.to_owned(),
            conversation_id: conversation.cloned(),
            detail,
            ip: asker.ip.to_string(),
        };
        self.store.append_audit(&entry).await?;
        Ok(())
    }

    pub(crate) async fn review_handoffs_impl(
        &self,
        asker: Asker<'_>,
        filter: HandoffFilter,
        limit: u32,
        offset: u32,
    ) -> Result<(u64, Vec<HandoffMetrics>), ServiceError> {
        manager_of(asker.who)?;
        let page = self.store.list_handoffs(&filter, limit, offset).await?;
        self.audit(asker, "review.list", None, format!("offset {offset}"))
            .await?;
        Ok(page)
    }

    pub(crate) async fn review_aggregates_impl(
        &self,
        asker: Asker<'_>,
        filter: HandoffFilter,
        by: GroupBy,
    ) -> Result<(HandoffAggregate, Vec<HandoffAggregate>), ServiceError> {
        manager_of(asker.who)?;
        let items = self.store.handoffs_matching(&filter).await?;
        let users = self.store.list_users().await?;
        // Grouping 10,000 handoffs is CPU work; keep it off the async workers.
        let grouped = tokio::task::spawn_blocking(move || {
            let names = |id: &crate::domain::UserId| {
                users.iter().find(|u| &u.id == id).map(|u| u.name.clone())
            };
            crate::review::aggregate(items.iter(), by, &names)
        })
        .await
        .map_err(|e| ServiceError::internal("aggregating handoffs", e))?;
        self.audit(asker, "review.aggregates", None, by.as_str().to_owned())
            .await?;
        Ok(grouped)
    }

    pub(crate) async fn review_handoff_impl(
        &self,
        asker: Asker<'_>,
        id: &ConversationId,
    ) -> Result<crate::service::port::HandoffView, ServiceError> {
        manager_of(asker.who)?;
        let view = self.review.handoff_view(id).await?.ok_or_else(|| {
            ServiceError::NotFound("this conversation was never handed off".into())
        })?;
        self.audit(asker, "review.view", Some(id), String::new())
            .await?;
        Ok(view)
    }

    pub(crate) async fn review_filters_impl(
        &self,
        who: &Principal,
    ) -> Result<crate::service::port::ReviewFacets, ServiceError> {
        use crate::service::port::{AgentName, ReviewFacets};
        manager_of(who)?;
        let (skills, triggers) = self.store.handoff_facets().await?;
        let agents = self
            .store
            .list_users()
            .await?
            .into_iter()
            .filter(|u| u.role == Role::Agent)
            .map(|u| AgentName {
                id: u.id,
                name: u.name,
            })
            .collect();
        Ok(ReviewFacets {
            agents,
            skills,
            triggers,
        })
    }

    pub(crate) async fn review_audit_impl(
        &self,
        asker: Asker<'_>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, ServiceError> {
        manager_of(asker.who)?;
        let entries = self.store.audit_log(limit).await?;
        self.audit(asker, "audit.read", None, String::new()).await?;
        Ok(entries)
    }

    pub(crate) async fn export_impl(
        &self,
        asker: Asker<'_>,
        id: &ConversationId,
        name: &str,
        call: Option<&str>,
    ) -> Result<Download, ServiceError> {
        manager_of(asker.who)?;
        let kind = ExportKind::parse(name).ok_or_else(|| {
            ServiceError::NotFound(
                "exports are export.json, transcript.vtt, transcript.srt and briefing.md".into(),
            )
        })?;
        let body = self.review.export(id, kind, call).await?.ok_or_else(|| {
            ServiceError::NotFound(match kind {
                ExportKind::BriefingMarkdown => "this conversation has no briefing".into(),
                _ => "this conversation has no call transcript".into(),
            })
        })?;
        self.audit(
            asker,
            kind.action(),
            Some(id),
            call.unwrap_or_default().to_owned(),
        )
        .await?;
        Ok(Download {
            mime: kind.mime().to_owned(),
            file_name: kind.file_name(id),
            body,
        })
    }

    async fn append_rating(
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
            WriteOutcome::Committed { event, .. } => Ok((*event).clone()),
            WriteOutcome::Duplicate { event } => Ok((*event).clone()),
            WriteOutcome::UnknownConversation => Err(ServiceError::conversation_not_found()),
        }
    }

    pub(crate) async fn rate_handoff_impl(
        &self,
        who: &Principal,
        id: &ConversationId,
        score: u8,
        repeated: bool,
        comment: Option<String>,
    ) -> Result<ConversationEvent, ServiceError> {
        if !matches!(who, Principal::Customer { .. }) {
            return Err(ServiceError::Forbidden(
                "only the conversation's customer rates the handoff".into(),
            ));
        }
        let (header, access) = crate::service::port::Backend::authorize(self, who, id).await?;
        if !access.can_write() {
            return Err(ServiceError::Forbidden("not your conversation".into()));
        }
        check_score(score)?;
        let comment = check_comment(comment)?;
        if header.status != ConversationStatus::Resolved || header.escalation.is_none() {
            return Err(ServiceError::Conflict(
                "the handoff can be rated once an agent has resolved the conversation".into(),
            ));
        }
        self.append_rating(
            id,
            EventBody::HandoffRated {
                score,
                repeated,
                comment,
            },
        )
        .await
    }

    pub(crate) async fn rate_briefing_impl(
        &self,
        who: &Principal,
        id: &ConversationId,
        score: u8,
        comment: Option<String>,
    ) -> Result<ConversationEvent, ServiceError> {
        let agent = match who {
            Principal::Staff(u) if u.role == Role::Agent && !u.disabled => u,
            _ => {
                return Err(ServiceError::Forbidden(
                    "only the agents who received the briefing rate it".into(),
                ))
            }
        };
        let header = self
            .store
            .header(id)
            .await?
            .ok_or_else(ServiceError::conversation_not_found)?;
        // Everyone who joined as an agent, including those who have left since.
        let took_part = header
            .participants
            .iter()
            .any(|p| p.kind == ParticipantKind::Agent && p.user_id.as_ref() == Some(&agent.id));
        if !took_part {
            return Err(ServiceError::conversation_not_found());
        }
        if header.briefing.is_none() {
            return Err(ServiceError::Conflict(
                "this conversation has no briefing".into(),
            ));
        }
        check_score(score)?;
        let comment = check_comment(comment)?;
        self.append_rating(
            id,
            EventBody::BriefingRated {
                agent_id: agent.id.clone(),
                score,
                comment,
            },
        )
        .await
    }
}
