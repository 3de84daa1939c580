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
    /// Probably the customer's topic, but the match is not certain.
    Tentative,
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

/// A knowledge-base answer: a short lead-in that names the article and section it comes from, the
/// steps that answer the customer, and a line inviting feedback.
pub fn answer(
    opener: Opener,
    article: &str,
    section: &str,
    steps: &str,
    troubleshooting: bool,
) -> String {
    let source = format!("\u{201c}{section}\u{201d} in our {} guide", quote(article));
    let lead = match opener {
        Opener::Plain => format!("Happy to help with that. Here's what {source} says:"),
        Opener::Empathetic => {
            format!("I'm sorry for the trouble. Let's get this sorted; here's what {source} says:")
        }
        Opener::AfterFailure => {
            format!("Sorry that didn't do it. Let's try the next thing, from {source}:")
        }
        Opener::Tentative => {
            format!("I think this is what {source} covers:")
        }
    };
    let close = match (opener, troubleshooting) {
        (Opener::Tentative, _) => {
            "If that's not what you meant, tell me a bit more and I'll look again."
        }
        (_, true) => "Let me know if that fixes it, or tell me what you see instead.",
        (_, false) => "Is there anything else I can help with?",
    };
    format!("{lead}\n\n{steps}\n\n{close}")
}

fn quote(title: &str) -> String {
    format!("\u{201c}{title}\u{201d}")
}

/// One clarifying question between knowledge-base topics.
pub fn clarify(headings: &[&str]) -> String {
    let topics: Vec<String> = headings.iter().map(|h| lower_first(h)).collect();
    match topics.as_slice() {
        [] => "Could you tell me a bit more about what you're trying to do?".to_owned(),
        [one] => format!(
            "Just so I point you to the right steps: is this about {one}? If not, tell me a \
             bit more about what you're trying to do."
        ),
        [a, b, ..] => {
            format!("Just so I point you to the right steps: is this about {a}, or about {b}?")
        }
    }
}

/// A list item or paragraph as one sentence that can follow a colon: the list marker goes, the
/// first letter is lower-cased (unless it starts a name), and it ends with a full stop.
pub fn as_sentence(item: &str) -> String {
    let t = item.trim();
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    let t = if digits > 0 && t[digits..].starts_with(['.', ')']) {
        t[digits + 1..].trim_start()
    } else {
        t.trim_start_matches(['-', '*', '\u{2022}']).trim_start()
    };
    let mut out = lower_first(t);
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
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

/// The customer asks for more than the section already given says ("could your team add that
/// column to the export?"): honest that this part is not something the assistant knows, without
/// listing the topics again (it has just answered one of them).
pub fn beyond_section(section: &str) -> String {
    format!(
        "I'm not sure I can help with that part. What I have on \u{201c}{section}\u{201d} doesn't \
         cover it. Could you tell me a bit more about what you need?"
    )
}

/// The same section would be given a third time: say so and bring in a person.
pub fn going_in_circles(section: &str) -> String {
    format!(
        "I've pointed you to \u{201c}{section}\u{201d} twice now and it hasn't settled this, so I \
         don't want to keep you going round in circles. I'm bringing in a member of our support \
         team who can look into it with you; they'll see everything we've discussed so far."
    )
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
    fn answer_names_its_source_and_keeps_the_steps() {
        let a = answer(
            Opener::AfterFailure,
            "Widgets",
            "Restart",
            "1. Do this.",
            true,
        );
        assert_eq!(
            a,
            "Sorry that didn't do it. Let's try the next thing, from \u{201c}Restart\u{201d} in our \u{201c}Widgets\u{201d} guide:\n\n1. Do this.\n\nLet me know if that fixes it, or tell me what you see instead."
        );
    }

    #[test]
    fn steps_read_as_sentences() {
        assert_eq!(
            as_sentence("1. Open Settings > Developers > Webhooks and click \"Add endpoint\""),
            "open Settings > Developers > Webhooks and click \"Add endpoint\"."
        );
        assert_eq!(as_sentence("\u{2022} API keys expire."), "API keys expire.");
        assert!(clarify(&["Charged twice", "Refund policy"])
            .contains("charged twice, or about refund policy?"));
    }
}
