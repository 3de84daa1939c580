//! The text an agent reads first: the executive summary (who, core issue in the customer's words,
//! mood, urgency, expectation; at most `Briefing::SUMMARY_MAX_CHARS` characters, trimmed gracefully),
//! the conversation's course in a few lines, and the customer's background.

use super::emotion::{mood_word, trend_phrase};
use super::text::{
    action_words, capitalize, char_len, humanize, is_small_talk, label_of_key, sentences,
    strip_greeting, truncate_words,
};
use super::Ctx;
use crate::domain::{AttemptOutcome, Briefing, Customer, Urgency};
use serde_json::Value;

/// Attempt lines shown in the course; earlier ones are counted, not listed.
const COURSE_ATTEMPTS: usize = 4;
const QUOTE_MIN: usize = 40;

/// The customer's problem statement: the first sentence with content in their first messages.
fn issue_sentence<'a>(ctx: &'a Ctx<'_>) -> Option<&'a str> {
    let first = ctx.said.first()?;
    let found = ctx
        .said
        .iter()
        .take(3)
        .find_map(|s| sentences(&s.msg.content).find(|x| !is_small_talk(x)));
    let sentence = found.unwrap_or(first.msg.content.trim());
    Some(strip_greeting(sentence).trim_end_matches(['.', ' ']))
}

fn urgency_word(u: Urgency) -> &'static str {
    match u {
        Urgency::Low => "Low",
        Urgency::Medium => "Medium",
        Urgency::High => "High",
        Urgency::Critical => "Critical",
    }
}

fn duration_text(ctx: &Ctx<'_>) -> Option<String> {
    let start = ctx.said.first()?.msg.timestamp;
    let end = ctx.input.conversation.messages.last()?.timestamp;
    let mins = (end - start).num_minutes();
    match mins {
        m if m < 1 => None,
        m if m < 90 => Some(format!("{m} min")),
        m => Some(format!("{} h", (m + 30) / 60)),
    }
}

/// Who the customer is: "Sarah Chen (Pro subscriber)".
fn who(ctx: &Ctx<'_>) -> String {
    let name = ctx.fact("name").unwrap_or("The customer").to_owned();
    let status = ctx
        .input
        .conversation
        .header
        .customer
        .context
        .account_status
        .as_deref()
        .filter(|s| super::facts::plan_in_status(s).is_some())
        .map(|s| capitalize(&humanize(s)))
        .or_else(|| ctx.fact("plan").map(|p| format!("{p} plan")));
    match status {
        Some(st) => format!("{name} ({st})"),
        None => name,
    }
}

pub fn executive(ctx: &Ctx<'_>) -> String {
    let esc = ctx.input.escalation;
    let who = who(ctx);
    let quote = issue_sentence(ctx).unwrap_or("no message from the customer yet");
    let mood = format!(
        "{} {}",
        mood_word(ctx.emotion.label, true),
        trend_phrase(&ctx.emotion.trend)
    );
    let after = duration_text(ctx)
        .map(|d| format!(" after {d}"))
        .unwrap_or_default();
    let failed = ctx
        .attempts
        .iter()
        .filter(|a| a.outcome == AttemptOutcome::Failed)
        .count();
    let failed = match failed {
        0 => String::new(),
        1 => "; 1 AI fix failed".to_owned(),
        n => format!("; {n} AI fixes failed"),
    };
    let expects = if esc.customer_expectation.trim().is_empty() {
        String::new()
    } else {
        format!("; expects {}", humanize(&esc.customer_expectation))
    };
    let urgency = format!("{} urgency", urgency_word(esc.urgency));

    let compose = |quote: &str, after: &str, failed: &str, expects: &str| {
        format!("{who} reports: \"{quote}\". {mood}{after}{failed}. {urgency}{expects}.")
    };
    let max = Briefing::SUMMARY_MAX_CHARS;
    // Drop the least important parts until the quote has room, then trim the quote.
    let mut parts = (after.as_str(), failed.as_str(), expects.as_str());
    let room = |p: (&str, &str, &str)| max.saturating_sub(char_len(&compose("", p.0, p.1, p.2)));
    if room(parts) < QUOTE_MIN {
        parts.0 = "";
    }
    if room(parts) < QUOTE_MIN {
        parts.1 = "";
    }
    if room(parts) < QUOTE_MIN {
        parts.2 = "";
    }
    let quote = truncate_words(quote, room(parts));
    truncate_words(&compose(&quote, parts.0, parts.1, parts.2), max)
}

fn hhmm(t: crate::domain::Timestamp) -> String {
    t.format("%H:%M").to_string()
}

pub fn course(ctx: &Ctx<'_>) -> Vec<String> {
    let mut lines = Vec::new();
    let messages = &ctx.input.conversation.messages;
    if let (Some(first), Some(quote)) = (ctx.said.first(), issue_sentence(ctx)) {
        lines.push(format!(
            "{} UTC, customer opened: \"{}\"",
            hhmm(first.msg.timestamp),
            truncate_words(quote, 140)
        ));
    }
    let shown = ctx.attempts.len().saturating_sub(COURSE_ATTEMPTS);
    if shown > 0 {
        lines.push(format!(
            "AI suggested {shown} earlier step(s) not listed here"
        ));
    }
    for a in &ctx.attempts[shown..] {
        lines.push(format!(
            "AI suggested {} → {}",
            action_words(&a.action),
            a.outcome.as_str().replace('_', " ")
        ));
    }
    let failed: Vec<String> = ctx
        .attempts_with(AttemptOutcome::Failed)
        .into_iter()
        .map(action_words)
        .collect();
    if !failed.is_empty() {
        lines.push(format!(
            "Do not repeat (already failed): {}",
            failed.join(", ")
        ));
    }
    if let Some(last) = ctx.said.last() {
        if ctx.said.len() > 1 {
            lines.push(format!(
                "{} UTC, latest from customer: \"{}\"",
                hhmm(last.msg.timestamp),
                truncate_words(&last.msg.content, 140)
            ));
        }
    }
    let esc = ctx.input.escalation;
    let mut escalated = format!("Escalated ({})", humanize(&esc.trigger));
    if !esc.ai_assessment.trim().is_empty() {
        escalated.push_str(&format!(": {}", esc.ai_assessment.trim()));
    }
    escalated.push_str(&format!(" — {} messages", messages.len()));
    if let Some(d) = duration_text(ctx) {
        escalated.push_str(&format!(" over {d}"));
    }
    lines.push(escalated);
    lines
}

/// Most attributes listed in the background.
const MAX_ATTRIBUTES: usize = 5;

pub fn background(customer: &Customer) -> Vec<String> {
    let c = &customer.context;
    let mut lines = Vec::new();
    lines.push(match c.previous_interactions {
        0 => "First contact with support".to_owned(),
        1 => "1 previous interaction".to_owned(),
        n => format!("{n} previous interactions"),
    });
    if let Some(&latest) = c.satisfaction_history.last() {
        let recent = &c.satisfaction_history[c.satisfaction_history.len().saturating_sub(5)..];
        let list: Vec<String> = recent.iter().map(|v| format!("{v:.1}")).collect();
        lines.push(format!(
            "Satisfaction history: {} (latest {latest:.1})",
            list.join(", ")
        ));
    }
    if let Some(u) = c.product_usage.as_deref().filter(|u| !u.trim().is_empty()) {
        lines.push(format!("Product usage: {}", humanize(u)));
    }
    if let Some(s) = c.account_status.as_deref().filter(|s| !s.trim().is_empty()) {
        lines.push(format!("Account status: {}", humanize(s)));
    }
    for (key, value) in c.attributes.iter().take(MAX_ATTRIBUTES) {
        let value = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => continue,
        };
        lines.push(format!("{}: {value}", label_of_key(key)));
    }
    lines
}
