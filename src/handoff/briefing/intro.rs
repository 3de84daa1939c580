//! The warm introduction: the agent's suggested first message, in the article's style ("Hi Sarah!
//! I'm Maria, … I can see you've … I've reviewed … Let me start by …"). It shows the context was
//! received (issue, what failed, the ids we have) and asks at most one question, only for something
//! that is not known.

use super::completeness::missing_needs;
use super::text::{action_words, capitalize, humanize, join_and};
use super::Ctx;
use crate::domain::{AttemptOutcome, SentimentLabel};

fn with_article(label: &str) -> String {
    let vowel = label
        .chars()
        .next()
        .is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {label}", if vowel { "an" } else { "a" })
}

pub fn warm_introduction(ctx: &Ctx<'_>) -> String {
    let input = ctx.input;
    let mut s = match ctx.first_name() {
        Some(name) => format!("Hi {name}!"),
        None => "Hi there!".to_owned(),
    };
    let skill = input
        .agent_skill_label
        .map(str::to_owned)
        .or_else(|| Some(humanize(&input.escalation.recommended_agent)))
        .filter(|s| !s.trim().is_empty());
    s.push_str(&match (input.agent_name, skill) {
        (Some(agent), Some(skill)) => format!(" I'm {agent}, {}.", with_article(&skill)),
        (Some(agent), None) => format!(" I'm {agent} from the support team."),
        (None, Some(skill)) => format!(" I'm {} on the support team.", with_article(&skill)),
        (None, None) => " I'm from the support team, taking over from our assistant.".to_owned(),
    });
    if matches!(
        ctx.emotion.label,
        SentimentLabel::Frustrated | SentimentLabel::Negative
    ) {
        s.push_str(" I'm sorry this has been such a hassle.");
    }
    let issue = ctx.main_topic().map_or_else(
        || "the issue you described to our assistant".to_owned(),
        |t| ctx.fill(t.issue),
    );
    s.push_str(&format!(" I can see you've been dealing with {issue}"));
    let failed: Vec<String> = ctx
        .attempts_with(AttemptOutcome::Failed)
        .into_iter()
        .take(3)
        .map(action_words)
        .collect();
    if !failed.is_empty() {
        s.push_str(&format!(", and that {} didn't solve it", join_and(&failed)));
    }
    s.push('.');
    let partial: Vec<String> = ctx
        .attempts_with(AttemptOutcome::PartiallyWorked)
        .into_iter()
        .take(2)
        .map(action_words)
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
