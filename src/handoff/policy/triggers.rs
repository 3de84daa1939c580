//! Trigger detection: one function per trigger, each a pure scan of the evaluation window that
//! returns the messages proving it fired. Thresholds come from `PolicyConfig`; precedence, urgency
//! and wording are decided by the caller.

use super::{PolicyConfig, Trigger};
use crate::analysis::requests::asks_for_person;
use crate::analysis::{frustration_trend, trend::WINDOW};
use crate::domain::{Message, MessageId, SentimentLabel, Speaker};

/// Intent the classifier gives "let me talk to a person".
pub const HUMAN_REQUEST_INTENT: &str = "human_request";
/// Intent the classifier gives "can you call me".
pub const CALL_REQUEST_INTENT: &str = "call_request";

/// Phrases that mean "the step you proposed did not help". Matched as lowercase substrings after
/// typographic apostrophes are folded, so "didn’t work" counts too.
const FAILURE_CUES: &[&str] = &[
    "didn't work",
    "did not work",
    "doesn't work",
    "does not work",
    "not working",
    "didn't help",
    "did not help",
    "doesn't help",
    "didn't fix",
    "did not fix",
    "no luck",
    "no change",
    "nothing changed",
    "no difference",
    "same error",
    "same problem",
    "same issue",
    "same thing",
    "tried that",
    "already tried",
    "still not",
    "still broken",
    "still blank",
    "still the same",
    "still get",
    "still see",
    "still doesn't",
    "still don't",
    "still can't",
    "still won't",
    "still fail",
    "still happen",
    "still no",
    "nope",
];

/// A trigger that fired, with what the caller needs to explain it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Fired {
    pub trigger: Trigger,
    pub evidence: Vec<MessageId>,
    /// One sentence for the agent, already worded for this trigger.
    pub assessment: String,
    /// The intent behind an `AlwaysHumanIntent` trigger.
    pub intent: Option<String>,
}

impl Fired {
    fn new(trigger: Trigger, evidence: Vec<MessageId>, assessment: String) -> Self {
        Self {
            trigger,
            evidence,
            assessment,
            intent: None,
        }
    }
}

/// The messages a decision may rest on: everything after the last agent or system message. A
/// person's turn (or the system notice posted on hand-back or reopening) closes the earlier
/// episode, so evidence that was already acted on cannot escalate the conversation a second time.
pub(super) fn window(messages: &[Message]) -> &[Message] {
    let start = messages
        .iter()
        .rposition(|m| matches!(m.speaker, Speaker::Agent | Speaker::System))
        .map_or(0, |i| i + 1);
    &messages[start..]
}

fn customer(w: &[Message]) -> impl DoubleEndedIterator<Item = &Message> {
    w.iter().filter(|m| m.speaker == Speaker::Customer)
}

/// The customer's most recent sentiment label in the window (unanalysed messages are skipped).
pub(super) fn latest_label(w: &[Message]) -> Option<SentimentLabel> {
    customer(w).rev().find_map(|m| m.sentiment)
}

/// A frustrated message at least this negative escalates on its own (after the assistant tried).
const STRONG_FRUSTRATION: f64 = -0.6;

/// Customer messages a falling mood must span before it escalates.
const MIN_TREND_MESSAGES: usize = 3;

/// Customer messages whose mood sets the urgency: the last few, because a plain request right
/// after an angry message does not mean the customer calmed down.
const MOOD_WINDOW: usize = 3;

/// The worst sentiment label of the customer's last `MOOD_WINDOW` analysed messages in the window,
/// unless the latest one is positive (they calmed down).
pub(super) fn recent_worst_label(w: &[Message]) -> Option<SentimentLabel> {
    let recent: Vec<SentimentLabel> = customer(w)
        .rev()
        .filter_map(|m| m.sentiment)
        .take(MOOD_WINDOW)
        .collect();
    let latest = *recent.first()?;
    if latest == SentimentLabel::Positive {
        return Some(latest);
    }
    let rank = |l: &SentimentLabel| match l {
        SentimentLabel::Positive => 0,
        SentimentLabel::Neutral => 1,
        SentimentLabel::Negative => 2,
        SentimentLabel::Frustrated => 3,
    };
    recent.into_iter().max_by_key(rank)
}

/// The messages from `since` on (what the customer wrote while waiting).
pub(super) fn window_since(
    messages: &[Message],
    since: chrono::DateTime<chrono::Utc>,
) -> &[Message] {
    let start = messages
        .iter()
        .position(|m| m.timestamp >= since)
        .unwrap_or(messages.len());
    &messages[start..]
}

fn ids<'a>(ms: impl IntoIterator<Item = &'a Message>) -> Vec<MessageId> {
    ms.into_iter().map(|m| m.id.clone()).collect()
}

/// The assistant's trailing run of replies below the confidence threshold. Replies without a
/// (finite) confidence are skipped: an unmeasured reply is no evidence either way.
pub(super) fn low_confidence(w: &[Message], cfg: &PolicyConfig) -> Option<Fired> {
    let mut run: Vec<&Message> = Vec::new();
    for m in w.iter().filter(|m| m.speaker == Speaker::Ai) {
        match m.confidence {
            Some(c) if !c.is_finite() => {}
            Some(c) if c < cfg.low_confidence => run.push(m),
            Some(_) => run.clear(),
            None => {}
        }
    }
    if run.len() < cfg.low_confidence_turns.max(1) {
        return None;
    }
    let latest = run.last().and_then(|m| m.confidence).unwrap_or(0.0);
    let text = format!(
        "The assistant's last {} replies had confidence below {:.2} (latest {:.2}), so it is \
         probably not solving this.",
        run.len(),
        cfg.low_confidence,
        latest
    );
    Some(Fired::new(Trigger::LowConfidence, ids(run), text))
}

/// Every customer message in the window classified as `intent`.
fn with_intent<'a>(w: &'a [Message], intent: &str) -> Vec<&'a Message> {
    customer(w)
        .filter(|m| m.intent.as_deref() == Some(intent))
        .collect()
}

/// Customer messages classified as a request for a person, or that ask for one in so many words
/// while being about something else ("I need a person to fix this invoice").
pub(super) fn explicit_request(w: &[Message]) -> Option<Fired> {
    let hits: Vec<&Message> = customer(w)
        .filter(|m| {
            m.intent.as_deref() == Some(HUMAN_REQUEST_INTENT) || asks_for_person(&m.content)
        })
        .collect();
    (!hits.is_empty()).then(|| {
        let text = "The customer asked to speak with a person.".to_owned();
        Fired::new(Trigger::ExplicitRequest, ids(hits), text)
    })
}

pub(super) fn call_request(w: &[Message]) -> Option<Fired> {
    let hits = with_intent(w, CALL_REQUEST_INTENT);
    (!hits.is_empty()).then(|| {
        let text = "The customer asked for a call with a person.".to_owned();
        Fired::new(Trigger::CallRequest, ids(hits), text)
    })
}

/// Customer messages whose intent is in `always_human`. `rank` orders intents by urgency; the
/// reported intent is the most urgent one, the latest message breaking ties, so the decision is
/// deterministic when a customer raises, say, both a cancellation and a security concern.
pub(super) fn always_human(
    w: &[Message],
    always_human: &[String],
    rank: impl Fn(&str) -> u8,
) -> Option<Fired> {
    let hits: Vec<&Message> = customer(w)
        .filter(|m| {
            m.intent
                .as_deref()
                .is_some_and(|i| always_human.iter().any(|a| a == i))
        })
        .collect();
    let intent = hits
        .iter()
        .filter_map(|m| m.intent.as_deref())
        .enumerate()
        .max_by_key(|&(pos, i)| (rank(i), pos))
        .map(|(_, i)| i.to_owned())?;
    let text = format!(
        "The customer raised a {} matter, which is always handled by a person.",
        intent.replace('_', " ")
    );
    let mut fired = Fired::new(Trigger::AlwaysHumanIntent, ids(hits), text);
    fired.intent = Some(intent);
    Some(fired)
}

/// The latest customer message labelled frustrated, else a falling trend over the customer's
/// scored messages (the trend only looks at the last `WINDOW`, which are the evidence).
pub(super) fn frustration(w: &[Message]) -> Option<Fired> {
    if let Some(i) = w
        .iter()
        .rposition(|m| m.speaker == Speaker::Customer && m.sentiment.is_some())
    {
        let m = &w[i];
        // A customer who arrives upset is answered first; frustration escalates once the
        // assistant has tried to help and the customer is still (or newly) frustrated.
        // Only a customer's first message is answered before their frustration counts: after
        // that they have been with the assistant (its answer may still be on its way).
        let helped_before = w[..i]
            .iter()
            .any(|a| matches!(a.speaker, Speaker::Ai | Speaker::Customer));
        // Mild annoyance with a new question is not a reason to leave the assistant: the
        // frustration must be about the help failing, be strong, or be the second in a row.
        let frustrated_before = w[..i].iter().any(|a| {
            a.speaker == Speaker::Customer && a.sentiment == Some(SentimentLabel::Frustrated)
        });
        let strong = m.sentiment_score.is_some_and(|s| s <= STRONG_FRUSTRATION);
        let about_failure = reports_failure_text(&m.content);
        if m.sentiment == Some(SentimentLabel::Frustrated)
            && helped_before
            && (strong || frustrated_before || about_failure)
        {
            let text = "The customer's latest message reads as frustrated after the assistant's \
                        suggestions."
                .to_owned();
            return Some(Fired::new(Trigger::Frustration, vec![m.id.clone()], text));
        }
    }
    let scored: Vec<&Message> = customer(w)
        .filter(|m| m.sentiment_score.is_some())
        .collect();
    let scores: Vec<f64> = scored.iter().filter_map(|m| m.sentiment_score).collect();
    let trend = frustration_trend(&scores);
    // A slide needs a few messages and an assistant that has been trying: two messages in, a
    // dip is not a trend.
    let assistant_tried = w.iter().any(|m| m.speaker == Speaker::Ai);
    if !trend.falling || scores.len() < MIN_TREND_MESSAGES || !assistant_tried {
        return None;
    }
    let recent = &scored[scored.len().saturating_sub(WINDOW)..];
    let text = format!(
        "The customer's mood has been falling over their last {} messages (latest score {:.2}).",
        recent.len(),
        trend.latest
    );
    Some(Fired::new(
        Trigger::Frustration,
        ids(recent.iter().copied()),
        text,
    ))
}

/// Whether a customer message says the last proposed step did not help: a failure phrase, or a
/// negative/frustrated reading (a sour reply straight after a proposed step is rarely praise).
pub(super) fn reports_failure(m: &Message) -> bool {
    if matches!(
        m.sentiment,
        Some(SentimentLabel::Negative | SentimentLabel::Frustrated)
    ) {
        return true;
    }
    reports_failure_text(&m.content)
}

/// A failure phrase in `text` ("didn't work", "still broken", "same error").
fn reports_failure_text(text: &str) -> bool {
    let text = text.to_lowercase().replace('\u{2019}', "'");
    FAILURE_CUES.iter().any(|c| text.contains(c))
}

/// What a pass over proposed steps and the customer's answers found.
#[derive(Debug, Default)]
pub(super) struct FailureScan<'a> {
    /// Trailing run of (proposal, failure report) pairs, oldest first.
    pub streak: Vec<(&'a Message, &'a Message)>,
    /// A step proposed again after it failed: (step, first proposal, failure report, repeat).
    pub repeat: Option<(&'a str, &'a Message, &'a Message, &'a Message)>,
}

/// Walks the window pairing each assistant reply that proposed steps with the customer's next
/// message. A customer answer that does not report failure ends the streak; customer messages
/// with no proposal pending (small talk, follow-up details) leave it alone.
pub(super) fn scan_failures(w: &[Message]) -> FailureScan<'_> {
    let mut scan = FailureScan::default();
    let mut pending: Option<&Message> = None;
    let mut failed: Vec<(&str, &Message, &Message)> = Vec::new();
    for m in w {
        match m.speaker {
            Speaker::Ai => {
                if scan.repeat.is_none() {
                    scan.repeat = m.actions_attempted.iter().find_map(|a| {
                        failed
                            .iter()
                            .find(|(f, _, _)| f == a)
                            .map(|&(f, p, r)| (f, p, r, m))
                    });
                }
                if !m.actions_attempted.is_empty() {
                    pending = Some(m);
                }
            }
            Speaker::Customer => {
                if let Some(p) = pending.take() {
                    if reports_failure(m) {
                        failed.extend(p.actions_attempted.iter().map(|a| (a.as_str(), p, m)));
                        scan.streak.push((p, m));
                    } else {
                        scan.streak.clear();
                    }
                }
            }
            Speaker::Agent | Speaker::System => {}
        }
    }
    scan
}

/// A failed step proposed again, else `repeated_failure_turns` failed steps in a row.
pub(super) fn repeated_failure(w: &[Message], cfg: &PolicyConfig) -> Option<Fired> {
    let scan = scan_failures(w);
    if let Some((step, first, report, again)) = scan.repeat {
        let text = format!(
            "The assistant proposed `{step}` again after the customer said it did not work."
        );
        let evidence = ids([first, report, again]);
        return Some(Fired::new(Trigger::RepeatedFailure, evidence, text));
    }
    if scan.streak.len() < cfg.repeated_failure_turns.max(1) {
        return None;
    }
    let steps: Vec<&str> = scan
        .streak
        .iter()
        .flat_map(|(p, _)| p.actions_attempted.iter().map(String::as_str))
        .collect();
    let text = format!(
        "The customer reported that {} suggested steps in a row did not help ({}).",
        scan.streak.len(),
        steps.join(", ")
    );
    let evidence = ids(scan.streak.iter().flat_map(|&(p, r)| [p, r]));
    Some(Fired::new(Trigger::RepeatedFailure, evidence, text))
}

/// The exchange a flag from the assistant is about: the customer's last message in the window
/// and the assistant's replies to it.
fn last_exchange(w: &[Message]) -> Vec<MessageId> {
    let start = w
        .iter()
        .rposition(|m| m.speaker == Speaker::Customer)
        .unwrap_or(0);
    ids(w[start..]
        .iter()
        .filter(|m| matches!(m.speaker, Speaker::Customer | Speaker::Ai)))
}

/// The assistant said, for the second time in a row, that it does not cover what the customer
/// needs. Once is a question back ("could you tell me a bit more?"); twice is a person's job.
pub(super) fn out_of_scope(w: &[Message], cfg: &PolicyConfig) -> Option<Fired> {
    let ai: Vec<&Message> = w.iter().filter(|m| m.speaker == Speaker::Ai).collect();
    let earlier = ai.iter().rev().nth(1)?;
    let unsure = earlier.sources.is_empty()
        && earlier
            .confidence
            .is_some_and(|c| c.is_finite() && c < cfg.low_confidence);
    if !unsure {
        return None;
    }
    let text = "The assistant does not cover this topic and said so twice.".to_owned();
    Some(Fired::new(Trigger::OutOfScope, last_exchange(w), text))
}

pub(super) fn bot_request(w: &[Message], reason: &str) -> Fired {
    let reason = reason.trim();
    let reason = if reason.is_empty() {
        "none given"
    } else {
        reason
    };
    let text = format!("The assistant asked for a person to take over (reason: {reason}).");
    Fired::new(Trigger::BotRequest, last_exchange(w), text)
}
