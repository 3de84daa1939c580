//! `warmline bench briefing`: how long building the agent briefing takes for a long conversation.
//! A realistic escalation (the webhook-failure fixture) is repeated until the conversation has the
//! requested number of messages; the briefing is built many times and the per-build time reported.
//! The builder is pure, so this measures exactly the work done at escalation time.

use super::machine;
use crate::domain::{Conversation, MessageId};
use crate::handoff::briefing::{build_briefing, BriefingInput};
use std::time::Instant;

const FIXTURE: &str = include_str!("../../tests/fixtures/briefings/02-webhook-signature.json");

#[derive(Debug, Clone, clap::Args)]
pub struct BriefingBenchArgs {
    /// Messages in the conversation.
    #[arg(long, default_value_t = 500)]
    pub messages: usize,
    /// Builds measured (after 20 unmeasured ones).
    #[arg(long, default_value_t = 300)]
    pub iterations: usize,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BriefingBenchError {
    #[error("the built-in fixture does not parse: {0}")]
    Fixture(#[from] serde_json::Error),
    #[error("the fixture has no messages or no escalation")]
    EmptyFixture,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct BriefingBenchResult {
    pub machine: String,
    pub messages: usize,
    pub iterations: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub summary_chars: usize,
}

/// The fixture's messages repeated (with fresh ids and sequence numbers) up to `n`.
pub fn long_conversation(n: usize) -> Result<Conversation, BriefingBenchError> {
    let base: Conversation = serde_json::from_str(FIXTURE)?;
    if base.messages.is_empty() || base.header.escalation.is_none() {
        return Err(BriefingBenchError::EmptyFixture);
    }
    let mut conv = base.clone();
    conv.messages = (0..n)
        .map(|i| {
            let mut m = base.messages[i % base.messages.len()].clone();
            m.id = MessageId(format!("msg-bench-{i}"));
            m.seq = i as u64 + 2;
            m.timestamp = base.messages[0].timestamp + chrono::Duration::seconds(i as i64 * 20);
            m
        })
        .collect();
    conv.header.last_seq = n as u64 + 1;
    Ok(conv)
}

pub fn measure(args: &BriefingBenchArgs) -> Result<BriefingBenchResult, BriefingBenchError> {
    let conv = long_conversation(args.messages.max(1))?;
    let escalation = conv
        .header
        .escalation
        .clone()
        .ok_or(BriefingBenchError::EmptyFixture)?;
    let kb = crate::domain::KnowledgeContext {
        next_steps: vec!["Check the endpoint's delivery log for the failing event ids.".to_owned()],
        ..Default::default()
    };
    let now = conv
        .messages
        .last()
        .map(|m| m.timestamp)
        .unwrap_or_else(chrono::Utc::now);
    let input = BriefingInput {
        conversation: &conv,
        escalation: &escalation,
        agent_name: Some("Maria"),
        agent_skill_label: Some("integration specialist"),
        kb: &kb,
        written: None,
        transfer: None,
        now,
    };
    let mut summary_chars = 0;
    for _ in 0..20 {
        summary_chars = build_briefing(&input).summary.chars().count();
    }
    let mut times: Vec<f64> = (0..args.iterations.max(1))
        .map(|_| {
            let t = Instant::now();
            let b = build_briefing(&input);
            let elapsed = t.elapsed().as_secs_f64() * 1e3;
            std::hint::black_box(b);
            elapsed
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    Ok(BriefingBenchResult {
        machine: machine::describe(),
        messages: conv.messages.len(),
        iterations: times.len(),
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        max_ms: at(1.0),
        summary_chars,
    })
}

pub fn run(args: BriefingBenchArgs) -> Result<(), BriefingBenchError> {
    let r = measure(&args)?;
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!("machine: {}", r.machine);
        println!(
            "briefing for a {}-message conversation, {} builds",
            r.messages, r.iterations
        );
        println!(
            "  build ms  p50 {:.3}  p99 {:.3}  max {:.3}",
            r.p50_ms, r.p99_ms, r.max_ms
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_long_conversation_has_the_requested_size_and_builds() {
        let r = measure(&BriefingBenchArgs {
            messages: 120,
            iterations: 3,
            json: false,
        })
        .unwrap();
        assert_eq!(r.messages, 120);
        assert!(r.summary_chars > 40 && r.summary_chars <= 280);
    }
}
