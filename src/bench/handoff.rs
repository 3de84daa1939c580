//! `warmline bench handoff`: N customers hold open conversations (each subscribed on its own
//! socket and already answered once by the built-in assistant); then, at a steady rate, each asks
//! for a person. The real policy escalates, the coordinator briefs and offers, and bench agents
//! accept, open the briefing and join as soon as an offer arrives. Measured per escalation:
//! - escalation -> briefing on the agent's socket: from the `escalatedAt` the gateway recorded to
//!   the moment the `offer` frame (which carries the briefing) is read by the agent (same process,
//!   same clock);
//! - request -> briefing: from the customer sending "a person please" (includes the assistant's
//!   turn and the policy);
//! - join -> warm introduction on the customer's socket is not timed; every customer must see it.

use super::chat::bench_config;
use super::client::{self, Client};
use super::machine;
use crate::app::{self, admin};
use crate::domain::Role;
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

pub use super::chat::BenchError;

#[derive(Debug, Clone, clap::Args)]
pub struct HandoffBenchArgs {
    /// Concurrent conversations; each escalates once.
    #[arg(long, default_value_t = 500)]
    pub conversations: usize,
    /// Agent sockets taking the offers.
    #[arg(long, default_value_t = 20)]
    pub agents: usize,
    /// Escalation requests per second across all customers.
    #[arg(long, default_value_t = 50.0)]
    pub rate: f64,
    /// Directory for the temporary database (default: the system temp dir).
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct HandoffBenchResult {
    pub machine: String,
    pub conversations: usize,
    pub agents: usize,
    pub rate: f64,
    pub offers: u64,
    pub joined: u64,
    pub introductions_seen: u64,
    pub escalation_to_briefing_p50_ms: f64,
    pub escalation_to_briefing_p99_ms: f64,
    pub escalation_to_briefing_max_ms: f64,
    pub request_to_briefing_p50_ms: f64,
    pub request_to_briefing_p99_ms: f64,
}

fn hist() -> Result<Histogram<u64>, BenchError> {
    Histogram::<u64>::new_with_bounds(1, 600_000_000, 3)
        .map_err(|e| BenchError::Failed(e.to_string()))
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

/// Customer `i`'s first message: different words for every customer, so the semantic layer embeds
/// each of them (a memo would otherwise serve all 500 from one).
fn opening(i: usize) -> String {
    const OPENINGS: [&str; 6] = [
        "My dashboard stays blank after I log in",
        "I was charged twice for my Pro plan this month",
        "Our webhook deliveries fail with HTTP 401",
        "My two-factor codes are rejected as invalid",
        "The CSV export of our sales dashboard never finishes",
        "I get 403 Forbidden from the API with my new key",
    ];
    format!("{} (workspace {})", OPENINGS[i % OPENINGS.len()], 1000 + i)
}

pub async fn run(args: HandoffBenchArgs) -> Result<(), BenchError> {
    let r = measure(&args).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&r).map_err(|e| BenchError::Failed(e.to_string()))?
        );
    } else {
        println!("machine: {}", r.machine);
        println!(
            "{} conversations, {} agents, {:.0} escalations/s: {} offers, {} joined, {} introductions seen",
            r.conversations, r.agents, r.rate, r.offers, r.joined, r.introductions_seen
        );
        println!(
            "  escalation -> briefing on agent socket  p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
            r.escalation_to_briefing_p50_ms,
            r.escalation_to_briefing_p99_ms,
            r.escalation_to_briefing_max_ms
        );
        println!(
            "  request -> briefing (incl. assistant turn)  p50 {:.2} ms  p99 {:.2} ms",
            r.request_to_briefing_p50_ms, r.request_to_briefing_p99_ms
        );
    }
    Ok(())
}

pub async fn measure(args: &HandoffBenchArgs) -> Result<HandoffBenchResult, BenchError> {
    let tmp = match &args.dir {
        Some(d) => tempfile::tempdir_in(d)?,
        None => tempfile::tempdir()?,
    };
    let mut config = bench_config(tmp.path(), true);
    // Nobody is handed back during the run.
    config.handoff.policy.no_accept_timeout_secs = 3600;
    let running = app::start(config.clone()).await?;
    let api = Client::new(&running.base_url());
    let n = args.conversations.max(1);
    let policy = app::password_policy(&config)?;

    let epoch = Instant::now();
    let sent_at: Arc<Mutex<HashMap<String, u64>>> = Arc::new(Mutex::new(HashMap::new()));
    let escalation = Arc::new(Mutex::new(hist()?));
    let request = Arc::new(Mutex::new(hist()?));
    let (offers, joined) = (Arc::new(Mutex::new(0u64)), Arc::new(Mutex::new(0u64)));

    let mut agent_tasks = Vec::new();
    for i in 0..args.agents.max(1) {
        let spec = admin::UserSpec {
            username: format!("bench-agent-{i}"),
            name: format!("Bench Agent {i}"),
            role: Role::Agent,
            password: Some("bench-password".into()),
            skills: [
                "general",
                "billing",
                "technical",
                "account",
                "integrations",
                "security",
                "legal",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            languages: vec!["en".into()],
            max_concurrent: u32::try_from(n).unwrap_or(u32::MAX),
        };
        admin::add_user(&*running.store, &policy, spec).await?;
        let token = api
            .login(&format!("bench-agent-{i}"), "bench-password")
            .await?;
        let mut ws = api.socket(&token).await?;
        // Online for routing once the status arrives.
        loop {
            let v = client::next_json(&mut ws).await?;
            if v["type"] == "agent_status" {
                break;
            }
        }
        let (sent_at, escalation, request, offers, joined) = (
            sent_at.clone(),
            escalation.clone(),
            request.clone(),
            offers.clone(),
            joined.clone(),
        );
        agent_tasks.push(tokio::spawn(async move {
            while let Some(Ok(msg)) = ws.next().await {
                let WsMessage::Text(text) = msg else { continue };
                let received = chrono::Utc::now();
                let at = epoch.elapsed().as_micros() as u64;
                let Ok(v) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                let id = v["conversationId"].as_str().unwrap_or_default().to_owned();
                let next = match (v["type"].as_str(), v["action"].as_str()) {
                    (Some("offer"), _) => {
                        *offers.lock().unwrap_or_else(|p| p.into_inner()) += 1;
                        if let Some(t) = v["escalatedAt"]
                            .as_str()
                            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                        {
                            let us = (received - t.with_timezone(&chrono::Utc))
                                .num_microseconds()
                                .unwrap_or(0)
                                .max(1) as u64;
                            let _ = escalation
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .record(us);
                        }
                        let sent = sent_at
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .get(&id)
                            .copied();
                        if let Some(sent) = sent {
                            let _ = request
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .record(at.saturating_sub(sent).max(1));
                        }
                        "accept_offer"
                    }
                    (Some("done"), Some("accept_offer")) => "open_briefing",
                    (Some("done"), Some("open_briefing")) => "join_conversation",
                    (Some("done"), Some("join_conversation")) => {
                        *joined.lock().unwrap_or_else(|p| p.into_inner()) += 1;
                        continue;
                    }
                    _ => continue,
                };
                let frame = json!({ "type": next, "conversationId": id });
                if client::send_json(&mut ws, &frame).await.is_err() {
                    break;
                }
            }
        }));
    }

    // Customers: open, subscribed, answered once by the assistant.
    let mut customers = Vec::with_capacity(n);
    for i in 0..n {
        let (id, token) = api.create_conversation(&format!("Customer {i}")).await?;
        let mut ws = api.socket(&token).await?;
        client::send_json(
            &mut ws,
            &json!({ "type": "subscribe", "conversationId": id }),
        )
        .await?;
        client::send_json(
            &mut ws,
            &json!({ "type": "send_message", "conversationId": id, "content": opening(i), "clientMsgId": "first" }),
        )
        .await?;
        customers.push((id, ws));
    }
    for (_, ws) in customers.iter_mut() {
        loop {
            let v = client::next_json(ws).await?;
            if v["type"] == "event" && v["event"]["message"]["speaker"] == "ai" {
                break;
            }
        }
    }

    // The escalation wave, at a steady rate; then every customer must see their agent's intro.
    let gap = Duration::from_secs_f64(1.0 / args.rate.max(0.1));
    let mut tick = tokio::time::interval(gap);
    for (i, (id, ws)) in customers.iter_mut().enumerate() {
        tick.tick().await;
        sent_at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.clone(), epoch.elapsed().as_micros() as u64);
        client::send_json(
            ws,
            &json!({ "type": "send_message", "conversationId": id, "content": format!("I want to talk to a person please, this is about workspace {}", 1000 + i), "clientMsgId": "human" }),
        )
        .await?;
    }
    let mut introductions_seen = 0u64;
    let deadline = Instant::now() + Duration::from_secs(60);
    for (_, ws) in customers.iter_mut() {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(v) = tokio::time::timeout(left, client::next_json(ws)).await else {
                break;
            };
            let v = v?;
            if v["type"] == "event" && v["event"]["message"]["speaker"] == "agent" {
                introductions_seen += 1;
                break;
            }
        }
    }
    for t in agent_tasks {
        t.abort();
    }
    running.stop().await?;

    let e = escalation.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let r = request.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let offers = *offers.lock().unwrap_or_else(|p| p.into_inner());
    let joined = *joined.lock().unwrap_or_else(|p| p.into_inner());
    Ok(HandoffBenchResult {
        machine: machine::describe(),
        conversations: n,
        agents: args.agents.max(1),
        rate: args.rate,
        offers,
        joined,
        introductions_seen,
        escalation_to_briefing_p50_ms: ms(&e, 0.5),
        escalation_to_briefing_p99_ms: ms(&e, 0.99),
        escalation_to_briefing_max_ms: e.max() as f64 / 1000.0,
        request_to_briefing_p50_ms: ms(&r, 0.5),
        request_to_briefing_p99_ms: ms(&r, 0.99),
    })
}
