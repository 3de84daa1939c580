//! Attempted solutions, in the order they happened:
//! - every action an assistant message reports in `actionsAttempted`, judged by the customer's
//!   next message ("still", "same error" -> failed; "a bit better" -> partially worked; "that
//!   worked" -> worked; no reply or no cue -> unknown), and marked failed when the customer says
//!   they had already done it before it was suggested;
//! - every step the customer says they took (`analysis::attempts`), with its outcome and result in
//!   their words ("rotated the signing secret" -> failed, "still 401").
//!
//! One pass over the messages.

use super::text::repeats_action;
use crate::analysis::attempts::stated_attempts;
use crate::domain::{Attempt, AttemptOutcome, AttemptSource, Message, Speaker};

const PARTIAL: &[&str] = &[
    "a bit better",
    "bit better",
    "little better",
    "slightly better",
    "partly",
    "partially",
    "somewhat",
    "sort of work",
    "kind of work",
    "better but",
    "helped a bit",
    "helped a little",
    "some of them",
    "half of",
    "improved",
    "sort of",
];

const FAILED: &[&str] = &[
    "still",
    "didn't work",
    "did not work",
    "doesn't work",
    "does not work",
    "didn't help",
    "did not help",
    "doesn't help",
    "same error",
    "same thing",
    "same problem",
    "same issue",
    "same result",
    "same loop",
    "same page",
    "same message",
    "same screen",
    "same response",
    "no luck",
    "nothing changed",
    "no change",
    "no difference",
    "not working",
    "isn't working",
    "already tried",
    "already did",
    "already done",
    "not fixed",
    "didn't fix",
    "doesn't fix",
    "did nothing",
    "nope",
    "useless",
    "won't work",
    "not helping",
    "that's not it",
    "not interested",
    "don't want",
];

const WORKED: &[&str] = &[
    "that worked",
    "it worked",
    "worked!",
    "fixed",
    "works now",
    "working now",
    "that did it",
    "solved",
    "resolved",
    "all good",
    "that helped",
    "it's back",
];

/// The outcome the customer's reply signals for the step(s) just suggested.
pub fn judge(reply_lower: &str) -> AttemptOutcome {
    let any = |cues: &[&str]| cues.iter().any(|c| reply_lower.contains(c));
    if any(PARTIAL) {
        AttemptOutcome::PartiallyWorked
    } else if any(FAILED) {
        AttemptOutcome::Failed
    } else if any(WORKED) {
        AttemptOutcome::Worked
    } else {
        AttemptOutcome::Unknown
    }
}

/// "Regenerated it", "did that again": an action whose only object points back.
fn refers_back(action: &str) -> bool {
    let object: Vec<&str> = action.split_whitespace().skip(1).collect();
    !object.is_empty()
        && object.iter().all(|w| {
            matches!(
                w.trim_matches(|c: char| !c.is_alphanumeric())
                    .to_lowercase()
                    .as_str(),
                "it" | "that"
                    | "this"
                    | "them"
                    | "those"
                    | "these"
                    | "again"
                    | "too"
                    | "already"
                    | "twice"
                    | "as"
                    | "well"
                    | "both"
                    | "now"
                    | ""
            )
        })
}

/// Attempts in the order they were suggested or reported.
pub fn extract(messages: &[Message]) -> Vec<Attempt> {
    let mut attempts: Vec<Attempt> = Vec::new();
    // Index into `attempts` of the first assistant step still waiting for the customer's reply.
    let mut pending_from = 0;
    for m in messages {
        match m.speaker {
            Speaker::Ai => {
                for action in m.actions_attempted.iter().filter(|a| !a.trim().is_empty()) {
                    attempts.push(Attempt {
                        action: action.trim().to_owned(),
                        outcome: AttemptOutcome::Unknown,
                        message_id: m.id.clone(),
                        source: AttemptSource::Assistant,
                        description: String::new(),
                        result: String::new(),
                    });
                }
            }
            Speaker::Customer => {
                let lower = m.content.to_lowercase();
                let answers_a_step = pending_from < attempts.len();
                if answers_a_step {
                    let outcome = judge(&lower);
                    for a in &mut attempts[pending_from..] {
                        if a.source == AttemptSource::Assistant {
                            a.outcome = outcome;
                        }
                    }
                }
                for s in stated_attempts(&m.content) {
                    // "Cleared the cache, still blank" after the assistant suggested clearing it
                    // is that suggestion's outcome, not a step of their own.
                    let known = attempts.iter().any(|a| match a.source {
                        AttemptSource::Customer => a.action.eq_ignore_ascii_case(&s.action),
                        AttemptSource::Assistant => repeats_action(&s.action, &a.action),
                    });
                    // "Regenerated it." right after the assistant suggested regenerating: the
                    // pronoun is that step, whose outcome was just recorded.
                    if known || (answers_a_step && refers_back(&s.action)) {
                        continue;
                    }
                    // A customer still asking for help after doing something: it did not fix it,
                    // unless they say otherwise.
                    let outcome = match s.outcome {
                        AttemptOutcome::Unknown => AttemptOutcome::Failed,
                        o => o,
                    };
                    attempts.push(Attempt {
                        action: s.action,
                        outcome,
                        message_id: m.id.clone(),
                        source: AttemptSource::Customer,
                        description: s.sentence,
                        result: s.result,
                    });
                }
                pending_from = attempts.len();
            }
            _ => {}
        }
    }
    attempts
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn judges_replies() {
        assert_eq!(judge("still a blank page"), AttemptOutcome::Failed);
        assert_eq!(judge("same error as before"), AttemptOutcome::Failed);
        assert_eq!(judge("it's not fixed"), AttemptOutcome::Failed);
        assert_eq!(
            judge("a bit better but still slow"),
            AttemptOutcome::PartiallyWorked
        );
        assert_eq!(judge("that worked, thanks"), AttemptOutcome::Worked);
        assert_eq!(judge("which settings page?"), AttemptOutcome::Unknown);
    }

    #[test]
    fn customer_steps_sit_beside_the_assistants() {
        let now = Utc::now();
        let mut ai = Message::new(Speaker::Ai, "Try verifying the signature.", now);
        ai.actions_attempted = vec!["webhook_signature_verify".into()];
        let messages = vec![
            Message::new(Speaker::Customer, "Webhooks fail with 401", now),
            ai,
            Message::new(
                Speaker::Customer,
                "I already rotated the signing secret and redeployed. Still 401.",
                now,
            ),
        ];
        let a = extract(&messages);
        let seen: Vec<(&str, AttemptSource, AttemptOutcome)> = a
            .iter()
            .map(|a| (a.action.as_str(), a.source, a.outcome))
            .collect();
        assert_eq!(
            seen,
            [
                (
                    "webhook_signature_verify",
                    AttemptSource::Assistant,
                    AttemptOutcome::Failed
                ),
                (
                    "rotated the signing secret",
                    AttemptSource::Customer,
                    AttemptOutcome::Failed
                ),
                (
                    "redeployed",
                    AttemptSource::Customer,
                    AttemptOutcome::Failed
                ),
            ]
        );
        assert_eq!(a[1].result, "Still 401");
    }
}
