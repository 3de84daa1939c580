//! Was a person needed for this handoff?
//!
//! Only a resolved episode is judged. It was necessary (`AgentAction`) when an agent says they did
//! something the assistant cannot (issued a refund, credited the account, changed or unlocked it,
//! escalated to engineering, fixed something manually, applied a discount, extended a trial,
//! cancelled a subscription), when the customer asked for a person (the `explicit_request` and
//! `call_request` triggers) or the topic always goes to one (`always_human_intent`), or when a
//! call was held. It was unnecessary (`KnowledgeBaseAnswer`) when, with none of those, an agent
//! message closely matches a knowledge-base article (score at least
//! [`KNOWLEDGE_MATCH_MIN_SCORE`]): the assistant could have answered it. Otherwise nothing
//! decides it and the answer is `None`, not a guess.

use super::text::{clip, normalize};
use crate::domain::{EscalationNecessity, KnowledgeMatch, Message, NecessityReason, Speaker};
use regex::Regex;
use std::sync::OnceLock;

/// Lowest knowledge-base similarity that counts as "the assistant had this answer".
pub const KNOWLEDGE_MATCH_MIN_SCORE: f64 = 0.6;

/// What the judgement reads, borrowed from the caller.
#[derive(Debug, Clone, Copy)]
pub struct NecessityInput<'a> {
    /// The escalation's trigger.
    pub trigger: &'a str,
    pub resolved: bool,
    pub had_call: bool,
    /// The episode's messages; only the agents' are read.
    pub messages: &'a [&'a Message],
    pub knowledge_matches: &'a [KnowledgeMatch],
}

/// Things only a person with back-office access does, each with the line a manager reads.
fn actions() -> &'static [(Regex, &'static str)] {
    static A: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    A.get_or_init(|| {
        // Literal patterns checked by the unit tests; see `asks::patterns`.
        let re = |p: &str| Regex::new(p).expect("literal regex is valid");
        vec![
            (
                re(concat!(
                    r"\b(?:issued|processed|approved|initiated|submitted|sent|put through) (?:you )?",
                    r"(?:a |the |your )?(?:full |partial )?refund|\brefund (?:has been|was|is) ",
                    r"(?:issued|processed|approved|on its way|initiated)|\brefunded\b",
                    r"|\b(?:reversed|voided) (?:the|that|this) (?:charge|payment)",
                )),
                "Refund issued by the agent",
            ),
            (
                re(r"\bcredited\b|\b(?:applied|added|issued) (?:a |an )?(?:\S+ )?(?:account )?credit\b|\bwaived\b"),
                "Account credited by the agent",
            ),
            (
                re(concat!(
                    r"\b(?:escalated|forwarded|raised|passed) (?:this|it|that|your \w+(?: \w+)?) ",
                    r"(?:to|with) (?:our |the )?(?:engineering|engineers|developers|dev team|tier 2|",
                    r"second line|product team|security team)|\bfiled a bug\b|\bopened a bug\b",
                )),
                "Escalated to engineering by the agent",
            ),
            (
                re(r"\bmanually\b"),
                "Manual fix by the agent",
            ),
            (
                re(concat!(
                    r"\b(?:applied|added|gave you|given you) (?:a |an |the )?(?:\d+% )?(?:discount|coupon|promo code)",
                    r"|\bdiscount (?:has been|was|is now) applied",
                )),
                "Discount applied by the agent",
            ),
            (
                re(r"\bextended (?:your|the) (?:free )?trial\b|\btrial (?:has been|was|is now) extended\b"),
                "Trial extended by the agent",
            ),
            (
                re(concat!(
                    r"\bcancell?ed (?:your|the) (?:subscription|plan|renewal|account)",
                    r"|\b(?:subscription|plan|renewal) (?:has been|was|is now) cancell?ed",
                )),
                "Subscription cancelled by the agent",
            ),
            (
                re(concat!(
                    r"\b(?:i|i've|i have|we|we've|we have)(?: just| now| also| went ahead and)? ",
                    r"(?:changed|updated|reset|unlocked|restored|reactivated|re-?enabled|enabled|disabled|",
                    r"merged|transferred|verified|unblocked|removed) (?:the |your )(?:account|email|e-mail|",
                    r"password|2fa|two-factor|mfa|plan|billing|payment method|access|login|username|",
                    r"workspace|seat|seats|permissions|role)\b|\b(?:account|access|password) (?:has been|was|is now) ",
                    r"(?:unlocked|reset|restored|reactivated|updated|changed|verified|reinstated|unblocked)\b",
                    r"|\bunlocked\b",
                )),
                "Account changed by the agent",
            ),
        ]
    })
}

/// A negation, condition or future just before a match ("I can't issue a refund", "was not
/// refunded", "if I refunded", "you'll be refunded once…"): the action was not done (yet).
fn negated(before: &str) -> bool {
    let tail: Vec<&str> = before.split_whitespace().rev().take(2).collect();
    tail.iter().any(|w| {
        w.ends_with("n't")
            || w.ends_with("'ll")
            || matches!(
                *w,
                "not"
                    | "cannot"
                    | "unable"
                    | "never"
                    | "if"
                    | "once"
                    | "will"
                    | "be"
                    | "would"
                    | "should"
                    | "could"
                    | "can"
                    | "might"
            )
    })
}

/// The first back-office action an agent message reports, with the message.
fn agent_action<'a>(messages: &[&'a Message]) -> Option<(&'a Message, &'static str)> {
    messages
        .iter()
        .filter(|m| m.speaker == Speaker::Agent)
        .find_map(|m| {
            let text = normalize(&m.content);
            actions().iter().find_map(|(re, line)| {
                re.find_iter(&text)
                    .any(|hit| !negated(&text[..hit.start()]))
                    .then_some((*m, *line))
            })
        })
}

/// The judgement for the episode, or `None` while it is open or when nothing decides it.
pub fn assess_necessity(input: &NecessityInput<'_>) -> Option<EscalationNecessity> {
    if !input.resolved {
        return None;
    }
    let necessary = |detail: String, message_id| EscalationNecessity {
        necessary: true,
        reason: NecessityReason::AgentAction,
        detail,
        message_id,
    };
    if let Some((m, line)) = agent_action(input.messages) {
        return Some(necessary(
            format!("{line}: “{}”", clip(&m.content, 80)),
            Some(m.id.clone()),
        ));
    }
    let asked = match input.trigger {
        "explicit_request" => Some("The customer asked for a person"),
        "call_request" => Some("The customer asked for a call with a person"),
        "always_human_intent" => Some("The topic always goes to a person"),
        _ => None,
    };
    if let Some(line) = asked {
        return Some(necessary(line.to_owned(), None));
    }
    if input.had_call {
        return Some(necessary("A call was held with the agent".to_owned(), None));
    }
    let best = input
        .knowledge_matches
        .iter()
        .filter(|k| k.score.is_finite() && k.score >= KNOWLEDGE_MATCH_MIN_SCORE)
        .filter(|k| {
            input
                .messages
                .iter()
                .any(|m| m.speaker == Speaker::Agent && m.id == k.message_id)
        })
        .max_by(|a, b| a.score.total_cmp(&b.score))?;
    Some(EscalationNecessity {
        necessary: false,
        reason: NecessityReason::KnowledgeBaseAnswer,
        detail: format!(
            "Answered from “{}” ({:.0}% match); the assistant could have handled it",
            clip(&best.article_title, 80),
            best.score * 100.0
        ),
        message_id: Some(best.message_id.clone()),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn patterns_compile() {
        assert_eq!(super::actions().len(), 8);
    }
}
