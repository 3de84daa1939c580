//! The latest handoff episode of a conversation: its last `escalation_triggered` event and what
//! followed it, up to and including the `conversation_resolved` or `handed_back` that closed it.
//!
//! A conversation can be escalated, resolved, reopened by the customer and escalated again; the
//! review always describes the most recent handoff, so earlier episodes only matter as history
//! (what the customer had said before).

use crate::domain::{ConversationEvent, Escalation, EventBody, MessageId};

/// Reason of the `status_changed` event written when a customer writes into a resolved
/// conversation (see `service::gateway`).
pub const REOPENED_REASON: &str = "reopened_by_customer";

/// The latest episode, as positions in the whole log.
#[derive(Debug, Clone, Copy)]
pub struct Episode<'a> {
    pub log: &'a [ConversationEvent],
    /// Index of the `escalation_triggered` event.
    pub start: usize,
    /// One past the episode's last event.
    pub end: usize,
    pub escalation: &'a Escalation,
    pub evidence: &'a [MessageId],
}

impl<'a> Episode<'a> {
    /// The latest episode of `log`, or `None` if the conversation was never escalated.
    pub fn latest(log: &'a [ConversationEvent]) -> Option<Self> {
        let (start, escalation, evidence) =
            log.iter()
                .enumerate()
                .rev()
                .find_map(|(i, e)| match &e.body {
                    EventBody::EscalationTriggered {
                        escalation,
                        evidence,
                        ..
                    } => Some((i, escalation, evidence.as_slice())),
                    _ => None,
                })?;
        let end = log[start..]
            .iter()
            .position(|e| {
                matches!(
                    e.body,
                    EventBody::ConversationResolved { .. } | EventBody::HandedBack { .. }
                )
            })
            .map_or(log.len(), |i| start + i + 1);
        Some(Self {
            log,
            start,
            end,
            escalation,
            evidence,
        })
    }

    /// The escalation event itself.
    pub fn escalation_event(&self) -> &'a ConversationEvent {
        &self.log[self.start]
    }

    /// The episode's events, from the escalation to the event that closed it.
    pub fn events(&self) -> &'a [ConversationEvent] {
        &self.log[self.start..self.end]
    }

    /// Everything from the escalation to the end of the log: ratings arrive after resolution.
    pub fn since_escalation(&self) -> &'a [ConversationEvent] {
        &self.log[self.start..]
    }

    /// The AI phase before the escalation: from the later of the conversation's first event and
    /// the customer's reopening of it, up to (not including) the escalation.
    pub fn ai_phase(&self) -> &'a [ConversationEvent] {
        let before = &self.log[..self.start];
        let from = before
            .iter()
            .rposition(|e| {
                matches!(&e.body, EventBody::StatusChanged { reason: Some(r), .. } if r == REOPENED_REASON)
            })
            .unwrap_or(0);
        &before[from..]
    }
}
