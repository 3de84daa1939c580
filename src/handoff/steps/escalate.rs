//! The policy decided to escalate: the case opens, the briefing is written, the conversation is
//! queued, and the customer hears what happens next. While it waits, what the customer writes
//! (and what a language model rewrites) keeps the briefing current.

use super::case::{first_name, Case};
use super::step::{say, write, Step};
use super::Steps;
use crate::domain::{
    BriefingText, Conversation, ConversationId, EventBody, KnowledgeContext, Speaker, Timestamp,
};
use crate::handoff::messages::Waiting;
use crate::handoff::policy::Decision;
use crate::handoff::routing::RoutingAction;
use std::sync::Arc;

impl Steps {
    /// The policy's `decision` for `conversation`. Nothing happens when the conversation already
    /// has a case, or `staff_have_it` (an agent took it over while the turn was evaluated).
    ///
    /// Writes `escalation_triggered` and `agent_briefing_ready`, queues it under the decision's
    /// skill (at least the urgency the customer's plan earns), tells the customer what happens
    /// next (offered at once, their place in the queue, or that nobody is signed in), then the
    /// router's offers.
    pub fn escalate(
        &mut self,
        conversation: Conversation,
        decision: &Decision,
        likelihood: f64,
        kb: KnowledgeContext,
        staff_have_it: bool,
        now: Timestamp,
    ) -> Vec<Step> {
        let mut out = Vec::new();
        let id = conversation.header.conversation_id.clone();
        if self.cases.contains_key(&id) || staff_have_it {
            return out;
        }
        let mut escalation = decision.to_escalation();
        // Plan-based priority, from context the site vouched for (anonymous claims are kept
        // apart and never reach `customer.context`).
        let customer_record = &conversation.header.customer;
        if let Some(floor) = self.config.routing.account_priority(customer_record) {
            escalation.urgency = escalation.urgency.max(floor);
        }
        let customer = conversation
            .header
            .customer
            .name
            .as_deref()
            .map(|n| first_name(n).to_owned());
        let case = Case::new(escalation.clone(), now, Arc::new(conversation), kb);
        let label = self.config.messages.skill(case.skill()).label;
        let briefing = case.briefing(None, &label, now);
        write(
            &mut out,
            &id,
            EventBody::EscalationTriggered {
                escalation,
                evidence: decision.evidence.clone(),
                likelihood: Some(likelihood),
            },
        );
        write(
            &mut out,
            &id,
            EventBody::AgentBriefingReady {
                briefing: Box::new(briefing),
            },
        );
        let (skill, urgency, language) = (case.skill().to_owned(), case.urgency(), case.language());
        self.cases.insert(id.clone(), case);
        out.push(Step::Escalated {
            conversation_id: id.clone(),
            trigger: decision.trigger,
            skill: skill.clone(),
        });
        let actions = self
            .router
            .enqueue(id.clone(), &skill, language.as_deref(), urgency, now);
        let offered = actions.iter().any(
            |a| matches!(a, RoutingAction::Offer { conversation_id, .. } if conversation_id == &id),
        );
        let nobody = self.router.agents_serving(&skill) == 0;
        let waiting = match self.router.wait_estimate(&id, now) {
            Some((position, _)) if nobody => Waiting::NobodyOnline { position },
            Some((position, estimate_secs)) if !offered => Waiting::Queued {
                position,
                estimate_secs,
            },
            _ => Waiting::Offered {
                estimate_secs: self.config.routing.offer_timeout_secs,
            },
        };
        let text =
            self.config
                .messages
                .escalation(decision.trigger, &skill, waiting, customer.as_deref());
        say(&mut out, &id, Speaker::System, None, text, now);
        self.apply(actions, now, &mut out);
        out
    }

    /// The customer wrote while waiting: the policy may make the case stronger or more urgent
    /// (`escalation_updated`), and the briefing the next agent reads is rebuilt from
    /// `conversation`. Ignored unless the case waits and `conversation` is newer than its own.
    pub fn refresh(
        &mut self,
        conversation: Conversation,
        kb: KnowledgeContext,
        now: Timestamp,
    ) -> Vec<Step> {
        let mut out = Vec::new();
        let id = conversation.header.conversation_id.clone();
        let Some(case) = self.cases.get_mut(&id) else {
            return out;
        };
        if !case.waiting() || case.conversation.header.last_seq >= conversation.header.last_seq {
            return out;
        }
        case.conversation = Arc::new(conversation);
        if kb != KnowledgeContext::default() {
            case.kb = kb;
        }
        // What the customer wrote while waiting can make the case stronger or more urgent.
        let reassessed = self
            .policy
            .reassess(&case.conversation, &case.escalation, case.queued_at);
        if let Some(escalation) = reassessed {
            case.escalation = escalation.clone();
            write(&mut out, &id, EventBody::EscalationUpdated { escalation });
        }
        let label = self.config.messages.skill(case.skill()).label;
        let briefing = case.briefing(None, &label, now);
        write(
            &mut out,
            &id,
            EventBody::AgentBriefingReady {
                briefing: Box::new(briefing),
            },
        );
        out
    }

    /// A language model's texts for the case's current facts replace the rules' in its briefings;
    /// a waiting case's stored briefing is refreshed so staff read them. Texts for older facts
    /// are dropped.
    pub fn rewritten(
        &mut self,
        id: &ConversationId,
        text: BriefingText,
        now: Timestamp,
    ) -> Vec<Step> {
        let mut out = Vec::new();
        let Some(case) = self.cases.get_mut(id) else {
            return out;
        };
        let current = case
            .conversation
            .messages
            .iter()
            .map(|m| m.seq)
            .fold(case.conversation.header.last_seq, u64::max);
        if text.source_seq != current {
            return out;
        }
        case.written = Some(text);
        if !case.waiting() {
            return out;
        }
        let label = self.config.messages.skill(case.skill()).label;
        let briefing = case.briefing(None, &label, now);
        write(
            &mut out,
            id,
            EventBody::AgentBriefingReady {
                briefing: Box::new(briefing),
            },
        );
        out
    }
}
