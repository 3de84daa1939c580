//! The context score: how well context survived the handoff, from 100 (the customer never had to
//! repeat anything) down to 0.
//!
//! Every repeat ask costs 25 points: four questions for things the customer had already said are
//! as bad as it gets. A repeat ask for a fact the briefing listed costs 35, because the agent had
//! the answer in front of them and asked anyway; that is a reading (or briefing layout) problem a
//! manager can act on, worse than missing something buried in a long chat. The score never goes
//! below 0.

use crate::domain::{FactOrigin, RepeatAsk};

/// Points a repeat ask costs.
pub const REPEAT_ASK_COST: f64 = 25.0;
/// Points a repeat ask for a fact the briefing listed costs.
pub const BRIEFED_REPEAT_ASK_COST: f64 = 35.0;

/// 100 with no repeat asks, minus the cost of each, at least 0.
pub fn context_score(asks: &[RepeatAsk]) -> f64 {
    let cost: f64 = asks
        .iter()
        .map(|a| match a.known_from {
            FactOrigin::Briefing => BRIEFED_REPEAT_ASK_COST,
            FactOrigin::CustomerMessage | FactOrigin::CustomerRecord => REPEAT_ASK_COST,
        })
        .sum();
    (100.0 - cost).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Channel;
    use chrono::{TimeZone, Utc};

    fn ask(from: FactOrigin) -> RepeatAsk {
        RepeatAsk {
            message_id: "m1".into(),
            seq: 9,
            at: Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
            channel: Channel::Chat,
            agent_id: None,
            text: "What's your email?".into(),
            fact_kind: "email".into(),
            known_value: "jane@acme.io".into(),
            known_from: from,
            known_message_id: None,
        }
    }

    #[test]
    fn costs_per_origin_with_a_floor() {
        use FactOrigin::*;
        assert_eq!(context_score(&[]), 100.0);
        assert_eq!(context_score(&[ask(CustomerMessage)]), 75.0);
        assert_eq!(context_score(&[ask(CustomerRecord)]), 75.0);
        assert_eq!(context_score(&[ask(Briefing)]), 65.0);
        assert_eq!(context_score(&[ask(Briefing), ask(CustomerMessage)]), 40.0);
        assert_eq!(
            context_score(&[ask(Briefing), ask(Briefing), ask(Briefing)]),
            0.0
        );
        assert_eq!(context_score(&vec![ask(CustomerMessage); 5]), 0.0);
    }
}
