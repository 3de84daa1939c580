//! Markdown to chat text. Chat clients show assistant messages as plain text, so a passage loses
//! its emphasis markers, code ticks, fences and heading marks; lists stay lists and links keep their
//! address in brackets so nothing the customer needs is lost.

use regex::Regex;
use std::sync::OnceLock;

/// Plain-text rendering of a Markdown fragment (one knowledge-base section body). Lines wrapped
/// inside a paragraph or list item are joined, as Markdown does, so the chat client can wrap them.
pub fn to_plain(markdown: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut in_fence = false;
    // Whether the last line pushed may absorb a soft-wrapped continuation.
    let mut open_block = false;
    for raw in markdown.lines() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            in_fence = !in_fence;
            open_block = false;
            continue;
        }
        if in_fence {
            lines.push(line.to_owned());
            continue;
        }
        if trimmed.is_empty() {
            // Collapse runs of blank lines into one paragraph break.
            if lines.last().is_some_and(|l| !l.is_empty()) {
                lines.push(String::new());
            }
            open_block = false;
            continue;
        }
        let (text, starts_block) = if let Some(rest) = trimmed.strip_prefix('#') {
            // A sub-heading inside a section reads as a short label on its own line.
            (rest.trim_start_matches('#').trim().to_owned(), true)
        } else if let Some(rest) = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
        {
            let indent = &line[..line.len() - trimmed.len()];
            (format!("{indent}• {rest}"), true)
        } else {
            (trimmed.to_owned(), is_numbered(trimmed))
        };
        let text = inline(&text);
        match lines.last_mut() {
            Some(last) if open_block && !starts_block => {
                last.push(' ');
                last.push_str(&text);
            }
            _ => lines.push(text),
        }
        open_block = !trimmed.starts_with('#');
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

/// "1. ", "12) ": the start of a numbered list item.
fn is_numbered(line: &str) -> bool {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && (line[digits..].starts_with(". ") || line[digits..].starts_with(") "))
}

fn inline(line: &str) -> String {
    static LINK: OnceLock<Option<Regex>> = OnceLock::new();
    // The pattern is a literal, so compiling it cannot fail; if it somehow did, links would simply
    // stay in Markdown form rather than take the process down.
    let link = LINK.get_or_init(|| Regex::new(r"\[([^\]]+)\]\(([^)\s]+)\)").ok());
    let line = match link {
        Some(re) => re.replace_all(line, "$1 ($2)").into_owned(),
        None => line.to_owned(),
    };
    line.replace("**", "").replace("__", "").replace('`', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_markup_but_keeps_structure() {
        let md = "Try **this**\nfirst:\n\n\n1. Open `Settings`\n   and wait.\n2. Done.\n- See [the status page](https://status.example.com).\n\n```\ncurl -I x\n  -H y\n```\n### Still stuck?\nWrite to us.\n\n";
        assert_eq!(
            to_plain(md),
            "Try this first:\n\n1. Open Settings and wait.\n2. Done.\n• See the status page (https://status.example.com).\n\ncurl -I x\n  -H y\nStill stuck?\nWrite to us."
        );
    }
}
