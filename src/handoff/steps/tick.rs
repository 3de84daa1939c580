//! The clock: offers that ran out move on, and conversations nobody accepted in time go back to
//! the assistant.

use super::reason::{HandBackReason, Milestone};
use super::step::{say, write, Step};
use super::Steps;
use crate::domain::{ConversationId, EventBody, Speaker, Timestamp};

impl Steps {
    /// Expires offers as of `now`. The flag says whether the router acted at all (the queue
    /// changed).
    pub fn tick(&mut self, now: Timestamp) -> (Vec<Step>, bool) {
        let actions = self.router.tick(now);
        let routed = !actions.is_empty();
        let mut out = Vec::new();
        self.apply(actions, now, &mut out);
        (out, routed)
    }

    /// The waiting conversations nobody accepted within the policy's time, as of `now`. The
    /// caller hands back those whose customer does not wait for an e-mail reply.
    pub fn hand_back_due(&self, now: Timestamp) -> Vec<ConversationId> {
        self.cases
            .iter()
            .filter(|(_, c)| c.waiting() && self.policy.hand_back_due(c.queued_at, now))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Hands the conversation back to the assistant: its offer is withdrawn, the case closes and
    /// the customer is told. `None` when it has no case.
    pub fn hand_back(&mut self, id: &ConversationId, now: Timestamp) -> Option<Vec<Step>> {
        let case = self.cases.remove(id)?;
        let mut out = vec![
            Step::Count(Milestone::HandBack),
            Step::HandedBack {
                conversation_id: id.clone(),
            },
        ];
        let actions = self.router.withdraw(id, now);
        self.apply(actions, now, &mut out);
        let body = EventBody::HandedBack {
            reason: HandBackReason::NoAgentAccepted.as_str().into(),
        };
        write(&mut out, id, body);
        // A system message also closes the policy's evidence window, so the same words
        // cannot escalate again at once.
        let text = self.config.messages.handed_back(case.skill());
        say(&mut out, id, Speaker::System, None, text, now);
        Some(out)
    }
}
