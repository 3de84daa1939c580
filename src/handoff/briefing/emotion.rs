//! The customer's mood over the conversation: where it is now, the worst it got, and which way it
//! is heading. Messages without stored sentiment are scored on the fly.
//!
//! "Now" is the latest message's mood, except that a plainer latest message does not wipe out
//! how the customer felt a moment ago: "Please just let me talk to a human" right after "this is
//! really frustrating" is a frustrated customer, not a calm one. So a neutral latest message takes
//! the worst mood of the last few messages; a clearly positive one ("thanks, that fixed it") stands.

use super::Said;
use crate::analysis::analyze_sentiment;
use crate::analysis::trend::{frustration_trend, FALLING_SLOPE};
use crate::domain::{Attempt, AttemptOutcome, EmotionalState, SentimentLabel};

/// How many recent customer messages a neutral latest message is read together with.
const RECENT: usize = 3;
/// A latest message at least this positive means the customer has calmed down.
const CALMED: f64 = 0.3;
/// Difference in average compound score between the early and the late messages that counts as
/// a change of mood.
const SHIFT: f64 = 0.25;

fn severity(l: SentimentLabel) -> u8 {
    match l {
        SentimentLabel::Positive => 0,
        SentimentLabel::Neutral => 1,
        SentimentLabel::Negative => 2,
        SentimentLabel::Frustrated => 3,
    }
}

/// Label and compound score of every customer message, in order.
fn readings(said: &[Said<'_>]) -> Vec<(SentimentLabel, f64)> {
    said.iter()
        .map(|s| {
            let m = s.msg;
            match (m.sentiment, m.sentiment_score) {
                (Some(l), Some(score)) => (l, score),
                (l, _) => {
                    let a = analyze_sentiment(&m.content);
                    (l.unwrap_or(a.label), a.score)
                }
            }
        })
        .collect()
}

pub fn assess(said: &[Said<'_>], attempts: &[Attempt]) -> EmotionalState {
    let r = readings(said);
    let Some(&(latest, latest_score)) = r.last() else {
        return EmotionalState {
            label: SentimentLabel::Neutral,
            trend: "steady".into(),
            note: "No message from the customer yet.".into(),
            peak: None,
        };
    };
    let peak = r
        .iter()
        .map(|(l, _)| *l)
        .max_by_key(|l| severity(*l))
        .unwrap_or(latest);
    let recent_worst = r[r.len().saturating_sub(RECENT)..]
        .iter()
        .map(|(l, _)| *l)
        .max_by_key(|l| severity(*l))
        .unwrap_or(latest);
    let label = match latest {
        SentimentLabel::Negative | SentimentLabel::Frustrated => latest,
        SentimentLabel::Positive if latest_score >= CALMED => latest,
        _ if severity(recent_worst) > severity(latest) => recent_worst,
        _ => latest,
    };
    let trend = trend(&r, label, peak);
    let mut note = format!("{} {}", mood_word(label, true), trend_phrase(trend));
    if severity(peak) > severity(label) && severity(peak) >= 2 {
        note.push_str(&format!(" (was {} earlier)", mood_word(peak, false)));
    }
    let failed = attempts
        .iter()
        .filter(|a| a.outcome == AttemptOutcome::Failed)
        .count();
    if failed > 0 {
        note.push_str(&format!(
            "; {failed} fix{} tried without success",
            if failed == 1 { "" } else { "es" }
        ));
    }
    note.push('.');
    EmotionalState {
        label,
        trend: trend.to_owned(),
        note,
        peak: Some(peak),
    }
}

/// `worsening`, `improving` or `steady`: the late messages against the early ones, by score and by
/// label, with the fitted slope of the recent scores as a tie-breaker.
fn trend(r: &[(SentimentLabel, f64)], now: SentimentLabel, peak: SentimentLabel) -> &'static str {
    if r.len() < 2 {
        return "steady";
    }
    let half = r.len() / 2;
    let mean = |xs: &[(SentimentLabel, f64)]| xs.iter().map(|x| x.1).sum::<f64>() / xs.len() as f64;
    let early = mean(&r[..half.max(1)]);
    let late = mean(&r[r.len().saturating_sub(2)..]);
    let first = r[0].0;
    let slope = frustration_trend(&r.iter().map(|x| x.1).collect::<Vec<_>>()).slope;
    let upset_now = severity(now) >= 2;
    if upset_now
        && (severity(now) > severity(first) || late < early - SHIFT || slope <= FALLING_SLOPE)
    {
        "worsening"
    } else if severity(now) < severity(peak) && (late > early + SHIFT || slope >= -FALLING_SLOPE) {
        "improving"
    } else if late < early - SHIFT {
        "worsening"
    } else if late > early + SHIFT {
        "improving"
    } else {
        "steady"
    }
}

/// The label as a mood word ("frustrated", "upset", "calm", "positive").
pub fn mood_word(label: SentimentLabel, capital: bool) -> &'static str {
    match (label, capital) {
        (SentimentLabel::Frustrated, false) => "frustrated",
        (SentimentLabel::Frustrated, true) => "Frustrated",
        (SentimentLabel::Negative, false) => "upset",
        (SentimentLabel::Negative, true) => "Upset",
        (SentimentLabel::Neutral, false) => "calm",
        (SentimentLabel::Neutral, true) => "Calm",
        (SentimentLabel::Positive, false) => "positive",
        (SentimentLabel::Positive, true) => "Positive",
    }
}

/// "and getting worse" / "but calming down" / "and steady".
pub fn trend_phrase(trend: &str) -> &'static str {
    match trend {
        "worsening" => "and getting worse",
        "improving" => "but calming down",
        _ => "and steady",
    }
}
