//! Next actions for the agent, most useful first: the main topic's concrete step, the knowledge
//! base's next steps the caller looked up (whole sentences), building on what partly worked, a
//! second topic, server-side investigation for 5xx codes, the deadline to plan around, and asking
//! for the most important missing item. Anything that repeats a failed attempt, the assistant's or
//! the customer's own, is dropped; at most `MAX_ACTIONS` are kept.

use super::completeness::missing_needs;
use super::text::{repeats_action, stems};
use super::Ctx;
use crate::domain::{AttemptOutcome, AttemptSource, PressureKind};

pub const MAX_ACTIONS: usize = 5;

/// True when `candidate` would have the customer do again what they already did: it has the
/// action's verb and at least one of its object words ("Rotate the signing secret" repeats "rotated
/// the signing secret"; "Check which signing secret was used" does not).
fn repeats_customer_step(candidate: &str, action: &str) -> bool {
    let action_stems = stems(action);
    let Some((verb, object)) = action_stems.split_first() else {
        return false;
    };
    let words = stems(candidate);
    !object.is_empty() && words.contains(verb) && object.iter().any(|o| words.contains(o))
}

pub fn next_actions(ctx: &Ctx<'_>) -> Vec<String> {
    let mut candidates: Vec<String> = Vec::new();
    if let Some(t) = ctx.main_topic() {
        candidates.push(format!("{}.", ctx.fill(t.action)));
    } else if let Some(topic) = ctx.input.kb.topic.as_deref() {
        // No known situation, but the knowledge base knows the topic: look on our side first.
        candidates.push(format!(
            "Check our side first (logs and settings for this account) for \u{201c}{topic}\u{201d}, before asking the customer to try anything again."
        ));
    }
    candidates.extend(
        ctx.input
            .kb
            .next_steps
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
    );
    for action in ctx.attempts_with(AttemptOutcome::PartiallyWorked) {
        candidates.push(format!(
            "Build on {}, which partly helped, instead of starting over.",
            ctx.step_words(action)
        ));
    }
    if let Some(t) = ctx.topics.get(1).filter(|t| t.key != "billing") {
        candidates.push(format!("{}.", ctx.fill(t.action)));
    }
    let server_errors: Vec<&str> = ctx
        .technical
        .codes
        .iter()
        .map(String::as_str)
        .filter(|c| c.len() == 3 && c.starts_with('5'))
        .collect();
    if !server_errors.is_empty() {
        candidates.push(format!(
            "Search the server logs for the {} responses{} and bring in engineering if the fault is on our side.",
            server_errors.join("/"),
            ctx.fact("request_id").map(|r| format!(" to request {r}")).unwrap_or_default()
        ));
    }
    if let Some(d) = ctx
        .pressure
        .iter()
        .find(|f| f.kind == PressureKind::Deadline)
    {
        candidates.push(format!(
            "Tell the customer in your first reply what can be done before their deadline (\"{}\").",
            d.text
        ));
    }
    if let Some(ask) = missing_needs(ctx).into_iter().find_map(|n| n.ask()) {
        candidates.push(format!("Ask the customer for {ask}."));
    }

    let failed: Vec<(AttemptSource, &str)> = ctx
        .attempts
        .iter()
        .filter(|a| a.outcome == AttemptOutcome::Failed)
        .map(|a| (a.source, a.action.as_str()))
        .collect();
    let mut out: Vec<String> = Vec::new();
    for c in candidates {
        let repeats = failed.iter().any(|(source, a)| match source {
            AttemptSource::Assistant => repeats_action(&c, a),
            AttemptSource::Customer => repeats_customer_step(&c, a),
        });
        if repeats || out.iter().any(|o| o.eq_ignore_ascii_case(&c)) {
            continue;
        }
        out.push(c);
        if out.len() == MAX_ACTIONS {
            break;
        }
    }
    if out.is_empty() {
        out.push(
            "Restate the customer's last message in your first reply to confirm the core issue, then investigate it."
                .to_owned(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_step_is_repeated_only_with_its_verb() {
        assert!(repeats_customer_step(
            "Ask them to rotate the signing secret again.",
            "rotated the signing secret"
        ));
        assert!(!repeats_customer_step(
            "Check which signing secret the failed deliveries used.",
            "rotated the signing secret"
        ));
        assert!(repeats_customer_step(
            "Have them clear the browser cache.",
            "cleared the cache"
        ));
    }
}
