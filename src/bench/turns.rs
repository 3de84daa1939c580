//! `warmline bench turns`: what one short customer message costs as the conversation grows. For
//! each length, a conversation is seeded with that many long messages (customer and assistant
//! alternating, `--message-bytes` each) straight into the store, then short questions are sent
//! over REST and each waits for the assistant's answer on the customer's socket. Reported per
//! length: process CPU per turn (user + system, the whole gateway) and the wait for the answer;
//! the first length (default 0: a fresh conversation) is the baseline the others are compared to,
//! in the same run.

use super::chat::{bench_config, BenchError};
use super::client::{self, Client};
use super::machine;
use crate::app;
use crate::domain::{ConversationId, EventBody, Message, Speaker};
use crate::storage::WriteOp;
use serde_json::json;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, clap::Args)]
pub struct TurnsBenchArgs {
    /// Conversation lengths (messages already in the conversation), comma separated; the first
    /// is the baseline.
    #[arg(long, value_delimiter = ',', default_value = "0,1000,10000")]
    pub lengths: Vec<usize>,
    /// Bytes of each seeded message.
    #[arg(long, default_value_t = 16_000)]
    pub message_bytes: usize,
    /// Turns measured per length (after one unmeasured).
    #[arg(long, default_value_t = 15)]
    pub turns: usize,
    /// Run without the embedding model (the words-only gateway).
    #[arg(long)]
    pub words_only: bool,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct LengthResult {
    pub messages: usize,
    pub cpu_ms_per_turn_median: f64,
    pub cpu_ms_per_turn_max: f64,
    pub answer_ms_p50: f64,
    pub answer_ms_max: f64,
    /// CPU per turn over the baseline length's.
    pub cpu_ratio: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TurnsBenchResult {
    pub machine: String,
    pub semantic: bool,
    pub message_bytes: usize,
    pub turns: usize,
    pub lengths: Vec<LengthResult>,
}

/// Questions asked in turn, the same sequence at every length.
const QUESTIONS: &[&str] = &[
    "How do I export my data as a CSV?",
    "Thanks. Where do I find my invoices?",
    "And how can I reset my password?",
    "How do I rotate an API key?",
    "Can I change the email address on my account?",
];

/// Seeded text: plain, neutral detail (nothing that should escalate or answer anything).
const FILLER: &str = "We keep the nightly report in the shared folder so the team can read it in the morning, and the numbers match what we saw last week. ";

fn filler(bytes: usize, i: usize) -> String {
    let mut s = format!("Detail {i}: ");
    while s.len() < bytes {
        s.push_str(FILLER);
    }
    s.truncate(bytes);
    s
}

pub async fn run(args: TurnsBenchArgs) -> Result<(), BenchError> {
    let r = measure(&args).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&r).map_err(|e| BenchError::Failed(e.to_string()))?
        );
        return Ok(());
    }
    println!("turn cost by conversation length on {}", r.machine);
    println!(
        "  semantic layer: {}; seeded messages of {} bytes; {} turns per length",
        if r.semantic { "on" } else { "off (words only)" },
        r.message_bytes,
        r.turns
    );
    for l in &r.lengths {
        println!(
            "  {:>6} messages: CPU per turn median {:>7.2} ms (max {:>7.2})  x{:.2} of baseline   answer p50 {:>7.2} ms (max {:>7.2})",
            l.messages, l.cpu_ms_per_turn_median, l.cpu_ms_per_turn_max, l.cpu_ratio, l.answer_ms_p50, l.answer_ms_max
        );
    }
    Ok(())
}

pub async fn measure(args: &TurnsBenchArgs) -> Result<TurnsBenchResult, BenchError> {
    let tmp = tempfile::tempdir()?;
    let mut config = bench_config(tmp.path(), true);
    if args.words_only {
        config.semantic.model = None;
    }
    let semantic = config
        .semantic
        .model
        .as_ref()
        .is_some_and(|m| crate::embed::package::verify(m).is_ok());
    let running = app::start(config).await?;
    let api = Client::new(&running.base_url());
    let mut lengths = Vec::new();
    let mut baseline = None;
    for &n in &args.lengths {
        let (id, token) = api.create_conversation("Bench Customer").await?;
        seed(&running, &id, n, args.message_bytes).await?;
        let mut ws = api.socket(&token).await?;
        let last = running
            .store
            .header(&ConversationId::from(id.as_str()))
            .await
            .map_err(|e| BenchError::Failed(e.to_string()))?
            .map(|h| h.last_seq)
            .unwrap_or(0);
        client::send_json(
            &mut ws,
            &json!({ "type": "subscribe", "conversationId": id, "afterSeq": last }),
        )
        .await?;
        wait_for(&mut ws, |v| v["type"] == "subscribed").await?;
        let mut cpu = Vec::new();
        let mut waits = Vec::new();
        for t in 0..=args.turns {
            let question = QUESTIONS[t % QUESTIONS.len()];
            let cpu_before = machine::process_cpu_time();
            let started = Instant::now();
            client::send_json(
                &mut ws,
                &json!({ "type": "send_message", "conversationId": id, "content": question, "clientMsgId": format!("q{t}") }),
            )
            .await?;
            wait_for(&mut ws, |v| {
                v["type"] == "event"
                    && v["event"]["type"] == "message"
                    && matches!(
                        v["event"]["message"]["speaker"].as_str(),
                        Some("ai" | "system")
                    )
            })
            .await?;
            let waited = started.elapsed();
            let spent = machine::process_cpu_time().saturating_sub(cpu_before);
            if t > 0 {
                cpu.push(spent.as_secs_f64() * 1e3);
                waits.push(waited.as_secs_f64() * 1e3);
            }
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(|a, b| a.total_cmp(b));
            v.get(v.len() / 2).copied().unwrap_or(0.0)
        };
        let cpu_max = cpu.iter().copied().fold(0.0, f64::max);
        let wait_max = waits.iter().copied().fold(0.0, f64::max);
        let cpu_median = median(&mut cpu);
        let base = *baseline.get_or_insert(cpu_median);
        lengths.push(LengthResult {
            messages: n,
            cpu_ms_per_turn_median: cpu_median,
            cpu_ms_per_turn_max: cpu_max,
            answer_ms_p50: median(&mut waits),
            answer_ms_max: wait_max,
            cpu_ratio: if base > 0.0 { cpu_median / base } else { 0.0 },
        });
    }
    running.stop().await?;
    Ok(TurnsBenchResult {
        machine: machine::describe(),
        semantic,
        message_bytes: args.message_bytes,
        turns: args.turns,
        lengths,
    })
}

/// Appends `n` long messages to conversation `id` directly in the store (no turns run for them).
async fn seed(running: &app::Running, id: &str, n: usize, bytes: usize) -> Result<(), BenchError> {
    let conversation = ConversationId::from(id);
    let start = chrono::Utc::now() - chrono::Duration::seconds(n as i64 * 2 + 60);
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let ops = chunk
            .iter()
            .map(|&i| {
                let speaker = if i % 2 == 0 {
                    Speaker::Customer
                } else {
                    Speaker::Ai
                };
                let at = start + chrono::Duration::seconds(i as i64 * 2);
                let mut message = Message::new(speaker, filler(bytes, i), at);
                if speaker == Speaker::Ai {
                    message.confidence = Some(0.8);
                }
                WriteOp::Append {
                    conversation_id: conversation.clone(),
                    body: EventBody::Message {
                        message,
                        routing_skill: None,
                    },
                    client_id: Some(format!("seed-{i}")),
                    at,
                }
            })
            .collect();
        running
            .store
            .apply_batch(ops)
            .await
            .map_err(|e| BenchError::Failed(e.to_string()))?;
    }
    Ok(())
}

async fn wait_for(
    ws: &mut client::Socket,
    pred: impl Fn(&serde_json::Value) -> bool,
) -> Result<serde_json::Value, BenchError> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let v = tokio::time::timeout(left, client::next_json(ws))
            .await
            .map_err(|_| BenchError::Failed("no answer within 120 s".into()))??;
        if pred(&v) {
            return Ok(v);
        }
    }
}
