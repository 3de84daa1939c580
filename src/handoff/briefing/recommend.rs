//! Next actions for the agent, most useful first: the main topic's concrete step, the knowledge-base
//! suggestions the caller passed in, building on what partly worked, a second topic, server-side
//! investigation for 5xx codes, and asking for the most important missing item. Anything that
//! repeats a failed attempt is dropped; at most `MAX_ACTIONS` are kept.

use super::completeness::missing_needs;
use super::text::{action_words, repeats_action};
use super::Ctx;
use crate::domain::AttemptOutcome;

pub const MAX_ACTIONS: usize = 5;

pub fn next_actions(ctx: &Ctx<'_>) -> Vec<String> {
    let mut candidates: Vec<String> = Vec::new();
    if let Some(t) = ctx.main_topic() {
        candidates.push(ctx.fill(t.action));
    }
    candidates.extend(
        ctx.input
            .kb_suggestions
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
    );
    for action in ctx.attempts_with(AttemptOutcome::PartiallyWorked) {
        candidates.push(format!(
            "Build on {}, which partly helped, instead of starting over",
            action_words(action)
        ));
    }
    if let Some(t) = ctx.topics.get(1).filter(|t| t.key != "billing") {
        candidates.push(ctx.fill(t.action));
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
            "Search the server logs for the {} responses{} and bring in engineering if the fault is on our side",
            server_errors.join("/"),
            ctx.fact("request_id").map(|r| format!(" to request {r}")).unwrap_or_default()
        ));
    }
    if let Some(ask) = missing_needs(ctx).into_iter().find_map(|n| n.ask()) {
        candidates.push(format!("Ask the customer for {ask}"));
    }

    let failed = ctx.attempts_with(AttemptOutcome::Failed);
    let mut out: Vec<String> = Vec::new();
    for c in candidates {
        if failed.iter().any(|a| repeats_action(&c, a)) {
            continue;
        }
        if out.iter().any(|o| o.eq_ignore_ascii_case(&c)) {
            continue;
        }
        out.push(c);
        if out.len() == MAX_ACTIONS {
            break;
        }
    }
    if out.is_empty() {
        out.push(
            "Restate the customer's last message in your first reply to confirm the core issue, then investigate it"
                .to_owned(),
        );
    }
    out
}
