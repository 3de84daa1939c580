//! The text an agent reads first, in the shape of the handoff article's example briefing: who and
//! their plan, what they are trying to do and for how long, their mood, what the assistant did and
//! what they already tried themselves, what they need and by when. Written as sentences from the
//! extracted facts, never a quote; at most `Briefing::SUMMARY_MAX_CHARS` characters, dropping the
//! least important sentence first. Also the conversation's course and the customer's background.

use super::emotion::{mood_word, trend_phrase};
use super::text::{
    by_when, capitalize, char_len, humanize, is_small_talk, join_and, label_of_key, lower_first,
    sentences, strip_greeting, truncate_words,
};
use super::Ctx;
use crate::domain::{
    AttemptOutcome, AttemptSource, Briefing, Customer, PressureKind, SentimentLabel,
};
use serde_json::Value;

/// Attempt lines shown in the course; earlier ones are counted, not listed.
const COURSE_ATTEMPTS: usize = 4;
/// Time-pressure lines shown in the course (the summary and `timePressure` have them all).
const COURSE_PRESSURE: usize = 2;

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

/// "Sarah (Pro subscriber, power user)".
fn who(ctx: &Ctx<'_>) -> String {
    let name = ctx
        .first_name()
        .map(str::to_owned)
        .unwrap_or_else(|| "The customer".to_owned());
    let c = &ctx.input.conversation.header.customer.context;
    let mut tags: Vec<String> = Vec::new();
    let status = c
        .account_status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    match status {
        Some(s) if super::facts::plan_in_status(s).is_some() => tags.push(capitalize(&humanize(s))),
        _ => match (ctx.fact("plan"), status) {
            (Some(p), _) => tags.push(format!("{p} plan")),
            // A status that is not a plan still says something ("trial", "past due"), but
            // "active" says nothing.
            (None, Some(s)) if !s.eq_ignore_ascii_case("active") => tags.push(humanize(s)),
            _ => {}
        },
    }
    if let Some(u) = c.product_usage.as_deref().filter(|u| !u.trim().is_empty()) {
        tags.push(humanize(u));
    }
    if tags.is_empty() {
        name
    } else {
        format!("{name} ({})", tags.join(", "))
    }
}

/// What the conversation is about, as the end of "{who} has been dealing with …" (or "has a …").
fn issue_clause(ctx: &Ctx<'_>) -> String {
    if let Some(t) = ctx.main_topic() {
        return format!("has been dealing with {}", ctx.fill(t.summary));
    }
    if let Some(topic) = ctx
        .input
        .kb
        .topic
        .as_deref()
        .filter(|t| !t.trim().is_empty())
    {
        return format!("needs help with \u{201c}{topic}\u{201d}");
    }
    match ctx.intent() {
        Some(i) => format!("has {}", intent_phrase(i)),
        None => "has an issue the assistant could not resolve".to_owned(),
    }
}

/// An intent as the object of "has …": "a billing question", "an API key problem".
fn intent_phrase(intent: &str) -> String {
    let known = [
        ("api_keys", "an API key problem"),
        ("technical_support", "a technical problem"),
        ("login_access", "a sign-in problem"),
        ("data_export", "a data export question"),
        ("integrations", "an integration problem"),
        ("billing", "a billing question"),
        ("security", "a security concern"),
        ("legal", "a legal matter"),
        ("cancellation", "a cancellation request"),
    ];
    known
        .iter()
        .find(|(k, _)| *k == intent)
        .map(|(_, p)| (*p).to_owned())
        .unwrap_or_else(|| {
            let words = humanize(intent);
            let article = if words.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            format!("{article} {words} question")
        })
}

/// "Increasingly frustrated", "Upset but calming down", "Calm".
fn mood_sentence(ctx: &Ctx<'_>) -> String {
    let e = &ctx.emotion;
    match (e.label, e.trend.as_str()) {
        (SentimentLabel::Frustrated | SentimentLabel::Negative, "worsening") => {
            format!("Increasingly {}.", mood_word(e.label, false))
        }
        (SentimentLabel::Neutral, _) => "Calm so far.".to_owned(),
        (l, t) => format!("{} {}.", mood_word(l, true), trend_phrase(t)),
    }
}

/// "AI went through “Verify webhook signatures”, without success."
fn assistant_sentence(ctx: &Ctx<'_>) -> Option<String> {
    let mut steps: Vec<String> = Vec::new();
    let mut failed = 0;
    for a in ctx
        .attempts
        .iter()
        .filter(|a| a.source == AttemptSource::Assistant)
    {
        let words = ctx.step_words(&a.action);
        if !steps.contains(&words) {
            steps.push(words);
            failed += usize::from(a.outcome == AttemptOutcome::Failed);
        }
    }
    if steps.is_empty() {
        return None;
    }
    steps.truncate(2);
    let outcome = match failed {
        0 => "",
        _ if failed == steps.len() => ", without success",
        _ => ", partly without success",
    };
    Some(format!("AI went through {}{outcome}.", join_and(&steps)))
}

/// "Already rotated the signing secret and redeployed (still 401)."
fn customer_tried_sentence(ctx: &Ctx<'_>) -> Option<String> {
    let mine: Vec<&crate::domain::Attempt> = ctx
        .attempts
        .iter()
        .filter(|a| a.source == AttemptSource::Customer)
        .collect();
    if mine.is_empty() {
        return None;
    }
    let actions: Vec<String> = mine
        .iter()
        .take(3)
        .map(|a| lower_first(&a.action))
        .collect();
    let result = mine
        .iter()
        .rev()
        .map(|a| a.result.trim())
        .find(|r| !r.is_empty())
        .map(|r| format!(" ({})", r.to_lowercase()))
        .unwrap_or_default();
    Some(format!("Already tried: {}{result}.", join_and(&actions)))
}

/// "Needs a technical fix by tomorrow (release)." / "Asked for a person."
fn needs_sentence(ctx: &Ctx<'_>) -> Option<String> {
    let deadline = ctx
        .pressure
        .iter()
        .find(|f| f.kind == PressureKind::Deadline)
        .map(|f| f.text.clone());
    let stakes: Vec<String> = ctx
        .pressure
        .iter()
        .filter(|f| f.kind == PressureKind::Stakes)
        .take(2)
        .map(|f| f.text.to_lowercase())
        .collect();
    let recurrence = ctx
        .pressure
        .iter()
        .find(|f| f.kind == PressureKind::Recurrence)
        .map(|f| f.text.to_lowercase());
    let trigger = ctx.input.escalation.trigger.as_str();
    let need = match trigger {
        "explicit_request" => "Asked for a person".to_owned(),
        "call_request" => "Asked for a call with a person".to_owned(),
        "not_escalated" | "" => return pressure_only(deadline, &stakes, recurrence),
        _ => {
            format!(
                "Expects {}",
                expectation_words(&ctx.input.escalation.customer_expectation)
            )
        }
    };
    let mut s = need;
    if let Some(d) = deadline {
        s.push_str(&format!(", needed {}", by_when(&d)));
    }
    if !stakes.is_empty() {
        s.push_str(&format!(" ({})", stakes.join(", ")));
    }
    if let Some(r) = recurrence {
        s.push_str(&format!("; {r}"));
    }
    s.push('.');
    Some(s)
}

/// What the customer expects, in words: the policy's `{skill}_resolution` tokens become what a
/// person would say ("a technical solution").
fn expectation_words(expectation: &str) -> String {
    let e = expectation.trim().to_lowercase();
    let by_topic = [
        ("technical", "a technical solution"),
        ("integration", "a technical solution"),
        ("api", "a technical solution"),
        ("data_export", "their data exported"),
        ("billing", "the billing put right"),
        ("cancel", "the cancellation handled"),
        ("security", "their account secured"),
        ("legal", "a formal answer"),
        ("account", "access to their account back"),
        ("login", "access to their account back"),
        ("call", "a call with a person"),
        ("person", "a person to take over"),
    ];
    by_topic
        .iter()
        .find(|(k, _)| e.contains(k))
        .map(|(_, w)| (*w).to_owned())
        .unwrap_or_else(|| {
            if e.is_empty() || e.ends_with("resolution") {
                "a solution from a person".to_owned()
            } else {
                humanize(&e)
            }
        })
}

fn pressure_only(
    deadline: Option<String>,
    stakes: &[String],
    recurrence: Option<String>,
) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(d) = deadline {
        parts.push(format!("deadline: {d}"));
    }
    if !stakes.is_empty() {
        parts.push(format!("stakes: {}", stakes.join(", ")));
    }
    if let Some(r) = recurrence {
        parts.push(r);
    }
    (!parts.is_empty()).then(|| format!("{}.", capitalize(&parts.join("; "))))
}

pub fn executive(ctx: &Ctx<'_>) -> String {
    let spent = ctx
        .time_spent
        .as_ref()
        .map(|t| {
            if t.text.starts_with("since") || t.text.starts_with("all") {
                format!(" {}", t.text)
            } else {
                format!(" for {}", t.text)
            }
        })
        .unwrap_or_default();
    let codes: Vec<&str> = ctx
        .technical
        .codes
        .iter()
        .take(2)
        .map(String::as_str)
        .collect();
    let issue = issue_clause(ctx);
    let code_note = if codes.is_empty() || codes.iter().any(|c| issue.contains(c)) {
        String::new()
    } else {
        format!(" ({})", codes.join(", "))
    };
    let core = format!("{} {issue}{code_note}{spent}.", who(ctx));
    // In order of importance; the least important go first when there is no room.
    let mut parts: Vec<(u8, String)> = vec![(0, core), (1, mood_sentence(ctx))];
    if let Some(s) = needs_sentence(ctx) {
        parts.push((2, s));
    }
    if let Some(s) = customer_tried_sentence(ctx) {
        parts.push((3, s));
    }
    if let Some(s) = assistant_sentence(ctx) {
        parts.push((4, s));
    }
    // The order they are read in.
    let reading = |parts: &[(u8, String)]| {
        let mut sorted: Vec<&(u8, String)> = parts.iter().collect();
        sorted.sort_by_key(|(p, _)| match p {
            0 => 0,
            1 => 1,
            4 => 2,
            3 => 3,
            _ => 4,
        });
        sorted
            .iter()
            .map(|(_, s)| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let max = Briefing::SUMMARY_MAX_CHARS;
    while char_len(&reading(&parts)) > max && parts.len() > 1 {
        let least = parts
            .iter()
            .enumerate()
            .max_by_key(|(_, (p, _))| *p)
            .map(|(i, _)| i);
        if let Some(i) = least {
            parts.remove(i);
        }
    }
    truncate_words(&reading(&parts), max)
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
        lines.push(format!("{shown} earlier step(s) not listed here"));
    }
    for a in &ctx.attempts[shown..] {
        let outcome = a.outcome.as_str().replace('_', " ");
        lines.push(match a.source {
            AttemptSource::Assistant => {
                format!("AI suggested {} → {outcome}", ctx.step_words(&a.action))
            }
            AttemptSource::Customer if a.result.is_empty() => {
                format!("Customer already {} → {outcome}", lower_first(&a.action))
            }
            AttemptSource::Customer => format!(
                "Customer already {} → {} (\"{}\")",
                lower_first(&a.action),
                outcome,
                a.result
            ),
        });
    }
    let failed: Vec<String> = ctx
        .attempts
        .iter()
        .filter(|a| a.outcome == AttemptOutcome::Failed)
        .map(|a| match a.source {
            AttemptSource::Assistant => ctx.step_words(&a.action),
            AttemptSource::Customer => lower_first(&a.action),
        })
        .fold(Vec::new(), |mut v, s| {
            if !v.contains(&s) {
                v.push(s);
            }
            v
        });
    if !failed.is_empty() {
        lines.push(format!(
            "Do not repeat (already failed): {}",
            failed.join(", ")
        ));
    }
    for f in ctx.pressure.iter().take(COURSE_PRESSURE) {
        lines.push(format!(
            "Time pressure ({}): \"{}\"",
            match f.kind {
                PressureKind::Deadline => "deadline",
                PressureKind::Stakes => "stakes",
                PressureKind::Recurrence => "recurring",
            },
            truncate_words(
                if f.quote.is_empty() {
                    &f.text
                } else {
                    &f.quote
                },
                140
            )
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
    if let Some(t) = &ctx.time_spent {
        escalated.push_str(&format!(
            ", {} {}",
            t.text,
            if t.stated {
                "by the customer's account"
            } else {
                "in this conversation"
            }
        ));
    }
    lines.push(escalated);
    lines
}

/// Most attributes listed in the background.
const MAX_ATTRIBUTES: usize = 5;

pub fn background(customer: &Customer) -> Vec<String> {
    let c = &customer.context;
    let mut lines = Vec::new();
    if customer.verified {
        lines.push("Signed in on the company's site: identity and account verified".to_owned());
    }
    let here = customer.history.as_ref().filter(|h| h.conversations > 0);
    match (c.previous_interactions, here) {
        // The company's count says first contact but we have seen them: ours is the fact.
        (0, Some(_)) => {}
        (0, None) => lines.push("First contact with support".to_owned()),
        (1, _) => lines.push("1 previous interaction".to_owned()),
        (n, _) => lines.push(format!("{n} previous interactions")),
    }
    if let Some(h) = here {
        lines.push(returning_line(h));
    }
    if let Some(&latest) = c.satisfaction_history.last() {
        let recent = &c.satisfaction_history[c.satisfaction_history.len().saturating_sub(5)..];
        let list: Vec<String> = recent.iter().map(|v| format!("{v:.1}")).collect();
        lines.push(format!(
            "Satisfaction history: {} (latest {latest:.1})",
            list.join(" → ")
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
    if let Some(u) = &customer.unverified_context {
        // What an anonymous browser said about itself: worth knowing, not worth trusting.
        let claimed = unverified_claims(u);
        if !claimed.is_empty() {
            lines.push(format!(
                "Unverified (sent by the visitor's browser, not the company): {}",
                claimed.join("; ")
            ));
        }
    }
    lines
}

/// "Returning customer: 3 earlier conversations here (1 with an agent, 1 closed before anyone
/// joined); the last, billing, resolved by Sam Rivera; rated 4, 2".
fn returning_line(h: &crate::domain::history::ContactHistory) -> String {
    let mut line = format!(
        "Returning customer: {} earlier conversation{} here",
        h.conversations,
        if h.conversations == 1 { "" } else { "s" }
    );
    let mut parts = Vec::new();
    if h.with_agent > 0 {
        parts.push(format!("{} with an agent", h.with_agent));
    }
    if h.closed_before_agent > 0 {
        parts.push(format!(
            "{} closed before anyone joined",
            h.closed_before_agent
        ));
    }
    if !parts.is_empty() {
        line.push_str(&format!(" ({})", parts.join(", ")));
    }
    if let Some(last) = &h.last {
        let when = last
            .at
            .map(|t| format!(" on {}", t.format("%-d %b")))
            .unwrap_or_default();
        line.push_str(&format!("; the last{when}, {}", humanize(&last.skill)));
        let outcome = match (last.outcome, last.agents.first()) {
            (crate::domain::history::ContactOutcome::ResolvedByAgent, Some(name)) => {
                format!("resolved by {name}")
            }
            (o, _) => o.label().to_owned(),
        };
        line.push_str(&format!(", {outcome}"));
    }
    if !h.ratings.is_empty() {
        let list: Vec<String> = h.ratings.iter().map(u8::to_string).collect();
        line.push_str(&format!("; rated {} of 5", list.join(", ")));
    }
    line
}

fn unverified_claims(c: &crate::domain::CustomerContext) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(s) = c.account_status.as_deref().filter(|s| !s.trim().is_empty()) {
        out.push(format!("account status {}", humanize(s)));
    }
    if c.previous_interactions > 0 {
        out.push(format!("{} previous interactions", c.previous_interactions));
    }
    if let Some(u) = c.product_usage.as_deref().filter(|u| !u.trim().is_empty()) {
        out.push(format!("product usage {}", humanize(u)));
    }
    for (key, value) in c.attributes.iter().take(MAX_ATTRIBUTES) {
        if let Value::String(_) | Value::Number(_) | Value::Bool(_) = value {
            let v = value.to_string();
            out.push(format!(
                "{} {}",
                label_of_key(key).to_lowercase(),
                v.trim_matches('"')
            ));
        }
    }
    out
}
