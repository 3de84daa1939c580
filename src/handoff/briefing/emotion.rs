//! The customer's mood at handoff: the latest customer message's sentiment label and the trend of
//! their last few compound scores (`analysis::trend`). Messages without stored sentiment are scored
//! on the fly, but only the last `trend::WINDOW` of them, so long conversations stay cheap.

use super::Said;
use crate::analysis::analyze_sentiment;
use crate::analysis::trend::{frustration_trend, FALLING_SLOPE, WINDOW};
use crate::domain::{Attempt, AttemptOutcome, EmotionalState, SentimentLabel};

/// Slope (compound points per message) at or above which the mood counts as improving.
const RISING_SLOPE: f64 = -FALLING_SLOPE;

pub fn assess(said: &[Said<'_>], attempts: &[Attempt]) -> EmotionalState {
    let recent = &said[said.len().saturating_sub(WINDOW)..];
    let mut scores = Vec::with_capacity(recent.len());
    let mut label = SentimentLabel::Neutral;
    for s in recent {
        let m = s.msg;
        let (l, score) = match (m.sentiment, m.sentiment_score) {
            (Some(l), Some(score)) => (l, score),
            (l, _) => {
                let a = analyze_sentiment(&m.content);
                (l.unwrap_or(a.label), a.score)
            }
        };
        label = l;
        scores.push(score);
    }
    let slope = frustration_trend(&scores).slope;
    let trend = if slope <= FALLING_SLOPE {
        "worsening"
    } else if slope >= RISING_SLOPE {
        "improving"
    } else {
        "steady"
    };
    let mut note = format!("{} {}", mood_word(label, true), trend_phrase(trend));
    let failed = attempts
        .iter()
        .filter(|a| a.outcome == AttemptOutcome::Failed)
        .count();
    if failed > 0 {
        note.push_str(&format!(
            "; {failed} suggested fix{} failed",
            if failed == 1 { "" } else { "es" }
        ));
    }
    note.push('.');
    EmotionalState {
        label,
        trend: trend.to_owned(),
        note: note.trim().to_owned(),
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
