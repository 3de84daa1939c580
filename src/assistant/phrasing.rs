//! Everything the built-in assistant says in its own words (as opposed to knowledge-base text).
//! Kept in one place so tone can be reviewed, and deterministic so tests can pin it.

/// How the answer opens, given where the conversation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opener {
    /// First suggestion for a calm customer.
    Plain,
    /// First suggestion, customer upset.
    Empathetic,
    /// The previous suggestion did not work.
    AfterFailure,
}

pub const GREETING: &str =
    "Hi there! I'm the virtual assistant. Tell me what's going on and I'll do my best to help.";
pub const THANKS: &str = "You're welcome! Is there anything else I can help with?";
pub const RESOLVED: &str = "Great, glad that sorted it! Is there anything else I can help with?";
pub const PERSON: &str =
    "Of course. I'm bringing in a member of our support team now. They'll see everything we've \
discussed so far, so you won't need to repeat yourself.";
pub const EXHAUSTED: &str =
    "I'm sorry, I've run out of suggestions for this one and I don't want to keep you guessing. \
I'm bringing in a member of our support team who can look into it with you; they'll see everything we've tried so far.";

/// A knowledge-base answer: a short lead-in, the passage, and a line inviting feedback.
pub fn answer(opener: Opener, passage: &str, troubleshooting: bool) -> String {
    let lead = match opener {
        Opener::Plain => "Happy to help with that.",
        Opener::Empathetic => "I'm sorry for the trouble. Let's get this sorted.",
        Opener::AfterFailure => "Sorry that didn't do it. Let's try something else.",
    };
    let close = if troubleshooting {
        "Let me know if that fixes it."
    } else {
        "Is there anything else I can help with?"
    };
    format!("{lead}\n\n{passage}\n\n{close}")
}

/// The honest "not sure" answer, naming what the knowledge base does cover.
pub fn out_of_scope(topics: &[&str]) -> String {
    let mut reply = String::from("I'm not sure I can help with that one.");
    if !topics.is_empty() {
        reply.push_str(" I can help with things like ");
        reply.push_str(&join_topics(topics));
        reply.push('.');
    }
    reply.push_str(" Could you tell me a bit more about what you're trying to do?");
    reply
}

/// "a, b, and c" (the serial comma keeps topics that contain "and" apart), each topic starting
/// lowercase unless it is an acronym ("API keys").
fn join_topics(topics: &[&str]) -> String {
    let lower: Vec<String> = topics.iter().map(|t| lower_first(t)).collect();
    match lower.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, [only])) => format!("{only} and {last}"),
        Some((last, rest)) => format!("{}, and {last}", rest.join(", ")),
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_lowercase() => {
            a.to_lowercase().chain(s[a.len_utf8()..].chars()).collect()
        }
        _ => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_read_naturally() {
        assert_eq!(
            out_of_scope(&["Billing and refunds", "API keys", "Data export"]),
            "I'm not sure I can help with that one. I can help with things like billing and refunds, API keys, \
             and data export. Could you tell me a bit more about what you're trying to do?"
        );
        assert!(out_of_scope(&["Billing", "Data export"]).contains("like billing and data export."));
        assert!(out_of_scope(&[]).starts_with("I'm not sure I can help with that one. Could"));
    }

    #[test]
    fn answer_has_lead_passage_and_close() {
        let a = answer(Opener::AfterFailure, "1. Do this.", true);
        assert_eq!(
            a,
            "Sorry that didn't do it. Let's try something else.\n\n1. Do this.\n\nLet me know if that fixes it."
        );
    }
}
