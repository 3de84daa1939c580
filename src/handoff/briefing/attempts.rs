//! Attempted solutions: every action an assistant message reports in `actionsAttempted`, judged by
//! the customer's next message ("still", "same error" -> failed; "a bit better" -> partially worked;
//! "that worked" -> worked; no reply or no cue -> unknown). One pass over the messages.

use crate::domain::{Attempt, AttemptOutcome, Message, Speaker};

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

/// Attempts in the order they were suggested.
pub fn extract(messages: &[Message]) -> Vec<Attempt> {
    let mut attempts = Vec::new();
    // Index into `attempts` of the first step still waiting for the customer's reply.
    let mut pending_from = 0;
    for m in messages {
        match m.speaker {
            Speaker::Ai => {
                for action in m.actions_attempted.iter().filter(|a| !a.trim().is_empty()) {
                    attempts.push(Attempt {
                        action: action.trim().to_owned(),
                        outcome: AttemptOutcome::Unknown,
                        message_id: m.id.clone(),
                    });
                }
            }
            Speaker::Customer if pending_from < attempts.len() => {
                let outcome = judge(&m.content.to_lowercase());
                for a in &mut attempts[pending_from..] {
                    a.outcome = outcome;
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
}
