//! The handoff-likelihood score shown in the UI before any escalation (see
//! `EscalationPolicy::likelihood` for what it combines).

use super::triggers::{self, CALL_REQUEST_INTENT, HUMAN_REQUEST_INTENT};
use super::PolicyConfig;
use crate::analysis::frustration_trend;
use crate::domain::{Conversation, SentimentLabel, Speaker};

pub(super) fn score(cfg: &PolicyConfig, conversation: &Conversation) -> f64 {
    let w = triggers::window(&conversation.messages);

    let recent: Vec<f64> = w
        .iter()
        .rev()
        .filter(|m| m.speaker == Speaker::Ai)
        .filter_map(|m| m.confidence.filter(|c| c.is_finite()))
        .take(3)
        .collect();
    let weights = [3.0, 2.0, 1.0];
    let total: f64 = weights.iter().take(recent.len()).sum();
    let confidence_risk = if recent.is_empty() {
        0.0
    } else {
        let mean: f64 = recent.iter().zip(weights).map(|(c, k)| c * k).sum::<f64>() / total;
        1.0 - mean.clamp(0.0, 1.0)
    };

    let label = match triggers::latest_label(w) {
        Some(SentimentLabel::Frustrated) => 1.0,
        Some(SentimentLabel::Negative) => 0.5,
        _ => 0.0,
    };
    let scores: Vec<f64> = w
        .iter()
        .filter(|m| m.speaker == Speaker::Customer)
        .filter_map(|m| m.sentiment_score)
        .collect();
    let trend = frustration_trend(&scores);
    let negativity = (-trend.latest).clamp(0.0, 1.0);
    // A slope of -0.3 a message is a steep slide; steeper adds nothing.
    let slide = (-trend.slope / 0.3).clamp(0.0, 1.0);
    let mood_risk = 0.4 * label + 0.3 * negativity + 0.3 * slide;

    let scan = triggers::scan_failures(w);
    let failure_risk = if scan.repeat.is_some() {
        1.0
    } else {
        (scan.streak.len() as f64 / cfg.repeated_failure_turns.max(1) as f64).min(1.0)
    };

    let intent_risk = w
        .iter()
        .rev()
        .find(|m| m.speaker == Speaker::Customer && m.intent.is_some())
        .and_then(|m| m.intent.as_deref())
        .map_or(0.0, |i| {
            let human = i == HUMAN_REQUEST_INTENT
                || i == CALL_REQUEST_INTENT
                || cfg.always_human_intents.iter().any(|a| a == i);
            if human {
                1.0
            } else {
                0.0
            }
        });

    let keep = [
        (0.6, confidence_risk),
        (0.7, mood_risk),
        (0.8, failure_risk),
        (0.95, intent_risk),
    ]
    .iter()
    .map(|&(weight, risk)| 1.0 - weight * risk)
    .product::<f64>();
    (1.0 - keep).clamp(0.0, 1.0)
}
