//! The warm introduction: the agent's suggested first message, in the article's style ("Hi Sarah!
//! I'm Maria, … I can see you've … I've reviewed … Let me start by …"). It names the agent and
//! their role, acknowledges how the customer feels and what is at stake for them, shows the context
//! was received (the issue, what they and the assistant already tried, the ids we have) and asks
//! at most one question, only for something that is not known.

use super::completeness::missing_needs;
use super::text::{by_when, capitalize, join_and, lower_first};
use super::Ctx;
use crate::domain::{AttemptOutcome, AttemptSource, PressureKind, SentimentLabel};

/// "a billing specialist", "an integration specialist".
fn with_article(label: &str) -> String {
    let lower = label.to_lowercase();
    let vowel = lower.starts_with(['a', 'e', 'i', 'o'])
        || (lower.starts_with('u') && !lower.starts_with("uni") && !lower.starts_with("use"));
    format!("{} {label}", if vowel { "an" } else { "a" })
}

/// The customer's own words turned to the second person for the agent to say back:
/// "rotated the signing secret" stays, "my app" becomes "your app".
fn second_person(s: &str) -> String {
    let words: Vec<String> = s
        .split_whitespace()
        .map(|w| {
            let (core, tail) = w.split_at(w.trim_end_matches([',', '.', '!', '?']).len());
            let swapped = match core.to_lowercase().as_str() {
                "my" | "our" => "your".to_owned(),
                "i" | "we" => "you".to_owned(),
                "me" | "us" => "you".to_owned(),
                "mine" | "ours" => "yours".to_owned(),
                _ => core.to_owned(),
            };
            format!("{swapped}{tail}")
        })
        .collect();
    words.join(" ")
}

/// What is at stake, said back to the customer after "I'm sorry this has been so frustrating,":
/// "and I know it's blocking your team", "especially with your release depending on it".
fn stakes_clause(stakes: &str) -> String {
    let text = second_person(&stakes.to_lowercase());
    let first = text.split_whitespace().next().unwrap_or("");
    match first {
        "blocking" | "blocks" | "blocked" | "holding" | "holds" | "costing" => {
            format!("and I know it's {text}")
        }
        "losing" | "lost" => format!("and I know you're {text}"),
        "can't" | "cannot" | "can" | "unable" => format!("and I know you {text}"),
        "your" | "the" | "a" | "an" | "this" | "their" => {
            if text.split_whitespace().count() <= 4 && !text.contains(" are") {
                format!("especially with {text} depending on it")
            } else {
                "especially with so much riding on it".to_owned()
            }
        }
        _ if text.split_whitespace().count() <= 3 => {
            format!("especially with your {text} depending on it")
        }
        _ => "especially with so much riding on it".to_owned(),
    }
}

/// "Hi Sarah! I'm Maria, an integration specialist.": who greets whom, always written here (a
/// model-written introduction continues after it).
pub fn greeting(ctx: &Ctx<'_>) -> String {
    let input = ctx.input;
    let mut s = match ctx.first_name() {
        Some(name) => format!("Hi {name}!"),
        None => "Hi there!".to_owned(),
    };
    let label = input
        .agent_skill_label
        .map(str::trim)
        .filter(|l| !l.is_empty());
    s.push_str(&match (input.agent_name, label) {
        (Some(agent), Some(label)) => format!(" I'm {agent}, {}.", with_article(label)),
        (Some(agent), None) => format!(" I'm {agent} from the support team."),
        (None, Some(label)) => format!(" I'm {} on the support team.", with_article(label)),
        (None, None) => " I'm from the support team, taking over from our assistant.".to_owned(),
    });
    s
}

pub fn warm_introduction(ctx: &Ctx<'_>) -> String {
    let mut s = greeting(ctx);
    let upset = matches!(
        ctx.emotion.label,
        SentimentLabel::Frustrated | SentimentLabel::Negative
    );
    let deadline = ctx
        .pressure
        .iter()
        .find(|f| f.kind == PressureKind::Deadline)
        .map(|f| f.text.clone());
    let stakes = ctx
        .pressure
        .iter()
        .find(|f| f.kind == PressureKind::Stakes)
        .map(|f| stakes_clause(&f.text));
    match (upset, &deadline, &stakes) {
        (true, Some(d), _) => s.push_str(&format!(
            " I'm sorry this has been so frustrating, and I know you need it sorted {}.",
            by_when(d)
        )),
        (true, None, Some(st)) => {
            s.push_str(&format!(" I'm sorry this has been so frustrating, {st}."))
        }
        (true, None, None) => s.push_str(" I'm sorry this has been such a hassle."),
        (false, Some(d), _) => s.push_str(&format!(
            " I know you need this sorted {}, so let's get going.",
            by_when(d)
        )),
        _ => {}
    }
    let issue = ctx.main_topic().map_or_else(
        || "the issue you described to our assistant".to_owned(),
        |t| ctx.fill(t.issue),
    );
    s.push_str(&format!(" I can see you've been dealing with {issue}"));
    let tried: Vec<String> = ctx
        .attempts
        .iter()
        .filter(|a| a.source == AttemptSource::Customer)
        .take(2)
        .map(|a| second_person(&lower_first(&a.action)))
        .collect();
    let failed: Vec<String> = ctx
        .attempts
        .iter()
        .filter(|a| a.source == AttemptSource::Assistant && a.outcome == AttemptOutcome::Failed)
        .take(2)
        .map(|a| ctx.step_words(&a.action))
        .fold(Vec::new(), |mut v, w| {
            if !v.contains(&w) {
                v.push(w);
            }
            v
        });
    if !tried.is_empty() {
        s.push_str(&format!(", and that you've already {}", join_and(&tried)));
    } else if !failed.is_empty() {
        s.push_str(&format!(", and that {} didn't solve it", join_and(&failed)));
    }
    s.push('.');
    let partial: Vec<String> = ctx
        .attempts_with(AttemptOutcome::PartiallyWorked)
        .into_iter()
        .take(2)
        .map(|a| ctx.step_words(a))
        .collect();
    if !partial.is_empty() {
        s.push_str(&format!(
            " {} helped a little, so we'll build on that.",
            capitalize(&join_and(&partial))
        ));
    }
    let refs: Vec<String> = ctx.technical.ids.iter().take(2).cloned().collect();
    let including = if refs.is_empty() {
        String::new()
    } else {
        format!(", including {}", join_and(&refs))
    };
    s.push_str(&format!(
        " I've reviewed your conversation with our assistant{including}, so you won't need to repeat anything."
    ));
    let start = ctx.main_topic().map_or_else(
        || "going through the details you've shared".to_owned(),
        |t| ctx.fill(t.start),
    );
    s.push_str(&format!(" Let me start by {start}."));
    if let Some(q) = missing_needs(ctx).into_iter().find_map(|n| n.question()) {
        s.push_str(&format!(" While I do, could you tell me {q}?"));
    }
    s
}

/// The first words of an agent taking a transfer: the colleague before them is named, so the
/// customer hears that the context came along ("Maria has filled me in on …").
pub fn transfer_introduction(ctx: &Ctx<'_>, from_agent: &str) -> String {
    let mut s = greeting(ctx);
    let from = from_agent
        .split_whitespace()
        .next()
        .unwrap_or("my colleague");
    let issue = ctx.main_topic().map_or_else(
        || "what you've been dealing with".to_owned(),
        |t| ctx.fill(t.issue),
    );
    s.push_str(&format!(
        " {from} has filled me in on {issue}, and I've read your whole conversation, so you won't need to repeat anything."
    ));
    let start = ctx.main_topic().map_or_else(
        || "picking up where you left off".to_owned(),
        |t| ctx.fill(t.start),
    );
    s.push_str(&format!(" Let me start by {start}."));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_follow_the_sound() {
        assert_eq!(
            with_article("integration specialist"),
            "an integration specialist"
        );
        assert_eq!(with_article("billing specialist"), "a billing specialist");
        assert_eq!(with_article("user researcher"), "a user researcher");
    }

    #[test]
    fn speaks_to_the_customer() {
        assert_eq!(
            second_person("redeployed our Node/Express app"),
            "redeployed your Node/Express app"
        );
        assert_eq!(
            second_person("cleared my cache, twice."),
            "cleared your cache, twice."
        );
    }
}
