//! `warmline bench chat`: N customer sockets each own a conversation and send messages; agent
//! sockets watch every conversation. Each message is committed durably (the ack) and delivered to
//! its agent; we measure committed messages per second, ack latency (send -> ack, i.e. durable) and
//! delivery latency (send -> the agent's socket), and check that every acknowledged message reached
//! its agent exactly once.
//!
//! The load generator runs in the same process and on the same cores as the gateway, so the
//! figures include the clients' own cost; that is the honest setting on a small machine.

use super::client::{self, Client, ClientError};
use super::machine;
use crate::app::{self, admin};
use crate::assistant::AssistantConfig;
use crate::config::Config;
use crate::domain::Role;
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[derive(Debug, Clone, clap::Args)]
pub struct ChatBenchArgs {
    /// Concurrent conversations, one customer socket each.
    #[arg(long, default_value_t = 500)]
    pub conversations: usize,
    /// Agent sockets; the conversations are split evenly among them.
    #[arg(long, default_value_t = 10)]
    pub agents: usize,
    /// Seconds measured (after the warm-up).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Target total messages per second, spread over the sockets; 0 sends as fast as acks return.
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// Messages in flight per customer socket when --rate is 0.
    #[arg(long, default_value_t = 1)]
    pub window: usize,
    /// Let the built-in assistant answer every message too (doubles the writes).
    #[arg(long)]
    pub with_assistant: bool,
    /// `[semantic] analysis_wait_ms` for this run (default: the gateway's default). A large value
    /// (60000) never sheds: every message waits for the embedding model, as before shedding.
    #[arg(long)]
    pub analysis_wait_ms: Option<u64>,
    /// Directory for the temporary database (default: the system temp dir); pick the disk to test.
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
    /// An empty database to run on instead of a temporary SQLite file, e.g. a Postgres one
    /// (`postgres://…`, cluster mode's store).
    #[arg(long, value_name = "URL")]
    pub store_url: Option<String>,
    /// Gateway nodes in this process, sharing `--store-url` (Postgres) and `--nats`; customers
    /// connect to node i mod N and their agents to the next node, so every delivery crosses
    /// between nodes.
    #[arg(long, default_value_t = 1)]
    pub nodes: usize,
    /// NATS server for `--nodes` above 1 (cluster mode's fan-out).
    #[arg(long, value_name = "URL")]
    pub nats: Option<String>,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    App(#[from] app::AppError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Failed(String),
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ChatBenchResult {
    pub machine: String,
    /// `sqlite` or `postgres`, and how many nodes.
    pub store: String,
    pub nodes: usize,
    pub conversations: usize,
    pub agents: usize,
    pub target_rate: u64,
    pub window: usize,
    pub seconds: f64,
    pub messages_acked: u64,
    pub messages_per_second: f64,
    pub ack_p50_ms: f64,
    pub ack_p99_ms: f64,
    pub delivery_p50_ms: f64,
    pub delivery_p99_ms: f64,
    pub delivery_max_ms: f64,
    pub lost: u64,
    pub duplicated: u64,
    pub errors: u64,
    /// Group commits of the whole run and how many took longer than 100 ms (from `/metrics`).
    pub commits: u64,
    pub commits_over_100ms: u64,
    /// Customer messages the gateway analysed by words only because the embedding model was busy
    /// (`warmline_analysis_shed_total`), over the whole run including the warm-up.
    pub analysed_by_words_only: u64,
}

const SKILLS: &[&str] = &[
    "general",
    "technical",
    "account",
    "billing",
    "integrations",
    "legal",
    "security",
];

pub(crate) fn bench_config(dir: &std::path::Path, with_assistant: bool) -> Config {
    let mut c = Config::default();
    c.listen = "127.0.0.1:0".parse().unwrap_or(c.listen);
    c.data_dir = dir.to_owned();
    c.log.filter = "warn".into();
    c.limits.ws_frames_per_second = 1_000_000;
    c.limits.ws_frame_burst = 1_000_000;
    c.limits.http_requests_per_second_per_ip = 1_000_000;
    c.limits.http_request_burst_per_ip = 1_000_000;
    c.limits.conversations_per_minute_per_ip = 1_000_000;
    c.limits.challenge_above_conversations_per_minute = 0;
    c.limits.logins_per_minute_per_ip = 1_000_000;
    // Every simulated browser connects from 127.0.0.1: the per-address caps (128 sockets, 256
    // connections by default) would refuse the 500 customers with 429.
    c.limits.max_websockets_per_ip = 100_000;
    c.limits.max_connections_per_ip = 100_000;
    c.auth.argon2_memory_kib = 256;
    c.auth.argon2_iterations = 1;
    // The embedding model where `models/fetch.sh` leaves it (the gateway runs on words alone
    // without it, and says so).
    c.semantic.model = Some(
        crate::pypi::cache_dir()
            .join("models")
            .join(crate::embed::package::MODEL_DIR),
    );
    if !with_assistant {
        // Plain chat: no assistant and no policy look at each message (`bench handoff` measures
        // the handoff path).
        c.assistant = AssistantConfig::None;
        c.handoff.enabled = false;
    }
    c
}

/// Micros since the benchmark's epoch; carried in each message so the agent side can time it.
fn micros(epoch: Instant) -> u64 {
    epoch.elapsed().as_micros() as u64
}

pub async fn run(args: ChatBenchArgs) -> Result<(), BenchError> {
    let result = measure(&args).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&result).map_err(|e| BenchError::Failed(e.to_string()))?
        );
    } else {
        println!("machine: {}", result.machine);
        println!("store: {}, {} node(s)", result.store, result.nodes);
        println!(
            "chat: {} conversations, {} agent sockets, {} for {:.0}s",
            result.conversations,
            result.agents,
            if result.target_rate == 0 {
                format!("closed loop, window {}", result.window)
            } else {
                format!("{} msg/s offered", result.target_rate)
            },
            result.seconds
        );
        println!(
            "  durable messages/s   {:>10.0}",
            result.messages_per_second
        );
        println!(
            "  ack (commit) ms      p50 {:>7.2}  p99 {:>7.2}",
            result.ack_p50_ms, result.ack_p99_ms
        );
        println!(
            "  delivery to agent ms p50 {:>7.2}  p99 {:>7.2}  max {:>7.2}",
            result.delivery_p50_ms, result.delivery_p99_ms, result.delivery_max_ms
        );
        println!(
            "  lost {}  duplicated {}  errors {}",
            result.lost, result.duplicated, result.errors
        );
        println!(
            "  group commits {}  slower than 100 ms {}",
            result.commits, result.commits_over_100ms
        );
        println!(
            "  analysed by words only (model busy) {}",
            result.analysed_by_words_only
        );
    }
    if result.lost > 0 || result.duplicated > 0 {
        return Err(BenchError::Failed(format!(
            "{} lost, {} duplicated",
            result.lost, result.duplicated
        )));
    }
    Ok(())
}

#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(default, borrow)]
    event: Option<EventFrame<'a>>,
}

#[derive(Deserialize)]
struct AckFrame<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(rename = "clientMsgId", default, borrow)]
    client_msg_id: Option<&'a str>,
}

#[derive(Deserialize)]
struct EventFrame<'a> {
    #[serde(rename = "conversationId", borrow)]
    conversation_id: &'a str,
    #[serde(default, borrow)]
    message: Option<MessageFrame<'a>>,
}

#[derive(Deserialize)]
struct MessageFrame<'a> {
    #[serde(borrow)]
    speaker: &'a str,
    #[serde(borrow)]
    content: std::borrow::Cow<'a, str>,
}

struct Shared {
    epoch: Instant,
    measure_from: AtomicU64,
    measure_until: AtomicU64,
    stop: AtomicBool,
    errors: AtomicU64,
}

pub async fn measure(args: &ChatBenchArgs) -> Result<ChatBenchResult, BenchError> {
    let tmp = match &args.dir {
        Some(d) => tempfile::tempdir_in(d)?,
        None => tempfile::tempdir()?,
    };
    let mut config = bench_config(tmp.path(), args.with_assistant);
    if let Some(wait) = args.analysis_wait_ms {
        config.semantic.analysis_wait_ms = wait;
    }
    if let Some(url) = &args.store_url {
        config.storage.url = Some(url.clone());
    }
    let nodes = args.nodes.max(1);
    if nodes > 1 {
        if args.nats.is_none() || !config.database_url().starts_with("postgres") {
            return Err(BenchError::Failed(
                "--nodes above 1 needs --store-url postgres://… and --nats nats://…".into(),
            ));
        }
        config.cluster.nats = args.nats.clone();
    }
    let mut running = Vec::with_capacity(nodes);
    for n in 0..nodes {
        let mut c = config.clone();
        c.cluster.node_id = Some(format!("bench-{n}"));
        running.push(app::start(c).await?);
    }
    let apis: Vec<Client> = running.iter().map(|r| Client::new(&r.base_url())).collect();
    let api = &apis[0];
    let agents = args.agents.clamp(1, args.conversations.max(1));

    // Staff and conversations.
    let policy = app::password_policy(&config)?;
    let mut agent_tokens = Vec::with_capacity(agents);
    for i in 0..agents {
        let spec = admin::UserSpec {
            username: format!("bench-agent-{i}"),
            name: format!("Bench Agent {i}"),
            role: Role::Agent,
            password: Some("bench-password".into()),
            skills: SKILLS.iter().map(|s| s.to_string()).collect(),
            languages: vec!["en".into()],
            max_concurrent: 1000,
        };
        admin::add_user(&*running[0].store, &policy, spec).await?;
        agent_tokens.push(
            api.login(&format!("bench-agent-{i}"), "bench-password")
                .await?,
        );
    }
    let mut conversations = Vec::with_capacity(args.conversations);
    for i in 0..args.conversations {
        conversations.push(api.create_conversation(&format!("Customer {i}")).await?);
    }

    let shared = Arc::new(Shared {
        epoch: Instant::now(),
        measure_from: AtomicU64::new(u64::MAX),
        measure_until: AtomicU64::new(u64::MAX),
        stop: AtomicBool::new(false),
        errors: AtomicU64::new(0),
    });

    // Agent sockets: subscribe to their share, wait for every `subscribed`.
    let delivered: Arc<Mutex<HashMap<String, Vec<u64>>>> = Arc::new(Mutex::new(HashMap::new()));
    let delivery_hist = Arc::new(Mutex::new(
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)
            .map_err(|e| BenchError::Failed(e.to_string()))?,
    ));
    let mut agent_tasks = Vec::new();
    let (stop_agents_tx, stop_agents_rx) = tokio::sync::watch::channel(false);
    for (a, token) in agent_tokens.iter().enumerate() {
        let mut ws = apis[(a + 1) % nodes].socket(token).await?;
        let mine: Vec<&String> = conversations
            .iter()
            .enumerate()
            .filter(|(i, _)| i % agents == a)
            .map(|(_, c)| &c.0)
            .collect();
        for id in &mine {
            client::send_json(
                &mut ws,
                &json!({ "type": "subscribe", "conversationId": id, "afterSeq": 1 }),
            )
            .await?;
        }
        let mut pending = mine.len();
        while pending > 0 {
            let v = client::next_json(&mut ws).await?;
            if v["type"] == "subscribed" {
                pending -= 1;
            } else if v["type"] == "error" {
                return Err(BenchError::Failed(format!("agent subscribe failed: {v}")));
            }
        }
        let (shared, delivered, hist) = (shared.clone(), delivered.clone(), delivery_hist.clone());
        let mut stop_agents = stop_agents_rx.clone();
        agent_tasks.push(tokio::spawn(async move {
            let mut local = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).ok();
            let mut seen: HashMap<String, Vec<u64>> = HashMap::new();
            loop {
                let msg = tokio::select! {
                    m = ws.next() => match m { Some(Ok(m)) => m, _ => break },
                    _ = stop_agents.wait_for(|s| *s) => break,
                };
                let WsMessage::Text(text) = msg else { continue };
                let Ok(frame) = serde_json::from_str::<Frame>(&text) else {
                    continue;
                };
                if frame.kind != "event" {
                    continue;
                }
                let Some(ev) = frame.event else { continue };
                let Some(m) = ev.message else { continue };
                if m.speaker != "customer" {
                    continue;
                }
                // content: "bench <n> <sent micros> ..."
                let mut parts = m.content.split(' ').skip(1);
                let (Some(n), Some(sent)) = (
                    parts.next().and_then(|p| p.parse::<u64>().ok()),
                    parts.next().and_then(|p| p.parse::<u64>().ok()),
                ) else {
                    continue;
                };
                let now = micros(shared.epoch);
                seen.entry(ev.conversation_id.to_owned())
                    .or_default()
                    .push(n);
                let from = shared.measure_from.load(Ordering::Relaxed);
                let until = shared.measure_until.load(Ordering::Relaxed);
                if sent >= from && sent < until {
                    if let Some(h) = local.as_mut() {
                        let _ = h.record(now.saturating_sub(sent).max(1));
                    }
                }
            }
            if let (Some(l), Ok(mut h)) = (local, hist.lock()) {
                let _ = h.add(l);
            }
            if let Ok(mut d) = delivered.lock() {
                d.extend(seen);
            }
        }));
    }

    // Customer sockets.
    let acked_counts: Arc<Mutex<HashMap<String, u64>>> = Arc::new(Mutex::new(HashMap::new()));
    let ack_hist = Arc::new(Mutex::new(
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)
            .map_err(|e| BenchError::Failed(e.to_string()))?,
    ));
    let measured_acks = Arc::new(AtomicU64::new(0));
    let per_socket_interval = if args.rate > 0 {
        Some(Duration::from_secs_f64(
            args.conversations as f64 / args.rate as f64,
        ))
    } else {
        None
    };
    let window = args.window.max(1);
    let mut customer_tasks = Vec::new();
    for (i, (cid, token)) in conversations.iter().enumerate() {
        // Agent `i % agents` watches conversation i on node `(i % agents + 1) % nodes`.
        let ws = apis[(i % agents) % nodes].socket(token).await?;
        let (shared, acked_counts, hist, measured) = (
            shared.clone(),
            acked_counts.clone(),
            ack_hist.clone(),
            measured_acks.clone(),
        );
        let cid = cid.clone();
        customer_tasks.push(tokio::spawn(async move {
            let mut local = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).ok();
            let mut in_flight: HashMap<u64, u64> = HashMap::new();
            let mut next_n: u64 = 0;
            let mut acked: u64 = 0;
            let mut ticker = per_socket_interval.map(|d| {
                let mut t = tokio::time::interval(d);
                t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                t
            });
            let (mut sink, mut stream) = ws.split();
            let send = |n: u64, sent: u64| {
                json!({ "type": "send_message", "conversationId": cid, "content": format!("bench {n} {sent} my dashboard shows an error after login"), "clientMsgId": format!("b-{n}") }).to_string()
            };
            loop {
                if shared.stop.load(Ordering::Relaxed) && in_flight.is_empty() {
                    break;
                }
                let may_send = !shared.stop.load(Ordering::Relaxed) && (ticker.is_some() || in_flight.len() < window);
                tokio::select! {
                    _ = async { if let Some(t) = ticker.as_mut() { t.tick().await; } }, if may_send => {
                        let sent = micros(shared.epoch);
                        if sink.send(WsMessage::text(send(next_n, sent))).await.is_err() { break; }
                        in_flight.insert(next_n, sent);
                        next_n += 1;
                    }
                    frame = stream.next() => {
                        let Some(Ok(WsMessage::Text(text))) = frame else { break };
                        let Ok(v) = serde_json::from_str::<AckFrame>(&text) else { continue };
                        match v.kind {
                            "ack" => {
                                let n = v.client_msg_id.and_then(|s| s.strip_prefix("b-")).and_then(|s| s.parse::<u64>().ok());
                                if let Some(sent) = n.and_then(|n| in_flight.remove(&n)) {
                                    acked += 1;
                                    let now = micros(shared.epoch);
                                    let from = shared.measure_from.load(Ordering::Relaxed);
                                    let until = shared.measure_until.load(Ordering::Relaxed);
                                    if sent >= from && sent < until {
                                        measured.fetch_add(1, Ordering::Relaxed);
                                        if let Some(h) = local.as_mut() { let _ = h.record(now.saturating_sub(sent).max(1)); }
                                    }
                                }
                            }
                            "error" => { shared.errors.fetch_add(1, Ordering::Relaxed); }
                            _ => {}
                        }
                    }
                }
            }
            if let (Some(l), Ok(mut h)) = (local, hist.lock()) {
                let _ = h.add(l);
            }
            if let Ok(mut a) = acked_counts.lock() {
                a.insert(cid, acked);
            }
            let _ = sink.close().await;
        }));
    }

    // Warm up, measure, stop, drain.
    tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;
    let from = micros(shared.epoch);
    shared.measure_from.store(from, Ordering::Relaxed);
    shared
        .measure_until
        .store(from + (args.duration * 1e6) as u64, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs_f64(args.duration)).await;
    shared.stop.store(true, Ordering::Relaxed);
    for t in customer_tasks {
        let _ = tokio::time::timeout(Duration::from_secs(30), t).await;
    }
    // Let the last events reach the agents, then stop them and the gateway.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    stop_agents_tx.send_replace(true);
    for t in agent_tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
    }
    let (mut commits, mut commits_over_100ms, mut analysed_by_words_only) = (0, 0, 0);
    for node in running {
        let (c, slow, words) = gateway_counts(&node.base_url()).await;
        commits += c;
        commits_over_100ms += slow;
        analysed_by_words_only += words;
        node.stop().await?;
    }

    let acked = acked_counts.lock().map(|m| m.clone()).unwrap_or_default();
    let delivered = delivered.lock().map(|m| m.clone()).unwrap_or_default();
    let (mut lost, mut duplicated) = (0u64, 0u64);
    for (cid, n) in &acked {
        let got = delivered.get(cid).cloned().unwrap_or_default();
        let mut uniq = got.clone();
        uniq.sort_unstable();
        uniq.dedup();
        duplicated += (got.len() - uniq.len()) as u64;
        lost += n.saturating_sub(uniq.iter().filter(|&&x| x < *n).count() as u64);
    }
    let ack = ack_hist
        .lock()
        .map(|h| h.clone())
        .map_err(|e| BenchError::Failed(e.to_string()))?;
    let del = delivery_hist
        .lock()
        .map(|h| h.clone())
        .map_err(|e| BenchError::Failed(e.to_string()))?;
    let ms = |v: u64| v as f64 / 1000.0;
    let measured = measured_acks.load(Ordering::Relaxed);
    Ok(ChatBenchResult {
        machine: machine::describe(),
        store: if config.database_url().starts_with("postgres") {
            "postgres".into()
        } else {
            "sqlite".into()
        },
        nodes,
        conversations: args.conversations,
        agents,
        target_rate: args.rate,
        window,
        seconds: args.duration,
        messages_acked: measured,
        messages_per_second: measured as f64 / args.duration,
        ack_p50_ms: ms(ack.value_at_quantile(0.5)),
        ack_p99_ms: ms(ack.value_at_quantile(0.99)),
        delivery_p50_ms: ms(del.value_at_quantile(0.5)),
        delivery_p99_ms: ms(del.value_at_quantile(0.99)),
        delivery_max_ms: ms(del.max()),
        lost,
        duplicated,
        errors: shared.errors.load(Ordering::Relaxed),
        commits,
        commits_over_100ms,
        analysed_by_words_only,
    })
}

/// Total group commits, those slower than 100 ms, and messages analysed by words only, read from
/// the gateway's own metrics.
async fn gateway_counts(base: &str) -> (u64, u64, u64) {
    let Ok(res) = reqwest::get(format!("{base}/metrics")).await else {
        return (0, 0, 0);
    };
    let Ok(text) = res.text().await else {
        return (0, 0, 0);
    };
    let mut shed = 0.0;
    let mut total = 0.0;
    let mut within = 0.0;
    for line in text.lines() {
        let value = |l: &str| {
            l.rsplit(' ')
                .next()
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        if line.starts_with("warmline_analysis_shed_total") {
            shed = value(line);
        } else if line.starts_with("warmline_journal_commit_seconds_count") {
            total = value(line);
        } else if let Some(rest) = line.strip_prefix("warmline_journal_commit_seconds_bucket{le=\"")
        {
            // The largest bucket bound at or below 0.1 s counts the commits that were fast enough.
            let le = rest
                .split('"')
                .next()
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(f64::MAX);
            if le <= 0.1 {
                within = value(line);
            }
        }
    }
    (total as u64, (total - within).max(0.0) as u64, shed as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_event_frame() {
        let text = r#"{"type":"event","event":{"conversationId":"c1","seq":2,"timestamp":"2026-11-27T12:57:51.897530047Z","type":"message","message":{"id":"m","seq":2,"timestamp":"2026-11-27T12:57:51.897530047Z","speaker":"customer","content":"bench 0 123 x","channel":"chat"},"routingSkill":"technical"}}"#;
        let f: Frame = serde_json::from_str(text)
            .map_err(|e| e.to_string())
            .unwrap();
        assert_eq!(f.kind, "event");
    }
}
