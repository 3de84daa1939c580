//! A briefing as a manager reads it on the review page or in an export: Markdown, sections in the
//! agent's reading order (5-second summary, then the 30-second detail, then the technical detail).
//!
//! Most of a briefing is the customer's own words, passed through the assistant: every piece of
//! it is escaped so it renders as the text it is, never as markup, a link or HTML. Technical
//! values (error messages, URLs, ids) go in code spans, which also keeps customer URLs from
//! becoming clickable links. Empty sections are left out.

use super::text::urgency;
use crate::domain::{AttemptOutcome, Briefing};
use chrono::SecondsFormat;
use std::fmt::Write;

/// `s` on one line with every character Markdown could read as markup backslash-escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\r' | '\n' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '<' | '>' | '(' | ')' | '#' | '+'
            | '-' | '.' | '!' | '|' | '~' | '&' | '=' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// `s` as an inline code span: fenced with one more backtick than its longest backtick run.
fn code(s: &str) -> String {
    let s = s.replace(['\r', '\n', '\t'], " ");
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn outcome(o: AttemptOutcome) -> &'static str {
    match o {
        AttemptOutcome::Failed => "failed",
        AttemptOutcome::PartiallyWorked => "partially worked",
        AttemptOutcome::Worked => "worked",
        AttemptOutcome::Unknown => "outcome unknown",
    }
}

/// `cache_clear` -> `Cache clear`.
fn words(id: &str) -> String {
    let spaced = id.replace(['_', '-'], " ");
    let mut chars = spaced.trim().chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A section with a bullet per item, or nothing when there are none.
fn list(out: &mut String, title: &str, items: impl IntoIterator<Item = String>) {
    let items: Vec<String> = items.into_iter().collect();
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## {title}\n");
    for i in items {
        let _ = writeln!(out, "- {i}");
    }
}

/// The briefing as Markdown, titled with the customer's name when known.
pub fn briefing_markdown(b: &Briefing, customer_name: Option<&str>) -> String {
    let mut out = String::with_capacity(2048);
    let who = customer_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map_or_else(|| "customer".to_owned(), escape);
    let _ = writeln!(out, "# Briefing: {who}\n");
    let _ = writeln!(
        out,
        "_Generated {}, from the conversation up to event {}._\n",
        b.generated_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        b.source_seq
    );
    let _ = writeln!(out, "{}", escape(&b.summary));

    let e = &b.emotional_state;
    let _ = writeln!(out, "\n## Emotional state\n");
    let mood = format!("**{}**, {}", e.label.as_str(), escape(&e.trend));
    if e.note.trim().is_empty() {
        let _ = writeln!(out, "{mood}.");
    } else {
        let _ = writeln!(out, "{mood}. {}", escape(&e.note));
    }

    let x = &b.escalation;
    let mut esc = vec![
        format!("Trigger: {}", code(&x.trigger)),
        format!("Urgency: **{}**", urgency(x.urgency)),
    ];
    if !x.customer_expectation.trim().is_empty() {
        esc.push(format!(
            "Customer expects: {}",
            escape(&x.customer_expectation)
        ));
    }
    if !x.ai_assessment.trim().is_empty() {
        esc.push(format!("Assessment: {}", escape(&x.ai_assessment)));
    }
    if !x.recommended_agent.trim().is_empty() {
        esc.push(format!("Routed to: {}", escape(&x.recommended_agent)));
    }
    list(&mut out, "Escalation", esc);

    list(
        &mut out,
        "Course of the conversation",
        b.detail.course.iter().map(|c| escape(c)),
    );
    list(
        &mut out,
        "What was tried",
        b.detail
            .attempts
            .iter()
            .map(|a| format!("{}: **{}**", escape(&words(&a.action)), outcome(a.outcome))),
    );
    list(
        &mut out,
        "Background",
        b.detail.background.iter().map(|c| escape(c)),
    );

    let t = &b.technical;
    let joined = |xs: &[String]| xs.iter().map(|x| code(x)).collect::<Vec<_>>().join(", ");
    let mut tech = Vec::new();
    if !t.error_messages.is_empty() {
        tech.push(format!("Error messages: {}", joined(&t.error_messages)));
    }
    if !t.codes.is_empty() {
        tech.push(format!("Codes: {}", joined(&t.codes)));
    }
    if !t.urls.is_empty() {
        tech.push(format!("URLs: {}", joined(&t.urls)));
    }
    if !t.ids.is_empty() {
        tech.push(format!("Ids: {}", joined(&t.ids)));
    }
    if let Some(browser) = &t.browser {
        tech.push(format!("Browser: {}", escape(browser)));
    }
    if let Some(device) = &t.device {
        tech.push(format!("Device: {}", escape(device)));
    }
    list(&mut out, "Technical detail", tech);

    list(
        &mut out,
        "Already known (do not ask again)",
        b.known_facts
            .iter()
            .map(|f| format!("{}: {}", escape(&words(&f.kind)), code(&f.value))),
    );

    if !b.next_actions.is_empty() {
        let _ = writeln!(out, "\n## Next actions\n");
        for (i, a) in b.next_actions.iter().enumerate() {
            let _ = writeln!(out, "{}. {}", i + 1, escape(a));
        }
    }

    if !b.warm_introduction.trim().is_empty() {
        let _ = writeln!(out, "\n## Warm introduction\n");
        let _ = writeln!(out, "> {}", escape(&b.warm_introduction));
    }

    let c = &b.completeness;
    let score = if c.score.is_finite() {
        (c.score.clamp(0.0, 1.0) * 100.0).round()
    } else {
        0.0
    };
    let _ = writeln!(out, "\n## Completeness\n");
    if c.missing.is_empty() {
        let _ = writeln!(out, "{score:.0}%.");
    } else {
        let missing: Vec<String> = c.missing.iter().map(|m| escape(m)).collect();
        let _ = writeln!(out, "{score:.0}%; missing: {}.", missing.join("; "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_fences_code() {
        assert_eq!(
            escape("*hi* [x](javascript:y) <b>\n#1"),
            "\\*hi\\* \\[x\\]\\(javascript:y\\) \\<b\\> \\#1"
        );
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(words("cache_clear"), "Cache clear");
    }
}
